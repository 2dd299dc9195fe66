/* cell image/: what the files of the module share. libarchive and libcrypto are reached only through the
 * function table `img_dl`, filled by img_dl_load() (dl.c), so that nothing else in cell links them. */
#ifndef CELL_IMAGE_INTERNAL_H
#define CELL_IMAGE_INTERNAL_H

#include "image.h"
#include "runtime/base/json.h"

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define IMG_ARCHIVE_SYMBOLS(X)                                                                                    \
  X (archive_read_new)                                                                                            \
  X (archive_read_free)                                                                                           \
  X (archive_read_support_filter_gzip)                                                                            \
  X (archive_read_support_filter_zstd)                                                                            \
  X (archive_read_support_format_raw)                                                                             \
  X (archive_read_support_format_tar)                                                                             \
  X (archive_read_open)                                                                                           \
  X (archive_read_next_header)                                                                                    \
  X (archive_read_data)                                                                                           \
  X (archive_read_data_block)                                                                                     \
  X (archive_error_string)                                                                                        \
  X (archive_errno)                                                                                               \
  X (archive_write_disk_new)                                                                                      \
  X (archive_write_disk_set_options)                                                                              \
  X (archive_write_header)                                                                                        \
  X (archive_write_data_block)                                                                                    \
  X (archive_write_finish_entry)                                                                                  \
  X (archive_write_close)                                                                                         \
  X (archive_write_free)                                                                                          \
  X (archive_entry_pathname)                                                                                      \
  X (archive_entry_set_pathname)                                                                                  \
  X (archive_entry_hardlink)                                                                                      \
  X (archive_entry_set_hardlink)                                                                                  \
  X (archive_entry_filetype)                                                                                      \
  X (archive_entry_set_filetype)                                                                                  \
  X (archive_entry_perm)                                                                                          \
  X (archive_entry_uid)                                                                                           \
  X (archive_entry_gid)                                                                                           \
  X (archive_entry_set_uid)                                                                                       \
  X (archive_entry_set_gid)                                                                                       \
  X (archive_entry_set_size)                                                                                      \
  X (archive_entry_mtime)                                                                                         \
  X (archive_entry_xattr_reset)                                                                                   \
  X (archive_entry_xattr_next)                                                                                    \
  X (archive_entry_xattr_clear)                                                                                   \
  X (archive_entry_xattr_add_entry)

#define IMG_CRYPTO_SYMBOLS(X)                                                                                     \
  X (EVP_MD_CTX_new)                                                                                              \
  X (EVP_MD_CTX_free)                                                                                             \
  X (EVP_DigestInit_ex)                                                                                           \
  X (EVP_DigestUpdate)                                                                                            \
  X (EVP_DigestFinal_ex)                                                                                          \
  X (EVP_sha256)

#define IMG_DL_MEMBER(name) __typeof__ (name) *name;
struct img_dl
{
  IMG_ARCHIVE_SYMBOLS (IMG_DL_MEMBER)
  IMG_CRYPTO_SYMBOLS (IMG_DL_MEMBER)
};
#undef IMG_DL_MEMBER
extern struct img_dl img_dl;
#define DL(fn) (img_dl.fn)

/* dl.c: dlopen libarchive.so.13 and libcrypto.so.3 once; errors name the library. */
int img_dl_load (cell_error_t *err);

/* digest.c: streaming sha256 */
struct img_sha256
{
  EVP_MD_CTX *ctx;
};
void img_sha256_init (struct img_sha256 *h);
void img_sha256_update (struct img_sha256 *h, const void *buf, size_t len);
/* hex: 65 bytes; frees the context. */
void img_sha256_final (struct img_sha256 *h, char hex[65]);
void img_sha256_free (struct img_sha256 *h);

/* layout.c */
struct img_descriptor
{
  char *media_type;
  char *digest; /* "sha256:..." */
  char hex[65];
  uint64_t size;
};
void img_descriptor_free (struct img_descriptor *d);
/* Parse a descriptor object; what names it in errors ("manifest layers[2]"). */
int img_descriptor_parse (const struct cell_json *v, const char *what, struct img_descriptor *d,
                          cell_error_t *err);

struct img_layout
{
  int dirfd;    /* O_PATH of the layout directory */
  char *path;
};
int img_layout_open (const char *path, struct img_layout *l, cell_error_t *err);
void img_layout_close (struct img_layout *l);
/* Open the blob of d (O_RDONLY); errors name the blob ("blob sha256:...: missing"). */
int img_blob_open (const struct img_layout *l, const struct img_descriptor *d, cell_error_t *err);
/* Read a small blob whole, checking size and digest. */
char *img_blob_read (const struct img_layout *l, const struct img_descriptor *d, size_t max, cell_error_t *err);

struct img_image
{
  struct img_descriptor manifest, config;
  struct img_descriptor *layers;
  size_t n_layers;
  char **diff_ids; /* "sha256:..." per layer, from the config */
  char *config_text;
};
/* Select the manifest for ref (NULL: the only one, else "latest") and load manifest and config. */
int img_image_load (const struct img_layout *l, const char *ref, struct img_image *im, cell_error_t *err);
void img_image_free (struct img_image *im);

/* extract.c */
enum img_layer_format
{
  IMG_LAYER_OVERLAY = 1 << 0,  /* whiteouts as overlayfs wants them (cache mode) */
  IMG_LAYER_ROOTLESS = 1 << 1, /* no chown, no device nodes (empty files), user.rootlesscontainers */
};
struct img_layer_job
{
  const struct img_layout *layout;
  const struct img_descriptor *blob;
  const char *diff_id; /* "sha256:..." expected of the uncompressed tar */
  int rootfd;          /* directory to extract into */
  const int *lowers;   /* overlay: the layers below, top-most first (metadata of implicit parents) */
  size_t n_lowers;
  unsigned flags;      /* enum img_layer_format */
  struct img_progress progress;
  img_progress_fn progress_fn;
  void *progress_data;
};
int img_layer_extract (struct img_layer_job *job, cell_error_t *err);

/* Remove name in dirfd and everything under it (no symlink followed). ENOENT is not an error. */
int img_remove_tree_at (int dirfd, const char *name, cell_error_t *err);

#endif
