"""
Upsampling inside a network: the checkerboard
=============================================

A decoder grows a small feature map back into an image. It can *upsample and then convolve* (a
resize-convolution), *learn* the upsampling with a transposed convolution, or compute four values per pixel
at the small size and let ``nn.PixelShuffle`` put them in place (sub-pixel convolution, the upsampling of
ESPCN, Shi et al. 2016). They differ in how evenly the kernel's taps cover the output, and in what their
initialisation leaves: a 2×2-periodic pattern, the checkerboard. Last, what upsampling does to gradients.
"""

# %%
# The lessons share a few helpers (``lessons/helpers.py``); the next line finds them when a notebook runs
# from the repository root (from ``lessons/`` they are found anyway).
import sys

sys.path[:0] = ["lessons"]

from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from helpers import (
    DOUBLING_BLOCKS,
    SEED,
    bilinear_init_,
    checkerboard,
    doubling_block,
    hide_ticks,
    high_pass,
    sample_digits,
    save_for_readme,
)
from torch import nn

from upsample_example import UpsampleExample

SEEDS = range(5)  # random initialisations averaged in the table

# %%
# Six ways to double a map
# ------------------------
# ``doubling_block(kind, channels_in, channels_out)`` in ``lessons/helpers.py`` builds six blocks; each maps
# ``(N, C, H, W)`` to ``(N, C', 2H, 2W)``. Four are these layers:

c, c2 = 16, 8  # channels in and out
resize_conv = nn.Sequential(UpsampleExample(scale_factor=2, mode="nearest"), nn.Conv2d(c, c2, kernel_size=3, padding=1))
transposed_k3 = nn.ConvTranspose2d(c, c2, kernel_size=3, stride=2, padding=1, output_padding=1)
transposed_k4 = nn.ConvTranspose2d(c, c2, kernel_size=4, stride=2, padding=1)  # the stride divides the kernel
sub_pixel = nn.Sequential(nn.Conv2d(c, 4 * c2, kernel_size=3, padding=1), nn.PixelShuffle(2))
print([tuple(block(torch.rand(1, c, 7, 7)).shape) for block in (resize_conv, transposed_k3, transposed_k4, sub_pixel)])

# %%
# The other two are the same layers with a chosen start: ``transposed k4 bilinear`` initialised to bilinear
# interpolation (``bilinear_init_``, as fully convolutional segmentation networks do), and ``sub-pixel ICNR``
# initialised with ICNR (``icnr_``, Aitken et al. 2017).
#
# Where the kernel lands
# ----------------------
# Set every weight to 1 and the bias to 0, and feed a constant input of ones: each output pixel then counts
# how many kernel taps land on it.


def tap_counts(kind: str, size: int = 8) -> torch.Tensor:
    """How many kernel taps land on each output pixel: every weight 1, no bias, a size×size input of ones."""
    block = doubling_block(kind, 1, 1)
    with torch.no_grad():
        for parameter in block.parameters():
            parameter.fill_(0.0 if parameter.dim() == 1 else 1.0)  # biases 0, weights 1
        return block(torch.ones(1, 1, size, size))[0, 0]  # (2·size, 2·size)


for kind in DOUBLING_BLOCKS:
    inside = tap_counts(kind)[2:-2, 2:-2]
    print(f"{kind:<22} taps inside the border: {sorted(set(inside.int().flatten().tolist()))}")
k3 = tap_counts("transposed k3")[2:-2, 2:-2]
assert {k3[0::2, 0::2].unique().item(), k3[0::2, 1::2].unique().item(), k3[1::2, 1::2].unique().item()} == {1, 2, 4}

# %%
# ``transposed k3`` spreads each input pixel over 3×3 outputs with a stride of 2, so rows and columns
# alternately receive 1 and 2 taps: inside the border a pixel gets 1, 2 or 4, by the parity of its row and
# column. ``transposed k4`` overlaps evenly: 4 taps everywhere inside. ``resize-conv`` convolves a map that is
# already 2× larger, and ``sub-pixel`` convolves the small map and spreads each pixel's four values over a
# 2×2 block: 9 taps everywhere inside for both.
#
# What a random initialisation leaves
# -----------------------------------
# Even overlap equalises the *number* of taps, not the weights. With random weights, every parity class of a
# transposed convolution's output sums a different subset of the kernel, so kernel 4 checkerboards a constant
# input just as kernel 3 does; and the four sub-pixel values of a default sub-pixel convolution come from four
# unrelated kernels. The ``checkerboard`` measure: inside a 2-pixel border, split the pixels into the four
# (row mod 2, column mod 2) classes; take each class's mean over every pixel of every image; then the
# population standard deviation of those four means over the population standard deviation of all the
# pixels, averaged over channels. 0 when the class means agree, 1 when all of the output is a 2×2-periodic
# pattern. Over five random initialisations (mean ± spread, the population standard deviation over seeds),
# for a 14×14 constant input and for 64 digits (in float64, so that rounding is not measured as a pattern):


