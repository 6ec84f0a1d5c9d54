"""
Did the upsampling succeed? Quality on held-out digits
======================================================

Upsampling has succeeded when the result cannot be told from the true image. To have a true image, take
held-out digits, shrink each 28×28 → 14×14 with ``area`` (the mean of each 2×2 block) and bring it back to
28×28: with every 2D mode, and with three small learned upsamplers trained on other digits. Then compare
with the original by PSNR and SSIM, and ask what the numbers do not say.
"""

# %%
# The lessons share a few helpers (``lessons/helpers.py``); the next line finds them when a notebook runs
# from the repository root (from ``lessons/`` they are found anyway).
import sys

sys.path[:0] = ["lessons"]

import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from helpers import (
    ESPCN,
    SEEDS,
    TRAINING_DTYPE,
    clearly_below,
    fixed_upsampler,
    hide_ticks,
    psnr,
    save_for_readme,
    shrink,
    split_digits,
    ssim,
    train,
    visibly_off,
)
from skimage.metrics import structural_similarity

SMALL = 14  # the digits are shrunk to 14×14 and brought back to 28×28
EPOCHS, BATCH_SIZE, LEARNING_RATE = 4, 32, 5e-3
TRAIN_DIGITS, HELD_OUT_DIGITS = 1000, 1000

# %%
# The upsamplers
# --------------
# The fixed ones: every mode that works on 2D images, and ``lanczos`` (``F.interpolate`` only); the
# "clamped" rows cut the overshoot back to 0..1, as a picture would. The learned ones: ``ESPCN`` computes
# four values per small pixel with three convolutions and puts them in place with ``PixelShuffle(2)``;
# ``ESPCN, ICNR`` starts its last convolution with ICNR; ``bicubic + residual`` adds what it computes to a
# bicubic upsampling, so it only learns the correction. Each trains on 1,000 other digits, 4 epochs of Adam,
# in float64 on one thread, as the decoders do, with three seeds. Like the decoders page, this one prints the same at
# the processor's own kernel level and at ``ATEN_CPU_CAPABILITY=default`` (the project's CI compares the two).

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

train_digits, held_out = (digits.to(TRAINING_DTYPE) for digits in split_digits(TRAIN_DIGITS, HELD_OUT_DIGITS))
small = shrink(held_out, SMALL)
results = {"(all black)": [torch.zeros_like(held_out)]}  # for scale: what nothing at all scores
results |= {name: [upsample(small)] for name, upsample in FIXED.items()}
start = time.perf_counter()
for name, options in LEARNED.items():
    results[name] = []
    for seed in SEEDS:
        torch.manual_seed(seed)
        model = train(
            ESPCN(**options).to(TRAINING_DTYPE),
            shrink(train_digits, SMALL),
            train_digits,
            EPOCHS,
            seed,
            batch_size=BATCH_SIZE,
            learning_rate=LEARNING_RATE,
        )
        with torch.no_grad():
            results[name].append(model(small))
print(f"trained {len(LEARNED)} upsamplers × {len(SEEDS)} seeds in {time.perf_counter() - start:.0f} s")

# %%
# The measures
# ------------
# PSNR is ``10·log10(1/MSE)`` in dB for values in 0..1 (the mean over images, and over all pixels at once):
# every halving of the error adds 3 dB. SSIM is scikit-image's (7×7 windows; 1 is identical): it computes a
# local SSIM map and averages it over the inner 22×22 pixels only, leaving out a border of (7 − 1)/2 = 3 pixels
# where its window would reach past the image; the strokes column averages the same map over the digit's
# stroke pixels (where the original is not black, the border included). "Visibly off" is the share of pixels
# more than 0.1 (a tenth of black to white) away from the original. A learned row gives the mean over the
# seeds, and the lowest and highest seed of its PSNR.

scores = {
    name: [(*psnr(out, held_out), *ssim(out, held_out), visibly_off(out, held_out)) for out in outputs]
    for name, outputs in results.items()
}
print(f"{len(held_out)} held-out digits, 28×28 → {SMALL}×{SMALL} (area) → 28×28:")
print(
    f"{'upsampler':<20} {'PSNR dB':>8} {'(seeds)':>13} {'all pixels':>11} {'SSIM':>6} {'strokes':>8} "
    f"{'visibly off':>12}"
)
for name, rows in scores.items():
    mean = np.mean(rows, axis=0)
    seeds = f"{min(r[0] for r in rows):.2f}–{max(r[0] for r in rows):.2f}" if len(rows) > 1 else ""
    print(f"{name:<20} {mean[0]:>8.2f} {seeds:>13} {mean[1]:>11.2f} {mean[2]:>6.3f} {mean[3]:>8.3f} {mean[4]:>11.1%}")
background = (held_out == 0).double().mean().item()
print(f"background (black) pixels: {background:.0%} of the held-out digits")

# %%
# scikit-image's score is its map's mean over the inner 22×22 pixels, image by image; over all 28×28 pixels the
# same maps give other numbers, and another ranking (below).

WINDOW = 7
BORDER = (WINDOW - 1) // 2


