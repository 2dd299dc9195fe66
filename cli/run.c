/* cell run ID: create + start; in the foreground, exit with the container's status (128+N for signal N). */
#include "cli.h"

int
cli_run (struct cli_global *g, int argc, char **argv, cell_error_t *err)
{
  struct cell_create_opts o;
  int r = cli_parse_create (argc, argv, true, &o, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  int status = 0;
  if (cell_container_run (&g->ctx, &o, &status, err) < 0)
    return -1;
  return o.detach ? 0 : status;
}
