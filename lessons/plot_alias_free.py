"""
2× upsamplers as filters
========================

A generator such as StyleGAN's grows its image block by block, upsampling
between them. Karras et al., *Alias-Free Generative Adversarial Networks*
(NeurIPS 2021, StyleGAN3), treat its feature maps as band-limited signals:
an upsampler is then zero insertion followed by a low-pass filter, and what
the filter lets through above the old Nyquist frequency comes out as
aliasing later in the network.

This page builds the pieces from first principles in plain PyTorch (no code
from the paper's release): ``upfirdn``, the Kaiser-windowed sinc, the taps
of torch's 2× ``nearest``, ``bilinear`` and ``bicubic``, of StyleGAN2's
blur and of a transposed convolution, and their frequency responses.
The equivariance lesson (``plot_equivariance.py``) puts these upsamplers in
a chain of generator blocks and measures what each one costs.
"""

# %%
# Resampling by FIR filtering: ``upfirdn``
# ----------------------------------------
# To upsample by 2, insert a zero after every sample, then low-pass filter.
# Zero insertion keeps the spectrum's shape but halves its period in cycles
# per new sample: the image's own band now lies below 0.25, and a mirrored
# copy of it between 0.25 and 0.5. The filter removes the copy, and in doing
# so fills in the new samples. ``upfirdn(x, taps, up, down)`` does the
# general version along the last axis: insert ``up − 1`` zeros, convolve
# with ``taps``, keep every ``down``-th sample. With the taps (1, 1), each
# sample and the zero after it both receive the sample: that is ``nearest``.
import math

import scipy.signal
import torch
import torch.nn.functional as F


def upfirdn(x: torch.Tensor, taps: torch.Tensor, up: int = 1,
            down: int = 1) -> torch.Tensor:
    """Insert zeros, convolve fully with ``taps``, keep every ``down``-th."""
    stuffed = x.new_zeros(*x.shape[:-1], (x.shape[-1] - 1) * up + 1)
    stuffed[..., ::up] = x
    rows = stuffed.reshape(-1, 1, stuffed.shape[-1])
    # conv1d correlates: flip the taps to convolve; pad to keep every overlap
    pad = len(taps) - 1
    full = F.conv1d(F.pad(rows, (pad, pad)), taps.flip(0).reshape(1, 1, -1))
    return full[..., ::down].reshape(*x.shape[:-1], -1)


doubled = upfirdn(torch.tensor([1.0, 2.0, 3.0]), torch.ones(2), up=2)
print("upfirdn([1, 2, 3], taps (1, 1), up=2):", doubled.tolist())
assert doubled.tolist() == [1.0, 1.0, 2.0, 2.0, 3.0, 3.0]

# %%
# The output has ``(length − 1)·up + len(taps)`` samples before the
# ``down``-th are kept: every overlap of the taps with the stuffed row, as
# ``scipy.signal.upfirdn`` counts them. So it starts where the taps first
# touch the row: when the taps begin at ``d = first`` rather than 0, output
# sample ``k`` belongs to position ``k + first``, and the checks below align
# by it. On a random row, resampled by 3/2 with 5 random taps, ``upfirdn``
# and SciPy's give the same samples.

torch.manual_seed(0)
row, taps = torch.randn(14, dtype=torch.float64).split([9, 5])
ours = upfirdn(row, taps, up=3, down=2)
theirs = scipy.signal.upfirdn(taps.numpy(), row.numpy(), up=3, down=2)
gap = abs(ours.numpy() - theirs).max()
print(f"{len(ours)} samples, scipy.signal.upfirdn's to 1e-12: {gap < 1e-12}")
assert ours.shape == theirs.shape and gap < 1e-12

# %%
# The Kaiser window's one parameter
# ---------------------------------
# The ideal low-pass filter is a sinc, infinitely long. Cut it to a few taps
# with a window, and the window decides how sharp the cut is and how much
# leaks past it. Kaiser's window has one parameter, β. Kaiser's formulas
# give the attenuation (in dB) that a number of taps and a transition width
# allow, and the β that reaches it. This page's alias-free upsampler has 12
# taps; with a transition 0.1 cycles per sample wide, they allow 23.7 dB,
# and β = 1.09.


def kaiser_attenuation(numtaps: int, width: float) -> float:
    """The attenuation in dB of ``numtaps`` taps and a transition ``width``."""
    return 2.285 * (numtaps - 1) * math.pi * (2 * width) + 7.95


