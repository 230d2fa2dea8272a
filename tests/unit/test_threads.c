/* Threads and profiling: the pool section (runtime/kernels/threadpool.h)
 * directly: every item of [0, n) runs exactly once, in the shares
 * dlk_parallel_share gives, for n below, at and above the thread count, also
 * after the workers went to sleep and without atomics; and the generated code of `dlcc --threads`
 * / `--profile`: the same outputs (bit for bit) from NAME_run and from
 * `dlcc run --threads 1|2`, warning-free under gcc and clang -pedantic, the
 * context API usable from a caller's program, one profile line per node. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dlrt.h"
#include "kernels/threadpool.h"
#define SCRATCH_TAG "threads"
#include "scratch_dir.h"
#include "model_builder.h"

/* ------------------------------------------------------- the pool itself */

#define MAX_ITEMS 100003
#define MAX_CALLS 256

typedef struct job {
    int count[MAX_ITEMS];                    /* times item i ran */
    int64_t begin[MAX_CALLS], end[MAX_CALLS]; /* the calls of task */
    int calls;
    pthread_t caller;
    int on_caller[MAX_CALLS];                /* the call ran on the calling thread */
} job;

static void count_items(void *arg, int64_t begin, int64_t end)
{
    job *j = arg;
    int c = __atomic_fetch_add(&j->calls, 1, __ATOMIC_SEQ_CST);
    if (c < MAX_CALLS) {
        j->begin[c] = begin;
        j->end[c] = end;
        j->on_caller[c] = pthread_equal(pthread_self(), j->caller);
    }
    for (int64_t i = begin; i < end; i++)
        __atomic_fetch_add(&j->count[i], 1, __ATOMIC_SEQ_CST);
}

/* Runs one job of n items and checks: each item once; one call per
 * non-empty share, with exactly the bounds dlk_parallel_share gives; share 0
 * on the calling thread, the others not. */
static void check_job(dlk_threadpool *pool, job *j, int64_t n)
{
    memset(j, 0, sizeof *j);
    j->caller = pthread_self();
    dlk_par par = {pool->threads, dlk_threadpool_par_run, pool};
    dlk_parallel_for(&par, count_items, j, n);
    for (int64_t i = 0; i < n; i++)
        ck_assert_msg(j->count[i] == 1, "threads %d, n %lld: item %lld ran %d times", pool->threads, (long long)n,
                      (long long)i, j->count[i]);
    int shares = 0;
    for (int t = 0; t < pool->threads; t++) {
        int64_t b, e;
        dlk_parallel_share(n, t, pool->threads, &b, &e);
        if (b == e)
            continue;
        shares++;
        int found = 0;
        for (int c = 0; c < j->calls; c++)
            if (j->begin[c] == b && j->end[c] == e) {
                found++;
                /* one call of n = 1 runs directly on the caller (dlk_parallel_for) */
                ck_assert_int_eq(j->on_caller[c], t == 0 || n == 1);
            }
        ck_assert_msg(found == 1, "threads %d, n %lld: share %d [%lld, %lld) ran %d times", pool->threads,
                      (long long)n, t, (long long)b, (long long)e, found);
    }
    ck_assert_int_eq(j->calls, n <= 0 ? 0 : n == 1 ? 1 : shares);
}

START_TEST(test_pool_covers_every_item_once)
{
    static const int thread_counts[] = {1, 2, 3, 4, 8};
    job *j = malloc(sizeof *j);
    ck_assert_ptr_nonnull(j);
    for (size_t k = 0; k < sizeof thread_counts / sizeof thread_counts[0]; k++) {
        int t = thread_counts[k];
        dlk_threadpool pool;
        ck_assert_int_eq(dlk_threadpool_init(&pool, t), 0);
        ck_assert_int_eq(pool.threads, t);
        /* n < threads, n = threads, n = threads + 1, large, large prime */
        const int64_t sizes[] = {0, 1, t - 1, t, t + 1, 2 * t + 1, 1000, 65536, MAX_ITEMS};
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
            check_job(&pool, j, sizes[s]);
        dlk_threadpool_free(&pool);
    }
    free(j);
}
END_TEST

