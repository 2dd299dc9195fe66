/* cell: container ids. runc's rule: only [A-Za-z0-9_+.-], not "." or "..", at most 1024 bytes. The id becomes
 * a directory name under the state root, so anything that could name another path is refused. */
#include "runtime.h"

#include <stdbool.h>
#include <string.h>

#define CELL_ID_MAX 1024

static bool
id_char_ok (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '+'
         || c == '-' || c == '.';
}

int
cell_id_validate (const char *id, cell_error_t *err)
{
  if (id == NULL || *id == '\0')
    return cell_error (err, 0, "container id cannot be empty");
  size_t len = strnlen (id, CELL_ID_MAX + 1);
  if (len > CELL_ID_MAX)
    return cell_error (err, 0, "invalid container id: longer than %d bytes", CELL_ID_MAX);
  bool ok = strcmp (id, ".") != 0 && strcmp (id, "..") != 0;
  for (size_t i = 0; ok && i < len; i++)
    ok = id_char_ok (id[i]);
  if (!ok)
    return cell_error (err, 0, "invalid container id '%s'", id);
  return 0;
}
