"""
Porting a model's upsampling: the same name, other numbers
==========================================================

A resize called "bilinear" in one library is not the same tensor in the next, and the difference moves
published numbers when a model or a metric is ported. This page puts torch beside OpenCV, Pillow,
torchvision, scikit-image, SciPy, JAX and kornia: the output size each gives for a scale factor, where each
puts pixel centres, whether it antialiases by default, and, for nearest, linear, cubic and area, enlarging and
shrinking, which torch call each matches best and how closely, which pixel each nearest mode takes, and
which calls antialias. A few rules explain the whole table; the recipe at the end says which torch call
reproduces each library, and which settings of each reproduce torch.
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
from helpers import hide_ticks, sample_digits, save_for_readme
from PIL import Image, ImageOps
from torchvision.transforms import v2

jax.config.update("jax_enable_x64", True)  # compare in float64: what remains is the method, not the rounding
SAME = 1e-5  # closer than this: the same computation (some libraries keep their weights in float32)

# %%
# The output size of a scale factor
# ---------------------------------
# Given a factor rather than a size, torch floors ``n × factor`` (``F.interpolate``, ``nn.Upsample``), and so
# does kornia's ``rescale``, which calls it; OpenCV's ``resize(fx=...)``, Pillow's ``ImageOps.scale``,
# scikit-image's ``rescale`` and SciPy's ``zoom`` round it. torchvision's ``Resize`` and ``jax.image.resize``
# have no factor parameter: they take only a size.


def output_sides(factor: float, side: int = 32) -> dict[str, int]:
    """The output side each library gives a side × side image for ``factor``."""
    image = np.zeros((side, side))
    tensor = torch.zeros(1, 1, side, side, dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns that zoom rounds; that is what is measured
        return {
            "F.interpolate": F.interpolate(tensor, scale_factor=factor).shape[-1],
            "nn.Upsample": torch.nn.Upsample(scale_factor=factor)(tensor).shape[-1],
            "kornia rescale": kornia.geometry.transform.rescale(tensor, factor).shape[-1],
            "OpenCV resize(fx=)": cv2.resize(image, None, fx=factor, fy=factor).shape[-1],
            "Pillow ImageOps.scale": ImageOps.scale(Image.fromarray(image.astype(np.float32)), factor).width,
            "skimage rescale": skimage.transform.rescale(image, factor).shape[-1],
            "SciPy zoom": scipy.ndimage.zoom(image, factor).shape[-1],
        }


FACTORS = (1.8, 0.9999, 1.7, 0.5)
sides = {factor: output_sides(factor) for factor in FACTORS}
print(f"{'32 × factor':<22}" + "".join(f"{factor:>9}" for factor in FACTORS))
for library in sides[FACTORS[0]]:
    print(f"{library:<22}" + "".join(f"{sides[factor][library]:>9}" for factor in FACTORS))
for factor in FACTORS:
    for library, side in sides[factor].items():
        rule = math.floor if library in ("F.interpolate", "nn.Upsample", "kornia rescale") else round
        assert side == rule(32 * factor), (library, factor)
assert sides[1.8]["nn.Upsample"] == 57 and sides[1.8]["SciPy zoom"] == 58 and sides[0.9999]["F.interpolate"] == 31
size_only = {
    "torchvision Resize": list(inspect.signature(v2.Resize).parameters),
    "jax.image.resize": list(inspect.signature(jax.image.resize).parameters),
}
print("parameters:", size_only)
for parameters in size_only.values():
    assert not [name for name in parameters if "scale" in name or "factor" in name], parameters

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
        "torchvision BILINEAR": ramp_through(
            lambda a: v2.Resize((20, 20), v2.InterpolationMode.BILINEAR)(torch.from_numpy(a)[None])[0]
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
# scikit-image decides by itself (``None``: when shrinking). ``F.interpolate`` does not unless
# ``antialias=True``. ``nn.Upsample``, Pillow's ``resize`` and ``ImageOps.scale`` and OpenCV's ``resize`` have
# no such parameter: the sections below show what each does.

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
no_switch = {
    "nn.Upsample": list(inspect.signature(torch.nn.Upsample).parameters),
    "Pillow Image.resize": list(inspect.signature(Image.Image.resize).parameters),
    "Pillow ImageOps.scale": list(inspect.signature(ImageOps.scale).parameters),
    "OpenCV resize": cv2.resize.__doc__.splitlines()[0],  # a compiled function: its signature is in its doc
}
print("no antialias parameter:", no_switch)
assert not any("alias" in str(parameters) for parameters in no_switch.values())

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
    """F.interpolate(image, size=size, **options) as a function (image, (height, width)) → array."""
    return lambda a, size: F.interpolate(torch.from_numpy(a)[None, None], size=size, **options)[0, 0].numpy()


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
    return lambda a, size: np.asarray(
        Image.fromarray(a.astype(np.float32)).resize(size[::-1], method), dtype=np.float64
    )


def torchvision_resize(mode, **options):
    return lambda a, size: v2.Resize(size, interpolation=mode, **options)(torch.from_numpy(a)[None])[0].numpy()


def opencv(flag):
    return lambda a, size: cv2.resize(a, size[::-1], interpolation=flag)


def skimage_resize(**options):
    return lambda a, size: skimage.transform.resize(a, size, **options)


def zoom(**options):
    def resize(a, size):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return scipy.ndimage.zoom(a, (size[0] / a.shape[0], size[1] / a.shape[1]), **options)

    return resize


def jax_resize(method, **options):
    return lambda a, size: np.asarray(jax.image.resize(jnp.asarray(a), size, method, **options))


def kornia_resize(mode, **options):
    return lambda a, size: kornia.geometry.transform.resize(
        torch.from_numpy(a)[None, None], size, interpolation=mode, **options
    )[0, 0].numpy()


MODE = v2.InterpolationMode
LIBRARIES = {  # family: {call: function (image, (height, width)) → array}; each library's default first
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
        "torchvision BILINEAR, antialias=False": torchvision_resize(MODE.BILINEAR, antialias=False),
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
        "torchvision BICUBIC, antialias=False": torchvision_resize(MODE.BICUBIC, antialias=False),
        "skimage resize, order 3": skimage_resize(order=3),
        "SciPy zoom, order 3": zoom(order=3),
        "JAX cubic": jax_resize("cubic"),
        "JAX cubic, antialias=False": jax_resize("cubic", antialias=False),
        "JAX bicubic-pytorch": jax_resize("bicubic-pytorch"),
        "JAX bicubic-pytorch, antialias=False": jax_resize("bicubic-pytorch", antialias=False),
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
    print(f"{family:<40}" + "".join(f"{label:>34}" for label in SIZES))
    for call, resize in calls.items():
        cells = []
        for label, side in SIZES.items():
            theirs = np.asarray(resize(digit, (side, side)), dtype=np.float64)
            differences = {
                name: float(np.abs(theirs - ours(digit, (side, side))).max()) for name, ours in TORCH_CALLS.items()
            }
            best = min(differences, key=differences.get)
            closest[call, label] = (best, differences[best])
            cells.append(f"{best} {'same' if differences[best] < SAME else f'{differences[best]:.2g}'}")
        print(f"  {call:<38}" + "".join(f"{cell:>34}" for cell in cells))

# %%
# JAX's ``method="bicubic-pytorch"`` (its documentation: "matching PyTorch's bicubic resizing behavior") with
# ``antialias=False`` is torch's ``bicubic`` to float64 rounding, enlarging and shrinking; with the default
# ``antialias=True`` it is its ``cubic``, torch's antialiased ``bicubic``.

pytorch_cubic = {
    label: float(
        np.abs(
            LIBRARIES["cubic"]["JAX bicubic-pytorch, antialias=False"](digit, (side, side))
            - TORCH_CALLS["bicubic"](digit, (side, side))
        ).max()
    )
    for label, side in SIZES.items()
}
print(  # the bound, not the value, so that the page prints the same at every CPU kernel level
    "JAX bicubic-pytorch, antialias=False, against torch bicubic (float64): "
    + ", ".join(f"{label} {'below' if gap < 1e-13 else 'not below'} 1e-13" for label, gap in pytorch_cubic.items())
)
assert all(difference < 1e-13 for difference in pytorch_cubic.values())

# %%
# Which pixel nearest takes
# -------------------------
# Resize the ramp of column indices again, 28 → 50 and 28 → 12 columns, with each nearest call: each output
# column ``j`` then holds the input column it took. Three rules cover every call at both sizes but two. "edge":
# torch's ``nearest`` takes ``floor(j·in/out)``, the pixel under the output pixel's first edge, not its centre,
# and so do torchvision's ``NEAREST`` and kornia's ``nearest``. "centre": the pixel under the centre,
# ``floor((j + ½)·in/out)``, is torch's ``nearest-exact``. "corners": SciPy's default ``zoom`` aligns the
# corners, ``round(j·(in − 1)/(out − 1))``. The half-pixel centres of the linear modes are not the rule of
# ``nearest``. The two: OpenCV's ``INTER_NEAREST`` takes ``floor(j·in/out)`` at 28 → 12 but not at 28 → 50
# ("other"), and scikit-image's order 0 blends pixels when shrinking (it antialiases, as the next section shows).


def columns_taken(resize, n_in: int, n_out: int) -> np.ndarray:
    """The input column each of ``n_out`` output columns holds: the resized ramp of ``n_in`` column indices."""
    ramp = np.tile(np.arange(float(n_in)), (4, 1))
    return np.asarray(resize(ramp, (4, n_out)), dtype=np.float64)[1]


def nearest_rule(taken: np.ndarray, n_in: int) -> str:
    """Which rule the columns follow: 'edge', 'centre', 'corners', 'blends' (not one pixel) or 'other'."""
    j, n_out = np.arange(len(taken)), len(taken)
    if not np.array_equal(taken, np.round(taken)):
        return "blends"
    rules = {
        "edge": j * n_in // n_out,
        "centre": (2 * j + 1) * n_in // (2 * n_out),
        "corners": np.round(j * (n_in - 1) / (n_out - 1)),
    }
    return next((name for name, columns in rules.items() if np.array_equal(taken, columns)), "other")


NEAREST_CALLS = {
    "torch nearest": TORCH_CALLS["nearest"],
    "torch nearest-exact": TORCH_CALLS["nearest-exact"],
    **LIBRARIES["nearest"],
}
taken = {(call, side): columns_taken(resize, 28, side) for call, resize in NEAREST_CALLS.items() for side in (50, 12)}
nearest_rules = {(call, side): nearest_rule(columns, 28) for (call, side), columns in taken.items()}
print(f"{'':<32}{'28 → 50':>10}{'28 → 12':>10}")
for call in NEAREST_CALLS:
    print(f"{call:<32}{nearest_rules[call, 50]:>10}{nearest_rules[call, 12]:>10}")
edge_rule = {"torch nearest", "torchvision NEAREST", "kornia nearest"}
centre_rule = {
    "torch nearest-exact",
    "OpenCV INTER_NEAREST_EXACT",
    "Pillow NEAREST",
    "torchvision NEAREST_EXACT",
    "SciPy zoom, order 0, grid_mode",
    "JAX nearest",
}
for call in NEAREST_CALLS:
    expected = (
        ("edge", "edge")
        if call in edge_rule
        else ("centre", "centre")
        if call in centre_rule
        else {
            "OpenCV INTER_NEAREST": ("other", "edge"),
            "SciPy zoom, order 0": ("corners", "corners"),
            "skimage resize, order 0": ("centre", "blends"),
        }[call]
    )
    assert (nearest_rules[call, 50], nearest_rules[call, 12]) == expected, call

# %%
# Both compute the floor with a rounded scale: over every size from 1–40 to 1–80 columns (3,200 pairs), torch
# takes ``floor(j × float32(in/out))``, in float32, and torchvision's ``NEAREST`` and kornia's ``nearest`` take
# torch's columns at every pair; OpenCV's ``INTER_NEAREST`` takes ``floor(j × (1/(out/in)))`` in double
# precision (its ``resizeNN``). Every departure from the exact ``floor(j·in/out)`` is at a column where
# ``j·in/out`` is a whole number, and takes the pixel before: torch's (and so the other two's) at 11 of the
# pairs, OpenCV's at 66; at 28 → 50, OpenCV's column 25 takes 13, not 14.


def torch_nearest_formula(n_in: int, n_out: int) -> np.ndarray:
    """floor(j × float32(in/out)), in float32 arithmetic."""
    j = np.arange(n_out, dtype=np.float32)
    return np.minimum(np.floor(j * (np.float32(n_in) / np.float32(n_out))), n_in - 1)


def opencv_nearest_formula(n_in: int, n_out: int) -> np.ndarray:
    """floor(j × (1/(out/in))), in float64 arithmetic."""
    return np.minimum(np.floor(np.arange(n_out) * (1.0 / (n_out / n_in))), n_in - 1)


PAIRS = [(n_in, n_out) for n_in in range(1, 41) for n_out in range(1, 81)]
FORMULAS = {"torch nearest": torch_nearest_formula, "OpenCV INTER_NEAREST": opencv_nearest_formula}
TORCH_CALLERS = ("torchvision NEAREST", "kornia nearest")
departures = {call: [] for call in FORMULAS}
for n_in, n_out in PAIRS:
    exact = np.arange(n_out) * n_in // n_out
    columns = {call: columns_taken(NEAREST_CALLS[call], n_in, n_out) for call in (*FORMULAS, *TORCH_CALLERS)}
    for call, formula in FORMULAS.items():
        assert np.array_equal(columns[call], formula(n_in, n_out)), (call, n_in, n_out)
        off = columns[call] != exact  # where it departs: j·in/out is whole, and it takes the pixel before
        assert (np.flatnonzero(off) * n_in % n_out == 0).all() and (columns[call][off] == exact[off] - 1).all()
        if off.any():
            departures[call].append((n_in, n_out))
    for call in TORCH_CALLERS:
        assert np.array_equal(columns[call], columns["torch nearest"]), (call, n_in, n_out)
for call, pairs in departures.items():
    print(
        f"{call}: its formula at all 3,200 pairs; the exact floor at all but {len(pairs)} (there one pixel before, "
        f"where j·in/out is whole), e.g. {pairs[:3]}"
    )
print("torchvision NEAREST and kornia nearest: torch nearest's columns at all 3,200 pairs")
assert len(departures["torch nearest"]) == 11 and len(departures["OpenCV INTER_NEAREST"]) == 66
differs = np.flatnonzero(taken["OpenCV INTER_NEAREST", 50] != np.arange(50) * 28 // 50)
print(
    f"OpenCV INTER_NEAREST at 28 → 50 differs from floor(j·in/out) at columns {differs.tolist()}: takes "
    f"{taken['OpenCV INTER_NEAREST', 50][differs].tolist()}, not {(differs * 28 // 50).tolist()}"
)
assert differs.tolist() == [25] and taken["OpenCV INTER_NEAREST", 50][25] == 13
for side, columns in ((50, [25]), (12, [])):  # against torch's nearest: the same columns but those
    assert np.flatnonzero(taken["OpenCV INTER_NEAREST", side] != taken["torch nearest", side]).tolist() == columns

# %%
# The centre rule over the same pairs: torch's ``nearest-exact``, Pillow's ``NEAREST``, OpenCV's
# ``INTER_NEAREST_EXACT``, torchvision's ``NEAREST_EXACT``, SciPy's ``grid_mode`` and Pillow's ``BOX`` enlarging
# (the 2,380 pairs with out > in) take the pixel under the output's centre, ``floor((j + ½)·in/out)``, at every
# column whose centre falls inside a pixel. Where it falls exactly on the boundary between two (``(2j + 1)·in``
# a multiple of ``2·out``), each takes one of the two, and every one but torchvision's sometimes takes the other
# one than torch: torch misses the exact floor at 47 pairs, and against torch's ``nearest-exact`` Pillow's
# ``NEAREST`` differs at 544 pairs (at 2 → 7, column 3), OpenCV's ``INTER_NEAREST_EXACT`` at 544, SciPy's
# ``grid_mode`` at 75, ``BOX`` at 68, torchvision's ``NEAREST_EXACT`` at none. JAX's ``nearest``, measured at
# 28 → 1–80 only, does the same, and differs from ``nearest-exact`` at 5 of those 80 sizes: 23, 41, 46, 49 and 67.

ENLARGING = [(n_in, n_out) for n_in, n_out in PAIRS if n_out > n_in]
CENTRE_CALLS = {  # call: (resize, the size pairs measured)
    **{
        call: (NEAREST_CALLS[call], PAIRS)
        for call in (
            "torch nearest-exact",
            "Pillow NEAREST",
            "OpenCV INTER_NEAREST_EXACT",
            "torchvision NEAREST_EXACT",
            "SciPy zoom, order 0, grid_mode",
        )
    },
    "Pillow BOX, enlarging": (LIBRARIES["area"]["Pillow BOX"], ENLARGING),
    "JAX nearest, 28 → 1–80": (NEAREST_CALLS["JAX nearest"], [(28, n_out) for n_out in range(1, 81)]),
}
torch_exact = {pair: columns_taken(NEAREST_CALLS["torch nearest-exact"], *pair) for pair in PAIRS}
off_centre, unlike_torch = {}, {}  # call → the pairs where it misses the exact floor, where it differs from torch
for call, (resize, pairs) in CENTRE_CALLS.items():
    off_centre[call], unlike_torch[call] = [], []
    for n_in, n_out in pairs:
        columns, j = columns_taken(resize, n_in, n_out), np.arange(n_out)
        centre = (2 * j + 1) * n_in // (2 * n_out)
        boundary = (2 * j + 1) * n_in % (2 * n_out) == 0  # between pixels centre − 1 and centre
        assert np.array_equal(columns[~boundary], centre[~boundary]), (call, n_in, n_out)
        assert np.isin(columns[boundary] - centre[boundary], (-1, 0)).all(), (call, n_in, n_out)
        if not np.array_equal(columns, centre):
            off_centre[call].append((n_in, n_out))
        if not np.array_equal(columns, torch_exact[n_in, n_out]):
            unlike_torch[call].append((n_in, n_out))
print("under the centre wherever it is inside a pixel, one of the two pixels where it is on a boundary:")
print(f"{'':<32}{'pairs':>6}{'off the exact floor':>21}{'unlike torch nearest-exact':>28}")
for call, (_, pairs) in CENTRE_CALLS.items():
    print(f"{call:<32}{len(pairs):>6}{len(off_centre[call]):>21}{len(unlike_torch[call]):>28}")
assert len(off_centre["torch nearest-exact"]) == 47
assert {call: len(pairs) for call, pairs in unlike_torch.items()} == {
    "torch nearest-exact": 0,
    "Pillow NEAREST": 544,
    "OpenCV INTER_NEAREST_EXACT": 544,
    "torchvision NEAREST_EXACT": 0,
    "SciPy zoom, order 0, grid_mode": 75,
    "Pillow BOX, enlarging": 68,
    "JAX nearest, 28 → 1–80": 5,
}
assert len(ENLARGING) == 2380
jax_sizes = [n_out for _, n_out in unlike_torch["JAX nearest, 28 → 1–80"]]
print(f"JAX nearest unlike torch nearest-exact at 28 → {jax_sizes}")
assert jax_sizes == [23, 41, 46, 49, 67]
pillow_2_7, torch_2_7 = columns_taken(NEAREST_CALLS["Pillow NEAREST"], 2, 7).astype(int), torch_exact[2, 7].astype(int)
print(f"2 → 7: Pillow NEAREST takes {pillow_2_7.tolist()}, torch nearest-exact {torch_2_7.tolist()}")
assert np.flatnonzero(pillow_2_7 != torch_2_7).tolist() == [3]

# %%
# Which calls antialias
# ---------------------
# Shrink a one-pixel dot 28 → 12 columns, in each of the 28 positions: the dot in column ``i`` shows how much of
# input pixel ``i`` each output pixel takes. Count, for each output pixel, the input pixels it takes something
# from, and take the brightest output pixel. A call that does not antialias builds some output pixel from one
# input pixel alone, and lets some dot through at full strength (an output sample falls on it, and interpolation
# gives back that pixel): 1. A call that antialiases builds every output pixel from two or more input pixels, and
# its brightest dot is between 0.33 and 0.61. Pillow's ``HAMMING`` and ``LANCZOS``, scikit-image's orders 2, 4
# and 5, and OpenCV's ``INTER_LINEAR_EXACT`` and ``INTER_LANCZOS4`` are measured too. Those that antialias:
# Pillow with every filter but ``NEAREST``; torchvision's ``Resize`` and ``jax.image.resize`` by default, with
# their linear and cubic modes but not nearest; scikit-image's default with every order, 0 to 5; kornia's
# bilinear with ``antialias=True``; the area modes (OpenCV's ``INTER_AREA``, Pillow's ``BOX``, kornia's and
# torch's ``area``); and torch's ``antialias=True`` calls. No other nearest call, and none of OpenCV's others
# (``INTER_LINEAR``, ``INTER_LINEAR_EXACT``, ``INTER_CUBIC``, ``INTER_LANCZOS4`` and the two nearest), antialias.

dot = np.eye(28)  # row r is a dot in column r; only the width is resized
ANTIALIAS_CALLS = {
    **{f"torch {name}": call for name, call in TORCH_CALLS.items()},
    **{call: resize for calls in LIBRARIES.values() for call, resize in calls.items()},
    "Pillow HAMMING": pillow(Image.Resampling.HAMMING),
    "Pillow LANCZOS": pillow(Image.Resampling.LANCZOS),
    **{f"skimage resize, order {order}": skimage_resize(order=order) for order in (2, 4, 5)},
    "OpenCV INTER_LINEAR_EXACT": opencv(cv2.INTER_LINEAR_EXACT),
    "OpenCV INTER_LANCZOS4": opencv(cv2.INTER_LANCZOS4),
}
shrunk = {call: np.asarray(resize(dot, (28, 12)), dtype=np.float64) for call, resize in ANTIALIAS_CALLS.items()}
peaks = {call: float(dots.max()) for call, dots in shrunk.items()}
fewest = {call: int((np.abs(dots) > 1e-9).sum(axis=0).min()) for call, dots in shrunk.items()}  # inputs per output
antialiasing = {call for call, peak in peaks.items() if peak < 0.9}
print(f"28 → 12{'':<33}{'brightest dot':>14}{'fewest inputs in an output':>28}")
for call, peak in peaks.items():
    print(f"{call:<40}{peak:>14.3f}{fewest[call]:>28}{'  antialiases' if call in antialiasing else ''}")
for call, peak in peaks.items():
    if call in antialiasing:
        assert fewest[call] >= 2 and 0.33 <= peak <= 0.61, call
    else:
        assert fewest[call] == 1 and abs(peak - 1) < 1e-6, call
assert antialiasing == {
    *(f"Pillow {name}" for name in ("BILINEAR", "BICUBIC", "BOX", "HAMMING", "LANCZOS")),
    "torchvision BILINEAR",
    "torchvision BICUBIC",
    "JAX linear",
    "JAX cubic",
    "JAX bicubic-pytorch",
    *(f"skimage resize, order {order}" for order in range(6)),
    "kornia bilinear, antialias=True",
    "OpenCV INTER_AREA",
    "kornia area",
    "torch area",
    *(f"torch {name}" for name in TORCH_CALLS if "antialias" in name),
    "torch lanczos",
}

# %%
# The cubic kernel
# ----------------
# Keys' cubic kernel weighs a pixel at distance ``d`` between 1 and 2 by ``a·(d³ − 5d² + 8d − 4)``. Enlarging
# 2×, output pixels fall 1.25 pixels from an input pixel, where the weight is ``0.140625·a``: read it from
# a dot's response and divide.


def cubic_a(resize) -> float:
    """Keys' ``a`` of a cubic resize: the weight at distance 1.25 enlarging 14 → 28, over 0.140625."""
    response = np.asarray(resize(np.eye(14), (14, 28)), dtype=np.float64)
    return float(response[7, 17] / 0.140625)  # output 17 sits at 17/2 − 1/4 = 8.25, 1.25 from the dot in 7


