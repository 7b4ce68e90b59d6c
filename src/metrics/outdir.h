/* Output folders and files written safely: results go to a temporary sibling that is moved into
 * place only when complete, and torta-sim never deletes what it did not make. A folder it made
 * holds a manifest (TORTA_MANIFEST) naming its files; only such a folder is ever replaced
 * (--force), and only while it holds nothing else. See README.md, "What torta-sim touches". */
#ifndef TORTA_OUTDIR_H
#define TORTA_OUTDIR_H

#include <cjson/cJSON.h>

#include "torta/err.h"

#define TORTA_MANIFEST ".torta-sim-manifest"

/* Checks that `final` may be written (absent, an empty folder, or with `force` a torta-sim
 * output), cleans the temporary folders of dead runs beside it, and creates a fresh temporary
 * folder next to it; *tmp is malloc'ed. Call before the slow work, so a bad --out fails early. */
int torta_outdir_begin(const char *final, int force, char **tmp, torta_err *e);
/* Writes tmp's manifest and moves tmp to `final`, atomically with respect to other torta-sim
 * runs (a lock on the parent folder, and an atomic exchange where the file system has one).
 * When `final` cannot be replaced, the results are kept in a sibling folder that the message
 * names, never lost. */
int torta_outdir_commit(const char *tmp, const char *final, int force, torta_err *e);
/* Removes the temporary folder and its files. */
void torta_outdir_abort(const char *tmp);
/* 1 when dir is a complete torta-sim output (manifest, and no file it does not list); else 0
 * with why[] saying what is not ours. */
int torta_outdir_is_ours(const char *dir, char *why, size_t why_n);
/* Removes OUTPUT.partial-PID folders beside `final` whose run (PID) is dead and that carry
 * torta-sim's partial marker; anything else is left alone. */
void torta_outdir_clean_stale(const char *final);

/* A folder that runs keep adding to (sweep, compare --out: one sub-folder per point, resumed
 * later). Accepts an empty folder or one torta-sim marked as such (or an older sweep folder with
 * manifest.csv), and marks it; refuses a folder holding anything else. */
int torta_outdir_claim_shared(const char *dir, torta_err *e);

/* A single output file (train --policy-out, --curve-out): `path` must not be a folder, and an
 * existing file is replaced only with `force`; its parent must be writable. Call early. */
int torta_outfile_check(const char *path, const char *opt, int force, torta_err *e);
/* A temporary name beside path, unique to this process: path.tmp-PID (malloc'ed). */
char *torta_outfile_tmp(const char *path);

/* mkdir -p of the folders above `path` (not `path` itself). */
int torta_make_parents(const char *path, torta_err *e);
/* Removes a folder and everything below it (best effort; never follows links). Only for
 * folders torta-sim made. */
void torta_remove_tree(const char *dir);
/* Writes JSON to dir/name via a temporary file + rename. */
int torta_write_json(const char *dir, const char *name, const cJSON *json, torta_err *e);

#endif
