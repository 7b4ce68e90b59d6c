/* Small typed accessors over cJSON whose errors name the JSON path, used by every loader. */
#ifndef TORTA_JSON_H
#define TORTA_JSON_H

#include <cjson/cJSON.h>

#include "torta/err.h"

/* Parses a JSON file; a syntax error names file:line:column. */
int torta_json_read_file(const char *path, cJSON **out, torta_err *e);
/* Parses text; `origin` names it in errors (a file name or "embedded default.json"). */
int torta_json_parse(const char *text, const char *origin, cJSON **out, torta_err *e);

/* Number at obj[key] within [lo, hi]. Missing: error when required, else *out = def.
 * `where` is the object's path for messages ("cluster.servers[0]"). */
int torta_json_num(const cJSON *obj, const char *key, const char *where, double lo, double hi,
                   int required, double def, double *out, torta_err *e);
int torta_json_int(const cJSON *obj, const char *key, const char *where, long lo, long hi,
                   int required, long def, long *out, torta_err *e);
/* String at obj[key]; *out points into the cJSON tree. */
int torta_json_str(const cJSON *obj, const char *key, const char *where, int required,
                   const char *def, const char **out, torta_err *e);

/* Checks that every key of obj is in the NULL-terminated list `known`; an unknown key is an
 * error with a did-you-mean suggestion. */
int torta_json_check_keys(const cJSON *obj, const char *where, const char *const *known,
                          torta_err *e);

/* The closest of `candidates` (NULL-terminated) to `word` by edit distance, or NULL when none
 * is close enough to suggest. */
const char *torta_did_you_mean(const char *word, const char *const *candidates);

#endif
