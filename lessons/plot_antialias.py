"""
What only the function does: lanczos and antialias
==================================================

``F.interpolate`` has two things ``nn.Upsample`` lacks: ``antialias=True``
(for ``bilinear``, ``bicubic`` and ``lanczos`` on 4-D input) and
``mode='lanczos'``, which exists only with it. Enlarging, the cubic and
Lanczos kernels steepen edges and pay with overshoot, and ``antialias=True``
changes ``bicubic`` but not ``bilinear``. Shrinking without it, the kernels
are too narrow for the shrink, and fine detail comes back as coarse
patterns that were never there; with it, the detail fades to grey. Last,
the same rules explain how Pillow, torchvision and OpenCV differ from torch.
"""

# %%
# Enlarging: how many pixels each kernel weighs
# ---------------------------------------------
# Resampling the identity matrix reads off a kernel's weights: each output
# is a weighted sum of input pixels, and the weights are that output's
# column. Enlarging 28→112, ``lanczos`` weighs 6 input pixels per axis with
# Lanczos' 3-lobed windowed sinc, ``bicubic`` 4 and ``bilinear`` 2. The
# cubic and Lanczos kernels have negative weights, their lobes:
from upsample_helpers.antialias import ENLARGING, kernel_footprint

for label, variant in ENLARGING.items():
    footprint = kernel_footprint(variant, n_in=28, n_out=112)
    print(f"{label:<19} {footprint['taps']} taps, "
          f"{footprint['negative']} of them negative")
    assert footprint["taps"] == {"bilinear": 2, "lanczos": 6}.get(label, 4)
    assert (footprint["negative"] > 0) == (label != "bilinear")

# %%
# Sharpness against overshoot
# ---------------------------
# The negative lobes make an edge steeper than ``bilinear`` makes it, and
# ring around it. Enlarge a 0→1 step 32× and a digit 28→112, and measure
# each output's range and the step's steepest rise, in grey levels per input
# pixel. ``bilinear`` never leaves the input's range; ``lanczos`` overshoots
# the most, on the step and on the digit.
from upsample_helpers import sample_digits
from upsample_helpers.antialias import enlarging_table

digit = sample_digits(1)[0, 0]  # (28, 28)
table, measures = enlarging_table(digit)
print(table)
bilinear = measures["bilinear"]
assert bilinear["undershoot"] >= 0 and bilinear["overshoot"] <= 1e-12
assert bilinear["digit low"] >= 0 and bilinear["digit high"] <= 1
overshoot = {label: v["overshoot"] for label, v in measures.items()}
spread = {k: v["digit high"] - v["digit low"] for k, v in measures.items()}
slope = {label: v["slope"] for label, v in measures.items()}
assert max(overshoot, key=overshoot.get) == "lanczos"
assert max(spread, key=spread.get) == "lanczos"
assert all(slope[k] > slope["bilinear"] and overshoot[k] > 0 for k in
           ("bicubic", "bicubic, antialias", "lanczos"))

# %%
# Steepness and overshoot do not go together exactly: antialiased
# ``bicubic`` has the steepest edge and the least overshoot of the three
# kernels with negative lobes. A sharper-looking kernel is not always the
# one that rings most: measure both before choosing.

steepest = max(slope, key=slope.get)
calmest = min(("bicubic", "bicubic, antialias", "lanczos"), key=overshoot.get)
print(f"steepest: {steepest}; least overshoot of the three: {calmest}")
assert steepest == calmest == "bicubic, antialias"

# %%
# The figure shows the digit enlarged by each variant (the titles give the
# true range, the pictures clamp it to 0..1), what ``antialias=True``
# changes in ``bicubic``, and the step's profile: every curve but
# ``bilinear``'s dips below 0 before the edge and rises above 1 after it.
import matplotlib.pyplot as plt

from upsample_helpers import save_for_readme
from upsample_helpers.antialias import plot_enlarging

figure = plot_enlarging(digit)
save_for_readme(figure, "antialias_enlarge.png")
plt.show()

# %%
# What ``antialias=True`` changes when enlarging
# ----------------------------------------------
# With it, torch resamples the way Pillow does (the last section compares
# them): a filter whose weights are computed for each output pixel, with the
# taps that fall outside the image dropped and the rest scaled to sum to 1.
# Enlarging, the filter is not stretched, so ``bilinear`` does not change
# (its 2-tap triangle is the same, and dropping an outside tap gives the edge
# pixel's value just as repeating the edge pixel does), and ``bicubic``
# changes:
from upsample_helpers.antialias import antialias_change

for mode in ("bilinear", "bicubic"):
    change = antialias_change(mode, digit)
    print(f"antialias=True changes {mode} by up to {change['inside']:.3f} "
          f"inside, {change['border']:.3f} at the border")
    assert (max(change.values()) < 1e-12) == (mode == "bilinear")

