"""What several lessons share: where figures go, a lesson's command line, digits, and the doubling blocks.

A lesson imports this module first; it puts the repository root on ``sys.path``, so that
``upsample_example`` imports whether a lesson runs as a script from anywhere or opens as a notebook.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from upsample_example import DEFAULT_SEED, IMAGES, MnistSample, UpsampleExample  # noqa: E402
from upsample_io import DataError, OneLineParser, save_figure  # noqa: E402

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# The ways a decoder can double a feature map, compared in the network lessons: resize-convolution,
# transposed convolution (kernel 3, kernel 4, and kernel 4 initialised to bilinear interpolation), and
# sub-pixel convolution (a convolution to 4× the channels, then PixelShuffle) initialised two ways.
DOUBLING_BLOCKS = ("resize-conv", "transposed k3", "transposed k4", "transposed k4 bilinear", "sub-pixel",
                   "sub-pixel ICNR")


def lesson_parser(docstring: str) -> argparse.ArgumentParser:
    """A lesson's command line: its docstring's first line as the description, and where figures go."""
    parser = OneLineParser(description=docstring.strip().splitlines()[0])  # a mistake is one line
    parser.add_argument("--images", type=Path, default=IMAGES, metavar="FOLDER",
                        help="where to write the figures (default: %(default)s)")
    return parser


def write(figure: Figure, folder: Path, name: str) -> Path:
    """Save ``figure`` as ``folder/name`` (atomically, folders created) and close it; return the path."""
    import matplotlib.pyplot as plt

    try:
        return save_figure(figure, Path(folder) / name)
    finally:
        plt.close(figure)


def sample_digits(count: int, seed: int = DEFAULT_SEED) -> torch.Tensor:
    """``count`` digits of the offline sample, shuffled with ``seed``: (count, 1, 28, 28) in [0, 1]."""
    sample = MnistSample()
    order = torch.randperm(len(sample), generator=torch.Generator().manual_seed(seed))[:count]
    return torch.stack([sample[int(index)][0] for index in order])


def split_digits(train: int = 4000, held_out: int = 1000,
                 seed: int = DEFAULT_SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """Disjoint training and held-out digits of the offline sample, (N, 1, 28, 28) each.

    The sample is sorted by class, so the split shuffles first (with ``seed``): both parts hold every class.
    """
    digits = sample_digits(train + held_out, seed)
    if len(digits) < train + held_out:
        raise DataError(f"the sample has {len(digits)} digits, fewer than the {train} + {held_out} this lesson needs")
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
