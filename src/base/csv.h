/* The one CSV reader of torta-sim (RFC 4180): a streaming line/record reader and an in-place
 * field splitter, used by every CSV input (traces, length files, faults, `ot` matrices, sweep
 * tables). Records are lines, except that a quoted field may hold commas, doubled quotes ("")
 * and line breaks; "\r\n" and "\n" both end a line; a leading UTF-8 BOM is skipped. Blanks
 * around a field are trimmed (the files are written by hand as well as by programs). */
#ifndef TORTA_BASE_CSV_H
#define TORTA_BASE_CSV_H

#include <stdint.h>
#include <stdio.h>

#include "torta/err.h"

/* Reads a file line by line into one reusable buffer (grows only with the longest record), so
 * memory does not depend on the number of lines. */
typedef struct torta_lines {
    FILE *f;
    const char *path;
    char *buf;
    size_t cap;
    int32_t line;    /* 1-based number of the (last physical) line last returned */
    int csv_records; /* set by the caller: a quoted field may continue onto the next line */
} torta_lines;

int torta_lines_open(torta_lines *L, const char *path, torta_err *e);
/* 1 = *text and *len hold the next line (a whole record with csv_records), 0 = end of file,
 * < 0 = read error or, with csv_records, a quoted field left open at the end of the file. */
int torta_lines_next(torta_lines *L, char **text, size_t *len, torta_err *e);
/* Next non-blank line. A blank line followed by more data is an error (only trailing blank
 * lines are accepted); trailing ones are skipped and 0 is returned. */
int torta_lines_next_data(torta_lines *L, char **text, size_t *len, torta_err *e);
void torta_lines_close(torta_lines *L);
int torta_lines_blank(const char *s);

/* Splits one record in place into fields (quotes removed, "" made "). Returns the number of
 * fields (it may exceed max; only max are stored), or -k when field k (1-based) is malformed:
 * an unterminated quote or text after a closing quote; *why then says which. */
int torta_csv_split(char *record, char **fields, int max, const char **why);
/* Upper bound on the number of fields of a record (commas + 1), to size a fields array. */
int torta_csv_max_fields(const char *record);

#endif
