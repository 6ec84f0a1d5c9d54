"""The quality lesson's upsamplers, training, measures and figure: every 2D mode and three small learned
upsamplers, on held-out digits shrunk to 14×14 and brought back to 28×28."""

from __future__ import annotations

import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from skimage.metrics import structural_similarity

from upsample_helpers import (
    ESPCN,
    SEEDS,
    TRAINING_DTYPE,
    fixed_upsampler,
    hide_ticks,
    psnr,
    shrink,
    ssim,
    train,
    visibly_off,
)

SMALL = 14  # the digits are shrunk to 14×14 and brought back to 28×28
EPOCHS, BATCH_SIZE, LEARNING_RATE = 4, 32, 5e-3

FIXED = {
    "nearest": fixed_upsampler(mode="nearest"),
    "nearest-exact": fixed_upsampler(mode="nearest-exact"),
    "area": fixed_upsampler(mode="area"),
    "bilinear": fixed_upsampler(mode="bilinear"),
    "bilinear, corners": fixed_upsampler(mode="bilinear", align_corners=True),
    "bicubic": fixed_upsampler(mode="bicubic"),
    "bicubic, clamped": fixed_upsampler(mode="bicubic", clamped=True),
    "lanczos": fixed_upsampler(mode="lanczos", antialias=True),
    "lanczos, clamped": fixed_upsampler(mode="lanczos", antialias=True, clamped=True),
}
LEARNED = {"ESPCN": {}, "ESPCN, ICNR": {"icnr": True}, "bicubic + residual": {"residual": True}}
SHOWN = ("nearest", "bilinear", "bicubic", "lanczos", *LEARNED)  # the figure's columns, besides the inputs



def train_learned(train_digits: torch.Tensor, small: torch.Tensor) -> tuple[dict[str, list[torch.Tensor]], float]:
    """Each LEARNED upsampler trained on ``train_digits`` once per seed; its outputs on ``small`` and the seconds
    all the training took."""
    outputs, start = {}, time.perf_counter()
    for name, options in LEARNED.items():
        outputs[name] = []
        for seed in SEEDS:
            torch.manual_seed(seed)
            model = train(ESPCN(**options).to(TRAINING_DTYPE), shrink(train_digits, SMALL), train_digits, EPOCHS,
                          seed, batch_size=BATCH_SIZE, learning_rate=LEARNING_RATE)
            with torch.no_grad():
                outputs[name].append(model(small))
    return outputs, time.perf_counter() - start


MEASURES = ("psnr", "all", "ssim", "strokes", "off")  # PSNR (mean, all pixels), SSIM (score, strokes), visibly off


def measure_all(results: dict[str, list[torch.Tensor]], target: torch.Tensor) -> dict[str, dict[str, list[float]]]:
    """For each upsampler and each of its outputs (one per seed): every measure in MEASURES."""
    rows = {name: [(*psnr(out, target), *ssim(out, target), visibly_off(out, target)) for out in outputs]
            for name, outputs in results.items()}
    return {name: {key: [row[k] for row in values] for k, key in enumerate(MEASURES)}
            for name, values in rows.items()}


def scores_table(measure: dict[str, dict[str, list[float]]]) -> str:
    """A row per upsampler: PSNR with its seeds' range, PSNR over all pixels, SSIM, strokes, visibly off."""
    lines = [f"{'upsampler':<19}{'PSNR dB':>8}{'seeds':>13}{'pooled':>7}{'SSIM':>6}{'strokes':>8}{'off':>7}"]
    for name, values in measure.items():
        mean = {key: float(np.mean(values[key])) for key in MEASURES}
        seeds = values["psnr"]
        spread = f"{min(seeds):.2f}–{max(seeds):.2f}" if len(seeds) > 1 else ""
        lines.append(f"{name:<19}{mean['psnr']:>8.2f}{spread:>13}{mean['all']:>7.2f}{mean['ssim']:>6.3f}"
                     f"{mean['strokes']:>8.3f}{mean['off']:>7.1%}")
    return "\n".join(lines)


WINDOW = 7
BORDER = (WINDOW - 1) // 2


def ssim_maps(output: torch.Tensor, target: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """scikit-image's SSIM of each image and its local SSIM map: (N,) scores and (N, 28, 28) maps."""
    pairs = [
        structural_similarity(true, out, data_range=1.0, win_size=WINDOW, full=True)
        for out, true in zip(output[:, 0].double().numpy(), target[:, 0].double().numpy(), strict=True)
    ]
    return np.array([score for score, _ in pairs]), np.stack([local for _, local in pairs])


def ssim_by_region(results: dict[str, list[torch.Tensor]], target: torch.Tensor,
                   names: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """For each of ``names`` (its first output): scikit-image's SSIM, and the mean of its SSIM maps over the inner
    pixels, over all pixels and over the BORDER-pixel border. Raises if the score is not the inner mean."""
    inner_pixels = np.zeros(target.shape[-2:], dtype=bool)
    inner_pixels[BORDER:-BORDER, BORDER:-BORDER] = True
    regions = {}
    for name in names:
        scores, maps = ssim_maps(results[name][0], target)
        inner = maps[:, inner_pixels].mean(axis=1)
        if np.abs(scores - inner).max() > 1e-12:
            raise AssertionError(f"{name}: scikit-image's SSIM is not its map's inner mean")
        regions[name] = {"score": float(scores.mean()), "inner": float(inner.mean()), "all": float(maps.mean()),
                         "border": float(maps[:, ~inner_pixels].mean())}
    return regions


def regions_table(regions: dict[str, dict[str, float]]) -> str:
    """A row per upsampler: its SSIM maps' mean over the inner pixels, all pixels, and the border."""
    lines = [f"{'SSIM':<19}{'inner 22×22':>12}{'all 28×28':>10}{'border':>7}"]
    lines += [f"{name:<19}{r['inner']:>12.3f}{r['all']:>10.3f}{r['border']:>7.3f}" for name, r in regions.items()]
    return "\n".join(lines)


def plot_quality(originals: torch.Tensor, results: dict[str, torch.Tensor], shown: int = 3) -> Figure:
    """For ``shown`` digits: the original, its 14×14 version and each SHOWN upsampler's result, above its error."""
    columns = {
        "original": originals,
        f"{SMALL}×{SMALL}": shrink(originals),
        **{name: results[name] for name in SHOWN if name in results},
    }
    figure, axes = plt.subplots(
        2 * shown, len(columns), figsize=(0.95 * len(columns) + 0.9, 2.1 * shown), layout="constrained", squeeze=False
    )
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
    figure.colorbar(
        grey, ax=[ax for ax in axes[0::2].flat if ax in kept], shrink=0.6, label="grey level (clamped to 0..1)"
    )
    figure.colorbar(
        error,
        ax=[ax for ax in axes[1::2].flat if ax in kept],
        shrink=0.4,
        location="bottom",
        label="error: result − original",
    )
    figure.suptitle(f"Held-out digits shrunk to {SMALL}×{SMALL} and brought back to 28×28, and each error")
    return figure
