/* figures.c - the notebook's figures, drawn with PLplot's cairo PNG driver at
 * 150 dpi: the 2 x 3 anisotropy profile, the eigenvalue spectrum at key
 * layers, the norm analysis, and the multi-model comparison. */
#include <math.h>
#include <plplot/plplot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "report/figures.h"

/* Colour slots of cmap0 that the figures set up. */
enum { C_BG = 0, C_FG, C_BLUE, C_GREEN, C_MAGENTA, C_RED, C_CYAN, C_GREY, C_FILL, C_SERIES };

static const unsigned char palette[][3] = {
    {255, 255, 255}, {0, 0, 0},      {31, 119, 180},  {44, 160, 44},  {200, 0, 200},
    {214, 39, 40},   {23, 190, 207}, {150, 150, 150}, {31, 119, 180},
};

/* Distinct colours for several series (spectrum layers, compared models). */
static const unsigned char series_colors[][3] = {
    {68, 1, 84},   {59, 82, 139},  {33, 145, 140},  {94, 201, 98}, {253, 231, 37},
    {214, 39, 40}, {255, 127, 14}, {148, 103, 189}, {140, 86, 75}, {227, 119, 194},
};
#define N_SERIES_COLORS 10

typedef struct fig {
    char *tmp;
    char *path;
} fig;

static int fig_open(fig *f, const char *path, int width, int height)
{
    size_t n = strlen(path);
    f->path = str_dup(path);
    f->tmp = malloc(n + 16);
    if (!f->path || !f->tmp) return -1;
    snprintf(f->tmp, n + 16, "%s.tmp.png", path);
    plsdev("pngcairo");
    plsfnam(f->tmp);
    plspage(150, 150, width, height, 0, 0);
    plscmap0n(C_SERIES + N_SERIES_COLORS);
    for (int i = 0; i < (int)(sizeof palette / sizeof palette[0]); i++)
        plscol0a(i, palette[i][0], palette[i][1], palette[i][2], i == C_FILL ? 0.3 : 1.0);
    for (int i = 0; i < N_SERIES_COLORS; i++)
        plscol0a(C_SERIES + i, series_colors[i][0], series_colors[i][1], series_colors[i][2], 1.0);
    plinit();
    plfontld(1);
    return 0;
}

static aniso_status fig_close(fig *f, aniso_error *err)
{
    plend();
    aniso_status st = ANISO_OK;
    if (rename(f->tmp, f->path) != 0) {
        remove(f->tmp);
        st = aniso_error_set(err, ANISO_IO, "%s: cannot write the figure", f->path);
    }
    free(f->tmp);
    free(f->path);
    return st;
}

typedef struct series {
    const double *x, *y;
    int n;
    int color;
    const char *label;
    const char *marker; /* a UTF-8 glyph drawn at each point, or NULL */
} series;

typedef struct panel {
    double vx0, vx1, vy0, vy1; /* viewport, normalised device coordinates */
    const char *title, *xlabel, *ylabel;
    int logy;
    double lstar; /* x of the dashed L* line; < -1e300 for none */
    const char *lstar_label;
    int legend;                      /* draw a legend of the series (and L*) */
    double hline;                    /* y of a dotted grey line; NAN for none */
    const double *band_lo, *band_hi; /* a shaded band around series 0, or NULL */
    int legend_below;                /* the legend under the panel, outside it */
} panel;

static void minmax(const series *s, int ns, int logy, double *x0, double *x1, double *y0,
                   double *y1)
{
    *x0 = *y0 = INFINITY;
    *x1 = *y1 = -INFINITY;
    for (int k = 0; k < ns; k++)
        for (int i = 0; i < s[k].n; i++) {
            double y = logy ? log10(s[k].y[i]) : s[k].y[i];
            if (!isfinite(y)) continue;
            if (s[k].x[i] < *x0) *x0 = s[k].x[i];
            if (s[k].x[i] > *x1) *x1 = s[k].x[i];
            if (y < *y0) *y0 = y;
            if (y > *y1) *y1 = y;
        }
    if (!isfinite(*y0)) *y0 = 0, *y1 = 1;
    if (!isfinite(*x0)) *x0 = 0, *x1 = 1;
    double pad = (*y1 - *y0) * 0.06;
    if (pad == 0) pad = fabs(*y0) * 0.05 + 0.05;
    *y0 -= pad;
    *y1 += pad;
    double xp = (*x1 - *x0) * 0.03;
    if (xp == 0) xp = 0.5;
    *x0 -= xp;
    *x1 += xp;
}

