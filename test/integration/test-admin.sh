#!/bin/bash
# The admin module against minimal Debian image trees (--root): real groupadd/useradd/usermod -R,
# chpasswd and visudo; then, with the image's /etc and /home bound over the real ones inside the
# sandbox, sudo and sshd read what was written. Needs: passwd, sudo, openssh-server.
. "$(dirname "$0")/sandbox.sh"
sandbox_enter "$@"

# A private copy of /etc over /etc: even a symlink to /etc/shadow followed by mistake would only
# reach the copy.
sandbox_live_root

for tool in /usr/sbin/useradd /usr/sbin/visudo /usr/sbin/sshd /usr/bin/sudo /usr/bin/ssh-keygen; do
        if [ ! -x "$tool" ]; then
                echo "SKIP: $tool is missing (packages passwd, sudo, openssh-server)"
                exit 77
        fi
done

ssh-keygen -q -t ed25519 -N '' -C test@hardend -f "$SB/key"
ssh-keygen -q -t ed25519 -N '' -C other@elsewhere -f "$SB/other"
KEY=$(cat "$SB/key.pub")
OTHER=$(cat "$SB/other.pub")

# write_policy FILE USER KEYLINE [SUDO]
write_policy() {
        cat >"$1" <<EOF
version = 1;
admin = {
  user = "$2";
  group = "wheel";
  authorized_keys = [ "$3" ];
  sudo = "${4:-nopasswd}";
  lock_root_password = true;
};
EOF
}
POLICY=$SB/policy.conf
write_policy "$POLICY" admin "$KEY"

# has_finding JSONFILE CHECK SUBJECT: the JSON of check/plan/apply lists that admin finding
has_finding() {
        python3 - "$@" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
items = doc.get("findings", []) + doc.get("findings_before", [])
sys.exit(0 if any(f["module"] == "admin" and f["check"] == sys.argv[2] and f["subject"] == sys.argv[3]
                  for f in items) else 1)
PY
}
json_changed() {
        python3 -c 'import json,sys; print(str(json.load(open(sys.argv[1]))["changed"]).lower())' "$1"
}
# line_is FILE REGEX: exactly one line of FILE matches the anchored extended REGEX
line_is() {
        [ "$(grep -cE "^$2\$" "$1")" = 1 ]
}
owner_mode() { stat -c '%u:%g %a' "$1"; }
tree_sum() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum; find . -printf '%p %m %u %g %l\n' | sort) | sha256sum; }

###########################################################################
echo "# fresh image: create group, user, keys, sudo drop-in, includedir, lock root"
IMG=$SB/img
sandbox_image_root "$IMG"
install -m 0755 /dev/null "$IMG/usr/bin/bash"           # useradd -s /bin/bash only when the image has bash
sed -i '/^@includedir/d; /^#includedir/d' "$IMG/etc/sudoers" # the image's sudoers lacks the includedir
chmod 0440 "$IMG/etc/sudoers"
sed -i 's/^root:\*:/root:$6$abc$def:/' "$IMG/etc/shadow" # a root password, for usermod -L to lock

expect_rc 1 "$HARDENCTL" check --only admin --root "$IMG" --config "$POLICY"
expect_rc 0 "$HARDENCTL" apply --only admin --root "$IMG" --config "$POLICY"
cat "$SB/last.out"

