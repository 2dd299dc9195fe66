/* cell delete [--force] ID: remove a stopped container (with --force, kill a running one first). */
#include "cli.h"

#include <getopt.h>

static const char usage[] = "usage: cell delete [options] CONTAINER_ID\n\n"
                            "Delete a container and the resources it holds.\n\n"
                            "Options:\n"
                            "   --force, -f   kill the container first if it is still running\n";

struct delete_opts
{
  const char *id;
  bool force;
};

int
cli_delete (struct cli_global *g, int argc, char **argv, cell_error_t *err)
{
  static const struct option opts[] = {
    { "force", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct delete_opts o = { NULL, false };
  int c;
  while ((c = getopt_long (argc, argv, ":fh", opts, NULL)) != -1)
    switch (c)
      {
      case 'f': o.force = true; break;
      case 'h': return cli_usage (usage);
      default: return cli_bad_option ("delete", c, argv, err);
      }
  if (cli_check_args ("delete", argc - optind, CLI_EXACT, 1, err) < 0)
    return -1;
  o.id = argv[optind];
  if (cell_id_validate (o.id, err) < 0)
    return -1;
  return cell_container_delete (&g->ctx, o.id, o.force, err) < 0 ? -1 : 0;
}
