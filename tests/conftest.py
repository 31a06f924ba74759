"""Fixtures every test folder shares, from :mod:`rnnlab.engine.gradient_check`.

- ``gradcheck``: central finite differences in float64 against the tape's gradients.
- ``spot_gradcheck``: the same at a few random elements, for large models.
- ``relative_error``: ‖a − b‖∞ / max(‖a‖∞, ‖b‖∞), the measure every tolerance here uses.

BLAS runs single-threaded for the whole session: tiny matrices gain nothing from threads,
and the test workers share few cores.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from threadpoolctl import threadpool_limits

from rnnlab.engine import gradient_check as checks


@pytest.fixture(autouse=True, scope="session")
def _single_threaded_blas():
    with threadpool_limits(limits=1):
        yield


@pytest.fixture
def gradcheck() -> Callable[..., dict[str, float]]:
    return checks.gradcheck


@pytest.fixture
def relative_error() -> Callable[[Any, Any], float]:
    return checks.relative_error


@pytest.fixture
def spot_gradcheck() -> Callable[..., None]:
    return checks.spot_gradcheck
