"""Did the upsampling succeed? Every fixed mode and three small learned upsamplers, measured on held-out digits.

Run it from the repository root (it writes images/quality.png and prints the table the README shows):

    python lessons/plot_quality.py

Upsampling has succeeded when the approximation cannot be told from the true image. Here the true images
are real digits: each is shrunk 28×28 → 14×14 with 'area' and brought back to 28×28, by a fixed mode or
by a network trained on other digits, and compared with the original by PSNR and SSIM.
"""

# %%
from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from helpers import hide_ticks, icnr_, lesson_parser, split_digits, write
from matplotlib.figure import Figure
from torch import nn

from upsample_example import DEFAULT_SEED
from upsample_io import notebook_figure_class, run_as_command

SMALL = 14  # the digits are shrunk to 14×14 and brought back to 28×28
EPOCHS, BATCH_SIZE, LEARNING_RATE = 10, 32, 3e-3
TRAIN_DIGITS, HELD_OUT_DIGITS = 4000, 1000
THREADS = 1  # the same sums in the same order on every machine, so the figure redraws identically


def _has_lanczos() -> bool:
    """Whether the installed torch offers F.interpolate(..., mode='lanczos', antialias=True)."""
    try:
        F.interpolate(torch.zeros(1, 1, 2, 2), size=4, mode="lanczos", antialias=True)
    except (ValueError, NotImplementedError, RuntimeError):
        return False
    return True


def _interpolate(clamped: bool = False, **variant) -> Callable[[torch.Tensor], torch.Tensor]:
    def upsample(small: torch.Tensor) -> torch.Tensor:
        result = F.interpolate(small, scale_factor=2, **variant)
        return result.clamp(0, 1) if clamped else result

    return upsample


# The fixed upsamplers: every mode that works on 2D images, as it comes out; "clamped" rows cut the
# overshoot back to 0..1, as a picture would.
FIXED = {
    "nearest": _interpolate(mode="nearest"),
    "nearest-exact": _interpolate(mode="nearest-exact"),
    "area": _interpolate(mode="area"),
    "bilinear": _interpolate(mode="bilinear"),
    "bilinear, corners": _interpolate(mode="bilinear", align_corners=True),
    "bicubic": _interpolate(mode="bicubic"),
    "bicubic, clamped": _interpolate(mode="bicubic", clamped=True),
    **({"lanczos": _interpolate(mode="lanczos", antialias=True),
        "lanczos, clamped": _interpolate(mode="lanczos", antialias=True, clamped=True)} if _has_lanczos() else {}),
}
LEARNED = ("ESPCN", "ESPCN, ICNR", "bicubic + residual")
SHOWN = ("nearest", "bilinear", "bicubic", "lanczos", *LEARNED)  # the figure's columns, besides the inputs


# %% [markdown]
# ## The measures
# PSNR, in decibels, is 10·log10(1 / MSE) for values in 0..1: every halving of the error adds 3 dB.
# SSIM (scikit-image's) compares local means, contrasts and structure in 7×7 windows: 1 is identical.


# %%
def psnr(output: torch.Tensor, target: torch.Tensor) -> tuple[float, float]:
    """PSNR in dB for values in 0..1: (the mean of each image's PSNR, the PSNR of all pixels together)."""
    errors = (output.double() - target.double()).square().flatten(1).mean(dim=1)  # one MSE per image
    per_image = 10 * torch.log10(1 / errors)
    return per_image.mean().item(), 10 * math.log10(1 / errors.mean().item())


def ssim(output: torch.Tensor, target: torch.Tensor) -> tuple[float, float]:
    """scikit-image's SSIM (7×7 windows, data range 1): (the mean over images, the mean over stroke pixels only).

    Stroke pixels are those where the original digit is not black; the rest, most of a digit, is background.
    """
    from skimage.metrics import structural_similarity

    means, strokes = [], []
    for out, true in zip(output[:, 0].double().numpy(), target[:, 0].double().numpy(), strict=True):
        score, local = structural_similarity(true, out, data_range=1.0, full=True)
        means.append(score)
        strokes.append(local[true > 0].mean())
    return float(np.mean(means)), float(np.mean(strokes))


def visibly_off(output: torch.Tensor, target: torch.Tensor, threshold: float = 0.1) -> float:
    """The share of pixels that differ from the original by more than ``threshold`` (a tenth of black to white)."""
    return ((output.double() - target.double()).abs() > threshold).double().mean().item()


# %% [markdown]
# ## Learned upsamplers
# ESPCN (Shi et al., 2016) computes, at the small size, four values per pixel and lets PixelShuffle put
# them in place. The residual version adds what it computes to a bicubic upsampling, so it only has to
# learn the correction.


