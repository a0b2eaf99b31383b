"""The growth guard itself (tests/linearity.py): it fails quadratic work and passes linear work.

The work is a sleep of a length set by the input, so that the verdict does not depend on how
busy the machine is (a sleep is never shorter than asked).
"""

from __future__ import annotations

import time

import pytest

from tests.linearity import assert_linear


def test_the_guard_fails_quadratic_work() -> None:
    with pytest.raises(AssertionError, match="growth is not linear"):
        assert_linear(lambda n: n * n * 1e-7, time.sleep, 400, repeats=1)


def test_the_guard_passes_linear_work() -> None:
    small, large = assert_linear(lambda n: n * 1e-5, time.sleep, 2000, repeats=1)
    assert large > small
