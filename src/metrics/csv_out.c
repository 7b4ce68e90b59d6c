/* Buffered CSV output, plain or through zlib's deflate (csv_out.h). */
#include "metrics/csv_out.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { GZ_OUT_BYTES = 1 << 18 };

int torta_csv_out_open(torta_csv_out *o, const char *dir, const char *base, int gzip_level,
                       const char *header, torta_err *e)
{
    memset(o, 0, sizeof *o);
    snprintf(o->name, sizeof o->name, "%s%s", base, gzip_level ? ".gz" : "");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, o->name);
    size_t hlen = strlen(header);
    o->buf = malloc(TORTA_CSV_OUT_BYTES);
    if (!o->buf || hlen >= TORTA_CSV_OUT_BYTES - TORTA_CSV_ROW_MAX)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    memcpy(o->buf, header, hlen);
    o->len = hlen;
    if (gzip_level) {
        o->gz_head.os = 255; /* "unknown"; no name, comment or extra field; mtime 0 */
        o->gz = calloc(1, sizeof *o->gz);
        o->gz_buf = malloc(GZ_OUT_BYTES);
        if (!o->gz || !o->gz_buf)
            return torta_err_set(e, TORTA_ENOMEM, "out of memory");
        /* windowBits 15 + 16: a gzip wrapper instead of zlib's. */
        if (deflateInit2(o->gz, gzip_level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            free(o->gz);
            o->gz = NULL;
            return torta_err_set(e, TORTA_ENOMEM, "%s: cannot start zlib's deflate", o->name);
        }
        if (deflateSetHeader(o->gz, &o->gz_head) != Z_OK)
            return torta_err_set(e, TORTA_EINTERNAL, "%s: zlib refused the gzip header", o->name);
    }
    if (!(o->f = fopen(path, "w")))
        return torta_err_set(e, TORTA_EIO, "%s: cannot write: %s", path, strerror(errno));
    return 0;
}

/* Writes the buffer (finish: and ends the gzip stream). */
static int flush(torta_csv_out *o, int finish, torta_err *e)
{
    size_t n = o->len;
    o->len = 0;
    if (!o->gz) {
        if (fwrite(o->buf, 1, n, o->f) != n)
            return torta_err_set(e, TORTA_EIO, "%s: write failed: %s", o->name, strerror(errno));
        return 0;
    }
    z_stream *z = o->gz;
    z->next_in = (unsigned char *)o->buf;
    z->avail_in = (uInt)n;
    int rc;
    do {
        z->next_out = o->gz_buf;
        z->avail_out = GZ_OUT_BYTES;
        rc = deflate(z, finish ? Z_FINISH : Z_NO_FLUSH);
        if (rc == Z_STREAM_ERROR)
            return torta_err_set(e, TORTA_EINTERNAL, "%s: zlib's deflate failed", o->name);
        size_t have = GZ_OUT_BYTES - z->avail_out;
        if (have && fwrite(o->gz_buf, 1, have, o->f) != have)
            return torta_err_set(e, TORTA_EIO, "%s: write failed: %s", o->name, strerror(errno));
    } while (z->avail_out == 0 || (finish && rc != Z_STREAM_END));
    return 0;
}

int torta_csv_out_room(torta_csv_out *o, torta_err *e)
{
    return TORTA_CSV_OUT_BYTES - o->len < TORTA_CSV_ROW_MAX ? flush(o, 0, e) : 0;
}

int torta_csv_out_close(torta_csv_out *o, torta_err *e)
{
    if (!o->f)
        return 0;
    int rc = flush(o, 1, e);
    if (fclose(o->f) != 0 && !rc)
        rc = torta_err_set(e, TORTA_EIO, "%s: write failed: %s", o->name, strerror(errno));
    o->f = NULL;
    return rc;
}

void torta_csv_out_free(torta_csv_out *o)
{
    if (o->f)
        fclose(o->f);
    if (o->gz)
        deflateEnd(o->gz);
    free(o->gz);
    free(o->gz_buf);
    free(o->buf);
    memset(o, 0, sizeof *o);
}
