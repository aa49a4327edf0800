#!/bin/bash
# Drain a host: running guests live, shut-off guests by their definition only.
set -euo pipefail
DEST="qemu+ssh://${1:?destination host}/system"
LIVE=(--live --p2p --persistent --undefinesource --auto-converge)

for vm in $(virsh list --name --state-running); do
    virsh migrate "${LIVE[@]}" "$vm" "$DEST"
done
for vm in $(virsh list --name --inactive); do
    virsh migrate --offline --persistent --undefinesource "$vm" "$DEST"
done

mig() { virsh -c qemu:///system migrate --live --p2p --tls "$@"; }
mig db01 "$DEST"
