#!/usr/bin/env bash
# Build (or check) a Debian chroot that runs one of the conformance oracle's libvirt targets (harness.py:
# TARGETS), one suite per chroot:
#   trixie    Debian 13, libvirt 11.3.0, QEMU 10.0   DIR: $MIGLINT_CHROOT_TRIXIE, $MIGLINT_CHROOT or /var/tmp/miglint-trixie
#   sid       unstable, libvirt 12.8.0, QEMU 11.1    DIR: $MIGLINT_CHROOT_SID or /var/tmp/miglint-sid
#   bullseye  Debian 11, libvirt 7.0.0, QEMU 5.2     DIR: $MIGLINT_CHROOT_BULLSEYE or /var/tmp/miglint-bullseye
# Idempotent: when the chroot's stamp file says it holds this script's package list for that suite, it only
# checks the programs the oracle needs and exits (well under a second).
#
#   tests/conformance/chroot.sh [SUITE] [DIR]     SUITE: trixie (the default), sid or bullseye
#   tests/conformance/chroot.sh DIR               trixie in DIR (as before there were several suites)
#   tests/conformance/chroot.sh all               every suite, each in its default DIR
#
# Needs root and the network of the package registry only. The Debian mirror is read from this machine's
# own apt sources at run time (or $MIGLINT_DEBIAN_MIRROR; the security archive is the mirror's
# debian-security beside it, or $MIGLINT_DEBIAN_SECURITY); no host name is written here. A release that has left
# the mirror (an old one moved to the archive) needs MIGLINT_DEBIAN_MIRROR pointing where it is now.
# unstable's Release file is re-signed every few hours and may be past its Valid-Until when the mirror is a
# snapshot: apt in the sid chroot does not check Valid-Until. The build happens in DIR.new and is renamed into
# place when complete, so an interrupted build is simply started again. Nothing stays mounted: the mounts apt
# needs live in a private mount namespace that ends with the build.
set -euo pipefail

if [ "${1:-}" = all ]; then  # side by side (the network is the slow part); fails when one fails
    [ $# -eq 1 ] || { echo "chroot.sh: 'all' takes no directory" >&2; exit 2; }
    pids=()
    for s in trixie sid bullseye; do bash "$0" "$s" & pids+=($!); done
    rc=0
    for p in "${pids[@]}"; do wait "$p" || rc=1; done
    exit $rc
fi
SUITE=trixie
case "${1:-}" in
    trixie|sid|bullseye) SUITE=$1; shift ;;
    ""|/*) ;;
    *) echo "chroot.sh: unknown suite '$1' (trixie, sid, bullseye, all) or not an absolute directory" >&2; exit 2 ;;
esac
COMMON="libvirt-clients qemu-system-x86 python3-libvirt python3 util-linux mount openssl"
case "$SUITE" in
    trixie)
        DIR="${1:-${MIGLINT_CHROOT_TRIXIE:-${MIGLINT_CHROOT:-/var/tmp/miglint-trixie}}}"
        PACKAGES="libvirt-daemon libvirt-daemon-driver-qemu $COMMON"
        SOURCES="updates security" ;;
    sid)
        DIR="${1:-${MIGLINT_CHROOT_SID:-/var/tmp/miglint-sid}}"
        PACKAGES="libvirt-daemon libvirt-daemon-driver-qemu $COMMON"
        SOURCES="" ;;
    bullseye)
        # libvirt 7.0.0's QEMU driver is part of libvirt-daemon (no libvirt-daemon-driver-qemu yet).
        DIR="${1:-${MIGLINT_CHROOT_BULLSEYE:-/var/tmp/miglint-bullseye}}"
        PACKAGES="libvirt-daemon $COMMON"
        SOURCES="updates security" ;;
esac
[ $# -le 1 ] || { echo "chroot.sh: too many arguments" >&2; exit 2; }
STAMP_NAME=.miglint-chroot
STAMP="suite=$SUITE packages=$PACKAGES"
NEED="/usr/sbin/libvirtd /usr/bin/virsh /usr/bin/qemu-system-x86_64 /usr/bin/python3 /usr/bin/openssl /usr/bin/unshare /bin/mount"

say() { echo "chroot.sh: $*" >&2; }

complete() {  # the chroot at $1 holds what the stamp promises
    [ -f "$1/$STAMP_NAME" ] && [ "$(head -n 1 "$1/$STAMP_NAME")" = "$STAMP" ] || return 1
    for p in $NEED; do [ -x "$1$p" ] || return 1; done
    [ -f "$1/etc/hosts" ]  # where the harness binds the host's /etc/hosts
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
    tail -n 30 "$NEW.log" >&2
    say "debootstrap failed (log: $NEW.log); if $SUITE has left this mirror, set MIGLINT_DEBIAN_MIRROR to where it is now"
    exit 1; }
t1=$(date +%s)

{
    echo "deb $MIRROR $SUITE main"
    for extra in $SOURCES; do
        case $extra in
            updates) echo "deb $MIRROR $SUITE-updates main" ;;
            security) echo "deb $SECURITY $SUITE-security main" ;;
        esac
    done
} >"$NEW/etc/apt/sources.list"
if [ "$SUITE" = sid ]; then  # unstable: a snapshot's Release may be past its Valid-Until
    echo 'Acquire::Check-Valid-Until "false";' >"$NEW/etc/apt/apt.conf.d/99miglint-valid-until"
fi
# Maintainer scripts must not start services.
printf '#!/bin/sh\nexit 101\n' >"$NEW/usr/sbin/policy-rc.d"
chmod 755 "$NEW/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$NEW/etc/resolv.conf"
# bullseye's minbase has no /etc/hosts; the harness bind-mounts the host's onto it
[ -f "$NEW/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n' >"$NEW/etc/hosts"

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
