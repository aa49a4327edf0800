"""What a request that does not say is taken to be, from the vocabulary's ``assume`` section, and said so.

A state given (an option, a plan entry, a script's directive or loop, a live host) is never replaced; an
assumption is recorded on the job (``Job.assumed``) so that every report prints it.
"""

from __future__ import annotations

from dataclasses import replace

from ..model import ACTIVE, Job
from ..policy.vocabulary import Vocabulary
from ..version import format_version, parse_version
from .evaluate import Evaluator

STATE_WORDS = {ACTIVE: "running or paused", "shutoff": "shut off"}


def assume_state(evaluator: Evaluator, job: Job) -> Job:
    """The job with the state its command implies, when none was given."""
    request = job.request
    if request.state != "unknown" or job.state_from:
        return job
    got = evaluator.assumed(request)
    if got is None:
        return job
    state, because = got
    said = f"the domain is {STATE_WORDS.get(state, state)}: {because}"
    return replace(job, request=replace(request, state=state), assumed=job.assumed + (said,))


_RANGE_WORDS: dict[tuple[int, str], str | None] = {}


def assume_version(vocab: Vocabulary, job: Job) -> Job:
    """The job, saying so when its libvirt version is outside the releases the policies were checked against
    (``versions_known``): the answer then comes from the rules' version conditions alone."""
    version = job.request.libvirt_version
    key = (id(vocab), version)
    said = _RANGE_WORDS.get(key, "")
    if said == "":
        said = _range_words(vocab, version)
        if len(_RANGE_WORDS) >= 256:
            _RANGE_WORDS.clear()
        _RANGE_WORDS[key] = said
    return job if said is None else replace(job, assumed=job.assumed + (said,))


def _range_words(vocab: Vocabulary, version: str) -> str | None:
    v = parse_version(version)
    newest, oldest = vocab.newest, min(vocab.versions_known)
    if v > newest:
        return (f"libvirt {version} is newer than the newest release miglint models ({format_version(newest)}): "
                f"its checks are taken to be {format_version(newest)}'s")
    if v < oldest:
        return (f"libvirt {version} is older than the oldest release miglint models ({format_version(oldest)}): "
                "its checks come from the rules' version conditions alone")
    return None
