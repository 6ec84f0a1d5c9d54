"""Upsampling inside a network: tap counts, the checkerboard measure, gradients, and a short training run."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from reference import linear_matrix

from upsample_example import (
    DOUBLING_BLOCKS,
    Autoencoder,
    MnistSample,
    UpsampleExample,
    checkerboard,
    checkerboard_at_initialisation,
    doubling_block,
    split_digits,
    tap_counts,
    train_autoencoder,
)


@pytest.fixture(scope="module")
def sample() -> MnistSample:
    return MnistSample()


def digits_from(sample: MnistSample, step: int) -> torch.Tensor:
    """Every ``step``-th digit of the sample (which is sorted by class, so every class is in): (N, 1, 28, 28)."""
    return torch.stack([sample[index][0] for index in range(0, len(sample), step)])


def taps_1d(n_in: int, kernel: int, stride: int, padding: int, n_out: int) -> np.ndarray:
    """For each output index, how many (input index, kernel index) pairs a transposed convolution writes to it."""
    counts = np.zeros(n_out, dtype=int)
    for n in range(n_in):
        for k in range(kernel):
            position = n * stride + k - padding  # where input n, through tap k, lands
            if 0 <= position < n_out:
                counts[position] += 1
    return counts


def conv_taps_1d(n: int) -> np.ndarray:
    """For a 3×3 convolution with padding 1: how many of an output's three taps fall inside the input."""
    return np.array([sum(0 <= i + d < n for d in (-1, 0, 1)) for i in range(n)])


INDEPENDENT_COUNTS = {
    "transposed k3": lambda n: np.outer(taps_1d(n, 3, 2, 1, 2 * n), taps_1d(n, 3, 2, 1, 2 * n)),
    "transposed k4": lambda n: np.outer(taps_1d(n, 4, 2, 1, 2 * n), taps_1d(n, 4, 2, 1, 2 * n)),
    "resize-conv": lambda n: np.outer(conv_taps_1d(2 * n), conv_taps_1d(2 * n)),
}


@pytest.mark.parametrize("kind", DOUBLING_BLOCKS)
def test_tap_counts_match_an_independent_count(kind):
    np.testing.assert_array_equal(tap_counts(kind, 8).numpy(), INDEPENDENT_COUNTS[kind](8))


def test_kernel_3_covers_the_interior_unevenly_by_parity():
    counts = tap_counts("transposed k3", 8)[2:-2, 2:-2]
    # rows and columns alternate 1 and 2 taps: the product is 1, 2 or 4 by (row parity, column parity)
    for row_parity in (0, 1):
        for column_parity in (0, 1):
            block = counts[row_parity::2, column_parity::2]
            assert (block == (1 + row_parity) * (1 + column_parity)).all()


@pytest.mark.parametrize(("kind", "value"), [("transposed k4", 4), ("resize-conv", 9)])
def test_kernel_4_and_resize_conv_cover_the_interior_evenly(kind, value):
    assert (tap_counts(kind, 8)[1:-1, 1:-1] == value).all()


@pytest.mark.parametrize("kind", DOUBLING_BLOCKS)
@pytest.mark.parametrize(("height", "width"), [(7, 7), (14, 14), (5, 9)])
def test_every_block_doubles_height_and_width(kind, height, width):
    block = doubling_block(kind, 3, 5)
    assert block(torch.rand(2, 3, height, width)).shape == (2, 5, 2 * height, 2 * width)


def test_unknown_block_is_refused():
    with pytest.raises(ValueError, match=r"'resize-conv'.*'pixel-shuffle'"):
        doubling_block("pixel-shuffle", 1, 1)