/* Many short jobs back to back (the workers mostly spinning) and jobs after
 * a pause long enough for them to block on the condition variable. */
START_TEST(test_pool_many_jobs_and_sleep)
{
    job *j = malloc(sizeof *j);
    ck_assert_ptr_nonnull(j);
    dlk_threadpool pool;
    ck_assert_int_eq(dlk_threadpool_init(&pool, 3), 0);
    for (int r = 0; r < 3000; r++)
        check_job(&pool, j, 1 + r % 17);
    for (int r = 0; r < 3; r++) {
        struct timespec pause = {0, 50 * 1000 * 1000}; /* 50 ms: far past the spin */
        nanosleep(&pause, NULL);
        check_job(&pool, j, 7);
    }
    dlk_threadpool_free(&pool);
    free(j);
}
END_TEST

/* One thread starts nothing; counts outside 1..64 are clamped. */
START_TEST(test_pool_thread_counts)
{
    job *j = malloc(sizeof *j);
    ck_assert_ptr_nonnull(j);
    dlk_threadpool pool;
    ck_assert_int_eq(dlk_threadpool_init(&pool, 1), 0);
    ck_assert_int_eq(pool.threads, 1);
    check_job(&pool, j, 100);
    ck_assert_int_eq(j->calls, 1);
    ck_assert_int_eq(j->on_caller[0], 1);
    dlk_threadpool_free(&pool);
    ck_assert_int_eq(dlk_threadpool_init(&pool, 0), 0);
    ck_assert_int_eq(pool.threads, 1);
    dlk_threadpool_free(&pool);
    ck_assert_int_eq(dlk_threadpool_init(&pool, 1000), 0);
    ck_assert_int_eq(pool.threads, DLK_MAX_THREADS);
    check_job(&pool, j, 1000);
    dlk_threadpool_free(&pool);
    /* a NULL par is one plain call */
    memset(j, 0, sizeof *j);
    j->caller = pthread_self();
    dlk_parallel_for(NULL, count_items, j, 10);
    ck_assert_int_eq(j->calls, 1);
    ck_assert_int_eq(j->end[0], 10);
    free(j);
}
END_TEST

/* ------------------------------------------------------ generated code */

static char err_text[8192];

/* Runs a shell command (stderr kept in err_text); returns its exit status. */
static int shell(const char *cmd_text)
{
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "(%s) 2>'%s/stderr.txt' >/dev/null", cmd_text, dir);
    int status = system(cmd);
    FILE *f = fopen(path("stderr.txt"), "r");
    size_t n = f ? fread(err_text, 1, sizeof err_text - 1, f) : 0;
    err_text[n] = 0;
    if (f)
        fclose(f);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int run_dlcc(const char *args)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' %s", DLCC_BIN, args);
    return shell(cmd);
}

/* The pool without atomics (every shared field under the mutex, no
 * spinning), as a compiler without __GNUC__ gets it: built from the kernel
 * source with DLK_TP_NO_ATOMICS, -pedantic -Werror; checks every item once. */
static const char *fallback_main =
    "#define _POSIX_C_SOURCE 200809L\n#include \"kernels/threadpool.h\"\n"
    "static int count[1001];\n"
    "static void task(void *arg, int64_t begin, int64_t end)\n{\n    int64_t i;\n    (void)arg;\n"
    "    for (i = begin; i < end; i++)\n        count[i]++;\n}\n"
    "int main(void)\n{\n    dlk_threadpool pool;\n    dlk_par par;\n    int64_t b, e, n;\n    int r, t;\n"
    "    if (dlk_threadpool_init(&pool, 3) != 0)\n        return 1;\n"
    "    par.threads = pool.threads;\n    par.run = dlk_threadpool_par_run;\n    par.pool = &pool;\n"
    "    for (r = 0; r < 500; r++) {\n        n = 1 + r % 1001;\n        memset(count, 0, sizeof count);\n"
    "        dlk_parallel_for(&par, task, NULL, n);\n"
    "        for (t = 0; t < 3; t++) {\n            dlk_parallel_share(n, t, 3, &b, &e);\n"
    "            for (; b < e; b++)\n                if (count[b] != 1)\n                    return 2;\n        }\n"
    "    }\n    dlk_threadpool_free(&pool);\n    return 0;\n}\n";

