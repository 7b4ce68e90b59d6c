/* Remaining-time estimates (see eta.h). */
#include "cli/eta.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

double cli_wall_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void cli_eta(char *buf, size_t n, double elapsed_s, long done, long total)
{
    buf[0] = '\0';
    if (done <= 0 || done >= total || !(elapsed_s >= 0))
        return;
    long s = lround(elapsed_s / (double)done * (double)(total - done));
    if (s < 1)
        return;
    if (s >= 3600)
        snprintf(buf, n, ", ETA %ld h %02ld min", s / 3600, s % 3600 / 60);
    else if (s >= 60)
        snprintf(buf, n, ", ETA %ld min %02ld s", s / 60, s % 60);
    else
        snprintf(buf, n, ", ETA %ld s", s);
}
