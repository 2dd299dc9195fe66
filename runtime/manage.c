/* cell: commands on a running container's cgroup: pause, resume, update, ps, events. */
#include "../cgroups/cgroups.h"
#include "../cgroups/devices-bpf.h"
#include "base/cleanup.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "internal.h"
#include "overcommit.h"
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

/* Open the container and require a cgroup and one of the given statuses ("running", "paused", ...). */
static int
open_with_cgroup (const struct cell_context *ctx, const char *id, struct cell_opened *op, const char *verb,
                  cell_error_t *err)
{
  if (cell_open_container (ctx, id, op, err) < 0)
    return -1;
  const char *status = cell_state_status (&op->st);
  if (strcmp (status, "stopped") == 0)
    return cell_error (err, 0, "cannot %s container '%s': it is stopped", verb, id);
  if (op->st.cgroup == NULL)
    return cell_error (err, 0, "cannot %s container '%s': it has no cgroup (no cgroup v2 hierarchy was usable)",
                       verb, id);
  return 0;
}

static int
set_frozen (const struct cell_context *ctx, const char *id, bool frozen, cell_error_t *err)
{
  struct cell_opened op;
  int r = open_with_cgroup (ctx, id, &op, frozen ? "pause" : "resume", err);
  if (r == 0)
    {
      const char *status = cell_state_status (&op.st);
      const char *want = frozen ? "running" : "paused";
      if (strcmp (status, want) != 0)
        r = cell_error (err, 0, "cannot %s container '%s': it is %s, not %s", frozen ? "pause" : "resume", id,
                        status, want);
      else
        r = cg_freeze (op.st.cgroup, frozen, err);
    }
  cell_opened_release (&op);
  return r;
}

int
cell_container_pause (const struct cell_context *ctx, const char *id, cell_error_t *err)
{
  return set_frozen (ctx, id, true, err);
}

int
cell_container_resume (const struct cell_context *ctx, const char *id, cell_error_t *err)
{
  return set_frozen (ctx, id, false, err);
}

/* a with b merged in: objects member by member, anything else replaced by b (runc's update semantics:
 * fields not given keep their value). */
static void
write_merged (struct cell_jsonw *w, const struct cell_json *a, const struct cell_json *b)
{
  if (a == NULL || b == NULL || cell_json_type (a) != CELL_JSON_OBJECT || cell_json_type (b) != CELL_JSON_OBJECT)
    {
      cell_jsonw_value (w, b ? b : a);
      return;
    }
  cell_jsonw_object_open (w);
  for (size_t i = 0; i < cell_json_len (a); i++)
    {
      cell_jsonw_key (w, cell_json_key_at (a, i));
      write_merged (w, cell_json_at (a, i), cell_json_get (b, cell_json_key_at (a, i)));
    }
  for (size_t i = 0; i < cell_json_len (b); i++)
    if (cell_json_get (a, cell_json_key_at (b, i)) == NULL)
      {
        cell_jsonw_key (w, cell_json_key_at (b, i));
        cell_jsonw_value (w, cell_json_at (b, i));
      }
  cell_jsonw_object_close (w);
}

/* The saved config text with linux.resources updated by the resources JSON text. */
static char *
merge_config (const char *config, const char *resources, cell_error_t *err)
{
  _cleanup_free_ char *wrapped = xasprintf ("{\"linux\":{\"resources\":%s}}", resources);
  struct cell_json *a = cell_json_parse (config, strlen (config), "state.json config", err);
  if (a == NULL)
    return NULL;
  struct cell_json *b = cell_json_parse (wrapped, strlen (wrapped), "resources", err);
  if (b == NULL)
    {
      cell_json_free (a);
      return NULL;
    }
  struct cell_jsonw *w = cell_jsonw_new (false);
  write_merged (w, a, b);
  cell_json_free (a);
  cell_json_free (b);
  return cell_jsonw_finish (w, NULL);
}

