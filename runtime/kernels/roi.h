/* Region-of-interest pooling over NCHW feature maps: RoiAlign (average or
 * max of bilinear samples, as the ONNX reference and onnxruntime: the max
 * mode takes the largest weighted corner) and MaxRoiPool (Caffe's
 * quantised bins, as onnxruntime's roi_pool.cc). */
#ifndef DLK_ROI_H
#define DLK_ROI_H

#include "common.h"

/*@ dlk_roi_align_params : dlk_common */
typedef struct dlk_roi_align_params {
    int64_t n, c, h, w;
    int64_t num_rois;
    int64_t out_h, out_w;
    int64_t sampling_ratio;     /* samples per bin side; 0: ceil(bin size) */
    int64_t max_mode;           /* 0: avg */
    int64_t half_pixel;         /* coordinates shift by -0.5 (opset 16 half_pixel) */
    float spatial_scale;
} dlk_roi_align_params;
/*@end*/

/*@ dlk_roi_align_f32 : dlk_roi_align_params */
/* Bilinear corners of sample (y, x): offsets into one channel and weights;
 * all zero when the sample lies more than one pixel outside the map. */
static void dlk_roi_align_corners(const dlk_roi_align_params *p, float y, float x, int64_t *pos, float *w)
{
    int64_t y_lo, x_lo, y_hi, x_hi;
    float ly, lx;
    if (y < -1.0f || y > (float)p->h || x < -1.0f || x > (float)p->w) {
        pos[0] = pos[1] = pos[2] = pos[3] = 0;
        w[0] = w[1] = w[2] = w[3] = 0;
        return;
    }
    y = y < 0 ? 0 : y;
    x = x < 0 ? 0 : x;
    y_lo = (int64_t)y;
    x_lo = (int64_t)x;
    if (y_lo >= p->h - 1) {
        y_hi = y_lo = p->h - 1;
        y = (float)y_lo;
    } else {
        y_hi = y_lo + 1;
    }
    if (x_lo >= p->w - 1) {
        x_hi = x_lo = p->w - 1;
        x = (float)x_lo;
    } else {
        x_hi = x_lo + 1;
    }
    ly = y - (float)y_lo;
    lx = x - (float)x_lo;
    pos[0] = y_lo * p->w + x_lo;
    pos[1] = y_lo * p->w + x_hi;
    pos[2] = y_hi * p->w + x_lo;
    pos[3] = y_hi * p->w + x_hi;
    w[0] = (1 - ly) * (1 - lx);
    w[1] = (1 - ly) * lx;
    w[2] = ly * (1 - lx);
    w[3] = ly * lx;
}

/* One output bin of one channel: samples gh x gw spread evenly over it. */
static float dlk_roi_align_bin(const dlk_roi_align_params *p, const float *plane, float y0, float x0, float bin_h,
                               float bin_w, int64_t gh, int64_t gw)
{
    int64_t iy, ix, pos[4];
    float w[4], acc = 0;
    int first = 1, k;
    for (iy = 0; iy < gh; iy++) {
        const float y = y0 + ((float)iy + 0.5f) * bin_h / (float)gh;
        for (ix = 0; ix < gw; ix++) {
            const float x = x0 + ((float)ix + 0.5f) * bin_w / (float)gw;
            dlk_roi_align_corners(p, y, x, pos, w);
            if (!p->max_mode) {
                acc += w[0] * plane[pos[0]] + w[1] * plane[pos[1]] + w[2] * plane[pos[2]] + w[3] * plane[pos[3]];
                continue;
            }
            for (k = 0; k < 4; k++)
                if (first || w[k] * plane[pos[k]] > acc) {
                    acc = w[k] * plane[pos[k]];
                    first = 0;
                }
        }
    }
    if (!p->max_mode)
        acc /= (float)(gh * gw > 1 ? gh * gw : 1);
    return acc;
}

/* X (n, c, h, w), rois (num_rois, 4) as x1, y1, x2, y2, batch (num_rois),
 * Y (num_rois, c, out_h, out_w). A batch index out of range gives zeros. */
