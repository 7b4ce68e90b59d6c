/* Unit tests for the trace readers: exact values on small fixtures, every malformed case with
 * the expected message, BOM/CRLF, rate scaling and duration cut, and the shipped traces. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torta/workload.h"
#include "run_suite.h"

static char *path_of(const char *rel)
{
    static char buf[4][1024];
    static int k;
    const char *root = getenv("TORTA_SOURCE_DIR");
    char *b = buf[k++ % 4];
    snprintf(b, sizeof buf[0], "%s/%s", root ? root : ".", rel);
    return b;
}

static torta_source *open_ok(const char *rel, const torta_trace_opts *o)
{
    torta_source *s = NULL;
    torta_err e = {0};
    int rc = torta_source_open_trace(path_of(rel), o, &s, &e);
    ck_assert_msg(rc == 0, "open %s: %s", rel, e.msg);
    return s;
}

static void next_ok(torta_source *s, torta_req_in *r)
{
    torta_err e = {0};
    int rc = torta_source_next(s, r, &e);
    ck_assert_msg(rc == 1, "next: rc=%d %s", rc, e.msg);
}

static void at_end(torta_source *s)
{
    torta_req_in r;
    torta_err e = {0};
    ck_assert_int_eq(torta_source_next(s, &r, &e), 0);
    ck_assert_int_eq(torta_source_next(s, &r, &e), 0); /* stays ended */
}

/* Opens and drains rel; the first error must be TORTA_EINPUT containing every needle. */
static void expect_error(const char *rel, torta_trace_fmt fmt, const char *n1, const char *n2,
                         const char *n3)
{
    torta_trace_opts o = {fmt, 1, 0};
    torta_source *s = NULL;
    torta_err e = {0};
    int rc = torta_source_open_trace(path_of(rel), &o, &s, &e);
    long rows = 0;
    if (rc == 0) {
        torta_req_in r;
        while ((rc = torta_source_next(s, &r, &e)) == 1)
            rows++;
        torta_source_close(s);
    }
    ck_assert_msg(rc == TORTA_EINPUT, "%s: expected an input error, got rc=%d after %ld rows", rel,
                  rc, rows);
    const char *needles[3] = {n1, n2, n3};
    for (int i = 0; i < 3; i++)
        ck_assert_msg(!needles[i] || strstr(e.msg, needles[i]), "%s: message '%s' lacks '%s'", rel,
                      e.msg, needles[i]);
}

START_TEST(azure_exact_times)
{
    torta_source *s = open_ok("tests/fixtures/traces/azure_small.csv", NULL);
    torta_req_in r;
    /* Across 18:59:59.9999999 -> 19:00:00 (hour), 19:00:59.5 -> 19:01:00.0000001 (minute), and
     * midnight into the next day; each value is the correctly rounded ticks / 1e7. */
    const double t[5] = {0.0, 1e-7, 59.5000001, 60.0000002, 18000.1234568};
    for (int i = 0; i < 5; i++) {
        next_ok(s, &r);
        ck_assert_msg(r.arrival_s == t[i], "row %d: %.10f != %.10f", i, r.arrival_s, t[i]);
        ck_assert_int_eq(r.input_tokens, 100 * (i + 1));
        ck_assert_int_eq(r.output_tokens, 10 * (i + 1));
        ck_assert_int_eq((int)r.id, i);
        ck_assert_int_eq(r.src_line, i + 2);
        ck_assert_int_eq(r.origin, -1);
        ck_assert_int_eq(r.model, -1);
        ck_assert_ptr_null(r.origin_name);
        ck_assert_uint_eq(r.prefix_hash, 0);
    }
    at_end(s); /* the last line has no trailing newline and is still read */
    char want[1200];
    snprintf(want, sizeof want, "azure:%s", path_of("tests/fixtures/traces/azure_small.csv"));
    ck_assert_str_eq(torta_source_describe(s), want);
    ck_assert_str_eq(torta_source_path(s), path_of("tests/fixtures/traces/azure_small.csv"));
    ck_assert_double_eq(torta_source_expected_duration_s(s), -1);
    ck_assert_double_eq(torta_source_expected_count(s), -1);
    ck_assert_int_eq(torta_source_warnings(s, NULL), 0);
    torta_source_close(s);
}
END_TEST