CUBIC_CALLS = {
    "torch bicubic": TORCH_CALLS["bicubic"],
    "torch bicubic, antialias": TORCH_CALLS["bicubic, antialias"],
    **{call: LIBRARIES["cubic"][call] for call in LIBRARIES["cubic"] if "order 3" not in call},
}
kernels = {call: cubic_a(resize) for call, resize in CUBIC_CALLS.items()}
for call, a in kernels.items():
    print(f"{call:<40} a = {a:.4f}")
KEYS_075 = (
    "torch bicubic",
    "OpenCV INTER_CUBIC",
    "kornia bicubic",
    "torchvision BICUBIC, antialias=False",
    "JAX bicubic-pytorch, antialias=False",
)
for call, a in kernels.items():
    assert abs(a - (-0.75 if call in KEYS_075 else -0.5)) < 1e-6, (call, a)

# %%
# The rules
# ---------
# Six rules explain the whole table:
#
# 1. **Centres, in the linear modes.** In the ramp test, every library's linear mode but SciPy's default
#    ``zoom`` puts pixel centres half a pixel in, as torch's default does; ``zoom`` aligns the corners (torch's
#    ``align_corners=True``) unless ``grid_mode=True``. Nearest follows a rule of its own (4).
# 2. **Antialiasing when shrinking.** The calls that antialias are listed above. Shrinking, Pillow's
#    ``BILINEAR`` and ``BICUBIC``, and torchvision's and JAX's default linear and cubic, are torch's
#    ``antialias=True``; OpenCV's ``INTER_LINEAR`` and ``INTER_CUBIC``, and kornia's defaults, are the layer
#    (kornia's ``area``: torch's ``area``). Pillow's ``NEAREST`` does not antialias (it copies pixels, rule 4),
#    and its ``BOX`` does, in a way no torch call matches (rule 5). scikit-image's default and kornia's
#    ``antialias=True`` smooth the image their own way first (with a Gaussian, their documentation says),
#    which no torch call matches (both about 0.1 off the closest).
# 3. **The cubic kernel.** OpenCV's ``INTER_CUBIC`` and kornia's ``bicubic`` are torch's ``bicubic`` (Keys'
#    cubic, ``a = −0.75``; to float32 rounding); Pillow, torchvision and JAX's ``cubic`` use ``a = −0.5``,
#    torch's antialiased ``bicubic``, enlarging too, and JAX's ``cubic`` stays that one with
#    ``antialias=False``. torchvision with ``antialias=False``, and JAX's ``bicubic-pytorch`` with
#    ``antialias=False``, use ``a = −0.75``: torch's ``bicubic``. scikit-image's and SciPy's order 3 (a cubic
#    spline, their documentation says) matches no torch mode.
# 4. **Which pixel nearest takes.** torch's ``nearest``, torchvision's ``NEAREST`` and kornia's ``nearest`` take
#    ``floor(j·in/out)`` up to the rounding of torch's float32 scale (the pixel before at 11 of the 3,200 size
#    pairs), and OpenCV's ``INTER_NEAREST`` up to the rounding of its double reciprocal (at 66; column 25 at
#    28 → 50, where ``nearest`` is still the closest torch call). torch's ``nearest-exact``, Pillow's
#    ``NEAREST``, torchvision's ``NEAREST_EXACT``, OpenCV's ``INTER_NEAREST_EXACT``, SciPy's ``grid_mode`` and
#    JAX's ``nearest`` (measured at 28 → 1–80) take the pixel under the output's centre, except where the centre
#    falls on the boundary between two pixels: there each takes one of the two its own way, and only
#    torchvision's ``NEAREST_EXACT`` takes torch's at every pair. SciPy's default corner-aligned nearest has no
#    torch equivalent.
# 5. **Area.** Only kornia's ``area`` is torch's (adaptive average pooling). OpenCV's ``INTER_AREA`` and Pillow's
#    ``BOX`` shrink in a way no torch call matches (OpenCV's is an area-weighted average, as the antialias
#    lesson's tests check); enlarging, ``BOX`` takes the pixel under the centre as the calls of rule 4 do, and
#    like them picks its own of the two at a boundary (68 of the 2,380 enlarging pairs unlike ``nearest-exact``).
# 6. **Settings.** With ``mode='edge'`` and ``anti_aliasing=False``, scikit-image's order 1 is torch's
#    ``bilinear``, shrinking too; with ``antialias=False``, torchvision's ``BILINEAR`` and ``BICUBIC`` are
#    the layer's ``bilinear`` and ``bicubic``, and JAX's linear is the layer's ``bilinear``.


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
    "torchvision BILINEAR, antialias=False",
):
    assert both(call) == ("bilinear", "bilinear"), call
