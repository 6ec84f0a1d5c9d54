"""The lanczos and antialias lesson's variants, measures, figures and library comparisons
(lessons/plot_antialias.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from upsample_helpers import hide_ticks

if TYPE_CHECKING:
    from matplotlib.figure import Figure

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


# ---------------------------------------------------------------------------
# Enlarging
# ---------------------------------------------------------------------------
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


def enlarging_table(digit: torch.Tensor) -> tuple[str, dict[str, dict[str, float]]]:
    """Per variant of ENLARGING, the step's range and slope and the digit's range at ENLARGED: (table, numbers)."""
    # The numbers are keyed by variant, then by 'undershoot', 'overshoot', 'slope', 'digit low', 'digit high'.
    batch = digit.reshape(1, 1, *digit.shape[-2:])
    measures = {}
    for label, variant in ENLARGING.items():
        low, high = interpolate(batch, (ENLARGED, ENLARGED), variant).aminmax()
        measures[label] = {**edge_measures(variant), "digit low": low.item(), "digit high": high.item()}
    lines = [f"{'':<19} {'step range':>16} {'slope':>6} {'digit range':>16}"]
    for label, m in measures.items():
        lines.append(f"{label:<19} [{m['undershoot']:+.3f}, {1 + m['overshoot']:.3f}] {m['slope']:6.3f} "
                     f"[{m['digit low']:+.3f}, {m['digit high']:.3f}]")
    return "\n".join(lines), measures


def antialias_change(mode: str, digit: torch.Tensor, size: int = ENLARGED) -> dict[str, float]:
    """How much antialias=True changes ``mode`` when enlarging: the largest |difference|, inside and at the border."""
    # 'border' is the outer 2 input pixels' worth of output (where a 4-tap kernel reaches past the edge).
    batch = digit.reshape(1, 1, *digit.shape[-2:]).double()
    with_it = F.interpolate(batch, size=size, mode=mode, antialias=True)
    change = (with_it - F.interpolate(batch, size=size, mode=mode))[0, 0].abs()
    rim = 2 * size // digit.shape[-1]
    border = torch.ones_like(change, dtype=torch.bool)
    border[rim:-rim, rim:-rim] = False
    return {"inside": change[~border].max().item(), "border": change[border].max().item()}


def kernel_matrix(n_in: int, n_out: int, kernel: Callable[[np.ndarray], np.ndarray], edge: str) -> np.ndarray:
    """The (n_out, n_in) matrix of enlarging with a 4-tap ``kernel``, the taps outside the image as ``edge`` says."""
    # 'repeat': a tap outside reads the edge pixel; 'drop': it is left out and the rest are rescaled to sum to 1.
    if edge not in ("repeat", "drop"):
        raise ValueError(f"edge must be 'repeat' or 'drop', got {edge!r}")
    centres = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
    matrix = np.zeros((n_out, n_in))
    for row, x in enumerate(centres):
        for i in range(int(np.floor(x)) - 1, int(np.floor(x)) + 3):
            if 0 <= i < n_in or edge == "repeat":
                matrix[row, min(max(i, 0), n_in - 1)] += kernel(np.array(x - i))
        matrix[row] /= matrix[row].sum() if edge == "drop" else 1
    return matrix


def enlarge_with(image: torch.Tensor, kernel: Callable[[np.ndarray], np.ndarray], edge: str,
                 size: int = ENLARGED) -> torch.Tensor:
    """An (H, H) image enlarged to size×size with ``kernel`` along both axes, the edge handled as ``edge``."""
    matrix = torch.from_numpy(kernel_matrix(image.shape[-1], size, kernel, edge))
    return matrix @ image.double() @ matrix.T


def plot_enlarging(digit: torch.Tensor) -> Figure:
    """Top: the digit enlarged 28→112 by each variant, and bicubic's antialias change. Bottom: the step edge."""
    batch = digit.reshape(1, 1, *digit.shape[-2:]).float()
    figure = plt.figure(figsize=(7.4, 9.2), layout="constrained")
    top, bottom = figure.subfigures(2, 1, height_ratios=[1.45, 1])
    axes = top.subplots(2, 3)
    for ax, (label, variant) in zip(axes.flat, ENLARGING.items(), strict=False):
        image = interpolate(batch, (ENLARGED, ENLARGED), variant)[0, 0]
        grey = ax.imshow(image.clamp(0, 1).numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"{label}\nrange [{image.min():.2f}, {image.max():.2f}]", fontsize=9)
    with_it = F.interpolate(batch, size=ENLARGED, mode="bicubic", antialias=True)
    change = (with_it - F.interpolate(batch, size=ENLARGED, mode="bicubic"))[0, 0]
    limit = change.abs().max().item()
    difference = axes[1, 1]
    shown = difference.imshow(change.numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    difference.set_title("bicubic: antialias\nminus without", fontsize=9)
    axes[1, 2].remove()
    top.colorbar(grey, ax=list(axes.flat[:4]), shrink=0.7, label="grey (clamped to 0..1)")
    top.colorbar(shown, ax=difference, location="bottom", shrink=0.9, label="difference")
    hide_ticks(axes.flat[:5])
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
    ax.legend(fontsize=9, ncols=2, loc="upper left")
    ax.set_title(f"A 0→1 step enlarged {EDGE_FACTOR}×: the cubic and lanczos kernels\n"
                 "steepen the edge and ring past 0 and 1", fontsize=10)
    return figure


# ---------------------------------------------------------------------------
# Shrinking
# ---------------------------------------------------------------------------
def kernel_footprint(variant: dict, n_in: int = PATTERN, n_out: int = SHRUNK) -> dict[str, int]:
    """A row resampled n_in → n_out: the middle output's taps, how many are negative, how many inputs are read."""
    eye = torch.eye(n_in, dtype=torch.float64).reshape(n_in, 1, 1, n_in)
    weights = interpolate(eye, (1, n_out), variant)[:, 0, 0, :]  # (input, output)
    column = weights[:, n_out // 2]
    return {"taps": int((column.abs() > 1e-15).sum()), "negative": int((column < -1e-15).sum()),
            "read": int(((weights.abs() > 1e-15).sum(dim=1) > 0).sum())}


def grating(frequency: float, width: int = PATTERN) -> torch.Tensor:
    """A (1, 1, 1, width) row of 0.5 + 0.5·cos(2π·frequency·x), frequency in cycles per pixel."""
    x = torch.arange(width, dtype=torch.float64)
    return (0.5 + 0.5 * torch.cos(2 * torch.pi * frequency * x)).reshape(1, 1, 1, width)


def aliasing(frequency: float, variant: dict, width: int = PATTERN, shrunk: int = SHRUNK) -> float:
    """How much of a grating survives shrinking it below its Nyquist rate: 0 for none (correct), 1 for all of it."""
    # The RMS distance of the shrunk row from the grating's mean (0.5), over the grating's own RMS contrast
    # (√½·½). Only valid where the frequency exceeds the output's Nyquist, ½·shrunk/width cycles per pixel.
    if frequency <= 0.5 * shrunk / width:
        raise ValueError(
            f"frequency {frequency} is within the output's band (<= {0.5 * shrunk / width}); "
            "it can be shown, so what survives is not aliasing"
        )
    row = interpolate(grating(frequency, width), (1, shrunk), variant)[0, 0, 0].double()
    return ((row - 0.5).square().mean().sqrt() / (0.5 * 0.5**0.5)).item()


def zone_plate(size: int = PATTERN) -> torch.Tensor:
    """A (1, 1, size, size) zone plate, 0.5 + 0.5·cos(π·r²/size), flat grey (0.5) beyond radius size/2."""
    # Its frequency r/size rises from 0 at the centre to ½ cycle per pixel (Nyquist) at radius size/2, so it
    # holds every frequency, each at its own radius; beyond, the plate itself would exceed Nyquist.
    axis = torch.arange(size, dtype=torch.float64) - size / 2
    r2 = axis[:, None] ** 2 + axis[None, :] ** 2
    plate = 0.5 + 0.5 * torch.cos(torch.pi * r2 / size)
    return plate.where(r2 <= (size / 2) ** 2, 0.5).reshape(1, 1, size, size)


def plot_shrinking() -> Figure:
    """Top: the zone plate and its 4× shrink in every SHRINKING variant. Bottom: aliasing against frequency."""
    plate = zone_plate()
    figure = plt.figure(figsize=(7.4, 8.6), layout="constrained")
    top, bottom = figure.subfigures(2, 1, height_ratios=[1.15, 1])
    axes = top.subplots(2, 4)
    # Drawn smaller than its 256 pixels, the plate itself needs matplotlib's antialiased display to look right.
    axes[0, 0].imshow(plate[0, 0].numpy(), cmap="gray", vmin=0, vmax=1, interpolation="antialiased")
    axes[0, 0].set_title(f"zone plate\n{PATTERN}×{PATTERN}", fontsize=9)
    for ax, (label, variant) in zip(axes.flat[1:], SHRINKING.items(), strict=True):
        shrunk = interpolate(plate, (SHRUNK, SHRUNK), variant)[0, 0]
        ax.imshow(shrunk.clamp(0, 1).numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"{label}\n{SHRUNK}×{SHRUNK}", fontsize=9)
    hide_ticks(axes)
    top.colorbar(axes[0, 0].images[0], ax=axes, shrink=0.85, label="grey level (clamped to 0..1)")
    top.suptitle(f"Shrunk 4×: the rings within {PATTERN // 8} input pixels of the centre fit\n"
                 "the smaller image; beyond them, only grey is correct")

    ax = bottom.subplots()
    for label, variant in SHRINKING.items():
        ax.plot(GRATINGS, [aliasing(f, variant) for f in GRATINGS], marker=".", label=label,
                linestyle="--" if "antialias" in label or label == "lanczos" else "-")
    ax.set_xlabel("grating frequency, cycles per input pixel\n(the output holds up to 0.125)")
    ax.set_ylabel("aliasing (0 = flat grey, correct)")
    ax.set_ylim(0, 1.9)  # room for the legend above the curves
    ax.legend(fontsize=9, ncols=3, loc="upper right")
    ax.set_title(f"A grating shrunk {PATTERN}→{SHRUNK}: what survives is aliasing", fontsize=10)
    return figure


# ---------------------------------------------------------------------------
# Other libraries
# ---------------------------------------------------------------------------
def library_differences(digit: torch.Tensor, sizes: Sequence[int] = (14, 20, 56)) -> dict[str, list[float]]:
    """The largest |difference| between another library's resize and its torch counterpart, at each size."""
    # The digit as a float32 image; Pillow in its 'F' mode, OpenCV and torchvision on the same values.
    import cv2
    from PIL import Image
    from torchvision.transforms import v2

    image = digit.reshape(digit.shape[-2:]).float()
    batch = image[None, None]
    pil, array = Image.fromarray(image.numpy()), image.numpy()

    def torch_resize(size: int, **variant) -> np.ndarray:
        """The digit resized to size×size by F.interpolate(**variant)."""
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


def differences_table(differences: dict[str, list[float]], sizes: Sequence[int]) -> str:
    """One row per pair of library_differences: the largest difference at each size, or 'same' below EQUAL."""
    lines = [f"{'library | torch':<41}" + "".join(f"{f'28→{s}':>7}" for s in sizes)]
    for label, row in differences.items():
        lines.append(f"{label:<41}" + "".join(f"{d:7.2f}" if d > EQUAL else "   same" for d in row))
    return "\n".join(lines)
