"""
Porting nearest: which pixel each library takes
===============================================

``nearest`` sounds like the one resize with nothing to port: copy the
closest pixel. The libraries disagree about which pixel that is. This page
puts torch's two nearest modes beside every nearest call of OpenCV, Pillow,
torchvision, scikit-image, SciPy, JAX and kornia, and resizes a ramp whose
values are their own column indices, so that each output column names the
input column it took. Three rules cover every call but two, the rounding of
a scale factor bends the first of them at some sizes, and the calls part
again where an output's centre falls exactly on the boundary between two
pixels. The kernel-porting lesson (``plot_porting_kernels.py``) does the
same for the linear, cubic and area modes.
"""

# %%
# Each nearest call against its closest torch call
# ------------------------------------------------
# Enlarge a digit 28 → 50 with each nearest call and compare it with every
# torch resize: the table names the closest, and the largest difference from
# it (``same``: below 1e-5). torchvision's ``NEAREST`` and kornia's
# ``nearest`` are torch's ``nearest``. (JAX computes in float32 unless told
# otherwise; this page turns float64 on, as the porting lesson does.)
import jax

from upsample_helpers import sample_digits
from upsample_helpers.porting import (
    LIBRARIES,
    closest_table,
    closest_torch_calls,
    matches,
)

jax.config.update("jax_enable_x64", True)
digit = sample_digits(1)[0, 0].double().numpy()  # (28, 28) in [0, 1]
closest = {side: closest_torch_calls(LIBRARIES["nearest"], digit, side)
           for side in (50, 12)}
print(closest_table(closest[50], "nearest, 28 → 50"))
EDGE = ("torchvision NEAREST", "kornia nearest")
assert all(matches(closest[50], call) == "nearest" for call in EDGE)

# %%
# Pillow's ``NEAREST``, torchvision's ``NEAREST_EXACT``, OpenCV's
# ``INTER_NEAREST_EXACT``, SciPy's ``zoom`` with ``grid_mode=True``, JAX's
# ``nearest`` and scikit-image's order 0 are torch's ``nearest-exact``.
# OpenCV's ``INTER_NEAREST`` is closest to ``nearest`` without being it,
# and SciPy's default ``zoom`` is no torch call at all: its closest,
# ``bilinear`` with aligned corners, is half the grey range away.

CENTRE = ("Pillow NEAREST", "torchvision NEAREST_EXACT",
          "OpenCV INTER_NEAREST_EXACT", "SciPy zoom, order 0, grid_mode",
          "JAX nearest")
assert all(matches(closest[50], call) == "nearest-exact" for call in CENTRE)
assert matches(closest[50], "skimage resize, order 0") == "nearest-exact"
assert closest[50]["OpenCV INTER_NEAREST"][0] == "nearest"
assert matches(closest[50], "OpenCV INTER_NEAREST") is None
scipy_best, scipy_apart = closest[50]["SciPy zoom, order 0"]
print(f"SciPy zoom, order 0: {scipy_apart:.2f} from torch {scipy_best}")
assert scipy_best == "bilinear, corners" and abs(scipy_apart - 0.5) < 0.05

# %%
# Shrinking 28 → 12, the same calls match the same torch calls, and
# OpenCV's ``INTER_NEAREST`` now is torch's ``nearest``. scikit-image's
# order 0 matches nothing: shrinking, its default antialiases first, even
# for nearest (the porting lesson's dot test), so its output pixels blend
# several inputs and the closest torch call is ``area``, 0.18 away. SciPy's
# default ``zoom`` still aligns the corners.

print(closest_table(closest[12], "nearest, 28 → 12"))
assert all(matches(closest[12], call) == "nearest" for call in EDGE)
assert all(matches(closest[12], call) == "nearest-exact" for call in CENTRE)
assert matches(closest[12], "OpenCV INTER_NEAREST") == "nearest"
assert closest[12]["skimage resize, order 0"][0] == "area"
assert matches(closest[12], "skimage resize, order 0") is None
assert matches(closest[12], "SciPy zoom, order 0") is None

