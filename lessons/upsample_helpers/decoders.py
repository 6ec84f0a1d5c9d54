"""The trained-decoders lesson's training loop, tables and figure: six autoencoders that differ only in how they
double, trained over the seeds and measured on held-out digits."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from upsample_helpers import (
    DOUBLING_BLOCKS,
    SEEDS,
    TRAINING_DTYPE,
    Autoencoder,
    checkerboard,
    hide_ticks,
    high_pass,
    mean_low_high,
    train,
)


@dataclass
class Trained:
    """Per decoder, one value per seed: the held-out error (MSE) and checkerboard; the first seed's
    reconstructions, and how long training took."""

    errors: dict[str, list[float]] = field(default_factory=dict)
    boards: dict[str, list[float]] = field(default_factory=dict)
    reconstructions: dict[str, torch.Tensor] = field(default_factory=dict)
    seconds: float = 0.0


def train_decoders(train_digits: torch.Tensor, held_out: torch.Tensor, epochs: int) -> Trained:
    """Train one Autoencoder per kind of block and seed on ``train_digits`` in TRAINING_DTYPE; measure each on
    ``held_out``."""
    trained, start = Trained(), time.perf_counter()
    for kind in DOUBLING_BLOCKS:
        trained.errors[kind], trained.boards[kind] = [], []
        for seed in SEEDS:
            torch.manual_seed(seed)
            model = Autoencoder(kind).to(TRAINING_DTYPE)
            model = train(model, train_digits, train_digits, epochs, seed)
            with torch.no_grad():
                rebuilt = model(held_out)
            trained.errors[kind].append(torch.nn.functional.mse_loss(rebuilt, held_out).item())
            trained.boards[kind].append(checkerboard(high_pass(rebuilt)))
            if seed == SEEDS[0]:
                trained.reconstructions[kind] = rebuilt.float()
    trained.seconds = time.perf_counter() - start
    return trained


def measures_table(trained: Trained, originals_board: float) -> str:
    """A row per decoder: error and checkerboard, each as mean (lowest–highest) over the seeds."""
    lines = [f"{'decoder':<22}{'error (MSE)':>26}{'checkerboard':>22}",
             f"{'(originals)':<22}{'':>26}{originals_board:>14.3f}"]
    for kind in DOUBLING_BLOCKS:
        error, board = mean_low_high(trained.errors[kind]), mean_low_high(trained.boards[kind])
        lines.append(f"{kind:<22}{error[0]:>9.4f} ({error[1]:.4f}–{error[2]:.4f}) "
                     f"{board[0]:>6.3f} ({board[1]:.3f}–{board[2]:.3f})")
    return "\n".join(lines)


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


def plot_decoders(originals: torch.Tensor, reconstructions: dict[str, torch.Tensor], shown: int = 6) -> Figure:
    """One row per decoder: the first ``shown`` reconstructions above their high-pass views and, beside them,
    the decoder's error (reconstruction − original) averaged over all the digits. The first row: the originals.

    What a decoder does at the same place in every output adds up in the average, while the digits' own
    strokes, different every time, cancel. Panels of one kind share one colour scale.
    """
    rows = {"original": originals, **reconstructions}
    shown = min(shown, len(originals))
    figure = plt.figure(figsize=(1.05 * shown + 2.9, 1.05 * 2 * len(rows) + 1.3), layout="constrained")
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
