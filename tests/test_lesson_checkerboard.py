"""The checkerboard lesson (lessons/plot_checkerboard.py): tap counts counted independently, the checkerboard
at initialisation, what a resize-convolution can and cannot do, and the figure."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
import torch
from conftest import run_lesson

from upsample_helpers import DOUBLING_BLOCKS, checkerboard, doubling_block, sample_digits
from upsample_helpers.doubling import (
    checkerboard_table,
    folded_kernels,
    initial_checkerboard,
    plot_checkerboard,
    tap_counts,
)

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def digits() -> torch.Tensor:
    return sample_digits(64)


def taps_1d(n_in: int, kernel: int, stride: int, padding: int, n_out: int) -> np.ndarray:
    """For each output index, how many (input index, kernel index) pairs a transposed convolution writes to it."""
    counts = np.zeros(n_out, dtype=int)
    for n in range(n_in):
        for k in range(kernel):
            position = n * stride + k - padding  # where input n, through tap k, lands
            if 0 <= position < n_out:
                counts[position] += 1
    return counts


def conv_taps_1d(n: int) -> np.ndarray:
    """For a 3-tap convolution with padding 1: how many of an output's three taps fall inside the input."""
    return np.array([sum(0 <= i + d < n for d in (-1, 0, 1)) for i in range(n)])


INDEPENDENT_COUNTS = {
    "transposed k3": lambda n: np.outer(taps_1d(n, 3, 2, 1, 2 * n), taps_1d(n, 3, 2, 1, 2 * n)),
    "transposed k4": lambda n: np.outer(taps_1d(n, 4, 2, 1, 2 * n), taps_1d(n, 4, 2, 1, 2 * n)),
    "resize-conv": lambda n: np.outer(conv_taps_1d(2 * n), conv_taps_1d(2 * n)),
    "transposed k4 bilinear": lambda n: np.outer(taps_1d(n, 4, 2, 1, 2 * n), taps_1d(n, 4, 2, 1, 2 * n)),
    # a 3×3 convolution on the small map, each of its pixels then spread over a 2×2 block by the shuffle
    "sub-pixel": lambda n: np.kron(np.outer(conv_taps_1d(n), conv_taps_1d(n)), np.ones((2, 2))),
    "sub-pixel ICNR": lambda n: np.kron(np.outer(conv_taps_1d(n), conv_taps_1d(n)), np.ones((2, 2))),
}


@pytest.mark.parametrize("kind", DOUBLING_BLOCKS)
def test_tap_counts_match_an_independent_count(kind):
    np.testing.assert_array_equal(tap_counts(kind, 8).numpy(), INDEPENDENT_COUNTS[kind](8))


def test_kernel_3_covers_the_interior_unevenly_by_parity():
    counts = tap_counts("transposed k3", 8)[2:-2, 2:-2]
    # rows and columns alternate 1 and 2 taps: the product is 1, 2 or 4 by (row parity, column parity)
    for row_parity in (0, 1):
        for column_parity in (0, 1):
            assert (counts[row_parity::2, column_parity::2] == (1 + row_parity) * (1 + column_parity)).all()


@pytest.mark.parametrize(("kind", "value"), [("transposed k4", 4), ("resize-conv", 9)])
def test_kernel_4_and_resize_conv_cover_the_interior_evenly(kind, value):
    assert (tap_counts(kind, 8)[1:-1, 1:-1] == value).all()


