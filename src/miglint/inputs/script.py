"""Shell scripts -> jobs: every ``virsh ... migrate ...`` simple command, with word positions."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import UserError
from ..model import Job
from ..policies import PolicySet
from .request import Defaults, check_state
from .shell import scan
from .virsh import command_job, find_migrate


def script_jobs(text: str, file: str, policies: PolicySet, defaults: Defaults) -> Iterator[Job | UserError]:
    try:
        cmds, heredocs = scan(text, file)
    except UserError as e:
        yield e
        return
    version = policies.vocab.version(defaults.libvirt_version)
    state = check_state(defaults.state)
    for n, cmd in enumerate(cmds):
        if find_migrate(cmd.words) is None:
            continue
        try:
            yield command_job(" ".join(w.text for w in cmd.words), policies=policies, hypervisor=defaults.hypervisor,
                              state=state, version=version, job_id=f"{file}:{cmd.line}", file=file,
                              words=cmd.words)
        except UserError as e:
            yield e
    del n, heredocs
