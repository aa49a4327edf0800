"""What a request is taken to be when it does not say, and said so: the state (assume_state) and a libvirt version
outside the releases the policies were checked against (assume_version)."""

from __future__ import annotations

import pytest

from miglint.engine.assume import assume_version
from miglint.model import Job, Request
from miglint.policy.load import load_policies

POLICIES = load_policies()


def _job(version: str) -> Job:
    return Job("j", Request("qemu", version, "running", "p2p", flags=3))


@pytest.mark.parametrize("version,words", [
    ("13.0.0", "newer than the newest release miglint models (12.8.0): its checks are taken to be 12.8.0's"),
    ("99.1.0", "newer than the newest release miglint models (12.8.0)"),
    ("6.10.0", "older than the oldest release miglint models (7.0.0)"),
])
def test_a_version_outside_the_modelled_releases_is_said(version, words):
    job = assume_version(POLICIES.vocab, _job(version))
    assert len(job.assumed) == 1 and words in job.assumed[0] and version in job.assumed[0]


@pytest.mark.parametrize("version", ["7.0.0", "9.0.0", "10.5.0", "11.3.0", "12.8.0"])
def test_a_modelled_version_or_one_between_them_says_nothing(version):
    job = _job(version)
    assert assume_version(POLICIES.vocab, job) is job
