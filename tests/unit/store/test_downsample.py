"""Downsampling keeps a series' shape within a point budget."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cairn.errors import InvalidInput
from cairn.store.downsample import downsample


def series(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    steps = np.arange(values.size, dtype=np.float64)
    return steps, values.astype(np.float64), steps + 1000.0


def test_short_series_are_returned_unchanged() -> None:
    steps, values, stamps = series(np.arange(10.0))
    out = downsample(steps, values, stamps, 10)
    assert out[1].tolist() == values.tolist()


def test_a_spike_survives_and_first_and_last_are_kept() -> None:
    values = np.sin(np.arange(100_000) / 500.0)
    values[54_321] = 40.0
    values[77_777] = -40.0
    steps, _, stamps = series(values)
    out_steps, out_values, out_stamps = downsample(steps, values, stamps, 1000)
    assert len(out_steps) <= 1000
    assert 40.0 in out_values and -40.0 in out_values
    assert out_steps[0] == 0 and out_steps[-1] == 99_999
    assert (np.diff(out_steps) > 0).all()
    np.testing.assert_array_equal(out_stamps, out_steps + 1000.0)


def test_nan_is_not_chosen_over_numbers_but_all_nan_buckets_stay() -> None:
    values = np.ones(1000)
    values[100:110] = np.nan  # inside a bucket with numbers
    values[500:] = np.nan  # whole buckets of NaN
    steps, _, stamps = series(values)
    _, out_values, _ = downsample(steps, values, stamps, 20)
    finite_part = out_values[:5]
    assert not np.isnan(finite_part).any()
    assert np.isnan(out_values).any()


def test_infinities_are_valid_extremes() -> None:
    values = np.zeros(1000)
    values[300] = math.inf
    steps, _, stamps = series(values)
    assert math.inf in downsample(steps, values, stamps, 50)[1]


@pytest.mark.parametrize("bad", [0, 1, -5, 2.5])
def test_a_too_small_budget_is_refused(bad: object) -> None:
    steps, values, stamps = series(np.arange(10.0))
    with pytest.raises(InvalidInput, match="max_points"):
        downsample(steps, values, stamps, bad)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(
    values=arrays(
        np.float64,
        st.integers(0, 3000),
        elements=st.floats(allow_nan=True, allow_infinity=True, width=64),
    ),
    max_points=st.integers(2, 500),
)
def test_property_bounded_increasing_and_drawn_from_input(
    values: np.ndarray, max_points: int
) -> None:
    steps, _, stamps = series(values)
    out_steps, out_values, _ = downsample(steps, values, stamps, max_points)
    assert len(out_steps) <= max(max_points, 0) or len(out_steps) == len(values)
    assert (np.diff(out_steps) > 0).all()
    index = out_steps.astype(int)
    np.testing.assert_array_equal(out_values, values[index])
