"""Limits: alias bombs, deep nesting and oversized files are refused quickly, in bounded memory, with a message.

Times are asserted generously (2 s; the refusals take milliseconds, see README "Bad input"); memory is the
peak resident size (VmHWM) of a subprocess that runs ``miglint check``, compared with the same run on a
tiny plan.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from miglint import config as cfg
from miglint import yamlload
from miglint.cli.app import main
from miglint.errors import UserError
from miglint.inputs import plan
from miglint.policy.load import load_documents
from miglint.model import Job
from miglint.settings import Defaults

FAST = 2.0  # seconds
ENTRY = '{"id": "a", "hypervisor": "qemu", "state": "running", "flags": ["LIVE", "PEER2PEER"]}'
POLICY = "schema: miglint-policy/1\nname: acme\nkind: driver\nextends: qemu\nstatus: organisation\nrules: []\n"


def bomb(levels: int = 9, width: int = 10, indent: str = "") -> str:
    """A "billion laughs": width**levels nodes once expanded (10**9), in about 500 bytes."""
    lines = [f"{indent}a0: &a0 [{', '.join(['lol'] * width)}]"]
    lines += [f"{indent}a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def quadratic(size: int = 1 << 16, uses: int = 1100) -> str:
    """One long string used many times: little text, a lot of expanded text."""
    return f"s: &s {'x' * size}\nl: [{', '.join(['*s'] * uses)}]\n"


def chain(levels: int = 150) -> str:
    """A subtree first met shallow, then reused deep: depth 2 * levels in a document that looks shallow."""
    return (f"a: &x {'[' * levels}1{']' * levels}\n"
            f"b: {'[' * levels}*x{']' * levels}\n"
            "c: *x\n")


def timed(fn, *args):
    t = time.perf_counter()
    try:
        fn(*args)
    except UserError as e:
        return time.perf_counter() - t, str(e)
    return time.perf_counter() - t, None


# -- YAML: plans, configuration files and policies share one loader -----------------------------------------------

YAML_BAD = {
    "billion-laughs": (bomb(), "too large once its aliases are expanded (over"),
    "quadratic-blowup": (quadratic(), "characters of text"),
    "recursive-alias": ("a: &a [1, *a]\n", "document contains itself (a recursive alias)"),
    "reused-subtree-deeper": (chain(), "nested too deeply (more than 200 levels)"),
    "deep-flow": ("a: " + "[" * 100_000 + "]" * 100_000 + "\n", "YAML nested too deeply"),
    "deep-block": ("a:\n  " + "- " * 1500 + "1\n", "YAML nested too deeply"),
    "deep-under-libyaml": ("a: " + "[" * 300 + "]" * 300 + "\n", "nested too deeply (more than 200 levels)"),
}


@pytest.mark.parametrize("name", YAML_BAD)
def test_yaml_plan_refused_quickly(name, policies, tmp_path):
    text, message = YAML_BAD[name]
    data = text.encode()
    elapsed, _ = timed(lambda: list(plan.yaml_jobs(data, "p.plan.yaml", policies, Defaults())))
    items = list(plan.yaml_jobs(data, "p.plan.yaml", policies, Defaults()))
    assert len(items) == 1 and isinstance(items[0], UserError) and message in str(items[0]), items
    assert str(items[0]).startswith("p.plan.yaml")
    assert elapsed < FAST


@pytest.mark.parametrize("name", YAML_BAD)
def test_yaml_config_refused_quickly(name, tmp_path):
    text, message = YAML_BAD[name]
    path = tmp_path / ".miglint.yaml"
    path.write_text(text)
    elapsed, error = timed(cfg.read, path)
    assert error is not None and message in error and error.startswith(str(path))
    assert elapsed < FAST


@pytest.mark.parametrize("name", YAML_BAD)
def test_yaml_policy_refused_quickly(name, tmp_path):
    text, message = YAML_BAD[name]
    path = tmp_path / "acme.yaml"
    path.write_text(POLICY + text)
    elapsed, error = timed(load_documents, [path])
    assert error is not None and message in error and error.startswith(str(path)), error
    assert elapsed < FAST


def test_bounds_follow_the_document_size():
    """A large plain document is never mistaken for a bomb; the margin is for what aliases add."""
    flat = [0] * (yamlload.MAX_EXPANDED_NODES + 200_000)
    yamlload.check_bounds(flat, "big", text_size=2 * len(flat))  # "[0, 0, ...]": no aliases, accepted
    shared = [[0] * 1000] * 1200  # the same list 1200 times: 1.2 million nodes from a few kilobytes
    with pytest.raises(UserError, match="too large once its aliases are expanded"):
        yamlload.check_bounds(shared, "small", text_size=10_000)


def test_toml_config_nesting_refused(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.miglint]\ninclude = " + "[" * 10_000 + "]" * 10_000 + "\n")
    elapsed, error = timed(cfg.read, path)
    assert error == f"{path}: TOML nested too deeply" and elapsed < FAST


# -- JSON and JSON Lines --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,message", [
    ("[" * 100_000 + "]" * 100_000, "JSON nested too deeply (more than 200 levels)"),
    ("[" + "[" * 300 + "]" * 300 + "]", "document nested too deeply (more than 200 levels)"),
    ('[{"id": "a", "ignore": [{"rule": "Q053", "reason": ' + "[" * 900 + "]" * 900 + "}]}]",
     "document nested too deeply (more than 200 levels)"),
])
def test_json_plan_nesting_refused_quickly(text, message, policies):
    elapsed, _ = timed(lambda: list(plan.json_jobs(text.encode(), "p.plan.json", policies, Defaults())))
    items = list(plan.json_jobs(text.encode(), "p.plan.json", policies, Defaults()))
    assert [str(i) for i in items if isinstance(i, UserError)] == [f"p.plan.json: {message}"]
    assert elapsed < FAST


def test_jsonl_deep_line_refused_and_the_rest_checked(policies, tmp_path):
    path = tmp_path / "p.plan.jsonl"
    path.write_text(ENTRY + "\n" + "[" * 100_000 + "]" * 100_000 + "\n" +
                    '{"id": "b", "hypervisor": "qemu", "facts": {"domain.x": ' + "[" * 300 + "]" * 300 + "}}\n" +
                    ENTRY + "\n")
    t = time.perf_counter()
    with open(path, "rb") as fh:
        items = list(plan.jsonl_jobs(fh, "p.plan.jsonl", policies, Defaults()))
    assert time.perf_counter() - t < FAST
    assert [str(i) for i in items if isinstance(i, UserError)] == [
        "p.plan.jsonl:2: JSON nested too deeply", "p.plan.jsonl:3: document nested too deeply (more than 200 levels)"]
    assert sum(1 for i in items if isinstance(i, Job)) == 2


# -- sizes ---------------------------------------------------------------------------------------------------------------

def test_file_size_limit_from_config_and_option(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.plan.jsonl").write_text("".join(ENTRY.replace('"a"', f'"a{i}"') + "\n" for i in range(3)))
    (tmp_path / "a.plan.json").write_text("[" + ", ".join(ENTRY.replace('"a"', f'"a{i}"') for i in range(30)) + "]")
    (tmp_path / ".miglint.yaml").write_text("max-file-size: 1K\nmax-line-size: 64\n")
    assert main(["check", "a.plan.json", "a.plan.jsonl"]) == 2
    out = capsys.readouterr().out
    assert "a.plan.json: error: file larger than 1024 bytes (max-file-size)" in out
    assert "a.plan.jsonl:1: error: line longer than 64 bytes (max-line-size)" in out
    assert main(["check", "--max-file-size", "64KiB", "--max-line-size", "1K", "a.plan.json", "a.plan.jsonl"]) == 0
    assert main(["config", "show"]) == 0
    shown = capsys.readouterr().out
    assert "max-file-size = 1024" in shown and "max-line-size = 64" in shown


@pytest.mark.parametrize("value,size", [(65536, 65536), ("64K", 65536), ("64KiB", 65536), ("64kb", 65536),
                                        ("2M", 2 << 20), ("1GiB", 1 << 30), ("  12 ", 12)])
def test_sizes(value, size):
    assert cfg.parse_size(value) == size


@pytest.mark.parametrize("value", [0, -1, "0", "", "lots", "1T", "1.5M", "0x10"])
def test_bad_sizes(value):
    assert cfg.parse_size(value) is None


# -- memory: subprocesses, peak resident size ------------------------------------------------------------------------

PEAK = """
import sys
from miglint.cli.app import main
code = main(["check", "--no-config", *sys.argv[1:]])
peak = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print("PEAK", code, peak, file=sys.stderr)
"""


def _peak_kib(paths: list[str], cwd: Path) -> tuple[int, int, str]:
    proc = subprocess.run([sys.executable, "-c", PEAK, *paths], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "MIGLINT_NO_CACHE": "1"}, timeout=120)
    line = [x for x in proc.stderr.splitlines() if x.startswith("PEAK")][-1].split()
    return int(line[1]), int(line[2]), proc.stdout


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_memory_stays_bounded(tmp_path):
    (tmp_path / "small.plan.yaml").write_text(f"- {ENTRY}\n")
    (tmp_path / "bomb.plan.yaml").write_text(bomb())
    (tmp_path / "quadratic.plan.yaml").write_text(quadratic())
    (tmp_path / "deep.plan.json").write_text("[" * 100_000 + "]" * 100_000)
    with open(tmp_path / "endless.plan.jsonl", "wb") as fh:  # 64 MiB and not one newline
        chunk = b"x" * (1 << 20)
        for _ in range(64):
            fh.write(chunk)
    code, base, _ = _peak_kib(["small.plan.yaml"], tmp_path)
    assert code == 0
    code, peak, out = _peak_kib(["bomb.plan.yaml", "quadratic.plan.yaml", "deep.plan.json", "endless.plan.jsonl"],
                                tmp_path)
    assert code == 2 and out.count(": error: ") == 4, out
    assert peak - base < 48 * 1024, (base, peak)  # the 64 MiB line is never held at once
