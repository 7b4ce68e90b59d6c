/* Duplicate keys in JSON text: cJSON keeps both and lookups see only one, so a config with a
 * key written twice would silently use one of them. */
#ifndef TORTA_JSON_DUPKEYS_H
#define TORTA_JSON_DUPKEYS_H

#include "torta/err.h"

/* Scans text (already valid JSON) and fails on the first object holding a key twice, naming
 * the key's path and both lines. Keys are compared as written (escapes not decoded).
 * O(n log n) in the text's size. */
int torta_json_check_dupkeys(const char *text, const char *origin, torta_err *e);

#endif
