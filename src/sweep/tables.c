/* The tables of many runs: summaries flattened to columns, manifest.csv (status and wall time of
 * every point) and the result tables (sweep.csv, compare.csv), plus a small CSV reader. Result
 * tables hold only deterministic values, in point-list order, so they are byte-identical however
 * the points were run; wall times live in the manifest only. Files are replaced atomically. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/csv.h"
#include "sweep/sweep.h"
#include "torta/json.h"
#include "base/input_file.h"

void torta_fmt_num(double x, char *buf, size_t n)
{
    if (isnan(x))
        snprintf(buf, n, "nan");
    else if (isinf(x))
        snprintf(buf, n, x > 0 ? "inf" : "-inf");
    else if (x == floor(x) && fabs(x) < 1e15)
        snprintf(buf, n, "%.0f", x == 0 ? 0.0 : x);
    else {
        snprintf(buf, n, "%.15g", x);
        if (strtod(buf, NULL) != x)
            snprintf(buf, n, "%.17g", x);
    }
}

void torta_csv_cell(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\n\r") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static int add_flat(cJSON *out, const char *key, const cJSON *v)
{
    char num[64];
    if (cJSON_IsObject(v)) {
        const cJSON *it;
        cJSON_ArrayForEach(it, v)
        {
            size_t n = strlen(key) + strlen(it->string) + 2;
            char *k = malloc(n);
            if (!k)
                return -1;
            snprintf(k, n, "%s%s%s", key, *key ? "." : "", it->string);
            int rc = add_flat(out, k, it);
            free(k);
            if (rc)
                return rc;
        }
        return 0;
    }
    char *text = NULL;
    if (cJSON_IsArray(v)) { /* lists of names (dropped_sites): one cell, ';'-separated */
        size_t cap = 1, len = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, v)
        {
            const char *s = cJSON_IsString(it) ? it->valuestring : "";
            if (cJSON_IsNumber(it)) {
                torta_fmt_num(it->valuedouble, num, sizeof num);
                s = num;
            }
            cap += strlen(s) + 1;
            char *t = realloc(text, cap);
            if (!t) {
                free(text);
                return -1;
            }
            text = t;
            len += (size_t)sprintf(text + len, "%s%s", len ? ";" : "", s);
        }
        if (!text && !(text = calloc(1, 1)))
            return -1;
    }
    const char *s = text;
    if (!s) {
        if (cJSON_IsNumber(v))
            torta_fmt_num(v->valuedouble, num, sizeof num), s = num;
        else if (cJSON_IsBool(v))
            s = cJSON_IsTrue(v) ? "true" : "false";
        else if (cJSON_IsString(v))
            s = v->valuestring;
        else
            s = "";
    }
    int ok = cJSON_AddStringToObject(out, key, s) != NULL;
    free(text);
    return ok ? 0 : -1;
}

