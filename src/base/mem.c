/* mem.c - the memory a run may use (mem.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

/* The first line of a small text file into buf; 0, or -1. */
static int read_line(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int ok = fgets(buf, (int)cap, f) != NULL;
    fclose(f);
    if (!ok) return -1;
    buf[strcspn(buf, "\n")] = 0;
    return 0;
}

/* A decimal count at s (the whole string); 0, or -1. */
static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (*s < '0' || *s > '9') return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end) return -1;
    *out = v;
    return 0;
}

static uint64_t meminfo_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    unsigned long long kb = 0;
    if (!f) return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) break;
    fclose(f);
    return kb > UINT64_MAX / 1024 ? UINT64_MAX : (uint64_t)kb * 1024;
}

/* The number at the start of dir/file (a cgroup's); 0, or -1 ("max", or
 * no such file). */
static int cg_value(const char *dir, const char *file, uint64_t *out)
{
    char path[4400], buf[64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return read_line(path, buf, sizeof buf) || parse_u64(buf, out) ? -1 : 0;
}

/* The value of key in dir/memory.stat, or 0. */
static uint64_t cg_stat(const char *dir, const char *key)
{
    char path[4400], line[256];
    snprintf(path, sizeof path, "%s/memory.stat", dir);
    FILE *f = fopen(path, "r");
    size_t n = strlen(key);
    uint64_t v = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, n) && line[n] == ' ') {
            line[strcspn(line, "\n")] = 0;
            if (parse_u64(line + n + 1, &v)) v = 0;
            break;
        }
    if (f) fclose(f);
    return v;
}

/* The headroom of cgroup folder dir (v2: memory.max, v1:
 * memory.limit_in_bytes) less what it uses, its inactive page cache (which
 * the kernel reclaims first) left out; UINT64_MAX when it sets no limit. */
static uint64_t cgroup_headroom(const char *dir, int v2)
{
    uint64_t max, cur;
    if (cg_value(dir, v2 ? "memory.max" : "memory.limit_in_bytes", &max) || max >= (1ull << 62))
        return UINT64_MAX; /* "max", or v1's "no limit" (a page-rounded 2^63 - 1) */
    if (cg_value(dir, v2 ? "memory.current" : "memory.usage_in_bytes", &cur)) cur = 0;
    uint64_t cache = cg_stat(dir, v2 ? "inactive_file" : "total_inactive_file");
    uint64_t used = cur > cache ? cur - cache : 0;
    return used >= max ? 0 : max - used;
}

/* The smallest headroom of this process's cgroup and those above it: v2
 * ("0::PATH" in /proc/self/cgroup, under /sys/fs/cgroup) and v1's memory
 * controller ("N:memory:PATH", under /sys/fs/cgroup/memory). */
static uint64_t cgroup_available(void)
{
    char rel[2][4096] = {"", ""}, line[4200];
    int have[2] = {0, 0};
    FILE *f = fopen("/proc/self/cgroup", "r");
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2) continue;
        *c2 = 0;
        char controllers[256]; /* v1: comma-separated */
        snprintf(controllers, sizeof controllers, ",%s,", c1 + 1);
        int v2 = c1[1] == 0, v1mem = strstr(controllers, ",memory,") != NULL;
        if (v2 || v1mem) {
            snprintf(rel[v2], sizeof rel[v2], "%s", c2 + 1);
            have[v2] = 1;
        }
    }
    if (f) fclose(f);
    have[1] = 1; /* /sys/fs/cgroup itself, at least */
    uint64_t best = UINT64_MAX;
    for (int v2 = 0; v2 < 2; v2++) {
        if (!have[v2]) continue;
        const char *root = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory";
        char *r = rel[v2], dir[4200];
        for (;;) {
            snprintf(dir, sizeof dir, "%s%s", root, strcmp(r, "/") ? r : "");
            uint64_t h = cgroup_headroom(dir, v2);
            if (h < best) best = h;
            char *slash = strrchr(r, '/');
            if (!slash || !r[0]) break;
            *slash = 0; /* the parent; "" is the root itself */
        }
    }
    return best;
}

uint64_t mem_available(void)
{
    uint64_t a = meminfo_available(), c = cgroup_available();
    if (!a) return c == UINT64_MAX ? 0 : c;
    return c < a ? c : a;
}

const char *mem_str(uint64_t bytes, char *buf, size_t cap)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    if (bytes < 1024) {
        snprintf(buf, cap, "%llu bytes", (unsigned long long)bytes);
        return buf;
    }
    double v = (double)bytes / 1024;
    int u = 0;
    while (v >= 1024 && u < 4) v /= 1024, u++;
    snprintf(buf, cap, v < 100 ? "%.1f %s" : "%.0f %s", v, units[u]);
    return buf;
}

aniso_status mem_check(const char *what, uint64_t need, const char *detail, uint64_t limit,
                       aniso_error *err)
{
    uint64_t have = limit ? limit : mem_available();
    if (have == 0 || need <= have) return ANISO_OK;
    char a[32], b[32];
    return aniso_error_set(
        err, ANISO_NO_MEMORY, "%s needs about %s%s%s%s; %s %s (--max-memory to change the limit)",
        what, mem_str(need, a, sizeof a), detail ? " (" : "", detail ? detail : "",
        detail ? ")" : "", mem_str(have, b, sizeof b), limit ? "is the limit" : "is available");
}
