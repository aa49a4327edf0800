"""Python orchestrators end to end: each file of the corpus (tests/data/python, one shape each) checked by
`miglint check`, with every call's prediction and findings (rule, severity, certain or depending) at the call's
line and column; a file without libvirt is never reported; directory walks take Python files that use libvirt;
suppressions in comments; a syntax error is an input error at its line and column."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from miglint.cli.app import main

DATA = Path(__file__).resolve().parents[1] / "data" / "python"

E, W = "error", "warning"
D = "depends"  # a finding that depends on a missing fact (its severity as the rule says)


def check(capsys, *args: str) -> tuple[int, dict]:
    code = main(["check", "--no-config", "--format", "json", "--json-schema-version", "1", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, json.loads(captured.out)


def calls(doc: dict) -> dict[tuple[int, int], tuple[str, list[tuple[str, str]]]]:
    """(line, column) of each call -> (prediction, [(rule, severity or "depends")] of its certain findings and,
    for a request with few, its depending ones)."""
    out = {}
    for r in doc["results"]:
        loc = r["location"]
        depending = [f for f in r["findings"] if f["depends_on"]]
        got = [(f["rule"], D if f["depends_on"] else f["severity"]) for f in r["findings"]
               if not f["depends_on"] or len(depending) <= 4]
        assert all(f["location"] == loc for f in r["findings"])  # every finding at the call
        out[(loc["line"], loc["column"])] = (r["prediction"], got)
    return out


# file -> {(line, column): (prediction, findings)}: what libvirt says of each call, every way through the code.
EXPECTED = {
    # Everything written in the call (migrateToURI3, and the old APIs whose fixed arguments are parameters).
    "constant_call.py": {(7, 5): ("accepted", []), (15, 5): ("accepted", []), (16, 5): ("accepted", [])},
    # Base LIVE|PEER2PEER and guarded |= in a helper on self: zero-copy without parallel where it is switched on.
    "guarded_flags.py": {(26, 9): ("depends", [("Q055", W), ("Q098", D), ("Q091", D), ("Q092", D), ("Q093", D)])},
    # oVirt VDSM's shape: eight options and a post-copy step (512 ways), params by VIR_MIGRATE_PARAM_* constants.
    "vdsm_like.py": {(49, 9): ("depends", [
        ("A002", W), ("Q086", W), ("Q040", W), ("Q102", W), ("Q106", W), ("Q105", W), ("Q051", W), ("Q055", W)])},
    # OpenStack Nova's shape: flags from configuration in attributes, `&= ~` afterwards, params by string key.
    "nova_like.py": {(32, 9): ("depends", [("Q056", W), ("Q059", W)])},
    # zstack's shape: a constant base, and MIGRATE_DISKS set apart from any NON_SHARED flag.
    "disks_apart.py": {(15, 5): ("depends", [("Q059", W)])},
    # virt-manager's shape: flags = 0 then guarded |=; migrateToURI3 when tunnelled, else migrate3.
    "virt_manager_like.py": {(20, 9): ("accepted", []), (22, 9): ("accepted", [])},
    # Flag names read from a TOML file and looked up with getattr: the request depends on them (never a guess);
    # a literal list of names is followed.
    "flags_from_data.py": {(17, 5): ("depends", []), (24, 5): ("accepted", [])},
    # isActive() read the wrong way round: LIVE goes to shut-off domains.
    "isactive_inverted.py": {(12, 9): ("depends", [("Q030", W)])},
    "isactive.py": {(11, 5): ("accepted", []), (17, 5): ("accepted", [])},
    # Without PEER2PEER, migrateToURI* is a direct migration, which qemu refuses on every way.
    "conditions.py": {(25, 5): ("rejected", [("A010", E), ("Q110", D)])},
    "shortcircuit.py": {(14, 5): ("rejected", [("A010", E)]), (19, 5): ("depends", [("A010", W)]),
                        (28, 5): ("depends", [("Q076", W), ("Q055", W)])},
    "old_apis.py": {(11, 5): ("accepted", []), (15, 5): ("accepted", []), (16, 5): ("accepted", []),
                    (20, 5): ("accepted", []), (21, 5): ("rejected", [("A010", E)]),
                    (28, 9): ("depends", []),  # inside a wrapper: its flags are an argument
                    (36, 5): ("accepted", [])},  # shlex.split of a literal: a virsh command line
    "postcopy_loop.py": {(17, 5): ("depends", [("Q090", D)]), (22, 5): ("depends", [])},
    # More than 512 ways: the call depends on the path taken; the next one is plain.
    "many_guards.py": {(27, 5): ("depends", []), (28, 5): ("rejected", [("A010", E)])},
    # A class of the code's own with a migrate method, and calls that cannot be libvirt's (no connection, a
    # string for one): only the libvirt call inside the method is read; its flags come from its callers.
    "own_methods.py": {(9, 9): ("depends", [])},
    # virsh run from Python: argv lists (built under a guard, `*extra`) and strings a shell reads.
    "subprocess_virsh.py": {(8, 5): ("accepted", []), (12, 5): ("depends", []), (16, 5): ("accepted", []),
                            (17, 5): ("accepted", []), (18, 5): ("rejected", [("Q053", E)])},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file(capsys, name):
    code, doc = check(capsys, str(DATA / name))
    assert doc["errors"] == [] and "notes" not in doc
    assert calls(doc) == EXPECTED[name]
    failing = any(sev == E for _, got in EXPECTED[name].values() for _, sev in got)
    assert code == (1 if failing else 0)


def test_the_corpus_covers_every_file():
    assert set(EXPECTED) | {"no_libvirt.py", "syntax_error.py", "suppressed.py"} == {p.name for p in DATA.glob("*.py")}


def test_a_guarded_flags_finding_names_its_conditions_and_where_flags_were_set(capsys):
    _, doc = check(capsys, str(DATA / "vdsm_like.py"))
    (result,) = doc["results"]
    assert result["depends_on"][0] == "path" and result["command"] == "self._dom.migrateToURI3(duri, params, " \
                                                                      "self._migration_flags())"
    q086 = next(f for f in result["findings"] if f["rule"] == "Q086")
    assert q086["message"] == ("when `self._compressed` and `self._parallel` (lines 25, 45): invalid argument: "
                               "No compression algorithm selected for parallel migration")
    assert [(r["location"]["line"], r["location"]["column"], r["message"]) for r in q086["related"]] == [
        (26, 13, "VIR_MIGRATE_COMPRESSED is set here"), (32, 13, "VIR_MIGRATE_PARALLEL is set here"),
        (25, 12, "this way: `self._compressed`"), (45, 12, "this way: `self._parallel`")]
    # In the helper, both through `self`, in another method than the call.
    q040 = next(f for f in result["findings"] if f["rule"] == "Q040")
    assert [r["location"]["line"] for r in q040["related"]] == [22, 44, 21]  # TUNNELLED, the URI param, the if


def test_flags_from_data_depend_never_refused(capsys):
    _, doc = check(capsys, str(DATA / "flags_from_data.py"))
    result = doc["results"][0]
    assert result["prediction"] == "depends" and result["depends_on"][0] == "values"
    assert result["findings"] and all(f["depends_on"] for f in result["findings"])
    direct = next(f for f in result["findings"] if f["rule"] == "A010")  # peer-to-peer only if the data says so
    assert direct["depends_on"] == ["values"] and direct["message"].startswith(
        "when the flags lack VIR_MIGRATE_PEER2PEER (line 17): ")


def test_a_file_without_libvirt_is_never_reported(capsys, tmp_path):
    code, doc = check(capsys, str(DATA / "no_libvirt.py"))
    assert (code, doc["results"], doc["errors"], doc["summary"]["requests"]) == (0, [], [], 0)
    shutil.copy(DATA / "no_libvirt.py", tmp_path / "db.py")
    (tmp_path / "broken.py").write_text("def f(:\n    db.migrate(x)\n")  # not ours: not even parsed
    code, doc = check(capsys, str(tmp_path))
    assert (code, doc["results"], doc["errors"]) == (0, [], [])


def test_a_directory_walk_takes_python_that_uses_libvirt(capsys, tmp_path):
    (tmp_path / "orchestrator").mkdir()
    (tmp_path / "tools").mkdir()
    shutil.copy(DATA / "disks_apart.py", tmp_path / "orchestrator" / "zstack.py")
    shutil.copy(DATA / "subprocess_virsh.py", tmp_path / "tools" / "run.py")
    shutil.copy(DATA / "no_libvirt.py", tmp_path / "tools" / "schema.py")
    (tmp_path / "tools" / "lazy.py").write_text(  # importlib by name (Nova's way)
        "import importlib\nlibvirt = importlib.import_module('libvirt')\n"
        "def go(dom):\n    dom.migrateToURI3('qemu+ssh://h/system', {}, libvirt.VIR_MIGRATE_TUNNELLED)\n")
    (tmp_path / "evacuate.sh").write_text("virsh migrate --offline db qemu+ssh://h/system\n")
    code, doc = check(capsys, str(tmp_path))
    got = {(Path(r["location"]["file"]).relative_to(tmp_path).as_posix(), r["location"]["line"]):
           sorted(f["rule"] for f in r["findings"] if not f["depends_on"]) for r in doc["results"]}
    assert got == {("evacuate.sh", 1): ["Q053"], ("orchestrator/zstack.py", 15): ["Q059"],
                   ("tools/lazy.py", 4): ["A010"], ("tools/run.py", 8): [], ("tools/run.py", 12): [],
                   ("tools/run.py", 16): [], ("tools/run.py", 17): [], ("tools/run.py", 18): ["Q053"]}
    assert code == 1 and doc["summary"]["requests"] == 8
    # The configuration's kinds leave Python out of a walk; a file named on the command line is still read.
    (tmp_path / ".miglint.yaml").write_text("kinds: [script]\n")
    code = main(["check", "--config", str(tmp_path / ".miglint.yaml"), "--format", "json", "--json-schema-version", "1", str(tmp_path),
                 str(tmp_path / "tools" / "lazy.py")])
    doc = json.loads(capsys.readouterr().out)
    assert sorted(Path(r["location"]["file"]).name for r in doc["results"]) == ["evacuate.sh", "lazy.py"]


def test_suppressions_in_python_comments(capsys):
    code, doc = check(capsys, str(DATA / "suppressed.py"))
    assert {loc: got for loc, got in calls(doc).items()} == {
        (6, 5): ("rejected", []), (7, 5): ("rejected", []), (8, 5): ("rejected", [("A010", E)]),
        (10, 5): ("rejected", []), (12, 5): ("rejected", [("A010", E)])}
    assert doc["summary"]["suppressed"] == 3
    assert [(n["rule"], n["location"]["line"], n["location"]["column"], n["message"]) for n in doc["notes"]] == [
        ("M002", 11, 5, "'ignore[]' names no rule"),
        ("M001", 7, 55, "suppression of Q052 matches no finding")]
    code, doc = check(capsys, "--no-suppress", str(DATA / "suppressed.py"))
    assert all(got == ("rejected", [("A010", E)]) for got in calls(doc).values())


def test_a_syntax_error_is_an_input_error_at_its_place(capsys, tmp_path):
    code = main(["check", "--no-config", str(DATA / "syntax_error.py")])
    captured = capsys.readouterr()
    assert code == 2 and "Traceback" not in captured.err
    assert f"{DATA / 'syntax_error.py'}:6:5: error: Python syntax error: invalid syntax" in captured.out
    (tmp_path / "bin.py").write_bytes(b"import libvirt\n\xff\xfe\n")
    code = main(["check", "--no-config", str(tmp_path / "bin.py")])
    out = capsys.readouterr().out
    assert code == 2 and "bin.py:2" in out and "UTF-8" in out


def test_state_and_hypervisor_said_around_the_call(capsys, tmp_path):
    (tmp_path / "m.py").write_text(
        "import libvirt\n"
        "def go(dom, dest):\n"
        "    # miglint: state=shutoff\n"
        "    dom.migrateToURI3(dest, {}, libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER)\n"
        "    dom.migrateToURI3('vz+ssh://h/system', {}, libvirt.VIR_MIGRATE_PEER2PEER | "
        "libvirt.VIR_MIGRATE_COMPRESSED)\n")
    code, doc = check(capsys, str(tmp_path / "m.py"))
    first, second = doc["results"]
    assert (first["state"], first["prediction"], [f["rule"] for f in first["findings"]]) == \
        ("shutoff", "rejected", ["Q030"])
    assert "'# miglint: state=shutoff' on line 3" in first["assumed"][-1]
    assert (second["hypervisor"], [f["rule"] for f in second["findings"] if not f["depends_on"]]) == ("vz", ["Z002"])


def test_a_file_in_the_encoding_it_declares(capsys, tmp_path):
    # PEP 263: Python reads a file in the encoding its first two lines declare; so does miglint.
    (tmp_path / "m.py").write_bytes(b"#!/usr/bin/python3\n# -*- coding: latin-1 -*-\nimport libvirt\n"
                                    b"def go(dom):\n    x = '\xe9'; dom.migrateToURI3('qemu+ssh://h/system', {}, 0)\n")
    code, doc = check(capsys, str(tmp_path / "m.py"))
    assert doc["errors"] == [] and calls(doc) == {(5, 14): ("rejected", [("A010", E)])}
