"""
What only the function does: lanczos and antialias
==================================================

``F.interpolate`` has two things ``nn.Upsample`` lacks: ``antialias=True`` (for ``bilinear``, ``bicubic``
and ``lanczos`` on 4-D input) and ``mode='lanczos'``, which exists only with it. Enlarging, the cubic and
Lanczos kernels steepen edges and pay with overshoot, and ``antialias=True`` changes ``bicubic`` but not
``bilinear``. Shrinking without it, the kernels are too narrow for the shrink, and fine detail comes back
as coarse patterns that were never there; with it, the detail fades to grey. Last, the same rules explain
how Pillow, torchvision and OpenCV differ from torch.
"""

# %%
# The lessons share a few helpers (``lessons/helpers.py``); the next line finds them when a notebook runs
# from the repository root (from ``lessons/`` they are found anyway).
import sys

sys.path[:0] = ["lessons"]

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from helpers import hide_ticks, sample_digits, save_for_readme

# Enlarging: the three interpolating modes, bicubic with and without antialias. 'lanczos' exists only
# with antialias=True (and only for 4-D input on the CPU).
ENLARGING = {
    "bilinear": {"mode": "bilinear"},
    "bicubic": {"mode": "bicubic"},
    "bicubic, antialias": {"mode": "bicubic", "antialias": True},
    "lanczos": {"mode": "lanczos", "antialias": True},
}
ENLARGED = 112  # 28 → 112, 4×: enough output pixels to see each kernel's shape
EDGE_FACTOR = 32  # the step edge is enlarged 32×, so its profile is drawn almost continuously

# Shrinking: every mode the layer has for 2D, and the three that antialias, with it.
SHRINKING = {
    "nearest": {"mode": "nearest"},
    "area": {"mode": "area"},
    "bilinear": {"mode": "bilinear"},
    "bilinear, antialias": {"mode": "bilinear", "antialias": True},
    "bicubic": {"mode": "bicubic"},
    "bicubic, antialias": {"mode": "bicubic", "antialias": True},
    "lanczos": {"mode": "lanczos", "antialias": True},
}
PATTERN = 256  # the zone plate and the gratings are 256 pixels wide ...
SHRUNK = 64  # ... and are shrunk 4× to 64, whose Nyquist frequency is 0.125 cycles per *input* pixel
EQUAL = 1e-5  # two float32 resizes closer than this are the same computation, rounded differently
GRATINGS = np.round(np.arange(0.15, 0.4501, 0.01), 2)  # cycles per input pixel, all above 0.125


def interpolate(images: torch.Tensor, size: tuple[int, int], variant: dict) -> torch.Tensor:
    """F.interpolate(images, size, **variant): the function, since the layer has neither option."""
    return F.interpolate(images, size=size, **variant)


# %%
# Enlarging: sharpness against overshoot
# --------------------------------------
# ``lanczos`` weighs 6 input pixels per axis with Lanczos' 3-lobed windowed sinc, ``bicubic`` 4,
# ``bilinear`` 2. The cubic and Lanczos kernels have negative lobes: they make an edge steeper than
# ``bilinear`` does, and ring around it. Enlarge a 0→1 step 32× and a digit 28→112, and measure each
# output's range and the step's steepest rise, in grey levels per input pixel:


