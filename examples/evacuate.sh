#!/usr/bin/env bash
# Evacuate a KVM host before maintenance: live-migrate its running guests to a peer, move the
# definitions of the shut-off ones, and drain the containers of the paired Virtuozzo host.
#
#   miglint check --policy-dir examples/policies --hypervisor acme-qemu --state running examples/evacuate.sh
set -euo pipefail

SRC_URI=qemu:///system
DEST=${1:?usage: evacuate.sh DEST_HOST}
BW=${BANDWIDTH:-800}
LOG=/var/log/evacuate-$(date +%F).log

log() { printf '%s %s\n' "$(date +%T)" "$*" | tee -a "$LOG"; }

log "evacuating $(hostname) to $DEST"

# Running guests: live, peer-to-peer, encrypted, defined on the destination and removed here.
for dom in $(virsh -c "$SRC_URI" list --name --state-running); do
  log "live-migrating $dom"
  if ! virsh -c qemu:///system migrate --live --p2p --tls --persistent --undefinesource \
         --auto-converge --bandwidth "$BW" \
         "$dom" "qemu+ssh://$DEST/system"; then
    log "FAILED: $dom"
  fi
done

# The databases have local disks: copy them, and switch to post-copy if pre-copy does not converge.
for dom in db-01 db-02; do
  virsh -c qemu:///system migrate --live --p2p --tunnelled --copy-storage-all --postcopy \
    --undefinesource "$dom" "qemu+ssh://$DEST/system" 2>&1 | tee -a "$LOG"
done

# Shut-off guests: only their definitions move.
for dom in $(virsh -c "$SRC_URI" list --name --state-shutoff); do
  virsh -c qemu:///system migrate --offline "$dom" "qemu+ssh://$DEST/system" && log "moved $dom"
done

# The legacy batch VM's disks use cache=unsafe; operations accepted the risk in TICKET-4711.
# miglint: disable=ACME002 -- accepted risk, see TICKET-4711
sudo -u root virsh -c qemu:///system migrate --live --p2p --tls --unsafe batch-07 "qemu+ssh://$DEST/system"

# Containers on the paired Virtuozzo host.
ssh root@vz-03 'virsh migrate --p2p --live --compressed ct-mail vz+ssh://vz-04/system'
ssh root@vz-03 "virsh migrate --p2p ct-dns vz+ssh://vz-04/system"

# Hand-over note for the change ticket.
cat <<EOF >"/tmp/evacuate-$DEST.txt"
Guests of $(hostname) were migrated to $DEST; see $LOG.
EOF
log "done"
