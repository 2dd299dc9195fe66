/* cell: JSON on yajl (yajl_tree to read, yajl_gen to write). Nothing else in cell includes yajl. */
#include "json.h"
#include "cleanup.h"
#include "xalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* yajl_tree_free() recurses once per nesting level; bound the depth so that a hostile document (a few MiB of
 * '[') cannot overflow the stack. Real configs nest less than 10 deep. */
#define MAX_DEPTH 512

static yajl_val
V (const struct cell_json *v)
{
  return (yajl_val) v;
}

/* Depth of the deepest container, strings skipped; stops counting once past MAX_DEPTH. */
static size_t
max_depth (const char *s, size_t len)
{
  size_t depth = 0, max = 0;
  bool in_string = false;
  for (size_t i = 0; i < len && max <= MAX_DEPTH; i++)
    {
      char c = s[i];
      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = false;
        }
      else if (c == '"')
        in_string = true;
      else if (c == '[' || c == '{')
        {
          if (++depth > max)
            max = depth;
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return max;
}

/* yajl's verbose message spans lines (message, excerpt, arrow): keep the first line, trimmed. */
static char *
first_line (const char *msg)
{
  size_t n = strcspn (msg, "\n");
  while (n > 0 && (msg[n - 1] == ' ' || msg[n - 1] == '\r' || msg[n - 1] == '.'))
    n--;
  return n ? xstrndup (msg, n) : xstrdup ("parse error");
}

struct cell_json *
cell_json_parse (const char *text, size_t len, const char *what, cell_error_t *err)
{
  if (memchr (text, '\0', len))
    return cell_error (err, 0, "%s: invalid JSON: NUL byte in document", what), NULL;
  if (max_depth (text, len) > MAX_DEPTH)
    return cell_error (err, 0, "%s: invalid JSON: nested deeper than %d levels", what, MAX_DEPTH), NULL;

  _cleanup_free_ char *copy = xstrndup (text, len); /* yajl_tree_parse wants a C string */
  char errbuf[1024] = "";
  yajl_val root = yajl_tree_parse (copy, errbuf, sizeof errbuf);
  if (root == NULL)
    {
      _cleanup_free_ char *msg = first_line (errbuf);
      return cell_error (err, 0, "%s: invalid JSON: %s", what, msg), NULL;
    }
  return (struct cell_json *) root;
}

void
cell_json_free (struct cell_json *root)
{
  if (root)
    yajl_tree_free (V (root));
}

enum cell_json_type
cell_json_type (const struct cell_json *v)
{
  if (v == NULL)
    return CELL_JSON_NULL;
  switch (V (v)->type)
    {
    case yajl_t_string:
      return CELL_JSON_STRING;
    case yajl_t_number:
      return CELL_JSON_NUMBER;
    case yajl_t_object:
      return CELL_JSON_OBJECT;
    case yajl_t_array:
      return CELL_JSON_ARRAY;
    case yajl_t_true:
    case yajl_t_false:
      return CELL_JSON_BOOL;
    default:
      return CELL_JSON_NULL;
    }
}

const char *
cell_json_type_name (const struct cell_json *v)
{
  switch (cell_json_type (v))
    {
    case CELL_JSON_BOOL:
      return "boolean";
    case CELL_JSON_NUMBER:
      return cell_json_is_integer (v) ? "integer" : "number";
    case CELL_JSON_STRING:
      return "string";
    case CELL_JSON_OBJECT:
      return "object";
    case CELL_JSON_ARRAY:
      return "array";
    default:
      return "null";
    }
}

const char *
cell_json_string (const struct cell_json *v)
{
  return cell_json_type (v) == CELL_JSON_STRING ? V (v)->u.string : NULL;
}

bool
cell_json_bool (const struct cell_json *v)
{
  return v && V (v)->type == yajl_t_true;
}

/* yajl flags an integer literal only when it fits long long, and its overflow check even refuses
 * -9223372036854775808. Integer literals (an optional '-' then digits) that fit int64_t or uint64_t are
 * integers too: uint64 fields (limits, seccomp values) need the upper half. */
static bool
raw_digits (const struct cell_json *v, bool *negative)
{
  const char *r = V (v)->u.number.r;
  if (r == NULL)
    return false;
  *negative = *r == '-';
  r += *negative;
  return *r && strspn (r, "0123456789") == strlen (r);
}

static bool
raw_int64 (const struct cell_json *v, int64_t *out)
{
  bool negative;
  if (!raw_digits (v, &negative))
    return false;
  errno = 0;
  char *end;
  long long i = strtoll (V (v)->u.number.r, &end, 10);
  if (errno || *end)
    return false;
  *out = i;
  return true;
}

static bool
raw_uint64 (const struct cell_json *v, uint64_t *out)
{
  bool negative;
  if (!raw_digits (v, &negative) || negative)
    return false;
  errno = 0;
  char *end;
  unsigned long long u = strtoull (V (v)->u.number.r, &end, 10);
  if (errno || *end)
    return false;
  *out = u;
  return true;
}

bool
cell_json_is_integer (const struct cell_json *v)
{
  int64_t i;
  uint64_t u;
  if (cell_json_type (v) != CELL_JSON_NUMBER)
    return false;
  return YAJL_IS_INTEGER (V (v)) || raw_int64 (v, &i) || raw_uint64 (v, &u);
}

bool
cell_json_int64 (const struct cell_json *v, int64_t *out)
{
  if (cell_json_type (v) != CELL_JSON_NUMBER)
    return false;
  if (YAJL_IS_INTEGER (V (v)))
    {
      *out = V (v)->u.number.i;
      return true;
    }
  return raw_int64 (v, out);
}

bool
cell_json_uint64 (const struct cell_json *v, uint64_t *out)
{
  if (cell_json_type (v) != CELL_JSON_NUMBER)
    return false;
  if (YAJL_IS_INTEGER (V (v)))
    {
      if (V (v)->u.number.i < 0)
        return false;
      *out = (uint64_t) V (v)->u.number.i;
      return true;
    }
  return raw_uint64 (v, out);
}

bool
cell_json_double (const struct cell_json *v, double *out)
{
  if (cell_json_type (v) != CELL_JSON_NUMBER)
    return false;
  if (YAJL_IS_DOUBLE (V (v)))
    *out = V (v)->u.number.d;
  else if (YAJL_IS_INTEGER (V (v)))
    *out = (double) V (v)->u.number.i;
  else
    return false;
  return true;
}

size_t
cell_json_len (const struct cell_json *v)
{
  switch (cell_json_type (v))
    {
    case CELL_JSON_OBJECT:
      return V (v)->u.object.len;
    case CELL_JSON_ARRAY:
      return V (v)->u.array.len;
    default:
      return 0;
    }
}

const struct cell_json *
cell_json_at (const struct cell_json *v, size_t i)
{
  if (i >= cell_json_len (v))
    return NULL;
  if (cell_json_type (v) == CELL_JSON_OBJECT)
    return (const struct cell_json *) V (v)->u.object.values[i];
  return (const struct cell_json *) V (v)->u.array.values[i];
}

const char *
cell_json_key_at (const struct cell_json *v, size_t i)
{
  if (cell_json_type (v) != CELL_JSON_OBJECT || i >= V (v)->u.object.len)
    return NULL;
  return V (v)->u.object.keys[i];
}

/* With duplicate keys the last one wins, as in Go's encoding/json (runc). */
const struct cell_json *
cell_json_get (const struct cell_json *obj, const char *key)
{
  if (cell_json_type (obj) != CELL_JSON_OBJECT)
    return NULL;
  for (size_t i = V (obj)->u.object.len; i > 0; i--)
    if (strcmp (V (obj)->u.object.keys[i - 1], key) == 0)
      return (const struct cell_json *) V (obj)->u.object.values[i - 1];
  return NULL;
}

/* ---- writer ---- */

struct cell_jsonw
{
  yajl_gen g;
};

struct cell_jsonw *
cell_jsonw_new (bool pretty)
{
  struct cell_jsonw *w = xcalloc (1, sizeof *w);
  w->g = yajl_gen_alloc (NULL);
  if (w->g == NULL)
    {
      static const char msg[] = "cell: out of memory\n";
      (void) !write (STDERR_FILENO, msg, sizeof msg - 1);
      abort ();
    }
  if (pretty)
    {
      yajl_gen_config (w->g, yajl_gen_beautify, 1);
      yajl_gen_config (w->g, yajl_gen_indent_string, "  ");
    }
  return w;
}

void
cell_jsonw_free (struct cell_jsonw *w)
{
  if (w == NULL)
    return;
  yajl_gen_free (w->g);
  free (w);
}

/* Writer misuse (a key outside an object, ...) is a programming error: yajl refuses the call and the output
 * stays well-formed up to that point, so the status is not propagated. */
void
cell_jsonw_object_open (struct cell_jsonw *w)
{
  yajl_gen_map_open (w->g);
}

void
cell_jsonw_object_close (struct cell_jsonw *w)
{
  yajl_gen_map_close (w->g);
}

void
cell_jsonw_array_open (struct cell_jsonw *w)
{
  yajl_gen_array_open (w->g);
}

void
cell_jsonw_array_close (struct cell_jsonw *w)
{
  yajl_gen_array_close (w->g);
}

void
cell_jsonw_key (struct cell_jsonw *w, const char *key)
{
  yajl_gen_string (w->g, (const unsigned char *) key, strlen (key));
}

void
cell_jsonw_string (struct cell_jsonw *w, const char *s)
{
  if (s == NULL)
    yajl_gen_null (w->g);
  else
    yajl_gen_string (w->g, (const unsigned char *) s, strlen (s));
}

void
cell_jsonw_int (struct cell_jsonw *w, int64_t v)
{
  yajl_gen_integer (w->g, (long long) v);
}

void
cell_jsonw_uint (struct cell_jsonw *w, uint64_t v)
{
  char buf[32];
  int n = snprintf (buf, sizeof buf, "%" PRIu64, v);
  yajl_gen_number (w->g, buf, (size_t) n);
}

void
cell_jsonw_double (struct cell_jsonw *w, double v)
{
  /* JSON has no NaN or infinity. */
  if (!isfinite (v))
    yajl_gen_null (w->g);
  else
    yajl_gen_double (w->g, v);
}

void
cell_jsonw_bool (struct cell_jsonw *w, bool v)
{
  yajl_gen_bool (w->g, v);
}

void
cell_jsonw_null (struct cell_jsonw *w)
{
  yajl_gen_null (w->g);
}

void
cell_jsonw_value (struct cell_jsonw *w, const struct cell_json *v)
{
  switch (cell_json_type (v))
    {
    case CELL_JSON_NULL:
      yajl_gen_null (w->g);
      break;
    case CELL_JSON_BOOL:
      yajl_gen_bool (w->g, cell_json_bool (v));
      break;
    case CELL_JSON_NUMBER:
      /* The literal as written: no precision lost. */
      yajl_gen_number (w->g, V (v)->u.number.r, strlen (V (v)->u.number.r));
      break;
    case CELL_JSON_STRING:
      cell_jsonw_string (w, cell_json_string (v));
      break;
    case CELL_JSON_OBJECT:
      yajl_gen_map_open (w->g);
      for (size_t i = 0; i < cell_json_len (v); i++)
        {
          cell_jsonw_key (w, cell_json_key_at (v, i));
          cell_jsonw_value (w, cell_json_at (v, i));
        }
      yajl_gen_map_close (w->g);
      break;
    case CELL_JSON_ARRAY:
      yajl_gen_array_open (w->g);
      for (size_t i = 0; i < cell_json_len (v); i++)
        cell_jsonw_value (w, cell_json_at (v, i));
      yajl_gen_array_close (w->g);
      break;
    }
}

void
cell_jsonw_kv_string (struct cell_jsonw *w, const char *key, const char *s)
{
  cell_jsonw_key (w, key);
  cell_jsonw_string (w, s);
}

void
cell_jsonw_kv_int (struct cell_jsonw *w, const char *key, int64_t v)
{
  cell_jsonw_key (w, key);
  cell_jsonw_int (w, v);
}

void
cell_jsonw_kv_bool (struct cell_jsonw *w, const char *key, bool v)
{
  cell_jsonw_key (w, key);
  cell_jsonw_bool (w, v);
}

void
cell_jsonw_kv_strv (struct cell_jsonw *w, const char *key, char *const *v)
{
  cell_jsonw_key (w, key);
  cell_jsonw_array_open (w);
  for (size_t i = 0; v && v[i]; i++)
    cell_jsonw_string (w, v[i]);
  cell_jsonw_array_close (w);
}

char *
cell_jsonw_finish (struct cell_jsonw *w, size_t *len)
{
  const unsigned char *buf = NULL;
  size_t n = 0;
  yajl_gen_get_buf (w->g, &buf, &n);
  char *out = xmalloc (n + 1);
  if (n)
    memcpy (out, buf, n);
  out[n] = '\0';
  if (len)
    *len = n;
  cell_jsonw_free (w);
  return out;
}
