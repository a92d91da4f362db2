/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer: the state file parser (/var/lib/hardend/state may be edited by anyone with root). */
#include "fuzz-util.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = NULL;
        HardendState s = {};

        if (size > 64 * 1024)
                return 0;
        text = fuzz_strndup(data, size);
        if (!text)
                return 0;
        if (state_parse(text, &s) >= 0) {
                if (s.apply_result && strpbrk(s.apply_result, "\n"))
                        abort();
                hardend_state_done(&s);
        }
        return 0;
}
