/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer: the $SSH_CONNECTION parser (the environment is outside input), and the anti-lockout
 * decision on whatever it accepted. */
#include <sys/socket.h>

#include "firewall-rules.h"
#include "fuzz-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static Policy *p;
        _cleanup_free_ char *text = NULL;
        FwAddr a;
        int family = 0;
        uint16_t port = 0;

        if (size > 4096)
                return 0;
        if (!p) {
                PolicyError e = {};

                if (policy_load_builtin(&p, &e) < 0)
                        abort();
        }
        text = fuzz_strndup(data, size);
        if (!text)
                return 0;
        if (fw_parse_ssh_connection(text, &family, &a, &port) >= 0) {
                if (family != AF_INET && family != AF_INET6)
                        abort();
                (void) fw_policy_admits(&p->firewall, family, &a, port);
        }
        return 0;
}
