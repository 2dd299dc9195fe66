/* cell list: the containers under the state root, as runc prints them (a table, ids only, or JSON). */
#include "cli.h"
#include "runtime/base/json.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] = "usage: cell list [options]\n\n"
                            "List the containers under the state root.\n\n"
                            "Options:\n"
                            "   --format, -f table|json   output format (default table)\n"
                            "   --quiet, -q               print the container ids only\n";

struct list_opts
{
  bool json;
  bool quiet;
};

#define LIST_COLUMNS 6

static void
entry_columns (const struct cell_list_entry *e, char pid[static 24], const char *col[LIST_COLUMNS])
{
  snprintf (pid, 24, "%d", (int) e->pid);
  col[0] = e->id;
  col[1] = pid;
  col[2] = e->status ? e->status : "";
  col[3] = e->bundle ? e->bundle : "";
  col[4] = e->created ? e->created : "";
  col[5] = e->owner ? e->owner : "";
}

/* Go's tabwriter as runc sets it up (minwidth 12, padding 3): a column is its widest cell + 3, at least 12;
 * the last column is not padded. */
static void
print_table (const struct cell_list_entry *v, size_t n)
{
  static const char *const head[LIST_COLUMNS] = { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" };
  size_t width[LIST_COLUMNS];
  const char *col[LIST_COLUMNS];
  char pid[24];
  for (int c = 0; c < LIST_COLUMNS; c++)
    width[c] = strlen (head[c]);
  for (size_t i = 0; i < n; i++)
    {
      entry_columns (&v[i], pid, col);
      for (int c = 0; c < LIST_COLUMNS; c++)
        width[c] = strlen (col[c]) > width[c] ? strlen (col[c]) : width[c];
    }
  for (int c = 0; c < LIST_COLUMNS - 1; c++)
    width[c] = width[c] + 3 < 12 ? 12 : width[c] + 3;
  for (size_t i = 0; i <= n; i++)
    {
      if (i > 0)
        entry_columns (&v[i - 1], pid, col);
      const char *const *row = i == 0 ? head : col;
      for (int c = 0; c < LIST_COLUMNS - 1; c++)
        printf ("%-*s", (int) width[c], row[c]);
      printf ("%s\n", row[LIST_COLUMNS - 1]);
    }
}

/* The config's annotations object, copied as is (runc lists them too). */
static void
write_annotations (struct cell_jsonw *w, const char *config)
{
  if (config == NULL)
    return;
  struct cell_json *root = cell_json_parse (config, strlen (config), "state", NULL);
  const struct cell_json *a = root ? cell_json_get (root, "annotations") : NULL;
  if (a && cell_json_type (a) == CELL_JSON_OBJECT && cell_json_len (a) > 0)
    {
      cell_jsonw_key (w, "annotations");
      cell_jsonw_value (w, a);
    }
  cell_json_free (root);
}

static char *
list_json (const struct cell_list_entry *v, size_t n)
{
  struct cell_jsonw *w = cell_jsonw_new (false);
  cell_jsonw_array_open (w);
  for (size_t i = 0; i < n; i++)
    {
      cell_jsonw_object_open (w);
      cell_jsonw_kv_string (w, "ociVersion", "1.3.0");
      cell_jsonw_kv_string (w, "id", v[i].id);
      cell_jsonw_kv_int (w, "pid", v[i].pid);
      cell_jsonw_kv_string (w, "status", v[i].status);
      cell_jsonw_kv_string (w, "bundle", v[i].bundle);
      cell_jsonw_kv_string (w, "rootfs", v[i].rootfs);
      cell_jsonw_kv_string (w, "created", v[i].created);
      cell_jsonw_kv_string (w, "owner", v[i].owner);
      write_annotations (w, v[i].config);
      cell_jsonw_object_close (w);
    }
  cell_jsonw_array_close (w);
  return cell_jsonw_finish (w, NULL);
}

static int
print_list (const struct list_opts *o, const struct cell_list_entry *v, size_t n, cell_error_t *err)
{
  if (o->quiet)
    for (size_t i = 0; i < n; i++)
      printf ("%s\n", v[i].id);
  else if (o->json)
    {
      char *json = list_json (v, n);
      int r = cli_print (json, err);
      free (json);
      return r;
    }
  else
    print_table (v, n);
  if (fflush (stdout) != 0)
    return cell_error_errno (err, "write to stdout");
  return 0;
}

static int
parse_list (int argc, char **argv, struct list_opts *o, cell_error_t *err)
{
  static const struct option opts[] = {
    { "format", required_argument, NULL, 'f' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;
  while ((c = getopt_long (argc, argv, ":f:qh", opts, NULL)) != -1)
    switch (c)
      {
      case 'q': o->quiet = true; break;
      case 'h': return cli_usage (usage), 1;
      case 'f':
        if (strcmp (optarg, "table") != 0 && strcmp (optarg, "json") != 0)
          return cell_error (err, 0, "list: invalid format '%s' (table or json)", optarg);
        o->json = strcmp (optarg, "json") == 0;
        break;
      default: return cli_bad_option ("list", c, argv, err);
      }
  return cli_check_args ("list", argc - optind, CLI_EXACT, 0, err);
}

int
cli_list (struct cli_global *g, int argc, char **argv, cell_error_t *err)
{
  struct list_opts o = { false, false };
  int r = parse_list (argc, argv, &o, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  struct cell_list_entry *v = NULL;
  size_t n = 0;
  if (cell_container_list (&g->ctx, &v, &n, err) < 0)
    return -1;
  r = print_list (&o, v, n, err);
  cell_list_free (v, n);
  return r;
}
