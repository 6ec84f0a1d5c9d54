"""
Did the upsampling succeed? Quality on held-out digits
======================================================

Upsampling has succeeded when the result cannot be told from the true image. To have a true image, take
held-out digits, shrink each 28×28 → 14×14 with ``area`` (the mean of each 2×2 block) and bring it back to
28×28: with every 2D mode, and with five small learned upsamplers, two of them content-aware (CARAFE and
DySample), trained on other digits until they stop improving. Then compare with the original by PSNR and
SSIM, and ask what the numbers do not say.
"""

# %%
# The fixed upsamplers
# --------------------
# Every mode that works on 2D images, and ``lanczos`` (``F.interpolate``
# only); the "clamped" rows cut the overshoot back to 0..1, as a picture
# would. An all-black image joins them, for scale: what showing nothing at
# all scores.
#
# Shrinking first is what gives every result a true image to be compared
# with. It also fixes what the learned upsamplers learn: to undo *this*
# shrinking (2×2 means) on *these* images (digits). A learned upsampler is
# only as general as the pairs it was trained on; the fixed modes are fitted
# to no images (each assumes only its own interpolation kernel).
import itertools
import textwrap

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import upsample_helpers as helpers
from upsample_helpers import content_aware, quality

FIXED, LEARNED, SMALL = quality.FIXED, quality.LEARNED, quality.SMALL
digits, held_out = helpers.split_digits(2300, 1000)
digits = digits.to(helpers.TRAINING_DTYPE)
held_out = held_out.to(helpers.TRAINING_DTYPE)
train_digits, valid = digits[:2000], digits[2000:]
small = helpers.shrink(held_out, SMALL)
results = {"(all black)": [torch.zeros_like(held_out)]}
results |= {name: [upsample(small)] for name, upsample in FIXED.items()}
print(textwrap.fill("fixed: " + "; ".join(FIXED), 80, subsequent_indent="  "))

# %%
# Where ``grid_sample`` samples
# -----------------------------
# ``F.grid_sample(input, grid)`` reads the input at any positions you give
# it, in normalised coordinates: −1 is the left (top) end of the image and 1
# the right (bottom) end. Which ends, depends on ``align_corners``: with
# ``True``, −1 and 1 are the centres of the first and last pixels; with
# ``False``, their outer edges, half a pixel beyond the centres. So the same
# pixel has two different coordinates. Here are the centres of the four
# pixels of a row:

for align_corners in (True, False):
    centres = content_aware.normalised(torch.arange(4.0), 4, align_corners)
    rounded = [round(x, 3) for x in centres.tolist()]
    print(f"align_corners={align_corners!s:<5}: pixel centres at {rounded}")

# %%
# ``F.interpolate``'s bilinear mode is ``grid_sample`` on a grid of its own:
# output pixel *i* reads input position ``(i + 0.5)·in/out − 0.5`` (the
# half-pixel rule, ``align_corners=False``) or ``i·(in − 1)/(out − 1)``
# (``True``). Put those positions on the grid, in the same
# ``align_corners``' coordinates. One more setting matters: doubling with
# the half-pixel rule, the first output pixel reads position −0.25, a
# quarter of a pixel outside the image. ``F.interpolate`` repeats the edge
# pixel there; ``grid_sample`` mixes in zeros with its default
# ``padding_mode="zeros"``, and repeats the edge with ``"border"``:

positions = content_aware.source_positions(SMALL, 28, align_corners=False)
print("half-pixel rule, first and last positions:", positions[[0, -1]].tolist())
for align_corners in (False, True):
    corners = {"align_corners": align_corners}
    grid = content_aware.bilinear_grid((SMALL, SMALL), (28, 28), **corners)
    grid = grid.to(small.dtype).expand(len(small), -1, -1, -1)
    resized = F.interpolate(small, size=28, mode="bilinear", **corners)
    for padding in ("zeros", "border"):
        sampled = F.grid_sample(small, grid, padding_mode=padding, **corners)
        difference = (sampled - resized).abs().max().item()
        print(f"align_corners={align_corners!s:<5}, {padding:<6} padding: "
              f"largest difference {difference:.1e}")
        assert (difference < 1e-14) == (padding == "border" or align_corners)

# %%
# With ``padding_mode="border"`` the two agree on every held-out digit to
# the last bits of float64; with ``align_corners=True`` no position falls
# outside, and the padding does not matter.

