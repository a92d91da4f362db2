#!/bin/bash
# sudo_root_check() (lib/sys/sudo.c) with the real sudo, through test/sudo-check: candidate files
# (overlays) decide, the real ones are never changed, and what it says is what sudo then does once
# the same files are in place (su USER -c 'sudo -n id -u'). Needs: sudo, passwd (useradd), util-linux.
. "$(dirname "$0")/sandbox.sh"
sandbox_enter "$@"
sandbox_live_root

SUDO_CHECK=${SUDO_CHECK:-$(cd "$(dirname "$0")/../.." && pwd)/build/test/sudo-check}
for tool in /usr/bin/sudo /usr/sbin/useradd /usr/sbin/visudo /usr/bin/su "$SUDO_CHECK"; do
        if [ ! -x "$tool" ]; then
                echo "SKIP: $tool is missing (packages sudo, passwd, util-linux; build test/sudo-check)"
                exit 77
        fi
done

# ---- the "current system" inside the sandbox's private /etc ----
HASH=$(python3 -c 'import crypt; print(crypt.crypt("secret", crypt.mksalt(crypt.METHOD_SHA512)))' 2>/dev/null ||
        openssl passwd -6 secret)
groupadd -g 2100 ops
useradd -u 2001 -m -s /bin/sh opsuser
usermod -aG ops opsuser
useradd -u 2002 -m -s /bin/sh pwuser
useradd -u 2003 -m -s /bin/sh lockeduser
useradd -u 2004 -m -s /bin/sh nobodyelse
echo "pwuser:$HASH" | chpasswd -e
echo "lockeduser:!$HASH" | chpasswd -e
usermod -p '*' root
grep -q '^@includedir /etc/sudoers.d' /etc/sudoers || grep -q '^#includedir /etc/sudoers.d' /etc/sudoers ||
        { echo "@includedir /etc/sudoers.d" >>/etc/sudoers; }
printf 'Defaults !lecture\n' >/etc/sudoers.d/00-existing
chmod 0440 /etc/sudoers.d/00-existing

C=$SB/cand
mkdir -p "$C"
cand() { # cand NAME TEXT: a candidate file
        printf '%s\n' "$2" >"$C/$1"
}
cand hardend-ops '%ops ALL=(ALL:ALL) NOPASSWD: ALL'
cand pw-rule 'pwuser ALL=(ALL:ALL) ALL
lockeduser ALL=(ALL:ALL) ALL'
cand deny-ops 'opsuser ALL=(ALL) !ALL'
cand deny-admin 'admin ALL=(ALL) !ALL'
cand rootpw 'Defaults:pwuser rootpw
pwuser ALL=(ALL:ALL) ALL'
sed "s|^root:[^:]*:|root:!$HASH:|" /etc/shadow >"$C/shadow-root-locked"
sed "s|^root:[^:]*:|root:$HASH:|" /etc/shadow >"$C/shadow-root-usable"
{ cat /etc/passwd; echo 'newadmin:x:2500:2500::/home/newadmin:/bin/bash'; } >"$C/passwd-new"
{ cat /etc/group; echo 'wheel:x:2600:newadmin'; echo 'newadmin:x:2500:'; } >"$C/group-new"
{ cat /etc/shadow; echo 'newadmin:!:19800:0:99999:7:::'; } >"$C/shadow-new"
cand hardend-wheel '%wheel ALL=(ALL:ALL) NOPASSWD: ALL'
cand include-rootpw '@include /etc/sudoers.d/rootpw-extra
pwuser ALL=(ALL:ALL) ALL'
cand rootpw-extra 'Defaults	targetpw'
for f in hardend-ops pw-rule deny-ops deny-admin rootpw hardend-wheel rootpw-extra; do
        /usr/sbin/visudo -cqf "$C/$f" >/dev/null || { echo "bad fixture $f"; exit 1; }
done

