"""The trained-decoders lesson (lessons/plot_decoders.py): its model and training (upsample_helpers) and its
figure (upsample_helpers.decoders). The page itself trains for most of a minute; the gallery build runs it, and its asserts check its text."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
import torch

from upsample_helpers import DOUBLING_BLOCKS, TRAINING_DTYPE, Autoencoder, high_pass, sample_digits, train
from upsample_helpers.decoders import orders_by_seed, plot_decoders, seed_shares

matplotlib.use("Agg")



@pytest.mark.parametrize("kind", DOUBLING_BLOCKS)
def test_autoencoder_maps_digits_to_digits_clamped_to_0_1_when_evaluated(kind):
    model = Autoencoder(kind)
    digits = torch.rand(3, 1, 28, 28)
    raw = model(digits)  # training mode: the decoder's linear output, gradients everywhere
    assert raw.shape == (3, 1, 28, 28)
    torch.testing.assert_close(model.eval()(digits), raw.clamp(0, 1))


def test_same_seed_same_training_and_another_seed_another():
    digits = sample_digits(64).to(TRAINING_DTYPE)

    def trained(seed):
        torch.manual_seed(seed)
        return train(Autoencoder("transposed k4").to(TRAINING_DTYPE), digits, digits, epochs=1, seed=seed)

    first, second, other = trained(3), trained(3), trained(4)
    assert not first.training
    assert all(torch.equal(a, b) for a, b in zip(first.parameters(), second.parameters(), strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(first.parameters(), other.parameters(), strict=True))


def test_training_lowers_the_loss_and_restores_the_thread_count():
    digits = sample_digits(128).to(TRAINING_DTYPE)
    torch.manual_seed(0)
    model = Autoencoder("sub-pixel").to(TRAINING_DTYPE)
    before = torch.nn.functional.mse_loss(model(digits), digits).item()
    threads = torch.get_num_threads()
    train(model, digits, digits, epochs=3, seed=0)
    assert torch.get_num_threads() == threads
    with torch.no_grad():
        assert torch.nn.functional.mse_loss(model(digits), digits).item() < 0.9 * before


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


def test_seed_shares_are_each_decoders_seed_span_over_the_span_of_the_means():
    """Against NumPy: np.ptp over the seeds of each decoder, over np.ptp of the decoders' means."""
    values = np.random.default_rng(0).random((len(DOUBLING_BLOCKS), 3))
    measure = {kind: list(row) for kind, row in zip(DOUBLING_BLOCKS, values, strict=True)}
    expected = np.ptp(values, axis=1) / np.ptp(values.mean(axis=1))
    np.testing.assert_allclose([seed_shares(measure)[kind] for kind in DOUBLING_BLOCKS], expected, rtol=1e-12)


def test_orders_by_seed_rank_the_kinds_by_each_seeds_value_as_argsort_does():
    kinds = DOUBLING_BLOCKS[2:]
    values = np.array([[0.3, 0.1, 0.2], [0.1, 0.3, 0.25], [0.2, 0.2, 0.1], [0.4, 0.05, 0.3]])  # (kinds, seeds)
    measure = {kind: list(row) for kind, row in zip(kinds, values, strict=True)}
    expected = [tuple(np.array(kinds)[np.argsort(values[:, seed], kind="stable")]) for seed in range(3)]
    assert orders_by_seed(measure, kinds) == expected
    assert len(set(expected)) == 3  # three seeds, three orders: what the page asserts of its own
