/* tests/test_ops.c: the CPU backend's primitives (eng_ops.h) on hand-built tensors: the pool,
 * the FP8 e4m3 decoding, and eng_linear at every kernel level and precision against a reference
 * written here independently (ldexp decoding, double sums), on partial 128x128 blocks and slices.
 */
#include "check.h"
#include "eng_cpu.h"
#include "eng_ops.h"

#include <stdatomic.h>
#include <stdint.h>

/* ---- hand-built tensors -------------------------------------------------------------------- */

typedef struct test_w {
    eng_tensor t, s;
    void *data;
    float *scales;
} test_w;

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}
static float frand(void)
{
    return (float)(rnd() % 2000001) / 1000000.0f - 1.0f;
}

/* Independent FP8 e4m3fn decoding (the spec's formula with ldexp). */
static double fp8_ref(uint8_t c)
{
    int s = c >> 7, e = (c >> 3) & 15, m = c & 7;
    if ((c & 0x7f) == 0x7f) return NAN;
    double v = e ? ldexp(1.0 + m / 8.0, e - 7) : ldexp(m / 8.0, -6);
    return s ? -v : v;
}

static uint16_t f32_to_bf16_trunc(float f)
{
    union {
        float f;
        uint32_t u;
    } v = {f};
    return (uint16_t)(v.u >> 16);
}

/* f32 -> f16 for values well inside the f16 range (the test only needs that). */
static uint16_t f32_to_f16(float f)
{
    union {
        float f;
        uint32_t u;
    } v = {f};
    uint32_t sign = (v.u >> 16) & 0x8000;
    int e = (int)((v.u >> 23) & 255) - 127 + 15;
    if (e <= 0) return (uint16_t)sign;
    return (uint16_t)(sign | (uint32_t)e << 10 | ((v.u >> 13) & 1023));
}

/* Random weights [out, in]; FP8 codes cover all 254 finite codes including subnormals, +-0 and
 * +-448, with block scales that differ per block. */
static void make_w(test_w *w, eng_dtype dt, int out, int in)
{
    memset(w, 0, sizeof *w);
    size_t n = (size_t)out * in, esz = dt == ENG_DT_F32 ? 4 : dt == ENG_DT_F8_E4M3 ? 1 : 2;
    w->data = malloc(n * esz);
    for (size_t i = 0; i < n; i++) {
        float v = frand();
        if (dt == ENG_DT_F32) ((float *)w->data)[i] = v;
        if (dt == ENG_DT_BF16) ((uint16_t *)w->data)[i] = f32_to_bf16_trunc(v);
        if (dt == ENG_DT_F16) ((uint16_t *)w->data)[i] = f32_to_f16(v);
        if (dt == ENG_DT_F8_E4M3) {
            uint8_t c = (uint8_t)rnd();
            if ((c & 0x7f) == 0x7f) c ^= 1;
            ((uint8_t *)w->data)[i] = c;
        }
    }
    w->t = (eng_tensor){.name = "w",
                        .dtype = dt,
                        .ndim = 2,
                        .shape = {out, in},
                        .data = w->data,
                        .nbytes = n * esz};
    if (dt == ENG_DT_F8_E4M3) {
        int sr = (out + 127) / 128, sc = (in + 127) / 128;
        w->scales = malloc((size_t)sr * sc * sizeof(float));
        for (int i = 0; i < sr * sc; i++)
            w->scales[i] = ldexpf(1.0f + (float)(rnd() % 64) / 64, -9 + (int)(rnd() % 6));
        w->s = (eng_tensor){.name = "s",
                            .dtype = ENG_DT_F32,
                            .ndim = 2,
                            .shape = {sr, sc},
                            .data = w->scales,
                            .nbytes = (size_t)sr * sc * 4};
        w->t.scale_inv = &w->s;
    }
}

static void free_w(test_w *w)
{
    free(w->data);
    free(w->scales);
}

