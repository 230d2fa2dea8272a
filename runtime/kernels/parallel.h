/* How a kernel splits its work over threads without knowing about threads.
 *
 * A kernel that can run in parallel takes a `const dlk_par *par` and cuts
 * its work into n independent items (output-channel blocks, pixel tiles,
 * rows), then calls dlk_parallel_for(par, task, &args, n): task(arg, begin,
 * end) runs once per thread over a static, contiguous share of [0, n). With
 * par NULL or one thread it is a plain call of task(arg, 0, n): a model
 * compiled without threads, and constant folding inside the compiler, pay
 * nothing. The thread pool behind par->run (runtime/kernels/threadpool.h, emitted
 * only with dlcc --threads) is the only code that knows about pthreads. */
#ifndef DLK_PARALLEL_H
#define DLK_PARALLEL_H

#include "common.h"

/*@ dlk_parallel : dlk_common */
/* Items [begin, end) of the work described by arg. */
typedef void (*dlk_task)(void *arg, int64_t begin, int64_t end);

typedef struct dlk_par {
    int threads;    /* how many share the work (>= 1) */
    /* runs task over [0, n) split in `threads` static shares and returns when all are done */
    void (*run)(const struct dlk_par *par, dlk_task task, void *arg, int64_t n);
    void *pool;     /* the pool's own state */
} dlk_par;

static void dlk_parallel_for(const dlk_par *par, dlk_task task, void *arg, int64_t n)
{
    if (n <= 0)
        return;
    if (par == NULL || par->threads <= 1 || n == 1 || par->run == NULL)
        task(arg, 0, n);
    else
        par->run(par, task, arg, n);
}

/*@end*/

/*@ dlk_parallel_share : dlk_common */
/* The share of n items that thread t of `threads` runs: [*begin, *end)
 * (its own section: only the thread pool needs it). */
static void dlk_parallel_share(int64_t n, int t, int threads, int64_t *begin, int64_t *end)
{
    *begin = n * t / threads;
    *end = n * (t + 1) / threads;
}
/*@end*/

#endif