def checkerboard_at_initialisation(
    kind: str, inputs: torch.Tensor, channels_out: int = 8, seeds: Sequence[int] = SEEDS, border: int = 2
) -> tuple[float, float]:
    """Mean and spread over seeds of ``checkerboard`` for freshly initialised blocks on ``inputs``.

    In float64: on a constant input a block that leaves no pattern gives a constant interior up to rounding,
    and float32's rounding, which depends on the processor's kernels, would be measured as a pattern.
    """
    scores = []
    for seed in seeds:
        torch.manual_seed(seed)
        block = doubling_block(kind, inputs.shape[1], channels_out).double()
        with torch.no_grad():
            scores.append(checkerboard(block(inputs.double()), border))
    values = torch.tensor(scores)
    return values.mean().item(), values.std(correction=0).item()


digits = sample_digits(64)
constant = torch.ones(1, 1, 14, 14)
table = {
    kind: [checkerboard_at_initialisation(kind, inputs) for inputs in (constant, digits)] for kind in DOUBLING_BLOCKS
}
print(f"{'block':<22} {'constant input':>16} {'64 digits':>16}")
for kind, scores in table.items():
    print(f"{kind:<22} " + " ".join(f"{mean:>9.3f} ± {spread:.3f}" for mean, spread in scores))
for kind in ("resize-conv", "transposed k4 bilinear", "sub-pixel ICNR"):
    assert all(mean < 5e-4 for mean, _ in table[kind])
for kind in ("transposed k3", "transposed k4", "sub-pixel"):
    assert table[kind][0][0] > 0.999 and table[kind][1][0] > 0.3

# %%
# A resize-convolution cannot pull the class means apart. After nearest doubling, each of the four parity
# classes of its output is the input filtered by a 2×2 kernel folded from the 3×3 one, and all four folded
# kernels have the same total weight; so on a constant input its interior is constant, and on digits the
# measure is 0 for every initialisation above. It can still make a pattern that the measure does not see:
# with the kernel column (−1, 1, 0), every odd output row is exactly 0.

block = doubling_block("resize-conv", 1, 1)
with torch.no_grad():
    block[1].weight.zero_()
    block[1].bias.zero_()
    block[1].weight[0, 0, :, 1] = torch.tensor([-1.0, 1.0, 0.0])
    rows = block(digits)
print(
    f"kernel column (−1, 1, 0): odd rows all 0: {bool((rows[..., 3:-2:2, :] == 0).all())}, "
    f"checkerboard below 0.001: {checkerboard(rows) < 1e-3}"
)
assert (rows[..., 3:-2:2, :] == 0).all() and checkerboard(rows) < 1e-3

# %%
# ICNR, exactly
# -------------
# PixelShuffle builds output channel ``c`` from the convolution's channels ``4c`` to ``4c + 3``, one per
# position in each 2×2 block. ICNR draws one kernel (and bias) per output channel, as a ``C_out``-channel
# convolution would be initialised, and gives it to all four. The block then *is* that convolution followed
# by nearest 2× upsampling (not nearest upsampling followed by the convolution: the order matters):

torch.manual_seed(SEED)
icnr_block = doubling_block("sub-pixel ICNR", 3, 2)
smaller = nn.Conv2d(3, 2, kernel_size=3, padding=1)
with torch.no_grad():
    smaller.weight.copy_(icnr_block[0].weight[::4])
    smaller.bias.copy_(icnr_block[0].bias[::4])
    x = torch.rand(2, 3, 7, 7, dtype=torch.float64)
    shuffled = icnr_block.double()(x)
    then_nearest = F.interpolate(smaller.double()(x), scale_factor=2, mode="nearest")
print(f"ICNR block equals (convolution, then nearest 2×) to 1e-12: {(shuffled - then_nearest).abs().max() < 1e-12}")
assert (shuffled - then_nearest).abs().max() < 1e-12

# %%
# Its checkerboard is 0 inside, but not at the border: the zero padding changes the outermost pixel of the
# small map, and the shuffle copies that pixel to two output pixels. That is why the measure leaves out 2
# pixels; inside a 1-pixel border:

mean, spread = checkerboard_at_initialisation("sub-pixel ICNR", constant, border=1)
print(f"sub-pixel ICNR on the constant input, measured inside a 1-pixel border instead of 2: {mean:.3f} ± {spread:.3f}")
assert mean > 0.1

# %%
# The bilinear start, exactly
# ---------------------------
# With the kernel (¼, ¾, ¾, ¼) ⊗ (¼, ¾, ¾, ¼) from each input channel to the same output channel, the
# transposed convolution equals ``F.interpolate(x, scale_factor=2, mode="bilinear")`` everywhere but the
# outermost rows and columns. There it gives ¾ of the interpolation (¾ · ¾ in the corners): it adds 0 for the
# pixels beyond the edge, where ``F.interpolate`` repeats the edge pixel.

bilinear_block = bilinear_init_(nn.ConvTranspose2d(1, 1, kernel_size=4, stride=2, padding=1)).double()
ones = torch.ones(1, 1, 6, 6, dtype=torch.float64)
with torch.no_grad():
    x = torch.rand(1, 1, 6, 6, dtype=torch.float64)
    inside = (bilinear_block(x) - F.interpolate(x, scale_factor=2, mode="bilinear"))[..., 1:-1, 1:-1]
    edge = bilinear_block(ones)[0, 0]
