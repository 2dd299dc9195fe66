/* cell_mount_plan(): every runtime-spec mount option, data strings, errors; and the pure helpers. */
#include "runtime/rootfs/internal.h"
#include "runtime/base/cleanup.h"
#include "runtime/base/error.h"
#include "unit.h"

#include <errno.h>
#include <sys/mount.h>

/* Plan for options given as a NULL-terminated list; type "tmpfs" unless type given. */
static int
plan_of (struct cell_mount_plan *p, const char *type, const char *source, char **opts, cell_error_t *err)
{
  struct cell_mount m = { .destination = (char *) "/x", .type = (char *) type, .source = (char *) source,
                          .options = opts };
  return cell_mount_plan (&m, 3, p, err);
}

#define OPTS(...) ((char *[]){ __VA_ARGS__, NULL })

TEST (empty)
{
  struct cell_mount_plan p;
  cell_error_t err = NULL;
  CHECK (plan_of (&p, "tmpfs", "tmpfs", NULL, &err) == 0);
  CHECK (err == NULL);
  CHECK (p.flags == 0 && p.clear_flags == 0 && p.propagation == 0 && !p.bind && p.data == NULL);
  CHECK (!p.recursive_attrs && p.attr_set == 0 && p.attr_clr == 0);
}

TEST (set_flags)
{
  static const struct
  {
    const char *name;
    unsigned long flag;
  } t[] = {
    { "dirsync", MS_DIRSYNC },     { "iversion", MS_I_VERSION }, { "lazytime", MS_LAZYTIME },
    { "mand", MS_MANDLOCK },       { "noatime", MS_NOATIME },    { "nodev", MS_NODEV },
    { "nodiratime", MS_NODIRATIME }, { "noexec", MS_NOEXEC },    { "nosuid", MS_NOSUID },
    { "nosymfollow", MS_NOSYMFOLLOW }, { "relatime", MS_RELATIME }, { "remount", MS_REMOUNT },
    { "ro", MS_RDONLY },           { "silent", MS_SILENT },      { "strictatime", MS_STRICTATIME },
    { "sync", MS_SYNCHRONOUS },
  };
  for (size_t i = 0; i < ARRAY_SIZE (t); i++)
    {
      struct cell_mount_plan p;
      CHECK (plan_of (&p, "tmpfs", NULL, OPTS ((char *) t[i].name), NULL) == 0);
      if (p.flags != t[i].flag || p.clear_flags != 0 || p.data != NULL)
        fprintf (stderr, "  option %s\n", t[i].name);
      CHECK (p.flags == t[i].flag && p.clear_flags == 0 && p.data == NULL);
    }
}

TEST (clear_flags)
{
  static const struct
  {
    const char *set, *clr;
    unsigned long flag;
  } t[] = {
    { "sync", "async", MS_SYNCHRONOUS },   { "noatime", "atime", MS_NOATIME },
    { "nodev", "dev", MS_NODEV },          { "nodiratime", "diratime", MS_NODIRATIME },
    { "noexec", "exec", MS_NOEXEC },       { "iversion", "noiversion", MS_I_VERSION },
    { "lazytime", "nolazytime", MS_LAZYTIME }, { "silent", "loud", MS_SILENT },
    { "mand", "nomand", MS_MANDLOCK },     { "relatime", "norelatime", MS_RELATIME },
    { "strictatime", "nostrictatime", MS_STRICTATIME }, { "nosuid", "suid", MS_NOSUID },
    { "ro", "rw", MS_RDONLY },             { "nosymfollow", "symfollow", MS_NOSYMFOLLOW },
  };
  for (size_t i = 0; i < ARRAY_SIZE (t); i++)
    {
      struct cell_mount_plan p;
      /* the last one wins */
      CHECK (plan_of (&p, "tmpfs", NULL, OPTS ((char *) t[i].set, (char *) t[i].clr), NULL) == 0);
      CHECK (p.flags == 0 && p.clear_flags == t[i].flag);
      CHECK (plan_of (&p, "tmpfs", NULL, OPTS ((char *) t[i].clr, (char *) t[i].set), NULL) == 0);
      CHECK (p.flags == t[i].flag && p.clear_flags == 0);
    }
}

