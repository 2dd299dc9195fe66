#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the asan build overrides CFLAGS and loses -D_GNU_SOURCE */
#endif
#include "fd.h"
#include "cleanup.h"
#include "xalloc.h"

#include <errno.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int
cell_write_all (int fd, const void *buf, size_t len, cell_error_t *err)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return cell_error_errno (err, "write");
      if (n == 0)
        return cell_error (err, EIO, "write: short write");
      p += n;
      len -= (size_t) n;
    }
  return 0;
}

int
cell_read_all (int fd, size_t max, char **out, size_t *len, cell_error_t *err)
{
  size_t cap = 0, used = 0;
  _cleanup_free_ char *buf = NULL;
  for (;;)
    {
      buf = xgrow (buf, &cap, used + 4096 + 1, 1);
      ssize_t n = read (fd, buf + used, cap - used - 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return cell_error_errno (err, "read");
      if (n == 0)
        break;
      used += (size_t) n;
      if (used > max)
        return cell_error (err, EFBIG, "read: more than %zu bytes", max);
    }
  buf[used] = '\0';
  *out = TAKE_PTR (buf);
  if (len)
    *len = used;
  return 0;
}

int
cell_read_file_at (int dirfd, const char *path, size_t max, char **out, size_t *len, cell_error_t *err)
{
  _cleanup_close_ int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return cell_error_errno (err, "open '%s'", path);
  if (cell_read_all (fd, max, out, len, err) < 0)
    return cell_error_prefix (err, "'%s'", path);
  return 0;
}

char *
cell_read_file_or_null (int dirfd, const char *path, size_t max)
{
  char *buf = NULL;
  return cell_read_file_at (dirfd, path, max, &buf, NULL, NULL) < 0 ? NULL : buf;
}

int
cell_write_file_at (int dirfd, const char *path, const void *data, size_t len, cell_error_t *err)
{
  _cleanup_close_ int fd = openat (dirfd, path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return cell_error_errno (err, "open '%s'", path);
  if (cell_write_all (fd, data, len, err) < 0)
    return cell_error_prefix (err, "'%s'", path);
  return 0;
}

int
cell_write_file_atomic (int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                        cell_error_t *err)
{
  static unsigned counter;
  _cleanup_free_ char *tmp = xasprintf (".%s.%d.%u.tmp", name, (int) getpid (), counter++);
  _cleanup_close_ int fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0)
    return cell_error_errno (err, "create '%s'", tmp);
  if (cell_write_all (fd, data, len, err) < 0)
    {
      unlinkat (dirfd, tmp, 0);
      return cell_error_prefix (err, "'%s'", tmp);
    }
  /* No fsync: readers must never see a torn file (the rename), but state under /run does not outlive a
   * reboot, and neither do the containers it describes. */
  if (renameat (dirfd, tmp, dirfd, name) < 0)
    {
      int saved = errno;
      unlinkat (dirfd, tmp, 0);
      return cell_error (err, saved, "write '%s'", name);
    }
  return 0;
}

static int
openat2_retry (int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve)
{
  struct open_how how = { .flags = (uint64_t) (flags | O_CLOEXEC), .resolve = resolve };
  /* O_CREAT/O_TMPFILE are the only cases where mode may be non-zero; openat2 refuses a mode otherwise. */
  if (flags & (O_CREAT | __O_TMPFILE))
    how.mode = mode;
  for (int i = 0; i < 64; i++)
    {
      int fd = (int) syscall (SYS_openat2, dirfd, path, &how, sizeof how);
      /* EAGAIN: a concurrent rename made the kernel doubt the ".." resolution; just try again. */
      if (fd >= 0 || (errno != EAGAIN && errno != EINTR))
        return fd;
    }
  return -1;
}

int
cell_open_in_root (int rootfd, const char *path, int flags, mode_t mode, cell_error_t *err)
{
  int fd = openat2_retry (rootfd, path, flags, mode, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  if (fd < 0)
    return cell_error_errno (err, "open '%s'", path);
  return fd;
}

int
cell_open_beneath (int dirfd, const char *path, int flags, mode_t mode, cell_error_t *err)
{
  int fd = openat2_retry (dirfd, path, flags, mode, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
  if (fd < 0)
    return cell_error_errno (err, "open '%s'", path);
  return fd;
}

int
cell_procfs_open (cell_error_t *err)
{
  _cleanup_close_ int fd = open ("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  struct statfs sfs;
  struct statx stx;
  if (fd < 0)
    return cell_error_errno (err, "open '/proc'");
  if (fstatfs (fd, &sfs) < 0 || statx (fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) < 0)
    return cell_error_errno (err, "stat '/proc'");
  if (sfs.f_type != PROC_SUPER_MAGIC || !(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
      || !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
    return cell_error (err, EINVAL, "'/proc' is not the root of a procfs mount");
  return TAKE_FD (fd);
}

int
cell_procfs_openat (int procfd, const char *path, int flags, cell_error_t *err)
{
  _cleanup_free_ char *real = NULL;
  /* "self" is a symlink, which RESOLVE_NO_SYMLINKS refuses: resolve it here, in this procfs's pid namespace. */
  if (strncmp (path, "self", 4) == 0 && (path[4] == '/' || path[4] == '\0'))
    {
      char pid[32];
      ssize_t n = readlinkat (procfd, "self", pid, sizeof pid - 1);
      if (n <= 0)
        return cell_error_errno (err, "readlink '/proc/self'");
      real = xasprintf ("%.*s%s", (int) n, pid, path + 4);
      path = real;
    }
  int fd = openat2_retry (procfd, path, flags, 0,
                          RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV);
  if (fd < 0)
    return cell_error_errno (err, "open '/proc/%s'", path);
  return fd;
}

/* One step of cell_mkdir_p_in_root(): `prefix` is the path up to and including component `name`, `parentfd`
 * the directory that holds it. The component is created in parentfd, but always re-resolved from the root so
 * that a symlink component is followed inside the root, never outside. */
static int
mkdir_step (int rootfd, int parentfd, const char *prefix, const char *name, mode_t mode, cell_error_t *err)
{
  int fd = openat2_retry (rootfd, prefix, O_PATH | O_DIRECTORY, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  if (fd >= 0 || errno != ENOENT)
    {
      if (fd < 0)
        return cell_error_errno (err, "open '%s'", prefix);
      return fd;
    }
  if (mkdirat (parentfd, name, mode) < 0 && errno != EEXIST)
    return cell_error_errno (err, "mkdir '%s'", prefix);
  return cell_open_in_root (rootfd, prefix, O_PATH | O_DIRECTORY, 0, err);
}

int
cell_mkdir_p_in_root (int rootfd, const char *path, mode_t mode, cell_error_t *err)
{
  _cleanup_free_ char *buf = xstrdup (path);
  /* -1 stands for rootfd itself until the first component: no fd of our own to open and close for it. */
  _cleanup_close_ int cur = -1;
  char *p = buf;
  while (*p)
    {
      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      char *end = p + strcspn (p, "/");
      char saved = *end;
      *end = '\0';
      int next;
      if (strcmp (p, ".") != 0 && strcmp (p, "..") != 0)
        next = mkdir_step (rootfd, cur >= 0 ? cur : rootfd, buf, p, mode, err);
      else /* ".." must be resolved as the kernel would, inside the root. */
        next = cell_open_in_root (rootfd, buf, O_PATH | O_DIRECTORY, 0, err);
      if (next < 0)
        return -1;
      if (cur >= 0)
        close (cur);
      cur = next;
      *end = saved;
      p = end;
    }
  if (cur < 0)
    {
      cur = openat (rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (cur < 0)
        return cell_error_errno (err, "open root of '%s'", path);
    }
  return TAKE_FD (cur);
}

static int
cmp_int (const void *a, const void *b)
{
  int x = *(const int *) a, y = *(const int *) b;
  return (x > y) - (x < y);
}

int
cell_close_fds_from (int first, const int *keep, size_t n_keep, cell_error_t *err)
{
  _cleanup_free_ int *k = xcalloc (n_keep + 1, sizeof *k);
  if (n_keep)
    memcpy (k, keep, n_keep * sizeof *k);
  qsort (k, n_keep, sizeof *k, cmp_int);
  unsigned lo = (unsigned) first;
  for (size_t i = 0; i < n_keep; i++)
    {
      if (k[i] < first || (unsigned) k[i] < lo)
        continue;
      if ((unsigned) k[i] > lo && syscall (SYS_close_range, lo, (unsigned) k[i] - 1, 0) < 0)
        return cell_error_errno (err, "close_range");
      lo = (unsigned) k[i] + 1;
    }
  if (syscall (SYS_close_range, lo, ~0U, 0) < 0)
    return cell_error_errno (err, "close_range");
  return 0;
}

int
cell_cloexec_fds_from (int first, cell_error_t *err)
{
  if (syscall (SYS_close_range, (unsigned) first, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    return cell_error_errno (err, "close_range");
  return 0;
}

int
cell_set_cloexec (int fd, bool on, cell_error_t *err)
{
  int flags = fcntl (fd, F_GETFD);
  if (flags < 0)
    return cell_error_errno (err, "fcntl %d", fd);
  int nflags = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
  if (nflags != flags && fcntl (fd, F_SETFD, nflags) < 0)
    return cell_error_errno (err, "fcntl %d", fd);
  return 0;
}