/* Draws one panel; fill_under (a series index or -1) is shaded down to the axis. */
static void draw_panel(const panel *p, const series *s, int ns, int fill_under)
{
    double x0, x1, y0, y1;
    if (p->band_lo) {
        series r[3] = {s[0], s[0], s[0]};
        r[1].y = p->band_lo;
        r[2].y = p->band_hi;
        minmax(r, 3, p->logy, &x0, &x1, &y0, &y1);
    } else {
        minmax(s, ns, p->logy, &x0, &x1, &y0, &y1);
    }
    if (fill_under >= 0 && !p->logy && y0 > 0) y0 = 0; /* fill_between(y) shades down to 0 */
    plvpor(p->vx0, p->vx1, p->vy0, p->vy1);
    plwind(x0, x1, y0, y1);
    plsxax(6, 0); /* plain tick labels, no "x10^k" scale factor */
    plsyax(6, 0);
    plschr(0, 0.55);
    plcol0(C_GREY);
    plwidth(0.5);
    plbox("g", 0, 0, p->logy ? "g" : "g", 0, 0);
    plcol0(C_FG);
    plwidth(1.0);
    if (p->logy) {
        /* Decade labels drawn here, every k-th decade when there are many
         * (PLplot's own log labels name every decade). */
        plbox("bcnst", 0, 0, "bcstl", 1, 0);
        int step = y1 - y0 > 7 ? (int)ceil((y1 - y0) / 6) : 1;
        for (int k = (int)ceil(y0); k <= (int)floor(y1); k++) {
            if (k % step) continue;
            char lab[32];
            snprintf(lab, sizeof lab, "10#u%d#d", k);
            plmtex("lv", 0.6, (k - y0) / (y1 - y0), 1.0, lab);
        }
    } else {
        plbox("bcnst", 0, 0, "bcnstv", 0, 0);
    }
    plschr(0, 0.62);
    plmtex("b", 2.6, 0.5, 0.5, p->xlabel);
    plmtex("l", 4.6, 0.5, 0.5, p->ylabel);
    plschr(0, 0.62);
    plmtex("t", 1.0, 0.5, 0.5, p->title);
    plschr(0, 0.55);
    if (p->band_lo && ns > 0) {
        int n = s[0].n;
        double *px = malloc(sizeof(double) * 2 * (size_t)n),
               *py = malloc(sizeof(double) * 2 * (size_t)n);
        for (int i = 0; i < n; i++) {
            px[i] = s[0].x[i], py[i] = p->band_hi[i];
            px[2 * n - 1 - i] = s[0].x[i], py[2 * n - 1 - i] = p->band_lo[i];
        }
        plcol0(C_FILL);
        plfill(2 * n, px, py);
        free(px), free(py);
    }
    double *ly = malloc(sizeof(double) * 4096);
    for (int k = 0; k < ns; k++) {
        int n = s[k].n < 4096 ? s[k].n : 4096;
        for (int i = 0; i < n; i++) ly[i] = p->logy ? log10(s[k].y[i]) : s[k].y[i];
        if (k == fill_under && n > 1) {
            double *fx = malloc(sizeof(double) * (size_t)(n + 2)),
                   *fy = malloc(sizeof(double) * (size_t)(n + 2));
            double base = y0 > 0 ? y0 : (y1 < 0 ? y1 : 0);
            for (int i = 0; i < n; i++) fx[i] = s[k].x[i], fy[i] = ly[i];
            fx[n] = s[k].x[n - 1], fy[n] = base;
            fx[n + 1] = s[k].x[0], fy[n + 1] = base;
            plcol0(C_FILL);
            plfill(n + 2, fx, fy);
            free(fx), free(fy);
        }
        plcol0(s[k].color);
        plwidth(2.0);
        plline(n, s[k].x, ly);
        if (s[k].marker) plstring(n, s[k].x, ly, s[k].marker);
    }
    free(ly);
    if (!isnan(p->hline)) {
        double hx[2] = {x0, x1}, hy[2] = {p->hline, p->hline};
        plcol0(C_GREY);
        pllsty(3);
        plwidth(1.0);
        plline(2, hx, hy);
        pllsty(1);
    }
    if (p->lstar > -1e300) {
        double lx[2] = {p->lstar, p->lstar}, lyy[2] = {y0, y1};
        plcol0(C_RED);
        pllsty(2);
        plwidth(2.0);
        plline(2, lx, lyy);
        pllsty(1);
    }
    plwidth(1.0);
    if (p->legend) {
        /* legend 1: the L* line only (as the notebook's single-series panels);
         * 2: every series and L*. */
        int first = p->legend == 1 ? ns : 0;
        int nl = (p->legend == 1 ? 0 : ns) + (p->lstar > -1e300 && p->lstar_label ? 1 : 0);
        PLINT opt[16], lcol[16], lsty[16], tcol[16], scol[16], snum[16];
        PLFLT lw[16], ss[16];
        const char *text[16], *sym[16];
        for (int j = 0; j < nl && j < 16; j++) {
            int k = first + j, is_l = k == ns;
            opt[j] = PL_LEGEND_LINE | (!is_l && s[k].marker ? PL_LEGEND_SYMBOL : 0);
            lcol[j] = is_l ? C_RED : s[k].color;
            lsty[j] = is_l ? 2 : 1;
            lw[j] = 2.0;
            tcol[j] = C_FG;
            scol[j] = lcol[j];
            ss[j] = 0.6;
            snum[j] = 1;
            text[j] = is_l ? p->lstar_label : s[k].label;
            sym[j] = !is_l && s[k].marker ? s[k].marker : "";
        }
        if (nl > 16) nl = 16;
        PLFLT w, h;
        plschr(0, 0.55);
        pllegend(&w, &h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
                 p->legend_below ? PL_POSITION_OUTSIDE | PL_POSITION_BOTTOM
                                 : PL_POSITION_INSIDE | PL_POSITION_TOP | PL_POSITION_RIGHT,
                 0.0, p->legend_below ? 0.16 : 0.02, 0.08, C_BG, C_GREY, 1, nl, 1, nl, opt, 0.6,
                 0.55, 1.6, 0.0, tcol, text, NULL, NULL, NULL, NULL, lcol, lsty, lw, scol, ss, snum,
                 sym);
    }
}

