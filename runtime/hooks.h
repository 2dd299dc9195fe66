/* cell: OCI hooks. Each hook is run with the container state JSON on stdin, its args/env, and a timeout;
 * a hook that fails (non-zero exit, signal, timeout) is an error naming the hook and its index. */
#ifndef CELL_RUNTIME_HOOKS_H
#define CELL_RUNTIME_HOOKS_H

#include "base/error.h"
#include "config/config.h"

/* Run the hooks of one kind in order; stops at the first failure. */
int cell_hooks_run (const struct cell_config *c, enum cell_hook_kind kind, const char *state_json,
                    cell_error_t *err);
/* Run every hook of one kind in order, whatever fails: each failure is logged as a warning (the runtime's log,
 * text or --log-format json) and the next hook runs (runtime-spec 1.3 lifecycle step 13, poststop). Returns the
 * number of hooks that failed. */
size_t cell_hooks_run_all (const struct cell_config *c, enum cell_hook_kind kind, const char *state_json);

#endif
