/* cell features: print what this runtime supports (runtime-spec features.md JSON). */
#include "cli.h"
#include "runtime/base/cleanup.h"

#include <getopt.h>

static const char usage[] = "usage: cell features\n\n"
                            "Print the features this runtime supports (runtime-spec features JSON).\n";

int
cli_features (struct cli_global *g, int argc, char **argv, cell_error_t *err)
{
  static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  int c;
  while ((c = getopt_long (argc, argv, ":h", opts, NULL)) != -1)
    {
      if (c == 'h')
        return cli_usage (usage);
      return cli_bad_option ("features", c, argv, err);
    }
  if (cli_check_args ("features", argc - optind, CLI_EXACT, 0, err) < 0)
    return -1;
  _cleanup_free_ char *json = cell_features_json ();
  return cli_print (json, err);
}