static void dlk_roi_align_f32(const dlk_roi_align_params *p, const float *x, const float *rois,
                              const int64_t *batch, float *y)
{
    const float off = p->half_pixel ? 0.5f : 0.0f;
    int64_t r, c, ph, pw;
    for (r = 0; r < p->num_rois; r++) {
        const float *roi = rois + r * 4;
        const float x0 = roi[0] * p->spatial_scale - off, y0 = roi[1] * p->spatial_scale - off;
        float rw = roi[2] * p->spatial_scale - off - x0, rh = roi[3] * p->spatial_scale - off - y0;
        float bin_h, bin_w;
        int64_t gh, gw;
        if (!p->half_pixel) {   /* malformed ROIs become 1x1 */
            rw = rw > 1 ? rw : 1;
            rh = rh > 1 ? rh : 1;
        }
        bin_h = rh / (float)p->out_h;
        bin_w = rw / (float)p->out_w;
        gh = p->sampling_ratio > 0 ? p->sampling_ratio : (int64_t)ceilf(rh / (float)p->out_h);
        gw = p->sampling_ratio > 0 ? p->sampling_ratio : (int64_t)ceilf(rw / (float)p->out_w);
        if (batch[r] < 0 || batch[r] >= p->n) {
            memset(y + r * p->c * p->out_h * p->out_w, 0, (size_t)(p->c * p->out_h * p->out_w) * sizeof(float));
            continue;
        }
        for (c = 0; c < p->c; c++) {
            float *out = y + (r * p->c + c) * p->out_h * p->out_w;
            const float *plane = x + (batch[r] * p->c + c) * p->h * p->w;
            for (ph = 0; ph < p->out_h; ph++)
                for (pw = 0; pw < p->out_w; pw++)
                    out[ph * p->out_w + pw] = dlk_roi_align_bin(p, plane, y0 + (float)ph * bin_h,
                                                                x0 + (float)pw * bin_w, bin_h, bin_w, gh, gw);
        }
    }
}
/*@end*/

/*@ dlk_max_roi_pool_params : dlk_common */
typedef struct dlk_max_roi_pool_params {
    int64_t n, c, h, w;
    int64_t num_rois;
    int64_t out_h, out_w;
    float spatial_scale;
} dlk_max_roi_pool_params;
/*@end*/

/*@ dlk_max_roi_pool_f32 : dlk_max_roi_pool_params */
static int64_t dlk_roi_clamp(int64_t v, int64_t hi)
{
    return v < 0 ? 0 : (v > hi ? hi : v);
}

/* The maximum of one channel over rows [h0, h1) and columns [w0, w1); 0 when empty. */
static float dlk_roi_pool_max(const float *plane, int64_t w, int64_t h0, int64_t h1, int64_t w0, int64_t w1)
{
    float m = 0;
    int64_t i, j;
    if (h1 <= h0 || w1 <= w0)
        return 0.0f;
    m = plane[h0 * w + w0];
    for (i = h0; i < h1; i++)
        for (j = w0; j < w1; j++)
            m = plane[i * w + j] > m ? plane[i * w + j] : m;
    return m;
}

/* X (n, c, h, w), rois (num_rois, 5) as batch, x1, y1, x2, y2 (rounded
 * after scaling), Y (num_rois, c, out_h, out_w). */
static void dlk_max_roi_pool_f32(const dlk_max_roi_pool_params *p, const float *x, const float *rois, float *y)
{
    int64_t r, c, ph, pw;
    for (r = 0; r < p->num_rois; r++) {
        const float *roi = rois + r * 5;
        const int64_t b = (int64_t)roi[0];
        const int64_t sw = (int64_t)roundf(roi[1] * p->spatial_scale);
        const int64_t sh = (int64_t)roundf(roi[2] * p->spatial_scale);
        const int64_t ew = (int64_t)roundf(roi[3] * p->spatial_scale);
        const int64_t eh = (int64_t)roundf(roi[4] * p->spatial_scale);
        const float bin_h = (float)(eh - sh + 1 > 1 ? eh - sh + 1 : 1) / (float)p->out_h;
        const float bin_w = (float)(ew - sw + 1 > 1 ? ew - sw + 1 : 1) / (float)p->out_w;
        if (b < 0 || b >= p->n) {
            memset(y + r * p->c * p->out_h * p->out_w, 0, (size_t)(p->c * p->out_h * p->out_w) * sizeof(float));
            continue;
        }
        for (c = 0; c < p->c; c++) {
            float *out = y + (r * p->c + c) * p->out_h * p->out_w;
            const float *plane = x + (b * p->c + c) * p->h * p->w;
            for (ph = 0; ph < p->out_h; ph++)
                for (pw = 0; pw < p->out_w; pw++) {
                    const int64_t h0 = dlk_roi_clamp((int64_t)floorf((float)ph * bin_h) + sh, p->h);
                    const int64_t h1 = dlk_roi_clamp((int64_t)ceilf((float)(ph + 1) * bin_h) + sh, p->h);
                    const int64_t w0 = dlk_roi_clamp((int64_t)floorf((float)pw * bin_w) + sw, p->w);
                    const int64_t w1 = dlk_roi_clamp((int64_t)ceilf((float)(pw + 1) * bin_w) + sw, p->w);
                    out[ph * p->out_w + pw] = dlk_roi_pool_max(plane, p->w, h0, h1, w0, w1);
                }
        }
    }
}
/*@end*/

#endif
