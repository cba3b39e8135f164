/* figures.c - the notebook's figures, drawn with PLplot's cairo drivers: the
 * 2 x 3 anisotropy profile, the eigenvalue spectrum at key layers, the norm
 * analysis, and the multi-model comparison, each as PNG (150 dpi), PDF or
 * SVG (vector, the same page in points); and the wider metric family, one
 * panel per metric outside the notebook's. What supports a profile
 * (evidence.h: bootstrap intervals, nulls, the profile without first
 * tokens, token controls) is drawn over them when a result has it; without
 * it each figure is the notebook's.
 *
 * PLplot draws the lines, fills and text; the layout is done here, in
 * points, the way matplotlib's tight_layout does it: tick labels are
 * formatted and measured (plstrl) before the axes boxes are placed, so that
 * no label overlaps a tick label or a neighbouring panel; log axes get
 * labelled decades with grid lines on them (mantissas, or plain values, when
 * they span less than a decade); legends go where they cover no data (as
 * matplotlib's loc='best'), with head room made above the data when no
 * corner is free, or below the panels. PLplot never opens the output file:
 * it is created here, new (O_EXCL, O_NOFOLLOW), and handed over (plsfile),
 * so that an unwritable path is an error returned, not a prompt or an exit
 * inside PLplot; the file is checked to be complete when PLplot is done,
 * and removed if not. The callers write figures into a result set's private
 * folder (base/stage.c), which puts them in place. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <plplot/plplot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "report/figures.h"

/* Colour slots of cmap0. */
enum {
    C_BG = 0,
    C_FG,
    C_BLUE,
    C_GREEN,
    C_MAGENTA,
    C_RED,
    C_CYAN,
    C_GRID,
    C_FILL,
    C_AXIS,
    C_GREY,
    C_EDGE,
    C_WARN,
    C_SERIES /* N_SERIES slots set by each figure */
};
#define N_SERIES 16
/* After them: the evidence's colours (a profile without first tokens, the
 * nulls) and N_SERIES light band colours set by each figure. */
enum {
    C_NOFIRST = C_SERIES + N_SERIES,
    C_NOFIRST_BAND,
    C_NULL,
    C_BAND,
    N_COLOURS = C_BAND + N_SERIES
};

static const unsigned char palette[][3] = {
    {255, 255, 255}, {26, 26, 26},    {31, 119, 180},  {44, 160, 44},  {191, 0, 191},
    {214, 39, 40},   {23, 190, 207},  {224, 224, 224}, {31, 119, 180}, {60, 60, 60},
    {128, 128, 128}, {200, 200, 200}, {190, 60, 20},
};

/* The alpha of a bootstrap interval's band. */
#define BAND_ALPHA 0.2

/* matplotlib's viridis at 0, 1/9, ..., 1 (interpolated in between). */
static const unsigned char viridis[10][3] = {
    {68, 1, 84},    {72, 40, 120},  {62, 73, 137},  {49, 104, 142}, {38, 130, 142},
    {31, 158, 137}, {53, 183, 121}, {109, 205, 89}, {180, 222, 44}, {253, 231, 37},
};

/* matplotlib's tab10, for models compared. */
static const unsigned char tab10[10][3] = {
    {31, 119, 180}, {255, 127, 14},  {44, 160, 44},   {214, 39, 40},  {148, 103, 189},
    {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207},
};

/* Type sizes in points (the notebook's: 16 suptitle, 14 titles, 12 labels). */
#define F_SUPTITLE 16.0
#define F_SUBTITLE 12.5
#define F_TITLE    13.0
#define F_LABEL    12.0
#define F_TICK     10.5
#define F_LEGEND   10.0
#define TICK_MAJOR 3.5 /* tick lengths, points */
#define TICK_MINOR 2.0

/* The page being drawn. */
static struct {
    double unit;   /* device units per point */
    double pw, ph; /* page size, mm (PLplot's mm) */
    double font_pt;
} G;

#define PI_ 3.14159265358979323846

static double pt_mm(double pt)
{
    return pt * G.unit * 25.4 / 72.0;
}

static void set_font(double pt, int bold)
{
    plschr(pt_mm(pt) * 0.75, 1.0); /* pango takes PLplot's size at 96 dpi, not 72 */
    G.font_pt = pt;
    plsfont(PL_FCI_SANS, PL_FCI_UPRIGHT, bold ? PL_FCI_BOLD : PL_FCI_MEDIUM);
}

static void set_width(double pt)
{
    plwidth(pt * G.unit);
}

/* Dashes as matplotlib's '--' (3.7 on, 1.6 off, times the line width);
 * dashed 2: dots as its ':' (1 on, 1.65 off). */
enum { LS_SOLID, LS_DASHED, LS_DOTTED };
static void set_dashed(int dashed, double lw)
{
    if (!dashed) {
        plstyl(0, NULL, NULL);
        return;
    }
    double on = dashed == LS_DOTTED ? 1.0 : 3.7, off = dashed == LS_DOTTED ? 1.65 : 1.6;
    PLINT mark = (PLINT)(pt_mm(on * lw) * 1000), space = (PLINT)(pt_mm(off * lw) * 1000);
    plstyl(1, &mark, &space);
}

/* The whole page as the viewport, in normalised coordinates. */
static void page_coords(void)
{
    plvpor(0, 1, 0, 1);
    plwind(0, 1, 0, 1);
}

/* Advance widths of DejaVu Sans (fontconfig's "Sans" on Debian), 1/2048 em,
 * for ' ' .. '~': PLplot does not export its own string measure. */
static const short adv[95] = {
    651,  821,  942,  1716, 1303, 1946, 1597, 563,  799,  799,  1024, 1716, 651,  739,  651,  690,
    1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 690,  690,  1716, 1716, 1716, 1087,
    2048, 1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604,  604,  1343, 1141, 1767, 1532, 1612,
    1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251, 1403, 799,  690,  799,  1716, 1024,
    1024, 1255, 1300, 1126, 1300, 1260, 721,  1300, 1298, 569,  569,  1186, 569,  1995, 1298, 1253,
    1300, 1300, 842,  1067, 803,  1298, 1212, 1675, 1212, 1212, 1075, 1303, 690,  1303, 1716};

/* The width of s (with PLplot's #u / #d escapes) in the current font, mm. */
static double text_mm(const char *s)
{
    double w = 0, scale = 1;
    int level = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c;) {
        if (c[0] == '#' && (c[1] == 'u' || c[1] == 'd')) {
            level += c[1] == 'u' ? 1 : -1;
            scale = level ? 0.75 : 1;
            c += 2;
            continue;
        }
        if (*c < 0x80) {
            w += scale * (*c >= 32 && *c < 127 ? adv[*c - 32] : 1303) / 2048.0;
            c++;
            continue;
        }
        w += scale * 0.75; /* λ, Σ, x and the like */
        c++;
        while ((*c & 0xc0) == 0x80) c++;
    }
    return w * pt_mm(G.font_pt) * 1.04;
}

static void set_rgb(int slot, const unsigned char *c, double alpha)
{
    plscol0a(slot, c[0], c[1], c[2], alpha);
}

static void set_viridis(int slot, double t)
{
    double f = fmin(fmax(t, 0), 1) * 9;
    int i = (int)f < 9 ? (int)f : 8;
    double u = f - i;
    unsigned char c[3];
    for (int k = 0; k < 3; k++)
        c[k] = (unsigned char)lround(viridis[i][k] * (1 - u) + viridis[i + 1][k] * u);
    set_rgb(slot, c, 1.0);
}

/* ---- Files ---- */

typedef struct fig {
    char *path;
    unsigned format;
} fig;

const char *figure_format_ext(unsigned format)
{
    return format == ANISO_FIG_PDF ? "pdf" : format == ANISO_FIG_SVG ? "svg" : "png";
}

static const char *device_of(unsigned format)
{
    return format == ANISO_FIG_PDF ? "pdfcairo" : format == ANISO_FIG_SVG ? "svgcairo" : "pngcairo";
}

static int have_device(const char *dev)
{
    const char *menu[256], *names[256];
    const char **pm = menu, **pn = names;
    int n = 256;
    plgDevs(&pm, &pn, &n);
    for (int i = 0; i < n; i++)
        if (names[i] && !strcmp(names[i], dev)) return 1;
    return 0;
}

/* Opens the page: width x height pixels at 150 dpi (the same size in
 * points for the vector formats). */
static aniso_status fig_open(fig *f, const char *path, unsigned format, int width, int height,
                             aniso_error *err)
{
    f->format = format;
    const char *dev = device_of(format);
    if (!have_device(dev))
        return aniso_error_set(err, ANISO_IO,
                               "%s: PLplot has no '%s' driver (Debian: plplot-driver-cairo)", path,
                               dev);
    if (!(f->path = str_dup(path)))
        return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
    /* PLplot would prompt for another name, then exit the process, on a
     * file it cannot open: the file is created here and handed over. */
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    FILE *fp = fd >= 0 ? fdopen(fd, "wb+") : NULL;
    if (!fp) {
        aniso_status st = aniso_error_set(err, ANISO_IO, "%s: cannot write the figure: %s", path,
                                          strerror(errno));
        if (fd >= 0) close(fd), remove(path);
        free(f->path);
        return st;
    }
    int png = format != ANISO_FIG_PDF && format != ANISO_FIG_SVG;
    G.unit = png ? 150.0 / 72.0 : 1.0;
    plsdev(dev);
    plsfile(fp); /* closed by plend */
    if (png)
        plspage(150, 150, width, height, 0, 0);
    else
        plspage(72, 72, (PLINT)lround(width * 72.0 / 150), (PLINT)lround(height * 72.0 / 150), 0,
                0);
    plscmap0n(N_COLOURS);
    for (int i = 0; i < (int)(sizeof palette / sizeof palette[0]); i++)
        set_rgb(i, palette[i], i == C_FILL ? 0.3 : 1.0);
    for (int i = 0; i < N_SERIES; i++) set_rgb(C_SERIES + i, tab10[i % 10], 1.0);
    set_rgb(C_NOFIRST, tab10[1], 1.0);
    set_rgb(C_NOFIRST_BAND, tab10[1], BAND_ALPHA);
    set_rgb(C_NULL, palette[C_AXIS], 1.0);
    for (int i = 0; i < N_SERIES; i++) set_rgb(C_BAND + i, tab10[i % 10], BAND_ALPHA);
    plinit();
    pladv(0);
    PLFLT x0, x1, y0, y1;
    plgspa(&x0, &x1, &y0, &y1);
    G.pw = x1 - x0;
    G.ph = y1 - y0;
    page_coords();
    return ANISO_OK;
}

