"""
Upsampling in a generator, alias-free: equivariance measured
============================================================

A generator such as StyleGAN's grows its image block by block, upsampling between them. Its upsampling and
its nonlinearities alias, so fine detail sticks to the pixel grid instead of moving with the content
("texture sticking"). Karras et al., *Alias-Free Generative Adversarial Networks* (NeurIPS 2021, StyleGAN3),
fixed it with signal processing: treat feature maps as band-limited signals, upsample with a windowed-sinc
low-pass filter (Kaiser window), apply the nonlinearity at a temporarily higher rate, and low-pass again
before going back down. They measure the result as translation equivariance, EQ-T: the PSNR between "shift
the input, then run the network" and "run the network, then shift the output".

This page builds each piece from first principles in plain PyTorch (no code from the paper's release), shows
the frequency response of every 2× upsampler the tutorial has met, and measures EQ-T on a chain of small
random blocks, one stage at a time, for whole-pixel and for sub-pixel shifts.
"""

# %%
# The lessons share a few helpers (``lessons/helpers.py``); the next line finds them when a notebook runs
# from the repository root (from ``lessons/`` they are found anyway).
import sys

sys.path[:0] = ["lessons"]

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from helpers import hide_ticks, save_for_readme
from torch import nn

torch.set_default_dtype(torch.float64)  # this page measures small errors; float64 keeps rounding out of them

# %%
# Resampling by FIR filtering: ``upfirdn``
# -----------------------------------------
# To upsample by 2, insert a zero after every sample and low-pass filter the result: the filter fills in the
# new samples and removes the mirrored copy of the spectrum that zero insertion creates above the old
# Nyquist frequency. ``upfirdn(x, taps, up, down)`` does the general version (insert ``up − 1`` zeros,
# convolve with ``taps``, keep every ``down``-th sample) along the last axis, with the output length of
# ``scipy.signal.upfirdn``, which the tests compare it with.


def upfirdn(x: torch.Tensor, taps: torch.Tensor, up: int = 1, down: int = 1) -> torch.Tensor:
    """Zero-insert ``x`` by ``up`` along its last axis, convolve fully with ``taps``, keep every ``down``-th sample."""
    length = x.shape[-1]
    stuffed = x.new_zeros(*x.shape[:-1], (length - 1) * up + 1)
    stuffed[..., ::up] = x
    rows = stuffed.reshape(-1, 1, stuffed.shape[-1])
    # conv1d correlates: flip the taps for a convolution, and pad so that every overlap is kept ("full").
    full = F.conv1d(F.pad(rows, (len(taps) - 1, len(taps) - 1)), taps.flip(0).reshape(1, 1, -1))
    return full[..., ::down].reshape(*x.shape[:-1], -1)


# %%
# The Kaiser-windowed sinc
# ------------------------
# The ideal low-pass filter is a sinc, infinitely long; cut it to a few taps with a window and the window
# decides how sharp the cut is and how much leaks past it. Kaiser's window has one parameter, β, and Kaiser's
# formulas give the β for a wanted attenuation, and the attenuation a number of taps and a transition width
# allow. Written here from those formulas (the tests compare them with ``scipy.signal.firwin``,
# ``kaiser_atten`` and ``kaiser_beta``):


def kaiser_beta(attenuation: float) -> float:
    """Kaiser's β for a stop-band attenuation in dB."""
    if attenuation > 50:
        return 0.1102 * (attenuation - 8.7)
    if attenuation > 21:
        return 0.5842 * (attenuation - 21) ** 0.4 + 0.07886 * (attenuation - 21)
    return 0.0


def kaiser_lowpass(numtaps: int, cutoff: float, width: float) -> torch.Tensor:
    """A windowed-sinc low-pass filter: ``cutoff`` and transition ``width`` in cycles per sample; DC gain 1."""
    attenuation = 2.285 * (numtaps - 1) * math.pi * (2 * width) + 7.95  # width relative to Nyquist (0.5)
    beta = torch.tensor(kaiser_beta(attenuation))
    n = torch.arange(numtaps) - (numtaps - 1) / 2
    window = torch.special.i0(beta * torch.sqrt(1 - (2 * n / (numtaps - 1)) ** 2)) / torch.special.i0(beta)
    taps = 2 * cutoff * torch.sinc(2 * cutoff * n) * window
    return taps / taps.sum()


