/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* How sshd is started on a system (its unit files below root): by its service, or by a socket unit
 * (socket activation), and then on which TCP ports: the socket's ListenStream= from its unit file
 * and drop-ins, the sshd-socket-generator's (Debian 13: Port/ListenAddress of sshd_config, written
 * to /run/systemd/generator/ssh.socket.d/addresses.conf) included. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum SshdStartKind {
        SSHD_START_NONE, /* no sshd unit is enabled */
        SSHD_START_SERVICE,
        SSHD_START_SOCKET,
        _SSHD_START_MAX,
        _SSHD_START_INVALID = -EINVAL,
} SshdStartKind;

const char *sshd_start_kind_to_string(SshdStartKind k);

typedef struct SshdListen {
        uint16_t port;
        int family;    /* AF_INET, AF_INET6, or AF_UNSPEC: both */
        char *address; /* the ListenStream= value */
} SshdListen;

typedef struct SshdStart {
        SshdStartKind kind;
        char *unit;         /* "ssh.socket", "ssh.service", ...; NULL with SSHD_START_NONE */
        char **files;       /* with a socket: its unit file and drop-ins, in the order they were read */
        SshdListen *listen; /* with a socket: its TCP ports, loopback left out */
        size_t n_listen;
        char **skipped; /* ListenStream= values that are no TCP port (a path, vsock:...), or loopback */
        /* sshd-socket-generator is installed: at boot (and on daemon-reload) it makes the socket
         * listen where sshd_config's Port and ListenAddress say */
        bool generator;
} SshdStart;

void sshd_start_done(SshdStart *s);

/* One ListenStream= value: "22", "0.0.0.0:22", "192.0.2.1:22", "[::]:2222", "[2001:db8::1]:22".
 * A port alone, and [::] (unless ipv6_only, BindIPv6Only=ipv6-only), accept both families.
 * Returns 1 for a TCP port, 0 for what listens on no TCP port that can be reached from outside (a
 * path, an abstract or a vsock socket, a loopback address), -EINVAL for what is not understood. */
int sshd_listen_stream_parse(const char *value, bool ipv6_only, uint16_t *ret_port, int *ret_family);

/* Applies the ListenStream= and BindIPv6Only= lines of a socket unit's texts (unit file first, then
 * its drop-ins in order) to s. -EINVAL (with *ret_bad the value) for a ListenStream= value that is
 * not understood. */
int sshd_start_parse_socket(SshdStart *s, char **texts, char **ret_bad);

/* How sshd is started below root: an enabled, unmasked ssh.socket or sshd.socket wins over an
 * enabled ssh.service or sshd.service. -EINVAL (with *ret_bad) as sshd_start_parse_socket(). */
int sshd_start_find(const char *root, SshdStart *ret, char **ret_bad);
