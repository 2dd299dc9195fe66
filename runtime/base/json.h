/* cell: JSON, behind one interface (yajl is used here and nowhere else).
 *
 * Reading: cell_json_parse() returns a tree of `const struct cell_json *` nodes owned by the root; free the
 * root with cell_json_free(). Accessors return NULL/0 on a type mismatch, so callers check the type first.
 * Writing: struct cell_jsonw builds a document; cell_jsonw_finish() returns the text (caller frees). */
#ifndef CELL_BASE_JSON_H
#define CELL_BASE_JSON_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cell_json; /* a yajl_val in disguise */

enum cell_json_type
{
  CELL_JSON_NULL,
  CELL_JSON_BOOL,
  CELL_JSON_NUMBER,
  CELL_JSON_STRING,
  CELL_JSON_OBJECT,
  CELL_JSON_ARRAY,
};

/* Parse text (len bytes, need not be NUL-terminated). what names the document in errors
 * ("config.json: invalid JSON: ..."). */
struct cell_json *cell_json_parse (const char *text, size_t len, const char *what, cell_error_t *err);
void cell_json_free (struct cell_json *root);

enum cell_json_type cell_json_type (const struct cell_json *v);
const char *cell_json_type_name (const struct cell_json *v); /* "string", "integer", "number", ... */
const char *cell_json_string (const struct cell_json *v);     /* NULL unless a string */
bool cell_json_bool (const struct cell_json *v);
/* Numbers: true only when v is an integer that fits. */
bool cell_json_is_integer (const struct cell_json *v);
bool cell_json_int64 (const struct cell_json *v, int64_t *out);
bool cell_json_uint64 (const struct cell_json *v, uint64_t *out);
bool cell_json_double (const struct cell_json *v, double *out);
size_t cell_json_len (const struct cell_json *v); /* object members or array elements */
const struct cell_json *cell_json_at (const struct cell_json *v, size_t i); /* array element / member value */
const char *cell_json_key_at (const struct cell_json *v, size_t i);         /* object member key */
const struct cell_json *cell_json_get (const struct cell_json *obj, const char *key); /* NULL if absent */

/* Writer. */
struct cell_jsonw;
struct cell_jsonw *cell_jsonw_new (bool pretty);
void cell_jsonw_free (struct cell_jsonw *w);
void cell_jsonw_object_open (struct cell_jsonw *w);
void cell_jsonw_object_close (struct cell_jsonw *w);
void cell_jsonw_array_open (struct cell_jsonw *w);
void cell_jsonw_array_close (struct cell_jsonw *w);
void cell_jsonw_key (struct cell_jsonw *w, const char *key);
void cell_jsonw_string (struct cell_jsonw *w, const char *s); /* NULL writes null */
void cell_jsonw_int (struct cell_jsonw *w, int64_t v);
void cell_jsonw_uint (struct cell_jsonw *w, uint64_t v);
void cell_jsonw_double (struct cell_jsonw *w, double v);
void cell_jsonw_bool (struct cell_jsonw *w, bool v);
void cell_jsonw_null (struct cell_jsonw *w);
/* Copy a parsed value into the output. */
void cell_jsonw_value (struct cell_jsonw *w, const struct cell_json *v);
/* Convenience: key + value. */
void cell_jsonw_kv_string (struct cell_jsonw *w, const char *key, const char *s);
void cell_jsonw_kv_int (struct cell_jsonw *w, const char *key, int64_t v);
void cell_jsonw_kv_bool (struct cell_jsonw *w, const char *key, bool v);
void cell_jsonw_kv_strv (struct cell_jsonw *w, const char *key, char *const *v);
/* Returns the document, NUL-terminated (caller frees); *len may be NULL. Frees w. */
char *cell_jsonw_finish (struct cell_jsonw *w, size_t *len);

#endif
