/* The thread pool behind dlk_par (parallel.h), emitted only with
 * `dlcc --threads`: N-1 worker threads plus the calling thread.
 *
 * No allocation: the state is a plain struct that lives in the caller's
 * NAME_context, so it must not be copied or moved between init and free.
 * A job hands thread t (the caller is t = 0) the share of [0, n) that
 * dlk_parallel_share gives it and returns when every share is done.
 *
 * A model runs hundreds of jobs per inference, a few microseconds apart, so
 * a sleeping worker (a futex round trip, tens of microseconds) per job would
 * cost more than the work it saves. With GCC/clang __atomic builtins the
 * workers and the caller spin a while on an atomic counter before they
 * block on a condition variable; the generation counter only changes under
 * the mutex, so a worker that decided to sleep cannot miss its wake-up.
 * Without __GNUC__ every shared field is read and written under the mutex
 * and nobody spins.
 *
 * Generated code that uses this section includes <pthread.h> (and defines
 * _POSIX_C_SOURCE 200809L) and links with -pthread. */
#ifndef DLK_THREADPOOL_H
#define DLK_THREADPOOL_H

#include <pthread.h>

#include "common.h"
#include "parallel.h"

/*@ dlk_threadpool_state */
/* The pool's state: a type only (the generated header carries it, so the
 * caller can own a NAME_context). All fields are private. */
#define DLK_MAX_THREADS 64

struct dlk_threadpool;
typedef struct dlk_threadpool_worker {
    struct dlk_threadpool *pool;
    int index;                  /* 1 .. threads-1: the share it runs */
} dlk_threadpool_worker;

typedef struct dlk_threadpool {
    int threads;                /* 1: no workers, nothing else initialised */
    pthread_mutex_t lock;
    pthread_cond_t wake;        /* workers wait here for a new generation */
    pthread_cond_t done;        /* the caller waits here for pending == 0 */
    unsigned generation;        /* +1 per job (and on stop); changed under lock */
    int pending;                /* workers that have not finished the job */
    int stop;
    void (*task)(void *arg, int64_t begin, int64_t end);
    void *arg;
    int64_t n;
    pthread_t ids[DLK_MAX_THREADS];
    dlk_threadpool_worker workers[DLK_MAX_THREADS];
} dlk_threadpool;
/*@end*/

/*@ dlk_threadpool : dlk_threadpool_state dlk_parallel_share */
#if defined(__GNUC__) && !defined(DLK_TP_NO_ATOMICS) /* the macro: test the fallback */
#define DLK_TP_LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define DLK_TP_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#ifndef DLK_TP_SPIN
/* polls before blocking: 22 us on the bench VM (a pause there: 11 ns), up to
 * ~100 us where a pause takes 140 cycles */
#define DLK_TP_SPIN 2000
#endif
#if defined(__x86_64__) || defined(__i386__)
#define DLK_TP_PAUSE() __builtin_ia32_pause()
#else
#define DLK_TP_PAUSE() ((void)0)
#endif
#else
#define DLK_TP_LOAD(p) (*(p))   /* only ever under the lock */
#define DLK_TP_STORE(p, v) (*(p) = (v))
#define DLK_TP_SPIN 0
#define DLK_TP_PAUSE() ((void)0)
#endif

/* Thread t runs its share of the current job (dlk_parallel_share, parallel.h). */
static void dlk_threadpool_share(dlk_threadpool *pool, int t)
{
    int64_t begin, end;
    dlk_parallel_share(pool->n, t, pool->threads, &begin, &end);
    if (begin < end)
        pool->task(pool->arg, begin, end);
}

/* Waits for a generation other than *seen; returns nonzero when told to stop. */
static int dlk_threadpool_next(dlk_threadpool *pool, unsigned *seen)
{
    int i, stop;
    for (i = 0; i < DLK_TP_SPIN; i++) {
        if (DLK_TP_LOAD(&pool->generation) != *seen) {
            *seen = DLK_TP_LOAD(&pool->generation);
            return DLK_TP_LOAD(&pool->stop);
        }
        DLK_TP_PAUSE();
    }
    pthread_mutex_lock(&pool->lock);
    while (DLK_TP_LOAD(&pool->generation) == *seen)
        pthread_cond_wait(&pool->wake, &pool->lock);
    *seen = DLK_TP_LOAD(&pool->generation);
    stop = pool->stop;
    pthread_mutex_unlock(&pool->lock);
    return stop;
}

static void dlk_threadpool_finished(dlk_threadpool *pool)
{
#if defined(__GNUC__) && !defined(DLK_TP_NO_ATOMICS)
    if (__atomic_sub_fetch(&pool->pending, 1, __ATOMIC_ACQ_REL) == 0) {
        pthread_mutex_lock(&pool->lock);   /* the caller may be about to sleep */
        pthread_cond_signal(&pool->done);
        pthread_mutex_unlock(&pool->lock);
    }
#else
    pthread_mutex_lock(&pool->lock);
    if (--pool->pending == 0)
        pthread_cond_signal(&pool->done);
    pthread_mutex_unlock(&pool->lock);
#endif
}

