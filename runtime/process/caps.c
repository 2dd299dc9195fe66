/* cell: capabilities through libcap, the only file that includes <sys/capability.h>.
 *
 * Names: a capability name is valid when it is spelled "CAP_" + upper case and libcap knows it (cap_from_name).
 * An unknown name is a config error naming the field, as runc and crun do for names they cannot map. A name
 * libcap knows but the running kernel does not (its value >= cap_max_bits(), e.g. CAP_CHECKPOINT_RESTORE on
 * 5.8-) is accepted and skipped when applying: a config written for a newer kernel still runs, with exactly
 * the capabilities this kernel can grant. */
#include "caps.h"
#include "base/log.h"

#include "base/cleanup.h"
#include "base/strv.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

static void
cleanup_capp (cap_t *c)
{
  if (*c)
    cap_free (*c);
}
#define _cleanup_cap_ _cleanup_ (cleanup_capp)

/* "CAP_CHOWN" for a value (xmalloc'd); libcap spells a capability it has no name for as its number, which is
 * returned as is. cap_to_name() allocates with a header in front: its result goes back through cap_free(). */
static char *
cap_name (cap_value_t cap)
{
  char *name = cap_to_name (cap);
  if (name == NULL)
    return xasprintf ("%d", cap);
  char *upper = xstrdup (name);
  cap_free (name);
  for (char *p = upper; *p; p++)
    *p = (char) toupper ((unsigned char) *p);
  return upper;
}

static int
cap_lookup (const char *name, cap_value_t *v)
{
  if (strncmp (name, "CAP_", 4) != 0)
    return -1;
  for (const char *p = name; *p; p++)
    if (islower ((unsigned char) *p))
      return -1;
  return cap_from_name (name, v) < 0 ? -1 : 0;
}

static int
validate_set (char *const *names, const char *path, const char *set, cell_error_t *err)
{
  for (size_t i = 0; names && names[i]; i++)
    {
      cap_value_t v;
      if (cap_lookup (names[i], &v) < 0)
        return cell_error (err, 0, "%s.%s[%zu]: unknown capability '%s'", path, set, i, names[i]);
    }
  return 0;
}

int
cell_caps_validate (const struct cell_capabilities *c, const char *path, cell_error_t *err)
{
  if (!c->present)
    return 0;
  if (validate_set (c->bounding, path, "bounding", err) < 0 || validate_set (c->effective, path, "effective", err) < 0
      || validate_set (c->inheritable, path, "inheritable", err) < 0
      || validate_set (c->permitted, path, "permitted", err) < 0)
    return -1;
  return validate_set (c->ambient, path, "ambient", err);
}

/* Values of the names in `names` that the running kernel supports; *n gets the count. */
static cap_value_t *
set_values (char *const *names, size_t *n, cell_error_t *err)
{
  size_t len = cell_strv_length (names);
  cap_value_t *v = xcalloc (len + 1, sizeof *v);
  *n = 0;
  for (size_t i = 0; i < len; i++)
    {
      cap_value_t cv;
      if (cap_lookup (names[i], &cv) < 0)
        {
          free (v);
          cell_error (err, 0, "unknown capability '%s'", names[i]);
          return NULL;
        }
      if (cv < cap_max_bits ())
        v[(*n)++] = cv;
    }
  return v;
}

static bool
in_set (char *const *names, cap_value_t cap)
{
  for (size_t i = 0; names && names[i]; i++)
    {
      cap_value_t v;
      if (cap_lookup (names[i], &v) == 0 && v == cap)
        return true;
    }
  return false;
}

static int
drop_bounding (const struct cell_capabilities *c, cell_error_t *err)
{
  for (cap_value_t cap = 0; cap < cap_max_bits (); cap++)
    {
      if (c->present && in_set (c->bounding, cap))
        continue;
      /* One prctl per capability (libcap's cap_drop_bound reads the bit first, which doubles the syscalls).
       * Dropping needs CAP_SETPCAP even for a capability already gone: without it, EPERM is fine for those. */
      if (prctl (PR_CAPBSET_DROP, (unsigned long) cap, 0, 0, 0) < 0)
        {
          if (errno == EPERM && prctl (PR_CAPBSET_READ, (unsigned long) cap, 0, 0, 0) == 0)
            continue;
          _cleanup_free_ char *name = cap_name (cap);
          return cell_error_errno (err, "drop bounding capability '%s'", name);
        }
    }
  return 0;
}

