/* forward.c - one transformer forward pass for every supported family, as a
 * plan (made once), a state (buffers and rotary tables, allocated once) and
 * runs over chunks of whole sequences.
 *
 * Dimensions: T = tokens of the chunk's sequences packed, H = d_model, nh/nkv
 * heads of D = d_head, F = d_ff. The linear layers run on all T rows at
 * once; attention runs per sequence. Family differences come from the hyper-parameters and the
 * weight table (which roles exist), never from a copy of this function:
 *   norm kind (RMS, Gemma RMS, LayerNorm), sandwich norms (post-attention /
 *   post-FFN norm weights present), fused QKV (GPT-NeoX), q/k norms (Gemma 3),
 *   parallel residual (GPT-NeoX), gated or plain MLP (gate weight present).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aniso/forward.h"
#include "base/base.h"
#include "base/cpu.h"
#include "base/mem.h"
#include "kernels/kernels.h"
#include "model/arch.h"
#include "model/forward_int.h"
#include "model/ops.h"

#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct rope_table {
    float *cos, *sin; /* (max_len, n_rot / 2) */
    size_t key;       /* rope_key of the frequencies it holds */
} rope_table;

/* Which frequencies a sequence of Tp tokens uses: 0 those of the loaded
 * model; past the original context, a dynamic setting's own for Tp and a
 * longrope setting's long ones. */
static size_t rope_key(const aniso_rope *rp, size_t Tp)
{
    if (!aniso_rope_length_dependent(rp) || (double)Tp <= rp->original_max_pos) return 0;
    return rp->type == ANISO_ROPE_DYNAMIC ? Tp : SIZE_MAX;
}

/* YaRN's correction dimension for num_rot rotations (transformers'
 * find_correction_dim, in double as Python computes it). */
static double yarn_dim(double num_rot, int dim, double base, double max_pos)
{
    return (dim * log(max_pos / (num_rot * 2 * 3.141592653589793))) / (2 * log(base));
}

static void yarn_inv_freq(const aniso_rope *rp, int n_rot, float *inv)
{
    int half = n_rot / 2;
    double lo = yarn_dim(rp->beta_fast, n_rot, rp->theta, rp->original_max_pos),
           hi = yarn_dim(rp->beta_slow, n_rot, rp->theta, rp->original_max_pos);
    if (rp->truncate) {
        lo = floor(lo);
        hi = ceil(hi);
    }
    if (lo < 0) lo = 0;
    if (hi > n_rot - 1) hi = n_rot - 1;
    if (lo == hi) hi += 0.001;
    for (int i = 0; i < half; i++) {
        float pos_freq = powf((float)rp->theta, (float)(2 * i) / (float)n_rot);
        float extra = 1.0f / pos_freq, inter = 1.0f / ((float)rp->factor * pos_freq);
        /* the ramp in float32: (i - low) / (high - low), clamped to [0, 1] */
        float ramp = ((float)i - (float)lo) / ((float)hi - (float)lo);
        ramp = ramp < 0 ? 0 : ramp > 1 ? 1 : ramp;
        float ef = 1.0f - ramp; /* the extrapolation share */
        inv[i] = inter * (1.0f - ef) + extra * ef;
    }
}

void aniso_rope_at(const aniso_rope *rp, int n_rot, size_t seq_len, float *inv, float *attn)
{
    int half = n_rot / 2;
    float base = (float)rp->theta;
    *attn = rp->attention_factor > 0 ? (float)rp->attention_factor : 1.0f;
    if (rp->type == ANISO_ROPE_DYNAMIC && (double)seq_len > rp->original_max_pos) {
        /* base * ((factor * len / max) - (factor - 1)) ^ (dim / (dim - 2)), in
         * float32 as torch computes it from the length tensor */
        float f = (float)rp->factor, r = f * (float)seq_len / (float)rp->original_max_pos - (f - 1);
        base = (float)rp->theta * powf(r, (float)((double)n_rot / (double)(n_rot - 2)));
    }
    if (rp->type == ANISO_ROPE_YARN) {
        yarn_inv_freq(rp, n_rot, inv);
        return;
    }
    for (int i = 0; i < half; i++) {
        float e = (float)(2 * i) / (float)n_rot;
        inv[i] = 1.0f / powf(base, e);
        if (rp->type == ANISO_ROPE_LINEAR) {
            inv[i] = inv[i] / (float)rp->factor;
        } else if (rp->type == ANISO_ROPE_LONGROPE) {
            const float *ext =
                (double)seq_len > rp->original_max_pos ? rp->long_factor : rp->short_factor;
            inv[i] = 1.0f / (ext[i] * powf(base, e));
        } else if (rp->type == ANISO_ROPE_FACTORS) {
            inv[i] = inv[i] / rp->long_factor[i];
        } else if (rp->type == ANISO_ROPE_LLAMA3) {
            float factor = (float)rp->factor, lf = (float)rp->low_freq_factor,
                  ocl = (float)rp->original_max_pos;
            float low_wl = (float)(rp->original_max_pos / rp->low_freq_factor);
            float high_wl = (float)(rp->original_max_pos / rp->high_freq_factor);
            float wavelen = (float)(2 * 3.141592653589793) / inv[i];
            float scaled = wavelen > low_wl ? inv[i] / factor : inv[i];
            if (!(wavelen < high_wl) && !(wavelen > low_wl)) {
                float smooth =
                    (ocl / wavelen - lf) / (float)(rp->high_freq_factor - rp->low_freq_factor);
                scaled = (1 - smooth) * scaled / factor + smooth * scaled;
            }
            inv[i] = scaled;
        }
    }
}

void aniso_rope_inv_freq(const aniso_rope *rp, int n_rot, float *inv)
{
    float attn;
    aniso_rope_at(rp, n_rot, 0, inv, &attn);
}

