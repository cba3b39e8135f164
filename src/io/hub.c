/* hub.c - downloads from the Hugging Face Hub into the hub cache, as
 * huggingface_hub's file_download.py lays it out (see hub.h). */
#define _DEFAULT_SOURCE /* flock */
#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aniso/aniso.h"
#include "aniso/hub.h"
#include "base/base.h"
#include "io/json.h"

#define DEFAULT_ENDPOINT "https://huggingface.co"
#define API_LIMIT        (64u << 20) /* bytes of an API answer */

/* ---- SHA-256 (FIPS 180-4), for LFS blobs, whose ETag is their sha256 ---- */

typedef struct sha256 {
    uint32_t h[8];
    uint64_t len;
    unsigned char buf[64];
    size_t n;
} sha256;

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t ror(uint32_t x, int n)
{
    return (x >> n) | (x << (32 - n));
}

static void sha256_block(sha256 *s, const unsigned char *p)
{
    uint32_t w[64], a[8];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    memcpy(a, s->h, sizeof a);
    for (int i = 0; i < 64; i++) {
        uint32_t S1 = ror(a[4], 6) ^ ror(a[4], 11) ^ ror(a[4], 25);
        uint32_t ch = (a[4] & a[5]) ^ (~a[4] & a[6]);
        uint32_t t1 = a[7] + S1 + ch + K256[i] + w[i];
        uint32_t S0 = ror(a[0], 2) ^ ror(a[0], 13) ^ ror(a[0], 22);
        uint32_t mj = (a[0] & a[1]) ^ (a[0] & a[2]) ^ (a[1] & a[2]);
        memmove(a + 1, a, 7 * sizeof a[0]);
        a[4] += t1;
        a[0] = t1 + S0 + mj;
    }
    for (int i = 0; i < 8; i++) s->h[i] += a[i];
}

static void sha256_init(sha256 *s)
{
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, h0, sizeof h0);
    s->len = 0;
    s->n = 0;
}

static void sha256_update(sha256 *s, const void *data, size_t n)
{
    const unsigned char *p = data;
    s->len += n;
    while (n > 0) {
        size_t k = 64 - s->n < n ? 64 - s->n : n;
        memcpy(s->buf + s->n, p, k);
        s->n += k, p += k, n -= k;
        if (s->n == 64) sha256_block(s, s->buf), s->n = 0;
    }
}

static void sha256_hex(sha256 *s, char out[65])
{
    uint64_t bits = s->len * 8;
    unsigned char pad = 0x80, zero = 0, be[8];
    sha256_update(s, &pad, 1);
    while (s->n != 56) sha256_update(s, &zero, 1);
    for (int i = 0; i < 8; i++) be[i] = (unsigned char)(bits >> (56 - 8 * i));
    sha256_update(s, be, 8);
    for (int i = 0; i < 8; i++) snprintf(out + 8 * i, 9, "%08x", s->h[i]);
}

/* sha256 of a whole file, as lower-case hex; 0 or -1 (errno set). */
static int sha256_file(const char *path, char out[65])
{
    enum { CHUNK = 1 << 20 };
    unsigned char *buf = malloc(CHUNK);
    FILE *f = buf ? fopen_regular(path, NULL) : NULL;
    if (!f) {
        free(buf);
        return -1;
    }
    sha256 s;
    sha256_init(&s);
    size_t n;
    while ((n = fread(buf, 1, CHUNK, f)) > 0) sha256_update(&s, buf, n);
    int bad = ferror(f);
    fclose(f);
    free(buf);
    if (bad) return -1;
    sha256_hex(&s, out);
    return 0;
}

/* ---- small strings (growable buffers: abuf, base.h) ---- */

static char *str_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *str_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *p = malloc((size_t)n + 1);
    if (!p) return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

/* s percent-encoded as Python's urllib.parse.quote(s, safe) does. */
static char *url_quote(const char *s, const char *safe)
{
    size_t n = strlen(s);
    char *out = malloc(3 * n + 1), *o = out;
    if (!out) return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || strchr("_.-~", *p) || (*p && strchr(safe, *p)))
            *o++ = (char)*p;
        else
            o += sprintf(o, "%%%02X", *p);
    }
    *o = 0;
    return out;
}

static int is_hex(const char *s, size_t n)
{
    if (strlen(s) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i])) return 0;
    return 1;
}

/* "scheme://host[:port]" of url: its length, 0 when url is not absolute. */
static size_t origin_len(const char *url)
{
    const char *p = strstr(url, "://");
    if (!p) return 0;
    p += 3;
    while (*p && *p != '/' && *p != '?' && *p != '#') p++;
    return (size_t)(p - url);
}

static int same_origin(const char *a, const char *b)
{
    size_t na = origin_len(a), nb = origin_len(b);
    return na && na == nb && !strncasecmp(a, b, na);
}

/* ---- HTTP ---- */

/* The headers of the last response (a redirect's, when not followed). */
typedef struct resp {
    long code;
    char etag[256], linked_etag[256], linked_size[32], length[32], commit[64], location[4096],
        error_code[64], range[96], encoding[32];
} resp;

static void copy_value(char *dst, size_t cap, const char *v, size_t n)
{
    while (n > 0 && (*v == ' ' || *v == '\t')) v++, n--;
    while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ')) n--;
    if (n >= cap) n = cap - 1;
    memcpy(dst, v, n);
    dst[n] = 0;
}

