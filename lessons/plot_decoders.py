"""Trained decoders: a tiny autoencoder per doubling block, the same budget, measured on held-out digits.

Run it from the repository root (it writes images/decoders.png and prints one line per epoch, then the
table the README shows):

    python lessons/plot_decoders.py

Two strided convolutions encode a digit down to 32×7×7; two doubling blocks of one kind decode it back to
28×28, one for each kind in helpers.DOUBLING_BLOCKS. Everything else is equal: seed, digits, batch order
and budget.
"""

# %%
from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import torch
from helpers import (
    DOUBLING_BLOCKS,
    checkerboard,
    doubling_block,
    hide_ticks,
    high_pass,
    lesson_parser,
    split_digits,
    write,
)
from matplotlib.figure import Figure
from torch import nn

from upsample_example import DEFAULT_SEED
from upsample_io import notebook_figure_class, run_as_command

EPOCHS, BATCH_SIZE, LEARNING_RATE = 6, 64, 3e-3
TRAIN_DIGITS, HELD_OUT_DIGITS = 4000, 1000  # of the 5,000-digit sample
THREADS = 1  # one thread: the same sums in the same order on every machine, so the figure redraws identically


# %%
class Autoencoder(nn.Module):
    """Strided convolutions down to 7×7, then two doubling blocks of one kind back to 28×28."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1), nn.ReLU(),  # (N, 16, 14, 14)
            nn.Conv2d(16, 32, kernel_size=3, stride=2, padding=1), nn.ReLU(),  # (N, 32, 7, 7)
        )
        self.decoder = nn.Sequential(
            doubling_block(kind, 32, 16), nn.ReLU(),  # (N, 16, 14, 14)
            doubling_block(kind, 16, 1),  # (N, 1, 28, 28): linear, so that no output unit can saturate
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct ``x``; in eval mode the result is clamped to the digits' range, 0..1, as a picture is."""
        y = self.decoder(self.encoder(x))
        return y if self.training else y.clamp(0, 1)


def train_autoencoder(kind: str, digits: torch.Tensor, epochs: int = EPOCHS, seed: int = DEFAULT_SEED,
                      on_epoch: Callable[[int, float], None] | None = None) -> Autoencoder:
    """Train an Autoencoder with ``kind`` of doubling block on ``digits``: Adam, mean squared error.

    The same seed gives every kind the same initial encoder and the same order of batches.
    ``on_epoch(epoch, loss)`` is called after each epoch with the mean training loss.
    """
    torch.manual_seed(seed)
    model = Autoencoder(kind)
    optimiser = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    order = torch.Generator().manual_seed(seed)
    for epoch in range(1, epochs + 1):
        total = 0.0
        for batch in torch.randperm(len(digits), generator=order).split(BATCH_SIZE):
            images = digits[batch]
            loss = nn.functional.mse_loss(model(images), images)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item() * len(batch)
        if on_epoch is not None:
            on_epoch(epoch, total / len(digits))
    return model.eval()


