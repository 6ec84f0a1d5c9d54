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


def test_held_out_numbers_order_as_the_readme_says(every_figure):
    numbers = table(every_figure[1][SCRIPT])
    board = {name: values[-1] for name, values in numbers.items()}
    error = {name: values[0] for name, values in numbers.items() if len(values) == 2}
    learned = [kind for kind in DOUBLING_BLOCKS if kind != "resize-conv"]
    # the resize-convolution reconstructs worst, twice the error of any other, and keeps the least checkerboard
    assert 1.8 < error["resize-conv"] / max(error[kind] for kind in learned) < 2.2
    assert board["resize-conv"] < min(board[kind] for kind in learned)
    assert board["resize-conv"] > 2 * board["(originals)"]
    # kernel 4 reconstructs best, with or without the bilinear start; the sub-pixel decoders keep the most
    assert min(error, key=error.get) in ("transposed k4", "transposed k4 bilinear")
    assert min(board["sub-pixel"], board["sub-pixel ICNR"]) > max(board[kind] for kind in learned[:3])
    # ICNR and the bilinear start remove the checkerboard at initialisation, not the one training puts back
    assert board["sub-pixel ICNR"] > 10 * board["resize-conv"] and board["transposed k4 bilinear"] > board["transposed k4"]


def test_figure_draws_digits_high_pass_views_and_mean_errors():
    originals = torch.rand(12, 1, 28, 28)
    rebuilt = {kind: torch.rand(12, 1, 28, 28) for kind in DOUBLING_BLOCKS}
    figure = plot_decoders(originals, rebuilt, shown=4)
    digits_subfigure, errors_subfigure = figure.subfigs
    grid = [ax for ax in digits_subfigure.axes if ax.images]
    assert len(grid) == 2 * (1 + len(DOUBLING_BLOCKS)) * 4  # per row: digits, then their high-pass views
    assert [grid[8 * row].get_ylabel() for row in range(1 + len(DOUBLING_BLOCKS))] == ["original", *DOUBLING_BLOCKS]
    np.testing.assert_allclose(grid[8 + 4 + 2].images[0].get_array(), high_pass(rebuilt["resize-conv"])[2, 0].numpy())
    maps = [ax for ax in errors_subfigure.axes if ax.images]
    assert [ax.get_title() for ax in maps] == list(DOUBLING_BLOCKS)
    for ax, kind in zip(maps, DOUBLING_BLOCKS, strict=True):  # the mean error over all 12 digits, on one shared scale
        np.testing.assert_allclose(ax.images[0].get_array(), (rebuilt[kind] - originals).mean(dim=0)[0].numpy(), rtol=1e-6)
    assert len({ax.images[0].get_clim() for ax in maps}) == 1
    assert any(ax.get_ylabel() == "mean error" for ax in errors_subfigure.axes)
    matplotlib.pyplot.close(figure)


def test_fewer_than_one_epoch_is_refused(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["--epochs", "0"])
    assert raised.value.code == 2 and "--epochs must be at least 1, got 0" in capsys.readouterr().err
