/* The regular-file check every file argument passes before it is read. */
#include "base/input_file.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

int torta_input_file_check(const char *path, const char *what, int allow_stream, torta_err *e)
{
    const char *sep = *what ? " " : "";
    struct stat st;
    if (stat(path, &st) != 0)
        return torta_err_set(e, TORTA_EINPUT, "%s%s%s: cannot open: %s", what, sep, path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return torta_err_set(e, TORTA_EINPUT, "%s%s%s: is a folder; expected a file", what, sep, path);
    if (S_ISREG(st.st_mode) || (allow_stream && S_ISFIFO(st.st_mode)))
        return 0;
    return torta_err_set(e, TORTA_EINPUT, "%s%s%s: not a regular file%s", what, sep, path,
                         allow_stream ? " or a pipe" : "");
}