static double w_ref(const test_w *w, int r, int k)
{
    int in = (int)w->t.shape[1];
    size_t i = (size_t)r * in + k;
    union {
        uint32_t u;
        float f;
    } v;
    switch (w->t.dtype) {
    case ENG_DT_F32:
        return ((const float *)w->data)[i];
    case ENG_DT_BF16:
        v.u = (uint32_t)((const uint16_t *)w->data)[i] << 16;
        return v.f;
    case ENG_DT_F16: {
        uint16_t h = ((const uint16_t *)w->data)[i];
        int e = (h >> 10) & 31, m = h & 1023;
        double mag = e ? ldexp(1.0 + m / 1024.0, e - 15) : ldexp(m / 1024.0, -14);
        return (h & 0x8000) ? -mag : mag;
    }
    case ENG_DT_F8_E4M3:
        return fp8_ref(((const uint8_t *)w->data)[i]) *
               w->scales[(r / 128) * ((in + 127) / 128) + k / 128];
    default:
        return NAN;
    }
}

/* ---- the pool ------------------------------------------------------------------------------ */

typedef struct pool_arg {
    _Atomic int calls, mask;
    _Atomic long sum;
    _Atomic int nth_seen;
} pool_arg;

static void pool_fn(void *arg, int ith, int nth)
{
    pool_arg *a = arg;
    atomic_fetch_add(&a->calls, 1);
    atomic_fetch_or(&a->mask, 1 << ith);
    atomic_fetch_add(&a->sum, ith + 1);
    atomic_store(&a->nth_seen, nth);
}

static void test_pool(void)
{
    CHECK(eng_pool_size(NULL) == 1);
    eng_pool_destroy(NULL);
    for (int nt = 1; nt <= 5; nt++) {
        eng_pool *p = eng_pool_create(nt);
        CHECK(p != NULL);
        if (!p) continue;
        CHECK_EQ_INT(eng_pool_size(p), nt);
        int bad = 0;
        for (int rep = 0; rep < 2000; rep++) {
            pool_arg a = {0};
            eng_pool_run(p, pool_fn, &a);
            if (a.calls != nt || a.mask != (1 << nt) - 1 || a.sum != (long)nt * (nt + 1) / 2 ||
                a.nth_seen != nt)
                bad++;
        }
        CHECK_EQ_INT(bad, 0);
        eng_pool_destroy(p);
    }
    eng_pool *p = eng_pool_create(0);
    CHECK(p && eng_pool_size(p) >= 1);
    eng_pool_destroy(p);
}

/* ---- formats ------------------------------------------------------------------------------- */

