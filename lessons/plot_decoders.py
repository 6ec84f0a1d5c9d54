"""
Trained decoders: six ways to double, under one budget
======================================================

A tiny autoencoder: two strided convolutions encode a digit down to 16×7×7, and two doubling blocks of one
kind decode it back to 28×28. One autoencoder per kind of block in ``helpers.DOUBLING_BLOCKS``, everything
else equal: the digits, the budget, the optimiser. Each is trained with three seeds and measured on held-out
digits: how well it reconstructs, and how much checkerboard it leaves.
"""

# %%
# The lessons share a few helpers (``lessons/helpers.py``); the next line finds them when a notebook runs
# from the repository root (from ``lessons/`` they are found anyway).
import sys

sys.path[:0] = ["lessons"]

import time

import matplotlib.pyplot as plt
import torch
from helpers import (
    DOUBLING_BLOCKS,
    SEEDS,
    TRAINING_DTYPE,
    TRAINING_THREADS,
    Autoencoder,
    checkerboard,
    clearly_below,
    hide_ticks,
    high_pass,
    mean_low_high,
    save_for_readme,
    split_digits,
    train,
)

EPOCHS = 5
TRAIN_DIGITS, HELD_OUT_DIGITS = 1200, 1000  # of the 5,000-digit sample, disjoint

# %%
# Training
# --------
# Each decoder trains on 1,200 digits of the offline sample and is measured on 1,000 others (the split is
# shuffled, since the sample is sorted by class): 5 epochs of Adam on the mean squared error, batches of 64.
# A seed draws the initial weights and the order of the batches. Training runs in float64 on one thread:
# torch picks its float32 CPU kernels by processor, and trainings this small end in other places when the
# rounding changes. In float64 this page prints the same at the processor's own kernel level and at
# ``ATEN_CPU_CAPABILITY=default``, the level every x86 processor has, on one thread or two: the project's CI runs
# it both ways and compares every line it prints but the training time.

train_digits, held_out = (digits.to(TRAINING_DTYPE) for digits in split_digits(TRAIN_DIGITS, HELD_OUT_DIGITS))
errors, boards, reconstructions = {}, {}, {}
start = time.perf_counter()
for kind in DOUBLING_BLOCKS:
    errors[kind], boards[kind] = [], []
    for seed in SEEDS:
        torch.manual_seed(seed)
        model = train(Autoencoder(kind).to(TRAINING_DTYPE), train_digits, train_digits, EPOCHS, seed)
        with torch.no_grad():
            rebuilt = model(held_out)
        errors[kind].append(torch.nn.functional.mse_loss(rebuilt, held_out).item())
        boards[kind].append(checkerboard(high_pass(rebuilt)))
        if seed == SEEDS[0]:
            reconstructions[kind] = rebuilt.float()
print(
    f"trained {len(DOUBLING_BLOCKS)} decoders × {len(SEEDS)} seeds in {time.perf_counter() - start:.0f} s "
    f"on {TRAINING_THREADS} thread"
)

# %%
# The held-out measures
# ---------------------
# The error is the mean squared error of the reconstructions (evaluated, the output is clamped to 0..1, as a
# picture is). The checkerboard is the measure of the checkerboard lesson, taken on the reconstructions'
# high-pass views (each image minus its 3×3 local mean), with the originals for scale. Each cell: the mean
# over the seeds, and the lowest and highest seed.

print(f"{len(held_out)} held-out digits, seeds {list(SEEDS)}: mean (lowest–highest)")
print(f"{'decoder':<22} {'error (MSE)':>24} {'checkerboard':>21}")
print(f"{'(originals)':<22} {'':>24} {checkerboard(high_pass(held_out)):>21.3f}")
for kind in DOUBLING_BLOCKS:
    error, board = mean_low_high(errors[kind]), mean_low_high(boards[kind])
    print(
        f"{kind:<22} {error[0]:>9.4f} ({error[1]:.4f}–{error[2]:.4f}) {board[0]:>8.3f} ({board[1]:.3f}–{board[2]:.3f})"
    )