static size_t on_header(char *line, size_t size, size_t nitems, void *user)
{
    resp *r = user;
    size_t n = size * nitems;
    if (n > 5 && !strncmp(line, "HTTP/", 5)) { /* a new response: forget the last one's */
        memset(r, 0, sizeof *r);
        const char *sp = memchr(line, ' ', n);
        if (sp) r->code = strtol(sp + 1, NULL, 10);
        return n;
    }
    const char *colon = memchr(line, ':', n);
    if (!colon) return n;
    size_t kn = (size_t)(colon - line), vn = n - kn - 1;
    const char *v = colon + 1;
    static const struct {
        const char *name;
        size_t off, cap;
    } keys[] = {
#define K_(name, field) {name, offsetof(resp, field), sizeof(((resp *)0)->field)}
        K_("etag", etag),
        K_("x-linked-etag", linked_etag),
        K_("x-linked-size", linked_size),
        K_("content-length", length),
        K_("x-repo-commit", commit),
        K_("location", location),
        K_("x-error-code", error_code),
        K_("content-range", range),
        K_("content-encoding", encoding),
#undef K_
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strlen(keys[i].name) == kn && !strncasecmp(line, keys[i].name, kn))
            copy_value((char *)r + keys[i].off, keys[i].cap, v, vn);
    return n;
}

typedef struct hub {
    const char *id, *endpoint, *token, *rev;
    char *user_agent;
    int gated; /* the API said the model is gated */
} hub;

static CURL *easy_new(const hub *h, const char *url, int auth, struct curl_slist **hdrs, resp *r)
{
    CURL *c = curl_easy_init();
    if (!c) return NULL;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_USERAGENT, h->user_agent);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 20L);
    /* a transfer that stalls (under 1 byte/s for a minute) is broken off */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#endif
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    *hdrs = NULL;
    if (auth && h->token) {
        char *a = str_fmt("Authorization: Bearer %s", h->token);
        if (a) *hdrs = curl_slist_append(*hdrs, a);
        free(a);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
    return c;
}

static aniso_status curl_failed(aniso_error *err, const hub *h, CURLcode rc, const char *url,
                                const char *errbuf)
{
    return aniso_error_set(err, ANISO_IO, "%s: cannot reach %s: %s", h->id, url,
                           errbuf && errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

/* The one-line message for an HTTP error status of a request about file
 * (NULL: the repository itself). */
static aniso_status http_failed(aniso_error *err, const hub *h, const resp *r, const char *file,
                                const char *url)
{
    const char *code = r->error_code;
    if (r->code == 401 || r->code == 403) {
        int gated = h->gated || !strcmp(code, "GatedRepo");
        if (!strcmp(code, "RepoNotFound"))
            return aniso_error_set(err, ANISO_NOT_FOUND,
                                   "%s: no such model on the Hub (%s), or it is private: check "
                                   "the name, or set HF_TOKEN to a token that can read it",
                                   h->id, h->endpoint);
        if (gated && !h->token)
            return aniso_error_set(
                err, ANISO_INVALID_ARGUMENT,
                "%s is gated (HTTP %ld): accept its terms at %s/%s, then set HF_TOKEN to a "
                "token of that account (or save one with 'hf auth login')",
                h->id, r->code, h->endpoint, h->id);
        if (gated)
            return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                   "%s is gated and the Hub refused the token (HTTP %ld): accept "
                                   "the model's terms at %s/%s with the token's account, or set "
                                   "HF_TOKEN to a token that has access",
                                   h->id, r->code, h->endpoint, h->id);
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                               "%s: the Hub refused access (HTTP %ld): the model is private or "
                               "gated; %s (and accept its terms at %s/%s)",
                               h->id, r->code,
                               h->token ? "the token has no access: set HF_TOKEN to one that has"
                                        : "set HF_TOKEN to a token that has access",
                               h->endpoint, h->id);
    }
    if (r->code == 404) {
        if (!strcmp(code, "RevisionNotFound"))
            return aniso_error_set(err, ANISO_NOT_FOUND, "%s: no revision '%s' on the Hub (%s)",
                                   h->id, h->rev, h->endpoint);
        if (file)
            return aniso_error_set(err, ANISO_NOT_FOUND, "%s: no file '%s' at revision '%s' (%s)",
                                   h->id, file, h->rev, url);
        return aniso_error_set(err, ANISO_NOT_FOUND, "%s: no such model on the Hub (%s)", h->id,
                               h->endpoint);
    }
    return aniso_error_set(err, ANISO_IO, "%s: %s: HTTP %ld%s%s", h->id, url, r->code,
                           code[0] ? " " : "", code);
}

/* An API answer: its bytes, and whether it outgrew API_LIMIT or memory. */
typedef struct api_body {
    abuf b;
    int overflow;
} api_body;

static size_t to_body(char *p, size_t size, size_t n, void *user)
{
    api_body *a = user;
    if (a->b.n + size * n > API_LIMIT || abuf_add(&a->b, p, size * n)) {
        a->overflow = 1;
        return 0;
    }
    return size * n;
}

/* GET url into *body (the API). */
static aniso_status get_json(const hub *h, const char *url, aj **out, aniso_error *err)
{
    resp r = {0};
    api_body a = {0};
    struct curl_slist *hdrs;
    char errbuf[CURL_ERROR_SIZE] = "";
    CURL *c = easy_new(h, url, 1, &hdrs, &r);
    if (!c) return aniso_error_set(err, ANISO_NO_MEMORY, "%s: cannot start libcurl", h->id);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""); /* whatever libcurl decodes */
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    aniso_status st = ANISO_OK;
    if (rc != CURLE_OK && !a.overflow)
        st = curl_failed(err, h, rc, url, errbuf);
    else if (a.overflow)
        st = aniso_error_set(err, ANISO_IO, "%s: %s: answer too large", h->id, url);
    else if (r.code != 200)
        st = http_failed(err, h, &r, NULL, url);
    else if (!(*out = aj_parse(a.b.p ? a.b.p : "", a.b.n, url, err)))
        st = err ? err->code : ANISO_FORMAT;
    free(a.b.p);
    return st;
}

