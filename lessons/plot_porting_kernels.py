"""
Porting a resize: the linear, cubic and area kernels
====================================================

The porting lesson (``plot_porting.py``) found where each library puts the
output size, the pixel centres and its antialiasing. This page compares the
kernels themselves: each library's linear, cubic and area calls beside every
torch resize, enlarging and shrinking, which torch call each one matches and
how closely, and the cubic kernel's ``a`` read off each library's output. The
recipe at the end says which torch call reproduces each library, and which
settings of each library reproduce torch.
"""

# %%
# Every comparison below runs on a digit of the offline sample, whose edge
# is black, and, where the edge matters, on a random image too. JAX computes
# in float32 unless told otherwise; this page turns float64 on, as the
# porting lesson does, so that what differs between libraries below is the
# method, not the rounding.
import jax

jax.config.update("jax_enable_x64", True)
print("JAX arrays are now", jax.numpy.zeros(1).dtype)
assert jax.numpy.zeros(1).dtype == "float64"

# %%
# Each library against its closest torch call: linear
# ---------------------------------------------------
# Enlarge a digit 28 → 50 with each library's linear call, and compare it
# with every torch resize (``F.interpolate`` in each mode, with both
# ``align_corners`` and both ``antialias`` where they apply, and lanczos;
# ``nn.Upsample`` is ``F.interpolate`` without antialias): the table names
# the closest and the largest difference from it (``same``: below 1e-5,
# float32 rounding). Enlarging the digit, every linear call is torch's
# ``bilinear``, SciPy's default ``zoom`` excepted, which is its
# ``align_corners=True``. The digit's edge is black, which hides how a call
# treats the edge; a random image shows it, two cells below.
import numpy as np

from upsample_helpers import sample_digits
from upsample_helpers.porting import (
    LIBRARIES,
    SAME,
    TORCH_CALLS,
    closest_table,
    closest_torch_calls,
    matches,
)

digit = sample_digits(1)[0, 0].double().numpy()  # (28, 28) in [0, 1]
enlarged = closest_torch_calls(LIBRARIES["linear"], digit, 50)
print(closest_table(enlarged, "linear, 28 → 50"))
for call in enlarged:
    expected = ("bilinear, corners",) if call == "SciPy zoom, order 1" else (
        "bilinear", "bilinear, antialias")
    assert matches(enlarged, call) in expected, call

# %%
# Some rows name ``bilinear, antialias``: antialiasing acts only when
# shrinking, and enlarging, torch's ``bilinear`` with and without
# ``antialias=True`` agree, so the table may name either for one result.

plain, smoothed = (TORCH_CALLS[name](digit, (50, 50))
                   for name in ("bilinear", "bilinear, antialias"))
same = np.abs(plain - smoothed).max() < SAME
print("enlarging, torch's bilinear with antialias=True is the same:", same)
assert same

# %%
# On a random image, whose edge is not black, the same calls enlarging 28 →
# 50 still match, all but one: scikit-image's default, which is 0.2 away.
# Its ``mode='reflect'`` mirrors the image past its edge, where torch
# repeats the edge pixel; with ``mode='edge'`` it matches here too.

noise = np.random.default_rng(0).random((28, 28))
on_noise = closest_torch_calls(LIBRARIES["linear"], noise, 50)
print(closest_table(on_noise, "linear, a random image, 28 → 50"))
unmatched = [call for call in on_noise if matches(on_noise, call) is None]
assert unmatched == ["skimage resize, order 1"]
assert round(on_noise[unmatched[0]][1], 1) == 0.2

# %%
# Shrinking 28 → 12, antialiasing sorts them. Pillow's ``BILINEAR`` and
# torchvision's and JAX's default linear antialias the way torch's
# ``antialias=True`` does; OpenCV's ``INTER_LINEAR`` and kornia's default
# do not, and are the layer's ``bilinear``; SciPy's default ``zoom`` stays
# ``align_corners=True``.

shrunk = closest_torch_calls(LIBRARIES["linear"], digit, 12)
print(closest_table(shrunk, "linear, 28 → 12"))
for call in ("Pillow BILINEAR", "torchvision BILINEAR", "JAX linear"):
    assert matches(shrunk, call) == "bilinear, antialias", call
for call in ("OpenCV INTER_LINEAR", "kornia bilinear"):
    assert matches(enlarged, call) == matches(shrunk, call) == "bilinear", call
assert matches(shrunk, "SciPy zoom, order 1") == "bilinear, corners"

# %%
# Settings bring the others to the layer: with ``mode='edge'`` and
# ``anti_aliasing=False``, scikit-image's order 1 is torch's ``bilinear``,
# shrinking too; with ``antialias=False``, torchvision's ``BILINEAR`` and
# JAX's ``linear`` are; and SciPy's ``zoom`` is with ``grid_mode=True`` and
# ``mode='nearest'``. scikit-image's default and kornia's
# ``antialias=True`` smooth the image their own way first, which no torch
# call matches: both are about 0.1 from the closest.

