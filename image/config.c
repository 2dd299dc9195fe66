/* cell image/: the runtime config.json generated from an image config (pure: text in, text out), and the
 * resolution of the image's User through the rootfs' /etc/passwd and /etc/group, as runc's and umoci's
 * GetExecUser: "name" or "uid", optionally ":group" or ":gid"; without a group, the passwd entry's gid and the
 * groups that list the user as a member (additionalGids). */
#include "internal.h"
#include "runtime/base/cleanup.h"
#include "runtime/base/strv.h"
#include "runtime/base/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- /etc/passwd and /etc/group ---- */

static bool
parse_id (const char *s, uint32_t *out)
{
  char *end;
  if (s == NULL || *s < '0' || *s > '9')
    return false;
  errno = 0;
  unsigned long v = strtoul (s, &end, 10);
  if (errno || *end || v > 0xffffffffUL)
    return false;
  *out = (uint32_t) v;
  return true;
}

/* Split line into at most n ':'-separated fields (in place). Returns the field count. */
static size_t
split_fields (char *line, char **f, size_t n)
{
  size_t i = 0;
  f[i++] = line;
  for (char *p = line; *p && i < n; p++)
    if (*p == ':')
      {
        *p = '\0';
        f[i++] = p + 1;
      }
  return i;
}

struct pw_entry
{
  char *name;
  uint32_t uid, gid;
  char *home;
};

/* Find by name (key_is_name) or by uid in passwd text; fills e (owned strings). */
static bool
passwd_find (const char *passwd, const char *name, uint32_t uid, bool by_name, struct pw_entry *e)
{
  if (passwd == NULL)
    return false;
  _cleanup_free_ char *copy = xstrdup (passwd);
  char *save = NULL;
  for (char *line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *f[7];
      uint32_t u, g;
      if (line[0] == '#' || split_fields (line, f, 7) < 7 || !parse_id (f[2], &u) || !parse_id (f[3], &g))
        continue;
      if (by_name ? strcmp (f[0], name) != 0 : u != uid)
        continue;
      e->name = xstrdup (f[0]);
      e->uid = u;
      e->gid = g;
      e->home = xstrdup (f[5]);
      return true;
    }
  return false;
}

/* A group by name (or gid when by_name is false), or, with member set, every group listing member: calls fn. */
static bool
group_find (const char *group, const char *name, uint32_t *gid)
{
  if (group == NULL)
    return false;
  _cleanup_free_ char *copy = xstrdup (group);
  char *save = NULL;
  for (char *line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *f[4];
      uint32_t g;
      if (line[0] == '#' || split_fields (line, f, 4) < 3 || !parse_id (f[2], &g))
        continue;
      if (strcmp (f[0], name) == 0)
        {
          *gid = g;
          return true;
        }
    }
  return false;
}

static void
group_members (const char *group, const char *user, struct img_user *u)
{
  if (group == NULL || user == NULL)
    return;
  _cleanup_free_ char *copy = xstrdup (group);
  char *save = NULL;
  size_t cap = 0;
  for (char *line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *f[4], *msave = NULL;
      uint32_t g;
      if (line[0] == '#' || split_fields (line, f, 4) < 4 || !parse_id (f[2], &g))
        continue;
      for (char *m = strtok_r (f[3], ",", &msave); m; m = strtok_r (NULL, ",", &msave))
        if (strcmp (m, user) == 0)
          {
            u->additional_gids = xgrow (u->additional_gids, &cap, u->n_additional_gids + 1, sizeof (uint32_t));
            u->additional_gids[u->n_additional_gids++] = g;
            break;
          }
    }
}

