/* cell: user namespace ID maps and time namespace offsets: format (pure), then write through a /proc dirfd. */
#include "internal.h"

#include "../runtime/base/cleanup.h"
#include "../runtime/base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The kernel's limit on lines in uid_map/gid_map since 4.15 (UID_GID_MAP_MAX_EXTENTS). */
#define IDMAP_MAX_LINES 340

int
ns_write_once_at (int dirfd, const char *name, const char *data, size_t len, cell_error_t *err)
{
  _cleanup_close_ int fd = openat (dirfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return cell_error_errno (err, "open '%s'", name);
  ssize_t n = write (fd, data, len);
  if (n < 0)
    return cell_error_errno (err, "write '%s'", name);
  if ((size_t) n != len)
    return cell_error (err, EIO, "write '%s': short write", name);
  return 0;
}

/* ---- ID maps ---- */

static bool
ranges_overlap (uint32_t a, uint32_t b, uint32_t size_a, uint32_t size_b)
{
  return (uint64_t) a < (uint64_t) b + size_b && (uint64_t) b < (uint64_t) a + size_a;
}

static int
validate_one (const struct cell_id_mapping *m, size_t i, const char *path, cell_error_t *err)
{
  if (m->size == 0)
    return cell_error (err, 0, "%s[%zu].size: must be greater than 0", path, i);
  /* The kernel refuses a range whose end wraps or reaches 4294967295 ((uid_t) -1 is never a valid ID). */
  if ((uint64_t) m->container_id + m->size > UINT32_MAX)
    return cell_error (err, 0, "%s[%zu]: containerID %" PRIu32 " + size %" PRIu32 " overflows", path, i,
                       m->container_id, m->size);
  if ((uint64_t) m->host_id + m->size > UINT32_MAX)
    return cell_error (err, 0, "%s[%zu]: hostID %" PRIu32 " + size %" PRIu32 " overflows", path, i, m->host_id,
                       m->size);
  return 0;
}

int
ns_validate_idmap (const struct cell_id_mapping *m, size_t n, const char *path, cell_error_t *err)
{
  if (n > IDMAP_MAX_LINES)
    return cell_error (err, 0, "%s: %zu mappings, the kernel allows at most %d", path, n, IDMAP_MAX_LINES);
  for (size_t i = 0; i < n; i++)
    {
      if (validate_one (&m[i], i, path, err) < 0)
        return -1;
      for (size_t j = 0; j < i; j++)
        {
          if (ranges_overlap (m[i].container_id, m[j].container_id, m[i].size, m[j].size))
            return cell_error (err, 0, "%s[%zu]: containerID range overlaps %s[%zu]", path, i, path, j);
          if (ranges_overlap (m[i].host_id, m[j].host_id, m[i].size, m[j].size))
            return cell_error (err, 0, "%s[%zu]: hostID range overlaps %s[%zu]", path, i, path, j);
        }
    }
  return 0;
}

char *
ns_format_idmap (const struct cell_id_mapping *m, size_t n)
{
  /* "4294967295 4294967295 4294967295\n" is 33 bytes. */
  char *buf = xmalloc (n * 34 + 1), *p = buf;
  *p = '\0';
  for (size_t i = 0; i < n; i++)
    p += sprintf (p, "%" PRIu32 " %" PRIu32 " %" PRIu32 "\n", m[i].container_id, m[i].host_id, m[i].size);
  return buf;
}

static int
write_idmap (int procdirfd, const char *name, const struct cell_id_mapping *m, size_t n, const char *path,
             cell_error_t *err)
{
  if (n == 0)
    return 0;
  if (ns_validate_idmap (m, n, path, err) < 0)
    return -1;
  _cleanup_free_ char *text = ns_format_idmap (m, n);
  return ns_write_once_at (procdirfd, name, text, strlen (text), err);
}

int
ns_write_idmaps (int procdirfd, const struct cell_linux *l, bool deny_setgroups, cell_error_t *err)
{
  if (write_idmap (procdirfd, "uid_map", l->uid_mappings, l->n_uid_mappings, "linux.uidMappings", err) < 0)
    return -1;
  /* Without CAP_SETGID in the parent namespace, the kernel accepts gid_map only once setgroups is "deny"
   * (CVE-2014-8989: dropping groups could otherwise grant access). */
  if (deny_setgroups && ns_write_once_at (procdirfd, "setgroups", "deny", 4, err) < 0)
    return -1;
  return write_idmap (procdirfd, "gid_map", l->gid_mappings, l->n_gid_mappings, "linux.gidMappings", err);
}

/* ---- time offsets ---- */

char *
ns_format_time_offsets (const struct cell_linux *l)
{
  const struct cell_time_offset *mono = &l->time_monotonic, *boot = &l->time_boottime;
  if (!mono->present && !boot->present)
    return NULL;
  char *buf = xmalloc (2 * 64), *p = buf;
  *p = '\0';
  if (mono->present)
    p += sprintf (p, "monotonic %" PRId64 " %" PRIu32 "\n", mono->secs, mono->nanosecs);
  if (boot->present)
    p += sprintf (p, "boottime %" PRId64 " %" PRIu32 "\n", boot->secs, boot->nanosecs);
  return buf;
}

int
ns_write_time_offsets (int procdirfd, const struct cell_linux *l, cell_error_t *err)
{
  _cleanup_free_ char *text = ns_format_time_offsets (l);
  if (text == NULL)
    return 0;
  return ns_write_once_at (procdirfd, "timens_offsets", text, strlen (text), err);
}
