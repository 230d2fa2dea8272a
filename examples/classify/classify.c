/* classify: names the dominant colour of a picture with a model compiled by
 * dlcc (see README.md).
 *
 *     classify IMAGE.ppm [LABELS.txt]
 *
 * Reads a binary PPM (P6), resizes it to the model's input (nearest
 * neighbour), scales it to [0, 1] floats in NCHW order, runs the generated
 * classify_model_run() and prints the five most likely classes. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify_model.h"

/* The model's input is an RGB picture, 1 x 3 x H x W (64 x 64 for
 * make_model.py's model); the picture is resized to whatever H x W is. */
#if CLASSIFY_MODEL_INPUT_0_RANK != 4
#error "classify_model's input must be 1 x 3 x H x W"
#endif
static const long input_shape[4] = CLASSIFY_MODEL_INPUT_0_SHAPE;
#define NUM_CLASSES CLASSIFY_MODEL_OUTPUT_0_SIZE
#define TOP_K 5
#define MAX_LABEL 64

typedef struct {
    int width, height, maxval;
    unsigned char *rgb; /* width * height * 3 bytes */
} image;

/* The generated code wants its workspace aligned to 64 bytes; C99 cannot
 * ask for that, so over-allocate and round the pointer up. */
static unsigned char arena_storage[CLASSIFY_MODEL_ARENA_BYTES + 64];
static float input[CLASSIFY_MODEL_INPUT_0_SIZE];
static float probabilities[NUM_CLASSES];
static char labels[NUM_CLASSES][MAX_LABEL];

static void *aligned_arena(void)
{
    uintptr_t p = (uintptr_t)arena_storage;
    return (void *)((p + 63) & ~(uintptr_t)63);
}

/* Skips whitespace and '#' comments (to the end of the line) in a PPM header. */
static void skip_space_and_comments(FILE *f)
{
    int c;
    while ((c = getc(f)) != EOF) {
        if (c == '#') {
            while ((c = getc(f)) != EOF && c != '\n' && c != '\r')
                ;
        } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f') {
            ungetc(c, f);
            return;
        }
    }
}

/* Reads one header number (width, height or maxval); -1 if there is none. */
static long read_header_number(FILE *f)
{
    long v = 0;
    int c, digits = 0;
    skip_space_and_comments(f);
    while ((c = getc(f)) != EOF && c >= '0' && c <= '9') {
        if (v > 100000000L)
            return -1;
        v = v * 10 + (c - '0');
        digits++;
    }
    if (c != EOF)
        ungetc(c, f);
    return digits ? v : -1;
}