int
img_user_resolve (const char *spec, const char *passwd, const char *group, struct img_user *u, cell_error_t *err)
{
  memset (u, 0, sizeof *u);
  _cleanup_free_ char *copy = xstrdup (spec ? spec : "");
  char *colon = strchr (copy, ':');
  const char *gpart = NULL;
  if (colon)
    {
      *colon = '\0';
      gpart = colon + 1;
    }
  const char *upart = *copy ? copy : "0";
  struct pw_entry e = { 0 };
  bool numeric = parse_id (upart, &u->uid);
  bool found = passwd_find (passwd, upart, u->uid, !numeric, &e);
  if (!numeric && !found)
    return cell_error (err, 0, "image config User '%s': no user '%s' in /etc/passwd", spec, upart);
  if (found)
    {
      u->uid = e.uid;
      u->gid = e.gid;
      u->home = e.home;
    }
  if (gpart && *gpart)
    {
      if (!parse_id (gpart, &u->gid) && !group_find (group, gpart, &u->gid))
        {
          free (e.name);
          img_user_free (u);
          return cell_error (err, 0, "image config User '%s': no group '%s' in /etc/group", spec, gpart);
        }
    }
  else
    group_members (group, e.name, u);
  free (e.name);
  return 0;
}

void
img_user_free (struct img_user *u)
{
  free (u->additional_gids);
  free (u->home);
  memset (u, 0, sizeof *u);
}

/* ---- config.json ---- */

static void
write_user (struct cell_jsonw *w, const struct img_user *u)
{
  cell_jsonw_key (w, "user");
  cell_jsonw_object_open (w);
  cell_jsonw_kv_int (w, "uid", u->uid);
  cell_jsonw_kv_int (w, "gid", u->gid);
  if (u->n_additional_gids)
    {
      cell_jsonw_key (w, "additionalGids");
      cell_jsonw_array_open (w);
      for (size_t i = 0; i < u->n_additional_gids; i++)
        cell_jsonw_int (w, u->additional_gids[i]);
      cell_jsonw_array_close (w);
    }
  cell_jsonw_object_close (w);
}

static void
strv_append_json (char ***v, const struct cell_json *arr)
{
  for (size_t i = 0; i < cell_json_len (arr); i++)
    if (cell_json_string (cell_json_at (arr, i)))
      *v = cell_strv_append (*v, cell_json_string (cell_json_at (arr, i)));
}

/* base env, then the image's (same name replaces), then HOME when nobody set it. */
static char **
merge_env (const struct cell_json *base, const struct cell_json *image, const struct img_user *u)
{
  char **env = NULL;
  strv_append_json (&env, base);
  for (size_t i = 0; i < cell_json_len (image); i++)
    {
      const char *kv = cell_json_string (cell_json_at (image, i));
      if (kv == NULL)
        continue;
      size_t klen = strcspn (kv, "=");
      size_t j = 0;
      for (; env && env[j]; j++)
        if (strncmp (env[j], kv, klen) == 0 && (env[j][klen] == '=' || env[j][klen] == '\0'))
          break;
      if (env && env[j])
        {
          free (env[j]);
          env[j] = xstrdup (kv);
        }
      else
        env = cell_strv_append (env, kv);
    }
  bool has_home = false;
  for (size_t j = 0; env && env[j]; j++)
    has_home |= strncmp (env[j], "HOME=", 5) == 0;
  if (!has_home && u->home && *u->home)
    env = cell_strv_push (env, xasprintf ("HOME=%s", u->home));
  return env ? env : xcalloc (1, sizeof (char *));
}

static void
write_process (struct cell_jsonw *w, const struct cell_json *base, const struct cell_json *ic,
               const struct img_user *u)
{
  _cleanup_strv_ char **args = NULL;
  strv_append_json (&args, cell_json_get (ic, "Entrypoint"));
  strv_append_json (&args, cell_json_get (ic, "Cmd"));
  if (args == NULL)
    strv_append_json (&args, cell_json_get (base, "args"));
  _cleanup_strv_ char **env = merge_env (cell_json_get (base, "env"), cell_json_get (ic, "Env"), u);
  const char *cwd = cell_json_string (cell_json_get (ic, "WorkingDir"));

  cell_jsonw_key (w, "process");
  cell_jsonw_object_open (w);
  cell_jsonw_kv_bool (w, "terminal", false);
  write_user (w, u);
  cell_jsonw_kv_strv (w, "args", args ? args : (char *[]){ "sh", NULL });
  cell_jsonw_kv_strv (w, "env", env);
  cell_jsonw_kv_string (w, "cwd", cwd && *cwd ? cwd : "/");
  for (size_t i = 0; i < cell_json_len (base); i++)
    {
      const char *k = cell_json_key_at (base, i);
      if (strcmp (k, "terminal") && strcmp (k, "user") && strcmp (k, "args") && strcmp (k, "env")
          && strcmp (k, "cwd"))
        {
          cell_jsonw_key (w, k);
          cell_jsonw_value (w, cell_json_at (base, i));
        }
    }
  cell_jsonw_object_close (w);
}

