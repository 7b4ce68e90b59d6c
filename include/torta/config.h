/* The run configuration: a JSON tree built from the shipped defaults (the configs folder, embedded in
 * the binary), a user file merged over them, and --set overrides. The defaults are the schema:
 * a user key that the defaults lack, or a value of another JSON type, is an error naming its path
 * (with a did-you-mean), except inside the open maps listed in config.c (gpus, models, ...). */
#ifndef TORTA_CONFIG_H
#define TORTA_CONFIG_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "torta/err.h"

/* The text of a shipped configs/<name> file, or NULL (generated at build time). */
const char *torta_embedded_config(const char *name);

/* Builds the effective configuration. user_path may be NULL. sets: "path.to.key=value" strings;
 * value is parsed as JSON when it is valid JSON, else taken as a string. */
int torta_config_build(const char *user_path, const char *const *sets, int n_sets, cJSON **out,
                       torta_err *e);

/* Applies one "path=value" override to an existing tree (validated against the same schema). */
int torta_config_set(cJSON *root, const char *assignment, torta_err *e);

/* The master seed "seed": a whole number below 2^53 (exact in JSON), or a string of decimal
 * digits for the whole 64-bit range. Never read through a double beyond 2^53. */
int torta_config_seed(const cJSON *root, uint64_t *seed, torta_err *e);
/* Parses decimal digits (no sign, no 0x, no spaces) as a seed in [0, 2^64 - 1]. */
int torta_parse_seed(const char *text, uint64_t *seed, torta_err *e);
/* The JSON value for a seed: a number below 2^53, else a decimal string. */
cJSON *torta_seed_json(uint64_t seed);

/* Object at a dotted path, or NULL. */
const cJSON *torta_config_at(const cJSON *root, const char *path);

#endif
