"""
Every 2D mode, and its pitfalls
===============================

One digit upsampled in every mode ``nn.Upsample`` offers for images, at 2×
and at 1.5×; then the pitfalls, each measured on torch: what ``area``
averages, ``align_corners``, a fractional ``scale_factor``, overshoot, the
layer against the function, and dtypes. Which pixel the nearest modes copy,
and where that moves the image, has a lesson of its own, ``plot_nearest.py``.
"""

# %%
# Every mode on one digit
# -----------------------
# A digit of the offline MNIST sample, upsampled to 56×56 (2×) and to 42×42
# (1.5×) in each mode, and in ``bilinear`` with ``align_corners=True``. The
# table says which results are exactly ``nearest``'s, and the range of each.
# 56 is a whole multiple of 28 and 42 is not, so the two sizes separate what
# depends on the factor being whole. At 2×, ``nearest``, ``nearest-exact``
# and ``area`` agree; at 1.5× they part. Only ``bicubic`` leaves the digit's
# range, 0..1, at either size.
import torch

from upsample_helpers import sample_digits, save_for_readme
from upsample_helpers.modes import compare_modes, modes_table, plot_modes

digit = sample_digits(1)[0, 0]  # (28, 28), grey levels in 0..1
upsampled = {size: compare_modes(digit, size) for size in (56, 42)}
print(modes_table(upsampled))
for label in ("nearest-exact", "area"):
    assert torch.equal(upsampled[56][label], upsampled[56]["nearest"])
    assert not torch.equal(upsampled[42][label], upsampled[42]["nearest"])
for results in upsampled.values():
    assert [name for name, im in results.items() if im.min() < 0] == ["bicubic"]
    assert [name for name, im in results.items() if im.max() > 1] == ["bicubic"]

# %%
# At 2× the three agree because each input pixel simply becomes a 2×2 block.
# Output pixel ``d`` covers the input from ``d/2`` to ``(d + 1)/2``: half of
# one input pixel and nothing of its neighbours, so copying the pixel under
# it (``nearest``, ``nearest-exact``) and averaging the pixels it touches
# (``area``) are the same thing.
covered = [(d / 2, (d + 1) / 2) for d in range(4)]
print("outputs 0..3 cover", ", ".join(f"{a}–{b}" for a, b in covered))
# each ends where the input pixel it starts in ends, or before
assert all(end <= int(start) + 1 for start, end in covered)

blocks = digit.repeat_interleave(2, dim=0).repeat_interleave(2, dim=1)
print("nearest at 2× is every pixel as a 2×2 block:",
      torch.equal(upsampled[56]["nearest"], blocks))
assert torch.equal(upsampled[56]["nearest"], blocks)

# %%
# The figure shows each variant in a row: the digit at both sizes on one
# grey scale (the titles give the true range, the pictures clamp it to
# 0..1), then its difference from ``nearest`` at the same size: red where
# the variant is brighter than ``nearest``, blue where it is darker. Look at
# the stroke's edges: ``bilinear`` and ``bicubic`` blend neighbouring pixels,
# so where the stroke is flat they agree with ``nearest`` and their
# difference from it lines the edges. At 1.5×, the nearest modes and
# ``area`` part along thin lines: the rows and columns where they read other
# input pixels (``plot_nearest.py`` finds which).
import matplotlib.pyplot as plt

figure = plot_modes(digit)
save_for_readme(figure, "modes.png")
plt.show()

# %%
# ``area`` is adaptive average pooling
# ------------------------------------
# Each output is the plain mean of every input pixel its region touches, not
# an area-weighted average. At 3→5, output 1 spans the input from 3/5 to
# 6/5: two thirds of it lie over pixel 0 and one third over pixel 1, yet it
# weighs them ½ and ½. An area-weighted average would weigh them by those
# shares, ⅔ and ⅓, so the two part wherever an output straddles a boundary
# unevenly. Upsampling the identity reads off each output's
# weights, a column per output; and on three values, ``area`` gives what
# ``F.adaptive_avg_pool1d`` gives:
from fractions import Fraction

import torch.nn.functional as F

from upsample_example import MODES, UpsampleExample

