#!/bin/bash
# The lockout matrix: "hardenctl apply never leaves a machine where nobody can log in with a key
# AND become root, if a way in existed before; it refuses (exit 3, nothing changed) only when no
# way in would survive." Judged by what the real sshd and sudo do, not by hardend's own model.
#
# A "way in" is a user whose key logs in over SSH from the client namespace and for whom
# `sudo -n id -u` prints 0 (root: `id -u`); where a case says the admin knows passwords, sudo may
# read them (sudo -S), as a human at the prompt would. The client lives in its own network
# namespace behind a veth pair (192.0.2.2, 2001:db8::2; the server is 192.0.2.1, 2001:db8::1), so
# `Match Address`, key `from=` options and the firewall all see a real remote address.
#
# Each case builds a fresh machine (a clean /etc, empty homes, an open firewall), starts sshd once,
# counts the ways in, snapshots everything apply may touch and runs `hardenctl apply`:
#   exit 0: sshd must have been reloaded (SIGHUP to /run/sshd.pid) when its files changed, at least
#           one way in must be left, and passwords (and root, as the policy says) must be refused;
#   exit 3: nothing may have changed, the message must name the user and the reason; then the
#           same apply with --force must really leave no way in (else the refusal was false).
# Every case declares its outcome from what sshd and sudo do (ground truth) and fails when
# hardend's differs, in either direction.
. "$(dirname "$0")/sandbox.sh"
sandbox_enter "$@"

require_programs /usr/sbin/sshd /usr/bin/ssh /usr/bin/ssh-keygen /usr/bin/sudo /usr/sbin/visudo /usr/sbin/useradd \
        iptables-legacy-restore iptables-legacy-save ip6tables-legacy-save openssl
HAVE_SSHPASS=0
command -v sshpass >/dev/null && HAVE_SSHPASS=1
[ $HAVE_SSHPASS = 1 ] || echo "# sshpass is not installed: password refusal is judged by sshd -T alone"
sandbox_live_root

NS=lockout-client
SRV4=192.0.2.1 CLI4=192.0.2.2 SRV6=2001:db8::1
KEYS=$SB/keys
POLICY=$SB/policy.conf
SSHD_LOG=$SB/sshd.log
SSHD_PID=
ROOT_PW=root-secret-1
declare -A PW=([admin]=admin-secret-1 [bob]=bob-secret-1)
declare -A HASH
# The keys the client holds, as USER:KEYNAME: every case tries all of them (those of users that exist).
LOGINS="admin:admin_ed25519 admin:admin_rsa bob:bob_ed25519 root:root_ed25519"

stop_sshd() {
        [ -n "$SSHD_PID" ] || return 0
        kill "$SSHD_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SSHD_PID" 2>/dev/null || break; sleep 0.05; done
        SSHD_PID=
}
cleanup() {
        stop_sshd
        ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null || true
        ip netns del "$NS" 2>/dev/null || true
        sandbox_leave
}
trap cleanup EXIT

# ---- the network: the client in a neighbour namespace over a veth pair ------------------------------
ip netns add "$NS"
ip link add lk0 type veth peer name lk1 netns "$NS"
ip addr add "$SRV4/24" dev lk0
ip addr add "$SRV6/64" dev lk0 nodad
ip link set lk0 up
ip -n "$NS" link set lo up
ip -n "$NS" addr add "$CLI4/24" dev lk1
ip -n "$NS" addr add 2001:db8::2/64 dev lk1 nodad
ip -n "$NS" link set lk1 up

# ---- the clean machine every case starts from --------------------------------------------------------
# Debian's stock sshd_config, cloud-init's drop-in turning passwords on, host keys made once; no
# account with a login shell but root (the host's own users have no place in the matrix); root has a
# password the admin knows (for `Defaults rootpw`).
rm -rf /etc/ssh/sshd_config.d /etc/ssh/ssh_host_* /etc/nologin
mkdir -p /etc/ssh/sshd_config.d "$KEYS"
cp /usr/share/openssh/sshd_config /etc/ssh/sshd_config
printf 'PasswordAuthentication yes\n' >/etc/ssh/sshd_config.d/50-cloud-init.conf
ssh-keygen -q -A
DROP=" $(awk -F: '$1 != "root" && $7 ~ /sh$/ { printf "%s ", $1 }' /etc/passwd)"
for f in passwd shadow; do
        awk -F: -v drop="$DROP" 'index(drop, " " $1 " ") == 0' /etc/$f >"$SB/$f.new"
        cat "$SB/$f.new" >/etc/$f
done
getent group wheel >/dev/null || groupadd wheel
HASH[root]=$(openssl passwd -6 "$ROOT_PW")
for u in admin bob; do HASH[$u]=$(openssl passwd -6 "${PW[$u]}"); done
usermod -p "${HASH[root]}" root
cp -a /etc "$SB/etc.clean"

ssh-keygen -q -t ed25519 -N '' -C admin -f "$KEYS/admin_ed25519"
ssh-keygen -q -t rsa -b 3072 -N '' -C admin-rsa -f "$KEYS/admin_rsa"
ssh-keygen -q -t ed25519 -N '' -C bob -f "$KEYS/bob_ed25519"
ssh-keygen -q -t ed25519 -N '' -C root -f "$KEYS/root_ed25519"

fw_open() {
        local t
        for t in iptables-legacy-restore ip6tables-legacy-restore; do
                printf '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n' | $t
        done
}