static int
update_opened (const struct cell_context *ctx, struct cell_opened *op, const char *resources, cell_error_t *err)
{
  /* The update alone first: its errors name its own fields, and it must be an object. */
  struct cell_resources *upd = cell_resources_parse (resources, strlen (resources), err);
  if (upd == NULL)
    return -1;
  bool devices = upd->n_devices > 0;
  cell_resources_free (upd);
  _cleanup_free_ char *text = merge_config (op->st.config, resources, err);
  if (text == NULL)
    return -1;
  struct cell_config *merged = cell_config_parse (text, strlen (text), err);
  if (merged == NULL || cell_config_validate (merged, err) < 0)
    {
      cell_config_free (merged);
      return -1;
    }
  /* Overcommit admission of the change (exit 75 on refusal, nothing changed); no policy: no-op. */
  struct cell_oc oc;
  if (cell_oc_update (ctx, op->st.id, merged, &oc, err) < 0)
    {
      cell_oc_free (&oc);
      cell_config_free (merged);
      return -1;
    }
  struct cg_plan plan;
  size_t n_rules;
  _cleanup_free_ struct cell_device_cgroup *rules = cg_devices_rules (&merged->linux, &n_rules);
  int r = cg_plan_resources (&merged->linux.resources, &plan, err);
  if (r == 0)
    {
      /* The device filter is attached by create; replaced (the config's rules + the defaults, as create
       * builds them) only when the update names devices. */
      plan.devices = rules;
      plan.n_devices = n_rules;
      plan.devices_present = devices;
      r = cg_apply (op->st.cgroup, &plan, ctx->ignore_missing_controllers ? CG_IGNORE_MISSING : 0, NULL, err);
      cg_plan_free (&plan);
    }
  if (r == 0 && oc.leaf.n > 0)
    {
      /* Managed mode: the policy's leaf files after the update's own values, as create writes them. */
      _cleanup_free_ char *dir = xasprintf ("%s%s", cg_mountpoint (), op->st.cgroup);
      _cleanup_close_ int cgfd = open (dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
      r = cgfd < 0 ? cell_error_errno (err, "open '%s'", dir) : cell_oc_apply_leaf (&oc, cgfd, op->st.cgroup, err);
    }
  cell_oc_free (&oc);
  cell_config_free (merged);
  if (r < 0)
    {
      /* Put the ledger back to the limits still in force. */
      struct cell_config *old = cell_config_parse (op->st.config, strlen (op->st.config), NULL);
      cell_error_t ignored = NULL;
      if (old && cell_oc_update (ctx, op->st.id, old, &oc, &ignored) < 0)
        cell_error_free (&ignored);
      cell_oc_free (&oc);
      cell_config_free (old);
      return -1;
    }
  /* Saved so that exec, state and the next update start from the updated limits. */
  free (op->st.config);
  op->st.config = TAKE_PTR (text);
  return cell_state_write (op->fd, &op->st, err);
}

int
cell_container_update (const struct cell_context *ctx, const char *id, const char *resources, cell_error_t *err)
{
  struct cell_opened op;
  int r = open_with_cgroup (ctx, id, &op, "update", err);
  if (r == 0)
    r = update_opened (ctx, &op, resources, err);
  cell_opened_release (&op);
  return r;
}

int
cell_container_pids (const struct cell_context *ctx, const char *id, pid_t **pids, size_t *n, cell_error_t *err)
{
  struct cell_opened op;
  *pids = NULL;
  *n = 0;
  int r = open_with_cgroup (ctx, id, &op, "list the processes of", err);
  if (r == 0)
    {
      *pids = cg_pids_tree (op.st.cgroup, n, err);
      r = *pids ? 0 : -1;
    }
  cell_opened_release (&op);
  return r;
}

static int
emit_stats (const char *id, const char *cgroup, cell_event_fn emit, void *data, cell_error_t *err)
{
  struct cell_jsonw *w = cell_jsonw_new (false);
  cell_jsonw_object_open (w);
  cell_jsonw_kv_string (w, "type", "stats");
  cell_jsonw_kv_string (w, "id", id);
  cell_jsonw_key (w, "data");
  if (cg_stats_write (cgroup, w, err) < 0)
    {
      cell_jsonw_free (w);
      return -1;
    }
  cell_jsonw_object_close (w);
  _cleanup_free_ char *text = cell_jsonw_finish (w, NULL);
  return emit (text, data, err);
}

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* OOM kills are checked this often between stats. */
#define OOM_POLL_MS 100

int
cell_container_events (const struct cell_context *ctx, const char *id, unsigned interval_ms, bool stats_once,
                       cell_event_fn emit, void *data, cell_error_t *err)
{
  struct cell_opened op;
  if (open_with_cgroup (ctx, id, &op, "get the events of", err) < 0)
    {
      cell_opened_release (&op);
      return -1;
    }
  /* Not holding the lock while streaming: the container's other commands must work meanwhile. */
  _cleanup_free_ char *cgroup = xstrdup (op.st.cgroup);
  pid_t pid = op.st.pid;
  unsigned long long start = op.st.pid_start;
  cell_opened_release (&op);
  if (stats_once)
    return emit_stats (id, cgroup, emit, data, err);
  uint64_t ooms = cg_oom_kills (cgroup);
  long long next = now_ms ();
  _cleanup_free_ char *oom = xasprintf ("{\"type\":\"oom\",\"id\":\"%s\"}", id); /* ids are [\w+-.] only */
  while (true)
    {
      uint64_t cur = cg_oom_kills (cgroup);
      for (; ooms < cur; ooms++)
        if (emit (oom, data, err) < 0)
          return -1;
      if (cell_proc_start_time (pid) != start)
        return 0;
      if (now_ms () >= next)
        {
          if (emit_stats (id, cgroup, emit, data, err) < 0)
            return cell_proc_start_time (pid) != start ? (cell_error_free (err), 0) : -1;
          next += interval_ms;
        }
      long long left = next - now_ms ();
      struct timespec ts = { 0, (left < OOM_POLL_MS ? (left > 0 ? left : 0) : OOM_POLL_MS) * 1000000L };
      nanosleep (&ts, NULL);
    }
}
