/* fuzz_replay.c - runs a fuzz target (fuzz/fuzz_TARGET.c) once on every file
 * of the folders given, as libFuzzer would run its seeds: so that every
 * seed, and every regression input a finding left in fuzz/seeds/, is
 * checked by the ordinary test builds (the sanitizer builds included),
 * without clang's libFuzzer. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return fprintf(stderr, "%s: cannot open\n", path), -1;
    size_t cap = 1 << 16, n = 0, r;
    uint8_t *buf = malloc(cap);
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0)
        if ((n += r) == cap) {
            uint8_t *p = realloc(buf, cap *= 2);
            if (!p) free(buf);
            buf = p;
        }
    fclose(f);
    if (!buf) return fprintf(stderr, "%s: out of memory\n", path), -1;
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    int files = 0;
    for (int a = 1; a < argc; a++) {
        DIR *d = opendir(argv[a]);
        if (!d) return fprintf(stderr, "%s: not a folder\n", argv[a]), 1;
        struct dirent *e;
        while ((e = readdir(d))) {
            char path[4096];
            struct stat sb;
            snprintf(path, sizeof path, "%s/%s", argv[a], e->d_name);
            if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
            if (run_file(path)) return 1;
            files++;
        }
        closedir(d);
    }
    printf("%d inputs replayed\n", files);
    return files > 0 ? 0 : 1;
}