int aniso_rope_length_dependent(const aniso_rope *rp)
{
    return rp->type == ANISO_ROPE_DYNAMIC || rp->type == ANISO_ROPE_LONGROPE;
}

static int rope_alloc(rope_table *r, int n_rot, size_t max_len)
{
    size_t n = max_len * (size_t)(n_rot / 2) + 1;
    r->cos = malloc(n * sizeof(float));
    r->sin = malloc(n * sizeof(float));
    return r->cos && r->sin ? 0 : -1;
}

/* The angle tables, positions [0, n_pos), of the frequencies a sequence of
 * seq_len tokens uses: angle = fp32(inv_freq[i] * fp32(pos)); cos and sin
 * rounded to float32, then times the attention factor in float32. */
static void rope_fill(rope_table *r, const aniso_rope *rp, int n_rot, size_t seq_len, size_t n_pos)
{
    int half = n_rot / 2;
    float inv[ANISO_MAX_ROPE_FACTORS], attn;
    aniso_rope_at(rp, n_rot, seq_len, inv, &attn);
    for (size_t t = 0; t < n_pos; t++)
        for (int i = 0; i < half; i++) {
            float a = inv[i] * (float)t, c = (float)cos((double)a), sn = (float)sin((double)a);
            if (attn != 1.0f) c *= attn, sn *= attn;
            r->cos[t * (size_t)half + (size_t)i] = c;
            r->sin[t * (size_t)half + (size_t)i] = sn;
        }
    r->key = rope_key(rp, seq_len);
}

static void rope_free(rope_table *r)
{
    free(r->cos);
    free(r->sin);
}

/* rotate_half on the first n_rot dims of one head vector at position pos. */
static void rope_apply(float *v, const rope_table *r, int n_rot, size_t pos)
{
    int half = n_rot / 2;
    const float *c = r->cos + pos * (size_t)half, *s = r->sin + pos * (size_t)half;
    for (int i = 0; i < half; i++) {
        float a = v[i], b = v[i + half];
        v[i] = a * c[i] - b * s[i];
        v[i + half] = b * c[i] + a * s[i];
    }
}

/* ---- The plan ---- */

struct aniso_plan {
    const aniso_model *m;
    const aniso_hparams *hp;
    int n_threads;
    size_t max_tokens, max_seq;
    unsigned char *taps; /* (n_layer + 2) */
    int n_blocks;        /* blocks to run: those up to the last wanted tap */
    /* Small weights (norms, biases) as float32 with the file format's changes
     * undone, by role and layer; NULL where absent. */
    float **vec;
    const kernels *kern; /* the CPU variant's kernels, chosen once */
    size_t wbuf_elems;   /* the linear layers' work */
};

static float *const *plan_vec(const aniso_plan *p, aniso_role role, int layer)
{
    if ((unsigned)role >= ANISO_ROLE_COUNT) return NULL;
    return &p->vec[(size_t)role * (size_t)p->hp->n_layer + (size_t)(layer < 0 ? 0 : layer)];
}

static const float *vecw(const aniso_plan *p, aniso_role role, int layer)
{
    float *const *v = plan_vec(p, role, layer);
    return v ? *v : NULL;
}

/* The linear layers' work: the product's blocks and the widest weight's
 * row. */
static size_t linear_work_elems(const aniso_model *m, const kernels *k, int n_threads)
{
    size_t mx = 0;
    const aniso_hparams *hp = aniso_model_hparams(m);
    for (int r = 0; r < ANISO_ROLE_COUNT; r++)
        for (int l = 0; l < hp->n_layer; l++) {
            const aniso_tensor *t = aniso_model_weight(m, (aniso_role)r, l);
            if (t && t->n_dims == 2 && r != ANISO_ROLE_TOK_EMBD && r != ANISO_ROLE_LM_HEAD &&
                (size_t)t->shape[1] > mx)
                mx = (size_t)t->shape[1];
        }
    return linear_buffer_elems(k, mx, n_threads);
}

/* The threads of a plan made with n_threads (0: all cores). */
static int plan_threads(int n_threads)
{
    int n = n_threads > 0 ? n_threads : 1;
#ifdef _OPENMP
    if (n_threads <= 0) n = omp_get_num_procs();
#endif
    return n;
}

/* The error for weight (role, layer)'s non-finite value v at the model's
 * element (r, c) (rows of row_len). */
static aniso_status weight_error(const aniso_model *m, aniso_role role, int layer, size_t r,
                                 size_t c, size_t row_len, float v, aniso_error *err)
{
    const aniso_tensor *t = aniso_model_weight(m, role, layer);
    uint64_t at = file_index(t, model_weight_first(m, role, layer), r, c, row_len);
    return aniso_error_set(
        err, ANISO_FORMAT, "%s: tensor '%s' holds a non-finite value (%s) at element %llu",
        model_weight_file(m, role, layer), t->name, nonfinite_name(v), (unsigned long long)at);
}

void aniso_plan_free(aniso_plan *p)
{
    if (!p) return;
    if (p->vec)
        for (size_t i = 0; i < (size_t)ANISO_ROLE_COUNT * (size_t)p->hp->n_layer; i++)
            free(p->vec[i]);
    free(p->vec);
    free(p->taps);
    free(p);
}

const char *aniso_plan_kernels(const aniso_plan *p)
{
    return cpu_variant_name(p->kern->variant);
}

