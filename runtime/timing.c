/* A monotonic clock for measuring intervals (`dlcc run`, benchmarks).
 * POSIX clock_gettime(CLOCK_MONOTONIC) where the C library offers it;
 * otherwise C's clock(), which is processor time on POSIX systems and
 * wall time on Windows, the best plain C99 can do. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 199309L   /* must precede every #include to expose clock_gettime */
#endif
#include "dlrt.h"

#include <time.h>

double dlrt_now_seconds(void)
{
#if defined(CLOCK_MONOTONIC)
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0)
        return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
#endif
    return (double)clock() / CLOCKS_PER_SEC;
}
