/* The run configuration: a JSON tree built from the shipped defaults (the configs folder, embedded in
 * the binary), a user file merged over them, and --set overrides. The defaults are the schema:
 * a user key that the defaults lack, or a value of another JSON type, is an error naming its path
 * (with a did-you-mean), except inside the open maps listed in config.c (gpus, models, ...). */
#ifndef TORTA_CONFIG_H
#define TORTA_CONFIG_H

#include <cjson/cJSON.h>

#include "torta/err.h"

/* The text of a shipped configs/<name> file, or NULL (generated at build time). */
const char *torta_embedded_config(const char *name);

/* Builds the effective configuration. user_path may be NULL. sets: "path.to.key=value" strings;
 * value is parsed as JSON when it is valid JSON, else taken as a string. */
int torta_config_build(const char *user_path, const char *const *sets, int n_sets, cJSON **out,
                       torta_err *e);

/* Applies one "path=value" override to an existing tree (validated against the same schema). */
int torta_config_set(cJSON *root, const char *assignment, torta_err *e);

/* Object at a dotted path, or NULL. */
const cJSON *torta_config_at(const cJSON *root, const char *path);

#endif
