/* cell: "hooks" of config.json. */
#include "internal.h"

static int
check_hook (void *obj, const struct cell_json *v, const char *path, cell_error_t *err)
{
  const struct cell_hook *h = obj;
  return cfg_check_absolute (h->path, path, "path", err);
}

#define T struct cell_hook
static const struct field hook_desc_fields[] = {
  STR ("path", path, REQ_),
  STRV ("args", args),
  STRV ("env", env),
  INT ("timeout", timeout, 1, INT32_MAX, P_ (timeout_present)),
};
#undef T
DESC (hook_desc, check_hook);

#define T struct cell_config
#define HOOKS(k, kind) ARR (k, hooks[kind].v, hooks[kind].n, struct cell_hook, hook_desc)
static const struct field hooks_desc_fields[] = {
  HOOKS ("prestart", CELL_HOOK_PRESTART),
  HOOKS ("createRuntime", CELL_HOOK_CREATE_RUNTIME),
  HOOKS ("createContainer", CELL_HOOK_CREATE_CONTAINER),
  HOOKS ("startContainer", CELL_HOOK_START_CONTAINER),
  HOOKS ("poststart", CELL_HOOK_POSTSTART),
  HOOKS ("poststop", CELL_HOOK_POSTSTOP),
};
#undef HOOKS
#undef T
DESC_EXPORT (hooks_desc, NULL);
