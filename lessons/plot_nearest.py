"""
Which pixel ``nearest`` copies, and where that moves the image
==============================================================

``nearest`` and ``nearest-exact`` both copy one input pixel into each output
pixel, but not the same one. This page reads off torch which pixel each
copies, how far that moves the image, where ``nearest-exact`` meets exact
ties, how float32 rounding moves ``nearest`` even at whole factors, and
which mode keeps a mask in place.
"""

# %%
# Which pixel each mode copies
# ----------------------------
# Treat input pixel ``i`` as the interval ``[i, i + 1)``. Output pixel ``d``
# of ``n_out`` covers ``[d·s, (d + 1)·s)`` with ``s = n_in/n_out``.
# ``nearest`` copies the input pixel under its start, ``⌊d·s⌋``;
# ``nearest-exact`` the one under its centre, ``⌊(d + ½)·s⌋``.
# Neither is wrong: they are two conventions, and a model should be run with
# the one it was trained with. ``source_indices`` upsamples a ramp whose
# values are their own indices, 0, 1, ..., 27, so that each output's value
# names the pixel it copies:
from upsample_helpers.nearest import source_indices

start = source_indices(28, 42, "nearest")
centre = source_indices(28, 42, "nearest-exact")
print("nearest       28→42 copies input pixels", start[:9], "...")
assert start == [d * 28 // 42 for d in range(42)]
print("nearest-exact 28→42 copies input pixels", centre[:9], "...")
assert centre == [(2 * d + 1) * 28 // (2 * 42) for d in range(42)]

# %%
# The figure draws it for 8 → 12, the ratio of 28 → 42 with fewer pixels:
# each line joins an output pixel's centre to the centre of the input pixel
# it copies, so a leaning line is content moved sideways. Under ``nearest``
# the moves to the right outweigh those to the left, under
# ``nearest-exact`` the other way round; its outputs 1, 4, 7 and 10 have
# their centres exactly on a border (red). The same ratio gives the same
# mean moves as 28 → 42, which the next sections explain:
import matplotlib.pyplot as plt

from upsample_helpers import save_for_readme
from upsample_helpers.nearest import exact_ties, mean_shift, plot_sources

for mode in ("nearest", "nearest-exact"):
    small, large = mean_shift(8, 12, mode), mean_shift(28, 42, mode)
    print(f"{mode:<13} moves 8→12 by {small:+.4f}, 28→42 by {large:+.4f}")
    assert abs(small - large) < 1e-9
print("8→12, output centres on a border:", exact_ties(8, 12))
assert exact_ties(8, 12) == [1, 4, 7, 10]
figure = plot_sources(8, 12)
save_for_readme(figure, "nearest.png")
plt.show()

# %%
# Where that moves the image
# --------------------------
# Taking the pixel under the start rather than the centre moves the image
# towards the bottom right. In exact arithmetic, with ``s = p/q`` in lowest
# terms, the mean move is ``(p − 1)/(2p)`` output pixels: less than half a
# pixel, and none at integer factors (``p = 1``). At 28→42 (``s = 2/3``) it
# is ¼ of an output pixel, which is ⅙ of an input pixel:
from fractions import Fraction

for n_out in (56, 42):
    p = Fraction(28, n_out).numerator
    shift = Fraction(mean_shift(28, n_out, "nearest")).limit_denominator(1000)
    in_output = shift * n_out / 28
    print(f"nearest 28→{n_out}: moves {shift} input pixel, {in_output} output "
          f"pixel; (p − 1)/(2p) = {Fraction(p - 1, 2 * p)}")
    assert in_output == Fraction(p - 1, 2 * p) < Fraction(1, 2)
assert shift == Fraction(1, 6) and in_output == Fraction(1, 4)

# %%
# ``nearest-exact`` does not always keep the image centred either. Where an
# output centre falls exactly on a border between two input pixels, the
# formula takes the pixel after the border, and at 28→42 torch does too. That
# happens at 14 of the 42 outputs, and it moves the image ⅙ of an input pixel
# the other way, towards the top left:

ties = exact_ties(28, 42)
print(f"28→42: {len(ties)} of 42 centres on a border, at {ties[:4]} ...")
assert len(ties) == 14
after = all(centre[d] == (2 * d + 1) * 28 // 84 for d in ties)
print("at each, nearest-exact copies the pixel after the border:", after)
assert after
moved = Fraction(mean_shift(28, 42, "nearest-exact")).limit_denominator(1000)
print(f"nearest-exact 28→42: the image moves {moved} input pixel")
assert moved == Fraction(-1, 6)

# %%
# The formula is exact arithmetic. torch computes the source index in
# float32, ``floor(d · in/out)``, and at some integer factors that rounding
# moves a border, so that the image shifts where the formula says it cannot.
# Upsampling 2 pixels to 82 should copy each 41 times; torch copies pixel 0
# once more, and the mean move is half an output pixel. The cause: output 41
# should start pixel 1, but 41 times ``2/82`` rounded to float32 is just
# below 1, and its floor is 0.
import torch

for n_out in (82, 94):
    copied = source_indices(2, n_out, "nearest")
    shift = mean_shift(2, n_out, "nearest") * n_out / 2  # in output pixels
    print(f"nearest 2→{n_out}: copies pixel 0 {copied.count(0)}×, pixel 1 "
          f"{copied.count(1)}× (exact: {n_out // 2}× each); moves {shift:+.2f}")
    assert copied.count(0) == n_out // 2 + 1 and abs(shift - 0.5) < 1e-9
border = 41 * torch.tensor(2 / 82, dtype=torch.float32)
print(f"in float32, 41 · (2/82) = {border.item():.8f}, floor {border.floor()}")
assert border < 1

# %%
# Where the content must stay in place, as a mask must stay on its image,
# upsample with ``nearest-exact`` by an integer factor. For every input of 1
# to 28 pixels and every factor from 2 to 49, it never moves the image, while
# ``nearest`` moves it at factors 41 and 47 only: a test of ``nearest`` at
# the usual factors, 2, 3 or 4, would not catch the rounding.
from upsample_helpers.nearest import factors_that_move

for mode in ("nearest", "nearest-exact"):
    moves = factors_that_move(mode, sides=range(1, 29), factors=range(2, 50))
    print(f"{mode:<13} moves the image at integer factors {moves}")
    assert moves == ([41, 47] if mode == "nearest" else [])

# %%
# ``nearest-exact`` is safe there because at a whole factor ``k`` no output
# centre lies on a border: ``(d + ½)/k`` is an odd number over an even one,
# never whole, so float32 rounding has no tie to tip either way:

on_borders = [d for n in range(1, 29) for k in range(2, 50)
              for d in exact_ties(n, n * k)]
print("output centres on a border at whole factors:", len(on_borders))
assert on_borders == []
