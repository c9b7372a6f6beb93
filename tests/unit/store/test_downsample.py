"""Downsampling keeps a series' shape within a point budget, from points or chunk summaries."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cairn.errors import InvalidInput
from cairn.store.downsample import ChunkSummaries, downsample, downsample_chunks

Array = np.ndarray

any_floats = st.floats(allow_nan=True, allow_infinity=True, width=64)


def series(values: Array | list[float]) -> tuple[Array, Array, Array]:
    """Steps 0..n-1 and timestamps 1000 + step, so a returned point can be traced back."""
    values = np.asarray(values, dtype=np.float64)
    steps = np.arange(values.size, dtype=np.float64)
    return steps, values, steps + 1000.0


def reference(values: Array, max_points: int) -> list[int]:
    """The documented rule, one bucket at a time: the indices downsample must keep."""
    n = values.size
    if n <= max_points:
        return list(range(n))
    buckets = (max_points - 2) // 2
    size, longer = divmod(n - 2, buckets) if buckets else (0, 0)
    picks = {0, n - 1}
    for b in range(buckets):
        # The first ``longer`` buckets hold one point more than the others.
        start = 1 + b * size + min(b, longer)
        stop = start + size + (b < longer)
        numbers = [i for i in range(start, stop) if not math.isnan(values[i])]
        if not numbers:
            picks.add(start)
            continue
        # min/max return the first of equal candidates, as argmin/argmax do.
        picks.add(min(numbers, key=lambda i: values[i]))
        picks.add(max(numbers, key=lambda i: values[i]))
    return sorted(picks)


# -- downsample ----------------------------------------------------------------------------


def test_short_series_are_returned_unchanged() -> None:
    steps, values, stamps = series(np.arange(10.0))
    out = downsample(steps, values, stamps, 10)
    for got, given_ in zip(out, (steps, values, stamps), strict=True):
        np.testing.assert_array_equal(got, given_)


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
    np.testing.assert_array_equal(out_values, values[out_steps.astype(int)])


def test_min_and_max_come_in_step_order_within_a_bucket() -> None:
    # One bucket (budget 4): the maximum (step 2) comes before the minimum (step 6).
    steps, values, stamps = series([0, 1, 9, 1, 0, 0, -5, 0, 0, 1])
    out_steps, out_values, _ = downsample(steps, values, stamps, 4)
    assert out_steps.tolist() == [0, 2, 6, 9]
    assert out_values.tolist() == [0, 9, -5, 1]


def test_a_flat_bucket_keeps_one_point() -> None:
    steps, values, stamps = series(np.full(1000, 3.0))
    out_steps, _, _ = downsample(steps, values, stamps, 10)
    # Four buckets of one point each (min == max), plus the two ends.
    assert len(out_steps) == 6


@pytest.mark.parametrize("budget", [2, 3])
def test_a_budget_of_two_or_three_keeps_the_ends(budget: int) -> None:
    steps, values, stamps = series(np.arange(100.0))
    assert downsample(steps, values, stamps, budget)[0].tolist() == [0, 99]


def test_nan_is_not_chosen_over_numbers_but_all_nan_buckets_keep_one_point() -> None:
    values = np.ones(1002)
    values[1:101] = np.arange(100.0)
    values[50:60] = np.nan  # inside the first bucket, next to numbers
    values[501:1001] = np.nan  # the last five buckets hold only NaN
    steps, _, stamps = series(values)
    out_steps, out_values, _ = downsample(steps, values, stamps, 22)  # ten buckets of 100
    numbers_part = out_steps < 501
    assert not np.isnan(out_values[numbers_part]).any()
    assert out_steps[np.isnan(out_values)].tolist() == [501, 601, 701, 801, 901]


def test_infinities_are_valid_extremes() -> None:
    values = np.zeros(1000)
    values[300] = math.inf
    values[700] = -math.inf
    steps, _, stamps = series(values)
    out_values = downsample(steps, values, stamps, 50)[1]
    assert math.inf in out_values and -math.inf in out_values


@pytest.mark.parametrize("infinity", [math.inf, -math.inf])
def test_an_infinity_wins_over_nan_in_the_same_bucket(infinity: float) -> None:
    # The inner bucket is [nan, inf, nan, nan]: inf is both its min and max, never NaN.
    steps, values, stamps = series([0, math.nan, infinity, math.nan, math.nan, 0])
    out_steps, out_values, _ = downsample(steps, values, stamps, 4)
    assert out_steps.tolist() == [0, 2, 5]
    assert out_values.tolist() == [0, infinity, 0]


def test_lists_and_numpy_integers_are_accepted() -> None:
    out_steps, _, _ = downsample([0, 1, 2, 3, 4], [5, 1, 3, 9, 2], [0, 0, 0, 0, 0], np.int64(4))
    assert out_steps.dtype == np.float64 and out_steps.tolist() == [0, 1, 3, 4]


@pytest.mark.parametrize("bad", [0, 1, -5, 2.5, True, "10", None])
def test_a_too_small_or_non_integer_budget_is_refused(bad: object) -> None:
    steps, values, stamps = series(np.arange(10.0))
    with pytest.raises(InvalidInput, match="max_points must be an integer of at least 2"):
        downsample(steps, values, stamps, bad)  # type: ignore[arg-type]


def test_arrays_of_different_lengths_are_refused() -> None:
    with pytest.raises(InvalidInput, match=r"values \(3,\)"):
        downsample(np.arange(4.0), np.arange(3.0), np.arange(4.0), 2)
    with pytest.raises(InvalidInput, match="one-dimensional"):
        downsample(np.zeros((2, 2)), np.zeros((2, 2)), np.zeros((2, 2)), 2)


@settings(max_examples=300, deadline=None)
@given(
    values=arrays(np.float64, st.integers(0, 3000), elements=any_floats),
    gaps=st.floats(0.001, 1000.0),
    max_points=st.integers(2, 500),
)
def test_property_bounded_increasing_drawn_from_input_and_as_documented(
    values: Array, gaps: float, max_points: int
) -> None:
    steps = np.cumsum(np.full(values.size, gaps)) - 7.0
    stamps = np.arange(values.size, dtype=np.float64) * 3.0
    out_steps, out_values, out_stamps = downsample(steps, values, stamps, max_points)
    assert len(out_steps) <= max(max_points, len(values))
    assert len(out_steps) == len(out_values) == len(out_stamps)
    assert (np.diff(out_steps) > 0).all()
    # Every returned point is a point of the input: same step, value and timestamp.
    index = np.searchsorted(steps, out_steps)
    np.testing.assert_array_equal(steps[index], out_steps)
    np.testing.assert_array_equal(values[index], out_values)
    np.testing.assert_array_equal(stamps[index], out_stamps)
    assert index.tolist() == reference(values, max_points)


@settings(max_examples=200, deadline=None)
@given(
    values=arrays(np.float64, st.integers(5, 3000), elements=any_floats),
    max_points=st.integers(4, 500),
)
def test_property_the_series_extremes_always_survive(values: Array, max_points: int) -> None:
    steps, _, stamps = series(values)
    out_values = downsample(steps, values, stamps, max_points)[1]
    numbers = values[~np.isnan(values)]
    if numbers.size:
        assert numbers.min() in out_values and numbers.max() in out_values


# -- downsample_chunks ---------------------------------------------------------------------


def summarise(steps: Array, values: Array, chunk_points: int) -> ChunkSummaries:
    """Chunk summaries as the store writes them (min/max ignore NaN, NULL when all NaN)."""
    rows: list[tuple[float, float, int, float | None, float | None]] = []
    for start in range(0, steps.size, chunk_points):
        part = values[start : start + chunk_points]
        numbers = part[~np.isnan(part)]
        rows.append(
            (
                float(steps[start]),
                float(steps[start : start + chunk_points][-1]),
                int(part.size),
                float(numbers.min()) if numbers.size else None,
                float(numbers.max()) if numbers.size else None,
            )
        )
    return ChunkSummaries.from_rows(rows)


def test_chunks_under_the_budget_give_each_chunk_its_min_and_max() -> None:
    summaries = ChunkSummaries.from_rows(
        [(0, 9, 10, 0.0, 1.0), (10, 19, 10, -3.0, 0.5), (20, 20, 1, 7.0, 7.0)]
    )
    steps, values = downsample_chunks(summaries, 100)
    assert steps.tolist() == [0, 9, 10, 19, 20]  # the one-point chunk gives one point
    assert values.tolist() == [0.0, 1.0, -3.0, 0.5, 7.0]
    assert summaries.points == 21


def test_a_drop_between_chunks_still_draws_as_a_drop() -> None:
    # Two chunks in one group: the high chunk comes first, so the max is placed first.
    summaries = ChunkSummaries.from_rows([(0, 9, 10, 5.0, 9.0), (10, 19, 10, -9.0, -5.0)])
    steps, values = downsample_chunks(summaries, 2)
    assert steps.tolist() == [9, 10] and values.tolist() == [9.0, -9.0]


def test_a_spike_survives_the_chunk_envelope() -> None:
    values = np.sin(np.arange(1_000_000) / 5000.0)
    values[654_321] = 40.0
    values[777_777] = -40.0
    steps = np.arange(values.size, dtype=np.float64)
    summaries = summarise(steps, values, 4096)
    out_steps, out_values = downsample_chunks(summaries, 100)
    assert len(out_steps) <= 100 and (np.diff(out_steps) > 0).all()
    assert 40.0 in out_values and -40.0 in out_values
    spike = out_steps[out_values == 40.0][0]
    assert 654_321 - 4096 < spike < 654_321 + 4096  # placed within the spike's chunk


def test_all_nan_chunk_groups_keep_one_nan_point() -> None:
    summaries = ChunkSummaries.from_rows(
        [(0, 9, 10, 1.0, 2.0), (10, 19, 10, None, None), (20, 29, 10, None, None)]
    )
    steps, values = downsample_chunks(summaries, 4)  # groups: [chunks 0, 1], [chunk 2]
    assert steps.tolist() == [0, 9, 20]
    assert values[:2].tolist() == [1.0, 2.0] and math.isnan(values[2])


def test_empty_summaries_give_an_empty_envelope() -> None:
    steps, values = downsample_chunks(ChunkSummaries.from_rows([]), 10)
    assert steps.size == 0 and values.size == 0


def test_chunk_envelope_refuses_bad_input() -> None:
    summaries = ChunkSummaries.from_rows([(0, 9, 10, 0.0, 1.0)])
    with pytest.raises(InvalidInput, match="max_points"):
        downsample_chunks(summaries, 1)
    broken = ChunkSummaries(
        first_step=np.zeros(2),
        last_step=np.zeros(1),
        count=np.ones(1, dtype=np.int64),
        min_value=np.zeros(1),
        max_value=np.zeros(1),
    )
    with pytest.raises(InvalidInput, match="one length"):
        downsample_chunks(broken, 10)


@settings(max_examples=200, deadline=None)
@given(
    values=arrays(np.float64, st.integers(1, 2000), elements=any_floats),
    chunk_points=st.integers(1, 64),
    max_points=st.integers(2, 200),
)
def test_property_chunk_envelope_is_bounded_and_true_to_its_chunks(
    values: Array, chunk_points: int, max_points: int
) -> None:
    steps = np.arange(values.size, dtype=np.float64) * 2.0
    summaries = summarise(steps, values, chunk_points)
    out_steps, out_values = downsample_chunks(summaries, max_points)
    assert 1 <= len(out_steps) <= max_points
    assert (np.diff(out_steps) > 0).all()
    # Each point sits at an end of a chunk and carries that chunk's min or max (or NaN).
    for step, value in zip(out_steps, out_values, strict=True):
        chunk = int(np.searchsorted(summaries.last_step, step))
        assert step in (summaries.first_step[chunk], summaries.last_step[chunk])
        if math.isnan(value):
            assert math.isnan(summaries.min_value[chunk])
        else:
            assert value in (summaries.min_value[chunk], summaries.max_value[chunk])
    numbers = values[~np.isnan(values)]
    if numbers.size:
        assert numbers.min() in out_values and numbers.max() in out_values