START_TEST(azure_zone_suffixes)
{
    /* Azure 2024 style: 6 fractional digits and a zone suffix; +01:00 at 01:00 is the same
     * instant as 00:00 UTC; 'T' separator and 'Z'; no fraction. */
    torta_source *s = open_ok("tests/fixtures/traces/azure_zones.csv", NULL);
    torta_req_in r;
    const double t[4] = {0.0, 0.0, 9900700 / 1e7, 24900700 / 1e7};
    for (int i = 0; i < 4; i++) {
        next_ok(s, &r);
        ck_assert_msg(r.arrival_s == t[i], "row %d: %.9f != %.9f", i, r.arrival_s, t[i]);
    }
    at_end(s);
    torta_source_close(s);
}
END_TEST

START_TEST(azure_bom_crlf_blank_tail)
{
    torta_source *s = open_ok("tests/fixtures/traces/azure_bom_crlf.csv", NULL);
    torta_req_in r;
    next_ok(s, &r);
    ck_assert_double_eq(r.arrival_s, 0.0);
    ck_assert_int_eq(r.input_tokens, 374);
    next_ok(s, &r);
    ck_assert_double_eq(r.arrival_s, 43145790 / 1e7); /* 4.3145790 s */
    ck_assert_int_eq(r.output_tokens, 109);
    next_ok(s, &r); /* equal time is in order */
    ck_assert_double_eq(r.arrival_s, 43145790 / 1e7);
    ck_assert_int_eq(r.output_tokens, 1);
    at_end(s);
    torta_source_close(s);
}
END_TEST

START_TEST(zero_output_is_raised_and_counted)
{
    torta_source *s = open_ok("tests/fixtures/traces/azure_zero_output.csv", NULL);
    torta_req_in r;
    int outs[3];
    for (int i = 0; i < 3; i++) {
        next_ok(s, &r);
        outs[i] = r.output_tokens;
    }
    at_end(s);
    ck_assert_int_eq(outs[0], 44);
    ck_assert_int_eq(outs[1], 1);
    ck_assert_int_eq(outs[2], 1);
    const char *msg;
    ck_assert_int_eq(torta_source_warnings(s, &msg), 2);
    ck_assert_ptr_nonnull(strstr(msg, "azure_zero_output.csv:3: GeneratedTokens: 0 output tokens"));
    torta_source_close(s);
}
END_TEST

START_TEST(mooncake_small)
{
    torta_source *s = open_ok("tests/fixtures/traces/mooncake_small.jsonl", NULL);
    torta_req_in r;
    next_ok(s, &r);
    ck_assert_double_eq(r.arrival_s, 0);
    ck_assert_int_eq(r.input_tokens, 1024);
    ck_assert_int_eq(r.output_tokens, 7);
    ck_assert_int_eq(r.n_prefix_blocks, 2);
    ck_assert_ptr_nonnull(r.prefix_ids); /* every block id, for the prefix caches */
    ck_assert_uint_eq(r.prefix_ids[0], 0);
    ck_assert_uint_eq(r.prefix_ids[1], 1);
    uint64_t h0 = r.prefix_hash;
    ck_assert_uint_ne(h0, 0);
    next_ok(s, &r);
    ck_assert_double_eq(r.arrival_s, 1.5);
    ck_assert_uint_eq(r.prefix_hash, h0); /* same first block id -> same hash */
    ck_assert_int_eq(r.n_prefix_blocks, 2);
    ck_assert_uint_eq(r.prefix_ids[0], 0);
    ck_assert_uint_eq(r.prefix_ids[1], 2);
    next_ok(s, &r);
    ck_assert_double_eq(r.arrival_s, 1.5);
    ck_assert_uint_eq(r.prefix_hash, 0); /* empty hash_ids */
    ck_assert_int_eq(r.n_prefix_blocks, 0);
    ck_assert_ptr_null(r.prefix_ids);
    next_ok(s, &r);
    ck_assert_double_eq(r.arrival_s, 3.25);
    ck_assert_int_eq(r.src_line, 4);
    ck_assert_int_eq(r.output_tokens, 1);
    ck_assert_uint_eq(r.prefix_hash, 0); /* no hash_ids */
    ck_assert_ptr_null(r.prefix_ids);
    at_end(s);
    ck_assert(strncmp(torta_source_describe(s), "mooncake:", 9) == 0);
    torta_source_close(s);
}
END_TEST

