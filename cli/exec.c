/* cell exec [options] ID [COMMAND [ARGS...]]: run a new process in a running container. Options stop at the id
 * (like runc), so the command's own options pass through untouched. */
#include "cli.h"
#include "runtime/base/strv.h"

#include <getopt.h>
#include <string.h>

static const char usage[]
    = "usage: cell exec [options] CONTAINER_ID [COMMAND [ARGS...]]\n\n"
      "Run a new process inside a running container; without --detach, exit with its status.\n\n"
      "Options:\n"
      "   --process, -p FILE       a runtime-spec process object (JSON) instead of COMMAND\n"
      "   --tty, -t                allocate a pseudo-terminal\n"
      "   --cwd DIR                working directory in the container\n"
      "   --env, -e KEY=VALUE      set an environment variable (repeatable)\n"
      "   --user, -u UID[:GID]     user and group to run as\n"
      "   --additional-gids, -g G  an additional group (repeatable)\n"
      "   --cap, -c CAP            add a capability (repeatable)\n"
      "   --no-new-privs           set no_new_privs\n"
      "   --detach, -d             do not wait for the process\n"
      "   --pid-file FILE          write the process's pid to FILE\n"
      "   --console-socket PATH    send the pty master fd to this AF_UNIX socket\n"
      "   --preserve-fds N         pass N more fds (3 .. 3+N-1) to the process\n"
      "   --cgroup PATH            run in this existing sub-cgroup of the container's cgroup\n";

enum
{
  OPT_CWD = 256,
  OPT_NO_NEW_PRIVS,
  OPT_PID_FILE,
  OPT_CONSOLE_SOCKET,
  OPT_PRESERVE_FDS,
  OPT_IGNORE_PAUSED,
  OPT_CGROUP,
  OPT_UNSUPPORTED,
};

static const struct option exec_options[] = {
  { "process", required_argument, NULL, 'p' },
  { "tty", no_argument, NULL, 't' },
  { "cwd", required_argument, NULL, OPT_CWD },
  { "env", required_argument, NULL, 'e' },
  { "user", required_argument, NULL, 'u' },
  { "additional-gids", required_argument, NULL, 'g' },
  { "cap", required_argument, NULL, 'c' },
  { "no-new-privs", no_argument, NULL, OPT_NO_NEW_PRIVS },
  { "detach", no_argument, NULL, 'd' },
  { "pid-file", required_argument, NULL, OPT_PID_FILE },
  { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
  { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
  { "ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED },
  { "process-label", required_argument, NULL, OPT_UNSUPPORTED },
  { "apparmor", required_argument, NULL, OPT_UNSUPPORTED },
  { "cgroup", required_argument, NULL, OPT_CGROUP },
  { "pidfd-socket", required_argument, NULL, OPT_UNSUPPORTED },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static void
exec_opts_free (struct cell_exec_opts *o)
{
  cell_strv_free (o->args);
  cell_strv_free (o->env);
  cell_strv_free (o->additional_gids_str);
  cell_strv_free (o->caps);
}

/* --cgroup [CONTROLLERS:]PATH, runc's syntax. cgroup v2 has one cgroup for every controller: only the
 * plain PATH (or ":PATH"), once, as runc on cgroup v2. */
static int
exec_cgroup_option (const char *arg, struct cell_exec_opts *o, cell_error_t *err)
{
  const char *colon = strchr (arg, ':');
  if (colon && strchr (colon + 1, ':'))
    return cell_error (err, 0, "exec: invalid --cgroup argument '%s'", arg);
  if (colon && colon != arg)
    return cell_error (err, 0, "exec: --cgroup '%s': no per-controller cgroups on cgroup v2, give the path alone",
                       arg);
  if (o->cgroup)
    return cell_error (err, 0, "exec: --cgroup given twice");
  o->cgroup = colon ? colon + 1 : arg;
  return 0;
}

static int
exec_option (int c, int longindex, char **argv, struct cell_exec_opts *o, cell_error_t *err)
{
  switch (c)
    {
    case 'p': o->process_file = optarg; return 0;
    case 't': o->tty = true; return 0;
    case 'e': o->env = cell_strv_append (o->env, optarg); return 0;
    case 'u': o->user = optarg; return 0;
    case 'g': o->additional_gids_str = cell_strv_append (o->additional_gids_str, optarg); return 0;
    case 'c': o->caps = cell_strv_append (o->caps, optarg); return 0;
    case 'd': o->detach = true; return 0;
    case OPT_CWD: o->cwd = optarg; return 0;
    case OPT_NO_NEW_PRIVS: o->no_new_privs = true; return 0;
    case OPT_PID_FILE: o->pid_file = optarg; return 0;
    case OPT_CONSOLE_SOCKET: o->console_socket = optarg; return 0;
    case OPT_PRESERVE_FDS: return cli_parse_uint ("exec", "preserve-fds", optarg, &o->preserve_fds, err);
    case OPT_IGNORE_PAUSED: return 0;
    case OPT_CGROUP: return exec_cgroup_option (optarg, o, err);
    case OPT_UNSUPPORTED: return cell_error (err, 0, "exec: --%s is not supported", exec_options[longindex].name);
    default: return cli_bad_option ("exec", c, argv, err);
    }
}

/* Returns 1 when --help was printed. */
static int
parse_exec (int argc, char **argv, struct cell_exec_opts *o, cell_error_t *err)
{
  int c, longindex = 0;
  while ((c = getopt_long (argc, argv, "+:p:te:u:g:c:dh", exec_options, &longindex)) != -1)
    {
      if (c == 'h')
        return cli_usage (usage), 1;
      if (exec_option (c, longindex, argv, o, err) < 0)
        return -1;
    }
  if (cli_check_args ("exec", argc - optind, CLI_MIN, 1, err) < 0)
    return -1;
  o->id = argv[optind];
  if (cell_id_validate (o->id, err) < 0)
    return -1;
  o->args = cell_strv_dup (argv + optind + 1);
  if (o->process_file == NULL && o->args[0] == NULL)
    return cell_error (err, 0, "exec: process args cannot be empty");
  return 0;
}

int
cli_exec (struct cli_global *g, int argc, char **argv, cell_error_t *err)
{
  struct cell_exec_opts o = { .id = NULL };
  int status = 0, r = parse_exec (argc, argv, &o, err);
  if (r == 0)
    r = cell_container_exec (&g->ctx, &o, &status, err);
  bool detach = o.detach;
  exec_opts_free (&o);
  if (r != 0)
    return r < 0 ? -1 : 0;
  return detach ? 0 : status;
}
