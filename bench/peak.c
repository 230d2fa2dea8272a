/* FP32 FMA peak: how many GFLOP/s this machine's cores can do at most.
 *
 *     cc -O3 -march=native -pthread bench/peak.c -o peak && ./peak [MAX_THREADS]
 *
 * Each thread runs independent chains of vector FMAs (acc = acc * a + b) held
 * in registers: 16 chains of 512-bit FMAs when __AVX512F__ (enough to cover a
 * 4-cycle latency on 2 FMA ports, 8 in flight, with room to spare), and 12
 * chains of 256-bit FMAs when __FMA__ (12 + 2 constants fit the 16 ymm
 * registers of AVX2). On an AVX-512 machine both figures are printed, since
 * a kernel that uses only 256-bit vectors can reach only the second.
 *
 * One FMA on a 512-bit vector is 2 * 16 flops. Time is wall-clock from
 * starting the threads to joining them; each figure is the best of 10 runs
 * (the machine may be shared). Output, one line per figure:
 *     peak bits=512 threads=1 gflops=261.3
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__AVX512F__) || defined(__FMA__)
#include <immintrin.h>
#endif

#define PEAK_MAX_THREADS 64
#define PEAK_REPEATS 10
#define PEAK_ITERS 20000000L   /* per thread; ~0.1-0.3 s at 2-3 GHz */
#define PEAK_VALUES (18 * 16)   /* a, b and 16 chains of 16 lanes */

typedef struct peak_task {
    int bits;
    long iters;
    float values[PEAK_VALUES];   /* a, b, then the chains' starting values, lane by lane */
    float result;   /* sum of the chains, so the work is not optimised away */
} peak_task;

/* Runtime values with distinct lanes, so that no compiler can see that the
 * lanes of a vector are equal and shrink the work (clang does when the
 * chains start from _mm512_set1_ps constants). a is slightly below 1 and b
 * small: every chain stays bounded, no inf and no denormals. */
static void peak_values(float *v, int seed)
{
    int j;
    for (j = 0; j < 16; j++) {
        v[j] = 0.9999999f - 1e-8f * (float)((j + seed) % 4);
        v[16 + j] = 1e-7f * (float)(1 + j % 3);
    }
    for (j = 32; j < PEAK_VALUES; j++)
        v[j] = 0.01f * (float)((j * 7 + seed) % 101);
}

static double peak_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}


#if defined(__AVX512F__)
static float peak_chains_512(const float *v, long iters)
{
    const __m512 a = _mm512_loadu_ps(v + 0), b = _mm512_loadu_ps(v + 16);
    __m512 c0 = _mm512_loadu_ps(v + 32), c1 = _mm512_loadu_ps(v + 48), c2 = _mm512_loadu_ps(v + 64);
    __m512 c3 = _mm512_loadu_ps(v + 80), c4 = _mm512_loadu_ps(v + 96), c5 = _mm512_loadu_ps(v + 112);
    __m512 c6 = _mm512_loadu_ps(v + 128), c7 = _mm512_loadu_ps(v + 144), c8 = _mm512_loadu_ps(v + 160);
    __m512 c9 = _mm512_loadu_ps(v + 176), c10 = _mm512_loadu_ps(v + 192), c11 = _mm512_loadu_ps(v + 208);
    __m512 c12 = _mm512_loadu_ps(v + 224), c13 = _mm512_loadu_ps(v + 240), c14 = _mm512_loadu_ps(v + 256);
    __m512 c15 = _mm512_loadu_ps(v + 272);
    long i;
    for (i = 0; i < iters; i++) {
        c0 = _mm512_fmadd_ps(c0, a, b);   c1 = _mm512_fmadd_ps(c1, a, b);
        c2 = _mm512_fmadd_ps(c2, a, b);   c3 = _mm512_fmadd_ps(c3, a, b);
        c4 = _mm512_fmadd_ps(c4, a, b);   c5 = _mm512_fmadd_ps(c5, a, b);
        c6 = _mm512_fmadd_ps(c6, a, b);   c7 = _mm512_fmadd_ps(c7, a, b);
        c8 = _mm512_fmadd_ps(c8, a, b);   c9 = _mm512_fmadd_ps(c9, a, b);
        c10 = _mm512_fmadd_ps(c10, a, b); c11 = _mm512_fmadd_ps(c11, a, b);
        c12 = _mm512_fmadd_ps(c12, a, b); c13 = _mm512_fmadd_ps(c13, a, b);
        c14 = _mm512_fmadd_ps(c14, a, b); c15 = _mm512_fmadd_ps(c15, a, b);
    }
    c0 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)),
                       _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7)));
    c8 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c8, c9), _mm512_add_ps(c10, c11)),
                       _mm512_add_ps(_mm512_add_ps(c12, c13), _mm512_add_ps(c14, c15)));
    return _mm512_reduce_add_ps(_mm512_add_ps(c0, c8));
}
#define PEAK_CHAINS_512 16
#endif

