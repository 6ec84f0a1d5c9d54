"""Lanczos and antialias, what F.interpolate offers and nn.Upsample does not: enlarging, then shrinking.

Run it from the repository root (it writes images/antialias_enlarge.png and images/antialias_shrink.png,
and prints the numbers the README quotes):

    python lessons/plot_antialias.py

Enlarging, 'lanczos' and 'bicubic' give steeper edges than 'bilinear' and pay with overshoot;
``antialias=True`` changes 'bicubic' (another kernel) and leaves 'bilinear' as it was. Shrinking
without ``antialias``, every mode but 'area' skips input pixels, and fine detail comes back as
coarse patterns that were never there; with it, the detail fades to grey instead.
"""

# %%
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from helpers import hide_ticks, lesson_parser, sample_digits, write
from matplotlib.figure import Figure

from upsample_io import notebook_figure_class, run_as_command

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


# %% [markdown]
# ## Enlarging: sharpness against overshoot
# A 0→1 step, enlarged 32×: how steep each mode makes the edge, and how far it rings past 0 and 1.


# %%
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
    return {"undershoot": float(profile.min()), "overshoot": float(profile.max() - 1),
            "slope": float(np.diff(profile).max() * EDGE_FACTOR)}


def antialias_change(mode: str, digit: torch.Tensor, size: int = ENLARGED) -> dict[str, float]:
    """How much antialias=True changes ``mode`` when enlarging: the largest |difference|, inside and at the border.

    'border' is the outer 2 input pixels' worth of output (where a 4-tap kernel reaches past the edge).
    """
    batch = digit.reshape(1, 1, *digit.shape[-2:]).double()
    change = (F.interpolate(batch, size=size, mode=mode, antialias=True)
              - F.interpolate(batch, size=size, mode=mode))[0, 0].abs()
    rim = 2 * size // digit.shape[-1]
    border = torch.ones_like(change, dtype=torch.bool)
    border[rim:-rim, rim:-rim] = False
    return {"inside": change[~border].max().item(), "border": change[border].max().item()}


def plot_enlarging(digit: torch.Tensor) -> Figure:
    """Top: the digit enlarged 28→112 by each variant, and bicubic's antialias change. Bottom: the step edge."""
    import matplotlib.pyplot as plt

    batch = digit.reshape(1, 1, *digit.shape[-2:]).float()
    figure = plt.figure(figsize=(12, 6.4), layout="constrained", FigureClass=notebook_figure_class())
    top, bottom = figure.subfigures(2, 1, height_ratios=[1.1, 1])
    axes = top.subplots(1, len(ENLARGING) + 1)
    for ax, (label, variant) in zip(axes, ENLARGING.items(), strict=False):
        image = interpolate(batch, (ENLARGED, ENLARGED), variant)[0, 0]
        grey = ax.imshow(image.clamp(0, 1).numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"{label}\nrange [{image.min():.2f}, {image.max():.2f}]", fontsize=9)
    change = (F.interpolate(batch, size=ENLARGED, mode="bicubic", antialias=True)
              - F.interpolate(batch, size=ENLARGED, mode="bicubic"))[0, 0]
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
    ax.set_title(f"A 0→1 step enlarged {EDGE_FACTOR}×: the cubic and lanczos kernels steepen the edge "
                 "and ring past 0 and 1", fontsize=10)
    return figure


# %% [markdown]
# ## Shrinking: aliasing
# A grating finer than the smaller image can hold has only one correct result: flat grey at its mean.
# Whatever else the output shows is aliasing, detail folded back to frequencies the original never had.


# %%
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
        raise ValueError(f"frequency {frequency} is within the output's band (<= {0.5 * shrunk / width}); "
                         "it can be shown, so what survives is not aliasing")
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


