/* A dlk_par for kernel tests that runs the threads' shares (as
 * dlk_parallel_share deals them) one after the other on the calling thread:
 * the split is exercised without threads. Use {threads, sequential_run, NULL}. */
#ifndef DLCC_TEST_SEQUENTIAL_POOL_H
#define DLCC_TEST_SEQUENTIAL_POOL_H

#include "kernels/parallel.h"

static void sequential_run(const dlk_par *par, dlk_task task, void *arg, int64_t n)
{
    for (int t = 0; t < par->threads; t++) {
        int64_t b, e;
        dlk_parallel_share(n, t, par->threads, &b, &e);
        if (e > b)
            task(arg, b, e);
    }
}

#endif
