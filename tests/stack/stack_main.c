/* Runs a model generated with --name stm --weights=file on a thread whose
 * stack is the given size (the kernels keep their working blocks on the
 * stack: README, "Threads"), and writes its first output's bytes.
 *
 *   stack_main WEIGHTS STACK_KB OUT.bin
 *
 * Exit 0 when the run returned 0; a stack too small for it crashes. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "stm.h"

static float input[STM_INPUT_0_SIZE], output[STM_OUTPUT_0_SIZE];

static void *run(void *arg)
{
    void *workspace = malloc(STM_ARENA_BYTES);
    int rc = workspace != NULL ? stm_run(input, output, workspace) : -1;
    (void)arg;
    free(workspace);
    return (void *)(long)rc;
}

int main(int argc, char **argv)
{
    pthread_attr_t attr;
    pthread_t thread;
    void *rc;
    FILE *f;
    int i;
    if (argc != 4) {
        fprintf(stderr, "usage: %s WEIGHTS STACK_KB OUT.bin\n", argv[0]);
        return 2;
    }
    if (stm_load_weights(argv[1]) != 0) {
        fprintf(stderr, "%s: cannot load the weights %s\n", argv[0], argv[1]);
        return 2;
    }
    for (i = 0; i < STM_INPUT_0_SIZE; i++)   /* a fixed pattern in [-0.8, 0.8] */
        input[i] = (float)(i % 17) * 0.1f - 0.8f;
    pthread_attr_init(&attr);
    if (pthread_attr_setstacksize(&attr, (size_t)atol(argv[2]) * 1024) != 0 ||
        pthread_create(&thread, &attr, run, NULL) != 0) {
        fprintf(stderr, "%s: cannot start a thread of %s KB\n", argv[0], argv[2]);
        return 2;
    }
    pthread_join(thread, &rc);
    if ((long)rc != 0) {
        fprintf(stderr, "%s: the run returned %ld\n", argv[0], (long)rc);
        return 1;
    }
    f = fopen(argv[3], "wb");
    if (f == NULL || fwrite(output, sizeof output, 1, f) != 1) {
        fprintf(stderr, "%s: cannot write %s\n", argv[0], argv[3]);
        return 2;
    }
    fclose(f);
    return 0;
}
