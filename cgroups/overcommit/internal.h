/* cell: what the overcommit files share (not a public interface). */
#ifndef CELL_CGROUPS_OVERCOMMIT_INTERNAL_H
#define CELL_CGROUPS_OVERCOMMIT_INTERNAL_H

#include "overcommit.h"
#include "../../runtime/base/cleanup.h"
#include "../../runtime/base/xalloc.h"

/* Append "file=value" (value formatted) to w. */
void oc_writes_add (struct oc_writes *w, bool optional, const char *file, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

/* Bytes of a policy size against a total (percent) or as is (quantity.c). */
int64_t oc_size_bytes (const struct oc_size *s, int64_t total);

/* read.c: read a small cgroup/proc file relative to dirfd into buf (NUL-terminated, trailing newline removed).
 * Returns 0, or -1 with errno set. */
int oc_read_small (int dirfd, const char *file, char *buf, size_t size);
/* "some avg10=0.00 avg60=1.23 ..." line of a pressure file: avg60 of the some (or full) line; < 0 unknown. */
double oc_pressure_avg (const char *text, const char *kind, const char *which);

#endif
