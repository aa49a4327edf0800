"""Print the conformance summary at the end of the test run and keep it in last-summary.txt."""

from __future__ import annotations

from typing import Any

from . import compare


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    reports = compare.REPORTS
    if not reports:
        return
    parts = []
    if "live" in reports:
        parts.append(reports["live"].text())
    if "replay" in reports:
        text = reports["replay"].text()
        if "live" in reports:
            text = "\n".join(text.splitlines()[:5]) + "\n"  # the full figures are in the live summary
        parts.append(text)
    text = "\n".join(parts)
    try:
        compare.SUMMARY_FILE.write_text(text)
    except OSError:
        pass
    terminalreporter.write_sep("=", "conformance with libvirt 9.0.0")
    shown = text if "live" in reports else "\n".join(text.splitlines()[:5])
    for line in shown.splitlines():
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"(full summary: {compare.SUMMARY_FILE})")
