/* Unit tests of the shared RFC 4180 reader (src/base/csv.c): quoted fields with commas, doubled
 * quotes and line breaks, CRLF, a BOM, blanks around fields, malformed quoting, and the file
 * reader joining the lines of a quoted field. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "run_suite.h"

/* Splits `text` and compares with the n expected fields. */
static void expect_split(const char *text, int n, const char *const *want)
{
    char buf[256], *f[8];
    const char *why = NULL;
    snprintf(buf, sizeof buf, "%s", text);
    int got = torta_csv_split(buf, f, 8, &why);
    ck_assert_msg(got == n, "'%s': %d fields, expected %d (%s)", text, got, n, why ? why : "");
    for (int i = 0; i < n && i < 8; i++)
        ck_assert_msg(strcmp(f[i], want[i]) == 0, "'%s': field %d is '%s', expected '%s'", text,
                      i + 1, f[i], want[i]);
}

START_TEST(splits_rfc4180_fields)
{
    expect_split("a,b,c", 3, (const char *const[]){"a", "b", "c"});
    expect_split("1.5,\"Washington, DC\",7", 3, (const char *const[]){"1.5", "Washington, DC", "7"});
    expect_split("\"say \"\"hi\"\"\",x", 2, (const char *const[]){"say \"hi\"", "x"});
    expect_split("\"\",,\"\"", 3, (const char *const[]){"", "", ""});
    expect_split(" a , \"b, c\" ,d ", 3, (const char *const[]){"a", "b, c", "d"});
    expect_split("\"two\nlines\",z", 2, (const char *const[]){"two\nlines", "z"});
    expect_split("", 1, (const char *const[]){""});
    expect_split("x,", 2, (const char *const[]){"x", ""});
}
END_TEST

START_TEST(rejects_malformed_quotes)
{
    char a[] = "1,\"open", b[] = "1,\"closed\"tail,3", *f[4];
    const char *why = NULL;
    ck_assert_int_eq(torta_csv_split(a, f, 4, &why), -2);
    ck_assert_ptr_nonnull(strstr(why, "not closed"));
    ck_assert_int_eq(torta_csv_split(b, f, 4, &why), -2);
    ck_assert_ptr_nonnull(strstr(why, "after the closing quote"));
    ck_assert_int_eq(torta_csv_max_fields("a,\"b,c\",d"), 4); /* an upper bound */
}
END_TEST

START_TEST(reads_records_across_lines)
{
    char path[] = "/tmp/torta_csv_test_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "wb");
    fputs("\xEF\xBB\xBFh1,h2\r\n1,\"a\r\nb, \"\"c\"\"\"\r\n2,plain\r\n", f);
    fclose(f);
    torta_lines L;
    torta_err e = {0};
    char *rec, *fld[4];
    size_t len;
    const char *why;
    ck_assert_int_eq(torta_lines_open(&L, path, &e), 0);
    L.csv_records = 1;
    ck_assert_int_eq(torta_lines_next(&L, &rec, &len, &e), 1);
    ck_assert_str_eq(rec, "h1,h2"); /* BOM and CR gone */
    ck_assert_int_eq(torta_lines_next(&L, &rec, &len, &e), 1);
    ck_assert_int_eq(L.line, 3); /* the record's last line */
    ck_assert_int_eq(torta_csv_split(rec, fld, 4, &why), 2);
    ck_assert_str_eq(fld[1], "a\nb, \"c\"");
    ck_assert_int_eq(torta_lines_next(&L, &rec, &len, &e), 1);
    ck_assert_str_eq(rec, "2,plain");
    ck_assert_int_eq(torta_lines_next(&L, &rec, &len, &e), 0);
    torta_lines_close(&L);

    f = fopen(path, "wb");
    fputs("h\n\"never closed\n", f);
    fclose(f);
    ck_assert_int_eq(torta_lines_open(&L, path, &e), 0);
    L.csv_records = 1;
    ck_assert_int_eq(torta_lines_next(&L, &rec, &len, &e), 1);
    ck_assert_int_lt(torta_lines_next(&L, &rec, &len, &e), 0);
    ck_assert_msg(strstr(e.msg, ":2: quoted field not closed") != NULL, "%s", e.msg);
    torta_lines_close(&L);
    remove(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("csv");
    TCase *tc = tcase_create("rfc4180");
    tcase_add_test(tc, splits_rfc4180_fields);
    tcase_add_test(tc, rejects_malformed_quotes);
    tcase_add_test(tc, reads_records_across_lines);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
