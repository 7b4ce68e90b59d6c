/* Safe output folders and files: temporary sibling + rename, a manifest that marks what
 * torta-sim made, a lock and an atomic exchange against concurrent runs, stale clean-up. */
#define _GNU_SOURCE /* flock, syscall */
#include "metrics/outdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* First lines of the manifest: a finished output, and a run's temporary folder. */
static const char DONE_HEADER[] = "torta-sim output folder: --force replaces it only while it holds "
                                  "just the files listed here\n";
static const char PARTIAL_HEADER[] = "torta-sim partial output\n";
static const char SHARED_HEADER[] = "torta-sim sweep folder: one sub-folder per point\n";

/* renameat2 (Linux 3.15+); ENOSYS elsewhere, and EINVAL on file systems without it: callers
 * fall back to plain renames under the lock. */
static int rename2(const char *from, const char *to, unsigned flags)
{
#if defined(__linux__) && defined(SYS_renameat2)
    return (int)syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, flags);
#else
    (void)from, (void)to, (void)flags;
    errno = ENOSYS;
    return -1;
#endif
}

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
            return torta_err_set(e, TORTA_EINPUT, "%s: cannot create %s: %s", path, buf, strerror(errno));
        *p = '/';
    }
    return 0;
}

/* The folder holding `path` ("." for a bare name). */
static void parent_of(const char *path, char *out, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, n, ".");
    else if (slash == path)
        snprintf(out, n, "/");
    else
        snprintf(out, n, "%.*s", (int)(slash - path), path);
}

/* The manifest's text (malloc'ed, at most 1 MB), or NULL. */
static char *read_manifest(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, TORTA_MANIFEST);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = malloc((1 << 20) + 2);
    size_t n = text ? fread(text + 1, 1, 1 << 20, f) : 0;
    fclose(f);
    if (!text)
        return NULL;
    text[0] = '\n'; /* so every listed name reads "\nname\n" */
    text[n + 1] = '\0';
    return text;
}

static int listed(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = strstr(text, name); p; p = strstr(p + 1, name))
        if (p[-1] == '\n' && p[n] == '\n')
            return 1;
    return 0;
}

/* Checks dir's manifest against header and its entries: regular files only, and (when
 * must_list) every one named in the manifest. */
static int holds_only_ours(const char *dir, const char *header, size_t header_n, int must_list,
                           char *why, size_t why_n)
{
    char *text = read_manifest(dir);
    if (!text || strncmp(text + 1, header, header_n) != 0) {
        snprintf(why, why_n, "no %s from torta-sim in it", TORTA_MANIFEST);
        free(text);
        return 0;
    }
    DIR *d = opendir(dir);
    int ours = d != NULL;
    struct dirent *ent;
    while (ours && (ent = readdir(d)) != NULL) {
        const char *name = ent->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strcmp(name, TORTA_MANIFEST) == 0)
            continue;
        char path[4400];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || (must_list && !listed(text, name))) {
            snprintf(why, why_n, "%.200s is not a file torta-sim wrote there", name);
            ours = 0;
        }
    }
    if (d)
        closedir(d);
    free(text);
    return ours;
}

int torta_outdir_is_ours(const char *dir, char *why, size_t why_n)
{
    return holds_only_ours(dir, DONE_HEADER, sizeof DONE_HEADER - 1, 1, why, why_n);
}

/* Number of entries in a folder besides . and .. (stops counting at 1); -1 if unreadable. */
static int has_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *ent;
    int n = 0;
    while (!n && (ent = readdir(d)) != NULL)
        n = strcmp(ent->d_name, ".") != 0 && strcmp(ent->d_name, "..") != 0;
    closedir(d);
    return n;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Writes dir's manifest: the header, then (for a finished output) the name of every file,
 * sorted so the manifest is the same on every file system. */
