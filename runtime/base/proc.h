/* cell: facts about processes read from /proc (the lifecycle and the overcommit ledger both need them). */
#ifndef CELL_BASE_PROC_H
#define CELL_BASE_PROC_H

#include <sys/types.h>

/* Start time of pid in clock ticks since boot (/proc/PID/stat field 22), 0 when gone. A zombie counts as
 * gone. With the pid it names one process across pid reuse. */
unsigned long long cell_proc_start_time (pid_t pid);

#endif