# %%
# Every 2× upsampler as a filter
# ------------------------------
# Each 2× upsampler the tutorial has met is zero insertion followed by a filter. With torch's half-pixel
# convention, output sample ``j`` of a doubled row sits at input position ``(j − ½)/2``, so input ``i``
# contributes to it with the weight ``K((j − 2i − ½)/2)`` of the mode's kernel ``K``: ``nearest`` has the
# taps (1, 1), ``bilinear`` (¼, ¾, ¾, ¼), ``bicubic`` eight taps of Keys' cubic (``a = −0.75``). StyleGAN2
# upsampled with zero insertion and the blur (1, 3, 3, 1), scaled to gain 2: the same taps as ``bilinear``.
# The alias-free upsampler is a 12-tap Kaiser-windowed sinc cut at the old Nyquist frequency (0.25 cycles per
# new sample), scaled to gain 2. A transposed convolution is zero insertion with a *learned* filter; at
# initialisation its taps are random (drawn below as ``ConvTranspose1d(1, 1, 4, stride=2, padding=1)`` does).


def keys_cubic(t: torch.Tensor, a: float = -0.75) -> torch.Tensor:
    t = t.abs()
    return torch.where(
        t <= 1,
        (a + 2) * t**3 - (a + 3) * t**2 + 1,
        torch.where(t < 2, a * t**3 - 5 * a * t**2 + 8 * a * t - 4 * a, torch.zeros_like(t)),
    )


def mode_taps(kernel, radius: int) -> tuple[torch.Tensor, int]:
    """The 2× upsampling taps w(d), d = j − 2i, of an interpolation kernel reaching ``radius`` input pixels:
    (taps, the first d)."""
    offsets = torch.arange(-2 * radius + 1, 2 * radius + 1)
    return kernel((offsets - 0.5) / 2), int(offsets[0])


KAISER = kaiser_lowpass(12, cutoff=0.25, width=0.1) * 2  # gain 2: zero insertion halves the mean
UPSAMPLERS = {  # name: (taps w(d), first d)
    "nearest": (torch.ones(2), 0),
    "bilinear": mode_taps(lambda t: (1 - t.abs()).clamp(min=0), 1),
    "bicubic": mode_taps(keys_cubic, 2),
    "StyleGAN2 blur": (torch.tensor([1.0, 3, 3, 1]) / 4, -1),
    "Kaiser sinc": (KAISER, -5),
}

# Check the tap tables against torch itself: upsample a row with F.interpolate and with zero insertion and the
# taps (on a periodic row, padded around, so that the edges do not matter), and compare.
row = torch.rand(1, 1, 16, generator=torch.Generator().manual_seed(0))
around = F.pad(row, (4, 4), mode="circular")  # 24 samples: the row with 4 of its own on either side
for name in ("nearest", "bilinear", "bicubic"):
    image = around.reshape(1, 1, 1, 24).expand(1, 1, 4, 24)  # 2D, so that bicubic applies; rows all equal
    theirs = F.interpolate(image, scale_factor=(1, 2), mode=name)[0, 0, 0]
    taps, first = UPSAMPLERS[name]
    ours = upfirdn(around[0, 0], taps, up=2)
    # upfirdn's sample k sums the taps from the first one on: it is output j = k + first.
    ours = ours[-first : -first + len(theirs)] if first < 0 else torch.cat([torch.zeros(first), ours])[: len(theirs)]
    difference = (ours[8:-8] - theirs[8:-8]).abs().max().item()  # away from the padded ends
    print(
        f"{name:<9} as zero insertion and the taps {[round(t, 4) for t in taps.tolist()]}: "
        f"equal to F.interpolate to 1e-12: {difference < 1e-12}"
    )
    assert difference < 1e-12
assert torch.equal(UPSAMPLERS["StyleGAN2 blur"][0], UPSAMPLERS["bilinear"][0])


def transposed_taps(seed: int) -> tuple[torch.Tensor, int]:
    """The taps of a freshly initialised ConvTranspose1d(1, 1, 4, stride=2, padding=1): w(d) for d = −1..2."""
    torch.manual_seed(seed)
    block = nn.ConvTranspose1d(1, 1, kernel_size=4, stride=2, padding=1, bias=False)
    return block.weight.detach().reshape(4).clone(), -1


# %%
# Their frequency responses
# -------------------------
# The response ``H(f) = Σ w(d) e^{−2πifd}``, at ``f`` cycles per new sample, over the gain of 2. Below the old
# Nyquist frequency (0.25) is the image's own spectrum, which an ideal upsampler keeps whole (1); above it is
# the mirror image that zero insertion made, which it removes (0). For each: the mean power kept below 0.25,
# and the mean power let through above it (imaging), each relative to 1.

frequencies = torch.linspace(0, 0.5, 1001)


def response(taps: torch.Tensor, first: int) -> torch.Tensor:
    """|H(f)| / 2 at ``frequencies``."""
    d = torch.arange(first, first + len(taps), dtype=torch.float64)
    phases = torch.exp(-2j * math.pi * frequencies[:, None] * d[None, :])
    return (phases @ taps.to(torch.complex128)).abs() / 2