cJSON *torta_summary_flatten(const cJSON *summary)
{
    cJSON *out = cJSON_CreateObject();
    if (out && add_flat(out, "", summary) != 0) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

/* Writes path via path.tmp-PID + rename (one name per process: concurrent sweeps never mix). fill returns 0 or a TORTA_E* code. */
static int write_atomic(const char *path, int (*fill)(FILE *, void *, torta_err *), void *ud,
                        torta_err *e)
{
    char tmp[4400];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return torta_err_set(e, TORTA_EIO, "%s: cannot write: %s", tmp, strerror(errno));
    int rc = fill(f, ud, e);
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    if (!rc && bad)
        rc = torta_err_set(e, TORTA_EIO, "%s: cannot write: %s", tmp, strerror(errno));
    if (!rc && rename(tmp, path) != 0)
        rc = torta_err_set(e, TORTA_EIO, "%s: cannot write: %s", path, strerror(errno));
    if (rc)
        unlink(tmp);
    return rc;
}

int torta_table_write(const char *path, int (*fill)(FILE *, void *, torta_err *), void *ud,
                      torta_err *e)
{
    return write_atomic(path, fill, ud, e);
}

typedef struct table_ctx {
    const torta_points *pl;
    const torta_point_result *res;
    const char *out_dir;
    int with_id;
} table_ctx;

static int fill_manifest(FILE *f, void *ud, torta_err *e)
{
    const table_ctx *t = ud;
    const char *const *key = torta_sweep_key_metrics();
    char num[64];
    fputs("point,status,wall_s", f);
    for (int k = 0; k < t->pl->n_params; k++) {
        fputc(',', f);
        torta_csv_cell(f, t->pl->params[k]);
    }
    for (int k = 0; key[k]; k++)
        fprintf(f, ",%s", key[k]);
    fputs(",error\n", f);
    for (int i = 0; i < t->pl->n; i++) {
        const torta_point_result *r = &t->res[i];
        torta_csv_cell(f, t->pl->p[i].id);
        fprintf(f, ",%s,", torta_point_status_name(r->status));
        if (r->wall_s >= 0)
            fprintf(f, "%.3f", r->wall_s);
        for (int k = 0; k < t->pl->n_params; k++) {
            fputc(',', f);
            torta_csv_cell(f, t->pl->p[i].values[k]);
        }
        for (int k = 0; key[k]; k++) {
            fputc(',', f);
            if (!isnan(r->key[k])) {
                torta_fmt_num(r->key[k], num, sizeof num);
                fputs(num, f);
            }
        }
        fputc(',', f);
        torta_csv_cell(f, r->error);
        fputc('\n', f);
    }
    (void)e;
    return 0;
}

int torta_sweep_write_manifest(const torta_points *pl, const torta_point_result *res,
                               const char *out_dir, torta_err *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.csv", out_dir);
    table_ctx t = {pl, res, out_dir, 1};
    return write_atomic(path, fill_manifest, &t, e);
}

static int is_param(const torta_points *pl, const char *name)
{
    for (int k = 0; k < pl->n_params; k++)
        if (strcmp(pl->params[k], name) == 0)
            return 1;
    return 0;
}

static int fill_results(FILE *f, void *ud, torta_err *e)
{
    const table_ctx *t = ud;
    const torta_points *pl = t->pl;
    cJSON **flat = calloc((size_t)pl->n + 1, sizeof *flat);
    cJSON *cols = cJSON_CreateObject(); /* column names in first-seen order (values unused) */
    int rc = flat && cols ? 0 : torta_err_set(e, TORTA_ENOMEM, "out of memory");
    for (int i = 0; !rc && i < pl->n; i++) {
        if (t->res[i].status != TORTA_PT_OK && t->res[i].status != TORTA_PT_CACHED)
            continue;
        char path[4400];
        cJSON *s = NULL;
        snprintf(path, sizeof path, "%s/%s/summary.json", t->out_dir, pl->p[i].id);
        rc = torta_json_read_file(path, &s, e);
        if (!rc && !(flat[i] = torta_summary_flatten(s)))
            rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
        cJSON_Delete(s);
        cJSON *it, *fields = rc ? NULL : flat[i];
        cJSON_ArrayForEach(it, fields)
        {
            if (is_param(pl, it->string)) { /* e.g. "seed", "workload": keep both, renamed */
                size_t n = strlen(it->string) + 9;
                char *k = malloc(n);
                if (!k) {
                    rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
                    break;
                }
                snprintf(k, n, "summary.%s", it->string);
                cJSON_free(it->string);
                it->string = k;
            }
            if (!cJSON_HasObjectItem(cols, it->string) && !cJSON_AddNullToObject(cols, it->string))
                rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
        }
    }
    if (!rc) {
        const cJSON *c;
        int first = 1;
        if (t->with_id)
            fputs("point", f), first = 0;
        for (int k = 0; k < pl->n_params; k++, first = 0) {
            if (!first)
                fputc(',', f);
            torta_csv_cell(f, pl->params[k]);
        }
        cJSON_ArrayForEach(c, cols)
        {
            fputc(',', f);
            torta_csv_cell(f, c->string);
        }
        fputc('\n', f);
        for (int i = 0; i < pl->n; i++) {
            if (!flat[i])
                continue;
            first = 1;
            if (t->with_id)
                torta_csv_cell(f, pl->p[i].id), first = 0;
            for (int k = 0; k < pl->n_params; k++, first = 0) {
                if (!first)
                    fputc(',', f);
                torta_csv_cell(f, pl->p[i].values[k]);
            }
            cJSON_ArrayForEach(c, cols)
            {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(flat[i], c->string);
                fputc(',', f);
                torta_csv_cell(f, cJSON_IsString(v) ? v->valuestring : "");
            }
            fputc('\n', f);
        }
    }
    for (int i = 0; flat && i < pl->n; i++)
        cJSON_Delete(flat[i]);
    free(flat);
    cJSON_Delete(cols);
    return rc;
}

int torta_sweep_write_results(const torta_points *pl, const torta_point_result *res,
                              const char *out_dir, const char *name, int with_point_id,
                              torta_err *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", out_dir, name);
    table_ctx t = {pl, res, out_dir, with_point_id};
    return write_atomic(path, fill_results, &t, e);
}

/* ---- reading ---------------------------------------------------------------------------- */

/* One record as malloc'ed cells (the shared reader, base/csv.h). 1, 0 at end of file, or a
 * negative error; blank records come back as one empty cell. */
static int read_record(torta_lines *L, char ***fields, int *n, torta_err *e)
{
    char *rec;
    size_t len;
    *fields = NULL;
    *n = 0;
    int rc = torta_lines_next(L, &rec, &len, e);
    if (rc <= 0)
        return rc;
    int max = torta_csv_max_fields(rec);
    char **f = malloc(sizeof *f * (size_t)max);
    if (!f)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    const char *why;
    int k = torta_csv_split(rec, f, max, &why);
    if (k < 0) {
        free(f);
        return torta_err_set(e, TORTA_EINPUT, "%s:%d: field %d: %s", L->path, (int)L->line, -k, why);
    }
    for (int i = 0; i < k; i++)
        if (!(f[i] = strdup(f[i]))) {
            while (i-- > 0)
                free(f[i]);
            free(f);
            return torta_err_set(e, TORTA_ENOMEM, "out of memory");
        }
    *fields = f;
    *n = k;
    return 1;
}

int torta_csv_read(const char *path, torta_csv *t, torta_err *e)
{
    memset(t, 0, sizeof *t);
    torta_lines L;
    int rc = torta_lines_open(&L, path, e), n, cap = 0, k;
    if (rc)
        return rc;
    L.csv_records = 1;
    char **fields;
    k = read_record(&L, &fields, &n, e);
    if (k <= 0)
        rc = k < 0 ? k : torta_err_set(e, TORTA_EINPUT, "%s: empty file (expected a header line)", path);
    else {
        t->cols = fields;
        t->n_cols = n;
    }
    while (!rc && (k = read_record(&L, &fields, &n, e)) > 0) {
        if (n == 1 && fields[0][0] == '\0') { /* blank line */
            free(fields[0]);
            free(fields);
            continue;
        }
        if (n > t->n_cols) {
            rc = torta_err_set(e, TORTA_EINPUT, "%s:%d: %d fields, the header has %d", path,
                               (int)L.line, n, t->n_cols);
        } else if (t->n_rows == cap) {
            cap = cap ? 2 * cap : 64;
            char ***q = realloc(t->rows, sizeof *q * (size_t)cap);
            if (!q)
                rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
            else
                t->rows = q;
        }
        char **row = rc ? NULL : realloc(fields, sizeof *row * (size_t)t->n_cols);
        if (!rc && !row)
            rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
        if (rc) {
            for (int i = 0; i < n; i++)
                free(fields[i]);
            free(fields);
            break;
        }
        for (int i = n; i < t->n_cols; i++)
            row[i] = NULL;
        for (int i = n; i < t->n_cols && !rc; i++)
            if (!(row[i] = strdup("")))
                rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
        t->rows[t->n_rows++] = row;
    }
    if (!rc && k < 0)
        rc = k;
    torta_lines_close(&L);
    if (rc)
        torta_csv_free(t);
    return rc;
}

int torta_csv_col(const torta_csv *t, const char *name)
{
    for (int c = 0; c < t->n_cols; c++)
        if (strcmp(t->cols[c], name) == 0)
            return c;
    return -1;
}

void torta_csv_free(torta_csv *t)
{
    for (int r = 0; r < t->n_rows; r++) {
        for (int c = 0; c < t->n_cols; c++)
            free(t->rows[r][c]);
        free(t->rows[r]);
    }
    free(t->rows);
    for (int c = 0; c < t->n_cols; c++)
        free(t->cols[c]);
    free(t->cols);
    memset(t, 0, sizeof *t);
}
