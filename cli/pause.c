/* cell pause ID / cell resume ID: freeze and thaw every process of a container (cgroup.freeze). */
#include "cli.h"

static const char pause_usage[] = "usage: cell pause CONTAINER_ID\n\n"
                                  "Suspend every process of a running container (cgroup v2 freezer); the\n"
                                  "state becomes \"paused\" once the kernel reports the cgroup frozen.\n";
static const char resume_usage[] = "usage: cell resume CONTAINER_ID\n\n"
                                   "Resume the processes of a paused container.\n";

int
cli_pause (struct cli_global *g, int argc, char **argv, cell_error_t *err)
{
  const char *id;
  int r = cli_parse_id_only ("pause", pause_usage, argc, argv, &id, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  return cell_container_pause (&g->ctx, id, err) < 0 ? -1 : 0;
}

int
cli_resume (struct cli_global *g, int argc, char **argv, cell_error_t *err)
{
  const char *id;
  int r = cli_parse_id_only ("resume", resume_usage, argc, argv, &id, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  return cell_container_resume (&g->ctx, id, err) < 0 ? -1 : 0;
}
