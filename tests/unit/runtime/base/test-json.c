/* Unit tests for runtime/base/json.c: parsing, accessors, errors, the writer and a round trip. */
#include "base/error.h"
#include "base/json.h"
#include "unit.h"

#include <stdint.h>

static struct cell_json *
parse (const char *text)
{
  cell_error_t err = NULL;
  struct cell_json *j = cell_json_parse (text, strlen (text), "test.json", &err);
  if (j == NULL)
    {
      fprintf (stderr, "  parse failed: %s\n", err->msg);
      cell_error_free (&err);
    }
  return j;
}

/* The error message of a failed parse (caller frees), or NULL when the parse succeeded. */
static char *
parse_error (const char *text, size_t len)
{
  cell_error_t err = NULL;
  struct cell_json *j = cell_json_parse (text, len, "test.json", &err);
  if (j)
    {
      cell_json_free (j);
      return NULL;
    }
  char *msg = cell_error_string (err);
  cell_error_free (&err);
  return msg;
}

TEST (types_and_accessors)
{
  struct cell_json *j = parse ("{\"s\": \"hi\", \"i\": -42, \"d\": 1.5, \"t\": true, \"f\": false, \"n\": null,"
                               " \"a\": [1, 2, 3], \"o\": {\"k\": \"v\"}}");
  CHECK (j != NULL);
  CHECK (cell_json_type (j) == CELL_JSON_OBJECT);
  CHECK (cell_json_len (j) == 8);
  CHECK_STR (cell_json_key_at (j, 0), "s");
  CHECK_STR (cell_json_string (cell_json_get (j, "s")), "hi");
  CHECK_STR (cell_json_type_name (cell_json_get (j, "s")), "string");
  CHECK_STR (cell_json_type_name (cell_json_get (j, "i")), "integer");
  CHECK_STR (cell_json_type_name (cell_json_get (j, "d")), "number");
  CHECK_STR (cell_json_type_name (cell_json_get (j, "t")), "boolean");
  CHECK_STR (cell_json_type_name (cell_json_get (j, "n")), "null");
  CHECK_STR (cell_json_type_name (cell_json_get (j, "a")), "array");
  CHECK_STR (cell_json_type_name (cell_json_get (j, "o")), "object");
  CHECK (cell_json_bool (cell_json_get (j, "t")));
  CHECK (!cell_json_bool (cell_json_get (j, "f")));
  CHECK (cell_json_get (j, "missing") == NULL);
  CHECK (cell_json_string (cell_json_get (j, "i")) == NULL); /* type mismatch -> NULL */

  int64_t i;
  uint64_t u;
  double d;
  CHECK (cell_json_is_integer (cell_json_get (j, "i")));
  CHECK (cell_json_int64 (cell_json_get (j, "i"), &i) && i == -42);
  CHECK (!cell_json_uint64 (cell_json_get (j, "i"), &u)); /* negative */
  CHECK (!cell_json_is_integer (cell_json_get (j, "d")));
  CHECK (!cell_json_int64 (cell_json_get (j, "d"), &i));
  CHECK (cell_json_double (cell_json_get (j, "d"), &d) && d == 1.5);

  const struct cell_json *a = cell_json_get (j, "a");
  CHECK (cell_json_len (a) == 3);
  CHECK (cell_json_int64 (cell_json_at (a, 2), &i) && i == 3);
  CHECK (cell_json_at (a, 3) == NULL);
  CHECK_STR (cell_json_string (cell_json_get (cell_json_get (j, "o"), "k")), "v");
  cell_json_free (j);
}

TEST (big_integers)
{
  struct cell_json *j = parse ("[18446744073709551615, 9223372036854775807, 18446744073709551616, 1e3,"
                               " -9223372036854775808, -9223372036854775809]");
  CHECK (j != NULL);
  uint64_t u;
  int64_t i;
  CHECK (cell_json_is_integer (cell_json_at (j, 0)));
  CHECK (cell_json_uint64 (cell_json_at (j, 0), &u) && u == UINT64_MAX);
  CHECK (!cell_json_int64 (cell_json_at (j, 0), &i));
  CHECK (cell_json_int64 (cell_json_at (j, 1), &i) && i == INT64_MAX);
  CHECK (!cell_json_uint64 (cell_json_at (j, 2), &u)); /* past uint64 */
  CHECK (!cell_json_is_integer (cell_json_at (j, 2)));
  CHECK (!cell_json_is_integer (cell_json_at (j, 3)));
  CHECK (cell_json_int64 (cell_json_at (j, 4), &i) && i == INT64_MIN); /* yajl alone refuses this one */
  CHECK (cell_json_is_integer (cell_json_at (j, 4)));
  CHECK (!cell_json_uint64 (cell_json_at (j, 4), &u));
  CHECK (!cell_json_is_integer (cell_json_at (j, 5)));
  CHECK (!cell_json_int64 (cell_json_at (j, 5), &i));
  cell_json_free (j);
}

TEST (duplicate_key_last_wins)
{
  struct cell_json *j = parse ("{\"a\": 1, \"a\": 2}");
  CHECK (j != NULL);
  int64_t i;
  CHECK (cell_json_int64 (cell_json_get (j, "a"), &i) && i == 2);
  cell_json_free (j);
}

