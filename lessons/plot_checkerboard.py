"""
Upsampling inside a network: the checkerboard
=============================================

A decoder grows a small feature map back into an image. It can *upsample and
then convolve* (a resize-convolution), *learn* the upsampling with a
transposed convolution, or compute four values per pixel at the small size
and let ``nn.PixelShuffle`` put them in place (sub-pixel convolution, the
upsampling of ESPCN, Shi et al. 2016). They differ in how evenly the
kernel's taps cover the output, and in what their initialisation leaves: a
2×2-periodic pattern, the checkerboard. Last, what upsampling does to
gradients.
"""

# %%
# Six ways to double a map
# ------------------------
# ``doubling_block(kind, channels_in, channels_out)`` in ``upsample_helpers``
# builds six blocks; each maps ``(N, C, H, W)`` to ``(N, C', 2H, 2W)``. Four
# are these layers, with the padding arguments that make each one exactly
# double its input (``output_padding=1`` for the transposed convolution with
# kernel 3):
import torch
from torch import nn

from upsample_example import UpsampleExample

c, c2 = 16, 8  # channels in and out
blocks = {
    "resize-conv": nn.Sequential(UpsampleExample(scale_factor=2),
                                 nn.Conv2d(c, c2, kernel_size=3, padding=1)),
    "transposed k3": nn.ConvTranspose2d(c, c2, kernel_size=3, stride=2,
                                        padding=1, output_padding=1),
    "transposed k4": nn.ConvTranspose2d(c, c2, kernel_size=4, stride=2,
                                        padding=1),
    "sub-pixel": nn.Sequential(nn.Conv2d(c, 4 * c2, kernel_size=3, padding=1),
                               nn.PixelShuffle(2)),
}
for kind, block in blocks.items():
    shape = tuple(block(torch.rand(1, c, 7, 7)).shape)
    print(f"{kind:<14} (1, {c}, 7, 7) → {shape}")
    assert shape == (1, c2, 14, 14)

# %%
# The other two are the same layers with a chosen start: ``transposed k4
# bilinear`` initialised to bilinear interpolation (``bilinear_init_``, as
# fully convolutional segmentation networks do), and ``sub-pixel ICNR``
# initialised with ICNR (``icnr_``, Aitken et al. 2017).
#
# Where the kernel lands
# ----------------------
# Set every weight to 1 and the bias to 0, and feed a constant input of
# ones: each output pixel then counts how many kernel taps land on it
# (``tap_counts``). ``transposed k3`` spreads each input pixel over 3×3
# outputs with a stride of 2, so rows and columns alternately receive 1 and
# 2 taps: inside the border a pixel gets 1, 2 or 4, by the parity of its row
# and column. ``transposed k4`` overlaps evenly: 4 taps everywhere inside.
# ``resize-conv`` convolves a map that is already 2× larger, and
# ``sub-pixel`` convolves the small map and spreads each pixel's four values
# over a 2×2 block: 9 taps everywhere inside for both.
from upsample_helpers import DOUBLING_BLOCKS
from upsample_helpers.doubling import tap_counts

inside = {kind: tap_counts(kind)[2:-2, 2:-2].int() for kind in DOUBLING_BLOCKS}
for kind, counts in inside.items():
    print(f"{kind:<22} taps inside the border: {counts.unique().tolist()}")
by_parity = [inside["transposed k3"][r::2, c::2].unique().tolist() for r, c in
             ((0, 0), (0, 1), (1, 0), (1, 1))]
print("transposed k3, taps by (row, column) parity 00, 01, 10, 11:", by_parity)
assert by_parity == [[1], [2], [2], [4]]
expected = {"resize-conv": 9, "transposed k4": 4, "transposed k4 bilinear": 4,
            "sub-pixel": 9, "sub-pixel ICNR": 9}
assert all(inside[k].unique().tolist() == [n] for k, n in expected.items())

# %%
# What a random initialisation leaves
# -----------------------------------
# Even overlap equalises the *number* of taps, not the weights. With random
# weights, every parity class of a transposed convolution's output sums a
# different subset of the kernel, so kernel 4 checkerboards a constant input
# just as kernel 3 does; and the four sub-pixel values of a default sub-pixel
# convolution come from four unrelated kernels.
#
# The ``checkerboard`` measure: inside a 2-pixel border, split the pixels
# into the four (row mod 2, column mod 2) classes; take each class's mean
# over every pixel of every image; then the population standard deviation of
# those four means over the population standard deviation of all the
# pixels, averaged over channels. 0 when the class means agree, 1 when all
# of the output is a 2×2-periodic pattern. Over five random initialisations
# (mean ± spread, the population standard deviation over seeds), for a 14×14
# constant input and for 64 digits (in float64, so that rounding is not
# measured as a pattern):
from upsample_helpers import sample_digits
from upsample_helpers.doubling import checkerboard_table, initial_checkerboard

