# Sourced by run.sh: the build roots, the packages and the images of the booted-system test, one
# set per Debian release, each cached under $CACHE by a hash of its inputs.
#
#   sources_for SUITE         the machine's apt sources with the Suites rewritten for SUITE
#   build_root SUITE          a Debian SUITE tree with hardend's build dependencies and lintian
#   build_deb_for SUITE       hardend's .deb built there (DEB_<suite>), with lintian's verdict
#   build_image_for SUITE     a Debian SUITE image with that .deb and cloud-init (IMAGE_<suite>)

# The machine's apt sources (its mirror): Debian's deb822 file, else another .sources file, else the
# one-line sources.list; the first that names the machine's own release
host_sources() {
        local host f
        host=$(host_codename) || return 1
        for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources; do
                [ -r "$f" ] && grep -Eq "^Suites:.*\b$host\b" "$f" && { echo "$f"; return 0; }
        done
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
                [ -r "$f" ] && grep -Eq "^deb[[:space:]].*[[:space:]]$host[[:space:]]" "$f" && { echo "$f"; return 0; }
        done
        echo "no apt sources for $host in /etc/apt/sources.list.d/ or /etc/apt/sources.list: the machine's mirror is unknown"
        return 1
}
# What every image has: the daemons hardend drives, cloud-init, and ssh-audit (the release's own).
IMAGE_PACKAGES="systemd,systemd-sysv,openssh-server,sudo,iptables,nftables,dbus,iproute2,python3,procps,cloud-init,ssh-audit,systemd-journal-remote"
# The build root: what dpkg-buildpackage needs besides the Build-Depends of debian/control.
BUILDROOT_PACKAGES="build-essential,fakeroot,lintian"

host_codename() { . /etc/os-release && echo "$VERSION_CODENAME"; }

# The machine's mirror for another release: the host's sources file with every Suites entry's
# codename replaced (bookworm-updates -> trixie-updates, bookworm-security -> trixie-security).
sources_for() {
        local suite=$1 host out src
        host=$(host_codename) || return 1
        src=$(host_sources) || { echo "$src"; return 1; }
        mkdir -p "$CACHE" || return 1
        case $src in
        *.sources)
                out=$CACHE/sources-$suite.sources
                sed -E "/^Suites:/ s/(^|[[:space:]])$host(-[a-z]+)?/\\1$suite\\2/g" "$src" >"$out.tmp" || return 1
                grep -q "^Suites:.*\\b$suite\\b" "$out.tmp" || { echo "no Suites line in $src"; return 1; } ;;
        *)
                # one-line format: "deb [options] URI SUITE COMPONENT...", deb-src and comments dropped
                out=$CACHE/sources-$suite.list
                sed -nE "s/^(deb([[:space:]]+\\[[^]]*\\])?[[:space:]]+[^[:space:]]+[[:space:]]+)$host(-[a-z]+)?([[:space:]])/\\1$suite\\3\\4/p" \
                        "$src" >"$out.tmp" || return 1
                grep -q "[[:space:]]$suite[[:space:]]" "$out.tmp" || { echo "no deb line for $host in $src"; return 1; } ;;
        esac
        mv "$out.tmp" "$out" && echo "$out"
}

build_depends() { sed -n '/^Build-Depends:/,/^[A-Z]/p' "$SRC/debian/control"; }

# rm -rf, but never through a mount (a tree left by a build that is still running)
rm_tree() {
        local d
        for d in "$@"; do
                [ -e "$d" ] || continue
                if awk -v p="$(realpath "$d")/" 'index($2 "/", p) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
                        echo "$d has mounts: not removed"; return 1
                fi
                rm -rf "$d"
        done
}

# mmdebstrap SUITE DIR LOG SOURCES ARGS...: into DIR.tmp, then renamed, so a cut build never counts
run_mmdebstrap() {
        local suite=$1 dir=$2 log=$3 sources=$4; shift 4
        rm_tree "$dir.tmp" || return 1
        if ! mmdebstrap --mode=root --variant=apt --format=directory --skip=cleanup/apt/lists "$@" \
                "$suite" "$dir.tmp" "$sources" >"$log" 2>&1; then
                echo "mmdebstrap $suite failed (log $log):"; tail -n 25 "$log"; rm_tree "$dir.tmp"; return 1
        fi
        mv "$dir.tmp" "$dir" && touch "$dir/.complete"
}

build_root() {
        local suite=$1 sources key dir t
        sources=$(sources_for "$suite") || { echo "$sources"; return 1; }
        key=$( { echo "$suite $BUILDROOT_PACKAGES"; cat "$sources"; build_depends; } | sha256sum | cut -c1-16)
        dir=$CACHE/buildroot-$suite-$key
        BUILDROOT=$dir
        if [ -e "$dir/.complete" ]; then echo "$suite build root cached: $dir"; return 0; fi
        rm_tree "$CACHE"/buildroot-"$suite"-* || return 1
        t=$(now)
        mkdir -p "$CACHE/ctl-$suite/debian" && cp "$SRC/debian/control" "$SRC/debian/changelog" "$CACHE/ctl-$suite/debian/" || return 1
        run_mmdebstrap "$suite" "$dir" "$CACHE/buildroot-$suite.log" "$sources" \
                --include="$BUILDROOT_PACKAGES" \
                --customize-hook="copy-in $CACHE/ctl-$suite /tmp" \
                --customize-hook="chroot \"\$1\" env DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -q -P nocheck /tmp/ctl-$suite" \
                --customize-hook="rm -rf \"\$1/tmp/ctl-$suite\"" || return 1
        rm -rf "$CACHE/ctl-$suite"
        echo "$suite build root built in $(elapsed "$t") s ($(du -sh "$dir" | cut -f1))"
}

