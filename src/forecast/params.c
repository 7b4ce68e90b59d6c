/* Forecast parameters: defaults, range checks, method names and the optional JSON form. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "forecast/fc_internal.h"
#include "torta/json.h"

static const char *const method_names[] = {"seasonal-naive", "ewma", "holt-winters", "auto", NULL};

static const char *const param_keys[] = {"method",   "season_slots", "horizon_slots",
                                         "ewma_alpha", "hw_alpha",   "hw_beta",
                                         "hw_gamma", "hw_phi",       "auto_window_slots",
                                         NULL};

void torta_forecast_params_default(torta_forecast_params *p)
{
    p->method = TORTA_FC_AUTO;
    p->season_slots = 1440;
    p->horizon_slots = 4;
    p->ewma_alpha = 0.3;
    p->hw_alpha = 0.2;
    p->hw_beta = 0.05;
    p->hw_gamma = 0.1;
    p->hw_phi = 0.95;
    p->auto_window_slots = 60;
}

const char *torta_forecast_method_name(torta_forecast_method m)
{
    return (int)m >= 0 && (int)m <= TORTA_FC_AUTO ? method_names[m] : NULL;
}

int torta_forecast_method_from_name(const char *name, torta_forecast_method *out, torta_err *e)
{
    for (int i = 0; method_names[i]; i++) {
        if (strcmp(name, method_names[i]) == 0) {
            *out = (torta_forecast_method)i;
            return 0;
        }
    }
    const char *s = torta_did_you_mean(name, method_names);
    if (s)
        return torta_err_set(e, TORTA_EINPUT,
                             "unknown forecast method \"%s\" (did you mean \"%s\"?)", name, s);
    return torta_err_set(e, TORTA_EINPUT,
                         "unknown forecast method \"%s\" (known: seasonal-naive, ewma, "
                         "holt-winters, auto)",
                         name);
}

/* lo_open: the lower bound itself is not allowed. */
static int check_unit(const char *where, const char *key, double x, int lo_open, torta_err *e)
{
    if (!isfinite(x) || x > 1.0 || x < 0.0 || (lo_open && x == 0.0))
        return torta_err_set(e, TORTA_EINPUT, "%s.%s: %g is outside %s0, 1]", where, key, x,
                             lo_open ? "(" : "[");
    return 0;
}

static int check_where(const torta_forecast_params *p, const char *where, torta_err *e)
{
    if (!torta_forecast_method_name(p->method))
        return torta_err_set(e, TORTA_EINPUT, "%s.method: invalid value %d", where, (int)p->method);
    if (p->season_slots < 1 || p->season_slots > TORTA_FC_MAX_SEASON)
        return torta_err_set(e, TORTA_EINPUT, "%s.season_slots: %d is outside [1, %d]", where,
                             p->season_slots, TORTA_FC_MAX_SEASON);
    if (p->horizon_slots < 1 || p->horizon_slots > TORTA_FC_MAX_HORIZON)
        return torta_err_set(e, TORTA_EINPUT, "%s.horizon_slots: %d is outside [1, %d]", where,
                             p->horizon_slots, TORTA_FC_MAX_HORIZON);
    if (p->auto_window_slots < 1 || p->auto_window_slots > TORTA_FC_MAX_WINDOW)
        return torta_err_set(e, TORTA_EINPUT, "%s.auto_window_slots: %d is outside [1, %d]",
                             where, p->auto_window_slots, TORTA_FC_MAX_WINDOW);
    int rc;
    if ((rc = check_unit(where, "ewma_alpha", p->ewma_alpha, 1, e)) ||
        (rc = check_unit(where, "hw_alpha", p->hw_alpha, 1, e)) ||
        (rc = check_unit(where, "hw_beta", p->hw_beta, 0, e)) ||
        (rc = check_unit(where, "hw_gamma", p->hw_gamma, 0, e)) ||
        (rc = check_unit(where, "hw_phi", p->hw_phi, 1, e)))
        return rc;
    return 0;
}

int torta_forecast_params_check(const torta_forecast_params *p, torta_err *e)
{
    return check_where(p, "forecast", e);
}

int torta_forecast_params_from_json(const cJSON *obj, const char *where, torta_forecast_params *p,
                                    torta_err *e)
{
    if (!obj)
        return check_where(p, where, e);
    if (!cJSON_IsObject(obj))
        return torta_err_set(e, TORTA_EINPUT, "%s: expected an object", where);
    int rc = torta_json_check_keys(obj, where, param_keys, e);
    if (rc)
        return rc;
    const char *name = NULL;
    if ((rc = torta_json_str(obj, "method", where, 0, NULL, &name, e)))
        return rc;
    if (name && (rc = torta_forecast_method_from_name(name, &p->method, e)))
        return torta_err_prefix(e, "%s.method", where);
    long v;
    if ((rc = torta_json_int(obj, "season_slots", where, 1, TORTA_FC_MAX_SEASON, 0,
                             p->season_slots, &v, e)))
        return rc;
    p->season_slots = (int)v;
    if ((rc = torta_json_int(obj, "horizon_slots", where, 1, TORTA_FC_MAX_HORIZON, 0,
                             p->horizon_slots, &v, e)))
        return rc;
    p->horizon_slots = (int)v;
    if ((rc = torta_json_int(obj, "auto_window_slots", where, 1, TORTA_FC_MAX_WINDOW, 0,
                             p->auto_window_slots, &v, e)))
        return rc;
    p->auto_window_slots = (int)v;
    struct {
        const char *key;
        double *field;
    } nums[] = {{"ewma_alpha", &p->ewma_alpha}, {"hw_alpha", &p->hw_alpha},
                {"hw_beta", &p->hw_beta},       {"hw_gamma", &p->hw_gamma},
                {"hw_phi", &p->hw_phi}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        if ((rc = torta_json_num(obj, nums[i].key, where, 0.0, 1.0, 0, *nums[i].field,
                                 nums[i].field, e)))
            return rc;
    return check_where(p, where, e);
}
