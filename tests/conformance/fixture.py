"""The recorded answers of one libvirt (recorded-<version>.jsonl: 7.0.0, 9.0.0, 11.3.0, 12.8.0): a versioned JSON Lines file,
one header line, then one line per case."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "recorded-9.0.0.jsonl"
SCHEMA = "miglint-conformance-recording/1"
ANSWER_KEYS = ("verdict", "outcome", "code", "message", "note", "origin", "rc", "errors", "crashed", "signal", "job_left")


def case_body(case: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in case.items() if k != "id"}


def make_record(case: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    libvirt = {k: answer.get(k) for k in ANSWER_KEYS if k in answer}
    return {"id": case["id"], "case": case_body(case), "libvirt": libvirt}


def load(path: Path = FIXTURE) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    with open(path, encoding="utf-8") as f:
        lines = [json.loads(line) for line in f if line.strip()]
    if not lines or lines[0].get("schema") != SCHEMA:
        raise ValueError(f"{path}: not a {SCHEMA} file")
    return lines[0], lines[1:]


def save(header: dict[str, Any], records: list[dict[str, Any]], path: Path = FIXTURE) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(json.dumps(header, sort_keys=True) + "\n")
        for r in records:
            f.write(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n")
    tmp.replace(path)
