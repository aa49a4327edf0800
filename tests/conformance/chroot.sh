#!/usr/bin/env bash
# Build (or check) the Debian 13 "trixie" chroot that runs libvirt 11.3.0 and QEMU 10.0 for the second
# conformance oracle (harness.py: LIBVIRT_11). Idempotent: when the stamp file says the chroot holds this
# script's package list, it only checks the programs the oracle needs and exits (well under a second).
#
#   tests/conformance/chroot.sh [DIR]       DIR: $MIGLINT_CHROOT or /var/tmp/miglint-trixie (outside the repo)
#
# Needs root and the network of the package registry only. The Debian mirror is read from this machine's
# own apt sources at run time (or $MIGLINT_DEBIAN_MIRROR); no host name is written here. The build happens
# in DIR.new and is renamed into place when complete, so an interrupted build is simply started again.
# Nothing stays mounted: the mounts apt needs live in a private mount namespace that ends with the build.
set -euo pipefail

DIR="${1:-${MIGLINT_CHROOT:-/var/tmp/miglint-trixie}}"
SUITE=trixie
PACKAGES="libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 python3-libvirt python3 util-linux mount openssl"
STAMP_NAME=.miglint-chroot
STAMP="suite=$SUITE packages=$PACKAGES"
NEED="/usr/sbin/libvirtd /usr/bin/virsh /usr/bin/qemu-system-x86_64 /usr/bin/python3 /usr/bin/openssl /usr/bin/unshare /bin/mount"

say() { echo "chroot.sh: $*" >&2; }

complete() {  # the chroot at $1 holds what the stamp promises
    [ -f "$1/$STAMP_NAME" ] && [ "$(head -n 1 "$1/$STAMP_NAME")" = "$STAMP" ] || return 1
    for p in $NEED; do [ -x "$1$p" ] || return 1; done
}

case "$DIR" in
    /*) ;;
    *) say "give an absolute directory, not '$DIR'"; exit 2 ;;
esac
if [ "$(cd "$DIR" 2>/dev/null && pwd -P)" = / ]; then say "not building in /"; exit 2; fi

if complete "$DIR"; then
    say "$DIR is ready ($(sed -n 2p "$DIR/$STAMP_NAME"))"
    exit 0
fi
[ "$(id -u)" -eq 0 ] || { say "building the chroot needs root"; exit 2; }

mounted_under() {  # refuse to delete a tree something is mounted in
    awk -v d="$1" '$2 == d || index($2, d "/") == 1 {found=1} END {exit !found}' /proc/self/mounts
}
# Only a directory this script made is ever replaced: one with its stamp (an old package list), or none at all.
if [ -e "$DIR" ] && [ ! -f "$DIR/$STAMP_NAME" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ]; then
    say "$DIR exists and was not made by this script (no $STAMP_NAME); not touching it"; exit 2
fi
for d in "$DIR" "$DIR.new"; do
    if [ -e "$d" ]; then
        if mounted_under "$d"; then say "something is mounted under $d; not touching it"; exit 2; fi
    fi
done

# The mirror this machine's apt uses for Debian itself (deb822 .sources files or the one-line format).
mirror() {
    if [ -n "${MIGLINT_DEBIAN_MIRROR:-}" ]; then echo "$MIGLINT_DEBIAN_MIRROR"; return; fi
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'BEGIN{RS=""; FS="\n"}
             { uri=""; suites=""; types="";
               for (i=1;i<=NF;i++) { if ($i ~ /^URIs:/) uri=$i; if ($i ~ /^Suites:/) suites=$i; if ($i ~ /^Types:/) types=$i }
               sub(/^URIs:[ \t]*/, "", uri); sub(/^Suites:[ \t]*/, "", suites)
               if (types ~ /deb( |$)/ && suites !~ /-security/ && uri ~ /\/debian\/?$/) { split(uri, u, " "); print u[1]; exit } }' "$f"
    done | head -n 1 | grep . && return
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
        | awk '$1 == "deb" { for (i=2;i<=NF;i++) if ($i !~ /^\[/ && $i !~ /\]$/) { if ($(i+1) !~ /-security/ && $i ~ /\/debian\/?$/) { print $i; exit } break } }' \
        | head -n 1 | grep . && return
    return 1
}
MIRROR="$(mirror)" || { say "no Debian mirror in this machine's apt sources; set MIGLINT_DEBIAN_MIRROR"; exit 2; }
MIRROR="${MIRROR%/}"
SECURITY="${MIGLINT_DEBIAN_SECURITY:-${MIRROR%/debian}/debian-security}"

if ! command -v debootstrap >/dev/null; then
    say "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >&2
fi

t0=$(date +%s)
NEW="$DIR.new"
rm -rf "$NEW"
mkdir -p "$(dirname "$DIR")"
say "debootstrap $SUITE into $NEW (mirror from this machine's apt sources)"
debootstrap --variant=minbase "$SUITE" "$NEW" "$MIRROR" >"$NEW.log" 2>&1 || {
    tail -n 30 "$NEW.log" >&2; say "debootstrap failed (log: $NEW.log)"; exit 1; }
t1=$(date +%s)

cat >"$NEW/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY $SUITE-security main
EOF
# Maintainer scripts must not start services.
printf '#!/bin/sh\nexit 101\n' >"$NEW/usr/sbin/policy-rc.d"
chmod 755 "$NEW/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$NEW/etc/resolv.conf"

# apt inside the chroot, with /proc and /dev mounted in a mount namespace of its own (gone when it ends).
unshare --mount --propagation private sh -c '
    set -e
    mount -t proc proc "$1/proc"
    mount --rbind /dev "$1/dev"
    shift
    exec chroot "$0" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"
' "$NEW" "$NEW" sh -c "apt-get update -q && apt-get install -y -q --no-install-recommends $PACKAGES && apt-get clean" \
    >>"$NEW.log" 2>&1 || { tail -n 30 "$NEW.log" >&2; say "apt-get in the chroot failed (log: $NEW.log)"; exit 1; }
t2=$(date +%s)

for p in $NEED; do
    [ -x "$NEW$p" ] || { say "$p is missing in the new chroot"; exit 1; }
done
versions="$(chroot "$NEW" dpkg-query -W -f='${Package}=${Version} ' libvirt-daemon python3-libvirt qemu-system-x86)"
printf '%s\n%s\n' "$STAMP" "$versions" >"$NEW/$STAMP_NAME"
if [ -e "$DIR" ]; then rm -rf "$DIR"; fi
mv "$NEW" "$DIR"
mv "$NEW.log" "$DIR.log"
say "built $DIR in $((t2 - t0)) s (debootstrap $((t1 - t0)) s, apt $((t2 - t1)) s): $versions"
