/* Error reporting shared by every module: functions return 0 or a negative TORTA_E* code and
 * fill a torta_err with a human message. Only src/cli prints or exits. */
#ifndef TORTA_ERR_H
#define TORTA_ERR_H

#include <stddef.h>

enum {
    TORTA_OK = 0,
    TORTA_EINPUT = -2,    /* bad user input: file, line, field named in the message; exit 2 */
    TORTA_ENOMEM = -3,
    TORTA_EIO = -4,       /* cannot read or write a file */
    TORTA_EINTERNAL = -5, /* an invariant broke: a bug in torta-sim, never the user's fault */
    TORTA_EINTERRUPTED = -6 /* stopped by SIGINT/SIGTERM; exit 130 */
};

typedef struct torta_err {
    int code;
    char msg[1024];
} torta_err;

/* Sets e (when non-NULL) and returns code, so callers can `return torta_err_set(...)`. */
int torta_err_set(torta_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with context ("while loading X: ..."). Returns e->code. */
int torta_err_prefix(torta_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Process exit status for a code: 2 for input errors, 1 otherwise. */
int torta_err_exit_status(int code);

#endif
