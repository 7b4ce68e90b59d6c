/* Builds and checks the run record (run_record.h). Paths are kept as typed, with the folder
 * they were typed in ("cwd"), so that a rerun resolves them exactly as the run did. */
#include "cli/run_record.h"

#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "base/build_info.h"
#include "base/sha256.h"
#include "torta/config.h"

static const char *format_name(torta_trace_fmt f)
{
    return f == TORTA_FMT_AZURE ? "azure" : f == TORTA_FMT_MOONCAKE ? "mooncake"
         : f == TORTA_FMT_NATIVE ? "native" : "auto";
}

static int add_input(cJSON *inputs, const char *role, const char *path, torta_err *e)
{
    if (!path || !*path)
        return 0;
    char hex[65];
    int rc = torta_sha256_file(path, hex, e);
    if (rc)
        return rc;
    cJSON *in = cJSON_CreateObject();
    if (!in || !cJSON_AddItemToArray(inputs, in) || !cJSON_AddStringToObject(in, "role", role) ||
        !cJSON_AddStringToObject(in, "path", path) || !cJSON_AddStringToObject(in, "sha256", hex))
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    return 0;
}

/* The lengths=FILE of a synthetic workload spec, copied into buf ("" when none). */
static const char *spec_lengths(const char *spec, char *buf, size_t n)
{
    const char *p = spec ? strstr(spec, "lengths=") : NULL;
    buf[0] = '\0';
    if (p && (p == spec || p[-1] == ',' || p[-1] == ':')) {
        p += strlen("lengths=");
        size_t k = strcspn(p, ",");
        snprintf(buf, n, "%.*s", (int)(k < n ? k : n - 1), p);
    }
    return buf;
}

static const char *config_string(const cJSON *config, const char *path)
{
    const cJSON *v = torta_config_at(config, path);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

cJSON *run_record_build(const run_args *a, int argc, char **argv, torta_err *e)
{
    cJSON *r = cJSON_CreateObject(), *cmd = cJSON_AddArrayToObject(r, "command_line");
    char cwd[PATH_MAX], lengths[PATH_MAX];
    int ok = r && cmd && getcwd(cwd, sizeof cwd);
    ok = ok && cJSON_AddStringToObject(r, "version", TORTA_VERSION) &&
         cJSON_AddStringToObject(r, "commit", torta_build_commit()) &&
         cJSON_AddStringToObject(r, "build", torta_build_options()) &&
         cJSON_AddStringToObject(r, "cwd", cwd) &&
         cJSON_AddStringToObject(r, "topology", a->ro.topology_path) &&
         (a->ro.trace_path ? cJSON_AddStringToObject(r, "trace", a->ro.trace_path)
                           : cJSON_AddNullToObject(r, "trace")) &&
         (a->ro.workload_spec ? cJSON_AddStringToObject(r, "workload", a->ro.workload_spec)
                              : cJSON_AddNullToObject(r, "workload")) &&
         cJSON_AddStringToObject(r, "trace_format", format_name(a->ro.trace.format)) &&
         cJSON_AddNumberToObject(r, "rate_scale", a->ro.trace.rate_scale) &&
         cJSON_AddNumberToObject(r, "duration_s", a->ro.trace.duration_s);
    for (int i = 0; ok && i < argc; i++)
        ok = cJSON_AddItemToArray(cmd, cJSON_CreateString(i == 0 ? "torta-sim" : argv[i]));
    cJSON *inputs = ok ? cJSON_AddArrayToObject(r, "inputs") : NULL;
    if (!inputs) {
        cJSON_Delete(r);
        torta_err_set(e, TORTA_ENOMEM, "out of memory");
        return NULL;
    }
    const cJSON *c = a->config;
    if (add_input(inputs, "topology", a->ro.topology_path, e) ||
        add_input(inputs, "trace", a->ro.trace_path, e) ||
        add_input(inputs, "lengths", spec_lengths(a->ro.workload_spec, lengths, sizeof lengths), e) ||
        add_input(inputs, "faults", config_string(c, "faults.file"), e) ||
        add_input(inputs, "macro_policy", config_string(c, "scheduler.macro_params.policy"), e) ||
        add_input(inputs, "micro_policy", config_string(c, "scheduler.micro_params.policy"), e) ||
        add_input(inputs, "config", a->config_path, e)) {
        cJSON_Delete(r);
        return NULL;
    }
    return r;
}

int run_record_check_inputs(const cJSON *record, FILE *err)
{
    int changed = 0;
    const cJSON *in;
    cJSON_ArrayForEach(in, cJSON_GetObjectItemCaseSensitive(record, "inputs"))
    {
        const char *role = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "role"));
        const char *path = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "path"));
        const char *was = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "sha256"));
        if (!role || !path || !was)
            continue;
        char now[65];
        torta_err e = {0};
        if (torta_sha256_file(path, now, &e)) {
            fprintf(err, "torta-sim: warning: input %s %s is gone (%s)\n", role, path, e.msg);
            changed++;
        } else if (strcmp(now, was) != 0) {
            int cfg = strcmp(role, "config") == 0; /* merged into config.json: not read again */
            fprintf(err, "torta-sim: warning: input %s %s changed since the run (sha256 %.12s..., "
                    "now %.12s...)%s\n", role, path, was, now,
                    cfg ? "; the rerun uses the configuration recorded in config.json" : "");
            changed += !cfg;
        }
    }
    return changed;
}
