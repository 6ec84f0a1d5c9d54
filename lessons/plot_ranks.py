"""
1D and 3D: a signal's new samples, and a volume's new slices
============================================================

The same layer takes ``(N, C, L)`` signals with ``'linear'`` and ``(N, C, D, H, W)`` volumes with
``'trilinear'``; ``'nearest'``, ``'nearest-exact'`` and ``'area'`` take all three ranks. Where do the new
samples of a signal fall in time, and what is in the new depth slices of a volume?
"""

# %%
# The lessons share a few helpers (``lessons/helpers.py``); the next line finds them when a notebook runs
# from the repository root (from ``lessons/`` they are found anyway).
import sys

sys.path[:0] = ["lessons"]

import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from helpers import hide_ticks, sample_digits, save_for_readme

from upsample_example import UpsampleExample

SIGNAL_LENGTH, SIGNAL_UPSAMPLED = 8, 20  # 8 samples of one sine period, upsampled to 20
VOLUME_DEPTH = 4  # 4 digits stacked into a 4×28×28 volume, doubled in every dimension

# %%
# 1D: where the new samples fall
# ------------------------------
# Input sample ``i`` sits at time ``i``. With the default ``align_corners=False``, each of the 20 output
# samples covers 1/20 of the signal and sits at its centre, at ``(j + ½)·8/20 − ½``; with
# ``align_corners=True``, the first and last output samples sit exactly on the first and last input
# samples, ``7/19`` apart.


def sample_positions(n_in: int, n_out: int, align_corners: bool = False) -> torch.Tensor:
    """Where each of n_out output samples falls on the input's time axis (input sample i is at time i)."""
    steps = torch.arange(n_out, dtype=torch.float64)
    if align_corners:
        return steps * (n_in - 1) / max(n_out - 1, 1)
    return (steps + 0.5) * n_in / n_out - 0.5


def sampled_sine(length: int = SIGNAL_LENGTH) -> torch.Tensor:
    """One period of a sine, sampled at ``length`` evenly spaced times: shape (1, 1, length)."""
    times = torch.arange(length, dtype=torch.float32)
    return torch.sin(2 * math.pi * times / length).reshape(1, 1, length)


for align_corners in (False, True):
    positions = sample_positions(SIGNAL_LENGTH, SIGNAL_UPSAMPLED, align_corners)
    print(
        f"align_corners={align_corners}: output samples at {positions[0]:.2f}, {positions[1]:.2f}, ..., "
        f"{positions[-1]:.2f}, {positions[1] - positions[0]:.4f} apart"
    )
assert torch.allclose(sample_positions(8, 20, True)[1], torch.tensor(7 / 19, dtype=torch.float64))

# %%
# A linear output sample is the signal interpolated at that time (NumPy's ``np.interp`` gives the same);
# ``nearest`` holds a copied value, drawn as steps.

signal = sampled_sine()
for align_corners in (False, True):
    linear = UpsampleExample(size=SIGNAL_UPSAMPLED, mode="linear", align_corners=align_corners)(signal)[0, 0]
    at = sample_positions(SIGNAL_LENGTH, SIGNAL_UPSAMPLED, align_corners).numpy()
    interpolated = np.interp(at, np.arange(SIGNAL_LENGTH), signal[0, 0].numpy())
    print(f"align_corners={align_corners}: linear equals np.interp to 1e-6: "
          f"{np.abs(linear.numpy() - interpolated).max() < 1e-6}")
    assert np.allclose(linear.numpy(), interpolated, atol=1e-6)

TEMPORAL_VARIANTS = {
    "nearest": {"mode": "nearest"},
    "linear": {"mode": "linear"},
    "linear, align_corners=True": {"mode": "linear", "align_corners": True},
}


