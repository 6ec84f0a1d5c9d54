"""The nearest lesson's measuring code and figure (lessons/plot_nearest.py): which input pixel 'nearest' and
'nearest-exact' copy, how far that moves the image, and where output centres fall on pixel borders."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import torch
from matplotlib.patches import Rectangle

from upsample_example import UpsampleExample

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def source_indices(n_in: int, n_out: int, mode: str) -> list[int]:
    """The input index each of ``n_out`` outputs copies, read off torch by upsampling 0, 1, ..., n_in - 1."""
    ramp = torch.arange(n_in, dtype=torch.float32).reshape(1, 1, n_in)
    return UpsampleExample(size=n_out, mode=mode)(ramp)[0, 0].long().tolist()


def mean_shift(n_in: int, n_out: int, mode: str) -> float:
    """How far the content moves, on average, in input pixels: positive is towards the end (right, down)."""
    # Output pixel d's centre lies at (d + ½)·n_in/n_out − ½ on the input's axis (input pixel i at i); it shows
    # input pixel source_indices[d], which therefore appears that far from where it was.
    centres = (torch.arange(n_out, dtype=torch.float64) + 0.5) * n_in / n_out - 0.5
    return (centres - torch.tensor(source_indices(n_in, n_out, mode), dtype=torch.float64)).mean().item()


def exact_ties(n_in: int, n_out: int) -> list[int]:
    """The outputs whose centre falls exactly on a border between two input pixels: (d + ½)·n_in/n_out whole."""
    return [d for d in range(n_out) if ((2 * d + 1) * n_in) % (2 * n_out) == 0]


def factors_that_move(mode: str, sides: range = range(1, 29), factors: range = range(2, 50)) -> list[int]:
    """The integer factors at which ``mode`` moves the image (mean_shift not 0) for some input side in ``sides``."""
    return sorted({factor for side in sides for factor in factors
                   if abs(mean_shift(side, side * factor, mode)) > 1e-9})


def plot_sources(n_in: int, n_out: int) -> Figure:
    """Per nearest mode, input pixels above output pixels, each output's centre joined to the pixel it copies."""
    # On one axis, input pixel i spans [i, i + 1). A line that leans shows content moved; outputs whose centre
    # lies exactly on a border between input pixels are marked.
    scale = n_in / n_out
    ties = set(exact_ties(n_in, n_out))
    figure, axes = plt.subplots(2, 1, figsize=(7.4, 4.6), sharex=True, layout="constrained")
    for ax, mode in zip(axes, ("nearest", "nearest-exact"), strict=True):
        for i in range(n_in):  # input pixels, above
            ax.add_patch(Rectangle((i, 0.75), 1, 0.25, facecolor="0.85", edgecolor="black"))
            ax.text(i + 0.5, 0.875, str(i), ha="center", va="center", fontsize=9)
        for d, source in enumerate(source_indices(n_in, n_out, mode)):  # output pixels, below
            centre = (d + 0.5) * scale
            ax.add_patch(Rectangle((d * scale, 0), scale, 0.25, facecolor="white", edgecolor="tab:blue"))
            ax.text(centre, 0.125, str(d), ha="center", va="center", fontsize=9, color="tab:blue")
            ax.plot([centre, source + 0.5], [0.25, 0.75], color="tab:orange", lw=1.5)
            if mode == "nearest-exact" and d in ties:
                ax.plot(centre, 0.25, "o", color="tab:red", markersize=6)
        shift = mean_shift(n_in, n_out, mode)
        rule = "the pixel under its start, ⌊d·s⌋" if mode == "nearest" else "the pixel under its centre, ⌊(d + ½)·s⌋"
        ax.set_title(f"{mode!r} copies {rule}; the image moves {shift:+.3f} input pixel", fontsize=9)
        ax.set_yticks([0.125, 0.875], ["output", "input"], fontsize=9)
        ax.set_ylim(-0.05, 1.05)
        ax.set_xlim(-0.2, n_in + 0.2)
    axes[-1].set_xlabel(f"position along the axis, in input pixels (s = {n_in}/{n_out}); "
                        "red: an output centre on a pixel border")
    figure.suptitle(f"{n_in} pixels upsampled to {n_out}: which input pixel each output copies")
    return figure