def ssim_maps(output: torch.Tensor, target: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """scikit-image's SSIM of each image and its local SSIM map: (N,) scores and (N, 28, 28) maps."""
    pairs = [
        structural_similarity(true, out, data_range=1.0, win_size=WINDOW, full=True)
        for out, true in zip(output[:, 0].double().numpy(), target[:, 0].double().numpy(), strict=True)
    ]
    return np.array([score for score, _ in pairs]), np.stack([local for _, local in pairs])


in_border = np.ones((28, 28), dtype=bool)
in_border[BORDER:-BORDER, BORDER:-BORDER] = False
over_all_pixels, over_border = {}, {}
print(f"{'SSIM':<20} {'inner 22×22':>12} {'all 28×28':>10} {'border':>7}")
for name in ("(all black)", *FIXED):
    per_image, maps = ssim_maps(results[name][0], held_out)
    inner = maps[:, BORDER:-BORDER, BORDER:-BORDER].mean(axis=(1, 2))
    assert np.abs(per_image - inner).max() < 1e-12, name  # the score is the inner mean, image by image
    assert abs(per_image.mean() - scores[name][0][2]) < 1e-12, name  # and the table's SSIM column
    over_all_pixels[name], over_border[name] = float(maps.mean()), float(maps[:, in_border].mean())
    print(f"{name:<20} {per_image.mean():>12.3f} {over_all_pixels[name]:>10.3f} {over_border[name]:>7.3f}")
border_background = (held_out[:, 0][:, torch.from_numpy(in_border)] == 0).double().mean().item()
print(f"background (black) pixels in the {BORDER}-pixel border: {border_background:.1%}")

# %%
# Which upsampler?
# ----------------
# Among the fixed modes as torch returns them (unclamped), ``lanczos`` has the highest PSNR and ``bicubic``
# the next; clamping their overshoot back to 0..1 raises both their PSNR and their SSIM (the SSIM column; on
# the strokes alone, clamping lowers ``bicubic``'s a little), and ``lanczos, clamped`` has the highest PSNR of
# all fixed rows. At 2×, ``nearest``, ``nearest-exact`` and ``area`` give the same tensor. Every learned
# upsampler beats every fixed mode in PSNR on every seed, even with this small budget. So in a network, where
# the upsampler can learn, let it; to resize pictures with no training data, use ``lanczos`` or ``bicubic``,
# clamped.

measure = {
    name: {key: [row[k] for row in rows] for k, key in enumerate(("psnr", "all", "ssim", "strokes", "off"))}
    for name, rows in scores.items()
}
fixed_psnr = {name: measure[name]["psnr"][0] for name in FIXED}
unclamped = [name for name in FIXED if not name.endswith("clamped")]
assert sorted(unclamped, key=fixed_psnr.get, reverse=True)[:2] == ["lanczos", "bicubic"]
assert max(fixed_psnr, key=fixed_psnr.get) == "lanczos, clamped"
for mode in ("bicubic", "lanczos"):
    assert measure[f"{mode}, clamped"]["psnr"][0] > measure[mode]["psnr"][0]
    assert measure[f"{mode}, clamped"]["ssim"][0] > measure[mode]["ssim"][0]
assert 0 < measure["bicubic"]["strokes"][0] - measure["bicubic, clamped"]["strokes"][0] < 1e-3
assert torch.equal(results["nearest"][0], results["nearest-exact"][0])
assert torch.equal(results["nearest"][0], results["area"][0])
assert all(clearly_below([max(fixed_psnr.values())], measure[name]["psnr"]) for name in LEARNED)

# %%
# What the numbers do not say
# ---------------------------
# * SSIM on digits gets credit from the black background, most of the pixels: an all-black image, which
#   shows nothing of any digit, scores next to nothing on the strokes but well above 0 overall, and has fewer pixels
#   visibly off than ``bilinear``, whose blur spreads small errors over many pixels. The strokes column is
#   the harder test.
# * PSNR and SSIM can rank two upsamplers differently: ``bilinear`` has a higher PSNR than ``nearest`` and a
#   lower SSIM.
# * Which pixels SSIM averages matters as well: over all 28×28 pixels instead of scikit-image's inner 22×22,
#   ``nearest`` would rank above ``bicubic`` and ``lanczos`` (below both in the table), and the all-black image
#   would score nearly twice as much: over 99% of the border pixels are background, and there its map averages
#   more than three times its score over the inner pixels.
# * Did it succeed? Not by the standard above: every upsampler leaves pixels visibly off (the error rows of
#   the figure show where).

black = measure["(all black)"]
assert background > 0.5
assert black["strokes"][0] < 1e-3 and black["ssim"][0] > 0.1 and black["off"][0] < measure["bilinear"]["off"][0]
for mode in ("bicubic", "lanczos"):
    assert measure["nearest"]["ssim"][0] < measure[mode]["ssim"][0]
    assert over_all_pixels["nearest"] > over_all_pixels[mode]
assert 1.8 < over_all_pixels["(all black)"] / black["ssim"][0] < 2
assert border_background > 0.99 and over_border["(all black)"] > 3 * black["ssim"][0]
assert measure["bilinear"]["psnr"][0] > measure["nearest"]["psnr"][0]
assert measure["bilinear"]["ssim"][0] < measure["nearest"]["ssim"][0]
assert all(min(measure[name]["off"]) > 0.01 for name in results if name != "(all black)")

# %%
# The figure: three held-out digits, their 14×14 versions, and each shown upsampler's result (seed 0 for the
# learned ones) above its error.


def plot_quality(originals: torch.Tensor, results: dict[str, torch.Tensor], shown: int = 3):
    """For ``shown`` digits: the original, its 14×14 version and each SHOWN upsampler's result, above its error."""
    columns = {
        "original": originals,
        f"{SMALL}×{SMALL}": shrink(originals),
        **{name: results[name] for name in SHOWN if name in results},
    }
    figure, axes = plt.subplots(
        2 * shown, len(columns), figsize=(1.45 * len(columns) + 1.2, 2.9 * shown), layout="constrained", squeeze=False
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


figure = plot_quality(held_out.float(), {name: outputs[0].float() for name, outputs in results.items()})
save_for_readme(figure, "quality.png")
plt.show()
