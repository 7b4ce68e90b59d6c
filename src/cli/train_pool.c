/* Worker processes for `torta-sim train --jobs N` (train_pool.h). Each episode runs in a forked
 * worker that starts from the trainer's state at fork time and writes its report to a pipe; the
 * trainer reads every pipe as data arrives (poll), so no worker blocks on a full pipe while the
 * trainer waits for another. Processes, not threads: an episode is a whole simulation, and a
 * worker that fails or crashes takes nothing of the trainer's state with it. */
#include "cli/train_pool.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

enum { EXIT_INTERRUPTED = 130 };

int train_blob_add(train_blob *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p)
            return -1;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

void train_blob_free(train_blob *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

typedef struct worker {
    pid_t pid;
    int fd;
    long i; /* index into the range */
} worker;

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int spawn(worker *w, long first, long i, train_episode_fn fn, void *ctx)
{
    int fds[2];
    if (pipe(fds) != 0) {
        fprintf(stderr, "torta-sim: error: pipe: %s\n", strerror(errno));
        return 1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "torta-sim: error: fork: %s\n", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return 1;
    }
    if (pid == 0) { /* the worker: run, report, leave without flushing the trainer's buffers */
        close(fds[0]);
        train_blob b = {0};
        int rc = fn(ctx, first + i, &b);
        if (!rc && write_all(fds[1], b.data, b.len) != 0)
            rc = 1;
        fflush(stderr);
        _exit(rc);
    }
    close(fds[1]);
    w->pid = pid;
    w->fd = fds[0];
    w->i = i;
    return 0;
}

/* Stops and reaps the running workers. */
static void stop_all(worker *w, int jobs)
{
    for (int k = 0; k < jobs; k++)
        if (w[k].pid > 0)
            kill(w[k].pid, SIGTERM);
    for (int k = 0; k < jobs; k++)
        if (w[k].pid > 0) {
            while (waitpid(w[k].pid, NULL, 0) < 0 && errno == EINTR)
                ;
            close(w[k].fd);
            w[k].pid = -1;
        }
}

/* Worker w's pipe reached its end: reap it. 0 when its episode completed. */
static int reap(worker *w, long first)
{
    int st = 0;
    close(w->fd);
    while (waitpid(w->pid, &st, 0) < 0)
        if (errno != EINTR) {
            st = 1 << 8;
            break;
        }
    w->pid = -1;
    if (WIFEXITED(st))
        return WEXITSTATUS(st); /* the worker printed its error */
    int sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    fprintf(stderr, "torta-sim: error: the worker of episode %ld was killed by signal %d (%s)\n",
            first + w->i, sig, strsignal(sig));
    return 1;
}

static int run_forked(long first, long n, int jobs, train_episode_fn fn, void *ctx, train_blob *out,
                      volatile int *stop)
{
    worker *w = calloc((size_t)jobs, sizeof *w);
    struct pollfd *pf = calloc((size_t)jobs, sizeof *pf);
    int status = (!w || !pf) ? 1 : 0;
    long next = 0, done = 0;
    char *chunk = malloc(1 << 16);
    if (!chunk)
        status = 1;
    for (int k = 0; w && k < jobs; k++)
        w[k].pid = -1;
    while (!status && done < n) {
        if (*stop) {
            status = EXIT_INTERRUPTED;
            break;
        }
        for (int k = 0; !status && k < jobs && next < n; k++)
            if (w[k].pid < 0 && !(status = spawn(&w[k], first, next, fn, ctx)))
                next++;
        int m = 0;
        for (int k = 0; k < jobs; k++)
            if (w[k].pid > 0)
                pf[m++] = (struct pollfd){.fd = w[k].fd, .events = POLLIN};
        if (status || poll(pf, (nfds_t)m, -1) < 0)
            continue; /* EINTR (e.g. Ctrl-C): the loop checks *stop */
        for (int j = 0, k = 0; j < m; j++) {
            while (w[k].pid < 0 || w[k].fd != pf[j].fd)
                k++;
            if (!(pf[j].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t got = read(w[k].fd, chunk, 1 << 16);
            if (got > 0 && train_blob_add(&out[w[k].i], chunk, (size_t)got) != 0)
                status = 1, fprintf(stderr, "torta-sim: error: out of memory\n");
            else if (got == 0 || (got < 0 && errno != EINTR)) {
                int rc = reap(&w[k], first);
                done++;
                if (rc && !status)
                    status = rc;
            }
        }
    }
    if (w)
        stop_all(w, jobs);
    free(chunk);
    free(pf);
    free(w);
    return status ? status : *stop ? EXIT_INTERRUPTED : 0;
}

int train_pool_run(long first, long n, int jobs, train_episode_fn fn, void *ctx, train_blob *out,
                   volatile int *stop)
{
    if (jobs > n)
        jobs = (int)n;
    if (jobs >= 2)
        return run_forked(first, n, jobs, fn, ctx, out, stop);
    for (long i = 0; i < n; i++) {
        if (*stop)
            return EXIT_INTERRUPTED;
        int rc = fn(ctx, first + i, &out[i]);
        if (rc)
            return rc;
    }
    return *stop ? EXIT_INTERRUPTED : 0;
}