@pytest.mark.parametrize("seed", range(3))
def test_resize_conv_gives_a_constant_interior_on_a_constant_input(seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        output = doubling_block("resize-conv", 4, 6)(torch.full((1, 4, 10, 10), 0.7))
    interior = output[..., 1:-1, 1:-1]
    torch.testing.assert_close(interior, interior[..., :1, :1].expand_as(interior))


def test_at_initialisation_transposed_blocks_leave_a_checkerboard_and_resize_conv_none(digits):
    constant = torch.ones(1, 1, 14, 14)
    assert initial_checkerboard("resize-conv", constant) == (0.0, 0.0)
    for kind in ("transposed k3", "transposed k4"):  # even overlap evens the tap count, not the weights
        assert initial_checkerboard(kind, constant)[0] == pytest.approx(1.0)
    resize = initial_checkerboard("resize-conv", digits)[0]
    assert resize < 0.0005  # prints as 0.000
    for kind in ("transposed k3", "transposed k4"):
        assert initial_checkerboard(kind, digits)[0] > 0.3


def test_at_initialisation_sub_pixel_checkerboards_and_icnr_and_bilinear_do_not(digits):
    constant = torch.ones(1, 1, 14, 14)
    assert initial_checkerboard("sub-pixel", constant)[0] == pytest.approx(1.0)
    assert initial_checkerboard("sub-pixel", digits)[0] > 0.5
    for kind in ("sub-pixel ICNR", "transposed k4 bilinear"):
        assert initial_checkerboard(kind, constant) == (0.0, 0.0)
        assert initial_checkerboard(kind, digits)[0] < 0.0005  # prints as 0.000
    assert initial_checkerboard("sub-pixel ICNR", constant, border=1)[0] > 0.1


def test_resize_conv_with_kernel_column_minus_1_1_0_zeroes_every_odd_row_yet_scores_0(digits):
    """What the measure cannot see: the class means stay alike while half the rows are exactly 0."""
    block = doubling_block("resize-conv", 1, 1)
    with torch.no_grad():
        block[1].weight.zero_()
        block[1].bias.zero_()
        block[1].weight[0, 0, :, 1] = torch.tensor([-1.0, 1.0, 0.0])  # output row r: u[r] − u[r − 1]
        output = block(digits)  # (64, 1, 56, 56)
    assert (output[..., 1::2, :] == 0).all()
    assert output[..., 0::2, :].abs().max() > 0.5
    assert checkerboard(output) < 0.001


def test_each_parity_class_of_a_resize_conv_is_the_input_under_a_2x2_kernel_of_the_same_total_weight():
    """Why the class means agree: nearest doubling, then 3×3, folds to four 2×2 kernels whose weights sum alike."""
    torch.manual_seed(0)
    block = doubling_block("resize-conv", 1, 1)
    weight = block[1].weight[0, 0].detach().double()
    x = torch.rand(1, 1, 9, 9, dtype=torch.float64)
    with torch.no_grad():
        output = block.double()(x)[0, 0] - block[1].bias.double()
    for row_parity in (0, 1):
        for column_parity in (0, 1):
            # taps at (−1, 0, +1) on the doubled map read input offsets (−1, 0, 0) at even and (0, 0, +1) at
            # odd positions: the three taps fold into two, [first, second] of a 2-wide window
            fold_rows = [[0, 1, 1], [0, 0, 1]][row_parity]
            fold_columns = [[0, 1, 1], [0, 0, 1]][column_parity]
            rows = torch.zeros(2, 3, dtype=torch.float64)
            columns = torch.zeros(2, 3, dtype=torch.float64)
            rows[torch.tensor(fold_rows), torch.arange(3)] = 1
            columns[torch.tensor(fold_columns), torch.arange(3)] = 1
            small = rows @ weight @ columns.T  # (2, 2): the folded kernel
            torch.testing.assert_close(folded_kernels(block[1].weight[0, 0])[row_parity, column_parity], small)
            assert small.sum().item() == pytest.approx(weight.sum().item())
            offset = (-1 if row_parity == 0 else 0, -1 if column_parity == 0 else 0)
            padded = torch.nn.functional.pad(x, (1, 1, 1, 1))[0, 0]
            expected = torch.stack([torch.stack([(padded[i + 1 + offset[0]: i + 3 + offset[0],
                                                         j + 1 + offset[1]: j + 3 + offset[1]] * small).sum()
                                                 for j in range(9)]) for i in range(9)])
            torch.testing.assert_close(output[row_parity::2, column_parity::2], expected)


def test_figure_shares_one_scale_per_column_with_labelled_colour_bars(digits):
    figure = plot_checkerboard(digits[0, 0])
    images = [ax for ax in figure.axes if ax.images]
    assert len(images) == 3 * len(DOUBLING_BLOCKS)
    grid = {(ax.get_subplotspec().rowspan.start, ax.get_subplotspec().colspan.start): ax for ax in images}
    for column in range(3):  # taps, the output on a digit, its high-pass view
        limits = {grid[row, column].images[0].get_clim() for row in range(len(DOUBLING_BLOCKS))}
        assert len(limits) == 1
    assert grid[0, 0].images[0].get_clim() == (0, 9)
    assert [grid[row, 0].get_ylabel() for row in range(len(DOUBLING_BLOCKS))] == list(DOUBLING_BLOCKS)
    assert {"taps per output pixel", "output value", "output − local mean"} <= {ax.get_xlabel() for ax in figure.axes}
    digit = grid[0, 1]  # the first block's output on the digit
    assert digit.images[0].get_array().shape == (56, 56)  # a 28×28 digit, doubled
    assert "28×28 → 56×56" in digit.get_title()
    for row, kind in enumerate(DOUBLING_BLOCKS):  # each title holds what differs between the blocks
        inside = sorted(set(tap_counts(kind)[2:-2, 2:-2].int().flatten().tolist()))
        assert grid[row, 0].get_title().endswith(f"{', '.join(map(str, inside))} taps inside")
        assert grid[row, 1].get_title().split("\n")[-1].startswith("checkerboard ")
    assert figure.get_size_inches()[0] <= 7.5 and min(ax.title.get_fontsize() for ax in images) >= 9
    matplotlib.pyplot.close(figure)


def test_checkerboard_table_prints_mean_and_spread_per_block():
    table = checkerboard_table({"resize-conv": [(0.0, 0.0), (0.0004, 0.0)], "sub-pixel": [(1.0, 0.0), (0.638, 0.059)]},
                               ("constant input", "64 digits"))
    assert table.splitlines() == [f"{'block':<22}  constant input       64 digits",
                                  f"{'resize-conv':<22}    0.000 ± 0.000    0.000 ± 0.000",
                                  f"{'sub-pixel':<22}    1.000 ± 0.000    0.638 ± 0.059"]


def test_lesson_prints_the_table_and_keeps_its_figure():
    page = run_lesson("plot_checkerboard")
    printed = page.printed
    rows = {line[:22].strip(): line[22:].split() for line in printed if line[:22].strip() in DOUBLING_BLOCKS}
    assert list(rows) == list(DOUBLING_BLOCKS)
    assert rows["resize-conv"] == ["0.000", "±", "0.000", "0.000", "±", "0.000"]
    assert rows["transposed k3"][0] == "1.000" and rows["transposed k4"][0] == "1.000"
    assert sorted(path.name for path in page.images.iterdir()) == ["checkerboard.png"]
    assert max(len(line) for line in printed) <= 80  # the gallery's width
