/* Internal state of the forecasting methods, shared by the method files and the forecaster
 * (src/forecast/forecaster.c). Each method: init (allocates), observe (O(1)), forecast (O(H),
 * unclamped: the forecaster clamps at 0), free. Time index t counts observations from 0. */
#ifndef TORTA_FC_INTERNAL_H
#define TORTA_FC_INTERNAL_H

#include "torta/forecast.h"

/* Seasonal naive: y_{t+h|t} = y_{t+h-m*ceil(h/m)}, a ring of the last m observations; with
 * fewer than m observations, the last observation (naive). */
typedef struct fc_snaive {
    int m;
    long n;
    double *ring; /* ring[t % m] = y_t */
} fc_snaive;
int fc_snaive_init(fc_snaive *s, int m);
void fc_snaive_observe(fc_snaive *s, double y);
void fc_snaive_forecast(const fc_snaive *s, int horizon, double *out);
void fc_snaive_free(fc_snaive *s);

/* EWMA: l_t = alpha y_t + (1 - alpha) l_{t-1}, l_0 = y_0; y_{t+h|t} = l_t for every h. */
typedef struct fc_ewma {
    double alpha, level;
    long n;
} fc_ewma;
void fc_ewma_init(fc_ewma *s, double alpha);
void fc_ewma_observe(fc_ewma *s, double y);
void fc_ewma_forecast(const fc_ewma *s, int horizon, double *out);

/* Holt-Winters, additive season, damped trend (FPP3 section 8.3). During the first season it is
 * damped Holt (no season) and it collects the season; at n = m the season is initialised. */
typedef struct fc_hw {
    double alpha, beta, gamma, phi;
    int m;
    long n;
    double level, trend;
    double first_sum; /* sum of the first season's observations (until initialised) */
    double *season;   /* season[t % m]; during the first season it holds the raw observations */
} fc_hw;
int fc_hw_init(fc_hw *s, const torta_forecast_params *p);
void fc_hw_observe(fc_hw *s, double y);
void fc_hw_forecast(const fc_hw *s, int horizon, double *out);
void fc_hw_free(fc_hw *s);

#endif