def plot_shrinking() -> Figure:
    """Top: the zone plate and its 4× shrink in every SHRINKING variant. Bottom: aliasing against frequency."""
    import matplotlib.pyplot as plt

    plate = zone_plate()
    figure = plt.figure(figsize=(12, 7.2), layout="constrained", FigureClass=notebook_figure_class())
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
    top.suptitle(f"Shrunk 4×: the rings within {PATTERN // 8} input pixels of the centre fit the smaller image; "
                 "beyond them, only grey is correct")

    ax = bottom.subplots()
    for label, variant in SHRINKING.items():
        ax.plot(GRATINGS, [aliasing(f, variant) for f in GRATINGS], marker=".", label=label,
                linestyle="--" if "antialias" in label or label == "lanczos" else "-")
    ax.set_xlabel("grating frequency, cycles per input pixel (the output holds up to 0.125)")
    ax.set_ylabel("aliasing (0 = flat grey, correct)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, ncols=4)
    ax.set_title(f"A grating shrunk {PATTERN}→{SHRUNK}: what survives is aliasing", fontsize=10)
    return figure


# %% [markdown]
# ## The libraries
# Pillow always antialiases, torchvision's Resize does by default, OpenCV never does but offers INTER_AREA.


# %%
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
        "Pillow BILINEAR | bilinear, antialias": (lambda s: pil.resize((s, s), pillow.BILINEAR),
                                                  lambda s: torch_resize(s, mode="bilinear", antialias=True)),
        "Pillow BILINEAR | bilinear": (lambda s: pil.resize((s, s), pillow.BILINEAR),
                                       lambda s: torch_resize(s, mode="bilinear")),
        "Pillow BICUBIC | bicubic, antialias": (lambda s: pil.resize((s, s), pillow.BICUBIC),
                                                lambda s: torch_resize(s, mode="bicubic", antialias=True)),
        "Pillow LANCZOS | lanczos": (lambda s: pil.resize((s, s), pillow.LANCZOS),
                                     lambda s: torch_resize(s, mode="lanczos", antialias=True)),
        "torchvision Resize | bilinear, antialias": (lambda s: v2.Resize(s)(batch)[0, 0],
                                                     lambda s: torch_resize(s, mode="bilinear", antialias=True)),
        "OpenCV INTER_LINEAR | bilinear": (lambda s: cv2.resize(array, (s, s), interpolation=cv2.INTER_LINEAR),
                                           lambda s: torch_resize(s, mode="bilinear")),
        "OpenCV INTER_CUBIC | bicubic": (lambda s: cv2.resize(array, (s, s), interpolation=cv2.INTER_CUBIC),
                                         lambda s: torch_resize(s, mode="bicubic")),
        "OpenCV INTER_AREA | area": (lambda s: cv2.resize(array, (s, s), interpolation=cv2.INTER_AREA),
                                     lambda s: torch_resize(s, mode="area")),
    }
    return {label: [float(np.abs(np.asarray(theirs(s), dtype=np.float64) - ours(s)).max()) for s in sizes]
            for label, (theirs, ours) in pairs.items()}


# %%
def main(argv: Sequence[str] | None = None) -> int:
    args = lesson_parser(__doc__).parse_args(argv)
    digit = sample_digits(1)[0, 0]
    batch = digit.reshape(1, 1, 28, 28)

    print(f"enlarging a 0→1 step {EDGE_FACTOR}× and the digit 28→{ENLARGED}:")
    print(f"  {'':<20} {'step range':>17} {'slope':>6} {'digit range':>17}")
    for label, variant in ENLARGING.items():
        edge = edge_measures(variant)
        low, high = interpolate(batch, (ENLARGED, ENLARGED), variant).aminmax()
        print(f"  {label:<20} [{edge['undershoot']:+.3f}, {1 + edge['overshoot']:.3f}] {edge['slope']:6.3f} "
              f"[{low:+.3f}, {high:.3f}]")
    for mode in ("bilinear", "bicubic"):
        change = antialias_change(mode, digit)
        print(f"antialias=True changes {mode} when enlarging 28→{ENLARGED} by at most "
              f"{change['inside']:.3f} inside, {change['border']:.3f} at the border")

    print(f"shrinking gratings {PATTERN}→{SHRUNK} (frequencies {GRATINGS[0]}..{GRATINGS[-1]} cycles per pixel, "
          "all above the output's 0.125): aliasing, mean and worst")
    for label, variant in SHRINKING.items():
        values = [aliasing(f, variant) for f in GRATINGS]
        print(f"  {label:<20} {np.mean(values):.3f} {np.max(values):.3f}")

    sizes = (14, 20, 56)
    print(f"another library against torch, largest |difference| on the digit at 28→{', 28→'.join(map(str, sizes))} "
          f"('same': below {EQUAL:g}, float32 rounding):")
    for label, differences in library_differences(digit, sizes).items():
        print(f"  {label:<40} " + " ".join(f"{d:6.2f}" if d > EQUAL else "  same" for d in differences))

    print(f"wrote {write(plot_enlarging(digit), args.images, 'antialias_enlarge.png')}")
    print(f"wrote {write(plot_shrinking(), args.images, 'antialias_shrink.png')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_as_command(main))