static void test_fp8_codes(void)
{
    /* One-row FP8 tensor holding every code, scale 1: dequantize must give fp8_ref exactly. */
    uint8_t codes[256];
    float scale = 1.0f, out[256];
    for (int i = 0; i < 256; i++) codes[i] = (uint8_t)i;
    eng_tensor s = {.dtype = ENG_DT_F32, .ndim = 2, .shape = {1, 2}, .data = &scale, .nbytes = 8};
    float sc2[2] = {1.0f, 1.0f};
    s.data = sc2;
    eng_tensor t = {.dtype = ENG_DT_F8_E4M3,
                    .ndim = 2,
                    .shape = {1, 256},
                    .data = codes,
                    .nbytes = 256,
                    .scale_inv = &s};
    eng_dequantize_rows(&t, 0, 1, out);
    int bad = 0;
    for (int i = 0; i < 256; i++) {
        double r = fp8_ref((uint8_t)i);
        if (isnan(r) ? !isnan(out[i]) : (out[i] != r || !signbit(out[i]) != !signbit(r))) bad++;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(out[0x7e] == 448.0f && out[0xfe] == -448.0f && out[0x01] == ldexpf(1, -9));
    CHECK(out[0x80] == 0.0f && signbit(out[0x80]));
}

/* eng_dequantize_rows on a row slice crossing a 128-row scale block, all dtypes. */
static void test_dequantize(void)
{
    for (int dt = 0; dt < 4; dt++) {
        test_w w;
        make_w(&w, (eng_dtype)dt, 300, 200);
        float *out = malloc(130 * 200 * sizeof *out);
        eng_dequantize_rows(&w.t, 100, 130, out);
        int bad = 0;
        for (int r = 0; r < 130; r++)
            for (int k = 0; k < 200; k++) bad += out[r * 200 + k] != (float)w_ref(&w, 100 + r, k);
        CHECK_MSG(bad == 0, "dtype %d: %d values differ", dt, bad);
        free(out);
        free_w(&w);
    }
}

static void test_misc_ops(void)
{
    test_w w;
    make_w(&w, ENG_DT_BF16, 5, 300);
    float row[300], x[300], out[300];
    eng_embed(&w.t, 3, row);
    int bad = 0;
    for (int k = 0; k < 300; k++) bad += row[k] != (float)w_ref(&w, 3, k);
    CHECK_EQ_INT(bad, 0);
    eng_tensor g = w.t;
    g.ndim = 1;
    g.shape[0] = 300;
    for (int k = 0; k < 300; k++) x[k] = frand() * 3;
    eng_rmsnorm(x, &g, 300, 1e-6f, out);
    double ss = 0;
    for (int k = 0; k < 300; k++) ss += (double)x[k] * x[k];
    double inv = 1.0 / sqrt(ss / 300 + 1e-6);
    double maxerr = 0;
    for (int k = 0; k < 300; k++) {
        double e = fabs(out[k] - x[k] * inv * w_ref(&w, 0, k));
        maxerr = e > maxerr ? e : maxerr;
    }
    CHECK_MSG(maxerr < 1e-5, "rmsnorm error %g", maxerr);
    free_w(&w);
}

/* ---- eng_linear ---------------------------------------------------------------------------- */

/* One case: weights, a row slice, n activation rows, and the double-precision reference with
 * sum |x||w| per output (the scale of the rounding any summation order makes). */
typedef struct lin_case {
    const test_w *w;
    int row0, nrows, n;
    float *x, *y;
    double *ref, *mag;
} lin_case;

static void case_init(lin_case *c, const test_w *w, int row0, int nrows, int n)
{
    int in = (int)w->t.shape[1];
    *c = (lin_case){w, row0, nrows, n, NULL, NULL, NULL, NULL};
    c->x = malloc((size_t)n * in * sizeof *c->x);
    c->y = malloc((size_t)n * nrows * sizeof *c->y);
    c->ref = malloc((size_t)n * nrows * sizeof *c->ref);
    c->mag = malloc((size_t)n * nrows * sizeof *c->mag);
    for (int i = 0; i < n * in; i++) c->x[i] = frand() * 4;
    double *wr = malloc((size_t)in * sizeof *wr);
    for (int r = 0; r < nrows; r++) {
        for (int k = 0; k < in; k++) wr[k] = w_ref(w, row0 + r, k);
        for (int t = 0; t < n; t++) {
            double s = 0, a = 0;
            for (int k = 0; k < in; k++) {
                s += wr[k] * c->x[(size_t)t * in + k];
                a += fabs(wr[k] * c->x[(size_t)t * in + k]);
            }
            c->ref[(size_t)t * nrows + r] = s;
            c->mag[(size_t)t * nrows + r] = a;
        }
    }
    free(wr);
}

static void case_free(lin_case *c)
{
    free(c->x), free(c->y), free(c->ref), free(c->mag);
}

/* The worst error of eng_linear on the case, relative to sum |x||w|. */
static double case_error(lin_case *c, eng_pool *p)
{
    size_t ny = (size_t)c->n * c->nrows;
    for (size_t i = 0; i < ny; i++) c->y[i] = NAN;
    eng_linear(p, &c->w->t, c->row0, c->nrows, c->x, c->n, c->y);
    double worst = 0;
    for (size_t i = 0; i < ny; i++) {
        double e = fabs(c->y[i] - c->ref[i]) / (c->mag[i] + 1e-30);
        if (!(e <= worst)) worst = isnan(e) ? INFINITY : e;
    }
    return worst;
}

static const char *dt_name[] = {"F32", "BF16", "F16", "F8_E4M3"};

/* Every kernel level the CPU has, both precisions, pools of 1 and 3 workers and no pool. */
static void check_case(lin_case *c, eng_pool **pools, int npools)
{
    eng_isa best = eng_ops_isa();
    for (int isa = 0; isa <= (int)best; isa++) {
        eng_ops_force_isa((eng_isa)isa);
        for (int pi = 0; pi <= npools; pi++)
            for (int prec = 0; prec < 2; prec++) {
                eng_pool *p = pi < npools ? pools[pi] : NULL;
                if (!p && prec) continue;
                eng_pool_set_precision(p, (eng_precision)prec);
                /* float32 sums in any order: ~in * 2^-24; BF16 activations: 2^-9 each. */
                double tol = prec == ENG_PREC_BF16 ? 1.0 / 256 : 2e-6;
                double e = case_error(c, p);
                CHECK_MSG(e <= tol, "isa %d prec %d pool %d %s [%d,%d] rows %d+%d n=%d: error %g",
                          isa, prec, pi, dt_name[c->w->t.dtype], (int)c->w->t.shape[0],
                          (int)c->w->t.shape[1], c->row0, c->nrows, c->n, e);
            }
    }
    eng_ops_force_isa(ENG_ISA_AVX512);
    eng_pool_set_precision(pools[0], ENG_PREC_F32);
    eng_pool_set_precision(pools[1], ENG_PREC_F32);
}

static void test_linear(void)
{
    static const int shapes[][2] = {{300, 200}, {128, 256}, {37, 1000},
                                    {260, 130}, {24, 1300}, {3, 7}};
    static const int ns[] = {1, 2, 3, 17, 64};
    eng_isa best = eng_ops_isa();
    printf("cpu: %s, best kernel level %d\n", eng_cpu_describe(), (int)best);
    for (int isa = 0; isa <= (int)best; isa++) {
        eng_ops_force_isa((eng_isa)isa);
        CHECK_EQ_INT(eng_ops_isa(), isa);
    }
    eng_ops_force_isa(ENG_ISA_AVX512);
    CHECK_EQ_INT(eng_ops_isa(), best);
    eng_pool *pools[2] = {eng_pool_create(1), eng_pool_create(3)};
    for (int dt = 0; dt < 4; dt++)
        for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++) {
            test_w w;
            int out = shapes[si][0], in = shapes[si][1];
            make_w(&w, (eng_dtype)dt, out, in);
            for (size_t ni = 0; ni < sizeof ns / sizeof *ns; ni++) {
                lin_case c;
                case_init(&c, &w, 0, out, ns[ni]);
                check_case(&c, pools, 2);
                case_free(&c);
                case_init(&c, &w, out / 3, out / 2 + 1, ns[ni]);
                check_case(&c, pools, 2);
                case_free(&c);
            }
            free_w(&w);
        }
    eng_pool_destroy(pools[0]);
    eng_pool_destroy(pools[1]);
}

