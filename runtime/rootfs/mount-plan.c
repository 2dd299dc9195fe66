/* cell: one config mount -> flags, attributes and a data string. Pure: no syscalls, unit-tested. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the asan build overrides CFLAGS and loses -D_GNU_SOURCE */
#endif
#include "internal.h"
#include "base/cleanup.h"
#include "base/xalloc.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>

enum opt_kind
{
  OPT_SET,       /* MS_* flag set */
  OPT_CLR,       /* MS_* flag cleared */
  OPT_REC_SET,   /* MOUNT_ATTR_* set recursively */
  OPT_REC_CLR,   /* MOUNT_ATTR_* cleared recursively */
  OPT_REC_ATIME, /* MOUNT_ATTR_ atime mode (an enum, not a bit) set recursively */
  OPT_PROPAGATION,
  OPT_BIND,
  OPT_TMPCOPYUP,
  OPT_IDMAP,
};

struct opt
{
  const char *name;
  enum opt_kind kind;
  unsigned long value;
};

/* The runtime-spec's list (config.md, "Linux mount options"), which is mount(8)'s plus the r* and idmap ones. */
static const struct opt opts[] = {
  { "async", OPT_CLR, MS_SYNCHRONOUS },
  { "atime", OPT_CLR, MS_NOATIME },
  { "bind", OPT_BIND, MS_BIND },
  { "defaults", OPT_SET, 0 },
  { "dev", OPT_CLR, MS_NODEV },
  { "diratime", OPT_CLR, MS_NODIRATIME },
  { "dirsync", OPT_SET, MS_DIRSYNC },
  { "exec", OPT_CLR, MS_NOEXEC },
  { "iversion", OPT_SET, MS_I_VERSION },
  { "lazytime", OPT_SET, MS_LAZYTIME },
  { "loud", OPT_CLR, MS_SILENT },
  { "mand", OPT_SET, MS_MANDLOCK },
  { "noatime", OPT_SET, MS_NOATIME },
  { "nodev", OPT_SET, MS_NODEV },
  { "nodiratime", OPT_SET, MS_NODIRATIME },
  { "noexec", OPT_SET, MS_NOEXEC },
  { "noiversion", OPT_CLR, MS_I_VERSION },
  { "nolazytime", OPT_CLR, MS_LAZYTIME },
  { "nomand", OPT_CLR, MS_MANDLOCK },
  { "norelatime", OPT_CLR, MS_RELATIME },
  { "nostrictatime", OPT_CLR, MS_STRICTATIME },
  { "nosuid", OPT_SET, MS_NOSUID },
  { "nosymfollow", OPT_SET, MS_NOSYMFOLLOW },
  { "rbind", OPT_BIND, MS_BIND | MS_REC },
  { "relatime", OPT_SET, MS_RELATIME },
  { "remount", OPT_SET, MS_REMOUNT },
  { "ro", OPT_SET, MS_RDONLY },
  { "rw", OPT_CLR, MS_RDONLY },
  { "silent", OPT_SET, MS_SILENT },
  { "strictatime", OPT_SET, MS_STRICTATIME },
  { "suid", OPT_CLR, MS_NOSUID },
  { "symfollow", OPT_CLR, MS_NOSYMFOLLOW },
  { "sync", OPT_SET, MS_SYNCHRONOUS },
  /* Recursive attributes, applied with mount_setattr(AT_RECURSIVE) (kernel 5.12). */
  { "rro", OPT_REC_SET, MOUNT_ATTR_RDONLY },
  { "rrw", OPT_REC_CLR, MOUNT_ATTR_RDONLY },
  { "rnosuid", OPT_REC_SET, MOUNT_ATTR_NOSUID },
  { "rsuid", OPT_REC_CLR, MOUNT_ATTR_NOSUID },
  { "rnodev", OPT_REC_SET, MOUNT_ATTR_NODEV },
  { "rdev", OPT_REC_CLR, MOUNT_ATTR_NODEV },
  { "rnoexec", OPT_REC_SET, MOUNT_ATTR_NOEXEC },
  { "rexec", OPT_REC_CLR, MOUNT_ATTR_NOEXEC },
  { "rnodiratime", OPT_REC_SET, MOUNT_ATTR_NODIRATIME },
  { "rdiratime", OPT_REC_CLR, MOUNT_ATTR_NODIRATIME },
  { "rnosymfollow", OPT_REC_SET, MOUNT_ATTR_NOSYMFOLLOW },
  { "rsymfollow", OPT_REC_CLR, MOUNT_ATTR_NOSYMFOLLOW },
  /* The atime modes are one field: clearing one of them means going back to the kernel default, relatime. */
  { "rrelatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
  { "rnorelatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
  { "rnoatime", OPT_REC_ATIME, MOUNT_ATTR_NOATIME },
  { "ratime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
  { "rstrictatime", OPT_REC_ATIME, MOUNT_ATTR_STRICTATIME },
  { "rnostrictatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
  { "shared", OPT_PROPAGATION, MS_SHARED },
  { "slave", OPT_PROPAGATION, MS_SLAVE },
  { "private", OPT_PROPAGATION, MS_PRIVATE },
  { "unbindable", OPT_PROPAGATION, MS_UNBINDABLE },
  { "rshared", OPT_PROPAGATION, MS_SHARED | MS_REC },
  { "rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC },
  { "rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC },
  { "runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC },
  { "tmpcopyup", OPT_TMPCOPYUP, 0 },
  { "idmap", OPT_IDMAP, 0 },
  { "ridmap", OPT_IDMAP, MS_REC },
};

static const struct opt *
opt_find (const char *name)
{
  for (size_t i = 0; i < ARRAY_SIZE (opts); i++)
    if (strcmp (opts[i].name, name) == 0)
      return &opts[i];
  return NULL;
}

static void
data_append (struct cell_mount_plan *plan, const char *o)
{
  if (plan->data == NULL)
    {
      plan->data = xstrdup (o);
      return;
    }
  char *d = xasprintf ("%s,%s", plan->data, o);
  free (plan->data);
  plan->data = d;
}

static void
plan_apply_opt (struct cell_mount_plan *plan, const struct opt *o)
{
  switch (o->kind)
    {
    case OPT_SET:
      plan->flags |= o->value;
      plan->clear_flags &= ~o->value;
      break;
    case OPT_CLR:
      plan->flags &= ~o->value;
      plan->clear_flags |= o->value;
      break;
    case OPT_REC_SET:
      plan->attr_set |= o->value;
      plan->attr_clr &= ~o->value;
      plan->recursive_attrs = true;
      break;
    case OPT_REC_CLR:
      plan->attr_clr |= o->value;
      plan->attr_set &= ~o->value;
      plan->recursive_attrs = true;
      break;
    case OPT_REC_ATIME:
      /* mount_setattr(2): an atime mode in attr_set needs MOUNT_ATTR__ATIME in attr_clr. */
      plan->attr_clr |= MOUNT_ATTR__ATIME;
      plan->attr_set = (plan->attr_set & ~(uint64_t) MOUNT_ATTR__ATIME) | o->value;
      plan->recursive_attrs = true;
      break;
    case OPT_PROPAGATION:
      plan->propagation = o->value;
      break;
    case OPT_BIND:
      plan->bind = true;
      plan->flags |= o->value;
      break;
    case OPT_TMPCOPYUP:
      plan->tmpcopyup = true;
      break;
    case OPT_IDMAP:
      plan->idmap = true;
      plan->idmap_recursive |= o->value != 0;
      break;
    }
}

static int
plan_check (const struct cell_mount *m, size_t i, struct cell_mount_plan *plan, cell_error_t *err)
{
  if (m->destination == NULL || m->destination[0] == '\0')
    return cell_error (err, EINVAL, "mounts[%zu].destination: required", i);
  if (m->type && strcmp (m->type, "bind") == 0)
    plan->bind = true, plan->flags |= MS_BIND;
  if (plan->bind && (m->source == NULL || m->source[0] == '\0'))
    return cell_error (err, EINVAL, "mounts[%zu].source: required for a bind mount", i);
  if (!plan->bind && !(plan->flags & MS_REMOUNT) && (m->type == NULL || m->type[0] == '\0'))
    return cell_error (err, EINVAL, "mounts[%zu].type: required for a mount that is not a bind mount", i);
  if ((m->n_uid_mappings > 0) != (m->n_gid_mappings > 0))
    return cell_error (err, EINVAL, "mounts[%zu]: uidMappings and gidMappings must be given together", i);
  if (m->n_uid_mappings > 0)
    plan->idmap = true;
  if (plan->idmap && !plan->bind)
    return cell_error (err, EINVAL, "mounts[%zu]: idmapped mounts are only supported for bind mounts", i);
  return 0;
}

int
cell_mount_plan (const struct cell_mount *m, size_t i, struct cell_mount_plan *plan, cell_error_t *err)
{
  memset (plan, 0, sizeof *plan);
  for (size_t j = 0; m->options && m->options[j]; j++)
    {
      const char *name = m->options[j];
      if (name[0] == '\0')
        {
          cell_mount_plan_free (plan);
          return cell_error (err, EINVAL, "mounts[%zu].options[%zu]: empty option", i, j);
        }
      const struct opt *o = opt_find (name);
      if (o)
        plan_apply_opt (plan, o);
      else
        data_append (plan, name);
    }
  if (plan_check (m, i, plan, err) < 0)
    {
      cell_mount_plan_free (plan);
      return -1;
    }
  return 0;
}

void
cell_mount_plan_free (struct cell_mount_plan *plan)
{
  free (plan->data);
  plan->data = NULL;
}

/* The MS_* flags that are per-mount (not per-superblock), as MOUNT_ATTR_* for fsmount()/mount_setattr(). */
void
cell_mount_plan_attrs (const struct cell_mount_plan *plan, uint64_t *set, uint64_t *clr)
{
  static const struct
  {
    unsigned long ms;
    uint64_t attr;
  } map[] = {
    { MS_RDONLY, MOUNT_ATTR_RDONLY },         { MS_NOSUID, MOUNT_ATTR_NOSUID },
    { MS_NODEV, MOUNT_ATTR_NODEV },           { MS_NOEXEC, MOUNT_ATTR_NOEXEC },
    { MS_NODIRATIME, MOUNT_ATTR_NODIRATIME }, { MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW },
  };
  *set = *clr = 0;
  for (size_t i = 0; i < ARRAY_SIZE (map); i++)
    {
      if (plan->flags & map[i].ms)
        *set |= map[i].attr;
      if (plan->clear_flags & map[i].ms)
        *clr |= map[i].attr;
    }
  /* Same precedence as the kernel's mount(2): strictatime, then noatime, then relatime. */
  uint64_t atime = UINT64_MAX;
  if (plan->flags & MS_STRICTATIME)
    atime = MOUNT_ATTR_STRICTATIME;
  else if (plan->flags & MS_NOATIME)
    atime = MOUNT_ATTR_NOATIME;
  else if (plan->flags & MS_RELATIME || plan->clear_flags & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME))
    atime = MOUNT_ATTR_RELATIME;
  if (atime != UINT64_MAX)
    {
      *set |= atime;
      *clr |= MOUNT_ATTR__ATIME;
    }
}

int
cell_propagation_parse (const char *name, unsigned long *flags)
{
  const struct opt *o = name ? opt_find (name) : NULL;
  if (o == NULL || o->kind != OPT_PROPAGATION)
    return -1;
  *flags = o->value;
  return 0;
}

void
cell_path_split (const char *dest, char **parent, char **last)
{
  size_t n = strlen (dest);
  while (n > 0 && dest[n - 1] == '/')
    n--;
  size_t slash = n;
  while (slash > 0 && dest[slash - 1] != '/')
    slash--;
  *last = xstrndup (dest + slash, n - slash);
  while (slash > 1 && dest[slash - 1] == '/' && dest[slash - 2] == '/')
    slash--;
  if (slash == 0)
    *parent = xstrdup (dest[0] == '/' ? "/" : ".");
  else if (slash == 1)
    *parent = xstrdup ("/");
  else
    *parent = xstrndup (dest, slash - 1);
}

/* Compare a path with "/dev", ignoring repeated and trailing slashes and a missing leading one. */
static bool
path_is_dev (const char *p)
{
  while (*p == '/')
    p++;
  if (strncmp (p, "dev", 3) != 0)
    return false;
  for (p += 3; *p == '/'; p++)
    ;
  return *p == '\0';
}

bool
cell_mount_is_dev (const struct cell_mount *m, bool *bind)
{
  if (m->destination == NULL || !path_is_dev (m->destination))
    return false;
  *bind = (m->type && strcmp (m->type, "bind") == 0);
  for (size_t j = 0; m->options && m->options[j]; j++)
    if (strcmp (m->options[j], "bind") == 0 || strcmp (m->options[j], "rbind") == 0)
      *bind = true;
  return true;
}
