/* Epilogues: what a Conv, Gemm or MatMul applies to its results before
 * they leave the cache, so that a following residual Add and activation
 * (fused by passes/fuse_epilogue.c) cost no extra pass over memory.
 *
 * The producing kernel calls dlk_epilogue_f32 on each finished block of
 * outputs (a run of one output channel's plane, a row of a matrix) with the
 * matching run of the residual tensor, which has the output's shape. The
 * formulas are written exactly as the stand-alone kernels in unary.h and
 * binary.h write them, so a fused model computes what the unfused one does
 * (GELU and SiLU, fused from several nodes, differ by rounding only). */
#ifndef DLK_EPILOGUE_H
#define DLK_EPILOGUE_H

#include "common.h"

/*@ dlk_epilogue_params : dlk_common */
/* Activations (dlk_epilogue.act). */
#define DLK_ACT_NONE 0
#define DLK_ACT_RELU 1
#define DLK_ACT_CLIP 2          /* min(max(x, alpha), beta) */
#define DLK_ACT_LEAKY 3         /* x < 0 ? alpha * x : x */
#define DLK_ACT_SIGMOID 4
#define DLK_ACT_HARD_SIGMOID 5  /* max(0, min(1, alpha * x + beta)) */
#define DLK_ACT_HARD_SWISH 6    /* x * HardSigmoid(x) with 1/6, 1/2 */
#define DLK_ACT_TANH 7
#define DLK_ACT_SILU 8          /* x * sigmoid(alpha * x) */
#define DLK_ACT_GELU 9          /* 0.5 x (1 + erf(x / sqrt 2)) */
#define DLK_ACT_GELU_TANH 10    /* Gelu approximate="tanh" */
/* Where the residual is added (dlk_epilogue.residual). */
#define DLK_RES_NONE 0
#define DLK_RES_BEFORE_ACT 1    /* act(y + r): Conv -> Add -> Relu (ResNet) */
#define DLK_RES_AFTER_ACT 2     /* act(y) + r: Conv -> Relu -> Add */

/* All zero (the default of a params struct) is "no epilogue". */
typedef struct dlk_epilogue {
    int64_t act;            /* DLK_ACT_* */
    int64_t residual;       /* DLK_RES_*; the residual tensor is a kernel argument */
    float alpha, beta;      /* the activation's constants, as commented above */
} dlk_epilogue;
/*@end*/

/*@ dlk_relu_clip_avx512 : dlk_common */
#if defined(__AVX512F__)
#include <immintrin.h>
/* Relu (relu) or Clip to [lo, hi] (clip) of 16 values in a register, for
 * kernels that apply them before their store: Relu as max(v, 0) (NaN -> 0,
 * as "v > 0 ? v : 0"); Clip as min(hi, max(lo, v)) (NaN kept, as the scalar
 * clamp); the operand order decides both. */
static __m512 dlk_relu_clip_avx512(__m512 v, int relu, int clip, float lo, float hi)
{
    if (relu)
        return _mm512_max_ps(v, _mm512_setzero_ps());
    if (clip)
        return _mm512_min_ps(_mm512_set1_ps(hi), _mm512_max_ps(_mm512_set1_ps(lo), v));
    return v;
}
#endif
/*@end*/

/*@ dlk_epilogue_in_regs : dlk_epilogue_params */
#if defined(__AVX512F__)
/* Whether a kernel applies epilogue e in its registers, with
 * dlk_relu_clip_avx512 before the store: a Relu, a Clip or nothing, and no
 * residual tensor r. Otherwise it runs dlk_epilogue_f32 after the store. */
static int dlk_epilogue_in_regs(const dlk_epilogue *e, const float *r)
{
    return r == NULL && (e->act == DLK_ACT_NONE || e->act == DLK_ACT_RELU || e->act == DLK_ACT_CLIP);
}
#endif
/*@end*/

