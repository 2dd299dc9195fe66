/* cell: the ledger, <root>/overcommit/ledger, guarded by flock on <root>/overcommit/lock.
 *
 * One line per container:
 *   ID STATE class=CLASS cpu_req=M cpu_lim=M|unbounded mem_req=B mem_lim=B|unbounded pids=N pid=PID start=T
 *   tenant=NAME|- cgroup=PATH|-
 * STATE is reserving (the creator, PID with start time T, is still creating) or active. Values never contain
 * spaces: ids and tenants are checked, cgroup paths are %-escaped. The file is rewritten whole, atomically
 * (tmp, fsync, rename), by the holder of the lock only. */
#include "internal.h"
#include "../../runtime/base/fd.h"
#include "../../runtime/base/proc.h"
#include "../cgroups.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LEDGER_HEADER "# cell overcommit ledger v1\n"
#define LEDGER_MAX (64 << 20)

/* ---- entries ---- */

static void
entry_free (struct oc_entry *e)
{
  free (e->id);
  free (e->cgroup);
  oc_intent_release (&e->in);
}

void
oc_ledger_release (struct oc_ledger *l)
{
  for (size_t i = 0; i < l->n; i++)
    entry_free (&l->v[i]);
  free (l->v);
  l->v = NULL;
  l->n = 0;
}

struct oc_entry *
oc_ledger_find (struct oc_ledger *l, const char *id)
{
  for (size_t i = 0; i < l->n; i++)
    if (!strcmp (l->v[i].id, id))
      return &l->v[i];
  return NULL;
}

void
oc_ledger_put (struct oc_ledger *l, struct oc_entry *e)
{
  struct oc_entry *old = oc_ledger_find (l, e->id);
  if (old)
    {
      entry_free (old);
      *old = *e;
    }
  else
    {
      l->v = xrealloc (l->v, (l->n + 1) * sizeof *l->v);
      l->v[l->n++] = *e;
    }
  memset (e, 0, sizeof *e);
}

bool
oc_ledger_remove (struct oc_ledger *l, const char *id)
{
  struct oc_entry *e = oc_ledger_find (l, id);
  if (e == NULL)
    return false;
  entry_free (e);
  size_t i = (size_t) (e - l->v);
  memmove (&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof *l->v);
  l->n--;
  return true;
}

/* ---- text ---- */

static bool
safe_char (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr ("_.-/:@+,", c);
}

static void
put_escaped (FILE *f, const char *s)
{
  if (s == NULL || !*s)
    {
      fputc ('-', f);
      return;
    }
  for (; *s; s++)
    if (safe_char (*s))
      fputc (*s, f);
    else
      fprintf (f, "%%%02X", (unsigned char) *s);
}

static char *
unescape (const char *s)
{
  if (!strcmp (s, "-"))
    return NULL;
  char *out = xmalloc (strlen (s) + 1), *o = out;
  for (; *s; s++)
    {
      unsigned v;
      if (*s == '%' && sscanf (s + 1, "%2x", &v) == 1 && v)
        {
          *o++ = (char) v;
          s += 2;
        }
      else
        *o++ = *s;
    }
  *o = '\0';
  return out;
}

static void
put_limit (FILE *f, const char *key, int64_t v)
{
  if (v == OC_UNBOUNDED)
    fprintf (f, " %s=unbounded", key);
  else
    fprintf (f, " %s=%" PRId64, key, v);
}

char *
oc_ledger_format (const struct oc_ledger *l)
{
  char *buf = NULL;
  size_t size = 0;
  FILE *f = open_memstream (&buf, &size);
  fputs (LEDGER_HEADER, f);
  for (size_t i = 0; i < l->n; i++)
    {
      const struct oc_entry *e = &l->v[i];
      fprintf (f, "%s %s class=%s cpu_req=%" PRId64, e->id, e->state == OC_ACTIVE ? "active" : "reserving",
               oc_class_dir (e->in.qos), e->in.cpu_request);
      put_limit (f, "cpu_lim", e->in.cpu_limit);
      fprintf (f, " mem_req=%" PRId64, e->in.mem_request);
      put_limit (f, "mem_lim", e->in.mem_limit);
      fprintf (f, " pids=%" PRId64 " pid=%d start=%llu tenant=", e->in.pids_limit, (int) e->pid, e->start);
      put_escaped (f, e->in.tenant);
      fputs (" cgroup=", f);
      put_escaped (f, e->cgroup);
      fputc ('\n', f);
    }
  fclose (f);
  return buf;
}