static void
kv_nonempty (struct cell_jsonw *w, const char *key, const char *value)
{
  if (value && *value)
    cell_jsonw_kv_string (w, key, value);
}

static void
write_annotations (struct cell_jsonw *w, const struct cell_json *base, const struct cell_json *image,
                   const struct img_overlay *ov)
{
  const struct cell_json *ic = cell_json_get (image, "config");
  const struct cell_json *labels = cell_json_get (ic, "Labels");
  cell_jsonw_key (w, "annotations");
  cell_jsonw_object_open (w);
  for (size_t i = 0; i < cell_json_len (base); i++)
    {
      cell_jsonw_key (w, cell_json_key_at (base, i));
      cell_jsonw_value (w, cell_json_at (base, i));
    }
  kv_nonempty (w, "org.opencontainers.image.os", cell_json_string (cell_json_get (image, "os")));
  kv_nonempty (w, "org.opencontainers.image.architecture", cell_json_string (cell_json_get (image, "architecture")));
  kv_nonempty (w, "org.opencontainers.image.author", cell_json_string (cell_json_get (image, "author")));
  kv_nonempty (w, "org.opencontainers.image.created", cell_json_string (cell_json_get (image, "created")));
  kv_nonempty (w, "org.opencontainers.image.stopSignal", cell_json_string (cell_json_get (ic, "StopSignal")));
  for (size_t i = 0; cell_json_type (labels) == CELL_JSON_OBJECT && i < cell_json_len (labels); i++)
    if (cell_json_string (cell_json_at (labels, i)))
      cell_jsonw_kv_string (w, cell_json_key_at (labels, i), cell_json_string (cell_json_at (labels, i)));
  if (ov)
    {
      cell_jsonw_kv_string (w, "io.cell.overlay.lowerdir", ov->lowerdir);
      cell_jsonw_kv_string (w, "io.cell.overlay.upperdir", ov->upperdir);
      cell_jsonw_kv_string (w, "io.cell.overlay.workdir", ov->workdir);
    }
  cell_jsonw_object_close (w);
}

char *
img_runtime_config (const char *base_text, const char *image_config, const struct img_user *u,
                    const struct img_overlay *ov, cell_error_t *err)
{
  struct cell_json *base = cell_json_parse (base_text, strlen (base_text), "base config", err);
  if (base == NULL)
    return NULL;
  struct cell_json *image = cell_json_parse (image_config, strlen (image_config), "image config", err);
  if (image == NULL)
    return cell_json_free (base), NULL;
  struct cell_jsonw *w = cell_jsonw_new (true);
  cell_jsonw_object_open (w);
  for (size_t i = 0; i < cell_json_len (base); i++)
    {
      const char *k = cell_json_key_at (base, i);
      if (strcmp (k, "process") == 0)
        write_process (w, cell_json_at (base, i), cell_json_get (image, "config"), u);
      else if (strcmp (k, "root") == 0)
        {
          cell_jsonw_key (w, "root");
          cell_jsonw_object_open (w);
          cell_jsonw_kv_string (w, "path", "rootfs");
          cell_jsonw_object_close (w);
        }
      else if (strcmp (k, "annotations") != 0)
        {
          cell_jsonw_key (w, k);
          cell_jsonw_value (w, cell_json_at (base, i));
        }
    }
  write_annotations (w, cell_json_get (base, "annotations"), image, ov);
  cell_jsonw_object_close (w);
  cell_json_free (base);
  cell_json_free (image);
  return cell_jsonw_finish (w, NULL);
}