const char *aniso_kernels_available(char *buf, size_t size)
{
    /* the portable ones first, then the rest from the least */
    static const cpu_variant order[] = {CPU_GENERIC, CPU_VARIANT_AMX_EMULATED, CPU_VARIANT_AVX2,
                                        CPU_VARIANT_AVX512, CPU_VARIANT_AMX};
    _Static_assert(sizeof order / sizeof order[0] == CPU_VARIANT_COUNT, "every variant once");
    size_t n = 0;
    if (size) buf[0] = 0;
    for (size_t i = 0; i < sizeof order / sizeof order[0] && n < size; i++)
        if (kernels_built(order[i]) && cpu_variant_runs(order[i])) {
            int w = snprintf(buf + n, size - n, "%s%s", n ? " " : "", cpu_variant_name(order[i]));
            n += w > 0 ? (size_t)w : 0;
        }
    return buf;
}

const char *aniso_kernels_choice(void)
{
    return cpu_variant_name(cpu_variant_choose());
}

aniso_status aniso_kernels_set(const char *name, aniso_error *err)
{
    return cpu_variant_force(name, err);
}

const char *aniso_cpu_features(char *buf, size_t size)
{
    return cpu_features_str(buf, size);
}

aniso_plan *aniso_plan_new(const aniso_model *m, const aniso_plan_opts *o, aniso_error *err)
{
    const aniso_hparams *hp = aniso_model_hparams(m);
    int L = hp->n_layer;
    if (!o || o->max_tokens < 1 || o->max_seq < 1 || o->max_seq > o->max_tokens) {
        aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                        "forward plan: max_tokens and max_seq must be positive, max_seq at most "
                        "max_tokens");
        return NULL;
    }
    aniso_plan *p = calloc(1, sizeof *p);
    if (!p) goto nomem;
    p->m = m;
    p->hp = hp;
    p->max_tokens = o->max_tokens;
    p->max_seq = o->max_seq;
    p->n_threads = plan_threads(o->n_threads);
    p->kern = kernels_get(cpu_variant_choose());
    if (aniso_model_weight(m, ANISO_ROLE_ATTN_QKV, 0) && hp->n_head_kv != hp->n_head) {
        aniso_plan_free(p);
        aniso_error_set(err, ANISO_UNSUPPORTED,
                        "forward plan: a fused QKV projection with grouped heads (%d of %d)",
                        hp->n_head_kv, hp->n_head);
        return NULL;
    }
    p->taps = malloc((size_t)L + 2);
    p->vec = calloc((size_t)ANISO_ROLE_COUNT * (size_t)L, sizeof *p->vec);
    if (!p->taps || !p->vec) goto nomem;
    int any = 0;
    for (int t = 0; t <= L + 1; t++) {
        p->taps[t] = o->taps ? o->taps[t] != 0 : 1;
        any |= p->taps[t];
        if (p->taps[t] && t >= 1) p->n_blocks = t > L ? L : t;
    }
    if (!any) {
        aniso_plan_free(p);
        aniso_error_set(err, ANISO_INVALID_ARGUMENT, "forward plan: no tap is wanted");
        return NULL;
    }
    for (int r = 0; r < ANISO_ROLE_COUNT; r++)
        for (int l = 0; l < L; l++) {
            const aniso_tensor *t = aniso_model_weight(m, (aniso_role)r, l);
            if (!t || t->n_dims != 1 || (!role_per_layer((aniso_role)r) && l > 0)) continue;
            float *v = malloc(((size_t)t->n_elem + 1) * sizeof *v);
            if (!v) goto nomem;
            rows_f32(v, t, 0, (size_t)t->n_elem, 1); /* a vector's elements are rows of length 1 */
            p->vec[(size_t)r * (size_t)L + (size_t)l] = v;
            size_t bad = first_nonfinite(v, (size_t)t->n_elem);
            if (bad < (size_t)t->n_elem) {
                weight_error(m, (aniso_role)r, l, bad, 0, 1, v[bad], err);
                aniso_plan_free(p);
                return NULL;
            }
        }
    p->wbuf_elems = linear_work_elems(m, p->kern, p->n_threads);
    return p;
nomem:
    aniso_plan_free(p);
    aniso_error_set(err, ANISO_NO_MEMORY, "forward plan: out of memory");
    return NULL;
}

/* ---- The state ---- */

struct aniso_state {
    const aniso_plan *p;
    float *x;     /* (T, H) residual stream */
    float *h;     /* (T, H) normed input of a sublayer */
    float *q;     /* (T, nh*D) */
    float *k, *v; /* (T, nkv*D) */
    float *qkv;   /* (T, 3*nh*D) fused projections (GPT-NeoX) */
    float *att;   /* (T, nh*D) attention output before o_proj */
    float *o;     /* (T, H) a sublayer's output */
    float *o2;    /* (T, H) the MLP output of a parallel block */
    float *g, *u; /* (T, F) */
    float *wbuf;  /* the linear layers' work */
    float *kv;    /* attention's packed keys and values, kv head by kv head */
    float *awork; /* attention's work, one per thread */
    /* Rotary tables of the global [0] and sliding [1] settings for every
     * position a plan allows, with the frequencies of the loaded model; and
     * for a length-dependent setting, the table of the last other
     * frequencies a sequence needed (longrope's long ones, or dynamic's for
     * one length), so that chunks mixing short and long sequences do not
     * rebuild a table per layer. */
    rope_table rope[2], other[2];
    double t_attn; /* seconds in attention's core (rotary, scores, softmax, values) */
};

double forward_attention_seconds(const aniso_state *s)
{
    return s->t_attn;
}

void aniso_state_free(aniso_state *s)
{
    if (!s) return;
    float *all[] = {s->x, s->h,  s->q, s->k, s->v,    s->qkv, s->att,
                    s->o, s->o2, s->g, s->u, s->wbuf, s->kv,  s->awork};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) free(all[i]);
    for (int i = 0; i < 2; i++) rope_free(&s->rope[i]), rope_free(&s->other[i]);
    free(s);
}

#define N_STATE_BUFS 14

/* The floats of each buffer of a state (in aniso_state's order) for chunks
 * of T tokens in sequences of up to max_seq, n_threads threads. */
