"""
Porting a model's upsampling: the same name, other numbers
==========================================================

A resize called "bilinear" in one library is not the same tensor in the next, and the difference moves
published numbers when a model or a metric is ported. This page puts torch beside OpenCV, Pillow,
torchvision, scikit-image, SciPy, JAX and kornia: the output size each gives for a scale factor, where each
puts pixel centres, whether it antialiases by default, and, for nearest, linear, cubic and area, enlarging and
shrinking, which torch call each matches best and how closely. A few rules explain the whole table; the
recipe at the end says which torch call reproduces each library, and which settings of each reproduce torch.
"""

# %%
# The lessons share a few helpers (``lessons/helpers.py``); the next line finds them when a notebook runs
# from the repository root (from ``lessons/`` they are found anyway).
import sys

sys.path[:0] = ["lessons"]

import inspect
import math
import warnings

import cv2
import jax
import jax.numpy as jnp
import kornia
import matplotlib.pyplot as plt
import numpy as np
import scipy.ndimage
import skimage.transform
import torch
import torch.nn.functional as F
from helpers import hide_ticks, keep, sample_digits
from PIL import Image
from torchvision.transforms import v2

jax.config.update("jax_enable_x64", True)  # compare in float64: what remains is the method, not the rounding
SAME = 1e-5  # closer than this: the same computation (some libraries keep their weights in float32)

# %%
# The output size of a scale factor
# ---------------------------------
# Given a factor rather than a size, torch floors ``n × factor`` (``F.interpolate``, ``nn.Upsample``), and so
# does kornia's ``rescale``, which calls it; OpenCV's ``resize(fx=...)``, scikit-image's ``rescale`` and SciPy's
# ``zoom`` round it. Pillow, torchvision's ``Resize`` and ``jax.image.resize`` take only a size.