static int has(const unsigned char *buf, size_t n, const char *s)
{
    size_t k = strlen(s);
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(buf + i, s, k)) return 1;
    return 0;
}

/* The written file is whole: its format's signature at both ends. */
static int file_complete(const char *path, unsigned format)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return 0;
    unsigned char head[8] = {0}, tail[64] = {0};
    size_t nh = fread(head, 1, sizeof head, fp);
    long size = fseek(fp, 0, SEEK_END) == 0 ? ftell(fp) : -1;
    size_t nt = 0;
    if (size >= (long)sizeof tail && fseek(fp, -(long)sizeof tail, SEEK_END) == 0)
        nt = fread(tail, 1, sizeof tail, fp);
    fclose(fp);
    if (nh < sizeof head || nt < sizeof tail) return 0;
    if (format == ANISO_FIG_PDF)
        return !memcmp(head, "%PDF-", 5) && has(tail, sizeof tail, "%%EOF");
    if (format == ANISO_FIG_SVG)
        return (!memcmp(head, "<?xml", 5) || !memcmp(head, "<svg", 4)) &&
               has(tail, sizeof tail, "</svg>");
    return !memcmp(head, "\x89PNG\r\n\x1a\n", 8) &&
           !memcmp(tail + sizeof tail - 8, "IEND\xae\x42\x60\x82", 8);
}

static aniso_status fig_close(fig *f, aniso_error *err)
{
    plend();
    aniso_status st = ANISO_OK;
    if (!file_complete(f->path, f->format))
        st = aniso_error_set(err, ANISO_IO,
                             "%s: the figure could not be written in full (disk full?)", f->path);
    if (st) remove(f->path);
    free(f->path);
    return st;
}

/* ---- Axes and ticks ---- */

#define MAX_TICKS 48
#define MAX_MINOR 256
#define MAX_LABEL 48

typedef struct axis {
    double lo, hi; /* the range drawn (log10 of the values on a log axis) */
    int log, integer;
    int n;
    double at[MAX_TICKS];
    char lab[MAX_TICKS][MAX_LABEL];
    int nminor;
    double minor[MAX_MINOR];
} axis;

static double nice_step(double raw, int integer)
{
    if (!(raw > 0)) return 1;
    double mag = pow(10, floor(log10(raw))), m = raw / mag;
    double s = m <= 1.0001                 ? 1
               : m <= 2.0001               ? 2
               : (m <= 2.5001 && !integer) ? 2.5
               : m <= 5.0001               ? 5
                                           : 10;
    s *= mag;
    if (integer && s < 1) s = 1;
    return s;
}

/* "1.5x10^-7" with PLplot's superscript escapes. */
/* (int)x for a value that may come out of range (a zero step, an axis
 * bound that is not finite): clamped to +-400, NaN to 0. */
static int to_int(double x)
{
    return isnan(x) ? 0 : x < -400 ? -400 : x > 400 ? 400 : (int)x;
}

static void fmt_sci(char *buf, size_t cap, double v, double step)
{
    if (v == 0) {
        snprintf(buf, cap, "0");
        return;
    }
    int e = to_int(floor(log10(fabs(v))));
    int md = e - to_int(floor(log10(step) + 1e-9));
    md = md < 0 ? 0 : md > 8 ? 8 : md;
    double m = v / pow(10, e);
    if (md == 0 && fabs(fabs(m) - 1) < 1e-9)
        snprintf(buf, cap, "%s10#u%d#d", m < 0 ? "-" : "", e);
    else
        snprintf(buf, cap, "%.*f×10#u%d#d", md, m, e);
}

static void fmt_num(char *buf, size_t cap, double v, double step)
{
    if (fabs(v) < step * 1e-6) v = 0;
    int dec = to_int(ceil(-log10(step) - 1e-9));
    if (dec < 0) dec = 0;
    while (dec < 12) {
        double s = step * pow(10, dec);
        if (fabs(s - round(s)) <= 1e-6 * s) break;
        dec++;
    }
    if (dec <= 5 && fabs(v) < 1e6)
        snprintf(buf, cap, "%.*f", dec, v);
    else
        fmt_sci(buf, cap, v, step);
}

static void add_major(axis *a, double at, const char *lab)
{
    if (a->n >= MAX_TICKS) return;
    a->at[a->n] = at;
    snprintf(a->lab[a->n], MAX_LABEL, "%s", lab);
    a->n++;
}

static void add_minor(axis *a, double at)
{
    if (a->nminor < MAX_MINOR && at >= a->lo && at <= a->hi) a->minor[a->nminor++] = at;
}

static void linear_ticks(axis *a, double vlo, double vhi, int target, int to_log)
{
    /* The smallest 1-2-2.5-5 step that gives at most target + 1 ticks
     * (matplotlib's MaxNLocator). */
    double step = nice_step((vhi - vlo) / (target * 4.0), a->integer);
    for (int guard = 0; guard < 64; guard++) {
        double cnt = floor(vhi / step + 1e-9) - ceil(vlo / step - 1e-9) + 1;
        if (cnt <= target + 1) break;
        step = nice_step(step * 1.01, a->integer);
    }
    double first = ceil(vlo / step - 1e-9) * step;
    for (int i = 0; i < MAX_TICKS; i++) {
        double v = first + i * step;
        if (v > vhi + step * 1e-9) break;
        if (to_log && v <= 0) continue;
        char lab[MAX_LABEL];
        fmt_num(lab, sizeof lab, v, step);
        add_major(a, to_log ? log10(v) : v, lab);
    }
}

/* m x 10^k as a label: plain between 0.001 and 9999. */
static void log_label(char *buf, size_t cap, int m, int k)
{
    if (k >= -3 && k <= 3)
        snprintf(buf, cap, "%.*f", k < 0 ? -k : 0, m * pow(10, k));
    else if (m == 1)
        snprintf(buf, cap, "10#u%d#d", k);
    else
        snprintf(buf, cap, "%d×10#u%d#d", m, k);
}

