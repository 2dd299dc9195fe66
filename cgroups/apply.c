/* cell: write a resource plan into a cgroup: enable the controllers it needs in every ancestor, then write.
 *
 * Only the controllers the config uses are enabled (as crun does): each enabled controller costs the kernel
 * accounting in every descendant. cgroup v2's "no internal processes" rule: a non-root cgroup that holds
 * processes cannot enable controllers for its children, so a container under such a cgroup cannot have
 * limits; that fails with a message saying so (runc ignores the failed write and fails later on ENOENT). */
#include "cgroups.h"
#include "devices-bpf.h"
#include "../runtime/base/cleanup.h"
#include "../runtime/base/fd.h"
#include "../runtime/base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Is word in the space-separated list? */
static bool
has_word (const char *list, const char *word)
{
  size_t n = strlen (word);
  for (const char *s = list; (s = strstr (s, word)); s += n)
    if ((s == list || s[-1] == ' ' || s[-1] == '\n') && (s[n] == '\0' || s[n] == ' ' || s[n] == '\n'))
      return true;
  return false;
}

/* Why the root of the hierarchy lacks a controller, from /proc/cgroups (name hierarchy num enabled). */
static const char *
missing_reason (const char *controller)
{
  const char *v1 = strcmp (controller, "io") == 0 ? "blkio" : controller;
  _cleanup_free_ char *text = cell_read_file_or_null (AT_FDCWD, "/proc/cgroups", 1 << 16);
  size_t n = strlen (v1);
  for (char *line = text; line && *line; line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
    {
      int hierarchy = 0, enabled = 1;
      if (strncmp (line, v1, n) != 0 || (line[n] != '\t' && line[n] != ' '))
        continue;
      if (sscanf (line + n, "%d %*d %d", &hierarchy, &enabled) < 1)
        break;
      if (!enabled)
        return "disabled on the kernel command line";
      if (hierarchy != 0)
        return "hybrid host: it is bound to cgroup v1";
      return "not enabled at the hierarchy's root";
    }
  return "the kernel does not have it";
}

static int
missing_error (const char *field, const char *controller, cell_error_t *err)
{
  return cell_error (err, 0,
                     "%s: the %s controller is not available in the cgroup v2 hierarchy at %s (%s); "
                     "--ignore-missing-controllers (or CELL_IGNORE_MISSING_CONTROLLERS=1) skips such limits",
                     field, controller, cg_mountpoint (), missing_reason (controller));
}

/* Enable controller in the subtree_control of every ancestor of path (root first). Returns 1 when the
 * hierarchy's root lacks it, 0 when enabled, -1 on error. */
static int
enable_controller (const char *path, const char *controller, const char *field, cell_error_t *err)
{
  _cleanup_free_ char *dir = xasprintf ("%s%s", cg_mountpoint (), path);
  size_t base = strlen (cg_mountpoint ());
  char *end = dir + base;
  while (true)
    {
      char *slash = strchr (end + 1, '/');
      char saved = *end;
      *end = '\0';
      _cleanup_free_ char *cfile = xasprintf ("%s/cgroup.controllers", dir);
      _cleanup_free_ char *sfile = xasprintf ("%s/cgroup.subtree_control", dir);
      _cleanup_free_ char *avail = cell_read_file_or_null (AT_FDCWD, cfile, 1 << 16);
      _cleanup_free_ char *enabled = cell_read_file_or_null (AT_FDCWD, sfile, 1 << 16);
      *end = saved;
      if (avail == NULL || enabled == NULL)
        return cell_error_errno (err, "%s: read '%s'", field, avail ? sfile : cfile);
      if (!has_word (avail, controller))
        {
          if (end == dir + base)
            return 1;
          return cell_error (err, 0, "%s: the %s controller is not delegated to '%s'", field, controller,
                             cfile);
        }
      if (!has_word (enabled, controller))
        {
          _cleanup_free_ char *plus = xasprintf ("+%s", controller);
          if (cell_write_file_at (AT_FDCWD, sfile, plus, strlen (plus), err) < 0)
            {
              if ((*err)->code == EBUSY)
                {
                  cell_error_free (err);
                  return cell_error (err, 0,
                                     "%s: cannot enable the %s controller in '%s': that cgroup holds processes "
                                     "(cgroup v2 \"no internal processes\" rule); set linux.cgroupsPath to a "
                                     "cgroup outside it",
                                     field, controller, sfile);
                }
              return cell_error_prefix (err, "%s: enable the %s controller", field, controller);
            }
        }
      if (slash == NULL)
        return 0;
      end = slash;
    }
}

/* Enable every controller the plan needs; mark the writes of missing ones in skip[] (CG_IGNORE_MISSING). */
static int
enable_controllers (const char *path, const struct cg_plan *plan, int flags, bool *skip, char **skipped,
                    cell_error_t *err)
{
  for (size_t i = 0; i < plan->n; i++)
    {
      const char *c = plan->v[i].controller;
      bool seen = strcmp (c, "cgroup") == 0;
      for (size_t j = 0; j < i && !seen; j++)
        seen = strcmp (plan->v[j].controller, c) == 0;
      if (seen)
        continue;
      int r = enable_controller (path, c, plan->v[i].field, err);
      if (r < 0)
        return -1;
      if (r == 0)
        continue;
      if (!(flags & CG_IGNORE_MISSING))
        return missing_error (plan->v[i].field, c, err);
      for (size_t j = i; j < plan->n; j++)
        skip[j] = skip[j] || strcmp (plan->v[j].controller, c) == 0;
      if (skipped)
        {
          char *s = *skipped ? xasprintf ("%s %s", *skipped, c) : xstrdup (c);
          free (*skipped);
          *skipped = s;
        }
    }
  return 0;
}

/* memory.checkBeforeUpdate: a new memory.max below the current usage is refused. */
static int
check_memory_usage (int dirfd, const struct cg_write *w, cell_error_t *err)
{
  char *end;
  unsigned long long want = strtoull (w->value, &end, 10);
  if (*end != '\0')
    return 0;
  _cleanup_close_ int fd = openat (dirfd, "memory.current", O_RDONLY | O_CLOEXEC);
  char buf[32] = "";
  if (fd < 0 || read (fd, buf, sizeof buf - 1) <= 0)
    return 0;
  unsigned long long cur = strtoull (buf, NULL, 10);
  if (want < cur)
    return cell_error (err, 0, "%s: %llu is below the current usage %llu (memory.checkBeforeUpdate)", w->field,
                       want, cur);
  return 0;
}

static int
write_one (int dirfd, const char *path, const struct cg_write *w, bool check_usage, cell_error_t *err)
{
  const char *file = w->file, *value = w->value;
  if (w->alt_file && faccessat (dirfd, file, F_OK, 0) < 0)
    file = w->alt_file, value = w->alt_value;
  if (check_usage && strcmp (file, "memory.max") == 0 && check_memory_usage (dirfd, w, err) < 0)
    return -1;
  _cleanup_close_ int fd = openat (dirfd, file, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && w->must_exist)
    return cell_error (err, 0, "%s: no file '%s' in the container's cgroup '%s'", w->field, file, path);
  if (fd < 0)
    return cell_error_errno (err, "%s: open '%s%s/%s'", w->field, cg_mountpoint (), path, file);
  if (write (fd, value, strlen (value)) < 0)
    return cell_error_errno (err, "%s: write '%s' to '%s%s/%s'", w->field, value, cg_mountpoint (), path, file);
  return 0;
}

int
cg_apply (const char *path, const struct cg_plan *plan, int flags, char **skipped, cell_error_t *err)
{
  if (skipped)
    *skipped = NULL;
  if (plan->n == 0 && !plan->devices_present)
    return 0;
  _cleanup_free_ bool *skip = xcalloc (plan->n + 1, sizeof *skip);
  if (enable_controllers (path, plan, flags, skip, skipped, err) < 0)
    return -1;
  _cleanup_free_ char *full = xasprintf ("%s%s", cg_mountpoint (), path);
  _cleanup_close_ int dirfd = open (full, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dirfd < 0)
    return cell_error_errno (err, "open '%s'", full);
  for (size_t i = 0; i < plan->n; i++)
    if (!skip[i] && write_one (dirfd, path, &plan->v[i], plan->check_before_update, err) < 0)
      return -1;
  if (plan->devices_present && cg_devices_bpf_replace (dirfd, plan->devices, plan->n_devices, err) < 0)
    return -1;
  return 0;
}
