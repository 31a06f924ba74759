"""Fixtures every test folder shares, from :mod:`rnnlab.engine.gradient_check`.

- ``gradcheck``: central finite differences in float64 against the tape's gradients.
- ``spot_gradcheck``: the same at a few random elements, for large models.
- ``relative_error``: ‖a − b‖∞ / max(‖a‖∞, ‖b‖∞), the measure every tolerance here uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rnnlab.engine import gradient_check as checks


@pytest.fixture
def gradcheck() -> Callable[..., dict[str, float]]:
    return checks.gradcheck


@pytest.fixture
def relative_error() -> Callable[[Any, Any], float]:
    return checks.relative_error


@pytest.fixture
def spot_gradcheck() -> Callable[..., None]:
    return checks.spot_gradcheck