static void log_ticks(axis *a)
{
    const double eps = 1e-9;
    int k0 = to_int(ceil(a->lo - eps)), k1 = to_int(floor(a->hi + eps));
    int nd = k1 - k0 + 1;
    if (nd >= 3 || (nd == 2 && a->hi - a->lo >= 2.2)) {
        /* Decades: every one, or every step-th when there are many, the
         * others as minor ticks; 2..9 as minor ticks over a few decades. */
        int step = nd > 7 ? to_int(ceil(nd / 6.0)) : 1;
        for (int k = k0; k <= k1; k++) {
            char lab[MAX_LABEL];
            snprintf(lab, sizeof lab, "10#u%d#d", k);
            if (((k % step) + step) % step == 0)
                add_major(a, k, lab);
            else
                add_minor(a, k);
        }
        if (step == 1 && a->hi - a->lo <= 4.5)
            for (int k = k0 - 1; k <= k1; k++)
                for (int m = 2; m <= 9; m++) add_minor(a, k + log10(m));
        return;
    }
    /* Two decades or less: mantissas 1, 2, 5 (then 1..9) labelled. */
    static const int m125[] = {1, 2, 5}, m19[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    const int *sets[2] = {m125, m19};
    int nsets[2] = {3, 9};
    for (int s = 0; s < 2; s++) {
        int cnt = 0;
        for (int k = to_int(floor(a->lo)) - 1; k <= to_int(ceil(a->hi)); k++)
            for (int j = 0; j < nsets[s]; j++) {
                double t = k + log10(sets[s][j]);
                cnt += t >= a->lo - eps && t <= a->hi + eps;
            }
        if (cnt < 3) continue;
        for (int k = to_int(floor(a->lo)) - 1; k <= to_int(ceil(a->hi)); k++)
            for (int m = 1; m <= 9; m++) {
                double t = k + log10(m);
                int major = 0;
                for (int j = 0; j < nsets[s]; j++) major |= sets[s][j] == m;
                if (t < a->lo - eps || t > a->hi + eps) continue;
                if (major) {
                    char lab[MAX_LABEL];
                    log_label(lab, sizeof lab, m, k);
                    add_major(a, t, lab);
                } else {
                    add_minor(a, t);
                }
            }
        return;
    }
    /* A narrow span: plain values, evenly spaced in value. */
    linear_ticks(a, pow(10, a->lo), pow(10, a->hi), 4, 1);
}

/* The range drawn, from the data's [lo, hi] (log10 on a log axis). A flat
 * axis is widened (by 5% of its value, or to 1e-3 of it) so that every
 * tick label differs. */
static void set_range(axis *a, double lo, double hi, double pad, int sticky_lo)
{
    if (!isfinite(lo) || !isfinite(hi)) lo = 0, hi = 1;
    double span = hi - lo, mag = fmax(fabs(lo), fabs(hi));
    if (a->log) {
        if (span < 0.1) {
            double mid = (lo + hi) / 2;
            lo = mid - 0.05, hi = mid + 0.05;
        } else {
            lo -= pad * span, hi += pad * span;
        }
    } else if (mag == 0 || span <= 1e-9 * mag) {
        double half = mag == 0 ? 0.05 : 0.05 * mag, mid = (lo + hi) / 2;
        lo = mid - half, hi = mid + half;
    } else if (span < 1e-3 * mag) {
        double mid = (lo + hi) / 2;
        lo = mid - 5e-4 * mag, hi = mid + 5e-4 * mag;
    } else {
        double l0 = lo;
        lo -= pad * span, hi += pad * span;
        if (sticky_lo) lo = l0;
    }
    a->lo = lo, a->hi = hi;
}

static void make_ticks(axis *a)
{
    a->n = a->nminor = 0;
    if (a->log)
        log_ticks(a);
    else
        linear_ticks(a, a->lo, a->hi, a->integer ? 10 : 5, 0);
}

/* ---- Panels ---- */

enum { M_NONE, M_CIRCLE, M_SQUARE, M_TRIANGLE, M_DIAMOND, M_PENTAGON };

typedef struct series {
    const double *x, *y;
    int n;
    int color, marker;
    const char *label; /* NULL: not in the legend */
    int dash;          /* LS_*: solid unless set */
    double lw;         /* points; 0: 2 */
    /* a band behind the line (an interval at each point; NaN: none there),
     * in colour band_color, or NULL */
    const double *lo, *hi;
    int band_color;
} series;

typedef struct vline {
    double x;
    int color;
    double lw;
    const char *label;
    int dotted; /* dotted instead of dashed */
} vline;

typedef struct entry {
    int color, marker, dashed;
    double lw;
    const char *label;
    int swatch; /* a filled box (a band) instead of a line */
} entry;

#define MAX_PANEL_SERIES 16

typedef struct panel {
    double cx0, cx1, cy0, cy1; /* the cell: box, labels and title (page, 0..1) */
    const char *title, *xlabel, *ylabel;
    int logy, int_x;
    series s[MAX_PANEL_SERIES];
    int ns;
    int fill;                        /* shade series 0 down to zero */
    const double *band_lo, *band_hi; /* a band around series 0, or NULL */
    double hline;                    /* y of a dotted line; NAN for none */
    vline v[MAX_PANEL_SERIES];
    int nv;
    int legend; /* 0: none; 1: the vertical lines; 2: the series and them */
    double marker_pt;
    const char *band_label; /* the legend's entry for the series' bands, or NULL */
    int band_label_color;   /* its colour */
    int top0;               /* series 0 drawn last (over the others) */
    double xr_lo, xr_hi;    /* layers the x axis spans whatever the data (NAN: none) */
    const char *message;    /* a text in the middle of the box ("not measured"), or NULL */
    /* laid out */
    axis ax, ay;
    double *ty[MAX_PANEL_SERIES], *tlo, *thi;                /* y as drawn (log10 on a log axis) */
    double *tblo[MAX_PANEL_SERIES], *tbhi[MAX_PANEL_SERIES]; /* the series' bands as drawn */
    double bx0, bx1, by0, by1;                               /* the box (page, 0..1) */
    entry e[2 * MAX_PANEL_SERIES + 1];
    int ne, ncol, where; /* legend entries, columns, position (-1: none) */
} panel;

static double tr(const panel *p, double y)
{
    return p->logy ? (y > 0 ? log10(y) : NAN) : y;
}

static int panel_prepare(panel *p)
{
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int k = 0; k < p->ns; k++) {
        const series *s = &p->s[k];
        if (!(p->ty[k] = malloc(sizeof(double) * (size_t)(s->n > 0 ? s->n : 1)))) return -1;
        for (int i = 0; i < s->n; i++) {
            double y = p->ty[k][i] = tr(p, s->y[i]);
            if (!isfinite(y)) continue;
            x0 = fmin(x0, s->x[i]), x1 = fmax(x1, s->x[i]);
            y0 = fmin(y0, y), y1 = fmax(y1, y);
        }
        if (!s->lo || !s->hi) continue;
        size_t bytes = sizeof(double) * (size_t)(s->n > 0 ? s->n : 1);
        if (!(p->tblo[k] = malloc(bytes)) || !(p->tbhi[k] = malloc(bytes))) return -1;
        for (int i = 0; i < s->n; i++) {
            double lo = tr(p, s->lo[i]), hi = tr(p, s->hi[i]);
            if (!isfinite(lo) || !isfinite(hi)) lo = hi = NAN; /* a band needs both ends */
            p->tblo[k][i] = lo, p->tbhi[k][i] = hi;
            if (!isfinite(lo)) continue;
            x0 = fmin(x0, s->x[i]), x1 = fmax(x1, s->x[i]);
            y0 = fmin(y0, fmin(lo, hi)), y1 = fmax(y1, fmax(lo, hi));
        }
    }
    if (isfinite(p->xr_lo) && isfinite(p->xr_hi)) x0 = fmin(x0, p->xr_lo), x1 = fmax(x1, p->xr_hi);
    if (p->band_lo && p->ns > 0) {
        int n = p->s[0].n;
        p->tlo = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
        p->thi = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
        if (!p->tlo || !p->thi) return -1;
        for (int i = 0; i < n; i++) {
            p->tlo[i] = tr(p, p->band_lo[i]);
            p->thi[i] = tr(p, p->band_hi[i]);
            if (isfinite(p->tlo[i])) y0 = fmin(y0, p->tlo[i]);
            if (isfinite(p->thi[i])) y1 = fmax(y1, p->thi[i]);
        }
    }
    if (!isnan(p->hline) && isfinite(tr(p, p->hline)))
        y0 = fmin(y0, tr(p, p->hline)), y1 = fmax(y1, tr(p, p->hline));
    int sticky = 0;
    if (p->fill && !p->logy && y0 > 0) y0 = 0, sticky = 1;
    p->ax.integer = p->int_x;
    p->ay.log = p->logy;
    if (!isfinite(x0)) x0 = 0, x1 = 1;
    double xs = x1 - x0;
    p->ax.lo = x0 - (xs > 0 ? 0.04 * xs : 0.5);
    p->ax.hi = x1 + (xs > 0 ? 0.04 * xs : 0.5);
    set_range(&p->ay, y0, y1, 0.06, sticky);
    make_ticks(&p->ax);
    make_ticks(&p->ay);
    if (p->message && !p->ns) p->ay.n = p->ay.nminor = 0; /* no data, no values */
    return 0;
}

static void panel_free(panel *p)
{
    for (int k = 0; k < p->ns; k++) free(p->ty[k]), free(p->tblo[k]), free(p->tbhi[k]);
    free(p->tlo), free(p->thi);
}

/* Space (mm) the labels need around the box. */
/* Where the labels go (mm from the box; text is centred on these). */
static double ytick_width(const panel *p)
{
    set_font(F_TICK, 0);
    double w = 0;
    for (int i = 0; i < p->ay.n; i++) w = fmax(w, text_mm(p->ay.lab[i]));
    return w;
}

#define XTICK_AT  (TICK_MAJOR + 3 + 0.6 * F_TICK)
#define XLABEL_AT (XTICK_AT + 0.6 * F_TICK + 5 + 0.6 * F_LABEL)
#define TITLE_AT  (5 + 0.6 * F_TITLE)

static double ylabel_at(double tick_w)
{
    return pt_mm(TICK_MAJOR + 3 + 5 + 0.65 * F_LABEL) + tick_w;
}

static double need_left(const panel *p)
{
    return p->ylabel ? ylabel_at(ytick_width(p)) + pt_mm(0.65 * F_LABEL + 2)
                     : pt_mm(TICK_MAJOR + 5) + ytick_width(p);
}

static double need_bottom(const panel *p)
{
    return pt_mm(p->xlabel ? XLABEL_AT + 0.65 * F_LABEL + 2 : XTICK_AT + 0.65 * F_TICK + 2);
}

static double need_top(const panel *p)
{
    return p->title ? pt_mm(TITLE_AT + 0.65 * F_TITLE + 2) : pt_mm(6);
}

/* Places the boxes of n panels in their cells with the same margins (the
 * largest any of them needs). */
static void layout(panel *ps, int n)
{
    double l = 0, b = 0, t = 0, r = pt_mm(8);
    page_coords();
    for (int i = 0; i < n; i++) {
        l = fmax(l, need_left(&ps[i]));
        b = fmax(b, need_bottom(&ps[i]));
        t = fmax(t, need_top(&ps[i]));
    }
    for (int i = 0; i < n; i++) {
        panel *p = &ps[i];
        p->bx0 = p->cx0 + l / G.pw;
        p->bx1 = p->cx1 - r / G.pw;
        p->by0 = p->cy0 + b / G.ph;
        p->by1 = p->cy1 - t / G.ph;
    }
}

/* Page coordinates of a point of the panel's data. */
static double px_of(const panel *p, double x)
{
    return p->bx0 + (x - p->ax.lo) / (p->ax.hi - p->ax.lo) * (p->bx1 - p->bx0);
}

static double py_of(const panel *p, double y)
{
    return p->by0 + (y - p->ay.lo) / (p->ay.hi - p->ay.lo) * (p->by1 - p->by0);
}

/* ---- Legends ---- */

static void legend_size(const entry *e, int ne, int ncol, double *w, double *h)
{
    double em = pt_mm(F_LEGEND);
    int rows = (ne + ncol - 1) / ncol;
    set_font(F_LEGEND, 0);
    double tw = 0;
    for (int c = 0; c < ncol; c++) {
        double m = 0;
        for (int r = 0; r < rows && c * rows + r < ne; r++)
            m = fmax(m, text_mm(e[c * rows + r].label));
        tw += 2.2 * em + 0.6 * em + m;
    }
    *w = (tw + 1.2 * em * (ncol - 1) + 1.2 * em) / G.pw;
    *h = (rows * 1.45 * em + 0.9 * em) / G.ph;
}

/* The segment (x0,y0)-(x1,y1) meets the rectangle (Liang-Barsky). */
static int seg_hits(double x0, double y0, double x1, double y1, const double r[4])
{
    double t0 = 0, t1 = 1, dx = x1 - x0, dy = y1 - y0;
    double pq[4][2] = {{-dx, x0 - r[0]}, {dx, r[1] - x0}, {-dy, y0 - r[2]}, {dy, r[3] - y0}};
    for (int i = 0; i < 4; i++) {
        double pp = pq[i][0], q = pq[i][1];
        if (pp == 0) {
            if (q < 0) return 0;
            continue;
        }
        double t = q / pp;
        if (pp < 0) {
            if (t > t1) return 0;
            if (t > t0) t0 = t;
        } else {
            if (t < t0) return 0;
            if (t < t1) t1 = t;
        }
    }
    return 1;
}

/* How much of the panel's data the rectangle (page coordinates) covers:
 * line segments, markers, shaded areas and vertical lines. */
