/* Normalisation kernels: LayerNormalization, RMSNormalization,
 * GroupNormalization (and InstanceNormalization, which is GroupNormalization
 * with one channel per group), LpNormalization and
 * MeanVarianceNormalization. Statistics are accumulated in double and the
 * variance is the mean of squared deviations (two passes), so rows with a
 * large mean do not lose the variance to cancellation.
 * y may be the same buffer as x: each group's x is read before its y is
 * written, and each element just before its own y. */
#ifndef DLK_NORMALIZE_H
#define DLK_NORMALIZE_H

#include "common.h"

/* Mean and variance of n floats. */
/*@ dlk_norm_stats : dlk_common */
static void dlk_norm_stats(const float *x, int64_t n, double *mean, double *var)
{
    int64_t j;
    double s = 0.0, q = 0.0;
    for (j = 0; j < n; j++)
        s += x[j];
    s = n > 0 ? s / (double)n : 0.0;
    for (j = 0; j < n; j++)
        q += ((double)x[j] - s) * ((double)x[j] - s);
    *mean = s;
    *var = n > 0 ? q / (double)n : 0.0;
}
/*@end*/

/* LayerNormalization-17 over rows of `inner` contiguous elements:
 * y = (x - mean) / sqrt(var + eps) * scale + bias. scale and bias are
 * broadcast to the row (index j % scale_n). bias, mean_out and invstd_out
 * may be NULL; mean_out and invstd_out get one value per row. */
/*@ dlk_layer_norm_f32 : dlk_norm_stats */
static void dlk_layer_norm_f32(const float *x, const float *scale, const float *bias, float *y,
                               float *mean_out, float *invstd_out, int64_t outer, int64_t inner,
                               int64_t scale_n, int64_t bias_n, float eps)
{
    int64_t o, j;
    for (o = 0; o < outer; o++) {
        const float *xr = x + o * inner;
        float *yr = y + o * inner;
        double mean, var, inv;
        dlk_norm_stats(xr, inner, &mean, &var);
        inv = 1.0 / sqrt(var + (double)eps);
        for (j = 0; j < inner; j++) {
            double v = ((double)xr[j] - mean) * inv * scale[j % scale_n];
            if (bias)
                v += bias[j % bias_n];
            yr[j] = (float)v;
        }
        if (mean_out)
            mean_out[o] = (float)mean;
        if (invstd_out)
            invstd_out[o] = (float)inv;
    }
}
/*@end*/

/* RMSNormalization-23: y = x / sqrt(mean(x^2) + eps) * scale, scale
 * broadcast to the row as in dlk_layer_norm_f32. */
/*@ dlk_rms_norm_f32 : dlk_common */
static void dlk_rms_norm_f32(const float *x, const float *scale, float *y, int64_t outer, int64_t inner,
                             int64_t scale_n, float eps)
{
    int64_t o, j;
    for (o = 0; o < outer; o++) {
        const float *xr = x + o * inner;
        float *yr = y + o * inner;
        double q = 0.0, inv;
        for (j = 0; j < inner; j++)
            q += (double)xr[j] * xr[j];
        inv = 1.0 / sqrt((inner > 0 ? q / (double)inner : 0.0) + (double)eps);
        for (j = 0; j < inner; j++)
            yr[j] = (float)((double)xr[j] * inv * scale[j % scale_n]);
    }
}
/*@end*/

/* GroupNormalization on x of shape (batch, channels, spatial...): the
 * channels are split into `groups` runs of channels / groups, each
 * normalised together with its spatial elements. scale and bias have one
 * value per channel (GroupNormalization-21, InstanceNormalization) or one
 * per group (GroupNormalization-18: per_group = 1). */
