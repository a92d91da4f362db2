# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Journal forwarding for the booted-system test: the guest's systemd-journal-upload sends its
# journal to a systemd-journal-remote in the client namespace, and the central journal there must
# hold the guest's hardend events with every HARDEND_* field and the guest's hostname.
# Sourced (bash); needs systemd-journal-remote (Debian's package of that name) on this machine and
# in the image, python3 here.
#
#   . test/e2e/journal-upload.sh
#   journal_remote_start NS_C ADDR DIR     systemd-journal-remote in network namespace NS_C ("" for
#                                          the current one), plain HTTP on ADDR:19532, writing
#                                          DIR/remote-<sender>.journal; its pid in DIR.pid
#   journal_upload_start LEADER URL        in the guest whose leader (PID 1 of the nspawn
#                                          container) is LEADER: writes journal-upload.conf.d/ with
#                                          URL (http://ADDR:19532) and starts
#                                          systemd-journal-upload.service with systemctl (through
#                                          nsenter, no machinectl). LEADER "" runs the uploader
#                                          here instead (its pid in
#                                          /var/lib/systemd/journal-upload/pid), for a test
#                                          without systemd
#   journal_remote_wait DIR MESSAGE_ID HOST SECONDS
#                                          waits until DIR holds an entry with MESSAGE_ID from
#                                          _HOSTNAME=HOST
#   journal_remote_has_fields LEADER DIR MESSAGE_ID HOST
#                                          every MESSAGE_ID entry in the guest's own journal is in
#                                          DIR (journalctl -D DIR --merge) with the same MESSAGE,
#                                          every HARDEND_* field and _HOSTNAME=HOST; prints what
#                                          is missing otherwise
#   journal_upload_stop LEADER DIR         stops the uploader and the receiver
# Each returns 0 on success, non-zero with a reason on stderr otherwise. The pids are kept in
# files, so the functions may run in a subshell (a check wrapper's command substitution): what
# they start writes to log files, never to the caller's stdout.

JR_PORT=19532
JR_PATH="PATH=/usr/sbin:/usr/bin:/sbin:/bin"
JR_REMOTE_BIN=/lib/systemd/systemd-journal-remote
JR_UPLOAD_BIN=/lib/systemd/systemd-journal-upload

# jr_in_guest LEADER CMD...: CMD in the guest's namespaces (all of them), clean environment;
# LEADER "" runs CMD here
jr_in_guest() {
        local leader=$1; shift
        if [ -n "$leader" ]; then
                nsenter -t "$leader" -a env -i "$JR_PATH" LANG=C.UTF-8 "$@"
        else
                "$@"
        fi
}

journal_remote_start() {
        local ns=$1 addr=$2 dir=$3 pid
        local -a in_ns=()
        [ -x "$JR_REMOTE_BIN" ] || { echo "journal-upload.sh: $JR_REMOTE_BIN missing (package systemd-journal-remote)" >&2; return 1; }
        [ -z "$ns" ] || in_ns=(ip netns exec "$ns")
        mkdir -p "$dir"
        "${in_ns[@]}" "$JR_REMOTE_BIN" --listen-http="$addr:$JR_PORT" --output="$dir/" --split-mode=host \
                --compress=no </dev/null >"$dir.log" 2>&1 &
        pid=$!
        echo "$pid" >"$dir.pid"
        for _ in $(seq 1 50); do
                "${in_ns[@]}" python3 -c 'import socket, sys
socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()' "$addr" "$JR_PORT" 2>/dev/null && return 0
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
        done
        echo "journal-upload.sh: systemd-journal-remote does not listen on $addr:$JR_PORT:" >&2
        sed 's/^/    /' "$dir.log" >&2
        return 1
}

