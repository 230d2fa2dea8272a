/* NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss. The input is viewed
 * as (n, c, d): batch, classes, and the product of the trailing dims, so
 * element (i, k, j) is x[(i * c + k) * d + j]; the target is (n, d).
 *
 * Each target position contributes loss = -logp[t] * w, with
 *   w = 0 where t == ignore_index (when the attribute is given),
 *       weight[t] where a weight input is given, 1 otherwise,
 * and logp = x for NLL, log_softmax(x) over the class axis for SCE.
 * reduction none writes the (n, d) losses; sum writes their sum; mean
 * writes the sum divided by the sum of w (the ONNX reference: 0/0 is NaN).
 * A target outside [0, c) that is not ignored contributes nothing: the
 * spec leaves it undefined and reading outside the row would be worse.
 * The target is int64 or int32: exactly one of t64/t32 is non-NULL. */
#ifndef DLK_LOSS_H
#define DLK_LOSS_H

#include "common.h"

/*@ dlk_loss_params : dlk_common */
enum { DLK_LOSS_NONE = 0, DLK_LOSS_SUM = 1, DLK_LOSS_MEAN = 2 };

typedef struct dlk_loss_params {
    int64_t n, c, d;
    int64_t reduction;      /* DLK_LOSS_* */
    int64_t softmax;        /* 1: SoftmaxCrossEntropyLoss (log_softmax first) */
    int64_t has_ignore;
    int64_t ignore_index;
} dlk_loss_params;

/* Target at flat position i (i = batch * d + j). */
static int64_t dlk_loss_target(const int64_t *t64, const int32_t *t32, int64_t i)
{
    return t64 ? t64[i] : (int64_t)t32[i];
}
/*@end*/

/* log_prob, when non-NULL, receives the full (n, c, d) log_softmax (SCE only). */
/*@ dlk_loss_f32 : dlk_loss_params */
static void dlk_loss_f32(const dlk_loss_params *p, const float *x, const int64_t *t64, const int32_t *t32,
                         const float *weight, float *y, float *log_prob)
{
    int64_t i, j, k;
    double sum = 0.0, wsum = 0.0;
    for (i = 0; i < p->n; i++) {
        for (j = 0; j < p->d; j++) {
            const float *xr = x + i * p->c * p->d + j;
            const int64_t t = dlk_loss_target(t64, t32, i * p->d + j);
            const int ignored = (p->has_ignore && t == p->ignore_index) || t < 0 || t >= p->c;
            float lp = ignored ? 0.0f : xr[t * p->d];
            float w = ignored ? 0.0f : weight ? weight[t] : 1.0f;
            float loss;
            if (p->softmax && p->c > 0) {
                float m = xr[0];
                double es = 0.0;
                float ls;
                for (k = 1; k < p->c; k++)
                    m = xr[k * p->d] > m ? xr[k * p->d] : m;
                for (k = 0; k < p->c; k++)
                    es += expf(xr[k * p->d] - m);
                ls = logf((float)es);
                if (log_prob)
                    for (k = 0; k < p->c; k++)
                        log_prob[i * p->c * p->d + k * p->d + j] = (xr[k * p->d] - m) - ls;
                lp = ignored ? 0.0f : (lp - m) - ls;
            }
            loss = ignored ? 0.0f : -lp * w;
            if (p->reduction == DLK_LOSS_NONE)
                y[i * p->d + j] = loss;
            sum += loss;
            wsum += w;
        }
    }
    if (p->reduction == DLK_LOSS_SUM)
        y[0] = (float)sum;
    else if (p->reduction == DLK_LOSS_MEAN)
        y[0] = (float)(sum / wsum);
}
/*@end*/

/*@ dlk_loss_f64 : dlk_loss_params */
static void dlk_loss_f64(const dlk_loss_params *p, const double *x, const int64_t *t64, const int32_t *t32,
                         const double *weight, double *y, double *log_prob)
{
    int64_t i, j, k;
    double sum = 0.0, wsum = 0.0;
    for (i = 0; i < p->n; i++) {
        for (j = 0; j < p->d; j++) {
            const double *xr = x + i * p->c * p->d + j;
            const int64_t t = dlk_loss_target(t64, t32, i * p->d + j);
            const int ignored = (p->has_ignore && t == p->ignore_index) || t < 0 || t >= p->c;
            double lp = ignored ? 0.0 : xr[t * p->d];
            double w = ignored ? 0.0 : weight ? weight[t] : 1.0;
            double loss;
            if (p->softmax && p->c > 0) {
                double m = xr[0], es = 0.0, ls;
                for (k = 1; k < p->c; k++)
                    m = xr[k * p->d] > m ? xr[k * p->d] : m;
                for (k = 0; k < p->c; k++)
                    es += exp(xr[k * p->d] - m);
                ls = log(es);
                if (log_prob)
                    for (k = 0; k < p->c; k++)
                        log_prob[i * p->c * p->d + k * p->d + j] = (xr[k * p->d] - m) - ls;
                lp = ignored ? 0.0 : (lp - m) - ls;
            }
            loss = ignored ? 0.0 : -lp * w;
            if (p->reduction == DLK_LOSS_NONE)
                y[i * p->d + j] = loss;
            sum += loss;
            wsum += w;
        }
    }
    if (p->reduction == DLK_LOSS_SUM)
        y[0] = sum;
    else if (p->reduction == DLK_LOSS_MEAN)
        y[0] = sum / wsum;
}
/*@end*/

#endif
