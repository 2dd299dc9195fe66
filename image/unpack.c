/* cell image/: img_unpack(), the orchestrator: load the image, build the bundle in a temporary directory next to
 * BUNDLE (layers extracted in order into rootfs/, or looked up / added in the layer cache), write config.json,
 * rename the directory into place. Any failure removes the temporary directory: nothing is left. */
#include "internal.h"
#include "runtime/base/cleanup.h"
#include "runtime/base/fd.h"
#include "runtime/base/strv.h"
#include "runtime/base/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ETC_MAX (4 << 20)

struct unpack
{
  const struct img_unpack_opts *o;
  struct img_layout layout;
  struct img_image image;
  int parentfd;      /* directory that holds BUNDLE */
  char *base;        /* BUNDLE's name in it */
  char *tmp;         /* temporary bundle name in parentfd, NULL once renamed */
  int tmpfd;         /* O_PATH of the temporary bundle */
  char *cache;       /* absolute cache path */
  int cachefd;
  char **layer_dirs; /* cache mode: absolute layer directories, bottom first */
};

/* 1 empty, 0 not, -1 error */
static int
dir_empty (int dirfd, const char *name)
{
  int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR *d = fd < 0 ? NULL : fdopendir (fd);
  if (d == NULL)
    {
      if (fd >= 0)
        close (fd);
      return -1;
    }
  struct dirent *de;
  int r = 1;
  while (r && (de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      r = 0;
  closedir (d);
  return r;
}

static int
open_bundle_parent (struct unpack *u, cell_error_t *err)
{
  _cleanup_free_ char *copy = xstrdup (u->o->bundle), *copy2 = xstrdup (u->o->bundle);
  const char *dir = dirname (copy);
  u->base = xstrdup (basename (copy2));
  if (strcmp (u->base, ".") == 0 || strcmp (u->base, "..") == 0 || strcmp (u->base, "/") == 0)
    return cell_error (err, EINVAL, "bundle '%s': name a new directory", u->o->bundle);
  u->parentfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (u->parentfd < 0)
    return cell_error_errno (err, "bundle '%s': open '%s'", u->o->bundle, dir);
  struct stat st;
  if (fstatat (u->parentfd, u->base, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : cell_error_errno (err, "bundle '%s'", u->o->bundle);
  if (!S_ISDIR (st.st_mode) || dir_empty (u->parentfd, u->base) != 1)
    return cell_error (err, EEXIST, "bundle '%s' exists and is not an empty directory", u->o->bundle);
  return 0;
}

static int
make_tmp (struct unpack *u, cell_error_t *err)
{
  for (int attempt = 0; attempt < 100; attempt++)
    {
      _cleanup_free_ char *name = xasprintf (".%s.cell-unpack-%08x", u->base, (unsigned) random ());
      if (mkdirat (u->parentfd, name, 0700) < 0)
        {
          if (errno == EEXIST)
            continue;
          return cell_error_errno (err, "bundle '%s': make a temporary directory", u->o->bundle);
        }
      u->tmp = TAKE_PTR (name);
      u->tmpfd = openat (u->parentfd, u->tmp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (u->tmpfd < 0)
        return cell_error_errno (err, "open '%s'", u->tmp);
      if (mkdirat (u->tmpfd, "rootfs", 0755) < 0)
        return cell_error_errno (err, "mkdir '%s/rootfs'", u->tmp);
      return 0;
    }
  return cell_error (err, EEXIST, "bundle '%s': no free temporary name", u->o->bundle);
}

static void
progress_cached (struct unpack *u, size_t i)
{
  if (u->o->progress == NULL)
    return;
  struct img_progress p = { .index = i, .count = u->image.n_layers, .digest = u->image.layers[i].digest,
                            .total = u->image.layers[i].size, .cached = true, .done = true };
  u->o->progress (&p, u->o->progress_data);
}

static int
extract_into (struct unpack *u, size_t i, int rootfd, unsigned flags, cell_error_t *err)
{
  struct img_layer_job job = {
    .layout = &u->layout, .blob = &u->image.layers[i], .diff_id = u->image.diff_ids[i], .rootfd = rootfd,
    .flags = flags, .progress = { .index = i, .count = u->image.n_layers, .digest = u->image.layers[i].digest },
    .progress_fn = u->o->progress, .progress_data = u->o->progress_data,
  };
  return img_layer_extract (&job, err);
}

static int
extract_plain (struct unpack *u, cell_error_t *err)
{
  _cleanup_close_ int rootfd = openat (u->tmpfd, "rootfs", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (rootfd < 0)
    return cell_error_errno (err, "open '%s/rootfs'", u->tmp);
  unsigned flags = u->o->rootless ? IMG_LAYER_ROOTLESS : 0;
  for (size_t i = 0; i < u->image.n_layers; i++)
    if (extract_into (u, i, rootfd, flags, err) < 0)
      return -1;
  return 0;
}

/* mkdir -p of the cache and its sha256/ and tmp/ directories; the path must suit overlayfs' option syntax. */
static int
open_cache (struct unpack *u, cell_error_t *err)
{
  const char *path = u->o->cache;
  if (mkdir (path, 0700) < 0 && errno != EEXIST)
    return cell_error_errno (err, "cache '%s': mkdir", path);
  char real[PATH_MAX];
  if (realpath (path, real) == NULL)
    return cell_error_errno (err, "cache '%s'", path);
  if (strpbrk (real, ":,\\\n") != NULL)
    return cell_error (err, EINVAL, "cache '%s': the path may not contain ':', ',' or '\\' (overlayfs options)",
                       real);
  u->cache = xstrdup (real);
  u->cachefd = open (real, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (u->cachefd < 0)
    return cell_error_errno (err, "cache '%s'", real);
  if ((mkdirat (u->cachefd, "sha256", 0755) < 0 && errno != EEXIST)
      || (mkdirat (u->cachefd, "tmp", 0700) < 0 && errno != EEXIST))
    return cell_error_errno (err, "cache '%s': mkdir", real);
  return 0;
}

/* The image-spec's ChainID of layer i: the layer's directory holds what the layers below make of it (the
 * metadata of directories it needs but does not carry), so it is named after the whole stack. */
static char *
chain_id (struct unpack *u, size_t i)
{
  char *id = xstrdup (u->image.diff_ids[0]);
  for (size_t k = 1; k <= i; k++)
    {
      _cleanup_free_ char *text = xasprintf ("%s %s", id, u->image.diff_ids[k]);
      char hex[65];
      struct img_sha256 h;
      img_sha256_init (&h);
      img_sha256_update (&h, text, strlen (text));
      img_sha256_final (&h, hex);
      free (id);
      id = xasprintf ("sha256:%s", hex);
    }
  return id;
}

/* Extract layer i into CACHE/tmp/, then rename it to CACHE/sha256/<ChainID>; a concurrent unpack that got there
 * first wins and ours is dropped. lowers: the cached layers below, top-most first. */
static int
cache_add (struct unpack *u, size_t i, const char *name, const int *lowers, cell_error_t *err)
{
  _cleanup_close_ int tmpdir = openat (u->cachefd, "tmp", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (tmpdir < 0)
    return cell_error_errno (err, "cache '%s/tmp'", u->cache);
  _cleanup_free_ char *tmp = xasprintf ("%s-%d-%08x", name, getpid (), (unsigned) random ());
  if (mkdirat (tmpdir, tmp, 0755) < 0)
    return cell_error_errno (err, "cache: mkdir '%s/tmp/%s'", u->cache, tmp);
  _cleanup_close_ int fd = openat (tmpdir, tmp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct img_layer_job job = {
    .layout = &u->layout, .blob = &u->image.layers[i], .diff_id = u->image.diff_ids[i], .rootfd = fd,
    .lowers = lowers, .n_lowers = i, .flags = IMG_LAYER_OVERLAY,
    .progress = { .index = i, .count = u->image.n_layers, .digest = u->image.layers[i].digest },
    .progress_fn = u->o->progress, .progress_data = u->o->progress_data,
  };
  int r = fd < 0 ? cell_error_errno (err, "cache: open '%s/tmp/%s'", u->cache, tmp) : img_layer_extract (&job, err);
  _cleanup_close_ int shadir = openat (u->cachefd, "sha256", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (r == 0 && shadir < 0)
    r = cell_error_errno (err, "cache '%s/sha256'", u->cache);
  if (r == 0 && renameat2 (tmpdir, tmp, shadir, name, RENAME_NOREPLACE) == 0)
    return 0;
  if (r == 0 && errno != EEXIST && errno != ENOTEMPTY)
    r = cell_error_errno (err, "cache: rename into '%s/sha256/%s'", u->cache, name);
  img_remove_tree_at (tmpdir, tmp, NULL);
  return r;
}

static int
extract_cached (struct unpack *u, cell_error_t *err)
{
  if (open_cache (u, err) < 0)
    return -1;
  size_t n = u->image.n_layers;
  int *lowers = xcalloc (n + 1, sizeof (int)); /* top-most first: lowers[n - 1 - k] is layer k */
  int r = 0;
  for (size_t i = 0; r == 0 && i < n; i++)
    {
      _cleanup_free_ char *chain = chain_id (u, i);
      const char *name = chain + strlen ("sha256:");
      _cleanup_free_ char *rel = xasprintf ("sha256/%s", name);
      struct stat st;
      if (fstatat (u->cachefd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (st.st_mode))
        progress_cached (u, i);
      else
        r = cache_add (u, i, name, lowers + (n - i), err);
      lowers[n - 1 - i] = r < 0 ? -1 : openat (u->cachefd, rel, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (r == 0 && lowers[n - 1 - i] < 0)
        r = cell_error_errno (err, "cache: open '%s/%s'", u->cache, rel);
      u->layer_dirs = cell_strv_push (u->layer_dirs, xasprintf ("%s/%s", u->cache, rel));
    }
  for (size_t i = 0; i < n; i++)
    if (lowers[i] > 0)
      close (lowers[i]);
  free (lowers);
  if (r < 0)
    return -1;
  if (mkdirat (u->tmpfd, "upper", 0755) < 0 || mkdirat (u->tmpfd, "work", 0700) < 0)
    return cell_error_errno (err, "mkdir '%s/upper'", u->tmp);
  return 0;
}

/* /etc/passwd or /etc/group of the image: from rootfs/, or from the top-most cached layer that has it. */
static char *
read_etc (struct unpack *u, const char *name)
{
  _cleanup_free_ char *rel = xasprintf ("etc/%s", name);
  size_t n = u->layer_dirs ? cell_strv_length (u->layer_dirs) : 0;
  for (size_t i = n ? n : 1; i > 0; i--)
    {
      _cleanup_close_ int root = n ? open (u->layer_dirs[i - 1], O_PATH | O_DIRECTORY | O_CLOEXEC)
                                   : openat (u->tmpfd, "rootfs", O_PATH | O_DIRECTORY | O_CLOEXEC);
      _cleanup_close_ int fd = root < 0 ? -1 : cell_open_in_root (root, rel, O_PATH, 0, NULL);
      struct stat st;
      if (fd < 0 || fstat (fd, &st) < 0)
        continue;
      if (!S_ISREG (st.st_mode))
        return NULL; /* a whiteout, or something odd: no file */
      char *text = NULL;
      size_t len;
      _cleanup_close_ int rd = cell_open_in_root (root, rel, O_RDONLY, 0, NULL);
      if (rd >= 0 && cell_read_all (rd, ETC_MAX, &text, &len, NULL) == 0)
        return text;
      return NULL;
    }
  return NULL;
}

static int
write_config (struct unpack *u, cell_error_t *err)
{
  _cleanup_free_ char *passwd = read_etc (u, "passwd"), *group = read_etc (u, "group");
  struct cell_json *ic = cell_json_parse (u->image.config_text, strlen (u->image.config_text), "image config", err);
  if (ic == NULL)
    return -1;
  const char *spec = cell_json_string (cell_json_get (cell_json_get (ic, "config"), "User"));
  struct img_user user;
  int r = img_user_resolve (spec, passwd, group, &user, err);
  cell_json_free (ic);
  if (r < 0)
    return -1;
  struct img_overlay ov = { .upperdir = "upper", .workdir = "work" };
  size_t n = cell_strv_length (u->layer_dirs);
  for (size_t i = n; i > 0; i--)
    {
      char *next = xasprintf ("%s%s%s", ov.lowerdir ? ov.lowerdir : "", ov.lowerdir ? ":" : "", u->layer_dirs[i - 1]);
      free (ov.lowerdir);
      ov.lowerdir = next;
    }
  _cleanup_free_ char *text = img_runtime_config (u->o->base_config, u->image.config_text, &user,
                                                  u->o->cache ? &ov : NULL, err);
  img_user_free (&user);
  free (ov.lowerdir);
  if (text == NULL)
    return -1;
  _cleanup_close_ int dirfd = openat (u->tmpfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  _cleanup_close_ int fd = dirfd < 0 ? -1
                                     : openat (dirfd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    return cell_error_errno (err, "create '%s/config.json'", u->tmp);
  return cell_write_all (fd, text, strlen (text), err);
}

/* Into place: BUNDLE must not exist, or be an empty directory (rename(2) replaces an empty directory). */
static int
publish (struct unpack *u, cell_error_t *err)
{
  if (renameat2 (u->parentfd, u->tmp, u->parentfd, u->base, RENAME_NOREPLACE) < 0
      && (errno != EEXIST || renameat (u->parentfd, u->tmp, u->parentfd, u->base) < 0))
    return cell_error_errno (err, "bundle '%s': rename into place", u->o->bundle);
  free (u->tmp);
  u->tmp = NULL;
  return 0;
}

static int
unpack (struct unpack *u, cell_error_t *err)
{
  const struct img_unpack_opts *o = u->o;
  if (o->rootless && o->cache)
    return cell_error (err, ENOTSUP, "--rootless with a layer cache: not supported");
  if (img_layout_open (o->layout, &u->layout, err) < 0)
    return -1;
  if (img_image_load (&u->layout, o->ref, &u->image, err) < 0)
    return -1;
  if (open_bundle_parent (u, err) < 0 || make_tmp (u, err) < 0)
    return -1;
  if ((o->cache ? extract_cached (u, err) : extract_plain (u, err)) < 0)
    return -1;
  if (write_config (u, err) < 0)
    return -1;
  return publish (u, err);
}

int
img_unpack (const struct img_unpack_opts *o, cell_error_t *err)
{
  struct unpack u = { .o = o, .layout = { .dirfd = -1 }, .parentfd = -1, .tmpfd = -1, .cachefd = -1 };
  srandom ((unsigned) getpid () ^ (unsigned) time (NULL));
  /* modes come from the layers; implicit parent directories get 0755 whatever the caller's umask */
  mode_t old = umask (022);
  int r = unpack (&u, err);
  umask (old);
  if (u.tmp)
    img_remove_tree_at (u.parentfd, u.tmp, NULL);
  img_image_free (&u.image);
  img_layout_close (&u.layout);
  cell_strv_free (u.layer_dirs);
  if (u.parentfd >= 0)
    close (u.parentfd);
  if (u.tmpfd >= 0)
    close (u.tmpfd);
  if (u.cachefd >= 0)
    close (u.cachefd);
  free (u.tmp);
  free (u.base);
  free (u.cache);
  return r;
}
