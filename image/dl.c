/* cell image/: libarchive and libcrypto through dlopen().
 *
 * Linked normally, the two libraries and their dependencies (nettle, acl, lzma, zstd, lz4, bz2, z, xml2) add
 * ~2 ms of dynamic loading to every `cell` start (hyperfine -N `cell --version`: 0.8 ms -> 2.9 ms), which
 * `cell run` and `cell create` would pay for nothing. They are loaded here, the first time `cell image` needs
 * them, by soname; the prototypes come from the headers, so the table is type-checked. */
#include "internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>

struct img_dl img_dl;
static bool loaded;

static int
load_lib (const char *soname, void **handle, cell_error_t *err)
{
  *handle = dlopen (soname, RTLD_NOW | RTLD_LOCAL);
  if (*handle == NULL)
    return cell_error (err, ENOENT, "load '%s': %s", soname, dlerror ());
  return 0;
}

#define IMG_DL_RESOLVE(name)                                                                                      \
  if ((img_dl.name = (__typeof__ (name) *) dlsym (h, #name)) == NULL)                                              \
    return cell_error (err, ENOENT, "load '%s': no symbol %s", soname, #name);

static int
load_archive (cell_error_t *err)
{
  const char *soname = "libarchive.so.13";
  void *h;
  if (load_lib (soname, &h, err) < 0)
    return -1;
  IMG_ARCHIVE_SYMBOLS (IMG_DL_RESOLVE)
  return 0;
}

static int
load_crypto (cell_error_t *err)
{
  const char *soname = "libcrypto.so.3";
  void *h;
  if (load_lib (soname, &h, err) < 0)
    return -1;
  IMG_CRYPTO_SYMBOLS (IMG_DL_RESOLVE)
  return 0;
}

int
img_dl_load (cell_error_t *err)
{
  if (loaded)
    return 0;
  if (load_archive (err) < 0 || load_crypto (err) < 0)
    return -1;
  loaded = true;
  return 0;
}
