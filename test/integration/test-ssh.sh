#!/bin/bash
# The SSH module against a real sshd and ssh client, inside network and mount namespaces: /etc is
# a private copy, sshd listens on 127.0.0.1 and ::1 of the namespace's own loopback.
. "$(dirname "$0")/sandbox.sh"
sandbox_enter "$@"

if [ ! -x /usr/sbin/sshd ] || [ ! -x /usr/bin/ssh ] || [ ! -x /usr/bin/ssh-keygen ]; then
        echo "SKIP: openssh-server and openssh-client are needed"
        exit 77
fi
sandbox_live_root

PORT=2222
ADMIN_KEY=$SB/admin_key
ROOT_KEY=$SB/root_key
BOB_KEY=$SB/bob_key
SSHD_PID=
SSH_OPTS=(-o ConnectTimeout=3 -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
          -o IdentitiesOnly=yes -p "$PORT")

stop_sshd() {
        if [ -n "$SSHD_PID" ]; then
                kill "$SSHD_PID" 2>/dev/null || true
                SSHD_PID=
        fi
}
trap 'stop_sshd; sandbox_leave' EXIT

# --- the machine: Debian's stock sshd_config plus what cloud-init writes -------------------------
rm -rf /etc/ssh/sshd_config.d /etc/ssh/ssh_host_*
mkdir -p /etc/ssh/sshd_config.d /run/sshd
cp /usr/share/openssh/sshd_config /etc/ssh/sshd_config
printf 'PasswordAuthentication yes\nPermitRootLogin yes\n' >/etc/ssh/sshd_config.d/50-cloud-init.conf
ssh-keygen -q -A
for k in "$ADMIN_KEY" "$ROOT_KEY" "$BOB_KEY"; do ssh-keygen -q -t ed25519 -N '' -f "$k"; done

getent group wheel >/dev/null || groupadd wheel
useradd -m -s /bin/bash -G wheel admin
useradd -m -s /bin/bash bob
install -d -m 0700 -o admin -g admin /home/admin/.ssh
install -d -m 0700 -o bob -g bob /home/bob/.ssh
install -d -m 0700 /root/.ssh
# a way in is a key login AND root: the admin's sudo right, as the admin module would grant it
printf '%%wheel ALL=(ALL:ALL) NOPASSWD: ALL\n' >/etc/sudoers.d/wheel
chmod 0440 /etc/sudoers.d/wheel

cat >"$SB/policy.conf" <<EOF
version = 1;
firewall = { enable = false; };
ssh = { port = $PORT; allow_groups = [ "wheel" ]; };
admin = { enable = true; user = "admin"; group = "wheel"; };
EOF
POLICY=(--config "$SB/policy.conf")

snapshot() {
        (cd / && find etc/ssh home root -xdev -exec stat -c '%n %a %u:%g %s' {} + && \
                find etc/ssh home root -xdev -type f -exec sha256sum {} +) | sort
}

# expect_refused WANT_EXIT WHAT: apply exits WANT_EXIT and no file changed
expect_unchanged_apply() {
        local want=$1 what=$2
        snapshot >"$SB/before"
        expect_rc "$want" "$HARDENCTL" "${POLICY[@]}" --only ssh apply
        snapshot >"$SB/after"
        check_that "$what: all of /etc/ssh and the key files unchanged" cmp -s "$SB/before" "$SB/after"
}

# --- anti-lockout: each refused with exit 3, nothing changed ----------------------------------------
expect_rc 1 "$HARDENCTL" "${POLICY[@]}" --only ssh check
check_that "check names the missing drop-in" grep -q "00-hardend.conf" "$SB/last.out"

expect_unchanged_apply 3 "no keys at all"
check_that "the refusal names what is missing" grep -q "admin: /home/admin/.ssh/authorized_keys no such file" "$SB/last.err"

install -m 0600 "$ROOT_KEY.pub" /root/.ssh/authorized_keys
expect_unchanged_apply 3 "keys only for root"
check_that "the refusal says root login is off" grep -q "root: root login is off" "$SB/last.err"

install -m 0600 -o bob -g bob "$BOB_KEY.pub" /home/bob/.ssh/authorized_keys
expect_unchanged_apply 3 "keys only for a user outside allow_groups"
check_that "the refusal names AllowGroups" grep -q "bob: not in AllowGroups (wheel)" "$SB/last.err"

install -m 0600 -o admin -g admin /dev/null /home/admin/.ssh/authorized_keys
expect_unchanged_apply 3 "an empty authorized_keys"
check_that "the refusal says the file is empty" grep -q "authorized_keys empty" "$SB/last.err"