def output_sides(factor: float, side: int = 32) -> dict[str, int]:
    """The output side each library gives a side × side image for ``factor``."""
    image = np.zeros((side, side))
    tensor = torch.zeros(1, 1, side, side, dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns that zoom rounds; that is what is measured
        return {
            "torch": F.interpolate(tensor, scale_factor=factor).shape[-1],
            "kornia rescale": kornia.geometry.transform.rescale(tensor, factor).shape[-1],
            "OpenCV resize(fx=)": cv2.resize(image, None, fx=factor, fy=factor).shape[-1],
            "skimage rescale": skimage.transform.rescale(image, factor).shape[-1],
            "SciPy zoom": scipy.ndimage.zoom(image, factor).shape[-1],
        }


FACTORS = (1.8, 0.9999, 1.7, 0.5)
sides = {factor: output_sides(factor) for factor in FACTORS}
print(f"{'32 × factor':<20}" + "".join(f"{factor:>9}" for factor in FACTORS))
for library in sides[FACTORS[0]]:
    print(f"{library:<20}" + "".join(f"{sides[factor][library]:>9}" for factor in FACTORS))
for factor in FACTORS:
    for library, side in sides[factor].items():
        rule = math.floor if library in ("torch", "kornia rescale") else round
        assert side == rule(32 * factor), (library, factor)
assert sides[1.8]["torch"] == 57 and sides[1.8]["SciPy zoom"] == 58 and sides[0.9999]["torch"] == 31

# %%
# Where the pixel centres are
# ---------------------------
# Resize a ramp whose values are their own column indices, 8 → 20 columns, with each library's linear mode:
# output column 5 then shows where on the input it sampled. Half-pixel centres (the pixel-area convention)
# put it at ``(5 + ½)·8/20 − ½ = 1.7``; aligned corners at ``5·7/19 = 1.842``. SciPy's ``zoom`` aligns the
# corners unless ``grid_mode=True``.

ramp = np.tile(np.arange(8.0), (8, 1))  # (8, 8), each value its own column


def ramp_through(resize) -> float:
    return float(np.asarray(resize(ramp))[4, 5])


with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    centres = {
        "torch bilinear": ramp_through(
            lambda a: F.interpolate(torch.from_numpy(a)[None, None], size=20, mode="bilinear")[0, 0]
        ),
        "torch bilinear, align_corners": ramp_through(
            lambda a: F.interpolate(torch.from_numpy(a)[None, None], size=20, mode="bilinear", align_corners=True)[0, 0]
        ),
        "OpenCV INTER_LINEAR": ramp_through(lambda a: cv2.resize(a, (20, 20), interpolation=cv2.INTER_LINEAR)),
        "Pillow BILINEAR": ramp_through(
            lambda a: np.asarray(Image.fromarray(a.astype(np.float32)).resize((20, 20), Image.Resampling.BILINEAR))
        ),
        "skimage resize, order 1": ramp_through(lambda a: skimage.transform.resize(a, (20, 20), order=1)),
        "SciPy zoom, order 1": ramp_through(lambda a: scipy.ndimage.zoom(a, 2.5, order=1)),
        "SciPy zoom, order 1, grid_mode": ramp_through(
            lambda a: scipy.ndimage.zoom(a, 2.5, order=1, grid_mode=True, mode="nearest")
        ),
        "JAX linear": ramp_through(lambda a: jax.image.resize(jnp.asarray(a), (20, 20), "linear")),
        "kornia bilinear": ramp_through(
            lambda a: kornia.geometry.transform.resize(torch.from_numpy(a)[None, None], (20, 20))[0, 0]
        ),
    }
for library, where in centres.items():
    convention = "half-pixel" if abs(where - 1.7) < 1e-5 else "corners" if abs(where - 35 / 19) < 1e-5 else "other"
    print(f"{library:<34} output 5 samples input {where:.3f}: {convention}")
    assert convention == (
        "corners" if library in ("torch bilinear, align_corners", "SciPy zoom, order 1") else "half-pixel"
    )

# %%
# Whether it antialiases by default
# ---------------------------------
# Read from each library's own signature where it has a switch: JAX antialiases unless told not to, kornia
# does not unless told to, torchvision's ``Resize`` does (the version installed here), and
# scikit-image decides by itself (``None``: when shrinking). ``F.interpolate`` and ``nn.Upsample`` never do
# unless ``antialias=True``. Pillow and OpenCV have no switch: the table below shows what each does.

defaults = {
    "jax.image.resize": inspect.signature(jax.image.resize).parameters["antialias"].default,
    "kornia resize": inspect.signature(kornia.geometry.transform.resize).parameters["antialias"].default,
    "torchvision Resize": inspect.signature(v2.Resize).parameters["antialias"].default,
    "skimage resize": inspect.signature(skimage.transform.resize).parameters["anti_aliasing"].default,
    "F.interpolate": inspect.signature(F.interpolate).parameters["antialias"].default,
}
print("antialias defaults:", defaults)
assert defaults == {
    "jax.image.resize": True,
    "kornia resize": False,
    "torchvision Resize": True,
    "skimage resize": None,
    "F.interpolate": False,
}

# %%
# Each library against its closest torch call
# -------------------------------------------
# For each mode, enlarging a digit 28 → 50 and shrinking it 28 → 12, every call below is compared with every
# torch resize (``F.interpolate`` in each mode, with both ``align_corners`` and both ``antialias`` where they
# apply, and lanczos; ``nn.Upsample`` is ``F.interpolate`` without antialias). Each cell names the closest and
# the largest difference from it (``same``: below 1e-5, float32 rounding).

digit = sample_digits(1)[0, 0].double().numpy()  # (28, 28) in [0, 1]
SIZES = {"enlarge 28→50": 50, "shrink 28→12": 12}


def torch_call(**options):
    """F.interpolate(image, size=(side, side), **options) as a function (image, side) → array."""
    return lambda a, s: F.interpolate(torch.from_numpy(a)[None, None], size=(s, s), **options)[0, 0].numpy()


TORCH_CALLS = {  # every torch resize of a 2D image: the layer's modes, and what only the function has
    "nearest": torch_call(mode="nearest"),
    "nearest-exact": torch_call(mode="nearest-exact"),
    "area": torch_call(mode="area"),
    **{
        f"{mode}{', corners' if corners else ''}{', antialias' if antialias else ''}": torch_call(
            mode=mode, align_corners=corners, antialias=antialias
        )
        for mode in ("bilinear", "bicubic")
        for corners in (False, True)
        for antialias in (False, True)
        if not (corners and antialias)
    },
    "lanczos": torch_call(mode="lanczos", antialias=True),
}


def pillow(method):
    return lambda a, s: np.asarray(Image.fromarray(a.astype(np.float32)).resize((s, s), method), dtype=np.float64)


def torchvision_resize(mode):
    return lambda a, s: v2.Resize((s, s), interpolation=mode)(torch.from_numpy(a)[None])[0].numpy()


def opencv(flag):
    return lambda a, s: cv2.resize(a, (s, s), interpolation=flag)


def skimage_resize(**options):
    return lambda a, s: skimage.transform.resize(a, (s, s), **options)


def zoom(**options):
    def resize(a, s):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return scipy.ndimage.zoom(a, s / a.shape[-1], **options)

    return resize


def jax_resize(method, **options):
    return lambda a, s: np.asarray(jax.image.resize(jnp.asarray(a), (s, s), method, **options))


def kornia_resize(mode, **options):
    return lambda a, s: kornia.geometry.transform.resize(
        torch.from_numpy(a)[None, None], (s, s), interpolation=mode, **options
    )[0, 0].numpy()


MODE = v2.InterpolationMode
LIBRARIES = {  # family: {call: function (image, side) → array}; each library's default first, then settings
    "nearest": {
        "OpenCV INTER_NEAREST": opencv(cv2.INTER_NEAREST),
        "OpenCV INTER_NEAREST_EXACT": opencv(cv2.INTER_NEAREST_EXACT),
        "Pillow NEAREST": pillow(Image.Resampling.NEAREST),
        "torchvision NEAREST": torchvision_resize(MODE.NEAREST),
        "torchvision NEAREST_EXACT": torchvision_resize(MODE.NEAREST_EXACT),
        "skimage resize, order 0": skimage_resize(order=0),
        "SciPy zoom, order 0": zoom(order=0),
        "SciPy zoom, order 0, grid_mode": zoom(order=0, grid_mode=True, mode="nearest"),
        "JAX nearest": jax_resize("nearest"),
        "kornia nearest": kornia_resize("nearest"),
    },
    "linear": {
        "OpenCV INTER_LINEAR": opencv(cv2.INTER_LINEAR),
        "Pillow BILINEAR": pillow(Image.Resampling.BILINEAR),
        "torchvision BILINEAR": torchvision_resize(MODE.BILINEAR),
        "skimage resize, order 1": skimage_resize(order=1),
        "skimage resize, order 1, edge, no AA": skimage_resize(order=1, mode="edge", anti_aliasing=False),
        "SciPy zoom, order 1": zoom(order=1),
        "SciPy zoom, order 1, grid_mode": zoom(order=1, grid_mode=True, mode="nearest"),
        "JAX linear": jax_resize("linear"),
        "JAX linear, antialias=False": jax_resize("linear", antialias=False),
        "kornia bilinear": kornia_resize("bilinear"),
        "kornia bilinear, antialias=True": kornia_resize("bilinear", antialias=True),
    },
    "cubic": {
        "OpenCV INTER_CUBIC": opencv(cv2.INTER_CUBIC),
        "Pillow BICUBIC": pillow(Image.Resampling.BICUBIC),
        "torchvision BICUBIC": torchvision_resize(MODE.BICUBIC),
        "skimage resize, order 3": skimage_resize(order=3),
        "SciPy zoom, order 3": zoom(order=3),
        "JAX cubic": jax_resize("cubic"),
        "JAX cubic, antialias=False": jax_resize("cubic", antialias=False),
        "kornia bicubic": kornia_resize("bicubic"),
    },
    "area": {
        "OpenCV INTER_AREA": opencv(cv2.INTER_AREA),
        "Pillow BOX": pillow(Image.Resampling.BOX),
        "kornia area": kornia_resize("area"),
    },
}

closest = {}  # (call, size label) → (torch call, largest difference)
for family, calls in LIBRARIES.items():
    print(f"{family:<38}" + "".join(f"{label:>34}" for label in SIZES))
    for call, resize in calls.items():
        cells = []
        for label, side in SIZES.items():
            theirs = np.asarray(resize(digit, side), dtype=np.float64)
            differences = {name: float(np.abs(theirs - ours(digit, side)).max()) for name, ours in TORCH_CALLS.items()}
            best = min(differences, key=differences.get)
            closest[call, label] = (best, differences[best])
            cells.append(f"{best} {'same' if differences[best] < SAME else f'{differences[best]:.2g}'}")
        print(f"  {call:<36}" + "".join(f"{cell:>34}" for cell in cells))

# %%
# The rules
# ---------
# Six rules explain the whole table:
#
# 1. **Centres.** Everyone but SciPy's default ``zoom`` puts pixel centres half a pixel in, as torch's default
#    does; ``zoom`` aligns the corners (torch's ``align_corners=True``) unless ``grid_mode=True``, and its
#    corner-aligned nearest has no torch equivalent.
# 2. **Antialiasing when shrinking.** Pillow always antialiases, and so do torchvision's ``Resize`` and
#    ``jax.image.resize`` by default: shrinking, they are torch's ``antialias=True``. OpenCV and kornia's
#    default do not: they are the layer. scikit-image's default and kornia's ``antialias=True`` smooth the image
#    their own way first (with a Gaussian, their documentation says), which no torch call matches (both about
#    0.1 off the closest).
# 3. **The cubic kernel.** OpenCV's ``INTER_CUBIC`` is torch's ``bicubic`` (Keys' cubic, ``a = −0.75``; to
#    float32 rounding); Pillow, torchvision and JAX use ``a = −0.5``, torch's antialiased ``bicubic``, enlarging
#    too, and JAX's kernel stays that one with ``antialias=False``. scikit-image's and SciPy's order 3 (a cubic
#    spline, their documentation says) matches no torch mode.
# 4. **Which pixel nearest takes.** Pillow, JAX, torchvision's ``NEAREST_EXACT``, OpenCV's
#    ``INTER_NEAREST_EXACT`` and SciPy's ``grid_mode`` take the pixel under the output's centre, torch's
#    ``nearest-exact``; torchvision's ``NEAREST`` and kornia take torch's ``nearest``. OpenCV's
#    ``INTER_NEAREST`` is ``nearest`` at 28 → 12 but takes other pixels at 28 → 50, where ``nearest`` is still the
#    closest torch call.
# 5. **Area.** Only kornia's ``area`` is torch's (adaptive average pooling). OpenCV's ``INTER_AREA`` and Pillow's
#    ``BOX`` shrink in a way no torch call matches (OpenCV's is an area-weighted average, as the antialias
#    lesson's tests check); enlarging, ``BOX`` is ``nearest-exact``.
# 6. **Settings.** With ``mode='edge'`` and ``anti_aliasing=False``, scikit-image's order 1 is torch's
#    ``bilinear``, shrinking too.


def matches(call: str, label: str) -> str | None:
    """The torch call that ``call`` equals at ``label``, or None."""
    best, difference = closest[call, label]
    return best if difference < SAME else None


enlarge, shrink = SIZES
both = lambda call: (matches(call, enlarge), matches(call, shrink))  # noqa: E731
for call in (
    "OpenCV INTER_LINEAR",
    "kornia bilinear",
    "JAX linear, antialias=False",
    "SciPy zoom, order 1, grid_mode",
    "skimage resize, order 1, edge, no AA",
):
    assert both(call) == ("bilinear", "bilinear"), call
assert both("SciPy zoom, order 1") == ("bilinear, corners", "bilinear, corners")
assert matches("SciPy zoom, order 0", enlarge) is None and matches("SciPy zoom, order 0", shrink) is None
for call in ("Pillow BILINEAR", "torchvision BILINEAR", "JAX linear"):
    assert matches(call, shrink) == "bilinear, antialias", call
for call in ("skimage resize, order 1", "kornia bilinear, antialias=True"):
    assert matches(call, shrink) is None and 0.05 < closest[call, shrink][1] < 0.2, call
assert both("OpenCV INTER_CUBIC") == ("bicubic", "bicubic")
for call in ("Pillow BICUBIC", "torchvision BICUBIC", "JAX cubic"):
    assert both(call) == ("bicubic, antialias", "bicubic, antialias"), call
assert matches("JAX cubic, antialias=False", enlarge) == "bicubic, antialias"
for call in ("skimage resize, order 3", "SciPy zoom, order 3"):
    assert both(call) == (None, None), call
for call in (
    "Pillow NEAREST",
    "JAX nearest",
    "torchvision NEAREST_EXACT",
    "OpenCV INTER_NEAREST_EXACT",
    "SciPy zoom, order 0, grid_mode",
):
    assert both(call) == ("nearest-exact", "nearest-exact"), call
assert both("torchvision NEAREST") == both("kornia nearest") == ("nearest", "nearest")
assert both("OpenCV INTER_NEAREST") == (None, "nearest") and closest["OpenCV INTER_NEAREST", enlarge][0] == "nearest"
assert both("kornia area") == ("area", "area")
assert matches("OpenCV INTER_AREA", shrink) is None and matches("Pillow BOX", shrink) is None
assert matches("Pillow BOX", enlarge) == "nearest-exact"

# %%
# The recipe
# ----------
# To reproduce a library in torch, take the call its row names (``F.interpolate``, or the layer where there
# is no ``antialias``); where a row says ``same``, the tensors agree to float32 rounding. To make a library
# give torch's result:
#
# * OpenCV: ``INTER_LINEAR`` and ``INTER_CUBIC`` already are the layer's ``bilinear`` and ``bicubic``, and
#   ``INTER_NEAREST_EXACT`` is ``nearest-exact``; give sizes rather than ``fx``, which rounds;
# * Pillow and torchvision: they are torch with ``antialias=True``; torchvision's ``Resize(antialias=False)``
#   gives the layer;
# * scikit-image: ``resize(order=1, mode='edge', anti_aliasing=False)`` is ``bilinear``; order 3 has no torch
#   equivalent;
# * SciPy: ``zoom(order=1, grid_mode=True, mode='nearest')`` is ``bilinear``; the default is
#   ``align_corners=True``, and ``zoom`` rounds the size;
# * JAX: ``antialias=False`` gives the layer's ``bilinear``; its cubic is torch's antialiased ``bicubic``;
# * kornia: it calls ``F.interpolate`` (its ``antialias=True`` is a Gaussian blur, not torch's).

# %%
# The figure: the digit shrunk 28 → 12 by each library's default linear resize, above its difference from
# the closest torch call, on one colour scale.
SHOWN = (
    "OpenCV INTER_LINEAR",
    "Pillow BILINEAR",
    "torchvision BILINEAR",
    "skimage resize, order 1",
    "SciPy zoom, order 1",
    "JAX linear",
    "kornia bilinear",
)


def plot_porting():
    figure, axes = plt.subplots(2, len(SHOWN) + 1, figsize=(2 * (len(SHOWN) + 1), 4.8), layout="constrained")
    side = SIZES[shrink]
    axes[0, 0].imshow(digit, cmap="gray", vmin=0, vmax=1)
    axes[0, 0].set_title("the digit, 28×28", fontsize=9)
    axes[1, 0].remove()
    results = {call: np.asarray(LIBRARIES["linear"][call](digit, side), dtype=np.float64) for call in SHOWN}
    errors = {call: result - TORCH_CALLS[closest[call, shrink][0]](digit, side) for call, result in results.items()}
    limit = max(np.abs(error).max() for error in errors.values())
    for column, call in enumerate(SHOWN, start=1):
        grey = axes[0, column].imshow(results[call], cmap="gray", vmin=0, vmax=1)
        axes[0, column].set_title(call.replace(", ", ",\n", 1), fontsize=8)
        difference = axes[1, column].imshow(errors[call], cmap="RdBu_r", vmin=-limit, vmax=limit)
        axes[1, column].set_title(f"− torch {closest[call, shrink][0]}", fontsize=8)
    hide_ticks([ax for ax in axes.flat if ax in figure.axes])
    figure.colorbar(grey, ax=axes[0, :], shrink=0.8, label="grey level")
    figure.colorbar(difference, ax=axes[1, 1:], shrink=0.8, label="library − closest torch call")
    figure.suptitle("One digit shrunk 28 → 12 by each library's linear resize, and what differs from torch")
    return figure


keep(plot_porting(), "porting.png")
plt.show()
