/* libFuzzer harness for the configuration loader (include/torta/config.h) and the JSON helpers
 * (include/torta/json.h). The first input byte picks what the rest is fed to:
 *   '0' a user configuration file: torta_config_build(file, no --set)
 *   '1' --set assignments, one per line, applied in turn with torta_config_set to a copy of the
 *       defaults (built once), then the same lines through torta_config_build(NULL, sets)
 *   '2' JSON text: torta_json_parse, then the typed getters and key check on the result
 * (other bytes map onto these modulo 3). A failure must return a negative code with a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "torta/config.h"
#include "torta/json.h"
#include "fuzz_common.h"

#define MAX_SETS 16

/* The shipped defaults, built once: harness-only state. */
static cJSON *defaults;

static void check_fail(int rc, const torta_err *e)
{
    if (rc && (rc >= 0 || e->code != rc || !e->msg[0]))
        abort();
}

/* Looks at the keys a run would read, so a successful build is walked, not only parsed. */
static void walk(const cJSON *root)
{
    static const char *const paths[] = {"seed", "slot_s", "regions.servers", "regions.sites",
                                        "server.max_batch", "workload.origin_weights",
                                        "scheduler.macro", "gpus", "profiles", NULL};
    for (int i = 0; paths[i]; i++)
        (void)torta_config_at(root, paths[i]);
    char *text = cJSON_PrintUnformatted(root);
    free(text);
}

static void fuzz_file(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write(".json", data, size);
    cJSON *cfg = NULL;
    torta_err e = {0};
    int rc = torta_config_build(path, NULL, 0, &cfg, &e);
    check_fail(rc, &e);
    if (!rc)
        walk(cfg);
    cJSON_Delete(cfg);
}

static void fuzz_sets(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    const char *sets[MAX_SETS];
    int n = 0;
    for (char *line = text; line && n < MAX_SETS;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        sets[n++] = line;
        line = nl ? nl + 1 : NULL;
    }
    cJSON *root = cJSON_Duplicate(defaults, 1);
    if (!root)
        abort();
    torta_err e = {0};
    for (int i = 0; i < n; i++) {
        int rc = torta_config_set(root, sets[i], &e);
        check_fail(rc, &e);
        if (rc)
            break;
    }
    walk(root);
    cJSON_Delete(root);
    cJSON *cfg = NULL;
    int rc = torta_config_build(NULL, sets, n, &cfg, &e);
    check_fail(rc, &e);
    cJSON_Delete(cfg);
    free(text);
}

static void fuzz_json(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    cJSON *root = NULL;
    torta_err e = {0};
    int rc = torta_json_parse(text, "fuzz.json", &root, &e);
    check_fail(rc, &e);
    if (!rc) {
        static const char *const known[] = {"name", "nodes", "edges", "seed", NULL};
        static const char *const keys[] = {"name", "seed", "x", "", NULL};
        for (int i = 0; keys[i]; i++) {
            double d;
            long l;
            const char *s;
            check_fail(torta_json_num(root, keys[i], "fuzz", -1e9, 1e9, i & 1, 0.5, &d, &e), &e);
            check_fail(torta_json_int(root, keys[i], "fuzz", -1000000, 1000000, i & 1, 3, &l, &e), &e);
            check_fail(torta_json_str(root, keys[i], "fuzz", i & 1, "dflt", &s, &e), &e);
        }
        if (cJSON_IsObject(root))
            check_fail(torta_json_check_keys(root, "fuzz", known, &e), &e);
        if (cJSON_IsString(root) && root->valuestring)
            (void)torta_did_you_mean(root->valuestring, known);
    }
    cJSON_Delete(root);
    free(text);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    torta_err e = {0};
    if (torta_config_build(NULL, NULL, 0, &defaults, &e) != 0) {
        fprintf(stderr, "fuzz_config: defaults do not build: %s\n", e.msg);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned mode = (unsigned)(data[0] - '0') % 3u;
    if (mode == 0)
        fuzz_file(data + 1, size - 1);
    else if (mode == 1)
        fuzz_sets(data + 1, size - 1);
    else
        fuzz_json(data + 1, size - 1);
    return 0;
}