@pytest.mark.parametrize("seed", range(3))
def test_resize_conv_gives_a_constant_interior_on_a_constant_input(seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        output = doubling_block("resize-conv", 4, 6)(torch.full((1, 4, 10, 10), 0.7))
    interior = output[..., 1:-1, 1:-1]
    torch.testing.assert_close(interior, interior[..., :1, :1].expand_as(interior))


# -- the checkerboard measure ---------------------------------------------------------------------------------------
def checkerboard_numpy(output: np.ndarray) -> float:
    """The measure's definition, again in NumPy: per channel, spread of the 4 parity-class means over the pixel spread."""
    interior = output[..., 1:-1, 1:-1]
    scores = []
    for channel in range(interior.shape[1]):
        pixels = interior[:, channel]
        means = [pixels[:, a::2, b::2].mean() for a in (0, 1) for b in (0, 1)]
        scores.append(0.0 if pixels.std() < 1e-12 else np.std(means) / pixels.std())
    return float(np.mean(scores))


def test_checkerboard_of_known_patterns():
    rows, columns = np.meshgrid(np.arange(16), np.arange(16), indexing="ij")
    pattern = torch.tensor((-1.0) ** (rows + columns)).reshape(1, 1, 16, 16)
    assert checkerboard(pattern) == pytest.approx(1.0)  # all of it repeats every 2 pixels
    assert checkerboard(torch.full((2, 3, 16, 16), 5.0)) == 0.0
    smooth = torch.linspace(0, 1, 16).reshape(1, 1, 1, 16).expand(1, 1, 16, 16)
    assert checkerboard(smooth + 0.1 * pattern) < checkerboard(smooth + 1.0 * pattern) < 1


@pytest.mark.parametrize("seed", range(3))
def test_checkerboard_matches_its_definition_in_numpy(seed):
    output = torch.rand(3, 2, 12, 12, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    output[:, 1, ::2, ::2] += 0.5  # one channel with a periodic component
    assert checkerboard(output) == pytest.approx(checkerboard_numpy(output.numpy()))


def test_at_initialisation_transposed_blocks_leave_a_checkerboard_and_resize_conv_none(sample):
    constant = torch.ones(1, 1, 14, 14)
    assert checkerboard_at_initialisation("resize-conv", constant) == (0.0, 0.0)
    for kind in ("transposed k3", "transposed k4"):  # even overlap evens the tap count, not the weights
        mean, _ = checkerboard_at_initialisation(kind, constant)
        assert mean == pytest.approx(1.0)
    digits = digits_from(sample, 100)
    resize = checkerboard_at_initialisation("resize-conv", digits)[0]
    assert resize < 0.01  # the parity classes of a resize-convolution's output share their mean
    for kind in ("transposed k3", "transposed k4"):
        assert checkerboard_at_initialisation(kind, digits)[0] > 10 * max(resize, 0.01)


# -- backward -------------------------------------------------------------------------------------------------------
def test_gradient_of_nearest_is_2x2_sum_pooling():
    x = torch.rand(2, 3, 5, 7, dtype=torch.float64, requires_grad=True)
    upstream = torch.rand(2, 3, 10, 14, dtype=torch.float64)
    UpsampleExample(scale_factor=2)(x).backward(upstream)
    summed = upstream.numpy().reshape(2, 3, 5, 2, 7, 2).sum(axis=(3, 5))  # each 2×2 block of the gradient, summed
    np.testing.assert_allclose(x.grad.numpy(), summed, atol=1e-12)


@pytest.mark.parametrize("align_corners", [False, True], ids=["centres", "corners"])
def test_bilinear_backward_is_the_adjoint_of_forward(align_corners):
    """<U x, y> = <x, U^T y>, with U^T y what autograd computes, for random x and y in float64."""
    up = UpsampleExample(size=(11, 13), mode="bilinear", align_corners=align_corners)
    for seed in range(3):
        generator = torch.Generator().manual_seed(seed)
        x = torch.rand(1, 2, 5, 6, dtype=torch.float64, generator=generator, requires_grad=True)
        y = torch.rand(1, 2, 11, 13, dtype=torch.float64, generator=generator)
        (transposed,) = torch.autograd.grad(up(x), x, grad_outputs=y)
        assert (up(x) * y).sum().item() == pytest.approx((x * transposed).sum().item(), rel=1e-12)


def test_bilinear_gradient_is_the_transpose_of_its_matrix_built_column_by_column():
    up = UpsampleExample(size=(7, 9), mode="bilinear")
    n_in = 4 * 5
    columns = []
    for index in range(n_in):  # column i of U: the upsampled unit image e_i
        unit = torch.zeros(n_in, dtype=torch.float64)
        unit[index] = 1
        columns.append(up(unit.reshape(1, 1, 4, 5)).flatten())
    matrix = torch.stack(columns, dim=1)  # (63, 20)
    x = torch.rand(1, 1, 4, 5, dtype=torch.float64, requires_grad=True)
    y = torch.rand(1, 1, 7, 9, dtype=torch.float64)
    up(x).backward(y)
    np.testing.assert_allclose(x.grad.flatten().numpy(), (matrix.T @ y.flatten()).numpy(), atol=1e-12)
    # and the matrix is the separable one from the NumPy reference
    reference = np.kron(linear_matrix(4, 7), linear_matrix(5, 9))
    np.testing.assert_allclose(matrix.numpy(), reference, atol=1e-12)


# -- training -------------------------------------------------------------------------------------------------------
def test_split_is_shuffled_disjoint_and_holds_every_class(sample):
    train, held_out = split_digits(sample, seed=0)
    assert train.shape == (4000, 1, 28, 28) and held_out.shape == (1000, 1, 28, 28)
    order = torch.randperm(5000, generator=torch.Generator().manual_seed(0))
    held_out_labels = [sample.targets[int(index)] for index in order[4000:]]
    assert sorted(set(held_out_labels)) == list(range(10))
    torch.testing.assert_close(held_out[0], sample[int(order[4000])][0])


@pytest.mark.parametrize("kind", DOUBLING_BLOCKS)
def test_short_training_lowers_the_loss(kind, sample):
    digits = digits_from(sample, 16)  # 313 digits
    losses = []
    model = train_autoencoder(kind, digits, epochs=4, seed=0, on_epoch=lambda epoch, loss: losses.append(loss))
    assert len(losses) == 4 and losses[-1] < 0.7 * losses[0]
    assert isinstance(model, Autoencoder) and not model.training
    with torch.no_grad():
        output = model(digits[:5])
    assert output.shape == (5, 1, 28, 28) and output.min() >= 0 and output.max() <= 1


def test_same_seed_same_training(sample):
    digits = digits_from(sample, 50)
    first = train_autoencoder("transposed k4", digits, epochs=1, seed=3)
    second = train_autoencoder("transposed k4", digits, epochs=1, seed=3)
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert torch.equal(a, b)