#if defined(__FMA__)
static float peak_chains_256(const float *v, long iters)
{
    const __m256 a = _mm256_loadu_ps(v + 0), b = _mm256_loadu_ps(v + 16);
    __m256 c0 = _mm256_loadu_ps(v + 32), c1 = _mm256_loadu_ps(v + 48), c2 = _mm256_loadu_ps(v + 64);
    __m256 c3 = _mm256_loadu_ps(v + 80), c4 = _mm256_loadu_ps(v + 96), c5 = _mm256_loadu_ps(v + 112);
    __m256 c6 = _mm256_loadu_ps(v + 128), c7 = _mm256_loadu_ps(v + 144), c8 = _mm256_loadu_ps(v + 160);
    __m256 c9 = _mm256_loadu_ps(v + 176), c10 = _mm256_loadu_ps(v + 192), c11 = _mm256_loadu_ps(v + 208);
    float out[8];
    long i;
    for (i = 0; i < iters; i++) {
        c0 = _mm256_fmadd_ps(c0, a, b);   c1 = _mm256_fmadd_ps(c1, a, b);
        c2 = _mm256_fmadd_ps(c2, a, b);   c3 = _mm256_fmadd_ps(c3, a, b);
        c4 = _mm256_fmadd_ps(c4, a, b);   c5 = _mm256_fmadd_ps(c5, a, b);
        c6 = _mm256_fmadd_ps(c6, a, b);   c7 = _mm256_fmadd_ps(c7, a, b);
        c8 = _mm256_fmadd_ps(c8, a, b);   c9 = _mm256_fmadd_ps(c9, a, b);
        c10 = _mm256_fmadd_ps(c10, a, b); c11 = _mm256_fmadd_ps(c11, a, b);
    }
    c0 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                       _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
    c8 = _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11));
    _mm256_storeu_ps(out, _mm256_add_ps(c0, c8));
    return out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
}
#define PEAK_CHAINS_256 12
#endif

/* No vector FMA: 8 scalar chains, for completeness (the compiler may vectorise them). */
static float peak_chains_scalar(const float *v, long iters)
{
    float c[8];
    long i;
    int j;
    for (j = 0; j < 8; j++)
        c[j] = v[32 + 16 * j];
    for (i = 0; i < iters; i++)
        for (j = 0; j < 8; j++)
            c[j] = c[j] * v[j] + v[16 + j];
    return c[0] + c[1] + c[2] + c[3] + c[4] + c[5] + c[6] + c[7];
}

/* Flops of one iteration of the chains for a vector width. */
static double peak_flops_per_iter(int bits)
{
    (void)bits;   /* unused when no vector FMA is compiled in */
#if defined(__AVX512F__)
    if (bits == 512)
        return 2.0 * 16 * PEAK_CHAINS_512;
#endif
#if defined(__FMA__)
    if (bits == 256)
        return 2.0 * 8 * PEAK_CHAINS_256;
#endif
    return 2.0 * 8;
}

static void *peak_thread(void *arg)
{
    peak_task *t = arg;
#if defined(__AVX512F__)
    if (t->bits == 512) {
        t->result = peak_chains_512(t->values, t->iters);
        return NULL;
    }
#endif
#if defined(__FMA__)
    if (t->bits == 256) {
        t->result = peak_chains_256(t->values, t->iters);
        return NULL;
    }
#endif
    t->result = peak_chains_scalar(t->values, t->iters);
    return NULL;
}

/* GFLOP/s of `threads` threads, each running its own chains; -1 if a thread cannot start. */
static double peak_measure(int bits, int threads, long iters)
{
    pthread_t tid[PEAK_MAX_THREADS];
    peak_task task[PEAK_MAX_THREADS];
    double start, seconds;
    int i, started = 0;
    float sink = 0.0f;

    for (i = 0; i < threads; i++) {
        task[i].bits = bits;
        task[i].iters = iters;
        task[i].result = 0.0f;
        peak_values(task[i].values, i);
    }
    start = peak_now();
    for (i = 1; i < threads; i++, started++)
        if (pthread_create(&tid[i], NULL, peak_thread, &task[i]) != 0)
            break;
    peak_thread(&task[0]);
    for (i = 1; i <= started; i++)
        pthread_join(tid[i], NULL);
    seconds = peak_now() - start;
    if (started != threads - 1)
        return -1.0;
    for (i = 0; i < threads; i++)
        sink += task[i].result;
    if (sink != sink)   /* NaN would mean the chains misbehaved */
        return -1.0;
    return peak_flops_per_iter(bits) * (double)iters * threads / seconds * 1e-9;
}

static void peak_report(int bits, int max_threads)
{
    int threads, r;
    for (threads = 1; threads <= max_threads; threads++) {
        double best = -1.0;
        for (r = 0; r < PEAK_REPEATS; r++) {
            double g = peak_measure(bits, threads, PEAK_ITERS);
            if (g > best)
                best = g;
        }
        printf("peak bits=%d threads=%d gflops=%.1f\n", bits, threads, best);
        fflush(stdout);
    }
}

int main(int argc, char **argv)
{
    int max_threads = argc > 1 ? atoi(argv[1]) : 2;
    if (max_threads < 1 || max_threads > PEAK_MAX_THREADS) {
        fprintf(stderr, "peak: MAX_THREADS must be 1..%d, got '%s'\n", PEAK_MAX_THREADS, argv[1]);
        return 2;
    }
#if defined(__AVX512F__)
    peak_report(512, max_threads);
#endif
#if defined(__FMA__)
    peak_report(256, max_threads);
#endif
#if !defined(__AVX512F__) && !defined(__FMA__)
    peak_report(32, max_threads);
#endif
    return 0;
}