static size_t discard(char *p, size_t size, size_t n, void *user)
{
    (void)p, (void)user;
    return size * n;
}

/* A file's metadata, as huggingface_hub's get_hf_file_metadata reads it. */
typedef struct meta {
    char etag[256], commit[64];
    char *url; /* where to GET it (a redirect's target, or the resolve URL) */
    int auth;  /* whether to send the token there (same host as the endpoint) */
    uint64_t size;
} meta;

/* HEAD url, following relative redirects only (a renamed repository); an
 * absolute redirect (the CDN) is where the bytes are. */
static aniso_status head_file(const hub *h, const char *file, const char *url0, meta *m,
                              aniso_error *err)
{
    char *url = str_dup(url0);
    if (!url) return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", h->id);
    resp r;
    aniso_status st = ANISO_OK;
    for (int hops = 0;; hops++) {
        memset(&r, 0, sizeof r);
        struct curl_slist *hdrs;
        char errbuf[CURL_ERROR_SIZE] = "";
        CURL *c = easy_new(h, url, 1, &hdrs, &r);
        if (!c) {
            st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: cannot start libcurl", h->id);
            break;
        }
        hdrs = curl_slist_append(hdrs, "Accept-Encoding: identity");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
        CURLcode rc = curl_easy_perform(c);
        curl_easy_cleanup(c);
        curl_slist_free_all(hdrs);
        if (rc != CURLE_OK) {
            st = curl_failed(err, h, rc, url, errbuf);
            break;
        }
        int redirect = r.code >= 300 && r.code <= 399;
        if (redirect && r.location[0] == '/' && r.location[1] != '/' && hops < 10) {
            size_t o = origin_len(url);
            char *next = str_fmt("%.*s%s", (int)o, url, r.location);
            free(url);
            if (!(url = next)) {
                st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", h->id);
                break;
            }
            continue;
        }
        if (r.code >= 400 || (redirect && !r.location[0]) || r.code < 200) {
            st = r.code >= 400
                     ? http_failed(err, h, &r, file, url0)
                     : aniso_error_set(err, ANISO_IO, "%s: %s: HTTP %ld", h->id, url0, r.code);
            break;
        }
        /* ETag: W/"x" or "x", normalized as huggingface_hub does */
        const char *e = r.linked_etag[0] ? r.linked_etag : r.etag;
        if (!strncmp(e, "W/", 2)) e += 2;
        size_t en = strlen(e);
        while (en && e[en - 1] == '"') en--;
        while (en && *e == '"') e++, en--;
        snprintf(m->etag, sizeof m->etag, "%.*s", (int)en, e);
        snprintf(m->commit, sizeof m->commit, "%s", r.commit);
        const char *sz = r.linked_size[0] ? r.linked_size : redirect ? "" : r.length;
        char *endp;
        m->size = sz[0] ? strtoull(sz, &endp, 10) : 0;
        if (!m->commit[0])
            st = aniso_error_set(err, ANISO_IO,
                                 "%s: %s: no X-Repo-Commit header: %s does not answer as the "
                                 "Hugging Face Hub does (a proxy or firewall in the way?)",
                                 h->id, file, h->endpoint);
        else if (!m->etag[0] || !aniso_hf_safe_relpath(m->etag) || strchr(m->etag, '/'))
            st = aniso_error_set(err, ANISO_IO, "%s: %s: the Hub gave no usable ETag", h->id, file);
        else if (!sz[0] || *endp)
            st = aniso_error_set(err, ANISO_IO, "%s: %s: the Hub gave no file size", h->id, file);
        if (st) break;
        if (redirect) {
            m->url = str_dup(r.location);
            m->auth = same_origin(r.location, url0);
            free(url);
        } else {
            m->url = url;
            m->auth = 1;
        }
        if (!m->url) st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", h->id);
        return st;
    }
    free(url);
    return st;
}

/* ---- the transfer of one blob ---- */

typedef struct dl {
    const hub *h;
    const aniso_hub_opts *o;
    FILE *f;
    resp *r;
    uint64_t have, begin, total;
    int checked;
    long bad; /* an HTTP status that is not the file's bytes */
    int write_error;
    aniso_hub_progress p;
    struct timespec t0;
} dl;

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

static size_t on_data(char *p, size_t size, size_t n, void *user)
{
    dl *d = user;
    if (!d->checked) {
        d->checked = 1;
        long code = d->r->code;
        if (code == 200 && d->have > 0) { /* the range was ignored: start over */
            fflush(d->f);
            if (ftruncate(fileno(d->f), 0) != 0 || fseek(d->f, 0, SEEK_SET) != 0) {
                d->write_error = errno;
                return 0;
            }
            d->have = d->begin = d->p.resumed = 0;
        } else if (code == 206) {
            unsigned long long from = 0;
            if (sscanf(d->r->range, "bytes %llu-", &from) != 1 || from != d->have) {
                d->bad = code;
                return 0;
            }
        } else if (code != 200) {
            d->bad = code;
            return 0;
        }
    }
    size_t k = size * n;
    if (d->have + k > d->total) { /* more than the Hub said: not this file */
        d->bad = -1;
        return 0;
    }
    if (fwrite(p, 1, k, d->f) != k) {
        d->write_error = errno ? errno : EIO;
        return 0;
    }
    d->have += k;
    return k;
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)ultotal, (void)ulnow, (void)dlnow;
    dl *d = user;
    if (d->o->progress && d->checked) {
        d->p.done = d->have;
        d->p.seconds = since(&d->t0);
        d->o->progress(&d->p, d->o->progress_user);
    }
    return 0;
}