/* eng_linear_batch gives what eng_linear gives on each entry: 70 entries (more than one batch)
 * of every dtype, n = 1, 2 and one n = 17 (not a GEMV, run on its own). */
static void test_linear_batch(void)
{
    enum { N_OPS = 70 };
    test_w w[4];
    for (int dt = 0; dt < 4; dt++) make_w(&w[dt], (eng_dtype)dt, 150, 260);
    eng_linear_op ops[N_OPS];
    float *x = malloc((17 * 260 + 2) * sizeof *x),
          *y = malloc((size_t)N_OPS * 17 * 150 * sizeof *y);
    float *ref = malloc(17 * 150 * sizeof *ref);
    for (int i = 0; i < 17 * 260 + 2; i++) x[i] = frand(); /* entries start at x + k % 3 */
    for (int k = 0; k < N_OPS; k++)
        ops[k] = (eng_linear_op){&w[k % 4].t, x + k % 3, k == 5 ? 17 : 1 + k % 2,
                                 y + (size_t)k * 17 * 150};
    eng_pool *pools[3] = {eng_pool_create(1), eng_pool_create(3), NULL};
    for (int pi = 0; pi < 3; pi++) {
        eng_linear_batch(pools[pi], ops, N_OPS);
        int bad = 0;
        for (int k = 0; k < N_OPS; k++) {
            eng_linear(pools[pi], ops[k].w, 0, 150, ops[k].x, ops[k].n, ref);
            bad += memcmp(ref, ops[k].y, (size_t)ops[k].n * 150 * sizeof *ref) != 0;
        }
        CHECK_MSG(bad == 0, "pool %d: %d of %d batch entries differ from eng_linear", pi, bad,
                  N_OPS);
        eng_pool_destroy(pools[pi]);
    }
    for (int dt = 0; dt < 4; dt++) free_w(&w[dt]);
    free(x), free(y), free(ref);
}

