"""The alias-free lessons' filters and measuring code (lessons/plot_alias_free.py, lessons/plot_equivariance.py).

Every 2× upsampler as zero insertion and taps, their frequency responses, periodic resampling, a chain of small
generator blocks, an input of plane waves that shifts exactly, and EQ-T. Everything here is float64, whatever
torch's default: the lessons measure errors far below float32's rounding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import scipy.signal
import torch
import torch.nn.functional as F
from torch import nn

from upsample_helpers import hide_ticks

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DTYPE = torch.float64
Taps = tuple[torch.Tensor, int]  # the taps w(d) of a 2× upsampler, and the first d (d = j − 2i)


def kaiser_taps(numtaps: int = 12, cutoff: float = 0.25, width: float = 0.1) -> torch.Tensor:
    """SciPy's Kaiser-windowed sinc (``firwin``): cutoff and transition width in cycles per sample, DC gain 1."""
    beta = scipy.signal.kaiser_beta(scipy.signal.kaiser_atten(numtaps, 2 * width))  # width relative to Nyquist
    return torch.from_numpy(scipy.signal.firwin(numtaps, cutoff, window=("kaiser", beta), fs=1.0))


# Each 2× upsampler the lessons compare, as zero insertion and taps of gain 2 (zero insertion halves the mean);
# plot_alias_free.py derives each from its kernel, and the tests check them against F.interpolate and firwin.
UPSAMPLERS: dict[str, Taps] = {
    "nearest": (torch.tensor([1.0, 1.0], dtype=DTYPE), 0),
    "bilinear": (torch.tensor([1.0, 3, 3, 1], dtype=DTYPE) / 4, -1),
    "bicubic": (torch.tensor([-9.0, -27, 67, 225, 225, 67, -27, -9], dtype=DTYPE) / 256, -3),  # Keys, a = −0.75
    "StyleGAN2 blur": (torch.tensor([1.0, 3, 3, 1], dtype=DTYPE) / 4, -1),
    "Kaiser sinc": (2 * kaiser_taps(), -5),  # 12 taps cut at the old Nyquist frequency, 0.25
}
FREQUENCIES = torch.linspace(0, 0.5, 1001, dtype=DTYPE)  # cycles per output sample
OLD_NYQUIST = 0.25  # the input's Nyquist frequency, in cycles per output sample of a 2× upsampling


# ---------------------------------------------------------------------------
# Filters and their responses
# ---------------------------------------------------------------------------
def interpolate_gap(resample: Callable[..., torch.Tensor], mode: str, taps: torch.Tensor, first: int) -> float:
    """The largest difference of F.interpolate(mode) and an ``upfirdn`` ``resample`` with ``taps``, doubling a row."""
    # A row of 16 samples padded with 4 of its own on each side, so that torch's edges do not matter; only the
    # middle is compared. ``resample`` zero-inserts, then convolves fully with ``taps``.
    row = torch.rand(1, 1, 16, generator=torch.Generator().manual_seed(0), dtype=DTYPE)
    around = F.pad(row, (4, 4), mode="circular")  # 24 samples
    image = around.reshape(1, 1, 1, 24).expand(1, 1, 4, 24)  # 2D, so that bicubic applies; the rows all equal
    theirs = F.interpolate(image, scale_factor=(1, 2), mode=mode)[0, 0, 0]
    ours = resample(around[0, 0], taps, up=2)
    # resample's sample k sums the taps from the first one on: it is output j = k + first
    if first < 0:
        ours = ours[-first : -first + len(theirs)]
    else:
        ours = torch.cat([torch.zeros(first, dtype=DTYPE), ours])[: len(theirs)]
    return (ours[8:-8] - theirs[8:-8]).abs().max().item()


def transposed_taps(seed: int) -> Taps:
    """The taps of a freshly initialised ConvTranspose1d(1, 1, 4, stride=2, padding=1): w(d) for d = −1..2."""
    torch.manual_seed(seed)
    block = nn.ConvTranspose1d(1, 1, kernel_size=4, stride=2, padding=1, bias=False, dtype=DTYPE)
    return block.weight.detach().reshape(4).clone(), -1


