"""The nearest lesson (lessons/plot_nearest.py): which input pixel 'nearest' and 'nearest-exact' copy, where that
moves the image, and the ties and float32 rounding behind it, against exact rational arithmetic (tests/reference.py)."""

from __future__ import annotations

from fractions import Fraction

import matplotlib
import numpy as np
import pytest
from conftest import run_lesson
from reference import is_tie, nearest_exact_index, nearest_index

from upsample_helpers.nearest import exact_ties, factors_that_move, mean_shift, plot_sources, source_indices

matplotlib.use("Agg")
import matplotlib.pyplot as plt


# -- which pixel the nearest modes copy, and where that moves the image ------------------------------------------
def shift_from_formula(n_in: int, n_out: int, index) -> Fraction:
    """The mean of (output centre − source index) in exact rational arithmetic, from an integer index formula."""
    return sum(Fraction(2 * d + 1, 2) * Fraction(n_in, n_out) - Fraction(1, 2) - index(d, n_in, n_out)
               for d in range(n_out)) / n_out


def test_at_28_to_42_nearest_moves_the_image_a_sixth_of_a_pixel_right_and_nearest_exact_a_sixth_left():
    assert mean_shift(28, 42, "nearest") == pytest.approx(1 / 6) == float(shift_from_formula(28, 42, nearest_index))
    assert mean_shift(28, 42, "nearest-exact") == pytest.approx(-1 / 6) == float(shift_from_formula(28, 42, nearest_exact_index))


@pytest.mark.parametrize(("n_in", "n_out"), [(28, 56), (28, 84), (7, 35)], ids=["2x", "3x", "5x"])
def test_at_integer_factors_nothing_moves(n_in, n_out):
    assert mean_shift(n_in, n_out, "nearest") == pytest.approx(0, abs=1e-12)
    assert mean_shift(n_in, n_out, "nearest-exact") == pytest.approx(0, abs=1e-12)


def test_nearest_moves_content_right_by_less_than_half_an_output_pixel_when_enlarging():
    """With n_in/n_out = p/q in lowest terms, the mean shift is (p − 1)/(2p) output pixels: 0 ≤ it < ½."""
    for n_in in range(1, 29):
        for n_out in range(n_in, 3 * n_in + 1):
            if any(is_tie(d, n_in, n_out, "nearest") for d in range(n_out)) and source_indices(n_in, n_out, "nearest") != [
                    nearest_index(d, n_in, n_out) for d in range(n_out)]:
                continue  # float rounding took another pixel at a tie: the formula is not torch's here
            p = Fraction(n_in, n_out).numerator
            in_output_pixels = mean_shift(n_in, n_out, "nearest") * n_out / n_in
            assert in_output_pixels == pytest.approx((p - 1) / (2 * p), abs=1e-9), (n_in, n_out)
            assert 0 <= in_output_pixels < 0.5


def test_at_whole_factors_nearest_moves_the_image_exactly_where_float32_takes_another_pixel_than_exact_arithmetic():
    """The factors factors_that_move finds are those where torch's copied pixels differ from floor(d·n/(n·k))."""
    sides, factors = range(1, 5), range(2, 50)
    off_exact = sorted({k for n in sides for k in factors
                        if source_indices(n, n * k, "nearest") != [nearest_index(d, n, n * k) for d in range(n * k)]})
    assert factors_that_move("nearest", sides, factors) == off_exact == [41, 47]
    assert factors_that_move("nearest-exact", sides, factors) == []
    assert all(source_indices(n, n * k, "nearest-exact") == [nearest_exact_index(d, n, n * k) for d in range(n * k)]
               for n in sides for k in factors)


def test_at_28_to_42_a_third_of_the_outputs_are_ties_and_torch_takes_the_pixel_after_the_border_at_each():
    ties = exact_ties(28, 42)
    assert ties == [d for d in range(42) if is_tie(d, 28, 42, "nearest-exact")] and len(ties) == 14
    copied = source_indices(28, 42, "nearest-exact")
    assert all(copied[d] == (2 * d + 1) * 28 // 84 for d in ties)  # the centre (d + ½)·2/3 is whole: that pixel


def test_lesson_prints_the_numbers_its_text_quotes():
    page = run_lesson("plot_nearest")
    out = "\n".join(page.printed)
    assert "nearest       28→42 copies input pixels [0, 0, 1, 2, 2, 3, 4, 4, 5]" in out
    assert "nearest-exact 28→42 copies input pixels [0, 1, 1, 2, 3, 3, 4, 5, 5]" in out
    assert "nearest 28→42: moves 1/6 input pixel, 1/4 output pixel" in out
    assert "14 of 42" in out and "nearest-exact 28→42: the image moves -1/6 input pixel" in out
    assert "nearest       moves the image at integer factors [41, 47]" in out
    assert sorted(path.name for path in page.images.iterdir()) == ["nearest.png"]
    assert max(len(line) for line in page.printed) <= 80  # the gallery's width


@pytest.mark.parametrize(("n_in", "n_out"), [(8, 12), (3, 7)], ids=["8-to-12", "3-to-7"])
def test_sources_figure_joins_each_output_centre_to_the_centre_of_the_pixel_it_copies(n_in, n_out):
    figure = plot_sources(n_in, n_out)
    for ax, index in zip(figure.axes, (nearest_index, nearest_exact_index), strict=True):
        lines = [line for line in ax.lines if len(line.get_xdata()) == 2]
        assert len(lines) == n_out
        for d, line in enumerate(lines):  # independent of torch: exact integer arithmetic
            np.testing.assert_allclose(line.get_xdata(), [(d + 0.5) * n_in / n_out, index(d, n_in, n_out) + 0.5])
        ties = [line for line in ax.lines if len(line.get_xdata()) == 1]  # the red marks, nearest-exact only
        expected = [d for d in range(n_out) if is_tie(d, n_in, n_out, "nearest-exact")] if index is nearest_exact_index else []
        assert [line.get_xdata()[0] for line in ties] == pytest.approx([(d + 0.5) * n_in / n_out for d in expected])
        assert ax.title.get_fontsize() >= 9
    assert figure.get_size_inches()[0] <= 7.5
    plt.close(figure)
