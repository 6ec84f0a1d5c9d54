"""The porting lessons' calls and measuring code (lessons/plot_porting.py, plot_porting_kernels.py,
plot_porting_nearest.py).

Every library's resize as a function ``(image, (height, width)) → array``, torch's resizes beside them, and what
the pages measure with them: the output size of a factor, where pixel centres are, the antialias defaults, the
closest torch call, whether a call antialiases, and which input column a nearest call takes.

JAX computes in float32 unless ``jax.config.update("jax_enable_x64", True)`` is set; the pages set it, so that
what differs between libraries is the method, not the rounding.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

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
from PIL import Image, ImageOps
from torchvision.transforms import v2

from upsample_helpers import hide_ticks

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Resize = Callable[[np.ndarray, tuple[int, int]], np.ndarray]  # (image, (height, width)) → array
SAME = 1e-5  # closer than this: the same computation (some libraries keep their weights in float32)
SIZES = {"enlarge 28→50": 50, "shrink 28→12": 12}  # the sides a 28×28 digit is resized to


# ---------------------------------------------------------------------------
# Each library's resize, as one kind of function
# ---------------------------------------------------------------------------
def torch_call(**options) -> Resize:
    """F.interpolate(image, size=size, **options)."""
    return lambda a, size: F.interpolate(torch.from_numpy(a)[None, None], size=size, **options)[0, 0].numpy()


def pillow(method: Image.Resampling) -> Resize:
    """Pillow's Image.resize with ``method``, on a float32 image ('F' mode)."""
    return lambda a, size: np.asarray(Image.fromarray(a.astype(np.float32)).resize(size[::-1], method),
                                      dtype=np.float64)


def torchvision_resize(mode: v2.InterpolationMode, **options) -> Resize:
    """torchvision's v2.Resize with ``mode``."""
    return lambda a, size: v2.Resize(size, interpolation=mode, **options)(torch.from_numpy(a)[None])[0].numpy()


def opencv(flag: int) -> Resize:
    """OpenCV's cv2.resize with the interpolation ``flag``."""
    return lambda a, size: cv2.resize(a, size[::-1], interpolation=flag)


def skimage_resize(**options) -> Resize:
    """scikit-image's transform.resize."""
    return lambda a, size: skimage.transform.resize(a, size, **options)


