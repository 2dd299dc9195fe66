/* cell: capabilities through libcap (the only file that includes <sys/capability.h>). */
#ifndef CELL_RUNTIME_CAPS_H
#define CELL_RUNTIME_CAPS_H

#include "base/error.h"
#include "config/config.h"

/* Every name in every set is a capability libcap knows ("CAP_CHOWN"); errors name the field
 * "process.capabilities.bounding[3]: unknown capability 'CAP_FOO'". */
int cell_caps_validate (const struct cell_capabilities *c, const char *path, cell_error_t *err);
/* Before changing uid: PR_SET_KEEPCAPS and drop every bounding capability not listed. */
int cell_caps_prepare (const struct cell_capabilities *c, cell_error_t *err);
/* After changing uid: set effective/permitted/inheritable exactly, then raise ambient. When c->present is false
 * every capability is dropped. */
int cell_caps_apply (const struct cell_capabilities *c, cell_error_t *err);
/* cell_caps_apply(), with CAP_SYS_ADMIN kept in effective and permitted (when still permitted): loading a
 * seccomp filter without no_new_privs needs it, and cell loads the filter just before execve.
 * cell_caps_settle() then sets the exact sets again, dropping it. */
int cell_caps_apply_keep_admin (const struct cell_capabilities *c, cell_error_t *err);
int cell_caps_settle (const struct cell_capabilities *c, cell_error_t *err);
/* All capability names libcap knows, for `features` (strv, caller frees). */
char **cell_caps_all_names (void);

#endif