static int read_ppm(const char *path, image *img)
{
    FILE *f = fopen(path, "rb");
    long w, h, maxval;
    size_t bytes;
    int c;
    if (!f) {
        fprintf(stderr, "classify: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (getc(f) != 'P' || getc(f) != '6') {
        fprintf(stderr, "classify: %s is not a binary PPM: it must start with \"P6\"\n", path);
        fclose(f);
        return -1;
    }
    w = read_header_number(f);
    h = read_header_number(f);
    maxval = read_header_number(f);
    c = getc(f); /* exactly one whitespace character ends the header */
    if (w <= 0 || h <= 0 || w > 65535 || h > 65535 || maxval < 1 ||
        !(c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
        fprintf(stderr, "classify: %s: bad PPM header: expected \"P6 WIDTH HEIGHT MAXVAL\" "
                        "with sizes 1..65535, then one whitespace character\n", path);
        fclose(f);
        return -1;
    }
    if (maxval > 255) {
        fprintf(stderr, "classify: %s: maxval is %ld; only 8-bit PPM (maxval <= 255) is "
                        "supported\n", path, maxval);
        fclose(f);
        return -1;
    }
    bytes = (size_t)w * (size_t)h * 3;
    img->rgb = malloc(bytes);
    if (!img->rgb) {
        fprintf(stderr, "classify: %s: out of memory for a %ldx%ld image\n", path, w, h);
        fclose(f);
        return -1;
    }
    if (fread(img->rgb, 1, bytes, f) != bytes) {
        fprintf(stderr, "classify: %s: truncated: expected %lu bytes of pixels for %ldx%ld\n",
                path, (unsigned long)bytes, w, h);
        free(img->rgb);
        img->rgb = NULL;
        fclose(f);
        return -1;
    }
    fclose(f);
    img->width = (int)w;
    img->height = (int)h;
    img->maxval = (int)maxval;
    return 0;
}

/* Nearest-neighbour resize to the model's H x W, sampling each output
 * pixel's centre; planar NCHW floats in [0, 1]. */
static void image_to_input(const image *img, float *dst)
{
    const size_t out_h = (size_t)input_shape[2], out_w = (size_t)input_shape[3];
    const size_t plane = out_h * out_w;
    const size_t w = (size_t)img->width, h = (size_t)img->height;
    size_t x, y, ch;
    for (y = 0; y < out_h; y++) {
        size_t sy = (y * 2 + 1) * h / (2 * out_h);
        for (x = 0; x < out_w; x++) {
            size_t sx = (x * 2 + 1) * w / (2 * out_w);
            const unsigned char *px = img->rgb + (sy * w + sx) * 3;
            for (ch = 0; ch < 3; ch++)
                dst[ch * plane + y * out_w + x] = (float)px[ch] / (float)img->maxval;
        }
    }
}

/* One label a line; missing lines (or no file) leave "class N". */
static int read_labels(const char *path)
{
    FILE *f;
    char line[256];
    int i;
    for (i = 0; i < NUM_CLASSES; i++)
        snprintf(labels[i], MAX_LABEL, "class %d", i);
    if (!path)
        return 0;
    f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "classify: cannot open labels %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (i = 0; i < NUM_CLASSES && fgets(line, sizeof line, f); i++) {
        size_t n = strcspn(line, "\r\n");
        if (line[n] == '\0') { /* no newline in 255 bytes: drop the rest of the line */
            int c;
            while ((c = getc(f)) != EOF && c != '\n')
                ;
        }
        if (n >= MAX_LABEL)
            n = MAX_LABEL - 1; /* a long label is cut, not an error */
        if (n > 0) {
            memcpy(labels[i], line, n);
            labels[i][n] = '\0';
        }
    }
    fclose(f);
    return 0;
}

static void print_top(const float *p, int n, int k)
{
    int order[NUM_CLASSES];
    int i, j;
    for (i = 0; i < n; i++)
        order[i] = i;
    for (i = 0; i < k && i < n; i++) { /* partial selection sort: k is small */
        int best = i;
        for (j = i + 1; j < n; j++)
            if (p[order[j]] > p[order[best]])
                best = j;
        j = order[i];
        order[i] = order[best];
        order[best] = j;
        printf("%d. %-10s %.4f\n", i + 1, labels[order[i]], p[order[i]]);
    }
}

int main(int argc, char **argv)
{
    image img = {0, 0, 0, NULL};
    int rc;
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s IMAGE.ppm [LABELS.txt]\n", argv[0]);
        return 2;
    }
    if (input_shape[0] != 1 || input_shape[1] != 3) {
        fprintf(stderr, "classify: the model's input is %ldx%ldx%ldx%ld; expected 1x3xHxW (RGB)\n",
                input_shape[0], input_shape[1], input_shape[2], input_shape[3]);
        return 1;
    }
    if (read_labels(argc > 2 ? argv[2] : NULL) != 0 || read_ppm(argv[1], &img) != 0)
        return 1;
    image_to_input(&img, input);
    free(img.rgb);
    rc = classify_model_run(input, probabilities, aligned_arena());
    if (rc != 0) {
        fprintf(stderr, "classify: classify_model_run failed with code %d\n", rc);
        return 1;
    }
    print_top(probabilities, NUM_CLASSES, TOP_K);
    return 0;
}
