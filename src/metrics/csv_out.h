/* A CSV output file written through a buffer the caller formats rows into, plain or gzip
 * (output.compress): requests.csv and slots.csv, or requests.csv.gz and slots.csv.gz. */
#ifndef TORTA_METRICS_CSV_OUT_H
#define TORTA_METRICS_CSV_OUT_H

#include <stddef.h>
#include <stdio.h>
#include <zlib.h>

#include "torta/err.h"

/* Rows are formatted at buf + len; torta_csv_out_room makes sure ROW_MAX bytes are free. */
enum { TORTA_CSV_OUT_BYTES = 1 << 20, TORTA_CSV_ROW_MAX = 8192 };

typedef struct torta_csv_out {
    FILE *f;
    char name[64]; /* the file's name, for messages */
    char *buf;
    size_t len;    /* bytes of buf not yet written */
    z_stream *gz;  /* gzip: buf goes through deflate */
    gz_header gz_head;
    unsigned char *gz_buf;
} torta_csv_out;

/* Creates dir/base (gzip_level 0) or dir/base.gz (deflate level 1-9) with the header row
 * in the buffer. The gzip header is fixed (no name, time 0), so the same rows give the same
 * bytes. */
int torta_csv_out_open(torta_csv_out *o, const char *dir, const char *base, int gzip_level,
                       const char *header, torta_err *e);
/* Writes the buffer out when fewer than TORTA_CSV_ROW_MAX bytes are left in it. */
int torta_csv_out_room(torta_csv_out *o, torta_err *e);
/* Writes everything, ends the gzip stream and closes the file (a no-op when not open). */
int torta_csv_out_close(torta_csv_out *o, torta_err *e);
/* Releases what is left (after an error). */
void torta_csv_out_free(torta_csv_out *o);

#endif
