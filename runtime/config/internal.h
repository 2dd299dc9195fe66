/* cell: what the config parser's files share (not a public interface): the table engine's types and macros
 * (config.c), the name helpers, and the section tables each parse-<section>.c exports to the document. Errors
 * follow base/error.h and name the JSON path. */
#ifndef CELL_RUNTIME_CONFIG_INTERNAL_H
#define CELL_RUNTIME_CONFIG_INTERNAL_H

#include "config.h"
#include "base/cleanup.h" /* ARRAY_SIZE */
#include "base/error.h"
#include "base/json.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fkind
{
  F_STRING,
  F_BOOL,
  F_STRV,   /* array of strings -> NULL-terminated strv (an empty array gives an empty, non-NULL strv) */
  F_INT,    /* integer in [min, max] stored in a `width`-byte (un)signed field */
  F_U64,    /* integer in 0..UINT64_MAX */
  F_U32V,   /* array of uint32 -> uint32_t *, count */
  F_OBJECT, /* nested object; sub-desc offsets are relative to base + off */
  F_ARRAY,  /* array of objects -> element array, count */
  F_MAP,    /* object of objects -> element array, count; the member name lands at key_off */
  F_STRMAP, /* object of strings -> struct cell_kv array, count */
  F_CUSTOM, /* parse() converts the value (enum names); must not allocate */
};

struct desc;
struct field
{
  const char *key;
  enum fkind kind;
  bool required;
  size_t off;
  size_t present; /* offset + 1 of a bool set when the member appears; 0: none */
  unsigned width;
  int64_t min, max;
  const struct desc *sub;
  size_t count_off, elsize, key_off;
  int (*parse) (const struct cell_json *v, const char *path, void *dst, cell_error_t *err);
};

struct desc
{
  const struct field *fields;
  size_t n;
  /* Rules past the table; obj is the filled struct, v its JSON object. */
  int (*check) (void *obj, const struct cell_json *v, const char *path, cell_error_t *err);
};

/* The engine (config.c). parse_document: text as a JSON object described by d into base (zeroed, sizeof the
 * struct); on failure base holds a partial result the caller frees with cfg_free_object(). */
int cfg_parse_document (const struct desc *d, const char *text, size_t len, const char *what, const char *path,
                        void *base, cell_error_t *err);
void cfg_free_object (const struct desc *d, char *base);
int cfg_type_error (const char *path, const char *want, const struct cell_json *v, cell_error_t *err);
bool cfg_is_type (const struct cell_json *v, enum cell_json_type t);

/* ---- table helpers: T names the struct a table describes ---- */

#define FIELD_(k, kind_, m, ...) { .key = (k), .kind = (kind_), .off = offsetof (T, m), __VA_ARGS__ }
#define P_(p) .present = offsetof (T, p) + 1
#define REQ_ .required = true
#define STR(k, m, ...) FIELD_ (k, F_STRING, m, __VA_ARGS__)
#define BOOL(k, m, ...) FIELD_ (k, F_BOOL, m, __VA_ARGS__)
#define STRV(k, m, ...) FIELD_ (k, F_STRV, m, __VA_ARGS__)
#define INT(k, m, lo, hi, ...)                                                                                    \
  FIELD_ (k, F_INT, m, .width = sizeof (((T *) 0)->m), .min = (lo), .max = (hi), __VA_ARGS__)
#define U16(k, m, ...) INT (k, m, 0, UINT16_MAX, __VA_ARGS__)
#define U32(k, m, ...) INT (k, m, 0, UINT32_MAX, __VA_ARGS__)
#define I32(k, m, ...) INT (k, m, INT32_MIN, INT32_MAX, __VA_ARGS__)
#define I64(k, m, ...) INT (k, m, INT64_MIN, INT64_MAX, __VA_ARGS__)
#define U64(k, m, ...) FIELD_ (k, F_U64, m, __VA_ARGS__)
#define U32V(k, m, cnt) FIELD_ (k, F_U32V, m, .count_off = offsetof (T, cnt))
#define OBJ(k, m, sub_, ...) FIELD_ (k, F_OBJECT, m, .sub = &(sub_), __VA_ARGS__)
/* A JSON object whose members live directly in T (consoleSize -> process.console_*). */
#define HERE(k, sub_, ...) { .key = (k), .kind = F_OBJECT, .off = 0, .sub = &(sub_), __VA_ARGS__ }
#define ARR(k, m, cnt, ET, sub_, ...)                                                                             \
  FIELD_ (k, F_ARRAY, m, .count_off = offsetof (T, cnt), .elsize = sizeof (ET), .sub = &(sub_), __VA_ARGS__)
#define MAP(k, m, cnt, ET, keym, sub_)                                                                            \
  FIELD_ (k, F_MAP, m, .count_off = offsetof (T, cnt), .elsize = sizeof (ET), .key_off = offsetof (ET, keym),    \
          .sub = &(sub_))
#define STRMAP(k, m, cnt) FIELD_ (k, F_STRMAP, m, .count_off = offsetof (T, cnt))
#define CUSTOM(k, m, fn, ...) FIELD_ (k, F_CUSTOM, m, .parse = (fn), __VA_ARGS__)
#define DESC(name, check_)                                                                                        \
  static const struct desc name = { name##_fields, ARRAY_SIZE (name##_fields), check_ }
/* A desc that other files of config/ use, as cfg_<name>. */
#define DESC_EXPORT(name, check_)                                                                                 \
  const struct desc cfg_##name = { name##_fields, ARRAY_SIZE (name##_fields), check_ }

/* ---- names (config.c) ---- */

struct name_value
{
  const char *name;
  int value;
};

#define NV(x) { #x, x }

const struct name_value *cfg_lookup (const struct name_value *t, size_t n, const char *name);
/* Every entry of strv `v` (member `key` of `path`) must be in list. */
int cfg_check_names (char *const *v, const char *const *list, size_t n, const char *path, const char *key,
                     const char *what, cell_error_t *err);
int cfg_check_absolute (const char *s, const char *path, const char *key, cell_error_t *err);
/* A string member that must name an entry of a name_value table; returns the entry. */
const struct name_value *cfg_check_enum (const char *s, const struct name_value *t, size_t n, const char *path,
                                         const char *key, const char *what, cell_error_t *err);
int cfg_check_string_in (const char *s, const char *const *list, size_t n, const char *path, const char *key,
                         const char *what, cell_error_t *err);

/* process.apparmorProfile, selinuxLabel, execCPUAffinity: "not supported" (config.c, for `exec -p` too). */
int cfg_check_process_supported (const struct cell_process *p, cell_error_t *err);

/* ---- the section tables ---- */

extern const struct desc cfg_process_desc;   /* parse-process.c */
extern const struct desc cfg_root_desc;      /* parse-root.c */
extern const struct desc cfg_idmap_desc;     /* parse-root.c (mounts, linux) */
extern const struct desc cfg_mount_desc;     /* parse-root.c */
extern const struct desc cfg_hooks_desc;     /* parse-hooks.c */
extern const struct desc cfg_resources_desc; /* parse-resources.c */
extern const struct desc cfg_seccomp_desc;   /* parse-seccomp.c */
extern const struct desc cfg_linux_desc;     /* parse-linux.c */

#endif
