/* cell state ID: print the runtime-spec state JSON. */
#include "cli.h"
#include "runtime/base/cleanup.h"

static const char usage[] = "usage: cell state CONTAINER_ID\n\n"
                            "Print the state of a container (runtime-spec state JSON).\n";

int
cli_state (struct cli_global *g, int argc, char **argv, cell_error_t *err)
{
  const char *id;
  int r = cli_parse_id_only ("state", usage, argc, argv, &id, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char *json = cell_container_state (&g->ctx, id, err);
  if (json == NULL)
    return -1;
  return cli_print (json, err);
}