# %%
# Keys' cubic
# -----------
# Bicubic changes for two reasons. Its kernel is Keys' cubic with
# ``a = −0.5`` (Pillow's) instead of ``a = −0.75`` (OpenCV's), and at the
# image's edge the taps outside are dropped instead of repeating the edge
# pixel. The kernel, written out: 1 at distance 0, 0 at every other whole
# distance, negative between 1 and 2, deeper with ``a = −0.75``:
import numpy as np


def keys_cubic(t: np.ndarray, a: float) -> np.ndarray:
    """Keys' cubic convolution kernel with parameter ``a``, at distance t."""
    t = np.abs(t)
    near = (a + 2) * t**3 - (a + 3) * t**2 + 1  # |t| <= 1
    far = a * t**3 - 5 * a * t**2 + 8 * a * t - 4 * a  # 1 < |t| < 2
    return np.where(t <= 1, near, np.where(t < 2, far, 0.0))


distances = np.array([0, 0.5, 1, 1.5, 2])
print("t:          ", distances)
weights = {a: keys_cubic(distances, a) for a in (-0.5, -0.75)}
for a, w in weights.items():
    print(f"a = {a:+.2f}:", w)
    assert w[[0, 2, 4]].tolist() == [1, 0, 0] and w[3] < 0
assert weights[-0.75][3] < weights[-0.5][3]

# %%
# Enlarging with that kernel (``enlarge_with`` builds the matrix)
# reproduces both of torch's bicubics, on the digit and on random noise, each
# with its own ``a`` and edge rule: the plain one is ``a = −0.75`` with the
# edge pixel repeated, the antialiased one ``a = −0.5`` with the taps outside
# dropped.
from functools import partial

import torch
import torch.nn.functional as F

from upsample_helpers.antialias import enlarge_with

opencv_cubic = partial(keys_cubic, a=-0.75)  # what plain bicubic uses
pillow_cubic = partial(keys_cubic, a=-0.5)  # what antialiased bicubic uses
generator = torch.Generator().manual_seed(0)
noise = torch.rand(28, 28, dtype=torch.float64, generator=generator)
pictures, smooth = {"the digit": digit.double(), "a random image": noise}, {}
for name, image in pictures.items():
    batch = image[None, None]
    plain = F.interpolate(batch, size=112, mode="bicubic")[0, 0]
    smooth[name] = F.interpolate(batch, 112, mode="bicubic", antialias=True)
    gaps = [plain - enlarge_with(image, opencv_cubic, "repeat"),
            smooth[name][0, 0] - enlarge_with(image, pillow_cubic, "drop")]
    largest = max(gap.abs().max() for gap in gaps)
    print(f"{name}: both reproduced to {largest:.0e}")
    assert largest < 1e-12

# %%
# Which reason shows where? On the lesson's digit the kernel alone explains
# every changed pixel, the border included: the two edge rules differ only in
# outputs whose taps reach past the edge, and there the digit is black, so
# both give the same. The edge rule shows only on an image whose edge is not
# black, such as the random one:

for name, image in pictures.items():
    gap = smooth[name][0, 0] - enlarge_with(image, pillow_cubic, "repeat")
    gap = gap.abs().max()
    shown = "below 1e-12" if gap < 1e-12 else f"up to {gap:.1e}"
    print(f"{name}: antialiased minus (a = −0.5, edge repeated): {shown}")
    assert (gap < 1e-12) == (name == "the digit")

# %%
# Shrinking: what each output reads
# ---------------------------------
# Shrinking a row 256→64, each output pixel covers 4 input pixels. Without
# antialiasing the kernels keep their width, so each output reads only the
# few input pixels near its centre: plain ``bilinear`` never reads half of
# the input, and plain ``bicubic``'s 4 taps happen to touch every input
# pixel. With antialiasing the filter is stretched 4×: it has 4 times the
# taps, reaches beyond the output's 4 input pixels, and its weights turn
# negative in the lobes of ``bicubic`` and ``lanczos``:
from upsample_helpers.antialias import PATTERN, SHRINKING

footprints = {label: kernel_footprint(SHRINKING[label]) for label in SHRINKING
              if label not in ("nearest", "area")}
for label, f in footprints.items():
    print(f"{label:<19} {f['taps']:2d} taps, {f['negative']} negative; "
          f"reads {f['read']} of the {PATTERN} inputs")
