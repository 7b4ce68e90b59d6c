/* Shared by the libFuzzer harnesses: the readers take a path, so each input is written to a
 * per-process scratch file (in $TMPDIR, default /tmp) whose name ends with the extension the
 * loader dispatches on. The files are removed at exit. */
#ifndef TORTA_FUZZ_COMMON_H
#define TORTA_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUZZ_MAX_FILES 8

typedef struct fuzz_files {
    int n;
    char paths[FUZZ_MAX_FILES][256];
} fuzz_files;

/* The harness's scratch file list; only harness code (never the library) keeps state here. */
static fuzz_files fuzz_scratch;

static inline void fuzz_cleanup(void)
{
    for (int i = 0; i < fuzz_scratch.n; i++)
        unlink(fuzz_scratch.paths[i]);
}

/* Path of the scratch file with this suffix (".csv", ".gml", ...), created on first use. */
static inline const char *fuzz_path(const char *suffix)
{
    for (int i = 0; i < fuzz_scratch.n; i++) {
        size_t n = strlen(fuzz_scratch.paths[i]), k = strlen(suffix);
        if (n >= k && strcmp(fuzz_scratch.paths[i] + n - k, suffix) == 0)
            return fuzz_scratch.paths[i];
    }
    if (fuzz_scratch.n == FUZZ_MAX_FILES)
        abort();
    const char *dir = getenv("TMPDIR");
    char *p = fuzz_scratch.paths[fuzz_scratch.n];
    snprintf(p, sizeof fuzz_scratch.paths[0], "%s/torta-fuzz-%ld-%d%s", dir && *dir ? dir : "/tmp",
             (long)getpid(), fuzz_scratch.n, suffix);
    if (fuzz_scratch.n++ == 0)
        atexit(fuzz_cleanup);
    return p;
}

/* Writes the bytes to the scratch file with this suffix and returns its path. */
static inline const char *fuzz_write(const char *suffix, const uint8_t *data, size_t size)
{
    const char *p = fuzz_path(suffix);
    FILE *f = fopen(p, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(p);
        abort();
    }
    return p;
}

/* A NUL-terminated copy of the bytes (the caller frees it). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#endif
