"""
Translation equivariance, stage by stage
========================================

A generator that aliases lets fine detail stick to the pixel grid instead of
moving with the content ("texture sticking"). Karras et al., *Alias-Free
Generative Adversarial Networks* (NeurIPS 2021, StyleGAN3), fixed it with
signal processing: upsample with a Kaiser-windowed sinc, and apply the
nonlinearity at a temporarily higher rate and low-pass it before going back
down. They measure the result as
translation equivariance, EQ-T: the PSNR between "shift the input, then run
the network" and "run the network, then shift the output".

This page measures EQ-T on a chain of three small random blocks, swapping
one stage at a time for a plain one, for whole-pixel and for sub-pixel
shifts, and asks what the upsampler's filter has to do with the result. The
filter lesson (``plot_alias_free.py``) derives the upsamplers' taps and
their frequency responses; the helpers keep the same taps.
"""

# %%
# A chain of generator blocks
# ---------------------------
# Each block upsamples 2×, convolves (3×3, circular padding), applies a
# leaky ReLU and comes back down 2×: a small stand-in for a generator's
# layer, not StyleGAN's own. Everything is periodic: the feature maps wrap around, so no
# border exists and a shift invalidates no pixel (the paper crops the pixels
# a shift brings in from outside; here that set is empty). Each stage is
# either plain or alias-free:
#
# * the upsampler: ``nearest``, ``bilinear``, ``bicubic``, a transposed
#   convolution at initialisation (random taps), or the Kaiser sinc;
# * the nonlinearity: at the block's rate, or StyleGAN3's way: upsampled 2×
#   more with the Kaiser sinc, applied there, low-passed with it and brought
#   back down;
# * the downsampler: take every other sample, average 2×2 blocks
#   (``area``), or low-pass with the Kaiser sinc first.
#
# Why the downsampler matters: a checkerboard of ±1 is the highest frequency
# along both axes. Taking every other sample turns it into a constant 1, a
# frequency it never had (aliasing, in one picture); the Kaiser downsampler
# leaves next to nothing of it, and keeps a constant as it is.
import torch

from upsample_helpers.alias_free import downsample

signs = torch.tensor([1.0, -1.0]).repeat(8).double()
checkerboard = signs[:, None] * signs[None, :]  # (16, 16)
every_other = downsample(checkerboard, "every other")
print("every other sample of it:", every_other.unique().tolist())
assert torch.equal(every_other, torch.ones(8, 8).double())
largest = downsample(checkerboard, "Kaiser sinc").abs().max().item()
print(f"through the Kaiser downsampler: at most {largest:.1e}")
assert largest < 0.05
ones = torch.ones(16, 16).double()
kept = torch.allclose(downsample(ones, "Kaiser sinc"), ones[:8, :8])
print("a constant, through it:", kept)
assert kept

# %%
# A band-limited input that shifts exactly
# ----------------------------------------
# StyleGAN3's generator starts from Fourier features: sinusoids, which can
# be moved by any amount exactly, by moving their phase. Here each of 8
# channels is a sum of 6 plane waves with whole numbers of cycles per image
# (so that they wrap around), at most 6 per axis on 32 pixels: 0.19 cycles
# per pixel, well below the Nyquist frequency, 0.5. Moving the waves' phases
# and moving the sampled map (by FFT) agree to 1e-12, and a shift of one
# whole pixel is a roll.
from upsample_helpers.alias_free import (
    MOST_CYCLES,
    SIDE,
    WAVES,
    fourier_input,
    shift_right,
)

z = fourier_input(seed=0)
print(f"{z.shape[1]} channels of {WAVES} waves; at most {MOST_CYCLES} cycles",
      f"on {SIDE} pixels: {MOST_CYCLES / SIDE:.2f} per pixel")
assert (z.shape[1], WAVES, f"{MOST_CYCLES / SIDE:.2f}") == (8, 6, "0.19")
gap = (fourier_input(0, shift=0.3) - shift_right(z, 0.3)).abs().max().item()
print(f"moved 0.3 pixel, the waves and the map agree to 1e-12: {gap < 1e-12}")
assert gap < 1e-12
rolled = torch.allclose(fourier_input(0, shift=1.0), torch.roll(z, 1, dims=-1))
print("moved 1 pixel, the waves are the map rolled:", rolled)
assert rolled