/*@ dlk_group_norm_f32 : dlk_norm_stats */
static void dlk_group_norm_f32(const float *x, const float *scale, const float *bias, float *y, int64_t batch,
                               int64_t channels, int64_t groups, int64_t spatial, int64_t per_group, float eps)
{
    const int64_t cpg = channels / groups;
    const int64_t len = cpg * spatial;
    int64_t b, g, c, s;
    for (b = 0; b < batch; b++) {
        for (g = 0; g < groups; g++) {
            const float *xg = x + (b * groups + g) * len;
            float *yg = y + (b * groups + g) * len;
            double mean, var, inv;
            dlk_norm_stats(xg, len, &mean, &var);
            inv = 1.0 / sqrt(var + (double)eps);
            for (c = 0; c < cpg; c++) {
                const int64_t k = per_group ? g : g * cpg + c;
                const double sc = scale[k], bi = bias[k];
                for (s = 0; s < spatial; s++)
                    yg[c * spatial + s] = (float)(((double)xg[c * spatial + s] - mean) * inv * sc + bi);
            }
        }
    }
}
/*@end*/

/* LpNormalization over the middle dim of an (outer, n, inner) view:
 * y = x / ||x||_p with p 1 or 2. A zero norm gives 0, not NaN. */
/*@ dlk_lp_norm_f32 : dlk_common */
static void dlk_lp_norm_f32(const float *x, float *y, int64_t outer, int64_t n, int64_t inner, int64_t p)
{
    int64_t o, i, j;
    for (o = 0; o < outer; o++) {
        for (i = 0; i < inner; i++) {
            const float *xr = x + o * n * inner + i;
            float *yr = y + o * n * inner + i;
            double s = 0.0;
            for (j = 0; j < n; j++)
                s += p == 1 ? fabs((double)xr[j * inner]) : (double)xr[j * inner] * xr[j * inner];
            if (p != 1)
                s = sqrt(s);
            for (j = 0; j < n; j++)
                yr[j * inner] = s == 0.0 ? 0.0f : (float)(xr[j * inner] / s);
        }
    }
}
/*@end*/

/* MeanVarianceNormalization-13 over any set of axes:
 * y = (x - mean) / (sqrt(var) + 1e-9), statistics over the dims with
 * reduce[k] != 0. The kept dims are walked by index; for each kept
 * position the reduced dims are walked with an odometer. */
/*@ dlk_mvn_params : dlk_common */
typedef struct dlk_mvn_params {
    int64_t rank;
    int64_t dims[DLK_MAX_RANK];
    int64_t reduce[DLK_MAX_RANK];   /* 1: statistics run over this dim */
} dlk_mvn_params;
/*@end*/

/*@ dlk_mvn_offset : dlk_mvn_params */
/* Offset of the idx-th element of the dims selected by want (reduce[k] ==
 * want), the last selected dim fastest. */
static int64_t dlk_mvn_offset(const dlk_mvn_params *p, int64_t idx, int64_t want)
{
    int64_t k, off = 0, stride = 1;
    for (k = p->rank - 1; k >= 0; k--) {
        if ((p->reduce[k] != 0) == (want != 0)) {
            off += (idx % p->dims[k]) * stride;
            idx /= p->dims[k];
        }
        stride *= p->dims[k];
    }
    return off;
}
/*@end*/

/*@ dlk_mvn_f32 : dlk_mvn_offset */
static void dlk_mvn_f32(const dlk_mvn_params *p, const float *x, float *y)
{
    int64_t k, kept = 1, red = 1, o, r;
    for (k = 0; k < p->rank; k++) {
        if (p->reduce[k])
            red *= p->dims[k];
        else
            kept *= p->dims[k];
    }
    for (o = 0; o < kept; o++) {
        const int64_t base = dlk_mvn_offset(p, o, 0);
        double s = 0.0, q = 0.0, den;
        for (r = 0; r < red; r++)
            s += x[base + dlk_mvn_offset(p, r, 1)];
        s = red > 0 ? s / (double)red : 0.0;
        for (r = 0; r < red; r++) {
            const double dv = x[base + dlk_mvn_offset(p, r, 1)] - s;
            q += dv * dv;
        }
        den = sqrt(red > 0 ? q / (double)red : 0.0) + 1e-9;
        for (r = 0; r < red; r++) {
            const int64_t at = base + dlk_mvn_offset(p, r, 1);
            y[at] = (float)((x[at] - s) / den);
        }
    }
}
/*@end*/

#endif