for call in ("skimage resize, order 1, edge, no AA",
             "torchvision BILINEAR, antialias=False",
             "JAX linear, antialias=False", "SciPy zoom, order 1, grid_mode"):
    both = (matches(enlarged, call), matches(shrunk, call))
    print(f"{call}: {' and '.join(both)}")
    assert both == ("bilinear", "bilinear"), call
for call in ("skimage resize, order 1", "kornia bilinear, antialias=True"):
    best, apart = shrunk[call]
    print(f"{call}, 28 → 12: {apart:.2f} from torch {best}")
    assert matches(shrunk, call) is None and 0.05 < apart < 0.2, call

# %%
# Cubic
# -----
# The same comparison for the cubic calls, enlarging. OpenCV's
# ``INTER_CUBIC`` and kornia's ``bicubic`` are torch's ``bicubic``, and so
# are torchvision's and JAX's ``bicubic-pytorch`` with ``antialias=False``.
# Pillow's ``BICUBIC`` and torchvision's and JAX's defaults are torch's
# *antialiased* ``bicubic`` even enlarging, where antialiasing itself does
# nothing: torch's antialiased ``bicubic`` has another cubic kernel than its
# plain one, as the next section measures.
# scikit-image's and SciPy's order 3 (a cubic spline, their documentation
# says) match no torch mode.

cubic = {side: closest_torch_calls(LIBRARIES["cubic"], digit, side)
         for side in (50, 12)}
print(closest_table(cubic[50], "cubic, 28 → 50"))
keys_075 = ("OpenCV INTER_CUBIC", "kornia bicubic",
            "torchvision BICUBIC, antialias=False",
            "JAX bicubic-pytorch, antialias=False")
assert all(matches(cubic[50], call) == "bicubic" for call in keys_075)
keys_05 = ("Pillow BICUBIC", "torchvision BICUBIC", "JAX cubic",
           "JAX bicubic-pytorch")
assert all(matches(cubic[50], call) == "bicubic, antialias" for call in keys_05)
assert matches(cubic[50], "JAX cubic, antialias=False") == "bicubic, antialias"
splines = ("skimage resize, order 3", "SciPy zoom, order 3")
assert all(matches(cubic[50], call) is None for call in splines)

# %%
# The cubic kernel
# ----------------
# Keys' cubic kernel weighs a pixel at distance ``d`` between 1 and 2 by
# ``a·(d³ − 5d² + 8d − 4)``. Enlarging 2×, output pixels fall 1.25 pixels
# from an input pixel, where the weight is ``0.140625·a``: read it from a
# dot's response and divide. torch's ``bicubic``, OpenCV, kornia, and
# torchvision's and JAX's ``bicubic-pytorch`` without antialias use
# ``a = −0.75``; Pillow, torchvision's and JAX's defaults, JAX's ``cubic``
# in either setting and torch's antialiased ``bicubic`` use ``a = −0.5``.


def cubic_a(resize) -> float:
    """Keys' ``a`` of a cubic resize: the weight 1.25 pixels from a dot."""
    response = np.asarray(resize(np.eye(14), (14, 28)), dtype=np.float64)
    # output 17 sits at 17/2 − 1/4 = 8.25, 1.25 from the dot in column 7
    return float(response[7, 17] / 0.140625)


calls = {"torch bicubic": TORCH_CALLS["bicubic"],
         "torch bicubic, antialias": TORCH_CALLS["bicubic, antialias"],
         **{c: r for c, r in LIBRARIES["cubic"].items() if "order 3" not in c}}
for call, resize in calls.items():
    a = cubic_a(resize)
    print(f"{call:<38} a = {a:.4f}")
    expected = -0.75 if call in ("torch bicubic", *keys_075) else -0.5
    assert abs(a - expected) < 1e-6, (call, a)

# %%
# Shrinking, each cubic call keeps the torch call it matched enlarging, but
# JAX's ``cubic`` without antialias, which matches none: its kernel is the
# antialiased ``bicubic``'s (``a = −0.5``), without the antialiasing. To
# reproduce torch's ``bicubic`` in JAX, ``method='bicubic-pytorch'`` with
# ``antialias=False`` is the call, as the next cell confirms.

print(closest_table(cubic[12], "cubic, 28 → 12"))
assert all(matches(cubic[12], call) == "bicubic" for call in keys_075)
assert all(matches(cubic[12], call) == "bicubic, antialias" for call in keys_05)
assert matches(cubic[12], "JAX cubic, antialias=False") is None
assert all(matches(cubic[12], call) is None for call in splines)