static void suptitle(const char *t)
{
    plvpor(0.0, 1.0, 0.0, 1.0);
    plwind(0, 1, 0, 1);
    plcol0(C_FG);
    plschr(0, 0.95);
    plmtex("t", -1.8, 0.5, 0.5, t);
    plschr(0, 1.0);
}

static void normalise(double *out, const double *v, int n, int invert)
{
    double mn = INFINITY, mx = -INFINITY;
    for (int i = 0; i < n; i++) mn = fmin(mn, v[i]), mx = fmax(mx, v[i]);
    for (int i = 0; i < n; i++) {
        double z = (v[i] - mn) / (mx - mn + 1e-10);
        out[i] = invert ? 1 - z : z;
    }
}

aniso_status figure_profile(const char *path, const char *title, const aniso_profile_result *r,
                            aniso_error *err)
{
    int n = r->n_measured;
    double *x = malloc(sizeof(double) * 8 * (size_t)n);
    if (!x) return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
    double *idr = x + n, *er = x + 2 * n, *cs = x + 3 * n, *ev = x + 4 * n, *cv = x + 5 * n,
           *nz = x + 6 * n, *tmp = x + 7 * n;
    for (int i = 0; i < n; i++) {
        x[i] = r->layer_ids ? r->layer_ids[i] : i;
        idr[i] = r->layers[i].intrinsic_dim_ratio;
        er[i] = r->layers[i].effective_rank;
        cs[i] = r->layers[i].avg_cos_sim_to_mean;
        ev[i] = r->layers[i].eigenvalue_variance;
        cv[i] = r->layers[i].norm_cv;
    }
    fig f;
    if (fig_open(&f, path, 2700, 1650)) {
        free(x);
        return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
    }
    pladv(0);
    char ls[64];
    snprintf(ls, sizeof ls, "L* = %d", r->analysis.L_star);
    double L = r->analysis.L_star;
    const double cx[3][2] = {{0.065, 0.315}, {0.39, 0.64}, {0.715, 0.965}};
    const double ry[2][2] = {{0.53, 0.86}, {0.07, 0.40}};
    series s1 = {x, idr, n, C_BLUE, "Intrinsic Dim Ratio", "●"};
    panel p1 = {
        cx[0][0], cx[0][1],    ry[0][0], ry[0][1], "Primary Anisotropy: Variance Concentration",
        "Layer",  "λ₁ / Σ λᵢ", 0,        L,        ls,
        1,        NAN,         NULL,     NULL,     0};
    draw_panel(&p1, &s1, 1, 0);
    series s2 = {x, er, n, C_GREEN, "Effective Rank", "■"};
    panel p2 = {cx[1][0],
                cx[1][1],
                ry[0][0],
                ry[0][1],
                "Effective Rank (lower = more anisotropic)",
                "Layer",
                "Effective Rank",
                0,
                L,
                ls,
                1,
                NAN,
                NULL,
                NULL,
                0};
    draw_panel(&p2, &s2, 1, -1);
    series s3 = {x, cs, n, C_MAGENTA, "Avg Cos Sim", "▲"};
    panel p3 = {cx[2][0],
                cx[2][1],
                ry[0][0],
                ry[0][1],
                "Directional Anisotropy",
                "Layer",
                "Avg Cosine Sim to Mean",
                0,
                L,
                ls,
                1,
                NAN,
                NULL,
                NULL,
                0};
    draw_panel(&p3, &s3, 1, -1);
    series s4 = {x, ev, n, C_RED, "Eigenvalue Variance", "◆"};
    panel p4 = {cx[0][0],
                cx[0][1],
                ry[1][0],
                ry[1][1],
                "Eigenvalue Variance",
                "Layer",
                "Var(λᵢ) [log scale]",
                1,
                L,
                ls,
                1,
                NAN,
                NULL,
                NULL,
                0};
    draw_panel(&p4, &s4, 1, -1);
    series s5 = {x, cv, n, C_CYAN, "Norm CV", "⬟"};
    panel p5 = {cx[1][0],
                cx[1][1],
                ry[1][0],
                ry[1][1],
                "Norm Coefficient of Variation",
                "Layer",
                "Norm CV (std/mean)",
                0,
                L,
                ls,
                1,
                NAN,
                NULL,
                NULL,
                0};
    draw_panel(&p5, &s5, 1, -1);
    normalise(nz, idr, n, 0);
    normalise(tmp, er, n, 1);
    double *nc = malloc(sizeof(double) * (size_t)n);
    normalise(nc, cs, n, 0);
    series s6[3] = {{x, nz, n, C_BLUE, "Intrinsic Dim Ratio", NULL},
                    {x, tmp, n, C_GREEN, "1 - Effective Rank (norm)", NULL},
                    {x, nc, n, C_MAGENTA, "Avg Cos Sim", NULL}};
    panel p6 = {cx[2][0],
                cx[2][1],
                ry[1][0],
                ry[1][1],
                "All Metrics Normalized",
                "Layer",
                "Normalized Value",
                0,
                L,
                ls,
                2,
                NAN,
                NULL,
                NULL,
                0};
    draw_panel(&p6, s6, 3, -1);
    char t[512];
    snprintf(t, sizeof t, "%s: Anisotropy Profile (%s, L* = %d)", title, r->normalization,
             r->analysis.L_star);
    suptitle(t);
    free(nc);
    free(x);
    return fig_close(&f, err);
}

