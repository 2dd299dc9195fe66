/* cell: OCI hooks. Each hook is run with the container state JSON on stdin, its args/env, and a timeout;
 * a hook that fails (non-zero exit, signal, timeout) is an error naming the hook and its index. */
#ifndef CELL_RUNTIME_HOOKS_H
#define CELL_RUNTIME_HOOKS_H

#include "base/error.h"
#include "config/config.h"

/* Run the hooks of one kind in order; stops at the first failure. */
int cell_hooks_run (const struct cell_config *c, enum cell_hook_kind kind, const char *state_json,
                    cell_error_t *err);

#endif
