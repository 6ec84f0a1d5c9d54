"""The 1D and 3D lesson (lessons/plot_ranks.py): where output samples fall, and the slices of a volume."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from reference import linear_matrix

from upsample_example import MODES, UpsampleExample
from upsample_helpers.ranks import (
    SIGNAL_LENGTH,
    SIGNAL_UPSAMPLED,
    TEMPORAL_VARIANTS,
    plot_temporal,
    plot_volumetric,
    ranks_taken,
    sample_positions,
    sampled_sine,
)

matplotlib.use("Agg")
import matplotlib.pyplot as plt

# tests/test_figures.py runs the page itself, as a notebook


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("align_corners", [False, True], ids=["centres", "corners"])
def test_linear_samples_sit_where_the_figure_draws_them(align_corners):
    """Linear output sample j equals the signal interpolated (NumPy's interp) at sample_positions(...)[j]."""
    signal = torch.sin(torch.arange(8, dtype=torch.float64))
    upsampled = UpsampleExample(size=20, mode="linear", align_corners=align_corners)(signal.reshape(1, 1, 8))[0, 0]
    positions = sample_positions(8, 20, align_corners).numpy()
    np.testing.assert_allclose(upsampled.numpy(), np.interp(positions, np.arange(8), signal.numpy()), atol=1e-12)


def test_sample_positions_follow_the_two_conventions():
    np.testing.assert_allclose(sample_positions(8, 20).numpy(), (np.arange(20) + 0.5) * 8 / 20 - 0.5)
    np.testing.assert_allclose(sample_positions(8, 20, align_corners=True).numpy(), np.arange(20) * 7 / 19)


def test_sampled_sine_is_one_period():
    np.testing.assert_allclose(sampled_sine(4)[0, 0].numpy(), [0, 1, 0, -1], atol=1e-6)


@pytest.mark.parametrize("mode", list(MODES))
def test_ranks_taken_are_those_f_interpolate_runs(mode):
    """Independently of nn.Upsample: the ranks in which the function runs the mode on a tensor of that rank."""
    expected = []
    for rank in (1, 2, 3):
        try:
            F.interpolate(torch.rand((1, 1) + (3,) * rank), scale_factor=2, mode=mode)
            expected.append(rank)
        except (ValueError, NotImplementedError):
            pass
    assert ranks_taken(mode) == expected == ([1, 2, 3] if MODES[mode] is None else [MODES[mode]])


def test_temporal_figure_draws_samples_where_they_fall_and_nearest_as_steps():
    figure = plot_temporal()
    axes = figure.axes
    assert len(axes) == len(TEMPORAL_VARIANTS)
    signal = sampled_sine()
    for ax, (label, kwargs) in zip(axes, TEMPORAL_VARIANTS.items(), strict=True):
        inputs, outputs = ax.lines[0], ax.lines[1]
        np.testing.assert_allclose(inputs.get_ydata(), signal[0, 0].numpy())
        align = kwargs.get("align_corners", False)
        np.testing.assert_allclose(outputs.get_xdata(), sample_positions(SIGNAL_LENGTH, SIGNAL_UPSAMPLED, align).numpy())
        expected = UpsampleExample(size=SIGNAL_UPSAMPLED, **kwargs)(signal)[0, 0]
        np.testing.assert_allclose(outputs.get_ydata(), expected.numpy())
        assert outputs.get_drawstyle() == ("steps-mid" if label == "nearest" else "default")
        assert ax.get_title() == ", ".join(f"{name}={value!r}" for name, value in kwargs.items())
    assert figure.get_size_inches()[0] <= 7.5 and min(ax.title.get_fontsize() for ax in axes) >= 9


def test_volumetric_figure_puts_each_slice_under_its_source_depth_and_labels_it():
    volume = torch.rand(4, 28, 28)
    figure = plot_volumetric(volume)
    images = [ax for ax in figure.axes if ax.images]
    grid = {(ax.get_subplotspec().rowspan.start, ax.get_subplotspec().colspan.start): ax for ax in images}
    assert sorted(grid) == [(row, column) for row in range(5) for column in range(4)]  # 5 rows of 4 panels
    assert [grid[0, k].get_title() for k in range(4)] == [f"input depth {k}" for k in range(4)]
    # output slice j lies at depth (j + ½)/2 − ½, around input depth j // 2: it sits in that column
    nearest = [grid[1 + j % 2, j // 2] for j in range(8)]
    trilinear = [grid[3 + j % 2, j // 2] for j in range(8)]
    assert [ax.get_title() for ax in nearest] == [f"nearest slice {j}:\ncopy of depth {j // 2}" for j in range(8)]
    assert [ax.get_title().split()[-1] for ax in trilinear] == ["0.00", "0.25", "0.75", "1.25", "1.75", "2.25", "2.75", "3.00"]
    doubled = volume[1].repeat_interleave(2, 0).repeat_interleave(2, 1)
    np.testing.assert_array_equal(nearest[3].images[0].get_array(), doubled.numpy())
    expected = UpsampleExample(scale_factor=2, mode="trilinear")(volume[None, None])[0, 0]
    for j, ax in enumerate(trilinear):
        np.testing.assert_allclose(ax.images[0].get_array(), expected[j].numpy())
    assert {ax.images[0].get_clim() for ax in images} == {(0, 1)}  # one grey scale
    assert any(ax.get_ylabel() == "grey level" for ax in figure.axes)
    assert figure.get_size_inches()[0] <= 7.5 and min(ax.title.get_fontsize() for ax in images) >= 9


def test_doubling_the_depth_blends_a_quarter_and_three_quarters():
    """Trilinear output slice 2 sits at depth 0.75: 0.25 of slice 0 and 0.75 of slice 1."""
    np.testing.assert_allclose(linear_matrix(4, 8)[2], [0.25, 0.75, 0, 0])
    volume = torch.rand(1, 1, 4, 3, 3, dtype=torch.float64)
    depth_only = UpsampleExample(size=(8, 3, 3), mode="trilinear")(volume)[0, 0]
    torch.testing.assert_close(depth_only[2], 0.25 * volume[0, 0, 0] + 0.75 * volume[0, 0, 1])


def test_volumetric_figure_refuses_what_is_not_a_volume():
    with pytest.raises(ValueError, match=r"\(D, H, W\).*\(1, 4, 28, 28\)"):
        plot_volumetric(torch.rand(1, 4, 28, 28))