static int covered(const panel *p, const double rect[4])
{
    double mx = pt_mm(p->marker_pt) / G.pw, my = pt_mm(p->marker_pt) / G.ph;
    double r[4] = {rect[0] - mx, rect[1] + mx, rect[2] - my, rect[3] + my};
    int hits = 0;
    for (int k = 0; k < p->ns; k++) {
        const series *s = &p->s[k];
        double lx = NAN, ly = NAN;
        for (int i = 0; i < s->n; i++) {
            double y = p->ty[k][i];
            if (!isfinite(y)) {
                lx = NAN;
                continue;
            }
            double x = px_of(p, s->x[i]), yy = py_of(p, y);
            if (x >= r[0] && x <= r[1] && yy >= r[2] && yy <= r[3]) hits++;
            if (!isnan(lx) && seg_hits(lx, ly, x, yy, r)) hits++;
            lx = x, ly = yy;
        }
    }
    /* Shaded areas: sampled across the rectangle. */
    if (p->ns > 0 && (p->fill || p->tlo)) {
        const series *s = &p->s[0];
        for (int j = 0; j <= 64; j++) {
            double x = r[0] + (r[1] - r[0]) * j / 64.0;
            for (int i = 0; i + 1 < s->n; i++) {
                double a = px_of(p, s->x[i]), b = px_of(p, s->x[i + 1]);
                if (x < fmin(a, b) || x > fmax(a, b) || a == b) continue;
                double u = (x - a) / (b - a), lo, hi;
                if (p->tlo) {
                    lo = py_of(p, p->tlo[i] + u * (p->tlo[i + 1] - p->tlo[i]));
                    hi = py_of(p, p->thi[i] + u * (p->thi[i + 1] - p->thi[i]));
                } else {
                    hi = py_of(p, p->ty[0][i] + u * (p->ty[0][i + 1] - p->ty[0][i]));
                    lo = p->by0;
                }
                if (fmin(lo, hi) <= r[3] && fmax(lo, hi) >= r[2]) hits++;
                break;
            }
        }
    }
    /* The series' bands: sampled the same way, between finite ends. */
    for (int k = 0; k < p->ns; k++) {
        const series *s = &p->s[k];
        if (!p->tblo[k]) continue;
        for (int j = 0; j <= 64; j++) {
            double x = r[0] + (r[1] - r[0]) * j / 64.0;
            for (int i = 0; i < s->n; i++) {
                double a = px_of(p, s->x[i]), b = i + 1 < s->n ? px_of(p, s->x[i + 1]) : a;
                if (!isfinite(p->tblo[k][i])) continue;
                int next = i + 1 < s->n && isfinite(p->tblo[k][i + 1]) && a != b;
                if (!next) b = a; /* a single point: its interval alone */
                if (x < fmin(a, b) - mx || x > fmax(a, b) + mx) continue;
                double u = next ? fmin(fmax((x - a) / (b - a), 0), 1) : 0;
                double lo = p->tblo[k][i], hi = p->tbhi[k][i];
                if (next) {
                    lo += u * (p->tblo[k][i + 1] - lo);
                    hi += u * (p->tbhi[k][i + 1] - hi);
                }
                double ylo = py_of(p, fmin(lo, hi)), yhi = py_of(p, fmax(lo, hi));
                if (ylo <= r[3] && yhi >= r[2]) {
                    hits++;
                    break;
                }
            }
        }
    }
    for (int k = 0; k < p->nv; k++) {
        double x = px_of(p, p->v[k].x);
        if (x >= r[0] && x <= r[1]) hits += 10;
    }
    if (!isnan(p->hline) && isfinite(tr(p, p->hline))) {
        double y = py_of(p, tr(p, p->hline));
        if (y >= r[2] && y <= r[3]) hits++;
    }
    return hits;
}

/* matplotlib's order for loc='best': upper right, upper left, lower left,
 * lower right, right, center left, center right, lower center, upper
 * center, center. */
static void legend_rect(const panel *p, int where, double w, double h, double out[4])
{
    static const double pos[10][2] = {{1, 1},   {0, 1},   {0, 0},   {1, 0},   {1, 0.5},
                                      {0, 0.5}, {1, 0.5}, {0.5, 0}, {0.5, 1}, {0.5, 0.5}};
    double ix = pt_mm(5) / G.pw, iy = pt_mm(5) / G.ph;
    double fx = pos[where][0], fy = pos[where][1];
    double x0 = p->bx0 + ix + (p->bx1 - p->bx0 - 2 * ix - w) * fx;
    double y0 = p->by0 + iy + (p->by1 - p->by0 - 2 * iy - h) * fy;
    out[0] = x0, out[1] = x0 + w, out[2] = y0, out[3] = y0 + h;
}

/* Raises the top of the y axis so that the data's top sits below a legend
 * of height h (page units); 0 when that would take half the box. */
static int make_room(panel *p, double h)
{
    double frac = (h + 2 * pt_mm(5) / G.ph) / (p->by1 - p->by0) + 0.02;
    double top = -INFINITY;
    for (int k = 0; k < p->ns; k++)
        for (int i = 0; i < p->s[k].n; i++)
            if (isfinite(p->ty[k][i])) top = fmax(top, p->ty[k][i]);
    for (int i = 0; p->thi && i < p->s[0].n; i++)
        if (isfinite(p->thi[i])) top = fmax(top, p->thi[i]);
    for (int k = 0; k < p->ns; k++)
        for (int i = 0; p->tbhi[k] && i < p->s[k].n; i++)
            if (isfinite(p->tbhi[k][i])) top = fmax(top, fmax(p->tbhi[k][i], p->tblo[k][i]));
    if (!isfinite(top) || frac >= 0.5) return 0;
    top += (pt_mm(p->marker_pt) / G.ph) / (p->by1 - p->by0) * (p->ay.hi - p->ay.lo);
    double hi = p->ay.lo + (top - p->ay.lo) / (1 - frac);
    if (hi > p->ay.hi) {
        p->ay.hi = hi;
        make_ticks(&p->ay);
    }
    return 1;
}

/* Chooses where the panel's legend goes (and in how many columns); when
 * every place covers data, raises the top of the y axis to make room above
 * the data. */
static void legend_place(panel *p)
{
    p->ne = 0;
    p->where = -1;
    if (!p->legend) return;
    if (p->legend == 2) {
        for (int k = 0; k < p->ns; k++) {
            const series *s = &p->s[k];
            if (s->label)
                p->e[p->ne++] =
                    (entry){s->color, s->marker, s->dash, s->lw > 0 ? s->lw : 2.0, s->label, 0};
        }
        if (p->band_label)
            p->e[p->ne++] = (entry){p->band_label_color, M_NONE, 0, 0, p->band_label, 1};
    }
    for (int k = 0; k < p->nv; k++) {
        const vline *v = &p->v[k];
        int dash = v->dotted ? LS_DOTTED : LS_DASHED;
        if (v->label) p->e[p->ne++] = (entry){v->color, M_NONE, dash, v->lw, v->label, 0};
    }
    if (!p->ne) return;
    /* In one column, then (for several entries) in two; without head room
     * first, then with it. */
    axis saved = p->ay;
    int ncols[2] = {1, 2}, nc = p->ne > 2 ? 2 : 1;
    int best = 0, best_hits = -1, best_ncol = 1;
    axis best_ay = saved;
    for (int room = 0; room < 2 && best_hits != 0; room++)
        for (int c = 0; c < nc && best_hits != 0; c++) {
            double w, h, r[4];
            p->ay = saved;
            legend_size(p->e, p->ne, ncols[c], &w, &h);
            if (room && !make_room(p, h)) continue;
            for (int where = 0; where < 10; where++) {
                if (room && where != 0 && where != 1 && where != 8) continue;
                legend_rect(p, where, w, h, r);
                int hits = covered(p, r);
                if (best_hits < 0 || hits < best_hits)
                    best = where, best_hits = hits, best_ncol = ncols[c], best_ay = p->ay;
                if (!hits) break;
            }
        }
    p->ay = best_ay;
    p->ncol = best_ncol;
    p->where = best;
}

static void draw_marker(int marker, double x, double y, double size_pt)
{
    if (marker == M_NONE) return;
    double rx = pt_mm(size_pt) / 2 / G.pw, ry = pt_mm(size_pt) / 2 / G.ph;
    double px[32], py[32];
    int n = 0;
    double rot = 0, scale = 1;
    switch (marker) {
    case M_CIRCLE:
        n = 24;
        break;
    case M_SQUARE:
        n = 4, rot = PI_ / 4, scale = 1.25;
        break;
    case M_TRIANGLE:
        n = 3, rot = PI_ / 2, scale = 1.3;
        break;
    case M_DIAMOND:
        n = 4, rot = PI_ / 2, scale = 1.3;
        break;
    default:
        n = 5, rot = PI_ / 2, scale = 1.15;
        break;
    }
    for (int i = 0; i < n; i++) {
        double a = rot + 2 * PI_ * i / n;
        px[i] = x + scale * rx * cos(a) * (marker == M_DIAMOND ? 0.7 : 1);
        py[i] = y + scale * ry * sin(a);
    }
    plfill(n, px, py);
}

static void draw_legend_at(const entry *e, int ne, int ncol, double x0, double y1, double w,
                           double h, double marker_pt)
{
    double em = pt_mm(F_LEGEND), ex = em / G.pw, ey = em / G.ph;
    int rows = (ne + ncol - 1) / ncol;
    page_coords();
    double bx[4] = {x0, x0 + w, x0 + w, x0}, by[4] = {y1 - h, y1 - h, y1, y1};
    plcol0(C_BG);
    plfill(4, bx, by);
    double lx[5] = {x0, x0 + w, x0 + w, x0, x0}, ly[5] = {y1 - h, y1 - h, y1, y1, y1 - h};
    plcol0(C_EDGE);
    set_width(0.8);
    plline(5, lx, ly);
    set_font(F_LEGEND, 0);
    double cx = x0 + 0.6 * ex;
    for (int c = 0; c < ncol; c++) {
        double tw = 0;
        for (int r = 0; r < rows && c * rows + r < ne; r++) {
            const entry *en = &e[c * rows + r];
            double yc = y1 - 0.45 * ey - (r + 0.5) * 1.45 * ey;
            double hx[2] = {cx, cx + 2.2 * ex}, hy[2] = {yc, yc};
            plcol0(en->color);
            if (en->swatch) {
                double sx[4] = {cx, cx + 2.2 * ex, cx + 2.2 * ex, cx};
                double sy[4] = {yc - 0.4 * ey, yc - 0.4 * ey, yc + 0.4 * ey, yc + 0.4 * ey};
                plfill(4, sx, sy);
            } else {
                set_width(en->lw);
                set_dashed(en->dashed, en->lw);
                plline(2, hx, hy);
                set_dashed(0, 0);
            }
            draw_marker(en->marker, cx + 1.1 * ex, yc, marker_pt);
            plcol0(C_FG);
            plptex(cx + 2.8 * ex, yc, 1, 0, 0, en->label);
            tw = fmax(tw, text_mm(en->label));
        }
        cx += (2.8 * em + tw + 1.2 * em) / G.pw;
    }
}

