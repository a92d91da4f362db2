/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer: the [Install] section parser of unit files (an image's units are outside input). */
#include "fuzz-util.h"
#include "strv.h"
#include "sys/unitfiles.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = NULL;
        UnitInstall i = {};

        if (size > 64 * 1024)
                return 0;
        text = fuzz_strndup(data, size);
        if (!text)
                return 0;
        if (unit_install_parse(text, &i) >= 0) {
                char **lists[] = { i.wanted_by, i.required_by, i.upheld_by, i.alias, i.also };

                for (size_t l = 0; l < ELEMENTSOF(lists); l++)
                        STRV_FOREACH (s, lists[l])
                                if (strchr(*s, '/') || !**s)
                                        abort();
                unit_install_done(&i);
        }
        return 0;
}