def kaiser_beta(attenuation: float) -> float:
    """Kaiser's β for a stop-band attenuation in dB."""
    if attenuation > 50:
        return 0.1102 * (attenuation - 8.7)
    if attenuation > 21:
        return 0.5842 * (attenuation - 21) ** 0.4 + 0.07886 * (attenuation - 21)
    return 0.0


attenuation = kaiser_attenuation(12, width=0.1)
beta = kaiser_beta(attenuation)
print(f"12 taps, transition 0.1: {attenuation:.1f} dB, β = {beta:.2f}")
assert (f"{attenuation:.1f}", f"{beta:.2f}") == ("23.7", "1.09")

# %%
# SciPy has both formulas, with the transition width measured relative to
# the Nyquist frequency (0.5 cycles per sample), so 0.1 is 0.2 there; it
# gives the same attenuation and the same β.

scipy_attenuation = scipy.signal.kaiser_atten(12, 0.2)
scipy_beta = scipy.signal.kaiser_beta(scipy_attenuation)
print(f"SciPy: {scipy_attenuation:.1f} dB, β = {scipy_beta:.2f}")
assert abs(scipy_attenuation - attenuation) < 1e-12
assert abs(scipy_beta - beta) < 1e-12

# %%
# The Kaiser-windowed sinc
# ------------------------
# The filter is the sinc cut at ``cutoff``, times the window, scaled to a DC
# gain of 1. The alias-free upsampler cuts at the old Nyquist frequency,
# 0.25 cycles per new sample, and doubles the gain, because zero insertion
# halves the mean. The window at tap ``n`` from the centre is
# ``I₀(β·√(1 − (2n/(N − 1))²)) / I₀(β)``, with ``I₀`` the modified Bessel
# function of order 0: it tapers the sinc from about 1 in the middle to
# ``1/I₀(β)`` at the two end taps. The taps are symmetric, so the first six
# say them all, and they are ``scipy.signal.firwin``'s with Kaiser's window.


def kaiser_lowpass(numtaps: int, cutoff: float, width: float) -> torch.Tensor:
    """A windowed sinc; ``cutoff`` and ``width`` in cycles per sample."""
    beta = kaiser_beta(kaiser_attenuation(numtaps, width))
    n = torch.arange(numtaps, dtype=torch.float64) - (numtaps - 1) / 2
    shape = beta * torch.sqrt(1 - (2 * n / (numtaps - 1)) ** 2)
    window = torch.special.i0(shape) / torch.special.i0(torch.tensor(beta))
    taps = 2 * cutoff * torch.sinc(2 * cutoff * n) * window
    return taps / taps.sum()


KAISER = 2 * kaiser_lowpass(12, cutoff=0.25, width=0.1)
print("symmetric:", torch.equal(KAISER, KAISER.flip(0)))
assert torch.equal(KAISER, KAISER.flip(0))
print("the first six taps:", [round(t, 4) for t in KAISER[:6].tolist()])
firwin = scipy.signal.firwin(12, 0.25, window=("kaiser", beta), fs=1.0)
gap = (KAISER / 2 - torch.from_numpy(firwin)).abs().max().item()
print(f"firwin's taps, to 1e-12: {gap < 1e-12}")
assert gap < 1e-12

# %%
# Interpolation as zero insertion and taps
# ----------------------------------------
# Away from the edges, torch's 2× ``nearest``, ``bilinear`` and ``bicubic``
# (with the default ``align_corners=False``) are each zero insertion
# followed by a filter. With torch's half-pixel convention, output sample ``j`` of a doubled row
# sits at input position ``(j − ½)/2``, so input ``i`` contributes to it
# with the weight ``K((j − 2i − ½)/2)`` of the mode's kernel ``K``: the taps
# are that kernel read at ``d = j − 2i``. The kernel measures distance in
# input pixels, and output samples lie half an input pixel apart: hence the
# division by 2. ``bilinear``'s triangle gives the taps (¼, ¾, ¾, ¼), from
# ``d = −1`` on.


def mode_taps(kernel, radius: int) -> tuple[torch.Tensor, int]:
    """A kernel reaching ``radius`` pixels, as 2× taps: (w(d), the first d)."""
    d = torch.arange(-2 * radius + 1, 2 * radius + 1, dtype=torch.float64)
    return kernel((d - 0.5) / 2), int(d[0])


def triangle(t: torch.Tensor) -> torch.Tensor:
    return (1 - t.abs()).clamp(min=0)