responses = {name: response(*taps) for name, taps in UPSAMPLERS.items()}
responses["transposed k4 (init)"] = (
    torch.stack([response(*transposed_taps(s)) for s in range(100)]).square().mean(0).sqrt()
)
band, image = frequencies <= 0.25, frequencies > 0.25
print(f"{'upsampler':<22} {'kept below 0.25':>16} {'imaging above 0.25':>19}")
kept, imaging = {}, {}
for name, magnitude in responses.items():
    kept[name], imaging[name] = magnitude[band].square().mean().item(), magnitude[image].square().mean().item()
    print(f"{name:<22} {kept[name]:>16.3f} {imaging[name]:>19.4f}")

# %%
# ``nearest`` lets the most mirrored energy through of the fixed upsamplers, and the Kaiser sinc the least,
# while it keeps the most of the band below. A transposed convolution at initialisation, averaged over 100
# random draws (the root mean square response), passes as much above the old Nyquist frequency as below it:
# it has not yet learned to be a low-pass filter at all.

fixed = ("nearest", "bilinear", "bicubic", "Kaiser sinc")
assert max(fixed, key=imaging.get) == "nearest" and min(fixed, key=imaging.get) == "Kaiser sinc"
assert max(fixed, key=kept.get) == "Kaiser sinc"
assert abs(kept["transposed k4 (init)"] - imaging["transposed k4 (init)"]) < 0.2 * kept["transposed k4 (init)"]

# %%
# A chain of generator blocks
# ---------------------------
# Each block upsamples 2×, convolves (3×3, circular padding), applies a leaky ReLU and comes back down 2×, as a
# StyleGAN block does between its two resolutions. Everything is periodic: the feature maps wrap around, so no
# border exists and a shift invalidates no pixel (the paper crops the pixels a shift brings in from outside;
# here that set is empty). The stages, each either plain or alias-free:
#
# * the upsampler: any of the above (circular);
# * the nonlinearity: at the block's rate, or StyleGAN3's way: upsampled 2× more with the Kaiser sinc,
#   applied there, low-passed with it and brought back down;
# * the downsampler: take every other sample, average 2×2 blocks (``area``), or low-pass with the Kaiser sinc
#   first (each output then sits between its two inputs, as ``area``'s does).


def up_matrix(n: int, taps: torch.Tensor, first: int) -> torch.Tensor:
    """The (2n, n) matrix of periodic 2× upsampling: y[j] = Σ_i x[i] w(j − 2i), indices modulo the length."""
    matrix = torch.zeros(2 * n, n)
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


# The Kaiser downsampler's filter, checked: on a row of period 2 samples (the highest frequency) it gives
# next to nothing, and on a constant it keeps the constant.
alternating = torch.tensor([1.0, -1.0] * 8).reshape(1, 16).expand(16, 16) * torch.tensor([1.0, -1.0] * 8)[:, None]
assert downsample(alternating, "Kaiser sinc").abs().max() < 0.05 and torch.allclose(
    downsample(torch.ones(16, 16), "Kaiser sinc"), torch.ones(8, 8)
)


def leaky_relu(x: torch.Tensor, filtered: bool) -> torch.Tensor:
    """Leaky ReLU (slope 0.2) at the block's rate, or at twice it between two Kaiser filters (StyleGAN3's way)."""
    if not filtered:
        return F.leaky_relu(x, 0.2)
    return downsample(F.leaky_relu(upsample(x, *UPSAMPLERS["Kaiser sinc"]), 0.2), "Kaiser sinc")


def old_band(x: torch.Tensor) -> torch.Tensor:
    """A doubled periodic map (..., 2H, 2W) with every frequency above the old Nyquist frequency (0.25 cycles per
    sample, along either axis) removed: what stays of a 2× upsampling once its mirror images are gone."""
    keep = [torch.fft.fftfreq(n).abs() <= 0.25 for n in x.shape[-2:]]
    return torch.fft.ifft2(torch.fft.fft2(x) * (keep[0][:, None] & keep[1][None, :])).real


def mirror_share(maps: Sequence[torch.Tensor]) -> float:
    """The share of doubled periodic maps' energy (their sum of squares, all together) that lies above the old
    Nyquist frequency: ``old_band`` keeps the rest, and the two parts are orthogonal."""
    total = sum(x.square().sum().item() for x in maps)
    return 1 - sum(old_band(x).square().sum().item() for x in maps) / total