# %%
def plot_decoders(originals: torch.Tensor, reconstructions: dict[str, torch.Tensor], shown: int = 8) -> Figure:
    """One row per decoder: the first ``shown`` reconstructions above their high-pass views and, beside them,
    the decoder's error (reconstruction − original) averaged over all the digits. The first row: the originals.

    What a decoder does at the same place in every output adds up in the average, while the digits' own
    strokes, different every time, cancel. Panels of one kind share one colour scale.
    """
    import matplotlib.pyplot as plt

    rows = {"original": originals, **reconstructions}
    shown = min(shown, len(originals))
    figure = plt.figure(figsize=(1.25 * shown + 3.4, 1.3 * 2 * len(rows) + 1.4), layout="constrained",
                        FigureClass=notebook_figure_class())
    # Digit columns, a gap, then the mean-error column, where each decoder's panel spans its two rows; a thin
    # row above and below for the colour bars.
    grid = figure.add_gridspec(2 * len(rows) + 2, shown + 2, width_ratios=[1] * shown + [0.15, 2],
                               height_ratios=[0.12] + [1] * 2 * len(rows) + [0.12])
    axes = [[figure.add_subplot(grid[row + 1, column]) for column in range(shown)] for row in range(2 * len(rows))]
    details = {label: high_pass(images[:shown]) for label, images in rows.items()}
    limit = max(detail.abs().max().item() for detail in details.values())
    errors = {kind: (images - originals).mean(dim=0)[0] for kind, images in reconstructions.items()}  # (28, 28)
    scale = max(error.abs().max().item() for error in errors.values())
    error_axes = []
    for row, (label, images) in enumerate(rows.items()):
        for column in range(shown):
            grey = axes[2 * row][column].imshow(images[column, 0].numpy(), cmap="gray", vmin=0, vmax=1)
            detail = axes[2 * row + 1][column].imshow(details[label][column, 0].numpy(), cmap="RdBu_r",
                                                      vmin=-limit, vmax=limit)
        axes[2 * row][0].set_ylabel(label.replace(" ", "\n", 1) if len(label) > 12 else label, fontsize=9)
        axes[2 * row + 1][0].set_ylabel("high-pass", fontsize=9)
        if label in errors:
            ax = figure.add_subplot(grid[2 * row + 1: 2 * row + 3, shown + 1])
            mean_error = ax.imshow(errors[label].numpy(), cmap="RdBu_r", vmin=-scale, vmax=scale)
            ax.set_title(f"{label}: mean error", fontsize=9)
            error_axes.append(ax)
    digit_axes = [ax for row in axes for ax in row]
    hide_ticks(digit_axes + error_axes)
    axes[0][0].set_title(f"{shown} of the {len(originals)} held-out digits", loc="left", fontsize=9)
    bars = {"grey level (digit rows)": (grey, grid[0, shown // 4: shown - shown // 4]),
            "pixel − 3×3 mean (high-pass rows)": (detail, grid[-1, shown // 4: shown - shown // 4]),
            f"mean error over all {len(originals)} digits": (mean_error, grid[-1, shown + 1])}
    for label, (image, place) in bars.items():
        figure.colorbar(image, cax=figure.add_subplot(place), orientation="horizontal", label=label)
    figure.suptitle("Decoders that differ only in how they double")
    return figure


# %%
def main(argv: Sequence[str] | None = None) -> int:
    parser = lesson_parser(__doc__)
    parser.add_argument("--epochs", type=int, default=EPOCHS,
                        help="passes over the training digits (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f"--epochs must be at least 1, got {args.epochs}")
    torch.set_num_threads(THREADS)
    train, held_out = split_digits(TRAIN_DIGITS, HELD_OUT_DIGITS)
    reconstructions, results = {}, []
    for kind in DOUBLING_BLOCKS:
        print(f"training the {kind!r} decoder: {len(train)} digits, {args.epochs} epochs, seed {DEFAULT_SEED}")
        start = time.perf_counter()
        model = train_autoencoder(kind, train, args.epochs,
                                  on_epoch=lambda epoch, loss: print(f"  epoch {epoch}/{args.epochs}: loss {loss:.4f}"))
        print(f"  trained in {time.perf_counter() - start:.1f} s on {THREADS} thread")
        with torch.no_grad():
            rebuilt = model(held_out)
        results.append((kind, nn.functional.mse_loss(rebuilt, held_out).item(), checkerboard(high_pass(rebuilt))))
        reconstructions[kind] = rebuilt
    print(f"on {len(held_out)} held-out digits:")
    print(f"{'decoder':<22} {'error (MSE)':>12} {'checkerboard':>13}")
    print(f"{'(originals)':<22} {'':>12} {checkerboard(high_pass(held_out)):>13.3f}")
    for kind, error, board in results:
        print(f"{kind:<22} {error:>12.4f} {board:>13.3f}")
    print(f"wrote {write(plot_decoders(held_out, reconstructions), args.images, 'decoders.png')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_as_command(main))