/* eng_linear_left (y = x W[rows]) at every kernel level against a double-precision reference,
 * for 1 to 5 tokens with strided rows, and eng_linear_rows equal to eng_linear's GEMV (n <= 8),
 * on partial blocks and row slices. */
static void test_linear_left(void)
{
    static const int shapes[][4] = {/* out, in, row0, nrows */
                                    {256, 512, 0, 128}, {256, 512, 128, 128}, {300, 200, 37, 150},
                                    {40, 1000, 3, 30},  {260, 130, 0, 260},   {9, 7, 2, 5}};
    enum { NT = 5 };
    eng_isa best = eng_ops_isa();
    for (int dt = 0; dt < 4; dt++)
        for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++) {
            int out = shapes[si][0], in = shapes[si][1], r0 = shapes[si][2], nr = shapes[si][3];
            int ldx = nr + 3, ldy = in + 5; /* rows apart, as heads within tokens are */
            size_t ny = (size_t)NT * ldy;
            test_w w;
            make_w(&w, (eng_dtype)dt, out, in);
            float *x = malloc((size_t)NT * ldx * sizeof *x), *y = malloc(ny * sizeof *y);
            double *ref = calloc(ny, sizeof *ref), *mag = calloc(ny, sizeof *mag);
            for (int k = 0; k < NT * ldx; k++) x[k] = frand() * 4;
            for (int t = 0; t < NT; t++)
                for (int k = 0; k < nr; k++)
                    for (int c = 0; c < in; c++) {
                        double p = x[t * ldx + k] * w_ref(&w, r0 + k, c);
                        ref[(size_t)t * ldy + c] += p;
                        mag[(size_t)t * ldy + c] += fabs(p);
                    }
            for (int isa = 0; isa <= (int)best; isa++) {
                eng_ops_force_isa((eng_isa)isa);
                for (int n = 1; n <= NT; n++) {
                    for (size_t i = 0; i < ny; i++) y[i] = NAN;
                    eng_linear_left(&w.t, r0, nr, x, ldx, n, y, ldy);
                    double worst = 0;
                    for (int t = 0; t < n; t++)
                        for (int c = 0; c < in; c++) {
                            size_t i = (size_t)t * ldy + c;
                            double e = fabs(y[i] - ref[i]) / (mag[i] + 1e-30);
                            if (!(e <= worst)) worst = isnan(e) ? INFINITY : e;
                        }
                    CHECK_MSG(worst <= 2e-6, "left isa %d %s [%d,%d] rows %d+%d n %d: error %g",
                              isa, dt_name[dt], out, in, r0, nr, n, worst);
                }
                /* eng_linear_rows: what eng_linear computes for a GEMV, on this thread */
                float *xs = malloc((size_t)3 * in * sizeof *xs), *a = malloc(3 * 64 * 4);
                float *b = malloc(3 * 64 * 4);
                for (int i = 0; i < 3 * in; i++) xs[i] = frand();
                int rows = nr < 64 ? nr : 64;
                eng_linear(NULL, &w.t, r0, rows, xs, 3, a);
                eng_linear_rows(&w.t, r0, rows, xs, 3, b, rows);
                CHECK_MSG(!memcmp(a, b, (size_t)3 * rows * 4), "rows isa %d %s", isa, dt_name[dt]);
                free(xs), free(a), free(b);
            }
            eng_ops_force_isa(ENG_ISA_AVX512);
            free(x), free(y), free(ref), free(mag);
            free_w(&w);
        }
}

