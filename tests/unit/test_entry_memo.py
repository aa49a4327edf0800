"""JSON Lines entries written from known outcomes (entry_memo): the output is the ordinary path's, byte for byte,
for realistic plans and odd entries alike; the table of outcomes stays bounded."""

from __future__ import annotations

import importlib.util
import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from miglint import entry_memo
from miglint.cli.app import main

_spec = importlib.util.spec_from_file_location(
    "miglint_bench_fleet_gen_memo", Path(__file__).resolve().parents[2] / "benchmarks" / "fleet_gen.py")
assert _spec is not None and _spec.loader is not None
fleet_gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fleet_gen)

ODD = [
    {"hypervisor": "qemu", "state": "running", "flags": ["LIVE", "PEER2PEER"]},  # no id: named by its line
    {"id": None, "hypervisor": "qemu", "state": "running", "flags": ["LIVE", "PEER2PEER"]},
    {"id": 7, "hypervisor": "qemu", "state": "running", "flags": ["LIVE", "PEER2PEER"]},
    {"id": 7.5, "hypervisor": "qemu", "state": "running", "flags": ["LIVE", "PEER2PEER"]},
    {"id": True, "hypervisor": "qemu", "state": "running", "flags": ["LIVE", "PEER2PEER"]},
    {"id": "é \"q\" \\", "hypervisor": "vz", "state": "running", "flags": ["PEER2PEER", "COMPRESSED"]},
    {"id": "f", "hypervisor": "qemu", "state": "running", "flags": 3},
    {"id": "g", "hypervisor": "qemu", "state": "running", "flags": "LIVE|PEER2PEER"},
    {"id": "h", "hypervisor": "qemu", "state": "running", "flags": ["live", "VIR_MIGRATE_PEER2PEER"]},
    {"id": "i", "hypervisor": "qemu", "state": "running", "flags": ["LIVEE"]},
    {"id": "j", "hypervisor": "qemu", "state": "Running", "flags": ["LIVE"]},
    {"id": "k", "hypervisor": "kvm", "state": "running", "flags": ["LIVE"]},
    {"id": "l", "hypervisor": "qemu", "libvirt_version": 9.0, "flags": ["LIVE"]},
    {"id": "m", "hypervisor": "qemu", "libvirt_version": "10.0.0", "state": "running", "flags": ["LIVE", "PEER2PEER"],
     "params": {"migrate_disks": ["vda"]}},
    {"id": "n", "hypervisor": "qemu", "state": "running", "flags": ["LIVE"], "params": {"bandwidth": -1}},
    {"id": "o", "hypervisor": "qemu", "state": "running", "flags": ["LIVE"], "params": {"VIR_MIGRATE_PARAM_BANDWIDTH": 5}},
    {"id": "p", "hypervisor": "qemu", "state": "running", "flags": ["LIVE"], "params": {"compression": []}},
    {"id": "q", "hypervisor": "qemu", "state": "running", "flags": ["LIVE", "COMPRESSED", "PEER2PEER"],
     "params": {"compression": ["mt", "mt"]}},
    {"id": "r", "hypervisor": "libxl", "state": "running", "flags": ["LIVE", "PEER2PEER"],
     "params": {"migrate_uri": "tcp://:4000"}},  # its message shows the URI
    {"id": "s", "hypervisor": "qemu", "state": "running", "flags": ["LIVE", "PEER2PEER", "POSTCOPY", "POSTCOPY_RESUME"],
     "facts": {"domain.postcopy_failed": False}, "domain": "web-9"},  # its message shows the domain
    {"id": "t", "hypervisor": "qemu", "state": "running", "flags": ["LIVE", "PEER2PEER"], "facts": {"domain.snapshots": 2}},
    {"id": "u", "hypervisor": "qemu", "state": "running", "flags": ["LIVE", "PEER2PEER"], "host": {"migrate_tls_force": True}},
    {"id": "v", "hypervisor": "qemu", "state": "running", "flags": ["LIVE", "PEER2PEER"], "qemu_version": "9.2.0",
     "params": {"compression": ["mt"]}},
    {"id": "w", "hypervisor": "qemu", "state": "running", "flags": ["LIVE", "PEER2PEER"], "facts": {"domain.snapshots": "2"}},
    {"id": "x", "hypervisor": "qemu", "state": "running", "command": "virsh migrate --live --p2p x qemu+ssh://d/system"},
    {"id": "y", "hypervisor": "qemu", "state": "shutoff", "flags": ["OFFLINE", "PEER2PEER"],
     "ignore": [{"rule": "Q053", "reason": "by hand"}]},
    {"id": "z", "hypervisor": "qemu", "flags": ["LIVE", "PEER2PEER"], "desturi": "qemu+ssh://localhost/system"},
    {"id": "z2", "hypervisor": "qemu", "flags": ["OFFLINE", "PERSIST_DEST"], "desturi": "qemu:///system", "mode": "p2p"},
    {"id": "z3", "hypervisor": "qemu", "state": None, "mode": None, "flags": ["LIVE"], "domain": None},
    {"id": "z4", "hypervisor": "qemu", "flags": ["LIVE"], "flgs": []},
    {"id": "z5", "hypervisor": "qemu", "flags": ["LIVE"], "params": {"destination_name": ""}, "libvirt_version": "11.3.0"},
]


