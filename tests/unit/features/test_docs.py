"""miglint docs: the committed reference is current; the HTML matrix renders in a real browser without errors."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from miglint.cli.app import main

ROOT = Path(__file__).resolve().parents[3]


def test_committed_docs_are_current(capsys):
    code = main(["docs", "--check", "--output", str(ROOT / "docs")])
    assert code == 0, "docs/ is stale: run `miglint docs --output docs`\n" + capsys.readouterr().out


def test_check_finds_stale_missing_and_extra_pages(tmp_path, capsys):
    assert main(["docs", "--output", str(tmp_path)]) == 0
    assert main(["docs", "--check", "--output", str(tmp_path)]) == 0
    (tmp_path / "matrix.md").write_text("old\n")
    (tmp_path / "rules" / "Q053.md").unlink()
    (tmp_path / "rules" / "Q999.md").write_text("a rule that no longer exists\n")
    capsys.readouterr()
    assert main(["docs", "--check", "--output", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "matrix.md: out of date" in out and "Q053.md: missing" in out and "Q999.md: no longer generated" in out
    assert main(["docs", "--output", str(tmp_path)]) == 0
    assert not (tmp_path / "rules" / "Q999.md").exists()
    assert main(["docs", "--check", "--output", str(tmp_path)]) == 0


def test_matrix_content(tmp_path):
    assert main(["docs", "--output", str(tmp_path)]) == 0
    text = (tmp_path / "matrix.md").read_text()
    live = next(line for line in text.splitlines() if line.startswith("| `LIVE`"))
    # qemu, vz, vz-2015 in column order: libxl, qemu, vz, vz-2015
    cells = [c.strip() for c in live.strip("|").split("|")][1:]
    assert cells[1].startswith("accepted, default off") and cells[2].startswith("**ignored**, default on")
    assert "required when: [P004]" in cells[3]
    assert (tmp_path / "rules" / "Z002.md").read_text().startswith("# Z002 vz-unsupported-flags")


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _render(browser: str, page: Path, profile: Path) -> tuple[str, list[str]]:
    """Load a page headless; return its DOM and every console message Chromium logged."""
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
            "--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri()]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return proc.stdout, console


@pytest.fixture(scope="module")
def browser():
    path = _chromium()
    if path is None:
        if os.environ.get("MIGLINT_REQUIRE_CHROMIUM") == "1":
            pytest.fail("MIGLINT_REQUIRE_CHROMIUM=1 but no chromium is installed")
        pytest.skip("chromium is not installed (apt-get install chromium); the HTML matrix is not rendered")
    return path


@pytest.mark.slow
def test_harness_sees_console_errors(browser, tmp_path):
    page = tmp_path / "broken.html"
    page.write_text('<!doctype html><html><head><link rel="icon" href="data:,"></head><body>'
                    '<script>console.error("deliberate"); missingFunction();</script></body></html>')
    _, console = _render(browser, page, tmp_path / "profile")
    assert any("deliberate" in line for line in console) and any("missingFunction" in line for line in console)


@pytest.mark.slow
def test_html_matrix_renders_without_console_errors(browser, tmp_path, policies):
    site = tmp_path / "site"
    assert main(["docs", "--format", "html", "--output", str(site)]) == 0
    for rel in ("matrix.html", "index.html", "rules/Z002.html"):
        html = (site / rel).read_text()
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//|@import|url\(""", html), f"{rel} loads something external"
        dom, console = _render(browser, site / rel, tmp_path / "profile")
        assert not console, f"{rel}: console messages: {console}"
        assert "</table>" in dom
    dom, _ = _render(browser, site / "matrix.html", tmp_path / "profile")
    assert "Migration flags by hypervisor" in dom and 'class="legend"' in dom
    assert dom.count('<tr><th scope="row"><code>') == len(policies.vocab.flags) + len(policies.vocab.params)


def test_the_readme_facts_table_is_the_vocabulary(policies):
    from pathlib import Path

    from miglint.features.docs import facts_markdown

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    block = readme.split("<!-- facts:", 1)[1].split("-->", 1)[1].split("<!-- /facts -->", 1)[0]
    assert block.strip() == facts_markdown(policies.vocab).strip()