def frequency_response(taps: torch.Tensor, first: int, frequencies: torch.Tensor = FREQUENCIES) -> torch.Tensor:
    """|H(f)| / 2, where H(f) = Σ w(d) e^(−2πifd): the gain of 2 counts as 1."""
    d = torch.arange(first, first + len(taps), dtype=DTYPE)
    phases = torch.exp(-2j * math.pi * frequencies[:, None] * d[None, :])
    return (phases @ taps.to(torch.complex128)).abs() / 2


def transposed_response(draws: int = 100) -> torch.Tensor:
    """The root mean square of ``frequency_response`` over ``draws`` freshly initialised transposed convolutions."""
    return torch.stack([frequency_response(*transposed_taps(seed)) for seed in range(draws)]).square().mean(0).sqrt()


def band_powers(magnitude: torch.Tensor, frequencies: torch.Tensor = FREQUENCIES) -> tuple[float, float]:
    """The mean power a response keeps below the old Nyquist frequency, and lets through above it (imaging)."""
    below = frequencies <= OLD_NYQUIST
    return magnitude[below].square().mean().item(), magnitude[~below].square().mean().item()


def responses_table(responses: dict[str, torch.Tensor]) -> str:
    """A row per upsampler: the power it keeps below the old Nyquist frequency, and lets through above it."""
    lines = [f"{'upsampler':<22}{'kept below 0.25':>17}{'imaging above':>15}"]
    for name, magnitude in responses.items():
        kept, imaging = band_powers(magnitude)
        lines.append(f"{name:<22}{kept:>17.3f}{imaging:>15.4f}")
    return "\n".join(lines)


def plot_responses(responses: dict[str, torch.Tensor]) -> Figure:
    """Each upsampler's |H| / 2 in dB over the frequency, the old Nyquist frequency marked."""
    figure, ax = plt.subplots(figsize=(7.4, 4.4), layout="constrained")
    for name, magnitude in responses.items():
        ax.plot(FREQUENCIES, 20 * torch.log10(magnitude.clamp(min=1e-6)), label=name)
    ax.axvline(OLD_NYQUIST, color="0.5", linestyle="--", linewidth=1)
    ax.text(0.125, 3, "the image's own band", ha="center", va="bottom", fontsize=9)
    ax.text(0.375, 3, "mirror images (imaging)", ha="center", va="bottom", fontsize=9)
    ax.set_ylim(-60, 10)
    ax.set_xlabel("frequency, cycles per output sample (the old Nyquist frequency at 0.25)", fontsize=9)
    ax.set_ylabel("|H| / 2, dB", fontsize=9)
    ax.legend(ncols=2, fontsize=9, loc="lower left")
    ax.set_title("Each 2× upsampler's frequency response (bilinear is StyleGAN2's blur;\n"
                 "transposed k4: the RMS of 100 initialisations)", fontsize=10)
    return figure


# ---------------------------------------------------------------------------
# Periodic resampling, and a chain of generator blocks
# ---------------------------------------------------------------------------
def up_matrix(n: int, taps: torch.Tensor, first: int) -> torch.Tensor:
    """The (2n, n) matrix of periodic 2× upsampling: y[j] = Σ_i x[i] w(j − 2i), indices modulo the length."""
    matrix = torch.zeros(2 * n, n, dtype=DTYPE)
    columns = torch.arange(n)
    for index, weight in enumerate(taps.tolist()):
        matrix[(2 * columns + first + index) % (2 * n), columns] += weight
    return matrix


def upsample(x: torch.Tensor, taps: torch.Tensor, first: int) -> torch.Tensor:
    """(..., H, W) → (..., 2H, 2W), periodically, with the same taps along both axes."""
    return up_matrix(x.shape[-2], taps, first) @ x @ up_matrix(x.shape[-1], taps, first).T


