/* One-line option errors (opt_error.h). getopt_long has left optind just past the offending
 * argument; the message names it, and what is wrong with it. */
#include "cli/opt_error.h"

#include <stdio.h>
#include <string.h>

void cli_opt_begin(void)
{
    opterr = 0;
    optind = 1;
}

int cli_bad_option(const char *cmd, int c, char *const *argv, const struct option *opts)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    char what[200] = "";
    if (strncmp(arg, "--", 2) == 0) {
        const char *name = arg + 2;
        size_t len = strcspn(name, "=");
        int matches = 0, exact = -1;
        char names[160] = "";
        for (int k = 0; opts[k].name; k++) {
            if (strncmp(opts[k].name, name, len) != 0)
                continue;
            if (strlen(opts[k].name) == len)
                exact = k;
            if (matches++ < 3 && strlen(names) + strlen(opts[k].name) + 5 < sizeof names)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s--%s",
                         *names ? ", " : "", opts[k].name);
        }
        int one = exact >= 0 || matches == 1;
        if (c == ':')
            snprintf(what, sizeof what, "option --%.*s needs a value", (int)len, name);
        else if (one && name[len] == '=')
            snprintf(what, sizeof what, "option --%.*s takes no value", (int)len, name);
        else if (matches > 1 && exact < 0)
            snprintf(what, sizeof what, "ambiguous option --%.*s (%s%s)", (int)len, name, names,
                     matches > 3 ? ", ..." : "");
        else
            snprintf(what, sizeof what, "unknown option --%.*s", (int)len, name);
    } else if (c == ':') {
        snprintf(what, sizeof what, "option -%c needs a value", optopt);
    } else {
        snprintf(what, sizeof what, "unknown option -%c", optopt ? optopt : '?');
    }
    fprintf(stderr, "torta-sim %s: %s; see torta-sim %s --help\n", cmd, what, cmd);
    return 2;
}
