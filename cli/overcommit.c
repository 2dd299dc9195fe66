/* cell overcommit status [--json]: the overcommit layer's report (capacity, committed sums against each ratio,
 * worst-case shortfall, per class and container the live figures and verdicts). */
#include "cli.h"
#include "runtime/base/cleanup.h"

#include <getopt.h>
#include <string.h>

static const char usage[] = "usage: cell overcommit status [--json]\n\n"
                            "Report the overcommit policy's state: capacity, committed requests and limits per\n"
                            "class against each ratio, the worst-case shortfall, and per container its memory,\n"
                            "pressure, throttling and verdicts.\n\n"
                            "Options:\n"
                            "   --json   print a JSON document\n";

int
cli_overcommit (struct cli_global *g, int argc, char **argv, cell_error_t *err)
{
  static const struct option opts[] = {
    { "json", no_argument, NULL, 'j' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool json = false;
  int c;
  while ((c = getopt_long (argc, argv, ":h", opts, NULL)) != -1)
    switch (c)
      {
      case 'j': json = true; break;
      case 'h': return cli_usage (usage);
      default: return cli_bad_option ("overcommit", c, argv, err);
      }
  if (cli_check_args ("overcommit", argc - optind, CLI_EXACT, 1, err) < 0)
    return -1;
  if (strcmp (argv[optind], "status") != 0)
    return cell_error (err, 0, "overcommit: unknown subcommand '%s' (expected status)", argv[optind]);
  _cleanup_free_ char *text = cell_overcommit_status (&g->ctx, json, err);
  if (text == NULL)
    return -1;
  return cli_print (text, err);
}
