"""The quality lesson's upsamplers, training, measures and figures: every 2D mode and five small learned
upsamplers (two of them content-aware: CARAFE and DySample), on held-out digits shrunk to 14×14 and brought back
to 28×28."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from scipy import ndimage
from skimage.metrics import structural_similarity
from torch import nn

from upsample_helpers import (
    ESPCN,
    SEEDS,
    TRAINING_DTYPE,
    TRAINING_THREADS,
    draw_weights,
    fixed_upsampler,
    hide_ticks,
    median_seconds,
    psnr,
    shrink,
    ssim,
    visibly_off,
)
from upsample_helpers.content_aware import CARAFE, DySample

SMALL = 14  # the digits are shrunk to 14×14 and brought back to 28×28
CROP = slice(4, 24)  # the central 20×20 pixels, where the strokes are: the training pairs
BATCH_SIZE, LEARNING_RATE, MAX_EPOCHS = 8, 1e-2, 60
THRESHOLD, PATIENCE = 0.02, 2  # dB: PATIENCE epochs in a row without beating the best by more halve the rate
HALVINGS = 3  # training stops at the third halving of the learning rate
WIDTH = 8  # feature channels of every learned upsampler

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


class Enlarged(nn.Module):
    """ESPCN's first two layers (5×5 and 3×3 convolutions with tanh) compute WIDTH features per small pixel; a
    3×3 convolution turns them into one grey map at the small size, and ``way`` enlarges that map 2×:
    'bilinear' (F.interpolate), 'CARAFE' (reassembled with 3×3 kernels predicted from the features) or
    'DySample' (sampled at offsets predicted from the features). Both predictors are one 1×1 convolution."""

    def __init__(self, way: str, width: int = WIDTH) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, width, kernel_size=5, padding=2), nn.Tanh(),
            nn.Conv2d(width, width, kernel_size=3, padding=1), nn.Tanh(),
        )
        self.grey = nn.Conv2d(width, 1, kernel_size=3, padding=1)
        upsamplers = {"bilinear": None, "CARAFE": CARAFE(width, kernel_size=3, encoder_size=1, compressed=None),
                      "DySample": DySample(width)}
        if way not in upsamplers:
            raise ValueError(f"way must be one of {tuple(upsamplers)}, got {way!r}")
        self.enlarge = upsamplers[way]

    def forward(self, small: torch.Tensor) -> torch.Tensor:
        features = self.features(small)
        grey = self.grey(features)
        if self.enlarge is None:
            return F.interpolate(grey, scale_factor=2, mode="bilinear")
        return self.enlarge(features, grey)


LEARNED: dict[str, Callable[[], nn.Module]] = {
    "ESPCN": lambda: ESPCN(width=WIDTH),
    "bicubic + residual": lambda: ESPCN(residual=True, width=WIDTH),
    "features, bilinear": lambda: Enlarged("bilinear"),
    "CARAFE": lambda: Enlarged("CARAFE"),
    "DySample": lambda: Enlarged("DySample"),
}
SHOWN = ("nearest", "bicubic", "lanczos", "ESPCN", "bicubic + residual", "CARAFE", "DySample")  # the figure's


def parameters(model: nn.Module) -> int:
    """How many numbers training sets in ``model``."""
    return sum(parameter.numel() for parameter in model.parameters())


def pairs(digits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Training pairs: each digit's central 20×20 pixels (CROP), shrunk to 10×10, and the 20×20 pixels themselves.
    (Cropping at even rows and columns, then shrinking, gives the same as shrinking, then cropping.)"""
    target = digits[..., CROP, CROP]
    return shrink(target, target.shape[-1] // 2), target


def in_batches(upsample: Callable[[torch.Tensor], torch.Tensor], small: torch.Tensor,
               batch_size: int = 100) -> torch.Tensor:
    """``upsample`` applied to ``small`` a batch at a time, without gradients. (A small network on one thread runs
    several times faster per image in batches of 100 than of 1,000, whose intermediate results outgrow the
    processor's caches.)"""
    with torch.no_grad():
        return torch.cat([upsample(batch) for batch in small.split(batch_size)])


@dataclass
class Fit:
    """One trained upsampler: the model (its weights from the kept epoch), the validation PSNR after every epoch
    and the number of the epoch kept (the best on validation, counted from 1)."""

    model: nn.Module
    curve: list[float]
    kept: int


def fit(model: nn.Module, digits: torch.Tensor, valid: torch.Tensor, seed: int) -> Fit:
    """Train ``model`` on ``digits`` until it stops improving on ``valid`` (both (N, 1, 28, 28)).

    Adam on the mean squared error, batches of BATCH_SIZE in an order drawn from ``seed``; after each epoch, the
    validation PSNR (mean over images). Two epochs in a row that do not beat the best so far by more than
    THRESHOLD dB halve the learning rate; training stops at the HALVINGS-th halving (or after MAX_EPOCHS). The
    weights kept are those of the best epoch. Runs on one thread, in the thread that calls it.

    The arithmetic is float64, and after every step each weight is rounded to the nearest float32. The CPU kernel
    levels can round some float64 results differently in the last bit, and thousands of steps can amplify such a
    difference into the printed digits; rounding to float32, whose steps are 2²⁹ times float64's, puts both back
    on the same weights at every step (unless a weight falls within a float64 rounding of the midpoint between
    two float32 values, which .ci/check_kernel_levels.py would show).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(TRAINING_THREADS)  # OpenMP keeps a thread count per calling thread
    try:
        inputs, targets = pairs(digits)
        valid_small = shrink(valid, SMALL)
        optimiser = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, fused=True)
        order = torch.Generator().manual_seed(seed)
        curve, best, kept, waited, halvings = [], {}, 0, 0, 0
        while halvings < HALVINGS and len(curve) < MAX_EPOCHS:
            model.train()
            for batch in torch.randperm(len(inputs), generator=order).split(BATCH_SIZE):
                loss = F.mse_loss(model(inputs[batch]), targets[batch])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                with torch.no_grad():  # the weights back onto float32's grid: see the docstring
                    for parameter in model.parameters():
                        parameter.copy_(parameter.float())
            model.eval()
            score = psnr(in_batches(model, valid_small), valid)[0]
            if not curve or score > max(curve):
                best, kept = copy.deepcopy(model.state_dict()), len(curve) + 1
            waited = waited + 1 if curve and score <= max(curve) + THRESHOLD else 0
            curve.append(score)
            if waited == PATIENCE:
                for group in optimiser.param_groups:
                    group["lr"] /= 2
                waited, halvings = 0, halvings + 1
    finally:
        torch.set_num_threads(threads)
    model.load_state_dict(best)
    return Fit(model.eval(), curve, kept)


def initial(name: str, seed: int) -> nn.Module:
    """LEARNED[name] in TRAINING_DTYPE, its weights drawn from ``seed`` (draw_weights: the same at every CPU kernel
    level); DySample's offsets start at zero all the same."""
    model = draw_weights(LEARNED[name]().to(TRAINING_DTYPE), torch.Generator().manual_seed(seed))
    for layer in model.modules():
        if isinstance(layer, DySample):
            layer.reset_offsets()
    return model


def train_learned(digits: torch.Tensor, valid: torch.Tensor, workers: int = 2) -> tuple[dict[str, list[Fit]], float]:
    """Every LEARNED upsampler trained once per seed (each on one thread, ``workers`` trainings at a time, the
    slowest first); the fits by name, in seed order, and the seconds it all took."""
    start = time.perf_counter()
    models = {(name, seed): initial(name, seed) for name in LEARNED for seed in SEEDS}
    with ThreadPoolExecutor(workers) as pool:
        jobs = {key: pool.submit(fit, model, digits, valid, key[1]) for key, model in
                sorted(models.items(), key=lambda item: isinstance(item[1], ESPCN))}
        fits = {key: job.result() for key, job in jobs.items()}
    return {name: [fits[name, seed] for seed in SEEDS] for name in LEARNED}, time.perf_counter() - start


MEASURES = ("psnr", "all", "ssim", "strokes", "off")  # PSNR (mean, all pixels), SSIM (score, strokes), visibly off


def measure_all(results: dict[str, list[torch.Tensor]], target: torch.Tensor) -> dict[str, dict[str, list[float]]]:
    """For each upsampler and each of its outputs (one per seed): every measure in MEASURES."""
    rows = {name: [(*psnr(out, target), *ssim(out, target), visibly_off(out, target)) for out in outputs]
            for name, outputs in results.items()}
    return {name: {key: [row[k] for row in values] for k, key in enumerate(MEASURES)}
            for name, values in rows.items()}


def scores_table(measure: dict[str, dict[str, list[float]]], sizes: dict[str, int],
                 microseconds: dict[str, float]) -> str:
    """A row per upsampler: PSNR in dB with its seeds' range, PSNR over all pixels, SSIM, strokes, visibly off, the
    parameters it learns and its time per image."""
    lines = [f"{'upsampler':<18}{'PSNR':>7}{'seeds':>12}{'pooled':>7}{'SSIM':>6}{'strokes':>8}{'off':>6}"
             f"{'params':>7}{'time':>9}"]
    for name, values in measure.items():
        mean = {key: float(np.mean(values[key])) for key in MEASURES}
        seeds = values["psnr"]
        spread = f"{min(seeds):.2f}–{max(seeds):.2f}" if len(seeds) > 1 else ""
        time = f"{microseconds[name]:>6.1f} µs" if name in microseconds else ""
        lines.append(f"{name:<18}{mean['psnr']:>7.2f}{spread:>12}{mean['all']:>7.2f}{mean['ssim']:>6.3f}"
                     f"{mean['strokes']:>8.3f}{mean['off']:>6.1%}{sizes.get(name, 0):>7}{time}")
    return "\n".join(lines)


def kept_table(fits: dict[str, list[Fit]]) -> str:
    """A row per learned upsampler: for each seed, the epoch kept / the epochs run, and the best validation PSNR."""
    lines = [f"{'upsampler':<18} per seed: epoch kept / epochs run, validation PSNR"]
    for name, runs in fits.items():
        lines.append(f"{name:<18}" + "".join(f"{f'{run.kept}/{len(run.curve)}':>8} {max(run.curve):.2f}"
                                             for run in runs))
    return "\n".join(lines)


def microseconds_per_image(upsample: Callable[[torch.Tensor], torch.Tensor], small: torch.Tensor) -> float:
    """The median time ``upsample`` takes for all of ``small`` in batches of 100, on one thread, divided by the
    number of images."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return median_seconds(lambda: in_batches(upsample, small), repeats=5) / len(small) * 1e6
    finally:
        torch.set_num_threads(threads)


INK = 0.5  # a pixel at least half-way from black to white is ink


def stroke_pieces(output: torch.Tensor, target: torch.Tensor) -> tuple[int, int, int]:
    """The pieces of ink (INK or more; pixels that touch, diagonals included, are one piece) in all of ``output``:
    how many there are, how many share no pixel with the original's ink (invented) and how many of the original's
    pieces share no pixel with the output's ink (missed)."""
    pieces = invented = missed = 0
    connected = np.ones((3, 3), dtype=bool)
    for out, true in zip(output[:, 0].double().numpy(), target[:, 0].double().numpy(), strict=True):
        ink_out, ink_true = out >= INK, true >= INK
        labels_out, count_out = ndimage.label(ink_out, structure=connected)
        labels_true, count_true = ndimage.label(ink_true, structure=connected)
        pieces += count_out
        invented += count_out - len(np.unique(labels_out[ink_true & ink_out]))
        missed += count_true - len(np.unique(labels_true[ink_true & ink_out]))
    return pieces, invented, missed


def pieces_table(pieces: dict[str, list[tuple[int, int, int]]]) -> str:
    """A row per upsampler: its pieces of ink, invented pieces and missed pieces (each seed's, for a learned one)."""
    lines = [f"{'upsampler':<19}{'pieces':>18}{'invented':>12}{'missed':>12}"]
    for name, counts in pieces.items():
        columns = [", ".join(str(count[k]) for count in counts) for k in range(3)]
        lines.append(f"{name:<19}{columns[0]:>18}{columns[1]:>12}{columns[2]:>12}")
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
                top.set_title(name.replace(" + ", " +\n"), fontsize=9)
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


def plot_curves(fits: dict[str, list[Fit]], reference: tuple[str, float]) -> Figure:
    """Validation PSNR after each epoch, a line per learned upsampler and seed; a dot at each kept epoch and a dashed
    line at ``reference`` (a fixed mode's name and its validation PSNR)."""
    figure, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
    for colour, (name, runs) in enumerate(fits.items()):
        for seed, run in enumerate(runs):
            epochs = range(1, len(run.curve) + 1)
            ax.plot(epochs, run.curve, color=f"C{colour}", lw=1.2, alpha=0.85, label=name if seed == 0 else None)
            ax.plot(run.kept, run.curve[run.kept - 1], "o", color=f"C{colour}", ms=4)
    label, level = reference
    ax.axhline(level, color="0.4", ls="--", lw=1)
    ax.text(0.01, level, label, transform=ax.get_yaxis_transform(), ha="left", va="bottom", fontsize=8, color="0.3")
    ax.set(xlabel="epoch", ylabel="validation PSNR (dB)",
           title="Every learned upsampler, three seeds each, until it stops improving (dot: the epoch kept)")
    ax.title.set_fontsize(10)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    return figure
