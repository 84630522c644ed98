"""Skip marker for tests that need the shipped model (the page's AppTest tests)."""

from __future__ import annotations

import pytest

from detector import Detector, ModelError


def _model_problem() -> str | None:
    try:
        Detector.load()
    except ModelError as exc:
        return str(exc)
    return None


needs_model = pytest.mark.skipif(
    (problem := _model_problem()) is not None, reason=f"no usable model: {problem}"
)
