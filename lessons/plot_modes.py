"""Every 2D mode on one digit, and the pitfalls: which pixel 'nearest' copies, and where that moves the image.

Run it from the repository root (it writes images/modes.png and prints the numbers the README quotes):

    python lessons/plot_modes.py

At 2× every copying mode agrees; at 1.5× they part. 'nearest' copies the input pixel under each output
pixel's start, 'nearest-exact' the one under its centre; 'area' averages, 'bilinear' and 'bicubic' blend
neighbours, and 'bicubic' overshoots.
"""

# %%
from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import torch
from helpers import hide_ticks, lesson_parser, sample_digits, write
from matplotlib.figure import Figure

from upsample_example import UpsampleExample
from upsample_io import notebook_figure_class, run_as_command

# The variants drawn side by side, and the two sizes: an integer and a non-integer scale of 28.
MODE_VARIANTS = {
    "nearest": {"mode": "nearest"},
    "nearest-exact": {"mode": "nearest-exact"},
    "area": {"mode": "area"},
    "bilinear": {"mode": "bilinear"},
    "bilinear, corners": {"mode": "bilinear", "align_corners": True},
    "bicubic": {"mode": "bicubic"},
}
SIZES = (56, 42)


def compare_modes(digit: torch.Tensor, size: int) -> dict[str, torch.Tensor]:
    """One (H, W) digit upsampled to size×size in every variant of MODE_VARIANTS."""
    batch = digit.reshape(1, 1, *digit.shape[-2:]).float()  # (1, 1, H, W)
    return {label: UpsampleExample(size=(size, size), **kwargs)(batch)[0, 0] for label, kwargs in MODE_VARIANTS.items()}


# %% [markdown]
# Which input pixel does each output pixel copy? Upsample a ramp whose values are their own indices.


# %%
def source_indices(n_in: int, n_out: int, mode: str) -> list[int]:
    """The input index each of ``n_out`` outputs copies, read off torch by upsampling 0, 1, ..., n_in - 1."""
    ramp = torch.arange(n_in, dtype=torch.float32).reshape(1, 1, n_in)
    return UpsampleExample(size=n_out, mode=mode)(ramp)[0, 0].long().tolist()


def mean_shift(n_in: int, n_out: int, mode: str) -> float:
    """How far the content moves, on average, in input pixels: positive is towards the end (right, down).

    Output pixel d's centre lies at (d + ½)·n_in/n_out − ½ on the input's axis (input pixel i at i);
    it shows input pixel source_indices[d], which therefore appears that far from where it was.
    """
    centres = (torch.arange(n_out, dtype=torch.float64) + 0.5) * n_in / n_out - 0.5
    return (centres - torch.tensor(source_indices(n_in, n_out, mode), dtype=torch.float64)).mean().item()


def exact_ties(n_in: int, n_out: int) -> list[int]:
    """The outputs whose centre falls exactly on a border between two input pixels: (d + ½)·n_in/n_out whole."""
    return [d for d in range(n_out) if ((2 * d + 1) * n_in) % (2 * n_out) == 0]


# %%
def plot_modes(digit: torch.Tensor, sizes: Sequence[int] = SIZES) -> Figure:
    """For each size, the digit in every variant (one grey scale), and below each its difference from 'nearest'.

    Axes: 2 rows per size (images, differences) × one column per variant; the difference row has no 'nearest'.
    """
    import matplotlib.pyplot as plt

    columns = len(MODE_VARIANTS)
    figure, axes = plt.subplots(2 * len(sizes), columns, figsize=(2.1 * columns, 4.6 * len(sizes)),
                                layout="constrained", squeeze=False, FigureClass=notebook_figure_class())
    for row, size in enumerate(sizes):
        upsampled = compare_modes(digit, size)
        for column, (label, image) in enumerate(upsampled.items()):
            top, bottom = axes[2 * row, column], axes[2 * row + 1, column]
            # Bicubic can overshoot [0, 1]: the picture clamps, the title keeps the true range.
            grey = top.imshow(image.clamp(0, 1).numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            top.set_title(f"{label}\n{size}×{size}, range [{image.min():.2f}, {image.max():.2f}]", fontsize=9)
            if label == "nearest":  # nearest minus itself would be a blank panel
                bottom.remove()
                continue
            difference = bottom.imshow((image - upsampled["nearest"]).numpy(), cmap="RdBu_r", vmin=-1, vmax=1,
                                       interpolation="nearest")
            bottom.set_title(f"{label} − nearest", fontsize=9)
        figure.colorbar(grey, ax=axes[2 * row, :], shrink=0.8, label="grey level (clamped to 0..1)")
        figure.colorbar(difference, ax=axes[2 * row + 1, 1:], shrink=0.8, label="difference")
    hide_ticks([ax for ax in axes.flat if ax in figure.axes])  # the images, not the colour bars
    figure.suptitle("One digit in every 2D mode, at 2× (56×56) and 1.5× (42×42)")
    return figure


# %%
def main(argv: Sequence[str] | None = None) -> int:
    args = lesson_parser(__doc__).parse_args(argv)
    for mode in ("nearest", "nearest-exact"):
        print(f"{mode:<14} 28→42 copies input pixels {source_indices(28, 42, mode)[:9]} ...")
    ties = exact_ties(28, 42)
    print(f"exact ties at 28→42 (an output centre on a pixel border): {len(ties)} of 42, at {ties[:4]} ...")
    for n_out in (56, 42):
        shifts = {mode: Fraction(mean_shift(28, n_out, mode)).limit_denominator(1000)
                  for mode in ("nearest", "nearest-exact")}
        print(f"mean shift at 28→{n_out}, in input pixels (+ is right/down): "
              + ", ".join(f"{mode} {shift}" for mode, shift in shifts.items()))
    step = torch.tensor([0.0, 0, 0, 1, 1, 1]).reshape(1, 1, 1, 6).expand(1, 1, 6, 6)
    for mode in ("bilinear", "bicubic"):
        low, high = UpsampleExample(size=(12, 12), mode=mode)(step).aminmax()
        print(f"a 0→1 step upsampled 6→12 with {mode}: range [{low:.3f}, {high:.3f}]")
    digit = sample_digits(1)[0, 0]
    print(f"wrote {write(plot_modes(digit), args.images, 'modes.png')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_as_command(main))