def zoom(**options) -> Resize:
    """SciPy's ndimage.zoom, by the factor that gives ``size``."""

    def resize(a: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zoom warns that it rounds the size; the factors here give it exactly
            return scipy.ndimage.zoom(a, (size[0] / a.shape[0], size[1] / a.shape[1]), **options)

    return resize


def jax_resize(method: str, **options) -> Resize:
    """jax.image.resize with ``method``."""
    return lambda a, size: np.asarray(jax.image.resize(jnp.asarray(a), size, method, **options))


def kornia_resize(mode: str, **options) -> Resize:
    """kornia's geometry.transform.resize with ``mode``."""
    return lambda a, size: kornia.geometry.transform.resize(torch.from_numpy(a)[None, None], size,
                                                            interpolation=mode, **options)[0, 0].numpy()


TORCH_CALLS: dict[str, Resize] = {  # every torch resize of a 2D image: the layer's modes, and what only F has
    "nearest": torch_call(mode="nearest"),
    "nearest-exact": torch_call(mode="nearest-exact"),
    "area": torch_call(mode="area"),
    **{f"{mode}{', corners' if corners else ''}{', antialias' if antialias else ''}":
       torch_call(mode=mode, align_corners=corners, antialias=antialias)
       for mode in ("bilinear", "bicubic") for corners in (False, True) for antialias in (False, True)
       if not (corners and antialias)},
    "lanczos": torch_call(mode="lanczos", antialias=True),
}
MODE = v2.InterpolationMode
LIBRARIES: dict[str, dict[str, Resize]] = {  # family: {call: resize}; each library's default first
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
ANTIALIAS_CALLS: dict[str, Resize] = {  # every call above, torch's too, and the other filters of each library
    **{f"torch {name}": call for name, call in TORCH_CALLS.items()},
    **{call: resize for calls in LIBRARIES.values() for call, resize in calls.items()},
    "Pillow HAMMING": pillow(Image.Resampling.HAMMING),
    "Pillow LANCZOS": pillow(Image.Resampling.LANCZOS),
    **{f"skimage resize, order {order}": skimage_resize(order=order) for order in (2, 4, 5)},
    "OpenCV INTER_LINEAR_EXACT": opencv(cv2.INTER_LINEAR_EXACT),
    "OpenCV INTER_LANCZOS4": opencv(cv2.INTER_LANCZOS4),
}
NEAREST_CALLS: dict[str, Resize] = {"torch nearest": TORCH_CALLS["nearest"],
                                    "torch nearest-exact": TORCH_CALLS["nearest-exact"], **LIBRARIES["nearest"]}


# ---------------------------------------------------------------------------
# Sizes, centres, defaults
# ---------------------------------------------------------------------------
FLOORING = ("F.interpolate", "nn.Upsample", "kornia rescale")  # the calls of output_sides that floor


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


def sizes_table(sides: dict[float, dict[str, int]], side: int = 32) -> str:
    """A row per library, a column per factor: the output side of ``side`` × factor."""
    factors = list(sides)
    lines = [f"{f'{side} × factor':<22}" + "".join(f"{factor:>9}" for factor in factors)]
    lines += [f"{library:<22}" + "".join(f"{sides[factor][library]:>9}" for factor in factors)
              for library in sides[factors[0]]]
    return "\n".join(lines)


def linear_centres(column: int = 5) -> dict[str, float]:
    """Where output ``column`` of each linear resize 8 → 20 samples the input: a ramp of column indices, resized."""
    ramp = np.tile(np.arange(8.0), (8, 1))  # (8, 8), each value its own column
    calls = {
        "torch bilinear": TORCH_CALLS["bilinear"],
        "torch bilinear, align_corners": TORCH_CALLS["bilinear, corners"],
        "OpenCV INTER_LINEAR": LIBRARIES["linear"]["OpenCV INTER_LINEAR"],
        "Pillow BILINEAR": LIBRARIES["linear"]["Pillow BILINEAR"],
        "torchvision BILINEAR": LIBRARIES["linear"]["torchvision BILINEAR"],
        "skimage resize, order 1": LIBRARIES["linear"]["skimage resize, order 1"],
        "SciPy zoom, order 1": LIBRARIES["linear"]["SciPy zoom, order 1"],
        "SciPy zoom, order 1, grid_mode": LIBRARIES["linear"]["SciPy zoom, order 1, grid_mode"],
        "JAX linear": LIBRARIES["linear"]["JAX linear"],
        "kornia bilinear": LIBRARIES["linear"]["kornia bilinear"],
    }
    return {call: float(np.asarray(resize(ramp, (20, 20)))[4, column]) for call, resize in calls.items()}


def centre_convention(where: float, n_in: int = 8, n_out: int = 20, column: int = 5) -> str:
    """'half-pixel', 'corners' or 'other': the convention that puts output ``column`` at input ``where``."""
    if abs(where - ((column + 0.5) * n_in / n_out - 0.5)) < 1e-5:
        return "half-pixel"
    return "corners" if abs(where - column * (n_in - 1) / (n_out - 1)) < 1e-5 else "other"


def antialias_defaults() -> dict[str, object]:
    """Each library's default for its antialias switch, read from its signature."""
    def default(function: Callable, parameter: str) -> object:
        return inspect.signature(function).parameters[parameter].default

    return {"jax.image.resize": default(jax.image.resize, "antialias"),
            "kornia resize": default(kornia.geometry.transform.resize, "antialias"),
            "torchvision Resize": default(v2.Resize, "antialias"),
            "skimage resize": default(skimage.transform.resize, "anti_aliasing"),
            "F.interpolate": default(F.interpolate, "antialias")}


def signatures_without_a_switch() -> dict[str, str]:
    """The parameters of the resizes with no antialias switch (OpenCV's compiled resize: its documented call)."""
    def parameters(function: Callable) -> str:
        return ", ".join(inspect.signature(function).parameters)

    return {"nn.Upsample": parameters(torch.nn.Upsample),
            "Pillow Image.resize": parameters(Image.Image.resize),
            "Pillow ImageOps.scale": parameters(ImageOps.scale),
            "OpenCV resize": cv2.resize.__doc__.splitlines()[0]}


# ---------------------------------------------------------------------------
# The closest torch call, and antialiasing
# ---------------------------------------------------------------------------
def closest_torch_calls(calls: dict[str, Resize], image: np.ndarray, side: int) -> dict[str, tuple[str, float]]:
    """For each call resizing ``image`` to side × side: the torch call closest to it, and the largest difference."""
    ours = {name: resize(image, (side, side)) for name, resize in TORCH_CALLS.items()}
    closest = {}
    for call, resize in calls.items():
        theirs = np.asarray(resize(image, (side, side)), dtype=np.float64)
        differences = {name: float(np.abs(theirs - result).max()) for name, result in ours.items()}
        best = min(differences, key=differences.get)
        closest[call] = (best, differences[best])
    return closest


def matches(closest: dict[str, tuple[str, float]], call: str) -> str | None:
    """The torch call that ``call`` equals (within SAME), or None."""
    best, difference = closest[call]
    return best if difference < SAME else None


def recipe(image: np.ndarray, families: Sequence[str] = ("linear", "cubic", "area"),
           sides: Sequence[int] = tuple(SIZES.values())) -> dict[str, str]:
    """Each call of ``families`` that equals one torch call (within SAME) at every side: call → that torch call."""
    # the torch call closest at the smallest side, where antialiasing tells calls apart
    found = {}
    for family in families:
        for call, resize in LIBRARIES[family].items():
            best, _ = closest_torch_calls({call: resize}, image, min(sides))[call]
            if all(np.abs(resize(image, (side, side)) - TORCH_CALLS[best](image, (side, side))).max() < SAME
                   for side in sides):
                found[call] = best
    return found


def closest_table(closest: dict[str, tuple[str, float]], title: str) -> str:
    """A row per call: the closest torch call, and 'same' or the largest difference from it."""
    lines = [f"{title:<39}{'closest torch call':<21}{'apart':>6}"]
    for call, (best, difference) in closest.items():
        lines.append(f"{call:<39}{best:<21}{'same' if difference < SAME else f'{difference:.2g}':>6}")
    return "\n".join(lines)


def shrink_dots(calls: dict[str, Resize]) -> dict[str, tuple[float, int]]:
    """Each call shrinking a dot 28 → 12 columns: (its brightest output, the fewest inputs an output takes from)."""
    dots = np.eye(28)  # row r is a dot in column r; only the width is resized
    measured = {}
    for call, resize in calls.items():
        shrunk = np.asarray(resize(dots, (28, 12)), dtype=np.float64)
        measured[call] = (float(shrunk.max()), int((np.abs(shrunk) > 1e-9).sum(axis=0).min()))
    return measured


def plot_porting(digit: np.ndarray, calls: Sequence[str], closest: dict[str, tuple[str, float]],
                 side: int = 12) -> Figure:
    """The digit resized to side × side by each linear call, above its difference from the closest torch call."""
    # Four columns: rows 1 and 3 show the digit and the calls' results, rows 2 and 4 their differences; the slot
    # under the digit holds the two colour bars.
    columns = 4
    figure, axes = plt.subplots(4, columns, figsize=(7.4, 8.2), layout="constrained")
    results = {call: np.asarray(LIBRARIES["linear"][call](digit, (side, side)), dtype=np.float64) for call in calls}
    errors = {call: result - TORCH_CALLS[closest[call][0]](digit, (side, side)) for call, result in results.items()}
    limit = max(np.abs(error).max() for error in errors.values())
    axes[0, 0].imshow(digit, cmap="gray", vmin=0, vmax=1)
    axes[0, 0].set_title("the digit, 28×28", fontsize=9)
    for index, call in enumerate(calls, start=1):
        row, column = 2 * (index // columns), index % columns
        grey = axes[row, column].imshow(results[call], cmap="gray", vmin=0, vmax=1)
        axes[row, column].set_title(call.replace(", ", ",\n", 1), fontsize=9)
        difference = axes[row + 1, column].imshow(errors[call], cmap="RdBu_r", vmin=-limit, vmax=limit)
        axes[row + 1, column].set_title(f"− torch {closest[call][0]}".replace(", ", ",\n", 1), fontsize=9)
    for ax in axes.flat[2 * columns + len(calls) + 1:]:  # past the last call's difference: nothing to draw
        ax.remove()
    hide_ticks([ax for ax in axes.flat if ax in figure.axes])
    legend = axes[1, 0]
    legend.axis("off")
    for mappable, bottom, label in ((grey, 0.62, "grey level"), (difference, 0.12, "library − closest\ntorch call")):
        bar = figure.colorbar(mappable, cax=legend.inset_axes([0.05, bottom, 0.9, 0.1]), orientation="horizontal")
        bar.set_label(label, fontsize=9)
        bar.ax.tick_params(labelsize=8)
    figure.suptitle(f"One digit shrunk 28 → {side} by each library's linear resize,\n"
                    "and what differs from the closest torch call", fontsize=10)
    return figure


# ---------------------------------------------------------------------------
# Which column a nearest call takes
# ---------------------------------------------------------------------------
PAIRS = [(n_in, n_out) for n_in in range(1, 41) for n_out in range(1, 81)]  # 3,200 sizes, 1–40 → 1–80
ENLARGING = [(n_in, n_out) for n_in, n_out in PAIRS if n_out > n_in]


CENTRE_CALLS: dict[str, tuple[Resize, list[tuple[int, int]]]] = {  # the centre rule's calls: (resize, pairs)
    **{call: (NEAREST_CALLS[call], PAIRS) for call in ("torch nearest-exact", "Pillow NEAREST",
                                                       "OpenCV INTER_NEAREST_EXACT", "torchvision NEAREST_EXACT",
                                                       "SciPy zoom, order 0, grid_mode")},
    "Pillow BOX, enlarging": (LIBRARIES["area"]["Pillow BOX"], ENLARGING),
    "JAX nearest, 28 → 1–80": (NEAREST_CALLS["JAX nearest"], [(28, n_out) for n_out in range(1, 81)]),
}


def columns_taken(resize: Resize, n_in: int, n_out: int) -> np.ndarray:
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
        "corners": np.round(j * (n_in - 1) / max(n_out - 1, 1)),
    }
    return next((name for name, columns in rules.items() if np.array_equal(taken, columns)), "other")


def rules_table(rules: dict[tuple[str, int], str], sides: Sequence[int]) -> str:
    """A row per call, a column per output side: the rule its columns follow."""
    calls = list(dict.fromkeys(call for call, _ in rules))
    lines = [f"{'':<32}" + "".join(f"{f'28 → {side}':>10}" for side in sides)]
    lines += [f"{call:<32}" + "".join(f"{rules[call, side]:>10}" for side in sides) for call in calls]
    return "\n".join(lines)


def pairs_unlike(resize: Resize, expected: Callable[[int, int], np.ndarray],
                 pairs: Sequence[tuple[int, int]] = PAIRS) -> list[tuple[int, int]]:
    """The size pairs at which ``resize`` takes other columns than ``expected(n_in, n_out)``."""
    return [(n_in, n_out) for n_in, n_out in pairs
            if not np.array_equal(columns_taken(resize, n_in, n_out), expected(n_in, n_out))]


def floor_departures(resize: Resize, pairs: Sequence[tuple[int, int]] = PAIRS) -> list[tuple[int, int, int, int]]:
    """Every column where ``resize`` departs from the exact floor(j·in/out): (n_in, n_out, j, the column taken)."""
    departures = []
    for n_in, n_out in pairs:
        taken = columns_taken(resize, n_in, n_out)
        for j in np.flatnonzero(taken != np.arange(n_out) * n_in // n_out):
            departures.append((n_in, n_out, int(j), int(taken[j])))
    return departures


def centre_rule(resize: Resize, pairs: Sequence[tuple[int, int]] = PAIRS) -> dict[str, object]:
    """How ``resize`` follows the centre rule, floor((j + ½)·in/out), over ``pairs``: its 'holds', and where not."""
    # 'holds': at every column whose centre falls inside a pixel it takes that pixel, and where the centre falls on
    # the boundary between two pixels, one of the two; 'off the floor': the pairs where it is not the exact floor
    # at every column; 'unlike torch': the pairs where it takes other columns than torch's nearest-exact.
    holds, off, unlike = True, [], []
    for n_in, n_out in pairs:
        columns, j = columns_taken(resize, n_in, n_out), np.arange(n_out)
        centre = (2 * j + 1) * n_in // (2 * n_out)
        boundary = (2 * j + 1) * n_in % (2 * n_out) == 0  # between pixels centre − 1 and centre
        holds &= bool(np.array_equal(columns[~boundary], centre[~boundary])
                      and np.isin(columns[boundary] - centre[boundary], (-1, 0)).all())
        if not np.array_equal(columns, centre):
            off.append((n_in, n_out))
        if not np.array_equal(columns, columns_taken(TORCH_CALLS["nearest-exact"], n_in, n_out)):
            unlike.append((n_in, n_out))
    return {"holds": holds, "off the floor": off, "unlike torch": unlike}