static void state_elems(const aniso_model *m, const kernels *k, size_t T, size_t max_seq,
                        int n_threads, size_t wbuf_elems, size_t elems[N_STATE_BUFS])
{
    const aniso_hparams *hp = aniso_model_hparams(m);
    size_t H = (size_t)hp->d_model, Q = (size_t)hp->n_head * hp->d_head,
           KV = (size_t)hp->n_head_kv * hp->d_head, F = (size_t)hp->d_ff;
    int fused = aniso_model_weight(m, ANISO_ROLE_ATTN_QKV, 0) != NULL;
    size_t nthr = n_threads > 1 ? (size_t)n_threads : 1;
    size_t e[N_STATE_BUFS] = {T * H,
                              T * H,
                              T * Q,
                              T * KV,
                              T * KV,
                              fused ? T * 3 * Q : 1,
                              T * Q,
                              T * H,
                              T * H,
                              T * F,
                              T * F,
                              wbuf_elems,
                              attn_kv_elems(k, max_seq, hp->d_head) * (size_t)hp->n_head_kv,
                              attn_work_elems(k, max_seq, hp->d_head) * nthr};
    memcpy(elems, e, sizeof e);
}

/* The floats of the rotary tables of a state for sequences of up to max_seq. */
static size_t rope_elems(const aniso_hparams *hp, size_t max_seq)
{
    size_t one = 2 * (max_seq * (size_t)(hp->n_rot / 2) + 1), n = 0;
    const aniso_rope *rp[2] = {&hp->rope, &hp->rope_local};
    for (int i = 0; i < 2 && hp->n_rot; i++)
        n += one * (aniso_rope_length_dependent(rp[i]) ? 2 : 1);
    return n;
}

uint64_t forward_bytes(const aniso_model *m, size_t max_tokens, size_t max_seq, int n_threads)
{
    const aniso_hparams *hp = aniso_model_hparams(m);
    size_t L = (size_t)hp->n_layer;
    /* the plan: taps, the vectors' table and the vectors */
    uint64_t n = sizeof(aniso_plan) + L + 2 + (uint64_t)ANISO_ROLE_COUNT * L * sizeof(float *);
    for (int r = 0; r < ANISO_ROLE_COUNT; r++)
        for (int l = 0; l < hp->n_layer; l++) {
            const aniso_tensor *t = aniso_model_weight(m, (aniso_role)r, l);
            if (t && t->n_dims == 1 && (role_per_layer((aniso_role)r) || l == 0))
                n += (t->n_elem + 1) * sizeof(float);
        }
    /* the state */
    size_t elems[N_STATE_BUFS];
    const kernels *k = kernels_get(cpu_variant_choose());
    int nt = plan_threads(n_threads);
    state_elems(m, k, max_tokens, max_seq, nt, linear_work_elems(m, k, nt), elems);
    n += sizeof(aniso_state);
    for (int i = 0; i < N_STATE_BUFS; i++) n += ((uint64_t)elems[i] + 1) * sizeof(float);
    return n + (uint64_t)rope_elems(hp, max_seq) * sizeof(float);
}

aniso_state *aniso_state_new(const aniso_plan *p, aniso_error *err)
{
    const aniso_hparams *hp = p->hp;
    aniso_state *s = calloc(1, sizeof *s);
    if (!s) goto nomem;
    s->p = p;
    float **bufs[N_STATE_BUFS] = {&s->x, &s->h,  &s->q, &s->k, &s->v,    &s->qkv, &s->att,
                                  &s->o, &s->o2, &s->g, &s->u, &s->wbuf, &s->kv,  &s->awork};
    size_t elems[N_STATE_BUFS];
    state_elems(p->m, p->kern, p->max_tokens, p->max_seq, p->n_threads, p->wbuf_elems, elems);
    for (size_t i = 0; i < N_STATE_BUFS; i++)
        if (!(*bufs[i] = malloc((elems[i] + 1) * sizeof(float)))) goto nomem;
    const aniso_rope *rp[2] = {&hp->rope, &hp->rope_local};
    for (int i = 0; i < 2 && hp->n_rot; i++) {
        if (rope_alloc(&s->rope[i], hp->n_rot, p->max_seq)) goto nomem;
        rope_fill(&s->rope[i], rp[i], hp->n_rot, 0, p->max_seq);
        /* key 0 there means "not filled": it never holds the loaded frequencies */
        if (aniso_rope_length_dependent(rp[i]) && rope_alloc(&s->other[i], hp->n_rot, p->max_seq))
            goto nomem;
    }
    return s;
nomem:
    aniso_state_free(s);
    aniso_error_set(err, ANISO_NO_MEMORY,
                    "forward: out of memory for chunks of %zu tokens (sequences up to %zu)",
                    p->max_tokens, p->max_seq);
    return NULL;
}

/* ---- One run ---- */

/* The rotary table of setting which (0 global, 1 sliding) for a sequence
 * of Tp tokens: the loaded model's, unless the frequencies depend on the
 * length and differ at Tp. */
static const rope_table *rope_for(aniso_state *s, int which, size_t Tp)
{
    const aniso_hparams *hp = s->p->hp;
    const aniso_rope *rp = which ? &hp->rope_local : &hp->rope;
    size_t k = rope_key(rp, Tp);
    if (k == 0) return &s->rope[which];
    rope_table *r = &s->other[which];
    /* dynamic: the frequencies are Tp's own, needed at positions below Tp */
    if (r->key != k)
        rope_fill(r, rp, hp->n_rot, Tp, rp->type == ANISO_ROPE_DYNAMIC ? Tp : s->p->max_seq);
    return r;
}

typedef struct pass {
    const aniso_plan *p;
    const aniso_hparams *hp;
    aniso_state *s;
    const aniso_batch *b;
    size_t T;
    aniso_status st; /* the first failure (a weight's non-finite value); then nothing is computed */
    aniso_error *err;
} pass;