aniso_status figure_spectrum(const char *path, const char *title, const aniso_profile_result *r,
                             aniso_error *err)
{
    fig f;
    if (fig_open(&f, path, 1800, 900))
        return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
    pladv(0);
    series s[5];
    char labels[5][32];
    double xs[ANISO_TOP_EIGS], ys[5][ANISO_TOP_EIGS];
    int ns = 0;
    for (int i = 0; i < ANISO_TOP_EIGS; i++) xs[i] = i;
    for (int k = 0; k < 5; k++) {
        int l = r->analysis.spectrum_layers[k], dup = 0;
        for (int j = 0; j < k; j++) dup |= r->analysis.spectrum_layers[j] == l;
        if (dup) continue; /* drawn once */
        int at = l;
        for (int i = 0; r->layer_ids && i < r->n_measured; i++)
            if (r->layer_ids[i] == l) at = i;
        const aniso_layer_metrics *m = &r->layers[at];
        double sum = 0;
        for (int i = 0; i < m->n_eig; i++) sum += m->eigenvalues[i];
        for (int i = 0; i < m->n_eig; i++) ys[ns][i] = m->eigenvalues[i] / sum;
        snprintf(labels[ns], sizeof labels[ns], "Layer %d", l);
        s[ns] =
            (series){xs, ys[ns], m->n_eig, C_SERIES + (k * 2) % N_SERIES_COLORS, labels[ns], NULL};
        ns++;
    }
    char t[512];
    snprintf(t, sizeof t, "%s: Eigenvalue Spectrum at Key Layers (L* = %d)", title,
             r->analysis.L_star);
    panel p = {0.09,
               0.96,
               0.12,
               0.86,
               t,
               "Eigenvalue Index",
               "Normalized Eigenvalue (log scale)",
               1,
               -INFINITY,
               NULL,
               2,
               NAN,
               NULL,
               NULL,
               0};
    draw_panel(&p, s, ns, -1);
    return fig_close(&f, err);
}