TEST (defaults)
{
  struct cell_mount_plan p;
  CHECK (plan_of (&p, "tmpfs", NULL, OPTS ("defaults"), NULL) == 0);
  CHECK (p.flags == 0 && p.clear_flags == 0 && p.data == NULL);
}

TEST (bind)
{
  struct cell_mount_plan p;
  CHECK (plan_of (&p, NULL, "/src", OPTS ("bind"), NULL) == 0);
  CHECK (p.bind && p.flags == MS_BIND);
  CHECK (plan_of (&p, "none", "/src", OPTS ("rbind", "ro"), NULL) == 0);
  CHECK (p.bind && p.flags == (MS_BIND | MS_REC | MS_RDONLY));
  CHECK (plan_of (&p, "bind", "/src", NULL, NULL) == 0);
  CHECK (p.bind && p.flags == MS_BIND);
}

TEST (recursive)
{
  static const struct
  {
    const char *name;
    uint64_t set, clr;
  } t[] = {
    { "rro", MOUNT_ATTR_RDONLY, 0 },
    { "rrw", 0, MOUNT_ATTR_RDONLY },
    { "rnosuid", MOUNT_ATTR_NOSUID, 0 },
    { "rsuid", 0, MOUNT_ATTR_NOSUID },
    { "rnodev", MOUNT_ATTR_NODEV, 0 },
    { "rdev", 0, MOUNT_ATTR_NODEV },
    { "rnoexec", MOUNT_ATTR_NOEXEC, 0 },
    { "rexec", 0, MOUNT_ATTR_NOEXEC },
    { "rnodiratime", MOUNT_ATTR_NODIRATIME, 0 },
    { "rdiratime", 0, MOUNT_ATTR_NODIRATIME },
    { "rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0 },
    { "rsymfollow", 0, MOUNT_ATTR_NOSYMFOLLOW },
    { "rrelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
    { "rnorelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
    { "rnoatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME },
    { "ratime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
    { "rstrictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME },
    { "rnostrictatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
  };
  for (size_t i = 0; i < ARRAY_SIZE (t); i++)
    {
      struct cell_mount_plan p;
      CHECK (plan_of (&p, NULL, "/s", OPTS ("rbind", (char *) t[i].name), NULL) == 0);
      if (p.attr_set != t[i].set || p.attr_clr != t[i].clr)
        fprintf (stderr, "  option %s\n", t[i].name);
      CHECK (p.recursive_attrs && p.attr_set == t[i].set && p.attr_clr == t[i].clr);
      CHECK (p.flags == (MS_BIND | MS_REC) && p.data == NULL);
    }
}

TEST (recursive_combined)
{
  struct cell_mount_plan p;
  CHECK (plan_of (&p, NULL, "/s", OPTS ("rbind", "rro", "rnoatime", "rstrictatime", "rnosuid", "rsuid"), NULL)
         == 0);
  CHECK (p.attr_set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_STRICTATIME));
  CHECK (p.attr_clr == (MOUNT_ATTR__ATIME | MOUNT_ATTR_NOSUID));
  CHECK (plan_of (&p, NULL, "/s", OPTS ("rbind", "rro", "rrw"), NULL) == 0);
  CHECK (p.attr_set == 0 && p.attr_clr == MOUNT_ATTR_RDONLY);
}

TEST (propagation)
{
  static const struct
  {
    const char *name;
    unsigned long flags;
  } t[] = {
    { "shared", MS_SHARED },          { "slave", MS_SLAVE },          { "private", MS_PRIVATE },
    { "unbindable", MS_UNBINDABLE },  { "rshared", MS_SHARED | MS_REC }, { "rslave", MS_SLAVE | MS_REC },
    { "rprivate", MS_PRIVATE | MS_REC }, { "runbindable", MS_UNBINDABLE | MS_REC },
  };
  for (size_t i = 0; i < ARRAY_SIZE (t); i++)
    {
      struct cell_mount_plan p;
      unsigned long f = 0;
      CHECK (plan_of (&p, NULL, "/s", OPTS ("bind", (char *) t[i].name), NULL) == 0);
      CHECK (p.propagation == t[i].flags && p.flags == MS_BIND);
      CHECK (cell_propagation_parse (t[i].name, &f) == 0 && f == t[i].flags);
    }
  unsigned long f = 0;
  CHECK (cell_propagation_parse ("ro", &f) < 0);
  CHECK (cell_propagation_parse ("bogus", &f) < 0);
  CHECK (cell_propagation_parse (NULL, &f) < 0);
}

TEST (data)
{
  struct cell_mount_plan p;
  CHECK (plan_of (&p, "tmpfs", "tmpfs", OPTS ("nosuid", "strictatime", "mode=755", "size=65536k"), NULL) == 0);
  CHECK (p.flags == (MS_NOSUID | MS_STRICTATIME));
  CHECK_STR (p.data, "mode=755,size=65536k");
  cell_mount_plan_free (&p);
  CHECK (p.data == NULL);
  CHECK (plan_of (&p, "devpts", "devpts", OPTS ("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"),
                  NULL)
         == 0);
  CHECK_STR (p.data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  cell_mount_plan_free (&p);
}

TEST (tmpcopyup_idmap)
{
  struct cell_mount_plan p;
  CHECK (plan_of (&p, "tmpfs", "tmpfs", OPTS ("tmpcopyup"), NULL) == 0);
  CHECK (p.tmpcopyup && p.data == NULL);
  CHECK (plan_of (&p, NULL, "/s", OPTS ("bind", "idmap"), NULL) == 0);
  CHECK (p.idmap && !p.idmap_recursive && p.data == NULL);
  CHECK (plan_of (&p, NULL, "/s", OPTS ("rbind", "ridmap"), NULL) == 0);
  CHECK (p.idmap && p.idmap_recursive);
  struct cell_id_mapping map = { 0, 100000, 65536 };
  struct cell_mount m = { .destination = (char *) "/x", .type = (char *) "bind", .source = (char *) "/s",
                          .uid_mappings = &map, .n_uid_mappings = 1, .gid_mappings = &map, .n_gid_mappings = 1 };
  CHECK (cell_mount_plan (&m, 0, &p, NULL) == 0);
  CHECK (p.idmap);
}

TEST (errors)
{
  struct cell_mount_plan p;
  cell_error_t err = NULL;
  CHECK (plan_of (&p, "tmpfs", NULL, OPTS ("ro", ""), &err) < 0);
  CHECK_STR (err->msg, "mounts[3].options[1]: empty option");
  cell_error_free (&err);

  CHECK (plan_of (&p, NULL, NULL, OPTS ("ro"), &err) < 0);
  CHECK_STR (err->msg, "mounts[3].type: required for a mount that is not a bind mount");
  cell_error_free (&err);

  CHECK (plan_of (&p, NULL, NULL, OPTS ("rbind"), &err) < 0);
  CHECK_STR (err->msg, "mounts[3].source: required for a bind mount");
  cell_error_free (&err);

  CHECK (plan_of (&p, "tmpfs", "tmpfs", OPTS ("idmap"), &err) < 0);
  CHECK_STR (err->msg, "mounts[3]: idmapped mounts are only supported for bind mounts");
  cell_error_free (&err);

  struct cell_mount m = { .destination = NULL, .type = (char *) "tmpfs" };
  CHECK (cell_mount_plan (&m, 7, &p, &err) < 0);
  CHECK_STR (err->msg, "mounts[7].destination: required");
  CHECK (err->code == EINVAL);
  cell_error_free (&err);

  struct cell_id_mapping map = { 0, 100000, 65536 };
  struct cell_mount m2 = { .destination = (char *) "/x", .type = (char *) "bind", .source = (char *) "/s",
                           .uid_mappings = &map, .n_uid_mappings = 1 };
  CHECK (cell_mount_plan (&m2, 0, &p, &err) < 0);
  CHECK_STR (err->msg, "mounts[0]: uidMappings and gidMappings must be given together");
  cell_error_free (&err);

  /* a failed plan owns nothing */
  CHECK (plan_of (&p, NULL, NULL, OPTS ("size=1k", "rbind"), &err) < 0);
  CHECK (p.data == NULL);
  cell_error_free (&err);
}

TEST (remount_needs_no_type)
{
  struct cell_mount_plan p;
  CHECK (plan_of (&p, NULL, NULL, OPTS ("remount", "ro"), NULL) == 0);
  CHECK (p.flags == (MS_REMOUNT | MS_RDONLY));
}

TEST (attrs)
{
  struct cell_mount_plan p;
  uint64_t set, clr;
  CHECK (plan_of (&p, NULL, "/s", OPTS ("bind", "ro", "nosuid", "nodev", "noexec", "nodiratime", "nosymfollow"),
                  NULL)
         == 0);
  cell_mount_plan_attrs (&p, &set, &clr);
  CHECK (set
         == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODIRATIME
             | MOUNT_ATTR_NOSYMFOLLOW));
  CHECK (clr == 0);
  CHECK (plan_of (&p, NULL, "/s", OPTS ("bind", "rw", "suid", "dev", "exec"), NULL) == 0);
  cell_mount_plan_attrs (&p, &set, &clr);
  CHECK (set == 0 && clr == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC));
  /* atime: only touched when asked; strictatime beats noatime as in mount(2) */
  CHECK (plan_of (&p, NULL, "/s", OPTS ("bind", "noatime"), NULL) == 0);
  cell_mount_plan_attrs (&p, &set, &clr);
  CHECK (set == MOUNT_ATTR_NOATIME && clr == MOUNT_ATTR__ATIME);
  CHECK (plan_of (&p, NULL, "/s", OPTS ("bind", "noatime", "strictatime"), NULL) == 0);
  cell_mount_plan_attrs (&p, &set, &clr);
  CHECK (set == MOUNT_ATTR_STRICTATIME && clr == MOUNT_ATTR__ATIME);
  CHECK (plan_of (&p, NULL, "/s", OPTS ("bind", "atime"), NULL) == 0);
  cell_mount_plan_attrs (&p, &set, &clr);
  CHECK (set == MOUNT_ATTR_RELATIME && clr == MOUNT_ATTR__ATIME);
  /* superblock flags are not mount attributes */
  CHECK (plan_of (&p, NULL, "/s", OPTS ("bind", "sync", "dirsync", "mand"), NULL) == 0);
  cell_mount_plan_attrs (&p, &set, &clr);
  CHECK (set == 0 && clr == 0);
}

TEST (path_split)
{
  static const char *const t[][3] = {
    { "/proc", "/", "proc" },     { "/dev/pts", "/dev", "pts" }, { "/a/b/c/", "/a/b", "c" },
    { "dev/shm", "dev", "shm" },  { "x", ".", "x" },             { "/", "/", "" },
    { "//a//b", "//a", "b" },     { "/a//b", "/a", "b" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (t); i++)
    {
      char *parent = NULL, *last = NULL;
      cell_path_split (t[i][0], &parent, &last);
      int ok = strcmp (parent, t[i][1]) == 0 && strcmp (last, t[i][2]) == 0;
      if (!ok)
        fprintf (stderr, "  split '%s' -> '%s' '%s'\n", t[i][0], parent, last);
      free (parent);
      free (last);
      CHECK (ok);
    }
}

TEST (is_dev)
{
  bool bind = true;
  struct cell_mount m = { .destination = (char *) "/dev", .type = (char *) "tmpfs" };
  CHECK (cell_mount_is_dev (&m, &bind) && !bind);
  m.destination = (char *) "//dev/";
  CHECK (cell_mount_is_dev (&m, &bind) && !bind);
  m.destination = (char *) "/dev/pts";
  CHECK (!cell_mount_is_dev (&m, &bind));
  m.destination = (char *) "/devices";
  CHECK (!cell_mount_is_dev (&m, &bind));
  m.destination = (char *) "/dev";
  m.type = NULL;
  m.options = OPTS ("rbind", "rprivate");
  CHECK (cell_mount_is_dev (&m, &bind) && bind);
}

int
main (void)
{
  RUN (empty);
  RUN (set_flags);
  RUN (clear_flags);
  RUN (defaults);
  RUN (bind);
  RUN (recursive);
  RUN (recursive_combined);
  RUN (propagation);
  RUN (data);
  RUN (tmpcopyup_idmap);
  RUN (errors);
  RUN (remount_needs_no_type);
  RUN (attrs);
  RUN (path_split);
  RUN (is_dev);
  UNIT_END ();
}
