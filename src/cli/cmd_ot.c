/* `torta-sim ot`: reads a cost matrix and two mass vectors from CSV, solves entropic (balanced or
 * unbalanced) or exact OT, prints the plan as CSV and `cost,<value>` on the last line. For users
 * inspecting a configuration and for the cross-check against POT (tests/integration). */
#include "cli/cmd_ot.h"

#include "base/csv.h"
#include "torta/err.h"
#include "torta/ot.h"
#include "base/input_file.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char USAGE[] =
    "usage: torta-sim ot --cost M.csv --source a.csv --target b.csv --reg E\n"
    "                    [--unbalanced RHO] [--exact] [--max-iter N] [--tol T] [--verbose]\n"
    "\n"
    "Solves optimal transport from source masses a (n) to target masses b (m) with costs M (n x m)\n"
    "and prints the plan as n CSV lines of m values (%.17g), then `cost,<sum M_ij P_ij>`.\n"
    "  --reg E           entropic regularisation (> 0; log-domain Sinkhorn)\n"
    "  --unbalanced RHO  KL-relaxed marginals with strength RHO > 0 (POT reg_m); default balanced,\n"
    "                    which needs sum a == sum b (relative 1e-9)\n"
    "  --exact           exact (unregularised) balanced OT, network simplex; --reg not needed\n"
    "  --max-iter N      Sinkhorn iterations (default 10000)\n"
    "  --tol T           stop when a row update moves <= T x total mass (default 1e-9)\n"
    "  --verbose         solver statistics on stderr\n"
    "CSV: numbers separated by commas, no header; blank lines and lines starting with # are\n"
    "skipped. M has one line per source; a and b hold one value per line or all on one line.\n";

/* Numbers read from a CSV file, with the line of each row for messages. */
typedef struct {
    double *val;
    int nval, cap;
    int rows, cols; /* cols: values on the first row */
    int *row_line;  /* line number of each row */
    int rcap;
    int ragged_line, ragged_len; /* first row whose length differs from the first row's */
    int multi_line;              /* first line holding more than one value */
} csv_nums;

static void csv_free(csv_nums *t)
{
    free(t->val);
    free(t->row_line);
    memset(t, 0, sizeof *t);
}

static int push_val(csv_nums *t, double x, torta_err *e)
{
    if (t->nval == t->cap) {
        int nc = t->cap ? 2 * t->cap : 256;
        double *nv = realloc(t->val, (size_t)nc * sizeof *nv);
        if (!nv)
            return torta_err_set(e, TORTA_ENOMEM, "out of memory reading CSV");
        t->val = nv;
        t->cap = nc;
    }
    t->val[t->nval++] = x;
    return 0;
}

static int push_row(csv_nums *t, int line, torta_err *e)
{
    if (t->rows == t->rcap) {
        int nc = t->rcap ? 2 * t->rcap : 64;
        int *nr = realloc(t->row_line, (size_t)nc * sizeof *nr);
        if (!nr)
            return torta_err_set(e, TORTA_ENOMEM, "out of memory reading CSV");
        t->row_line = nr;
        t->rcap = nc;
    }
    t->row_line[t->rows++] = line;
    return 0;
}

/* Parses `path` as CSV numbers (the shared RFC 4180 reader, base/csv.h). nonneg: values are
 * masses (negative is an error). */
static int read_csv(const char *path, int nonneg, csv_nums *t, torta_err *e)
{
    memset(t, 0, sizeof *t);
    torta_lines L;
    int rc = torta_lines_open(&L, path, e);
    if (rc == TORTA_EINPUT) /* ot has always exited 1 on an unreadable file */
        rc = e->code = TORTA_EIO;
    if (rc < 0)
        return rc;
    L.csv_records = 1;
    char **fields = NULL;
    int fcap = 0;
    char *p;
    size_t n;
    while ((rc = torta_lines_next(&L, &p, &n, e)) == 1) {
        int line = L.line;
        const char *s = p;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '\0' || *s == '#')
            continue;
        int need = torta_csv_max_fields(p);
        if (need > fcap) {
            char **nf = realloc(fields, (size_t)need * sizeof *nf);
            if (!nf) {
                rc = torta_err_set(e, TORTA_ENOMEM, "out of memory reading CSV");
                goto fail;
            }
            fields = nf;
            fcap = need;
        }
        const char *why;
        int nf = torta_csv_split(p, fields, fcap, &why);
        if (nf < 0) {
            rc = torta_err_set(e, TORTA_EINPUT, "%s:%d: field %d: %s", path, line, -nf, why);
            goto fail;
        }
        int start = t->nval;
        for (int field = 1; field <= nf; field++) {
            const char *f = fields[field - 1];
            int col = (int)(f - p) + 1;
            if (*f == '\0') {
                rc = torta_err_set(e, TORTA_EINPUT, "%s:%d:%d: field %d: empty value", path, line,
                                   col, field);
                goto fail;
            }
            char *num_end;
            errno = 0;
            double x = strtod(f, &num_end);
            if (num_end == f || *num_end != '\0') {
                rc = torta_err_set(e, TORTA_EINPUT, "%s:%d:%d: field %d: expected a number, found "
                                   "'%.40s'", path, line, col, field, f);
                goto fail;
            }
            if (!isfinite(x) || (errno == ERANGE && fabs(x) > 1.0)) {
                rc = torta_err_set(e, TORTA_EINPUT, "%s:%d:%d: field %d: '%.40s' is not a finite "
                                   "number", path, line, col, field, f);
                goto fail;
            }
            if (nonneg && x < 0.0) {
                rc = torta_err_set(e, TORTA_EINPUT, "%s:%d:%d: field %d: negative mass %s", path,
                                   line, col, field, f);
                goto fail;
            }
            if ((rc = push_val(t, x, e)) < 0)
                goto fail;
        }
        if ((rc = push_row(t, line, e)) < 0)
            goto fail;
        int len = t->nval - start;
        if (t->rows == 1)
            t->cols = len;
        else if (len != t->cols && !t->ragged_line) {
            t->ragged_line = line;
            t->ragged_len = len;
        }
        if (len > 1 && !t->multi_line)
            t->multi_line = line;
    }
    if (rc < 0)
        goto fail;
    free(fields);
    torta_lines_close(&L);
    if (t->nval == 0) {
        csv_free(t);
        return torta_err_set(e, TORTA_EINPUT, "%s: no values", path);
    }
    return 0;
