"""Text from the inputs never acts on the reader's terminal and never breaks a report: control characters and
lone surrogates (a JSON plan may write "\\ud800") are shown as escapes, every format still parses, and JSON gives
the string back as it was read."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from miglint.cli import main
from miglint.outputs.safe import printable

IDS = ["x\ud800", "ctl\u0001\u001b]0;owned\u0007\u001b[2J", "bell\u0085end", "ok é"]
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture
def plan(tmp_path):
    entries = [{"id": i, "hypervisor": "qemu", "state": "running", "flags": ["LIVE", "TUNNELLED"]} for i in IDS]
    path = tmp_path / "odd.plan.json"
    path.write_text(json.dumps(entries), encoding="utf-8")  # ensure_ascii: the surrogate as its escape
    return path


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "sarif", "junit", "github"])
def test_every_format_is_written_and_reads_back(plan, tmp_path, fmt):
    out = tmp_path / f"out.{fmt}"
    assert main(["check", "--no-config", str(plan), "-f", fmt, "-o", str(out)]) == 1  # TUNNELLED without P2P
    text = out.read_text(encoding="utf-8")
    # JSON escapes C0 controls itself and may carry C1 ones as they are (its readers show no text raw)
    unsafe = re.compile("[\x00-\x08\x0b-\x1f]") if fmt in ("json", "jsonl", "sarif") else RAW
    assert not unsafe.search(text), "a control character reached the report"
    if fmt == "json":
        ids = [r["id"] for r in json.loads(text)["results"]]
        assert ids == IDS  # the same strings, lone surrogate included
    elif fmt == "jsonl":
        assert [json.loads(line)["id"] for line in text.split("\n") if line.startswith('{"id"')] == IDS
    elif fmt == "sarif":
        json.loads(text)
    elif fmt == "junit":
        names = [c.get("name") for c in ET.fromstring(text).iter("testcase")]
        assert names == [printable(i) for i in IDS]


def test_stdout_takes_the_same_text(plan, capsys):
    assert main(["check", "--no-config", str(plan)]) == 1
    out = capsys.readouterr().out
    assert "[x\\ud800]" in out and "\\x1b[2J" in out
    assert not RAW.search(out)


def test_an_error_message_shows_escapes(tmp_path, capsys):
    assert main(["check", "--no-config", "--hypervisor", "kvm\u001b[2J", "--command", "virsh migrate d qemu:///system"]) == 2
    err = capsys.readouterr().err
    assert "\\x1b[2J" in err and not RAW.search(err)


def test_printable_leaves_ordinary_text_alone():
    assert printable("tab\tnew\nline é ✓ 🙂") == "tab\tnew\nline é ✓ 🙂"
    assert printable("\u0000\u007f\ud800") == "\\x00\\x7f\\ud800"
