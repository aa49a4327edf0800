"""fix does what check says: after `fix --in-place --unsafe-fixes`, check finds no finding a fix could
address; fixing again changes nothing; safe fixes alone leave exactly what needs --unsafe-fixes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = [ROOT / "tests/data/fixes", ROOT / "tests/data/runbooks", ROOT / "examples/evacuate.sh",
          ROOT / "examples/fleet.plan.yaml", ROOT / "tests/data/mixed.plan.yaml"]


def miglint(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "miglint", *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    where = tmp_path / "corpus"
    where.mkdir()
    for src in CORPUS:
        if src.is_dir():
            shutil.copytree(src, where / src.name)
        else:
            shutil.copy(src, where / src.name)
    return where


@pytest.fixture
def acme(tmp_path: Path) -> Path:
    """ACME's organisation policy stands in for qemu: its fixes are applied like libvirt's own."""
    where = tmp_path / "acme"
    where.mkdir()
    shutil.copy(ROOT / "tests/data/fixes/org.sh", where)
    (where / ".miglint.yaml").write_text(f"policy-dirs: [{ROOT / 'examples/policies'}]\n"
                                         "replace: {qemu: acme-qemu}\n")
    return where


def fixable_findings(cwd: Path) -> list[tuple[str, str]]:
    proc = miglint("check", "--format", "json", "--json-schema-version", "1", "--exit-zero", ".", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["errors"] == []
    out = []
    for r in doc["results"]:
        for f in r["findings"]:
            fx = f["fix"]
            if f["depends_on"]:
                continue  # a fix is never guessed for what holds only for some value of a missing fact
            if any(fx[k] for k in ("add_flags", "remove_flags", "add_options", "remove_options", "remove_params",
                                   "set_params")):
                out.append((f"{r['location']['file']}:{r['location']['line']}", f["rule"]))
    return out


@pytest.mark.parametrize("which, rules", [("corpus", {"Q053", "A006", "Z002", "Z005", "Z011"}),
                                          ("acme", {"ACME001", "ACME003"})])
def test_after_fixing_check_finds_nothing_a_fix_could_address(which, rules, request):
    where = request.getfixturevalue(which)
    before = fixable_findings(where)
    assert rules <= {r for _, r in before}
    fixed = miglint("fix", "--in-place", "--unsafe-fixes", ".", cwd=where)
    assert fixed.returncode in (0, 1) and "miglint: error" not in fixed.stderr, fixed.stderr
    assert fixable_findings(where) == []
    snapshot = {p: p.read_bytes() for p in where.rglob("*") if p.is_file()}
    again = miglint("fix", "--in-place", "--unsafe-fixes", ".", cwd=where)
    assert "fixed 0 request(s) in 0 file(s)" in again.stderr
    assert {p: p.read_bytes() for p in where.rglob("*") if p.is_file()} == snapshot


def test_a_fix_that_would_trade_one_refusal_for_another_is_left_to_a_person(acme):
    # ACME wants --tls; with --tunnelled libvirt refuses TLS (Q107), which no fix here resolves
    (acme / "tunnel.sh").write_text("virsh migrate --live --p2p --tunnelled db qemu+ssh://kvm-08/system\n")
    proc = miglint("fix", "--unsafe-fixes", "tunnel.sh", cwd=acme)
    assert proc.returncode == 1 and proc.stdout == ""
    assert "tunnel.sh:1:1: still failing: ACME001" in proc.stderr
    assert "ACME001: fix by hand: add --tls" in proc.stderr


def test_commands_inside_strings_another_shell_runs_are_fixed(corpus):
    proc = miglint("fix", "--diff", "fixes/remote.sh", cwd=corpus)
    assert proc.returncode == 1
    assert "+ssh root@kvm-07 'virsh migrate --persistent --offline vm1 qemu+ssh://kvm-08/system'" in proc.stdout
    assert '+bash -c "virsh migrate --p2p --live --tunnelled vm2 qemu+ssh://kvm-08/system"' in proc.stdout
    assert '+ssh root@vz-03 "virsh migrate --p2p ct-1 vz+ssh://vz-04/system"' in proc.stdout


def test_safe_fixes_leave_what_needs_unsafe_fixes_and_say_so(corpus, acme):
    proc = miglint("fix", "--in-place", ".", cwd=acme)
    assert proc.returncode == 1 and proc.stdout == ""
    # ACME003's fix is safe (add --persistent); ACME001's is not (add --tls): said with the way to apply it
    text = (acme / "org.sh").read_text()
    assert "migrate --persistent --live --p2p --tls --undefinesource app" in text
    assert "migrate --live --p2p web" in text
    assert ("org.sh:4:1: still failing: ACME001; an unsafe fix would add --tls (then: accepted): "
            "run with --unsafe-fixes to apply it") in proc.stderr
    proc = miglint("fix", "--in-place", ".", cwd=corpus)
    assert proc.returncode == 1 and proc.stdout == ""
    # examples/evacuate.sh: --persistent added, vz's --compressed dropped; --tunnelled with --copy-storage-all
    # and --postcopy needs a decision (an unsafe fix)
    evac = (corpus / "evacuate.sh").read_text()
    assert 'migrate --persistent --offline "$dom"' in evac and "--compressed" not in evac
    assert "evacuate.sh:29:3: still refused: Q051, Q056; an unsafe fix would remove --tunnelled" in proc.stderr
    assert "no safe fix" not in proc.stderr


def test_fix_reads_the_configuration(tmp_path):
    (tmp_path / "a.sh").write_text("virsh migrate --offline vm qemu+ssh://h/system\n")
    (tmp_path / ".miglint.yaml").write_text("hypervisor: qemu\nstate: shutoff\ndisable: [Q053]\n")
    proc = miglint("fix", "a.sh", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == ""  # Q053 is disabled: nothing to fix
    (tmp_path / ".miglint.yaml").write_text("hypervisor: qemu\nstate: runing\n")
    proc = miglint("fix", "a.sh", cwd=tmp_path)
    assert proc.returncode == 2 and "did you mean 'running'?" in proc.stderr


def test_json_and_text_say_the_same_fix(corpus):
    doc = json.loads(miglint("check", "--format", "json", "--json-schema-version", "1", "--exit-zero", "fleet.plan.yaml", cwd=corpus).stdout)
    text = miglint("check", "--exit-zero", "fleet.plan.yaml", cwd=corpus).stdout
    said = [(f["rule"], f["fix"]["text"]) for r in doc["results"] for f in r["findings"]]
    assert said and all(t for _, t in said)
    for rule, words in said:
        assert f"fix: {words}" in text, rule
    z002 = next(f for r in doc["results"] for f in r["findings"] if f["rule"] == "Z002")
    assert z002["fix"]["safe"] is True and z002["fix"]["text"] == "remove --compressed"