static int write_manifest(const char *dir, int done)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, TORTA_MANIFEST);
    char **names = NULL;
    size_t n = 0, cap = 0;
    int ok = 1;
    DIR *d = done ? opendir(dir) : NULL;
    struct dirent *ent;
    while (ok && d && (ent = readdir(d)) != NULL) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0 ||
            strcmp(ent->d_name, TORTA_MANIFEST) == 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            char **q = realloc(names, cap * sizeof *q);
            ok = q != NULL;
            if (q)
                names = q;
        }
        if (ok && !(names[n++] = strdup(ent->d_name)))
            ok = 0, n--;
    }
    if (d)
        closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_name);
    FILE *f = ok ? fopen(path, "w") : NULL;
    ok = f && fputs(done ? DONE_HEADER : PARTIAL_HEADER, f) >= 0;
    for (size_t i = 0; i < n; i++) {
        ok = ok && fprintf(f, "%s\n", names[i]) >= 0;
        free(names[i]);
    }
    free(names);
    if (f && fclose(f) != 0)
        ok = 0;
    return ok ? 0 : -1;
}

void torta_outdir_clean_stale(const char *final)
{
    char parent[4096];
    parent_of(final, parent, sizeof parent);
    const char *slash = strrchr(final, '/');
    const char *base = slash ? slash + 1 : final;
    size_t bn = strlen(base);
    DIR *d = opendir(parent);
    if (!d || bn == 0) {
        if (d)
            closedir(d);
        return;
    }
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        const char *name = ent->d_name;
        if (strncmp(name, base, bn) != 0 || strncmp(name + bn, ".partial-", 9) != 0)
            continue;
        char *end;
        long pid = strtol(name + bn + 9, &end, 10);
        if (pid <= 0 || end == name + bn + 9 || (*end && strcmp(end, ".old") != 0))
            continue;
        /* A live run's folder (EPERM: alive, another user's) or this process's is not stale. */
        if (pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        char path[4400], why[300];
        snprintf(path, sizeof path, "%s/%s", parent, name);
        if (holds_only_ours(path, PARTIAL_HEADER, sizeof PARTIAL_HEADER - 1, 0, why, sizeof why) ||
            holds_only_ours(path, DONE_HEADER, sizeof DONE_HEADER - 1, 1, why, sizeof why))
            torta_remove_tree(path);
    }
    closedir(d);
}

/* Why an existing `final` may not be replaced, or 0 when it may (absent, empty, or a torta-sim
 * output with force). */