/* Downloads m into incomplete (appending to what is there), with retries;
 * on success the file holds m->size bytes. */
static aniso_status transfer(const hub *h, const aniso_hub_opts *o, const char *file,
                             const char *incomplete, const meta *m, int index, int count,
                             uint64_t *got, aniso_error *err)
{
    int fd = open(incomplete, O_RDWR | O_CREAT, 0644);
    if (fd < 0)
        return aniso_error_set(err, ANISO_IO, "%s: cannot create: %s", incomplete, strerror(errno));
    FILE *f = fdopen(fd, "r+b");
    if (!f) {
        close(fd);
        return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", incomplete);
    }
    struct stat sb;
    fstat(fd, &sb);
    uint64_t have = (uint64_t)sb.st_size;
    if (have > m->size && ftruncate(fd, 0) == 0) have = 0; /* not a prefix of this file */
    fseek(f, 0, SEEK_END);
    int retries = o->retries == 0 ? 3 : o->retries < 0 ? 0 : o->retries;
    aniso_status st = ANISO_OK;
    dl d = {.h = h, .o = o, .f = f, .have = have, .total = m->size};
    d.p = (aniso_hub_progress){
        .file = file, .index = index, .count = count, .total = m->size, .resumed = have};
    clock_gettime(CLOCK_MONOTONIC, &d.t0);
    /* (nothing to transfer when an earlier run left the whole file) */
    for (int attempt = 0; have < m->size; attempt++) {
        resp r = {0};
        struct curl_slist *hdrs;
        char errbuf[CURL_ERROR_SIZE] = "", range[32];
        CURL *c = easy_new(h, m->url, m->auth, &hdrs, &r);
        if (!c) {
            st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: cannot start libcurl", h->id);
            break;
        }
        d.r = &r;
        d.checked = 0;
        d.bad = 0;
        d.begin = have;
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L); /* the CDN may redirect again */
        curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &d);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, &d);
        if (have > 0) {
            snprintf(range, sizeof range, "%llu-", (unsigned long long)have);
            curl_easy_setopt(c, CURLOPT_RANGE, range);
        }
        CURLcode rc = curl_easy_perform(c);
        if (rc == CURLE_OK && !d.checked) { /* an empty body */
            long code = r.code;
            d.checked = 1;
            if (code != 200 && code != 206) d.bad = code;
        }
        curl_easy_cleanup(c);
        curl_slist_free_all(hdrs);
        fflush(f);
        uint64_t before = have;
        have = d.have;
        if (d.write_error) {
            st = aniso_error_set(err, ANISO_IO, "%s: cannot write: %s", incomplete,
                                 strerror(d.write_error));
            break;
        }
        if (d.bad == -1) {
            st = aniso_error_set(err, ANISO_IO,
                                 "%s: %s: the server sent more than the %llu bytes the Hub "
                                 "announced",
                                 h->id, file, (unsigned long long)m->size);
            fflush(f);
            if (ftruncate(fd, 0) != 0) { /* the next run starts over anyway */
            }
            break;
        }
        if (d.bad == 416 && have > 0) { /* a range beyond the file: start over */
            if (ftruncate(fd, 0) != 0 || fseek(f, 0, SEEK_SET) != 0) {
                st = aniso_error_set(err, ANISO_IO, "%s: cannot truncate: %s", incomplete,
                                     strerror(errno));
                break;
            }
            have = d.have = 0;
            if (attempt < retries) continue;
        }
        if (d.bad) {
            st = http_failed(err, h, &r, file, m->url);
            break;
        }
        if (rc == CURLE_OK && have == m->size) break;
        if (rc == CURLE_OK) {
            st =
                aniso_error_set(err, ANISO_IO,
                                "%s: %s: the transfer ended after %llu of %llu bytes; run it "
                                "again to resume",
                                h->id, file, (unsigned long long)have, (unsigned long long)m->size);
            break;
        }
        if (attempt >= retries) {
            st = aniso_error_set(err, ANISO_IO,
                                 "%s: %s: %s after %llu of %llu bytes (%d attempts); run it "
                                 "again to resume from %s",
                                 h->id, file, errbuf[0] ? errbuf : curl_easy_strerror(rc),
                                 (unsigned long long)have, (unsigned long long)m->size, attempt + 1,
                                 incomplete);
            break;
        }
        if (have == before) sleep(1); /* no progress: wait a little */
    }
    if (o->progress && !st) {
        d.p.done = have;
        d.p.seconds = since(&d.t0);
        d.p.finished = 1;
        o->progress(&d.p, o->progress_user);
    }
    if (fclose(f) != 0 && !st)
        st = aniso_error_set(err, ANISO_IO, "%s: cannot write: %s", incomplete, strerror(errno));
    if (!st) *got = have - d.p.resumed;
    return st;
}

/* ---- the cache ---- */

typedef struct want {
    char *file; /* repository path */
    char *etag; /* its blob name, once known */
    int linked; /* already in the snapshot */
} want;

typedef struct fetch {
    hub h;
    const aniso_hub_opts *o;
    char *repo, *blobs, *locks, *snap, *commit;
    want *w;
    size_t n, cap;
    char **siblings;
    size_t n_sib;
    aniso_hub_snapshot *out;
} fetch;

