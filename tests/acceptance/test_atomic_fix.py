"""`miglint fix --in-place` killed at any moment leaves every file old or new, never partial.

200 scripts are fixed by a subprocess that is killed (SIGKILL) at several random moments while it writes;
afterwards every script must be byte-identical to its original or to its fully fixed version (computed by a
run that is not killed, on a copy), keep its permissions, and nothing that looks like a script or a plan
may be left behind. A leftover temporary file is allowed only under its own name, ``.NAME.*.miglint.tmp``,
which no lint pattern matches and directory walks skip.
"""

from __future__ import annotations

import fnmatch
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from miglint.inputs.files import InputFile, walk
from miglint.settings import DEFAULT_INCLUDE, Settings

pytestmark = pytest.mark.slow

FILES = 200
KILLS = 6


def _script(i: int) -> str:
    # Every line needs a fix (qemu: --offline needs --persistent; vz refuses --compressed); the lengths differ
    # so that a partial write would show.
    lines = ["#!/bin/sh", f"# host batch {i}", "set -e"]
    for j in range(1 + i % 7):
        lines.append(f"virsh migrate --offline vm-{i}-{j} qemu+ssh://kvm-{j:02d}/system  # {'x' * (i % 13)}")
        lines.append(f"virsh migrate --p2p --compressed ct-{i}-{j} vz+ssh://vz-{j:02d}/system")
    return "\n".join(lines) + "\n"


def _make(root: Path) -> dict[str, bytes]:
    root.mkdir()
    out = {}
    for i in range(FILES):
        p = root / f"batch-{i:03d}.sh"
        p.write_text(_script(i))
        p.chmod(0o750 if i % 2 else 0o644)
        out[p.name] = p.read_bytes()
    (root / "clean.sh").write_text("#!/bin/sh\necho nothing to migrate\n")
    out["clean.sh"] = (root / "clean.sh").read_bytes()
    return out


def _fix(root: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "miglint", "fix", "--in-place", "--state", "shutoff", str(root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "MIGLINT_NO_CACHE": "1"})


def test_fix_in_place_killed_at_random_moments(tmp_path):
    rng = random.Random(7)
    originals = _make(tmp_path / "orig")
    # The fixed versions, from a run that is not killed.
    shutil.copytree(tmp_path / "orig", tmp_path / "expected")
    t0 = time.perf_counter()
    proc = _fix(tmp_path / "expected")
    _, err = proc.communicate(timeout=300)
    duration = time.perf_counter() - t0
    assert proc.returncode in (0, 1), err
    fixed = {p.name: p.read_bytes() for p in (tmp_path / "expected").iterdir()}
    assert sum(fixed[n] != originals[n] for n in originals) == FILES and fixed["clean.sh"] == originals["clean.sh"]
    assert not [p for p in (tmp_path / "expected").iterdir() if p.name not in originals]

    partial_runs = 0
    for k in range(KILLS):
        work = tmp_path / f"run-{k}"
        shutil.copytree(tmp_path / "orig", work)
        first = work / "batch-000.sh"
        proc = _fix(work)
        # Wait until it writes (the first file in walk order changes), then let it go on for a random while.
        deadline = time.perf_counter() + duration * 3 + 30
        while first.read_bytes() == originals[first.name] and proc.poll() is None and time.perf_counter() < deadline:
            time.sleep(0.002)
        time.sleep(rng.uniform(0, duration * 0.8))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

        done = 0
        for name, old in originals.items():
            now = (work / name).read_bytes()
            assert now in (old, fixed[name]), f"run {k}: {name} is neither old nor new"
            done += now != old
            mode = (work / name).stat().st_mode & 0o777
            assert mode == (tmp_path / "orig" / name).stat().st_mode & 0o777, (k, name, oct(mode))
        partial_runs += 0 < done < FILES
        for p in work.iterdir():
            if p.name in originals:
                continue
            assert p.name.startswith(".") and fnmatch.fnmatch(p.name, ".*.miglint.tmp"), f"stray file {p.name}"
            assert not any(fnmatch.fnmatch(p.name, pat) for pat in DEFAULT_INCLUDE), p.name
        # A directory walk (even one including every file) never lints a leftover temporary file.
        walked = {p.path.name for p in walk([str(work)], Settings(include=("*",))) if isinstance(p, InputFile)}
        assert walked == set(originals)
        if k == KILLS - 1:  # what is left is a valid tree: fixing it again finishes the job
            proc = _fix(work)
            proc.communicate(timeout=300)
            assert {n: (work / n).read_bytes() for n in originals} == {n: fixed[n] for n in originals}
    assert partial_runs >= 1, "no kill landed while files were being rewritten"