class Chain(nn.Module):
    """``blocks`` random blocks on ``channels`` maps: upsample 2× → 3×3 conv (circular) → leaky ReLU → down 2×.

    ``images_removed``: each upsampled map loses its mirror images (``old_band``). Each run keeps its upsampled maps
    in ``self.upsampled``."""

    def __init__(
        self,
        upsampler: str,
        filtered: bool,
        downsampler: str,
        channels: int = 8,
        blocks: int = 3,
        seed: int = 0,
        images_removed: bool = False,
    ) -> None:
        super().__init__()
        torch.manual_seed(seed)
        # No bias: the leaky ReLU is then positively homogeneous, so EQ-T does not depend on the maps' scale.
        self.convolutions = nn.ModuleList(
            nn.Conv2d(channels, channels, 3, padding=1, padding_mode="circular", bias=False) for _ in range(blocks)
        )
        # The transposed convolution learns its taps: here, one random draw per block (at initialisation).
        self.taps = [
            transposed_taps(seed * 100 + block) if upsampler == "transposed k4 (init)" else UPSAMPLERS[upsampler]
            for block in range(blocks)
        ]
        self.filtered, self.downsampler, self.images_removed = filtered, downsampler, images_removed
        self.upsampled: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.upsampled = []
        for convolution, taps in zip(self.convolutions, self.taps, strict=True):
            x = old_band(upsample(x, *taps)) if self.images_removed else upsample(x, *taps)
            self.upsampled.append(x)
            x = downsample(leaky_relu(convolution(x), self.filtered), self.downsampler)
        return x


# %%
# A band-limited input that shifts exactly
# ----------------------------------------
# StyleGAN3's generator starts from Fourier features: sinusoids, which can be moved by any amount exactly, by
# moving their phase. Here each of 8 channels is a sum of 6 plane waves with whole numbers of cycles per image
# (so that they wrap around), at most 6 per axis on 32 pixels: 0.19 cycles per pixel, well below Nyquist.
SIDE, WAVES, MOST_CYCLES = 32, 6, 6


def fourier_input(seed: int, shift: float = 0.0, channels: int = 8) -> torch.Tensor:
    """(1, channels, SIDE, SIDE) sums of plane waves cos(2π(kx·(x − shift) + ky·y)/SIDE + φ), drawn from ``seed``."""
    generator = torch.Generator().manual_seed(seed)
    k = torch.randint(-MOST_CYCLES, MOST_CYCLES + 1, (channels, WAVES, 2), generator=generator).double()
    phase = 2 * math.pi * torch.rand(channels, WAVES, 1, 1, generator=generator)
    axis = torch.arange(SIDE, dtype=torch.float64)
    x, y = axis[None, :] - shift, axis[:, None]
    waves = torch.cos(2 * math.pi * (k[..., 0, None, None] * x + k[..., 1, None, None] * y) / SIDE + phase)
    return waves.sum(dim=1, keepdim=False)[None] / math.sqrt(WAVES)


def shift_right(x: torch.Tensor, shift: float) -> torch.Tensor:
    """Move a periodic map ``shift`` pixels to the right: a roll for whole pixels, else each frequency's phase moves."""
    if float(shift).is_integer():
        return torch.roll(x, int(shift), dims=-1)
    spectrum = torch.fft.rfft(x, dim=-1)
    k = torch.arange(spectrum.shape[-1], dtype=torch.float64)
    return torch.fft.irfft(spectrum * torch.exp(-2j * math.pi * k * shift / x.shape[-1]), n=x.shape[-1], dim=-1)


# The input's shift is exact: the analytic shift and the Fourier shift agree, and a whole-pixel shift is a roll.
z = fourier_input(seed=0)
assert (fourier_input(0, shift=0.3) - shift_right(z, 0.3)).abs().max() < 1e-12
assert torch.allclose(fourier_input(0, shift=1.0), torch.roll(z, 1, dims=-1))

# %%
# EQ-T
# ----
# The paper's definition: ``EQ-T = 10·log10(I_max² / MSE)``, where the squared error between ``g(t[z])`` (shift the
# input, run the network) and ``t[g(z)]`` (run it, shift the output) is averaged over the random draws (there the
# latent and the shift, here the weights, the input's waves and the shift), the channels and the valid pixels (all of
# them here) together, and the dB is taken of that one mean; its code release sums the squared errors of all draws and
# divides by their count. ``I_max = 2``, the range of the paper's images in [−1, 1]. Feature maps have no such range,
# so here each draw's two outputs are first divided by the range (maximum − minimum) of its unshifted output ``g(z)``:
# every draw then has ``I_max = 1``. In the paper's code release, EQ-T shifts by whole pixels (drawn up to an eighth
# of the image along each axis, then rounded), and the same measure with fractional shifts is called EQ-T_frac. Here
# the output is shifted as the input was (a roll, or each frequency's phase). A chain that is exactly equivariant
# scores infinity.


def squared_error(shifted_first: torch.Tensor, shifted_after: torch.Tensor, reference: torch.Tensor) -> float:
    """One draw's mean((shifted_first − shifted_after)²) over channels and pixels, with both scaled by the range of
    ``reference`` (the unshifted output): its I_max is then 1."""
    return ((shifted_first - shifted_after).square().mean() / (reference.max() - reference.min()).square()).item()


