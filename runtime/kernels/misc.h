/* Kernels of ir/ops/misc.c: Det, ReverseSequence, TfIdfVectorizer.
 * (BitCast needs no kernel of its own: it is dlk_copy of copy.h.) */
#ifndef DLK_MISC_H
#define DLK_MISC_H

#include "common.h"

/*@ dlk_det_f32 : dlk_common */
/* y[b] = det(x[b]) for count square n x n matrices (n <= DLK_DET_MAX): Gaussian elimination
 * with partial pivoting, in double so that float32 results keep their
 * digits; a zero pivot column means the matrix is singular (det 0). */
#define DLK_DET_MAX 32
static void dlk_det_f32(const float *x, float *y, int64_t count, int64_t n)
{
    double scratch[DLK_DET_MAX * DLK_DET_MAX];
    int64_t b, i, j, k;
    for (b = 0; b < count; b++) {
        const float *m = x + b * n * n;
        double det = 1.0;
        for (i = 0; i < n * n; i++)
            scratch[i] = (double)m[i];
        for (k = 0; k < n && det != 0.0; k++) {
            int64_t piv = k;
            for (i = k + 1; i < n; i++)
                if (fabs(scratch[i * n + k]) > fabs(scratch[piv * n + k]))
                    piv = i;
            if (scratch[piv * n + k] == 0.0) {
                det = 0.0;
                break;
            }
            if (piv != k) {
                for (j = 0; j < n; j++) {
                    double t = scratch[k * n + j];
                    scratch[k * n + j] = scratch[piv * n + j];
                    scratch[piv * n + j] = t;
                }
                det = -det;
            }
            det *= scratch[k * n + k];
            for (i = k + 1; i < n; i++) {
                double f = scratch[i * n + k] / scratch[k * n + k];
                for (j = k; j < n; j++)
                    scratch[i * n + j] -= f * scratch[k * n + j];
            }
        }
        y[b] = (float)det;
    }
}
/*@end*/

/*@ dlk_reverse_sequence_params */
/* x is (d0, d1, inner) with the time axis and the batch axis being d0 and
 * d1 in some order; es is the element size in bytes. */
typedef struct dlk_reverse_sequence_params {
    int64_t d0, d1, inner, es;
    int64_t time_axis;      /* 0 or 1; the batch axis is the other one */
} dlk_reverse_sequence_params;
/*@end*/

/*@ dlk_reverse_sequence : dlk_reverse_sequence_params */
/* y[b, t] = x[b, lens[b] - 1 - t] for t < lens[b], x[b, t] after; lens
 * outside [0, time length] are clamped into it (the spec leaves them
 * undefined; clamping keeps every access in bounds). */
static void dlk_reverse_sequence(const dlk_reverse_sequence_params *p, const void *xv, const int64_t *lens,
                                 void *yv)
{
    const unsigned char *x = (const unsigned char *)xv;
    unsigned char *y = (unsigned char *)yv;
    int64_t i0, i1;
    size_t row = (size_t)(p->inner * p->es);
    for (i0 = 0; i0 < p->d0; i0++) {
        for (i1 = 0; i1 < p->d1; i1++) {
            int64_t b = p->time_axis == 0 ? i1 : i0;
            int64_t t = p->time_axis == 0 ? i0 : i1;
            int64_t tlen = p->time_axis == 0 ? p->d0 : p->d1;
            int64_t len = lens[b] < 0 ? 0 : lens[b] > tlen ? tlen : lens[b];
            int64_t src_t = t < len ? len - 1 - t : t;
            int64_t src = p->time_axis == 0 ? src_t * p->d1 + i1 : i0 * p->d1 + src_t;
            memcpy(y + (size_t)(i0 * p->d1 + i1) * row, x + (size_t)src * row, row);
        }
    }
}
/*@end*/

/*@ dlk_tfidf_params */
#define DLK_TFIDF_MAX_POOL 512
#define DLK_TFIDF_MAX_GRAMS 512
#define DLK_TFIDF_MAX_OUT 512
/* The n-grams whose size is in [min_gram, max_gram], flattened: n-gram g
 * is pool[start[g] .. start[g] + size[g]) and counts into output column
 * out[g]. mode: 1 TF, 2 IDF, 3 TFIDF; weights (n_weights of them, 0 when
 * absent) are per output column. */
