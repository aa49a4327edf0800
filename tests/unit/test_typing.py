"""mypy --strict over src/ (configured in pyproject.toml) is part of the test run."""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy import api

pytestmark = pytest.mark.slow  # mypy is a test dependency: never skipped


def test_mypy_strict_on_source():
    root = Path(__file__).resolve().parents[2]
    out, err, status = api.run(["--config-file", str(root / "pyproject.toml"), str(root / "src" / "miglint")])
    assert status == 0, out + err