def eq_t(errors: Sequence[float]) -> float:
    """The paper's EQ-T of draws with these squared errors (each over as many pixels): 10·log10(1 / their mean), in
    dB; inf when they are all 0. One draw's EQ-T is ``eq_t([error])``."""
    mean = float(np.mean(errors))
    return math.inf if mean == 0 else -10 * math.log10(mean)


def measure(chain: nn.Module, seed: int, shift: float) -> float:
    """The squared error of ``chain`` on the input drawn from ``seed``, moved ``shift`` pixels (a roll for whole
    pixels, else the waves' own phases)."""
    z = fourier_input(seed)
    moved = shift_right(z, shift) if float(shift).is_integer() else fourier_input(seed, shift)
    with torch.no_grad():
        output = chain(z)
        return squared_error(chain(moved), shift_right(output, shift), output)


FLOAT_LIMIT = 250  # dB: float64 rounds at about 1e-16 of the values, 10·log10(1e32) = 320 dB

# A circular convolution commutes with whole-pixel shifts. With whole-number weights and input every sum is exact
# in float64, in whatever order torch adds, and the formula gives infinity.
convolution = nn.Conv2d(8, 8, 3, padding=1, padding_mode="circular")
digits = torch.Generator().manual_seed(0)
with torch.no_grad():
    convolution.weight.copy_(torch.randint(-3, 4, convolution.weight.shape, generator=digits))
    convolution.bias.copy_(torch.randint(-3, 4, convolution.bias.shape, generator=digits))
    whole_numbers = torch.randint(-9, 10, (1, 8, 16, 16), generator=digits).double()
    output = convolution(whole_numbers)
    exact = eq_t([squared_error(convolution(shift_right(whole_numbers, 1)), shift_right(output, 1), output)])
print(f"a circular convolution on whole numbers, shifted 1 pixel: EQ-T {exact} dB")
assert exact == math.inf

# %%
# With real weights and the waves, the products at two positions are the same numbers, but torch's convolution
# need not add them in the same order, so the sums can round differently: how far depends on the processor's
# kernels. The score stays above the float limit, for whole and for sub-pixel shifts.
convolution = nn.Conv2d(8, 8, 3, padding=1, padding_mode="circular")
above = {shift: eq_t([measure(convolution, 0, shift)]) > FLOAT_LIMIT for shift in (1.0, 0.5)}
print(f"a circular convolution on the waves, above the float limit ({FLOAT_LIMIT} dB): "
      f"shifted 1 pixel {above[1.0]}, 0.5 pixel {above[0.5]}")
assert all(above.values())

# %%
# Measured, stage by stage
# ------------------------
# Ten random draws per row (the weights, the input's waves, and a sub-pixel shift drawn from 0.1 to 0.9 pixels).
# Each row prints EQ-T for a shift of one whole pixel and EQ-T_frac for the sub-pixel shifts, each pooled over the
# ten draws as the paper pools them, and beside EQ-T_frac the EQ-T_frac of its lowest and its highest single draw.
# The first row is alias-free in every stage; each of the next swaps one stage for a plain one.
DRAWS = range(10)
ALIAS_FREE = {"upsampler": "Kaiser sinc", "filtered": True, "downsampler": "Kaiser sinc"}
ROWS = {
    "alias-free (Kaiser, filtered, Kaiser)": {},
    "upsampler: nearest": {"upsampler": "nearest"},
    "upsampler: bilinear (= StyleGAN2 blur)": {"upsampler": "bilinear"},
    "upsampler: bicubic": {"upsampler": "bicubic"},
    "upsampler: transposed k4 (init)": {"upsampler": "transposed k4 (init)"},
    "nonlinearity at the block's rate": {"filtered": False},
    "downsampler: area": {"downsampler": "area"},
    "downsampler: every other": {"downsampler": "every other"},
    "all plain (nearest, unfiltered, every other)": {
        "upsampler": "nearest",
        "filtered": False,
        "downsampler": "every other",
    },
}
FIRST_ROW, PLAIN_ROW = "alias-free (Kaiser, filtered, Kaiser)", "all plain (nearest, unfiltered, every other)"


def sub_pixel_shift(draw: int) -> float:
    return 0.1 + 0.8 * torch.rand(1, generator=torch.Generator().manual_seed(1000 + draw)).item()


def one_pixel(draw: int) -> float:
    return 1.0


def draw_errors(settings: dict, shift, **options) -> np.ndarray:
    """The squared error of each draw of the chain with ``settings``, its input moved ``shift(draw)`` pixels."""
    return np.array([measure(Chain(**settings, seed=draw, **options), draw, shift(draw)) for draw in DRAWS])


