"""Print the conformance summaries at the end of the test run and keep them in last-summary.txt."""

from __future__ import annotations

from typing import Any

from . import compare


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    reports = compare.REPORTS
    if not reports:
        return
    parts = []
    versions = sorted({k.split()[1] for k in reports}, key=lambda v: tuple(int(x) for x in v.split(".")))
    for version in versions:
        live, replay = reports.get(f"live {version}"), reports.get(f"replay {version}")
        if live is not None:
            parts.append(live.text())
        if replay is not None:
            text = replay.text()
            if live is not None:
                text = "\n".join(text.splitlines()[:7]) + "\n"  # the full figures are in the live summary
            parts.append(text)
    text = "\n".join(parts)
    try:
        compare.SUMMARY_FILE.write_text(text)
    except OSError:
        pass
    terminalreporter.write_sep("=", "conformance with libvirt " + " and ".join(versions))
    shown = []
    for version in versions:
        live, replay = reports.get(f"live {version}"), reports.get(f"replay {version}")
        if live is not None:
            shown.append(live.text())
        elif replay is not None:
            shown.append("\n".join(replay.text().splitlines()[:7]))
    for line in "\n".join(shown).splitlines():
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"(full summary: {compare.SUMMARY_FILE})")