def step_edge(length: int = 16) -> torch.Tensor:
    """A (1, 1, 1, length) row: 0 for the first half, 1 for the second."""
    return (torch.arange(length) >= length // 2).double().reshape(1, 1, 1, length)


def edge_profile(variant: dict, length: int = 16, factor: int = EDGE_FACTOR) -> tuple[np.ndarray, np.ndarray]:
    """The step edge enlarged ``factor``×: (position on the input's pixel axis, value) of each output sample."""
    profile = interpolate(step_edge(length), (1, length * factor), variant)[0, 0, 0].double().numpy()
    positions = (np.arange(length * factor) + 0.5) / factor - 0.5  # output centres, input pixel i at i
    return positions, profile


def edge_measures(variant: dict) -> dict[str, float]:
    """The step edge's undershoot (its minimum), overshoot (maximum − 1) and slope (steepest rise per input pixel)."""
    _, profile = edge_profile(variant)
    return {
        "undershoot": float(profile.min()),
        "overshoot": float(profile.max() - 1),
        "slope": float(np.diff(profile).max() * EDGE_FACTOR),
    }


def antialias_change(mode: str, digit: torch.Tensor, size: int = ENLARGED) -> dict[str, float]:
    """How much antialias=True changes ``mode`` when enlarging: the largest |difference|, inside and at the border.

    'border' is the outer 2 input pixels' worth of output (where a 4-tap kernel reaches past the edge).
    """
    batch = digit.reshape(1, 1, *digit.shape[-2:]).double()
    change = (F.interpolate(batch, size=size, mode=mode, antialias=True) - F.interpolate(batch, size=size, mode=mode))[
        0, 0
    ].abs()
    rim = 2 * size // digit.shape[-1]
    border = torch.ones_like(change, dtype=torch.bool)
    border[rim:-rim, rim:-rim] = False
    return {"inside": change[~border].max().item(), "border": change[border].max().item()}


digit = sample_digits(1)[0, 0]
batch = digit.reshape(1, 1, 28, 28)
edges = {label: edge_measures(variant) for label, variant in ENLARGING.items()}
digit_ranges = {
    label: interpolate(batch, (ENLARGED, ENLARGED), variant).aminmax() for label, variant in ENLARGING.items()
}
print(f"  {'':<20} {'step range':>17} {'slope':>6} {'digit range':>17}")
for label in ENLARGING:
    edge, (low, high) = edges[label], digit_ranges[label]
    print(
        f"  {label:<20} [{edge['undershoot']:+.3f}, {1 + edge['overshoot']:.3f}] {edge['slope']:6.3f} "
        f"[{low:+.3f}, {high:.3f}]"
    )

# %%
# ``bilinear`` never leaves the input's range; ``lanczos`` overshoots the most, on the step and on the digit.
# Steepness and overshoot do not go together exactly: antialiased ``bicubic`` has the steepest edge and the
# least overshoot of the three kernels with negative lobes.

assert digit_ranges["bilinear"][0] >= 0 and digit_ranges["bilinear"][1] <= 1
overshoots = {label: edge["overshoot"] for label, edge in edges.items()}
assert max(overshoots, key=overshoots.get) == "lanczos"
assert max(digit_ranges, key=lambda label: digit_ranges[label][1] - digit_ranges[label][0]) == "lanczos"
assert max(edges, key=lambda label: edges[label]["slope"]) == "bicubic, antialias"
assert min(("bicubic", "bicubic, antialias", "lanczos"), key=overshoots.get) == "bicubic, antialias"


def plot_enlarging(digit: torch.Tensor):
    """Top: the digit enlarged 28→112 by each variant, and bicubic's antialias change. Bottom: the step edge."""
    batch = digit.reshape(1, 1, *digit.shape[-2:]).float()
    figure = plt.figure(figsize=(12, 6.4), layout="constrained")
    top, bottom = figure.subfigures(2, 1, height_ratios=[1.1, 1])
    axes = top.subplots(1, len(ENLARGING) + 1)
    for ax, (label, variant) in zip(axes, ENLARGING.items(), strict=False):
        image = interpolate(batch, (ENLARGED, ENLARGED), variant)[0, 0]
        grey = ax.imshow(image.clamp(0, 1).numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"{label}\nrange [{image.min():.2f}, {image.max():.2f}]", fontsize=9)
    change = (
        F.interpolate(batch, size=ENLARGED, mode="bicubic", antialias=True)
        - F.interpolate(batch, size=ENLARGED, mode="bicubic")
    )[0, 0]
    limit = change.abs().max().item()
    shown = axes[-1].imshow(change.numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    axes[-1].set_title("bicubic: antialias\nminus without", fontsize=9)
    top.colorbar(grey, ax=axes[:-1], shrink=0.8, label="grey (clamped to 0..1)")
    top.colorbar(shown, ax=axes[-1], shrink=0.8, label="difference")
    hide_ticks(axes)
    top.suptitle(f"A digit enlarged 28×28 → {ENLARGED}×{ENLARGED} with F.interpolate")

    ax = bottom.subplots()
    for label, variant in ENLARGING.items():
        positions, profile = edge_profile(variant)
        ax.plot(positions, profile, label=label)
    ax.plot(np.arange(16), step_edge()[0, 0, 0].numpy(), "ko", label="input pixels")
    ax.axhline(0, color="0.7", lw=0.8)
    ax.axhline(1, color="0.7", lw=0.8)
    ax.set_xlim(3.5, 11.5)
    ax.set_xlabel("position, in input pixels")
    ax.set_ylabel("value")
    ax.legend(fontsize=8, ncols=5, loc="upper left")
    ax.set_title(
        f"A 0→1 step enlarged {EDGE_FACTOR}×: the cubic and lanczos kernels steepen the edge and ring past 0 and 1",
        fontsize=10,
    )
    return figure


save_for_readme(plot_enlarging(digit), "antialias_enlarge.png")

# %%
# What ``antialias=True`` changes when enlarging
# ----------------------------------------------
# With it, torch resamples the way Pillow does: a filter whose weights are computed for each output pixel,
# with the taps that fall outside the image dropped and the rest scaled to sum to 1. Enlarging, the filter
# is not stretched, so ``bilinear`` does not change (its 2-tap triangle is the same, and dropping an
# outside tap gives the edge pixel's value just as repeating the edge pixel does), and ``bicubic`` changes:

for mode in ("bilinear", "bicubic"):
    change = antialias_change(mode, digit)
    print(
        f"antialias=True changes {mode} when enlarging 28→{ENLARGED} by at most "
        f"{change['inside']:.3f} inside, {change['border']:.3f} at the border"
    )
assert antialias_change("bilinear", digit)["inside"] < 1e-12

# %%
# Bicubic changes for two reasons: its kernel is Keys' cubic with ``a = −0.5`` (Pillow's) instead of
# ``a = −0.75`` (OpenCV's), and at the image's edge the taps outside are dropped instead of repeating the
# edge pixel. A cubic written out here, with either ``a`` and either edge rule, separates the two. On the
# lesson's digit, whose edge is black, the kernel alone explains every changed pixel, the border included
# (dropping a tap and repeating a black pixel give the same sum there); the edge rule shows only on an image
# whose edge is not black, such as a random one.


def keys_cubic(t: np.ndarray, a: float) -> np.ndarray:
    """Keys' cubic convolution kernel with parameter ``a``."""
    t = np.abs(t)
    return np.where(
        t <= 1, (a + 2) * t**3 - (a + 3) * t**2 + 1, np.where(t < 2, a * t**3 - 5 * a * t**2 + 8 * a * t - 4 * a, 0.0)
    )


def cubic_weights(n_in: int, n_out: int, a: float, edge: str) -> np.ndarray:
    """The (n_out, n_in) matrix of enlarging with Keys' cubic: 'repeat' the edge pixel, or 'drop' the taps
    outside and rescale the rest to sum to 1."""
    centres = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
    matrix = np.zeros((n_out, n_in))
    for row, x in enumerate(centres):
        for i in range(int(np.floor(x)) - 1, int(np.floor(x)) + 3):
            if 0 <= i < n_in or edge == "repeat":
                matrix[row, min(max(i, 0), n_in - 1)] += keys_cubic(np.array(x - i), a)
        matrix[row] /= matrix[row].sum() if edge == "drop" else 1
    return matrix


def cubic(image: torch.Tensor, a: float, edge: str, size: int = ENLARGED) -> torch.Tensor:
    matrix = torch.from_numpy(cubic_weights(image.shape[-1], size, a, edge))
    return matrix @ image.double() @ matrix.T


random_image = torch.rand(28, 28, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
for name, image in (("the digit", digit.double()), ("a random image", random_image)):
    antialiased = F.interpolate(image[None, None], size=ENLARGED, mode="bicubic", antialias=True)[0, 0]
    plain = F.interpolate(image[None, None], size=ENLARGED, mode="bicubic")[0, 0]
    assert (plain - cubic(image, -0.75, "repeat")).abs().max() < 1e-12
    assert (antialiased - cubic(image, -0.5, "drop")).abs().max() < 1e-12
    kernel_only = (antialiased - cubic(image, -0.5, "repeat")).abs().max().item()
    shown = "less than 1e-12" if kernel_only < 1e-12 else f"up to {kernel_only:.1e}"
    print(f"{name}: antialiased bicubic minus (a = −0.5, edge repeated) differs by {shown}")
    assert (kernel_only < 1e-12) == (name == "the digit")

# %%
# Shrinking: aliasing
# -------------------
# A zone plate holds every frequency, each at its own radius. Shrunk 256→64, the smaller image can hold up
# to 0.125 cycles per input pixel, the rings within 32 pixels of the centre; beyond them the only correct
# result is flat grey. Without antialiasing the kernels keep their width, so each output pixel reads only
# the few input pixels near its centre. With it, the filter is stretched 4×: each output pixel covers 4
# input pixels per axis, and the filter reaches beyond them with weights that taper off (and turn negative
# in the lobes of ``bicubic`` and ``lanczos``). Shrinking the identity reads off the weights:

for label, variant in SHRINKING.items():
    if label in ("nearest", "area"):
        continue
    eye = torch.eye(PATTERN, dtype=torch.float64).reshape(PATTERN, 1, 1, PATTERN)
    weights = interpolate(eye, (1, SHRUNK), variant)[:, 0, 0, :]  # (input, output)
    column = weights[:, SHRUNK // 2]  # output 32 covers inputs 128..131
    taps, negative = (column.abs() > 1e-15).sum().item(), (column < -1e-15).sum().item()
    read = ((weights.abs() > 1e-15).sum(dim=1) > 0).sum().item()
    print(f"  {label:<20} {taps:2d} taps per output, {negative} of them negative; reads {read} of the {PATTERN} inputs")

# %%
# So plain ``bilinear`` never reads half the input, and plain ``bicubic``, whose 4 taps at 256→64 happen to
# touch every input pixel, still aliases: a kernel that narrow cannot remove the frequencies a 4× shrink
# must remove. Gratings ``0.5 + 0.5·cos(2π·f·x)`` with ``f`` from 0.15 to 0.45 cycles per pixel, all above
# 0.125, measure it: whatever the shrunk row holds besides flat 0.5 is aliasing. The measure is the RMS
# distance from 0.5 over the grating's own RMS contrast (0 is correct, 1 is as strong as the original);
# mean and worst over the gratings:


def grating(frequency: float, width: int = PATTERN) -> torch.Tensor:
    """A (1, 1, 1, width) row of 0.5 + 0.5·cos(2π·frequency·x), frequency in cycles per pixel."""
    x = torch.arange(width, dtype=torch.float64)
    return (0.5 + 0.5 * torch.cos(2 * torch.pi * frequency * x)).reshape(1, 1, 1, width)


def aliasing(frequency: float, variant: dict, width: int = PATTERN, shrunk: int = SHRUNK) -> float:
    """How much of a grating survives shrinking it below its Nyquist rate: 0 for none (correct), 1 for all of it.

    The RMS distance of the shrunk row from the grating's mean (0.5), over the grating's own RMS contrast
    (√½·½). Only valid where the frequency exceeds the output's Nyquist, ½·shrunk/width cycles per pixel.
    """
    if frequency <= 0.5 * shrunk / width:
        raise ValueError(
            f"frequency {frequency} is within the output's band (<= {0.5 * shrunk / width}); "
            "it can be shown, so what survives is not aliasing"
        )
    row = interpolate(grating(frequency, width), (1, shrunk), variant)[0, 0, 0].double()
    return ((row - 0.5).square().mean().sqrt() / (0.5 * 0.5**0.5)).item()


def zone_plate(size: int = PATTERN) -> torch.Tensor:
    """A (1, 1, size, size) zone plate, 0.5 + 0.5·cos(π·r²/size): its frequency r/size rises from 0 at the centre
    to ½ cycle per pixel (Nyquist) at radius size/2, so it holds every frequency, each at its own radius.
    Outside that circle it is flat grey (0.5), so that the plate itself never exceeds Nyquist."""
    axis = torch.arange(size, dtype=torch.float64) - size / 2
    r2 = axis[:, None] ** 2 + axis[None, :] ** 2
    plate = 0.5 + 0.5 * torch.cos(torch.pi * r2 / size)
    return plate.where(r2 <= (size / 2) ** 2, 0.5).reshape(1, 1, size, size)


measured = {label: [aliasing(f, variant) for f in GRATINGS] for label, variant in SHRINKING.items()}
for label, values in measured.items():
    print(f"  {label:<20} {np.mean(values):.3f} {np.max(values):.3f}")

# %%
# ``nearest`` keeps all of it: it picks one pixel in four, so every grating survives at full strength.
# ``area`` averages each 4×4 block, which removes part of it. Antialiasing cuts bilinear's mean by more than
# ten times and bicubic's by more than fifteen; the worst values, at ``f = 0.15``, are the gratings just above
# 0.125, where a filter that is not ideal lets some through.

mean = {label: float(np.mean(values)) for label, values in measured.items()}
assert mean["nearest"] > 1 and mean["area"] < mean["bilinear"] < mean["nearest"]
assert mean["bilinear"] > 10 * mean["bilinear, antialias"] and mean["bicubic"] > 15 * mean["bicubic, antialias"]
assert all(
    GRATINGS[int(np.argmax(measured[label]))] == 0.15
    for label in ("bilinear, antialias", "bicubic, antialias", "lanczos")
)
assert mean["bicubic"] > 0.5  # it reads every input pixel and still aliases


def plot_shrinking():
    """Top: the zone plate and its 4× shrink in every SHRINKING variant. Bottom: aliasing against frequency."""
    plate = zone_plate()
    figure = plt.figure(figsize=(12, 7.2), layout="constrained")
    top, bottom = figure.subfigures(2, 1, height_ratios=[1.15, 1])
    axes = top.subplots(2, 4)
    # Drawn smaller than its 256 pixels, the plate itself needs matplotlib's antialiased display to look right.
    axes[0, 0].imshow(plate[0, 0].numpy(), cmap="gray", vmin=0, vmax=1, interpolation="antialiased")
    axes[0, 0].set_title(f"zone plate, {PATTERN}×{PATTERN}", fontsize=9)
    for ax, (label, variant) in zip(axes.flat[1:], SHRINKING.items(), strict=True):
        shrunk = interpolate(plate, (SHRUNK, SHRUNK), variant)[0, 0]
        ax.imshow(shrunk.clamp(0, 1).numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"{label}\n{SHRUNK}×{SHRUNK}", fontsize=9)
    hide_ticks(axes)
    top.colorbar(axes[0, 0].images[0], ax=axes, shrink=0.85, label="grey level (clamped to 0..1)")
    top.suptitle(
        f"Shrunk 4×: the rings within {PATTERN // 8} input pixels of the centre fit the smaller image; "
        "beyond them, only grey is correct"
    )

    ax = bottom.subplots()
    for label, variant in SHRINKING.items():
        ax.plot(
            GRATINGS,
            [aliasing(f, variant) for f in GRATINGS],
            marker=".",
            label=label,
            linestyle="--" if "antialias" in label or label == "lanczos" else "-",
        )
    ax.set_xlabel("grating frequency, cycles per input pixel (the output holds up to 0.125)")
    ax.set_ylabel("aliasing (0 = flat grey, correct)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, ncols=4)
    ax.set_title(f"A grating shrunk {PATTERN}→{SHRUNK}: what survives is aliasing", fontsize=10)
    return figure


save_for_readme(plot_shrinking(), "antialias_shrink.png")

# %%
# The libraries
# -------------
# The same rules explain the differences people meet between libraries. Each compared with torch on the
# digit at 28→14, 28→20 and 28→56 (``same``: equal to float32 rounding, below 1e-5):


def library_differences(digit: torch.Tensor, sizes: Sequence[int] = (14, 20, 56)) -> dict[str, list[float]]:
    """The largest |difference| between another library's resize and its torch counterpart, at each size.

    The digit as a float32 image; Pillow in its 'F' mode, OpenCV and torchvision on the same values.
    """
    import cv2
    from PIL import Image
    from torchvision.transforms import v2

    image = digit.reshape(digit.shape[-2:]).float()
    batch = image[None, None]
    pil, array = Image.fromarray(image.numpy()), image.numpy()

    def torch_resize(size: int, **variant) -> np.ndarray:
        return interpolate(batch, (size, size), variant)[0, 0].numpy()

    pillow = Image.Resampling
    pairs = {
        "Pillow BILINEAR | bilinear, antialias": (
            lambda s: pil.resize((s, s), pillow.BILINEAR),
            lambda s: torch_resize(s, mode="bilinear", antialias=True),
        ),
        "Pillow BILINEAR | bilinear": (
            lambda s: pil.resize((s, s), pillow.BILINEAR),
            lambda s: torch_resize(s, mode="bilinear"),
        ),
        "Pillow BICUBIC | bicubic, antialias": (
            lambda s: pil.resize((s, s), pillow.BICUBIC),
            lambda s: torch_resize(s, mode="bicubic", antialias=True),
        ),
        "Pillow LANCZOS | lanczos": (
            lambda s: pil.resize((s, s), pillow.LANCZOS),
            lambda s: torch_resize(s, mode="lanczos", antialias=True),
        ),
        "torchvision Resize | bilinear, antialias": (
            lambda s: v2.Resize(s)(batch)[0, 0],
            lambda s: torch_resize(s, mode="bilinear", antialias=True),
        ),
        "OpenCV INTER_LINEAR | bilinear": (
            lambda s: cv2.resize(array, (s, s), interpolation=cv2.INTER_LINEAR),
            lambda s: torch_resize(s, mode="bilinear"),
        ),
        "OpenCV INTER_CUBIC | bicubic": (
            lambda s: cv2.resize(array, (s, s), interpolation=cv2.INTER_CUBIC),
            lambda s: torch_resize(s, mode="bicubic"),
        ),
        "OpenCV INTER_AREA | area": (
            lambda s: cv2.resize(array, (s, s), interpolation=cv2.INTER_AREA),
            lambda s: torch_resize(s, mode="area"),
        ),
    }
    return {
        label: [float(np.abs(np.asarray(theirs(s), dtype=np.float64) - ours(s)).max()) for s in sizes]
        for label, (theirs, ours) in pairs.items()
    }


sizes = (14, 20, 56)
differences = library_differences(digit, sizes)
for label, row in differences.items():
    print(f"  {label:<40} " + " ".join(f"{d:6.2f}" if d > EQUAL else "  same" for d in row))

# %%
# * Pillow antialiases: its ``BILINEAR``, ``BICUBIC`` and ``LANCZOS`` are torch's with ``antialias=True``,
#   enlarging and shrinking, at every size above.
# * torchvision's ``Resize`` on tensors is ``F.interpolate`` with the same ``antialias``, and its default is
#   ``True`` in the torchvision installed here.
# * OpenCV's ``INTER_LINEAR`` and ``INTER_CUBIC`` do not antialias: they are the layer's ``bilinear`` and
#   ``bicubic``, shrinking too. For shrinking, OpenCV's documentation recommends ``INTER_AREA``, an
#   area-weighted average (the tests check it against one); torch's ``area`` is adaptive average pooling
#   instead: the two agree at whole factors (28→14) and differ at 28→20.

import inspect

import torchvision
from torchvision.transforms import v2

print(
    f"torchvision {torchvision.__version__}: Resize's antialias defaults to "
    f"{inspect.signature(v2.Resize).parameters['antialias'].default}"
)
same = {label: [d <= EQUAL for d in row] for label, row in differences.items()}
assert same["Pillow BILINEAR | bilinear"] == [False, False, True]
assert same["OpenCV INTER_AREA | area"] == [True, False, True]
assert all(
    all(row) for label, row in same.items() if label not in ("Pillow BILINEAR | bilinear", "OpenCV INTER_AREA | area")
)

plt.show()