def per_draw(errors: np.ndarray) -> np.ndarray:
    """Each draw's own EQ-T, in dB."""
    return np.array([eq_t([error]) for error in errors])


def cell(errors: np.ndarray) -> str:
    """Pooled EQ-T (lowest–highest single draw)."""
    return f"{eq_t(errors):.1f} ({per_draw(errors).min():.1f}–{per_draw(errors).max():.1f})"


whole, sub = {}, {}
print(
    f"{'chain':<46} {'EQ-T, 1 pixel':>13} {'EQ-T_frac: pooled (draws), dB':>30} "
    f"{'minus alias-free: pooled (draws)':>33}"
)
for label, change in ROWS.items():
    settings = {**ALIAS_FREE, **change}
    whole[label], sub[label] = draw_errors(settings, one_pixel), draw_errors(settings, sub_pixel_shift)
    gap = per_draw(sub[label]) - per_draw(sub[FIRST_ROW])  # the same draws: weights, input and shift
    whole_text = "float limit" if per_draw(whole[label]).min() > FLOAT_LIMIT else f"{eq_t(whole[label]):.1f}"
    pooled_gap = eq_t(sub[label]) - eq_t(sub[FIRST_ROW])
    gap_text = "" if not change else f"{pooled_gap:+.1f} ({gap.min():+.1f} to {gap.max():+.1f})"
    print(f"{label:<46} {whole_text:>13} {cell(sub[label]):>30} {gap_text:>33}")

# %%
# A shift of one whole pixel is equivariant to the float limit in every chain, on every draw: periodic maps,
# circulant filters and a pixelwise nonlinearity all commute with a shift of a whole number of samples, at every
# rate. Sub-pixel shifts are where the stages part. The spread over draws is wide, so each ordering below is one
# that every draw agrees on, compared on the same draw, unless it says "pooled" (the last column: a row's EQ-T_frac
# minus the alias-free chain's, pooled, and the lowest and the highest difference of single draws):
#
# * each plain stage costs equivariance: a ``nearest`` or ``bicubic`` upsampler, the nonlinearity at the
#   block's rate, and the ``area`` or every-other downsampler each score below the alias-free chain on every
#   draw; of the downsamplers, every other sample costs the most, on every draw;
# * a transposed convolution at initialisation, a random filter, costs the most of the upsamplers, pooled (not on
#   every draw), and its difference from the alias-free chain varies the most of all rows from draw to draw;
# * all three plain stages at once score below every row with fixed filters, on every draw;
# * ``bilinear`` (StyleGAN2's blur) scores *above* the alias-free chain on every draw. The next section measures
#   why.

assert all(per_draw(whole[label]).min() > FLOAT_LIMIT for label in ROWS)
gap = {label: per_draw(sub[label]) - per_draw(sub[FIRST_ROW]) for label in ROWS}
for label in (
    "upsampler: nearest",
    "upsampler: bicubic",
    "nonlinearity at the block's rate",
    "downsampler: area",
    "downsampler: every other",
):
    assert (gap[label] < 0).all(), label
assert (per_draw(sub["downsampler: every other"]) < per_draw(sub["downsampler: area"])).all()
upsampler_rows = [label for label in ROWS if label.startswith("upsampler")]
assert min(upsampler_rows, key=lambda label: eq_t(sub[label])) == "upsampler: transposed k4 (init)"
assert max(ROWS, key=lambda label: np.ptp(gap[label])) == "upsampler: transposed k4 (init)"
assert all(
    (per_draw(sub[PLAIN_ROW]) < per_draw(sub[label])).all()
    for label in ROWS
    if label not in (PLAIN_ROW, "upsampler: transposed k4 (init)")
)
assert (gap["upsampler: bilinear (= StyleGAN2 blur)"] > 0).all()

# %%
# Why bilinear scores above the Kaiser sinc
# -----------------------------------------
# Two measures for each fixed upsampler, in the same chains and draws (the other stages alias-free). First, the
# mirror images it lets through: the share of the upsampled maps' energy that lies above the old Nyquist
# frequency along either axis, the three blocks together, on the unshifted input (lowest–highest draw). Second,
# EQ-T_frac again with those images removed exactly from every upsampled map (``old_band``, by FFT): the chains
# then differ only in how their upsamplers respond within the old band.
ROW_OF = {  # each fixed upsampler's row in the table above
    "Kaiser sinc": FIRST_ROW,
    "bilinear": "upsampler: bilinear (= StyleGAN2 blur)",
    "bicubic": "upsampler: bicubic",
    "nearest": "upsampler: nearest",
}


def mirror_energy(upsampler: str, draw: int) -> float:
    """The mirror share of the chain's upsampled maps, all blocks together, on the unshifted input of ``draw``."""
    chain = Chain(upsampler, True, "Kaiser sinc", seed=draw)
    with torch.no_grad():
        chain(fourier_input(draw))
    return mirror_share(chain.upsampled)


