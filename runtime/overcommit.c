/* cell: the overcommit layer's glue in the lifecycle: admission in create, release in delete, the status
 * report. The policy, arithmetic, ledger and cgroup files are in cgroups/overcommit/. */
#include "overcommit.h"
#include "../cgroups/cgroups.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
cell_oc_free (struct cell_oc *oc)
{
  oc_policy_release (&oc->policy);
  oc_intent_release (&oc->intent);
  oc_writes_free (&oc->leaf);
  free (oc->cgroup);
  oc->cgroup = NULL;
}

/* Under the lock: recovery, the check, the reserving entry, the slices. */
static int
admit_locked (const struct cell_context *ctx, const char *id, const struct cell_config *config, struct cell_oc *oc,
              const struct oc_capacity *cap, cell_error_t *err)
{
  const struct oc_policy *p = &oc->policy;
  const char *mount = cg_mountpoint ();
  double psi = oc->intent.qos == OC_BESTEFFORT && p->psi_besteffort_gate > 0 ? oc_memory_pressure (p) : -1;
  struct oc_locked lk;
  if (oc_lock (ctx->root, p->lock_timeout_ms, true, &lk, err) < 0)
    return -1;
  oc_recover (&lk, ctx->root);
  if (p->mode == OC_MODE_MANAGED)
    oc_gc_leaves (mount, p, &lk.ledger);
  int r = oc_check (p, cap, &lk.ledger, id, &oc->intent, psi, err);
  if (r < 0)
    {
      if (lk.dropped || lk.promoted)
        {
          cell_error_t ignored = NULL;
          if (oc_ledger_save (&lk, &ignored) < 0)
            cell_error_free (&ignored);
        }
      oc_unlock (&lk);
      return -1;
    }
  struct oc_entry e = {
    .id = xstrdup (id), .state = OC_RESERVING, .in = oc->intent, .pid = getpid (),
    .start = cell_proc_start_time (getpid ()), .cgroup = NULL,
  };
  e.in.tenant = oc->intent.tenant ? xstrdup (oc->intent.tenant) : NULL;
  if (p->mode == OC_MODE_MANAGED)
    e.cgroup = xstrdup (oc->cgroup);
  else
    {
      cell_error_t ignored = NULL;
      e.cgroup = mount ? cg_path_for (config->linux.cgroups_path, id, &ignored) : NULL;
      cell_error_free (&ignored);
    }
  oc_ledger_put (&lk.ledger, &e);
  r = oc_ledger_save (&lk, err);
  _cleanup_free_ char *unenforced = NULL;
  if (r == 0 && p->mode == OC_MODE_MANAGED)
    {
      r = oc_slices_apply (mount, p, cap, &lk.ledger, false, &unenforced, err);
      if (r < 0)
        {
          cell_error_t ignored = NULL;
          oc_ledger_remove (&lk.ledger, id);
          if (oc_ledger_save (&lk, &ignored) < 0)
            cell_error_free (&ignored);
        }
    }
  oc_unlock (&lk);
  if (unenforced)
    cell_debug ("overcommit: slices under '%s' lack %s: not enforced", p->cgroup_root, unenforced);
  return r;
}

int
cell_oc_admit (const struct cell_context *ctx, const char *id, struct cell_config *config, struct cell_oc *oc,
               cell_error_t *err)
{
  memset (oc, 0, sizeof *oc);
  if (oc_policy_load (ctx->overcommit_policy, &oc->policy, err) < 0)
    return -1;
  const struct oc_policy *p = &oc->policy;
  if (p->mode == OC_MODE_OFF)
    return 0;
  if (strcmp (id, OC_LEDGER_DIR) == 0)
    return cell_error (err, EINVAL, "container id '%s' is reserved for the overcommit ledger (%s/%s)", id, ctx->root,
                       OC_LEDGER_DIR);
  if (oc_intent_from_config (config, &oc->intent, err) < 0)
    return -1;
  if (p->mode == OC_MODE_MANAGED)
    {
      if (cg_mountpoint () == NULL)
        return cell_error (err, ENOENT, "overcommit policy %s: managed mode needs a cgroup v2 hierarchy", p->path);
      oc->cgroup = xasprintf ("/%s/%s/%s", p->cgroup_root, oc_class_dir (oc->intent.qos), id);
    }
  struct oc_capacity cap;
  if (oc_capacity_read (p, &cap, err) < 0 || admit_locked (ctx, id, config, oc, &cap, err) < 0)
    return -1;
  oc->admitted = true;
  cell_debug ("overcommit: admitted '%s' as %s", id, oc_class_name (oc->intent.qos));
  if (p->mode == OC_MODE_MANAGED)
    {
      struct oc_host h;
      oc_host_read (&h);
      oc_leaf_plan (p, &h, &oc->intent, &oc->leaf);
      /* The runtime-spec forbids changing oom_score_adj when the config leaves it unset; only on request. */
      if (p->oom_score_adj == OC_OOM_IF_UNSET && !config->process.oom_score_adj_present)
        {
          config->process.oom_score_adj_present = true;
          config->process.oom_score_adj = oc_oom_score_adj (&oc->intent, &cap);
        }
    }
  return 0;
}