install -m 0000 -o admin -g admin "$ADMIN_KEY.pub" /home/admin/.ssh/authorized_keys
expect_unchanged_apply 3 "an authorized_keys its user cannot read"
check_that "the refusal says it is not readable" grep -q "not readable by its user" "$SB/last.err"

chmod 0600 /home/admin/.ssh/authorized_keys

# --- a drop-in that fails sshd -t: a clean refusal --------------------------------------------------
printf 'PasswordAuthentication maybe\n' >/etc/ssh/sshd_config.d/40-broken.conf
expect_unchanged_apply 4 "a drop-in that fails sshd -t"
check_that "sshd's error is shown, naming the real file" grep -q '/etc/ssh/sshd_config.d/40-broken.conf line 1: unsupported option "maybe"' "$SB/last.err"
rm /etc/ssh/sshd_config.d/40-broken.conf

# --- the real thing ---------------------------------------------------------------------------------
/usr/sbin/sshd -o ListenAddress=127.0.0.1 -o ListenAddress=::1 -E "$SB/sshd.log"
sleep 0.5
SSHD_PID=$(cat /run/sshd.pid)
check_that "sshd runs before apply" kill -0 "$SSHD_PID"
ssh -o ConnectTimeout=3 -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o PreferredAuthentications=none -v -p 22 admin@127.0.0.1 true 2>"$SB/pre.log" || true
check_that "before apply, passwords are offered" grep -q "can continue: publickey,password" "$SB/pre.log"

cp /etc/ssh/sshd_config "$SB/sshd_config.orig"
expect_rc 0 "$HARDENCTL" "${POLICY[@]}" --only ssh apply
check_that "the apply reloaded sshd with SIGHUP" grep -q "sent SIGHUP to sshd" "$SB/last.out"
check_that "the stock sshd_config (it has the Include) is untouched" cmp -s /etc/ssh/sshd_config "$SB/sshd_config.orig"
expect_rc 0 "$HARDENCTL" "${POLICY[@]}" --only ssh check

for _ in $(seq 50); do
        ssh "${SSH_OPTS[@]}" -i "$ADMIN_KEY" admin@127.0.0.1 true 2>/dev/null && break
        sleep 0.1
done
SSHD_PID=$(cat /run/sshd.pid)
expect_rc 0 ssh "${SSH_OPTS[@]}" -i "$ADMIN_KEY" admin@127.0.0.1 true
expect_rc 0 ssh "${SSH_OPTS[@]}" -i "$ADMIN_KEY" admin@::1 true
expect_rc 255 ssh "${SSH_OPTS[@]}" -i "$ROOT_KEY" root@127.0.0.1 true

# --- strong_crypto: the post-quantum key exchanges this OpenSSH has (ssh -Q kex) come first -------
pq_want=""
for k in mlkem768x25519-sha256 sntrup761x25519-sha512 sntrup761x25519-sha512@openssh.com; do
        ssh -Q kex | grep -qx "$k" && pq_want="$pq_want${pq_want:+,}$k"
done
kex_line=$(sed -n 's/^KexAlgorithms //p' /etc/ssh/sshd_config.d/00-hardend.conf)
if [ -n "$pq_want" ]; then
        check_that "KexAlgorithms starts with the supported post-quantum ones ($pq_want): $kex_line" \
                test "${kex_line#"$pq_want",}" != "$kex_line"
        check_that "then the classical ones" bash -c 'case ",$1," in *",curve25519-sha256,"*) exit 0;; esac; exit 1' _ "$kex_line"
else
        echo "# this OpenSSH has no post-quantum key exchange: only the classical ones are checked"
fi
check_that "no KexAlgorithms name that ssh -Q kex does not list" \
        bash -c 'for k in ${1//,/ }; do ssh -Q kex | grep -qx "$k" || exit 1; done' _ "$kex_line"
check_that "sshd -t accepts the hardened configuration" /usr/sbin/sshd -t
check_that "sshd -T has the same order" bash -c '/usr/sbin/sshd -T -C user=admin,host=x,addr=127.0.0.1 | grep -qx "kexalgorithms $1"' _ "$kex_line"
ssh "${SSH_OPTS[@]}" -v -i "$ADMIN_KEY" admin@127.0.0.1 true 2>"$SB/kex.log" || true
kex_used=$(tr -d "\r" <"$SB/kex.log" | sed -n "s/.*kex: algorithm: \\([^ ]*\\).*/\\1/p" | head -n1)
if [ -n "$pq_want" ]; then
        check_that "the login negotiated a post-quantum key exchange ($kex_used)" \
                bash -c 'case ",$1," in *",$2,"*) exit 0;; esac; exit 1' _ "$pq_want" "$kex_used"
