"""Repeated JSON Lines shapes are written from templates: the output must equal the ordinary path's."""

from __future__ import annotations

import json

import pytest

from miglint.cli.app import main

LINES = [
    {"id": "a", "hypervisor": "qemu", "state": "running", "flags": ["LIVE", "PEER2PEER"]},
    {"id": "b", "hypervisor": "qemu", "state": "running", "flags": ["LIVE", "PEER2PEER"]},
    {"id": "c", "hypervisor": "vz", "state": "running", "flags": ["PEER2PEER", "COMPRESSED"]},
    {"id": "d", "hypervisor": "vz", "state": "running", "flags": ["PEER2PEER", "COMPRESSED"]},
    {"id": "e \"quoted\" \\ é", "hypervisor": "vz", "state": "running", "flags": ["PEER2PEER", "COMPRESSED"]},
    {"id": "f", "hypervisor": "qemu", "state": "shutoff", "flags": ["OFFLINE", "PEER2PEER"]},
    {"id": "g", "hypervisor": "qemu", "state": "shutoff", "flags": ["OFFLINE", "PEER2PEER"],
     "ignore": [{"rule": "Q053", "reason": "defined by hand"}]},
    {"hypervisor": "qemu", "state": "running", "flags": ["LIVE", "PEER2PEER"]},
    {"id": "h", "hypervisor": "qemu", "state": "running", "flags": ["LIVE", "PEER2PEER"], "domain": "h"},
    {"id": "i", "hypervisor": "qemu", "state": "running", "command": "virsh migrate --live --p2p i qemu+ssh://d/system"},
    {"id": "j", "hypervisor": "qemu", "state": "running", "command": "virsh migrate --live --p2p i qemu+ssh://d/system"},
    {"id": 7, "hypervisor": "qemu", "state": "running", "flags": ["LIVE", "PEER2PEER"]},
]


def write_plan(path, repeat):
    rows = []
    for n in range(repeat):
        for entry in LINES:
            e = dict(entry)
            if isinstance(e.get("id"), str):
                e["id"] = f"{e['id']}-{n}"
            rows.append(json.dumps(e, ensure_ascii=False))
        rows.append("")  # a blank line
        rows.append('{"id": "x", "id": "y", "hypervisor": "qemu", "state": "running", "flags": ["LIVE"]}')
        rows.append("not json")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_same_output_with_and_without_templates(tmp_path, fmt, capsys):
    plan = tmp_path / "plan.jsonl"
    write_plan(plan, repeat=5)
    fast, slow = tmp_path / "fast.out", tmp_path / "slow.out"
    # The text reporter cannot render templates, so adding it turns the shortcut off.
    code_fast = main(["check", str(plan), "-f", fmt, "-o", str(fast)])
    code_slow = main(["check", str(plan), "-f", fmt, "-o", str(slow), "-f", f"text={tmp_path / 'report.txt'}"])
    assert code_fast == code_slow == 2  # the "not json" lines and those with two ids are input errors
    assert fast.read_text(encoding="utf-8") == slow.read_text(encoding="utf-8")
    if fmt == "json":
        summary = json.loads(fast.read_text(encoding="utf-8"))["summary"]
        assert summary["requests"] == 5 * len(LINES) and summary["input_errors"] == 5 * 2


def test_templates_are_used(tmp_path, monkeypatch):
    from miglint import jsonl_templates as linememo

    plan = tmp_path / "plan.jsonl"
    write_plan(plan, repeat=20)
    hits = []
    original = linememo.LineMemo.seen_text

    def counting(self, text, line):
        found = original(self, text, line)
        hits.append(found)
        return found
    monkeypatch.setattr(linememo.LineMemo, "seen_text", counting)
    main(["check", str(plan), "-f", "jsonl", "--json-schema-version", "1", "-o", str(tmp_path / "out.jsonl")])
    assert sum(hits) >= 19 * 6  # repeated shapes after the first round are written without parsing