/* ---- Drawing a panel ---- */

static void draw_ticks(const panel *p)
{
    page_coords();
    plcol0(C_AXIS);
    double ma = pt_mm(TICK_MAJOR), mi = pt_mm(TICK_MINOR);
    for (int pass = 0; pass < 2; pass++) {
        const axis *a = pass ? &p->ay : &p->ax;
        for (int i = 0; i < a->n + a->nminor; i++) {
            int major = i < a->n;
            double v = major ? a->at[i] : a->minor[i - a->n], len = major ? ma : mi;
            set_width(major ? 0.8 : 0.6);
            if (v < a->lo - 1e-12 || v > a->hi + 1e-12) continue;
            double tx[2], ty[2];
            if (pass == 0) {
                tx[0] = tx[1] = px_of(p, v);
                ty[0] = p->by0, ty[1] = p->by0 - len / G.ph;
            } else {
                ty[0] = ty[1] = py_of(p, v);
                tx[0] = p->bx0, tx[1] = p->bx0 - len / G.pw;
            }
            plline(2, tx, ty);
        }
    }
}

/* A series' band (lo, hi as drawn; NaN where there is none): each run of
 * points with both ends is a filled area, a point alone a short bar. */
static void draw_band(const series *s, const double *lo, const double *hi)
{
    double *fx = malloc(sizeof(double) * 2 * (size_t)(s->n > 0 ? s->n : 1)),
           *fy = malloc(sizeof(double) * 2 * (size_t)(s->n > 0 ? s->n : 1));
    plcol0(s->band_color);
    for (int i = 0; fx && fy && i < s->n;) {
        if (!isfinite(lo[i]) || !isfinite(hi[i])) {
            i++;
            continue;
        }
        int j = i;
        while (j < s->n && isfinite(lo[j]) && isfinite(hi[j])) j++;
        if (j - i == 1) {
            double bx[2] = {s->x[i], s->x[i]}, by[2] = {lo[i], hi[i]};
            set_width(4.0);
            plline(2, bx, by);
        } else {
            int m = 0;
            for (int t = i; t < j; t++) fx[m] = s->x[t], fy[m++] = hi[t];
            for (int t = j - 1; t >= i; t--) fx[m] = s->x[t], fy[m++] = lo[t];
            plfill(m, fx, fy);
        }
        i = j;
    }
    free(fx), free(fy);
}

static void draw_panel(panel *p)
{
    plvpor(p->bx0, p->bx1, p->by0, p->by1);
    plwind(p->ax.lo, p->ax.hi, p->ay.lo, p->ay.hi);
    /* Grid lines on the labelled ticks. */
    plcol0(C_GRID);
    set_width(0.7);
    for (int i = 0; i < p->ax.n; i++) {
        double gx[2] = {p->ax.at[i], p->ax.at[i]}, gy[2] = {p->ay.lo, p->ay.hi};
        plline(2, gx, gy);
    }
    for (int i = 0; i < p->ay.n; i++) {
        double gx[2] = {p->ax.lo, p->ax.hi}, gy[2] = {p->ay.at[i], p->ay.at[i]};
        plline(2, gx, gy);
    }
    if (!isnan(p->hline) && isfinite(tr(p, p->hline))) {
        double hx[2] = {p->ax.lo, p->ax.hi}, hy[2] = {tr(p, p->hline), tr(p, p->hline)};
        PLINT mark = (PLINT)(pt_mm(1) * 1000), space = (PLINT)(pt_mm(2) * 1000);
        plcol0(C_GREY);
        set_width(1.0);
        plstyl(1, &mark, &space);
        plline(2, hx, hy);
        plstyl(0, NULL, NULL);
    }
    /* Shaded areas under everything else. */
    if (p->ns > 0 && (p->fill || p->tlo) && p->s[0].n > 1) {
        int n = p->s[0].n;
        double *fx = malloc(sizeof(double) * 2 * (size_t)(n + 1)),
               *fy = malloc(sizeof(double) * 2 * (size_t)(n + 1));
        if (fx && fy) {
            int m = 0;
            for (int i = 0; i < n; i++)
                fx[m] = p->s[0].x[i], fy[m++] = p->tlo ? p->thi[i] : p->ty[0][i];
            if (p->tlo) {
                for (int i = n - 1; i >= 0; i--) fx[m] = p->s[0].x[i], fy[m++] = p->tlo[i];
            } else {
                double base = p->ay.lo > 0 ? p->ay.lo : (p->ay.hi < 0 ? p->ay.hi : 0);
                fx[m] = p->s[0].x[n - 1], fy[m++] = base;
                fx[m] = p->s[0].x[0], fy[m++] = base;
            }
            int ok = 1;
            for (int i = 0; i < m; i++) ok &= isfinite(fy[i]);
            plcol0(C_FILL);
            if (ok) plfill(m, fx, fy);
        }
        free(fx), free(fy);
    }
    /* The series' bands, then their lines (series 0 last when top0). */
    for (int j = 0; j < p->ns; j++) {
        int k = p->top0 ? (j + 1) % p->ns : j;
        if (p->tblo[k]) draw_band(&p->s[k], p->tblo[k], p->tbhi[k]);
    }
    for (int o = 0; o < p->ns; o++) {
        int k = p->top0 ? (o + 1) % p->ns : o;
        const series *s = &p->s[k];
        double lw = s->lw > 0 ? s->lw : 2.0;
        plcol0(s->color);
        set_width(lw);
        if (s->dash) set_dashed(s->dash, lw);
        /* Runs of finite points (a log axis drops zeros). */
        for (int i = 0; i < s->n;) {
            int j = i;
            while (j < s->n && isfinite(p->ty[k][j])) j++;
            if (j - i > 1) plline(j - i, s->x + i, p->ty[k] + i);
            i = j + 1;
        }
        if (s->dash) set_dashed(0, 0);
    }
    for (int k = 0; k < p->nv; k++) {
        if (!isfinite(p->v[k].x)) continue;
        double vx[2] = {p->v[k].x, p->v[k].x}, vy[2] = {p->ay.lo, p->ay.hi};
        plcol0(p->v[k].color);
        set_width(p->v[k].lw);
        set_dashed(p->v[k].dotted ? LS_DOTTED : LS_DASHED, p->v[k].lw);
        plline(2, vx, vy);
        set_dashed(0, 0);
    }
    /* Markers in page coordinates (round whatever the axes' aspect),
     * clipped to the box. */
    plvpor(p->bx0, p->bx1, p->by0, p->by1);
    plwind(p->bx0, p->bx1, p->by0, p->by1);
    for (int j = 0; j < p->ns; j++) {
        int k = p->top0 ? (j + 1) % p->ns : j;
        plcol0(p->s[k].color);
        for (int i = 0; i < p->s[k].n; i++)
            if (isfinite(p->ty[k][i]))
                draw_marker(p->s[k].marker, px_of(p, p->s[k].x[i]), py_of(p, p->ty[k][i]),
                            p->marker_pt);
    }
    /* The box, ticks and labels. */
    plvpor(p->bx0, p->bx1, p->by0, p->by1);
    plwind(0, 1, 0, 1);
    plcol0(C_AXIS);
    set_width(0.8);
    plbox("bc", 0, 0, "bc", 0, 0);
    draw_ticks(p);
    plvpor(p->bx0, p->bx1, p->by0, p->by1);
    plwind(0, 1, 0, 1);
    plcol0(C_FG);
    set_font(F_TICK, 0);
    PLFLT def, ch;
    plgchr(&def, &ch);
    double gap = (pt_mm(TICK_MAJOR + 3)) / ch, wmax = 0;
    for (int i = 0; i < p->ax.n; i++) {
        double f = (p->ax.at[i] - p->ax.lo) / (p->ax.hi - p->ax.lo);
        if (f < -1e-9 || f > 1 + 1e-9) continue;
        plmtex("b", pt_mm(XTICK_AT) / ch, f, 0.5, p->ax.lab[i]);
    }
    for (int i = 0; i < p->ay.n; i++) {
        double f = (p->ay.at[i] - p->ay.lo) / (p->ay.hi - p->ay.lo);
        if (f < -1e-9 || f > 1 + 1e-9) continue;
        plmtex("lv", gap, f, 1.0, p->ay.lab[i]);
        wmax = fmax(wmax, text_mm(p->ay.lab[i]));
    }
    set_font(F_LABEL, 0);
    plgchr(&def, &ch);
    if (p->xlabel) plmtex("b", pt_mm(XLABEL_AT) / ch, 0.5, 0.5, p->xlabel);
    if (p->ylabel) plmtex("l", ylabel_at(wmax) / ch, 0.5, 0.5, p->ylabel);
    if (p->title) {
        set_font(F_TITLE, 0);
        plgchr(&def, &ch);
        plmtex("t", pt_mm(TITLE_AT) / ch, 0.5, 0.5, p->title);
    }
    if (p->message) {
        set_font(F_LABEL, 0);
        plcol0(C_GREY);
        plptex(0.5, 0.5, 1, 0, 0.5, p->message);
        plcol0(C_FG);
    }
    if (p->where >= 0) {
        double w, h, r[4];
        legend_size(p->e, p->ne, p->ncol, &w, &h);
        legend_rect(p, p->where, w, h, r);
        draw_legend_at(p->e, p->ne, p->ncol, r[0], r[3], w, h, p->marker_pt);
    }
}

/* Lays out, places the legends of and draws n panels. */
static void draw_panels(panel *ps, int n)
{
    layout(ps, n);
    for (int i = 0; i < n; i++) legend_place(&ps[i]);
    layout(ps, n); /* head room may have changed the tick labels */
    for (int i = 0; i < n; i++) draw_panel(&ps[i]);
}

/* ---- Titles ---- */

/* The bold title block at the top of the page: lines[0] large, the others
 * smaller (a line starting with '!' in the warning colour); returns its
 * height in page units. */
static double title_height(int nlines)
{
    return pt_mm(8 + F_SUPTITLE * 1.25 + (nlines - 1) * F_SUBTITLE * 1.3 + 7) / G.ph;
}