/* The family's norm of x into y; a norm the model does not have (OLMo 2
 * normalises no sublayer input) leaves y = x. */
static void norm(const pass *ps, float *y, const float *x, aniso_role w_role, aniso_role b_role,
                 int layer)
{
    const aniso_hparams *hp = ps->hp;
    const float *w = vecw(ps->p, w_role, layer);
    aniso_norm kind = aniso_arch_norm(hp->arch);
    int T = (int)ps->T, n = hp->d_model;
    if (!w) {
        if (y != x) memcpy(y, x, ps->T * (size_t)n * sizeof *y);
    } else if (kind == ANISO_NORM_LAYER) {
        layernorm(y, x, w, vecw(ps->p, b_role, layer), T, n, hp->norm_eps, ps->p->kern);
    } else {
        rmsnorm(y, x, w, T, n, hp->norm_eps, kind == ANISO_NORM_RMS_GEMMA, ps->p->kern);
    }
}

/* y = x . W^T (+ b). A weight's values are checked the first time the model
 * uses it (once per model: the flag is the model's); a non-finite one stops
 * the pass (ps->st), and every later product is zero. */
static void lin(pass *ps, float *y, const float *x, aniso_role w_role, aniso_role b_role, int layer,
                int n_in, int n_out)
{
    const aniso_model *m = ps->p->m;
    if (ps->st) {
        memset(y, 0, ps->T * (size_t)n_out * sizeof *y);
        return;
    }
    const aniso_tensor *W = aniso_model_weight(m, w_role, layer);
    int check = !model_weight_checked(m, w_role, layer);
    nonfinite bad = {SIZE_MAX, 0};
    linear(y, x, W, vecw(ps->p, b_role, layer), (int)ps->T, n_in, n_out, ps->p->kern,
           ps->p->n_threads, ps->s->wbuf, check ? &bad : NULL);
    if (!check) return;
    if (bad.at == SIZE_MAX)
        model_weight_set_checked(m, w_role, layer);
    else
        ps->st = weight_error(m, w_role, layer, bad.at / (size_t)n_in, bad.at % (size_t)n_in,
                              (size_t)n_in, bad.v, ps->err);
}

/* Attention sublayer: from the normed input s->h to s->o. */
static void attention(pass *ps, int l)
{
    const aniso_model *m = ps->p->m;
    const aniso_hparams *hp = ps->hp;
    aniso_state *b = ps->s;
    int T = (int)ps->T, H = hp->d_model, nh = hp->n_head, nkv = hp->n_head_kv, D = hp->d_head;
    size_t qs = (size_t)nh * D, ks = (size_t)nkv * D;
    if (aniso_model_weight(m, ANISO_ROLE_ATTN_QKV, l)) {
        /* GPT-NeoX: rows viewed as (nh, 3, D): head h is [q | k | v]. */
        lin(ps, b->qkv, b->h, ANISO_ROLE_ATTN_QKV, ANISO_ROLE_ATTN_QKV_B, l, H, 3 * nh * D);
        for (size_t t = 0; t < ps->T; t++)
            for (int h = 0; h < nh; h++) {
                const float *src = b->qkv + t * 3 * qs + (size_t)h * 3 * D;
                memcpy(b->q + t * qs + (size_t)h * D, src, (size_t)D * sizeof(float));
                memcpy(b->k + t * ks + (size_t)h * D, src + D, (size_t)D * sizeof(float));
                memcpy(b->v + t * ks + (size_t)h * D, src + 2 * D, (size_t)D * sizeof(float));
            }
    } else {
        lin(ps, b->q, b->h, ANISO_ROLE_ATTN_Q, ANISO_ROLE_ATTN_Q_B, l, H, nh * D);
        lin(ps, b->k, b->h, ANISO_ROLE_ATTN_K, ANISO_ROLE_ATTN_K_B, l, H, nkv * D);
        lin(ps, b->v, b->h, ANISO_ROLE_ATTN_V, ANISO_ROLE_ATTN_V_B, l, H, nkv * D);
    }
    const aniso_tensor *qn = aniso_model_weight(m, ANISO_ROLE_ATTN_Q_NORM, l);
    if (qn) {
        /* RMSNorms of q and k before RoPE, in the family's norm kind: per
         * head when the weight has d_head elements (Gemma 3, Qwen3), else
         * over the whole projection (OLMo 2). */
        int gemma = aniso_arch_norm(hp->arch) == ANISO_NORM_RMS_GEMMA,
            per_head = qn->n_elem == (uint64_t)D;
        const float *wq = vecw(ps->p, ANISO_ROLE_ATTN_Q_NORM, l),
                    *wk = vecw(ps->p, ANISO_ROLE_ATTN_K_NORM, l);
        if (per_head) {
            rmsnorm(b->q, b->q, wq, T * nh, D, hp->norm_eps, gemma, ps->p->kern);
            rmsnorm(b->k, b->k, wk, T * nkv, D, hp->norm_eps, gemma, ps->p->kern);
        } else {
            rmsnorm(b->q, b->q, wq, T, nh * D, hp->norm_eps, gemma, ps->p->kern);
            rmsnorm(b->k, b->k, wk, T, nkv * D, hp->norm_eps, gemma, ps->p->kern);
        }
    }
    double t_start = 0;
#ifdef _OPENMP
    t_start = omp_get_wtime();
#endif
    int sliding = hp->sliding[l];
    float scale = (float)(hp->attn_scale / (hp->attn_scale_by_layer ? l + 1 : 1));
    for (size_t pr = 0; pr < ps->b->n_prompts; pr++) {
        size_t t0 = ps->b->offsets[pr], Tp = ps->b->offsets[pr + 1] - t0;
        const rope_table *rt = hp->n_rot ? rope_for(b, sliding ? 1 : 0, Tp) : NULL;
        int nt = ps->p->n_threads;
        /* repeat_kv: query head h reads kv head h / (nh / nkv). In one
         * thread team: each token's rotation on its own, then the kv heads'
         * keys and values packed once, then the query heads' panels (the
         * last, longest, first), each on one thread with its own work. */
        const kernels *kern = ps->p->kern;
        size_t per = (size_t)(nh / nkv), nr = (size_t)kern->nr, panels = (Tp + nr - 1) / nr,
               items = attn_pack_items(kern, Tp, D), one = attn_kv_elems(kern, Tp, D),
               wsz = attn_work_elems(kern, ps->p->max_seq, D);
        int window = sliding ? hp->sliding_window : 0;
#pragma omp parallel num_threads(nt) if (nt > 1 && (size_t)nh * panels > 1)
        {
            int me = 0;
#ifdef _OPENMP
            me = omp_get_thread_num();
#endif
#pragma omp for schedule(static)
            for (size_t t = 0; t < (rt ? Tp : 0); t++) {
                for (int h = 0; h < nh; h++)
                    rope_apply(b->q + (t0 + t) * qs + (size_t)h * D, rt, hp->n_rot, t);
                for (int h = 0; h < nkv; h++)
                    rope_apply(b->k + (t0 + t) * ks + (size_t)h * D, rt, hp->n_rot, t);
            }
#pragma omp for schedule(static)
            for (size_t i = 0; i < (size_t)nkv * items; i++) {
                size_t g = i / items;
                attn_pack(b->kv + g * one, b->k + t0 * ks + g * D, b->v + t0 * ks + g * D, ks, Tp,
                          D, kern, i % items);
            }
#pragma omp for schedule(dynamic, 1)
            for (size_t i = 0; i < (size_t)nh * panels; i++) {
                size_t h = i % (size_t)nh, q0 = (panels - 1 - i / (size_t)nh) * nr;
                attend_panel(b->att + t0 * qs + h * D, b->q + t0 * qs + h * D, qs,
                             b->kv + h / per * one, Tp, D, q0, scale, (float)hp->softcap, window,
                             b->awork + (size_t)me * wsz, kern);
            }
        }
    }
#ifdef _OPENMP
    b->t_attn += omp_get_wtime() - t_start;
#endif
    lin(ps, b->o, b->att, ANISO_ROLE_ATTN_OUT, ANISO_ROLE_ATTN_OUT_B, l, nh * D, H);
}

