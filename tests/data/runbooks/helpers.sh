#!/bin/sh
# Helpers the team keeps in its runbooks: the migrate command is written once, in a function.
die() { echo "$*" >&2; exit 1; }

mig() {
  virsh migrate --live --p2p "$@"
}

move_cold() {
  local dom="$1" dest="$2"
  [ -n "$dom" ] || die "no domain given"
  virsh migrate --offline --persistent "$dom" "$dest"
}

never_called() {
  virsh migrate --live --undefinesource "$1" "$2"
}

mig web05 qemu+ssh://n2.example/system
mig --compressed web06 "qemu+ssh://n3.example/system"

# miglint: disable=Q053 -- the definitions are copied by hand on this pair
move_cold db01 qemu+ssh://n2.example/system
for d in db02 db03; do
  move_cold "$d" qemu+ssh://n3.example/system
done

# Arguments forwarded from the caller: how many, and which, only the run knows.
migrate_all() { mig "$@"; }
migrate_all "${ARGS[@]}" web07 qemu+ssh://n2.example/system
