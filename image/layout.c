/* cell image/: the OCI image layout: oci-layout, index.json, blobs; manifest selection by ref and platform;
 * the manifest and the image config, each read whole and verified (size and sha256). */
#include "internal.h"
#include "runtime/base/cleanup.h"
#include "runtime/base/fd.h"
#include "runtime/base/strv.h"
#include "runtime/base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define REF_NAME "org.opencontainers.image.ref.name"
#define MT_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define JSON_MAX (4 << 20)

void
img_split_ref (const char *arg, char **layout, char **ref)
{
  const char *colon = strrchr (arg, ':');
  if (colon == NULL || strchr (colon, '/') != NULL || colon == arg)
    {
      *layout = xstrdup (arg);
      *ref = NULL;
      return;
    }
  *layout = xstrndup (arg, (size_t) (colon - arg));
  *ref = colon[1] ? xstrdup (colon + 1) : NULL;
}

void
img_descriptor_free (struct img_descriptor *d)
{
  free (d->media_type);
  free (d->digest);
  d->media_type = d->digest = NULL;
}

int
img_descriptor_parse (const struct cell_json *v, const char *what, struct img_descriptor *d, cell_error_t *err)
{
  memset (d, 0, sizeof *d);
  if (cell_json_type (v) != CELL_JSON_OBJECT)
    return cell_error (err, EINVAL, "%s: expected object", what);
  const char *mt = cell_json_string (cell_json_get (v, "mediaType"));
  const char *dg = cell_json_string (cell_json_get (v, "digest"));
  if (mt == NULL)
    return cell_error (err, EINVAL, "%s.mediaType: expected string", what);
  if (dg == NULL)
    return cell_error (err, EINVAL, "%s.digest: expected string", what);
  if (!cell_json_uint64 (cell_json_get (v, "size"), &d->size))
    return cell_error (err, EINVAL, "%s.size: expected non-negative integer", what);
  if (img_digest_parse (dg, d->hex, err) < 0)
    return cell_error_prefix (err, "%s", what);
  d->media_type = xstrdup (mt);
  d->digest = xstrdup (dg);
  return 0;
}

int
img_layout_open (const char *path, struct img_layout *l, cell_error_t *err)
{
  l->path = NULL;
  l->dirfd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (l->dirfd < 0)
    return cell_error_errno (err, "open image layout '%s'", path);
  l->path = xstrdup (path);
  _cleanup_free_ char *text = NULL;
  size_t len;
  if (cell_read_file_at (l->dirfd, "oci-layout", 4096, &text, &len, err) < 0)
    return cell_error_prefix (err, "'%s' is not an OCI image layout", path);
  struct cell_json *j = cell_json_parse (text, len, "oci-layout", err);
  if (j == NULL)
    return cell_error_prefix (err, "%s", path);
  const char *v = cell_json_string (cell_json_get (j, "imageLayoutVersion"));
  int r = 0;
  if (v == NULL || strncmp (v, "1.", 2) != 0)
    r = cell_error (err, ENOTSUP, "%s/oci-layout: imageLayoutVersion '%s' not supported", path, v ? v : "(none)");
  cell_json_free (j);
  return r;
}

void
img_layout_close (struct img_layout *l)
{
  if (l->dirfd >= 0)
    close (l->dirfd);
  l->dirfd = -1;
  free (l->path);
  l->path = NULL;
}

int
img_blob_open (const struct img_layout *l, const struct img_descriptor *d, cell_error_t *err)
{
  _cleanup_free_ char *rel = xasprintf ("blobs/sha256/%s", d->hex);
  /* Inside the layout only: a blob path cannot leave it whatever symlinks the layout holds. */
  int fd = cell_open_in_root (l->dirfd, rel, O_RDONLY, 0, NULL);
  if (fd < 0 && errno == ENOENT)
    return cell_error (err, 0, "blob %s: missing from '%s'", d->digest, l->path);
  if (fd < 0)
    return cell_error_errno (err, "blob %s: open '%s/%s'", d->digest, l->path, rel);
  struct stat st;
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      return cell_error (err, EINVAL, "blob %s: not a regular file", d->digest);
    }
  if ((uint64_t) st.st_size != d->size)
    {
      close (fd);
      return cell_error (err, EINVAL, "blob %s: size %lld, the descriptor says %llu", d->digest,
                         (long long) st.st_size, (unsigned long long) d->size);
    }
  return fd;
}

