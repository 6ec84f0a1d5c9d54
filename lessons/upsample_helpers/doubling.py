"""The checkerboard lesson's measuring code and figure (lessons/plot_checkerboard.py): where each doubling block's
kernel lands, what a random initialisation leaves, and the figure of both."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import torch

from upsample_helpers import (
    DOUBLING_BLOCKS,
    SEED,
    checkerboard,
    doubling_block,
    hide_ticks,
    high_pass,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SEEDS = range(5)  # random initialisations averaged in the table


def tap_counts(kind: str, size: int = 8) -> torch.Tensor:
    """How many kernel taps land on each output pixel: every weight 1, no bias, a size×size input of ones."""
    block = doubling_block(kind, 1, 1)
    with torch.no_grad():
        for parameter in block.parameters():
            parameter.fill_(0.0 if parameter.dim() == 1 else 1.0)  # biases 0, weights 1
        return block(torch.ones(1, 1, size, size))[0, 0]  # (2·size, 2·size)


def initial_checkerboard(kind: str, inputs: torch.Tensor, channels_out: int = 8, seeds: Sequence[int] = SEEDS,
                         border: int = 2) -> tuple[float, float]:
    """Mean and spread over seeds of ``checkerboard`` for freshly initialised blocks on ``inputs``."""
    # In float64: on a constant input a block that leaves no pattern gives a constant interior up to rounding,
    # and float32's rounding, which depends on the processor's kernels, would be measured as a pattern.
    scores = []
    for seed in seeds:
        torch.manual_seed(seed)
        block = doubling_block(kind, inputs.shape[1], channels_out).double()
        with torch.no_grad():
            scores.append(checkerboard(block(inputs.double()), border))
    values = torch.tensor(scores)
    return values.mean().item(), values.std(correction=0).item()


def checkerboard_table(table: dict[str, list[tuple[float, float]]], columns: Sequence[str]) -> str:
    """One row per block: 'mean ± spread' of initial_checkerboard under each of ``columns``."""
    lines = [f"{'block':<22}" + "".join(f"{column:>16}" for column in columns)]
    for kind, scores in table.items():
        lines.append(f"{kind:<22}" + "".join(f"{mean:>9.3f} ± {spread:.3f}" for mean, spread in scores))
    return "\n".join(lines)


def folded_kernels(weight: torch.Tensor) -> dict[tuple[int, int], torch.Tensor]:
    """Per (row parity, column parity) of the output, the 2×2 kernel that nearest 2× then ``weight`` applies."""
    # A tap at offset −1, 0 or +1 on the doubled map reads input offset (−1, 0, 0) at an even position and
    # (0, 0, +1) at an odd one: three taps fold into a 2-wide window, [first, second].
    folds = {0: torch.tensor([[1.0, 0, 0], [0, 1, 1]]), 1: torch.tensor([[1.0, 1, 0], [0, 0, 1]])}
    weight = weight.detach().double()
    return {(row, column): folds[row].double() @ weight @ folds[column].double().T for row in (0, 1)
            for column in (0, 1)}


def plot_checkerboard(digit: torch.Tensor, seed: int = SEED) -> Figure:
    """A row per block: its tap counts, one random block (``seed``) on a digit, and that output's high-pass view."""
    # Panels of a column share one colour scale.
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

    figure, axes = plt.subplots(len(DOUBLING_BLOCKS), 3, figsize=(7.4, 2.1 * len(DOUBLING_BLOCKS) + 1.2),
                                layout="constrained")
    for row, kind in enumerate(DOUBLING_BLOCKS):
        inside = sorted(set(counts[kind][2:-2, 2:-2].int().flatten().tolist()))  # away from the border
        taps = axes[row, 0].imshow(counts[kind].numpy(), cmap="viridis", vmin=0, vmax=most_taps)
        axes[row, 0].set_title(f"{', '.join(map(str, inside))} taps inside", fontsize=9)
        axes[row, 0].set_ylabel(kind, fontsize=10)
        values = axes[row, 1].imshow(outputs[kind].numpy(), cmap="gray", vmin=low, vmax=high)
        axes[row, 1].set_title(f"checkerboard {checkerboard(outputs[kind][None, None]):.2f}", fontsize=9)
        detail = axes[row, 2].imshow(details[kind].numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
    # Each column is one view, named once at its top; the titles hold what differs from block to block.
    for ax, view in zip(axes[0], ("taps per pixel, 8×8 → 16×16", f"seed {seed}: a digit, 28×28 → 56×56",
                                  "high-pass (minus 3×3 mean)"), strict=True):
        ax.set_title(f"{view}\n{ax.get_title()}", fontsize=9)
    figure.colorbar(taps, ax=axes[:, 0], location="bottom", shrink=0.9, label="taps per output pixel")
    figure.colorbar(values, ax=axes[:, 1], location="bottom", shrink=0.9, label="output value")
    figure.colorbar(detail, ax=axes[:, 2], location="bottom", shrink=0.9, label="output − local mean")
    hide_ticks(axes)
    figure.suptitle("Six ways to double a map: where the kernel lands,\nand what a freshly initialised one leaves")
    return figure
