/* cell image: OCI image layouts.
 *   cell image unpack [--rootless] [--cache DIR] LAYOUT[:REF] BUNDLE
 *   cell image ls LAYOUT
 *   cell image inspect LAYOUT[:REF] */
#include "cli.h"
#include "image/image.h"
#include "runtime/base/cleanup.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static const char usage[] = "usage: cell image COMMAND [options] [arguments]\n\n"
                            "Commands:\n"
                            "   unpack [--rootless] [--cache DIR] LAYOUT[:REF] BUNDLE\n"
                            "              unpack an image of an OCI image layout into a new bundle\n"
                            "   ls LAYOUT  list the images of a layout (ref, digest, size)\n"
                            "   inspect LAYOUT[:REF]\n"
                            "              print the image config (JSON)\n\n"
                            "REF is the org.opencontainers.image.ref.name annotation; without it, the layout's\n"
                            "only image, else 'latest'.\n\n"
                            "unpack options:\n"
                            "   --rootless   files owned by the caller and a user namespace in config.json\n"
                            "                (as umoci unpack --rootless)\n"
                            "   --cache DIR  extract each layer once into DIR; the bundle's rootfs is an\n"
                            "                overlayfs of the cached layers, mounted by `cell create` inside\n"
                            "                the container's mount namespace\n";

struct unpack_args
{
  bool rootless;
  const char *cache;
};

static int
parse_unpack (int argc, char **argv, struct unpack_args *a, cell_error_t *err)
{
  static const struct option opts[] = {
    { "rootless", no_argument, NULL, 'r' },
    { "cache", required_argument, NULL, 'c' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;
  while ((c = getopt_long (argc, argv, ":h", opts, NULL)) != -1)
    switch (c)
      {
      case 'r': a->rootless = true; break;
      case 'c': a->cache = optarg; break;
      case 'h': return cli_usage (usage), 1;
      default: return cli_bad_option ("image unpack", c, argv, err);
      }
  return cli_check_args ("image unpack", argc - optind, CLI_EXACT, 2, err);
}

static void
human (double bytes, char *buf, size_t len)
{
  const char *units[] = { "B", "KiB", "MiB", "GiB" };
  size_t u = 0;
  while (bytes >= 1024 && u + 1 < ARRAY_SIZE (units))
    {
      bytes /= 1024;
      u++;
    }
  snprintf (buf, len, "%.1f %s", bytes, units[u]);
}

/* One line per layer on a terminal: rewritten in place while it runs, kept when done. */
static void
progress (const struct img_progress *p, void *data)
{
  char done[32], total[32], rate[32];
  human ((double) p->bytes, done, sizeof done);
  human ((double) p->total, total, sizeof total);
  human (p->seconds > 0 ? (double) p->bytes / p->seconds : 0, rate, sizeof rate);
  if (p->cached)
    fprintf (stderr, "\rlayer %zu/%zu %.19s  cached\033[K\n", p->index + 1, p->count, p->digest);
  else
    fprintf (stderr, "\rlayer %zu/%zu %.19s  %s / %s  %s/s\033[K%s", p->index + 1, p->count, p->digest, done, total,
             rate, p->done ? "\n" : "");
  fflush (stderr);
}

static int
image_unpack (struct cli_global *g, int argc, char **argv, cell_error_t *err)
{
  struct unpack_args a = { false, NULL };
  int r = parse_unpack (argc, argv, &a, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char *layout = NULL, *ref = NULL;
  img_split_ref (argv[optind], &layout, &ref);
  _cleanup_free_ char *base = cell_spec_default (a.rootless);
  struct img_unpack_opts o = {
    .layout = layout, .ref = ref, .bundle = argv[optind + 1], .cache = a.cache, .base_config = base,
    .rootless = a.rootless, .progress = isatty (STDERR_FILENO) ? progress : NULL,
  };
  /* A layer may nest directories deep; removing such a tree holds one fd per level. */
  struct rlimit rl;
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = rl.rlim_max;
      setrlimit (RLIMIT_NOFILE, &rl);
    }
  return img_unpack (&o, err);
}

static int
image_ls (struct cli_global *g, int argc, char **argv, cell_error_t *err)
{
  if (argc == 2 && strcmp (argv[1], "--help") == 0)
    return cli_usage (usage);
  if (cli_check_args ("image ls", argc - 1, CLI_EXACT, 1, err) < 0)
    return -1;
  struct img_ref *refs;
  size_t n;
  if (img_list (argv[1], &refs, &n, err) < 0)
    return -1;
  printf ("%-24s %-71s %10s  %s\n", "REF", "DIGEST", "SIZE", "PLATFORM");
  for (size_t i = 0; i < n; i++)
    printf ("%-24s %-71s %10llu  %s\n", refs[i].name ? refs[i].name : "-", refs[i].digest,
            (unsigned long long) refs[i].size, refs[i].platform ? refs[i].platform : "-");
  img_refs_free (refs, n);
  return fflush (stdout) == 0 ? 0 : cell_error_errno (err, "write");
}

static int
image_inspect (struct cli_global *g, int argc, char **argv, cell_error_t *err)
{
  if (argc == 2 && strcmp (argv[1], "--help") == 0)
    return cli_usage (usage);
  if (cli_check_args ("image inspect", argc - 1, CLI_EXACT, 1, err) < 0)
    return -1;
  _cleanup_free_ char *layout = NULL, *ref = NULL;
  img_split_ref (argv[1], &layout, &ref);
  _cleanup_free_ char *text = img_inspect (layout, ref, err);
  if (text == NULL)
    return -1;
  return cli_print (text, err);
}

int
cli_image (struct cli_global *g, int argc, char **argv, cell_error_t *err)
{
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    return argc < 2 ? cell_error (err, 0, "image: missing command (see 'cell image --help')") : cli_usage (usage);
  optind = 0;
  if (strcmp (argv[1], "unpack") == 0)
    return image_unpack (g, argc - 1, argv + 1, err);
  if (strcmp (argv[1], "ls") == 0)
    return image_ls (g, argc - 1, argv + 1, err);
  if (strcmp (argv[1], "inspect") == 0)
    return image_inspect (g, argc - 1, argv + 1, err);
  return cell_error (err, 0, "image: unknown command '%s' (see 'cell image --help')", argv[1]);
}