static int
parse_i64 (const char *v, bool limit, int64_t *out)
{
  if (limit && !strcmp (v, "unbounded"))
    return *out = OC_UNBOUNDED, 0;
  char *end;
  errno = 0;
  long long n = strtoll (v, &end, 10);
  if (!*v || *end || errno || n < 0)
    return -1;
  *out = n;
  return 0;
}

static int
parse_field (struct oc_entry *e, const char *k, const char *v)
{
  int64_t n;
  if (!strcmp (k, "class"))
    return oc_class_parse (v, &e->in.qos);
  if (!strcmp (k, "cpu_req"))
    return parse_i64 (v, false, &e->in.cpu_request);
  if (!strcmp (k, "cpu_lim"))
    return parse_i64 (v, true, &e->in.cpu_limit);
  if (!strcmp (k, "mem_req"))
    return parse_i64 (v, false, &e->in.mem_request);
  if (!strcmp (k, "mem_lim"))
    return parse_i64 (v, true, &e->in.mem_limit);
  if (!strcmp (k, "pids"))
    return parse_i64 (v, false, &e->in.pids_limit);
  if (!strcmp (k, "pid"))
    return parse_i64 (v, false, &n) < 0 || n > INT32_MAX ? -1 : (e->pid = (pid_t) n, 0);
  if (!strcmp (k, "start"))
    return parse_i64 (v, false, &n) < 0 ? -1 : (e->start = (unsigned long long) n, 0);
  if (!strcmp (k, "tenant"))
    return free (e->in.tenant), e->in.tenant = unescape (v), 0;
  if (!strcmp (k, "cgroup"))
    return free (e->cgroup), e->cgroup = unescape (v), 0;
  return -1;
}

static int
parse_entry (char *line, struct oc_entry *e)
{
  char *save = NULL;
  char *id = strtok_r (line, " ", &save), *state = strtok_r (NULL, " ", &save);
  if (id == NULL || state == NULL)
    return -1;
  e->id = xstrdup (id);
  if (!strcmp (state, "active"))
    e->state = OC_ACTIVE;
  else if (!strcmp (state, "reserving"))
    e->state = OC_RESERVING;
  else
    return -1;
  for (char *tok; (tok = strtok_r (NULL, " ", &save));)
    {
      char *eq = strchr (tok, '=');
      if (eq == NULL)
        return -1;
      *eq = '\0';
      if (parse_field (e, tok, eq + 1) < 0)
        return -1;
    }
  return 0;
}

int
oc_ledger_parse (const char *text, size_t len, struct oc_ledger *l, cell_error_t *err)
{
  _cleanup_free_ char *copy = xstrndup (text, len);
  memset (l, 0, sizeof *l);
  int lineno = 0;
  for (char *line = copy, *next; line && *line; line = next)
    {
      next = strchr (line, '\n');
      if (next)
        *next++ = '\0';
      lineno++;
      if (*line == '#' || *line == '\0')
        continue;
      struct oc_entry e = { 0 };
      if (parse_entry (line, &e) < 0)
        {
          entry_free (&e);
          oc_ledger_release (l);
          return cell_error (err, EINVAL, "overcommit ledger:%d: malformed entry", lineno);
        }
      oc_ledger_put (l, &e);
    }
  return 0;
}

/* ---- the lock ---- */

static int
mkdir_p (const char *path, cell_error_t *err)
{
  _cleanup_free_ char *copy = xstrdup (path);
  for (char *s = copy + 1; (s = strchr (s, '/')); s++)
    {
      *s = '\0';
      if (mkdir (copy, 0700) < 0 && errno != EEXIST)
        return cell_error_errno (err, "mkdir '%s'", copy);
      *s = '/';
    }
  if (mkdir (copy, 0700) < 0 && errno != EEXIST)
    return cell_error_errno (err, "mkdir '%s'", copy);
  return 0;
}