aniso_status figure_norms(const char *path, const char *title, const aniso_profile_result *r,
                          aniso_error *err)
{
    int n = r->n_measured;
    double *x = malloc(sizeof(double) * 5 * (size_t)n);
    if (!x) return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
    double *mn = x + n, *lo = x + 2 * n, *hi = x + 3 * n, *cv = x + 4 * n;
    for (int i = 0; i < n; i++) {
        x[i] = r->layer_ids ? r->layer_ids[i] : i;
        mn[i] = r->layers[i].mean_norm;
        lo[i] = mn[i] - r->layers[i].std_norm;
        hi[i] = mn[i] + r->layers[i].std_norm;
        cv[i] = r->layers[i].norm_cv;
    }
    fig f;
    if (fig_open(&f, path, 2100, 900)) {
        free(x);
        return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
    }
    pladv(0);
    char ls[64];
    snprintf(ls, sizeof ls, "L* = %d", r->analysis.L_star);
    double L = r->analysis.L_star;
    series s1 = {x, mn, n, C_BLUE, "Mean norm", "●"};
    panel p1 = {0.08,
                0.47,
                0.12,
                0.78,
                "Mean Embedding Norm (+/- 1 std)",
                "Layer",
                "Embedding Norm",
                0,
                L,
                ls,
                1,
                NAN,
                lo,
                hi,
                0};
    draw_panel(&p1, &s1, 1, -1);
    series s2 = {x, cv, n, C_GREEN, "Norm CV", "■"};
    panel p2 = {0.56,
                0.96,
                0.12,
                0.78,
                "Norm Coefficient of Variation (low = more uniform norms)",
                "Layer",
                "CV = std/mean",
                0,
                L,
                ls,
                1,
                0.0,
                NULL,
                NULL,
                0};
    draw_panel(&p2, &s2, 1, -1);
    char t[512];
    snprintf(t, sizeof t, "%s: %s Effect on Embedding Norms", title, r->normalization);
    suptitle(t);
    free(x);
    return fig_close(&f, err);
}

aniso_status figure_compare(const char *path, aniso_result_file *const *rs, int n, aniso_error *err)
{
    fig f;
    if (fig_open(&f, path, 2700, 1200))
        return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
    pladv(0);
    int nn = n < 16 ? n : 16;
    series s[3][16];
    double *xs[16];
    for (int k = 0; k < nn; k++) {
        int m = rs[k]->n;
        xs[k] = malloc(sizeof(double) * (size_t)m);
        for (int i = 0; i < m; i++) xs[k][i] = m > 1 ? (double)i / (m - 1) : 0;
        int col = C_SERIES + (k * 3) % N_SERIES_COLORS;
        s[0][k] = (series){xs[k], rs[k]->idr, m, col, rs[k]->model, "●"};
        s[1][k] = (series){xs[k],
                           rs[k]->erank ? rs[k]->erank : rs[k]->idr,
                           rs[k]->erank ? m : 0,
                           col,
                           rs[k]->model,
                           "■"};
        s[2][k] = (series){
            xs[k], rs[k]->cos ? rs[k]->cos : rs[k]->idr, rs[k]->cos ? m : 0, col, rs[k]->model,
            "▲"};
    }
    const char *titles[3] = {"Intrinsic Dimension Ratio", "Effective Rank",
                             "Avg Cosine Sim to Mean"};
    const char *ylab[3] = {"λ₁ / Σ λᵢ", "Effective Rank", "Avg Cosine Sim"};
    const double cx[3][2] = {{0.065, 0.315}, {0.39, 0.64}, {0.715, 0.965}};
    for (int pnl = 0; pnl < 3; pnl++) {
        panel p = {
            cx[pnl][0], cx[pnl][1], 0.36,      0.84, titles[pnl],      "Relative depth (layer / L)",
            ylab[pnl],  pnl == 1,   -INFINITY, NULL, pnl == 1 ? 2 : 0, NAN,
            NULL,       NULL,       1};
        draw_panel(&p, s[pnl], nn, -1);
        /* Each model's L*: a dashed line in its colour. */
        double x0, x1, y0, y1;
        minmax(s[pnl], nn, pnl == 1, &x0, &x1, &y0, &y1);
        for (int k = 0; k < nn; k++) {
            if (!s[pnl][k].n) continue;
            double lx = rs[k]->n > 1 ? (double)rs[k]->analysis.L_star / (rs[k]->n - 1) : 0;
            double px[2] = {lx, lx}, py[2] = {y0, y1};
            plcol0(s[pnl][k].color);
            pllsty(2);
            plwidth(1.5);
            plline(2, px, py);
            pllsty(1);
        }
    }
    suptitle("Anisotropy profiles on relative depth (dashed: each model's L*)");
    for (int k = 0; k < nn; k++) free(xs[k]);
    return fig_close(&f, err);
}
