"""
Porting a resize: sizes, centres and antialiasing
=================================================

A resize called "bilinear" in one library is not the same tensor in the
next, so a model or a metric ported from one to the other can change its
numbers. This page puts torch beside OpenCV, Pillow, torchvision,
scikit-image, SciPy, JAX and kornia and asks three questions that come
before any kernel: the output size each gives for a scale factor, where
each puts pixel centres, and whether it antialiases. The next lesson
(``plot_porting_kernels.py``) compares the linear, cubic and area kernels
themselves and ends with the recipe: which torch call reproduces each
library, and which settings of each library reproduce torch. Which pixel
each library's *nearest* takes is told by the nearest-porting lesson
(``plot_porting_nearest.py``).
"""

# %%
# The output size of a scale factor
# ---------------------------------
# Given a factor rather than a size, torch floors ``n × factor``
# (``F.interpolate``, ``nn.Upsample``), and so does kornia's ``rescale``,
# which calls it; OpenCV's ``resize(fx=...)``, Pillow's ``ImageOps.scale``,
# scikit-image's ``rescale`` and SciPy's ``zoom`` round it. A side of 32
# pixels becomes 57 in torch and kornia at 1.8, and 58 in the others; at
# 0.9999 torch and kornia shrink it to 31, the others keep 32.
import math

from upsample_helpers.porting import FLOORING, output_sides, sizes_table

FACTORS = (1.8, 0.9999, 1.7, 0.5)
sides = {factor: output_sides(factor) for factor in FACTORS}
print(sizes_table(sides))
for factor, by_library in sides.items():
    for library, side in by_library.items():
        rule = math.floor if library in FLOORING else round
        assert side == rule(32 * factor), (library, factor)
assert sides[1.8]["nn.Upsample"] == 57 and sides[1.8]["SciPy zoom"] == 58
assert sides[0.9999]["F.interpolate"] == 31

# %%
# torchvision's ``Resize`` and ``jax.image.resize`` have no factor
# parameter at all: they take only a size, so the rounding is the caller's.
# JAX also computes in float32 unless told otherwise; this page turns
# float64 on, so that what differs between libraries below is the method,
# not the rounding.
import inspect

import jax
from torchvision.transforms import v2

for name, call in (("torchvision Resize", v2.Resize),
                   ("jax.image.resize", jax.image.resize)):
    parameters = list(inspect.signature(call).parameters)
    print(f"{name}: {', '.join(parameters)}")
    assert not [p for p in parameters if "scale" in p or "factor" in p]
jax.config.update("jax_enable_x64", True)
print("JAX arrays are now", jax.numpy.zeros(1).dtype)
assert jax.numpy.zeros(1).dtype == "float64"

# %%
# Where the pixel centres are
# ---------------------------
# Resize a ramp whose values are their own column indices, 8 → 20 columns,
# with each library's linear mode: output column 5 then shows where on the
# input it sampled. Half-pixel centres (the pixel-area convention) put it at
# ``(5 + ½)·8/20 − ½ = 1.7``; aligned corners at ``5·7/19 = 1.842``. Every
# library's linear mode puts pixel centres half a pixel in, as torch's
# default does, but SciPy's ``zoom``: it aligns the corners (torch's
# ``align_corners=True``) unless ``grid_mode=True``.
from upsample_helpers.porting import centre_convention, linear_centres

for call, where in linear_centres().items():
    print(f"{call:<32} samples {where:.3f}: {centre_convention(where)}")
    corners = call in ("torch bilinear, align_corners", "SciPy zoom, order 1")
    assert centre_convention(where) == ("corners" if corners else "half-pixel")

# %%
# Whether it antialiases by default
# ---------------------------------
# Read from each library's own signature where it has a switch: JAX
# antialiases unless told not to, kornia does not unless told to,
# torchvision's ``Resize`` does (the version installed here), scikit-image
# decides by itself (``None``: when shrinking), and ``F.interpolate`` does
# not unless ``antialias=True``. A default is a release's choice and can
# change with the next one: read it from the installed signature, as here,
# rather than from memory.
from upsample_helpers.porting import antialias_defaults

