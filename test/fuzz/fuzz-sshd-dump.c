/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer: the "sshd -T" output parser (what sshd prints is outside input). Every key parsed must
 * be found again by sshd_dump_get(). */
#include "fuzz-util.h"
#include "macro.h"
#include "sys/sshd-dump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = NULL;
        SshdDump d = {};

        if (size > 64 * 1024)
                return 0;
        text = fuzz_strndup(data, size);
        if (!text)
                return 0;
        if (sshd_dump_parse(text, &d) >= 0) {
                for (size_t i = 0; i < d.n; i++)
                        if (!d.keys[i] || !d.values[i] || !sshd_dump_get(&d, d.keys[i]))
                                abort();
                (void) sshd_dump_get(&d, "passwordauthentication");
                sshd_dump_done(&d);
        }
        return 0;
}
