/* cell: config.json as a whole and the entry points: parse, load from a bundle, free; and the two partial
 * documents, `exec --process` (a process object) and `update` (a linux.resources object). */
#include "internal.h"
#include "base/cleanup.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_MAX_SIZE (4 * 1024 * 1024)

/* ---- the document ---- */

#define T struct cell_config
static const struct field config_desc_fields[] = {
  STR ("ociVersion", oci_version, REQ_),
  OBJ ("process", process, cfg_process_desc, P_ (process_present)),
  OBJ ("root", root, cfg_root_desc, P_ (root_present)),
  STR ("hostname", hostname),
  STR ("domainname", domainname),
  ARR ("mounts", mounts, n_mounts, struct cell_mount, cfg_mount_desc),
  HERE ("hooks", cfg_hooks_desc),
  STRMAP ("annotations", annotations, n_annotations),
  OBJ ("linux", linux, cfg_linux_desc, P_ (linux_present)),
};
#undef T
DESC (config_desc, NULL);

/* ---- API ---- */

struct cell_config *
cell_config_parse (const char *text, size_t len, cell_error_t *err)
{
  struct cell_config *c = xcalloc (1, sizeof *c);
  if (cfg_parse_document (&config_desc, text, len, "config.json", "", c, err) < 0)
    {
      cell_config_free (c);
      return NULL;
    }
  return c;
}

void
cell_config_free (struct cell_config *c)
{
  if (c == NULL)
    return;
  cfg_free_object (&config_desc, (char *) c);
  free (c);
}

struct cell_process *
cell_process_parse (const char *text, size_t len, cell_error_t *err)
{
  struct cell_process *p = xcalloc (1, sizeof *p);
  if (cfg_parse_document (&cfg_process_desc, text, len, "process.json", "process", p, err) < 0
      || cfg_check_process_supported (p, err) < 0)
    {
      cell_process_free (p);
      return NULL;
    }
  return p;
}

struct cell_resources *
cell_resources_parse (const char *text, size_t len, cell_error_t *err)
{
  struct cell_resources *r = xcalloc (1, sizeof *r);
  if (cfg_parse_document (&cfg_resources_desc, text, len, "resources", "linux.resources", r, err) < 0
      || cell_resources_validate (r, err) < 0)
    {
      cell_resources_free (r);
      return NULL;
    }
  return r;
}

void
cell_resources_free (struct cell_resources *r)
{
  if (r == NULL)
    return;
  cfg_free_object (&cfg_resources_desc, (char *) r);
  free (r);
}

void
cell_process_free (struct cell_process *p)
{
  if (p == NULL)
    return;
  cfg_free_object (&cfg_process_desc, (char *) p);
  free (p);
}

static int
read_config (const char *path, char **out, size_t *len, cell_error_t *err)
{
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return cell_error_errno (err, "open '%s'", path);
  struct stat st;
  if (fstat (fd, &st) < 0)
    return cell_error_errno (err, "stat '%s'", path);
  if (!S_ISREG (st.st_mode))
    return cell_error (err, 0, "'%s': not a regular file", path);
  _cleanup_free_ char *buf = xmalloc (CONFIG_MAX_SIZE + 1);
  size_t n = 0;
  /* Read one byte past the limit so that a file that grew after fstat() is still caught. */
  while (n <= CONFIG_MAX_SIZE)
    {
      ssize_t r = read (fd, buf + n, CONFIG_MAX_SIZE + 1 - n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return cell_error_errno (err, "read '%s'", path);
      if (r == 0)
        break;
      n += (size_t) r;
    }
  if (n > CONFIG_MAX_SIZE)
    return cell_error (err, EFBIG, "'%s': larger than %d MiB", path, CONFIG_MAX_SIZE >> 20);
  *out = xrealloc (TAKE_PTR (buf), n + 1);
  (*out)[n] = '\0';
  *len = n;
  return 0;
}

struct cell_config *
cell_config_load (const char *bundle, cell_error_t *err)
{
  _cleanup_free_ char *path = xasprintf ("%s/config.json", bundle);
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (read_config (path, &text, &len, err) < 0)
    return NULL;
  struct cell_config *c = cell_config_parse (text, len, err);
  if (c == NULL)
    return NULL;
  if (cell_config_validate (c, err) < 0)
    {
      cell_config_free (c);
      return NULL;
    }
  return c;
}
