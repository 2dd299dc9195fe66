/* cell: the overcommit layer in the lifecycle (cgroups/overcommit/ does the work; this is the glue create and
 * delete call). With no policy file every call here is a no-op and cell behaves as before. */
#ifndef CELL_RUNTIME_OVERCOMMIT_H
#define CELL_RUNTIME_OVERCOMMIT_H

#include "../cgroups/overcommit/overcommit.h"
#include "base/error.h"
#include "config/config.h"
#include "runtime.h"

#include <stdbool.h>

/* What admission decided for one create. */
struct cell_oc
{
  bool admitted;       /* a ledger entry was made: release it if the create fails */
  struct oc_policy policy;
  struct oc_intent intent;
  char *cgroup;        /* managed mode: /<cgroup_root>/<class>/<id>, used instead of linux.cgroupsPath */
  struct oc_writes leaf; /* managed mode: the leaf's files, written once the cgroup exists */
};

/* Admission, in create, once the state dir exists (so the id is ours) and before the cgroup is made: loads
 * the policy, derives the intent, and under the ledger lock checks the inequalities, records a reserving
 * entry and (managed) raises the slices' protections. A refusal has err->status 75. May set
 * config->process.oomScoreAdj (policy oom_score_adj = if_unset). */
int cell_oc_admit (const struct cell_context *ctx, const char *id, struct cell_config *config, struct cell_oc *oc,
                   cell_error_t *err);
/* Managed mode: write the leaf's files into the new cgroup (fd); files the kernel lacks are logged as not
 * enforced. No-op otherwise. */
int cell_oc_apply_leaf (struct cell_oc *oc, int cgroup_fd, const char *cgroup, cell_error_t *err);
/* Drop the container's entry (failed create, delete) and lower the slices' protections. Never fails: a
 * problem is logged, and the next admission's recovery tidies up. */
void cell_oc_release (const struct cell_context *ctx, const char *id);
void cell_oc_free (struct cell_oc *oc);
/* For `cell update`: admit the change (the container's entry replaced by the intent of the updated config;
 * only growth is checked) and recompute the slices. On success, managed mode fills oc->leaf with the leaf's
 * new files for the caller to write. A refusal has err->status 75 and changes nothing. No entry, no policy:
 * no-op. The QoS class cannot change in place (the leaf would have to move): refused. */
int cell_oc_update (const struct cell_context *ctx, const char *id, const struct cell_config *config,
                    struct cell_oc *oc, cell_error_t *err);

#endif
