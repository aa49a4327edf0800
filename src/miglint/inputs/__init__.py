"""Input adapters: text (virsh lines, shell scripts, plan files) -> jobs (requests with locations)."""