check_that "group wheel created with admin as member" line_is "$IMG/etc/group" 'wheel:x:1000:admin'
check_that "admin's private group" line_is "$IMG/etc/group" 'admin:x:1001:'
check_that "passwd line of admin" line_is "$IMG/etc/passwd" 'admin:x:1000:1001::/home/admin:/bin/bash'
check_that "shadow line of admin (no password)" line_is "$IMG/etc/shadow" 'admin:!:[0-9]+:0:99999:7:::'
check_that "gshadow lines" line_is "$IMG/etc/gshadow" 'wheel:!::admin'
check_that "gshadow admin" line_is "$IMG/etc/gshadow" 'admin:!::'
check_that "root locked the usermod -L way" line_is "$IMG/etc/shadow" 'root:!\$6\$abc\$def:19800:0:99999:7:::'
check_that "other shadow lines untouched" line_is "$IMG/etc/shadow" 'daemon:\*:19800:0:99999:7:::'
check_that "home owned by admin" [ "$(stat -c %u:%g "$IMG/home/admin")" = 1000:1001 ]
check_that "home not group/world writable" [ $(( 0$(stat -c %a "$IMG/home/admin") & 022 )) = 0 ]
check_that "~/.ssh 1000:1001 0700" [ "$(owner_mode "$IMG/home/admin/.ssh")" = "1000:1001 700" ]
check_that "authorized_keys 1000:1001 0600" [ "$(owner_mode "$IMG/home/admin/.ssh/authorized_keys")" = "1000:1001 600" ]
check_that "authorized_keys holds exactly the policy key" [ "$(cat "$IMG/home/admin/.ssh/authorized_keys")" = "$KEY" ]
check_that "drop-in root:root 0440" [ "$(owner_mode "$IMG/etc/sudoers.d/hardend")" = "0:0 440" ]
check_that "drop-in rule" line_is "$IMG/etc/sudoers.d/hardend" '%wheel ALL=\(ALL:ALL\) NOPASSWD: ALL'
check_that "includedir appended as the last line" [ "$(tail -n1 "$IMG/etc/sudoers")" = "@includedir /etc/sudoers.d" ]
check_that "sudoers keeps 0440 root:root" [ "$(owner_mode "$IMG/etc/sudoers")" = "0:0 440" ]
check_that "no temp files left" [ -z "$(find "$IMG" -name '.#hardend*')" ]
expect_rc 0 /usr/sbin/visudo -cf "$IMG/etc/sudoers.d/hardend"

echo "# second apply changes nothing"
before=$(tree_sum "$IMG")
expect_rc 0 "$HARDENCTL" apply --only admin --root "$IMG" --config "$POLICY" --json
check_that "second apply: changed false" [ "$(json_changed "$SB/last.out")" = false ]
check_that "second apply: tree byte-identical (contents, modes, owners)" [ "$(tree_sum "$IMG")" = "$before" ]
expect_rc 0 "$HARDENCTL" check --only admin --root "$IMG" --config "$POLICY"

###########################################################################
echo "# cloud-init's user, no wheel group, root's password '*': groupadd -U lists the user"
# image_with_admin DIR: a fresh image in which cloud-init made the user admin (and no wheel group)
image_with_admin() {
        sandbox_image_root "$1"
        install -m 0755 /dev/null "$1/usr/bin/bash"
        expect_rc 0 /usr/sbin/useradd -R "$1" -m -s /bin/bash -U admin
}
IMG2=$SB/img-ci
image_with_admin "$IMG2"
expect_rc 0 "$HARDENCTL" apply --only admin --root "$IMG2" --config "$POLICY"
cat "$SB/last.out"
check_that "cloud-init user: wheel lists admin" line_is "$IMG2/etc/group" 'wheel:x:[0-9]+:admin'
check_that "cloud-init user: gshadow's wheel lists admin" line_is "$IMG2/etc/gshadow" 'wheel:!::admin'
check_that "cloud-init user: reported as added" grep -q 'added admin to group wheel' "$SB/last.out"
check_that "root's '*' is locked already: left as it is" line_is "$IMG2/etc/shadow" 'root:\*:19800:0:99999:7:::'
check_that "root not reported as locked" bash -c '! grep -q "locked root" "$1"' _ "$SB/last.out"
expect_rc 0 "$HARDENCTL" check --only admin --root "$IMG2" --config "$POLICY"

echo "# a groupadd without -U (it exits 2, a usage error): run again without it, then usermod -a -G"
IMG3=$SB/img-old
image_with_admin "$IMG3"
cp /usr/sbin/groupadd "$SB/groupadd.real"
cat >"$SB/groupadd.old" <<EOF
#!/bin/sh
for a in "\$@"; do [ "\$a" = -U ] && { echo "groupadd: invalid option -- 'U'" >&2; exit 2; }; done
echo "\$*" >>"$SB/groupadd.calls"
exec "$SB/groupadd.real" "\$@"
EOF
chmod 0755 "$SB/groupadd.old"
mount --bind "$SB/groupadd.old" /usr/sbin/groupadd
expect_rc 0 "$HARDENCTL" apply --only admin --root "$IMG3" --config "$POLICY"
umount /usr/sbin/groupadd
cat "$SB/last.out"
check_that "old groupadd: run once more, without -U" [ "$(cat "$SB/groupadd.calls")" = "-R $IMG3 wheel" ]
check_that "old groupadd: wheel lists admin" line_is "$IMG3/etc/group" 'wheel:x:[0-9]+:admin'
check_that "old groupadd: gshadow's wheel lists admin" line_is "$IMG3/etc/gshadow" 'wheel:!::admin'
expect_rc 0 "$HARDENCTL" check --only admin --root "$IMG3" --config "$POLICY"