static void draw_title(const char *const *lines, int nlines)
{
    page_coords();
    double y = 1 - pt_mm(8 + F_SUPTITLE * 0.6) / G.ph;
    for (int i = 0; i < nlines; i++) {
        const char *t = lines[i];
        int warn = t[0] == '!';
        set_font(i == 0 ? F_SUPTITLE : F_SUBTITLE, 1);
        plcol0(warn ? C_WARN : C_FG);
        plptex(0.5, y, 1, 0, 0.5, t + warn);
        y -= pt_mm((i == 0 ? F_SUPTITLE * 0.6 : F_SUBTITLE * 0.6) + F_SUBTITLE * 0.7 + 3) / G.ph;
    }
    set_font(F_TICK, 0);
    plcol0(C_FG);
}

/* "all tokens, n = 181 tokens of 16 prompts, d = 640" and friends. */
static void describe(const aniso_profile_result *r, char *buf, size_t cap)
{
    char mask[160], src[96];
    aniso_report_mask_desc(r, mask, sizeof mask);
    const aniso_run_info *in = r->info;
    if (in && in->source && !strcmp(in->source, "corpus"))
        snprintf(src, sizeof src, "%llu document%s", (unsigned long long)in->n_documents,
                 in->n_documents == 1 ? "" : "s");
    else
        snprintf(src, sizeof src, "%zu prompt%s", r->n_prompts, r->n_prompts == 1 ? "" : "s");
    const char *last = in && in->last_layer && !strcmp(in->last_layer, "raw")
                           ? ", last layer before the final norm"
                           : "";
    snprintf(buf, cap, "%s, n = %zu tokens from %s, d = %d%s", mask, r->n_tokens, src,
             r->hidden_dim, last);
}

/* The title lines of a profile's figure: the heading, what was measured,
 * and the warnings that apply. */
