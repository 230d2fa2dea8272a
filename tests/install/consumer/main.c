/* Runs a model compiled by an installed dlcc once on a fixed input and
 * prints the sum of its output, for tests/install/run_install_test.sh. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include <dlrt.h>
#include "net.h"

static unsigned char arena_storage[NET_ARENA_BYTES + 64];
static float input[NET_INPUT_0_SIZE];
static float output[NET_OUTPUT_0_SIZE];

int main(void)
{
    /* The generated code wants a 64-byte-aligned workspace. */
    void *arena = (void *)(((uintptr_t)arena_storage + 63) & ~(uintptr_t)63);
    double sum = 0.0, t0, t1;
    long i;
    int rc;

    if (net_load_weights(NET_WEIGHTS) != 0) {
        fprintf(stderr, "consumer: net_load_weights(\"%s\") failed\n", NET_WEIGHTS);
        return 1;
    }
    for (i = 0; i < NET_INPUT_0_SIZE; i++)
        input[i] = (float)(i % 7) / 7.0f;
    t0 = dlrt_now_seconds();
    rc = net_run(input, output, arena);
    t1 = dlrt_now_seconds();
    if (rc != 0) {
        fprintf(stderr, "consumer: net_run returned %d\n", rc);
        return 1;
    }
    for (i = 0; i < NET_OUTPUT_0_SIZE; i++)
        sum += output[i];
    if (!(fabs(sum) < 1e30)) {
        fprintf(stderr, "consumer: output sum is not finite: %g\n", sum);
        return 1;
    }
    printf("consumer: %d outputs, output sum %.4f, run %.3f ms\n",
           (int)NET_OUTPUT_0_SIZE, sum, (t1 - t0) * 1e3);
    return 0;
}