# %%
# What a seed changes, and what holds
# -----------------------------------
# How far the seed moves each decoder's numbers, the span of its seeds (highest minus lowest, in the table above),
# as a share of the span of the six decoders' means, which is how far the kind of block moves them.

measures = {"error": errors, "checkerboard": boards}


def span(values) -> float:
    """Highest minus lowest."""
    return max(values) - min(values)


def seed_shares(measure: dict[str, list[float]]) -> dict[str, float]:
    """Each decoder's span over the seeds over the span of all the decoders' means."""
    means_span = span([mean_low_high(values)[0] for values in measure.values()])
    return {kind: span(values) / means_span for kind, values in measure.items()}


def orders_by_seed(measure: dict[str, list[float]], kinds: tuple[str, ...]) -> list[tuple[str, ...]]:
    """For each seed, ``kinds`` from the lowest value of ``measure`` to the highest."""
    seeds = len(measure[kinds[0]])
    return [tuple(sorted(kinds, key=lambda kind, seed=seed: measure[kind][seed])) for seed in range(seeds)]


share = {name: seed_shares(measure) for name, measure in measures.items()}
kinds_span = {name: span([mean_low_high(measure[kind])[0] for kind in DOUBLING_BLOCKS])
              for name, measure in measures.items()}
print(
    f"the six decoders' means span: error {kinds_span['error']:.4f}, checkerboard {kinds_span['checkerboard']:.3f}; "
    "each decoder's seeds span, as a share of that:"
)
print(f"{'decoder':<22} {'error':>6} {'checkerboard':>13}")
for kind in DOUBLING_BLOCKS:
    print(f"{kind:<22} {share['error'][kind]:>6.1f} {share['checkerboard'][kind]:>13.1f}")

# %%
# Only the kernel-3 transposed convolution's error moves with the seed as much as the kind of block moves it (a
# share of 1 or more); each other decoder's error moves by less than half of that. Every decoder's checkerboard
# moves with the seed by less than the kind moves it, but every decoder's except the resize-convolution's by more
# than a quarter of that. So an ordering is stated only where every seed agrees: one decoder's worst seed better
# than the other's best. Those pairs:

assert [kind for kind in DOUBLING_BLOCKS if share["error"][kind] >= 1] == ["transposed k3"]
assert all(share["error"][kind] < 0.5 for kind in DOUBLING_BLOCKS if kind != "transposed k3")
assert all(value < 1 for value in share["checkerboard"].values())
assert [kind for kind in DOUBLING_BLOCKS if share["checkerboard"][kind] <= 0.25] == ["resize-conv"]

for name, measure in measures.items():
    held = [f"{a} < {b}" for a in DOUBLING_BLOCKS for b in DOUBLING_BLOCKS if clearly_below(measure[a], measure[b])]
    print(f"{name}, lower on every seed: " + ("; ".join(held) or "none"))

# %%
# Two things hold on every seed. The kernel-4 transposed convolutions and the sub-pixel convolutions, with
# either start, reconstruct better than the resize-convolution and the kernel-3 transposed convolution. And
# the kernel-3 transposed convolution, whose taps cover the output unevenly (the checkerboard lesson), leaves
# more checkerboard than any other decoder. Among the four better decoders no order holds on every seed, and
# the seeds do not even agree on one: each ranks them by error in an order of its own, below.

BETTER = ("transposed k4", "transposed k4 bilinear", "sub-pixel", "sub-pixel ICNR")
rankings = orders_by_seed(errors, BETTER)
for seed, ranking in zip(SEEDS, rankings, strict=True):
    print(f"seed {seed}, the four better decoders from the lowest error: {', '.join(ranking)}")