mirrors, removed, rises = {}, {}, {}
print(f"{'upsampler':<12} {'mirror share (draws)':>24} {'EQ-T_frac':>22} {'images removed':>22} {'rise':>6}")
for upsampler, label in ROW_OF.items():
    mirrors[upsampler] = np.array([mirror_energy(upsampler, draw) for draw in DRAWS])
    removed[upsampler] = draw_errors({**ALIAS_FREE, **ROWS[label]}, sub_pixel_shift, images_removed=True)
    rises[upsampler] = eq_t(removed[upsampler]) - eq_t(sub[label])
    share = f"{mirrors[upsampler].min():.1e}–{mirrors[upsampler].max():.1e}"
    as_is, without = cell(sub[label]), cell(removed[upsampler])
    print(f"{upsampler:<12} {share:>24} {as_is:>22} {without:>22} {rises[upsampler]:>+6.1f}")
ratio = mirrors["bilinear"] / mirrors["Kaiser sinc"]
lead = per_draw(removed["bilinear"]) - per_draw(removed["Kaiser sinc"])
print(
    f"bilinear against the Kaiser sinc, draw by draw: a mirror share {ratio.min():.2f} to {ratio.max():.2f} times "
    f"as large; with the images removed, EQ-T_frac {lead.min():+.1f} to {lead.max():+.1f} dB"
)

# %%
# In these chains bilinear lets *more* of its mirror images through than the Kaiser sinc, on every draw, and with
# every image removed it still scores above the Kaiser sinc on every draw. So its lead is not in the mirror images
# but in the response within the old band, the only difference left, where bilinear's falls off: it keeps 0.60 of
# the band's power where the Kaiser sinc keeps 0.84 (the responses above). On these chains EQ-T_frac rewards that
# blur. ``nearest`` is the other way: removing its mirror images raises its EQ-T_frac the most of the four.

assert (ratio > 1).all() and (lead > 0).all()
assert (f"{kept['bilinear']:.2f}", f"{kept['Kaiser sinc']:.2f}") == ("0.60", "0.84")
assert max(rises, key=rises.get) == "nearest"

# %%
# Each upsampler, with the nonlinearity at either rate
# ----------------------------------------------------
# The same measure for every upsampler with the nonlinearity at the block's rate and at twice it, filtered
# (the downsampler the Kaiser sinc in both): EQ-T_frac pooled, and its lowest and highest single draw. The last
# column is what filtering the nonlinearity buys: the pooled difference, and the lowest and highest difference on
# the same draw. Whole-pixel shifts stay at the float limit in every one of these chains too, on every draw.

print(f"{'upsampler':<22} {'nonlinearity at the rate':>26} {'filtered, at twice it':>24} {'filtering buys':>22}")
buys = {}
for upsampler in (*UPSAMPLERS, "transposed k4 (init)"):
    if upsampler == "StyleGAN2 blur":
        continue  # bilinear's taps
    by_rate = {}
    for filtered in (False, True):
        settings = {"upsampler": upsampler, "filtered": filtered, "downsampler": "Kaiser sinc"}
        assert per_draw(draw_errors(settings, one_pixel)).min() > FLOAT_LIMIT
        by_rate[filtered] = draw_errors(settings, sub_pixel_shift)
    buys[upsampler] = per_draw(by_rate[True]) - per_draw(by_rate[False])
    pooled_buys = eq_t(by_rate[True]) - eq_t(by_rate[False])
    print(
        f"{upsampler:<22} {cell(by_rate[False]):>26} {cell(by_rate[True]):>24} "
        f"{f'{pooled_buys:+.1f} ({buys[upsampler].min():+.1f} to {buys[upsampler].max():+.1f})':>22}"
    )

# %%
# Filtering the nonlinearity raises EQ-T_frac on every draw for every upsampler, the transposed convolution's
# random one included: the harmonics a leaky ReLU makes above the rate's Nyquist frequency otherwise fold back
# as aliases, whatever the upsampler before it.

for upsampler, gain in buys.items():
    assert (gain > 0).all(), upsampler

# %%
# What sticks to the grid
# -----------------------
# Run one chain (draw 0) on the input moved a quarter of a pixel and on the input moved three quarters, move
# each output back by as much, and subtract: an equivariant chain leaves nothing, and what remains is detail
# tied to the pixel grid rather than to the content. One row of maps per upsampler, the other stages
# alias-free, beside the upsamplers' frequency responses; the maps share one colour scale, in units of the
# output's range.
SHOWN_UPSAMPLERS = ("nearest", "bilinear", "bicubic", "transposed k4 (init)", "Kaiser sinc")


