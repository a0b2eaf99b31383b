"""Growth guards: the same input at N and 8N in one test run, compared side by side.

A wall-clock limit is fooled by a slow or busy machine; a ratio is not, since both sizes run
on the same machine within the same second. Linear work grows 8 times from N to 8N,
quadratic work 64 times: a ratio above 24 fails. Each size runs a few times and the fastest
run counts, so that a pause of the machine during one run does not fail the guard.
"""

from __future__ import annotations

import gc
import time
from typing import Any, Callable

FACTOR = 8
MAX_RATIO = 24.0
# Below this, start-up costs hide the growth: a guard must be given an N that takes longer.
MIN_SMALL_SECONDS = 0.005
# An N faster than this is doubled first (a fast or idle machine), up to MAX_DOUBLINGS times.
CALIBRATE_SECONDS = 0.015
MAX_DOUBLINGS = 4


def best_time(run: Callable[[Any], Any], value: Any, repeats: int) -> float:
    """The fastest of `repeats` runs, each without the cyclic collector: late in a suite the heap
    holds what earlier tests left, and a full collection that lands in the large run (it walks
    that heap, not the input) once made a linear renderer look superlinear (ratio 25.2)."""
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            run(value)
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    return best


def assert_linear(build: Callable[[int], Any], run: Callable[[Any], Any], n: int, *,
                  repeats: int = 3, max_n: int | None = None) -> tuple[float, float]:
    """Fails when `run(build(8 * n))` takes more than 24 times `run(build(n))`.

    `build` makes the input outside the timing (a file, a string, a folder); `run` is the
    work under guard. On a machine fast enough that N runs in under CALIBRATE_SECONDS, N is
    doubled (at most MAX_DOUBLINGS times, and while 8N stays within `max_n`, a limit of the
    code under guard) so that start-up costs do not hide the growth.
    Returns both times for the failure message of a caller.
    """
    small_input = build(n)
    run(small_input)  # warm caches (imports, compiled schemas) outside the timing
    small = best_time(run, small_input, repeats)
    for _ in range(MAX_DOUBLINGS):
        # The best of several runs decides, so that one slow run (a pause of a busy machine)
        # does not leave N too small to show growth.
        if small >= CALIBRATE_SECONDS or (max_n is not None and FACTOR * 2 * n > max_n):
            break
        n *= 2
        small_input = build(n)
        small = best_time(run, small_input, repeats)
    large_input = build(FACTOR * n)
    large = best_time(run, large_input, max(1, repeats - 1))
    if large / small > MAX_RATIO:
        # Both sizes once more, side by side: a busy spell of a shared machine can span the few
        # runs of one size, but not two rounds; quadratic work fails both.
        small = min(small, best_time(run, small_input, repeats))
        large = min(large, best_time(run, large_input, repeats))
    assert small >= MIN_SMALL_SECONDS, f"N={n} ran in {small * 1000:.1f} ms: too small to show growth"
    ratio = large / small
    assert ratio <= MAX_RATIO, (f"growth is not linear: N={n} took {small:.3f} s, {FACTOR}N took {large:.3f} s "
                                f"(ratio {ratio:.1f}; linear is {FACTOR}, quadratic {FACTOR ** 2})")
    return small, large