# The tree the package is built from: the checkout's files (tracked and untracked, not ignored),
# less test/e2e/ (the package is built without its tests), in a stable order and with the
# changelog's date on every file, so that the same sources hash the same
source_tar() {
        local when
        when=$(sed -n 's/^ -- .*>  //p' "$SRC/debian/changelog" | head -n1)
        if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
                (cd "$SRC" && git ls-files -co --exclude-standard -z | grep -zv '^test/e2e/' | LC_ALL=C sort -z |
                        tar --null --mtime="$when" --owner=0 --group=0 --numeric-owner -cf - -T -)
        else
                tar -C "$SRC" --exclude=./test/e2e --exclude='./build*' --exclude=./.git --sort=name \
                        --mtime="$when" --owner=0 --group=0 --numeric-owner -cf - .
        fi
}

# dpkg-buildpackage inside an overlay of the build root (which stays clean), then lintian from
# the same release on the result. Sets DEB_<suite> and LINTIAN_<suite> (the log).
build_deb_for() {
        local suite=$1 key out t rc
        build_root "$suite" || return 1
        key=$( { echo "$BUILDROOT"; source_tar | sha256sum; } | sha256sum | cut -c1-16)
        out=$CACHE/deb-$suite-$key
        if [ ! -e "$out/.complete" ]; then
                rm_tree "$CACHE"/deb-"$suite"-* && mkdir -p "$out/upper" "$out/work" "$out/merged" || return 1
                t=$(now)
                unshare --mount --fork bash -c '
                        set -e
                        root=$1 out=$2
                        mount -t overlay overlay -o lowerdir="$root",upperdir="$out/upper",workdir="$out/work" "$out/merged"
                        mount -t proc proc "$out/merged/proc"
                        mount --rbind /dev "$out/merged/dev"
                        mkdir -p "$out/merged/build/hardend"
                        tar -xf - -C "$out/merged/build/hardend"
                        chroot "$out/merged" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/build \
                                DEB_BUILD_OPTIONS=nocheck DEB_BUILD_PROFILES=nocheck \
                                sh -c "cd /build/hardend && dpkg-buildpackage -us -uc -b" >"$out/build.log" 2>&1 ||
                                { tail -n 30 "$out/build.log"; exit 1; }
                        cp "$out"/merged/build/hardend_*.deb "$out/"
                        rc=0
                        chroot "$out/merged" sh -c "cd /build && lintian --version && lintian --fail-on error --info hardend_*.deb" \
                                >"$out/lintian.log" 2>&1 || rc=$?
                        echo $rc >"$out/lintian.rc"
                ' bash "$BUILDROOT" "$out" < <(source_tar) || { echo "$suite: dpkg-buildpackage failed"; rm -rf "$out/upper" "$out/work"; return 1; }
                rm -rf "$out/upper" "$out/work" "$out/merged"
                touch "$out/.complete"
                echo "$suite: built $(basename "$out"/hardend_*.deb) in $(elapsed "$t") s"
        else
                echo "$suite: .deb cached: $out"
        fi
        DEB=$(ls "$out"/hardend_*_*.deb) || return 1
        printf -v "DEB_$suite" '%s' "$DEB"
        printf -v "LINTIAN_$suite" '%s' "$out/lintian"
}

build_image_for() {
        local suite=$1 deb sources key image t
        deb=DEB_$suite; deb=${!deb}
        sources=$(sources_for "$suite") || { echo "$sources"; return 1; }
        key=$( { echo "$suite $IMAGE_PACKAGES"; cat "$sources"; dpkg-deb --fsys-tarfile "$deb" | sha256sum
                 dpkg-deb -I "$deb" control | sha256sum; sha256sum <"$HERE/image-hook.sh"; } | sha256sum | cut -c1-16)
        image=$CACHE/image-$suite-$key
        printf -v "IMAGE_$suite" '%s' "$image"
        if [ -e "$image/.complete" ]; then echo "$suite image cached: $image"; return 0; fi
        rm_tree "$CACHE"/image-"$suite"-* || return 1
        t=$(now)
        mkdir -p "$CACHE/deb-in-$suite" && cp "$deb" "$CACHE/deb-in-$suite/hardend-e2e.deb" || return 1
        run_mmdebstrap "$suite" "$image" "$CACHE/image-$suite.log" "$sources" \
                --include="$IMAGE_PACKAGES" \
                --customize-hook="copy-in $CACHE/deb-in-$suite/hardend-e2e.deb /tmp" \
                --customize-hook='chroot "$1" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q /tmp/hardend-e2e.deb && rm -f "$1/tmp/hardend-e2e.deb"' \
                --customize-hook="$HERE/image-hook.sh \"\$1\"" \
                --customize-hook='rm -rf "$1"/var/lib/apt/lists/*' || return 1
        rm -rf "$CACHE/deb-in-$suite"
        echo "$suite image built in $(elapsed "$t") s: $image ($(du -sh "$image" | cut -f1))"
}