typedef struct dlk_tfidf_params {
    int64_t rows, cols, out_size;
    int64_t min_gram, max_gram, max_skip, mode;
    int64_t n_grams, n_weights;
    int64_t pool[DLK_TFIDF_MAX_POOL];
    int64_t start[DLK_TFIDF_MAX_GRAMS];
    int64_t size[DLK_TFIDF_MAX_GRAMS];
    int64_t out[DLK_TFIDF_MAX_GRAMS];
    float weights[DLK_TFIDF_MAX_OUT];
} dlk_tfidf_params;

/* Element i of a row that is int32 (x32) or int64 (x64, when x32 is NULL). */
static int64_t dlk_tfidf_at(const int32_t *x32, const int64_t *x64, int64_t i)
{
    return x32 ? (int64_t)x32[i] : x64[i];
}

/* The output column of the n-gram x[at], x[at + skip], ... of length len,
 * or -1. A pool listing an n-gram twice counts it for the last listing. */
static int64_t dlk_tfidf_find(const dlk_tfidf_params *p, const int32_t *x32, const int64_t *x64, int64_t at,
                              int64_t skip, int64_t len)
{
    int64_t g, k;
    for (g = p->n_grams - 1; g >= 0; g--) {
        if (p->size[g] != len)
            continue;
        for (k = 0; k < len && p->pool[p->start[g] + k] == dlk_tfidf_at(x32, x64, at + k * skip); k++)
            ;
        if (k == len)
            return p->out[g];
    }
    return -1;
}

/* Counts of one row (x32 or x64: cols elements) into freq[out_size]: every skip
 * distance 1..max_skip+1, every start, every size from min_gram (unigrams
 * only at distance 1, like the ONNX reference) to max_gram. */
static void dlk_tfidf_row(const dlk_tfidf_params *p, const int32_t *x32, const int64_t *x64, float *freq)
{
    int64_t dist, st, len, first = p->min_gram;
    for (dist = 1; dist <= p->max_skip + 1; dist++) {
        for (st = 0; st < p->cols; st++) {
            for (len = first; len <= p->max_gram && st + (len - 1) * dist < p->cols; len++) {
                int64_t col = dlk_tfidf_find(p, x32, x64, st, dist, len);
                if (col >= 0)
                    freq[col] += 1.0f;
            }
        }
        if (first == 1)
            first = 2;
        if (first > p->max_gram)
            break;
    }
}

/* Counts to the output: TF keeps them, IDF gives weight (or 1) where the
 * count is non-zero, TFIDF multiplies by the weight (or 1). */
static void dlk_tfidf_weigh(const dlk_tfidf_params *p, float *y)
{
    int64_t r, c;
    for (r = 0; r < p->rows; r++) {
        for (c = 0; c < p->out_size; c++) {
            float f = y[r * p->out_size + c];
            float w = c < p->n_weights ? p->weights[c] : 1.0f;
            if (p->mode == 2)
                f = f > 0.0f ? w : 0.0f;
            else if (p->mode == 3)
                f = f * w;
            y[r * p->out_size + c] = f;
        }
    }
}
/*@end*/

/*@ dlk_tfidf_i64 : dlk_tfidf_params */
static void dlk_tfidf_i64(const dlk_tfidf_params *p, const int64_t *x, float *y)
{
    int64_t r;
    memset(y, 0, (size_t)(p->rows * p->out_size) * sizeof *y);
    for (r = 0; r < p->rows; r++)
        dlk_tfidf_row(p, NULL, x + r * p->cols, y + r * p->out_size);
    dlk_tfidf_weigh(p, y);
}
/*@end*/

/*@ dlk_tfidf_i32 : dlk_tfidf_params */
static void dlk_tfidf_i32(const dlk_tfidf_params *p, const int32_t *x, float *y)
{
    int64_t r;
    memset(y, 0, (size_t)(p->rows * p->out_size) * sizeof *y);
    for (r = 0; r < p->rows; r++)
        dlk_tfidf_row(p, x + r * p->cols, NULL, y + r * p->out_size);
    dlk_tfidf_weigh(p, y);
}
/*@end*/

#endif
