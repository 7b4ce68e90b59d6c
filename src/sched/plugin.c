/* Loads scheduler plugins (shared objects, see include/torta/plugin.h): dlopen, check the ABI
 * record, register the schedulers. A loaded plugin is never unloaded: the registry points into
 * it for the rest of the process. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "torta/plugin.h"

/* Struct sizes a plugin must agree on, with the names used in messages. */
static int check_layout(const torta_plugin_info *p, const char *path, torta_err *e)
{
    const struct {
        const char *what;
        uint32_t got, want;
    } f[] = {
        {"torta_plugin_info", p->size_info, sizeof(torta_plugin_info)},
        {"torta_view", p->size_view, sizeof(torta_view)},
        {"torta_region_state", p->size_region, sizeof(torta_region_state)},
        {"torta_server_state", p->size_server, sizeof(torta_server_state)},
        {"torta_request", p->size_request, sizeof(torta_request)},
        {"torta_catalog", p->size_catalog, sizeof(torta_catalog)},
        {"torta_sched_env", p->size_env, sizeof(torta_sched_env)},
        {"torta_macro_ops", p->size_macro_ops, sizeof(torta_macro_ops)},
        {"torta_micro_ops", p->size_micro_ops, sizeof(torta_micro_ops)},
        {"torta_err", p->size_err, sizeof(torta_err)},
    };
    /* size_info first: if it differs, the later fields may not be where we read them. */
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (f[i].got != f[i].want)
            return torta_err_set(e, TORTA_EINPUT, "plugin %s: built against a different %s (%u bytes, "
                                 "this torta-sim has %u): rebuild it against this version's include/",
                                 path, f[i].what, (unsigned)f[i].got, (unsigned)f[i].want);
    return 0;
}

int torta_plugin_load(const char *path, torta_err *e)
{
    if (!path || !*path)
        return torta_err_set(e, TORTA_EINPUT, "--plugin: empty file name");
    struct stat st;
    if (stat(path, &st) != 0)
        return torta_err_set(e, TORTA_EINPUT, "plugin %s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return torta_err_set(e, TORTA_EINPUT, "plugin %s: not a regular file", path);
    /* dlopen searches the library path for a bare name; a user means the file they named. */
    char local[4096];
    const char *open_path = path;
    if (!strchr(path, '/')) {
        if ((size_t)snprintf(local, sizeof local, "./%s", path) >= sizeof local)
            return torta_err_set(e, TORTA_EINPUT, "plugin %.200s...: file name too long", path);
        open_path = local;
    }
    dlerror();
    void *h = dlopen(open_path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        return torta_err_set(e, TORTA_EINPUT, "plugin %s: cannot load: %s", path, why ? why : "unknown error");
    }
    dlerror();
    const torta_plugin_info *info = dlsym(h, "torta_plugin");
    int rc;
    if (!info) {
        rc = torta_err_set(e, TORTA_EINPUT, "plugin %s: not a torta-sim plugin: no symbol torta_plugin "
                           "(define it with TORTA_PLUGIN_DEFINE from torta/plugin.h)", path);
    } else if (info->abi != TORTA_PLUGIN_ABI) {
        rc = torta_err_set(e, TORTA_EINPUT, "plugin %s: built for plugin ABI %d, this torta-sim has ABI "
                           "%d: rebuild it against this version's include/", path, (int)info->abi,
                           TORTA_PLUGIN_ABI);
    } else if ((rc = check_layout(info, path, e)) == 0) {
        char origin[4200];
        snprintf(origin, sizeof origin, "plugin %s", path);
        rc = torta_sched_register(info->macros, info->micros, origin, e);
    }
    if (rc)
        dlclose(h);
    return rc;
}