def plot_temporal(signal: torch.Tensor | None = None, length: int = SIGNAL_UPSAMPLED):
    """The input samples and the upsampled ones on one time axis, one panel per variant.

    'nearest' output is drawn as steps (each output sample holds a copied value), 'linear' as a line.
    """
    signal = sampled_sine() if signal is None else signal
    n_in = signal.shape[-1]
    figure, axes = plt.subplots(
        len(TEMPORAL_VARIANTS), 1, figsize=(8, 6.5), sharex=True, sharey=True, layout="constrained"
    )
    for ax, (label, kwargs) in zip(axes, TEMPORAL_VARIANTS.items(), strict=True):
        upsampled = UpsampleExample(size=length, **kwargs)(signal)[0, 0]
        positions = sample_positions(n_in, length, kwargs.get("align_corners", False))
        ax.plot(range(n_in), signal[0, 0], "o", markersize=10, markerfacecolor="none", label=f"input, {n_in} samples")
        style = {"drawstyle": "steps-mid"} if label == "nearest" else {}
        ax.plot(positions, upsampled, ".-", color="tab:orange", label=f"{label}, {length} samples", **style)
        ax.axhline(0, color="grey", linewidth=0.5)
        ax.set_title(f"mode {label!r}: each output sample at its position on the input's time axis", fontsize=10)
        ax.set_ylabel("value")
        ax.legend(loc="upper right", fontsize=8)
    axes[-1].set_xlabel("time, in input samples (input sample i sits at i)")
    figure.suptitle(f"1D upsampling: {n_in} samples of one sine period to {length}")
    return figure


save_for_readme(plot_temporal(), "temporal.png")

# %%
# 3D: a volume
# ------------
# Four digits stacked into a ``(D, H, W) = (4, 28, 28)`` volume are doubled in every dimension.
# ``nearest`` repeats each depth slice twice; ``trilinear`` also interpolates along the depth. Of its 8
# new slices, the first and last are copies of the end digits (their centres fall outside the volume and
# are clamped to it), and the 6 between blend the two digits on either side: at depth 0.75, a quarter of
# the first digit and three quarters of the second. Upsampling a volume whose slices hold their own depth
# shows where each new slice comes from:

depths = torch.arange(4.0).reshape(1, 1, 4, 1, 1).expand(1, 1, 4, 2, 2)
from_depth = UpsampleExample(scale_factor=2, mode="trilinear")(depths)[0, 0, :, 0, 0].tolist()
print("trilinear: the depth each of the 8 slices shows:", from_depth)
assert from_depth == [0.0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.0]


def plot_volumetric(volume: torch.Tensor, scale_factor: int = 2):
    """Depth slices of a (D, H, W) volume before, and after 'nearest' and 'trilinear', on one grey scale.

    Each output slice is drawn under the input depth it comes from; rows: before, nearest, trilinear.
    """
    if not isinstance(volume, torch.Tensor) or volume.dim() != 3:
        shape = tuple(volume.shape) if isinstance(volume, torch.Tensor) else type(volume).__name__
        raise ValueError(f"volume must be a (D, H, W) tensor, got {shape}")
    depth = volume.shape[0]
    batch = volume.reshape(1, 1, *volume.shape).float()  # (N, C, D, H, W)
    after = {
        mode: UpsampleExample(scale_factor=scale_factor, mode=mode)(batch)[0, 0] for mode in ("nearest", "trilinear")
    }
    columns = depth * scale_factor
    figure, axes = plt.subplots(
        3,
        columns,
        figsize=(1.45 * columns + 1, 5.2),
        layout="constrained",
    )
    for k in range(depth):  # input slice k above the output slices around depth k; the slots between stay empty
        shown = axes[0, k * scale_factor].imshow(volume[k].numpy(), cmap="gray", vmin=0, vmax=1)
        axes[0, k * scale_factor].set_title(f"input depth {k}", fontsize=9)
        for gap in range(1, scale_factor):
            axes[0, k * scale_factor + gap].remove()
    # 'nearest' copies input slice floor(j·D/D'); 'trilinear' blends the two slices around the output
    # slice's position (clamped to the volume at the ends).
    positions = sample_positions(depth, columns).clamp(0, depth - 1)
    sources = {
        "nearest": [f"copy of depth {j * depth // columns}" for j in range(columns)],
        "trilinear": [f"blend at depth {z:.2f}" for z in positions],
    }
    for row, (mode, upsampled) in enumerate(after.items(), start=1):
        for j in range(columns):
            axes[row, j].imshow(upsampled[j].numpy(), cmap="gray", vmin=0, vmax=1)
            axes[row, j].set_title(f"{mode}\n{sources[mode][j]}", fontsize=8)
    hide_ticks([ax for ax in axes.flat if ax in figure.axes])
    figure.colorbar(shown, ax=axes[1:, -1], shrink=0.9, label="grey level")
    shapes = "×".join(map(str, volume.shape)), "×".join(map(str, after["nearest"].shape))
    figure.suptitle(f"A {shapes[0]} volume of digits upsampled to {shapes[1]}: depth slices")
    return figure


volume = sample_digits(VOLUME_DEPTH)[:, 0]  # (D, H, W)
save_for_readme(plot_volumetric(volume), "volumetric.png")
plt.show()