bilinear_taps, first = mode_taps(triangle, radius=1)
print("bilinear taps:", bilinear_taps.tolist(), "from d =", first)
assert bilinear_taps.tolist() == [0.25, 0.75, 0.75, 0.25] and first == -1

# %%
# ``bicubic``'s kernel is Keys' cubic with ``a = −0.75``; it reaches two
# pixels on each side, so it has eight taps. They are whole numbers of
# 256ths, and the outer four are negative: the lobes with which ``bicubic``
# overshoots an edge (the modes lesson shows the overshoot). Keys' ``a``
# sets how deep those lobes go; that torch's ``bicubic`` uses −0.75 is
# checked against ``F.interpolate`` in the next cell.


def keys_cubic(t: torch.Tensor, a: float = -0.75) -> torch.Tensor:
    t = t.abs()
    near = (a + 2) * t**3 - (a + 3) * t**2 + 1
    far = a * t**3 - 5 * a * t**2 + 8 * a * t - 4 * a
    return torch.where(t <= 1, near, torch.where(t < 2, far, 0.0))


bicubic_taps, first = mode_taps(keys_cubic, radius=2)
print(f"bicubic × 256, from d = {first}:", (bicubic_taps * 256).int().tolist())
assert (bicubic_taps * 256).tolist() == [-9, -27, 67, 225, 225, 67, -27, -9]

# %%
# The upsamplers
# --------------
# StyleGAN2 upsampled with zero insertion and the blur (1, 3, 3, 1), scaled
# to gain 2: the same taps as ``bilinear``. The alias-free upsampler is the
# 12-tap Kaiser sinc above. To check the tap tables against torch itself,
# ``interpolate_gap`` upsamples a periodic row with ``F.interpolate`` and
# with ``upfirdn`` and the taps (the row padded with itself, so that the
# edges do not matter): in each mode the two agree to 1e-12. So, for a 2×
# resize away from the edges, ``F.interpolate`` in these modes *is* zero
# insertion and this filter, and what the responses below say of the taps
# holds for torch.
from upsample_helpers.alias_free import interpolate_gap

UPSAMPLERS = {  # name: (taps w(d), the first d)
    "nearest": (torch.ones(2, dtype=torch.float64), 0),
    "bilinear": mode_taps(triangle, 1),
    "bicubic": mode_taps(keys_cubic, 2),
    "StyleGAN2 blur": (torch.tensor([1.0, 3, 3, 1]).double() / 4, -1),
    "Kaiser sinc": (KAISER, -5),
}
for name in ("nearest", "bilinear", "bicubic"):
    gap = interpolate_gap(upfirdn, name, *UPSAMPLERS[name])
    print(f"{name:<9} zero insertion and taps = F.interpolate: {gap < 1e-12}")
    assert gap < 1e-12
blur, bilinear = UPSAMPLERS["StyleGAN2 blur"][0], UPSAMPLERS["bilinear"][0]
print("StyleGAN2's blur is bilinear's taps:", torch.equal(blur, bilinear))
assert torch.equal(blur, bilinear)

# %%
# A transposed convolution is zero insertion with a *learned* filter:
# ``ConvTranspose1d(1, 1, 4, stride=2, padding=1)`` has four taps, from
# ``d = −1``. At initialisation they are random: PyTorch draws them
# uniformly within ±1/√(fan-in), and the fan-in is 4 here, so within ±½.
# Training then shapes them; the responses below are those a network starts
# from.
from upsample_helpers.alias_free import transposed_response, transposed_taps

draws = torch.stack([transposed_taps(seed)[0] for seed in range(100)])
print("draw 0:", [round(t, 3) for t in draws[0].tolist()])
print(f"100 draws: every tap within ±½: {bool(draws.abs().max() <= 0.5)}")
assert draws.abs().max() <= 0.5

# %%
# Their frequency responses
# -------------------------
# A filter's response is ``H(f) = Σ w(d) e^{−2πifd}`` at ``f`` cycles per
# new sample. Divided by the gain of 2, an ideal upsampler keeps 1 below
# the old Nyquist frequency (0.25), where the image's own spectrum is, and
# 0 above it, where the mirror image is. For each upsampler: the mean power
# it keeps below 0.25, and the mean power it lets through above (imaging).
# The transposed convolution's is the root mean square response of 100
# random initialisations.
from upsample_helpers.alias_free import frequency_response, responses_table