# %%
# Which column each takes: three rules
# ------------------------------------
# Resize the ramp of column indices 28 → 50 and 28 → 12 columns with each
# nearest call: output column ``j`` then holds the input column it took.
# Three rules cover every call at both sizes but two. "edge": torch's
# ``nearest`` takes ``floor(j·in/out)``, the pixel under the output pixel's
# first edge, not its centre, and so do torchvision's ``NEAREST`` and
# kornia's ``nearest``. "centre": the pixel under the centre,
# ``floor((j + ½)·in/out)``, is torch's ``nearest-exact``, and the calls
# that matched it above. "corners": SciPy's default ``zoom`` aligns the
# corners, ``round(j·(in − 1)/(out − 1))``. The two: OpenCV's
# ``INTER_NEAREST`` takes ``floor(j·in/out)`` at 28 → 12 but not at 28 → 50
# ("other"), and scikit-image's order 0 blends pixels when shrinking. Edge
# and centre differ by half an output pixel's worth of input: the edge rule
# takes the pixel under each output's first edge, so it shifts the image
# (the modes lesson measures by how much).
from upsample_helpers.porting import (
    NEAREST_CALLS,
    columns_taken,
    nearest_rule,
    rules_table,
)

rules = {(call, side): nearest_rule(columns_taken(resize, 28, side), 28)
         for call, resize in NEAREST_CALLS.items() for side in (50, 12)}
print(rules_table(rules, (50, 12)))
expected = {**dict.fromkeys(("torch nearest", *EDGE), ("edge", "edge")),
            **dict.fromkeys(("torch nearest-exact", *CENTRE),
                            ("centre", "centre")),
            "OpenCV INTER_NEAREST": ("other", "edge"),
            "SciPy zoom, order 0": ("corners", "corners"),
            "skimage resize, order 0": ("centre", "blends")}
both = {call: (rules[call, 50], rules[call, 12]) for call in NEAREST_CALLS}
assert both == expected

# %%
# The edge rule, with a rounded scale
# -----------------------------------
# torch and OpenCV both compute the floor with a rounded scale. torch
# multiplies ``j`` by ``in/out`` rounded to float32, in float32; OpenCV's
# ``INTER_NEAREST`` (its ``resizeNN``) by ``1/(out/in)`` in double
# precision. Where ``j·in/out`` is a whole number, a scale rounded down
# gives the pixel before. Nowhere else can the rounding matter: ``j·in/out``
# is a multiple of ``1/out``, so when it is not whole it lies at least
# ``1/out`` below the next whole number, far more than a rounded scale
# moves it. At 28 → 50, column 25: ``25·28/50`` is exactly 14, torch's
# formula gives 14, and OpenCV's 13.
import numpy as np


def torch_nearest_formula(n_in: int, n_out: int) -> np.ndarray:
    """floor(j × float32(in/out)), in float32 arithmetic."""
    j = np.arange(n_out, dtype=np.float32)
    scale = np.float32(n_in) / np.float32(n_out)
    return np.minimum(np.floor(j * scale), n_in - 1)


def opencv_nearest_formula(n_in: int, n_out: int) -> np.ndarray:
    """floor(j × (1/(out/in))), in float64 arithmetic."""
    j = np.arange(n_out)
    return np.minimum(np.floor(j * (1.0 / (n_out / n_in))), n_in - 1)


exact = 25 * 28 // 50
torchs, opencvs = (formula(28, 50)[25] for formula in (torch_nearest_formula,
                                                       opencv_nearest_formula))
print(f"28 → 50, column 25: exact {exact}, torch's formula {torchs:.0f},",
      f"OpenCV's {opencvs:.0f}")
assert (exact, torchs, opencvs) == (14, 14, 13)

# %%
# Over every size from 1–40 to 1–80 columns (3,200 pairs), each formula
# takes exactly the columns its library takes. Each library's nearest is
# one line of arithmetic, then: porting it means porting that line, the
# rounding of its scale included.
from upsample_helpers.porting import PAIRS, pairs_unlike

FORMULAS = {"torch nearest": torch_nearest_formula,
            "OpenCV INTER_NEAREST": opencv_nearest_formula}
for call, formula in FORMULAS.items():
    unlike = pairs_unlike(NEAREST_CALLS[call], formula)
    agree = len(PAIRS) - len(unlike)
    print(f"{call}: its formula at {agree:,} of {len(PAIRS):,} pairs")
    assert unlike == [] and len(PAIRS) == 3200

# %%
# Every departure from the exact ``floor(j·in/out)`` is at a column where
# ``j·in/out`` is a whole number, and takes the pixel before: torch's at 11
# of the 3,200 pairs, OpenCV's at 66. Rare, but not where nobody looks: at
# 28 → 50, OpenCV's falls on column 25, the middle of the image. (Each
# pair is printed as (in, out).)
from upsample_helpers.porting import floor_departures