# %%
# EQ-T
# ----
# The paper's definition: ``EQ-T = 10·log10(I_max² / MSE)``, where the
# squared error between ``g(t[z])`` (shift the input, run the network) and
# ``t[g(z)]`` (run it, shift the output) is averaged over the random draws
# (there the latent and the shift, here the weights, the input's waves and
# the shift), the channels and the valid pixels (all of them here)
# together, and the dB is taken of that one mean; the paper's code release
# sums the squared errors of all draws and divides by their count.
# ``I_max = 2``, the range of the paper's images in [−1, 1]. Feature maps
# have no such range, so here each draw's two outputs are first divided by
# the range (maximum − minimum) of its unshifted output ``g(z)``: every draw
# then has ``I_max = 1``. In the code release, EQ-T shifts by whole pixels
# (drawn up to an eighth of the image along each axis, then rounded), and
# the same measure with fractional shifts is called EQ-T_frac. Here the
# output is shifted as the input was (a roll, or each frequency's phase).
#
# A chain that is exactly equivariant scores infinity. The known answer
# first: a circular convolution commutes with whole-pixel shifts, and with
# whole-number weights and input every sum is exact in float64, in whatever
# order torch adds, so EQ-T is infinite.
from torch import nn

from upsample_helpers.alias_free import eq_t, squared_error

convolution = nn.Conv2d(8, 8, 3, padding=1, padding_mode="circular").double()
digits = torch.Generator().manual_seed(0)
with torch.no_grad():
    for parameter in (convolution.weight, convolution.bias):
        parameter.copy_(torch.randint(-3, 4, parameter.shape, generator=digits))
    whole = torch.randint(-9, 10, (1, 8, 16, 16), generator=digits).double()
    output = convolution(whole)
    moved_first = convolution(shift_right(whole, 1))
error = squared_error(moved_first, shift_right(output, 1), output)
print(f"whole numbers, moved 1 pixel: EQ-T {eq_t([error])} dB")
assert eq_t([error]) == float("inf")

# %%
# With real weights and the waves, the products at two positions are the
# same numbers, but nothing promises that torch's convolution adds them in
# the same order, so the sums may round differently, by an amount that can
# depend on the processor's kernels. So the check is a float limit: the
# score stays above 250 dB (float64 rounds at about 1e-16 of the values,
# 320 dB), for whole and for sub-pixel shifts.
from upsample_helpers.alias_free import FLOAT_LIMIT, measure

torch.manual_seed(0)
convolution = nn.Conv2d(8, 8, 3, padding=1, padding_mode="circular",
                        dtype=torch.float64)
for shift in (1.0, 0.5):
    above = eq_t([measure(convolution, 0, shift)]) > FLOAT_LIMIT
    print(f"real weights, moved {shift} pixel: above {FLOAT_LIMIT} dB: {above}")
    assert above

# %%
# Measured, stage by stage
# ------------------------
# Ten random draws per chain: the weights, the input's waves, and a shift
# drawn from 0.1 to 0.9 pixels. The first row is alias-free in every stage;
# each of the next swaps one stage for a plain one, and the last swaps all
# three (``nearest``, the nonlinearity unfiltered, every other sample). Each
# row prints EQ-T_frac pooled over the ten draws, as the paper pools them,
# with the EQ-T_frac of its lowest and highest single draw; then its
# difference from the alias-free chain, pooled, and the lowest and the
# highest difference on the same draw. The spread over draws is wide, so
# each ordering the next cells state is one that every draw agrees on,
# compared on the same draw, unless it says "pooled".
from upsample_helpers.alias_free import (
    ALIAS_FREE,
    ROWS,
    draw_errors,
    stage_table,
    sub_pixel_shift,
)

sub = {label: draw_errors({**ALIAS_FREE, **change}, sub_pixel_shift)
       for label, change in ROWS.items()}
print(stage_table(sub))

# %%
# A shift of one whole pixel, by contrast, leaves every chain equivariant to
# the float limit, on every draw: periodic maps, circulant filters and a
# pixelwise nonlinearity all commute with a shift of a whole number of
# samples, at every rate, and one pixel is two samples at the doubled
# rate, which taking every other sample keeps as one. Sub-pixel shifts are
# where the stages part.
from upsample_helpers.alias_free import one_pixel, per_draw

whole = {label: per_draw(draw_errors({**ALIAS_FREE, **change}, one_pixel))
         for label, change in ROWS.items()}
at_limit = all(scores.min() > FLOAT_LIMIT for scores in whole.values())
print(f"EQ-T, 1 pixel, over {FLOAT_LIMIT} dB, every chain and draw: {at_limit}")
assert at_limit

# %%
# Most plain stages cost equivariance (``bilinear`` is the exception, three
# cells below): a ``nearest`` or ``bicubic`` upsampler, the nonlinearity at the block's rate, and the ``area`` or
# every-other downsampler each score below the alias-free chain on every
# draw.
from upsample_helpers.alias_free import FIRST_ROW