assert all(clearly_below(errors[a], errors[b]) for a in BETTER for b in ("resize-conv", "transposed k3"))
assert all(clearly_below(boards[kind], boards["transposed k3"]) for kind in DOUBLING_BLOCKS if kind != "transposed k3")
assert not any(clearly_below(errors[a], errors[b]) for a in BETTER for b in BETTER)
assert len(set(rankings)) == len(SEEDS)

# %%
# The figure: eight held-out digits and their reconstructions by each decoder (seed 0), each above its
# high-pass view; beside each decoder, its error (reconstruction minus original) averaged over all 1,000
# held-out digits, on one colour scale. What a decoder does at the same place in every output adds up in the
# average, while the digits' own strokes, different every time, cancel.


def plot_decoders(originals: torch.Tensor, reconstructions: dict[str, torch.Tensor], shown: int = 8):
    """One row per decoder: the first ``shown`` reconstructions above their high-pass views and, beside them,
    the decoder's error (reconstruction − original) averaged over all the digits. The first row: the originals.

    What a decoder does at the same place in every output adds up in the average, while the digits' own
    strokes, different every time, cancel. Panels of one kind share one colour scale.
    """
    rows = {"original": originals, **reconstructions}
    shown = min(shown, len(originals))
    figure = plt.figure(figsize=(1.25 * shown + 3.4, 1.3 * 2 * len(rows) + 1.4), layout="constrained")
    # Digit columns, a gap, then the mean-error column, where each decoder's panel spans its two rows; a thin
    # row above and below for the colour bars.
    grid = figure.add_gridspec(
        2 * len(rows) + 2,
        shown + 2,
        width_ratios=[1] * shown + [0.15, 2],
        height_ratios=[0.12] + [1] * 2 * len(rows) + [0.12],
    )
    axes = [[figure.add_subplot(grid[row + 1, column]) for column in range(shown)] for row in range(2 * len(rows))]
    details = {label: high_pass(images[:shown]) for label, images in rows.items()}
    limit = max(detail.abs().max().item() for detail in details.values())
    errors = {kind: (images - originals).mean(dim=0)[0] for kind, images in reconstructions.items()}  # (28, 28)
    scale = max(error.abs().max().item() for error in errors.values())
    error_axes = []
    for row, (label, images) in enumerate(rows.items()):
        for column in range(shown):
            grey = axes[2 * row][column].imshow(images[column, 0].numpy(), cmap="gray", vmin=0, vmax=1)
            detail = axes[2 * row + 1][column].imshow(
                details[label][column, 0].numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit
            )
        axes[2 * row][0].set_ylabel(label.replace(" ", "\n", 1) if len(label) > 12 else label, fontsize=9)
        axes[2 * row + 1][0].set_ylabel("high-pass", fontsize=9)
        if label in errors:
            ax = figure.add_subplot(grid[2 * row + 1 : 2 * row + 3, shown + 1])
            mean_error = ax.imshow(errors[label].numpy(), cmap="RdBu_r", vmin=-scale, vmax=scale)
            ax.set_title(f"{label}: mean error", fontsize=9)
            error_axes.append(ax)
    digit_axes = [ax for row in axes for ax in row]
    hide_ticks(digit_axes + error_axes)
    axes[0][0].set_title(f"{shown} of the {len(originals)} held-out digits", loc="left", fontsize=9)
    bars = {
        "grey level (digit rows)": (grey, grid[0, shown // 4 : shown - shown // 4]),
        "pixel − 3×3 mean (high-pass rows)": (detail, grid[-1, shown // 4 : shown - shown // 4]),
        f"mean error over all {len(originals)} digits": (mean_error, grid[-1, shown + 1]),
    }
    for label, (image, place) in bars.items():
        figure.colorbar(image, cax=figure.add_subplot(place), orientation="horizontal", label=label)
    figure.suptitle("Decoders that differ only in how they double")
    return figure


save_for_readme(plot_decoders(held_out.float(), reconstructions), "decoders.png")
plt.show()
