"""
1D and 3D: a signal's new samples, and a volume's new slices
============================================================

The same layer takes ``(N, C, L)`` signals with ``'linear'`` and
``(N, C, D, H, W)`` volumes with ``'trilinear'``; ``'nearest'``,
``'nearest-exact'`` and ``'area'`` take all three ranks. Where do the new
samples of a signal fall in time, and what is in the new depth slices of a
volume?
"""

# %%
# Which mode takes which rank
# ---------------------------
# The rank is the number of spatial dimensions after ``(N, C)``: 1 for a
# signal, 2 for an image, 3 for a volume. The modes that copy or average
# (``nearest``, ``nearest-exact``, ``area``) work in any rank; each
# interpolating mode is tied to one, and its name says which. ``ranks_taken``
# tries ``nn.Upsample`` in each rank:
from upsample_example import MODES
from upsample_helpers.ranks import ranks_taken

taken = {mode: ranks_taken(mode) for mode in MODES}
for mode, ranks in taken.items():
    print(f"{mode:<14}", ", ".join(f"{rank}D" for rank in ranks))
assert taken == {"nearest": [1, 2, 3], "nearest-exact": [1, 2, 3],
                 "linear": [1], "bilinear": [2], "bicubic": [2],
                 "trilinear": [3], "area": [1, 2, 3]}

# %%
# 1D: where the new samples fall
# ------------------------------
# Eight samples of one sine period, upsampled to 20. Input sample ``i`` sits
# at time ``i``. With the default ``align_corners=False``, each of the 20
# output samples covers 1/20 of the signal and sits at its centre, at
# ``(j + ½)·8/20 − ½``: 0.4 input samples apart, the first one 0.3 before the
# first input sample. With ``align_corners=True``, the first and last output
# samples sit exactly on the first and last input samples, ``7/19`` apart.
import torch

from upsample_helpers.ranks import sample_positions

for align_corners in (False, True):
    at = sample_positions(8, 20, align_corners)
    print(f"align_corners={align_corners}: samples at {at[0]:.2f}, "
          f"{at[1]:.2f}, ..., {at[-1]:.2f}, {at[1] - at[0]:.4f} apart")
    j = torch.arange(20, dtype=torch.float64)
    expected = j * 7 / 19 if align_corners else (j + 0.5) * 8 / 20 - 0.5
    torch.testing.assert_close(at, expected)
assert torch.isclose(at[1] - at[0], torch.tensor(7 / 19, dtype=torch.float64))

# %%
# A ``linear`` output sample is the signal interpolated at that time:
# NumPy's ``np.interp``, which joins the input samples with straight lines,
# gives the same values at the positions above.
import numpy as np

from upsample_example import UpsampleExample
from upsample_helpers.ranks import sampled_sine

signal = sampled_sine()  # (N, C, L) = (1, 1, 8)
for align_corners in (False, True):
    up = UpsampleExample(size=20, mode="linear", align_corners=align_corners)
    at = sample_positions(8, 20, align_corners).numpy()
    expected = np.interp(at, np.arange(8), signal[0, 0].numpy())
    same = np.allclose(up(signal)[0, 0].numpy(), expected, atol=1e-6)
    print(f"align_corners={align_corners}: linear equals np.interp: {same}")
    assert same

# %%
# Before the first input sample, at −0.3, and after the last, at 7.3, there
# is nothing to interpolate between: ``linear`` holds the end samples'
# values there, as ``np.interp`` does.

ends = UpsampleExample(size=20, mode="linear")(signal)[0, 0, [0, -1]]
print("outputs at -0.3 and 7.3:", [f"{v:+.4f}" for v in ends])
print("inputs 0 and 7:         ", [f"{v:+.4f}" for v in signal[0, 0, [0, -1]]])
assert torch.equal(ends, signal[0, 0, [0, -1]])

# %%
# The figure draws each variant's output samples at those positions on the
# input's time axis. ``nearest`` holds a copied value, drawn as steps: with
# 20 outputs for 8 inputs, it copies each input sample two or three times
# (upsampling a ramp of indices counts them), so the steps have unequal
# widths. ``linear`` puts every new sample on the straight line between two
# input samples; with ``align_corners=True`` the samples spread from the
# first input sample to the last.
import matplotlib.pyplot as plt

from upsample_helpers import save_for_readme
from upsample_helpers.ranks import plot_temporal

ramp = torch.arange(8.0).reshape(1, 1, 8)  # each sample's value is its index
copied = UpsampleExample(size=20, mode="nearest")(ramp)[0, 0].long()
copies = torch.bincount(copied).tolist()
print("nearest copies input samples 0..7:", copies, "times")
assert sorted(set(copies)) == [2, 3]
figure = plot_temporal(signal)
save_for_readme(figure, "temporal.png")
plt.show()

# %%
# 3D: a volume
# ------------
# Four digits stacked into a ``(D, H, W) = (4, 28, 28)`` volume are doubled
# in every dimension. ``nearest`` repeats each depth slice twice. Upsampling
# a volume whose slices hold their own depth shows where each new slice
# comes from:

depths = torch.arange(4.0).reshape(1, 1, 4, 1, 1).expand(1, 1, 4, 2, 2)
from_depth = UpsampleExample(scale_factor=2)(depths)[0, 0, :, 0, 0].tolist()
print("nearest, depth of each slice:", from_depth)
assert from_depth == [0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0]

# %%
# ``trilinear`` also interpolates along the depth. The 8 new slices sit at
# depths ``(j + ½)·4/8 − ½``. The first and last, at −0.25 and 3.25, fall
# outside the volume; they are clamped to it, and so are copies of the end
# digits. The 6 between blend the two digits on either side.

up = UpsampleExample(scale_factor=2, mode="trilinear")
from_depth = up(depths)[0, 0, :, 0, 0].tolist()
print("trilinear, slice positions:", sample_positions(4, 8).tolist())
assert sample_positions(4, 8)[[0, -1]].tolist() == [-0.25, 3.25]
print("trilinear, depth of each slice:", from_depth)
assert from_depth == [0.0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.0]

# %%
# On four real digits, slice 2, at depth 0.75, is a quarter of the first
# digit and three quarters of the second, doubled in height and width as
# ``bilinear`` doubles an image:
import torch.nn.functional as F

from upsample_helpers import sample_digits

volume = sample_digits(4)[:, 0]  # (D, H, W) = (4, 28, 28)
doubled = up(volume[None, None])[0, 0]  # (8, 56, 56)
blend = 0.25 * volume[0] + 0.75 * volume[1]  # (28, 28)
expected = F.interpolate(blend[None, None], scale_factor=2, mode="bilinear")
close = torch.allclose(doubled[2], expected[0, 0], atol=1e-6)
print("trilinear slice 2 is ¼ of digit 0 and ¾ of digit 1:", close)
assert close

# %%
# The figure puts each output slice under the input depth it lies at:
# column ``k`` holds input digit ``k``, then the two ``nearest`` slices
# around it (both copies of it), then the two ``trilinear`` slices around it
# (each a blend, except at the ends). In the blended slices two digits show
# at once, the fainter one weighted a quarter: new slices hold no new
# content, only mixtures of their neighbours. A scan with thick slices gains
# smoother transitions from ``trilinear``, not the detail between them.
from upsample_helpers.ranks import plot_volumetric

figure = plot_volumetric(volume)
save_for_readme(figure, "volumetric.png")
plt.show()