assert both("SciPy zoom, order 1") == ("bilinear, corners", "bilinear, corners")
assert matches("SciPy zoom, order 0", enlarge) is None and matches("SciPy zoom, order 0", shrink) is None
for call in ("Pillow BILINEAR", "torchvision BILINEAR", "JAX linear"):
    assert matches(call, shrink) == "bilinear, antialias", call
    assert matches(call, enlarge) in ("bilinear", "bilinear, antialias"), call  # enlarging, the two are one
assert matches("Pillow NEAREST", shrink) == "nearest-exact" and "Pillow NEAREST" not in antialiasing
for call in ("skimage resize, order 1", "kornia bilinear, antialias=True"):
    assert matches(call, shrink) is None and 0.05 < closest[call, shrink][1] < 0.2, call
for call in ("OpenCV INTER_CUBIC", "kornia bicubic", "torchvision BICUBIC, antialias=False"):
    assert both(call) == ("bicubic", "bicubic"), call
assert both("JAX bicubic-pytorch, antialias=False") == ("bicubic", "bicubic")
for call in ("Pillow BICUBIC", "torchvision BICUBIC", "JAX cubic", "JAX bicubic-pytorch"):
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
#   ``INTER_NEAREST_EXACT`` is ``nearest-exact`` except at some centres on a pixel boundary (rule 4);
#   ``INTER_NEAREST`` is ``nearest`` except where the two round their scales differently (column 25 at
#   28 → 50); give sizes rather than ``fx``, which rounds;
# * Pillow: ``BILINEAR`` and ``BICUBIC`` are torch's with ``antialias=True`` (Pillow has no switch to turn it
#   off); ``NEAREST``, and ``BOX`` enlarging, are ``nearest-exact`` except at some centres on a pixel boundary
#   (rule 4), and ``BOX`` matches no torch call shrinking; ``ImageOps.scale`` rounds the size;
# * torchvision: ``BILINEAR`` and ``BICUBIC`` are torch's with ``antialias=True``, and with
#   ``Resize(antialias=False)`` the layer's; ``NEAREST`` is ``nearest``, ``NEAREST_EXACT`` ``nearest-exact``;
# * scikit-image: ``resize(order=1, mode='edge', anti_aliasing=False)`` is ``bilinear``; order 3 has no torch
#   equivalent;
# * SciPy: ``zoom(order=1, grid_mode=True, mode='nearest')`` is ``bilinear``; the default is
#   ``align_corners=True``, and ``zoom`` rounds the size;
# * JAX: ``antialias=False`` gives the layer's ``bilinear``, and ``method='bicubic-pytorch'`` with
#   ``antialias=False`` the layer's ``bicubic``; its ``cubic`` is torch's antialiased ``bicubic``, and
#   ``nearest`` is ``nearest-exact`` except at some centres on a pixel boundary (rule 4);
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
    results = {call: np.asarray(LIBRARIES["linear"][call](digit, (side, side)), dtype=np.float64) for call in SHOWN}
    errors = {
        call: result - TORCH_CALLS[closest[call, shrink][0]](digit, (side, side)) for call, result in results.items()
    }
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


save_for_readme(plot_porting(), "porting.png")
plt.show()
