/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer: the policy loader on arbitrary text. Every input is either a policy or a
 * FILE:LINE error; nothing may crash, leak or read out of bounds. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        PolicyError e = {};
        Policy *p = NULL;
        char *text;
        int r;

        if (size > 64 * 1024)
                return 0;
        text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;
        r = policy_load_string(text, "fuzz.conf", &p, &e);
        if (r == 0 && (!p || e.message))
                abort();
        if (r < 0 && (p || (r == -EINVAL && !e.message)))
                abort();
        policy_free(p);
        policy_error_done(&e);
        free(text);
        return 0;
}