start, end = Fraction(3, 5), Fraction(6, 5)
shares = [(min(end, i + 1) - max(start, i)) / (end - start) for i in (0, 1)]
print("output 1's share over pixels 0 and 1:", *shares)
assert shares == [Fraction(2, 3), Fraction(1, 3)]
weights = F.interpolate(torch.eye(3).reshape(3, 1, 3), size=5, mode="area")
print("area 3→5, the weights of inputs 0, 1, 2 (rows) in outputs 0..4:")
print(weights[:, 0, :])
assert weights[:, 0, 1].tolist() == [0.5, 0.5, 0.0]
x = torch.tensor([[[0.0, 1.0, 2.0]]])
area = UpsampleExample(size=5, mode="area")(x)
pooled = F.adaptive_avg_pool1d(x, 5)
print("area:", area[0, 0], "\nadaptive_avg_pool1d:", pooled[0, 0])
assert torch.equal(area, pooled)

# %%
# ``align_corners``
# -----------------
# ``True`` maps the corner pixel centres onto each other: the corners are
# kept exactly, and samples lie ``(in − 1)/(out − 1)`` apart. ``False``, the
# default, treats pixels as areas: output centres lie ``in/out`` apart, half
# a step in from the edges; OpenCV and Pillow resize this way too (the
# antialias lesson compares them with torch). Upsampling the ramp 0, 1, 2, 3
# to 7 samples prints where each sample falls:

ramp = torch.arange(4.0).reshape(1, 1, 4)
corners = UpsampleExample(size=7, mode="linear", align_corners=True)(ramp)[0, 0]
centres = UpsampleExample(size=7, mode="linear")(ramp)[0, 0]
print("align_corners=True: ", " ".join(f"{v:.3f}" for v in corners))
torch.testing.assert_close(corners, torch.arange(7) * 3 / 6)
print("align_corners=False:", " ".join(f"{v:.3f}" for v in centres))
expected = ((torch.arange(7) + 0.5) * 4 / 7 - 0.5).clamp(0, 3)
torch.testing.assert_close(centres, expected)

# %%
# Shrinking shows the difference at the corners. Shrinking 9 pixels to 4,
# output 0 samples input position 0, the corner pixel's centre, with
# ``True``; with ``False`` it samples ``(0 + ½)·9/4 − ½ = 0.625``, between
# pixels 0 and 1, so the shrunk image does not keep its corner value. In 2D
# that corner output is then 0.375 of pixel 0 and 0.625 of pixel 1 along
# each axis:

x = torch.rand(1, 1, 9, 9, dtype=torch.float64)
for corners in (True, False):
    small = F.interpolate(x, size=4, mode="bilinear", align_corners=corners)
    kept = bool(small[0, 0, 0, 0] == x[0, 0, 0, 0])
    print(f"9→4, align_corners={corners}: the corner pixel kept: {kept}")
    assert kept == corners
blend = torch.tensor([0.375, 0.625], dtype=torch.float64)
print("False: output 0 is that blend:", bool(torch.isclose(
    small[0, 0, 0, 0], blend @ x[0, 0, :2, :2] @ blend)))
assert torch.isclose(small[0, 0, 0, 0], blend @ x[0, 0, :2, :2] @ blend)

# %%
# The option exists only for the modes that interpolate between sample
# positions; ``nearest``, ``nearest-exact`` and ``area`` have no positions to
# align. torch refuses it for each of them, and its message names the modes
# that take it (``raised`` returns the message of the error a call raises):
from upsample_helpers.modes import raised

for mode in ("nearest", "nearest-exact", "area"):
    message = raised(F.interpolate, x, size=4, mode=mode, align_corners=True)
    assert message.endswith("linear | bilinear | bicubic | trilinear")
print(message.replace("modes: ", "modes:\n"))

# %%
# A fractional ``scale_factor`` floors the size
# ---------------------------------------------
# 28 × 1.7 = 47.6, so the output has 47 pixels. By default the samples still
# step ``1/1.7`` input pixels apart, so the 47 samples do not quite reach the
# far edge; ``recompute_scale_factor=True`` steps ``28/47`` instead, so that
# they span the whole input. For ``nearest`` the two differ at 7 pixels.
# When the output size matters, give it as ``size=``: then there is nothing
# to floor, and the samples step ``in/out`` apart, as recomputed ones do.