START_TEST(native_any_column_order)
{
    torta_source *s = open_ok("tests/fixtures/traces/native_small.csv", NULL);
    torta_req_in r;
    next_ok(s, &r);
    ck_assert_double_eq(r.arrival_s, 0.5); /* native times are kept as written */
    ck_assert_int_eq(r.input_tokens, 100);
    ck_assert_int_eq(r.output_tokens, 10);
    ck_assert_str_eq(r.origin_name, "us-east");
    ck_assert_str_eq(r.model_name, "llama2-70b");
    next_ok(s, &r);
    ck_assert_double_eq(r.arrival_s, 1.25);
    ck_assert_ptr_null(r.origin_name); /* empty = to be assigned */
    ck_assert_ptr_null(r.model_name);
    next_ok(s, &r);
    ck_assert_str_eq(r.origin_name, "eu-west");
    ck_assert_str_eq(r.model_name, "bloom-176b");
    ck_assert_int_eq(r.input_tokens, 300);
    at_end(s);
    torta_source_close(s);
}
END_TEST

START_TEST(rate_scale_and_duration)
{
    torta_trace_opts o = {TORTA_FMT_AUTO, 2.0, 1.5};
    torta_source *s = open_ok("tests/fixtures/traces/native_rate.csv", &o);
    torta_req_in r;
    for (int i = 0; i < 3; i++) { /* 0, 0.5, 1.0; 1.5 is not < duration */
        next_ok(s, &r);
        ck_assert_double_eq(r.arrival_s, 0.5 * i);
        ck_assert_int_eq(r.input_tokens, 10 * (i + 1));
    }
    at_end(s);
    ck_assert_double_eq(torta_source_expected_duration_s(s), 1.5);
    char want[1200];
    snprintf(want, sizeof want, "native:%s,rate_scale=2,duration_s=1.5",
             path_of("tests/fixtures/traces/native_rate.csv"));
    ck_assert_str_eq(torta_source_describe(s), want);
    torta_source_close(s);

    torta_trace_opts slow = {TORTA_FMT_AUTO, 0.5, 0}; /* half the rate: times double */
    s = open_ok("tests/fixtures/traces/native_rate.csv", &slow);
    long n = 0;
    double last = -1;
    torta_err e = {0};
    while (torta_source_next(s, &r, &e) == 1) {
        n++;
        last = r.arrival_s;
    }
    ck_assert_int_eq(n, 6);
    ck_assert_double_eq(last, 10.0);
    torta_source_close(s);

    torta_trace_opts bad = {TORTA_FMT_AUTO, -1, 0};
    ck_assert_int_eq(torta_source_open_trace(path_of("tests/fixtures/traces/native_rate.csv"), &bad,
                                             &s, &e),
                     TORTA_EINPUT);
    ck_assert_ptr_nonnull(strstr(e.msg, "rate_scale"));
}
END_TEST

