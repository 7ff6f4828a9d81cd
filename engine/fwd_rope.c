/* engine/fwd_rope.c: rotary position embedding over interleaved pairs (x[2i], x[2i+1]) with
 * YaRN frequency correction, and the softmax scale (mscale^2 under YaRN) of config.json. */
#include "fwd_int.h"

#include <math.h>

/* YaRN's attention temperature: 0.1 m ln(factor) + 1, or 1 when the context is not stretched. */
static double yarn_mscale(double factor, double m)
{
    return factor <= 1.0 ? 1.0 : 0.1 * m * log(factor) + 1.0;
}

/* The dimension index at which a frequency turns `rotations` times over the original context:
 * d ln(orig / (2 pi rotations)) / (2 ln theta) (YaRN paper, eq. 17). */
static double correction_dim(double rotations, int d, double theta, int orig)
{
    return d * log(orig / (rotations * 2.0 * M_PI)) / (2.0 * log(theta));
}

/* Frequencies are evaluated in float32 in the order the reference evaluates them, so the
 * angles pos * inv_freq round the same way (at position 10^5 one ulp of inv_freq moves an angle
 * by more than the logits tolerance allows). */
void fwd_rope_init(const eng_config *c, float *inv_freq, float *rope_mscale,
                   float *softmax_scale)
{
    int d = c->qk_rope_head_dim, half = d / 2;
    float theta = (float)c->rope_theta;
    for (int i = 0; i < half; i++)
        inv_freq[i] = 1.0f / powf(theta, (float)(2 * i) / (float)d);
    double scale = 1.0 / sqrt((double)(c->qk_nope_head_dim + c->qk_rope_head_dim));
    *rope_mscale = 1.0f;
    if (c->yarn) {
        /* Dimensions that turn more than beta_fast times over the original context keep their
         * frequency; fewer than beta_slow are interpolated by 1/factor; a linear ramp between. */
        int orig = c->yarn_original_max_position_embeddings;
        double lo = floor(correction_dim(c->yarn_beta_fast, d, c->rope_theta, orig));
        double hi = ceil(correction_dim(c->yarn_beta_slow, d, c->rope_theta, orig));
        if (lo < 0) lo = 0;
        if (hi > d - 1) hi = d - 1;
        float flo = (float)lo, fhi = (float)hi;
        if (flo == fhi) fhi += 0.001f;
        float factor = (float)c->yarn_factor;
        for (int i = 0; i < half; i++) {
            float ramp = ((float)i - flo) / (fhi - flo);
            ramp = ramp < 0.0f ? 0.0f : ramp > 1.0f ? 1.0f : ramp;
            float keep = 1.0f - ramp;
            inv_freq[i] = inv_freq[i] / factor * (1.0f - keep) + inv_freq[i] * keep;
        }
        double m = yarn_mscale(c->yarn_factor, c->yarn_mscale_all_dim);
        scale *= m * m;
        *rope_mscale = (float)(yarn_mscale(c->yarn_factor, c->yarn_mscale) /
                               yarn_mscale(c->yarn_factor, c->yarn_mscale_all_dim));
    }
    *softmax_scale = (float)scale;
}

void fwd_rope_table(const eng_engine *e, int pos, float *cos_out, float *sin_out)
{
    int half = e->cfg.qk_rope_head_dim / 2;
    for (int i = 0; i < half; i++) {
        float angle = (float)pos * e->inv_freq[i]; /* rounded to float32 like the reference */
        cos_out[i] = (float)cos((double)angle) * e->rope_mscale;
        sin_out[i] = (float)sin((double)angle) * e->rope_mscale;
    }
}

void fwd_rope_apply(float *x, int pairs, const float *cos_v, const float *sin_v)
{
    for (int i = 0; i < pairs; i++) {
        float a = x[2 * i], b = x[2 * i + 1];
        x[2 * i] = a * cos_v[i] - b * sin_v[i];
        x[2 * i + 1] = a * sin_v[i] + b * cos_v[i];
    }
}