/* MLP sublayer: from s->h to out. */
static void mlp(pass *ps, int l, float *out)
{
    const aniso_hparams *hp = ps->hp;
    aniso_state *b = ps->s;
    int H = hp->d_model, F = hp->d_ff;
    size_t n = ps->T * (size_t)F;
    lin(ps, b->u, b->h, ANISO_ROLE_FFN_UP, ANISO_ROLE_FFN_UP_B, l, H, F);
    if (aniso_model_weight(ps->p->m, ANISO_ROLE_FFN_GATE, l)) {
        lin(ps, b->g, b->h, ANISO_ROLE_FFN_GATE, ANISO_ROLE_FFN_GATE_B, l, H, F);
        act_apply(b->g, b->g, b->u, n, hp->act, ps->p->kern);
    } else {
        act_apply(b->g, b->u, NULL, n, hp->act, ps->p->kern);
    }
    lin(ps, out, b->g, ANISO_ROLE_FFN_DOWN, ANISO_ROLE_FFN_DOWN_B, l, F, H);
}

static void block(pass *ps, int l)
{
    const aniso_model *m = ps->p->m;
    aniso_state *b = ps->s;
    size_t n = ps->T * (size_t)ps->hp->d_model;
    norm(ps, b->h, b->x, ANISO_ROLE_ATTN_NORM, ANISO_ROLE_ATTN_NORM_B, l);
    attention(ps, l);
    if (aniso_model_weight(m, ANISO_ROLE_ATTN_POST_NORM, l))
        norm(ps, b->o, b->o, ANISO_ROLE_ATTN_POST_NORM, ANISO_ROLE_COUNT, l);
    if (ps->hp->parallel_residual) {
        /* x = (mlp(ln2(x)) + attn(ln1(x))) + x */
        norm(ps, b->h, b->x, ANISO_ROLE_FFN_NORM, ANISO_ROLE_FFN_NORM_B, l);
        mlp(ps, l, b->o2);
        add_inplace(b->o2, b->o, n);
        add_inplace(b->x, b->o2, n);
        return;
    }
    add_inplace(b->x, b->o, n);
    norm(ps, b->h, b->x, ANISO_ROLE_FFN_NORM, ANISO_ROLE_FFN_NORM_B, l);
    mlp(ps, l, b->o);
    if (aniso_model_weight(m, ANISO_ROLE_FFN_POST_NORM, l))
        norm(ps, b->o, b->o, ANISO_ROLE_FFN_POST_NORM, ANISO_ROLE_COUNT, l);
    add_inplace(b->x, b->o, n);
}

