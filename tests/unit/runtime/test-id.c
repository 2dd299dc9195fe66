/* cell_id_validate: runc's id rule. */
#include "unit.h"
#include "runtime.h"

static int
valid (const char *id)
{
  cell_error_t err = NULL;
  int r = cell_id_validate (id, &err);
  if ((r < 0) != (err != NULL))
    return -2; /* contract broken */
  cell_error_free (&err);
  return r;
}

TEST (accepts_runc_charset)
{
  CHECK (valid ("c1") == 0);
  CHECK (valid ("a") == 0);
  CHECK (valid ("My_Container-1.2+3") == 0);
  CHECK (valid ("...") == 0);
  CHECK (valid (".hidden") == 0);
  CHECK (valid ("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef") == 0);
}

TEST (refuses_paths_and_odd_chars)
{
  CHECK (valid ("") == -1);
  CHECK (valid (NULL) == -1);
  CHECK (valid (".") == -1);
  CHECK (valid ("..") == -1);
  CHECK (valid ("a/b") == -1);
  CHECK (valid ("/abs") == -1);
  CHECK (valid ("a b") == -1);
  CHECK (valid ("a,b") == -1);
  CHECK (valid ("a:b") == -1);
  CHECK (valid ("a\nb") == -1);
  CHECK (valid ("caf\xc3\xa9") == -1);
}

TEST (length_limit)
{
  char id[1026];
  memset (id, 'x', sizeof id);
  id[1024] = '\0';
  CHECK (valid (id) == 0);
  id[1024] = 'x';
  id[1025] = '\0';
  CHECK (valid (id) == -1);
}

TEST (message_names_the_id)
{
  cell_error_t err = NULL;
  CHECK (cell_id_validate ("a/b", &err) < 0);
  char *s = cell_error_string (err);
  cell_error_free (&err);
  int ok = strcmp (s, "invalid container id 'a/b'") == 0;
  free (s);
  CHECK (ok);
}

int
main (void)
{
  RUN (accepts_runc_charset);
  RUN (refuses_paths_and_odd_chars);
  RUN (length_limit);
  RUN (message_names_the_id);
  UNIT_END ();
}
