/* cell kill [--all] ID [SIGNAL]: signal the container's init (default SIGTERM). */
#include "cli.h"

#include <getopt.h>
#include <signal.h>

static const char usage[] = "usage: cell kill [options] CONTAINER_ID [SIGNAL]\n\n"
                            "Send SIGNAL (a name, with or without SIG, or a number; default SIGTERM) to the\n"
                            "container's init process.\n\n"
                            "Options:\n"
                            "   --all, -a   send the signal to every process of the container\n";

struct kill_opts
{
  const char *id;
  int signal;
  bool all;
};

int
cli_kill (struct cli_global *g, int argc, char **argv, cell_error_t *err)
{
  static const struct option opts[] = {
    { "all", no_argument, NULL, 'a' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct kill_opts o = { NULL, SIGTERM, false };
  int c;
  while ((c = getopt_long (argc, argv, ":ah", opts, NULL)) != -1)
    switch (c)
      {
      case 'a': o.all = true; break;
      case 'h': return cli_usage (usage);
      default: return cli_bad_option ("kill", c, argv, err);
      }
  int n = argc - optind;
  if (cli_check_args ("kill", n, CLI_MIN, 1, err) < 0 || cli_check_args ("kill", n, CLI_MAX, 2, err) < 0)
    return -1;
  o.id = argv[optind];
  if (cell_id_validate (o.id, err) < 0)
    return -1;
  if (n == 2 && cli_parse_signal (argv[optind + 1], &o.signal, err) < 0)
    return -1;
  return cell_container_kill (&g->ctx, o.id, o.signal, o.all, err) < 0 ? -1 : 0;
}
