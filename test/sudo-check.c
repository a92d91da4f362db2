/* SPDX-License-Identifier: GPL-2.0-or-later */
/* For test-sudo.sh: sudo-check ROOT USER [TARGET=FILE | TARGET=]...
 * Calls sudo_root_check() with overlays read from FILE (TARGET= : the file will be gone) and
 * prints "VERDICT: WHY". Exit status 0 when it could decide, else 2 with the error. */
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "sys/fileio.h"
#include "sys/sudo.h"

int main(int argc, char **argv) {
        SudoOverlay o[32] = {};
        char *texts[32] = {};
        _cleanup_free_ char *why = NULL;
        size_t n = 0;
        SudoRoot v;
        int r;

        if (argc < 3 || argc - 3 > (int) ELEMENTSOF(o)) {
                fprintf(stderr, "usage: %s ROOT USER [TARGET=FILE | TARGET=]...\n", argv[0]);
                return 2;
        }
        for (int i = 3; i < argc; i++, n++) {
                char *eq = strchr(argv[i], '=');
                size_t len = 0;

                if (!eq) {
                        fprintf(stderr, "%s: not TARGET=FILE\n", argv[i]);
                        return 2;
                }
                *eq = 0;
                o[n].path = argv[i];
                if (eq[1]) {
                        r = read_file_at_root("/", eq + 1, false, READ_FILE_MAX, &texts[n], &len);
                        if (r < 0) {
                                fprintf(stderr, "%s: %s\n", eq + 1, strerror(-r));
                                return 2;
                        }
                        o[n].text = texts[n];
                        o[n].len = len;
                }
        }
        r = sudo_root_check(argv[1], argv[2], o, n, &v, &why);
        for (size_t i = 0; i < n; i++)
                free(texts[i]);
        if (r < 0) {
                printf("error: %s\n", strerror(-r));
                return 2;
        }
        printf("%s: %s\n", sudo_root_to_string(v), strna(why));
        return 0;
}