state_sum() {
        (cd /etc && sha256sum passwd group shadow gshadow sudoers && find sudoers.d -printf '%p %m %u %g\n' | sort &&
                find sudoers.d -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum
}
BEFORE=$(state_sum)

# verdict ROOT USER WANT [GREP-FOR-WHY] -- OVERLAYS...
verdict() {
        local root=$1 user=$2 want=$3 why=$4
        shift 5
        local out rc=0
        out=$("$SUDO_CHECK" "$root" "$user" "$@" 2>&1) || rc=$?
        if [ "$rc" = 0 ] && [ "${out%%:*}" = "$want" ] && { [ -z "$why" ] || grep -qF -- "$why" <<<"$out"; }; then
                pass "$user ($root): $out"
        else
                fail "$user ($root): wanted $want${why:+ ($why)}, got [rc $rc] $out"
        fi
        check_that "  real /etc unchanged" [ "$(state_sum)" = "$BEFORE" ]
        check_that "  nothing left in /run/sudo" [ -z "$(ls -A /run/sudo 2>/dev/null)" ]
}

echo "# live root"
verdict / opsuser nopasswd "" -- /etc/sudoers.d/hardend="$C/hardend-ops"
verdict / opsuser no "may not run" --
verdict / nobodyelse no "may not run" -- /etc/sudoers.d/hardend="$C/hardend-ops"
verdict / pwuser password "pwuser's password" -- /etc/sudoers.d/hardend="$C/pw-rule"
verdict / lockeduser no "lockeduser's password, which is locked" -- /etc/sudoers.d/hardend="$C/pw-rule"
verdict / opsuser no "may not run" -- /etc/sudoers.d/hardend="$C/hardend-ops" /etc/sudoers.d/zz-deny="$C/deny-ops"
# the deny drop-in sorts first: the NOPASSWD rule read after it wins
verdict / opsuser nopasswd "" -- /etc/sudoers.d/zz-ops="$C/hardend-ops" /etc/sudoers.d/aa-deny="$C/deny-ops"
verdict / pwuser no "root's password (Defaults rootpw, /etc/sudoers.d/hardend:1), which is locked" -- \
        /etc/sudoers.d/hardend="$C/rootpw" /etc/shadow="$C/shadow-root-locked"
verdict / pwuser password "root's password (Defaults rootpw" -- \
        /etc/sudoers.d/hardend="$C/rootpw" /etc/shadow="$C/shadow-root-usable"
verdict / pwuser no "Defaults targetpw, /etc/sudoers.d/rootpw-extra:1), which is locked" -- \
        /etc/sudoers.d/hardend="$C/include-rootpw" /etc/sudoers.d/rootpw-extra="$C/rootpw-extra" \
        /etc/shadow="$C/shadow-root-locked"
verdict / newadmin nopasswd "" -- /etc/passwd="$C/passwd-new" /etc/group="$C/group-new" \
        /etc/shadow="$C/shadow-new" /etc/sudoers.d/hardend="$C/hardend-wheel"
verdict / newadmin no "has no account" -- /etc/sudoers.d/hardend="$C/hardend-wheel"
verdict / newadmin no "may not run" -- /etc/passwd="$C/passwd-new" /etc/group="$C/group-new" /etc/shadow="$C/shadow-new"
# removing a drop-in in the candidate: 00-existing gone, then the real ops rule (installed below) too
verdict / opsuser nopasswd "" -- /etc/sudoers.d/00-existing= /etc/sudoers.d/hardend="$C/hardend-ops"

echo "# errors: not installed, bad arguments"
mkdir -p "$SB/empty/etc"
out=$("$SUDO_CHECK" "$SB/empty" opsuser 2>&1) || true
check_that "no sudo in the root: ENOENT ($out)" [ "$out" = "error: No such file or directory" ]
out=$("$SUDO_CHECK" / opsuser /etc/../etc/shadow="$C/shadow-new" 2>&1) || true
check_that "overlay path with .. refused ($out)" [ "$out" = "error: Invalid argument" ]

echo "# the same files for real: sudo does what the check said"
install -m 0440 "$C/hardend-ops" /etc/sudoers.d/hardend
out=$(su -s /bin/sh opsuser -c 'sudo -n id -u' </dev/null 2>&1) || true
check_that "su opsuser: sudo -n id -u prints 0 ($out)" [ "$out" = 0 ]
rm -rf /run/sudo/ts # the real sudo's tickets; the checks below must add none
BEFORE=$(state_sum)
verdict / opsuser nopasswd "" --
install -m 0440 "$C/deny-ops" /etc/sudoers.d/zz-deny
out=$(su -s /bin/sh opsuser -c 'sudo -n id -u' </dev/null 2>&1) || true
check_that "su opsuser with zz-deny: refused ($out)" [ "$out" != 0 ]
rm -rf /run/sudo/ts
BEFORE=$(state_sum)
verdict / opsuser no "may not run" --
verdict / opsuser nopasswd "" -- /etc/sudoers.d/zz-deny=
rm /etc/sudoers.d/zz-deny
install -m 0440 "$C/pw-rule" /etc/sudoers.d/pw
out=$(su -s /bin/sh pwuser -c 'sudo -n id -u' </dev/null 2>&1) || true
check_that "su pwuser: sudo -n wants a password ($out)" [ "$out" != 0 ]
cp "$C/passwd-new" /etc/passwd
cp "$C/group-new" /etc/group
cp "$C/shadow-new" /etc/shadow
install -m 0440 "$C/hardend-wheel" /etc/sudoers.d/wheel
mkdir -p /home/newadmin
out=$(su -s /bin/sh newadmin -c 'sudo -n id -u' </dev/null 2>&1) || true
check_that "su newadmin (once created): sudo -n id -u prints 0 ($out)" [ "$out" = 0 ]
rm -rf /run/sudo/ts

echo "# image root"
IMG=$SB/img
sandbox_image_root "$IMG"
# sudo and its libraries in the image: the host's /usr, read-only, as a merged-/usr image has it
mount --bind /usr "$IMG/usr"
mount -o remount,bind,ro "$IMG/usr"
for l in bin sbin lib lib64; do [ -e "/$l" ] && ln -s "usr/$l" "$IMG/$l"; done
mkdir -p "$IMG/dev" "$IMG/proc" "$IMG/var/lib"
grep -q 'includedir' "$IMG/etc/sudoers" || echo "@includedir /etc/sudoers.d" >>"$IMG/etc/sudoers"
chmod 0440 "$IMG/etc/sudoers"
# first an image without /etc/security (sandbox_image_root copies it, as a real image has it)
rm -rf "$IMG/etc/security"
{ cat "$IMG/etc/passwd"; echo 'admin:x:1000:1000::/home/admin:/bin/bash'; } >"$C/img-passwd"
{ cat "$IMG/etc/group"; echo 'wheel:x:1001:admin'; echo 'admin:x:1000:'; } >"$C/img-group"
{ sed "s|^root:[^:]*:|root:!*:|" "$IMG/etc/shadow"; echo "admin:$HASH:19800:0:99999:7:::"; } >"$C/img-shadow"
{ cat "$IMG/etc/shadow"; echo "admin:!:19800:0:99999:7:::"; } >"$C/img-shadow-locked"
cand img-pw '%wheel ALL=(ALL:ALL) ALL'
img_sum() { (cd "$IMG" && find etc run var -printf '%p %m %u %g %s\n' | sort && find etc -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum; }
IMG_BEFORE=$(img_sum)
BEFORE=$(state_sum)
ACCOUNTS=("/etc/passwd=$C/img-passwd" "/etc/group=$C/img-group")
# Without /etc/security/limits.conf pam_limits fails sudo's PAM session, so
# sudo runs nothing for anybody there, NOPASSWD or not.
verdict "$IMG" admin no "pam_open_session: Error in service module" -- "${ACCOUNTS[@]}" \
        /etc/shadow="$C/img-shadow" /etc/sudoers.d/hardend="$C/hardend-wheel"
verdict "$IMG" admin no "even without a password" -- "${ACCOUNTS[@]}" /etc/shadow="$C/img-shadow" \
        /etc/sudoers.d/hardend="$C/img-pw"
cp -a /etc/security "$IMG/etc/security"
IMG_BEFORE=$(img_sum)
verdict "$IMG" admin nopasswd "" -- "${ACCOUNTS[@]}" /etc/shadow="$C/img-shadow" /etc/sudoers.d/hardend="$C/hardend-wheel"
verdict "$IMG" admin password "admin's password" -- "${ACCOUNTS[@]}" /etc/shadow="$C/img-shadow" /etc/sudoers.d/hardend="$C/img-pw"
verdict "$IMG" admin no "which is locked" -- "${ACCOUNTS[@]}" /etc/shadow="$C/img-shadow-locked" /etc/sudoers.d/hardend="$C/img-pw"
verdict "$IMG" admin no "may not run" -- "${ACCOUNTS[@]}" /etc/shadow="$C/img-shadow"
verdict "$IMG" admin no "may not run" -- "${ACCOUNTS[@]}" /etc/shadow="$C/img-shadow" \
        /etc/sudoers.d/hardend="$C/hardend-wheel" /etc/sudoers.d/zz-deny="$C/deny-admin"
# the host's users are not the image's: opsuser exists only on the host
verdict "$IMG" opsuser no "has no account" -- /etc/sudoers.d/hardend="$C/hardend-ops"
check_that "image tree unchanged" [ "$(img_sum)" = "$IMG_BEFORE" ]
umount "$IMG/usr"

finish
