/* cell spec [--bundle DIR] [--rootless]: write a default config.json, never over an existing one. */
#include "cli.h"
#include "runtime/base/cleanup.h"
#include "runtime/base/fd.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>

static const char usage[] = "usage: cell spec [options]\n\n"
                            "Write a default config.json into the bundle directory.\n\n"
                            "Options:\n"
                            "   --bundle, -b DIR   bundle directory (default: the current directory)\n"
                            "   --rootless         a config for a container run by an unprivileged user\n";

struct spec_opts
{
  const char *bundle;
  bool rootless;
};

static int
parse_spec (int argc, char **argv, struct spec_opts *o, cell_error_t *err)
{
  static const struct option opts[] = {
    { "bundle", required_argument, NULL, 'b' },
    { "rootless", no_argument, NULL, 'r' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;
  while ((c = getopt_long (argc, argv, ":b:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'b': o->bundle = optarg; break;
      case 'r': o->rootless = true; break;
      case 'h': return cli_usage (usage), 1;
      default: return cli_bad_option ("spec", c, argv, err);
      }
  return cli_check_args ("spec", argc - optind, CLI_EXACT, 0, err);
}

static int
write_spec (const struct spec_opts *o, const char *text, cell_error_t *err)
{
  _cleanup_close_ int dirfd = open (o->bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return cell_error_errno (err, "open '%s'", o->bundle);
  /* O_EXCL: like runc, never replace a config someone wrote. */
  _cleanup_close_ int fd = openat (dirfd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0 && errno == EEXIST)
    return cell_error (err, 0, "File config.json exists. Remove it first.");
  if (fd < 0)
    return cell_error_errno (err, "create '%s/config.json'", o->bundle);
  if (cell_write_all (fd, text, strlen (text), err) < 0 || cell_write_all (fd, "\n", 1, err) < 0)
    return cell_error_prefix (err, "write '%s/config.json'", o->bundle);
  return 0;
}

int
cli_spec (struct cli_global *g, int argc, char **argv, cell_error_t *err)
{
  struct spec_opts o = { ".", false };
  int r = parse_spec (argc, argv, &o, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char *text = cell_spec_default (o.rootless);
  return write_spec (&o, text, err);
}