# %%
# JAX's ``method="bicubic-pytorch"`` (its documentation: "matching
# PyTorch's bicubic resizing behavior") with ``antialias=False`` is torch's
# ``bicubic`` to float64 rounding, enlarging and shrinking, closer than
# 1e-13 (the bound, not the value, is printed: the last bits depend on the
# processor's kernels).

jax_pytorch = LIBRARIES["cubic"]["JAX bicubic-pytorch, antialias=False"]
for side in (50, 12):
    gap = np.abs(jax_pytorch(digit, (side, side))
                 - TORCH_CALLS["bicubic"](digit, (side, side))).max()
    print(f"28 → {side}: below 1e-13: {gap < 1e-13}")
    assert gap < 1e-13

# %%
# Area
# ----
# Only kornia's ``area`` is torch's ``area`` (adaptive average pooling).
# OpenCV's ``INTER_AREA`` and Pillow's ``BOX`` shrink in a way no torch call
# matches (OpenCV's is an area-weighted average, as the antialias lesson's
# tests check). Enlarging, ``BOX`` takes the pixel under each output's
# centre, as torch's ``nearest-exact`` does: the nearest-porting lesson
# follows that over thousands of sizes.

area = {side: closest_torch_calls(LIBRARIES["area"], digit, side)
        for side in (50, 12)}
print(closest_table(area[50], "area, 28 → 50"))
print(closest_table(area[12], "area, 28 → 12"))
assert matches(area[50], "kornia area") == "area"
assert matches(area[12], "kornia area") == "area"
assert matches(area[12], "OpenCV INTER_AREA") is None
assert matches(area[12], "Pillow BOX") is None
assert matches(area[50], "Pillow BOX") == "nearest-exact"

# %%
# The recipe
# ----------
# To reproduce a library in torch, take the call this table names for it
# (``F.interpolate``, or the layer where there is no ``antialias``): each
# row is a call that equals that one torch call enlarging and shrinking, to
# float32 rounding. To make a library give torch's result:
#
# * OpenCV: ``INTER_LINEAR`` and ``INTER_CUBIC`` already are the layer's
#   ``bilinear`` and ``bicubic``; give sizes rather than ``fx``, which
#   rounds;
# * Pillow: ``BILINEAR`` and ``BICUBIC`` are torch's with ``antialias=True``
#   (Pillow has no switch to turn it off); ``ImageOps.scale`` rounds the
#   size;
# * torchvision: ``BILINEAR`` and ``BICUBIC`` are torch's with
#   ``antialias=True``, and with ``Resize(antialias=False)`` the layer's;
# * scikit-image: ``resize(order=1, mode='edge', anti_aliasing=False)`` is
#   ``bilinear``; order 3 has no torch equivalent;
# * SciPy: ``zoom(order=1, grid_mode=True, mode='nearest')`` is
#   ``bilinear``; the default is ``align_corners=True``, and ``zoom`` rounds
#   the size;
# * JAX: ``antialias=False`` gives the layer's ``bilinear``, and
#   ``method='bicubic-pytorch'`` with ``antialias=False`` its ``bicubic``;
#   its ``cubic`` is torch's antialiased ``bicubic``;
# * kornia: it calls ``F.interpolate`` (its ``antialias=True`` is a
#   smoothing of its own, not torch's).
from upsample_helpers.porting import recipe

found = recipe(digit)
print(f"{'library call':<39}the torch call it is")
for call, torch_call in found.items():
    print(f"{call:<39}{torch_call}")
layer = ("OpenCV INTER_LINEAR", "kornia bilinear",
         "JAX linear, antialias=False", "torchvision BILINEAR, antialias=False",
         "skimage resize, order 1, edge, no AA",
         "SciPy zoom, order 1, grid_mode")
smoothing = ("Pillow BILINEAR", "torchvision BILINEAR", "JAX linear")
assert found == {**dict.fromkeys(layer, "bilinear"),
                 **dict.fromkeys(smoothing, "bilinear, antialias"),
                 "SciPy zoom, order 1": "bilinear, corners",
                 **dict.fromkeys(keys_075, "bicubic"),
                 **dict.fromkeys(keys_05, "bicubic, antialias"),
                 "kornia area": "area"}

# %%
# The figure: the digit shrunk 28 → 12 by each library's default linear
# resize, each above its difference from the closest torch call, on one
# colour scale. Only scikit-image's differs from its closest torch call by
# more than float32 rounding: the smoothing it applies first.
from upsample_helpers import save_for_readme
from upsample_helpers.porting import plot_porting

shown = ("OpenCV INTER_LINEAR", "Pillow BILINEAR", "torchvision BILINEAR",
         "skimage resize, order 1", "SciPy zoom, order 1", "JAX linear",
         "kornia bilinear")
save_for_readme(plot_porting(digit, shown, shrunk), "porting.png")
beyond = [call for call in shown if shrunk[call][1] >= SAME]
print("beyond float32 rounding:", beyond)
assert beyond == ["skimage resize, order 1"]