digits = sample_digits(64)
constant = torch.ones(1, 1, 14, 14)
table = {kind: [initial_checkerboard(kind, x) for x in (constant, digits)]
         for kind in DOUBLING_BLOCKS}
print(checkerboard_table(table, ("constant input", "64 digits")))
for kind in ("resize-conv", "transposed k4 bilinear", "sub-pixel ICNR"):
    assert all(mean < 5e-4 for mean, _ in table[kind])
for kind in ("transposed k3", "transposed k4", "sub-pixel"):
    assert table[kind][0][0] > 0.999 and table[kind][1][0] > 0.3

# %%
# Why a resize-convolution cannot checkerboard
# --------------------------------------------
# After nearest doubling, each of the four parity classes of its output is
# the input filtered by a 2×2 kernel folded from the 3×3 one
# (``folded_kernels``), and all four folded kernels have the same total
# weight: the 3×3 kernel's. So on a constant input its interior is constant
# whatever the weights, and on any input the four classes are the same
# image filtered four ways that differ only in where the weight sits:
from upsample_helpers import SEED, doubling_block
from upsample_helpers.doubling import folded_kernels

torch.manual_seed(SEED)
block = doubling_block("resize-conv", 1, 1).double()
folded = folded_kernels(block[1].weight[0, 0])
totals = torch.stack([kernel.sum() for kernel in folded.values()])
print("the four folded kernels' totals:", [round(t.item(), 6) for t in totals])
print(f"the 3×3 kernel's total: {block[1].weight.sum():.6f}")
torch.testing.assert_close(totals, block[1].weight.sum().expand(4))
with torch.no_grad():
    interior = block(torch.ones(1, 1, 10, 10).double())[..., 1:-1, 1:-1]
spread = (interior.max() - interior.min()).item()
print("on a constant input, the interior's spread:", spread)
assert spread < 1e-12

# %%
# It can still make a pattern that the measure does not see. With the
# kernel column (−1, 1, 0), output row ``r`` is row ``r`` of the doubled map
# minus row ``r − 1``; on odd rows those are two copies of one input row, so
# every odd output row is exactly 0, while on these digits the class means
# still agree. A score of 0 rules out one kind of checkerboard, not every
# 2-pixel pattern.
from upsample_helpers import checkerboard

block = doubling_block("resize-conv", 1, 1)
with torch.no_grad():
    block[1].weight.zero_()
    block[1].bias.zero_()
    block[1].weight[0, 0, :, 1] = torch.tensor([-1.0, 1.0, 0.0])
    rows = block(digits)
odd_rows_zero = bool((rows[..., 3:-2:2, :] == 0).all())
print(f"kernel column (−1, 1, 0): odd rows all 0: {odd_rows_zero}, "
      f"checkerboard below 0.001: {checkerboard(rows) < 1e-3}")
assert odd_rows_zero and checkerboard(rows) < 1e-3

# %%
# ICNR, exactly
# -------------
# PixelShuffle builds output channel ``c`` from the convolution's channels
# ``4c`` to ``4c + 3``, one per position in each 2×2 block. ICNR draws one
# kernel (and bias) per output channel, as a ``C_out``-channel convolution
# would be initialised, and gives it to all four. The block then *is* that
# convolution followed by nearest 2× upsampling (not nearest upsampling
# followed by the convolution: the order matters):
import torch.nn.functional as F

torch.manual_seed(SEED)
icnr_block = doubling_block("sub-pixel ICNR", 3, 2).double()
smaller = nn.Conv2d(3, 2, kernel_size=3, padding=1).double()
with torch.no_grad():
    smaller.weight.copy_(icnr_block[0].weight[::4])
    smaller.bias.copy_(icnr_block[0].bias[::4])
    x = torch.rand(2, 3, 7, 7, dtype=torch.float64)
    then_nearest = F.interpolate(smaller(x), scale_factor=2, mode="nearest")
    gap = icnr_block(x) - then_nearest