static void *dlk_threadpool_main(void *p)
{
    dlk_threadpool_worker *w = (dlk_threadpool_worker *)p;
    unsigned seen = 0;
    while (!dlk_threadpool_next(w->pool, &seen)) {
        dlk_threadpool_share(w->pool, w->index);
        dlk_threadpool_finished(w->pool);
    }
    return NULL;
}

/* Starts a job (the generation moves under the lock; workers read the job after it). */
static void dlk_threadpool_post(dlk_threadpool *pool, int stop)
{
    pthread_mutex_lock(&pool->lock);
    DLK_TP_STORE(&pool->pending, pool->threads - 1);
    DLK_TP_STORE(&pool->stop, stop);
    DLK_TP_STORE(&pool->generation, pool->generation + 1);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
}

/* Stops and joins workers 1 .. started, then releases the locks. */
static void dlk_threadpool_stop(dlk_threadpool *pool, int started)
{
    int t;
    pool->threads = started + 1;   /* only they count down pending */
    dlk_threadpool_post(pool, 1);
    for (t = 1; t <= started; t++)
        pthread_join(pool->ids[t], NULL);
    pthread_cond_destroy(&pool->done);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->lock);
    pool->threads = 1;
}

/* threads < 1 counts as 1, more than DLK_MAX_THREADS as DLK_MAX_THREADS.
 * One thread starts nothing. Returns 0, or -1 (and a 1-thread pool) when
 * a thread or a lock could not be made. */
static int dlk_threadpool_init(dlk_threadpool *pool, int threads)
{
    int t;
    memset(pool, 0, sizeof *pool);
    pool->threads = threads < 1 ? 1 : threads > DLK_MAX_THREADS ? DLK_MAX_THREADS : threads;
    if (pool->threads == 1)
        return 0;
    if (pthread_mutex_init(&pool->lock, NULL) != 0) {
        pool->threads = 1;
        return -1;
    }
    if (pthread_cond_init(&pool->wake, NULL) != 0) {
        pthread_mutex_destroy(&pool->lock);
        pool->threads = 1;
        return -1;
    }
    if (pthread_cond_init(&pool->done, NULL) != 0) {
        pthread_cond_destroy(&pool->wake);
        pthread_mutex_destroy(&pool->lock);
        pool->threads = 1;
        return -1;
    }
    for (t = 1; t < pool->threads; t++) {
        pool->workers[t].pool = pool;
        pool->workers[t].index = t;
        if (pthread_create(&pool->ids[t], NULL, dlk_threadpool_main, &pool->workers[t]) != 0) {
            dlk_threadpool_stop(pool, t - 1);
            return -1;
        }
    }
    return 0;
}

static void dlk_threadpool_free(dlk_threadpool *pool)
{
    if (pool->threads > 1)
        dlk_threadpool_stop(pool, pool->threads - 1);
}
/*@end*/

/*@ dlk_threadpool_par : dlk_threadpool dlk_parallel */
/* Running jobs: a section of its own, emitted only when a kernel of the
 * model takes par (a --threads model whose kernels never split their work
 * keeps a pool nobody runs, and these functions would be unused). */

/* Waits until every worker has finished the job. */
static void dlk_threadpool_wait(dlk_threadpool *pool)
{
    int i;
    for (i = 0; i < DLK_TP_SPIN; i++) {
        if (DLK_TP_LOAD(&pool->pending) == 0)
            return;
        DLK_TP_PAUSE();
    }
    pthread_mutex_lock(&pool->lock);
    while (DLK_TP_LOAD(&pool->pending) != 0)
        pthread_cond_wait(&pool->done, &pool->lock);
    pthread_mutex_unlock(&pool->lock);
}

/* Runs task over [0, n) split in pool->threads static shares; the caller runs share 0. */
static void dlk_threadpool_run(dlk_threadpool *pool, void (*task)(void *, int64_t, int64_t), void *arg, int64_t n)
{
    if (n <= 0)
        return;
    if (pool->threads <= 1) {
        task(arg, 0, n);
        return;
    }
    pool->task = task;
    pool->arg = arg;
    pool->n = n;
    dlk_threadpool_post(pool, 0);
    dlk_threadpool_share(pool, 0);
    dlk_threadpool_wait(pool);
}

/* par->run for a pool: par->pool is the dlk_threadpool. */
static void dlk_threadpool_par_run(const dlk_par *par, dlk_task task, void *arg, int64_t n)
{
    dlk_threadpool_run((dlk_threadpool *)par->pool, task, arg, n);
}
/*@end*/

#endif