departures = {call: floor_departures(NEAREST_CALLS[call]) for call in FORMULAS}
for call, off in departures.items():
    pairs = sorted({(n_in, n_out) for n_in, n_out, _, _ in off})
    before = all(j * n_in % n_out == 0 and taken == j * n_in // n_out - 1
                 for n_in, n_out, j, taken in off)
    print(f"{call}: off the floor at {len(pairs)} pairs, e.g. {pairs[:2]}")
    print(f"  each time the pixel before, where j·in/out is whole: {before}")
    assert before
pairs_off = [len({off[:2] for off in departures[call]}) for call in FORMULAS]
assert pairs_off == [11, 66]

# %%
# torchvision's ``NEAREST`` and kornia's ``nearest`` call torch: they take
# torch's columns at all 3,200 pairs, its departures included. A model
# moved between torch, torchvision and kornia keeps its nearest resize
# column for column; the step to OpenCV's ``INTER_NEAREST``, next, is the
# one that needs care.
from functools import partial

torchs = partial(columns_taken, NEAREST_CALLS["torch nearest"])
for call in EDGE:
    unlike = pairs_unlike(NEAREST_CALLS[call], torchs)
    print(f"{call}: torch's columns at all pairs: {unlike == []}")
    assert unlike == []

# %%
# So OpenCV's ``INTER_NEAREST`` and torch's ``nearest`` part at 28 → 50 in
# column 25 alone, and agree at 28 → 12: that is why the first table found
# ``nearest`` closest to OpenCV's but not the same. Either is a faithful
# port of the other at 28 → 12; at 28 → 50, one column in fifty moves by a
# pixel.

for side, expected in ((50, [25]), (12, [])):
    theirs = columns_taken(NEAREST_CALLS["OpenCV INTER_NEAREST"], 28, side)
    ours = columns_taken(NEAREST_CALLS["torch nearest"], 28, side)
    differ = np.flatnonzero(theirs != ours).tolist()
    print(f"28 → {side}: they differ at columns {differ}")
    assert differ == expected

# %%
# The centre rule, and ties
# -------------------------
# Over the same pairs: torch's ``nearest-exact``, Pillow's ``NEAREST``,
# OpenCV's ``INTER_NEAREST_EXACT``, torchvision's ``NEAREST_EXACT``, SciPy's
# ``grid_mode`` and Pillow's ``BOX`` enlarging (the 2,380 pairs with
# out > in) take the pixel under the output's centre at every column whose
# centre falls inside a pixel. Where it falls exactly on the boundary
# between two (``(2j + 1)·in`` a multiple of ``2·out``), each takes one of
# the two: the rule holds for every one of them. JAX's ``nearest``, measured
# at 28 → 1–80 only, follows it too. Ties are why even torch misses the
# exact ``floor((j + ½)·in/out)``, at 47 of the pairs.
from upsample_helpers.porting import CENTRE_CALLS, ENLARGING, centre_rule

# CENTRE_CALLS: each call, and the size pairs it is measured at
found = {call: centre_rule(resize, pairs)
         for call, (resize, pairs) in CENTRE_CALLS.items()}
print(f"{'':<31}{'pairs':>6}{'rule holds':>11}{'off the floor':>14}")
for call, (_, pairs) in CENTRE_CALLS.items():
    off = len(found[call]["off the floor"])
    print(f"{call:<31}{len(pairs):>6}{found[call]['holds']!s:>11}{off:>14}")
assert all(result["holds"] for result in found.values())
assert len(ENLARGING) == 2380
assert len(found["torch nearest-exact"]["off the floor"]) == 47

# %%
# They do not all break the ties alike, and every one but torchvision's
# sometimes takes the other pixel than torch: against torch's
# ``nearest-exact``, Pillow's ``NEAREST`` differs at 544 pairs, OpenCV's
# ``INTER_NEAREST_EXACT`` at 544, SciPy's ``grid_mode`` at 75, ``BOX`` at
# 68, JAX at 5 of its 80, torchvision's ``NEAREST_EXACT`` at none. For
# Pillow that is 17% of the sizes: a pipeline moved from Pillow's
# ``NEAREST`` to torch's ``nearest-exact`` changes a column at about one
# size in six.

