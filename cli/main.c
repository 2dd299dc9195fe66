/* cell: global options and the command table. runc's global flags, so containerd's shim and podman drive cell
 * unchanged: `cell [--root DIR] [--log FILE] [--log-format text|json] [--debug] VERB [ARGS]`. */
#include "cli.h"
#include "runtime/base/cleanup.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cli_command
{
  const char *name;
  cli_handler handler;
  const char *summary;
};

static const struct cli_command commands[] = {
  { "create", cli_create, "create a container" },
  { "start", cli_start, "run the user process of a created container" },
  { "run", cli_run, "create and start a container" },
  { "state", cli_state, "print the state of a container" },
  { "list", cli_list, "list the containers under the state root" },
  { "kill", cli_kill, "send a signal to a container's init process" },
  { "delete", cli_delete, "delete a container and what it holds" },
  { "exec", cli_exec, "run a new process inside a running container" },
  { "spec", cli_spec, "write a default config.json" },
  { "features", cli_features, "print the features this runtime supports (JSON)" },
  { "overcommit", cli_overcommit, "report the overcommit policy's state (overcommit status)" },
  { "image", cli_image, "unpack, list and inspect OCI image layouts" },
  { "pause", cli_pause, "suspend every process of a container" },
  { "resume", cli_resume, "resume the processes of a paused container" },
  { "update", cli_update, "update the resource limits of a running container" },
  { "ps", cli_ps, "list the processes of a container" },
  { "events", cli_events, "print a container's resource statistics and OOM events" },
};

static int
print_help (FILE *out)
{
  fputs ("usage: cell [global options] COMMAND [options] [arguments]\n\n"
         "cell is an OCI container runtime (runtime-spec 1.3.0, runc-compatible command line).\n\n"
         "Commands:\n",
         out);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf (out, "   %-10s %s\n", commands[i].name, commands[i].summary);
  fputs ("\nGlobal options:\n"
         "   --root DIR              state directory (default /run/cell; $XDG_RUNTIME_DIR/cell when rootless)\n"
         "   --log FILE              write log lines to FILE instead of stderr\n"
         "   --log-format text|json  format of the log lines (default text)\n"
         "   --debug                 log debug messages\n"
         "   --systemd-cgroup        accepted for compatibility; not supported (ignored)\n"
         "   --overcommit-policy FILE  overcommit policy (default /etc/cell/overcommit.conf, if it exists)\n"
         "   --ignore-missing-controllers\n"
         "                           skip limits whose cgroup v2 controller is missing instead of failing\n"
         "                           (also CELL_IGNORE_MISSING_CONTROLLERS=1)\n"
         "   --version, -v           print the version\n"
         "   --help, -h              print this help\n\n"
         "Run 'cell COMMAND --help' for a command's options.\n",
         out);
  return 0;
}

static int
print_version (void)
{
  printf ("cell version %s\ncommit: %s\nspec: 1.3.0\nlibseccomp: %s\n", CELL_VERSION, CELL_COMMIT,
          cell_seccomp_library_version ());
  return 0;
}

enum
{
  OPT_ROOT = 256,
  OPT_LOG,
  OPT_LOG_FORMAT,
  OPT_DEBUG,
  OPT_SYSTEMD_CGROUP,
  OPT_ROOTLESS,
  OPT_CRIU,
  OPT_OVERCOMMIT_POLICY,
  OPT_IGNORE_MISSING,
};