int
cell_caps_prepare (const struct cell_capabilities *c, cell_error_t *err)
{
  /* Keep the permitted set across setresuid() from 0 to the container's user; cell_caps_apply() then sets the
   * exact sets and clears the flag again. */
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return cell_error_errno (err, "prctl PR_SET_KEEPCAPS");
  return drop_bounding (c, err);
}

static int
add_flag (cap_t caps, cap_flag_t flag, char *const *names, cell_error_t *err)
{
  size_t n;
  _cleanup_free_ cap_value_t *v = set_values (names, &n, err);
  if (v == NULL)
    return -1;
  if (n > 0 && cap_set_flag (caps, flag, (int) n, v, CAP_SET) < 0)
    return cell_error_errno (err, "cap_set_flag");
  return 0;
}

/* CAP_SYS_ADMIN is in our permitted set now (it cannot be raised back once gone). */
static bool
have_admin (void)
{
  _cleanup_cap_ cap_t cur = cap_get_proc ();
  cap_flag_value_t v = CAP_CLEAR;
  return cur && cap_get_flag (cur, CAP_SYS_ADMIN, CAP_PERMITTED, &v) == 0 && v == CAP_SET;
}

static int
set_proc (const struct cell_capabilities *c, bool keep_admin, cell_error_t *err)
{
  _cleanup_cap_ cap_t caps = cap_init ();
  if (caps == NULL)
    return cell_error_errno (err, "cap_init");
  if (c->present
      && (add_flag (caps, CAP_EFFECTIVE, c->effective, err) < 0
          || add_flag (caps, CAP_PERMITTED, c->permitted, err) < 0
          || add_flag (caps, CAP_INHERITABLE, c->inheritable, err) < 0))
    return -1;
  if (keep_admin && have_admin ())
    {
      static const cap_value_t admin[] = { CAP_SYS_ADMIN };
      if (cap_set_flag (caps, CAP_EFFECTIVE, 1, admin, CAP_SET) < 0
          || cap_set_flag (caps, CAP_PERMITTED, 1, admin, CAP_SET) < 0)
        return cell_error_errno (err, "cap_set_flag");
    }
  if (cap_set_proc (caps) < 0)
    return cell_error_errno (err, "set capabilities (effective, permitted, inheritable)");
  return 0;
}

static int
set_ambient (const struct cell_capabilities *c, cell_error_t *err)
{
  /* One prctl: libcap's cap_reset_ambient asks about each capability first. EINVAL: a kernel without ambient
   * capabilities (before 4.3), where there is nothing to clear. */
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return cell_error_errno (err, "clear ambient capabilities");
  if (!c->present)
    return 0;
  size_t n;
  _cleanup_free_ cap_value_t *v = set_values (c->ambient, &n, err);
  if (v == NULL)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (cap_set_ambient (v[i], CAP_SET) < 0)
      {
        _cleanup_free_ char *name = cap_name (v[i]);
        /* The kernel refuses (EPERM) an ambient capability that is not both permitted and inheritable. runc and
         * crun skip it, and `runc spec`'s own default config lists ambient capabilities without inheritable
         * ones: skipped too (it cannot survive execve anyway), with a debug line. */
        if (errno != EPERM)
          return cell_error_errno (err, "raise ambient capability '%s'", name);
        cell_debug ("process.capabilities.ambient: '%s' skipped: not in both permitted and inheritable", name);
      }
  return 0;
}

static int
apply (const struct cell_capabilities *c, bool keep_admin, cell_error_t *err)
{
  if (set_proc (c, keep_admin, err) < 0 || set_ambient (c, err) < 0)
    return -1;
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return cell_error_errno (err, "prctl PR_SET_KEEPCAPS");
  return 0;
}

int
cell_caps_apply (const struct cell_capabilities *c, cell_error_t *err)
{
  return apply (c, false, err);
}

int
cell_caps_apply_keep_admin (const struct cell_capabilities *c, cell_error_t *err)
{
  return apply (c, true, err);
}

int
cell_caps_settle (const struct cell_capabilities *c, cell_error_t *err)
{
  /* Ambient capabilities stay: they are in both permitted and inheritable, which this does not change. */
  return set_proc (c, false, err);
}

char **
cell_caps_all_names (void)
{
  char **v = xcalloc (1, sizeof *v);
  for (cap_value_t cap = 0; cap < cap_max_bits (); cap++)
    {
      char *name = cap_name (cap);
      /* A bare number is not a name anyone can write in config.json. */
      if (isdigit ((unsigned char) name[0]))
        free (name);
      else
        v = cell_strv_push (v, name);
    }
  return v;
}