static int has_sibling(const fetch *f, const char *name)
{
    for (size_t i = 0; i < f->n_sib; i++)
        if (!strcmp(f->siblings[i], name)) return 1;
    return 0;
}

static int add_want(fetch *f, const char *file)
{
    for (size_t i = 0; i < f->n; i++)
        if (!strcmp(f->w[i].file, file)) return 0;
    if (vec_reserve((void **)&f->w, &f->cap, f->n + 1, sizeof *f->w)) return -1;
    want *w = &f->w[f->n];
    memset(w, 0, sizeof *w);
    if (!(w->file = str_dup(file))) return -1;
    f->n++;
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcasecmp(s + n - k, suffix);
}

/* Puts the blob of want i into blobs/ (unless the snapshot links it). */
static aniso_status get_blob(fetch *f, size_t i, aniso_error *err)
{
    want *w = &f->w[i];
    char *pointer = path_join(f->snap, w->file);
    if (!pointer) return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", f->h.id);
    struct stat sb;
    int linked = stat(pointer, &sb) == 0 && S_ISREG(sb.st_mode);
    free(pointer);
    if (linked) {
        w->linked = 1;
        return ANISO_OK;
    }
    aniso_status st = ANISO_OK;
    char *qfile = url_quote(w->file, "/"), *url = NULL, *blob = NULL, *incomplete = NULL,
         *lock = NULL;
    int lockfd = -1;
    meta m = {0};
    if (!qfile ||
        !(url = str_fmt("%s/%s/resolve/%s/%s", f->h.endpoint, f->h.id, f->commit, qfile))) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", f->h.id);
        goto out;
    }
    if ((st = head_file(&f->h, w->file, url, &m, err))) goto out;
    if (strcmp(m.commit, f->commit)) {
        st = aniso_error_set(err, ANISO_IO,
                             "%s: %s: the Hub answered for commit %s, not %s (the revision "
                             "moved while fetching? run it again)",
                             f->h.id, w->file, m.commit, f->commit);
        goto out;
    }
    if (!(w->etag = str_dup(m.etag)) || !(blob = path_join(f->blobs, m.etag)) ||
        !(incomplete = str_fmt("%s.incomplete", blob)) ||
        !(lock = str_fmt("%s/%s.lock", f->locks, m.etag))) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", f->h.id);
        goto out;
    }
    if (stat(blob, &sb) == 0 && S_ISREG(sb.st_mode) && (uint64_t)sb.st_size == m.size)
        goto out; /* cached (another revision, or huggingface_hub) */
    /* The lock huggingface_hub takes too (.locks/REPO/ETAG.lock, flock). */
    if ((st = ensure_dir(f->locks, err)) || (st = ensure_dir(f->blobs, err))) goto out;
    lockfd = open(lock, O_RDWR | O_CREAT, 0644);
    if (lockfd >= 0) flock(lockfd, LOCK_EX);
    if (stat(blob, &sb) == 0 && S_ISREG(sb.st_mode) && (uint64_t)sb.st_size == m.size)
        goto out; /* another process fetched it meanwhile */
    uint64_t got = 0;
    if ((st = transfer(&f->h, f->o, w->file, incomplete, &m, (int)i, (int)f->n, &got, err)))
        goto out;
    if (stat(incomplete, &sb) != 0 || (uint64_t)sb.st_size != m.size) {
        st = aniso_error_set(err, ANISO_IO, "%s: %s: %llu bytes, the Hub said %llu", f->h.id,
                             w->file, stat(incomplete, &sb) ? 0ull : (unsigned long long)sb.st_size,
                             (unsigned long long)m.size);
        goto out;
    }
    if (is_hex(m.etag, 64)) { /* an LFS file: its ETag is its sha256 */
        char hex[65];
        if (sha256_file(incomplete, hex)) {
            st = aniso_error_set(err, ANISO_IO, "%s: cannot read: %s", incomplete, strerror(errno));
            goto out;
        }
        if (strcmp(hex, m.etag)) {
            unlink(incomplete); /* not a prefix worth resuming */
            st = aniso_error_set(err, ANISO_IO,
                                 "%s: %s: checksum mismatch: the downloaded bytes' sha256 is %s, "
                                 "the Hub's is %s; nothing was put in the cache (run it again)",
                                 f->h.id, w->file, hex, m.etag);
            goto out;
        }
    }
    if (rename(incomplete, blob) != 0) {
        st = aniso_error_set(err, ANISO_IO, "%s: cannot rename to %s: %s", incomplete, blob,
                             strerror(errno));
        goto out;
    }
    f->out->n_downloaded++;
    f->out->bytes += got;
out:
    if (lockfd >= 0) close(lockfd); /* releases the flock */
    free(qfile);
    free(url);
    free(blob);
    free(incomplete);
    free(lock);
    free(m.url);
    return st;
}

/* snapshots/COMMIT/FILE -> ../../blobs/ETAG (one more ../ per folder in
 * FILE), made under a temporary name and renamed over. */
