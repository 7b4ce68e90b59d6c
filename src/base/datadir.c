/* Shipped-data lookup (datadir.h). TORTA_DATA_SOURCE_DIR and TORTA_DATA_INSTALL_DIR are set
 * for this file alone by CMakeLists.txt. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "base/datadir.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef TORTA_DATA_SOURCE_DIR
#define TORTA_DATA_SOURCE_DIR ""
#endif
#ifndef TORTA_DATA_INSTALL_DIR
#define TORTA_DATA_INSTALL_DIR ""
#endif

/* The folder above the one holding the running executable ("" when unknown). */
static void exe_parent(char *out, size_t n)
{
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    out[0] = '\0';
    if (len <= 0)
        return;
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    snprintf(out, n, "%s/..", exe);
}

int torta_data_path(const char *rel, char *out, size_t n)
{
    const char *env = getenv("TORTA_DATA_DIR");
    if (env && *env) {
        snprintf(out, n, "%s/%s", env, rel);
        return access(out, R_OK) == 0 ? 0 : -1;
    }
    char up[PATH_MAX + 4];
    exe_parent(up, sizeof up);
    const char *bases[4] = {up, up, TORTA_DATA_SOURCE_DIR, TORTA_DATA_INSTALL_DIR};
    const char *mids[4] = {"/share/torta-sim", "", "", ""};
    char first[PATH_MAX] = "";
    for (int i = 0; i < 4; i++) {
        if (!bases[i][0])
            continue;
        char cand[PATH_MAX];
        snprintf(cand, sizeof cand, "%s%s/%s", bases[i], mids[i], rel);
        if (!first[0])
            snprintf(first, sizeof first, "%s", cand);
        if (access(cand, R_OK) == 0) {
            char real[PATH_MAX];
            snprintf(out, n, "%s", realpath(cand, real) ? real : cand); /* no "bin/.." in messages */
            return 0;
        }
    }
    snprintf(out, n, "%s", first[0] ? first : rel);
    return -1;
}
