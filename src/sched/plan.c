/* Plan dispatch (see include/torta/plan.h). */
#include "torta/plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int torta_plan_init(torta_plan *p, int n, torta_err *e)
{
    p->n = n;
    p->x = calloc((size_t)n * n, sizeof(double));
    p->credit = calloc((size_t)n * n, sizeof(double));
    if (!p->x || !p->credit) {
        torta_plan_free(p);
        return torta_err_set(e, TORTA_ENOMEM, "out of memory (%d x %d plan)", n, n);
    }
    for (int i = 0; i < n; i++)
        p->x[(size_t)i * n + i] = 1.0;
    return 0;
}

void torta_plan_free(torta_plan *p)
{
    free(p->x);
    free(p->credit);
    p->x = p->credit = NULL;
}

int torta_plan_route(torta_plan *p, int origin, const torta_view *v)
{
    const double *x = p->x + (size_t)origin * p->n;
    double *c = p->credit + (size_t)origin * p->n;
    double total = 0;
    int best = -1;
    for (int j = 0; j < p->n; j++) {
        if (x[j] <= 0 || v->regions[j].n_alive == 0)
            continue;
        c[j] += x[j];
        total += x[j];
        if (best < 0 || c[j] > c[best])
            best = j;
    }
    if (best < 0)
        return origin;
    c[best] -= total;
    return best;
}

double torta_plan_churn(int n, const double *x, const double *y)
{
    double d = 0;
    for (size_t k = 0; k < (size_t)n * n; k++)
        d += fabs(x[k] - y[k]);
    return d / n;
}
