/* A scratch folder for a test that writes models and runs dlcc on them:
 * make_dir() creates /tmp/dlcc-test-TAG-XXXXXX with a models/ subfolder,
 * path("x") names a file in it (4 rotating buffers: copy a path you keep),
 * remove_dir() deletes it. Define SCRATCH_TAG before including. */
#ifndef DLCC_TEST_SCRATCH_DIR_H
#define DLCC_TEST_SCRATCH_DIR_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static char dir[256];

static void make_dir(void)
{
    char sub[300];
    snprintf(dir, sizeof dir, "/tmp/dlcc-test-" SCRATCH_TAG "-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(sub, sizeof sub, "%s/models", dir);
    ck_assert_int_eq(mkdir(sub, 0777), 0);
}

static void remove_dir(void)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static char *path(const char *name)
{
    static char buf[4][512];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, 512, "%s/%s", dir, name);
    return p;
}

#endif