static int check_target(const char *final, int force, const char *when, torta_err *e)
{
    struct stat st;
    if (lstat(final, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        return torta_err_set(e, TORTA_EINPUT, "--out %s: %s", final, strerror(errno));
    }
    if (S_ISLNK(st.st_mode))
        return torta_err_set(e, TORTA_EINPUT, "--out %s: is a symbolic link; give the folder it "
                             "points to", final);
    if (!S_ISDIR(st.st_mode))
        return torta_err_set(e, TORTA_EINPUT, "--out %s: exists and is not a folder", final);
    int n = has_entries(final);
    if (n < 0)
        return torta_err_set(e, TORTA_EINPUT, "--out %s: cannot read the folder: %s", final, strerror(errno));
    if (n == 0)
        return 0;
    char why[300];
    if (!force)
        return torta_err_set(e, TORTA_EINPUT, "--out %s: the folder exists%s; torta-sim does not "
                             "replace it without --force (and then only an earlier torta-sim output)",
                             final, when);
    if (!torta_outdir_is_ours(final, why, sizeof why))
        return torta_err_set(e, TORTA_EINPUT, "--out %s: not a torta-sim output (%s); torta-sim "
                             "replaces only folders it made: move it away or choose another --out",
                             final, why);
    return 0;
}

int torta_outdir_begin(const char *final, int force, char **tmp, torta_err *e)
{
    size_t n = strlen(final);
    while (n > 1 && final[n - 1] == '/')
        n--;
    if (n == 0 || n > 3000)
        return torta_err_set(e, TORTA_EINPUT, "--out: invalid folder name");
    char *f = strndup(final, n), *t = malloc(n + 32);
    if (!f || !t) {
        free(f);
        free(t);
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    }
    snprintf(t, n + 32, "%s.partial-%ld", f, (long)getpid());
    torta_outdir_clean_stale(f);
    int rc = check_target(f, force, "", e);
    if (!rc && torta_make_parents(f, e))
        rc = torta_err_prefix(e, "--out");
    if (!rc) {
        torta_remove_tree(t); /* this process's own earlier attempt, if any */
        if (mkdir(t, 0777) != 0)
            rc = torta_err_set(e, TORTA_EINPUT, "--out %s: cannot create a folder there: %s", f,
                               strerror(errno));
        else if (write_manifest(t, 0) != 0) {
            rc = torta_err_set(e, TORTA_EINPUT, "--out %s: cannot write there: %s", f, strerror(errno));
            torta_remove_tree(t);
        }
    }
    free(f);
    if (rc) {
        free(t);
        return rc;
    }
    *tmp = t;
    return 0;
}

/* Puts tmp at final (under the lock). On success *old names what must be removed afterwards:
 * the replaced output, or "" when nothing was replaced. */
static int place(const char *tmp, const char *final, int force, char *old, size_t old_n, torta_err *e)
{
    old[0] = '\0';
    for (int attempt = 0; attempt < 4; attempt++) {
        int rc = check_target(final, force, " (made while this run was going)", e);
        if (rc)
            return rc;
        struct stat st;
        int exists = lstat(final, &st) == 0, nonempty = exists && has_entries(final) > 0;
        if (!nonempty) { /* absent or empty: a plain rename replaces an empty folder atomically */
            int r = exists ? rename(tmp, final) : rename2(tmp, final, RENAME_NOREPLACE);
            if (r != 0 && !exists && (errno == ENOSYS || errno == EINVAL))
                r = rename(tmp, final);
            if (r == 0)
                return 0;
            if (errno == EEXIST || errno == ENOTEMPTY)
                continue; /* another process filled it meanwhile: look again */
            return torta_err_set(e, TORTA_EIO, "--out %s: cannot move results into place: %s", final,
                                 strerror(errno));
        }
        if (rename2(tmp, final, RENAME_EXCHANGE) == 0) { /* the old output is now at tmp */
            snprintf(old, old_n, "%s", tmp);
            return 0;
        }
        if (errno == ENOENT)
            continue;
        if (errno != ENOSYS && errno != EINVAL)
            return torta_err_set(e, TORTA_EIO, "--out %s: cannot move results into place: %s", final,
                                 strerror(errno));
        snprintf(old, old_n, "%s.old", tmp); /* no exchange here: two renames, under the lock */
        if (rename(final, old) != 0)
            return torta_err_set(e, TORTA_EIO, "--out %s: cannot move the earlier output aside: %s",
                                 final, strerror(errno));
        if (rename(tmp, final) == 0)
            return 0;
        int err = errno;
        rename(old, final);
        old[0] = '\0';
        return torta_err_set(e, TORTA_EIO, "--out %s: cannot move results into place: %s", final,
                             strerror(err));
    }
    return torta_err_set(e, TORTA_EIO, "--out %s: other runs keep replacing it; try again", final);
}

int torta_outdir_commit(const char *tmp, const char *final, int force, torta_err *e)
{
    if (write_manifest(tmp, 1) != 0)
        return torta_err_set(e, TORTA_EIO, "%s/%s: cannot write: %s", tmp, TORTA_MANIFEST, strerror(errno));
    char parent[4096], old[4200];
    parent_of(tmp, parent, sizeof parent);
    /* A lock on the parent folder serialises torta-sim runs finishing on the same --out. Where
     * flock is unsupported, the renames below are still atomic one by one. */
    int lock = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    while (lock >= 0 && flock(lock, LOCK_EX) != 0 && errno == EINTR)
        ;
    int rc = place(tmp, final, force, old, sizeof old, e);
    if (lock >= 0)
        close(lock); /* releases the lock */
    char why[300];
    if (!rc && old[0] && torta_outdir_is_ours(old, why, sizeof why))
        torta_remove_tree(old);
    else if (!rc && old[0]) { /* something was added after the check: keep it, under a new name */
        char keep[4300];
        snprintf(keep, sizeof keep, "%s.previous-%ld", final, (long)getpid());
        rename(old, keep);
    }
    if (rc) { /* the run succeeded: keep its results where the next run will not clean them */
        char keep[4300];
        snprintf(keep, sizeof keep, "%s.kept-%ld", final, (long)getpid());
        if (rename(tmp, keep) == 0)
            torta_err_prefix(e, "results kept in %s", keep);
    }
    return rc;
}

int torta_outdir_claim_shared(const char *dir, torta_err *e)
{
    char *text = read_manifest(dir);
    int ours = text && strncmp(text + 1, SHARED_HEADER, sizeof SHARED_HEADER - 1) == 0;
    free(text);
    if (ours)
        return 0;
    char legacy[4200];
    snprintf(legacy, sizeof legacy, "%s/manifest.csv", dir);
    int n = has_entries(dir);
    if (n < 0)
        return torta_err_set(e, TORTA_EINPUT, "--out %s: cannot read the folder: %s", dir, strerror(errno));
    if (n > 0 && access(legacy, F_OK) != 0)
        return torta_err_set(e, TORTA_EINPUT, "--out %s: the folder holds files torta-sim did not "
                             "make (no %s); choose an empty or new folder", dir, TORTA_MANIFEST);
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, TORTA_MANIFEST);
    FILE *f = fopen(path, "w");
    int ok = f && fputs(SHARED_HEADER, f) >= 0;
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok)
        return torta_err_set(e, TORTA_EINPUT, "--out %s: cannot write there: %s", dir, strerror(errno));
    return 0;
}