print(
    f"inside: bilinear to 1e-12: {inside.abs().max() < 1e-12}; on ones, the edge {edge[0, 5].item()}, "
    f"the corner {edge[0, 0].item()}"
)
assert inside.abs().max() < 1e-12 and edge[0, 5] == 0.75 and edge[0, 0] == 0.5625

# %%
# The figure: for each block, its tap counts (top), and one freshly initialised block on a digit (middle)
# above that output's high-pass view, the output minus its 3×3 local mean (bottom).


def plot_checkerboard(digit: torch.Tensor, seed: int = SEED):
    """Per block (columns): its tap counts, and one random block (``seed``) on a digit and that output's high-pass view.

    Panels of a row share one colour scale.
    """
    image = digit.reshape(1, 1, *digit.shape[-2:]).float()  # (1, 1, 28, 28)
    counts, outputs = {}, {}
    for kind in DOUBLING_BLOCKS:
        counts[kind] = tap_counts(kind)
        torch.manual_seed(seed)
        block = doubling_block(kind, 1, 1)
        with torch.no_grad():
            outputs[kind] = block(image)[0, 0]  # (56, 56)
    details = {kind: high_pass(output[None, None])[0, 0] for kind, output in outputs.items()}
    most_taps = max(count.max().item() for count in counts.values())
    low = min(output.min().item() for output in outputs.values())
    high = max(output.max().item() for output in outputs.values())
    limit = max(detail.abs().max().item() for detail in details.values())

    figure, axes = plt.subplots(3, len(DOUBLING_BLOCKS), figsize=(3.3 * len(DOUBLING_BLOCKS), 10), layout="constrained")
    for column, kind in enumerate(DOUBLING_BLOCKS):
        inside = sorted(set(counts[kind][2:-2, 2:-2].int().flatten().tolist()))  # away from the border
        taps = axes[0, column].imshow(counts[kind].numpy(), cmap="viridis", vmin=0, vmax=most_taps)
        axes[0, column].set_title(f"{kind}: {', '.join(map(str, inside))} taps inside", fontsize=9)
        values = axes[1, column].imshow(outputs[kind].numpy(), cmap="gray", vmin=low, vmax=high)
        axes[1, column].set_title(f"checkerboard {checkerboard(outputs[kind][None, None]):.2f}", fontsize=9)
        detail = axes[2, column].imshow(details[kind].numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
    # Each row is one view, named once at its left; the titles hold what differs from block to block.
    for ax, view in zip(
        axes[:, 0],
        ("taps per pixel,\n8×8 → 16×16", f"seed {seed}: a digit,\n28×28 → 56×56", "high-pass view\n(minus 3×3 mean)"),
        strict=True,
    ):
        ax.set_ylabel(view, fontsize=9)
    figure.colorbar(taps, ax=axes[0, :], shrink=0.8, label="taps per output pixel")
    figure.colorbar(values, ax=axes[1, :], shrink=0.8, label="output value")
    figure.colorbar(detail, ax=axes[2, :], shrink=0.8, label="output − local mean")
    hide_ticks(axes)
    figure.suptitle("Six ways to double a map: where the kernel lands, and what a freshly initialised one leaves")
    return figure


save_for_readme(plot_checkerboard(digits[0]), "checkerboard.png")

# %%
# Backward: what upsampling does to gradients
# -------------------------------------------
# Upsampling is linear, ``y = U x``, so its backward pass multiplies the output's gradient by ``Uᵀ``. For 2×
# ``nearest``, ``U`` copies each pixel into a 2×2 block, so ``Uᵀ`` sums each 2×2 block back: the gradient is
# 2×2 sum-pooling.

x = torch.rand(1, 1, 5, 7, requires_grad=True)
g = torch.rand(1, 1, 10, 14)  # the gradient arriving from above
UpsampleExample(scale_factor=2)(x).backward(g)
print(
    "nearest 2×: the gradient is 2×2 sum-pooling:", torch.allclose(x.grad, g.reshape(1, 1, 5, 2, 7, 2).sum(dim=(3, 5)))
)
assert torch.allclose(x.grad, g.reshape(1, 1, 5, 2, 7, 2).sum(dim=(3, 5)))

# %%
# For ``bilinear`` the backward pass is the adjoint of the forward map: ``⟨U x, y⟩ = ⟨x, Uᵀ y⟩`` for every
# ``x`` and ``y``, where ``Uᵀ y`` is what autograd returns:

up = UpsampleExample(size=(11, 13), mode="bilinear")
x = torch.rand(1, 1, 5, 6, dtype=torch.float64, requires_grad=True)
y = torch.rand(1, 1, 11, 13, dtype=torch.float64)
(ut_y,) = torch.autograd.grad(up(x), x, grad_outputs=y)
print("bilinear: ⟨U x, y⟩ equals ⟨x, Uᵀ y⟩ to rounding:", torch.isclose((up(x) * y).sum(), (x * ut_y).sum()).item())
assert torch.isclose((up(x) * y).sum(), (x * ut_y).sum())

plt.show()
