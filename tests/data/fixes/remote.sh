#!/bin/sh
# Commands another shell runs: fix edits them inside their quotes.
ssh root@kvm-07 'virsh migrate --offline vm1 qemu+ssh://kvm-08/system'
bash -c "virsh migrate --live --tunnelled vm2 qemu+ssh://kvm-08/system"
ssh root@vz-03 "virsh migrate --p2p --live --compressed ct-1 vz+ssh://vz-04/system"