static int
take_lock (int fd, const char *dir, uint64_t timeout_ms, cell_error_t *err)
{
  struct timespec t0, now;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  long wait_us = 200;
  for (;;)
    {
      if (flock (fd, LOCK_EX | LOCK_NB) == 0)
        return 0;
      if (errno != EWOULDBLOCK && errno != EINTR)
        return cell_error_errno (err, "flock '%s/lock'", dir);
      clock_gettime (CLOCK_MONOTONIC, &now);
      uint64_t spent = (uint64_t) ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
      if (spent >= timeout_ms)
        {
          cell_error (err, 0, "overcommit ledger '%s' is busy: gave up after %" PRIu64 " ms (host.lock_timeout)",
                      dir, spent);
          (*err)->status = OC_EXIT_REFUSED;
          return -1;
        }
      struct timespec ts = { 0, wait_us * 1000 };
      nanosleep (&ts, NULL);
      if (wait_us < 10000)
        wait_us *= 2;
    }
}

int
oc_lock (const char *root, uint64_t timeout_ms, bool create, struct oc_locked *l, cell_error_t *err)
{
  memset (l, 0, sizeof *l);
  l->dirfd = l->lockfd = -1;
  _cleanup_free_ char *dir = xasprintf ("%s/" OC_LEDGER_DIR, root);
  if (create && mkdir_p (dir, err) < 0)
    return -1;
  _cleanup_close_ int dfd = open (dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (dfd < 0)
    return !create && errno == ENOENT ? 0 : cell_error_errno (err, "open '%s'", dir);
  _cleanup_close_ int lfd = openat (dfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (lfd < 0)
    return cell_error_errno (err, "open '%s/lock'", dir);
  if (take_lock (lfd, dir, timeout_ms, err) < 0)
    return -1;
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  cell_error_t rerr = NULL;
  if (cell_read_file_at (dfd, "ledger", LEDGER_MAX, &text, &len, &rerr) < 0)
    {
      if (rerr->code != ENOENT)
        return *err = rerr, cell_error_prefix (err, "%s", dir);
      cell_error_free (&rerr);
    }
  else if (oc_ledger_parse (text, len, &l->ledger, err) < 0)
    return cell_error_prefix (err, "%s", dir);
  l->dirfd = TAKE_FD (dfd);
  l->lockfd = TAKE_FD (lfd);
  return 0;
}

void
oc_unlock (struct oc_locked *l)
{
  oc_ledger_release (&l->ledger);
  if (l->lockfd >= 0)
    close (l->lockfd); /* drops the flock */
  if (l->dirfd >= 0)
    close (l->dirfd);
  l->lockfd = l->dirfd = -1;
}

int
oc_ledger_save (struct oc_locked *l, cell_error_t *err)
{
  _cleanup_free_ char *text = oc_ledger_format (&l->ledger);
  _cleanup_close_ int fd = openat (l->dirfd, "ledger.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return cell_error_errno (err, "open overcommit ledger.tmp");
  if (cell_write_all (fd, text, strlen (text), err) < 0)
    return cell_error_prefix (err, "write overcommit ledger");
  /* A crash after the rename must not leave an empty ledger behind. */
  if (fsync (fd) < 0)
    return cell_error_errno (err, "fsync overcommit ledger");
  if (renameat (l->dirfd, "ledger.tmp", l->dirfd, "ledger") < 0)
    return cell_error_errno (err, "rename overcommit ledger");
  return 0;
}

/* ---- crash recovery ---- */

static bool
state_exists (const char *root, const char *id)
{
  _cleanup_free_ char *p = xasprintf ("%s/%s/state.json", root, id);
  return access (p, F_OK) == 0;
}

static bool
cgroup_exists (const char *cgroup)
{
  const char *mount = cg_mountpoint ();
  if (cgroup == NULL || mount == NULL)
    return false;
  _cleanup_free_ char *p = xasprintf ("%s%s", mount, cgroup);
  return access (p, F_OK) == 0;
}

size_t
oc_recover (struct oc_locked *l, const char *root)
{
  size_t dropped = 0;
  for (size_t i = 0; i < l->ledger.n;)
    {
      struct oc_entry *e = &l->ledger.v[i];
      bool keep = true;
      if (e->state == OC_RESERVING && (e->start == 0 || cell_proc_start_time (e->pid) != e->start))
        {
          /* The creator died. If it got as far as state.json the container exists: keep counting it. */
          keep = state_exists (root, e->id);
          if (keep)
            {
              e->state = OC_ACTIVE, e->pid = 0, e->start = 0;
              l->promoted++;
            }
        }
      else if (e->state == OC_ACTIVE)
        keep = state_exists (root, e->id) || cgroup_exists (e->cgroup);
      if (keep)
        i++;
      else
        {
          oc_ledger_remove (&l->ledger, e->id);
          dropped++;
        }
    }
  l->dropped += dropped;
  return dropped;
}
