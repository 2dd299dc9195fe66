/* libFuzzer target for the config parser: cell_config_parse() + cell_config_validate() on arbitrary bytes, then
 * the process parser (`cell exec -p`). Built with clang -fsanitize=fuzzer,address,undefined (make fuzz); seeded
 * from tests/fixtures/config and tests/fuzz/corpus/config (crashes found become files there or bad fixtures). */
#include "runtime/config/config.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cell_error_t err = NULL;
  struct cell_config *c = cell_config_parse ((const char *) data, size, &err);
  if (c && cell_config_validate (c, &err) < 0)
    cell_error_free (&err);
  else if (c == NULL)
    cell_error_free (&err);
  cell_config_free (c);
  struct cell_process *p = cell_process_parse ((const char *) data, size, &err);
  if (p == NULL)
    cell_error_free (&err);
  cell_process_free (p);
  return 0;
}