###########################################################################
echo "# findings: a UID 0 account, an empty password, a world-writable ~/.ssh"
cp -a "$IMG" "$SB/img-f"
F=$SB/img-f
echo 'toor:x:0:0::/root:/bin/sh' >>"$F/etc/passwd"
echo 'toor:*:19800:0:99999:7:::' >>"$F/etc/shadow"
sed -i 's/^bin:\*:/bin::/' "$F/etc/shadow"
chmod 0777 "$F/home/admin/.ssh"
expect_rc 1 "$HARDENCTL" check --only admin --root "$F" --config "$POLICY" --json
cp "$SB/last.out" "$SB/check.json"
check_that "uid0 toor reported" has_finding "$SB/check.json" uid0 toor
check_that "empty password of bin reported" has_finding "$SB/check.json" empty-password bin
check_that "~/.ssh mode reported" has_finding "$SB/check.json" ssh-dir /home/admin/.ssh
check_that "uid0 is HIGH and not fixable" python3 -c '
import json,sys
f=[f for f in json.load(open(sys.argv[1]))["findings"] if f["check"]=="uid0"][0]
sys.exit(0 if f["severity"]=="high" and not f["fixable"] else 1)' "$SB/check.json"
expect_rc 0 "$HARDENCTL" apply --only admin --root "$F" --config "$POLICY"
check_that "apply fixed ~/.ssh to 0700" [ "$(owner_mode "$F/home/admin/.ssh")" = "1000:1001 700" ]
check_that "apply left toor alone (report only)" line_is "$F/etc/passwd" 'toor:x:0:0::/root:/bin/sh'
expect_rc 1 "$HARDENCTL" check --only admin --root "$F" --config "$POLICY"

###########################################################################
echo "# an existing user is adjusted, never recreated; existing keys kept byte for byte"
E=$SB/img-e
sandbox_image_root "$E"
/usr/sbin/useradd -R "$E" -m -d /home/admin -u 1500 admin
mkdir -m 0755 "$E/home/admin/.ssh"
printf '# mine\n%s' "$OTHER" >"$E/home/admin/.ssh/authorized_keys" # no final newline
chown -R 1500:1500 "$E/home/admin/.ssh"
chmod 0644 "$E/home/admin/.ssh/authorized_keys"
old_passwd=$(grep '^admin:' "$E/etc/passwd")
write_policy "$SB/policy-pw.conf" admin "$KEY" password
sed -i 's|^};|  password_hash = "$6$abcdefgh$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ./0123456789abcdefghijkl";\n};|' "$SB/policy-pw.conf"
expect_rc 0 "$HARDENCTL" apply --only admin --root "$E" --config "$SB/policy-pw.conf"
cat "$SB/last.out"
check_that "passwd line of the existing admin unchanged" [ "$(grep '^admin:' "$E/etc/passwd")" = "$old_passwd" ]
check_that "admin added to wheel" line_is "$E/etc/group" 'wheel:x:[0-9]+:admin'
check_that "existing lines kept byte for byte, key appended" \
        [ "$(cat "$E/home/admin/.ssh/authorized_keys")" = "$(printf '# mine\n%s\n%s' "$OTHER" "$KEY")" ]
check_that "authorized_keys now 0600" [ "$(owner_mode "$E/home/admin/.ssh/authorized_keys")" = "1500:1500 600" ]
check_that "~/.ssh now 0700" [ "$(owner_mode "$E/home/admin/.ssh")" = "1500:1500 700" ]
check_that "password set from password_hash (via chpasswd -e)" \
        line_is "$E/etc/shadow" 'admin:\$6\$abcdefgh\$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\./0123456789abcdefghijkl:.*'
check_that "sudo = password: rule without NOPASSWD" line_is "$E/etc/sudoers.d/hardend" '%wheel ALL=\(ALL:ALL\) ALL'
expect_rc 0 "$HARDENCTL" check --only admin --root "$E" --config "$SB/policy-pw.conf"

###########################################################################
echo "# bad inputs"
write_policy "$SB/bad-key.conf" admin "ssh-ed25519 AAAA!!notbase64 x@y"
expect_rc 2 "$HARDENCTL" apply --only admin --root "$IMG" --config "$SB/bad-key.conf"
check_that "malformed key reported at FILE:LINE" grep -q "$SB/bad-key.conf:5:" "$SB/last.err"
write_policy "$SB/bad-user.conf" "Bad User" "$KEY"
expect_rc 2 "$HARDENCTL" apply --only admin --root "$IMG" --config "$SB/bad-user.conf"
check_that "invalid user name reported at FILE:LINE" grep -q "$SB/bad-user.conf:3:" "$SB/last.err"