char *
img_blob_read (const struct img_layout *l, const struct img_descriptor *d, size_t max, cell_error_t *err)
{
  if (d->size > max)
    return cell_error (err, EFBIG, "blob %s: %llu bytes is too large for a %s", d->digest,
                       (unsigned long long) d->size, d->media_type),
           NULL;
  _cleanup_close_ int fd = img_blob_open (l, d, err);
  if (fd < 0)
    return NULL;
  char *text = NULL;
  size_t len;
  if (cell_read_all (fd, max, &text, &len, err) < 0)
    return cell_error_prefix (err, "blob %s", d->digest), NULL;
  char hex[65];
  struct img_sha256 h;
  img_sha256_init (&h);
  img_sha256_update (&h, text, len);
  img_sha256_final (&h, hex);
  if (len != d->size || strcmp (hex, d->hex) != 0)
    {
      free (text);
      return cell_error (err, EINVAL, "blob %s: digest mismatch (content is sha256:%s)", d->digest, hex), NULL;
    }
  return text;
}

static const char *
host_arch (void)
{
  static const char *const map[][2] = {
    { "x86_64", "amd64" }, { "aarch64", "arm64" }, { "i686", "386" },         { "i386", "386" },
    { "armv7l", "arm" },   { "ppc64le", "ppc64le" }, { "s390x", "s390x" }, { "riscv64", "riscv64" },
  };
  static struct utsname u;
  if (uname (&u) < 0)
    return "amd64";
  for (size_t i = 0; i < ARRAY_SIZE (map); i++)
    if (strcmp (u.machine, map[i][0]) == 0)
      return map[i][1];
  return u.machine;
}

/* A descriptor's platform: true when it has none or it is linux on this machine's architecture. */
static bool
platform_matches (const struct cell_json *desc)
{
  const struct cell_json *p = cell_json_get (desc, "platform");
  if (p == NULL)
    return true;
  const char *os = cell_json_string (cell_json_get (p, "os"));
  const char *arch = cell_json_string (cell_json_get (p, "architecture"));
  return (os == NULL || strcmp (os, "linux") == 0) && (arch == NULL || strcmp (arch, host_arch ()) == 0);
}

static const char *
ref_name (const struct cell_json *desc)
{
  return cell_json_string (cell_json_get (cell_json_get (desc, "annotations"), REF_NAME));
}

static char *
ref_list (const struct cell_json *manifests)
{
  _cleanup_free_ char *out = xstrdup ("");
  for (size_t i = 0; i < cell_json_len (manifests); i++)
    {
      const char *name = ref_name (cell_json_at (manifests, i));
      char *next = xasprintf ("%s%s%s", out, *out ? ", " : "", name ? name : "(unnamed)");
      free (out);
      out = next;
    }
  return TAKE_PTR (out);
}

/* Pick the descriptor in manifests for ref (NULL: the only one, else "latest"), preferring this platform. */
static const struct cell_json *
pick (const struct cell_json *manifests, const char *ref, const char *where, cell_error_t *err)
{
  size_t n = cell_json_len (manifests);
  if (ref == NULL && n == 1)
    return cell_json_at (manifests, 0);
  const char *want = ref ? ref : "latest";
  const struct cell_json *found = NULL, *first = NULL;
  for (size_t i = 0; i < n; i++)
    {
      const struct cell_json *d = cell_json_at (manifests, i);
      const char *name = ref_name (d);
      if (name == NULL || strcmp (name, want) != 0)
        continue;
      if (first == NULL)
        first = d;
      if (found == NULL && platform_matches (d))
        found = d;
    }
  if (found)
    return found;
  _cleanup_free_ char *refs = ref_list (manifests);
  if (first)
    cell_error (err, 0, "ref '%s' in %s: no image for linux/%s", want, where, host_arch ());
  else if (ref)
    cell_error (err, 0, "ref '%s' not found in %s (refs: %s)", ref, where, n ? refs : "none");
  else
    cell_error (err, 0, "%s holds %zu images and none is 'latest': name one (refs: %s)", where, n, refs);
  return NULL;
}

/* In an image index blob: the manifest for this platform. */
static const struct cell_json *
pick_platform (const struct cell_json *manifests, const char *where, cell_error_t *err)
{
  for (size_t i = 0; i < cell_json_len (manifests); i++)
    if (platform_matches (cell_json_at (manifests, i)))
      return cell_json_at (manifests, i);
  cell_error (err, 0, "%s: no manifest for linux/%s", where, host_arch ());
  return NULL;
}

static bool
is_index (const char *mt)
{
  return strcmp (mt, MT_INDEX) == 0 || strcmp (mt, MT_DOCKER_LIST) == 0;
}

static bool
is_manifest (const char *mt)
{
  return strcmp (mt, MT_MANIFEST) == 0 || strcmp (mt, MT_DOCKER_MANIFEST) == 0;
}