int
cell_oc_apply_leaf (struct cell_oc *oc, int cgroup_fd, const char *cgroup, cell_error_t *err)
{
  if (!oc->admitted || oc->leaf.n == 0 || cgroup_fd < 0)
    return 0;
  _cleanup_free_ char *unenforced = NULL;
  if (oc_apply_writes (cgroup_fd, cgroup, &oc->leaf, &unenforced, err) < 0)
    return -1;
  if (unenforced)
    cell_warning ("overcommit: cgroup '%s' lacks %s: not enforced", cgroup, unenforced);
  return 0;
}

void
cell_oc_release (const struct cell_context *ctx, const char *id)
{
  struct oc_policy p;
  cell_error_t err = NULL;
  bool have_policy = oc_policy_load (ctx->overcommit_policy, &p, &err) == 0;
  if (!have_policy)
    {
      cell_warning ("overcommit: %s", err->msg);
      cell_error_free (&err);
      oc_policy_defaults (&p);
    }
  struct oc_locked lk;
  if (oc_lock (ctx->root, p.lock_timeout_ms, false, &lk, &err) < 0)
    goto out;
  if (lk.dirfd < 0)
    goto out; /* no ledger: the layer was never on */
  bool removed = oc_ledger_remove (&lk.ledger, id);
  oc_recover (&lk, ctx->root);
  if ((removed || lk.dropped || lk.promoted) && oc_ledger_save (&lk, &err) < 0)
    goto out;
  const char *mount = cg_mountpoint ();
  struct oc_capacity cap;
  if (have_policy && p.mode == OC_MODE_MANAGED && mount
      && (oc_capacity_read (&p, &cap, &err) < 0 || oc_slices_apply (mount, &p, &cap, &lk.ledger, true, NULL, &err) < 0))
    goto out;
out:
  if (err)
    {
      cell_warning ("overcommit: releasing '%s': %s", id, err->msg);
      cell_error_free (&err);
    }
  oc_unlock (&lk);
  oc_policy_release (&p);
}

static int
update_locked (const struct cell_context *ctx, const char *id, struct cell_oc *oc, const struct oc_capacity *cap,
               cell_error_t *err)
{
  const struct oc_policy *p = &oc->policy;
  struct oc_locked lk;
  if (oc_lock (ctx->root, p->lock_timeout_ms, false, &lk, err) < 0)
    return -1;
  struct oc_entry *old = lk.dirfd >= 0 ? oc_ledger_find (&lk.ledger, id) : NULL;
  int r = 0;
  if (old && old->in.qos != oc->intent.qos && p->mode == OC_MODE_MANAGED)
    r = cell_error (err, 0, "refusing update of \"%s\": it would move from %s to %s (recreate the container)", id,
                    oc_class_name (old->in.qos), oc_class_name (oc->intent.qos));
  else if (old)
    r = oc_check (p, cap, &lk.ledger, id, &oc->intent, -1, err);
  if (old && r == 0)
    {
      bool lowering = oc->intent.mem_request < old->in.mem_request;
      struct oc_entry e = { .id = xstrdup (id), .state = old->state, .in = oc->intent, .pid = old->pid,
                            .start = old->start, .cgroup = old->cgroup ? xstrdup (old->cgroup) : NULL };
      e.in.tenant = oc->intent.tenant ? xstrdup (oc->intent.tenant) : NULL;
      oc_ledger_put (&lk.ledger, &e);
      r = oc_ledger_save (&lk, err);
      if (r == 0 && p->mode == OC_MODE_MANAGED && cg_mountpoint ())
        r = oc_slices_apply (cg_mountpoint (), p, cap, &lk.ledger, lowering, NULL, err);
      oc->admitted = r == 0;
    }
  oc_unlock (&lk);
  return r;
}

int
cell_oc_update (const struct cell_context *ctx, const char *id, const struct cell_config *config, struct cell_oc *oc,
                cell_error_t *err)
{
  memset (oc, 0, sizeof *oc);
  if (oc_policy_load (ctx->overcommit_policy, &oc->policy, err) < 0)
    return -1;
  if (oc->policy.mode == OC_MODE_OFF)
    return 0;
  struct oc_capacity cap;
  if (oc_intent_from_config (config, &oc->intent, err) < 0 || oc_capacity_read (&oc->policy, &cap, err) < 0
      || update_locked (ctx, id, oc, &cap, err) < 0)
    return -1;
  if (oc->admitted && oc->policy.mode == OC_MODE_MANAGED)
    {
      struct oc_host h;
      oc_host_read (&h);
      oc_leaf_plan (&oc->policy, &h, &oc->intent, &oc->leaf);
    }
  return 0;
}

char *
cell_overcommit_status (const struct cell_context *ctx, bool json, cell_error_t *err)
{
  struct oc_policy p;
  if (oc_policy_load (ctx->overcommit_policy, &p, err) < 0)
    return NULL;
  char *text = oc_status (ctx->root, &p, cg_mountpoint (), json, err);
  oc_policy_release (&p);
  return text;
}