START_TEST(test_pool_without_atomics)
{
    make_dir();
    FILE *f = fopen(path("fallback.c"), "w");
    ck_assert_ptr_nonnull(f);
    fputs(fallback_main, f);
    fclose(f);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && cc -std=c99 -Wall -Wextra -pedantic -Werror -O1 -DDLK_TP_NO_ATOMICS "
                              "-I'%s/runtime' fallback.c -o fallback -pthread && ./fallback", dir, DLCC_SOURCE_DIR);
    ck_assert_msg(shell(cmd) == 0, "the pool without atomics failed: %s", err_text);
    remove_dir();
}
END_TEST

static float *rnd(int64_t count, unsigned seed)
{
    float *v = mb_alloc(sizeof(float) * (size_t)count);
    unsigned s = seed * 2654435761u + 1;
    for (int64_t i = 0; i < count; i++) {
        s = s * 1664525u + 1013904223u;
        v[i] = -1 + 2 * (float)((s >> 8) & 0xFFFF) / 65536.0f;
    }
    return v;
}

/* x[1,8,12,12] -> Conv 3x3 pads 1 (16) -> Relu -> Conv 1x1 (8) -> Add x -> y:
 * convs big enough to be split over threads. */
static const int64_t x_dims[4] = {1, 8, 12, 12};
#define Y_COUNT (1 * 8 * 12 * 12)

static void save_model(void)
{
    static const int64_t w1[4] = {16, 8, 3, 3}, b1[1] = {16}, w2[4] = {8, 16, 1, 1};
    static const int64_t pads[4] = {1, 1, 1, 1};
    mb_model *m = mb_new(13);
    mb_input(m, "x", 4, x_dims);
    mb_init_f32(m, "w1", 4, w1, rnd(16 * 8 * 9, 1));
    mb_init_f32(m, "b1", 1, b1, rnd(16, 2));
    mb_init_f32(m, "w2", 4, w2, rnd(8 * 16, 3));
    mb_attr_ints(mb_node(m, "Conv", "conv1", "x,w1,b1", "c1"), "pads", 4, pads);
    mb_node(m, "Relu", "relu1", "c1", "r1");
    mb_node(m, "Conv", "conv2", "r1,w2", "c2");
    mb_node(m, "Add", "add1", "c2,x", "y");
    mb_output(m, "y");
    ck_assert_int_eq(mb_save(m, path("m.onnx")), 0);
    char err[256];
    dlrt_tensor x = {1, 4, {1, 8, 12, 12}, rnd(Y_COUNT, 4), Y_COUNT * sizeof(float)};
    ck_assert_int_eq(dlrt_write_npy(path("x.npy"), &x, err, sizeof err), 0);
}