static aniso_status check_batch(const aniso_plan *p, const aniso_batch *b, aniso_error *err)
{
    if (b->n_prompts == 0 || b->offsets[0] != 0)
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT, "forward: no sequences");
    for (size_t i = 0; i < b->n_prompts; i++) {
        if (b->offsets[i + 1] <= b->offsets[i])
            return aniso_error_set(err, ANISO_INVALID_ARGUMENT, "forward: sequence %zu is empty",
                                   i);
        size_t len = b->offsets[i + 1] - b->offsets[i];
        if (len > p->max_seq)
            return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                   "forward: sequence %zu has %zu tokens, more than the plan's %zu",
                                   i, len, p->max_seq);
        const aniso_tensor *P = aniso_model_weight(p->m, ANISO_ROLE_POS_EMBD, 0);
        if (P && (int64_t)len > P->shape[0])
            return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                   "forward: sequence %zu has %zu tokens, more than the model's "
                                   "%lld learned positions",
                                   i, len, (long long)P->shape[0]);
    }
    size_t T = b->offsets[b->n_prompts];
    if (T > p->max_tokens)
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                               "forward: the chunk has %zu tokens, more than the plan's %zu", T,
                               p->max_tokens);
    const aniso_tensor *E = aniso_model_weight(p->m, ANISO_ROLE_TOK_EMBD, 0);
    for (size_t t = 0; t < T; t++)
        if (b->ids[t] < 0 || (int64_t)b->ids[t] >= E->shape[0])
            return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                   "forward: token id %d is outside the embedding (%lld rows)",
                                   b->ids[t], (long long)E->shape[0]);
    return ANISO_OK;
}

/* Whether the states x of tap `tap` are all finite; else the error, naming
 * the first non-finite value's token and dimension. */
static aniso_status check_hidden(const pass *ps, const float *x, int tap)
{
    size_t H = (size_t)ps->hp->d_model, n = ps->T * H, i = first_nonfinite(x, n);
    if (i == n) return ANISO_OK;
    int L = ps->hp->n_layer;
    size_t t = i / H, seq = 0;
    while (ps->b->offsets[seq + 1] <= t) seq++;
    return aniso_error_set(ps->err, ANISO_UNSUPPORTED,
                           "%s: the hidden states of layer %d%s are not finite (%s at token %zu of "
                           "sequence %zu, dimension %zu): float32 overflowed",
                           aniso_model_dir(ps->p->m), tap > L ? L : tap,
                           tap == L       ? " (the last block's output, before the final norm)"
                           : tap == L + 1 ? " (after the final norm)"
                                          : "",
                           nonfinite_name(x[i]), t - ps->b->offsets[seq], seq, i % H);
}

aniso_status aniso_run(const aniso_plan *p, aniso_state *s, const aniso_batch *b, aniso_tap_fn tap,
                       void *user, aniso_error *err)
{
    const aniso_hparams *hp = p->hp;
    aniso_status st;
    if (s->p != p)
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT, "forward: the state is another plan's");
    if ((st = check_batch(p, b, err))) return st;
    pass ps = {p, hp, s, b, b->offsets[b->n_prompts], ANISO_OK, err};
    int H = hp->d_model, L = hp->n_layer;
#ifdef _OPENMP
    int omp_before = omp_get_max_threads();
    omp_set_num_threads(p->n_threads);
#endif
    /* the taps' BLAS calls (the moments) on the plan's threads too: their
     * rounding depends on BLAS's thread count */
    int blas_before = ops_get_threads();
    ops_set_threads(p->n_threads);
    /* hidden_states[0]: the embedding rows, times the family's scale. */
    const aniso_tensor *E = aniso_model_weight(p->m, ANISO_ROLE_TOK_EMBD, 0);
    /* Learned absolute positions (GPT-2) are added: x = wte[id] + wpe[pos]. */
    const aniso_tensor *P = aniso_model_weight(p->m, ANISO_ROLE_POS_EMBD, 0);
    /* The embedding's rows are checked as they are read (only the rows a
     * chunk uses are converted). */
    for (size_t pr = 0; pr < b->n_prompts && !st; pr++)
        for (size_t t = b->offsets[pr]; t < b->offsets[pr + 1] && !st; t++) {
            float *row = s->x + t * (size_t)H;
            size_t id = (size_t)b->ids[t], pos = t - b->offsets[pr], i;
            to_f32(row, E, id * (size_t)H, (size_t)H);
            if ((i = first_nonfinite(row, (size_t)H)) < (size_t)H) {
                st = weight_error(p->m, ANISO_ROLE_TOK_EMBD, 0, id, i, (size_t)H, row[i], err);
                break;
            }
            if (hp->embd_scale != 1.0)
                for (int j = 0; j < H; j++) row[j] *= (float)hp->embd_scale;
            if (P) {
                to_f32(s->h, P, pos * (size_t)H, (size_t)H);
                if ((i = first_nonfinite(s->h, (size_t)H)) < (size_t)H) {
                    st =
                        weight_error(p->m, ANISO_ROLE_POS_EMBD, 0, pos, i, (size_t)H, s->h[i], err);
                    break;
                }
                for (int j = 0; j < H; j++) row[j] += s->h[j];
            }
        }
    /* Every layer's states are checked before a tap sees them. */
    aniso_error terr;
    aniso_error_clear(&terr);
    int stop = 0;
    if (!st && !(st = check_hidden(&ps, s->x, 0)))
        stop = p->taps[0] && tap(user, 0, s->x, ps.T, H, &terr);
    for (int l = 0; l < p->n_blocks && !stop && !st; l++) {
        block(&ps, l);
        if (!(st = ps.st ? ps.st : check_hidden(&ps, s->x, l + 1)))
            stop = p->taps[l + 1] && tap(user, l + 1, s->x, ps.T, H, &terr);
    }
    if (!stop && !st && p->taps[L + 1]) {
        norm(&ps, s->h, s->x, ANISO_ROLE_OUT_NORM, ANISO_ROLE_OUT_NORM_B, 0);
        if (!(st = check_hidden(&ps, s->h, L + 1))) stop = tap(user, L + 1, s->h, ps.T, H, &terr);
    }
#ifdef _OPENMP
    omp_set_num_threads(omp_before);
#endif
    ops_set_threads(blas_before);
    if (st) return st;
    if (stop)
        return aniso_error_set(err, terr.code ? terr.code : ANISO_INVALID_ARGUMENT, "%s",
                               terr.msg[0] ? terr.msg : "forward: stopped by the caller");
    return ANISO_OK;
}