fi
for user in admin root bob; do
        ssh "${SSH_OPTS[@]}" -o PreferredAuthentications=none -v "$user@127.0.0.1" true 2>"$SB/none.log" || true
        check_that "$user: only publickey can continue" grep -q "Authentications that can continue: publickey[[:space:]]*$" "$SB/none.log"
        check_that "$user: password is never offered" bash -c "! grep -q 'can continue:.*password' '$SB/none.log'"
done

if command -v ssh-audit >/dev/null; then
        ssh-audit -n -p "$PORT" 127.0.0.1 >"$SB/audit.log" 2>&1 || true
        check_that "ssh-audit ran" grep -q "(gen) banner" "$SB/audit.log"
        check_that "ssh-audit reports no failure" bash -c "! grep -q '\[fail\]' '$SB/audit.log'"
        grep '\[fail\]' "$SB/audit.log" | sed 's/^/    /' || true
        echo "# ssh-audit: $(grep -c '\[warn\]' "$SB/audit.log" || true) warning(s), $(grep -c '\[fail\]' "$SB/audit.log" || true) failure(s)"
else
        fail "ssh-audit is not installed"
fi

# --- a Match User block that re-enables passwords: our Match all is read first and wins -------------
printf '\nMatch User admin\n\tPasswordAuthentication yes\n\tKbdInteractiveAuthentication yes\n' >>/etc/ssh/sshd_config
expect_rc 0 "$HARDENCTL" "${POLICY[@]}" --only ssh check
/usr/sbin/sshd -T -C user=admin,host=h,addr=192.0.2.1 >"$SB/t.out"
check_that "effective passwordauthentication stays no for admin" grep -qx "passwordauthentication no" "$SB/t.out"
kill -HUP "$SSHD_PID"; sleep 0.5
ssh "${SSH_OPTS[@]}" -o PreferredAuthentications=none -v admin@127.0.0.1 true 2>"$SB/none.log" || true
check_that "admin under a Match block: only publickey" grep -q "can continue: publickey[[:space:]]*$" "$SB/none.log"

# --- drift: a drop-in that sorts before ours -------------------------------------------------------
printf 'PasswordAuthentication yes\n' >/etc/ssh/sshd_config.d/00-aaa.conf
expect_rc 1 "$HARDENCTL" "${POLICY[@]}" --only ssh check
check_that "check names 00-aaa.conf" grep -q "ssh/dropin-order /etc/ssh/sshd_config.d/00-aaa.conf" "$SB/last.out"
/usr/sbin/sshd -T -C user=admin,host=h,addr=192.0.2.1 >"$SB/t.out"
check_that "a global line before ours still loses to our Match all" grep -qx "passwordauthentication no" "$SB/t.out"

# a Match block before ours does win: reported, and an apply that could not beat it is refused
printf 'Match User admin\n\tPasswordAuthentication yes\n' >/etc/ssh/sshd_config.d/00-aaa.conf
expect_rc 1 "$HARDENCTL" "${POLICY[@]}" --only ssh check
check_that "check reports the effective passwordauthentication for admin" \
        grep -q "ssh/effective passwordauthentication (user admin): expected no, actual yes" "$SB/last.out"
mv /etc/ssh/sshd_config.d/00-hardend.conf "$SB/00-hardend.conf.saved"
expect_unchanged_apply 4 "a drop-in before ours that our apply cannot beat"
check_that "the refusal names the keyword that would stay" grep -q "PasswordAuthentication yes for admin" "$SB/last.err"
mv "$SB/00-hardend.conf.saved" /etc/ssh/sshd_config.d/00-hardend.conf
rm /etc/ssh/sshd_config.d/00-aaa.conf

# --- a main config without Include -----------------------------------------------------------------
grep -v '^Include' /usr/share/openssh/sshd_config >/etc/ssh/sshd_config
printf 'PasswordAuthentication yes\nPermitRootLogin yes\n' >>/etc/ssh/sshd_config
chmod 0640 /etc/ssh/sshd_config
cp /etc/ssh/sshd_config "$SB/noinclude.orig"
expect_rc 1 "$HARDENCTL" "${POLICY[@]}" --only ssh check
check_that "check reports the missing Include" grep -q "include" "$SB/last.out"
expect_rc 0 "$HARDENCTL" "${POLICY[@]}" --only ssh apply
check_that "the Include is at the top" bash -c "head -n 2 /etc/ssh/sshd_config | grep -qx 'Include /etc/ssh/sshd_config.d/\*.conf'"
check_that "the rest of sshd_config is byte for byte the same" \
        bash -c "tail -n +3 /etc/ssh/sshd_config | cmp -s - '$SB/noinclude.orig'"
