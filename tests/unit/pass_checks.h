/* Checks the pass tests share (test_pass_conv1x1, test_pass_winograd,
 * test_pass_layout): finding a node by name, writing a random input, and
 * comparing a rewritten model's output with the -O0 one. Include after
 * check.h, dlrt.h, the IR and model_builder.h. */
#ifndef DLCC_TEST_PASS_CHECKS_H
#define DLCC_TEST_PASS_CHECKS_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The live node named name, or NULL. */
static dl_node *pc_find_named(const dl_graph *g, const char *name)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i]->dead && strcmp(g->nodes[i]->name, name) == 0)
            return g->nodes[i];
    return NULL;
}

/* file (.npy): float32 of shape dims, values mb_random_floats(seed). */
static void pc_write_random_input(const char *file, int rank, const int64_t *dims, unsigned seed)
{
    char err[256];
    int64_t n = mb_count(rank, dims);
    dlrt_tensor x = {1, rank, {0}, mb_random_floats(n, seed), (size_t)n * sizeof(float)};
    memcpy(x.dims, dims, sizeof(int64_t) * (size_t)rank);
    ck_assert_int_eq(dlrt_write_npy(file, &x, err, sizeof err), 0);
    free(x.data);
}

/* got (n_got values) equals want (n_want) within rel of want's largest |value|,
 * which must not be 0; what names the output in a failure. */
static void pc_expect_close(const float *want, int64_t n_want, const float *got, int64_t n_got, double rel,
                            const char *what)
{
    double scale = 0;
    ck_assert_int_eq((int)n_want, (int)n_got);
    for (int64_t i = 0; i < n_want; i++)
        scale = fmax(scale, fabs(want[i]));
    ck_assert_msg(scale > 0, "%s: the reference is all zero", what);
    for (int64_t i = 0; i < n_want; i++)
        ck_assert_msg(fabs(want[i] - got[i]) <= rel * scale, "%s[%d]: -O0 %g, rewritten %g", what, (int)i,
                      (double)want[i], (double)got[i]);
}

#endif