static struct cell_json *
read_index (const struct img_layout *l, cell_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  size_t len;
  if (cell_read_file_at (l->dirfd, "index.json", JSON_MAX, &text, &len, err) < 0)
    return cell_error_prefix (err, "%s", l->path), NULL;
  _cleanup_free_ char *what = xasprintf ("%s/index.json", l->path);
  struct cell_json *j = cell_json_parse (text, len, what, err);
  if (j && cell_json_type (cell_json_get (j, "manifests")) != CELL_JSON_ARRAY)
    {
      cell_json_free (j);
      return cell_error (err, EINVAL, "%s: manifests: expected array", what), NULL;
    }
  return j;
}

/* Follow index -> (nested index ->) manifest descriptor; fills *d with the manifest's descriptor. */
static int
resolve_manifest (const struct img_layout *l, const char *ref, struct img_descriptor *d, cell_error_t *err)
{
  struct cell_json *root = read_index (l, err);
  if (root == NULL)
    return -1;
  _cleanup_free_ char *where = xasprintf ("%s/index.json", l->path);
  const struct cell_json *desc = pick (cell_json_get (root, "manifests"), ref, where, err);
  int r = desc ? img_descriptor_parse (desc, where, d, err) : -1;
  cell_json_free (root);
  for (int depth = 0; r == 0 && is_index (d->media_type); depth++)
    {
      if (depth == 4)
        return cell_error (err, ELOOP, "blob %s: image indexes nested too deep", d->digest);
      _cleanup_free_ char *text = img_blob_read (l, d, JSON_MAX, err);
      _cleanup_free_ char *what = xasprintf ("index blob %s", d->digest);
      struct cell_json *j = text ? cell_json_parse (text, strlen (text), what, err) : NULL;
      if (j == NULL)
        return -1;
      desc = pick_platform (cell_json_get (j, "manifests"), what, err);
      img_descriptor_free (d);
      r = desc ? img_descriptor_parse (desc, what, d, err) : -1;
      cell_json_free (j);
    }
  if (r == 0 && !is_manifest (d->media_type))
    r = cell_error (err, EINVAL, "blob %s: unknown media type '%s'", d->digest, d->media_type);
  return r;
}

static bool
known_layer_type (const char *mt)
{
  static const char *const known[] = {
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
  };
  for (size_t i = 0; i < ARRAY_SIZE (known); i++)
    if (strcmp (mt, known[i]) == 0)
      return true;
  return false;
}

static int
parse_layers (const struct cell_json *m, struct img_image *im, cell_error_t *err)
{
  const struct cell_json *layers = cell_json_get (m, "layers");
  if (cell_json_type (layers) != CELL_JSON_ARRAY)
    return cell_error (err, EINVAL, "manifest %s: layers: expected array", im->manifest.digest);
  im->n_layers = cell_json_len (layers);
  im->layers = xcalloc (im->n_layers + 1, sizeof *im->layers);
  for (size_t i = 0; i < im->n_layers; i++)
    {
      _cleanup_free_ char *what = xasprintf ("manifest %s: layers[%zu]", im->manifest.digest, i);
      if (img_descriptor_parse (cell_json_at (layers, i), what, &im->layers[i], err) < 0)
        return -1;
      if (!known_layer_type (im->layers[i].media_type))
        return cell_error (err, EINVAL, "layer %s: unknown media type '%s'", im->layers[i].digest,
                           im->layers[i].media_type);
    }
  return 0;
}

static int
parse_diff_ids (const struct cell_json *c, struct img_image *im, cell_error_t *err)
{
  const struct cell_json *ids = cell_json_get (cell_json_get (c, "rootfs"), "diff_ids");
  if (cell_json_type (ids) != CELL_JSON_ARRAY)
    return cell_error (err, EINVAL, "config %s: rootfs.diff_ids: expected array", im->config.digest);
  if (cell_json_len (ids) != im->n_layers)
    return cell_error (err, EINVAL, "config %s: %zu diff_ids for %zu layers", im->config.digest,
                       cell_json_len (ids), im->n_layers);
  im->diff_ids = xcalloc (im->n_layers + 1, sizeof (char *));
  for (size_t i = 0; i < im->n_layers; i++)
    {
      const char *s = cell_json_string (cell_json_at (ids, i));
      char hex[65];
      if (img_digest_parse (s, hex, err) < 0)
        return cell_error_prefix (err, "config %s: rootfs.diff_ids[%zu]", im->config.digest, i);
      im->diff_ids[i] = xstrdup (s);
    }
  return 0;
}