static aniso_status link_blob(fetch *f, const want *w, aniso_error *err)
{
    char *pointer = path_join(f->snap, w->file), *target = NULL, *tmp = NULL;
    aniso_status st = ANISO_OK;
    if (!pointer) return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", f->h.id);
    size_t depth = 2;
    for (const char *p = w->file; *p; p++) depth += *p == '/';
    abuf t = {0};
    for (size_t i = 0; i < depth; i++) abuf_add(&t, "../", 3);
    abuf_add(&t, "blobs/", 6);
    abuf_add(&t, w->etag, strlen(w->etag));
    target = t.p;
    char *slash = strrchr(pointer, '/');
    *slash = 0;
    st = ensure_dir(pointer, err);
    *slash = '/';
    if (st) goto out;
    if (!target || !(tmp = str_fmt("%s.%ld.tmp", pointer, (long)getpid()))) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", f->h.id);
        goto out;
    }
    unlink(tmp);
    if (symlink(target, tmp) != 0 || rename(tmp, pointer) != 0) {
        st = aniso_error_set(err, ANISO_IO, "%s: cannot make the link: %s", pointer,
                             strerror(errno));
        unlink(tmp);
    }
out:
    free(pointer);
    free(target);
    free(tmp);
    return st;
}

/* refs/REV holding the commit, without a newline, as huggingface_hub
 * writes it (and reads it back without stripping). */
static aniso_status write_ref(fetch *f, aniso_error *err)
{
    if (!strcmp(f->h.rev, f->commit)) return ANISO_OK;
    char *refs = path_join(f->repo, "refs"), *ref = refs ? path_join(refs, f->h.rev) : NULL;
    aniso_status st = ANISO_OK;
    if (!ref) {
        free(refs);
        return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", f->h.id);
    }
    char *buf = NULL;
    size_t len;
    if (is_file(ref) && read_small_file(ref, 4096, &buf, &len, NULL) == 0 &&
        !strcmp(buf, f->commit))
        goto out; /* unchanged: not rewritten (the cache may be read-only) */
    char *slash = strrchr(ref, '/');
    *slash = 0;
    st = ensure_dir(ref, err);
    *slash = '/';
    if (st) goto out;
    afile a;
    if ((st = afile_create(&a, ref, err))) goto out;
    fputs(f->commit, a.f);
    st = afile_commit(&a, err);
out:
    free(buf);
    free(refs);
    free(ref);
    return st;
}

void aniso_hub_snapshot_free(aniso_hub_snapshot *s)
{
    if (!s) return;
    free(s->repo_dir);
    free(s->dir);
    free(s->commit);
    free(s->model);
    free(s);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "a.gguf, b.gguf, ..." of the list (at most 20 names). */
static char *name_list(char **names, size_t n)
{
    abuf b = {0};
    for (size_t i = 0; i < n && i < 20; i++) {
        if (i) abuf_add(&b, ", ", 2);
        abuf_add(&b, names[i], strlen(names[i]));
    }
    if (n > 20) abuf_add(&b, ", ...", 5);
    return b.p ? b.p : str_dup("");
}

static aniso_status choose_files(fetch *f, aniso_error *err)
{
    const char *id = f->h.id;
    char **ggufs = malloc((f->n_sib + 1) * sizeof *ggufs);
    size_t ng = 0;
    aniso_status st = ANISO_OK;
    if (!ggufs) return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", id);
    for (size_t i = 0; i < f->n_sib; i++)
        if (ends_with(f->siblings[i], ".gguf")) ggufs[ng++] = f->siblings[i];
    qsort(ggufs, ng, sizeof *ggufs, cmp_str);
    const char *file = f->o->file;
    if (file) {
        if (!ends_with(file, ".gguf"))
            st = aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                 "%s: '%s' is not a GGUF file (a file chosen must end in .gguf)",
                                 id, file);
        else if (!has_sibling(f, file)) {
            char *list = name_list(ggufs, ng);
            st = aniso_error_set(err, ANISO_NOT_FOUND, "%s: no file '%s' at revision '%s'%s%s", id,
                                 file, f->h.rev, ng ? "; its GGUF files: " : " (and no GGUF file)",
                                 list ? list : "");
            free(list);
        } else if (add_want(f, file))
            st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", id);
        goto out;
    }
    int weights =
        has_sibling(f, "model.safetensors") || has_sibling(f, "model.safetensors.index.json");
    if (has_sibling(f, "config.json") && weights) {
        static const char *const names[] = {
            "config.json",           "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json",
            "model.safetensors",     "model.safetensors.index.json"};
        int single = has_sibling(f, "model.safetensors");
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            if (!has_sibling(f, names[i])) continue;
            if (i == 5 && single) continue; /* the single file wins, as in transformers */
            if (add_want(f, names[i])) {
                st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", id);
                goto out;
            }
        }
        goto out;
    }
    if (ng == 1) {
        if (add_want(f, ggufs[0])) st = aniso_error_set(err, ANISO_NO_MEMORY, "out of memory");
        goto out;
    }
    if (ng > 1) {
        char *list = name_list(ggufs, ng);
        st = aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                             "%s has %zu GGUF files; choose one with --file NAME.gguf: %s", id, ng,
                             list ? list : "");
        free(list);
        goto out;
    }
    st = aniso_error_set(err, ANISO_UNSUPPORTED,
                         "%s: at revision '%s' there is %s (aniso reads config.json with "
                         "model.safetensors or its index, or a GGUF file)",
                         id, f->h.rev,
                         has_sibling(f, "config.json") ? "config.json but no safetensors weights"
                                                       : "neither config.json nor a GGUF file");
out:
    free(ggufs);
    return st;
}

/* The shards that the index (the blob just fetched, or the linked file)
 * names, added to the files wanted. */