/* Returns 1 to go on with a verb, 0 when --help/--version was handled, -1 on error. */
static int
parse_global (struct cli_global *g, int argc, char **argv, cell_error_t *err)
{
  static const struct option opts[] = {
    { "root", required_argument, NULL, OPT_ROOT },
    { "log", required_argument, NULL, OPT_LOG },
    { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
    { "debug", no_argument, NULL, OPT_DEBUG },
    { "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD_CGROUP },
    /* runc's --rootless auto|true|false and --criu PATH: accepted and ignored. */
    { "rootless", required_argument, NULL, OPT_ROOTLESS },
    { "criu", required_argument, NULL, OPT_CRIU },
    { "overcommit-policy", required_argument, NULL, OPT_OVERCOMMIT_POLICY },
    { "ignore-missing-controllers", no_argument, NULL, OPT_IGNORE_MISSING },
    { "version", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;
  while ((c = getopt_long (argc, argv, "+:vh", opts, NULL)) != -1)
    switch (c)
      {
      case OPT_ROOT: g->ctx.root = optarg; break;
      case OPT_LOG: g->log_path = optarg; break;
      case OPT_DEBUG: g->ctx.debug = true; break;
      case OPT_SYSTEMD_CGROUP: g->systemd_cgroup = true; break;
      case OPT_IGNORE_MISSING: g->ctx.ignore_missing_controllers = true; break;
      case OPT_ROOTLESS:
      case OPT_CRIU: break;
      case OPT_OVERCOMMIT_POLICY: g->ctx.overcommit_policy = optarg; break;
      case OPT_LOG_FORMAT:
        if (strcmp (optarg, "text") != 0 && strcmp (optarg, "json") != 0)
          return cell_error (err, 0, "unknown log-format '%s'", optarg);
        g->log_format = strcmp (optarg, "json") == 0 ? CELL_LOG_JSON : CELL_LOG_TEXT;
        break;
      case 'v': return print_version ();
      case 'h': return print_help (stdout);
      default: return cli_bad_option ("cell", c, argv, err);
      }
  return 1;
}

static const struct cli_command *
find_command (const char *name)
{
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp (commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

static int
dispatch (struct cli_global *g, int argc, char **argv, cell_error_t *err)
{
  int r = parse_global (g, argc, argv, err);
  if (r <= 0)
    return r;
  if (cell_log_init (g->log_path, g->log_format, g->ctx.debug) < 0)
    return cell_error_errno (err, "open log file '%s'", g->log_path);
  if (g->systemd_cgroup)
    cell_warning ("--systemd-cgroup is not supported; cgroups are managed directly");
  if (optind >= argc || strcmp (argv[optind], "help") == 0)
    return print_help (stdout);
  const struct cli_command *cmd = find_command (argv[optind]);
  if (cmd == NULL)
    return cell_error (err, 0, "unknown command '%s' (see 'cell --help')", argv[optind]);
  cell_debug ("command %s", cmd->name);
  char **verb_argv = argv + optind;
  int verb_argc = argc - optind;
  /* optind = 0 makes glibc's getopt start afresh (the leading '+' and its scan state) for the verb. */
  optind = 0;
  return cmd->handler (g, verb_argc, verb_argv, err);
}

static bool
in_user_namespace (void)
{
  _cleanup_fclose_ FILE *f = fopen ("/proc/self/uid_map", "re");
  unsigned long inside, outside, count;
  if (f == NULL || fscanf (f, "%lu %lu %lu", &inside, &outside, &count) != 3)
    return false;
  return !(inside == 0 && outside == 0 && count == 4294967295UL);
}

/* runc's default root: $XDG_RUNTIME_DIR/cell for an unprivileged caller, and for root in a user namespace
 * (rootless podman runs its runtime so) unless $USER is root; /run/cell otherwise. */
static const char *
default_root (void)
{
  static char path[PATH_MAX];
  const char *xdg = getenv ("XDG_RUNTIME_DIR");
  const char *user = getenv ("USER");
  if (xdg == NULL || *xdg == '\0' || (geteuid () == 0 && (!in_user_namespace () || (user && strcmp (user, "root") == 0))))
    return "/run/cell";
  if ((size_t) snprintf (path, sizeof path, "%s/cell", xdg) >= sizeof path)
    return "/run/cell";
  return path;
}

int
main (int argc, char **argv)
{
  struct cli_global g = { .ctx = { .root = default_root (), .debug = false }, .log_format = CELL_LOG_TEXT };
  cell_error_t err = NULL;
  const char *ignore = getenv ("CELL_IGNORE_MISSING_CONTROLLERS");
  g.ctx.ignore_missing_controllers = ignore && *ignore && strcmp (ignore, "0") != 0;
  opterr = 0;
  int r = dispatch (&g, argc, argv, &err);
  if (r < 0)
    {
      r = cli_print_error (err);
      cell_error_free (&err);
    }
  return r;
}
