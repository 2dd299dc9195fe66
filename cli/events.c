/* cell events [--stats] [--interval DURATION] ID: container statistics and OOM events as JSON lines. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] = "usage: cell events [options] CONTAINER_ID\n\n"
                            "Print the container's resource statistics every interval, and an \"oom\" event\n"
                            "whenever the kernel OOM-kills one of its processes, one JSON object per line\n"
                            "(runc's format), until the container stops.\n\n"
                            "Options:\n"
                            "   --stats             print the statistics once and exit\n"
                            "   --interval DURATION time between statistics (default 5s; e.g. 500ms, 2s, 1m)\n";

/* A Go-style duration: "500ms", "2s", "1m", "1h" (a bare number is seconds). */
static int
parse_duration (const char *s, unsigned *ms, cell_error_t *err)
{
  char *end;
  double v = strtod (s, &end);
  double scale = strcmp (end, "ms") == 0 ? 1 : (strcmp (end, "s") == 0 || *end == '\0') ? 1000
                 : strcmp (end, "m") == 0 ? 60000 : strcmp (end, "h") == 0 ? 3600000 : -1;
  if (end == s || scale < 0 || v * scale < 1 || v * scale > 86400000.0)
    return cell_error (err, 0, "events: invalid value '%s' for --interval (expected a duration such as 5s)", s);
  *ms = (unsigned) (v * scale);
  return 0;
}

static int
print_event (const char *json, void *data, cell_error_t *err)
{
  return cli_print (json, err);
}

int
cli_events (struct cli_global *g, int argc, char **argv, cell_error_t *err)
{
  static const struct option opts[] = {
    { "stats", no_argument, NULL, 's' },
    { "interval", required_argument, NULL, 'i' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool stats = false;
  unsigned interval = 5000;
  int c;
  while ((c = getopt_long (argc, argv, ":h", opts, NULL)) != -1)
    switch (c)
      {
      case 's': stats = true; break;
      case 'i':
        if (parse_duration (optarg, &interval, err) < 0)
          return -1;
        break;
      case 'h': return cli_usage (usage);
      default: return cli_bad_option ("events", c, argv, err);
      }
  if (cli_check_args ("events", argc - optind, CLI_EXACT, 1, err) < 0 || cell_id_validate (argv[optind], err) < 0)
    return -1;
  return cell_container_events (&g->ctx, argv[optind], interval, stats, print_event, NULL, err) < 0 ? -1 : 0;
}