unlike = {call: len(result["unlike torch"]) for call, result in found.items()}
for call, count in unlike.items():
    print(f"{call:<31} unlike torch nearest-exact at {count:>3} pairs")
assert unlike == {"torch nearest-exact": 0, "Pillow NEAREST": 544,
                  "OpenCV INTER_NEAREST_EXACT": 544,
                  "torchvision NEAREST_EXACT": 0,
                  "SciPy zoom, order 0, grid_mode": 75,
                  "Pillow BOX, enlarging": 68, "JAX nearest, 28 → 1–80": 5}
share = unlike["Pillow NEAREST"] / len(PAIRS)
print(f"Pillow NEAREST unlike torch at {share:.0%} of the sizes")
assert f"{share:.0%}" == "17%"

# %%
# Pillow and OpenCV break them alike: their columns are the same at all
# 3,200 pairs. Since Pillow and torch both follow the centre rule, they can
# part only at a tie. The smallest pair of sizes at which they part is
# 2 → 7 columns. Output column 3's centre sits at
# ``3.5·2/7 = 1``, exactly between input pixels 0 and 1, whose centres are
# at 0.5 and 1.5: neither is nearer, so neither choice is wrong, but Pillow
# takes 0 and torch takes 1. Every other column agrees.

opencv = partial(columns_taken, NEAREST_CALLS["OpenCV INTER_NEAREST_EXACT"])
alike = pairs_unlike(NEAREST_CALLS["Pillow NEAREST"], opencv) == []
first = min(found["Pillow NEAREST"]["unlike torch"])
print(f"Pillow and OpenCV alike at all pairs: {alike}; first apart: {first}")
assert alike and first == (2, 7)
pillow = columns_taken(NEAREST_CALLS["Pillow NEAREST"], 2, 7).astype(int)
ours = columns_taken(NEAREST_CALLS["torch nearest-exact"], 2, 7).astype(int)
print(f"2 → 7: Pillow NEAREST {pillow.tolist()},")
print(f"      torch nearest-exact {ours.tolist()}")
assert np.flatnonzero(pillow != ours).tolist() == [3]

# %%
# JAX's ``nearest`` at 28 → 1–80 differs from torch's ``nearest-exact`` at
# the output sizes 23, 41, 46, 49 and 67 only.

jax_sizes = [n for _, n in found["JAX nearest, 28 → 1–80"]["unlike torch"]]
print(f"JAX nearest unlike torch nearest-exact at 28 → {jax_sizes}")
assert jax_sizes == [23, 41, 46, 49, 67]

# %%
# The recipe
# ----------
# To port a nearest resize, decide the rule first, then the ties:
#
# * the edge rule is torch's ``nearest``, torchvision's ``NEAREST`` and
#   kornia's ``nearest``, column for column; OpenCV's ``INTER_NEAREST``
#   follows it but rounds its scale otherwise, and departs at 66 of the
#   3,200 size pairs (column 25 at 28 → 50);
# * the centre rule is torch's ``nearest-exact``; torchvision's
#   ``NEAREST_EXACT`` takes its columns at every pair, while Pillow's
#   ``NEAREST`` (and ``BOX`` enlarging), OpenCV's ``INTER_NEAREST_EXACT``,
#   SciPy's ``zoom(order=0, grid_mode=True, mode='nearest')`` and JAX's
#   ``nearest`` break some ties on a pixel boundary the other way;
# * SciPy's default ``zoom(order=0)`` aligns the corners, which neither
#   torch nearest mode does (``align_corners`` is refused there), and scikit-image's ``resize(order=0)`` antialiases when it
#   shrinks unless ``anti_aliasing=False``.
#
# Where an exact match matters, resize in torch, or choose sizes without
# ties. No output centre falls on a pixel boundary exactly when ``2·out``
# has more factors of 2 than ``in``: for 28 columns (4·7), when ``out`` is a
# multiple of 4. Halving, 28 → 14, makes every column a tie.

tie_free = [n for n in range(1, 81)
            if all((2 * j + 1) * 28 % (2 * n) for j in range(n))]
print("28 → n without a tie exactly when 4 divides n, n up to 80:",
      tie_free == list(range(4, 81, 4)))
assert tie_free == list(range(4, 81, 4))
halving = all((2 * j + 1) * 28 % (2 * 14) == 0 for j in range(14))
print("28 → 14: every column a tie:", halving)
assert halving
