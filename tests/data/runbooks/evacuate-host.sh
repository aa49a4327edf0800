#!/bin/bash
# Evacuate a KVM host before maintenance, the way the operators' runbook is really written.
set -euo pipefail

SRC_URI="qemu:///system"
VIRSH="virsh -c $SRC_URI"
DEST_HOST=${1:?usage: evacuate-host.sh DEST_HOST}
DEST="qemu+ssh://${DEST_HOST}/system"
readonly BW=800
declare -a COMMON=(--live --p2p --persistent)

# Web tier: live, peer-to-peer, throttled.
for dom in web01 web02; do
  $VIRSH migrate "${COMMON[@]}" --bandwidth "$BW" "$dom" "$DEST"
done

# The command kept in an array, run further down.
cmd=(virsh -c qemu:///system migrate --live --p2p --tunnelled)
dom=batch07
"${cmd[@]}" "$dom" "$DEST"

# One quoted word: virsh refuses "--live --p2p" as an unknown option.
opts="--live --p2p"
virsh -c "$SRC_URI" migrate "$opts" cache01 "$DEST"

# Global options from the environment.
virsh $VIRSH_OPTS migrate --offline --persistent archive01 qemu+ssh://n2.example/system

# The mode comes from the environment; an unknown one stops the script.
case "${MODE:-live}" in
  live) FLAGS="--live --auto-converge" ;;
  cold) FLAGS="--offline --persistent" ;;
  *) echo "unknown mode: $MODE" >&2; exit 2 ;;
esac
virsh migrate $FLAGS report01 qemu+ssh://n2.example/system

# Defaults the script gives itself.
: "${DNAME:=report01-moved}"
unset TIMEOUT
virsh migrate --live --dname "$DNAME" --timeout "${TIMEOUT:-600}" report02 qemu+ssh://n2.example/system

# Not migrations.
virsh migrate --help
echo virsh migrate --live web01 "$DEST"
