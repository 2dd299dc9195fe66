/* cell image/: one layer blob -> a directory.
 *
 * One pass over the blob: read(2) -> sha256 of the blob -> libarchive decompression (gzip, zstd or none, per
 * the media type; "raw" format) -> sha256 of the tar stream (the diffID) -> libarchive tar reader -> our checks
 * -> archive_write_disk. Both digests are compared at the end; a mismatch fails the unpack, and since the
 * caller extracts into a temporary directory, nothing of an unverified blob survives.
 *
 * Safety, twice over: archive_write_disk runs with ARCHIVE_EXTRACT_SECURE_SYMLINKS / _SECURE_NODOTDOT /
 * _SECURE_NOABSOLUTEPATHS, and before it sees an entry we refuse absolute names and ".." components
 * ourselves, and resolve the entry's parent (and a hard link's target) with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS): a symlink planted by an earlier entry or an earlier layer can never redirect a later
 * entry, whiteout or hard link, not even to a place inside the rootfs. */
#include "internal.h"
#include "runtime/base/cleanup.h"
#include "runtime/base/fd.h"
#include "runtime/base/hash.h"
#include "runtime/base/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE (1 << 20)
#define PROGRESS_STEP (8 << 20)

/* ---- a set of strings: the paths written by the current layer (whiteouts only hide lower layers) ---- */

struct strset
{
  char **slots;
  size_t cap, n;
};

static bool
strset_has (const struct strset *s, const char *key)
{
  if (s->cap == 0)
    return false;
  for (size_t i = cell_hash_str (key) & (s->cap - 1);; i = (i + 1) & (s->cap - 1))
    {
      if (s->slots[i] == NULL)
        return false;
      if (strcmp (s->slots[i], key) == 0)
        return true;
    }
}

static void strset_add (struct strset *s, const char *key);

static void
strset_grow (struct strset *s)
{
  struct strset bigger = { xcalloc (s->cap ? s->cap * 2 : 1024, sizeof (char *)), s->cap ? s->cap * 2 : 1024, 0 };
  for (size_t i = 0; i < s->cap; i++)
    if (s->slots[i])
      {
        strset_add (&bigger, s->slots[i]);
        free (s->slots[i]);
      }
  free (s->slots);
  *s = bigger;
}

static void
strset_add (struct strset *s, const char *key)
{
  if (2 * (s->n + 1) > s->cap)
    strset_grow (s);
  size_t i = cell_hash_str (key) & (s->cap - 1);
  for (; s->slots[i]; i = (i + 1) & (s->cap - 1))
    if (strcmp (s->slots[i], key) == 0)
      return;
  s->slots[i] = xstrdup (key);
  s->n++;
}

static void
strset_free (struct strset *s)
{
  for (size_t i = 0; i < s->cap; i++)
    free (s->slots[i]);
  free (s->slots);
  memset (s, 0, sizeof *s);
}

/* path and each of its parents */
static void
strset_add_path (struct strset *s, const char *path)
{
  _cleanup_free_ char *p = xstrdup (path);
  for (char *slash = strchr (p, '/'); slash; slash = strchr (slash + 1, '/'))
    {
      *slash = '\0';
      strset_add (s, p);
      *slash = '/';
    }
  strset_add (s, p);
}

/* ---- removing trees, by fd, never following a symlink ---- */

static int remove_children (int dirfd, cell_error_t *err);

