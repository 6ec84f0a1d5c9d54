"""Upsampling inside a network: the ways to double a feature map, and the checkerboard each leaves.

Run it from the repository root (it writes images/checkerboard.png and prints the table the README shows):

    python lessons/plot_checkerboard.py

A decoder can upsample and then convolve (a resize-convolution), learn the upsampling with a transposed
convolution, or compute four sub-pixels per pixel and shuffle them into place (sub-pixel convolution).
They differ in how evenly the kernel's taps cover the output, and in what their initialisation leaves.
"""

# %%
from __future__ import annotations

from collections.abc import Sequence

import torch
from helpers import (
    DOUBLING_BLOCKS,
    checkerboard,
    doubling_block,
    hide_ticks,
    high_pass,
    lesson_parser,
    sample_digits,
    write,
)
from matplotlib.figure import Figure

from upsample_example import DEFAULT_SEED
from upsample_io import notebook_figure_class, run_as_command

SEEDS = range(5)  # random initialisations averaged in the table


# %% [markdown]
# Set every weight to 1 and the bias to 0, and feed ones: each output pixel counts the taps that land on it.


# %%
def tap_counts(kind: str, size: int = 8) -> torch.Tensor:
    """How many kernel taps land on each output pixel: every weight 1, no bias, a size×size input of ones."""
    block = doubling_block(kind, 1, 1)
    with torch.no_grad():
        for parameter in block.parameters():
            parameter.fill_(0.0 if parameter.dim() == 1 else 1.0)  # biases 0, weights 1
        return block(torch.ones(1, 1, size, size))[0, 0]  # (2·size, 2·size)


def checkerboard_at_initialisation(kind: str, inputs: torch.Tensor, channels_out: int = 8,
                                   seeds: Sequence[int] = SEEDS, border: int = 2) -> tuple[float, float]:
    """Mean and spread over seeds of ``checkerboard`` for freshly initialised blocks on ``inputs``."""
    scores = []
    for seed in seeds:
        torch.manual_seed(seed)
        block = doubling_block(kind, inputs.shape[1], channels_out)
        with torch.no_grad():
            scores.append(checkerboard(block(inputs), border))
    values = torch.tensor(scores)
    return values.mean().item(), values.std(correction=0).item()


# %%
def plot_checkerboard(digit: torch.Tensor, seed: int = DEFAULT_SEED) -> Figure:
    """Per block (columns): its tap counts, and one random block (``seed``) on a digit and that output's high-pass view.

    Panels of a row share one colour scale.
    """
    import matplotlib.pyplot as plt

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

    figure, axes = plt.subplots(3, len(DOUBLING_BLOCKS), figsize=(3.3 * len(DOUBLING_BLOCKS), 10),
                                layout="constrained", FigureClass=notebook_figure_class())
    for column, kind in enumerate(DOUBLING_BLOCKS):
        inside = sorted(set(counts[kind][2:-2, 2:-2].int().flatten().tolist()))  # away from the border
        taps = axes[0, column].imshow(counts[kind].numpy(), cmap="viridis", vmin=0, vmax=most_taps)
        axes[0, column].set_title(f"{kind}: {', '.join(map(str, inside))} taps inside", fontsize=9)
        values = axes[1, column].imshow(outputs[kind].numpy(), cmap="gray", vmin=low, vmax=high)
        axes[1, column].set_title(f"checkerboard {checkerboard(outputs[kind][None, None]):.2f}", fontsize=9)
        detail = axes[2, column].imshow(details[kind].numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
    # Each row is one view, named once at its left; the titles hold what differs from block to block.
    for ax, view in zip(axes[:, 0], ("taps per pixel,\n8×8 → 16×16", f"seed {seed}: a digit,\n28×28 → 56×56",
                                     "high-pass view\n(minus 3×3 mean)"), strict=True):
        ax.set_ylabel(view, fontsize=9)
    figure.colorbar(taps, ax=axes[0, :], shrink=0.8, label="taps per output pixel")
    figure.colorbar(values, ax=axes[1, :], shrink=0.8, label="output value")
    figure.colorbar(detail, ax=axes[2, :], shrink=0.8, label="output − local mean")
    hide_ticks(axes)
    figure.suptitle("Six ways to double a map: where the kernel lands, and what a freshly initialised one leaves")
    return figure


# %%
def main(argv: Sequence[str] | None = None) -> int:
    args = lesson_parser(__doc__).parse_args(argv)
    digits = sample_digits(64)
    print(f"checkerboard at initialisation, mean ± spread over {len(SEEDS)} seeds "
          "(0: none, 1: the whole output repeats every 2 pixels):")
    print(f"{'block':<22} {'constant input':>16} {'64 digits':>16}")
    for kind in DOUBLING_BLOCKS:
        scores = [checkerboard_at_initialisation(kind, inputs) for inputs in (torch.ones(1, 1, 14, 14), digits)]
        print(f"{kind:<22} " + " ".join(f"{mean:>9.3f} ± {spread:.3f}" for mean, spread in scores))
    mean, spread = checkerboard_at_initialisation("sub-pixel ICNR", torch.ones(1, 1, 14, 14), border=1)
    print(f"sub-pixel ICNR on the constant input, measured inside a 1-pixel border instead of 2: "
          f"{mean:.3f} ± {spread:.3f}")
    print(f"wrote {write(plot_checkerboard(digits[0]), args.images, 'checkerboard.png')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_as_command(main))
