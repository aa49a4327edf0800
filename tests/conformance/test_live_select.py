"""The live subset of a thinly sampled target (no libvirt needed): what it must always ask again."""

from __future__ import annotations

import pytest

from miglint.policy.load import load_policies

from . import compare, fixture, harness, live

pytestmark = pytest.mark.conformance


def test_a_thin_sample_still_asks_every_distinct_answer(monkeypatch):
    monkeypatch.delenv("MIGLINT_LIVE_SAMPLE", raising=False)
    target = harness.TARGETS["7.0.0"]
    assert target.live_rejected < 1.0 and target.live_accepted < live.DEFAULT_SAMPLE
    header, records = fixture.load(target.fixture)
    policies = load_policies(use_cache=False)
    qemu = header.get("qemu_version")
    selected = {r["id"] for r in live.select(records, policies, target.live_accepted, target.version, qemu,
                                             target.live_rejected)}
    assert len(selected) < 0.5 * len(records)
    answers = set()
    for r in records:
        lv = r["libvirt"]
        prediction = compare.predict({"id": r["id"], **r["case"]}, policies, target.version, qemu).prediction
        if lv["verdict"] != "rejected" or prediction != lv["verdict"] or lv.get("job_left"):
            if not (lv["verdict"] == "accepted" and prediction == "accepted"):
                assert r["id"] in selected, r["id"]  # disagreements, crashes, jobs left, environment failures
        else:
            answers.add((live.family(r["id"]), harness.normalise(lv.get("message"))))
    asked = {(live.family(r["id"]), harness.normalise(r["libvirt"].get("message"))) for r in records
             if r["id"] in selected and r["libvirt"]["verdict"] == "rejected"}
    assert answers <= asked
    families = {live.family(r["id"]) for r in records if r["libvirt"]["verdict"] == "accepted"}
    assert families <= {live.family(r["id"]) for r in records if r["id"] in selected
                        and r["libvirt"]["verdict"] == "accepted"}


def test_sample_all_asks_everything(monkeypatch):
    monkeypatch.setenv("MIGLINT_LIVE_SAMPLE", "all")
    assert live.sample_fraction(0.1) == 1.0 and live.rejected_fraction(0.25) == 1.0
    monkeypatch.setenv("MIGLINT_LIVE_SAMPLE", "0.5")
    assert live.sample_fraction(0.1) == 0.5 and live.rejected_fraction(0.25) == 0.25
