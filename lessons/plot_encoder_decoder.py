"""
Upsampling in an encoder–decoder: skips at any size, masks and logits
=====================================================================

The original tutorial's use for upsampling is the decoder of an encoder–decoder, and a decoder that
meets skip connections is where upsampling most often breaks: a U-Net that works on 32×32 images stops
on 28×28 ones with "Sizes of tensors must match". This page finds the cause, runs every side from 20 to
40 through five ways out and measures where each puts the content. Then it turns the digits into a
segmentation task and asks what to upsample there: the label map, or the logits.
"""

# %%
# The error
# ---------
# A small U-Net: per level down, a convolution and a 2×2 max pooling; at the
# bottom, a convolution; per level up, the map is doubled with
# ``scale_factor=2``, concatenated with the encoder's map of that level (the
# skip connection) and convolved. Three levels take a 28×28 digit to 14, 7
# and 3: pooling 7 rows leaves 3, since the seventh row has no partner.
# Doubling 3 gives 6, and 6 rows cannot be concatenated with the skip's 7.
import textwrap

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import upsample_helpers as helpers
from upsample_helpers import encoder_decoder as ed

print("sides down:", " → ".join(str(28 // 2**k) for k in range(4)))
try:
    ed.UNet("scale_factor=2")(torch.zeros(1, 1, 28, 28))
except RuntimeError as error:
    message = str(error)
print(textwrap.fill(f"RuntimeError: {message}", 80))
assert "Sizes of tensors must match" in message

# %%
# The five ways out
# -----------------
# The decoder's doubled map has to meet the skip's size. It can be upsampled
# *to* that size instead of by a factor, as torchvision's
# ``FeaturePyramidNetwork`` does; or doubled and then padded (or cropped) to
# it, at the end, centred, or at the start; or the input itself can be
# padded at its end to a multiple of 2³ = 8, so that every pooling halves an
# even side, and the output cropped back. Here is each on a 3×3 map of the
# numbers 1 to 9 that must meet a 7×7 skip, by its middle column, top to
# bottom (a 0 is padding). The page's U-Net does the same through
# ``ed.meet_skip``.

deep = torch.arange(1.0, 10.0).reshape(1, 1, 3, 3)
skip = torch.zeros(1, 1, 7, 7)
doubled = F.interpolate(deep, scale_factor=2)  # 6×6
extra = skip.shape[-1] - doubled.shape[-1]  # 1
ways = {"size of the skip": F.interpolate(deep, size=skip.shape[-2:]),
        "pad at the end": F.pad(doubled, (0, extra, 0, extra)),
        "pad centred": F.pad(doubled, (extra // 2, extra - extra // 2) * 2),
        "pad at the start": F.pad(doubled, (extra, 0, extra, 0))}
for fix, met in ways.items():
    print(f"{fix:<17} {met[0, 0, :, 3].int().tolist()}")
    assert torch.equal(met, ed.meet_skip(deep, skip, fix))
padded = F.pad(torch.zeros(1, 1, 28, 28), (0, 4, 0, 4))  # 32, 16, 8, 4
print("pad the input:", tuple(padded.shape[-2:]))

# %%
# Which sides each way runs
# -------------------------
# Every side from 20 to 40, through the U-Net built each way.
# ``scale_factor=2`` runs only where the side is a multiple of 8: a side
# passes three poolings without meeting an odd side only if 2³ divides it,
# and 28 = 4 × 7 does not. Each way out runs at every side and gives back an
# output of the input's size (``ed.output_side`` runs the U-Net on a
# side×side input and returns its output's side, or None where it raises).

SIDES = range(20, 41)
runs = {fix: [side for side in SIDES if ed.output_side(fix, side) == side]
        for fix in ed.FIXES}
for fix, ran in runs.items():
    print(f"{fix:<17} runs at {len(ran):>2} sides"
          + (f": {ran}" if len(ran) < len(SIDES) else ""))
assert runs["scale_factor=2"] == [24, 32, 40]
assert all(len(runs[fix]) == len(SIDES) for fix in ed.FIXES[1:])

# %%
# Where each way puts the content
# -------------------------------
# Running is not the same as being right: the decoder must put what it
# brings up from the bottom back where it was. To see where, take the
# U-Net's convolutions out and keep only the upsampled half of each merge;
# what remains is the bottom path, pooling then upsampling. Send a one-pixel
# impulse through it at every row and find the centre of what comes out.
# ``nearest`` brings an impulse back as a block filling its whole 8-row
# bottom cell, so a single row's shift runs from −3.5 to +3.5; averaged over
# the cell's 8 rows that cancels, and what remains is the shift. The table
# gives it for the first and the last cell that reach the output
# (``first→last``). "lost" counts the last rows whose impulse never comes
# out: pooling an odd side drops its last row.

print(ed.shifts_table(SIDES))

# %%
# Padding at the end, or centred (the two agree here, since the difference
# is never more than one row), moves nothing. Padding at the start moves
# everything by ``side % 8`` pixels: a row padded in at a level whose pixels
# are 1, 2 or 4 rows wide moves the content by that many, and the levels
# with an odd side add up to ``side % 8``. Upsampling to the skip's size
# does nearly the same: torch's ``nearest`` reads source row ``floor(i · in
# / out)``, so the extra rows all go to the first cell, which is stretched
# over them (its shift is half of ``side % 8``), and past the first cell the
# output is exactly what padding at the start gives. The other four ways all
# lose those ``side % 8`` last rows from the bottom path: there the decoder
# has only the skip. Padding the input loses nothing and moves nothing, at
# the price of computing on up to 7 more rows and columns.

for side in SIDES:
    at = {fix: ed.impulse_shift(side, fix) for fix in ed.FIXES}
    odd, diagonal = side % 8, torch.eye(side)[None, None]
    assert torch.equal(ed.bottom_path(diagonal, "pad at the end"),
                       ed.bottom_path(diagonal, "pad centred"))
    assert at["pad at the end"].first == at["pad at the end"].last == 0
    assert at["pad at the start"].first == at["pad at the start"].last == odd
    assert at["size of the skip"].first == odd / 2
    assert at["size of the skip"].last == odd
    past = 8 + odd  # the rows and columns past the first cell
    size, start = (ed.bottom_path(diagonal, fix)[..., past:, past:]
                   for fix in ("size of the skip", "pad at the start"))
    assert torch.equal(size, start)
    assert all(at[fix].lost == odd for fix in ed.FIXES[1:5])
    assert at["pad the input"].lost == at["pad the input"].last == 0
print(f"checked at every side from {SIDES[0]} to {SIDES[-1]}")

# %%
# The figure: every side, every way; blank where the U-Net fails, the colour
# the largest shift, and the number in each cell the rows the bottom path
# loses.

shifts = {fix: [ed.impulse_shift(side, fix) for side in SIDES]
          for fix in ed.FIXES}
figure = ed.plot_sizes(SIDES, shifts)
plt.show()

# %%
# Digits to segment
# -----------------
# A segmentation task from the offline digits, with no download: each image
# is 40×40 with two digits at random places, and each pixel is labelled with
# its digit's class (strokes brighter than 0.5) or as background. Three
# classes, 0, 1 and 4, keep the task small enough for a tiny network to
# learn in seconds. The digits are split first, so the held-out images hold
# digits the training never saw. Most of every image is background, which is
# why segmentation is scored per label (below, by mean IoU): a segmenter
# that answers "background" everywhere is right about 89% of the pixels, and
# its mean IoU is that 0.89 for background and 0 for each digit, averaged
# over four labels.

pools = ed.digit_pools((1000, 150, 350))
train = ed.canvases(*pools[0], 1000, seed=0)
valid = ed.canvases(*pools[1], 100, seed=1)
held_out = ed.canvases(*pools[2], 300, seed=2)
parts = {"training": train, "validation": valid, "held out": held_out}
for name, (images, masks) in parts.items():
    shares = torch.bincount(masks.flatten(), minlength=4) / masks.numel()
    print(f"{name:<10} {tuple(images.shape)}, labels: "
          + ", ".join(f"{share:.1%}" for share in shares))
print("labels:", ", ".join(ed.LABELS))
everywhere_background = torch.zeros_like(held_out[1])
print(f"mean IoU of all background: "
      f"{ed.mean_iou(everywhere_background, held_out[1]):.3f}")

# %%
# Resizing a label map
# --------------------
# A segmenter whose output is smaller than its input is trained against its
# masks either way: the masks shrunk to the output's size, or its output
# enlarged to the masks'. First the masks. Here the 300 held-out masks are
# shrunk 40 → 10 in six ways, and two things are counted: pixels given a
# label that none of the 4×4 pixels they stand for has, and how far the
# labelled regions move (the mean shift of their centres, down and right, in
# pixels of the 40×40 mask).

masks = held_out[1]
resized, count, moved = {}, {}, {}
for mode, antialias in ed.SHRINKS:  # ("nearest", False), ...
    name = mode + (", antialias" if antialias else "")
    resized[name] = small = ed.resize_labels(masks, 10, mode, antialias)
    count[name] = ed.outside_neighbours(small, masks)
    moved[name] = ed.region_shift(small, masks)
    print(f"{name:<20} labels from outside: {count[name]:>5}, "
          f"regions move {moved[name]:+.2f} px")

# %%
# ``nearest`` copies the top-left pixel of each 4×4 block (index
# ``floor(4j)``), whose centre lies 1.5 pixels up and left of the block's
# centre, so the regions move down and right: by 1.49 pixels on average.
# ``nearest-exact`` copies pixel ``floor(4j + 2)``, half a pixel past the
# centre, and the regions move back by 0.52. Neither invents a label.
# Bilinear interpolation of the label *numbers*, then rounding, does:
# between background (0) and a 4 (label 3) it passes through 1 and 2, the
# labels of the digits 0 and 1. With ``antialias`` it averages over the
# whole block and beyond, and invents more than twice as many. One channel
# per label, interpolated, then the arg-max, invents none here, with or
# without ``antialias``, and moves the regions by less than a tenth of a
# pixel.

assert count["nearest"] == count["nearest-exact"] == 0
assert count["one-hot"] == count["one-hot, antialias"] == 0
assert count["bilinear, antialias"] > 2 * count["bilinear"] > 0
assert round(moved["nearest"], 2) == 1.49
assert round(moved["nearest-exact"], 2) == -0.52
assert abs(moved["one-hot"]) < 0.1 and abs(moved["one-hot, antialias"]) < 0.1
ratio = count["bilinear, antialias"] / count["bilinear"]
print(f"antialias invents {ratio:.1f}× as many labels")

# %%
# Enlarging a label map
# ---------------------
# The other direction, 10 → 40: ``nearest`` and ``nearest-exact`` copy
# labels and agree at this integer factor; bilinear-then-round again gives
# pixels labels that none of the 2×2 source pixels around them has, wherever
# two labels two or more apart meet (background and a 4, say).

small = resized["nearest-exact"]
enlarged = {mode: ed.resize_labels(small, 40, mode)
            for mode in ("nearest", "nearest-exact", "bilinear")}
for mode, large in enlarged.items():
    print(f"{mode:<14} labels from outside: "
          f"{ed.outside_neighbours(large, small):>6} "
          f"of {large.numel()} pixels")
assert torch.equal(enlarged["nearest"], enlarged["nearest-exact"])
assert ed.outside_neighbours(enlarged["nearest"], small) == 0
assert ed.outside_neighbours(enlarged["bilinear"], small) > 0

# %%
# The figure: the held-out image where bilinear-then-round invents the most
# labels, its mask, the mask shrunk in four of the ways, and below each, the
# pixels where it differs from the mask (the small ones enlarged with
# ``nearest`` to compare).

shown = max(range(len(masks)), key=lambda n: ed.outside_neighbours(
    resized["bilinear"][n:n + 1], masks[n:n + 1]))
print(f"held-out image {shown}: labels {masks[shown].unique().tolist()}")
drawn = ("nearest", "nearest-exact", "bilinear", "one-hot, antialias")
figure = ed.plot_masks(
    held_out[0][shown, 0],
    {"mask, 40×40": masks[shown]}
    | {f"{name}, 10×10": resized[name][shown] for name in drawn},
    reference="mask, 40×40")
helpers.save_for_readme(figure, "segmentation.png")
# sphinx_gallery_thumbnail_number = 2
plt.show()

# %%
# A tiny segmenter
# ----------------
# Now the logits. A segmenter of five convolutions computes one logit per
# label at 10×10, a quarter of the side. It is trained on the cross-entropy
# of its logits enlarged to 40×40 with bilinear interpolation
# (``align_corners=False``), as torchvision's segmentation models enlarge
# theirs: Adam, batches of 32, at most 12 epochs, keeping the epoch whose
# mean IoU on the validation images is highest. Three seeds, in float64 on
# one thread, as on every trained page here: this page prints the same at
# the processor's own CPU kernel level and at the default one (the project's
# CI compares them). Two of the three seeds score best on validation at
# their last epoch, so these are not the scores of converged segmenters:
# they compare ways of upsampling one trained segmenter. Trained this way,
# the segmenter never needs a shrunk mask: its loss compares enlarged logits
# with the full-size masks, so none of the label resizing above is in play.

trained = ed.train_and_measure(train, valid, held_out, epochs=12)
print(f"trained {len(helpers.SEEDS)} seeds in {trained.seconds:.0f} s "
      f"on {helpers.TRAINING_THREADS} thread")
print("epochs chosen on validation:", trained.epochs)
assert trained.epochs.count(12) == 2

# %%
# The mismatch
# ------------
# What does a mismatch of ``align_corners`` do? Enlarge a ramp of the small
# pixels' indices, 0 to 9, and read which (fractional) small pixel each of
# the 40 pixels samples. ``False`` places the small pixels' centres 4 pixels
# apart, from 1.5 to 37.5; ``True`` stretches them from 0 to 39. Near the
# centre the two read almost the same place; near the edges a segmenter
# trained one way and evaluated the other reads its logits up to 1.35 pixels
# of the 40×40 mask away from where it learned them.

ramp = torch.arange(10.0)[None, None]
read = {align: F.interpolate(ramp, size=40, mode="linear",
                             align_corners=align)[0, 0]
        for align in (False, True)}
for align, where in read.items():
    print(f"align_corners={align!s:<5} pixels 2, 20, 37 read "
          + ", ".join(f"{where[x]:.3f}" for x in (2, 20, 37)))
apart = (read[True] - read[False]).abs() * 4  # in pixels of the 40×40 mask
largest = torch.isclose(apart, apart.max()).nonzero().flatten().tolist()
print(f"largest difference: {apart.max():.2f} px, at pixels {largest}")
assert largest == [2, 37] and apart[19:21].max() < 0.05

# %%
# Masks or logits
# ---------------
# Each trained segmenter's held-out logits are brought to 40×40 three ways:
# arg-max at 10×10, then enlarge the mask with ``nearest``; enlarge the
# logits bilinearly, then arg-max; the same with ``align_corners=True``, a
# mismatch with training. Mean IoU is the intersection over union of each
# label's pixels over all 300 images, averaged over the four labels; the
# boundary score is the share of the true masks' boundary pixels labelled
# right. Each cell: the mean over the seeds (lowest–highest).

print(ed.scores_table(trained))

# %%
# Ranked only where every seed agrees (one way's worst seed above the
# other's best), all three orders hold on both scores: enlarging the logits
# beats enlarging the arg-max mask, matching ``align_corners`` to training
# beats mismatching it, and even mismatched logits beat the arg-max mask. An
# arg-max mask enlarged with ``nearest`` can change label only every 4
# pixels; logits enlarged, then arg-maxed, can change label at any pixel.

for score, values in (("IoU", trained.iou), ("boundary", trained.boundary)):
    held = [f"{a} > {b}" for a in ed.WAYS for b in ed.WAYS
            if helpers.clearly_below(values[b], values[a])]
    print(f"{score}, higher on every seed:\n  " + "\n  ".join(held))
    argmax_first, logits, mismatched = (values[way] for way in ed.WAYS)
    assert helpers.clearly_below(argmax_first, mismatched)
    assert helpers.clearly_below(mismatched, logits)

# %%
# What to take away. In a U-Net like this one (padded convolutions, 2×2
# pooling), "Sizes of tensors must match" means a pooling met an odd side.
# Padding the input to a multiple of 2 to the number of levels moves nothing
# and loses nothing; padding the doubled map at its end moves nothing and
# leaves the last ``side % 8`` rows to the skip alone. Upsampling to the
# skip's size, and padding at the start, move the bottom path's content by
# up to 7 pixels, by an amount that changes with the side. If masks must be
# shrunk, never interpolate their label numbers: ``nearest-exact`` invents
# no label but moves the regions by half a pixel, and one-hot channels
# invented none and moved them by under a tenth of a pixel here. A segmenter
# trained on its logits enlarged, as here, is best evaluated the same way,
# with the ``align_corners`` it was trained with: enlarging its arg-max mask
# lost on every seed.
