"""
Every 2D mode, and its pitfalls
===============================

One digit upsampled in every mode ``nn.Upsample`` offers for images, at 2× and at 1.5×; then the pitfalls,
each measured on torch: which pixel ``nearest`` copies and where that moves the image, what ``area``
averages, ``align_corners``, a fractional ``scale_factor``, overshoot, the layer against the function, and
dtypes.
"""

# %%
# The lessons share a few helpers (``lessons/helpers.py``); the next line finds them when a notebook runs
# from the repository root (from ``lessons/`` they are found anyway).
import sys

sys.path[:0] = ["lessons"]

from fractions import Fraction

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from helpers import hide_ticks, sample_digits, save_for_readme

from upsample_example import UpsampleExample

# %%
# Every mode on one digit
# -----------------------
# At 2× (56×56), ``nearest``, ``nearest-exact`` and ``area`` agree: each input pixel becomes a 2×2 block.
# At 1.5× (42×42) they part. ``bilinear`` and ``bicubic`` blend neighbours, so edges become ramps, and
# ``bicubic`` overshoots: the titles give each output's true range, the pictures clamp it to 0..1.

MODE_VARIANTS = {
    "nearest": {"mode": "nearest"},
    "nearest-exact": {"mode": "nearest-exact"},
    "area": {"mode": "area"},
    "bilinear": {"mode": "bilinear"},
    "bilinear, corners": {"mode": "bilinear", "align_corners": True},
    "bicubic": {"mode": "bicubic"},
}
SIZES = (56, 42)  # an integer and a non-integer scale of 28


def compare_modes(digit: torch.Tensor, size: int) -> dict[str, torch.Tensor]:
    """One (H, W) digit upsampled to size×size in every variant of MODE_VARIANTS."""
    batch = digit.reshape(1, 1, *digit.shape[-2:]).float()  # (1, 1, H, W)
    return {label: UpsampleExample(size=(size, size), **kwargs)(batch)[0, 0] for label, kwargs in MODE_VARIANTS.items()}


