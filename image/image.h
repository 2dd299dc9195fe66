/* cell: OCI image layout -> runtime bundle.
 *
 * img_unpack() reads an OCI image layout (oci-layout, index.json, blobs/sha256), picks one manifest (by the
 * org.opencontainers.image.ref.name annotation, or the only one, or "latest"; an image index is resolved for
 * this platform), verifies the size and sha256 of every blob it reads and each layer's diffID, extracts the
 * layers in order and writes BUNDLE/config.json from the image config. Everything is built in a temporary
 * directory next to BUNDLE that is renamed into place only when complete: a failure leaves nothing.
 *
 * With a cache directory, each layer is extracted once into CACHE/sha256/<diffID> (whiteouts in overlayfs
 * form) and the bundle gets an empty rootfs/, an upper/ and a work/ directory plus annotations that make
 * `cell create` mount an overlayfs from the cached layers inside the container's mount namespace:
 *   io.cell.overlay.lowerdir  CACHE/sha256/<top>:...:CACHE/sha256/<bottom>  (absolute, top-most first)
 *   io.cell.overlay.upperdir  upper   (relative to the bundle, or absolute)
 *   io.cell.overlay.workdir   work
 *
 * libarchive and libcrypto are loaded with dlopen() the first time they are needed, so that `cell run` and
 * `cell create` do not pay the dynamic loader for them. Errors follow runtime/base/error.h; nothing prints. */
#ifndef CELL_IMAGE_H
#define CELL_IMAGE_H

#include "runtime/base/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Progress of one layer: called every few MiB and once with done == true. */
struct img_progress
{
  size_t index, count;  /* layer index (0-based) and number of layers */
  const char *digest;   /* "sha256:..." of the layer blob */
  uint64_t bytes;       /* compressed bytes read so far */
  uint64_t total;       /* blob size */
  double seconds;       /* since the layer started */
  bool cached;          /* found in the cache: nothing read */
  bool done;
};
typedef void (*img_progress_fn) (const struct img_progress *p, void *data);

struct img_unpack_opts
{
  const char *layout;      /* image layout directory */
  const char *ref;         /* NULL: the only manifest, else "latest" */
  const char *bundle;      /* must not exist, or be an empty directory */
  const char *cache;       /* NULL: a plain rootfs; else the layer cache directory (made if missing) */
  const char *base_config; /* config.json text to start from (`cell spec`, rootless or not) */
  bool rootless;           /* owners are not restored (files belong to the caller), as umoci --rootless */
  img_progress_fn progress;
  void *progress_data;
};

int img_unpack (const struct img_unpack_opts *o, cell_error_t *err);

/* One manifest named in index.json (or reached through a nested index). */
struct img_ref
{
  char *name;       /* ref.name annotation, or NULL */
  char *digest;     /* "sha256:..." */
  char *media_type;
  uint64_t size;
  char *platform;   /* "linux/amd64" when the descriptor says, else NULL */
};

/* The descriptors of index.json. *refs is an array of *n; free with img_refs_free(). */
int img_list (const char *layout, struct img_ref **refs, size_t *n, cell_error_t *err);
void img_refs_free (struct img_ref *refs, size_t n);
/* The verified image config blob of LAYOUT:REF, as stored (JSON text, NUL-terminated; caller frees). */
char *img_inspect (const char *layout, const char *ref, cell_error_t *err);

/* ---- pure helpers (unit-tested) ---- */

/* "LAYOUT[:REF]": REF is what follows the last ':' when that part has no '/'. Both results are owned. */
void img_split_ref (const char *arg, char **layout, char **ref);
/* "sha256:<64 lowercase hex>" -> hex (65 bytes with the NUL). Other algorithms: "not supported". */
int img_digest_parse (const char *digest, char hex[65], cell_error_t *err);

enum img_whiteout
{
  IMG_WH_NONE,
  IMG_WH_FILE,   /* dir/.wh.NAME: *target = "dir/NAME" */
  IMG_WH_OPAQUE, /* dir/.wh..wh..opq: *target = "dir" ("" for the root) */
  IMG_WH_META,   /* other dir/.wh..wh.* (aufs metadata): skipped */
};
/* path is a normalised entry path (no leading "./" or "/"). *target is owned (NULL for NONE and META). */
enum img_whiteout img_whiteout_parse (const char *path, char **target);

/* Normalise a tar entry name: strip "./" and trailing "/", collapse "//"; "" for the root. Returns NULL (the
 * entry is refused) for an absolute path or a ".." component. Owned. */
char *img_entry_normalize (const char *name);

/* User resolution for process.user, from the rootfs' /etc/passwd and /etc/group text (either may be NULL).
 * spec is the image config's User: "", "name", "uid", "name:group", "uid:gid", ... */
struct img_user
{
  uint32_t uid, gid;
  uint32_t *additional_gids;
  size_t n_additional_gids;
  char *home; /* from passwd, or NULL */
};
int img_user_resolve (const char *spec, const char *passwd, const char *group, struct img_user *u,
                      cell_error_t *err);
void img_user_free (struct img_user *u);

/* Overlay settings for the generated config (cache mode). */
struct img_overlay
{
  char *lowerdir; /* colon-separated, top-most first */
  const char *upperdir, *workdir;
};

/* config.json text from base (a runtime config) and the image config JSON text: args = Entrypoint + Cmd, Env
 * (HOME added from passwd when missing), WorkingDir, user u, Labels and a few image fields as annotations,
 * root.path "rootfs", terminal false, and the overlay annotations when ov is not NULL. Caller frees. */
char *img_runtime_config (const char *base, const char *image_config, const struct img_user *u,
                          const struct img_overlay *ov, cell_error_t *err);

#endif
