"""The live run: which recorded cases to ask libvirt again, and how its new answers compare.

The subset (``select``) is every case libvirt or miglint rejects (cheap: a rejection costs ~0.02 s) and a
deterministic sample of the cases both accept (~0.5 s each: QEMU is started on the destination), taken
per case family by the hash of the case id. ``MIGLINT_LIVE_SAMPLE`` sets the sampled fraction (default: the
target's ``live_accepted``, 0.25) or ``all`` (every case, on every target). A target may sample the rejections
too (``live_rejected`` < 1: the extra targets 7.0.0 and 12.8.0, to keep CI's time): then every case where
libvirt and miglint disagree, every crash, job left behind and environment failure is still asked, and of the
other rejections at least one per case family and libvirt message, and that fraction of each such pool, again
by the hash of the case id. The replay test covers every case; the live run proves the recording is still true.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from dataclasses import dataclass, field
from typing import Any

from miglint.policy.load import PolicySet

from . import compare, fixture, harness

DEFAULT_SAMPLE = 0.25


def sample_fraction(default: float = DEFAULT_SAMPLE) -> float:
    text = os.environ.get("MIGLINT_LIVE_SAMPLE", "").strip()
    if not text:
        return default
    if text == "all":
        return 1.0
    return min(1.0, max(0.0, float(text)))


def rejected_fraction(default: float = 1.0) -> float:
    """The share of the ordinary rejections a live run asks again (MIGLINT_LIVE_SAMPLE=all: every one)."""
    return 1.0 if os.environ.get("MIGLINT_LIVE_SAMPLE", "").strip() == "all" else default


def _take(pools: dict[Any, list[str]], fraction: float, chosen: set[str]) -> None:
    for ids in pools.values():
        ids.sort(key=lambda i: hashlib.sha256(i.encode()).hexdigest())
        chosen.update(ids[:max(1, math.ceil(fraction * len(ids)))])


def family(case_id: str) -> str:
    return case_id.split("-", 1)[0]


def select(records: list[dict[str, Any]], policies: PolicySet, fraction: float | None = None,
           libvirt_version: str = compare.LIBVIRT_VERSION, qemu_version: str | None = None,
           rejected: float = 1.0) -> list[dict[str, Any]]:
    """The live subset: accepted cases sampled by ``fraction``, ordinary rejections by ``rejected`` (1: all)."""
    fraction = sample_fraction() if fraction is None else fraction
    chosen: set[str] = set()
    pools: dict[str, list[str]] = {}
    rejections: dict[tuple[str, str | None], list[str]] = {}
    for r in records:
        case = {"id": r["id"], **r["case"]}
        prediction = compare.predict(case, policies, libvirt_version, qemu_version).prediction
        lv = r["libvirt"]
        if lv["verdict"] == "accepted" and prediction == "accepted":
            pools.setdefault(family(r["id"]), []).append(r["id"])
        elif rejected >= 1.0 or lv["verdict"] != prediction or lv["verdict"] != "rejected" or lv.get("job_left"):
            chosen.add(r["id"])
        else:
            rejections.setdefault((family(r["id"]), harness.normalise(lv.get("message"))), []).append(r["id"])
    _take(pools, fraction, chosen)
    _take(rejections, rejected, chosen)
    return [r for r in records if r["id"] in chosen]


@dataclass
class LiveRun:
    selected: list[dict[str, Any]]
    answers: dict[str, dict[str, Any]]
    setup: dict[str, Any]
    seconds: float
    drift: list[str] = field(default_factory=list)
    summary: compare.Summary | None = None


def varying_rules(known: list[compare.KnownDifference]) -> set[str]:
    return {kd.rule for kd in known if kd.varies}


def check_drift(record: dict[str, Any], answer: dict[str, Any], first_rule: str | None, varies: set[str]) -> str | None:
    """How libvirt's new answer differs from the recorded one (None: it does not)."""
    old = record["libvirt"]
    if old["verdict"] != answer.get("verdict"):
        return f"{record['id']}: verdict {old['verdict']} -> {answer.get('verdict')} ({answer.get('message')!r})"
    if bool(old.get("job_left")) != bool(answer.get("job_left")):
        return f"{record['id']}: job left behind {bool(old.get('job_left'))} -> {bool(answer.get('job_left'))}"
    if first_rule in varies:
        return None
    wrapped = harness.both_hosts(old.get("message")) or harness.both_hosts(answer.get("message"))
    if old.get("code") != answer.get("code") and not wrapped:
        return f"{record['id']}: code {old.get('code')} -> {answer.get('code')}"
    if harness.normalise(old.get("message")) != harness.normalise(answer.get("message")):
        return f"{record['id']}: message {old.get('message')!r} -> {answer.get('message')!r}"
    return None


def run(records: list[dict[str, Any]], policies: PolicySet, jobs: int = 2, fraction: float | None = None,
        progress: Any = None, target: harness.Target | None = None, qemu_version: str | None = None) -> LiveRun:
    target = target or harness.DEFAULT
    version = target.version
    if fraction is None:
        fraction = sample_fraction(target.live_accepted)
    rejected = 1.0 if fraction >= 1.0 else rejected_fraction(target.live_rejected)
    selected = select(records, policies, fraction, version, qemu_version, rejected)
    cases = [{"id": r["id"], **r["case"]} for r in selected]
    t0 = time.monotonic()
    setup, answers = harness.run_cases(cases, jobs=jobs, progress=progress, target=target)
    seconds = time.monotonic() - t0
    # miglint is asked about the QEMU this run really had (the recording's, unless the packages changed)
    qemu_version = setup.get("qemu_version") or qemu_version
    known = compare.load_known_differences(version=version)
    varies = varying_rules(known)
    live_records = []
    result = LiveRun(selected, answers, setup, seconds)
    for r in selected:
        answer = answers[r["id"]]
        first = compare.predict({"id": r["id"], **r["case"]}, policies, version, qemu_version).first_error
        d = check_drift(r, answer, first.rule if first else None, varies)
        if d:
            result.drift.append(d)
        live_records.append(fixture.make_record({"id": r["id"], **r["case"]}, answer))
    summary = compare.compare_all(live_records, policies, known, version, qemu_version)
    accepted_total = sum(1 for r in records if r["libvirt"]["verdict"] == "accepted")
    accepted_run = sum(1 for r in selected if r["libvirt"]["verdict"] == "accepted")
    rejected_total = len(records) - accepted_total
    rejected_run = len(selected) - accepted_run
    which = ("every rejection" if rejected >= 1.0 else
             f"{rejected_run} of {rejected_total} rejections and environment failures, sample {rejected:g}")
    summary.title = f"live: miglint vs a real libvirt {version} (qemu; QEMU {qemu_version or '?'}; {target.distro})"
    summary.extra = [
        f"live subset: {len(selected)} of {len(records)} recorded cases ({which}; {accepted_run} of "
        f"{accepted_total} accepted ones, sample {fraction:g}); "
        f"{seconds:.0f} s with {jobs} oracle(s); libvirt {setup.get('daemon_version')}, QEMU {setup.get('qemu_version')}",
        f"drift from the recording: {len(result.drift)}",
    ] + [f"DRIFT {d}" for d in result.drift[:50]]
    result.summary = summary
    return result