static aniso_status add_shards(fetch *f, size_t i, aniso_error *err)
{
    want *w = &f->w[i];
    char *path = w->linked ? path_join(f->snap, w->file) : path_join(f->blobs, w->etag);
    char *buf = NULL;
    size_t len;
    aniso_status st;
    if (!path) return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", f->h.id);
    if ((st = read_small_file(path, 64u << 20, &buf, &len, err))) goto out;
    aniso_hf_index *idx = aniso_hf_index_parse(buf, len, w->file, err);
    if (!idx) {
        st = err ? err->code : ANISO_FORMAT;
        goto out;
    }
    for (size_t k = 0; k < idx->n && !st; k++) {
        const char *shard = idx->entries[k].shard;
        if (!has_sibling(f, shard))
            st = aniso_error_set(err, ANISO_NOT_FOUND,
                                 "%s: %s names shard '%s', which the repository lacks", f->h.id,
                                 w->file, shard);
        else if (add_want(f, shard))
            st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", f->h.id);
    }
    aniso_hf_index_free(idx);
out:
    free(path);
    free(buf);
    return st;
}

static aniso_status read_api(fetch *f, aniso_error *err)
{
    char *qrev = url_quote(f->h.rev, ""), *url = NULL;
    aj *root = NULL;
    aniso_status st = ANISO_OK;
    if (!qrev || !(url = str_fmt("%s/api/models/%s/revision/%s", f->h.endpoint, f->h.id, qrev))) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", f->h.id);
        goto out;
    }
    if ((st = get_json(&f->h, url, &root, err))) goto out;
    const char *sha = aj_str(aj_get(root, "sha"));
    aj *sib = aj_get(root, "siblings"), *gated = aj_get(root, "gated");
    f->h.gated = gated && ((aj_is_bool(gated) && aj_bool(gated)) || aj_is_string(gated));
    if (!sha || !is_hex(sha, 40) || !aj_is_array(sib)) {
        st = aniso_error_set(err, ANISO_FORMAT,
                             "%s: %s: expected the Hub's model info (a 40-hex 'sha' and "
                             "'siblings')",
                             f->h.id, url);
        goto out;
    }
    if (!(f->commit = str_dup(sha)) ||
        !(f->siblings = calloc(aj_size(sib) + 1, sizeof *f->siblings))) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", f->h.id);
        goto out;
    }
    for (size_t i = 0; i < aj_size(sib); i++) {
        const char *name = aj_str(aj_get(aj_at(sib, i), "rfilename"));
        if (!name || !aniso_hf_safe_relpath(name)) continue; /* never outside the snapshot */
        if (!(f->siblings[f->n_sib] = str_dup(name))) {
            st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", f->h.id);
            goto out;
        }
        f->n_sib++;
    }
out:
    aj_free(root);
    free(qrev);
    free(url);
    return st;
}

/* ORG/NAME (or NAME), each part of [A-Za-z0-9._-], not starting with '.'. */
static int valid_id(const char *s)
{
    int parts = 0;
    const char *p = s;
    for (;;) {
        size_t n = strcspn(p, "/");
        if (n == 0 || n > 96 || p[0] == '.' || strstr(p, "..") == p) return 0;
        for (size_t i = 0; i < n; i++)
            if (!isalnum((unsigned char)p[i]) && !strchr("._-", p[i])) return 0;
        if (++parts > 2) return 0;
        if (!p[n]) return 1;
        p += n + 1;
    }
}

aniso_hub_snapshot *aniso_hub_fetch(const char *model_id, const aniso_hub_opts *opts,
                                    aniso_error *err)
{
    fetch f = {0};
    aniso_status st = ANISO_OK;
    char *endpoint = NULL, *folder = NULL;
    if (!model_id || !valid_id(model_id)) {
        aniso_error_set(err, ANISO_INVALID_ARGUMENT, "%s: not a Hub model id (ORG/NAME)",
                        model_id ? model_id : "(null)");
        return NULL;
    }
    if (!opts || !opts->cache_dir || !*opts->cache_dir) {
        aniso_error_set(err, ANISO_INVALID_ARGUMENT, "%s: no Hugging Face cache folder given",
                        model_id);
        return NULL;
    }
    const char *rev = opts->revision && *opts->revision ? opts->revision : "main";
    if (!aniso_hf_safe_relpath(rev)) {
        aniso_error_set(err, ANISO_INVALID_ARGUMENT, "%s: invalid revision '%s'", model_id, rev);
        return NULL;
    }
    if (opts->file && !aniso_hf_safe_relpath(opts->file)) {
        aniso_error_set(err, ANISO_INVALID_ARGUMENT, "%s: invalid file name '%s'", model_id,
                        opts->file);
        return NULL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        aniso_error_set(err, ANISO_IO, "%s: cannot start libcurl", model_id);
        return NULL;
    }
    endpoint = str_dup(opts->endpoint && *opts->endpoint ? opts->endpoint : DEFAULT_ENDPOINT);
    if (endpoint)
        for (size_t n = strlen(endpoint); n > 0 && endpoint[n - 1] == '/'; n--) endpoint[n - 1] = 0;
    f.o = opts;
    f.h = (hub){.id = model_id, .endpoint = endpoint, .token = opts->token, .rev = rev};
    if (f.h.token && !*f.h.token) f.h.token = NULL;
    f.h.user_agent = str_fmt("aniso/%s; %s", aniso_version(), curl_version());
    abuf fo = {0};
    abuf_add(&fo, "models--", 8);
    for (const char *p = model_id; *p; p++)
        if (*p == '/')
            abuf_add(&fo, "--", 2);
        else
            abuf_add(&fo, p, 1);
    folder = fo.p;
    if (!endpoint || !f.h.user_agent || !folder || !(f.out = calloc(1, sizeof *f.out)) ||
        !(f.repo = path_join(opts->cache_dir, folder)) || !(f.blobs = path_join(f.repo, "blobs"))) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", model_id);
        goto out;
    }
    char *locks_root = path_join(opts->cache_dir, ".locks");
    f.locks = locks_root ? path_join(locks_root, folder) : NULL;
    free(locks_root);
    if (!f.locks) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", model_id);
        goto out;
    }

    if ((st = read_api(&f, err))) goto out;
    if (!(f.snap = str_fmt("%s/snapshots/%s", f.repo, f.commit))) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", model_id);
        goto out;
    }
    if ((st = choose_files(&f, err))) goto out;
    if ((st = ensure_dir(opts->cache_dir, err))) goto out;
    for (size_t i = 0; i < f.n; i++) { /* (f.n grows by the shards an index names) */
        if ((st = get_blob(&f, i, err))) goto out;
        if (!strcmp(f.w[i].file, "model.safetensors.index.json") && (st = add_shards(&f, i, err)))
            goto out;
    }
    /* Every blob is in place: the snapshot's links, then the ref. */
    if ((st = ensure_dir(f.snap, err))) goto out;
    for (size_t i = 0; i < f.n; i++)
        if (!f.w[i].linked && (st = link_blob(&f, &f.w[i], err))) goto out;
    if ((st = write_ref(&f, err))) goto out;
    /* CACHEDIR.TAG, as huggingface_hub tags the cache for backup tools */
    char *tag = path_join(opts->cache_dir, "CACHEDIR.TAG");
    if (tag && !is_file(tag)) {
        FILE *t = fopen(tag, "wx");
        if (t) {
            fputs("Signature: 8a477f597d28d172789f06886806bc55\n"
                  "# This file is a cache directory tag created by huggingface_hub.\n"
                  "# For information about cache directory tags, see:\n"
                  "#\thttps://bford.info/cachedir/\n",
                  t);
            fclose(t);
        }
    }
    free(tag);
    f.out->repo_dir = f.repo;
    f.repo = NULL;
    f.out->dir = f.snap;
    f.snap = NULL;
    f.out->commit = f.commit;
    f.commit = NULL;
    f.out->n_files = f.n;
    const char *gguf = NULL;
    for (size_t i = 0; i < f.n; i++)
        if (ends_with(f.w[i].file, ".gguf")) gguf = f.w[i].file;
    f.out->model = gguf ? path_join(f.out->dir, gguf) : str_dup(f.out->dir);
    if (!f.out->model) st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", model_id);
