"""Where a report goes: a regular file is replaced atomically (through a link, keeping its permissions); a
device, a pipe or a terminal is written to as it is, never replaced by a file."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from miglint.outputs.streams import file_identity, open_output, replace_file, report_files


def _write(path: Path, text: str) -> None:
    with open_output(path) as out:
        out.write(text)


def test_a_new_file_is_created_with_its_directory(tmp_path):
    target = tmp_path / "reports" / "r.sarif"
    _write(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in target.parent.iterdir()] == ["r.sarif"]  # no temporary file left behind


def test_an_existing_file_keeps_its_permissions(tmp_path):
    target = tmp_path / "r.txt"
    target.write_text("old")
    target.chmod(0o600)
    _write(target, "new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_link_keeps_pointing_at_the_report(tmp_path):
    real = tmp_path / "real.sarif"
    real.write_text("old")
    link = tmp_path / "link.sarif"
    link.symlink_to(real)
    _write(link, "new")
    assert link.is_symlink()
    assert real.read_text() == "new"


def test_dev_null_stays_a_device():
    before = os.stat("/dev/null")
    assert stat.S_ISCHR(before.st_mode)
    _write(Path("/dev/null"), "report")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


def test_a_named_pipe_gets_the_report(tmp_path):
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    _write(fifo, "through the pipe")
    reader.join(timeout=10)
    assert got == ["through the pipe"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_failed_run_leaves_the_old_report(tmp_path):
    target = tmp_path / "r.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with open_output(target) as out:
            out.write("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.txt"]


def test_the_files_reports_replace_are_known_by_identity(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("a.plan.yaml").write_text("migrations: []\n")
    assert file_identity("a.plan.yaml") in report_files([Path("./a.plan.yaml")])  # the same file, however named
    assert report_files([Path("other.json"), None, Path("-")]) == set()  # a new file, stdout: nothing to protect


def test_replace_file_writes_a_new_file(tmp_path):
    target = tmp_path / "rules" / "Q001.md"
    target.parent.mkdir()
    replace_file(target, "page\n")
    assert target.read_text() == "page\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
