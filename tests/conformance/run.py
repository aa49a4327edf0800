"""Conformance with a real libvirt (9.0.0, or 7.0.0, 11.3.0, 12.8.0 with --libvirt X), from the command line.

  .venv/bin/python tests/conformance/run.py record [--jobs N] [--reuse]   ask libvirt about every case, write the fixture
  .venv/bin/python tests/conformance/run.py replay                       compare the fixture with miglint (no libvirt)
  .venv/bin/python tests/conformance/run.py live [--all] [--jobs N]      the live run CI makes (subset), with drift check
Each takes --libvirt 9.0.0 (default: this machine's packages), 7.0.0, 11.3.0 or 12.8.0 (Debian chroots:
tests/conformance/chroot.sh bullseye|trixie|sid builds them).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance import cases as case_gen  # noqa: E402
from conformance import fixture, harness  # noqa: E402


def cmd_record(args: argparse.Namespace) -> int:
    target = harness.target(args.libvirt)
    reason = target.unavailable()
    if reason:
        print("cannot record:", reason, file=sys.stderr)
        return 2
    cases = case_gen.generate()
    old: dict[str, dict] = {}
    old_header: dict | None = None
    if args.reuse and target.fixture.exists():
        old_header, records = fixture.load(target.fixture)
        old = {r["id"]: r for r in records}
    todo = [c for c in cases if c["id"] not in old or old[c["id"]]["case"] != fixture.case_body(c)
            or (args.only and any(c["id"].startswith(p) for p in args.only))]
    print(f"{len(cases)} cases, {len(todo)} to ask libvirt ({args.jobs} oracle(s))", file=sys.stderr)
    t0 = time.monotonic()
    setup, answers = harness.run_cases(todo, jobs=args.jobs, timeout=args.timeout,
                                       progress=harness.iter_progress(), target=target)
    records = []
    for c in cases:
        if c["id"] in answers:
            records.append(fixture.make_record(c, answers[c["id"]]))
        elif c["id"] in old:
            records.append(old[c["id"]])
    header = {
        "schema": fixture.SCHEMA, "libvirt_version": setup.get("libvirt_version", target.version),
        "qemu_version": setup.get("qemu_version") or (old_header or {}).get("qemu_version"),
        "packages": target.installed_versions(), "distribution": target.distro,
        "generator": {"module": "tests/conformance/cases.py", "version": case_gen.GENERATOR_VERSION,
                      "seed": case_gen.SEED, "cases": len(cases)},
        "hypervisor": "qemu (TCG)", "cases": len(records),
    }
    fixture.save(header, records, target.fixture)
    print(f"wrote {target.fixture} ({len(records)} cases) in {time.monotonic() - t0:.0f} s", file=sys.stderr)
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from conformance import compare

    target = harness.target(args.libvirt)
    header, records = fixture.load(target.fixture)
    summary = compare.compare_all(records, libvirt_version=target.version, qemu_version=header.get("qemu_version"))
    text = summary.text()
    print(text, end="")
    compare.SUMMARY_FILE.write_text(text)
    ok = not summary.verdict_disagreements and not summary.unexplained_messages
    return 0 if ok else 1


def cmd_live(args: argparse.Namespace) -> int:
    from conformance import compare, live
    from miglint.policy.load import load_policies

    target = harness.target(args.libvirt)
    reason = target.unavailable()
    if reason:
        print("cannot run live:", reason, file=sys.stderr)
        return 2
    header, records = fixture.load(target.fixture)
    result = live.run(records, load_policies(use_cache=False), jobs=args.jobs,
                      fraction=1.0 if args.all else None, progress=harness.iter_progress(), target=target,
                      qemu_version=header.get("qemu_version"))
    assert result.summary is not None
    text = result.summary.text()
    print(text, end="")
    compare.SUMMARY_FILE.write_text(text)
    ok = not (result.drift or result.summary.verdict_disagreements or result.summary.unexplained_messages)
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="ask libvirt about every generated case and write the fixture")
    rec.add_argument("--jobs", type=int, default=1, help="oracles side by side (each: two daemons)")
    rec.add_argument("--timeout", type=float, default=60.0)
    rec.add_argument("--reuse", action="store_true", help="keep recorded answers of unchanged cases")
    rec.add_argument("--only", nargs="*", help="ask again about cases whose id starts with one of these")
    rp = sub.add_parser("replay", help="compare the recorded answers with miglint (no libvirt needed)")
    lv = sub.add_parser("live", help="ask libvirt again (every rejection, a sample of acceptances), check drift")
    lv.add_argument("--all", action="store_true", help="every recorded case, not a sample of the accepted ones")
    lv.add_argument("--jobs", type=int, default=2)
    for p in (rec, rp, lv):
        p.add_argument("--libvirt", default="9.0.0", choices=sorted(harness.TARGETS),
                       help="which libvirt to ask or compare with")
    args = ap.parse_args(argv)
    if args.command == "record":
        return cmd_record(args)
    if args.command == "replay":
        return cmd_replay(args)
    if args.command == "live":
        return cmd_live(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
