/* Unit tests for runtime/process/caps.c: name validation, the list of names, and prepare/apply in a forked child
 * (root only; skipped otherwise), checked against /proc/self/status. */
#include "unit.h"

#include "runtime/base/cleanup.h"
#include "runtime/base/strv.h"
#include "runtime/process/caps.h"

#include <inttypes.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void
expect_error (const struct cell_capabilities *c, const char *msg)
{
  cell_error_t err = NULL;
  if (cell_caps_validate (c, "process.capabilities", &err) == 0 || strcmp (err->msg, msg) != 0)
    {
      fprintf (stderr, "  expected \"%s\", got \"%s\"\n", msg, err ? err->msg : "(success)");
      unit_cur_failed_ = 1;
    }
  cell_error_free (&err);
}

TEST (validate)
{
  char *good[] = { "CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_CHECKPOINT_RESTORE", "CAP_BPF", NULL };
  char *bad[] = { "CAP_CHOWN", "CAP_KILL", "CAP_FOO", NULL };
  char *lower[] = { "cap_chown", NULL };
  char *noprefix[] = { "CHOWN", NULL };
  char *number[] = { "CAP_1", NULL };
  struct cell_capabilities c = { .present = true, .bounding = good, .effective = good, .ambient = good };
  cell_error_t err = NULL;
  CHECK (cell_caps_validate (&c, "process.capabilities", &err) == 0 && err == NULL);
  c.bounding = bad;
  expect_error (&c, "process.capabilities.bounding[2]: unknown capability 'CAP_FOO'");
  c.bounding = good;
  c.ambient = lower;
  expect_error (&c, "process.capabilities.ambient[0]: unknown capability 'cap_chown'");
  c.ambient = NULL;
  c.permitted = noprefix;
  expect_error (&c, "process.capabilities.permitted[0]: unknown capability 'CHOWN'");
  c.permitted = NULL;
  c.inheritable = number;
  expect_error (&c, "process.capabilities.inheritable[0]: unknown capability 'CAP_1'");
  /* Absent capabilities: nothing to check. */
  c.present = false;
  CHECK (cell_caps_validate (&c, "process.capabilities", &err) == 0);
}

TEST (all_names)
{
  _cleanup_strv_ char **v = cell_caps_all_names ();
  CHECK (v != NULL);
  CHECK (cell_strv_contains (v, "CAP_CHOWN"));
  CHECK (cell_strv_contains (v, "CAP_SYS_ADMIN"));
  CHECK (cell_strv_contains (v, "CAP_NET_BIND_SERVICE"));
  FILE *f = fopen ("/proc/sys/kernel/cap_last_cap", "re");
  int last = -1;
  CHECK (f && fscanf (f, "%d", &last) == 1);
  fclose (f);
  CHECK (cell_strv_length (v) == (size_t) last + 1);
  for (size_t i = 0; v[i]; i++)
    {
      CHECK (strncmp (v[i], "CAP_", 4) == 0);
      struct cell_capabilities c = { .present = true, .bounding = (char *[]){ v[i], NULL } };
      CHECK (cell_caps_validate (&c, "x", NULL) == 0);
    }
}

static uint64_t
status_mask (const char *key)
{
  FILE *f = fopen ("/proc/self/status", "re");
  char line[256];
  uint64_t v = UINT64_MAX;
  while (f && fgets (line, sizeof line, f))
    if (strncmp (line, key, strlen (key)) == 0)
      v = strtoull (line + strlen (key) + 1, NULL, 16);
  if (f)
    fclose (f);
  return v;
}

#define BIT(n) (1ULL << (n))
enum
{
  CHOWN = 0,
  KILL = 5,
  SETGID = 6,
  SETUID = 7,
  NET_BIND_SERVICE = 10,
};

/* Root keeps some capabilities across a change to uid 1000, with one ambient. */
static int
child_apply (void)
{
  char *bounding[] = { "CAP_CHOWN", "CAP_KILL", "CAP_SETUID", "CAP_SETGID", "CAP_NET_BIND_SERVICE", NULL };
  char *perm[] = { "CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };
  char *eff[] = { "CAP_CHOWN", "CAP_KILL", NULL };
  char *amb[] = { "CAP_NET_BIND_SERVICE", NULL };
  struct cell_capabilities c = {
    .present = true, .bounding = bounding, .permitted = perm, .effective = eff, .inheritable = amb, .ambient = amb,
  };
  cell_error_t err = NULL;
  if (cell_caps_prepare (&c, &err) < 0 || setresgid (1000, 1000, 1000) < 0 || setresuid (1000, 1000, 1000) < 0
      || cell_caps_apply (&c, &err) < 0)
    {
      fprintf (stderr, "  %s\n", err ? err->msg : "setres*id");
      return 2;
    }
  if (status_mask ("CapBnd:") != (BIT (CHOWN) | BIT (KILL) | BIT (SETUID) | BIT (SETGID) | BIT (NET_BIND_SERVICE)))
    return 3;
  if (status_mask ("CapPrm:") != (BIT (CHOWN) | BIT (KILL) | BIT (NET_BIND_SERVICE)))
    return 4;
  if (status_mask ("CapEff:") != (BIT (CHOWN) | BIT (KILL)))
    return 5;
  if (status_mask ("CapInh:") != BIT (NET_BIND_SERVICE) || status_mask ("CapAmb:") != BIT (NET_BIND_SERVICE))
    return 6;
  if (prctl (PR_GET_KEEPCAPS, 0, 0, 0, 0) != 0)
    return 7;
  return 0;
}

/* No capabilities object: everything goes. */
static int
child_none (void)
{
  struct cell_capabilities c = { .present = false };
  if (cell_caps_prepare (&c, NULL) < 0 || cell_caps_apply (&c, NULL) < 0)
    return 2;
  const char *keys[] = { "CapBnd:", "CapPrm:", "CapEff:", "CapInh:", "CapAmb:" };
  for (size_t i = 0; i < ARRAY_SIZE (keys); i++)
    if (status_mask (keys[i]) != 0)
      return 3 + (int) i;
  return 0;
}

/* Ambient without inheritable is refused by the kernel: skipped, as runc and crun do (runc spec's default has
 * it); the other sets are applied and no ambient capability is left. */
static int
child_ambient_skipped (void)
{
  char *all[] = { "CAP_KILL", NULL };
  struct cell_capabilities c
      = { .present = true, .bounding = all, .permitted = all, .effective = all, .ambient = all };
  cell_error_t err = NULL;
  if (cell_caps_prepare (&c, &err) < 0)
    return 2;
  if (cell_caps_apply (&c, &err) < 0)
    return 3;
  return status_mask ("CapAmb:") == 0 && status_mask ("CapEff:") != 0 ? 0 : 4;
}

static int
run_child (int (*fn) (void))
{
  pid_t pid = fork ();
  if (pid == 0)
    _exit (fn ());
  int status;
  if (pid < 0 || waitpid (pid, &status, 0) != pid || !WIFEXITED (status))
    return -1;
  if (WEXITSTATUS (status) != 0)
    fprintf (stderr, "  child exited %d\n", WEXITSTATUS (status));
  return WEXITSTATUS (status);
}

TEST (apply)
{
  if (geteuid () != 0)
    return;
  CHECK (run_child (child_apply) == 0);
  CHECK (run_child (child_none) == 0);
  CHECK (run_child (child_ambient_skipped) == 0);
}

int
main (void)
{
  RUN (validate);
  RUN (all_names);
  RUN (apply);
  UNIT_END ();
}