fail:
    free(fields);
    torta_lines_close(&L);
    csv_free(t);
    return rc;
}

static int read_matrix(const char *path, csv_nums *t, torta_err *e)
{
    int rc = read_csv(path, 0, t, e);
    if (rc < 0)
        return rc;
    if (t->ragged_line) {
        rc = torta_err_set(e, TORTA_EINPUT, "%s:%d:1: %d values, but line %d has %d: the cost "
                           "matrix must be rectangular", path, t->ragged_line, t->ragged_len,
                           t->row_line[0], t->cols);
        csv_free(t);
        return rc;
    }
    return 0;
}

static int read_vector(const char *path, csv_nums *t, torta_err *e)
{
    int rc = read_csv(path, 1, t, e);
    if (rc < 0)
        return rc;
    if (t->rows > 1 && t->multi_line) {
        rc = torta_err_set(e, TORTA_EINPUT, "%s:%d:1: expected one value per line or all values "
                           "on one line", path, t->multi_line);
        csv_free(t);
        return rc;
    }
    return 0;
}

static int parse_double(const char *opt, const char *s, double *out, torta_err *e)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end != '\0' || isnan(x))
        return torta_err_set(e, TORTA_EINPUT, "%s: expected a number, found '%s'", opt, s);
    *out = x;
    return 0;
}

static int parse_int(const char *opt, const char *s, int *out, torta_err *e)
{
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE || x < 1 || x > 1000000000L)
        return torta_err_set(e, TORTA_EINPUT, "%s: expected an integer >= 1, found '%s'", opt, s);
    *out = (int)x;
    return 0;
}

typedef struct {
    const char *cost, *source, *target;
    double reg, rho;
    int have_reg, have_rho, exact, max_iter, verbose, help;
    double tol;
} ot_opts;

static int parse_args(int argc, char **argv, ot_opts *o, torta_err *e)
{
    memset(o, 0, sizeof *o);
    o->max_iter = 10000;
    o->tol = 1e-9;
    for (int k = 1; k < argc; k++) {
        const char *arg = argv[k];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            o->help = 1;
            return 0;
        }
        if (!strcmp(arg, "--exact")) {
            o->exact = 1;
            continue;
        }
        if (!strcmp(arg, "--verbose")) {
            o->verbose = 1;
            continue;
        }
        static const char *const with_value[] = {"--cost", "--source", "--target", "--reg",
                                                 "--unbalanced", "--max-iter", "--tol"};
        const char *val = NULL, *name = NULL;
        for (size_t w = 0; w < sizeof with_value / sizeof *with_value; w++) {
            size_t len = strlen(with_value[w]);
            if (!strncmp(arg, with_value[w], len) && (arg[len] == '\0' || arg[len] == '=')) {
                name = with_value[w];
                if (arg[len] == '=')
                    val = arg + len + 1;
                else if (k + 1 < argc)
                    val = argv[++k];
                else
                    return torta_err_set(e, TORTA_EINPUT, "%s needs a value", name);
                break;
            }
        }
        if (!name)
            return torta_err_set(e, TORTA_EINPUT, "unknown option '%s' (see --help)", arg);
        int rc = 0;
        if (!strcmp(name, "--cost"))
            o->cost = val;
        else if (!strcmp(name, "--source"))
            o->source = val;
        else if (!strcmp(name, "--target"))
            o->target = val;
        else if (!strcmp(name, "--reg")) {
            rc = parse_double(name, val, &o->reg, e);
            if (!rc && !(o->reg > 0.0 && isfinite(o->reg)))
                rc = torta_err_set(e, TORTA_EINPUT, "--reg %s: must be a finite number > 0", val);
            o->have_reg = 1;
        } else if (!strcmp(name, "--unbalanced")) {
            rc = parse_double(name, val, &o->rho, e);
            if (!rc && !(o->rho > 0.0 && isfinite(o->rho)))
                rc = torta_err_set(e, TORTA_EINPUT, "--unbalanced %s: RHO must be a finite "
                                   "number > 0", val);
            o->have_rho = 1;
        } else if (!strcmp(name, "--max-iter"))
            rc = parse_int(name, val, &o->max_iter, e);
        else if (!strcmp(name, "--tol")) {
            rc = parse_double(name, val, &o->tol, e);
            if (!rc && !(o->tol > 0.0 && isfinite(o->tol)))
                rc = torta_err_set(e, TORTA_EINPUT, "--tol %s: must be a finite number > 0", val);
        }
        if (rc < 0)
            return rc;
    }
    if (!o->cost || !o->source || !o->target)
        return torta_err_set(e, TORTA_EINPUT, "--cost, --source and --target are required "
                             "(see --help)");
    if (o->exact && o->have_rho)
        return torta_err_set(e, TORTA_EINPUT, "--exact solves balanced OT only; drop "
                             "--unbalanced");
    if (!o->exact && !o->have_reg)
        return torta_err_set(e, TORTA_EINPUT, "--reg is required (or use --exact)");
    return 0;
}