out:
    if (st && f.snap && f.repo) {
        /* no partial snapshot: remove the folder if this run left it empty */
        rmdir(f.snap);
        char *snaps = path_join(f.repo, "snapshots");
        if (snaps) rmdir(snaps);
        free(snaps);
    }
    for (size_t i = 0; i < f.n; i++) free(f.w[i].file), free(f.w[i].etag);
    free(f.w);
    for (size_t i = 0; i < f.n_sib; i++) free(f.siblings[i]);
    free(f.siblings);
    free(f.repo);
    free(f.blobs);
    free(f.locks);
    free(f.snap);
    free(f.commit);
    free(f.h.user_agent);
    free(endpoint);
    free(folder);
    curl_global_cleanup();
    if (st) {
        aniso_hub_snapshot_free(f.out);
        return NULL;
    }
    return f.out;
}

/* ---- cached snapshots ---- */

aniso_status aniso_hub_snapshot_gguf(const char *dir, char **out, aniso_error *err)
{
    *out = NULL;
    char *cfg = path_join(dir, "config.json");
    if (!cfg) return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", dir);
    int has_cfg = is_file(cfg);
    free(cfg);
    if (has_cfg) return ANISO_OK;
    DIR *d = opendir(dir);
    if (!d) return ANISO_OK;
    char *names[21];
    size_t n = 0, total = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.' || !ends_with(e->d_name, ".gguf")) continue;
        char *p = path_join(dir, e->d_name);
        int ok = p && is_file(p);
        free(p);
        if (!ok) continue;
        total++;
        if (n < 21 && !(names[n++] = str_dup(e->d_name))) n--;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    aniso_status st = ANISO_OK;
    if (total == 1 && n == 1) {
        if (!(*out = path_join(dir, names[0])))
            st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", dir);
    } else if (total > 1) {
        char *list = name_list(names, n);
        st = aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                             "%s: holds %zu GGUF files (%s); name the one to open: %s/%s", dir,
                             total, list ? list : "", dir, names[0]);
        free(list);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    return st;
}

int aniso_hub_snapshot_complete(const char *dir)
{
    char *p = path_join(dir, "config.json"), *single = path_join(dir, "model.safetensors"),
         *index = path_join(dir, "model.safetensors.index.json"), *buf = NULL, *gguf = NULL;
    int ok = 0;
    if (!p || !single || !index) goto out;
    if (!is_file(p)) { /* GGUF files (several count as there too) */
        aniso_error e;
        ok = aniso_hub_snapshot_gguf(dir, &gguf, &e) != ANISO_OK || gguf;
        goto out;
    }
    if (is_file(single)) {
        ok = 1;
        goto out;
    }
    size_t len;
    if (!is_file(index) || read_small_file(index, 64u << 20, &buf, &len, NULL)) goto out;
    aniso_hf_index *idx = aniso_hf_index_parse(buf, len, index, NULL);
    ok = idx != NULL;
    for (size_t i = 0; idx && i < idx->n && ok; i++) {
        char *s = path_join(dir, idx->entries[i].shard);
        ok = s && is_file(s);
        free(s);
    }
    aniso_hf_index_free(idx);
out:
    free(p);
    free(single);
    free(index);
    free(buf);
    free(gguf);
    return ok;
}
