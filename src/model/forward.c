/* forward.c - one transformer forward pass for every supported family.
 *
 * Dimensions: T = tokens of all prompts packed, H = d_model, nh/nkv heads of
 * D = d_head, F = d_ff. The linear layers run on all T rows at once; attention
 * runs per prompt. Family differences come from the hyper-parameters and the
 * weight table (which roles exist), never from a copy of this function:
 *   norm kind (RMS, Gemma RMS, LayerNorm), sandwich norms (post-attention /
 *   post-FFN norm weights present), fused QKV (GPT-NeoX), q/k norms (Gemma 3),
 *   parallel residual (GPT-NeoX), gated or plain MLP (gate weight present).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aniso/forward.h"
#include "base/base.h"
#include "model/ops.h"

#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct rope_table {
    float *cos, *sin; /* (max_len, n_rot / 2) */
} rope_table;

void aniso_rope_inv_freq(const aniso_rope *rp, int n_rot, float *inv)
{
    int half = n_rot / 2;
    for (int i = 0; i < half; i++) {
        float e = (float)(2 * i) / (float)n_rot;
        inv[i] = 1.0f / powf((float)rp->theta, e);
        if (rp->type == ANISO_ROPE_LINEAR) {
            inv[i] = inv[i] / (float)rp->factor;
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

/* The angle tables: angle = fp32(inv_freq[i] * fp32(pos)). */
static int rope_build(rope_table *r, const aniso_rope *rp, int n_rot, size_t max_len)
{
    int half = n_rot / 2;
    r->cos = malloc((max_len * (size_t)half + 1) * sizeof(float));
    r->sin = malloc((max_len * (size_t)half + 1) * sizeof(float));
    if (!r->cos || !r->sin) return -1;
    float *inv = malloc(((size_t)half + 1) * sizeof *inv);
    if (!inv) return -1;
    aniso_rope_inv_freq(rp, n_rot, inv);
    for (size_t t = 0; t < max_len; t++)
        for (int i = 0; i < half; i++) {
            float a = inv[i] * (float)t;
            r->cos[t * (size_t)half + (size_t)i] = (float)cos((double)a);
            r->sin[t * (size_t)half + (size_t)i] = (float)sin((double)a);
        }
    free(inv);
    return 0;
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

/* Working buffers, allocated once before the pass. */
typedef struct bufs {
    float *x;      /* (T, H) residual stream */
    float *h;      /* (T, H) normed input of a sublayer */
    float *q;      /* (T, nh*D) */
    float *k, *v;  /* (T, nkv*D) */
    float *qkv;    /* (T, 3*nh*D) fused projections (GPT-NeoX) */
    float *att;    /* (T, nh*D) attention output before o_proj */
    float *o;      /* (T, H) a sublayer's output */
    float *o2;     /* (T, H) the MLP output of a parallel block */
    float *g, *u;  /* (T, F) */
    float *wbuf;   /* the largest weight matrix, as float32 */
    float *vec[6]; /* small weights (norms, biases) as float32, max(F, 3*nh*D, H) each */
    float *scores; /* (n_threads, max_len) */
} bufs;

static void bufs_free(bufs *b)
{
    float **all[] = {&b->x, &b->h,  &b->q, &b->k, &b->v,    &b->qkv,   &b->att,
                     &b->o, &b->o2, &b->g, &b->u, &b->wbuf, &b->scores};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) free(*all[i]);
    for (int i = 0; i < 6; i++) free(b->vec[i]);
}

/* A small weight (norm weight or bias) as float32 in slot k of b->vec, or NULL. */
static const float *vecw(bufs *b, int k, const aniso_model *m, aniso_role role, int layer)
{
    const aniso_tensor *t = aniso_model_weight(m, role, layer);
    if (!t) return NULL;
    rows_f32(b->vec[k], t, 0, t->n_elem, 1); /* a bias's elements are rows of length 1 */
    return b->vec[k];
}

static void norm(bufs *b, float *y, const float *x, const aniso_model *m, aniso_role w_role,
                 aniso_role b_role, int layer, int T, int n)
{
    const aniso_hparams *hp = aniso_model_hparams(m);
    const float *w = vecw(b, 0, m, w_role, layer);
    aniso_norm kind = aniso_arch_norm(hp->arch);
    if (kind == ANISO_NORM_LAYER)
        layernorm(y, x, w, vecw(b, 1, m, b_role, layer), T, n, hp->norm_eps);
    else
        rmsnorm(y, x, w, T, n, hp->norm_eps, kind == ANISO_NORM_RMS_GEMMA);
}

static void lin(bufs *b, float *y, const float *x, const aniso_model *m, aniso_role w_role,
                aniso_role b_role, int layer, int T, int n_in, int n_out)
{
    const aniso_tensor *W = aniso_model_weight(m, w_role, layer);
    linear(y, x, W, vecw(b, 2, m, b_role, layer), T, n_in, n_out, b->wbuf);
}

/* Causal (and windowed) softmax attention of one prompt, all heads. q, k, v
 * rows are the prompt's tokens; q is (Tp, nh*D), k and v (Tp, nkv*D). */
static void attend(float *out, const float *q, const float *k, const float *v, size_t Tp,
                   const aniso_hparams *hp, int window, float *scores, int n_threads,
                   size_t max_len)
{
    int nh = hp->n_head, nkv = hp->n_head_kv, D = hp->d_head, group = nh / nkv;
    size_t qs = (size_t)nh * D, ks = (size_t)nkv * D;
    float scale = (float)hp->attn_scale, cap = (float)hp->softcap;
    (void)n_threads;
#pragma omp parallel for schedule(dynamic) collapse(2)
    for (int h = 0; h < nh; h++)
        for (size_t t = 0; t < Tp; t++) {
            int tid = 0;
#ifdef _OPENMP
            tid = omp_get_thread_num();
#endif
            float *sc = scores + (size_t)tid * max_len;
            const float *qt = q + t * qs + (size_t)h * D;
            int g = h / group; /* repeat_kv: query head h reads kv head h / (nh / nkv) */
            size_t lo = window > 0 && t + 1 > (size_t)window ? t + 1 - (size_t)window : 0;
            float mx = -INFINITY;
            for (size_t s = lo; s <= t; s++) {
                const float *ks_ = k + s * ks + (size_t)g * D;
                double dot = 0;
                for (int i = 0; i < D; i++) dot += (double)qt[i] * ks_[i];
                float x = (float)dot * scale;
                if (cap > 0) x = cap * tanhf(x / cap);
                sc[s] = x;
                if (x > mx) mx = x;
            }
            double sum = 0;
            for (size_t s = lo; s <= t; s++) {
                sc[s] = expf(sc[s] - mx);
                sum += sc[s];
            }
            float inv = (float)(1.0 / sum);
            float *o = out + t * qs + (size_t)h * D;
            for (int i = 0; i < D; i++) {
                double acc = 0;
                for (size_t s = lo; s <= t; s++)
                    acc += (double)(sc[s] * inv) * v[s * ks + (size_t)g * D + i];
                o[i] = (float)acc;
            }
        }
}

typedef struct pass {
    const aniso_model *m;
    const aniso_hparams *hp;
    const aniso_batch *b;
    bufs bf;
    rope_table rope, rope_local;
    size_t T, max_len;
    int n_threads;
} pass;

/* Attention sublayer: from the normed input p->bf.h to p->bf.o. */
static void attention(pass *p, int l)
{
    const aniso_model *m = p->m;
    const aniso_hparams *hp = p->hp;
    bufs *b = &p->bf;
    int T = (int)p->T, H = hp->d_model, nh = hp->n_head, nkv = hp->n_head_kv, D = hp->d_head;
    size_t qs = (size_t)nh * D, ks = (size_t)nkv * D;
    if (aniso_model_weight(m, ANISO_ROLE_ATTN_QKV, l)) {
        /* GPT-NeoX: rows viewed as (nh, 3, D): head h is [q | k | v]. */
        lin(b, b->qkv, b->h, m, ANISO_ROLE_ATTN_QKV, ANISO_ROLE_ATTN_QKV_B, l, T, H, 3 * nh * D);
        for (size_t t = 0; t < p->T; t++)
            for (int h = 0; h < nh; h++) {
                const float *src = b->qkv + t * 3 * qs + (size_t)h * 3 * D;
                memcpy(b->q + t * qs + (size_t)h * D, src, (size_t)D * sizeof(float));
                memcpy(b->k + t * ks + (size_t)h * D, src + D, (size_t)D * sizeof(float));
                memcpy(b->v + t * ks + (size_t)h * D, src + 2 * D, (size_t)D * sizeof(float));
            }
    } else {
        lin(b, b->q, b->h, m, ANISO_ROLE_ATTN_Q, ANISO_ROLE_ATTN_Q_B, l, T, H, nh * D);
        lin(b, b->k, b->h, m, ANISO_ROLE_ATTN_K, ANISO_ROLE_ATTN_K_B, l, T, H, nkv * D);
        lin(b, b->v, b->h, m, ANISO_ROLE_ATTN_V, ANISO_ROLE_ATTN_V_B, l, T, H, nkv * D);
    }
    if (aniso_model_weight(m, ANISO_ROLE_ATTN_Q_NORM, l)) {
        /* Gemma 3: per-head RMSNorm of q and k, before RoPE. */
        const float *qn = vecw(b, 3, m, ANISO_ROLE_ATTN_Q_NORM, l);
        const float *kn = vecw(b, 4, m, ANISO_ROLE_ATTN_K_NORM, l);
        rmsnorm(b->q, b->q, qn, T * nh, D, hp->norm_eps, 1);
        rmsnorm(b->k, b->k, kn, T * nkv, D, hp->norm_eps, 1);
    }
    int sliding = hp->sliding[l];
    const rope_table *rt = sliding ? &p->rope_local : &p->rope;
    for (size_t pr = 0; pr < p->b->n_prompts; pr++) {
        size_t t0 = p->b->offsets[pr], Tp = p->b->offsets[pr + 1] - t0;
        for (size_t t = 0; t < Tp; t++) {
            for (int h = 0; h < nh; h++)
                rope_apply(b->q + (t0 + t) * qs + (size_t)h * D, rt, hp->n_rot, t);
            for (int h = 0; h < nkv; h++)
                rope_apply(b->k + (t0 + t) * ks + (size_t)h * D, rt, hp->n_rot, t);
        }
        attend(b->att + t0 * qs, b->q + t0 * qs, b->k + t0 * ks, b->v + t0 * ks, Tp, hp,
               sliding ? hp->sliding_window : 0, b->scores, p->n_threads, p->max_len);
    }
    lin(b, b->o, b->att, m, ANISO_ROLE_ATTN_OUT, ANISO_ROLE_ATTN_OUT_B, l, T, nh * D, H);
}

/* MLP sublayer: from p->bf.h to out. */
static void mlp(pass *p, int l, float *out)
{
    const aniso_model *m = p->m;
    const aniso_hparams *hp = p->hp;
    bufs *b = &p->bf;
    int T = (int)p->T, H = hp->d_model, F = hp->d_ff;
    size_t n = p->T * (size_t)F;
    lin(b, b->u, b->h, m, ANISO_ROLE_FFN_UP, ANISO_ROLE_FFN_UP_B, l, T, H, F);
    if (aniso_model_weight(m, ANISO_ROLE_FFN_GATE, l)) {
        lin(b, b->g, b->h, m, ANISO_ROLE_FFN_GATE, ANISO_ROLE_FFN_GATE_B, l, T, H, F);
        act_apply(b->g, b->g, b->u, n, hp->act);
    } else {
        act_apply(b->g, b->u, NULL, n, hp->act);
    }
    lin(b, out, b->g, m, ANISO_ROLE_FFN_DOWN, ANISO_ROLE_FFN_DOWN_B, l, T, F, H);
}

static void block(pass *p, int l)
{
    const aniso_model *m = p->m;
    bufs *b = &p->bf;
    int T = (int)p->T, H = p->hp->d_model;
    size_t n = p->T * (size_t)H;
    norm(b, b->h, b->x, m, ANISO_ROLE_ATTN_NORM, ANISO_ROLE_ATTN_NORM_B, l, T, H);
    attention(p, l);
    if (aniso_model_weight(m, ANISO_ROLE_ATTN_POST_NORM, l))
        norm(b, b->o, b->o, m, ANISO_ROLE_ATTN_POST_NORM, ANISO_ROLE_COUNT, l, T, H);
    if (p->hp->arch == ANISO_ARCH_GPTNEOX && p->hp->parallel_residual) {
        /* x = (mlp(ln2(x)) + attn(ln1(x))) + x */
        norm(b, b->h, b->x, m, ANISO_ROLE_FFN_NORM, ANISO_ROLE_FFN_NORM_B, l, T, H);
        mlp(p, l, b->o2);
        add_inplace(b->o2, b->o, n);
        add_inplace(b->x, b->o2, n);
        return;
    }
    add_inplace(b->x, b->o, n);
    norm(b, b->h, b->x, m, ANISO_ROLE_FFN_NORM, ANISO_ROLE_FFN_NORM_B, l, T, H);
    mlp(p, l, b->o);
    if (aniso_model_weight(m, ANISO_ROLE_FFN_POST_NORM, l))
        norm(b, b->o, b->o, m, ANISO_ROLE_FFN_POST_NORM, ANISO_ROLE_COUNT, l, T, H);
    add_inplace(b->x, b->o, n);
}

static size_t max_weight_elems(const aniso_model *m)
{
    size_t mx = 0;
    const aniso_hparams *hp = aniso_model_hparams(m);
    for (int r = 0; r < ANISO_ROLE_COUNT; r++)
        for (int l = 0; l < hp->n_layer; l++) {
            const aniso_tensor *t = aniso_model_weight(m, (aniso_role)r, l);
            if (t && r != ANISO_ROLE_TOK_EMBD && r != ANISO_ROLE_LM_HEAD &&
                linear_buffer_elems(t) > mx)
                mx = linear_buffer_elems(t);
        }
    return mx;
}

static int alloc_bufs(pass *p)
{
    const aniso_hparams *hp = p->hp;
    size_t T = p->T ? p->T : 1, H = (size_t)hp->d_model, Q = (size_t)hp->n_head * hp->d_head,
           KV = (size_t)hp->n_head_kv * hp->d_head, F = (size_t)hp->d_ff;
    size_t big = F > 3 * Q ? F : 3 * Q;
    if (H > big) big = H;
    bufs *b = &p->bf;
    b->x = malloc(T * H * 4);
    b->h = malloc(T * H * 4);
    b->q = malloc(T * Q * 4);
    b->k = malloc(T * KV * 4);
    b->v = malloc(T * KV * 4);
    b->qkv = malloc(T * 3 * Q * 4);
    b->att = malloc(T * Q * 4);
    b->o = malloc(T * H * 4);
    b->o2 = malloc(T * H * 4);
    b->g = malloc(T * F * 4);
    b->u = malloc(T * F * 4);
    b->wbuf = malloc((max_weight_elems(p->m) + 1) * 4);
    b->scores = malloc((size_t)p->n_threads * (p->max_len + 1) * 4);
    for (int i = 0; i < 6; i++)
        if (!(b->vec[i] = malloc(big * 4))) return -1;
    float *all[] = {b->x, b->h,  b->q, b->k, b->v,    b->qkv,   b->att,
                    b->o, b->o2, b->g, b->u, b->wbuf, b->scores};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!all[i]) return -1;
    return 0;
}

aniso_status aniso_forward(const aniso_model *m, const aniso_batch *b, const aniso_forward_opts *o,
                           aniso_error *err)
{
    const aniso_hparams *hp = aniso_model_hparams(m);
    pass p = {.m = m, .hp = hp, .b = b};
    aniso_status st = ANISO_OK;
    int H = hp->d_model;
    p.n_threads = o && o->n_threads > 0 ? o->n_threads : 1;
#ifdef _OPENMP
    if (!(o && o->n_threads > 0)) p.n_threads = omp_get_max_threads();
    omp_set_num_threads(p.n_threads);
#endif
    ops_set_threads(p.n_threads);
    if (b->n_prompts == 0 || b->offsets[0] != 0)
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT, "forward: no prompts");
    for (size_t i = 0; i < b->n_prompts; i++) {
        if (b->offsets[i + 1] <= b->offsets[i])
            return aniso_error_set(err, ANISO_INVALID_ARGUMENT, "forward: prompt %zu is empty", i);
        size_t len = b->offsets[i + 1] - b->offsets[i];
        if (len > p.max_len) p.max_len = len;
    }
    p.T = b->offsets[b->n_prompts];
    const aniso_tensor *E = aniso_model_weight(m, ANISO_ROLE_TOK_EMBD, 0);
    for (size_t t = 0; t < p.T; t++)
        if (b->ids[t] < 0 || (int64_t)b->ids[t] >= E->shape[0])
            return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                   "forward: token id %d is outside the embedding (%lld rows)",
                                   b->ids[t], (long long)E->shape[0]);
    if (alloc_bufs(&p) || rope_build(&p.rope, &hp->rope, hp->n_rot, p.max_len) ||
        rope_build(&p.rope_local, &hp->rope_local, hp->n_rot, p.max_len)) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "forward: out of memory for %zu tokens", p.T);
        goto out;
    }
    /* hidden_states[0]: the embedding rows, times the family's scale. */
    for (size_t t = 0; t < p.T; t++) {
        float *row = p.bf.x + t * (size_t)H;
        to_f32(row, E, (size_t)b->ids[t] * (size_t)H, (size_t)H);
        if (hp->embd_scale != 1.0)
            for (int i = 0; i < H; i++) row[i] *= (float)hp->embd_scale;
    }
    aniso_error terr;
    aniso_error_clear(&terr);
    if (o && o->tap && o->tap(o->tap_user, 0, p.bf.x, p.T, H, &terr)) goto tap_failed;
    for (int l = 0; l < hp->n_layer; l++) {
        block(&p, l);
        if (l < hp->n_layer - 1) {
            if (o && o->tap && o->tap(o->tap_user, l + 1, p.bf.x, p.T, H, &terr)) goto tap_failed;
        } else {
            norm(&p.bf, p.bf.h, p.bf.x, m, ANISO_ROLE_OUT_NORM, ANISO_ROLE_OUT_NORM_B, 0, (int)p.T,
                 H);
            if (o && o->tap && o->tap(o->tap_user, l + 1, p.bf.h, p.T, H, &terr)) goto tap_failed;
        }
        if (o && o->progress) o->progress(o->progress_user, l + 1, hp->n_layer);
    }
    goto out;
tap_failed:
    st = aniso_error_set(err, terr.code ? terr.code : ANISO_INVALID_ARGUMENT, "%s",
                         terr.msg[0] ? terr.msg : "forward: stopped by the caller");
out:
    bufs_free(&p.bf);
    rope_free(&p.rope);
    rope_free(&p.rope_local);
    return st;
}
