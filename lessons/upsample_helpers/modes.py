"""The modes lesson's figure and measuring code (lessons/plot_modes.py): every 2D mode on a digit, overshoot on
constants, torch's errors, and uint8 kernels."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from upsample_example import MODES, UpsampleExample
from upsample_helpers import hide_ticks

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Every way nn.Upsample resizes an image, with align_corners=True where it makes a difference worth seeing.
MODE_VARIANTS = {
    "nearest": {"mode": "nearest"},
    "nearest-exact": {"mode": "nearest-exact"},
    "area": {"mode": "area"},
    "bilinear": {"mode": "bilinear"},
    "bilinear, corners": {"mode": "bilinear", "align_corners": True},
    "bicubic": {"mode": "bicubic"},
}
SIZES = (56, 42)  # an integer and a non-integer scale of 28

# The sizes worst_overshoot tries, per rank: (input sides, output sides); fewer in 3D, where each is a cube.
SIZES_BY_RANK = {
    1: (range(1, 30), range(1, 70, 3)),
    2: (range(1, 30, 2), range(1, 70, 6)),
    3: (range(1, 13), range(1, 31, 3)),
}


def compare_modes(digit: torch.Tensor, size: int) -> dict[str, torch.Tensor]:
    """One (H, W) digit upsampled to size×size in every variant of MODE_VARIANTS: label -> (size, size)."""
    batch = digit.reshape(1, 1, *digit.shape[-2:]).float()  # (1, 1, H, W)
    return {label: UpsampleExample(size=(size, size), **options)(batch)[0, 0]
            for label, options in MODE_VARIANTS.items()}


def modes_table(upsampled: dict[int, dict[str, torch.Tensor]]) -> str:
    """A row per variant: whether it equals 'nearest' bit for bit, then its range, at each size of ``upsampled``."""
    sizes = list(upsampled)
    at = [f"at {size}" for size in sizes]
    lines = [f"{'':<18}  {'equals nearest':<{7 * len(sizes)}}  range",
             f"{'variant':<18}" + "".join(f"{a:>7}" for a in at) + "  " + "".join(f"{a:<14}" for a in at).rstrip()]
    for label in MODE_VARIANTS:
        row = f"{label:<18}"
        row += "".join(f"{torch.equal(upsampled[size][label], upsampled[size]['nearest'])!s:>7}" for size in sizes)
        row += "  " + "".join(f"{upsampled[size][label].min():+.2f}..{upsampled[size][label].max():<6.2f}"
                              for size in sizes)
        lines.append(row.rstrip())
    return "\n".join(lines)


def plot_modes(digit: torch.Tensor, sizes: tuple[int, int] = SIZES) -> Figure:
    """A row per variant: the digit at each size (one grey scale), then its difference from 'nearest' there."""
    upsampled = {size: compare_modes(digit, size) for size in sizes}
    figure, axes = plt.subplots(len(MODE_VARIANTS), 2 * len(sizes), figsize=(7.4, 13.5), layout="constrained")
    for row, label in enumerate(MODE_VARIANTS):
        axes[row, 0].set_ylabel(label, fontsize=10)
        for column, size in enumerate(sizes):
            image = upsampled[size][label]
            grey = axes[row, column].imshow(image.clamp(0, 1).numpy(), cmap="gray", vmin=0, vmax=1,
                                            interpolation="nearest")
            axes[row, column].set_title(f"{size}×{size}, values\n{image.min():.2f}..{image.max():.2f}", fontsize=9)
            difference_axes = axes[row, len(sizes) + column]
            if label == "nearest":  # nearest minus itself would be a blank panel
                difference_axes.remove()
                continue
            difference = difference_axes.imshow((image - upsampled[size]["nearest"]).numpy(), cmap="RdBu_r",
                                                vmin=-1, vmax=1, interpolation="nearest")
            difference_axes.set_title(f"{size}×{size}\nminus nearest", fontsize=9)
    hide_ticks([ax for ax in axes.flat if ax in figure.axes])  # the panels still there
    figure.colorbar(grey, ax=axes[:, : len(sizes)], location="bottom", shrink=0.9,
                    label="grey level (clamped to 0..1)")
    differences = [ax for ax in axes[:, len(sizes):].flat if ax in figure.axes]
    figure.colorbar(difference, ax=differences, location="bottom", shrink=0.9, label="difference")
    figure.suptitle("One 28×28 digit in every 2D mode, at 2× and 1.5×")
    return figure


def worst_overshoot(mode: str, rank: int, dtype: torch.dtype = torch.float32) -> float:
    """The largest |output − value| over constant inputs (0.1 to 1) and the sizes SIZES_BY_RANK[rank]."""
    worst = 0.0
    sizes_in, sizes_out = SIZES_BY_RANK[rank]
    for value in (0.1, 0.123, 0.3, 0.7, 0.9, 1.0):
        for n_in in sizes_in:
            x = torch.full((1, 1) + (n_in,) * rank, value, dtype=dtype)
            for n_out in sizes_out:
                output = F.interpolate(x, size=(n_out,) * rank, mode=mode)
                worst = max(worst, (output - value).abs().max().item())
    return worst


def uint8_kernels() -> dict[int, list[str]]:
    """For each rank, the modes of MODES that upsample a uint8 tensor on the CPU (the others raise)."""
    works: dict[int, list[str]] = {1: [], 2: [], 3: []}
    for mode, rank_needed in MODES.items():
        for rank in (1, 2, 3) if rank_needed is None else (rank_needed,):
            try:
                F.interpolate(torch.zeros((1, 1) + (4,) * rank, dtype=torch.uint8), scale_factor=2, mode=mode)
            except NotImplementedError:
                continue
            works[rank].append(mode)
    return works


def raised(function: Callable[..., object], *args, **kwargs) -> str:
    """'ErrorType: message' of what ``function(*args, **kwargs)`` raises, or 'no error' when it returns."""
    try:
        function(*args, **kwargs)
    except Exception as error:  # the lesson shows whichever error torch raises
        return f"{type(error).__name__}: {error}"
    return "no error"


def uint8_difference(images: torch.Tensor, size: int, mode: str) -> tuple[torch.dtype, int]:
    """uint8 ``images`` resized to size×size: (its dtype, its largest gap to the float result rounded and clamped)."""
    as_uint8 = F.interpolate(images, size=size, mode=mode)
    rounded = F.interpolate(images.float(), size=size, mode=mode).round().clamp(0, 255)
    return as_uint8.dtype, int((as_uint8.int() - rounded.int()).abs().max())