/*@ dlk_epilogue_simd : dlk_common dlk_lanes16 */
/* Sigmoid and SiLU over 16 lanes with AVX-512: libm's expf is a call per
 * element that no compiler vectorises without -ffast-math, and in SiLU
 * networks it costs about as much as the convolutions it follows
 * (EfficientNet-B0: 6.2 M values, 17 % of the model). sigmoid(u) =
 * 1 / (1 + exp(-u)), exp(-u) = 2^n exp(r) with n = round(-u log2 e) (adding
 * 1.5 x 2^23 and taking it off again rounds) and r = -u - n ln 2, one
 * multiply-add with ln 2 rounded to float (its 1.9e-9 error times |n|
 * moves exp by up to 2.4e-7 relative at |n| = 127, where sigmoid is within
 * 2^-120 of 0 or 1); exp(r) by a degree-5 polynomial fitted for this
 * kernel (least squares weighted to relative error, on Chebyshev nodes of
 * |r| <= ln 2 / 2: 2.1e-7 evaluated in float), scaled by 2^n (VSCALEFPS).
 * Sigmoid and SiLU come out within 3.5e-7 of double precision over
 * [-90, 90]. 12 vector instructions for SiLU; on a Zen 5 core each
 * one more costs about 5 %, so u = v for alpha 1 (Sigmoid, and SiLU from
 * Sigmoid and Mul) takes no multiply, -u is folded into the constants, and
 * SiLU divides v by 1 + exp(-u) at once. The division: AMD's cores
 * (__SSE4A__, which only they have) divide 16 floats about as fast as they
 * run VRCP14PS and Newton's two multiply-adds (Zen 5, SiLU: 0.138 ns a
 * value with VRCP14PS, a degree-5 polynomial after two constants of ln 2
 * and a multiply by -alpha; 0.123 with ln 2 in one constant and the sign
 * folded; 0.102 dividing 1; 0.094 dividing v; 0.090 with VSCALEFPS and no
 * lower clamp in place of the exponent-field add); Intel's cores are
 * listed at about one 512-bit division in 10 cycles (not measured here),
 * so they keep the reciprocal to 14 bits and one Newton step.
 * DLK_SIGMOID_DIV chooses either way. The scalar fallback keeps libm's
 * expf. */
#if defined(__AVX512F__)
#include <immintrin.h>

#ifndef DLK_SIGMOID_DIV
#if defined(__SSE4A__)
#define DLK_SIGMOID_DIV 1
#else
#define DLK_SIGMOID_DIV 0
#endif
#endif

/* 1 + exp(-u) of 16 values. VSCALEFPS saturates 2^n p to infinity or 0,
 * so u needs no clamp below for SiLU by division (v / (1 + inf) is 0;
 * u = -inf gives NaN, as Sigmoid(-inf) x -inf does in the graph); Sigmoid
 * clamps it at -88 (Sigmoid(-inf) is 0), and so does the Newton step
 * (inf x 0 in it would be NaN). Above, u <= 86 keeps u = +inf from making r
 * NaN. A NaN u goes to 86 or -88 (min and max return their second
 * operand then): callers pass NaN lanes through. */
static __m512 dlk_logistic_den16_avx512(__m512 u, int clamp_below)
{
    const __m512 shift = _mm512_set1_ps(12582912.0f);
    const __m512 uc = _mm512_min_ps(clamp_below ? _mm512_max_ps(u, _mm512_set1_ps(-88.0f)) : u, _mm512_set1_ps(86.0f));
    const __m512 t = _mm512_fmadd_ps(uc, _mm512_set1_ps(-1.44269504088896341f), shift);
    const __m512 n = _mm512_sub_ps(t, shift);
    const __m512 r = _mm512_fnmsub_ps(n, _mm512_set1_ps(0.693147180559945f), uc); /* -n ln 2 - u */
    __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(8.2976548e-3f), r, _mm512_set1_ps(4.1915383e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6667575e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.9998894e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(9.9999970e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0000001f));
    return _mm512_add_ps(_mm512_set1_ps(1.0f), _mm512_scalef_ps(p, n));
}

/* 1 / d of 16 values: a division on AMD's cores, elsewhere the reciprocal
 * to 14 bits and one Newton step (see above). */
static __m512 dlk_recip16_avx512(__m512 d)
{
    const __m512 one = _mm512_set1_ps(1.0f);
#if DLK_SIGMOID_DIV
    return _mm512_div_ps(one, d);
#else
    const __m512 r0 = _mm512_rcp14_ps(d);
    return _mm512_fmadd_ps(r0, _mm512_fnmadd_ps(d, r0, one), r0);
#endif
}

