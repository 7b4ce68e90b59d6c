/* Input files are checked before any reader or library opens them: a folder or a device given as
 * a file must be a clear input error (exit 2), not an abort inside igraph or an endless read. */
#ifndef TORTA_INPUT_FILE_H
#define TORTA_INPUT_FILE_H

#include "torta/err.h"

/* 0 when path is a regular file (or, with allow_stream, a FIFO such as /dev/stdin from a pipe);
 * else TORTA_EINPUT with a message naming `what` (e.g. "--topology", or "") and path. */
int torta_input_file_check(const char *path, const char *what, int allow_stream, torta_err *e);

#endif
