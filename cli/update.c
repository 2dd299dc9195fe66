/* cell update [options] ID: change the resource limits of a running container. */
#include "cli.h"
#include "runtime/base/cleanup.h"
#include "runtime/base/fd.h"
#include "runtime/base/json.h"
#include "runtime/base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[]
    = "usage: cell update [options] CONTAINER_ID\n\n"
      "Update the resource limits of a running container (they are saved with it).\n\n"
      "Options:\n"
      "   --resources, -r FILE|-     LinuxResources JSON (runtime-spec linux.resources) from FILE or stdin;\n"
      "                              fields not given keep their value\n"
      "   --memory BYTES             memory limit (suffixes k, m, g, t: 512m, 1g)\n"
      "   --memory-swap BYTES        memory + swap limit; -1 for unlimited swap\n"
      "   --memory-reservation BYTES memory.low\n"
      "   --cpu-shares N             relative CPU weight (2..262144; also --cpu-share)\n"
      "   --cpu-quota USEC           CPU time per period; -1 for no limit\n"
      "   --cpu-period USEC          CFS period\n"
      "   --cpu-burst USEC           CFS burst\n"
      "   --cpuset-cpus LIST         CPUs to run on (0-3,5)\n"
      "   --cpuset-mems LIST         memory nodes to use\n"
      "   --pids-limit N             maximum number of tasks; 0 or -1 for no limit\n"
      "   --blkio-weight N           block IO weight (10..1000)\n";

enum
{
  O_MEMORY = 256,
  O_SWAP,
  O_RESERVATION,
  O_SHARES,
  O_QUOTA,
  O_PERIOD,
  O_BURST,
  O_CPUS,
  O_MEMS,
  O_PIDS,
  O_BLKIO,
};

struct update_opts
{
  const char *resources;
  const char *v[O_BLKIO - O_MEMORY + 1]; /* flag values by option, NULL when not given */
  bool any_flag;
};

/* runc's RAMInBytes: "512m", "1.5g", "1GiB", "1024" (binary units); "-1" is unlimited. */
static int
parse_bytes (const char *opt, const char *s, int64_t *out, cell_error_t *err)
{
  if (strcmp (s, "-1") == 0)
    return *out = -1, 0;
  char *end;
  errno = 0;
  double v = strtod (s, &end);
  if (end == s || *s < '0' || *s > '9' || errno)
    return cell_error (err, 0, "update: invalid value '%s' for --%s", s, opt);
  if (*end == ' ')
    end++;
  const char *units = "kmgtp";
  const char *u = *end ? strchr (units, *end | 0x20) : NULL;
  double scale = 1;
  for (const char *k = units; u && k <= u; k++)
    scale *= 1024;
  if (u)
    end++;
  if (*end == 'i' || *end == 'I')
    end++;
  if (*end == 'b' || *end == 'B')
    end++;
  if (*end || v * scale >= 9.2e18)
    return cell_error (err, 0, "update: invalid value '%s' for --%s", s, opt);
  *out = (int64_t) (v * scale);
  return 0;
}

static int
parse_int (const char *opt, const char *s, bool allow_neg, int64_t *out, cell_error_t *err)
{
  char *end;
  errno = 0;
  long long v = strtoll (s, &end, 10);
  if (end == s || *end || errno || (!allow_neg && v < 0))
    return cell_error (err, 0, "update: invalid value '%s' for --%s", s, opt);
  *out = v;
  return 0;
}

/* Opening an object member once: JSON built in runtime-spec order memory, cpu, pids, blockIO. */
static void
section (struct cell_jsonw *w, const char *name, const char *const *v, int from, int to)
{
  bool any = false;
  for (int i = from; i <= to; i++)
    any = any || v[i - O_MEMORY];
  if (!any)
    return;
  cell_jsonw_key (w, name);
  cell_jsonw_object_open (w);
}

static const char *const names[] = { "memory", "memory-swap", "memory-reservation", "cpu-shares",
                                     "cpu-quota", "cpu-period", "cpu-burst", "cpuset-cpus", "cpuset-mems",
                                     "pids-limit", "blkio-weight" };
static const char *const keys[] = { "limit", "swap", "reservation", "shares", "quota", "period", "burst",
                                    "cpus", "mems", "limit", "weight" };

