/* cell: scope-bound cleanup, systemd style.
 * Declare and initialise an owning local on one line; hand ownership on with TAKE_PTR / TAKE_FD. */
#ifndef CELL_BASE_CLEANUP_H
#define CELL_BASE_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void
cleanup_freep (void *p)
{
  free (*(void **) p);
}

static inline void
cleanup_closep (int *fd)
{
  /* Never retry close() on EINTR: on Linux the fd is gone either way. */
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
}

static inline void
cleanup_fclosep (FILE **f)
{
  if (*f)
    fclose (*f);
}

void cell_strv_free (char **v);
static inline void
cleanup_strvp (char ***v)
{
  cell_strv_free (*v);
}

#define _cleanup_(f) __attribute__ ((cleanup (f)))
#define _cleanup_free_ _cleanup_ (cleanup_freep)
#define _cleanup_close_ _cleanup_ (cleanup_closep)
#define _cleanup_fclose_ _cleanup_ (cleanup_fclosep)
#define _cleanup_strv_ _cleanup_ (cleanup_strvp)

#define TAKE_PTR(p)                                                                                               \
  ({                                                                                                              \
    __typeof__ (p) _tp = (p);                                                                                     \
    (p) = NULL;                                                                                                   \
    _tp;                                                                                                          \
  })
#define TAKE_FD(fd)                                                                                               \
  ({                                                                                                              \
    int _tfd = (fd);                                                                                              \
    (fd) = -1;                                                                                                    \
    _tfd;                                                                                                         \
  })

#define ARRAY_SIZE(a) (sizeof (a) / sizeof ((a)[0]))

#endif
