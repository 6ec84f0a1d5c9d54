"""
Trained decoders: six ways to double, under one budget
======================================================

The checkerboard lesson compared six ways for a network to double a feature map, untrained. Here each one
is trained. A tiny autoencoder: two strided convolutions encode a digit down to 16×7×7, and two doubling
blocks of one kind decode it back to 28×28. One autoencoder per kind of block, everything else equal: the
digits, the budget, the optimiser. Each is trained with three seeds and measured on held-out digits: how
well it reconstructs them, and how much checkerboard it leaves. Which differences are the block's, and
which are only the seed's?
"""

# %%
# The digits
# ----------
# The decoders train on 1,200 digits of the offline sample and are measured on 1,000 others. The sample is
# sorted by class, so the split is shuffled first: both parts hold every class. The digits are cast to
# float64, for a reason the next cell gives.
import matplotlib.pyplot as plt

import upsample_helpers as helpers
from upsample_helpers import decoders

BLOCKS, SEEDS, EPOCHS = helpers.DOUBLING_BLOCKS, helpers.SEEDS, 5
train_digits, held_out = helpers.split_digits(1200, 1000)
train_digits = train_digits.to(helpers.TRAINING_DTYPE)
held_out = held_out.to(helpers.TRAINING_DTYPE)
print(f"training {tuple(train_digits.shape)}, held out {tuple(held_out.shape)}")
print("the blocks:", ", ".join(BLOCKS[:3]) + ",\n  " + ", ".join(BLOCKS[3:]))

# %%
# Training
# --------
# Each decoder trains for 5 epochs of Adam on the mean squared error, in batches of 64; a seed draws the
# initial weights and the order of the batches. Why float64 on one thread? torch picks its CPU kernels
# by processor, so the rounding of a float32 training can differ from one machine to the next. In
# float64 this page prints the same at the processor's own kernel level and at
# ``ATEN_CPU_CAPABILITY=default``, the level every x86 processor has, on one thread or two: the project's
# CI runs it both ways and compares every line it prints but the training time.

trained = decoders.train_decoders(train_digits, held_out, EPOCHS)
print(f"trained {len(BLOCKS)} decoders × {len(SEEDS)} seeds "
      f"in {trained.seconds:.0f} s on {helpers.TRAINING_THREADS} thread")

# %%
# The held-out measures
# ---------------------
# The error is the mean squared error of the reconstructions (evaluated, the output is clamped to 0..1, as
# a picture is). The checkerboard is the checkerboard lesson's measure, taken on the reconstructions'
# high-pass views (each image minus its 3×3 local mean), with the originals' own for scale. Each cell is
# the mean over the three seeds, then the lowest and the highest seed.

print(f"{len(held_out)} held-out digits, seeds {list(SEEDS)}: "
      "mean (lowest–highest)")
originals = helpers.checkerboard(helpers.high_pass(held_out))
print(decoders.measures_table(trained, originals))

# %%
# What a seed changes
# -------------------
# How far does the seed move each decoder's numbers? Take the span of its seeds (highest minus lowest) as
# a share of the span of the six decoders' means, which is how far the kind of block moves them. A share
# of 1 or more means the seed matters as much as the block.

errors, boards = trained.errors, trained.boards
share = {"error": decoders.seed_shares(errors),
         "checkerboard": decoders.seed_shares(boards)}
means = {name: [sum(v) / len(v) for v in measure.values()]
         for name, measure in (("error", errors), ("checkerboard", boards))}
print(f"the six means span: error {decoders.span(means['error']):.4f}, "
      f"checkerboard {decoders.span(means['checkerboard']):.3f}")
print(f"{'the seeds of':<22} {'error':>6} {'checkerboard':>13}")
for kind in BLOCKS:
    print(f"{kind:<22} {share['error'][kind]:>6.1f} "
          f"{share['checkerboard'][kind]:>13.1f}")

# %%
# Only the kernel-3 transposed convolution's error moves with the seed as much as the kind of block moves
# it; each other decoder's error moves by less than half of that. Every decoder's checkerboard moves with
# the seed by less than the kind moves it, but every decoder's except the resize-convolution's by more
# than a quarter of that.

error_share, board_share = share["error"], share["checkerboard"]
print("error share ≥ 1:", [k for k in BLOCKS if error_share[k] >= 1])
assert [k for k in BLOCKS if error_share[k] >= 1] == ["transposed k3"]
assert all(error_share[k] < 0.5 for k in BLOCKS if k != "transposed k3")
print("checkerboard share ≤ 0.25:",
      [k for k in BLOCKS if board_share[k] <= 0.25])
assert all(value < 1 for value in board_share.values())
assert [k for k in BLOCKS if board_share[k] <= 0.25] == ["resize-conv"]

# %%
# What holds on every seed
# ------------------------
# So an ordering is stated only where every seed agrees: one decoder's worst seed better than the other's
# best. Two things hold. The kernel-4 transposed convolutions and the sub-pixel convolutions, with either
# start, reconstruct better than the resize-convolution and the kernel-3 transposed convolution. And the
# kernel-3 transposed convolution, whose taps cover the output unevenly (the checkerboard lesson), leaves
# more checkerboard than any other decoder.

for name, measure in (("error", errors), ("checkerboard", boards)):
    held = [f"{a} < {b}" for a in BLOCKS for b in BLOCKS
            if helpers.clearly_below(measure[a], measure[b])]
    print(f"{name}, lower on every seed:\n  " + "\n  ".join(held))
BETTER = ("transposed k4", "transposed k4 bilinear",
          "sub-pixel", "sub-pixel ICNR")
for a in BETTER:
    for b in ("resize-conv", "transposed k3"):
        assert helpers.clearly_below(errors[a], errors[b])
for kind in [k for k in BLOCKS if k != "transposed k3"]:
    assert helpers.clearly_below(boards[kind], boards["transposed k3"])

# %%
# Among the four better decoders no order holds on every seed, and the seeds do not even agree on one:
# each seed ranks them by error in an order of its own. A table of one seed's numbers would crown a
# winner that the next seed dethrones.

rankings = decoders.orders_by_seed(errors, BETTER)
for seed, ranking in zip(SEEDS, rankings, strict=True):
    print(f"seed {seed}, lowest error first:\n  {', '.join(ranking)}")
for a in BETTER:
    assert not any(helpers.clearly_below(errors[a], errors[b]) for b in BETTER)
assert len(set(rankings)) == len(SEEDS)

# %%
# The figure
# ----------
# Six held-out digits and their reconstructions by each decoder (seed 0), each above its high-pass view;
# beside each decoder, its error (reconstruction minus original) averaged over all 1,000 held-out digits,
# on one colour scale. What a decoder does at the same place in every output adds up in the average, while
# the digits' own strokes, different every time, cancel: look for the kernel-3 transposed convolution's
# regular grid.

figure = decoders.plot_decoders(held_out.float(), trained.reconstructions)
helpers.save_for_readme(figure, "decoders.png")
plt.show()