H=$SB/img-h
sandbox_image_root "$H"
echo "not a directory" >"$H/home/admin"
before=$(tree_sum "$H")
expect_rc 4 "$HARDENCTL" apply --only admin --root "$H" --config "$POLICY"
check_that "home path taken by a file: clear error" grep -q '/home/admin already exists and is not a directory' "$SB/last.out" "$SB/last.err"
check_that "home path taken by a file: nothing touched" [ "$(tree_sum "$H")" = "$before" ]

S=$SB/img-s
sandbox_image_root "$S"
/usr/sbin/useradd -R "$S" -m -d /home/admin admin
mkdir -m 0700 "$S/home/admin/.ssh"
ln -s /etc/shadow "$S/home/admin/.ssh/authorized_keys"
chown -R -h 1000:1000 "$S/home/admin/.ssh"
host_shadow=$(sha256sum /etc/shadow; stat -c '%u:%g %a' /etc/shadow)
before=$(tree_sum "$S")
expect_rc 4 "$HARDENCTL" apply --only admin --root "$S" --config "$POLICY"
check_that "symlinked authorized_keys: clear refusal" grep -q 'authorized_keys is a symlink to /etc/shadow' "$SB/last.out" "$SB/last.err"
check_that "symlinked authorized_keys: /etc/shadow unchanged (content, owner, mode)" \
        [ "$(sha256sum /etc/shadow; stat -c '%u:%g %a' /etc/shadow)" = "$host_shadow" ]
check_that "symlinked authorized_keys: image unchanged, link still in place" [ "$(tree_sum "$S")" = "$before" ]
expect_rc 1 "$HARDENCTL" check --only admin --root "$S" --config "$POLICY" --json
check_that "symlinked authorized_keys reported" has_finding "$SB/last.out" authorized-keys-file /home/admin/.ssh/authorized_keys

###########################################################################
echo "# the image's /etc and /home over the real ones: sudo and sshd read what was written"
ssh-keygen -q -t ed25519 -N '' -f "$IMG/etc/ssh/ssh_host_ed25519_key"
mount --bind "$IMG/etc" /etc
mount --bind "$IMG/home" /home
mkdir -p /run/sshd
sudo -l -U admin >"$SB/sudo.out" 2>&1 || true
cat "$SB/sudo.out"
check_that "sudo -l -U admin lists the rule" grep -qE '\(ALL : ALL\) NOPASSWD: ALL' "$SB/sudo.out"
/usr/sbin/sshd -T -C user=admin,host=x,addr=192.0.2.9 >"$SB/sshd.out" 2>&1 || true
akf=
while read -r k v; do
        if [ "${k,,}" = authorizedkeysfile ]; then akf=$v; fi
done <"$SB/sshd.out"
echo "AuthorizedKeysFile:$akf"
found=no
for f in $akf; do
        f=${f//%h//home/admin}; f=${f//%u/admin}; f=${f//%%/%}
        case $f in /*) ;; *) f=/home/admin/$f ;; esac
        if [ -f "$f" ] && grep -qF "$KEY" "$f"; then found=$f; fi
done
check_that "sshd -T: an AuthorizedKeysFile of admin holds the key ($found)" [ "$found" != no ]
umount /home
umount /etc

###########################################################################
echo "# the live system (root /, no -R): the sandbox's private copy of /etc and an empty /home"
expect_rc 0 "$HARDENCTL" apply --only admin --config "$POLICY"
cat "$SB/last.out"
check_that "live: admin exists and is in wheel" id -nG admin
check_that "live: admin in wheel" grep -qE '^wheel:x:[0-9]+:(.*,)?admin(,|$)' /etc/group
check_that "live: key installed" [ "$(cat /home/admin/.ssh/authorized_keys)" = "$KEY" ]
check_that "live: drop-in 0440 root:root" [ "$(owner_mode /etc/sudoers.d/hardend)" = "0:0 440" ]
check_that "live: root locked (! or *)" grep -qE '^root:[!*]' /etc/shadow
expect_rc 0 "$HARDENCTL" apply --only admin --config "$POLICY" --json
check_that "live: second apply changed nothing" [ "$(json_changed "$SB/last.out")" = false ]

finish