# %%
class ESPCN(nn.Module):
    """5×5 conv (32) → tanh → 3×3 conv (32) → tanh → 3×3 conv (4) → PixelShuffle(2): (N, 1, H, W) → (N, 1, 2H, 2W).

    ``icnr``: the last convolution starts as ICNR (helpers.icnr_). ``residual``: the output is added to the
    input's bicubic upsampling.
    """

    def __init__(self, icnr: bool = False, residual: bool = False, width: int = 32) -> None:
        super().__init__()
        last = nn.Conv2d(width, 4, kernel_size=3, padding=1)
        self.body = nn.Sequential(
            nn.Conv2d(1, width, kernel_size=5, padding=2), nn.Tanh(),
            nn.Conv2d(width, width, kernel_size=3, padding=1), nn.Tanh(),
            icnr_(last) if icnr else last, nn.PixelShuffle(2),
        )
        self.residual = residual

    def forward(self, small: torch.Tensor) -> torch.Tensor:
        out = self.body(small)
        return out + F.interpolate(small, scale_factor=2, mode="bicubic") if self.residual else out


def learned_model(name: str) -> ESPCN:
    return {"ESPCN": ESPCN(), "ESPCN, ICNR": ESPCN(icnr=True), "bicubic + residual": ESPCN(residual=True)}[name]


def shrink(digits: torch.Tensor) -> torch.Tensor:
    """28×28 → 14×14 by 'area': each small pixel is the mean of a 2×2 block."""
    return F.interpolate(digits, size=SMALL, mode="area")


def train_upsampler(name: str, digits: torch.Tensor, epochs: int = EPOCHS, seed: int = DEFAULT_SEED) -> ESPCN:
    """Train ``name`` to bring shrunk ``digits`` back: Adam, mean squared error, one fixed order of batches."""
    torch.manual_seed(seed)
    model = learned_model(name)
    optimiser = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    small, order = shrink(digits), torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for batch in torch.randperm(len(digits), generator=order).split(BATCH_SIZE):
            loss = F.mse_loss(model(small[batch]), digits[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return model.eval()


# %%
def plot_quality(originals: torch.Tensor, results: dict[str, torch.Tensor], shown: int = 3) -> Figure:
    """For ``shown`` digits: the original, its 14×14 version and each SHOWN upsampler's result, above its error."""
    import matplotlib.pyplot as plt

    columns = {"original": originals, f"{SMALL}×{SMALL}": shrink(originals),
               **{name: results[name] for name in SHOWN if name in results}}
    figure, axes = plt.subplots(2 * shown, len(columns), figsize=(1.45 * len(columns) + 1.2, 2.9 * shown),
                                layout="constrained", squeeze=False, FigureClass=notebook_figure_class())
    for row in range(shown):
        for column, (name, images) in enumerate(columns.items()):
            top, bottom = axes[2 * row, column], axes[2 * row + 1, column]
            grey = top.imshow(images[row, 0].clamp(0, 1).numpy(), cmap="gray", vmin=0, vmax=1)
            if row == 0:
                top.set_title(name, fontsize=9)
            if images.shape[-1] != originals.shape[-1]:  # the input and the original have no error
                bottom.remove()
                continue
            error = bottom.imshow((images[row, 0] - originals[row, 0]).numpy(), cmap="RdBu_r", vmin=-0.5, vmax=0.5)
        axes[2 * row, 0].set_ylabel(f"held-out digit {row + 1}", fontsize=9)
        axes[2 * row + 1, 0].remove()
    kept = [ax for ax in axes.flat if ax in figure.axes]
    hide_ticks(kept)
    figure.colorbar(grey, ax=[ax for ax in axes[0::2].flat if ax in kept], shrink=0.6,
                    label="grey level (clamped to 0..1)")
    figure.colorbar(error, ax=[ax for ax in axes[1::2].flat if ax in kept], shrink=0.4, location="bottom",
                    label="error: result − original")
    figure.suptitle(f"Held-out digits shrunk to {SMALL}×{SMALL} and brought back to 28×28, and each error")
    return figure


# %%
def main(argv: Sequence[str] | None = None) -> int:
    args = lesson_parser(__doc__).parse_args(argv)
    torch.set_num_threads(THREADS)
    train, held_out = split_digits(TRAIN_DIGITS, HELD_OUT_DIGITS)
    small = shrink(held_out)
    results = {"(all black)": torch.zeros_like(held_out)}  # for scale: what nothing at all scores
    results |= {name: upsample(small) for name, upsample in FIXED.items()}
    for name in LEARNED:
        start = time.perf_counter()
        model = train_upsampler(name, train)
        print(f"trained {name!r}: {len(train)} digits, {EPOCHS} epochs, {time.perf_counter() - start:.1f} s "
              f"on {THREADS} thread")
        with torch.no_grad():
            results[name] = model(small)
    print(f"{len(held_out)} held-out digits, 28×28 → {SMALL}×{SMALL} (area) → 28×28:")
    print(f"{'upsampler':<20} {'PSNR dB':>8} {'all pixels':>11} {'SSIM':>6} {'strokes':>8} {'visibly off':>12}")
    for name, output in results.items():
        scores = (*psnr(output, held_out), *ssim(output, held_out), visibly_off(output, held_out))
        print(f"{name:<20} {scores[0]:>8.2f} {scores[1]:>11.2f} {scores[2]:>6.3f} {scores[3]:>8.3f} "
              f"{scores[4]:>11.1%}")
    background = (held_out == 0).double().mean().item()
    print(f"background (black) pixels: {background:.0%} of the held-out digits")
    print(f"wrote {write(plot_quality(held_out, results), args.images, 'quality.png')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_as_command(main))
