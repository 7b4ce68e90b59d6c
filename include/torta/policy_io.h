/* Policy files: a torta_policy to and from JSON. Weights are printed with %.17g so a round trip
 * is bit-exact, and writing is deterministic (same policy -> byte-identical file). Loading
 * validates every shape; errors name the file and the JSON path (net.layers[1].W[3]). The
 * format is described in docs/learning.md. */
#ifndef TORTA_POLICY_IO_H
#define TORTA_POLICY_IO_H

#include <cjson/cJSON.h>

#include "torta/err.h"
#include "torta/policy.h"

#define TORTA_POLICY_FORMAT "torta-policy"
#define TORTA_POLICY_VERSION 1

/* JSON text of p in *out (free with free()). Fails on a non-finite weight. */
int torta_policy_to_json(const torta_policy *p, char **out, torta_err *e);
/* Writes path.tmp, then renames it to path. */
int torta_policy_save(const torta_policy *p, const char *path, torta_err *e);
/* Builds *p (uninitialised on entry; freed again on error) from a parsed document; `origin`
 * names it in messages. The normaliser of a loaded policy is frozen (evaluation). */
int torta_policy_from_json(const cJSON *root, const char *origin, torta_policy *p, torta_err *e);
int torta_policy_load(const char *path, torta_policy *p, torta_err *e);

#endif
