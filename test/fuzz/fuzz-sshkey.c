/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer: the authorized_keys line parser and base64 decoder. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sshkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *reason = NULL;
        unsigned char *raw = NULL;
        size_t n = 0;
        SshKey k = {};
        char *line;
        int r;

        line = malloc(size + 1);
        if (!line)
                return 0;
        memcpy(line, data, size);
        line[size] = 0;
        r = sshkey_parse_line(line, &k, &reason);
        if (r == 0 && (!k.type || !k.blob || !sshkey_type_known(k.type)))
                abort();
        if (r == -EINVAL && !reason)
                abort();
        sshkey_done(&k);
        (void) sshkey_count_valid(line, size);
        if (base64_decode(line, strlen(line), &raw, &n) >= 0)
                free(raw);
        free(line);
        return 0;
}
