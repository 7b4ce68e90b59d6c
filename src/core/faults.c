/* Server failures and region outages: from a faults file (scheduled), and from MTBF / MTTR per
 * GPU type (random, stream "faults"). Only the core acts on them; schedulers see live servers.
 *
 * Faults file (CSV, header required): time_s,region,server,duration_s
 *   region: region name; server: index within the region, or empty / "*" for the whole region. */
#include <errno.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "core/faults.h"
#include "torta/config.h"
#include "torta/json.h"
#include "torta/rng.h"
#include "base/input_file.h"

static int region_index(const torta_sim *sim, const char *name)
{
    for (int g = 0; g < sim->n_regions; g++)
        if (strcmp(sim->region_pub[g].name, name) == 0)
            return g;
    return -1;
}

static int read_number(const char *path, int line, const char *field, const char *text, double lo,
                       double *out, torta_err *e)
{
    char *end;
    errno = 0;
    double x = strtod(text, &end);
    if (*text == '\0' || *end != '\0' || errno || !isfinite(x))
        return torta_err_set(e, TORTA_EINPUT, "%s:%d: %s: not a number: '%s'", path, line, field, text);
    if (x < lo || x > 1e12)
        return torta_err_set(e, TORTA_EINPUT, "%s:%d: %s: %g is out of range", path, line, field, x);
    *out = x;
    return 0;
}

static int load_file(torta_sim *sim, const char *path, torta_err *e)
{
    torta_lines L;
    if (torta_lines_open(&L, path, e))
        return torta_err_set(e, TORTA_EINPUT, "%s: cannot open faults file: %s", path, strerror(errno));
    L.csv_records = 1; /* region names with commas are double-quoted (RFC 4180) */
    char *buf;
    size_t len;
    int rc = torta_lines_next(&L, &buf, &len, e), rows = 0;
    if (rc == 0)
        rc = torta_err_set(e, TORTA_EINPUT, "%s: empty faults file (header time_s,region,server,duration_s)", path);
    if (rc == 1 && strcmp(buf, "time_s,region,server,duration_s") != 0)
        rc = torta_err_set(e, TORTA_EINPUT, "%s:1: expected the header time_s,region,server,duration_s", path);
    while (rc >= 0 && (rc = torta_lines_next(&L, &buf, &len, e)) == 1) {
        int line = L.line;
        if (torta_lines_blank(buf))
            continue;
        char *fld[5];
        const char *why;
        int n = torta_csv_split(buf, fld, 5, &why);
        if (n < 0) {
            rc = torta_err_set(e, TORTA_EINPUT, "%s:%d: field %d: %s", path, line, -n, why);
            break;
        }
        if (n != 4) {
            rc = torta_err_set(e, TORTA_EINPUT, "%s:%d: expected 4 fields (time_s,region,server,duration_s)", path, line);
            break;
        }
        double t, d, idx = -1;
        rc = read_number(path, line, "time_s", fld[0], 0, &t, e);
        if (!rc)
            rc = read_number(path, line, "duration_s", fld[3], 1e-9, &d, e);
        int g = rc ? 0 : region_index(sim, fld[1]);
        if (!rc && g < 0)
            rc = torta_err_set(e, TORTA_EINPUT, "%s:%d: region: no region \"%s\"", path, line, fld[1]);
        if (!rc && fld[2][0] != '\0' && strcmp(fld[2], "*") != 0) {
            rc = read_number(path, line, "server", fld[2], 0, &idx, e);
            if (!rc && (idx != floor(idx) || idx >= sim->region_pub[g].n_servers))
                rc = torta_err_set(e, TORTA_EINPUT, "%s:%d: server: region %s has servers 0..%d, not %s",
                                   path, line, fld[1], sim->region_pub[g].n_servers - 1, fld[2]);
        }
        const torta_region_state *reg = rc ? NULL : &sim->region_pub[g];
        for (int s = 0; !rc && s < reg->n_servers; s++) {
            if (idx >= 0 && s != (int)idx)
                continue;
            rc = torta_sim_push(sim, t, EV_FAIL, 0, reg->first_server + s, e);
            if (!rc)
                rc = torta_sim_push(sim, t + d, EV_RECOVER, 0, reg->first_server + s, e);
        }
        if (rc)
            break;
        rows++;
    }
    torta_lines_close(&L);
    if (rc > 0)
        rc = 0;
    if (!rc && rows == 0)
        rc = torta_err_set(e, TORTA_EINPUT, "%s: no faults listed (only a header)", path);
    return rc;
}

int torta_faults_setup(torta_sim *sim, const cJSON *cfg, torta_err *e)
{
    const cJSON *fc = torta_config_at(cfg, "faults");
    const char *path;
    double mttr_h;
    int rc = torta_json_str(fc, "file", "faults", 0, "", &path, e);
    if (!rc)
        rc = torta_json_num(fc, "mttr_h", "faults", 1e-9, 1e6, 0, 1.0, &mttr_h, e);
    if (rc)
        return rc;
    sim->mttr_s = mttr_h * 3600.0;
    if (path[0] != '\0' && (rc = load_file(sim, path, e)) != 0)
        return rc;
    sim->mtbf_s_g = calloc((size_t)(sim->catalog->n_gpus ? sim->catalog->n_gpus : 1), sizeof(double));
    if (!sim->mtbf_s_g)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    const cJSON *it;
    int any = 0;
    cJSON_ArrayForEach(it, torta_config_at(fc, "mtbf_h"))
    {
        int gpu = torta_catalog_gpu(sim->catalog, it->string);
        if (gpu < 0)
            return torta_err_set(e, TORTA_EINPUT, "faults.mtbf_h.%s: unknown GPU", it->string);
        if (!cJSON_IsNumber(it) || !(it->valuedouble > 0) || !isfinite(it->valuedouble))
            return torta_err_set(e, TORTA_EINPUT, "faults.mtbf_h.%s: expected hours > 0", it->string);
        sim->mtbf_s_g[gpu] = it->valuedouble * 3600.0;
        any = 1;
    }
    if (!any)
        return 0;
    if (!(sim->rng_faults = torta_rng_stream(sim->seed, "faults")))
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    for (int s = 0; s < sim->n_servers && !rc; s++) {
        double mtbf = sim->mtbf_s_g[sim->server_pub[s].gpu];
        if (mtbf > 0)
            rc = torta_sim_push(sim, gsl_ran_exponential(sim->rng_faults, mtbf), EV_FAIL, 1, s, e);
    }
    return rc;
}
