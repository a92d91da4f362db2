/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer: the /proc/net/{tcp,tcp6,udp,udp6} table parser, for each of the four tables, and the
 * formatting of whatever it accepted. */
#include <netinet/in.h>
#include <sys/socket.h>

#include "fuzz-util.h"
#include "sys/listeners.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = NULL;

        if (size > 64 * 1024)
                return 0;
        text = fuzz_strndup(data, size);
        if (!text)
                return 0;
        for (size_t t = 0; t < ELEMENTSOF(listener_tables); t++) {
                const ListenerTable *lt = &listener_tables[t];
                ListenerList list = {};
                unsigned bad = 0;
                Listener one;

                (void) listener_parse_line(text, lt->proto, lt->family, &one);
                if (listeners_parse(text, lt->proto, lt->family, &list, &bad) >= 0)
                        for (size_t i = 0; i < list.n; i++) {
                                char *s = NULL;

                                if (list.items[i].family != lt->family || !listener_is_listening(&list.items[i]))
                                        abort();
                                (void) listener_is_loopback(&list.items[i]);
                                if (listener_format(&list.items[i], &s) >= 0)
                                        free(s);
                        }
                listener_list_done(&list);
        }
        return 0;
}