responses = {n: frequency_response(*t) for n, t in UPSAMPLERS.items()}
responses["transposed k4 (init)"] = transposed_response(draws=100)
print(responses_table(responses))

# %%
# Of the fixed upsamplers, ``nearest`` lets the most mirrored energy
# through, and the Kaiser sinc the least.
from upsample_helpers.alias_free import band_powers

kept = {name: band_powers(r)[0] for name, r in responses.items()}
imaging = {name: band_powers(r)[1] for name, r in responses.items()}

fixed = ("nearest", "bilinear", "bicubic", "Kaiser sinc")
most, least = max(fixed, key=imaging.get), min(fixed, key=imaging.get)
print(f"most imaging: {most}; least: {least}")
assert (most, least) == ("nearest", "Kaiser sinc")

# %%
# Between them the two interpolating kernels trade: ``bicubic`` keeps more
# of the band than ``bilinear`` but lets more of the mirror image through.
# Neither is simply the better filter of the two.

kept_more = kept["bicubic"] - kept["bilinear"]
leaks_more = imaging["bicubic"] - imaging["bilinear"]
print(f"bicubic − bilinear: kept {kept_more:+.3f}, imaging {leaks_more:+.4f}")
assert kept_more > 0 and leaks_more > 0

# %%
# The Kaiser sinc also keeps the most of the band below: 0.84 of its power,
# where ``bilinear`` (and so StyleGAN2's blur) keeps 0.60.

print("keeps the most below 0.25:", max(fixed, key=kept.get))
assert max(fixed, key=kept.get) == "Kaiser sinc"
print(f"kept below 0.25: Kaiser sinc {kept['Kaiser sinc']:.2f}, "
      f"bilinear {kept['bilinear']:.2f}")
assert f"{kept['Kaiser sinc']:.2f} {kept['bilinear']:.2f}" == "0.84 0.60"

# %%
# A transposed convolution at initialisation passes about as much above the
# old Nyquist frequency as below it (within a fifth): it has not yet learned
# to be a low-pass filter at all.

below, above = kept["transposed k4 (init)"], imaging["transposed k4 (init)"]
print(f"transposed k4 (init): {below:.3f} below 0.25, {above:.3f} above")
assert abs(below - above) < 0.2 * below

# %%
# What imaging does to one wave
# -----------------------------
# A wave of ``f₀`` cycles per new sample, doubled, comes out with a mirror
# image at ``0.5 − f₀``. ``nearest``'s taps (1, 1) respond ``2|cos(πf)|``,
# so it keeps ``cos²(πf₀)`` of the wave's energy and sends ``sin²(πf₀)`` to
# the mirror image. ``mirror_share`` measures the share of a doubled map's
# energy above 0.25 along either axis, by FFT. A wave of 3 cycles on 32
# samples (``f₀ = 3/64``) sends 2.2% there through ``nearest``, as the
# formula says. The wave is constant down the columns, and a constant has
# no mirror image: along that axis ``nearest`` only repeats it.
from upsample_helpers.alias_free import mirror_share, upsample

samples = torch.arange(32, dtype=torch.float64)
wave = torch.cos(2 * math.pi * 3 * samples / 32 + 0.4).expand(32, 32)
share = {name: mirror_share([upsample(wave, *UPSAMPLERS[name])])
         for name in ("nearest", "Kaiser sinc")}
formula = math.sin(math.pi * 3 / 64) ** 2
print(f"nearest: {share['nearest']:.4f}, sin²(π·3/64) = {formula:.4f}")
assert abs(share["nearest"] - formula) < 1e-12 and f"{formula:.1%}" == "2.2%"

# %%
# Through the Kaiser sinc the same wave sends less than a thousandth of its
# energy to the mirror image.

print(f"Kaiser sinc: {share['Kaiser sinc']:.1e}")
assert share["Kaiser sinc"] < 1e-3

# %%
# The figure draws each response in dB, 0 dB being the ideal gain. Read it
# against the table: its first column averages the power of these curves
# left of the dashed line, the second right of it. The lower a curve lies
# right of the line, the less of the mirror image passes into the network.
# The equivariance lesson measures what the mirror images cost once a
# nonlinearity and a downsampler follow the upsampler, as in a generator.
from upsample_helpers import save_for_readme
from upsample_helpers.alias_free import plot_responses

shown = {name: r for name, r in responses.items() if name != "StyleGAN2 blur"}
figure = plot_responses(shown)  # StyleGAN2's blur: bilinear's line
save_for_readme(figure, "alias_free.png")