journal_upload_start() {
        local leader=$1 url=$2 pid
        if [ -z "$leader" ]; then
                [ -x "$JR_UPLOAD_BIN" ] || { echo "journal-upload.sh: $JR_UPLOAD_BIN missing" >&2; return 1; }
                mkdir -p /var/lib/systemd/journal-upload
                "$JR_UPLOAD_BIN" --url="$url" --save-state </dev/null >/var/lib/systemd/journal-upload/log 2>&1 &
                pid=$!
                echo "$pid" >/var/lib/systemd/journal-upload/pid
                sleep 0.2
                kill -0 "$pid" 2>/dev/null && return 0
                sed 's/^/    /' /var/lib/systemd/journal-upload/log >&2
                return 1
        fi
        jr_in_guest "$leader" test -x "$JR_UPLOAD_BIN" ||
                { echo "journal-upload.sh: the image has no $JR_UPLOAD_BIN (package systemd-journal-remote)" >&2; return 1; }
        jr_in_guest "$leader" sh -c 'mkdir -p /etc/systemd/journal-upload.conf.d &&
                printf "[Upload]\nURL=%s\n" "$1" >/etc/systemd/journal-upload.conf.d/50-central.conf' sh "$url" || return 1
        jr_in_guest "$leader" systemctl restart systemd-journal-upload.service && return 0
        jr_in_guest "$leader" systemctl status --no-pager systemd-journal-upload.service >&2
        return 1
}

journal_remote_wait() {
        local dir=$1 id=$2 host=$3 deadline=$(($(date +%s) + $4))
        until [ -n "$(journalctl -D "$dir" --merge -q -o cat "MESSAGE_ID=$id" "_HOSTNAME=$host" 2>/dev/null | head -1)" ]; do
                if [ "$(date +%s)" -ge "$deadline" ]; then
                        echo "journal-upload.sh: no MESSAGE_ID=$id from $host in $dir within $4 s" \
                                "($(journalctl -D "$dir" --merge -q 2>/dev/null | wc -l) entries there)" >&2
                        return 1
                fi
                sleep 0.5
        done
}

journal_remote_has_fields() {
        local leader=$1 dir=$2 id=$3 host=$4
        python3 - "$id" "$host" \
                <(jr_in_guest "$leader" journalctl -q -o json "MESSAGE_ID=$id") \
                <(journalctl -D "$dir" --merge -q -o json "MESSAGE_ID=$id") <<'EOF'
import json, sys
msg_id, host, local_path, central_path = sys.argv[1:5]
def entries(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]
def key(e):
    return (e.get("MESSAGE"), tuple(sorted((k, v) for k, v in e.items() if k.startswith("HARDEND_"))))
local = entries(local_path)
central = [e for e in entries(central_path) if e.get("_HOSTNAME") == host]
if not local:
    sys.exit(f"journal-upload.sh: the guest's journal has no MESSAGE_ID={msg_id} entry")
have = {key(e) for e in central}
missing = [e for e in local if key(e) not in have]
for e in missing:
    print(f"journal-upload.sh: not in the central journal from {host}: {key(e)}", file=sys.stderr)
if any(not any(k.startswith("HARDEND_") for k in e) for e in local):
    sys.exit("journal-upload.sh: a guest entry has no HARDEND_* field")
if missing:
    sys.exit(1)
print(f"{len(local)} MESSAGE_ID={msg_id} entries from {host}, each with its "
      f"{sorted({k for e in local for k in e if k.startswith('HARDEND_')})}")
EOF
}

journal_upload_stop() {
        local leader=$1 dir=$2 f pid
        local -a pidfiles=("$dir.pid")
        if [ -n "$leader" ]; then
                jr_in_guest "$leader" systemctl stop systemd-journal-upload.service 2>/dev/null || true
        else
                pidfiles+=(/var/lib/systemd/journal-upload/pid)
        fi
        for f in "${pidfiles[@]}"; do
                [ -f "$f" ] || continue
                pid=$(cat "$f")
                rm -f "$f"
                kill "$pid" 2>/dev/null || continue
                for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        done
}
