/* cell image/: digests. SHA-256 through OpenSSL's EVP interface (SHA-NI / AVX2 code paths when the CPU has
 * them); only sha256 digests are accepted, as the image-spec requires of registries. */
#include "internal.h"
#include "runtime/base/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
img_digest_parse (const char *digest, char hex[65], cell_error_t *err)
{
  if (digest == NULL)
    return cell_error (err, EINVAL, "digest: missing");
  const char *colon = strchr (digest, ':');
  if (colon == NULL || colon == digest)
    return cell_error (err, EINVAL, "digest '%s': expected ALGORITHM:HEX", digest);
  if ((size_t) (colon - digest) != 6 || strncmp (digest, "sha256", 6) != 0)
    return cell_error (err, ENOTSUP, "digest '%s': algorithm '%.*s' not supported", digest, (int) (colon - digest),
                       digest);
  const char *h = colon + 1;
  if (strlen (h) != 64 || strspn (h, "0123456789abcdef") != 64)
    return cell_error (err, EINVAL, "digest '%s': expected 64 lowercase hex digits", digest);
  memcpy (hex, h, 65);
  return 0;
}

void
img_sha256_init (struct img_sha256 *h)
{
  h->ctx = DL (EVP_MD_CTX_new) ();
  if (h->ctx == NULL || DL (EVP_DigestInit_ex) (h->ctx, DL (EVP_sha256) (), NULL) != 1)
    abort (); /* out of memory, as xmalloc */
}

void
img_sha256_update (struct img_sha256 *h, const void *buf, size_t len)
{
  if (len && DL (EVP_DigestUpdate) (h->ctx, buf, len) != 1)
    abort ();
}

void
img_sha256_final (struct img_sha256 *h, char hex[65])
{
  unsigned char md[32];
  unsigned int n = 0;
  if (DL (EVP_DigestFinal_ex) (h->ctx, md, &n) != 1 || n != 32)
    abort ();
  for (unsigned i = 0; i < 32; i++)
    {
      hex[2 * i] = "0123456789abcdef"[md[i] >> 4];
      hex[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
    }
  hex[64] = '\0';
  img_sha256_free (h);
}

void
img_sha256_free (struct img_sha256 *h)
{
  if (h->ctx)
    DL (EVP_MD_CTX_free) (h->ctx);
  h->ctx = NULL;
}
