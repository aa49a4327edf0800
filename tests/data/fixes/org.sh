#!/bin/sh
# ACME's rules: --undefinesource only with --persistent (a safe fix), TLS for live migrations (unsafe).
virsh migrate --live --p2p --tls --undefinesource app qemu+ssh://kvm-08/system
virsh migrate --live --p2p web qemu+ssh://kvm-08/system