def plot_modes(digit: torch.Tensor, sizes=SIZES):
    """For each size, the digit in every variant (one grey scale), and below each its difference from 'nearest'."""
    columns = len(MODE_VARIANTS)
    figure, axes = plt.subplots(
        2 * len(sizes), columns, figsize=(2.1 * columns, 4.6 * len(sizes)), layout="constrained", squeeze=False
    )
    for row, size in enumerate(sizes):
        upsampled = compare_modes(digit, size)
        for column, (label, image) in enumerate(upsampled.items()):
            top, bottom = axes[2 * row, column], axes[2 * row + 1, column]
            grey = top.imshow(image.clamp(0, 1).numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            top.set_title(f"{label}\n{size}×{size}, range [{image.min():.2f}, {image.max():.2f}]", fontsize=9)
            if label == "nearest":  # nearest minus itself would be a blank panel
                bottom.remove()
                continue
            difference = bottom.imshow(
                (image - upsampled["nearest"]).numpy(), cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest"
            )
            bottom.set_title(f"{label} − nearest", fontsize=9)
        figure.colorbar(grey, ax=axes[2 * row, :], shrink=0.8, label="grey level (clamped to 0..1)")
        figure.colorbar(difference, ax=axes[2 * row + 1, 1:], shrink=0.8, label="difference")
    hide_ticks([ax for ax in axes.flat if ax in figure.axes])  # the images, not the colour bars
    figure.suptitle("One digit in every 2D mode, at 2× (56×56) and 1.5× (42×42)")
    return figure


digit = sample_digits(1)[0, 0]
at_2x, at_1_5x = compare_modes(digit, 56), compare_modes(digit, 42)
for label in ("nearest-exact", "area"):
    print(
        f"{label:<14} equals nearest at 56×56: {torch.equal(at_2x[label], at_2x['nearest'])}, "
        f"at 42×42: {torch.equal(at_1_5x[label], at_1_5x['nearest'])}"
    )
    assert torch.equal(at_2x[label], at_2x["nearest"]) and not torch.equal(at_1_5x[label], at_1_5x["nearest"])
print(f"bicubic's range at 56×56: [{at_2x['bicubic'].min():.2f}, {at_2x['bicubic'].max():.2f}]")
assert at_2x["bicubic"].min() < 0 and at_2x["bicubic"].max() > 1
save_for_readme(plot_modes(digit), "modes.png")

# %%
# Which pixel the nearest modes copy
# ----------------------------------
# Treat input pixel ``i`` as the interval ``[i, i + 1)``. Output pixel ``d`` of ``n_out`` covers
# ``[d·s, (d + 1)·s)`` with ``s = n_in/n_out``. ``nearest`` copies the input pixel under its start,
# ``⌊d·s⌋``; ``nearest-exact`` the one under its centre, ``⌊(d + ½)·s⌋``. Upsampling a ramp whose values
# are their own indices shows which pixel each output copies.


def source_indices(n_in: int, n_out: int, mode: str) -> list[int]:
    """The input index each of ``n_out`` outputs copies, read off torch by upsampling 0, 1, ..., n_in - 1."""
    ramp = torch.arange(n_in, dtype=torch.float32).reshape(1, 1, n_in)
    return UpsampleExample(size=n_out, mode=mode)(ramp)[0, 0].long().tolist()


for mode in ("nearest", "nearest-exact"):
    print(f"{mode:<14} 28→42 copies input pixels {source_indices(28, 42, mode)[:9]} ...")
assert source_indices(28, 42, "nearest") == [d * 28 // 42 for d in range(42)]

# %%
# Where that moves the image
# --------------------------
# Taking the pixel under the start rather than the centre moves the image towards the bottom right. In
# exact arithmetic, with ``s = p/q`` in lowest terms, the mean move is ``(p − 1)/(2p)`` output pixels:
# less than half a pixel, and none at integer factors (``p = 1``). ``nearest-exact`` does not always keep
# the image centred either: where an output centre falls exactly on a border between two input pixels,
# torch takes the pixel after the border.


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


def formula_shift(n_in: int, n_out: int) -> Fraction:
    """(p − 1)/(2p) output pixels, in input pixels: the exact mean shift of 'nearest' at n_in → n_out."""
    p = Fraction(n_in, n_out).numerator
    return Fraction(p - 1, 2 * p) * Fraction(n_in, n_out)


ties = exact_ties(28, 42)
print(f"exact ties at 28→42 (an output centre on a pixel border): {len(ties)} of 42, at {ties[:4]} ...")
for n_out in (56, 42):
    shifts = {
        mode: Fraction(mean_shift(28, n_out, mode)).limit_denominator(1000) for mode in ("nearest", "nearest-exact")
    }
    print(
        f"mean shift at 28→{n_out}, in input pixels (+ is right/down): "
        + ", ".join(f"{mode} {shift}" for mode, shift in shifts.items())
        + f"; the formula: {formula_shift(28, n_out)}"
    )
    assert shifts["nearest"] == formula_shift(28, n_out)
assert Fraction(mean_shift(28, 42, "nearest-exact")).limit_denominator(1000) == Fraction(-1, 6)

# %%
# At 28→42 (``s = 2/3``) the shift is ¼ of an output pixel, ⅙ of an input pixel, and ``nearest-exact``
# moves the image ⅙ of an input pixel the other way, towards the top left: 14 of its 42 output centres are
# ties. The formula is exact arithmetic; torch computes the source index in float32
# (``floor(d · in/out)``), and at some integer factors that rounding moves a border, so that the image
# shifts where the formula says it cannot:

for n_out in (82, 94):
    copied = source_indices(2, n_out, "nearest")
    print(
        f"nearest 2→{n_out}: pixel 0 copied {copied.count(0)} times, pixel 1 {copied.count(1)} times "
        f"(exact arithmetic: {n_out // 2} each); mean shift {mean_shift(2, n_out, 'nearest') * n_out / 2:+.3f} "
        f"output pixels, the formula {formula_shift(2, n_out)}"
    )
    assert copied.count(0) == n_out // 2 + 1 and formula_shift(2, n_out) == 0

# %%
# ``area`` is adaptive average pooling
# ------------------------------------
# Each output is the plain mean of every input pixel its region touches, not an area-weighted average. At
# 3→5, output 1 spans the input from 0.6 to 1.2: 0.4 of pixel 0 and 0.2 of pixel 1 (⅔ and ⅓ of the
# output's own width), yet it weighs them ½ and ½. Upsampling the identity reads off each output's weights:

weights = F.interpolate(torch.eye(3).reshape(3, 1, 3), size=5, mode="area")[:, 0, :]  # (input, output)
print("area 3→5, the weight of input pixels 0, 1, 2 in output 1:", weights[:, 1].tolist())
assert weights[:, 1].tolist() == [0.5, 0.5, 0.0]
print(UpsampleExample(size=5, mode="area")(torch.tensor([[[0.0, 1.0, 2.0]]])))

# %%
# ``align_corners``
# -----------------
# ``True`` maps the corner pixel centres onto each other: the corners are kept exactly, and samples lie
# ``(in − 1)/(out − 1)`` apart. ``False``, the default, treats pixels as areas: output centres lie
# ``in/out`` apart, half a step in from the edges, the convention OpenCV and Pillow use, so a shrink misses
# the corners. The option exists only for ``linear``, ``bilinear``, ``bicubic`` and ``trilinear``.

r = torch.arange(4.0).reshape(1, 1, 4)
corners = UpsampleExample(size=7, mode="linear", align_corners=True)(r)
centres = UpsampleExample(size=7, mode="linear")(r)
print("align_corners=True: ", corners)
print("align_corners=False:", centres)
torch.testing.assert_close(corners[0, 0], torch.arange(7) * 3 / 6)
torch.testing.assert_close(centres[0, 0], ((torch.arange(7) + 0.5) * 4 / 7 - 0.5).clamp(0, 3))

# %%
# A fractional ``scale_factor`` floors the size
# ---------------------------------------------
# 28 × 1.7 = 47.6, so the output has 47 pixels. By default the samples still step ``1/1.7`` input pixels
# apart, so the 47 samples do not quite reach the far edge; ``recompute_scale_factor=True`` steps ``28/47``
# instead, so that they span the whole input. For ``nearest`` the two differ at a few pixels:

ramp = torch.arange(28.0).reshape(1, 1, 28)
kept = UpsampleExample(scale_factor=1.7)(ramp)[0, 0]
recomputed = UpsampleExample(scale_factor=1.7, recompute_scale_factor=True)(ramp)[0, 0]
moved = (kept != recomputed).nonzero().flatten().tolist()
print(f"28 × 1.7 gives {len(kept)} pixels; recompute_scale_factor moves {len(moved)} of them: {moved}")
assert len(kept) == 47 and moved == [d for d in range(47) if int(d / 1.7) != d * 28 // 47]

# %%
# ``bicubic`` overshoots, the others stay in range up to rounding
# ---------------------------------------------------------------
# Bicubic's kernel has negative lobes (``a = −0.75``, as in OpenCV; Pillow uses ``−0.5``), so around an
# edge it rings below the darkest and above the brightest input value:

step = torch.tensor([0.0, 0, 0, 1, 1, 1]).reshape(1, 1, 1, 6).expand(1, 1, 6, 6)
for mode in ("bilinear", "bicubic"):
    low, high = UpsampleExample(size=(12, 12), mode=mode)(step).aminmax()
    print(f"a 0→1 step upsampled 6→12 with {mode}: range [{low:.3f}, {high:.3f}]")

# %%
# ``nearest``, ``nearest-exact``, ``linear``, ``bilinear``, ``trilinear`` and ``area`` never leave the
# input's range in exact arithmetic. In float32, a weighted sum is rounded, and on a constant image the
# interpolating modes step outside it by a few units in the last place (float32 resolves about 1e-7 near 1):

SIZES_BY_RANK = {
    1: (range(1, 30), range(1, 70, 3)),
    2: (range(1, 30, 2), range(1, 70, 6)),
    3: (range(1, 13), range(1, 31, 3)),
}


def worst_overshoot(mode: str, rank: int, dtype=torch.float32) -> float:
    """The largest |output − value| over constant inputs (0.1 to 1) and the sizes SIZES_BY_RANK[rank]."""
    worst = 0.0
    sizes_in, sizes_out = SIZES_BY_RANK[rank]
    for value in (0.1, 0.123, 0.3, 0.7, 0.9, 1.0):
        for n_in in sizes_in:
            x = torch.full((1, 1) + (n_in,) * rank, value, dtype=dtype)
            for n_out in sizes_out:
                worst = max(worst, (F.interpolate(x, size=(n_out,) * rank, mode=mode) - value).abs().max().item())
    return worst


for mode, rank in (("linear", 1), ("bilinear", 2), ("trilinear", 3), ("area", 1)):
    float32, float64 = worst_overshoot(mode, rank), worst_overshoot(mode, rank, torch.float64)
    print(f"{mode:<10} on constants: off by more than 0 and less than 1e-6 in float32: {0 < float32 < 1e-6}; "
          f"less than 1e-15 in float64: {float64 < 1e-15}")
    assert 0 < float32 < 1e-6 and float64 < 1e-15

# %%
# The layer and the function
# --------------------------
# For the layer's seven modes, without ``antialias``, ``nn.Upsample(...)(x)`` and ``F.interpolate(x, ...)``
# compute the same thing, bit for bit. Use the layer inside an ``nn.Sequential``, the function inside a
# ``forward``, and the function for what only it offers: ``antialias=True`` and ``'lanczos'`` (the antialias
# lesson).

x4 = torch.rand(2, 3, 7, 9)
for mode in ("nearest", "nearest-exact", "bilinear", "bicubic", "area"):
    assert torch.equal(torch.nn.Upsample(size=(11, 13), mode=mode)(x4), F.interpolate(x4, size=(11, 13), mode=mode))
print("nn.Upsample and F.interpolate agree bit for bit on every 2D mode")

# %%
# dtypes
# ------
# On the CPU, ``uint8`` input works for the nearest modes in every rank and for ``bilinear`` and
# ``bicubic`` in 2D, and stays ``uint8``. ``nearest`` gives exactly the float result; ``bilinear`` the float
# result rounded; ``bicubic`` works in two passes, each rounded and clamped to 0..255, so it can differ from
# the float result by more near an overshoot. ``area`` has no ``uint8`` kernel, and torch's error names the
# kernel that is missing and the dtype (``'Byte'`` is ``uint8``); converting first, ``x.float()``, is the remedy.

grey = (digit * 255).round().to(torch.uint8).reshape(1, 1, 28, 28)
for mode in ("nearest", "bilinear", "bicubic"):
    as_uint8 = F.interpolate(grey, size=42, mode=mode).int()
    as_float = F.interpolate(grey.float(), size=42, mode=mode).round().clamp(0, 255).int()
    print(
        f"uint8 {mode:<9} at 28→42: off the rounded float result by up to "
        f"{(as_uint8 - as_float).abs().max()} grey levels"
    )
try:
    UpsampleExample(scale_factor=2, mode="area")(grey)
except NotImplementedError as error:
    print(f"{type(error).__name__}: {error}")
print("converted first:", UpsampleExample(scale_factor=2, mode="area")(grey.float()).dtype)

plt.show()
