"""lessons/helpers.py: the doubling blocks, the checkerboard measure, the high-pass view and the seeded split."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import DOUBLING_BLOCKS, checkerboard, doubling_block, high_pass, split_digits

from upsample_example import DataError, MnistSample, run_as_command


@pytest.mark.parametrize("kind", DOUBLING_BLOCKS)
@pytest.mark.parametrize(("height", "width"), [(7, 7), (14, 14), (5, 9)])
def test_every_block_doubles_height_and_width(kind, height, width):
    block = doubling_block(kind, 3, 5)
    assert block(torch.rand(2, 3, height, width)).shape == (2, 5, 2 * height, 2 * width)


def test_unknown_block_is_refused():
    with pytest.raises(ValueError, match=r"'resize-conv'.*'pixel-shuffle'"):
        doubling_block("pixel-shuffle", 1, 1)


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


def test_checkerboard_sees_class_means_only():
    """Zeroing every odd row leaves the four class means alike when the even rows average 0: the measure scores 0."""
    noise = torch.randn(1, 1, 16, 16, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    noise[..., 1::2, :] = 0
    for first_column in (1, 2):  # inside the 1-pixel border, the even rows' two classes now average 0
        noise[..., 2:-1:2, first_column:-1:2] -= noise[..., 2:-1:2, first_column:-1:2].mean()
    assert checkerboard(noise) == pytest.approx(checkerboard_numpy(noise.numpy()))
    assert checkerboard(noise) == pytest.approx(0, abs=1e-12)


def test_high_pass_removes_constants_and_keeps_a_checkerboard():
    assert high_pass(torch.full((1, 1, 8, 8), 0.3)).abs().max() < 1e-6
    rows, columns = torch.meshgrid(torch.arange(8), torch.arange(8), indexing="ij")
    pattern = ((-1.0) ** (rows + columns)).reshape(1, 1, 8, 8)
    interior = high_pass(pattern)[..., 1:-1, 1:-1]
    # the 3×3 mean of a checkerboard is ±1/9 of the centre's sign: 1 - 1/9 of the pattern remains
    torch.testing.assert_close(interior, pattern[..., 1:-1, 1:-1] * (1 - 1 / 9))


def test_split_is_shuffled_disjoint_and_holds_every_class():
    sample = MnistSample()
    train, held_out = split_digits(4000, 1000, seed=0)
    assert train.shape == (4000, 1, 28, 28) and held_out.shape == (1000, 1, 28, 28)
    order = torch.randperm(5000, generator=torch.Generator().manual_seed(0))  # the split's order, drawn again here
    assert sorted({sample.targets[int(index)] for index in order[4000:]}) == list(range(10))
    torch.testing.assert_close(held_out[0], sample[int(order[4000])][0])
    torch.testing.assert_close(train[0], sample[int(order[0])][0])


def test_split_refuses_more_digits_than_the_sample_has():
    with pytest.raises(DataError, match=r"5000 digits, fewer than the 5000 \+ 1 this lesson needs"):
        split_digits(5000, 1)


def test_a_lesson_asked_for_more_digits_than_there_are_exits_1_in_one_line(capsys):
    assert run_as_command(lambda: split_digits(6000, 1000)) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: the sample has 5000 digits") and "Traceback" not in err


def test_a_lesson_interrupted_exits_130_in_one_line(capsys):
    def interrupted():
        raise KeyboardInterrupt

    assert run_as_command(interrupted) == 130
    assert capsys.readouterr().err == "interrupted\n"
