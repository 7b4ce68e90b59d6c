/* torta_err helpers. */
#include "torta/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int torta_err_set(torta_err *e, int code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
        e->code = code;
    }
    return code;
}

int torta_err_prefix(torta_err *e, const char *fmt, ...)
{
    if (!e)
        return TORTA_EINTERNAL;
    char head[256], old[sizeof e->msg - sizeof head - 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old - 1);
    old[sizeof old - 1] = '\0';
    snprintf(e->msg, sizeof e->msg, "%s: %s", head, old);
    return e->code;
}

int torta_err_exit_status(int code)
{
    return code == TORTA_EINPUT ? 2 : code == TORTA_EINTERRUPTED ? 130 : 1;
}
