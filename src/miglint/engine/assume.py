"""What a request that does not say is taken to be, from the vocabulary's ``assume`` section, and said so.

A state given (an option, a plan entry, a script's directive or loop, a live host) is never replaced; an
assumption is recorded on the job (``Job.assumed``) so that every report prints it.
"""

from __future__ import annotations

from dataclasses import replace

from ..model import ACTIVE, Job
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
