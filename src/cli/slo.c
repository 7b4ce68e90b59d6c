/* SLO strings of capacity-search (slo.h). */
#include "cli/slo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torta/json.h"

static const char *const KINDS[] = {"ttft", "tpot", "e2e", "queue", "network", NULL};
static const char *const STATS[] = {"mean", "p50", "p95", "p99", "max", NULL};

/* "ttft_p95" -> "latency_s.ttft.p95"; a name with a dot is a summary field as it is. */
static int resolve(const char *text, const char *name, char *field, size_t n, torta_err *e)
{
    if (strchr(name, '.')) {
        snprintf(field, n, "%s", name);
        return 0;
    }
    const char *us = strchr(name, '_');
    for (int k = 0; us && KINDS[k]; k++)
        if (strlen(KINDS[k]) == (size_t)(us - name) && strncmp(KINDS[k], name, (size_t)(us - name)) == 0)
            for (int s = 0; STATS[s]; s++)
                if (strcmp(STATS[s], us + 1) == 0) {
                    snprintf(field, n, "latency_s.%s.%s", KINDS[k], STATS[s]);
                    return 0;
                }
    const char *names[32];
    char buf[25][16];
    int m = 0;
    for (int k = 0; KINDS[k]; k++)
        for (int s = 0; STATS[s]; s++, m++) {
            snprintf(buf[m], sizeof buf[m], "%s_%s", KINDS[k], STATS[s]);
            names[m] = buf[m];
        }
    names[m] = NULL;
    const char *dym = torta_did_you_mean(name, names);
    return torta_err_set(e, TORTA_EINPUT, "--slo %s: unknown metric \"%s\"%s%s%s (expected "
                         "ttft|tpot|e2e|queue|network _ mean|p50|p95|p99|max, in seconds, or a summary "
                         "field such as requests.rejected)", text, name, dym ? " (did you mean \"" : "",
                         dym ? dym : "", dym ? "\"?)" : "");
}

int cli_slo_parse(const char *text, cli_slo **out, int *n, torta_err *e)
{
    *out = NULL;
    *n = 0;
    int cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == ',';
    cli_slo *s = calloc((size_t)cap, sizeof *s);
    if (!s)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    int rc = 0;
    const char *p = text;
    for (;;) {
        size_t len = strcspn(p, ",");
        const char *eq = memchr(p, '=', len);
        char item[256];
        snprintf(item, sizeof item, "%.*s", (int)len, p);
        if (len == 0) {
            rc = torta_err_set(e, TORTA_EINPUT, "--slo %s: empty item (expected NAME=SECONDS, e.g. "
                               "ttft_p95=2,tpot_p95=0.2)", text);
        } else if (!eq || eq == p) {
            rc = torta_err_set(e, TORTA_EINPUT, "--slo %s: \"%s\" is not NAME=VALUE (e.g. "
                               "ttft_p95=2)", text, item);
        } else {
            cli_slo *c = &s[*n];
            size_t nl = (size_t)(eq - p);
            const char *val = eq + 1;
            size_t vl = len - nl - 1;
            char num[128], *end = NULL;
            snprintf(c->name, sizeof c->name, "%.*s", (int)(nl < 63 ? nl : 63), p);
            snprintf(num, sizeof num, "%.*s", (int)(vl < 127 ? vl : 127), val);
            c->max = strtod(num, &end);
            if (vl == 0 || *end != '\0' || !isfinite(c->max) || c->max < 0)
                rc = torta_err_set(e, TORTA_EINPUT, "--slo %s: %s: \"%s\" is not a number >= 0",
                                   text, c->name, num);
            else
                rc = resolve(text, c->name, c->field, sizeof c->field, e);
            for (int k = 0; !rc && k < *n; k++)
                if (strcmp(s[k].field, c->field) == 0)
                    rc = torta_err_set(e, TORTA_EINPUT, "--slo %s: %s is given twice", text, c->name);
            if (!rc)
                (*n)++;
        }
        if (rc || !p[len])
            break;
        p += len + 1;
    }
    if (rc) {
        free(s);
        *n = 0;
        return rc;
    }
    *out = s;
    return 0;
}
