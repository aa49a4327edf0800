from __future__ import annotations

import os

import pytest

# Tests never read or write the user's cache.
os.environ.setdefault("MIGLINT_NO_CACHE", "1")


@pytest.fixture(scope="session")
def policies():
    from miglint.policy.load import load_policies

    return load_policies(use_cache=False)


@pytest.fixture(scope="session")
def evaluator(policies):
    from miglint.engine.evaluate import Evaluator

    return Evaluator(policies)