gap = {label: per_draw(sub[label]) - per_draw(sub[FIRST_ROW]) for label in ROWS}
below = [label for label in ROWS if (gap[label] < 0).all()]
print("below the alias-free chain on every draw:", *below, sep="\n  ")
plain_stages = ("upsampler: nearest", "upsampler: bicubic",
                "nonlinearity unfiltered", "downsampler: area",
                "downsampler: every other")
assert all(label in below for label in plain_stages)

# %%
# Of the two plain downsamplers, taking every other sample costs more than
# ``area``, on every draw: it filters nothing, where ``area`` at least
# averages.

every_other = per_draw(sub["downsampler: every other"])
area = per_draw(sub["downsampler: area"])
print(f"every other below area, on every draw: {(every_other < area).all()}")
assert (every_other < area).all()

# %%
# A transposed convolution at initialisation, a random filter, costs the
# most of the upsamplers, pooled, and its difference
# from the alias-free chain varies the most of all rows from draw to draw.
import numpy as np

upsampler_rows = [label for label in ROWS if label.startswith("upsampler")]
lowest = min(upsampler_rows, key=lambda label: eq_t(sub[label]))
widest = max(ROWS, key=lambda label: np.ptp(gap[label]))
print(f"lowest pooled of the upsamplers: {lowest}")
print(f"the widest spread of differences: {widest}")
assert lowest == widest == "upsampler: transposed k4"

# %%
# All three plain stages at once score below every row with fixed filters
# (every row but the transposed convolution's), on every draw.
from upsample_helpers.alias_free import PLAIN_ROW

plain = per_draw(sub[PLAIN_ROW])
fixed = [per_draw(sub[label]) for label in ROWS
         if label not in (PLAIN_ROW, "upsampler: transposed k4")]
lowest = all((plain < scores).all() for scores in fixed)
print(f"all plain below every row of fixed filters, on every draw: {lowest}")
assert lowest

# %%
# And one swap goes the other way: ``bilinear`` (StyleGAN2's blur) scores
# *above* the alias-free chain, on every draw. The next section asks why.

above = gap["upsampler: bilinear"]
print(f"bilinear − alias-free: {above.min():+.1f} to {above.max():+.1f} dB")
assert (above > 0).all()

# %%
# Why bilinear scores above the Kaiser sinc
# -----------------------------------------
# Two measures for each fixed upsampler, in the same chains and draws (the
# other stages alias-free). First, the mirror images it lets through: the
# share of the upsampled maps' energy that lies above the old Nyquist
# frequency along either axis, the three blocks together, on the unshifted
# input (lowest–highest draw). Second, EQ-T_frac again with those images
# removed exactly from every upsampled map (by FFT): the chains then differ
# only in how their upsamplers respond within the old band. The last column
# is how much removing the images raises EQ-T_frac, pooled.
from upsample_helpers.alias_free import (
    DRAWS,
    ROW_OF,
    images_table,
    mirror_energy,
)

mirrors = {up: np.array([mirror_energy(up, draw) for draw in DRAWS])
           for up in ROW_OF}
removed = {up: draw_errors({**ALIAS_FREE, **ROWS[row]}, sub_pixel_shift,
                           images_removed=True) for up, row in ROW_OF.items()}
print(images_table(mirrors, sub, removed))

# %%
# In these chains ``bilinear`` lets *more* of its mirror images through than
# the Kaiser sinc, on every draw.

ratio = mirrors["bilinear"] / mirrors["Kaiser sinc"]
print("bilinear's mirror share over the Kaiser sinc's, draw by draw:",
      f"{ratio.min():.2f} to {ratio.max():.2f}")
assert (ratio > 1).all()

# %%
# With every image removed, it still scores above the Kaiser sinc on every
# draw. So its lead is not in the mirror images but in the response within
# the old band, the only difference left, where bilinear's falls off: it
# keeps 0.60 of the band's power where the Kaiser sinc keeps 0.84 (the
# filter lesson's table). On these chains EQ-T_frac rewards that blur.
from upsample_helpers.alias_free import (
    UPSAMPLERS,
    band_powers,
    frequency_response,
)

lead = per_draw(removed["bilinear"]) - per_draw(removed["Kaiser sinc"])
print("images removed, bilinear − Kaiser sinc:",
      f"{lead.min():+.1f} to {lead.max():+.1f} dB")
assert (lead > 0).all()
kept = [band_powers(frequency_response(*UPSAMPLERS[name]))[0]
        for name in ("bilinear", "Kaiser sinc")]
print(f"kept below 0.25: bilinear {kept[0]:.2f}, Kaiser sinc {kept[1]:.2f}")
assert f"{kept[0]:.2f} {kept[1]:.2f}" == "0.60 0.84"

# %%
# ``nearest`` is the other way: removing its mirror images raises its
# EQ-T_frac the most of the four.

