"""The trained-decoders lesson (lessons/plot_decoders.py): the model, determinism, the figure, and what the one
training run of the suite (run_all, in conftest) printed."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
import torch
from helpers import DOUBLING_BLOCKS, high_pass, sample_digits
from plot_decoders import Autoencoder, main, plot_decoders, train_autoencoder

matplotlib.use("Agg")

SCRIPT = "lessons/plot_decoders.py"


def table(printed: list[str]) -> dict[str, list[float]]:
    """The held-out table the lesson prints: row name -> its numbers."""
    start = next(index for index, line in enumerate(printed) if line.startswith("on ") and "held-out" in line)
    rows = printed[start + 2: start + 2 + 1 + len(DOUBLING_BLOCKS)]
    return {row[:22].strip(): [float(value) for value in row[22:].split()] for row in rows}


@pytest.mark.parametrize("kind", DOUBLING_BLOCKS)
def test_autoencoder_maps_digits_to_digits_clamped_to_0_1_when_evaluated(kind):
    model = Autoencoder(kind)
    digits = torch.rand(3, 1, 28, 28)
    raw = model(digits)  # training mode: the decoder's linear output, gradients everywhere
    assert raw.shape == (3, 1, 28, 28)
    torch.testing.assert_close(model.eval()(digits), raw.clamp(0, 1))


def test_same_seed_same_training():
    digits = sample_digits(64)
    first = train_autoencoder("transposed k4", digits, epochs=1, seed=3)
    second = train_autoencoder("transposed k4", digits, epochs=1, seed=3)
    assert not first.training
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert torch.equal(a, b)


def test_every_decoder_learned(every_figure):
    printed = every_figure[1][SCRIPT]
    losses = [float(line.split()[-1]) for line in printed if line.strip().startswith("epoch")]
    assert len(losses) == 6 * len(DOUBLING_BLOCKS)
    for kind in range(len(DOUBLING_BLOCKS)):
        first, *_, last = losses[6 * kind: 6 * kind + 6]
        assert last < 0.2 * first


def test_held_out_numbers_hold_what_the_readme_says_holds_by_a_wide_margin(every_figure):
    """Only the claims the README keeps: the learned decoders' order moves with the seed and the processor."""
    numbers = table(every_figure[1][SCRIPT])
    board = {name: values[-1] for name, values in numbers.items()}
    error = {name: values[0] for name, values in numbers.items() if len(values) == 2}
    learned = [kind for kind in DOUBLING_BLOCKS if kind != "resize-conv"]
    # the resize-convolution reconstructs worst, by more than 1.5 times, and keeps the least checkerboard
    assert error["resize-conv"] > 1.5 * max(error[kind] for kind in learned)
    assert board["(originals)"] < board["resize-conv"] < min(board[kind] for kind in learned)


def test_figure_draws_digits_high_pass_views_and_each_mean_error_beside_its_rows():
    originals = torch.rand(12, 1, 28, 28)
    rebuilt = {kind: torch.rand(12, 1, 28, 28) for kind in DOUBLING_BLOCKS}
    figure = plot_decoders(originals, rebuilt, shown=4)
    pictures = [ax for ax in figure.axes if ax.images]
    grid, maps = pictures[:2 * (1 + len(DOUBLING_BLOCKS)) * 4], pictures[2 * (1 + len(DOUBLING_BLOCKS)) * 4:]
    assert len(maps) == len(DOUBLING_BLOCKS)
    assert [grid[8 * row].get_ylabel().replace("\n", " ") for row in range(1 + len(DOUBLING_BLOCKS))] == ["original", *DOUBLING_BLOCKS]
    np.testing.assert_allclose(grid[8 + 4 + 2].images[0].get_array(), high_pass(rebuilt["resize-conv"])[2, 0].numpy())
    assert [ax.get_title() for ax in maps] == [f"{kind}: mean error" for kind in DOUBLING_BLOCKS]
    figure.canvas.draw()
    for row, (ax, kind) in enumerate(zip(maps, DOUBLING_BLOCKS, strict=True), start=1):
        # the mean error over all 12 digits, on one shared scale, level with its decoder's two rows
        np.testing.assert_allclose(ax.images[0].get_array(), (rebuilt[kind] - originals).mean(dim=0)[0].numpy(), rtol=1e-6)
        digits, high_passes = grid[8 * row].get_position(), grid[8 * row + 4].get_position()
        centre = (ax.get_position().y0 + ax.get_position().y1) / 2
        assert high_passes.y0 <= centre <= digits.y1
    assert len({ax.images[0].get_clim() for ax in maps}) == 1
    assert all(ax.get_tightbbox().y0 >= 0 and ax.get_tightbbox().y1 <= figure.bbox.height for ax in figure.axes)
    labels = {ax.get_xlabel() for ax in figure.axes}
    assert {"grey level (digit rows)", "pixel − 3×3 mean (high-pass rows)", "mean error over all 12 digits"} <= labels
    matplotlib.pyplot.close(figure)


def test_fewer_than_one_epoch_is_refused(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["--epochs", "0"])
    assert raised.value.code == 2 and "--epochs must be at least 1, got 0" in capsys.readouterr().err
