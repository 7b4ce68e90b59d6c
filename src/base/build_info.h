/* What this binary was built from (generated at build time by scripts/version.cmake): for
 * --version and for the run record in config.json. */
#ifndef TORTA_BASE_BUILD_INFO_H
#define TORTA_BASE_BUILD_INFO_H

/* Short git commit of the source tree, "-dirty" appended when tracked files were modified;
 * "unknown" when built outside git. */
const char *torta_build_commit(void);
/* Build type, compiler and the TORTA_* options, one line. */
const char *torta_build_options(void);

#endif
