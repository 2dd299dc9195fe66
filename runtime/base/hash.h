/* cell: a string hash (64-bit FNV-1a): for hash tables and cache file names, not for security. */
#ifndef CELL_BASE_HASH_H
#define CELL_BASE_HASH_H

#include <stdint.h>

static inline uint64_t
cell_hash_str (const char *s)
{
  uint64_t h = 0xcbf29ce484222325ULL;
  for (; *s; s++)
    h = (h ^ (unsigned char) *s) * 0x100000001b3ULL;
  return h;
}

#endif
