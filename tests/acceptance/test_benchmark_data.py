"""The benchmark's data is what it claims to be (no timing here: benchmarks/run.py measures).

Realistic plans are seeded, every entry is its own VM, and no line repeats another apart from its id (so no
cache keyed by a line's shape or a whole request can serve them); the API requests never repeat either, and
the Rego peer gets the same request."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from miglint import check_request

# Loaded from its file under its own name: benchmarks/ is not a package and stays off sys.path.
_spec = importlib.util.spec_from_file_location(
    "miglint_bench_fleet_gen", Path(__file__).resolve().parents[2] / "benchmarks" / "fleet_gen.py")
assert _spec is not None and _spec.loader is not None
fleet_gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fleet_gen)


def test_plans_are_seeded(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    fleet_gen.write(str(a), 500)
    fleet_gen.write(str(b), 500)
    fleet_gen.write(str(c), 500, seed=1)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()


def test_no_line_repeats_another_apart_from_its_id() -> None:
    entries = list(fleet_gen.entries(3000))
    assert len({e["id"] for e in entries}) == len(entries)
    shapes = {json.dumps({k: v for k, v in e.items() if k != "id"}, sort_keys=True) for e in entries}
    assert len(shapes) == len(entries)


def test_the_mix() -> None:
    entries = list(fleet_gen.entries(5000))
    n = len(entries)

    def share(pred: object) -> float:
        return sum(1 for e in entries if pred(e)) / n  # type: ignore[operator]

    assert 0.70 < share(lambda e: e["hypervisor"] == "qemu") < 0.80
    assert 0.08 < share(lambda e: "state" not in e) < 0.16
    assert 0.10 < share(lambda e: "libvirt_version" not in e) < 0.20
    assert 0.17 < share(lambda e: "destination_name" in e.get("params", {})) < 0.23
    bandwidths = {e["params"]["bandwidth"] for e in entries if "bandwidth" in e.get("params", {})}
    assert len(bandwidths) > 500
    assert share(lambda e: "migrate_disks" in e.get("params", {})) > 0.03
    several = 0
    for e in entries[:1000]:
        r = check_request(e["hypervisor"], state=e.get("state"), libvirt_version=e.get("libvirt_version"),
                          flags=e["flags"], params=e.get("params"), domain=e["domain"], desturi=e["desturi"],
                          facts={**e.get("facts", {}), **{"host." + k: v for k, v in e.get("host", {}).items()},
                                 **({"qemu.version": e["qemu_version"]} if "qemu_version" in e else {})} or None)
        several += len({f.rule for f in r.findings}) >= 2
    assert 0.06 < several / 1000 < 0.18


def test_api_requests_never_repeat_and_mostly_use_common_flag_sets() -> None:
    reqs = fleet_gen.api_requests(4000)
    assert reqs == fleet_gen.api_requests(4000)
    assert len({r["params"]["destination_name"] for r in reqs}) == len(reqs)
    assert all(r["hypervisor"] == "qemu" and r["libvirt_version"] == "9.0.0" and r.get("state") for r in reqs)
    common = [sorted(f) for f, _ in fleet_gen.QEMU_COMMON.values()]
    common += [sorted(set(f) - {"UNDEFINE_SOURCE"}) for f, _ in fleet_gen.QEMU_COMMON.values()]
    common += [["OFFLINE", "PERSIST_DEST"]]
    assert 0.72 < sum(sorted(r["flags"]) in common for r in reqs) / len(reqs) < 0.82


def test_rego_input_is_the_same_request() -> None:
    req = {"hypervisor": "qemu", "state": "paused", "libvirt_version": "9.0.0", "flags": ["LIVE", "PEER2PEER"],
           "params": {"destination_name": "web-0001-m0", "bandwidth": 100}, "domain": "web-0001.dc1"}
    assert fleet_gen.rego_input(req) == {
        "state": "paused", "mode": "p2p", "flags": ["VIR_MIGRATE_LIVE", "VIR_MIGRATE_PEER2PEER"],
        "params": {"destination_name": "web-0001-m0", "bandwidth": 100}, "domain": "web-0001.dc1"}
    assert fleet_gen.rego_input({**req, "flags": ["LIVE"]})["mode"] == "managed"
    assert check_request(**req).request.mode == "p2p"
    assert check_request(**{**req, "flags": ["LIVE"]}).request.mode == "managed"
