/* cell: quantities. Kubernetes' for the annotations (decimal k/M/G/T/P/E, binary Ki..Ei, CPU in m), systemd's
 * for the policy file (K/M/G/T binary, and %). Integer arithmetic on 128 bits: no rounding surprises. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A decimal number "12", "1.5", ".25": integer part, fraction digits and their count. Returns the end. */
static const char *
parse_decimal (const char *s, unsigned __int128 *ip, unsigned __int128 *frac, int *nfrac)
{
  const char *p = s;
  *ip = 0;
  *frac = 0;
  *nfrac = 0;
  bool digits = false;
  for (; *p >= '0' && *p <= '9'; p++, digits = true)
    {
      *ip = *ip * 10 + (unsigned) (*p - '0');
      if (*ip > (unsigned __int128) INT64_MAX)
        return NULL;
    }
  if (*p == '.')
    for (p++; *p >= '0' && *p <= '9'; p++, digits = true)
      if (*nfrac < 18)
        {
          *frac = *frac * 10 + (unsigned) (*p - '0');
          (*nfrac)++;
        }
  return digits ? p : NULL;
}

/* ceil((ip + frac/10^nfrac) * mult / div), or -1 when it does not fit in int64. */
static int64_t
scale_up (unsigned __int128 ip, unsigned __int128 frac, int nfrac, unsigned __int128 mult, unsigned __int128 div)
{
  unsigned __int128 pow10 = 1;
  for (int i = 0; i < nfrac; i++)
    pow10 *= 10;
  /* (ip * pow10 + frac) * mult / (pow10 * div), rounded up; ip <= 2^63, pow10 <= 10^18, mult <= 2^60:
   * the product can pass 2^128 only for absurd inputs, which the int64 check below refuses anyway. */
  unsigned __int128 num = ip * pow10 + frac;
  if (mult && num > ((unsigned __int128) -1) / mult)
    return -1;
  num *= mult;
  unsigned __int128 den = pow10 * div;
  unsigned __int128 v = (num + den - 1) / den;
  return v > (unsigned __int128) INT64_MAX ? -1 : (int64_t) v;
}

int
oc_parse_cpu (const char *s, int64_t *millicores, cell_error_t *err)
{
  unsigned __int128 ip, frac;
  int nfrac;
  const char *end = s ? parse_decimal (s, &ip, &frac, &nfrac) : NULL;
  if (end == NULL || (*end && strcmp (end, "m") != 0))
    return cell_error (err, 0, "invalid CPU quantity '%s' (expected e.g. 500m, 2 or 0.5)", s ? s : "");
  int64_t v = scale_up (ip, frac, nfrac, *end == 'm' ? 1 : 1000, 1);
  if (v < 0)
    return cell_error (err, 0, "CPU quantity '%s' is too large", s);
  *millicores = v;
  return 0;
}

struct suffix
{
  const char *name;
  unsigned __int128 mult;
};

static const struct suffix k8s_suffixes[] = {
  { "", 1 },
  { "k", 1000ULL },
  { "M", 1000ULL * 1000 },
  { "G", 1000ULL * 1000 * 1000 },
  { "T", 1000ULL * 1000 * 1000 * 1000 },
  { "P", 1000ULL * 1000 * 1000 * 1000 * 1000 },
  { "E", 1000ULL * 1000 * 1000 * 1000 * 1000 * 1000 },
  { "Ki", 1ULL << 10 },
  { "Mi", 1ULL << 20 },
  { "Gi", 1ULL << 30 },
  { "Ti", 1ULL << 40 },
  { "Pi", 1ULL << 50 },
  { "Ei", 1ULL << 60 },
};

int
oc_parse_memory (const char *s, int64_t *bytes, cell_error_t *err)
{
  unsigned __int128 ip, frac;
  int nfrac;
  const char *end = s ? parse_decimal (s, &ip, &frac, &nfrac) : NULL;
  for (size_t i = 0; end && i < ARRAY_SIZE (k8s_suffixes); i++)
    if (strcmp (end, k8s_suffixes[i].name) == 0)
      {
        int64_t v = scale_up (ip, frac, nfrac, k8s_suffixes[i].mult, 1);
        if (v < 0)
          return cell_error (err, 0, "memory quantity '%s' is too large", s);
        *bytes = v;
        return 0;
      }
  return cell_error (err, 0, "invalid memory quantity '%s' (expected e.g. 512Mi, 1G or 1073741824)",
                     s ? s : "");
}

int
oc_parse_size (const char *s, struct oc_size *out, bool allow_percent, cell_error_t *err)
{
  static const struct suffix sizes[] = {
    { "", 1 }, { "K", 1ULL << 10 }, { "M", 1ULL << 20 }, { "G", 1ULL << 30 }, { "T", 1ULL << 40 },
  };
  unsigned __int128 ip, frac;
  int nfrac;
  const char *end = parse_decimal (s, &ip, &frac, &nfrac);
  if (end && allow_percent && strcmp (end, "%") == 0)
    {
      double v = (double) ip;
      double scale = 1;
      for (int i = 0; i < nfrac; i++)
        scale *= 10;
      v += (double) frac / scale;
      if (v > 100)
        return cell_error (err, 0, "'%s' is more than 100%%", s);
      *out = (struct oc_size){ .percent = true, .value = v };
      return 0;
    }
  for (size_t i = 0; end && i < ARRAY_SIZE (sizes); i++)
    if (strcmp (end, sizes[i].name) == 0)
      {
        int64_t v = scale_up (ip, frac, nfrac, sizes[i].mult, 1);
        if (v < 0)
          return cell_error (err, 0, "size '%s' is too large", s);
        *out = (struct oc_size){ .percent = false, .value = (double) v };
        return 0;
      }
  return cell_error (err, 0, "invalid size '%s' (expected e.g. 1G, 512M, 1048576%s)", s,
                     allow_percent ? " or 2%" : "");
}

char *
oc_fmt_bytes (char *buf, size_t size, double bytes)
{
  static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
  size_t u = 0;
  double v = bytes < 0 ? -bytes : bytes;
  while (v >= 1024 && u + 1 < ARRAY_SIZE (units))
    v /= 1024, u++;
  if (u == 0)
    snprintf (buf, size, "%s%.0fB", bytes < 0 ? "-" : "", v);
  else
    snprintf (buf, size, "%s%.1f%s", bytes < 0 ? "-" : "", v, units[u]);
  return buf;
}

char *
oc_fmt_cpu (char *buf, size_t size, double millicores)
{
  snprintf (buf, size, "%.0fm", millicores);
  return buf;
}

int64_t
oc_size_bytes (const struct oc_size *s, int64_t total)
{
  return s->percent ? (int64_t) ((double) total * s->value / 100.0) : (int64_t) s->value;
}