static int profile_title(const aniso_profile_result *r, const char *heading, char lines[3][512])
{
    snprintf(lines[0], 512, "%s", heading);
    describe(r, lines[1], 512);
    aniso_report_warnings w;
    aniso_report_warnings_get(r, &w);
    if (!w.n) return 2;
    size_t k = (size_t)snprintf(lines[2], 512, "!Caution: ");
    for (int i = 0; i < w.n && k < 400; i++)
        k += (size_t)snprintf(lines[2] + k, 512 - k, "%s%s", i ? "; " : "", w.what[i]);
    snprintf(lines[2] + k, 512 - k, " (see the report's warnings)");
    return 3;
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

static void panel_init(panel *p, double cx0, double cx1, double cy0, double cy1, const char *title,
                       const char *xlabel, const char *ylabel)
{
    memset(p, 0, sizeof *p);
    p->cx0 = cx0, p->cx1 = cx1, p->cy0 = cy0, p->cy1 = cy1;
    p->title = title, p->xlabel = xlabel, p->ylabel = ylabel;
    p->hline = NAN;
    p->xr_lo = p->xr_hi = NAN;
    p->marker_pt = 6;
    p->where = -1;
}

static series *add_series(panel *p, const double *x, const double *y, int n, int color, int marker,
                          const char *label)
{
    if (p->ns >= MAX_PANEL_SERIES) return NULL;
    p->s[p->ns] =
        (series){.x = x, .y = y, .n = n, .color = color, .marker = marker, .label = label};
    return &p->s[p->ns++];
}

static vline *add_vline(panel *p, double x, int color, double lw, const char *label)
{
    if (p->nv >= MAX_PANEL_SERIES) return NULL;
    p->v[p->nv] = (vline){.x = x, .color = color, .lw = lw, .label = label};
    return &p->v[p->nv++];
}

/* ---- Evidence (evidence.h) on a panel ---- */

/* The legend's words for the evidence; they live as long as the figure. */
typedef struct ev_labels {
    char all[64], band[40], lstar_nf[64];
} ev_labels;

static void ev_labels_make(const aniso_profile_result *r, ev_labels *l)
{
    char mask[160];
    aniso_report_mask_desc(r, mask, sizeof mask);
    if (strlen(mask) < sizeof l->all)
        memcpy(l->all, mask, strlen(mask) + 1);
    else
        snprintf(l->all, sizeof l->all, "tokens measured");
    const aniso_evidence *ev = r->evidence;
    double level = !ev ? NAN : ev->boot.n_boot > 0 ? ev->boot.level : ev->nofirst_boot.level;
    if (!(level > 0 && level < 1)) level = 0.95;
    snprintf(l->band, sizeof l->band, "%g%% interval", level * 100);
    snprintf(l->lstar_nf, sizeof l->lstar_nf, "L* = %d without first token",
             ev ? ev->nofirst_analysis.L_star : 0);
}

/* Registry metric k of the n layers m into y; whether any value is finite. */
static int ev_values(const aniso_layer_metrics *m, int n, int k, double *y)
{
    int any = 0;
    for (int i = 0; i < n; i++) any |= isfinite(y[i] = aniso_metric_value(&m[i], k));
    return any;
}

/* The bootstrap intervals of registry metric k into lo and hi (NaN where a
 * layer has none); whether any layer has both ends. */
static int ev_band(const aniso_bootstrap *b, int n, int k, double *lo, double *hi)
{
    if (b->n_boot <= 0 || !b->layers || k < 0 || k >= b->n_metrics) return 0;
    int any = 0;
    for (int i = 0; i < n; i++) {
        const aniso_interval *iv = &b->layers[(size_t)i * (size_t)b->n_metrics + (size_t)k];
        int ok = isfinite(iv->lo) && isfinite(iv->hi);
        lo[i] = ok ? iv->lo : NAN, hi[i] = ok ? iv->hi : NAN;
        any |= ok;
    }
    return any;
}

#define EV_ARRAYS 7 /* per panel: lo, hi, the profile without first tokens, its lo, hi, 2 nulls */

/* Adds to panel p, whose series 0 is registry metric k of the profile
 * (band colour slot band), what r's evidence holds of it: the interval as a
 * band behind the line, the profile without first tokens (with its band
 * and its L*), the isotropic null (dashed) and the permuted null (dotted);
 * with full_legend, a legend naming them all (the other panels of a figure
 * name their vertical lines only: the lines mean the same in each). buf:
 * EV_ARRAYS x n doubles. Whether anything was added (if not, the panel is
 * as it was). */
static int add_evidence(panel *p, const aniso_profile_result *r, int k, const double *x,
                        double *buf, int band, const ev_labels *l, int full_legend)
{
    const aniso_evidence *ev = r->evidence;
    if (!ev || p->ns < 1 || k < 0) return 0;
    int n = r->n_measured, added = 0, band_color = -1;
    double *lo = buf, *hi = buf + n, *nf = buf + 2 * n, *nflo = buf + 3 * n, *nfhi = buf + 4 * n,
           *iso = buf + 5 * n, *perm = buf + 6 * n;
    series *s0 = &p->s[0], *s;
    if (ev_band(&ev->boot, n, k, lo, hi)) {
        s0->lo = lo, s0->hi = hi, s0->band_color = band;
        band_color = band, added = 1;
    }
    if (ev->nofirst && ev_values(ev->nofirst, n, k, nf) &&
        (s = add_series(p, x, nf, n, C_NOFIRST, s0->marker, "without first token"))) {
        if (ev_band(&ev->nofirst_boot, n, k, nflo, nfhi)) {
            s->lo = nflo, s->hi = nfhi, s->band_color = C_NOFIRST_BAND;
            if (band_color < 0) band_color = C_NOFIRST_BAND;
        }
        int ls = ev->nofirst_analysis.L_star;
        vline *v = n > 0 && ls >= x[0] && ls <= x[n - 1]
                       ? add_vline(p, ls, C_NOFIRST, 1.5, l->lstar_nf)
                       : NULL;
        if (v) v->dotted = 1;
        added = 1;
    }
    if (ev->null_iso && ev_values(ev->null_iso, n, k, iso) &&
        (s = add_series(p, x, iso, n, C_NULL, M_NONE, "isotropic null"))) {
        s->dash = LS_DASHED, s->lw = 1.5;
        added = 1;
    }
    if (ev->null_perm && ev_values(ev->null_perm, n, k, perm) &&
        (s = add_series(p, x, perm, n, C_NULL, M_NONE, "permuted null"))) {
        s->dash = LS_DOTTED, s->lw = 1.5;
        added = 1;
    }
    if (!added) return 0;
    s0->label = l->all;
    if (full_legend) p->legend = 2;
    p->top0 = 1;
    p->fill = 0; /* other lines over it: no shade down to zero */
    if (band_color >= 0) p->band_label = l->band, p->band_label_color = band_color;
    return 1;
}

/* Whether values on [lo, hi] = [0, unbounded) read better on a log axis:
 * every finite one positive, spanning more than a factor 30. */
static int wants_log(const double *const *ys, int ny, int n)
{
    double mn = INFINITY, mx = -INFINITY;
    for (int a = 0; a < ny; a++)
        for (int i = 0; ys[a] && i < n; i++) {
            if (!isfinite(ys[a][i])) continue;
            if (ys[a][i] <= 0) return 0;
            mn = fmin(mn, ys[a][i]), mx = fmax(mx, ys[a][i]);
        }
    return isfinite(mn) && mx > 30 * mn;
}

/* ---- The figures ---- */

aniso_status figure_profile(const char *path, unsigned format, const char *title,
                            const aniso_profile_result *r, aniso_error *err)
{
    int n = r->n_measured;
    /* 9 arrays of the profile's, then EV_ARRAYS for each of the panels
     * that show the evidence (the first three). */
    double *x = malloc(sizeof(double) * (9 + 3 * EV_ARRAYS) * (size_t)n);
    if (!x) return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
    double *idr = x + n, *er = x + 2 * n, *cs = x + 3 * n, *ev = x + 4 * n, *cv = x + 5 * n,
           *nz = x + 6 * n, *ne = x + 7 * n, *nc = x + 8 * n, *evbuf = x + 9 * n;
    for (int i = 0; i < n; i++) {
        x[i] = r->layer_ids ? r->layer_ids[i] : i;
        idr[i] = r->layers[i].intrinsic_dim_ratio;
        er[i] = r->layers[i].effective_rank;
        cs[i] = r->layers[i].avg_cos_sim_to_mean;
        ev[i] = r->layers[i].eigenvalue_variance;
        cv[i] = r->layers[i].norm_cv;
    }
    normalise(nz, idr, n, 0);
    normalise(ne, er, n, 1);
    normalise(nc, cs, n, 0);
    fig f;
    aniso_status st = fig_open(&f, path, format, 2700, 1650, err);
    if (st) {
        free(x);
        return st;
    }
    char ls[64], head[512], lines[3][512];
    snprintf(ls, sizeof ls, "L* = %d", r->analysis.L_star);
    snprintf(head, sizeof head, "%s: Anisotropy Profile (%s, L* = %d)", title, r->normalization,
             r->analysis.L_star);
    int nl = profile_title(r, head, lines);
    const char *tl[3] = {lines[0], lines[1], lines[2]};
    double top = 1 - title_height(nl), bot = pt_mm(4) / G.ph, side = pt_mm(4) / G.pw;
    double cw = (1 - 2 * side) / 3, rh = (top - bot) / 2;
    panel ps[6];
    static const char *const titles[6] = {"Primary Anisotropy: Variance Concentration",
                                          "Effective Rank (lower = more anisotropic)",
                                          "Directional Anisotropy",
                                          "Eigenvalue Variance",
                                          "Norm Coefficient of Variation",
                                          "All Metrics Normalized"};
    static const char *const ylabels[6] = {"λ#d1#u / Σ λ#di#u",      "Effective Rank",
                                           "Avg Cosine Sim to Mean", "Var(λ#di#u) [log scale]",
                                           "Norm CV (std/mean)",     "Normalized Value"};
    for (int i = 0; i < 6; i++) {
        int c = i % 3, row = i / 3;
        panel_init(&ps[i], side + c * cw, side + (c + 1) * cw, bot + (1 - row) * rh,
                   bot + (2 - row) * rh, titles[i], "Layer", ylabels[i]);
        ps[i].int_x = 1;
        ps[i].legend = i == 5 ? 2 : 1;
        add_vline(&ps[i], r->analysis.L_star, C_RED, 2.0, ls);
    }
    add_series(&ps[0], x, idr, n, C_BLUE, M_CIRCLE, "Intrinsic Dim Ratio");
    ps[0].fill = 1;
    add_series(&ps[1], x, er, n, C_GREEN, M_SQUARE, "Effective Rank");
    add_series(&ps[2], x, cs, n, C_MAGENTA, M_TRIANGLE, "Avg Cos Sim");
    add_series(&ps[3], x, ev, n, C_RED, M_DIAMOND, "Eigenvalue Variance");
    ps[3].logy = 1;
    add_series(&ps[4], x, cv, n, C_CYAN, M_PENTAGON, "Norm CV");
    add_series(&ps[5], x, nz, n, C_BLUE, M_NONE, "Intrinsic Dim Ratio");
    add_series(&ps[5], x, ne, n, C_GREEN, M_NONE, "1 - Effective Rank (norm)");
    add_series(&ps[5], x, nc, n, C_MAGENTA, M_NONE, "Avg Cos Sim");
    /* The evidence on the ratio, effective rank and cosine panels. */
    static const char *const ev_keys[3] = {"intrinsic_dim_ratio", "effective_rank",
                                           "avg_cos_sim_to_mean"};
    static const int ev_colors[3] = {C_BLUE, C_GREEN, C_MAGENTA};
    ev_labels el;
    ev_labels_make(r, &el);
    for (int i = 0, legend = 1; i < 3 && r->evidence; i++) {
        set_rgb(C_BAND + i, palette[ev_colors[i]], BAND_ALPHA);
        if (add_evidence(&ps[i], r, aniso_metric_find(ev_keys[i]), x, evbuf + i * EV_ARRAYS * n,
                         C_BAND + i, &el, legend))
            legend = 0;
    }
    int bad = 0;
    for (int i = 0; i < 6; i++) bad |= panel_prepare(&ps[i]);
    if (!bad) {
        draw_panels(ps, 6);
        draw_title(tl, nl);
    }
    for (int i = 0; i < 6; i++) panel_free(&ps[i]);
    free(x);
    st = fig_close(&f, err);
    if (!st && bad) {
        remove(path);
        st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
    }
    return st;
}

aniso_status figure_spectrum(const char *path, unsigned format, const char *title,
                             const aniso_profile_result *r, aniso_error *err)
{
    fig f;
    aniso_status st = fig_open(&f, path, format, 1800, 960, err);
    if (st) return st;
    char labels[5][32], head[512], lines[3][512];
    double xs[ANISO_TOP_EIGS], ys[5][ANISO_TOP_EIGS];
    int layer[5], count[5], ns = 0;
    for (int i = 0; i < ANISO_TOP_EIGS; i++) xs[i] = i;
    for (int k = 0; k < 5; k++) {
        int l = r->analysis.spectrum_layers[k], dup = 0;
        for (int j = 0; j < ns; j++) dup |= layer[j] == l;
        if (dup) continue; /* drawn once */
        int at = l;
        for (int i = 0; r->layer_ids && i < r->n_measured; i++)
            if (r->layer_ids[i] == l) at = i;
        const aniso_layer_metrics *m = &r->layers[at];
        double sum = 0;
        for (int i = 0; i < m->n_eig; i++) sum += m->eigenvalues[i];
        for (int i = 0; i < m->n_eig; i++) ys[ns][i] = m->eigenvalues[i] / sum;
        snprintf(labels[ns], sizeof labels[ns], "Layer %d", l);
        layer[ns] = l;
        count[ns++] = m->n_eig;
    }
    snprintf(head, sizeof head, "%s: Eigenvalue Spectrum at Key Layers (L* = %d)", title,
             r->analysis.L_star);
    int nl = profile_title(r, head, lines);
    const char *tl[3] = {lines[0], lines[1], lines[2]};
    panel p;
    panel_init(&p, pt_mm(4) / G.pw, 1 - pt_mm(4) / G.pw, pt_mm(4) / G.ph, 1 - title_height(nl),
               NULL, "Eigenvalue Index", "Normalized Eigenvalue (log scale)");
    p.logy = 1;
    p.int_x = 1;
    p.legend = 2;
    /* viridis over the layers drawn, end to end (as the notebook's
     * linspace(0, 1, n)). */
    for (int k = 0; k < ns; k++) {
        set_viridis(C_SERIES + k, ns > 1 ? (double)k / (ns - 1) : 0);
        add_series(&p, xs, ys[k], count[k], C_SERIES + k, M_NONE, labels[k]);
    }
    int bad = panel_prepare(&p);
    if (!bad) {
        draw_panels(&p, 1);
        draw_title(tl, nl);
    }
    panel_free(&p);
    st = fig_close(&f, err);
    if (!st && bad) {
        remove(path);
        st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
    }
    return st;
}

/* Prepares and draws the np panels under the title lines, frees them and
 * their x values, closes the figure; bad (memory ran out building them)
 * removes the file. */
static aniso_status panels_finish(fig *f, panel *ps, int np, const char *const *tl, int nl, int bad,
                                  double *x, const char *path, aniso_error *err)
{
    for (int i = 0; i < np; i++) bad |= panel_prepare(&ps[i]);
    if (!bad) {
        draw_panels(ps, np);
        draw_title(tl, nl);
    }
    for (int i = 0; i < np; i++) panel_free(&ps[i]);
    free(x);
    aniso_status st = fig_close(f, err);
    if (!st && bad) {
        remove(path);
        st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
    }
    return st;
}

aniso_status figure_norms(const char *path, unsigned format, const char *title,
                          const aniso_profile_result *r, aniso_error *err)
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
    /* The token controls (evidence.h): the mean norm at positions 0 .. 15
     * at the first measured layer, L* and the last, when there are any. */
    double tx[ANISO_POS_PROFILE], ty[3][ANISO_POS_PROFILE];
    char tlab[3][64];
    int nt = 0, tlayer[3];
    const aniso_layer_tokens *tok = r->evidence ? r->evidence->tokens : NULL;
    for (int p = 0; p < ANISO_POS_PROFILE; p++) tx[p] = p;
    if (tok && n > 0) {
        int at_star = -1;
        for (int i = 0; i < n; i++)
            if ((r->layer_ids ? r->layer_ids[i] : i) == r->analysis.L_star) at_star = i;
        int cand[3] = {0, at_star, n - 1};
        for (int c = 0; c < 3; c++) {
            int i = cand[c], dup = i < 0, any = 0;
            for (int t = 0; t < nt; t++) dup |= tlayer[t] == i;
            if (dup) continue;
            for (int p = 0; p < ANISO_POS_PROFILE; p++) {
                double v = tok[i].pos_norm[p];
                ty[nt][p] = tok[i].pos_count[p] > 0 && isfinite(v) ? v : NAN;
                any |= isfinite(ty[nt][p]);
            }
            if (!any) continue;
            int l = r->layer_ids ? r->layer_ids[i] : i;
            snprintf(tlab[nt], sizeof tlab[nt], "layer %d%s", l, i == at_star ? " (L*)" : "");
            tlayer[nt++] = i;
        }
    }
    fig f;
    aniso_status st = fig_open(&f, path, format, nt ? 3150 : 2100, 900, err);
    if (st) {
        free(x);
        return st;
    }
    char ls[64], head[512], lines[3][512];
    snprintf(ls, sizeof ls, "L* = %d", r->analysis.L_star);
    snprintf(head, sizeof head, "%s: %s Effect on Embedding Norms", title, r->normalization);
    int nl = profile_title(r, head, lines);
    const char *tl[3] = {lines[0], lines[1], lines[2]};
    double top = 1 - title_height(nl), bot = pt_mm(4) / G.ph, side = pt_mm(4) / G.pw;
    double mid0 = 0.5, mid1 = 0.5, cw = (1 - 2 * side) / 3;
    if (nt) mid0 = side + cw, mid1 = side + 2 * cw;
    panel ps[3];
    panel_init(&ps[0], side, mid0, bot, top, "Mean Embedding Norm (+/- 1 std)", "Layer",
               "Embedding Norm");
    add_series(&ps[0], x, mn, n, C_BLUE, M_CIRCLE, "Mean norm");
    ps[0].band_lo = lo;
    ps[0].band_hi = hi;
    panel_init(&ps[1], mid0, nt ? mid1 : 1 - side, bot, top,
               "Norm Coefficient of Variation (low = more uniform norms)", "Layer",
               "CV = std/mean");
    add_series(&ps[1], x, cv, n, C_GREEN, M_SQUARE, "Norm CV");
    ps[1].hline = 0.0;
    int bad = 0, np = nt ? 3 : 2;
    for (int i = 0; i < 2; i++) {
        ps[i].int_x = 1;
        ps[i].legend = 1;
        add_vline(&ps[i], r->analysis.L_star, C_RED, 2.0, ls);
    }
    if (nt) {
        const double *all[3] = {ty[0], ty[1], ty[2]};
        int logy = wants_log(all, nt, ANISO_POS_PROFILE);
        panel_init(&ps[2], mid1, 1 - side, bot, top, "Mean Norm by Position in the Sequence",
                   "Position (0: the first token)", logy ? "Mean norm (log scale)" : "Mean norm");
        ps[2].logy = logy;
        ps[2].int_x = 1;
        ps[2].xr_lo = 0, ps[2].xr_hi = ANISO_POS_PROFILE - 1;
        ps[2].legend = 2;
        for (int t = 0; t < nt; t++) {
            set_viridis(C_SERIES + t, nt > 1 ? (double)t / (nt - 1) * 0.85 : 0);
            add_series(&ps[2], tx, ty[t], ANISO_POS_PROFILE, C_SERIES + t, M_CIRCLE, tlab[t]);
        }
    }
    return panels_finish(&f, ps, np, tl, nl, bad, x, path, err);
}