/* dlcc run with extra args into DIR/sub; returns y (Y_COUNT floats). */
static float *run_model(const char *sub, const char *extra)
{
    char args[4096], out[600], err[256];
    char *model = strdup(path("m.onnx")), *x = strdup(path("x.npy")), *out_dir = strdup(path(sub));
    snprintf(args, sizeof args, "run '%s' --input x='%s' --output-dir '%s' %s", model, x, out_dir, extra);
    ck_assert_msg(run_dlcc(args) == 0, "dlcc %s: %s", args, err_text);
    snprintf(out, sizeof out, "%s/y.npy", out_dir);
    dlrt_tensor y;
    ck_assert_msg(dlrt_read_npy(out, &y, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq((int64_t)y.bytes, Y_COUNT * (int64_t)sizeof(float));
    free(model);
    free(x);
    free(out_dir);
    return y.data;
}

/* The reference is the plain build (NAME_run, no pool); the thread counts
 * only split the work, so every bit must agree. */
START_TEST(test_threads_same_outputs)
{
    make_dir();
    save_model();
    float *ref = run_model("plain", "");
    const char *variants[] = {"--threads 1", "--threads 2", "--threads 3", "--threads 2 --profile", "-O0 --threads 2"};
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        char sub[16];
        snprintf(sub, sizeof sub, "v%zu", v);
        float *got = run_model(sub, variants[v]);
        if (strncmp(variants[v], "-O0", 3) == 0) { /* another level: equal within rounding */
            for (int i = 0; i < Y_COUNT; i++)
                ck_assert_msg(got[i] - ref[i] < 1e-4f && ref[i] - got[i] < 1e-4f, "%s: y[%d] %g vs %g",
                              variants[v], i, (double)got[i], (double)ref[i]);
        } else {
            ck_assert_msg(memcmp(got, ref, sizeof(float) * Y_COUNT) == 0, "%s differs from the plain build",
                          variants[v]);
        }
        free(got);
    }
    free(ref);
    ck_assert_int_ne(run_dlcc("run m.onnx --threads 0 --output-dir o"), 0);
    ck_assert_msg(strstr(err_text, "--threads 0: expected a thread count from 1 to 64"), "%s", err_text);
    remove_dir();
}
END_TEST

/* A caller's program: NAME_run and NAME_run_in on 1 and 3 threads give the
 * same bytes; the whole thing builds with -Werror -pedantic. */
static const char *caller_main =
    "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include \"m.h\"\n"
    "int main(void)\n{\n"
    "    static float x[M_INPUT_0_SIZE], y0[M_OUTPUT_0_SIZE], y1[M_OUTPUT_0_SIZE], y3[M_OUTPUT_0_SIZE];\n"
    "    static unsigned char arena[M_ARENA_BYTES] __attribute__((aligned(64)));\n"
    "    m_context one, three;\n    int i, r;\n"
    "    for (i = 0; i < M_INPUT_0_SIZE; i++)\n        x[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;\n"
    "    if (m_run(x, y0, arena) || m_context_init(&one, 1) || m_context_init(&three, 3))\n        return 1;\n"
    "    for (r = 0; r < 50; r++)\n"
    "        if (m_run_in(&one, x, y1, arena) || m_run_in(&three, x, y3, arena))\n            return 2;\n"
    "    m_context_free(&one);\n    m_context_free(&three);\n"
    "    return memcmp(y0, y1, sizeof y0) || memcmp(y0, y3, sizeof y0) ? 3 : 0;\n}\n";

START_TEST(test_generated_threads_compiles)
{
    static const char *compilers[] = {"gcc", "clang"};
    static const char *flags[] = {"--threads", "--threads --profile", "--profile"};
    make_dir();
    save_model();
    FILE *f = fopen(path("main.c"), "w");
    ck_assert_ptr_nonnull(f);
    fputs(caller_main, f);
    fclose(f);
    for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++) {
        char cmd[4096];
        snprintf(cmd, sizeof cmd, "'%s' '%s' -o '%s' --name m %s", DLCC_BIN, path("m.onnx"), path("m.c"), flags[k]);
        ck_assert_msg(shell(cmd) == 0, "%s: %s", cmd, err_text);
        for (size_t c = 0; c < sizeof compilers / sizeof compilers[0]; c++) {
            snprintf(cmd, sizeof cmd, "command -v %s", compilers[c]);
            if (shell(cmd) != 0)
                continue; /* that compiler is not installed */
            /* Also with the host's SIMD paths (AVX-512 / AVX2 kernels), where the compiler takes the flag. */
            snprintf(cmd, sizeof cmd, "cd '%s' && %s -march=native -c -x c /dev/null -o native.o", dir, compilers[c]);
            if (shell(cmd) == 0) {
                snprintf(cmd, sizeof cmd, "cd '%s' && %s -std=c99 -march=native -Wall -Wextra -pedantic -Werror -O1 "
                                          "-c m.c -o m.o", dir, compilers[c]);
                ck_assert_msg(shell(cmd) == 0, "%s -march=native %s: %s", compilers[c], flags[k], err_text);
            }
            snprintf(cmd, sizeof cmd, "cd '%s' && %s -std=c99 -Wall -Wextra -pedantic -Werror -O1 -c m.c -o m.o", dir,
                     compilers[c]);
            ck_assert_msg(shell(cmd) == 0, "%s %s: %s", compilers[c], flags[k], err_text);
            if (strstr(flags[k], "--threads")) { /* GNU C for the aligned attribute in main.c */
                snprintf(cmd, sizeof cmd, "cd '%s' && %s -std=gnu99 -Wall -Wextra -Werror -O1 main.c m.o -o main "
                                          "-lm -pthread && ./main", dir, compilers[c]);
                ck_assert_msg(shell(cmd) == 0, "%s %s: the caller's program failed: %s", compilers[c], flags[k],
                              err_text);
            }
        }
    }
    remove_dir();
}
END_TEST