defaults = antialias_defaults()
for call, default in defaults.items():
    print(f"{call:<20} antialias by default: {default}")
assert defaults == {"jax.image.resize": True, "kornia resize": False,
                    "torchvision Resize": True, "skimage resize": None,
                    "F.interpolate": False}

# %%
# ``nn.Upsample``, Pillow's ``resize`` and ``ImageOps.scale``, and OpenCV's
# ``resize`` have no such parameter (OpenCV's is compiled: its signature is
# the first line of its documentation). The next section measures what
# every call does.
from upsample_helpers.porting import signatures_without_a_switch

for call, parameters in signatures_without_a_switch().items():
    print(f"{call}: {parameters}")
    assert "alias" not in parameters

# %%
# Which calls antialias
# ---------------------
# Shrink a one-pixel dot 28 → 12 columns, in each of the 28 positions: the
# dot in column ``i`` shows how much of input pixel ``i`` each output pixel
# takes. A call that does not antialias builds some output pixel from one
# input pixel alone, and lets some dot through at full strength (an output
# sample falls on it, and interpolation gives that pixel back): 1. A call
# that antialiases builds every output pixel from two or more input pixels,
# and its brightest dot is between 0.33 and 0.61. Every call of this page is
# measured, torch's among them, and a few more filters: Pillow's
# ``HAMMING`` and ``LANCZOS``, scikit-image's orders 2, 4 and 5, and
# OpenCV's ``INTER_LINEAR_EXACT`` and ``INTER_LANCZOS4``.
from upsample_helpers.porting import ANTIALIAS_CALLS, shrink_dots

dots = shrink_dots(ANTIALIAS_CALLS)  # call: (brightest, fewest inputs)
antialiasing = {call for call, (peak, _) in dots.items() if peak < 0.9}
smooth = [dots[call] for call in antialiasing]
sharp = [dots[call] for call in dots if call not in antialiasing]
fewest = min(f for _, f in smooth)
print(f"{len(smooth)} calls: brightest dot {min(smooth)[0]:.2f} to",
      f"{max(smooth)[0]:.2f}, every output from {fewest} inputs or more")
assert all(fewest >= 2 and 0.33 <= peak <= 0.61 for peak, fewest in smooth)
whole = all(fewest == 1 and abs(peak - 1) < 1e-6 for peak, fewest in sharp)
print(f"{len(sharp)} calls: brightest dot 1, some output from 1 input: {whole}")
assert whole

# %%
# Those that antialias: Pillow with every filter but ``NEAREST``;
# torchvision's ``Resize`` and ``jax.image.resize`` by default, with their
# linear and cubic modes but not nearest; scikit-image's default with every
# order, 0 to 5; kornia's bilinear with ``antialias=True``; the area modes
# (OpenCV's ``INTER_AREA``, Pillow's ``BOX``, kornia's and torch's
# ``area``); and torch's ``antialias=True`` calls. No other call does: none
# of OpenCV's others, and no other nearest.
import textwrap

pillow_filters = ("BILINEAR", "BICUBIC", "BOX", "HAMMING", "LANCZOS")
torchs = {f"torch {name}" for name in ("area", "lanczos", "bilinear, antialias",
                                       "bicubic, antialias")}
for library in ("torch", "Pillow", "torchvision", "JAX", "skimage", "kornia",
                "OpenCV"):
    names = sorted(call.removeprefix(f"{library} ") for call in antialiasing
                   if call.startswith(f"{library} "))
    print(textwrap.fill(f"{library + ':':<13}" + "; ".join(names), 79,
                        subsequent_indent=" " * 13))
assert antialiasing == {
    *(f"Pillow {name}" for name in pillow_filters),
    "torchvision BILINEAR", "torchvision BICUBIC",
    "JAX linear", "JAX cubic", "JAX bicubic-pytorch",
    *(f"skimage resize, order {order}" for order in range(6)),
    "kornia bilinear, antialias=True", "OpenCV INTER_AREA", "kornia area",
    *torchs}
