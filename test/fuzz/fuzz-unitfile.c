/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer: the unit file parsers (an image's units are outside input): the [Install] section, and
 * a socket unit's ListenStream= list with its values as sshd's ports. */
#include <sys/socket.h>

#include "fuzz-util.h"
#include "strv.h"
#include "sys/sshd-socket.h"
#include "sys/unitfiles.h"

static void fuzz_install(const char *text) {
        UnitInstall i = {};

        if (unit_install_parse(text, &i) < 0)
                return;
        char **lists[] = { i.wanted_by, i.required_by, i.upheld_by, i.alias, i.also };

        for (size_t l = 0; l < ELEMENTSOF(lists); l++)
                STRV_FOREACH (s, lists[l])
                        if (strchr(*s, '/') || !**s)
                                abort();
        unit_install_done(&i);
}

static void fuzz_socket(char *text) {
        SshdStart s = {};
        char *texts[] = { text, text, NULL }; /* a drop-in that repeats the unit: resets apply again */
        char *bad = NULL;
        int r;

        r = sshd_start_parse_socket(&s, texts, &bad);
        if (r == -EINVAL && !bad)
                abort();
        for (size_t i = 0; r >= 0 && i < s.n_listen; i++) {
                uint16_t port = 0;
                int family = -1;

                if (s.listen[i].port == 0 || (s.listen[i].family != AF_UNSPEC && s.listen[i].family != AF_INET &&
                                              s.listen[i].family != AF_INET6))
                        abort();
                /* a value parsed as a port parses the same again, alone */
                if (sshd_listen_stream_parse(s.listen[i].address, false, &port, &family) != 1 ||
                    port != s.listen[i].port)
                        abort();
        }
        free(bad);
        sshd_start_done(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = NULL;

        if (size > 64 * 1024)
                return 0;
        text = fuzz_strndup(data, size);
        if (!text)
                return 0;
        fuzz_install(text);
        fuzz_socket(text);
        return 0;
}