/* ---- Hidden-state policies and the one-shot pass ---- */

static const char *const policy_names[] = {"hf", "raw", "both"};

const char *aniso_last_layer_name(aniso_last_layer policy)
{
    return (unsigned)policy <= ANISO_LAST_BOTH ? policy_names[policy] : "hf";
}

int aniso_last_layer_parse(const char *name, aniso_last_layer *out)
{
    for (int i = 0; i <= ANISO_LAST_BOTH; i++)
        if (!strcmp(name, policy_names[i])) {
            *out = (aniso_last_layer)i;
            return 0;
        }
    return -1;
}

int aniso_hidden_count(int n_layer, aniso_last_layer policy)
{
    return n_layer + (policy == ANISO_LAST_BOTH ? 2 : 1);
}

int aniso_hidden_tap(int n_layer, aniso_last_layer policy, int i)
{
    if (i < n_layer) return i;
    if (i == n_layer) return policy == ANISO_LAST_RAW ? n_layer : n_layer + 1;
    return n_layer; /* BOTH: the raw one after transformers' */
}

typedef struct oneshot {
    const aniso_forward_opts *o;
    int n_layer;
    int order[ANISO_MAX_LAYERS + 2]; /* hidden-state layer of each tap, -1: none */
    /* BOTH delivers tap L (raw) after tap L + 1: it is kept until then */
    float *raw;
    size_t n_tok;
} oneshot;

static int oneshot_tap(void *user, int tap, const float *x, size_t n_tok, int d, aniso_error *err)
{
    oneshot *os = user;
    const aniso_forward_opts *o = os->o;
    if (o->progress && tap >= 1 && tap <= os->n_layer)
        o->progress(o->progress_user, tap, os->n_layer);
    if (os->raw && tap == os->n_layer) {
        memcpy(os->raw, x, n_tok * (size_t)d * sizeof *x);
        return 0;
    }
    int layer = os->order[tap];
    if (layer >= 0 && o->tap && o->tap(o->tap_user, layer, x, n_tok, d, err)) return 1;
    if (os->raw && tap == os->n_layer + 1 && o->tap)
        return o->tap(o->tap_user, os->n_layer + 1, os->raw, n_tok, d, err);
    return 0;
}

size_t aniso_max_seq_len(const aniso_hparams *hp)
{
    /* a dynamic rope is made for longer sequences: its base grows past
     * max_position_embeddings */
    int dynamic = hp->n_rot && hp->rope.type == ANISO_ROPE_DYNAMIC &&
                  hp->rope_local.type == ANISO_ROPE_DYNAMIC;
    return hp->n_pos > 0 && !dynamic ? (size_t)hp->n_pos : 0;
}

aniso_status aniso_forward(const aniso_model *m, const aniso_batch *b, const aniso_forward_opts *o,
                           aniso_error *err)
{
    const aniso_hparams *hp = aniso_model_hparams(m);
    if (b->n_prompts == 0 || b->offsets[0] != 0)
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT, "forward: no prompts");
    aniso_forward_opts none = {0};
    if (!o) o = &none;
    size_t max_seq = 1, T = b->offsets[b->n_prompts], lim = aniso_max_seq_len(hp);
    for (size_t i = 0; i < b->n_prompts; i++) {
        size_t len = b->offsets[i + 1] > b->offsets[i] ? b->offsets[i + 1] - b->offsets[i] : 0;
        if (len > max_seq) max_seq = len;
        if (lim && len > lim && !o->allow_long_seq)
            return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                   "%s: prompt %zu has %zu tokens, more than the model's %zu "
                                   "positions (max_position_embeddings); shorten it, or measure "
                                   "long text in windows with --corpus FILE --context N (N at "
                                   "most %zu)",
                                   aniso_model_dir(m), i, len, lim, lim);
    }
    size_t T_plan = T > max_seq ? T : max_seq;
    uint64_t bytes = forward_bytes(m, T_plan, max_seq, o->n_threads);
    if (o->last_layer == ANISO_LAST_BOTH) bytes += ((uint64_t)T + 1) * (uint64_t)hp->d_model * 4;
    aniso_status st = mem_check("forward", bytes, NULL, o->max_memory, err);
    if (st) return st;
    int L = hp->n_layer;
    aniso_last_layer pol = o->last_layer;
    oneshot os = {.o = o, .n_layer = L};
    unsigned char taps[ANISO_MAX_LAYERS + 2];
    for (int t = 0; t <= L + 1; t++) os.order[t] = -1;
    for (int i = 0; i < aniso_hidden_count(L, pol); i++) {
        int t = aniso_hidden_tap(L, pol, i);
        if (os.order[t] < 0) os.order[t] = i;
    }
    if (pol == ANISO_LAST_BOTH) os.order[L] = -1;
    for (int t = 0; t <= L + 1; t++) taps[t] = os.order[t] >= 0 || (t >= 1 && t <= L);
    aniso_plan_opts po = {
        .n_threads = o->n_threads, .max_tokens = T_plan, .max_seq = max_seq, .taps = taps};
    aniso_plan *p = aniso_plan_new(m, &po, err);
    aniso_state *s = p ? aniso_state_new(p, err) : NULL;
    st = ANISO_NO_MEMORY;
    if (s && pol == ANISO_LAST_BOTH &&
        !(os.raw = malloc((T + 1) * (size_t)hp->d_model * sizeof *os.raw)))
        aniso_error_set(err, ANISO_NO_MEMORY, "forward: out of memory for %zu tokens", T);
    else if (s)
        st = aniso_run(p, s, b, oneshot_tap, &os, err);
    if (!p || !s) st = err ? err->code : ANISO_NO_MEMORY;
    free(os.raw);
    aniso_state_free(s);
    aniso_plan_free(p);
    return st;
}