#define MAX_FAMILY 12 /* panels of the metric family figure */

aniso_status figure_family(const char *path, unsigned format, const char *title,
                           const aniso_profile_result *r, aniso_error *err)
{
    int nm, n = r->n_measured, which[MAX_FAMILY], np = 0;
    const aniso_metric_info *reg = aniso_metric_registry(&nm);
    for (int k = 0; k < nm && np < MAX_FAMILY; k++)
        if (!(reg[k].flags & ANISO_METRIC_NOTEBOOK)) which[np++] = k;
    size_t cnt = (size_t)(n > 0 ? n : 1);
    double *x = malloc(sizeof(double) * cnt * (size_t)(1 + np * (1 + EV_ARRAYS)));
    if (!x) return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
    for (int i = 0; i < n; i++) x[i] = r->layer_ids ? r->layer_ids[i] : i;
    int ncol = np < 3 ? (np > 0 ? np : 1) : 3, rows = np > 0 ? (np + ncol - 1) / ncol : 1;
    fig f;
    aniso_status st = fig_open(&f, path, format, 2700, rows <= 2 ? 1650 : 825 * rows, err);
    if (st) {
        free(x);
        return st;
    }
    char ls[64], head[512], lines[3][512], ylab[MAX_FAMILY][96];
    snprintf(ls, sizeof ls, "L* = %d", r->analysis.L_star);
    snprintf(head, sizeof head, "%s: The Wider Metric Family (L* = %d)", title, r->analysis.L_star);
    int nl = profile_title(r, head, lines);
    const char *tl[3] = {lines[0], lines[1], lines[2]};
    double top = 1 - title_height(nl), bot = pt_mm(4) / G.ph, side = pt_mm(4) / G.pw;
    double cw = (1 - 2 * side) / ncol, rh = (top - bot) / rows;
    /* tab10 without the orange and red of the profile without first
     * tokens and of L*. */
    static const int pick[8] = {0, 2, 4, 5, 6, 9, 8, 7};
    static const int markers[5] = {M_CIRCLE, M_SQUARE, M_TRIANGLE, M_DIAMOND, M_PENTAGON};
    ev_labels el;
    ev_labels_make(r, &el);
    const aniso_evidence *evd = r->evidence;
    panel ps[MAX_FAMILY];
    int legend = 1; /* the evidence's legend still to place */
    for (int j = 0; j < np; j++) {
        int k = which[j], c = j % ncol, row = j / ncol;
        double *y = x + cnt * (size_t)(1 + j * (1 + EV_ARRAYS)), *buf = y + cnt;
        panel *p = &ps[j];
        snprintf(ylab[j], sizeof ylab[j], "%s", reg[k].key);
        panel_init(p, side + c * cw, side + (c + 1) * cw, bot + (rows - 1 - row) * rh,
                   bot + (rows - row) * rh, reg[k].title, "Layer", ylab[j]);
        p->int_x = 1;
        if (n > 0) p->xr_lo = x[0], p->xr_hi = x[n - 1];
        set_rgb(C_SERIES + j, tab10[pick[j % 8]], 1.0);
        set_rgb(C_BAND + j, tab10[pick[j % 8]], BAND_ALPHA);
        int measured = ev_values(r->layers, n, k, y);
        if (!measured && evd && evd->nofirst) measured = ev_values(evd->nofirst, n, k, buf);
        if (!measured) {
            p->message = "not measured";
            continue;
        }
        add_series(p, x, y, n, C_SERIES + j, markers[j % 5], reg[k].title);
        add_vline(p, r->analysis.L_star, C_RED, 2.0, ls);
        p->legend = 1;
        if (add_evidence(p, r, k, x, buf, C_BAND + j, &el, legend)) legend = 0;
        /* Rank-like metrics (unbounded above) on a log axis when they, their
         * intervals and nulls span more than a factor 30. */
        const double *all[2 * MAX_PANEL_SERIES] = {y};
        int ny = 1;
        for (int t = 0; t < p->ns; t++) {
            if (t > 0 && ny < 2 * MAX_PANEL_SERIES) all[ny++] = p->s[t].y;
            if (p->s[t].lo && ny + 2 <= 2 * MAX_PANEL_SERIES)
                all[ny++] = p->s[t].lo, all[ny++] = p->s[t].hi;
        }
        if (reg[k].lo >= 0 && reg[k].hi > 1 && wants_log(all, ny, n)) {
            p->logy = 1;
            snprintf(ylab[j], sizeof ylab[j], "%s (log scale)", reg[k].key);
        }
    }
    return panels_finish(&f, ps, np, tl, nl, 0, x, path, err);
}

/* A compared model's name: a file path shortened to its file name. */
static const char *model_label(const aniso_result_file *r, char *buf, size_t cap)
{
    const char *m = r->model;
    const char *slash = strchr(m, '/');
    size_t len = strlen(m);
    /* A Hub id (owner/name) stays; a path goes to its last component. */
    if (m[0] == '/' || m[0] == '.' || m[0] == '~' || (slash && strchr(slash + 1, '/')) ||
        (len > 5 && !strcmp(m + len - 5, ".gguf"))) {
        char *s = aniso_report_short_name(m);
        snprintf(buf, cap, "%s", s ? s : m);
        free(s);
    } else {
        snprintf(buf, cap, "%s", m);
    }
    size_t k = strlen(buf);
    snprintf(buf + k, cap - k, " (%d layers", r->n - 1);
    k = strlen(buf);
    if (r->mask) snprintf(buf + k, cap - k, "; %s", r->mask), k = strlen(buf);
    if (r->n_tokens > 0) snprintf(buf + k, cap - k, ", n = %lld", r->n_tokens), k = strlen(buf);
    snprintf(buf + k, cap - k, ")");
    return buf;
}

aniso_status figure_compare(const char *path, unsigned format, aniso_result_file *const *rs, int n,
                            aniso_error *err)
{
    int nn = n < N_SERIES ? n : N_SERIES;
    double *xs[N_SERIES] = {0};
    char labels[N_SERIES][256];
    int bad = 0;
    for (int k = 0; k < nn; k++) {
        int m = rs[k]->n;
        if (!(xs[k] = malloc(sizeof(double) * (size_t)(m > 0 ? m : 1)))) bad = 1;
        for (int i = 0; xs[k] && i < m; i++) xs[k][i] = m > 1 ? (double)i / (m - 1) : 0;
        model_label(rs[k], labels[k], sizeof labels[k]);
    }
    fig f;
    aniso_status st = bad ? aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path)
                          : fig_open(&f, path, format, 2700, 1000, err);
    if (st) {
        for (int k = 0; k < nn; k++) free(xs[k]);
        return st;
    }
    /* The legend: one row under the panels when it fits, else columns. */
    entry e[N_SERIES];
    static const int markers[3] = {M_CIRCLE, M_SQUARE, M_TRIANGLE};
    for (int k = 0; k < nn; k++) e[k] = (entry){C_SERIES + k, M_CIRCLE, 0, 2.0, labels[k], 0};
    int ncol = nn;
    double lw, lh;
    page_coords();
    for (;; ncol--) {
        legend_size(e, nn, ncol, &lw, &lh);
        if (lw <= 0.96 || ncol == 1) break;
    }
    char head[128], sub[128];
    snprintf(head, sizeof head, "Anisotropy Profiles on Relative Depth (layer / L)");
    snprintf(sub, sizeof sub, "%d model%s; dashed lines: each model's L*", n, n == 1 ? "" : "s");
    const char *tl[2] = {head, sub};
    double top = 1 - title_height(2), side = pt_mm(4) / G.pw;
    double bot = pt_mm(6) / G.ph + lh + pt_mm(4) / G.ph, cw = (1 - 2 * side) / 3;
    static const char *const titles[3] = {"Intrinsic Dimension Ratio", "Effective Rank",
                                          "Avg Cosine Sim to Mean"};
    static const char *const ylab[3] = {"λ#d1#u / Σ λ#di#u", "Effective Rank (log scale)",
                                        "Avg Cosine Sim"};
    panel ps[3];
    for (int pnl = 0; pnl < 3; pnl++) {
        panel *p = &ps[pnl];
        panel_init(p, side + pnl * cw, side + (pnl + 1) * cw, bot, top, titles[pnl],
                   "Relative depth (layer / L)", ylab[pnl]);
        p->logy = pnl == 1;
        p->marker_pt = 4.5;
        for (int k = 0; k < nn; k++) {
            const double *y = pnl == 0 ? rs[k]->idr : pnl == 1 ? rs[k]->erank : rs[k]->cos;
            if (!y) continue;
            add_series(p, xs[k], y, rs[k]->n, C_SERIES + k, markers[pnl], labels[k]);
            add_vline(p, rs[k]->n > 1 ? (double)rs[k]->analysis.L_star / (rs[k]->n - 1) : 0,
                      C_SERIES + k, 1.5, NULL);
        }
        bad |= panel_prepare(p);
    }
    if (!bad) {
        draw_panels(ps, 3);
        draw_legend_at(e, nn, ncol, 0.5 - lw / 2, pt_mm(6) / G.ph + lh, lw, lh, 4.5);
        draw_title(tl, 2);
    }
    for (int pnl = 0; pnl < 3; pnl++) panel_free(&ps[pnl]);
    for (int k = 0; k < nn; k++) free(xs[k]);
    st = fig_close(&f, err);
    if (!st && bad) {
        remove(path);
        st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
    }
    return st;
}