void torta_outdir_abort(const char *tmp)
{
    if (tmp)
        torta_remove_tree(tmp);
}

int torta_outfile_check(const char *path, const char *opt, int force, torta_err *e)
{
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return torta_err_set(e, TORTA_EINPUT, "%s %s: is a folder; give a file name", opt, path);
        if (!S_ISREG(st.st_mode))
            return torta_err_set(e, TORTA_EINPUT, "%s %s: exists and is not a regular file", opt, path);
        if (!force)
            return torta_err_set(e, TORTA_EINPUT, "%s %s: the file exists; give --force to replace it",
                                 opt, path);
    } else if (errno != ENOENT) {
        return torta_err_set(e, TORTA_EINPUT, "%s %s: %s", opt, path, strerror(errno));
    }
    int rc = torta_make_parents(path, e);
    if (rc)
        return torta_err_prefix(e, "%s", opt);
    char parent[4096];
    parent_of(path, parent, sizeof parent);
    if (access(parent, W_OK) != 0)
        return torta_err_set(e, TORTA_EINPUT, "%s %s: cannot write in %s: %s", opt, path, parent,
                             strerror(errno));
    return 0;
}

char *torta_outfile_tmp(const char *path)
{
    size_t n = strlen(path) + 32;
    char *t = malloc(n);
    if (t)
        snprintf(t, n, "%s.tmp-%ld", path, (long)getpid());
    return t;
}

int torta_write_json(const char *dir, const char *name, const cJSON *json, torta_err *e)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    char *text = cJSON_Print(json);
    if (!text)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    FILE *f = fopen(tmp, "w");
    int ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    if (f && fclose(f) != 0)
        ok = 0;
    free(text);
    if (!ok || rename(tmp, path) != 0) {
        int err = errno;
        unlink(tmp);
        return torta_err_set(e, TORTA_EIO, "%s: cannot write: %s", path, strerror(err));
    }
    return 0;
}