def write_plan(path: Path, rounds: int, realistic: int) -> None:
    rng = random.Random(5)
    lines = [json.dumps(e, ensure_ascii=False) for e in fleet_gen.entries(realistic, seed=3)]
    for n in range(rounds):
        for e in ODD:
            e = dict(e)
            if isinstance(e.get("id"), str):
                e["id"] = f"{e['id']}-{n % 3}"  # ids repeat: notes M006
            lines.append(json.dumps(e, ensure_ascii=False))
        lines += ["", "not json", '{"id": "dup", "id": "dup2", "hypervisor": "qemu", "flags": ["LIVE"]}']
    rng.shuffle(lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def outputs(tmp_path: Path, plan: Path, fmt: str, *extra: str) -> tuple[str, str]:
    fast, slow = tmp_path / "fast.out", tmp_path / "slow.out"
    code_fast = main(["check", str(plan), "-f", fmt, "-o", str(fast), *extra])
    # A text report too: the memo steps aside, every entry goes the ordinary way.
    code_slow = main(["check", str(plan), "-f", fmt, "-o", str(slow), "-f", f"text={tmp_path / 'r.txt'}", *extra])
    assert code_fast == code_slow
    return fast.read_text(encoding="utf-8"), slow.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_same_output_as_the_ordinary_path(tmp_path, fmt, monkeypatch):
    plan = tmp_path / "plan.jsonl"
    write_plan(plan, rounds=6, realistic=1500)
    served = []
    original = entry_memo.EntryMemo.seen

    def counting(self, text, entry, line):
        got = original(self, text, entry, line)
        served.append(got)
        return got
    monkeypatch.setattr(entry_memo.EntryMemo, "seen", counting)
    by_text = []
    original_text = entry_memo.EntryMemo.seen_text

    def counting_text(self, text, line):
        got = original_text(self, text, line)
        by_text.append(got)
        return got
    monkeypatch.setattr(entry_memo.EntryMemo, "seen_text", counting_text)
    fast, slow = outputs(tmp_path, plan, fmt)
    assert fast == slow
    assert sum(served) > 500  # many realistic entries share an outcome with an earlier one
    assert sum(by_text) > 20  # lines that differ only in their id, written without being parsed
    assert fast.count('"M006"') > 50


def test_same_output_with_settings_and_a_small_table(tmp_path, monkeypatch):
    monkeypatch.setattr(entry_memo, "MAX_KEYS", 8)
    monkeypatch.setattr(entry_memo, "MAX_BYTES", 3000)
    plan = tmp_path / "plan.jsonl"
    write_plan(plan, rounds=3, realistic=800)
    (tmp_path / "c.yaml").write_text("severity: {Q053: warning, Z002: info}\ndisable: [Z011]\nstate: paused\n"
                                     "libvirt-version: '9.0.0'\n")
    fast, slow = outputs(tmp_path, plan, "json", "--config", str(tmp_path / "c.yaml"), "--fail-on", "warning")
    assert fast == slow


ENTRY = st.fixed_dictionaries({
    "hypervisor": st.sampled_from(["qemu", "vz", "libxl"]),
    "flags": st.lists(st.sampled_from(["LIVE", "PEER2PEER", "OFFLINE", "PERSIST_DEST", "TUNNELLED", "TLS",
                                       "COMPRESSED", "PARALLEL", "POSTCOPY", "NON_SHARED_DISK"]), max_size=4),
}, optional={
    "state": st.sampled_from(["running", "paused", "shutoff", "unknown"]),
    "libvirt_version": st.sampled_from(["9.0.0", "11.3.0", "10.0.0"]),
    "mode": st.sampled_from(["managed", "p2p", "direct"]),
    "params": st.dictionaries(st.sampled_from(["bandwidth", "destination_name", "migrate_uri", "parallel.connections",
                                               "compression", "migrate_disks", "disks_port"]),
                              st.one_of(st.integers(-1, 2**40), st.sampled_from(["", "x", "tcp://:5", "unix:/s"]),
                                        st.lists(st.sampled_from(["mt", "vda", "zlib"]), max_size=3)), max_size=3),
    "domain": st.sampled_from(["web-1", "web-2", "Domain-0"]),
    "desturi": st.sampled_from(["qemu+ssh://a/system", "qemu+ssh://b/system", "qemu:///system", "xen+ssh://a/system"]),
    "qemu_version": st.sampled_from(["7.2", "9.1.0", "10.0"]),
})


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
          derandomize=True)
@given(st.lists(ENTRY, min_size=1, max_size=12), st.integers(2, 4))
def test_random_entries(tmp_path, entries, rounds):
    plan = tmp_path / "plan.jsonl"
    lines = [json.dumps({"id": f"e{i}-{n}", **e}) for n in range(rounds) for i, e in enumerate(entries)]
    plan.write_text("\n".join(lines) + "\n")
    fast, slow = outputs(tmp_path, plan, "jsonl")
    assert fast == slow