static int
put (struct cell_jsonw *w, const struct update_opts *o, int opt, cell_error_t *err)
{
  const char *s = o->v[opt - O_MEMORY];
  int64_t n = 0;
  if (s == NULL)
    return 0;
  const char *name = names[opt - O_MEMORY];
  cell_jsonw_key (w, keys[opt - O_MEMORY]);
  if (opt == O_CPUS || opt == O_MEMS)
    return cell_jsonw_string (w, s), 0;
  int r = opt <= O_RESERVATION ? parse_bytes (name, s, &n, err)
                               : parse_int (name, s, opt == O_QUOTA || opt == O_PIDS, &n, err);
  if (r < 0)
    return -1;
  if (opt == O_BLKIO && n > 65535)
    return cell_error (err, 0, "update: invalid value '%s' for --%s", s, name);
  cell_jsonw_int (w, n);
  return 0;
}

/* The LinuxResources JSON of the flags. */
static char *
flags_json (const struct update_opts *o, cell_error_t *err)
{
  struct cell_jsonw *w = cell_jsonw_new (false);
  static const int groups[][3] = { { O_MEMORY, O_RESERVATION }, { O_SHARES, O_MEMS }, { O_PIDS, O_PIDS },
                                   { O_BLKIO, O_BLKIO } };
  static const char *const group_names[] = { "memory", "cpu", "pids", "blockIO" };
  cell_jsonw_object_open (w);
  for (size_t gi = 0; gi < 4; gi++)
    {
      int from = groups[gi][0], to = groups[gi][1];
      section (w, group_names[gi], o->v, from, to);
      bool any = false;
      for (int i = from; i <= to; i++)
        {
          any = any || o->v[i - O_MEMORY];
          if (put (w, o, i, err) < 0)
            {
              cell_jsonw_free (w);
              return NULL;
            }
        }
      if (any)
        cell_jsonw_object_close (w);
    }
  cell_jsonw_object_close (w);
  return cell_jsonw_finish (w, NULL);
}

static char *
read_resources (const char *path, cell_error_t *err)
{
  char *text = NULL;
  size_t len;
  if (strcmp (path, "-") == 0)
    return cell_read_all (0, 4 << 20, &text, &len, err) < 0 ? NULL : text;
  return cell_read_file_at (AT_FDCWD, path, 4 << 20, &text, &len, err) < 0 ? NULL : text;
}

int
cli_update (struct cli_global *g, int argc, char **argv, cell_error_t *err)
{
  static const struct option opts[] = {
    { "resources", required_argument, NULL, 'r' },
    { "memory", required_argument, NULL, O_MEMORY },
    { "memory-swap", required_argument, NULL, O_SWAP },
    { "memory-reservation", required_argument, NULL, O_RESERVATION },
    { "cpu-shares", required_argument, NULL, O_SHARES },
    { "cpu-share", required_argument, NULL, O_SHARES },
    { "cpu-quota", required_argument, NULL, O_QUOTA },
    { "cpu-period", required_argument, NULL, O_PERIOD },
    { "cpu-burst", required_argument, NULL, O_BURST },
    { "cpuset-cpus", required_argument, NULL, O_CPUS },
    { "cpuset-mems", required_argument, NULL, O_MEMS },
    { "pids-limit", required_argument, NULL, O_PIDS },
    { "blkio-weight", required_argument, NULL, O_BLKIO },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct update_opts o = { 0 };
  int c;
  while ((c = getopt_long (argc, argv, ":r:h", opts, NULL)) != -1)
    if (c == 'r')
      o.resources = optarg;
    else if (c >= O_MEMORY && c <= O_BLKIO)
      o.v[c - O_MEMORY] = optarg, o.any_flag = true;
    else if (c == 'h')
      return cli_usage (usage);
    else
      return cli_bad_option ("update", c, argv, err);
  if (cli_check_args ("update", argc - optind, CLI_EXACT, 1, err) < 0 || cell_id_validate (argv[optind], err) < 0)
    return -1;
  if (o.resources && o.any_flag)
    return cell_error (err, 0, "update: --resources cannot be combined with the other resource options");
  if (!o.resources && !o.any_flag)
    return cell_error (err, 0, "update: nothing to update (give --resources or a resource option)");
  _cleanup_free_ char *json = o.resources ? read_resources (o.resources, err) : flags_json (&o, err);
  if (json == NULL)
    return -1;
  return cell_container_update (&g->ctx, argv[optind], json, err) < 0 ? -1 : 0;
}
