"""The 1D and 3D lesson (lessons/plot_ranks.py): where output samples fall, and the slices of a volume."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
import torch
from conftest import lesson_definitions
from reference import linear_matrix

from upsample_example import UpsampleExample

matplotlib.use("Agg")
import matplotlib.pyplot as plt

LESSON = lesson_definitions("plot_ranks")  # what the page defines; tests/test_figures.py runs it as a notebook
SIGNAL_LENGTH = LESSON.SIGNAL_LENGTH
SIGNAL_UPSAMPLED = LESSON.SIGNAL_UPSAMPLED
TEMPORAL_VARIANTS = LESSON.TEMPORAL_VARIANTS
plot_temporal = LESSON.plot_temporal
plot_volumetric = LESSON.plot_volumetric
sample_positions = LESSON.sample_positions
sampled_sine = LESSON.sampled_sine


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


def test_volumetric_figure_labels_each_slice_with_its_source():
    volume = torch.rand(4, 28, 28)
    figure = plot_volumetric(volume)
    images = [ax for ax in figure.axes if ax.images]
    assert [ax.get_title() for ax in images[:4]] == [f"input depth {k}" for k in range(4)]
    nearest, trilinear = images[4:12], images[12:20]
    assert [ax.get_title() for ax in nearest] == [f"nearest\ncopy of depth {j // 2}" for j in range(8)]
    assert [ax.get_title().split()[-1] for ax in trilinear] == ["0.00", "0.25", "0.75", "1.25", "1.75", "2.25", "2.75", "3.00"]
    doubled = volume[1].repeat_interleave(2, 0).repeat_interleave(2, 1)
    np.testing.assert_array_equal(nearest[3].images[0].get_array(), doubled.numpy())
    assert any(ax.get_ylabel() == "grey level" for ax in figure.axes)


def test_doubling_the_depth_blends_a_quarter_and_three_quarters():
    """Trilinear output slice 2 sits at depth 0.75: 0.25 of slice 0 and 0.75 of slice 1."""
    np.testing.assert_allclose(linear_matrix(4, 8)[2], [0.25, 0.75, 0, 0])
    volume = torch.rand(1, 1, 4, 3, 3, dtype=torch.float64)
    depth_only = UpsampleExample(size=(8, 3, 3), mode="trilinear")(volume)[0, 0]
    torch.testing.assert_close(depth_only[2], 0.25 * volume[0, 0, 0] + 0.75 * volume[0, 0, 1])


def test_volumetric_figure_refuses_what_is_not_a_volume():
    with pytest.raises(ValueError, match=r"\(D, H, W\).*\(1, 4, 28, 28\)"):
        plot_volumetric(torch.rand(1, 4, 28, 28))