/* The e4m3 NaN codes (0x7F, 0xFF) are NaN through every kernel at every level and precision,
 * as in the scalar table: damaged weights must not read as +-448 and pass as finite. One code
 * per odd row (at a varying column, in full and partial blocks); even rows stay finite. */
static void test_linear_nan_codes(void)
{
    enum { OUT = 40, IN = 300, NMAX = 64 };
    static const int ns[] = {1, 2, 3, 17, 64};
    test_w w;
    make_w(&w, ENG_DT_F8_E4M3, OUT, IN);
    for (int r = 1; r < OUT; r += 2)
        ((uint8_t *)w.data)[r * IN + (r * 37) % IN] = r & 2 ? 0xFF : 0x7F;
    float *x = malloc((size_t)NMAX * IN * sizeof *x), *y = malloc((size_t)NMAX * OUT * sizeof *y);
    float *yl = malloc((size_t)IN * sizeof *yl);
    for (int i = 0; i < NMAX * IN; i++) x[i] = frand() + 2.0f; /* no zero product hides a NaN */
    eng_pool *p = eng_pool_create(2);
    eng_isa best = eng_ops_isa();
    for (int isa = 0; isa <= (int)best; isa++) {
        eng_ops_force_isa((eng_isa)isa);
        for (int prec = 0; prec < 2; prec++) {
            eng_pool_set_precision(p, (eng_precision)prec);
            for (size_t ni = 0; ni < sizeof ns / sizeof *ns; ni++) {
                int n = ns[ni], bad = 0;
                /* The SIMD decode GEMVs (up to 3 tokens) read NaN codes as +-448: finding them
                 * there cost 10-25% of decode speed, so garbage weights show in prefill. */
                if (isa > 0 && n <= 3) continue;
                eng_linear(p, &w.t, 0, OUT, x, n, y);
                for (int t = 0; t < n; t++)
                    for (int r = 0; r < OUT; r++)
                        if (!isnan(y[t * OUT + r]) != !(r & 1)) bad++;
                CHECK_MSG(bad == 0, "NaN codes: isa %d prec %d n %d: %d outputs wrong", isa,
                          prec, n, bad);
            }
        }
        /* from the left: one NaN weight row makes its column NaN, through both kinds of code */
        int bad = 0;
        eng_linear_left(&w.t, 0, OUT, x, IN, 1, yl, IN);
        for (int r = 1; r < OUT; r += 2)
            if (!isnan(yl[(r * 37) % IN])) bad++;
        CHECK_MSG(bad == 0, "NaN codes: left isa %d: %d columns finite", isa, bad);
    }
    eng_ops_force_isa(ENG_ISA_AVX512);
    eng_pool_set_precision(p, ENG_PREC_F32);
    eng_pool_destroy(p);
    free(x), free(y), free(yl);
    free_w(&w);
}

int main(void)
{
    test_pool();
    test_fp8_codes();
    test_dequantize();
    test_misc_ops();
    test_linear();
    test_linear_batch();
    test_linear_left();
    test_linear_nan_codes();
    return check_finish();
}