def what_sticks(upsampler: str, draw: int = 0, shifts: tuple[float, float] = (0.25, 0.75)) -> torch.Tensor:
    """Channel 0 of (output at shift a, moved back) − (output at shift b, moved back), over the output's range."""
    chain = Chain(upsampler, True, "Kaiser sinc", seed=draw)
    with torch.no_grad():
        first, second = (shift_right(chain(fourier_input(draw, shift)), -shift) for shift in shifts)
        reference = chain(fourier_input(draw))
    return ((first - second) / (reference.max() - reference.min()))[0, 0]


def plot_alias_free():
    figure = plt.figure(figsize=(13, 6.4), layout="constrained")
    grid = figure.add_gridspec(2, len(SHOWN_UPSAMPLERS), height_ratios=[1.1, 1])
    spectra = figure.add_subplot(grid[0, :])
    for name, magnitude in responses.items():
        if name == "StyleGAN2 blur":
            continue  # the same taps as bilinear
        spectra.plot(frequencies, 20 * torch.log10(magnitude.clamp(min=1e-6)), label=name)
    spectra.axvline(0.25, color="0.5", linestyle="--", linewidth=1)
    spectra.text(0.125, 3, "the image's own band", ha="center", va="bottom")
    spectra.text(0.375, 3, "mirror images (imaging)", ha="center", va="bottom")
    spectra.set_ylim(-60, 10)
    spectra.set_xlabel("frequency, cycles per output sample (the old Nyquist frequency at 0.25)")
    spectra.set_ylabel("|H| / 2, dB")
    spectra.legend(ncols=3, fontsize=8, loc="lower left")
    spectra.set_title(
        "Each 2× upsampler's frequency response (bilinear = StyleGAN2's blur; transposed: RMS of 100 draws)",
        fontsize=10,
    )
    maps = {name: what_sticks(name) for name in SHOWN_UPSAMPLERS}
    limit = max(image.abs().max().item() for image in maps.values())
    axes = [figure.add_subplot(grid[1, column]) for column in range(len(SHOWN_UPSAMPLERS))]
    for ax, (name, image) in zip(axes, maps.items(), strict=True):
        shown = ax.imshow(image.numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"{name}: RMS {image.square().mean().sqrt():.1e}", fontsize=9)
    hide_ticks(axes)
    figure.colorbar(shown, ax=axes, shrink=0.8, label="difference / output range")
    figure.suptitle("Upsampler responses, and what sticks to the grid after a chain of three blocks")
    return figure, maps


figure, maps = plot_alias_free()
save_for_readme(figure, "alias_free.png")
rms = {name: image.square().mean().sqrt().item() for name, image in maps.items()}
print("what sticks (RMS, over the output's range):", {name: f"{value:.1e}" for name, value in rms.items()})
assert rms["nearest"] > rms["Kaiser sinc"] and rms["transposed k4 (init)"] > rms["Kaiser sinc"]

# %%
# The anchors: the paper's numbers, not reproduced here
# -----------------------------------------------------
# Quoted as the paper's EQ-T for whole trained generators on 512×512 AFHQv2 images: StyleGAN2 13.83 dB, the
# translation-equivariant StyleGAN3-T 60.15 dB, the rotation-equivariant StyleGAN3-R 64.89 dB. EQ-T, in the paper's
# code release the whole-pixel measure (shifts along both axes, up to an eighth of the image), corresponds to this
# page's "1 pixel" column, a single shift of one pixel along x, where every chain here, the all-plain one included,
# is at the float limit: that shift separates none of these periodic chains. Those generators
# have borders, learned weights and many more layers, and score images in [−1, 1]; none of that is here. Where the
# stages part here is EQ-T_frac: pooled over the draws, the three plain stages together cost 23 dB (rounded).

PAPER_EQ_T_AFHQV2 = {"StyleGAN2": 13.83, "StyleGAN3-T": 60.15, "StyleGAN3-R": 64.89}  # dB, quoted, not measured
print("the paper's EQ-T on AFHQv2 (quoted):", PAPER_EQ_T_AFHQV2)
at_limit = all(per_draw(whole[label]).min() > FLOAT_LIMIT for label in ROWS)
plain_cost = eq_t(sub[FIRST_ROW]) - eq_t(sub[PLAIN_ROW])
print(
    f"here: EQ-T (1 pixel) above the float limit in every chain, on every draw: {at_limit}; EQ-T_frac pooled over "
    f"{len(DRAWS)} draws: all plain {eq_t(sub[PLAIN_ROW]):.1f} dB, alias-free {eq_t(sub[FIRST_ROW]):.1f} dB, "
    f"a cost of {plain_cost:.1f} dB"
)
assert at_limit and round(plain_cost) == 23

torch.set_default_dtype(torch.float32)  # as it was: the next page starts from torch's defaults
plt.show()
