/* cell start ID: run the user process of a created container. */
#include "cli.h"

static const char usage[] = "usage: cell start CONTAINER_ID\n\n"
                            "Start the user process of a created container.\n";

int
cli_start (struct cli_global *g, int argc, char **argv, cell_error_t *err)
{
  const char *id;
  int r = cli_parse_id_only ("start", usage, argc, argv, &id, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  return cell_container_start (&g->ctx, id, err) < 0 ? -1 : 0;
}
