#!/bin/bash
# Options that only the run knows, and commands run by another shell.
OPTS=$(cat /etc/site/migrate.opts)
virsh migrate $OPTS web10 qemu+ssh://n2.example/system

read -r NEXT < /run/next-domain
virsh migrate --live "$NEXT" qemu+ssh://n2.example/system

# A variable inside a word: one word, partly unknown.
virsh migrate --live --p2p --migrateuri tcp://$3 web11 qemu+ssh://n2.example/system

# Options read from a file at run time, in place of options and positionals alike.
virsh migrate --live `cat /etc/site/extra.opts`

TARGET=n3.example
ssh root@src01 'virsh migrate --live web12 qemu+ssh://n2.example/system'
ssh root@src01 "virsh migrate --live web13 qemu+ssh://$TARGET/system"

. /etc/site/migrate.conf
virsh migrate --live web14 "qemu+ssh://$TARGET/system"

virsh -c qemu:///system <<EOF2
migrate --live web15 qemu+ssh://n2.example/system
EOF2