assert footprints["bilinear"]["read"] == PATTERN // 2
assert footprints["bicubic"]["read"] == PATTERN
taps = {label: f["taps"] for label, f in footprints.items()}
assert taps["bilinear, antialias"] == 4 * taps["bilinear"]
assert taps["bicubic, antialias"] == 4 * taps["bicubic"]
assert footprints["bicubic, antialias"]["negative"] > 0
assert footprints["lanczos"]["negative"] > 0

# %%
# Shrinking: aliasing
# -------------------
# A grating ``0.5 + 0.5·cos(2π·f·x)`` with ``f`` above 0.125 cycles per
# input pixel has no place in a 4× smaller image: the only correct result is
# flat 0.5. Whatever the shrunk row holds besides it is aliasing. The
# measure is the RMS distance from 0.5 over the grating's own RMS contrast:
# 0 is correct, 1 is as strong as the original. Mean and worst over the
# gratings from 0.15 to 0.45: ``nearest``, which picks one pixel in four,
# keeps it at full strength and more (a mean above 1); ``area`` averages each
# run of 4 pixels, which removes part of it.
# Antialiasing cuts bilinear's mean by more than ten times and bicubic's by
# more than fifteen; plain ``bicubic``, which reads every input pixel, still
# aliases.
from upsample_helpers.antialias import GRATINGS, aliasing

measured = {label: [aliasing(f, variant) for f in GRATINGS]
            for label, variant in SHRINKING.items()}
mean = {label: float(np.mean(values)) for label, values in measured.items()}
print(f"{'':<19} {'mean':>6} {'worst':>6}")
for label, values in measured.items():
    print(f"{label:<19} {mean[label]:6.3f} {max(values):6.3f}")
assert mean["nearest"] > 1 and mean["area"] < mean["bilinear"] < mean["nearest"]
assert mean["bilinear"] > 10 * mean["bilinear, antialias"]
assert mean["bicubic"] > 15 * mean["bicubic, antialias"]
assert mean["bicubic"] > 0.5  # it reads every input pixel and still aliases

# %%
# The antialiased modes' worst gratings are the lowest, 0.15 cycles per
# pixel, just above what the smaller image holds, where a filter that is not
# ideal lets some through:

for label in ("bilinear, antialias", "bicubic, antialias", "lanczos"):
    worst = GRATINGS[int(np.argmax(measured[label]))]
    print(f"{label:<19} lets through most at f = {worst}")
    assert worst == 0.15

# %%
# A zone plate shows the same at every frequency at once: its rings get
# finer with the radius, and the smaller image can hold only the coarse
# rings near the centre; beyond them, the only correct result is flat grey.
# Without antialiasing, the fine rings come back as coarse rings that were
# never there; with it, they fade to grey. Below, each variant's
# aliasing against the grating's frequency.
from upsample_helpers.antialias import plot_shrinking

figure = plot_shrinking()
save_for_readme(figure, "antialias_shrink.png")
plt.show()

# %%
# The libraries
# -------------
# The same rules explain the differences people meet between libraries.
# Each is compared with torch on the digit at 28→14, 28→20 and 28→56
# (``same``: equal to float32 rounding, below 1e-5):
#
# * Pillow antialiases: its ``BILINEAR``, ``BICUBIC`` and ``LANCZOS`` are
#   torch's with ``antialias=True``, enlarging and shrinking, at every size.
#   Its ``BILINEAR`` is the layer's ``bilinear`` only when enlarging.
# * torchvision's ``Resize`` on tensors is ``F.interpolate`` with
#   ``antialias=True``.
# * OpenCV's ``INTER_LINEAR`` and ``INTER_CUBIC`` do not antialias: they are
#   the layer's ``bilinear`` and ``bicubic``, shrinking too. For shrinking,
#   OpenCV has ``INTER_AREA``, an area-weighted average (the tests check it
#   against one); torch's ``area`` is adaptive
#   average pooling instead: the two agree at whole factors (28→14) and
#   differ at 28→20.
from upsample_helpers.antialias import differences_table, library_differences

sizes = (14, 20, 56)
differences = library_differences(digit, sizes)
print(differences_table(differences, sizes))
same = {label: [d <= 1e-5 for d in row] for label, row in differences.items()}
assert same.pop("Pillow BILINEAR | bilinear") == [False, False, True]
assert same.pop("OpenCV INTER_AREA | area") == [True, False, True]
assert all(all(row) for row in same.values())

# %%
# torchvision's ``Resize`` antialiases unless told not to: its ``antialias``
# defaults to ``True`` in the torchvision installed here. Resizing with
# ``F.interpolate`` instead, pass ``antialias=True`` yourself when shrinking.
import inspect

import torchvision
from torchvision.transforms import v2

default = inspect.signature(v2.Resize).parameters["antialias"].default
print("torchvision", torchvision.__version__, "Resize's antialias:", default)
assert default is True
