/* libFuzzer harness for the workload readers (include/torta/workload.h). The first input byte
 * picks what the rest is fed to:
 *   '0' trace, format AUTO          '1' trace, format AZURE      '2' trace, format MOONCAKE
 *   '3' trace, format NATIVE        '4' length file of a synthetic workload (lengths=FILE)
 *   '5' synthetic workload spec string ("poisson:rate_per_s=...")
 * (other bytes map onto these modulo 6). Traces are opened with rate_scale 2.5 and duration_s
 * 1e6 on odd bytes, defaults on even ones, and read to the end. Every request must satisfy the
 * header's contract (tokens >= 1, non-decreasing arrival, ids 0,1,2,...) and trace arrivals
 * must be at most 1e8 s, else abort(). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "torta/workload.h"
#include "fuzz_common.h"

/* Reads a source to its end (at most max requests), checking the documented invariants;
 * trace arrivals must also stay within the readers' 1e8 s limit (is_trace). */
static void drain(torta_source *s, long max, int is_trace)
{
    torta_req_in r;
    torta_err e = {0};
    double prev = -INFINITY;
    uint64_t id = 0;
    int rc;
    while (max-- > 0 && (rc = torta_source_next(s, &r, &e)) == 1) {
        if (r.input_tokens < 1 || r.output_tokens < 1 || !(r.arrival_s >= prev) ||
            !isfinite(r.arrival_s) || r.id != id || (is_trace && r.arrival_s > 1e8))
            abort();
        prev = r.arrival_s;
        id++;
        if (r.origin_name)
            (void)strlen(r.origin_name);
        if (r.model_name)
            (void)strlen(r.model_name);
    }
    const char *msg = NULL;
    if (torta_source_warnings(s, &msg) > 0 && msg)
        (void)strlen(msg);
    (void)strlen(torta_source_describe(s));
    (void)torta_source_expected_duration_s(s);
    (void)torta_source_expected_count(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned mode = (unsigned)(data[0] - '0') % 6u;
    int odd = data[0] & 1;
    data++;
    size--;
    torta_err e = {0};
    torta_source *s = NULL;
    if (mode <= 3) {
        static const torta_trace_fmt fmts[] = {TORTA_FMT_AUTO, TORTA_FMT_AZURE,
                                               TORTA_FMT_MOONCAKE, TORTA_FMT_NATIVE};
        torta_trace_opts o = {fmts[mode], odd ? 2.5 : 0.0, odd ? 1e6 : 0.0};
        const char *path = fuzz_write(".trace", data, size);
        if (torta_source_open_trace(path, &o, &s, &e) == 0) {
            drain(s, 1L << 20, 1);
            torta_source_close(s);
        } else if (s != NULL || e.code >= 0 || !e.msg[0]) {
            abort(); /* a failed open must leave *out NULL and say why */
        }
    } else if (mode == 4) {
        const char *path = fuzz_write(".csv", data, size);
        char spec[512];
        snprintf(spec, sizeof spec, "poisson:rate_per_s=4,duration_s=%d,lengths=%s",
                 odd ? 3 : 10, path);
        if (torta_source_open_synthetic(spec, 7, 1, NULL, &s, &e) == 0) {
            drain(s, 1L << 20, 0);
            torta_source_close(s);
        } else if (s != NULL || e.code >= 0 || !e.msg[0]) {
            abort();
        }
    } else {
        /* The spec may ask for any rate and duration: read at most 4096 requests of it. */
        char *spec = fuzz_cstr(data, size);
        static const double tz[3] = {-5, 1, 9};
        if (torta_source_open_synthetic(spec, 7, 3, tz, &s, &e) == 0) {
            drain(s, 4096, 0);
            torta_source_close(s);
        } else if (s != NULL || e.code >= 0 || !e.msg[0]) {
            abort();
        }
        free(spec);
    }
    return 0;
}