# %%
# The learned upsamplers
# ----------------------
# ``ESPCN`` computes features from the 14×14 image with two convolutions (8
# channels), then four values per small pixel with a third, and puts them in
# place with ``PixelShuffle(2)``. ``bicubic + residual`` adds what ESPCN
# computes to a bicubic upsampling, so it only learns the correction.
#
# The other three share ESPCN's first two layers and compute one grey map at
# 14×14 from the features; they differ in how they enlarge that map.
# ``features, bilinear`` enlarges it bilinearly (``align_corners=False``):
# the same network with a fixed upsampler. ``CARAFE`` (Wang et al., 2019)
# predicts, for every output pixel, a 3×3 kernel from the features, makes
# its weights positive and summing to 1 (a softmax), and takes that weighted
# mean of the 3×3 neighbourhood around the small pixel the output pixel lies
# in. ``DySample`` (Liu et al., 2023) predicts, for every output pixel, an
# offset from the position bilinear upsampling reads (a quarter of a 1×1
# convolution of the features) and reads the grey map there with bilinear
# ``grid_sample``. Its offsets start at zero, so an untrained DySample
# enlarges as ``features, bilinear`` does (to the last bits of float64):
# what training adds is where to read. Both are written in
# ``upsample_helpers/content_aware.py`` with ``unfold`` and ``grid_sample``.
# Their papers enlarge detectors' feature maps of many channels: CARAFE
# there predicts 5×5 kernels through a 64-channel compressor and a 3×3
# encoder, and DySample splits the channels into 4 groups, each with offsets
# of its own.

for name, build in LEARNED.items():
    print(f"{name:<19} {quality.parameters(build()):>5} parameters")

# %%
# Training until it stops improving
# ---------------------------------
# The page draws 3,300 digits from the offline sample: 1,000 are held out,
# and no training or choice of epoch sees them, only the measurements below;
# of the other 2,300, 2,000 are trained on and 300 validate. Training uses
# each digit's central 20×20 pixels, where nearly all the ink is (printed
# below), shrunk the same way; the validation PSNR is measured on whole
# digits after every epoch.
#
# The schedule is decided on validation alone. Adam starts at a learning
# rate of 0.01; two epochs in a row that do not beat the best validation
# PSNR so far by more than 0.02 dB halve it, and the third halving ends
# training. The weights kept are those of the best epoch. Every upsampler
# trains with three seeds (a seed picks the initial weights and the order of
# the batches), and a ranking is stated below only where every seed agrees.
# Training runs in float64 with one thread per training (two trainings at a
# time, one per core), and after every step each weight is rounded to the
# nearest float32: torch's CPU kernel levels can round a float64 result
# differently in the last bit, and thousands of steps can carry such a
# difference into the printed digits. So this page prints the same numbers
# (its measured times aside) at the processor's own kernel level and at
# ``ATEN_CPU_CAPABILITY=default`` (the project's CI compares the two).

crop = digits[:, :, quality.CROP, quality.CROP]
print(f"ink inside the central 20×20: {crop.sum() / digits.sum():.1%}")
fits, seconds = quality.train_learned(train_digits, valid)
print(quality.kept_table(fits))
print(f"trained every upsampler and seed in {seconds:.0f} s")

# %%
# The learning curves show where each one levels off; a dot marks the epoch
# whose weights the table below uses, and the dashed line is bicubic's
# validation PSNR, for scale.

bicubic_valid = helpers.psnr(FIXED["bicubic"](helpers.shrink(valid)), valid)[0]
figure = quality.plot_curves(fits, ("bicubic", bicubic_valid))
plt.show()

# %%
# The measures
# ------------
# PSNR is ``10·log10(1/MSE)`` in dB for values in 0..1, the mean over images
# ("pooled": over all pixels at once); every halving of the mean squared
# error adds 3 dB. SSIM is scikit-image's (7×7 windows; 1 is identical): it
# computes a local SSIM map and averages it over the inner 22×22 pixels
# only, leaving out a border of (7 − 1)/2 = 3 pixels where its window would
# reach past the image. The strokes column averages the same map over the
# digit's stroke pixels (where the original is not black, the border
# included). "Off" is the share of pixels more than 0.1 (a tenth of black to
# white) away from the original. A learned row gives the mean over the
# seeds, and the lowest and highest seed's PSNR. "Params" counts what
# training sets; "time" is per image: the median time for all 1,000 held-out
# digits, in batches of 100 on one thread, divided by 1,000.
#
# Why two PSNRs? The mean of per-image PSNRs rewards images that are already
# good (each halving of a small error adds as much as a halving of a large
# one); the pooled PSNR is dominated by the worst images. Since the
# logarithm is concave, the pooled PSNR is never above the mean one. For
# scale: 20 dB is a root-mean-square error of a tenth of black to white
# (10·log10(1/0.1²) = 20), 30 dB of about a thirtieth.

for name, runs in fits.items():
    results[name] = [quality.in_batches(run.model, small) for run in runs]