print("ICNR block equals (convolution, then nearest 2×) to 1e-12:",
      bool(gap.abs().max() < 1e-12))
assert gap.abs().max() < 1e-12

# %%
# Its checkerboard is 0 inside, but not at the border: the zero padding
# changes the outermost pixel of the small map, and the shuffle copies that
# pixel to two output pixels. That is why the measure leaves out 2 pixels;
# inside a 1-pixel border:

mean, spread = initial_checkerboard("sub-pixel ICNR", constant, border=1)
print(f"sub-pixel ICNR on the constant input, inside a 1-pixel border: "
      f"{mean:.3f} ± {spread:.3f}")
assert mean > 0.1

# %%
# The bilinear start, exactly
# ---------------------------
# With the kernel (¼, ¾, ¾, ¼) ⊗ (¼, ¾, ¾, ¼) from each input channel to the
# same output channel, the transposed convolution equals
# ``F.interpolate(x, scale_factor=2, mode="bilinear")`` everywhere but the
# outermost rows and columns. There it gives ¾ of the interpolation (¾ · ¾ in
# the corners): it adds 0 for the pixels beyond the edge, where
# ``F.interpolate`` repeats the edge pixel.
from upsample_helpers import bilinear_init_

up = bilinear_init_(nn.ConvTranspose2d(1, 1, 4, stride=2, padding=1)).double()
with torch.no_grad():
    x = torch.rand(1, 1, 6, 6, dtype=torch.float64)
    gap = up(x) - F.interpolate(x, scale_factor=2, mode="bilinear")
    edge = up(torch.ones(1, 1, 6, 6, dtype=torch.float64))[0, 0]
print(f"inside, bilinear to 1e-12: {gap[..., 1:-1, 1:-1].abs().max() < 1e-12}")
assert gap[..., 1:-1, 1:-1].abs().max() < 1e-12
print(f"on ones, the edge {edge[0, 5].item()}, the corner {edge[0, 0].item()}")
assert edge[0, 5] == 0.75 and edge[0, 0] == 0.5625

# %%
# The figure: a row per block, with its tap counts, then one freshly
# initialised block on a digit, then that output's high-pass view, the output
# minus its 3×3 local mean, where a 2×2-periodic pattern stands out. The
# middle titles give each output's checkerboard: the transposed convolutions
# with a default start, and the default sub-pixel convolution, leave a fine
# grid; the resize-convolution and the two chosen starts score 0.00, as they
# do in the table above.
import matplotlib.pyplot as plt

from upsample_helpers import save_for_readme
from upsample_helpers.doubling import plot_checkerboard

figure = plot_checkerboard(digits[0])
save_for_readme(figure, "checkerboard.png")
plt.show()

# %%
# Backward: what upsampling does to gradients
# -------------------------------------------
# Upsampling is linear, ``y = U x``, so its backward pass multiplies the
# output's gradient by ``Uᵀ``. For 2× ``nearest``, ``U`` copies each pixel
# into a 2×2 block, so ``Uᵀ`` sums each 2×2 block back: the gradient is 2×2
# sum-pooling.

x = torch.rand(1, 1, 5, 7, requires_grad=True)
g = torch.rand(1, 1, 10, 14)  # the gradient arriving from above
UpsampleExample(scale_factor=2)(x).backward(g)
pooled = g.reshape(1, 1, 5, 2, 7, 2).sum(dim=(3, 5))
print("nearest 2×, the gradient is 2×2 sum-pooling:",
      torch.allclose(x.grad, pooled))
assert torch.allclose(x.grad, pooled)

# %%
# For ``bilinear`` the backward pass is the adjoint of the forward map:
# ``⟨U x, y⟩ = ⟨x, Uᵀ y⟩`` for every ``x`` and ``y``, where ``Uᵀ y`` is what
# autograd returns. This is the dot-product test: it checks the backward
# pass of any linear layer without writing its matrix down.

up = UpsampleExample(size=(11, 13), mode="bilinear")
x = torch.rand(1, 1, 5, 6, dtype=torch.float64, requires_grad=True)
y = torch.rand(1, 1, 11, 13, dtype=torch.float64)
(ut_y,) = torch.autograd.grad(up(x), x, grad_outputs=y)
same = torch.isclose((up(x) * y).sum(), (x * ut_y).sum()).item()
print("bilinear: ⟨U x, y⟩ equals ⟨x, Uᵀ y⟩ to rounding:", same)
assert same
