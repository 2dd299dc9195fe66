/* cell: helpers shared by the files of namespaces/. Not a public header. */
#ifndef CELL_NAMESPACES_INTERNAL_H
#define CELL_NAMESPACES_INTERNAL_H

#include "namespaces.h"

#include <stddef.h>

/* Open dirfd/name O_WRONLY and hand data to a single write(): /proc/PID/uid_map, gid_map and timens_offsets
 * must be written in one go (the kernel parses only the first write and refuses any later one). */
int ns_write_once_at (int dirfd, const char *name, const char *data, size_t len, cell_error_t *err);

#endif
