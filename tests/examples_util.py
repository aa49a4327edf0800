"""Turn a rule's examples (virsh lines or plan entries) into requests; shared by tests and `policy test`."""

from __future__ import annotations

from miglint.inputs.request import Defaults, job_from_entry
from miglint.model import Location


def example_job(policies, rule, example, index=0):
    entry = {"command": example, "state": "running"} if isinstance(example, str) else dict(example)
    policy = policies.docs[rule.policy]
    default_hv = rule.policy if policy.get("kind") == "driver" else "qemu"
    if "command" not in entry:
        entry.setdefault("hypervisor", default_hv)
    defaults = Defaults(hypervisor=default_hv)
    return job_from_entry(policies, entry, defaults, Location(f"{rule.id}-example", 1, 1), index)
