"""What the lessons share: digits, figures kept for the README, the doubling blocks, the trained models and the
measures of quality; the modules beside this one hold each lesson's figure builders and measuring code.

Installing the project (``pip install -e .``, or ``pip install -r requirements-dev.txt``, which does it) makes
this package importable wherever a lesson runs: as a script, as a notebook in any folder, or in the gallery build.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from upsample_command import one_line, save_figure
from upsample_example import MnistSample, UpsampleExample
from upsample_files import DataError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SEED = 0  # the lessons' fixed seed, so that a run redraws the README's figures
IMAGES_VARIABLE = "LESSON_IMAGES"  # a folder named here receives each lesson's README figures (lessons/run_all.py)


def save_for_readme(figure: Figure, name: str) -> Path | None:
    """Save ``figure`` as ``name`` in the folder that $LESSON_IMAGES names, if it names one; the figure stays open.

    A lesson's figures show where it runs (a window, a notebook, the gallery); ``lessons/run_all.py`` sets the
    variable to ``images/`` so that the README's copies are drawn by the same code.
    """
    folder = os.environ.get(IMAGES_VARIABLE)
    if not folder:
        return None
    try:
        return save_figure(figure, Path(folder).expanduser() / name)
    except (OSError, RuntimeError) as error:  # a script's ending, in one line: the folder named, and what went wrong
        where = f"{error.filename}: " if getattr(error, "filename", None) else ""
        raise SystemExit(one_line(f"error: cannot save {name} in ${IMAGES_VARIABLE} ({folder}): {where}"
                                  f"{getattr(error, 'strerror', None) or error}")) from None


# The ways a decoder can double a feature map, compared in the network lessons: resize-convolution,
# transposed convolution (kernel 3, kernel 4, and kernel 4 initialised to bilinear interpolation), and
# sub-pixel convolution (a convolution to 4× the channels, then PixelShuffle) initialised two ways.
DOUBLING_BLOCKS = ("resize-conv", "transposed k3", "transposed k4", "transposed k4 bilinear", "sub-pixel",
                   "sub-pixel ICNR")


def sample_digits(count: int, seed: int = SEED) -> torch.Tensor:
    """``count`` digits of the offline sample, shuffled with ``seed``: (count, 1, 28, 28) in [0, 1]."""
    sample = MnistSample()
    order = torch.randperm(len(sample), generator=torch.Generator().manual_seed(seed))[:count]
    return torch.stack([sample[int(index)][0] for index in order])


def split_digits(train: int = 4000, held_out: int = 1000,
                 seed: int = SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """Disjoint training and held-out digits of the offline sample, (N, 1, 28, 28) each.

    The sample is sorted by class, so the split shuffles first (with ``seed``): both parts hold every class.
    """
    available = len(MnistSample())
    if available < train + held_out:
        raise DataError(f"the sample has {available} digits, fewer than the {train} + {held_out} this lesson needs")
    digits = sample_digits(train + held_out, seed)
    return digits[:train], digits[train:]


def hide_ticks(axes) -> None:
    """No ticks on any of ``axes``: the pictures are images, their pixel numbers do not matter here."""
    for ax in getattr(axes, "flat", axes):
        ax.set_xticks([])
        ax.set_yticks([])


# ---------------------------------------------------------------------------
# Doubling a feature map inside a network
# ---------------------------------------------------------------------------
def doubling_block(kind: str, channels_in: int, channels_out: int, mode: str = "nearest") -> nn.Module:
    """A block that doubles height and width: (N, C_in, H, W) -> (N, C_out, 2H, 2W).

    'resize-conv': UpsampleExample(scale_factor=2, mode), then a 3×3 convolution;
    'transposed k3': ConvTranspose2d(kernel_size=3, stride=2, padding=1, output_padding=1);
    'transposed k4': ConvTranspose2d(kernel_size=4, stride=2, padding=1), whose kernel size the stride divides;
    'transposed k4 bilinear': the same, initialised to bilinear interpolation (bilinear_init_);
    'sub-pixel': Conv2d(C_in, 4·C_out, 3, padding=1), then PixelShuffle(2) (ESPCN's upsampling);
    'sub-pixel ICNR': the same, initialised with ICNR (icnr_).
    """
    if kind == "resize-conv":
        return nn.Sequential(UpsampleExample(scale_factor=2, mode=mode),
                             nn.Conv2d(channels_in, channels_out, kernel_size=3, padding=1))
    if kind == "transposed k3":
        return nn.ConvTranspose2d(channels_in, channels_out, kernel_size=3, stride=2, padding=1, output_padding=1)
    if kind in ("transposed k4", "transposed k4 bilinear"):
        block = nn.ConvTranspose2d(channels_in, channels_out, kernel_size=4, stride=2, padding=1)
        return bilinear_init_(block) if kind.endswith("bilinear") else block
    if kind in ("sub-pixel", "sub-pixel ICNR"):
        convolution = nn.Conv2d(channels_in, 4 * channels_out, kernel_size=3, padding=1)
        return nn.Sequential(icnr_(convolution) if kind.endswith("ICNR") else convolution, nn.PixelShuffle(2))
    raise ValueError(f"kind must be one of {DOUBLING_BLOCKS}, got {kind!r}")


def bilinear_init_(block: nn.ConvTranspose2d) -> nn.ConvTranspose2d:
    """Make a ConvTranspose2d(kernel_size=4, stride=2, padding=1) interpolate bilinearly, as fully convolutional
    segmentation networks initialise it: output channel c is input channel c (c < min(C_in, C_out)) doubled
    with the kernel (¼, ¾, ¾, ¼) ⊗ (¼, ¾, ¾, ¼); every other weight and the bias are 0."""
    taps = torch.tensor([0.25, 0.75, 0.75, 0.25])
    with torch.no_grad():
        block.weight.zero_()
        block.bias.zero_()
        for channel in range(min(block.in_channels, block.out_channels)):
            block.weight[channel, channel] = taps[:, None] * taps[None, :]
    return block


def icnr_(convolution: nn.Conv2d, scale: int = 2) -> nn.Conv2d:
    """ICNR (Aitken et al., 2017): initialise the convolution before a PixelShuffle(scale) so that, at first,
    the block is a convolution with C_out = C/scale² channels followed by nearest upsampling by ``scale``.

    PixelShuffle builds output channel c from channels c·scale² ... c·scale² + scale² − 1, one per sub-pixel
    position; ICNR gives those channels one shared kernel and bias, drawn by the default initialisation
    of the smaller convolution.
    """
    smaller = nn.Conv2d(convolution.in_channels, convolution.out_channels // scale**2, convolution.kernel_size,
                        padding=convolution.padding)
    with torch.no_grad():
        convolution.weight.copy_(smaller.weight.repeat_interleave(scale**2, dim=0))
        convolution.bias.copy_(smaller.bias.repeat_interleave(scale**2))
    return convolution


def checkerboard(output: torch.Tensor, border: int = 2) -> float:
    """The share of an output's spread that repeats every 2 pixels: 0 for none, 1 for all of it.

    Inside a ``border``-pixel frame, the pixels fall into four classes by (row mod 2, column mod 2). For
    each channel: the spread (standard deviation) of the four class means over the spread of all pixels;
    averaged over channels. A constant output scores 0. Only the class *means* count: a pattern that
    changes how much a class varies, but not its mean, scores 0. The frame is 2 pixels wide because a
    3×3 convolution's zero padding, applied before a 2× upsampling, reaches 2 output pixels in.
    """
    interior = output.detach().double()[..., border:-border, border:-border]  # H - 2·border stays even
    channels, count, height, width = interior.shape[1], interior.shape[0], *interior.shape[-2:]
    # (C, N, H', 2, W', 2): the class of a pixel is its (row parity, column parity).
    interior = interior.transpose(0, 1).reshape(channels, count, height // 2, 2, width // 2, 2)
    class_means = interior.mean(dim=(1, 2, 4)).reshape(channels, 4)
    spread = interior.reshape(channels, -1).std(dim=1, correction=0)
    periodic = class_means.std(dim=1, correction=0)
    flat = spread <= 1e-9 * interior.abs().amax().clamp(min=1e-30)  # constant up to rounding
    return torch.where(flat, 0.0, periodic / spread.clamp(min=1e-30)).mean().item()


def high_pass(images: torch.Tensor) -> torch.Tensor:
    """Each image minus its 3×3 local mean: smooth content cancels, pixel-scale patterns remain."""
    local_mean = nn.functional.avg_pool2d(images, 3, stride=1, padding=1, count_include_pad=False)
    return images - local_mean


# ---------------------------------------------------------------------------
# Training, the same way in every trained lesson
# ---------------------------------------------------------------------------
# Trainings this small end in different places when the arithmetic rounds differently, and torch picks its
# float32 CPU kernels by processor (ATEN_CPU_CAPABILITY). The trained lessons therefore train in float64, on
# one thread, where the kernel levels agree; and they report several seeds, since a seed moves the
# result as much as the method does.
TRAINING_DTYPE = torch.float64
TRAINING_THREADS = 1
SEEDS = (0, 1, 2)


def draw_weights(model: nn.Module, generator: torch.Generator) -> nn.Module:
    """Draw every convolution's weights and bias in ``model`` as torch's default does, uniform in ±1/√fan_in, but
    as (2·rand − 1)·bound in the parameters' own dtype: torch's ``uniform_(−bound, bound)`` can round differently
    at different CPU kernel levels (by one unit in the last place, AVX-512 against the default level), and a
    training this small carries that difference through to the numbers a page prints."""
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.Conv2d):
                bound = layer.weight[0].numel() ** -0.5  # 1/√(C_in · k · k)
                for parameter in (layer.weight, layer.bias):
                    drawn = torch.rand(parameter.shape, dtype=parameter.dtype, generator=generator)
                    parameter.copy_((2 * drawn - 1) * bound)
    return model


def train(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, epochs: int, seed: int,
          batch_size: int = 64, learning_rate: float = 3e-3) -> nn.Module:
    """Fit ``model`` so that model(inputs[i]) ≈ targets[i]: Adam on the mean squared error, batches in an order
    drawn from ``seed``, on TRAINING_THREADS threads; return it in eval mode."""
    threads = torch.get_num_threads()
    torch.set_num_threads(TRAINING_THREADS)
    try:
        optimiser = torch.optim.Adam(model.parameters(), lr=learning_rate)
        order = torch.Generator().manual_seed(seed)
        for _ in range(epochs):
            for batch in torch.randperm(len(inputs), generator=order).split(batch_size):
                loss = F.mse_loss(model(inputs[batch]), targets[batch])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
    finally:
        torch.set_num_threads(threads)
    return model.eval()


def mean_low_high(values: Sequence[float]) -> tuple[float, float, float]:
    """(mean, lowest, highest) of ``values``: what the trained lessons print for each method over the seeds."""
    return float(np.mean(values)), float(min(values)), float(max(values))


def clearly_below(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether every seed's value in ``a`` is below every seed's value in ``b``: the gap exceeds the spread."""
    return max(a) < min(b)


class Autoencoder(nn.Module):
    """Two strided convolutions down to 7×7, then two doubling blocks of one ``kind`` back to 28×28.

    The decoder ends linearly, so that no output unit can saturate; in eval mode the output is clamped to the
    digits' range, 0..1, as a picture is.
    """

    def __init__(self, kind: str, widths: tuple[int, int] = (8, 16)) -> None:
        super().__init__()
        narrow, wide = widths
        self.encoder = nn.Sequential(
            nn.Conv2d(1, narrow, kernel_size=3, stride=2, padding=1), nn.ReLU(),  # (N, narrow, 14, 14)
            nn.Conv2d(narrow, wide, kernel_size=3, stride=2, padding=1), nn.ReLU(),  # (N, wide, 7, 7)
        )
        self.decoder = nn.Sequential(
            doubling_block(kind, wide, narrow), nn.ReLU(),  # (N, narrow, 14, 14)
            doubling_block(kind, narrow, 1),  # (N, 1, 28, 28)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.decoder(self.encoder(x))
        return y if self.training else y.clamp(0, 1)


class ESPCN(nn.Module):
    """5×5 conv → tanh → 3×3 conv → tanh → 3×3 conv (4 channels) → PixelShuffle(2): (N, 1, H, W) → (N, 1, 2H, 2W).

    ESPCN's upsampling (Shi et al., 2016): four values per small pixel, put in place by the shuffle.
    ``residual``: the output is added to the input's bicubic upsampling, so that the network only learns the
    correction.
    """

    def __init__(self, residual: bool = False, width: int = 16) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, width, kernel_size=5, padding=2), nn.Tanh(),
            nn.Conv2d(width, width, kernel_size=3, padding=1), nn.Tanh(),
            nn.Conv2d(width, 4, kernel_size=3, padding=1), nn.PixelShuffle(2),
        )
        self.residual = residual

    def forward(self, small: torch.Tensor) -> torch.Tensor:
        out = self.body(small)
        return out + F.interpolate(small, scale_factor=2, mode="bicubic") if self.residual else out


# ---------------------------------------------------------------------------
# Measures of quality: is the upsampled image the true one?
# ---------------------------------------------------------------------------
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


def shrink(digits: torch.Tensor, side: int = 14) -> torch.Tensor:
    """28×28 → side×side by 'area': at 14, each small pixel is the mean of a 2×2 block."""
    return F.interpolate(digits, size=side, mode="area")


def fixed_upsampler(clamped: bool = False, **variant) -> Callable[[torch.Tensor], torch.Tensor]:
    """F.interpolate(small, scale_factor=2, **variant), its result clamped to 0..1 when ``clamped``."""
    def upsample(small: torch.Tensor) -> torch.Tensor:
        result = F.interpolate(small, scale_factor=2, **variant)
        return result.clamp(0, 1) if clamped else result

    return upsample


def median_seconds(call: Callable[[], object], repeats: int = 7) -> float:
    """The median wall time of ``repeats`` calls of ``call``, after one call that is not counted."""
    import time

    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]
