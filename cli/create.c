/* cell create ID: set up the container and stop before the user process (see `cell start`). The option parser
 * is shared with `cell run`, which adds --detach. */
#include "cli.h"

#include <getopt.h>

static const char create_usage[]
    = "usage: cell create [options] CONTAINER_ID\n\n"
      "Create a container from the bundle; 'cell start' then runs its process.\n\n"
      "Options:\n"
      "   --bundle, -b DIR        bundle directory (default: the current directory)\n"
      "   --pid-file FILE         write the container's init pid to FILE\n"
      "   --console-socket PATH   send the pty master fd to this AF_UNIX socket (process.terminal)\n"
      "   --no-pivot              use chroot instead of pivot_root (for ramdisk roots)\n"
      "   --no-new-keyring        keep the caller's session keyring\n"
      "   --preserve-fds N        pass N more fds (3 .. 3+N-1) to the container\n";

static const char run_usage[]
    = "usage: cell run [options] CONTAINER_ID\n\n"
      "Create and start a container; unless detached, wait for it, delete it and exit with its status.\n\n"
      "Options:\n"
      "   --bundle, -b DIR        bundle directory (default: the current directory)\n"
      "   --detach, -d            do not wait for the container\n"
      "   --pid-file FILE         write the container's init pid to FILE\n"
      "   --console-socket PATH   send the pty master fd to this AF_UNIX socket (process.terminal)\n"
      "   --no-pivot              use chroot instead of pivot_root (for ramdisk roots)\n"
      "   --no-new-keyring        keep the caller's session keyring\n"
      "   --preserve-fds N        pass N more fds (3 .. 3+N-1) to the container\n";

enum
{
  OPT_PID_FILE = 256,
  OPT_CONSOLE_SOCKET,
  OPT_NO_PIVOT,
  OPT_NO_NEW_KEYRING,
  OPT_PRESERVE_FDS,
  OPT_PIDFD_SOCKET,
};

static const struct option create_options[] = {
  { "bundle", required_argument, NULL, 'b' },
  { "pid-file", required_argument, NULL, OPT_PID_FILE },
  { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
  { "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
  { "no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING },
  { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
  { "pidfd-socket", required_argument, NULL, OPT_PIDFD_SOCKET },
  { "detach", no_argument, NULL, 'd' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static int
create_option (const char *verb, int c, char **argv, struct cell_create_opts *o, cell_error_t *err)
{
  switch (c)
    {
    case 'b': o->bundle = optarg; return 0;
    case 'd': o->detach = true; return 0;
    case OPT_PID_FILE: o->pid_file = optarg; return 0;
    case OPT_CONSOLE_SOCKET: o->console_socket = optarg; return 0;
    case OPT_NO_PIVOT: o->no_pivot = true; return 0;
    case OPT_NO_NEW_KEYRING: o->no_new_keyring = true; return 0;
    case OPT_PRESERVE_FDS: return cli_parse_uint (verb, "preserve-fds", optarg, &o->preserve_fds, err);
    case OPT_PIDFD_SOCKET: return cell_error (err, 0, "%s: --pidfd-socket is not supported", verb);
    default: return cli_bad_option (verb, c, argv, err);
    }
}

int
cli_parse_create (int argc, char **argv, bool is_run, struct cell_create_opts *o, cell_error_t *err)
{
  const char *verb = is_run ? "run" : "create";
  int c;
  *o = (struct cell_create_opts){ .bundle = "." };
  while ((c = getopt_long (argc, argv, is_run ? ":b:dh" : ":b:h", create_options, NULL)) != -1)
    {
      if (c == 'h')
        return cli_usage (is_run ? run_usage : create_usage), 1;
      if (c == 'd' && !is_run)
        return cell_error (err, 0, "create: unknown option '--detach'");
      if (create_option (verb, c, argv, o, err) < 0)
        return -1;
    }
  if (cli_check_args (verb, argc - optind, CLI_EXACT, 1, err) < 0)
    return -1;
  o->id = argv[optind];
  return cell_id_validate (o->id, err);
}

int
cli_create (struct cli_global *g, int argc, char **argv, cell_error_t *err)
{
  struct cell_create_opts o;
  int r = cli_parse_create (argc, argv, false, &o, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  return cell_container_create (&g->ctx, &o, err) < 0 ? -1 : 0;
}
