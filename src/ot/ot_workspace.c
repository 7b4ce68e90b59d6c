/* The OT workspace: every buffer a Sinkhorn solve needs, allocated once per problem size, and the
 * potentials kept between solves for warm starts. */
#include "ot_internal.h"

#include <stdlib.h>

int torta_ot_ws_new(int n, int m, torta_ot_ws **out, torta_err *e)
{
    *out = NULL;
    if (n < 1 || m < 1)
        return torta_err_set(e, TORTA_EINPUT, "OT size %d x %d: both sides need >= 1 point", n, m);
    if ((size_t)n > ((size_t)-1 / sizeof(double)) / (size_t)m)
        return torta_err_set(e, TORTA_EINPUT, "OT size %d x %d is too large", n, m);
    torta_ot_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory for the OT workspace");
    ws->n = n;
    ws->m = m;
    ws->f = calloc((size_t)n, sizeof(double));
    ws->fh = calloc((size_t)n, sizeof(double));
    ws->u = calloc((size_t)n, sizeof(double));
    ws->rbuf = calloc((size_t)n, sizeof(double));
    ws->g = calloc((size_t)m, sizeof(double));
    ws->gh = calloc((size_t)m, sizeof(double));
    ws->v = calloc((size_t)m, sizeof(double));
    ws->cbuf = calloc((size_t)m, sizeof(double));
    ws->cbuf2 = calloc((size_t)m, sizeof(double));
    ws->K = malloc((size_t)n * (size_t)m * sizeof(double));
    ws->Cprev = malloc((size_t)n * (size_t)m * sizeof(double));
    ws->ract = calloc((size_t)n, 1);
    ws->cact = calloc((size_t)m, 1);
    if (!ws->f || !ws->fh || !ws->u || !ws->rbuf || !ws->g || !ws->gh || !ws->v || !ws->cbuf ||
        !ws->cbuf2 || !ws->K || !ws->Cprev || !ws->ract || !ws->cact) {
        torta_ot_ws_free(ws);
        return torta_err_set(e, TORTA_ENOMEM, "out of memory for a %d x %d OT workspace", n, m);
    }
    *out = ws;
    return 0;
}

void torta_ot_ws_free(torta_ot_ws *ws)
{
    if (!ws)
        return;
    free(ws->f);
    free(ws->fh);
    free(ws->u);
    free(ws->rbuf);
    free(ws->g);
    free(ws->gh);
    free(ws->v);
    free(ws->cbuf);
    free(ws->cbuf2);
    free(ws->K);
    free(ws->Cprev);
    free(ws->ract);
    free(ws->cact);
    free(ws);
}

void torta_ot_ws_reset(torta_ot_ws *ws)
{
    if (!ws)
        return;
    ws->have_pot = 0;
    ws->kernel_ok = 0;
    for (int i = 0; i < ws->n; i++)
        ws->f[i] = 0.0;
    for (int j = 0; j < ws->m; j++)
        ws->g[j] = 0.0;
}

void torta_ot_ws_potentials(const torta_ot_ws *ws, const double **f, const double **g)
{
    int ok = ws && ws->have_pot;
    if (f)
        *f = ok ? ws->f : NULL;
    if (g)
        *g = ok ? ws->g : NULL;
}