/* sigmoid(alpha v) (silu 0) or v sigmoid(alpha v) (silu 1) of 16 values;
 * SiLU as v / (1 + exp(-alpha v)) where the division is the reciprocal's
 * way. Sigmoid passes NaN lanes through itself; SiLU's is NaN. */
static __m512 dlk_sigmoid16_avx512(__m512 v, float alpha, int silu)
{
    const __m512 d = dlk_logistic_den16_avx512(alpha == 1.0f ? v : _mm512_mul_ps(v, _mm512_set1_ps(alpha)),
                                               !silu || !DLK_SIGMOID_DIV);
    if (silu)
        return DLK_SIGMOID_DIV ? _mm512_div_ps(v, d) : _mm512_mul_ps(v, dlk_recip16_avx512(d));
    return _mm512_mask_mov_ps(dlk_recip16_avx512(d), _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), v);
}

/* y = sigmoid(alpha y) (silu 0) or y sigmoid(alpha y) (silu 1), in place;
 * two vectors a step, so each step's two chains of dependent operations
 * overlap. */
static void dlk_sigmoid_avx512(float *y, int64_t n, float alpha, int silu)
{
    int64_t i;
    for (i = 0; i + 32 <= n; i += 32) {
        const __m512 a = dlk_sigmoid16_avx512(_mm512_loadu_ps(y + i), alpha, silu);
        const __m512 b = dlk_sigmoid16_avx512(_mm512_loadu_ps(y + i + 16), alpha, silu);
        _mm512_storeu_ps(y + i, a);
        _mm512_storeu_ps(y + i + 16, b);
    }
    for (; i < n; i += 16) {
        const __mmask16 m = dlk_lanes16(i, n);
        _mm512_mask_storeu_ps(y + i, m, dlk_sigmoid16_avx512(_mm512_maskz_loadu_ps(m, y + i), alpha, silu));
    }
}
#endif
/*@end*/

/*@ dlk_act16_avx512 : dlk_epilogue_params dlk_relu_clip_avx512 dlk_epilogue_simd */
/* Whether dlk_act16_avx512 applies activation act: none, Relu, Clip,
 * Sigmoid or SiLU. (Also without AVX-512: the compiler's passes ask.) */
static inline int dlk_act16_takes(int64_t act)
{
    return act == DLK_ACT_NONE || act == DLK_ACT_RELU || act == DLK_ACT_CLIP || act == DLK_ACT_SIGMOID ||
           act == DLK_ACT_SILU;
}

#if defined(__AVX512F__)

/* e's activation (one dlk_act16_takes takes) of 16 values in a register,
 * for kernels that apply it before their store: lane by lane the functions
 * dlk_epilogue_act_f32 runs over a stored run, so the same bits. */
static DLK_INLINE __m512 dlk_act16_avx512(const dlk_epilogue *e, __m512 v)
{
    if (e->act == DLK_ACT_SILU)
        return dlk_sigmoid16_avx512(v, e->alpha, 1);
    if (e->act == DLK_ACT_SIGMOID)
        return dlk_sigmoid16_avx512(v, 1.0f, 0);
    return dlk_relu_clip_avx512(v, e->act == DLK_ACT_RELU, e->act == DLK_ACT_CLIP, e->alpha, e->beta);
}
#endif
/*@end*/

/*@ dlk_epilogue_f32 : dlk_epilogue_params dlk_epilogue_simd */
/* The loops run over whole blocks of DLK_EP_BLOCK values and then the rest:
 * a fixed inner trip count is what lets gcc vectorise at -O2 (its cheap
 * cost model refuses loops that need a remainder), and it writes y
 * unconditionally, where "y[i] = y[i] > 0 ? y[i] : 0" in one loop becomes a
 * mispredicted branch around a store. V names the value inside EXPR. */
