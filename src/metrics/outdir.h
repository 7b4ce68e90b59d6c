/* Output folders written atomically: files go to a temporary sibling folder that is renamed
 * into place when complete, so a failed run never leaves half-written results. */
#ifndef TORTA_OUTDIR_H
#define TORTA_OUTDIR_H

#include <cjson/cJSON.h>

#include "torta/err.h"

/* Creates a fresh temporary folder next to `final`; *tmp is malloc'ed. */
int torta_outdir_begin(const char *final, char **tmp, torta_err *e);
/* Replaces `final` (if it exists, it must be an earlier torta-sim output or empty) with tmp. */
int torta_outdir_commit(const char *tmp, const char *final, torta_err *e);
/* mkdir -p of the folders above `path` (not `path` itself). */
int torta_make_parents(const char *path, torta_err *e);
/* Removes a folder and everything below it (best effort). */
void torta_remove_tree(const char *dir);
/* Removes the temporary folder and its files. */
void torta_outdir_abort(const char *tmp);
/* Writes JSON to dir/name via a temporary file + rename. */
int torta_write_json(const char *dir, const char *name, const cJSON *json, torta_err *e);

#endif
