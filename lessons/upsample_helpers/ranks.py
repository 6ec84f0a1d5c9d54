"""The 1D and 3D lesson's signal, sample positions and figures (lessons/plot_ranks.py)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import torch

from upsample_example import UpsampleExample
from upsample_helpers import hide_ticks

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SIGNAL_LENGTH, SIGNAL_UPSAMPLED = 8, 20  # 8 samples of one sine period, upsampled to 20
VOLUME_DEPTH = 4  # 4 digits stacked into a 4×28×28 volume, doubled in every dimension
TEMPORAL_VARIANTS = {
    "nearest": {"mode": "nearest"},
    "linear": {"mode": "linear"},
    "linear, align_corners=True": {"mode": "linear", "align_corners": True},
}


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


def plot_temporal(signal: torch.Tensor | None = None, length: int = SIGNAL_UPSAMPLED) -> Figure:
    """The input samples and the upsampled ones on one time axis, one panel per variant of TEMPORAL_VARIANTS."""
    # 'nearest' output is drawn as steps (each output sample holds a copied value), 'linear' as a line.
    signal = sampled_sine() if signal is None else signal
    n_in = signal.shape[-1]
    figure, axes = plt.subplots(len(TEMPORAL_VARIANTS), 1, figsize=(7.4, 7), sharex=True, sharey=True,
                                layout="constrained")
    for ax, (label, options) in zip(axes, TEMPORAL_VARIANTS.items(), strict=True):
        upsampled = UpsampleExample(size=length, **options)(signal)[0, 0]
        positions = sample_positions(n_in, length, options.get("align_corners", False))
        ax.plot(range(n_in), signal[0, 0], "o", markersize=10, markerfacecolor="none", label=f"input, {n_in} samples")
        style = {"drawstyle": "steps-mid"} if label == "nearest" else {}
        ax.plot(positions, upsampled, ".-", color="tab:orange", label=f"output, {length} samples", **style)
        ax.axhline(0, color="grey", linewidth=0.5)
        ax.set_title(", ".join(f"{name}={value!r}" for name, value in options.items()), fontsize=10)
        ax.set_ylabel("value")
        ax.legend(loc="upper right", fontsize=9)
    axes[-1].set_xlabel("time, in input samples (input sample i sits at i)")
    figure.suptitle(f"1D upsampling: {n_in} samples of one sine period to {length},\n"
                    "each output sample drawn at its position on the input's time axis")
    return figure


def plot_volumetric(volume: torch.Tensor, scale_factor: int = 2) -> Figure:
    """Depth slices of a (D, H, W) volume before, and after 'nearest' and 'trilinear', on one grey scale."""
    # Column k holds input depth k and, below it, the ``scale_factor`` output slices that lie around it.
    if not isinstance(volume, torch.Tensor) or volume.dim() != 3:
        shape = tuple(volume.shape) if isinstance(volume, torch.Tensor) else type(volume).__name__
        raise ValueError(f"volume must be a (D, H, W) tensor, got {shape}")
    depth = volume.shape[0]
    batch = volume.reshape(1, 1, *volume.shape).float()  # (N, C, D, H, W)
    after = {mode: UpsampleExample(scale_factor=scale_factor, mode=mode)(batch)[0, 0]
             for mode in ("nearest", "trilinear")}
    slices = depth * scale_factor
    # 'nearest' copies input slice floor(j·D/D'); 'trilinear' blends the two slices around the output slice's
    # position (clamped to the volume at the ends).
    positions = sample_positions(depth, slices).clamp(0, depth - 1)
    sources = {"nearest": [f"copy of depth {j * depth // slices}" for j in range(slices)],
               "trilinear": [f"depth {z:.2f}" for z in positions]}
    rows = 1 + 2 * scale_factor
    figure, axes = plt.subplots(rows, depth, figsize=(7.4, 1.75 * rows + 0.6), layout="constrained", squeeze=False)
    for k in range(depth):
        shown = axes[0, k].imshow(volume[k].numpy(), cmap="gray", vmin=0, vmax=1)
        axes[0, k].set_title(f"input depth {k}", fontsize=10)
    for block, (mode, upsampled) in enumerate(after.items()):
        for j in range(slices):
            ax = axes[1 + block * scale_factor + j % scale_factor, j // scale_factor]
            ax.imshow(upsampled[j].numpy(), cmap="gray", vmin=0, vmax=1)
            ax.set_title(f"{mode} slice {j}:\n{sources[mode][j]}", fontsize=9)
    hide_ticks(axes)
    figure.colorbar(shown, ax=axes, shrink=0.5, label="grey level")
    shapes = "×".join(map(str, volume.shape)), "×".join(map(str, after["nearest"].shape))
    figure.suptitle(f"A {shapes[0]} volume of digits upsampled to {shapes[1]}:\n"
                    "each output slice under the input depth it lies at")
    return figure


def ranks_taken(mode: str) -> list[int]:
    """The spatial ranks (1 for (N, C, L), 2 for images, 3 for volumes) in which nn.Upsample runs ``mode``."""
    taken = []
    for rank in (1, 2, 3):
        try:
            torch.nn.Upsample(scale_factor=2, mode=mode)(torch.zeros((1, 1) + (4,) * rank))
        except (ValueError, NotImplementedError):
            continue
        taken.append(rank)
    return taken