#define DLK_EP_BLOCK 8
#define DLK_EP_MAP(Y, N, V, EXPR)                                              \
    do {                                                                       \
        int64_t i_, k_;                                                        \
        for (i_ = 0; i_ + DLK_EP_BLOCK <= (N); i_ += DLK_EP_BLOCK)             \
            for (k_ = 0; k_ < DLK_EP_BLOCK; k_++) {                            \
                const float V = (Y)[i_ + k_];                                  \
                (Y)[i_ + k_] = (EXPR);                                         \
            }                                                                  \
        for (; i_ < (N); i_++) {                                               \
            const float V = (Y)[i_];                                           \
            (Y)[i_] = (EXPR);                                                  \
        }                                                                      \
    } while (0)

/* max(v, lo) then min(that, hi), in Clip's order: lo > hi gives hi. */
static float dlk_epilogue_clamp_f32(float v, float lo, float hi)
{
    const float m = v < lo ? lo : v;
    return m > hi ? hi : m;
}

/* y[i] += r[i] */
static void dlk_epilogue_add_f32(float *restrict y, const float *restrict r, int64_t n)
{
    int64_t i, k;
    for (i = 0; i + DLK_EP_BLOCK <= n; i += DLK_EP_BLOCK)
        for (k = 0; k < DLK_EP_BLOCK; k++)
            y[i + k] += r[i + k];
    for (; i < n; i++)
        y[i] += r[i];
}

/* The activation alone, in place; one loop per kind so each vectorises. */
static void dlk_epilogue_act_f32(const dlk_epilogue *e, float *restrict y, int64_t n)
{
    const float alpha = e->alpha, beta = e->beta;
    switch (e->act) {
    case DLK_ACT_RELU:
        DLK_EP_MAP(y, n, v, v > 0.0f ? v : 0.0f);
        break;
    case DLK_ACT_CLIP:
        DLK_EP_MAP(y, n, v, dlk_epilogue_clamp_f32(v, alpha, beta));
        break;
    case DLK_ACT_LEAKY:
        DLK_EP_MAP(y, n, v, v < 0.0f ? alpha * v : v);
        break;
    case DLK_ACT_SIGMOID:
#if defined(__AVX512F__)
        dlk_sigmoid_avx512(y, n, 1.0f, 0);
#else
        DLK_EP_MAP(y, n, v, 1.0f / (1.0f + expf(-v)));
#endif
        break;
    case DLK_ACT_HARD_SIGMOID:
        DLK_EP_MAP(y, n, v, dlk_epilogue_clamp_f32(alpha * v + beta, 0.0f, 1.0f));
        break;
    case DLK_ACT_HARD_SWISH:
        DLK_EP_MAP(y, n, v, v * dlk_epilogue_clamp_f32(v * (1.0f / 6.0f) + 0.5f, 0.0f, 1.0f));
        break;
    case DLK_ACT_TANH:
        DLK_EP_MAP(y, n, v, tanhf(v));
        break;
    case DLK_ACT_SILU:
#if defined(__AVX512F__)
        dlk_sigmoid_avx512(y, n, alpha, 1);
#else
        DLK_EP_MAP(y, n, v, v * (1.0f / (1.0f + expf(-(alpha * v)))));
#endif
        break;
    case DLK_ACT_GELU:
        DLK_EP_MAP(y, n, v, 0.5f * v * (1.0f + erff(v * 0.70710678118654752f)));
        break;
    case DLK_ACT_GELU_TANH:
        DLK_EP_MAP(y, n, v, 0.5f * v * (1.0f + tanhf(0.79788456080286536f * (v + 0.044715f * v * v * v))));
        break;
    default:
        break;
    }
}

/* Apply epilogue e to n finished outputs y; r is the matching run of the
 * residual (NULL when the node has none; it must not overlap y). */
static void dlk_epilogue_f32(const dlk_epilogue *e, float *y, const float *r, int64_t n)
{
    if (r != NULL && e->residual == DLK_RES_BEFORE_ACT)
        dlk_epilogue_add_f32(y, r, n);
    if (e->act != DLK_ACT_NONE)
        dlk_epilogue_act_f32(e, y, n);
    if (r != NULL && e->residual == DLK_RES_AFTER_ACT)
        dlk_epilogue_add_f32(y, r, n);
}
#undef DLK_EP_MAP
/*@end*/

#endif