static int solve_and_print(const ot_opts *o, torta_err *e)
{
    csv_nums M, A, B;
    int rc = read_matrix(o->cost, &M, e);
    if (rc < 0)
        return rc;
    if ((rc = read_vector(o->source, &A, e)) < 0) {
        csv_free(&M);
        return rc;
    }
    if ((rc = read_vector(o->target, &B, e)) < 0) {
        csv_free(&M);
        csv_free(&A);
        return rc;
    }
    const int n = M.rows, m = M.cols;
    double *plan = NULL;
    torta_ot_ws *ws = NULL;
    if (A.nval != n) {
        rc = torta_err_set(e, TORTA_EINPUT, "%s: %d source masses but %s has %d rows", o->source,
                           A.nval, o->cost, n);
        goto out;
    }
    if (B.nval != m) {
        rc = torta_err_set(e, TORTA_EINPUT, "%s: %d target masses but %s has %d columns",
                           o->target, B.nval, o->cost, m);
        goto out;
    }
    plan = malloc((size_t)n * (size_t)m * sizeof *plan);
    if (!plan) {
        rc = torta_err_set(e, TORTA_ENOMEM, "out of memory for a %d x %d plan", n, m);
        goto out;
    }
    if (o->exact) {
        rc = torta_ot_exact(n, m, A.val, B.val, M.val, plan, NULL, e);
        if (rc < 0)
            goto out;
    } else {
        if ((rc = torta_ot_ws_new(n, m, &ws, e)) < 0)
            goto out;
        torta_ot_params p = torta_ot_params_default(o->reg);
        p.rho = o->have_rho ? o->rho : INFINITY;
        p.max_iter = o->max_iter;
        p.tol = o->tol;
        torta_ot_stats st;
        rc = torta_ot_sinkhorn(ws, n, m, A.val, B.val, M.val, &p, plan, &st, e);
        if (rc < 0)
            goto out;
        if (o->verbose)
            fprintf(stderr, "iterations=%d converged=%d log_steps=%d err=%.3g marg_err_a=%.3g "
                    "marg_err_b=%.3g\n", st.iterations, st.converged, st.log_steps, st.err,
                    st.marg_err_a, st.marg_err_b);
        if (!st.converged)
            fprintf(stderr, "torta-sim ot: warning: Sinkhorn did not converge in %d iterations "
                    "(last row-mass change %.3g); raise --max-iter or --tol\n",
                    st.iterations, st.err);
    }
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < m; j++)
            printf(j ? ",%.17g" : "%.17g", plan[(size_t)i * m + j]);
        putchar('\n');
    }
    printf("cost,%.17g\n", torta_ot_cost(n, m, M.val, plan));
    if (fflush(stdout) != 0)
        rc = torta_err_set(e, TORTA_EIO, "cannot write the plan to stdout");
out:
    torta_ot_ws_free(ws);
    free(plan);
    csv_free(&M);
    csv_free(&A);
    csv_free(&B);
    return rc;
}

int torta_cmd_ot(int argc, char **argv)
{
    torta_err e = {0};
    ot_opts o;
    int rc = parse_args(argc, argv, &o, &e);
    if (rc == 0 && o.help) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (rc == 0)
        rc = solve_and_print(&o, &e);
    if (rc < 0) {
        fprintf(stderr, "torta-sim ot: %s\n", e.msg);
        return torta_err_exit_status(rc);
    }
    return 0;
}