def downsample(x: torch.Tensor, how: str) -> torch.Tensor:
    """(..., 2H, 2W) → (..., H, W): 'every other' sample, 'area' (2×2 means), or 'Kaiser sinc' (low-pass first)."""
    if how == "every other":
        return x[..., ::2, ::2]
    taps, first = UPSAMPLERS["nearest" if how == "area" else "Kaiser sinc"]
    # The adjoint of upsampling with the same taps, halved per axis: a low-pass filter, then every other sample.
    rows, columns = up_matrix(x.shape[-2] // 2, taps, first), up_matrix(x.shape[-1] // 2, taps, first)
    return rows.T @ x @ columns / 4


def leaky_relu(x: torch.Tensor, filtered: bool) -> torch.Tensor:
    """Leaky ReLU (slope 0.2) at the block's rate, or at twice it between two Kaiser filters (StyleGAN3's way)."""
    if not filtered:
        return F.leaky_relu(x, 0.2)
    return downsample(F.leaky_relu(upsample(x, *UPSAMPLERS["Kaiser sinc"]), 0.2), "Kaiser sinc")


def old_band(x: torch.Tensor) -> torch.Tensor:
    """A doubled periodic map (..., 2H, 2W) without its mirror images: every frequency above 0.25, either axis."""
    keep = [torch.fft.fftfreq(n, dtype=DTYPE).abs() <= OLD_NYQUIST for n in x.shape[-2:]]
    return torch.fft.ifft2(torch.fft.fft2(x) * (keep[0][:, None] & keep[1][None, :])).real


def mirror_share(maps: Sequence[torch.Tensor]) -> float:
    """The share of doubled periodic maps' energy (all together) above the old Nyquist frequency, along either axis."""
    # old_band keeps the rest, and the two parts are orthogonal
    total = sum(x.square().sum().item() for x in maps)
    return 1 - sum(old_band(x).square().sum().item() for x in maps) / total


class Chain(nn.Module):
    """``blocks`` random blocks: upsample 2× → 3×3 conv (circular) → leaky ReLU → down 2×, periodic throughout."""

    # images_removed: each upsampled map loses its mirror images (old_band). A run keeps its upsampled maps in
    # self.upsampled.

    def __init__(self, upsampler: str, filtered: bool, downsampler: str, channels: int = 8, blocks: int = 3,
                 seed: int = 0, images_removed: bool = False) -> None:
        super().__init__()
        torch.manual_seed(seed)
        # No bias: the leaky ReLU is then positively homogeneous, so EQ-T does not depend on the maps' scale.
        self.convolutions = nn.ModuleList(
            nn.Conv2d(channels, channels, 3, padding=1, padding_mode="circular", bias=False, dtype=DTYPE)
            for _ in range(blocks))
        # The transposed convolution learns its taps: here, one random draw per block (at initialisation).
        self.taps = [transposed_taps(seed * 100 + block) if upsampler == "transposed k4 (init)"
                     else UPSAMPLERS[upsampler] for block in range(blocks)]
        self.filtered, self.downsampler, self.images_removed = filtered, downsampler, images_removed
        self.upsampled: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.upsampled = []
        for convolution, taps in zip(self.convolutions, self.taps, strict=True):
            x = old_band(upsample(x, *taps)) if self.images_removed else upsample(x, *taps)
            self.upsampled.append(x)
            x = downsample(leaky_relu(convolution(x), self.filtered), self.downsampler)
        return x


# ---------------------------------------------------------------------------
# An input that shifts exactly, and EQ-T
# ---------------------------------------------------------------------------
SIDE, WAVES, MOST_CYCLES = 32, 6, 6  # pixels per side; plane waves per channel; most cycles per image, per axis
FLOAT_LIMIT = 250  # dB: float64 rounds at about 1e-16 of the values, 10·log10(1e32) = 320 dB


def fourier_input(seed: int, shift: float = 0.0, channels: int = 8) -> torch.Tensor:
    """(1, channels, SIDE, SIDE) sums of plane waves cos(2π(kx·(x − shift) + ky·y)/SIDE + φ), drawn from ``seed``."""
    generator = torch.Generator().manual_seed(seed)
    k = torch.randint(-MOST_CYCLES, MOST_CYCLES + 1, (channels, WAVES, 2), generator=generator).to(DTYPE)
    phase = 2 * math.pi * torch.rand(channels, WAVES, 1, 1, generator=generator, dtype=DTYPE)
    axis = torch.arange(SIDE, dtype=DTYPE)
    x, y = axis[None, :] - shift, axis[:, None]
    waves = torch.cos(2 * math.pi * (k[..., 0, None, None] * x + k[..., 1, None, None] * y) / SIDE + phase)
    return waves.sum(dim=1)[None] / math.sqrt(WAVES)


def shift_right(x: torch.Tensor, shift: float) -> torch.Tensor:
    """Move a periodic map ``shift`` pixels to the right: a roll for whole pixels, else each frequency's phase moves."""
    if float(shift).is_integer():
        return torch.roll(x, int(shift), dims=-1)
    spectrum = torch.fft.rfft(x, dim=-1)
    k = torch.arange(spectrum.shape[-1], dtype=DTYPE)
    return torch.fft.irfft(spectrum * torch.exp(-2j * math.pi * k * shift / x.shape[-1]), n=x.shape[-1], dim=-1)


def squared_error(shifted_first: torch.Tensor, shifted_after: torch.Tensor, reference: torch.Tensor) -> float:
    """One draw's mean squared difference, both outputs over the range of ``reference`` (the unshifted output)."""
    return ((shifted_first - shifted_after).square().mean() / (reference.max() - reference.min()).square()).item()


def eq_t(errors: Sequence[float]) -> float:
    """The paper's EQ-T of draws with these squared errors: 10·log10(1 / their mean) dB, pooled; inf if all are 0."""
    mean = float(np.mean(errors))
    return math.inf if mean == 0 else -10 * math.log10(mean)


def measure(chain: nn.Module, seed: int, shift: float) -> float:
    """The squared error of ``chain`` on the input drawn from ``seed``, moved ``shift`` pixels."""
    # a roll for whole pixels, else the waves' own phases move
    z = fourier_input(seed)
    moved = shift_right(z, shift) if float(shift).is_integer() else fourier_input(seed, shift)
    with torch.no_grad():
        output = chain(z)
        return squared_error(chain(moved), shift_right(output, shift), output)


# ---------------------------------------------------------------------------
# The chains measured, draw by draw
# ---------------------------------------------------------------------------
DRAWS = range(10)  # each draw: the weights, the input's waves, and a sub-pixel shift
ALIAS_FREE = {"upsampler": "Kaiser sinc", "filtered": True, "downsampler": "Kaiser sinc"}
FIRST_ROW, PLAIN_ROW = "alias-free", "all plain"
ROWS = {  # the alias-free chain, then each with one stage (or all three) swapped for a plain one
    FIRST_ROW: {},
    "upsampler: nearest": {"upsampler": "nearest"},
    "upsampler: bilinear": {"upsampler": "bilinear"},
    "upsampler: bicubic": {"upsampler": "bicubic"},
    "upsampler: transposed k4": {"upsampler": "transposed k4 (init)"},
    "nonlinearity unfiltered": {"filtered": False},
    "downsampler: area": {"downsampler": "area"},
    "downsampler: every other": {"downsampler": "every other"},
    PLAIN_ROW: {"upsampler": "nearest", "filtered": False, "downsampler": "every other"},
}
# The fixed upsamplers, each with its row of ROWS
ROW_OF = {"Kaiser sinc": FIRST_ROW, "bilinear": "upsampler: bilinear", "bicubic": "upsampler: bicubic",
          "nearest": "upsampler: nearest"}


def sub_pixel_shift(draw: int) -> float:
    """The shift of ``draw``: from 0.1 to 0.9 pixels."""
    return 0.1 + 0.8 * torch.rand(1, generator=torch.Generator().manual_seed(1000 + draw), dtype=DTYPE).item()


def one_pixel(draw: int) -> float:
    """A shift of one whole pixel, whatever the draw."""
    return 1.0


def draw_errors(settings: dict, shift: Callable[[int], float], images_removed: bool = False) -> np.ndarray:
    """The squared error of each draw of the chain with ``settings``, its input moved ``shift(draw)`` pixels."""
    return np.array([measure(Chain(**settings, seed=draw, images_removed=images_removed), draw, shift(draw))
                     for draw in DRAWS])


def per_draw(errors: np.ndarray) -> np.ndarray:
    """Each draw's own EQ-T, in dB."""
    return np.array([eq_t([error]) for error in errors])


def pooled_and_range(errors: np.ndarray) -> str:
    """'pooled (lowest–highest)': EQ-T pooled over the draws, and its lowest and highest single draw."""
    single = per_draw(errors)
    return f"{eq_t(errors):.1f} ({single.min():.1f}–{single.max():.1f})"


def difference_and_range(better: np.ndarray, worse: np.ndarray) -> str:
    """'pooled (lowest to highest)': EQ-T of ``better`` minus ``worse``, pooled and draw by draw."""
    single = per_draw(better) - per_draw(worse)
    return f"{eq_t(better) - eq_t(worse):+.1f} ({single.min():+.1f} to {single.max():+.1f})"


def stage_table(sub: dict[str, np.ndarray]) -> str:
    """A row per chain: EQ-T_frac pooled (lowest–highest draw), and minus the alias-free chain's."""
    lines = [f"{'':<25}{'EQ-T_frac, dB':>18}{'minus alias-free':>24}",
             f"{'chain':<25}{'pooled (draws)':>18}{'pooled (draws)':>24}"]
    for label, errors in sub.items():
        gap = "" if label == FIRST_ROW else difference_and_range(errors, sub[FIRST_ROW])
        lines.append(f"{label:<25}{pooled_and_range(errors):>18}{gap:>24}".rstrip())
    return "\n".join(lines)


def mirror_energy(upsampler: str, draw: int) -> float:
    """The mirror share of an alias-free chain's upsampled maps, all blocks together, on draw's unshifted input."""
    chain = Chain(upsampler, True, "Kaiser sinc", seed=draw)
    with torch.no_grad():
        chain(fourier_input(draw))
    return mirror_share(chain.upsampled)


def images_table(mirrors: dict[str, np.ndarray], sub: dict[str, np.ndarray], removed: dict[str, np.ndarray]) -> str:
    """A row per upsampler: its mirror share (lowest–highest draw), EQ-T_frac as is and with the images removed."""
    lines = [f"{'':<12}{'mirror share':>18}{'EQ-T_frac':>18}{'images removed':>18}",
             f"{'upsampler':<12}{'(draws)':>18}{'(draws)':>18}{'(draws)':>18}{'rise':>6}"]
    for upsampler, share in mirrors.items():
        as_is, without = sub[ROW_OF[upsampler]], removed[upsampler]
        lines.append(f"{upsampler:<12}{f'{share.min():.1e}–{share.max():.1e}':>18}{pooled_and_range(as_is):>18}"
                     f"{pooled_and_range(without):>18}{eq_t(without) - eq_t(as_is):>+6.1f}")
    return "\n".join(lines)


def rates_table(by_rate: dict[str, dict[bool, np.ndarray]]) -> str:
    """A row per upsampler: EQ-T_frac with the nonlinearity at the block's rate, filtered, and the difference."""
    lines = [f"{'':<21}{'nonlinearity':>17}{'filtered':>17}{'filtering buys':>22}",
             f"{'upsampler':<21}{'at the rate':>17}{'at twice it':>17}{'pooled (draws)':>22}"]
    for upsampler, errors in by_rate.items():
        lines.append(f"{upsampler:<21}{pooled_and_range(errors[False]):>17}{pooled_and_range(errors[True]):>17}"
                     f"{difference_and_range(errors[True], errors[False]):>22}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# What sticks to the grid
# ---------------------------------------------------------------------------
def what_sticks(upsampler: str, draw: int = 0, shifts: tuple[float, float] = (0.25, 0.75)) -> torch.Tensor:
    """Channel 0 of (output at shift a − output at shift b), each moved back, over the output's range."""
    # the chain with upsampler, the other stages alias-free
    chain = Chain(upsampler, True, "Kaiser sinc", seed=draw)
    with torch.no_grad():
        first, second = (shift_right(chain(fourier_input(draw, shift)), -shift) for shift in shifts)
        reference = chain(fourier_input(draw))
    return ((first - second) / (reference.max() - reference.min()))[0, 0]


def plot_what_sticks(maps: dict[str, torch.Tensor]) -> Figure:
    """The maps of ``what_sticks``, one panel each, on one colour scale, each titled with its RMS."""
    figure, axes = plt.subplots(2, 3, figsize=(7.4, 5.6), layout="constrained")
    limit = max(image.abs().max().item() for image in maps.values())
    for ax, (name, image) in zip(axes.flat, maps.items()):  # noqa: B905 (a panel may stay empty)
        shown = ax.imshow(image.numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"{name}\nRMS {image.square().mean().sqrt():.1e}", fontsize=9)
    for ax in axes.flat[len(maps):]:
        ax.remove()
    used = list(axes.flat[: len(maps)])
    hide_ticks(used)
    figure.colorbar(shown, ax=used, shrink=0.8, label="difference / output range")
    figure.suptitle("What sticks to the grid after three blocks: the output at shifts of ¼ and ¾ pixel,\n"
                    "each moved back, subtracted (the other stages alias-free)", fontsize=10)
    return figure
