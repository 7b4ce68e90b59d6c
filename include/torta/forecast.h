/* Per-series demand forecasting for the macro layer: seasonal naive, EWMA, Holt-Winters (additive
 * season, damped trend) and an "auto" selector that uses whichever method had the lowest recent
 * error. One forecaster per series (per origin region); it is fed one observation per slot and
 * gives forecasts for the next H slots. Cost per observation is O(H) for a fixed method and
 * amortised O(H) for auto (H is small); memory is O(m) for the seasonal methods (m = season
 * length in slots). Formulas and defaults: docs/forecast.md. */
#ifndef TORTA_FORECAST_H
#define TORTA_FORECAST_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "torta/err.h"

typedef enum {
    TORTA_FC_SEASONAL_NAIVE = 0, /* "seasonal-naive" */
    TORTA_FC_EWMA = 1,           /* "ewma" */
    TORTA_FC_HOLT_WINTERS = 2,   /* "holt-winters" */
    TORTA_FC_AUTO = 3,           /* "auto": the base method with the lowest recent error */
} torta_forecast_method;

/* Number of base methods the auto selector chooses among (every method but auto). The order of
 * the enum is also auto's tie order: seasonal-naive, then ewma, then holt-winters. */
#define TORTA_FC_N_BASE 3

/* Upper bounds checked on the params (auto stores H x H past forecasts per base method). */
#define TORTA_FC_MAX_SEASON 1048576
#define TORTA_FC_MAX_HORIZON 64
#define TORTA_FC_MAX_WINDOW 100000

typedef struct torta_forecast_params {
    torta_forecast_method method; /* default auto */
    int season_slots;   /* m: season length in slots; default 1440 (a day of 60 s slots) */
    int horizon_slots;  /* H: forecasts for slots t+1..t+H; default 4 */
    double ewma_alpha;  /* (0, 1]; default 0.3 */
    double hw_alpha;    /* level smoothing, (0, 1]; default 0.2 */
    double hw_beta;     /* trend smoothing, [0, 1]; default 0.05 */
    double hw_gamma;    /* season smoothing, [0, 1]; default 0.1 */
    double hw_phi;      /* trend damping, (0, 1]; 1 = undamped; default 0.95 */
    int auto_window_slots; /* slots of errors the auto selector compares; default 60 */
} torta_forecast_params;

/* Fills p with the defaults above. */
void torta_forecast_params_default(torta_forecast_params *p);

/* Checks every field's range; the message names the field ("forecast.hw_alpha: ..."). */
int torta_forecast_params_check(const torta_forecast_params *p, torta_err *e);

/* Overrides fields of p (which the caller has set, e.g. to the defaults) from a JSON object
 * with the keys method, season_slots, horizon_slots, ewma_alpha, hw_alpha, hw_beta, hw_gamma,
 * hw_phi, auto_window_slots. `where` names the object in messages ("macro.forecast"); unknown
 * keys and unknown method names are errors with a did-you-mean suggestion. obj may be NULL
 * (nothing to override). The result is checked with torta_forecast_params_check. */
int torta_forecast_params_from_json(const cJSON *obj, const char *where, torta_forecast_params *p,
                                    torta_err *e);

/* "seasonal-naive", "ewma", "holt-winters", "auto"; NULL for a value out of range. */
const char *torta_forecast_method_name(torta_forecast_method m);
/* Parses a method name; an unknown one is TORTA_EINPUT with a did-you-mean suggestion. */
int torta_forecast_method_from_name(const char *name, torta_forecast_method *out, torta_err *e);

typedef struct torta_forecaster torta_forecaster;

/* A forecaster with no history. The params are checked (errors as torta_forecast_params_check). */
int torta_forecaster_new(const torta_forecast_params *p, torta_forecaster **out, torta_err *e);
void torta_forecaster_free(torta_forecaster *f);

/* Feeds the demand of the slot that just ended. y must be finite and >= 0 (TORTA_EINPUT
 * otherwise, and the forecaster is left unchanged). */
int torta_forecaster_observe(torta_forecaster *f, double y, torta_err *e);

/* Writes the forecasts for the next H slots (H = params.horizon_slots) into out[0..H-1]
 * (out[h-1] is the forecast for h slots ahead). Every value is >= 0. With no history: zeros. */
void torta_forecaster_predict(const torta_forecaster *f, double *out);

/* The method whose forecasts predict() returns now: the configured one, or for auto the base
 * method currently selected. */
torta_forecast_method torta_forecaster_active(const torta_forecaster *f);

/* Observations fed so far. */
long torta_forecaster_n_obs(const torta_forecaster *f);

/* For auto: the summed absolute error of base method `m` over the selector's window (what it
 * compares); -1 when f is not auto or m is not a base method. */
double torta_forecaster_window_error(const torta_forecaster *f, torta_forecast_method m);

/* Mean absolute scaled error: mean |actual - pred| over n points, divided by the in-sample
 * mean absolute error of the seasonal naive forecast on train, (1/(n_train - m)) *
 * sum_{t >= m} |train[t] - train[t-m]|. Errors: n == 0, n_train <= m, m < 1, or a zero scale
 * (train is periodic with period m). */
int torta_forecast_mase(const double *train, size_t n_train, int m, const double *actual,
                        const double *pred, size_t n, double *out, torta_err *e);

#endif