rises = {up: eq_t(removed[up]) - eq_t(sub[row]) for up, row in ROW_OF.items()}
most = max(rises, key=rises.get)
print(f"removing the images raises EQ-T_frac the most for {most}")
assert most == "nearest"

# %%
# Each upsampler, with the nonlinearity at either rate
# ----------------------------------------------------
# The same measure for every upsampler with the nonlinearity at the block's
# rate and at twice it, filtered (the downsampler the Kaiser sinc in both):
# EQ-T_frac pooled, with its lowest and highest single draw. The last
# column is what filtering the nonlinearity buys: the pooled difference,
# and the lowest and highest difference on the same draw.
from upsample_helpers.alias_free import rates_table

NAMES = ("nearest", "bilinear", "bicubic", "Kaiser sinc",
         "transposed k4 (init)")
by_rate = {up: {f: draw_errors({**ALIAS_FREE, "upsampler": up, "filtered": f},
                               sub_pixel_shift) for f in (False, True)}
           for up in NAMES}
print(rates_table(by_rate))

# %%
# Filtering the nonlinearity raises EQ-T_frac on every draw for every
# upsampler, the transposed convolution's random one included. The paper's
# reason: a leaky ReLU makes harmonics above the rate's Nyquist frequency,
# which fold back as aliases unless the higher rate and the low-pass give
# them room and remove them, whatever the upsampler before it.

raised = all((per_draw(errors[True]) > per_draw(errors[False])).all()
             for errors in by_rate.values())
print(f"filtering raises every upsampler's, on every draw: {raised}")
assert raised

# %%
# Whole-pixel shifts stay at the float limit in every one of these chains
# too, on every draw.

lowest = min(
    per_draw(draw_errors({**ALIAS_FREE, "upsampler": up, "filtered": f},
                         one_pixel)).min()
    for up in NAMES for f in (False, True))
print(f"EQ-T, 1 pixel, above {FLOAT_LIMIT} dB in all: {lowest > FLOAT_LIMIT}")
assert lowest > FLOAT_LIMIT

# %%
# What sticks to the grid
# -----------------------
# Run one chain (draw 0) on the input moved a quarter of a pixel and on the
# input moved three quarters, move each output back by as much, and
# subtract: an equivariant chain leaves nothing, and what remains is detail
# tied to the pixel grid rather than to the content. One map per upsampler,
# the other stages alias-free, on one colour scale in units of the output's
# range. ``nearest``'s and the random transposed convolution's leave more
# than the Kaiser sinc's (by their RMS).
from upsample_helpers.alias_free import plot_what_sticks, what_sticks

maps = {name: what_sticks(name) for name in NAMES}
figure = plot_what_sticks(maps)
rms = {n: m.square().mean().sqrt().item() for n, m in maps.items()}
for name, value in rms.items():
    print(f"{name:<22} RMS {value:.1e}")
assert rms["nearest"] > rms["Kaiser sinc"]
assert rms["transposed k4 (init)"] > rms["Kaiser sinc"]

# %%
# The anchors: the paper's numbers, not reproduced here
# -----------------------------------------------------
# Quoted as the paper's EQ-T for whole trained generators on 512×512 AFHQv2
# images: StyleGAN2 13.83 dB, the translation-equivariant StyleGAN3-T
# 60.15 dB, the rotation-equivariant StyleGAN3-R 64.89 dB. EQ-T, in the
# paper's code release the whole-pixel measure (shifts along both axes, up
# to an eighth of the image), corresponds to this page's one-pixel measure,
# where every chain here, the all-plain one included, is at the float limit:
# that shift separates none of these periodic chains. Those generators have
# borders, learned weights and many more layers, and score images in
# [−1, 1]; none of that is here. Where the stages part here is EQ-T_frac:
# pooled over the draws, the three plain stages together cost 23 dB
# (rounded).

PAPER_EQ_T_AFHQV2 = {  # dB, quoted, not measured
    "StyleGAN2": 13.83, "StyleGAN3-T": 60.15, "StyleGAN3-R": 64.89}
for name, quoted in PAPER_EQ_T_AFHQV2.items():
    print(f"the paper's EQ-T on AFHQv2, {name}: {quoted} dB")
print(f"here, EQ-T (1 pixel) at the float limit in every chain: {at_limit}")
plain, alias_free = eq_t(sub[PLAIN_ROW]), eq_t(sub[FIRST_ROW])
print(f"EQ-T_frac pooled over {len(DRAWS)} draws: all plain {plain:.1f} dB,",
      f"alias-free {alias_free:.1f} dB")
print(f"the three plain stages together cost {alias_free - plain:.1f} dB")
assert at_limit and round(alias_free - plain) == 23