check_that "sshd_config kept its mode" test "$(stat -c %a /etc/ssh/sshd_config)" = 640
/usr/sbin/sshd -T -C user=root,host=h,addr=192.0.2.1 >"$SB/t.out"
check_that "effective permitrootlogin no" grep -qx "permitrootlogin no" "$SB/t.out"
check_that "effective passwordauthentication no" grep -qx "passwordauthentication no" "$SB/t.out"
expect_rc 0 "$HARDENCTL" "${POLICY[@]}" --only ssh check

# --- a changed drop-in is drift and is put back ----------------------------------------------------
sed -i 's/^PasswordAuthentication no/PasswordAuthentication yes/' /etc/ssh/sshd_config.d/00-hardend.conf
expect_rc 1 "$HARDENCTL" "${POLICY[@]}" --only ssh check
expect_rc 0 "$HARDENCTL" "${POLICY[@]}" --only ssh apply
expect_rc 0 "$HARDENCTL" "${POLICY[@]}" --only ssh check

# --- no sshd running: nothing to reload, the apply still succeeds ----------------------------------
stop_sshd
sleep 0.3
rm -f /etc/ssh/sshd_config.d/00-hardend.conf
expect_rc 0 "$HARDENCTL" "${POLICY[@]}" --only ssh apply
check_that "nothing to reload" grep -q "nothing to reload" "$SB/last.out"

check_that "no staging directories are left in /run" test -z "$(ls -d /run/hardend-sshd.* 2>/dev/null)"

# --- --root on an image without sshd: the effective settings are unknown ---------------------------
IMG=$SB/image
sandbox_image_root "$IMG"
expect_rc 1 "$HARDENCTL" "${POLICY[@]}" --root "$IMG" --only ssh check
check_that "--root without sshd: could not be verified" grep -q "could not be verified" "$SB/last.out"

# --- --root on an image with its own sshd (this system's /usr bound in), before its first boot: no
# host keys, no /run/sshd, cloud-init's drop-in 0600; checked and validated through chroot ----------
IMG=$SB/image2
sandbox_image_root "$IMG"
mount --bind /usr "$IMG/usr"
for d in lib lib64 bin sbin; do [ -e "/$d" ] && ln -sfn "usr/$d" "$IMG/$d"; done
mkdir -p "$IMG/dev" && touch "$IMG/dev/null" && mount --bind /dev/null "$IMG/dev/null"
install -m 0600 /dev/stdin "$IMG/etc/ssh/sshd_config.d/50-cloud-init.conf" <<<$'PasswordAuthentication yes\nPermitRootLogin yes'
echo 'admin:x:1000:1000::/home/admin:/bin/bash' >>"$IMG/etc/passwd"
echo 'admin:!:19000:0:99999:7:::' >>"$IMG/etc/shadow"
printf 'admin:x:1000:\nwheel:x:10:admin\n' >>"$IMG/etc/group"
install -m 0440 /dev/stdin "$IMG/etc/sudoers.d/wheel" <<<'%wheel ALL=(ALL:ALL) NOPASSWD: ALL'
install -d -m 0700 -o 1000 -g 1000 "$IMG/home/admin" "$IMG/home/admin/.ssh"
IMG_SNAP() { (cd "$IMG" && find etc home -exec stat -c '%n %a %s' {} + && find etc home -type f -exec sha256sum {} +) | sort; }

IMG_SNAP >"$SB/before"
expect_rc 3 "$HARDENCTL" "${POLICY[@]}" --root "$IMG" --only ssh apply
IMG_SNAP >"$SB/after"
check_that "image without keys: refused, nothing changed" cmp -s "$SB/before" "$SB/after"

install -m 0600 -o 1000 -g 1000 "$ADMIN_KEY.pub" "$IMG/home/admin/.ssh/authorized_keys"
expect_rc 1 "$HARDENCTL" "${POLICY[@]}" --root "$IMG" --only ssh check
check_that "image: the chroot's sshd -T sees cloud-init's PasswordAuthentication yes" \
        grep -q "ssh/effective passwordauthentication: expected no, actual yes" "$SB/last.out"
expect_rc 0 "$HARDENCTL" "${POLICY[@]}" --root "$IMG" --only ssh apply
expect_rc 0 "$HARDENCTL" "${POLICY[@]}" --root "$IMG" --only ssh check
check_that "image: effective settings verified" bash -c "! grep -q 'could not be verified' '$SB/last.out'"
check_that "image: the drop-in is in place" test -f "$IMG/etc/ssh/sshd_config.d/00-hardend.conf"
check_that "image: no scratch files left in its /tmp" test -z "$(ls -A "$IMG/tmp")"
check_that "image: no /run/sshd or host key was created" bash -c "! ls '$IMG'/run/sshd '$IMG'/etc/ssh/ssh_host_* 2>/dev/null"

finish