TEST (not_nul_terminated)
{
  const char text[] = "[1, 2]garbage";
  cell_error_t err = NULL;
  struct cell_json *j = cell_json_parse (text, 6, "t", &err);
  CHECK (j != NULL && err == NULL);
  CHECK (cell_json_len (j) == 2);
  cell_json_free (j);
}

TEST (errors)
{
  char *m = parse_error ("{\"a\": ", 6);
  CHECK (m != NULL);
  int ok = strncmp (m, "test.json: invalid JSON: ", 25) == 0 && strchr (m, '\n') == NULL;
  if (!ok)
    fprintf (stderr, "  got: %s\n", m);
  free (m);
  CHECK (ok);

  m = parse_error ("", 0);
  CHECK (m != NULL && strstr (m, "invalid JSON") != NULL);
  free (m);
  m = parse_error ("{\"a\": tru}", 10);
  CHECK (m != NULL && strstr (m, "invalid JSON") != NULL);
  free (m);
  m = parse_error ("[1,\0 2]", 7);
  CHECK (m != NULL && strstr (m, "NUL byte") != NULL);
  free (m);
}

TEST (deep_nesting_refused)
{
  size_t n = 100000;
  char *text = malloc (2 * n);
  memset (text, '[', n);
  memset (text + n, ']', n);
  char *m = parse_error (text, 2 * n);
  free (text);
  CHECK (m != NULL && strstr (m, "nested deeper") != NULL);
  free (m);

  /* Brackets inside strings do not count. */
  struct cell_json *j = parse ("[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[[\"]");
  CHECK (j != NULL);
  cell_json_free (j);
}

TEST (writer)
{
  struct cell_jsonw *w = cell_jsonw_new (false);
  cell_jsonw_object_open (w);
  cell_jsonw_kv_string (w, "s", "a\"b\n");
  cell_jsonw_kv_int (w, "i", -7);
  cell_jsonw_key (w, "u");
  cell_jsonw_uint (w, UINT64_MAX);
  cell_jsonw_kv_bool (w, "b", true);
  cell_jsonw_key (w, "n");
  cell_jsonw_null (w);
  cell_jsonw_key (w, "ns");
  cell_jsonw_string (w, NULL);
  char *v[] = { "x", "y", NULL };
  cell_jsonw_kv_strv (w, "v", v);
  cell_jsonw_kv_strv (w, "e", NULL);
  cell_jsonw_key (w, "d");
  cell_jsonw_double (w, 0.5);
  cell_jsonw_object_close (w);
  size_t len;
  char *out = cell_jsonw_finish (w, &len);
  const char *want = "{\"s\":\"a\\\"b\\n\",\"i\":-7,\"u\":18446744073709551615,\"b\":true,\"n\":null,\"ns\":null,"
                     "\"v\":[\"x\",\"y\"],\"e\":[],\"d\":0.5}";
  CHECK_STR (out, want);
  CHECK (len == strlen (want));
  free (out);
}

TEST (writer_pretty)
{
  struct cell_jsonw *w = cell_jsonw_new (true);
  cell_jsonw_object_open (w);
  cell_jsonw_kv_int (w, "a", 1);
  cell_jsonw_object_close (w);
  char *out = cell_jsonw_finish (w, NULL);
  CHECK (strstr (out, "\n  \"a\": 1") != NULL);
  free (out);
  cell_jsonw_free (NULL);
  cell_jsonw_free (cell_jsonw_new (false)); /* an abandoned writer */
}

TEST (round_trip)
{
  const char *text = "{\"a\":[1,-2,18446744073709551615,1.25e3,true,false,null],\"b\":{\"c\":\"\\u00e9\\t\"},"
                     "\"d\":{}}";
  struct cell_json *j = parse (text);
  CHECK (j != NULL);
  struct cell_jsonw *w = cell_jsonw_new (false);
  cell_jsonw_value (w, j);
  char *out = cell_jsonw_finish (w, NULL);
  cell_json_free (j);
  /* yajl writes non-ASCII as UTF-8, not \u escapes. */
  CHECK_STR (out, "{\"a\":[1,-2,18446744073709551615,1.25e3,true,false,null],\"b\":{\"c\":\"\xc3\xa9\\t\"},"
                  "\"d\":{}}");

  /* And the output parses back to the same thing. */
  struct cell_json *again = parse (out);
  free (out);
  CHECK (again != NULL);
  w = cell_jsonw_new (true);
  cell_jsonw_value (w, again);
  out = cell_jsonw_finish (w, NULL);
  cell_json_free (again);
  CHECK (strstr (out, "\"c\": \"\xc3\xa9\\t\"") != NULL);
  free (out);
}

int
main (void)
{
  RUN (types_and_accessors);
  RUN (big_integers);
  RUN (duplicate_key_last_wins);
  RUN (not_nul_terminated);
  RUN (errors);
  RUN (deep_nesting_refused);
  RUN (writer);
  RUN (writer_pretty);
  RUN (round_trip);
  UNIT_END ();
}
