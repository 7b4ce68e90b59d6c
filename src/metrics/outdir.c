/* Atomic output folders. */
#include "metrics/outdir.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void torta_remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *ent;
    char path[4096];
    while ((ent = readdir(d)) != NULL) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            torta_remove_tree(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* mkdir -p for the parent folders of `path`. */
int torta_make_parents(const char *path, torta_err *e)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return torta_err_set(e, TORTA_EINPUT, "--out %s: cannot create %s: %s", path, buf, strerror(errno));
        *p = '/';
    }
    return 0;
}

int torta_outdir_begin(const char *final, char **tmp, torta_err *e)
{
    size_t n = strlen(final);
    while (n > 1 && final[n - 1] == '/')
        n--;
    if (n == 0 || n > 3000)
        return torta_err_set(e, TORTA_EINPUT, "--out: invalid folder name");
    char *t = malloc(n + 32);
    if (!t)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    snprintf(t, n + 32, "%.*s.partial-%ld", (int)n, final, (long)getpid());
    int rc = torta_make_parents(t, e);
    if (!rc) {
        torta_remove_tree(t);
        if (mkdir(t, 0777) != 0)
            rc = torta_err_set(e, TORTA_EINPUT, "--out %s: cannot create a folder there: %s", final,
                               strerror(errno));
    }
    if (rc) {
        free(t);
        return rc;
    }
    *tmp = t;
    return 0;
}

int torta_outdir_commit(const char *tmp, const char *final, torta_err *e)
{
    struct stat st;
    if (stat(final, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return torta_err_set(e, TORTA_EINPUT, "--out %s: exists and is not a folder", final);
        char marker[4096], bound_marker[4096]; /* a run's output, or `torta-sim bound`'s */
        snprintf(marker, sizeof marker, "%s/summary.json", final);
        snprintf(bound_marker, sizeof bound_marker, "%s/bound.json", final);
        DIR *d = opendir(final);
        int entries = 0;
        struct dirent *ent;
        while (d && (ent = readdir(d)) != NULL)
            entries += strcmp(ent->d_name, ".") != 0 && strcmp(ent->d_name, "..") != 0;
        if (d)
            closedir(d);
        if (entries > 0 && access(marker, F_OK) != 0 && access(bound_marker, F_OK) != 0)
            return torta_err_set(e, TORTA_EINPUT,
                                 "--out %s: the folder exists and is not a torta-sim output (no "
                                 "summary.json or bound.json); refusing to replace it", final);
        torta_remove_tree(final);
    }
    if (rename(tmp, final) != 0)
        return torta_err_set(e, TORTA_EIO, "--out %s: cannot move results into place: %s", final,
                             strerror(errno));
    return 0;
}

void torta_outdir_abort(const char *tmp)
{
    if (tmp)
        torta_remove_tree(tmp);
}

int torta_write_json(const char *dir, const char *name, const cJSON *json, torta_err *e)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    char *text = cJSON_Print(json);
    if (!text)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    FILE *f = fopen(tmp, "w");
    int ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    if (f && fclose(f) != 0)
        ok = 0;
    free(text);
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return torta_err_set(e, TORTA_EIO, "%s: cannot write: %s", path, strerror(errno));
    }
    return 0;
}
