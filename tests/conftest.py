"""Shared fixtures. Tests that need ../shared/data fail (not skip) in CI when it is missing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from detector.model.dataset import default_data_path, default_real_path


def _needed(p: Path) -> Path:
    if not p.exists():
        msg = f"labelled data missing at {p} (needed beside the repo as ../shared/data)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(msg)
        pytest.skip(msg)
    return p


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of the labelled EMSCAD CSV; fails loudly under CI=true if it is absent."""
    return _needed(default_data_path())


@pytest.fixture(scope="session")
def shared_real() -> Path:
    """Path of the real labelled ads (JSON lines); fails loudly under CI=true if absent."""
    return _needed(default_real_path())


@pytest.fixture(scope="session")
def detector():
    """The shipped model, loaded once."""
    from detector import Detector

    return Detector.load()