static int
load_manifest (const struct img_layout *l, struct img_image *im, cell_error_t *err)
{
  _cleanup_free_ char *text = img_blob_read (l, &im->manifest, JSON_MAX, err);
  _cleanup_free_ char *what = xasprintf ("manifest %s", im->manifest.digest);
  struct cell_json *m = text ? cell_json_parse (text, strlen (text), what, err) : NULL;
  if (m == NULL)
    return -1;
  int r = img_descriptor_parse (cell_json_get (m, "config"), "config", &im->config, err);
  if (r < 0)
    cell_error_prefix (err, "%s", what);
  else if (strcmp (im->config.media_type, MT_CONFIG) != 0 && strcmp (im->config.media_type, MT_DOCKER_CONFIG) != 0)
    r = cell_error (err, EINVAL, "blob %s: unknown media type '%s'", im->config.digest, im->config.media_type);
  else
    r = parse_layers (m, im, err);
  cell_json_free (m);
  return r;
}

static int
load_config (const struct img_layout *l, struct img_image *im, cell_error_t *err)
{
  im->config_text = img_blob_read (l, &im->config, JSON_MAX, err);
  _cleanup_free_ char *what = xasprintf ("config %s", im->config.digest);
  struct cell_json *c = im->config_text ? cell_json_parse (im->config_text, strlen (im->config_text), what, err)
                                        : NULL;
  if (c == NULL)
    return -1;
  int r = parse_diff_ids (c, im, err);
  cell_json_free (c);
  return r;
}

int
img_image_load (const struct img_layout *l, const char *ref, struct img_image *im, cell_error_t *err)
{
  memset (im, 0, sizeof *im);
  if (img_dl_load (err) < 0)
    return -1;
  if (resolve_manifest (l, ref, &im->manifest, err) < 0)
    return -1;
  if (load_manifest (l, im, err) < 0)
    return -1;
  return load_config (l, im, err);
}

void
img_image_free (struct img_image *im)
{
  img_descriptor_free (&im->manifest);
  img_descriptor_free (&im->config);
  for (size_t i = 0; im->layers && i < im->n_layers; i++)
    img_descriptor_free (&im->layers[i]);
  free (im->layers);
  cell_strv_free (im->diff_ids);
  free (im->config_text);
  memset (im, 0, sizeof *im);
}

static char *
platform_string (const struct cell_json *desc)
{
  const struct cell_json *p = cell_json_get (desc, "platform");
  const char *os = cell_json_string (cell_json_get (p, "os"));
  const char *arch = cell_json_string (cell_json_get (p, "architecture"));
  if (p == NULL || os == NULL || arch == NULL)
    return NULL;
  return xasprintf ("%s/%s", os, arch);
}

int
img_list (const char *layout, struct img_ref **refs, size_t *n, cell_error_t *err)
{
  struct img_layout l = { .dirfd = -1 };
  *refs = NULL;
  *n = 0;
  if (img_layout_open (layout, &l, err) < 0)
    return img_layout_close (&l), -1;
  struct cell_json *root = read_index (&l, err);
  img_layout_close (&l);
  if (root == NULL)
    return -1;
  const struct cell_json *m = cell_json_get (root, "manifests");
  *refs = xcalloc (cell_json_len (m) + 1, sizeof **refs);
  for (size_t i = 0; i < cell_json_len (m); i++)
    {
      const struct cell_json *d = cell_json_at (m, i);
      struct img_ref *r = &(*refs)[(*n)++];
      const char *name = ref_name (d);
      r->name = name ? xstrdup (name) : NULL;
      r->digest = xstrdup (cell_json_string (cell_json_get (d, "digest")) ?: "");
      r->media_type = xstrdup (cell_json_string (cell_json_get (d, "mediaType")) ?: "");
      cell_json_uint64 (cell_json_get (d, "size"), &r->size);
      r->platform = platform_string (d);
    }
  cell_json_free (root);
  return 0;
}

void
img_refs_free (struct img_ref *refs, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (refs[i].name);
      free (refs[i].digest);
      free (refs[i].media_type);
      free (refs[i].platform);
    }
  free (refs);
}

char *
img_inspect (const char *layout, const char *ref, cell_error_t *err)
{
  struct img_layout l = { .dirfd = -1 };
  struct img_image im;
  char *out = NULL;
  memset (&im, 0, sizeof im);
  if (img_layout_open (layout, &l, err) == 0 && img_image_load (&l, ref, &im, err) == 0)
    out = TAKE_PTR (im.config_text);
  img_image_free (&im);
  img_layout_close (&l);
  return out;
}