measure = quality.measure_all(results, held_out)
sizes = {name: quality.parameters(runs[0].model) for name, runs in fits.items()}
upsamplers = {**FIXED, **{name: runs[0].model for name, runs in fits.items()}}
times = {name: quality.microseconds_per_image(upsample, small)
         for name, upsample in upsamplers.items()}
print(f"{len(held_out)} held-out digits, 28×28 → 14×14 (area) → 28×28:")
print(quality.scores_table(measure, sizes, times))
background = (held_out == 0).double().mean().item()
print(f"background (black) pixels: {background:.0%} of the held-out digits")

# %%
# Which pixels SSIM averages
# --------------------------
# scikit-image's score is its map's mean over the inner 22×22 pixels, image
# by image. Over all 28×28 pixels the same maps give other numbers, and
# (below) another ranking. The helper checks, image by image, that the score
# really is the inner mean; the assert, that it is the table's SSIM column.

names = ("(all black)", *FIXED)
regions = quality.ssim_by_region(results, held_out, names)
print(quality.regions_table(regions))
for name in names:
    assert abs(regions[name]["score"] - measure[name]["ssim"][0]) < 1e-12
over_all = {name: region["all"] for name, region in regions.items()}
over_border = {name: region["border"] for name, region in regions.items()}

# %%
# Which upsampler?
# ----------------
# Among the fixed modes as torch returns them (unclamped), ``lanczos`` has
# the highest PSNR and ``bicubic`` the next. Clamping their overshoot back
# to 0..1 raises both their PSNR and their SSIM, and ``lanczos, clamped``
# has the highest PSNR of all fixed rows.
#
# That clamping cannot raise the squared error follows from where the truth
# lies: every original pixel is in 0..1, so moving a value from outside that
# range to its nearest end moves it towards the truth, never away. SSIM
# compares local means, contrasts and correlations instead, and has no such
# guarantee.

psnr = {name: values["psnr"][0] for name, values in measure.items()}
unclamped = [n for n in FIXED if not n.endswith("clamped")]
best_two = sorted(unclamped, key=psnr.get, reverse=True)[:2]
print("best unclamped:", best_two)
assert best_two == ["lanczos", "bicubic"]
print("best fixed:", max(FIXED, key=psnr.get))
assert max(FIXED, key=psnr.get) == "lanczos, clamped"
for mode in ("bicubic", "lanczos"):
    for key in ("psnr", "ssim"):
        assert measure[f"{mode}, clamped"][key][0] > measure[mode][key][0]

# %%
# At 2×, ``nearest``, ``nearest-exact`` and ``area`` give the same tensor:
# each copies a small pixel into a 2×2 block. (``area`` averages the input
# over each output pixel's footprint; enlarging by a whole factor, every
# footprint lies inside one input pixel, so the average is that pixel.)

nearest = results["nearest"][0]
same = [torch.equal(nearest, results[m][0]) for m in ("nearest-exact", "area")]
print("nearest = nearest-exact, nearest = area:", same)
assert same == [True, True]

# %%
# Trained until they stop improving, the learned upsamplers are in another
# league: every seed of ESPCN, ``bicubic + residual``, CARAFE and DySample
# is more than 4 dB above the best fixed mode. The content-aware ones show
# what choosing by content adds: the same network that enlarges its grey map
# bilinearly stays level with the best fixed modes, under 21 dB, while
# DySample, which differs from it only in where it reads, is more than 4 dB
# higher on every seed, and CARAFE higher again. Among the four, every seed
# gives the same order: ``bicubic + residual``, ESPCN, CARAFE, DySample;
# ESPCN's lowest seed and CARAFE's highest are the closest pair (printed
# below).

best_fixed = max(psnr[name] for name in FIXED)
by_seed = {name: measure[name]["psnr"] for name in LEARNED}
print(f"best fixed: {best_fixed:.2f} dB; the lowest seed of each learned one:")
for name in LEARNED:
    print(f"  {name:<19}{min(by_seed[name]):.2f} dB")
for name in ("ESPCN", "bicubic + residual", "CARAFE", "DySample"):
    assert min(by_seed[name]) > best_fixed + 4
control = by_seed["features, bilinear"]
assert max(control) < 21 and max(abs(v - best_fixed) for v in control) < 0.15
assert min(by_seed["DySample"]) > max(control) + 4
assert helpers.clearly_below(by_seed["DySample"], by_seed["CARAFE"])
order = ("DySample", "CARAFE", "ESPCN", "bicubic + residual")
gaps = {}
for low, high in itertools.pairwise(order):
    gaps[high, low] = min(by_seed[high]) - max(by_seed[low])
    print(f"{high}'s lowest seed − {low}'s highest: {gaps[high, low]:.2f} dB")
assert min(gaps.values()) > 0 and min(gaps, key=gaps.get) == ("ESPCN", "CARAFE")