reset_machine() {
        stop_sshd
        find /etc -mindepth 1 -maxdepth 1 -exec rm -rf {} +
        cp -a "$SB/etc.clean/." /etc/
        rm -rf /home/* /root/.ssh /var/homes /var/lib/hardend /run/hardend* /run/sudo /var/mail/*
        fw_open
}

# ---- helpers the cases use ---------------------------------------------------------------------------
# add_user NAME [useradd options]: a user with a home, bash and a password its owner knows
add_user() {
        local u=$1; shift
        useradd -m -s /bin/bash "$@" "$u"
        usermod -p "${HASH[$u]}" "$u"
}
home_of() { getent passwd "$1" | cut -d: -f6; }
# add_key USER KEYNAME [OPTIONS [FILE]]: a key line in FILE (default ~USER/.ssh/authorized_keys),
# owned by the user, 0600, its directory 0700
add_key() {
        local u=$1 k=$2 opts=${3:-} file=${4:-}
        [ -n "$file" ] || file=$(home_of "$u")/.ssh/authorized_keys
        [ -d "$(dirname "$file")" ] || install -d -m 0700 -o "$u" -g "$(id -gn "$u")" "$(dirname "$file")"
        printf '%s%s\n' "${opts:+$opts }" "$(cat "$KEYS/$k.pub")" >>"$file"
        chown "$u:$(id -gn "$u")" "$file"
        chmod 0600 "$file"
}
# etc_key DIR USER KEYNAME: a root-owned key file DIR/USER (for AuthorizedKeysFile /etc/...)
etc_key() {
        install -d -m 0755 "$1"
        cat "$KEYS/$3.pub" >>"$1/$2"
        chmod 0644 "$1/$2"
}
# sshd_dropin NAME < TEXT: /etc/ssh/sshd_config.d/NAME
sshd_dropin() { cat >"/etc/ssh/sshd_config.d/$1"; }
# sshd_main_append < TEXT: at the end of sshd_config (read after every drop-in)
sshd_main_append() { cat >>/etc/ssh/sshd_config; }
# sudoers_dropin NAME < TEXT: /etc/sudoers.d/NAME, 0440, checked by visudo
sudoers_dropin() {
        cat >"/etc/sudoers.d/$1"
        chmod 0440 "/etc/sudoers.d/$1"
        visudo -cqf "/etc/sudoers.d/$1"
}

# ---- sshd ----------------------------------------------------------------------------------------
sshd_listen_lines() { grep -c 'Server listening on' "$SSHD_LOG" || true; }
start_sshd() {
        local err
        : >"$SSHD_LOG"
        if ! err=$(/usr/sbin/sshd -t 2>&1); then
                echo "    sshd -t: $err"
                return 1
        fi
        /usr/sbin/sshd -o PidFile=/run/sshd.pid -E "$SSHD_LOG" || return 1
        for _ in $(seq 250); do
                [ -s /run/sshd.pid ] && [ "$(sshd_listen_lines)" -ge 1 ] && break
                sleep 0.02
        done
        SSHD_PID=$(cat /run/sshd.pid 2>/dev/null) || return 1
        kill -0 "$SSHD_PID"
}
# relistened: after the last SIGHUP in the log, sshd is listening again (it re-executed itself and
# re-read its configuration)
relistened() {
        awk '/Received SIGHUP/ { hup = NR; ok = 0 } /Server listening on/ && hup { ok = 1 } END { exit !(hup && ok) }' \
                "$SSHD_LOG"
}
# follow_reload NAME HUPS_BEFORE SSH_CHANGED: hardend reloads sshd itself (SIGHUP to the pid in
# /run/sshd.pid) when it changed sshd's configuration; check that it did and that sshd came back.
follow_reload() {
        local name=$1 hups=$2 changed=$3 n
        # sshd logs the signal when its main loop sees it, maybe after hardenctl has exited: an
        # unchanged /etc/ssh still gets a moment, so a reload is never raced by the logins
        local tries=200
        [ "$changed" = 1 ] || tries=4
        for _ in $(seq $tries); do
                n=$(grep -c 'Received SIGHUP' "$SSHD_LOG" || true)
                [ "$n" -gt "$hups" ] && break
                sleep 0.05
        done
        [ "$n" -gt "$hups" ] || [ "$changed" = 1 ] || return 0
        if [ "$n" -le "$hups" ]; then
                fail "$name: hardend changed /etc/ssh but did not reload sshd (reloading it here)"
                kill -HUP "$SSHD_PID"
        else
                echo "#   hardend reloaded sshd (SIGHUP, pid $SSHD_PID)"
        fi
        for _ in $(seq 300); do relistened && break; kill -0 "$SSHD_PID" 2>/dev/null || break; sleep 0.03; done
        if ! relistened; then
                fail "$name: sshd did not come back after its reload"
                tail -n 5 "$SSHD_LOG" | sed 's/^/    sshd: /'
        fi
}

# ---- the oracle: real logins from the client namespace -----------------------------------------------
SSH_OPTS=(-F /dev/null -o ConnectTimeout=2 -o BatchMode=yes -o StrictHostKeyChecking=no
          -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o PasswordAuthentication=no
          -o KbdInteractiveAuthentication=no -o LogLevel=ERROR)
client_ssh() { timeout 30 ip netns exec "$NS" ssh "${SSH_OPTS[@]}" "$@" </dev/null; }

# ways_in: WAYS = how many USER:KEY:PORT log in and become root; WAYS_WHO lists them
ways_in() {
        local port pair u k cmd out
        WAYS=0 WAYS_WHO=
        for port in $CASE_PORTS; do
                for pair in $LOGINS; do
                        u=${pair%%:*} k=${pair#*:}
                        getent passwd "$u" >/dev/null || continue
                        if [ "$u" = root ]; then
                                cmd='id -u'
                        elif [ -n "$CASE_PASSWORDS" ]; then
                                cmd='sudo -n id -u 2>/dev/null || sudo -S -p "" id -u'
                        else
                                cmd='sudo -n id -u'
                        fi
                        out=$(printf '%s\n' $CASE_PASSWORDS |
                                timeout 30 ip netns exec "$NS" ssh "${SSH_OPTS[@]}" -p "$port" -i "$KEYS/$k" "$u@$SRV4" "$cmd" 2>/dev/null | tail -n 1) || true
                        if [ "$out" = 0 ]; then
                                WAYS=$((WAYS + 1))
                                WAYS_WHO="$WAYS_WHO $u/$k:$port"
                        fi
                done
        done
        WAYS_WHO=${WAYS_WHO# }
}

# password_login USER PASSWORD: a real password (or keyboard-interactive) login from the client
password_login() {
        timeout 30 sshpass -p "$2" ip netns exec "$NS" ssh -F /dev/null -o ConnectTimeout=2 \
                -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o PubkeyAuthentication=no \
                -o PreferredAuthentications=password,keyboard-interactive -o NumberOfPasswordPrompts=1 \
                -o LogLevel=ERROR "$1@$SRV4" true </dev/null >/dev/null 2>&1
}

# policy_holds NAME: after an exit-0 apply, sshd refuses passwords for every user and root as the
# policy says, by its own answer (sshd -T) and by real password logins
policy_holds() {
        local name=$1 u t pw bad=
        for u in admin bob root; do
                getent passwd "$u" >/dev/null || continue
                if ! t=$(/usr/sbin/sshd -T -C "user=$u,host=client.example,addr=$CLI4,laddr=$SRV4,lport=22" 2>&1); then
                        bad="$bad; sshd -T for $u failed: $t"
                        continue
                fi
                grep -qx 'passwordauthentication no' <<<"$t" || bad="$bad; sshd -T: passwordauthentication for $u is not no"
                grep -qx 'kbdinteractiveauthentication no' <<<"$t" ||
                        bad="$bad; sshd -T: kbdinteractiveauthentication for $u is not no"
                if [ "$u" = root ] && ! grep -qx "permitrootlogin $CASE_ROOT_LOGIN" <<<"$t"; then
                        bad="$bad; sshd -T: $(grep permitrootlogin <<<"$t") for root"
                fi
                if [ $HAVE_SSHPASS = 1 ]; then
                        if [ "$u" = root ]; then pw=$ROOT_PW; else pw=${PW[$u]}; fi
                        password_login "$u" "$pw" && bad="$bad; a password login as $u worked"
                fi
        done
        if [ "$CASE_ROOT_LOGIN" = no ] && [ -s /root/.ssh/authorized_keys ] &&
                client_ssh -i "$KEYS/root_ed25519" "root@$SRV4" true 2>/dev/null; then
                bad="$bad; root logged in with its key"
        fi
        if [ -z "$bad" ]; then
                pass "$name: passwords refused for every user, root login $CASE_ROOT_LOGIN (sshd -T and real logins)"
        else
                fail "$name: the policy does not hold after apply:${bad#;}"
        fi
}

# ---- snapshot of everything apply may change -----------------------------------------------------------
snapshot() {
        local paths=(etc/ssh etc/sudoers etc/sudoers.d etc/passwd etc/group etc/shadow etc/gshadow home root)
        [ -e /var/homes ] && paths+=(var/homes)
        (cd / && find "${paths[@]}" -xdev -printf '%p %m %U:%G %s %y %l\n' && find "${paths[@]}" -xdev -type f -exec sha256sum {} +) |
                LC_ALL=C sort
        iptables-legacy-save | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]/[0:0]/'
        ip6tables-legacy-save | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]/[0:0]/'
}
etc_ssh_sig() { (cd / && find etc/ssh -printf '%p %m %s\n' && find etc/ssh -type f -exec sha256sum {} +) | sort | sha256sum; }

# ---- the policy ---------------------------------------------------------------------------------------
# The sections a case may override (services and watch keep their defaults). The SSH rate limit is
# off: the oracle logs in more often than 6 times a minute from the same address.
policy_defaults() {
        POL_FW='enable = true; ipv6 = true;
  allow = ( { port = 22; proto = "tcp"; sources = [ "0.0.0.0/0", "::/0" ]; } );
  ssh_rate_limit = { enable = false; };'
        POL_SSH='enable = true; permit_root_login = "no"; password_authentication = false; port = 22;'
        POL_ADMIN='enable = true; user = "admin"; group = "wheel"; sudo = "nopasswd"; lock_root_password = true;'
}
write_policy() {
        cat >"$POLICY" <<EOF
version = 1;
firewall = { backend = "iptables"; $POL_FW };
ssh = { $POL_SSH };
admin = { $POL_ADMIN };
EOF
}

run_apply() {
        local envs=(-u SSH_CONNECTION)
        [ -z "$CASE_SSH_CONNECTION" ] || envs=("SSH_CONNECTION=$CASE_SSH_CONNECTION")
        env "${envs[@]}" "$HARDENCTL" --config "$POLICY" ${CASE_ONLY:+--only "$CASE_ONLY"} apply "$@" \
                >"$SB/apply.out" 2>"$SB/apply.err"
}
apply_said() { cat "$SB/apply.out" "$SB/apply.err" | grep -v '^$' | tr '\n' ' ' | cut -c1-400; }

# ---- one case --------------------------------------------------------------------------------------
# run_case NAME EXPECT REASON DESCRIPTION: EXPECT is apply | refuse | safe ("safe": exit 0 with the
# policy in force, or a refusal that changed nothing; for cases about the policy, not the way in).
# REASON: an extended regex the refusal must match besides naming the case's user.
run_case() {
        local name=$1 expect=$2 reason=$3 what=$4 rc=0 hups changed before before_who should
        reset_machine
        policy_defaults
        CASE_ONLY= CASE_SSH_CONNECTION= CASE_PASSWORDS= CASE_PORTS=22 CASE_ROOT_LOGIN=no CASE_WHO=admin
        "case_$name" # under set -e: a setup that fails stops the whole test, loudly
        write_policy
        echo "# $name ($expect): $what"
        if ! start_sshd; then
                fail "$name: sshd did not start"
                return
        fi
        ways_in
        before=$WAYS before_who=$WAYS_WHO
        echo "#   ways in before apply: $WAYS${WAYS_WHO:+ ($WAYS_WHO)}"
        if declare -F "before_$name" >/dev/null; then "before_$name"; fi

        snapshot >"$SB/snap.before"
        changed=$(etc_ssh_sig)
        hups=$(grep -c 'Received SIGHUP' "$SSHD_LOG" || true)
        run_apply || rc=$?
        [ "$changed" = "$(etc_ssh_sig)" ] && changed=0 || changed=1
        case $rc in
        0)
                follow_reload "$name" "$hups" "$changed"
                ways_in
                echo "#   exit 0; ways in after: $WAYS${WAYS_WHO:+ ($WAYS_WHO)}"
                should=
                [ "$expect" != refuse ] || should="; it should have refused with exit 3"
                if [ "$WAYS" = 0 ] && [ "$before" -gt 0 ]; then
                        fail "$name: LOCKOUT: exit 0 took away the only way(s) in ($before before: $before_who)$should"
                elif [ "$WAYS" = 0 ]; then
                        fail "$name: NO WAY IN: exit 0, and nobody logs in with a key and becomes root (nor did before)$should"
                elif [ "$expect" = refuse ]; then
                        fail "$name: expected a refusal, exit 0 and sshd still lets $WAYS_WHO in: the declared outcome is wrong"
                else
                        pass "$name: applied (exit 0), $WAYS way(s) in: $WAYS_WHO"
                fi
                # the ssh module's promises (passwords and root off) only when it ran
                [[ ",${CASE_ONLY:-ssh}," != *,ssh,* ]] || policy_holds "$name"
                if declare -F "after_$name" >/dev/null; then "after_$name"; fi
                ;;
        3)
                snapshot >"$SB/snap.after"
                if cmp -s "$SB/snap.before" "$SB/snap.after"; then
                        pass "$name: refused, nothing changed"
                else
                        fail "$name: refused, but things changed:"
                        diff "$SB/snap.before" "$SB/snap.after" | head -20 | sed 's/^/    /'
                fi
                echo "#   exit 3: $(head -c 300 "$SB/apply.err" | tr '\n' ' ')"
                if [ "$expect" = apply ]; then
                        : # judged below, by the forced apply
                elif grep -Eqw -- "$CASE_WHO" "$SB/apply.err" && grep -Eqi -- "$reason" "$SB/apply.err"; then
                        pass "$name: the refusal names $CASE_WHO and /$reason/"
                else
                        fail "$name: the refusal should name $CASE_WHO and match /$reason/: $(apply_said)"
                fi
                if [ "$expect" = safe ]; then
                        pass "$name: refused (exit 3) rather than leave the policy unenforced"
                        return
                fi
                # the proof: the same apply, forced, really leaves no way in
                changed=$(etc_ssh_sig)
                hups=$(grep -c 'Received SIGHUP' "$SSHD_LOG" || true)
                rc=0
                run_apply --force || rc=$?
                [ "$changed" = "$(etc_ssh_sig)" ] && changed=0 || changed=1
                follow_reload "$name" "$hups" "$changed"
                ways_in
                echo "#   forced apply exit $rc; ways in after: $WAYS${WAYS_WHO:+ ($WAYS_WHO)}"
                if [ -n "${LOCKOUT_DEBUG:-}" ]; then
                        diff "$SB/snap.before" <(snapshot) | sed 's/^/#   forced: /'
                        tail -n 20 "$SSHD_LOG" | sed 's/^/#   sshd: /'
                fi
                if [ "$expect" = refuse ] && [ "$WAYS" = 0 ]; then
                        pass "$name: refused (exit 3), and the forced apply leaves no way in"
                elif [ "$expect" = refuse ]; then
                        fail "$name: refused, but the forced apply still lets $WAYS_WHO in: the declared outcome is wrong"
                elif [ "$WAYS" -ge 1 ]; then
                        fail "$name: FALSE REFUSAL (exit 3): sshd lets $WAYS_WHO in after the same apply, forced"
                else
                        fail "$name: expected apply, refused, and the forced apply leaves no way in: the declared outcome is wrong"
                fi
                ;;
        *)
                if [ "$expect" = safe ] && [ "$rc" = 4 ] && cmp -s "$SB/snap.before" <(snapshot); then
                        pass "$name: refused (exit 4, nothing changed) rather than leave the policy unenforced"
                        return
                fi
                if [ "$expect" = refuse ] && [ "$rc" = 4 ]; then
                        local state="things changed"
                        ! cmp -s "$SB/snap.before" <(snapshot) || state="nothing changed"
                        fail "$name: refused with exit 4, not 3 (the anti-lockout refusal), $state: $(apply_said)"
                else
                        fail "$name: expected $expect, got exit $rc: $(apply_said)"
                fi
                ;;
        esac
        if declare -F "judge_$name" >/dev/null; then "judge_$name"; fi
}

# ---- the cases -----------------------------------------------------------------------------------------
# Each case_NAME sets the machine up (on top of the clean one) and may set: CASE_ONLY (--only),
# CASE_SSH_CONNECTION (the caller's), CASE_PASSWORDS (what the admin can type at sudo's prompt),
# CASE_PORTS (where sshd listens), CASE_ROOT_LOGIN (sshd -T's permitrootlogin after apply),
# CASE_WHO (what the refusal must name: a regex), POL_FW / POL_SSH / POL_ADMIN (policy sections).
# Optional hooks: before_NAME (after the first logins), after_NAME (after an exit-0 apply),
# judge_NAME (at the end). LOCKOUT_CASES="a b" runs only those cases; LOCKOUT_DEBUG=1 shows what
# a forced apply changed and sshd's log.

case_baseline() {
        add_user admin -G wheel
        add_key admin admin_ed25519
}
# controls that show the oracle can see a difference: before apply, cloud-init's drop-in lets a
# password in; after it, sshd re-read its configuration (only publickey is offered) and the admin's
# key works over IPv6 too, through the new firewall
before_baseline() {
        if [ $HAVE_SSHPASS = 1 ]; then
                check_that "baseline: before apply, a password login works (the password check can fail)" \
                        password_login admin "${PW[admin]}"
        fi
}
after_baseline() {
        client_ssh -o PreferredAuthentications=none -v "admin@$SRV4" true 2>"$SB/none.log" || true
        check_that "baseline: the reloaded sshd offers only publickey" \
                grep -q 'Authentications that can continue: publickey[[:space:]]*$' "$SB/none.log"
        check_that "baseline: admin's key and sudo work over IPv6 through the new firewall" \
                test "$(client_ssh -i "$KEYS/admin_ed25519" "admin@$SRV6" sudo -n id -u 2>/dev/null)" = 0
}
after_port_22_firewall_only() {
        check_that "port_22_firewall_only: the login works over IPv6 through the new firewall" \
                test "$(client_ssh -i "$KEYS/admin_ed25519" "admin@$SRV6" sudo -n id -u 2>/dev/null)" = 0
        check_that "port_22_firewall_only: the firewall is hardend's (INPUT DROP)" \
                bash -c 'iptables-legacy-save | grep -q "^:INPUT DROP" && ip6tables-legacy-save | grep -q "^:INPUT DROP"'
}
case_admin_from_policy() {
        POL_ADMIN="$POL_ADMIN authorized_keys = [ \"$(cat "$KEYS/admin_ed25519.pub")\" ];"
}

case_root_key_only() {
        add_key root root_ed25519
        CASE_WHO='root'
}
case_root_key_prohibit_password() {
        add_key root root_ed25519
        POL_SSH=${POL_SSH/'"no"'/'"prohibit-password"'}
        CASE_ROOT_LOGIN=without-password
}

case_allowusers_after() {
        add_user admin -G wheel
        add_user bob
        add_key admin admin_ed25519
        sshd_main_append <<<'AllowUsers bob'
}
case_allowusers_before() {
        add_user admin -G wheel
        add_user bob
        add_key admin admin_ed25519
        sshd_dropin 00-aaa.conf <<<'AllowUsers bob'
}
case_denyusers() {
        add_user admin -G wheel
        add_key admin admin_ed25519
        sshd_dropin 60-deny.conf <<<'DenyUsers admin'
}
case_denygroups() {
        add_user admin -G wheel
        add_key admin admin_ed25519
        sshd_dropin 60-deny.conf <<<'DenyGroups wheel'
}
case_allowusers_includes() {
        add_user admin -G wheel
        add_user bob
        add_key admin admin_ed25519
        sshd_main_append <<<'AllowUsers bob admin'
}

# hardend's drop-in sorts first and ends with a `Match all` block that sets PubkeyAuthentication yes
# and AuthenticationMethods publickey; sshd takes the first value a matching block gives, so a later
# `Match User admin` cannot take the key away: sshd lets admin in. (Should the drop-in stop setting
# them in a Match block, this case becomes a refusal.)
case_match_user_pubkey_no_later() {
        add_user admin -G wheel
        add_key admin admin_ed25519
        sshd_dropin 50-match.conf <<<$'Match User admin\n\tPubkeyAuthentication no\n\tAuthenticationMethods password'
}
# read before hardend's drop-in (an Include ahead of sshd_config.d's): that block wins, the key is dead
case_match_user_pubkey_no_earlier() {
        add_user admin -G wheel
        add_key admin admin_ed25519
        printf 'Match User admin\n\tPubkeyAuthentication no\n' >/etc/ssh/extra.conf
        sed -i '0,/^Include /s|^Include |Include /etc/ssh/extra.conf\nInclude |' /etc/ssh/sshd_config
}
case_match_user_pubkey_no_dropin() {
        add_user admin -G wheel
        add_key admin admin_ed25519
        sshd_dropin 0-early.conf <<<$'Match User admin\n\tPubkeyAuthentication no'
}
case_match_other_user() {
        add_user admin -G wheel
        add_user bob
        add_key admin admin_ed25519
        sshd_dropin 50-match.conf <<<$'Match User bob\n\tPubkeyAuthentication no'
}
case_match_address_akf_there() {
        add_user admin -G wheel
        etc_key /etc/ssh/keys admin admin_ed25519
        sshd_main_append <<<$'Match Address 192.0.2.0/24\n\tAuthorizedKeysFile /etc/ssh/keys/%u'
}
case_match_address_akf_unread() {
        add_user admin -G wheel
        add_key admin admin_ed25519
        sshd_main_append <<<$'Match Address 192.0.2.0/24\n\tAuthorizedKeysFile /etc/ssh/keys/%u'
}

case_akf_etc() {
        add_user admin -G wheel
        etc_key /etc/ssh/authorized_keys admin admin_ed25519
        sshd_dropin 10-keys.conf <<<'AuthorizedKeysFile /etc/ssh/authorized_keys/%u'
}
case_akf_etc_key_at_home() {
        add_user admin -G wheel
        add_key admin admin_ed25519
        sshd_dropin 10-keys.conf <<<'AuthorizedKeysFile /etc/ssh/authorized_keys/%u'
}
case_akf_several_paths() {
        add_user admin -G wheel
        install -d -m 0700 -o admin -g admin /home/admin/.ssh
        add_key admin admin_ed25519 "" /home/admin/.ssh/keys.d/admin
        sshd_dropin 10-keys.conf <<<'AuthorizedKeysFile .ssh/authorized_keys /etc/ssh/authorized_keys/%u %h/.ssh/keys.d/%u'
}

case_key_from_elsewhere() {
        add_user admin -G wheel
        add_key admin admin_ed25519 'from="198.51.100.0/24"'
}
case_key_from_client_net() {
        add_user admin -G wheel
        add_key admin admin_ed25519 'from="192.0.2.0/24"'
}
case_key_expired() {
        add_user admin -G wheel
        add_key admin admin_ed25519 'expiry-time="20200101"'
}
case_key_command_false() {
        add_user admin -G wheel
        add_key admin admin_ed25519 'command="/bin/false"'
}
case_key_restrict() {
        add_user admin -G wheel
        add_key admin admin_ed25519 'restrict'
}

case_rsa_key() {
        add_user admin -G wheel
        add_key admin admin_rsa
}
case_pubkey_algorithms_exclude() {
        add_user admin -G wheel
        add_key admin admin_rsa
        sshd_dropin 10-algos.conf <<<'PubkeyAcceptedAlgorithms ssh-ed25519'
}
case_forcecommand() {
        add_user admin -G wheel
        add_key admin admin_ed25519
        sshd_dropin 60-force.conf <<<$'Match User admin\n\tForceCommand /usr/bin/true'
}

# StrictModes, for bob, the user cloud-init made (NOPASSWD sudo from its sudoers drop-in; the admin
# module is off): Debian's sshd (user-group-modes) accepts a group-writable home when the group's
# only member is the owner (a user private group), and refuses it when anyone else is in the group
cloud_init_user() {
        add_user bob
        add_key bob bob_ed25519
        sudoers_dropin 90-cloud-init-users <<<'bob ALL=(ALL) NOPASSWD:ALL'
        POL_ADMIN='enable = false;'
        CASE_WHO=bob
}
case_home_group_writable_private() {
        cloud_init_user
        chmod 0775 /home/bob
}
case_home_group_writable_shared() {
        cloud_init_user
        useradd -M -s /usr/sbin/nologin -G staff carol
        chgrp staff /home/bob
        chmod 0775 /home/bob
}
# the admin's own home, group-writable by a shared group: the admin module puts the home right
# (0755, the admin's group), so after apply sshd accepts the key
case_home_group_writable_admin() {
        add_user admin -G wheel
        useradd -M -s /usr/sbin/nologin -G staff carol
        add_key admin admin_ed25519
        chgrp staff /home/admin
        chmod 0775 /home/admin
}
# sshd canonicalises the home directory (realpath) before walking up from the key file
case_home_symlink() {
        install -d -m 0755 /var/homes
        add_user admin -G wheel -d /var/homes/admin
        add_key admin admin_ed25519
        ln -s /var/homes/admin /home/admin
        usermod -d /home/admin admin
}

case_shell_nologin() {
        add_user admin -G wheel
        add_key admin admin_ed25519
        usermod -s /usr/sbin/nologin admin
}
case_account_expired() {
        add_user admin -G wheel
        add_key admin admin_ed25519
        chage -E 0 admin
}
# without PAM, sshd itself refuses accounts whose password is locked ("!"), keys or not
case_locked_nopam() {
        add_user admin -G wheel
        add_key admin admin_ed25519
        usermod -L admin
        sshd_dropin 10-pam.conf <<<'UsePAM no'
}
# the oracle's reason, from sshd's own log (judge_NAME runs once the last logins were tried)
judge_locked_nopam() {
        check_that "locked_nopam: sshd itself says the account is locked" grep -q 'not allowed because account is locked' "$SSHD_LOG"
}
case_locked_pam() {
        add_user admin -G wheel
        add_key admin admin_ed25519
        usermod -L admin
}

case_sudo_none() {
        add_user bob
        add_key bob bob_ed25519
        POL_ADMIN='enable = false;'
        CASE_WHO=bob
}
case_sudo_deny_later() {
        add_user admin -G wheel
        add_key admin admin_ed25519
        sudoers_dropin zz-deny <<<'admin ALL=(ALL) !ALL'
}
# rootpw: sudo asks for root's password, which the policy locks; before apply the admin (in the
# sudo group) could still type it
case_sudo_rootpw_password() {
        add_user admin -G wheel,sudo
        add_key admin admin_ed25519
        sudoers_dropin 10-rootpw <<<'Defaults rootpw'
        POL_ADMIN="enable = true; user = \"admin\"; group = \"wheel\"; sudo = \"password\";
  password_hash = \"${HASH[admin]}\"; lock_root_password = true;"
        CASE_PASSWORDS="${PW[admin]} $ROOT_PW"
}
case_sudo_password() {
        add_user admin -G wheel
        add_key admin admin_ed25519
        POL_ADMIN="enable = true; user = \"admin\"; group = \"wheel\"; sudo = \"password\";
  password_hash = \"${HASH[admin]}\"; lock_root_password = true;"
        CASE_PASSWORDS="${PW[admin]}"
}
case_sudo_rootpw_nopasswd() {
        add_user admin -G wheel
        add_key admin admin_ed25519
        sudoers_dropin 10-rootpw <<<'Defaults rootpw'
}

# Port accumulates in sshd (every Port line adds a listener): with all modules, hardend's Port 22
# opens a way in the firewall allows, so exit 0 is right; refusing to apply a Port setting that does
# not take effect alone is acceptable too ("safe"), as long as nothing changed.
case_port_2222_firewall_only() {
        add_user admin -G wheel
        add_key admin admin_ed25519
        sudoers_dropin 10-wheel <<<'%wheel ALL=(ALL) NOPASSWD: ALL'
        sshd_dropin 10-port.conf <<<'Port 2222'
        CASE_ONLY=firewall CASE_PORTS="22 2222" CASE_WHO='2222|admin'
}
case_port_2222_all_modules() {
        add_user admin -G wheel
        add_key admin admin_ed25519
        sshd_dropin 10-port.conf <<<'Port 2222'
        CASE_PORTS="22 2222" CASE_WHO='tcp/2222'
}
case_port_22_firewall_only() {
        add_user admin -G wheel
        add_key admin admin_ed25519
        sudoers_dropin 10-wheel <<<'%wheel ALL=(ALL) NOPASSWD: ALL'
        CASE_ONLY=firewall
}

case_ssh_connection_outside() {
        add_user admin -G wheel
        add_key admin admin_ed25519
        POL_FW='enable = true; ipv6 = true;
  allow = ( { port = 22; proto = "tcp"; sources = [ "198.51.100.0/24", "2001:db8:ffff::/48" ]; } );
  ssh_rate_limit = { enable = false; };'
        CASE_SSH_CONNECTION="$CLI4 50022 $SRV4 22"
        CASE_WHO='192\.0\.2\.2'
}
case_ssh_connection_inside() {
        add_user admin -G wheel
        add_key admin admin_ed25519
        POL_FW='enable = true; ipv6 = true;
  allow = ( { port = 22; proto = "tcp"; sources = [ "192.0.2.0/24", "2001:db8::/64" ]; } );
  ssh_rate_limit = { enable = false; };'
        CASE_SSH_CONNECTION="$CLI4 50022 $SRV4 22"
}

# A Match block read before hardend's drop-in turns passwords back on for bob: sshd -T must say
# passwordauthentication no after an exit 0, or apply must refuse.
case_match_password_before() {
        add_user admin -G wheel
        add_user bob
        add_key admin admin_ed25519
        printf 'Match User bob\n\tPasswordAuthentication yes\n' >/etc/ssh/extra.conf
        sed -i '0,/^Include /s|^Include |Include /etc/ssh/extra.conf\nInclude |' /etc/ssh/sshd_config
        CASE_WHO='bob'
}

# NAME ; EXPECT ; REASON (an extended regex the refusal must match, "-" for none) ; DESCRIPTION
read -r -d '' CASES <<'EOF' || true
baseline                        ;apply ;-                               ;admin (in wheel) with a key, NOPASSWD sudo from the admin module
admin_from_policy               ;apply ;-                               ;no admin yet: the admin module creates it with the policy's key
root_key_only                   ;refuse;root.*(login|PermitRootLogin)   ;keys only for root, and the policy turns root login off
root_key_prohibit_password      ;apply ;-                               ;keys only for root, permit_root_login = "prohibit-password"
allowusers_after                ;refuse;AllowUsers                      ;AllowUsers bob in sshd_config, read after the drop-ins; only admin has a key
allowusers_before               ;refuse;AllowUsers                      ;AllowUsers bob in a drop-in that sorts before 00-hardend.conf
denyusers                       ;refuse;DenyUsers                       ;DenyUsers admin
denygroups                      ;refuse;DenyGroups                      ;DenyGroups wheel (admin's group)
allowusers_includes             ;apply ;-                               ;AllowUsers bob admin
match_user_pubkey_no_later      ;apply ;-                               ;Match User admin: PubkeyAuthentication no, in a drop-in after 00-hardend.conf (hardend's Match all wins)
match_user_pubkey_no_earlier    ;safe  ;Pubkey                          ;Match User admin: PubkeyAuthentication no, Included before sshd_config.d (apply reads hardend's drop-in first)
match_user_pubkey_no_dropin     ;refuse;Pubkey                          ;Match User admin: PubkeyAuthentication no in a drop-in that sorts before 00-hardend.conf
match_other_user                ;apply ;-                               ;Match User bob: PubkeyAuthentication no; admin has the key
match_address_akf_there         ;apply ;-                               ;Match Address 192.0.2.0/24: AuthorizedKeysFile /etc/ssh/keys/%u, where the key is
match_address_akf_unread        ;refuse;keys|AuthorizedKeysFile         ;the same Match, the key only in ~/.ssh/authorized_keys
akf_etc                         ;apply ;-                               ;AuthorizedKeysFile /etc/ssh/authorized_keys/%u, where the key is
akf_etc_key_at_home             ;refuse;authorized_keys                 ;AuthorizedKeysFile /etc/ssh/authorized_keys/%u, the key only in ~/.ssh
akf_several_paths               ;apply ;-                               ;AuthorizedKeysFile with three paths (%h, %u), the key in the third
key_from_elsewhere              ;refuse;from                            ;key option from="198.51.100.0/24" (not the client's net)
key_from_client_net             ;apply ;-                               ;key option from="192.0.2.0/24" (the client's net)
key_expired                     ;refuse;expir                           ;key option expiry-time="20200101"
key_command_false               ;refuse;command                         ;key option command="/bin/false"
key_restrict                    ;apply ;-                               ;key option restrict (no pty, but a command runs)
rsa_key                         ;apply ;-                               ;an RSA key only, default algorithms
pubkey_algorithms_exclude       ;refuse;PubkeyAcceptedAlgorithms|rsa    ;an RSA key only, PubkeyAcceptedAlgorithms ssh-ed25519
forcecommand                    ;refuse;ForceCommand                    ;Match User admin: ForceCommand /usr/bin/true
home_group_writable_private     ;apply ;-                               ;bob's home group-writable by his own group (Debian's StrictModes lets it be)
home_group_writable_shared      ;refuse;StrictModes|mode|writable       ;bob's home group-writable by staff, which carol is in (StrictModes)
home_group_writable_admin       ;apply ;-                               ;admin's home group-writable by staff: the admin module puts it right
home_symlink                    ;apply ;-                               ;home directory is a symlink to a fine directory
shell_nologin                   ;refuse;shell|nologin                   ;the admin's shell is /usr/sbin/nologin
account_expired                 ;refuse;expire                          ;account expired (chage -E 0)
locked_nopam                    ;refuse;lock                            ;password locked (usermod -L), UsePAM no
locked_pam                      ;apply ;-                               ;password locked (usermod -L), UsePAM yes
sudo_none                       ;refuse;sudo                            ;bob has a key but no sudo right; admin module disabled
sudo_deny_later                 ;refuse;sudo|!ALL                       ;a later sudoers rule admin ALL=(ALL) !ALL (sudoers.d/zz-deny)
sudo_rootpw_password            ;refuse;rootpw|root.*password           ;Defaults rootpw, sudo = "password", lock_root_password = true
sudo_password                   ;apply ;-                               ;sudo = "password" with password_hash; the admin types it
sudo_rootpw_nopasswd            ;apply ;-                               ;Defaults rootpw, sudo = "nopasswd"
port_2222_firewall_only         ;refuse;2222                            ;sshd on 2222, --only firewall that allows 22
port_2222_all_modules           ;safe  ;Port|firewall.allow             ;sshd on 2222, all modules: the firewall would drop sshd's 2222 (exit 3)
port_22_firewall_only           ;apply ;-                               ;sshd on 22, --only firewall: the login still works through the new firewall
ssh_connection_outside          ;refuse;SSH_CONNECTION|reconnect|firewall;SSH_CONNECTION from 192.0.2.2, ssh sources 198.51.100.0/24 only
ssh_connection_inside           ;apply ;-                               ;SSH_CONNECTION from 192.0.2.2, ssh sources 192.0.2.0/24
match_password_before           ;safe  ;Password                        ;a Match User bob block read before hardend's drop-in turns PasswordAuthentication on
EOF

START=$(date +%s)
ONLY_CASES=${LOCKOUT_CASES:-}        # LOCKOUT_CASES="baseline rsa_key": run only these
while IFS=';' read -r -u 3 name expect reason what; do
        name=${name// /} expect=${expect// /}
        reason=${reason%"${reason##*[! ]}"}
        if [ -n "$ONLY_CASES" ] && [[ " $ONLY_CASES " != *" $name "* ]]; then
                continue
        fi
        run_case "$name" "$expect" "$reason" "$what"
done 3<<<"$CASES"

echo "# lockout matrix: $(($(date +%s) - START)) s"
finish