/* The SIMD kernel paths the first model does not reach (depthwise, max and
 * average pool, a Winograd conv, a pointwise conv with a BN prologue) also
 * compile warning-free with -march=native under gcc and clang -pedantic
 * (two warnings slipped past the kernel tests, which are not built
 * -pedantic -Werror). */
START_TEST(test_generated_simd_kernels_compile)
{
    static const char *compilers[] = {"gcc", "clang"};
    static const int64_t xd[4] = {1, 16, 20, 20}, wdw[4] = {16, 1, 3, 3}, w3[4] = {16, 16, 3, 3},
                         w1[4] = {8, 16, 1, 1}, c16[1] = {16}, pads[4] = {1, 1, 1, 1}, k3[2] = {3, 3},
                         k2[2] = {2, 2}, s2[2] = {2, 2};
    mb_model *m = mb_new(13);
    make_dir();
    mb_input(m, "x", 4, xd);
    mb_init_f32(m, "wdw", 4, wdw, rnd(16 * 9, 5));
    mb_init_f32(m, "w3", 4, w3, rnd(16 * 16 * 9, 6));
    mb_init_f32(m, "w1", 4, w1, rnd(8 * 16, 7));
    mb_init_f32(m, "g", 1, c16, rnd(16, 8));
    mb_init_f32(m, "b", 1, c16, rnd(16, 9));
    mb_init_f32(m, "mean", 1, c16, rnd(16, 10));
    mb_init_f32(m, "var", 1, c16, rnd(16, 11));   /* only compiled, never run */
    Onnx__NodeProto *dw = mb_node(m, "Conv", "dw", "x,wdw", "d");
    mb_attr_ints(dw, "pads", 4, pads);
    mb_attr_int(dw, "group", 16);
    mb_attr_ints(mb_node(m, "Conv", "w", "d,w3", "c"), "pads", 4, pads);   /* 20x20: Winograd F(4x4) */
    Onnx__NodeProto *mp = mb_node(m, "MaxPool", "mp", "c", "p");
    mb_attr_ints(mp, "kernel_shape", 2, k3);
    mb_attr_ints(mp, "strides", 2, s2);
    Onnx__NodeProto *ap = mb_node(m, "AveragePool", "ap", "p", "a");
    mb_attr_ints(ap, "kernel_shape", 2, k2);
    mb_node(m, "BatchNormalization", "bn", "a,g,b,mean,var", "n");
    mb_node(m, "Relu", "relu", "n", "r");
    mb_node(m, "Conv", "pw", "r,w1", "y");
    mb_output(m, "y");
    ck_assert_int_eq(mb_save(m, path("simd.onnx")), 0);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' '%s' -O3 -v --threads -o '%s' --name s", DLCC_BIN, path("simd.onnx"), path("s.c"));
    ck_assert_msg(shell(cmd) == 0, "%s: %s", cmd, err_text);
    ck_assert_msg(strstr(err_text, "winograd: 1") && strstr(err_text, "conv-prologue: 1"), "%s", err_text);
    for (size_t c = 0; c < sizeof compilers / sizeof compilers[0]; c++) {
        snprintf(cmd, sizeof cmd, "command -v %s && cd '%s' && %s -march=native -c -x c /dev/null -o native.o", compilers[c],
                 dir, compilers[c]);
        if (shell(cmd) != 0)
            continue; /* no such compiler, or no -march=native */
        snprintf(cmd, sizeof cmd, "cd '%s' && grep -q dlk_depthwise_f32 s.c && grep -q dlk_avgpool2d_f32 s.c && "
                                  "%s -std=c99 -march=native -Wall -Wextra -pedantic -Werror -O1 -c s.c -o s.o",
                 dir, compilers[c]);
        ck_assert_msg(shell(cmd) == 0, "%s -march=native: %s", compilers[c], err_text);
    }
    remove_dir();
}
END_TEST