ramp = torch.arange(28.0).reshape(1, 1, 28)
default = UpsampleExample(scale_factor=1.7)(ramp)[0, 0]
recompute = UpsampleExample(scale_factor=1.7, recompute_scale_factor=True)
recomputed = recompute(ramp)
moved = (default != recomputed[0, 0]).nonzero().flatten().tolist()
print(f"28 × 1.7 gives {len(default)} pixels; recompute_scale_factor=True "
      f"moves {len(moved)}:\n{moved}")
assert len(default) == 47
assert moved == [d for d in range(47) if int(d / 1.7) != d * 28 // 47]
sized = UpsampleExample(size=47)(ramp)
print("size=47 gives the recomputed samples:", torch.equal(sized, recomputed))
assert torch.equal(sized, recomputed)

# %%
# ``bicubic`` overshoots
# ----------------------
# Bicubic's kernel has negative lobes (torch's ``a = −0.75``; the porting
# lesson reads other libraries' ``a`` off their output), so around an edge
# it rings below the darkest and above the brightest input value. ``bilinear`` weighs two neighbours, both positively,
# and a 0→1 step stays within 0..1. Clamp a bicubic image before showing or
# saving it as 8-bit grey levels:

step = torch.tensor([0.0, 0, 0, 1, 1, 1]).reshape(1, 1, 1, 6).expand(1, 1, 6, 6)
for mode in ("bilinear", "bicubic"):
    low, high = UpsampleExample(size=(12, 12), mode=mode)(step).aminmax()
    print(f"a 0→1 step upsampled 6→12 with {mode}: "
          f"range [{low:.3f}, {high:.3f}]")
    inside = low >= 0 and high <= 1
    assert inside if mode == "bilinear" else low < -0.05 and high > 1.05

# %%
# The other modes stay in range, up to rounding
# ---------------------------------------------
# ``nearest``, ``nearest-exact``, ``linear``, ``bilinear``, ``trilinear`` and
# ``area`` weigh their inputs with weights that are never negative and sum
# to 1, so in exact arithmetic they never leave the input's range. In float32 a
# weighted sum is rounded, and on constant images, 0.1 to 1 at many sizes,
# the modes that weigh several pixels step outside by up to one or two
# float32 ``eps`` (1.2e-07, the gap between 1 and the next float32). In
# float64 the error stays below 1e-15. So a check such as
# ``assert out.max() <= 1`` after resizing can fail on valid data in
# float32, as it does for a 2×2 image of ones made 11×11 by ``bilinear``,
# whose largest value is ``1 + eps``, the next float32 above 1. Clamp first,
# or allow a tolerance.
from upsample_helpers.modes import worst_overshoot

eps = torch.finfo(torch.float32).eps
ones = F.interpolate(torch.ones(1, 1, 2, 2), size=11, mode="bilinear")
print(f"float32 eps: {eps:.1e}; ones 2→11, bilinear: max {ones.max():.7f}")
assert ones.max() == 1 + eps
for mode in ("linear", "bilinear", "trilinear", "area"):
    float32 = worst_overshoot(mode, MODES[mode] or 1)
    float64 = worst_overshoot(mode, MODES[mode] or 1, torch.float64)
    print(f"{mode:<10} off by {float32 / eps:.1f} eps in float32, "
          f"{float64:.0e} in float64")
    assert 0 < float32 <= 2 * eps and float32 < 1e-6 and float64 < 1e-15

# %%
# The layer and the function
# --------------------------
# For the layer's seven modes, ``nn.Upsample(...)(x)`` and
# ``F.interpolate(x, ...)`` compute the same thing, bit for bit. Each mode is
# tried here in the rank it takes: ``linear`` in 1D, ``trilinear`` in 3D,
# the others in 2D. They agree because the layer stores its options and
# its ``forward`` is one call of the function, printed below. Use the layer
# inside an ``nn.Sequential``, the function inside a ``forward``:
import inspect

from torch import nn

for mode, rank in MODES.items():
    x = torch.rand(2, 3, *(7, 9, 5)[: rank or 2])
    layer = nn.Upsample(scale_factor=2, mode=mode)(x)
    same = torch.equal(layer, F.interpolate(x, scale_factor=2, mode=mode))
    print(f"{mode:<14} {x.dim() - 2}D: layer and function equal: {same}")
    assert same
print(inspect.getsource(nn.Upsample.forward))
assert "return F.interpolate(" in inspect.getsource(nn.Upsample.forward)

# %%
# Use the function, too, for what only it offers: ``antialias=True`` and
# ``mode='lanczos'``, which the antialias lesson shows. ``nn.Upsample`` has no
# ``antialias`` argument, so a model that shrinks images, and must not alias
# while doing it, calls ``F.interpolate`` in its ``forward``:

for resize in (F.interpolate, nn.Upsample):
    takes = "antialias" in inspect.signature(resize).parameters
    print(f"{resize.__name__} takes antialias: {takes}")
    assert takes == (resize is F.interpolate)

# %%
# dtypes
# ------
# On the CPU, ``uint8`` input works for the nearest modes in every rank and
# for ``bilinear`` and ``bicubic`` in 2D; the other modes have no ``uint8``
# kernel. So test a pipeline with the dtype it will really receive: ``area``
# works on float images and fails on ``uint8`` ones. ``uint8_kernels`` tries
# each mode in each rank it takes:
from upsample_helpers.modes import uint8_kernels

works = uint8_kernels()
for rank, modes in works.items():
    print(f"{rank}D, uint8 works for: {', '.join(modes)}")
nearest = ["nearest", "nearest-exact"]
assert works == {1: nearest, 2: [*nearest, "bilinear", "bicubic"], 3: nearest}

# %%
# The result stays ``uint8``. ``nearest`` gives exactly the float result;
# ``bilinear`` the float result rounded, within one grey level; ``bicubic``
# can differ from it by more than ten grey levels. Where that matters,
# resize in float and round back: ``x.float()``, resize,
# ``.round().clamp(0, 255)``, then ``.to(torch.uint8)``.
# ``uint8_difference`` compares the two ways:
from upsample_helpers.modes import uint8_difference

grey = (digit * 255).round().to(torch.uint8).reshape(1, 1, 28, 28)
off = {}
for mode in ("nearest", "bilinear", "bicubic"):
    dtype, off[mode] = uint8_difference(grey, 42, mode)
    print(f"{mode:<9} {dtype}: off the rounded float result by "
          f"up to {off[mode]} grey levels")
    assert dtype == torch.uint8
assert off["nearest"] == 0 and off["bilinear"] <= 1 and off["bicubic"] > 10

# %%
# ``bicubic`` differs because on ``uint8`` it works in two passes, along the
# width and then the height, and rounds and clamps to 0..255 in between. An
# overshoot clamped after the first pass is no longer there for the second
# to cancel. The same two passes in float reproduce torch's result to within
# one grey level; taken the other way round, height first, they do not:
# each order rounds and clamps other values between the passes, and what
# the first pass clamps away the second cannot bring back.
as_uint8 = F.interpolate(grey, size=42, mode="bicubic")
apart = {}
for name, first in (("width first", (28, 42)), ("height first", (42, 28))):
    half = F.interpolate(grey.float(), size=first, mode="bicubic")
    half = half.round().clamp(0, 255)  # as a uint8 image holds it
    both = F.interpolate(half, size=42, mode="bicubic").round().clamp(0, 255)
    apart[name] = (as_uint8.int() - both.int()).abs().max().item()
    print(f"bicubic on uint8, and two rounded passes {name}: "
          f"{apart[name]} grey level(s) apart")
assert apart["width first"] <= 1 < apart["height first"]

# %%
# ``area`` has no ``uint8`` kernel: it is adaptive average pooling, and
# torch's error names that kernel and the dtype it lacks (``'Byte'`` is
# ``uint8``). The layer is built without complaint; the error comes when it
# first runs on ``uint8`` input, which may be far from where it was built.
# Converting first, ``x.float()``, is the remedy:

message = raised(UpsampleExample(scale_factor=2, mode="area"), grey)
print(message)
assert "\"adaptive_avg_pool2d\" not implemented for 'Byte'" in message
converted = UpsampleExample(scale_factor=2, mode="area")(grey.float())
print("converted first:", converted.dtype, tuple(converted.shape))
assert converted.dtype == torch.float32