# %%
# What the numbers do not say
# ---------------------------
# SSIM on digits gets credit from the black background, which is most of the
# pixels: the all-black image, which shows nothing of any digit, scores next
# to nothing on the strokes but well above 0 overall, and has fewer pixels
# off than ``bilinear``. The strokes column is the harder test. And PSNR and
# SSIM can rank two upsamplers differently: ``bilinear`` has a higher PSNR
# than ``nearest`` and a lower SSIM.

black = measure["(all black)"]
ssim_black, bilinear = black["ssim"][0], measure["bilinear"]
print(f"all black: strokes {black['strokes'][0]:.4f}, SSIM {ssim_black:.3f}, "
      f"off {black['off'][0]:.1%}; bilinear: off {bilinear['off'][0]:.1%}")
assert background > 0.5
assert black["strokes"][0] < 1e-3 and ssim_black > 0.1
assert black["off"][0] < bilinear["off"][0]
assert psnr["bilinear"] > psnr["nearest"]
assert bilinear["ssim"][0] < measure["nearest"]["ssim"][0]

# %%
# Which pixels SSIM averages matters as well: over all 28×28 pixels instead
# of scikit-image's inner 22×22, ``nearest`` would rank above ``bicubic``
# and ``lanczos`` (below both in the table), and the all-black image would
# score nearly twice as much: over 99% of the border pixels are background,
# and there its map averages more than three times its score over the inner
# pixels.

for mode in ("bicubic", "lanczos"):
    assert measure["nearest"]["ssim"][0] < measure[mode]["ssim"][0]
    assert over_all["nearest"] > over_all[mode]
ratio = over_all["(all black)"] / ssim_black
print(f"all black, all pixels / inner: {ratio:.2f}")
assert 1.8 < ratio < 2
border = torch.ones(28, 28, dtype=torch.bool)
border[3:-3, 3:-3] = False
border_pixels = held_out[:, 0][:, border]
print(f"background in the border: {(border_pixels == 0).double().mean():.1%}")
assert (border_pixels == 0).double().mean() > 0.99

# %%
# Do the learned ones invent strokes?
# -----------------------------------
# Cut every image into pieces of ink: pixels at least half-way from black to
# white, where pixels that touch (diagonally too) make one piece. A piece of
# a result that shares no pixel with the original's ink is *invented*; a
# piece of the original that the result has no ink on is *missed*. The
# learned rows give each seed's count, over all 1,000 held-out digits.

pieces = {name: [quality.stroke_pieces(out, held_out) for out in outputs]
          for name, outputs in results.items() if name != "(all black)"}
original = quality.stroke_pieces(held_out, held_out)
print(f"the originals: {original[0]} pieces")
print(quality.pieces_table(pieces))

# %%
# Invented pieces are rare: fewer than 20 in 1,000 digits in every row, and
# the most of them in ``bilinear, corners``. Every learned upsampler, on
# every seed, misses fewer pieces than every fixed mode, and ends with a
# number of pieces closer to the originals'; every fixed mode's results have
# more pieces than the originals.

invented = {name: max(c[1] for c in counts) for name, counts in pieces.items()}
missed = {name: [c[2] for c in counts] for name, counts in pieces.items()}
count_gap = {name: [abs(c[0] - original[0]) for c in counts]
             for name, counts in pieces.items()}
most_missed_learned = max(max(missed[name]) for name in LEARNED)
fewest_missed_fixed = min(min(missed[name]) for name in FIXED)
print(f"missed: at most {most_missed_learned} (learned, any seed), "
      f"at least {fewest_missed_fixed} (fixed)")
assert max(invented, key=invented.get) == "bilinear, corners"
assert max(invented.values()) < 20
assert most_missed_learned < fewest_missed_fixed
for name in LEARNED:
    assert max(count_gap[name]) < min(min(count_gap[fixed]) for fixed in FIXED)
assert all(count[0] > original[0] for fixed in FIXED for count in pieces[fixed])

# %%
# Did it succeed? Not by the standard above: every upsampler leaves more
# than 1% of the pixels visibly off. The figure shows where: three held-out
# digits, their 14×14 versions, and each shown upsampler's result (seed 0
# for the learned ones) above its error. In the error rows, red is where the
# result is brighter than the original and blue where it is darker.

offs = {n: min(v["off"]) for n, v in measure.items() if n != "(all black)"}
fewest = min(offs, key=offs.get)
print(f"fewest pixels off: {offs[fewest]:.1%} ({fewest})")
assert min(offs.values()) > 0.01
firsts = {name: outputs[0].float() for name, outputs in results.items()}
figure = quality.plot_quality(held_out.float(), firsts)
helpers.save_for_readme(figure, "quality.png")
# sphinx_gallery_thumbnail_number = 2
plt.show()