/* Counts the lines of the profile table whose first column is name and second op. */
static int table_rows(const char *text, const char *name, const char *op)
{
    int rows = 0;
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        char first[128], second[128];
        if (sscanf(line, "%127s %127s", first, second) == 2 && strcmp(first, name) == 0 && strcmp(second, op) == 0)
            rows++;
    }
    return rows;
}

static int count_lines(const char *text)
{
    int n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    return n;
}

/* --profile: at -O0 the four nodes stay four lines; at -O2 Relu and Add run
 * inside the convs and the table names them with the conv. */
START_TEST(test_profile_lines)
{
    make_dir();
    save_model();
    char args[4096], *model = strdup(path("m.onnx")), *x = strdup(path("x.npy")), *out = strdup(path("o"));
    snprintf(args, sizeof args, "run '%s' --input x='%s' --output-dir '%s' -O0 --profile", model, x, out);
    ck_assert_msg(run_dlcc(args) == 0, "%s", err_text);
    ck_assert_msg(strstr(err_text, "profile of model: 1 runs"), "%s", err_text);
    ck_assert_msg(strstr(err_text, "4 nodes"), "%s", err_text);
    ck_assert_int_eq(table_rows(err_text, "conv1", "Conv"), 1);
    ck_assert_int_eq(table_rows(err_text, "relu1", "Relu"), 1);
    ck_assert_int_eq(table_rows(err_text, "conv2", "Conv"), 1);
    ck_assert_int_eq(table_rows(err_text, "add1", "Add"), 1);
    ck_assert_int_eq(table_rows(err_text, "node", "op"), 1);
    /* run_s=, the title, the column names, four nodes */
    ck_assert_msg(count_lines(err_text) == 7, "%s", err_text);

    snprintf(args, sizeof args, "run '%s' --input x='%s' --output-dir '%s' -O2 --profile --threads 2", model, x, out);
    setenv("DLCC_REPEAT", "3", 1);
    int rc = run_dlcc(args);
    unsetenv("DLCC_REPEAT");
    ck_assert_msg(rc == 0, "%s", err_text);
    ck_assert_msg(strstr(err_text, "profile of model: 3 runs"), "%s", err_text);
    ck_assert_msg(strstr(err_text, "2 nodes"), "%s", err_text);
    ck_assert_int_eq(table_rows(err_text, "conv1", "Conv+Relu"), 1);
    ck_assert_int_eq(table_rows(err_text, "conv2", "Conv+Add"), 1);
    ck_assert_msg(count_lines(err_text) == 5, "%s", err_text);
    free(model);
    free(x);
    free(out);
    remove_dir();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("threads");
    TCase *pool = tcase_create("pool"), *gen = tcase_create("generated");
    tcase_add_test(pool, test_pool_covers_every_item_once);
    tcase_add_test(pool, test_pool_many_jobs_and_sleep);
    tcase_add_test(pool, test_pool_thread_counts);
    tcase_add_test(pool, test_pool_without_atomics);
    tcase_add_test(gen, test_threads_same_outputs);
    tcase_add_test(gen, test_generated_threads_compiles);
    tcase_add_test(gen, test_generated_simd_kernels_compile);
    tcase_add_test(gen, test_profile_lines);
    tcase_set_timeout(gen, 300);
    suite_add_tcase(s, pool);
    suite_add_tcase(s, gen);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