START_TEST(malformed_inputs)
{
#define BAD(f) "tests/fixtures/traces/bad/" f
    expect_error(BAD("azure_missing_col.csv"), TORTA_FMT_AUTO, "azure_missing_col.csv:1:",
                 "GeneratedTokens: missing column", NULL);
    expect_error(BAD("azure_nonnumeric.csv"), TORTA_FMT_AUTO, "azure_nonnumeric.csv:3:",
                 "ContextTokens: not a number", "'abc'");
    expect_error(BAD("azure_negative.csv"), TORTA_FMT_AUTO, "azure_negative.csv:2:",
                 "GeneratedTokens: negative token count -5", NULL);
    expect_error(BAD("azure_zero_input.csv"), TORTA_FMT_AUTO, "azure_zero_input.csv:3:",
                 "ContextTokens: zero input tokens", NULL);
    expect_error(BAD("azure_absurd.csv"), TORTA_FMT_AUTO, "azure_absurd.csv:2:",
                 "ContextTokens: absurd token count 10000001", NULL);
    expect_error(BAD("azure_backwards.csv"), TORTA_FMT_AUTO, "azure_backwards.csv:4: TIMESTAMP:",
                 "out of order: 2023-11-16 18:15:47.5000000 (line 4) is earlier than "
                 "2023-11-16 18:15:48.0000000 (line 3)",
                 NULL);
    expect_error(BAD("azure_ragged.csv"), TORTA_FMT_AUTO, "azure_ragged.csv:3:",
                 "expected 3 fields as in the header, got 4", NULL);
    expect_error(BAD("azure_bad_ts.csv"), TORTA_FMT_AUTO, "azure_bad_ts.csv:2: TIMESTAMP:",
                 "out of range", NULL);
    expect_error(BAD("azure_header_only.csv"), TORTA_FMT_AUTO, "azure_header_only.csv",
                 "no requests", NULL);
    expect_error(BAD("empty.csv"), TORTA_FMT_AUTO, "empty.csv", "empty file", NULL);
    expect_error(BAD("native_nan.csv"), TORTA_FMT_AUTO, "native_nan.csv:3:",
                 "arrival_s: not a finite number", NULL);
    expect_error(BAD("native_inf.csv"), TORTA_FMT_AUTO, "native_inf.csv:2:",
                 "input_tokens: not a finite number", NULL);
    expect_error(BAD("native_fraction.csv"), TORTA_FMT_AUTO, "native_fraction.csv:2:",
                 "input_tokens: not a whole number", NULL);
    expect_error(BAD("native_unknown_col.csv"), TORTA_FMT_AUTO, "native_unknown_col.csv:1:",
                 "unknown column 'modle'", "did you mean 'model'");
    expect_error(BAD("native_missing_col.csv"), TORTA_FMT_AUTO, "native_missing_col.csv:1:",
                 "input_tokens: missing column", NULL);
    expect_error(BAD("blank_middle.csv"), TORTA_FMT_AUTO, "blank_middle.csv:3:",
                 "blank line inside the data", NULL);
    expect_error(BAD("unknown_format.csv"), TORTA_FMT_AUTO, "unknown_format.csv:1:",
                 "unknown trace format", NULL);
    expect_error(BAD("mooncake_bad_json.jsonl"), TORTA_FMT_AUTO, "mooncake_bad_json.jsonl:2:",
                 "JSON syntax error", NULL);
    expect_error(BAD("mooncake_missing_field.jsonl"), TORTA_FMT_AUTO,
                 "mooncake_missing_field.jsonl:2:", "output_length: missing field", NULL);
    expect_error(BAD("mooncake_backwards.jsonl"), TORTA_FMT_AUTO,
                 "mooncake_backwards.jsonl:3: timestamp:",
                 "out of order: 1000 ms (line 3) is earlier than 2000 ms (line 2)", NULL);
    expect_error(BAD("mooncake_string_tokens.jsonl"), TORTA_FMT_AUTO,
                 "mooncake_string_tokens.jsonl:1:", "input_length: not a number", NULL);
    expect_error(BAD("mooncake_bad_hash.jsonl"), TORTA_FMT_AUTO,
                 "mooncake_bad_hash.jsonl:2:", "hash_ids[2]: not a block id", NULL);
    expect_error(BAD("no_such_file.csv"), TORTA_FMT_AUTO, "no_such_file.csv", "cannot open",
                 NULL);
    /* A forced format that does not match the file. */
    expect_error("tests/fixtures/traces/native_small.csv", TORTA_FMT_AZURE, "native_small.csv:1:",
                 "TIMESTAMP: missing column", NULL);
    expect_error("tests/fixtures/traces/azure_small.csv", TORTA_FMT_MOONCAKE, "azure_small.csv:1:",
                 "JSON syntax error", NULL);
    /* A length file is not a trace: say what to do instead. */
    expect_error("tests/fixtures/traces/sharegpt_small.csv", TORTA_FMT_AUTO, "sharegpt_small.csv",
                 "length file", "lengths=");
#undef BAD
}
END_TEST

