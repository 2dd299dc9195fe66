/* cell_spec_default and cell_features_json: valid JSON with runc's defaults, and cell accepts its own spec. */
#include "unit.h"
#include "runtime.h"
#include "base/json.h"

#include <unistd.h>

static const struct cell_json *
path (const struct cell_json *v, const char *a, const char *b)
{
  v = cell_json_get (v, a);
  return b && v ? cell_json_get (v, b) : v;
}

static int
has_namespace (const struct cell_json *root, const char *type)
{
  const struct cell_json *ns = path (root, "linux", "namespaces");
  for (size_t i = 0; i < cell_json_len (ns); i++)
    if (strcmp (cell_json_string (cell_json_get (cell_json_at (ns, i), "type")), type) == 0)
      return 1;
  return 0;
}

TEST (default_spec)
{
  char *text = cell_spec_default (false);
  cell_error_t err = NULL;
  struct cell_json *root = cell_json_parse (text, strlen (text), "spec", &err);
  free (text);
  CHECK (root != NULL);
  int ok = strcmp (cell_json_string (cell_json_get (root, "ociVersion")), "1.3.0") == 0
           && strcmp (cell_json_string (cell_json_get (root, "hostname")), "cell") == 0
           && cell_json_bool (path (root, "process", "terminal"))
           && cell_json_bool (path (root, "root", "readonly"))
           && cell_json_len (path (root, "process", "rlimits")) == 1
           && cell_json_len (cell_json_get (root, "mounts")) == 7 && has_namespace (root, "network")
           && !has_namespace (root, "user") && path (root, "linux", "uidMappings") == NULL;
  cell_json_free (root);
  CHECK (ok);
}

TEST (rootless_spec)
{
  char *text = cell_spec_default (true);
  cell_error_t err = NULL;
  struct cell_json *root = cell_json_parse (text, strlen (text), "spec", &err);
  free (text);
  CHECK (root != NULL);
  const struct cell_json *map = cell_json_at (path (root, "linux", "uidMappings"), 0);
  int64_t host = -1;
  cell_json_int64 (cell_json_get (map, "hostID"), &host);
  const struct cell_json *devpts = cell_json_get (cell_json_at (cell_json_get (root, "mounts"), 2), "options");
  const struct cell_json *sys = cell_json_at (cell_json_get (root, "mounts"), 5);
  int ok = host == (int64_t) geteuid () && has_namespace (root, "user") && !has_namespace (root, "network")
           && cell_json_len (devpts) == 5 && strcmp (cell_json_string (cell_json_get (sys, "type")), "none") == 0;
  cell_json_free (root);
  CHECK (ok);
}

/* The config cell writes must be one cell runs. */
TEST (spec_parses_as_config)
{
  for (int rootless = 0; rootless <= 1; rootless++)
    {
      char *text = cell_spec_default (rootless);
      cell_error_t err = NULL;
      struct cell_config *c = cell_config_parse (text, strlen (text), &err);
      free (text);
      if (c && cell_config_validate (c, &err) < 0)
        {
          cell_config_free (c);
          c = NULL;
        }
      if (c == NULL)
        {
          char *s = cell_error_string (err);
          fprintf (stderr, "  rootless=%d: %s\n", rootless, s);
          free (s);
          cell_error_free (&err);
        }
      CHECK (c != NULL);
      cell_config_free (c);
    }
}

TEST (features)
{
  char *text = cell_features_json ();
  cell_error_t err = NULL;
  struct cell_json *root = cell_json_parse (text, strlen (text), "features", &err);
  free (text);
  CHECK (root != NULL);
  int ok = strcmp (cell_json_string (cell_json_get (root, "ociVersionMax")), "1.3.0") == 0
           && cell_json_len (cell_json_get (root, "hooks")) == 6
           && cell_json_len (cell_json_get (root, "mountOptions")) == 60
           && cell_json_len (path (root, "linux", "namespaces")) == 8
           && cell_json_len (path (root, "linux", "capabilities")) > 30
           && cell_json_type (path (root, "linux", "cgroup")) == CELL_JSON_OBJECT;
  cell_json_free (root);
  CHECK (ok);
}

int
main (void)
{
  RUN (default_spec);
  RUN (rootless_spec);
  RUN (spec_parses_as_config);
  RUN (features);
  UNIT_END ();
}