int
img_remove_tree_at (int dirfd, const char *name, cell_error_t *err)
{
  if (unlinkat (dirfd, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR)
    return cell_error_errno (err, "remove '%s'", name);
  _cleanup_close_ int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return cell_error_errno (err, "open '%s'", name);
  if (remove_children (fd, err) < 0)
    return cell_error_prefix (err, "%s", name);
  if (unlinkat (dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return cell_error_errno (err, "remove '%s'", name);
  return 0;
}

/* The names in a directory (without "." and ".."), as a NULL-terminated vector. */
static char **
list_dir (int dirfd, cell_error_t *err)
{
  int fd = openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd < 0 ? NULL : fdopendir (fd);
  if (d == NULL)
    {
      if (fd >= 0)
        close (fd);
      return cell_error_errno (err, "read directory"), NULL;
    }
  char **names = xcalloc (1, sizeof (char *));
  size_t n = 0, cap = 1;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      names = xgrow (names, &cap, n + 2, sizeof (char *));
      names[n++] = xstrdup (de->d_name);
      names[n] = NULL;
    }
  closedir (d);
  return names;
}

static int
remove_children (int dirfd, cell_error_t *err)
{
  _cleanup_strv_ char **names = list_dir (dirfd, err);
  if (names == NULL)
    return -1;
  for (size_t i = 0; names[i]; i++)
    if (img_remove_tree_at (dirfd, names[i], err) < 0)
      return -1;
  return 0;
}

/* ---- the two streams: the blob (compressed) and the tar (uncompressed) ---- */

struct blob_src
{
  int fd;
  int error; /* errno of a failed read */
  struct img_sha256 h;
  uint64_t n, next_report;
  struct timespec t0;
  struct img_layer_job *job;
  char *buf;
};

struct tar_src
{
  struct archive *outer;
  struct img_sha256 h;
  uint64_t n;
  char *errmsg; /* the decompressor's error, which the tar reader would only see as "read error" */
  char *buf;
};

static double
seconds_since (const struct timespec *t0)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (double) (t.tv_sec - t0->tv_sec) + (double) (t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void
report (struct blob_src *s, bool done)
{
  struct img_layer_job *j = s->job;
  if (j->progress_fn == NULL)
    return;
  j->progress.bytes = s->n;
  j->progress.seconds = seconds_since (&s->t0);
  j->progress.done = done;
  j->progress_fn (&j->progress, j->progress_data);
}

static la_ssize_t
blob_read (struct archive *a, void *data, const void **buf)
{
  struct blob_src *s = data;
  ssize_t r;
  do
    r = read (s->fd, s->buf, BUF_SIZE);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    {
      s->error = errno;
      return -1;
    }
  img_sha256_update (&s->h, s->buf, (size_t) r);
  s->n += (uint64_t) r;
  if (s->n >= s->next_report)
    {
      report (s, false);
      s->next_report = s->n + PROGRESS_STEP;
    }
  *buf = s->buf;
  return r;
}

static la_ssize_t
tar_read (struct archive *a, void *data, const void **buf)
{
  struct tar_src *s = data;
  la_ssize_t r = DL (archive_read_data) (s->outer, s->buf, BUF_SIZE);
  if (r < 0)
    {
      if (s->errmsg == NULL)
        s->errmsg = xstrdup (DL (archive_error_string) (s->outer) ?: "decompression failed");
      return -1;
    }
  img_sha256_update (&s->h, s->buf, (size_t) r);
  s->n += (uint64_t) r;
  *buf = s->buf;
  return r;
}

/* ---- one layer ---- */

struct extract
{
  struct img_layer_job *job;
  struct archive *in, *disk;
  struct blob_src blob;
  struct tar_src tar;
  struct strset seen;
  int rootfd;
};

/* "layer sha256:...: " + what libarchive says, preferring the decompressor's own message. */
static int
archive_fail (struct extract *x, struct archive *a, const char *entry, cell_error_t *err)
{
  const char *msg = x->tar.errmsg ? x->tar.errmsg : DL (archive_error_string) (a);
  int code = x->blob.error ? x->blob.error : 0;
  if (entry)
    return cell_error (err, code, "layer %s: entry '%s': %s", x->job->blob->digest, entry, msg ? msg : "failed");
  return cell_error (err, code, "layer %s: %s", x->job->blob->digest, msg ? msg : "failed");
}

/* The parent directory of path, opened O_PATH without following any symlink. -2 when a component is missing
 * or not a directory (archive_write_disk makes it; a whiteout has nothing to remove), -1 and *err for anything
 * else. */
static int
open_parent (struct extract *x, const char *path, const char **base, cell_error_t *err)
{
  const char *slash = strrchr (path, '/');
  *base = slash ? slash + 1 : path;
  _cleanup_free_ char *dir = slash ? xstrndup (path, (size_t) (slash - path)) : xstrdup (".");
  int fd = cell_open_beneath (x->rootfd, dir, O_PATH | O_DIRECTORY, 0, NULL);
  if (fd >= 0)
    return fd;
  if (errno == ENOENT || errno == ENOTDIR)
    return -2;
  if (errno == ELOOP || errno == EXDEV)
    return cell_error (err, ELOOP, "layer %s: entry '%s': path goes through a symlink", x->job->blob->digest,
                       path);
  return cell_error_errno (err, "layer %s: entry '%s': open parent '%s'", x->job->blob->digest, path, dir);
}

/* Overlay form: a directory this layer needs but does not carry (a tar may hold "a/b/f" without "a/b") would,
 * made with default metadata, hide the mode and owner of the lower layers' "a/b" in the merged view. Make it
 * as the top-most lower layer has it (0755 root when none has). */
static int
make_implicit_dir (struct extract *x, int parentfd, const char *prefix, const char *name, cell_error_t *err)
{
  struct stat st = { .st_mode = S_IFDIR | 0755 };
  for (size_t i = 0; i < x->job->n_lowers; i++)
    {
      _cleanup_close_ int fd = cell_open_beneath (x->job->lowers[i], prefix, O_PATH | O_NOFOLLOW, 0, NULL);
      struct stat ls;
      if (fd < 0 || fstat (fd, &ls) < 0)
        continue; /* not in this layer: look lower */
      if (S_ISDIR (ls.st_mode))
        st = ls;
      break; /* a whiteout or a non-directory above: the lower ones are hidden */
    }
  if (mkdirat (parentfd, name, st.st_mode & 07777) < 0)
    return cell_error_errno (err, "layer %s: mkdir '%s'", x->job->blob->digest, prefix);
  if (fchownat (parentfd, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0
      || fchmodat (parentfd, name, st.st_mode & 07777, 0) < 0)
    return cell_error_errno (err, "layer %s: chown '%s'", x->job->blob->digest, prefix);
  return 0;
}

/* mkdir -p of dir for overlay form; no symlink followed. Returns an O_PATH fd, or -2 when a component is a
 * non-directory (this layer put it there: it hides the lower ones already). */
static int
make_dirs (struct extract *x, const char *dir, cell_error_t *err)
{
  _cleanup_close_ int cur = openat (x->rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cur < 0)
    return cell_error_errno (err, "open layer directory");
  _cleanup_free_ char *copy = xstrdup (dir);
  for (char *c = copy; *c;)
    {
      char *end = c + strcspn (c, "/");
      char saved = *end;
      *end = '\0';
      struct stat st;
      if (fstatat (cur, c, &st, AT_SYMLINK_NOFOLLOW) < 0)
        {
          if (errno != ENOENT || make_implicit_dir (x, cur, copy, c, err) < 0)
            return *err ? -1 : cell_error_errno (err, "layer %s: stat '%s'", x->job->blob->digest, copy);
        }
      else if (!S_ISDIR (st.st_mode))
        return -2;
      int next = cell_open_beneath (cur, c, O_PATH | O_DIRECTORY, 0, NULL);
      if (next < 0)
        return cell_error_errno (err, "layer %s: open '%s'", x->job->blob->digest, copy);
      close (cur);
      cur = next;
      *end = saved;
      c = *end ? end + 1 : end;
    }
  return TAKE_FD (cur);
}

/* Remove what the lower layers put in dirfd, keeping what this layer wrote. */
static int
clear_lower (struct extract *x, int dirfd, const char *prefix, cell_error_t *err)
{
  _cleanup_strv_ char **names = list_dir (dirfd, err);
  if (names == NULL)
    return -1;
  for (size_t i = 0; names[i]; i++)
    {
      _cleanup_free_ char *child = *prefix ? xasprintf ("%s/%s", prefix, names[i]) : xstrdup (names[i]);
      if (!strset_has (&x->seen, child))
        {
          if (img_remove_tree_at (dirfd, names[i], err) < 0)
            return cell_error_prefix (err, "layer %s: opaque whiteout in '%s'", x->job->blob->digest, prefix);
          continue;
        }
      _cleanup_close_ int sub = openat (dirfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0 && clear_lower (x, sub, child, err) < 0)
        return -1;
    }
  return 0;
}

static int
whiteout_overlay (struct extract *x, enum img_whiteout kind, const char *target, cell_error_t *err)
{
  if (kind == IMG_WH_OPAQUE)
    {
      _cleanup_close_ int p = make_dirs (x, target, err);
      _cleanup_close_ int fd = p < 0 ? -1 : openat (p, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (p < 0)
        return p == -2 ? 0 : -1;
      if (fd < 0 || fsetxattr (fd, "trusted.overlay.opaque", "y", 1, 0) < 0)
        return cell_error_errno (err, "layer %s: opaque whiteout '%s'", x->job->blob->digest, target);
      return 0;
    }
  const char *slash = strrchr (target, '/');
  _cleanup_free_ char *dir = slash ? xstrndup (target, (size_t) (slash - target)) : xstrdup ("");
  _cleanup_close_ int p = make_dirs (x, dir, err);
  if (p < 0)
    return p == -2 ? 0 : -1;
  const char *name = slash ? slash + 1 : target;
  _cleanup_close_ int real = openat (p, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (real < 0 || img_remove_tree_at (real, name, err) < 0)
    return real < 0 ? cell_error_errno (err, "open '%s'", dir) : -1;
  /* overlayfs' whiteout: a character device 0:0 */
  if (mknodat (real, name, S_IFCHR | 0000, makedev (0, 0)) < 0)
    return cell_error_errno (err, "layer %s: whiteout '%s'", x->job->blob->digest, target);
  return 0;
}

static int
whiteout (struct extract *x, enum img_whiteout kind, const char *target, cell_error_t *err)
{
  if (x->job->flags & IMG_LAYER_OVERLAY)
    return whiteout_overlay (x, kind, target, err);
  if (kind == IMG_WH_FILE && strset_has (&x->seen, target))
    return 0; /* written by this very layer: a whiteout only hides lower layers */
  if (kind == IMG_WH_OPAQUE)
    {
      _cleanup_close_ int dirfd = cell_open_beneath (x->rootfd, *target ? target : ".", O_RDONLY | O_DIRECTORY, 0,
                                                     NULL);
      if (dirfd < 0 && errno == ENOENT)
        return 0;
      if (dirfd < 0)
        return cell_error_errno (err, "layer %s: opaque whiteout '%s'", x->job->blob->digest, target);
      return clear_lower (x, dirfd, target, err);
    }
  const char *base;
  _cleanup_close_ int parent = open_parent (x, target, &base, err);
  if (parent < 0)
    return parent == -2 ? 0 : -1;
  _cleanup_close_ int dirfd = openat (parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return cell_error_errno (err, "layer %s: whiteout '%s'", x->job->blob->digest, target);
  if (img_remove_tree_at (dirfd, base, err) < 0)
    return cell_error_prefix (err, "layer %s: whiteout", x->job->blob->digest);
  return 0;
}

/* The root directory's own entry ("./"): its mode and owner, applied by hand. */
static int
root_entry (struct extract *x, struct archive_entry *e, cell_error_t *err)
{
  if (DL (archive_entry_filetype) (e) != AE_IFDIR)
    return cell_error (err, EINVAL, "layer %s: entry '.' is not a directory", x->job->blob->digest);
  if (!(x->job->flags & IMG_LAYER_ROOTLESS)
      && fchownat (x->rootfd, "", (uid_t) DL (archive_entry_uid) (e), (gid_t) DL (archive_entry_gid) (e),
                   AT_EMPTY_PATH)
             < 0)
    return cell_error_errno (err, "layer %s: chown '/'", x->job->blob->digest);
  if (fchmodat (x->rootfd, ".", DL (archive_entry_perm) (e) & 07777, 0) < 0)
    return cell_error_errno (err, "layer %s: chmod '/'", x->job->blob->digest);
  return 0;
}

/* A hard link's target: inside, through no symlink, existing, not a directory. */
static int
check_hardlink (struct extract *x, struct archive_entry *e, const char *path, cell_error_t *err)
{
  const char *link = DL (archive_entry_hardlink) (e);
  if (link == NULL)
    return 0;
  _cleanup_free_ char *target = img_entry_normalize (link);
  if (target == NULL || *target == '\0')
    return cell_error (err, EXDEV, "layer %s: entry '%s': hard link to '%s' leaves the rootfs",
                       x->job->blob->digest, path, link);
  _cleanup_close_ int fd = cell_open_beneath (x->rootfd, target, O_PATH | O_NOFOLLOW, 0, NULL);
  struct stat st;
  if (fd < 0 && errno == ENOENT && (x->job->flags & IMG_LAYER_OVERLAY))
    return cell_error (err, ENOTSUP, "layer %s: entry '%s': hard link to '%s' in a lower layer: not supported "
                       "with a layer cache", x->job->blob->digest, path, link);
  if (fd < 0)
    return cell_error_errno (err, "layer %s: entry '%s': hard link to '%s'", x->job->blob->digest, path, link);
  if (fstat (fd, &st) < 0 || S_ISDIR (st.st_mode))
    return cell_error (err, EPERM, "layer %s: entry '%s': hard link to directory '%s'", x->job->blob->digest,
                       path, link);
  DL (archive_entry_set_hardlink) (e, target);
  return 0;
}

/* user.rootlesscontainers (https://rootlesscontaine.rs/proposals/xattr): the owner a rootless unpack could
 * not set, as protobuf {uint32 uid = 1; uint32 gid = 2}, zero fields left out (umoci writes the same). */
static size_t
rootless_xattr (uint32_t uid, uint32_t gid, unsigned char *buf)
{
  size_t n = 0;
  uint32_t v[2] = { uid, gid };
  for (int f = 0; f < 2; f++)
    {
      if (v[f] == 0)
        continue;
      buf[n++] = (unsigned char) ((f + 1) << 3);
      for (uint32_t x = v[f]; ; x >>= 7)
        {
          buf[n++] = (unsigned char) ((x & 0x7f) | (x > 0x7f ? 0x80 : 0));
          if (x <= 0x7f)
            break;
        }
    }
  return n;
}

/* Rewrite an entry for the target: overlay xattrs dropped in cache mode (a layer must not steer overlayfs),
 * and for rootless, device nodes become empty files and the owner goes into user.rootlesscontainers. */
static void
adjust_entry (struct extract *x, struct archive_entry *e)
{
  unsigned flags = x->job->flags;
  if (flags & IMG_LAYER_ROOTLESS)
    {
      mode_t t = DL (archive_entry_filetype) (e);
      if (t == AE_IFCHR || t == AE_IFBLK)
        {
          DL (archive_entry_set_filetype) (e, AE_IFREG);
          DL (archive_entry_set_size) (e, 0);
        }
    }
  if (!(flags & (IMG_LAYER_OVERLAY | IMG_LAYER_ROOTLESS)))
    return;
  struct
  {
    char *name;
    void *value;
    size_t size;
  } keep[64];
  size_t n = 0;
  const char *name;
  const void *value;
  size_t size;
  DL (archive_entry_xattr_reset) (e);
  while (n < ARRAY_SIZE (keep) && DL (archive_entry_xattr_next) (e, &name, &value, &size) == ARCHIVE_OK)
    if (strncmp (name, "trusted.overlay.", 16) != 0 && strncmp (name, "user.overlay.", 13) != 0
        && strcmp (name, "user.rootlesscontainers") != 0)
      {
        keep[n].name = xstrdup (name);
        keep[n].value = xmalloc (size + 1);
        memcpy (keep[n].value, value, size);
        keep[n++].size = size;
      }
  DL (archive_entry_xattr_clear) (e);
  for (size_t i = 0; i < n; i++)
    {
      DL (archive_entry_xattr_add_entry) (e, keep[i].name, keep[i].value, keep[i].size);
      free (keep[i].name);
      free (keep[i].value);
    }
  unsigned char buf[16];
  size_t len = rootless_xattr ((uint32_t) DL (archive_entry_uid) (e), (uint32_t) DL (archive_entry_gid) (e), buf);
  if ((flags & IMG_LAYER_ROOTLESS) && len)
    DL (archive_entry_xattr_add_entry) (e, "user.rootlesscontainers", buf, len);
}

/* A later layer puts a non-directory where a directory was: the whole directory goes (archive_write_disk
 * would only rmdir an empty one). */
static int
replace_dir (struct extract *x, int parent, const char *base, struct archive_entry *e, cell_error_t *err)
{
  struct stat st;
  if (parent < 0 || DL (archive_entry_filetype) (e) == AE_IFDIR)
    return 0;
  if (fstatat (parent, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR (st.st_mode))
    return 0;
  _cleanup_close_ int dirfd = openat (parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0 || img_remove_tree_at (dirfd, base, err) < 0)
    return dirfd < 0 ? cell_error_errno (err, "open parent of '%s'", base) : -1;
  return 0;
}

static bool
tolerable (struct extract *x, int r)
{
  /* rootless: what an unprivileged caller cannot do (security.* xattrs, ...) is a warning, as in umoci */
  return r == ARCHIVE_OK || (r == ARCHIVE_WARN && (x->job->flags & IMG_LAYER_ROOTLESS));
}

static int
copy_data (struct extract *x, const char *path, cell_error_t *err)
{
  for (;;)
    {
      const void *buf;
      size_t size;
      la_int64_t off;
      int r = DL (archive_read_data_block) (x->in, &buf, &size, &off);
      if (r == ARCHIVE_EOF)
        return 0;
      if (r < ARCHIVE_OK)
        return archive_fail (x, x->in, path, err);
      if (DL (archive_write_data_block) (x->disk, buf, size, off) < ARCHIVE_OK)
        return archive_fail (x, x->disk, path, err);
    }
}

static int
entry (struct extract *x, struct archive_entry *e, cell_error_t *err)
{
  const char *raw = DL (archive_entry_pathname) (e);
  _cleanup_free_ char *path = img_entry_normalize (raw);
  if (path == NULL)
    return cell_error (err, EXDEV, "layer %s: entry '%s': path leaves the rootfs", x->job->blob->digest,
                       raw ? raw : "(null)");
  if (*path == '\0')
    return root_entry (x, e, err);
  _cleanup_free_ char *target = NULL;
  enum img_whiteout wh = img_whiteout_parse (path, &target);
  if (wh == IMG_WH_META)
    return 0;
  if (wh != IMG_WH_NONE)
    return whiteout (x, wh, target, err);
  const char *base;
  _cleanup_close_ int parent = open_parent (x, path, &base, err);
  if (parent == -1)
    return -1;
  if (parent == -2 && (x->job->flags & IMG_LAYER_OVERLAY) && base != path)
    {
      _cleanup_free_ char *dir = xstrndup (path, (size_t) (base - 1 - path));
      int fd = make_dirs (x, dir, err);
      if (fd == -1)
        return -1;
      parent = fd;
    }
  if (check_hardlink (x, e, path, err) < 0 || replace_dir (x, parent, base, e, err) < 0)
    return -1;
  adjust_entry (x, e);
  DL (archive_entry_set_pathname) (e, path);
  int r = DL (archive_write_header) (x->disk, e);
  if (!tolerable (x, r))
    return archive_fail (x, x->disk, path, err);
  if (copy_data (x, path, err) < 0)
    return -1;
  r = DL (archive_write_finish_entry) (x->disk);
  if (!tolerable (x, r))
    return archive_fail (x, x->disk, path, err);
  strset_add_path (&x->seen, path);
  return 0;
}

static int
open_streams (struct extract *x, cell_error_t *err)
{
  const char *mt = x->job->blob->media_type;
  x->tar.outer = DL (archive_read_new) ();
  x->in = DL (archive_read_new) ();
  x->disk = DL (archive_write_disk_new) ();
  if (x->tar.outer == NULL || x->in == NULL || x->disk == NULL)
    abort ();
  size_t len = strlen (mt);
  if (len > 5 && strcmp (mt + len - 5, "+gzip") == 0)
    DL (archive_read_support_filter_gzip) (x->tar.outer);
  else if ((len > 5 && strcmp (mt + len - 5, "+zstd") == 0))
    DL (archive_read_support_filter_zstd) (x->tar.outer);
  else if (len > 5 && strcmp (mt + len - 5, ".gzip") == 0) /* docker's rootfs.diff.tar.gzip */
    DL (archive_read_support_filter_gzip) (x->tar.outer);
  DL (archive_read_support_format_raw) (x->tar.outer);
  DL (archive_read_support_format_tar) (x->in);
  if (DL (archive_read_open) (x->tar.outer, &x->blob, NULL, blob_read, NULL) != ARCHIVE_OK)
    return archive_fail (x, x->tar.outer, NULL, err);
  struct archive_entry *raw;
  if (DL (archive_read_next_header) (x->tar.outer, &raw) != ARCHIVE_OK)
    return archive_fail (x, x->tar.outer, NULL, err);
  if (DL (archive_read_open) (x->in, &x->tar, NULL, tar_read, NULL) != ARCHIVE_OK)
    return archive_fail (x, x->in, NULL, err);
  int flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_UNLINK
              | ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT
              | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
  if (!(x->job->flags & IMG_LAYER_ROOTLESS))
    flags |= ARCHIVE_EXTRACT_OWNER; /* numeric ids from the tar: no user lookup is installed */
  DL (archive_write_disk_set_options) (x->disk, flags);
  return 0;
}

/* Read both streams to their ends (tar padding, trailing bytes) so the digests cover every byte. */
static int
drain (struct extract *x, cell_error_t *err)
{
  const void *buf;
  la_ssize_t r;
  while ((r = tar_read (x->tar.outer, &x->tar, &buf)) > 0)
    ;
  if (r < 0)
    return archive_fail (x, x->tar.outer, NULL, err);
  while ((r = blob_read (NULL, &x->blob, &buf)) > 0)
    ;
  if (r < 0)
    return cell_error (err, x->blob.error, "layer %s: read", x->job->blob->digest);
  return 0;
}

static int
verify (struct extract *x, cell_error_t *err)
{
  const struct img_descriptor *d = x->job->blob;
  char hex[65], diff[65];
  img_sha256_final (&x->blob.h, hex);
  img_sha256_final (&x->tar.h, diff);
  if (x->blob.n != d->size)
    return cell_error (err, EINVAL, "layer %s: size %llu, the manifest says %llu", d->digest,
                       (unsigned long long) x->blob.n, (unsigned long long) d->size);
  if (strcmp (hex, d->hex) != 0)
    return cell_error (err, EINVAL, "layer %s: digest mismatch (content is sha256:%s)", d->digest, hex);
  if (strcmp (diff, x->job->diff_id + 7) != 0)
    return cell_error (err, EINVAL, "layer %s: diffID mismatch: the config says %s, the content is sha256:%s",
                       d->digest, x->job->diff_id, diff);
  return 0;
}

static int
run (struct extract *x, cell_error_t *err)
{
  if (open_streams (x, err) < 0)
    return -1;
  for (;;)
    {
      struct archive_entry *e;
      int r = DL (archive_read_next_header) (x->in, &e);
      if (r == ARCHIVE_EOF)
        break;
      if (r < ARCHIVE_OK)
        return archive_fail (x, x->in, NULL, err);
      if (entry (x, e, err) < 0)
        return -1;
    }
  /* directory times and modes are fixed up at close */
  if (DL (archive_write_close) (x->disk) < ARCHIVE_OK)
    return archive_fail (x, x->disk, NULL, err);
  if (drain (x, err) < 0)
    return -1;
  report (&x->blob, true);
  return verify (x, err);
}

int
img_layer_extract (struct img_layer_job *job, cell_error_t *err)
{
  struct extract x = { .job = job, .rootfd = job->rootfd };
  x.blob.job = job;
  x.blob.fd = img_blob_open (job->layout, job->blob, err);
  if (x.blob.fd < 0)
    return -1;
  x.blob.buf = xmalloc (BUF_SIZE);
  x.tar.buf = xmalloc (BUF_SIZE);
  x.blob.next_report = PROGRESS_STEP;
  clock_gettime (CLOCK_MONOTONIC, &x.blob.t0);
  img_sha256_init (&x.blob.h);
  img_sha256_init (&x.tar.h);
  job->progress.total = job->blob->size;

  /* archive_write_disk works relative to the cwd: move into the target for the layer, and back. */
  _cleanup_close_ int oldcwd = open (".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  int r;
  if (oldcwd < 0 || fchdir (job->rootfd) < 0)
    r = cell_error_errno (err, "layer %s: enter the target directory", job->blob->digest);
  else
    r = run (&x, err);
  if (oldcwd >= 0 && fchdir (oldcwd) < 0 && r == 0)
    r = cell_error_errno (err, "return to the working directory");

  if (x.disk)
    DL (archive_write_free) (x.disk);
  if (x.in)
    DL (archive_read_free) (x.in);
  if (x.tar.outer)
    DL (archive_read_free) (x.tar.outer);
  img_sha256_free (&x.blob.h);
  img_sha256_free (&x.tar.h);
  strset_free (&x.seen);
  free (x.tar.errmsg);
  free (x.blob.buf);
  free (x.tar.buf);
  close (x.blob.fd);
  return r;
}