START_TEST(errors_stick)
{
    torta_source *s = open_ok("tests/fixtures/traces/bad/azure_nonnumeric.csv", NULL);
    torta_req_in r;
    torta_err e = {0};
    next_ok(s, &r);
    ck_assert_int_eq(torta_source_next(s, &r, &e), TORTA_EINPUT);
    torta_err e2 = {0};
    ck_assert_int_eq(torta_source_next(s, &r, &e2), TORTA_EINPUT);
    ck_assert_str_eq(e.msg, e2.msg);
    torta_source_close(s);
}
END_TEST

/* Streams a shipped trace fully: row count, order, last arrival and token sums. */
static void stream_real(const char *rel, long rows, double last_s, long long sum_in,
                        long long sum_out)
{
    torta_source *s = open_ok(rel, NULL);
    torta_req_in r;
    torta_err e = {0};
    long n = 0;
    long long si = 0, so = 0;
    double prev = 0;
    int rc;
    long bad = 0; /* counted, not asserted per row: each Check assertion costs a write() */
    while ((rc = torta_source_next(s, &r, &e)) == 1) {
        bad += r.arrival_s < prev || (long)r.id != n || r.input_tokens < 1 || r.output_tokens < 1;
        prev = r.arrival_s;
        si += r.input_tokens;
        so += r.output_tokens;
        n++;
    }
    ck_assert_msg(rc == 0, "%s: %s", rel, e.msg);
    ck_assert_int_eq(bad, 0); /* non-decreasing arrivals, ids 0.., tokens >= 1 */
    ck_assert_int_eq(n, rows);
    ck_assert_msg(prev == last_s, "%s: last arrival %.9f != %.9f", rel, prev, last_s);
    ck_assert_int_eq(si, sum_in);
    ck_assert_int_eq(so, sum_out);
    ck_assert_int_eq(torta_source_warnings(s, NULL), 0);
    torta_source_close(s);
}

START_TEST(shipped_traces)
{
    /* Figures cross-checked with Python's csv/json modules; last arrival = ticks / 1e7. */
    stream_real("traces/AzureLLMInferenceTrace_conv.csv", 19366, 35017219370 / 1e7, 22361870,
                4088665);
    stream_real("traces/AzureLLMInferenceTrace_code.csv", 8819, 34359480560 / 1e7, 18059974,
                245896);
    stream_real("traces/mooncake_synthetic_trace.jsonl", 3993, 1022.025, 61194628, 595432);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("workload_readers");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, azure_exact_times);
    tcase_add_test(tc, azure_zone_suffixes);
    tcase_add_test(tc, azure_bom_crlf_blank_tail);
    tcase_add_test(tc, zero_output_is_raised_and_counted);
    tcase_add_test(tc, mooncake_small);
    tcase_add_test(tc, native_any_column_order);
    tcase_add_test(tc, rate_scale_and_duration);
    tcase_add_test(tc, malformed_inputs);
    tcase_add_test(tc, errors_stick);
    tcase_add_test(tc, shipped_traces);
    suite_add_tcase(su, tc);
    return run_suite(su);
}
