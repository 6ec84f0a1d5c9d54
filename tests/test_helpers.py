"""The lessons' shared helpers (upsample_helpers): the doubling blocks, the checkerboard measure, the high-pass view and the seeded split."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from upsample_example import MnistSample
from upsample_files import DataError
from upsample_helpers import DOUBLING_BLOCKS, checkerboard, doubling_block, high_pass, icnr_, split_digits


@pytest.mark.parametrize("kind", DOUBLING_BLOCKS)
@pytest.mark.parametrize(("height", "width"), [(7, 7), (14, 14), (5, 9)])
def test_every_block_doubles_height_and_width(kind, height, width):
    block = doubling_block(kind, 3, 5)
    assert block(torch.rand(2, 3, height, width)).shape == (2, 5, 2 * height, 2 * width)


def test_unknown_block_is_refused():
    with pytest.raises(ValueError, match=r"'resize-conv'.*'pixel-shuffle'"):
        doubling_block("pixel-shuffle", 1, 1)


def checkerboard_numpy(output: np.ndarray, border: int = 2) -> float:
    """The measure's definition, again in NumPy: per channel, spread of the 4 parity-class means over the pixel spread."""
    interior = output[..., border:-border, border:-border]
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


@pytest.mark.parametrize("border", [1, 2])
@pytest.mark.parametrize("seed", range(3))
def test_checkerboard_matches_its_definition_in_numpy(seed, border):
    output = torch.rand(3, 2, 12, 12, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    output[:, 1, ::2, ::2] += 0.5  # one channel with a periodic component
    assert checkerboard(output, border) == pytest.approx(checkerboard_numpy(output.numpy(), border))


def test_checkerboard_sees_class_means_only():
    """Zeroing every odd row leaves the four class means alike when the even rows average 0: the measure scores 0."""
    noise = torch.randn(1, 1, 16, 16, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    noise[..., 1::2, :] = 0
    for first_column in (1, 2):  # inside the 1-pixel border, the even rows' two classes now average 0
        noise[..., 2:-1:2, first_column:-1:2] -= noise[..., 2:-1:2, first_column:-1:2].mean()
    assert checkerboard(noise, border=1) == pytest.approx(checkerboard_numpy(noise.numpy(), border=1))
    assert checkerboard(noise, border=1) == pytest.approx(0, abs=1e-12)


def test_high_pass_removes_constants_and_keeps_a_checkerboard():
    assert high_pass(torch.full((1, 1, 8, 8), 0.3)).abs().max() < 1e-6
    rows, columns = torch.meshgrid(torch.arange(8), torch.arange(8), indexing="ij")
    pattern = ((-1.0) ** (rows + columns)).reshape(1, 1, 8, 8)
    interior = high_pass(pattern)[..., 1:-1, 1:-1]
    # the 3×3 mean of a checkerboard is ±1/9 of the centre's sign: 1 - 1/9 of the pattern remains
    torch.testing.assert_close(interior, pattern[..., 1:-1, 1:-1] * (1 - 1 / 9))


def test_split_is_shuffled_disjoint_and_holds_every_class():
    sample = MnistSample()
    assert list(sample.targets) == sorted(sample.targets)  # why the split must shuffle: the sample is sorted by class
    train, held_out = split_digits(400, 100, seed=0)
    assert train.shape == (400, 1, 28, 28) and held_out.shape == (100, 1, 28, 28)
    order = torch.randperm(5000, generator=torch.Generator().manual_seed(0))  # the split's order, drawn again here
    assert sorted({sample.targets[int(index)] for index in order[400:500]}) == list(range(10))
    torch.testing.assert_close(held_out[0], sample[int(order[400])][0])
    torch.testing.assert_close(train[0], sample[int(order[0])][0])


def test_split_refuses_more_digits_than_the_sample_has():
    with pytest.raises(DataError, match=r"5000 digits, fewer than the 5000 \+ 1 this lesson needs"):
        split_digits(5000, 1)


# -- sub-pixel convolution with ICNR, and the bilinear transposed convolution ----------------------------------------
@pytest.mark.parametrize(("channels_in", "channels_out"), [(16, 8), (32, 16), (1, 1)])
def test_icnr_block_is_a_convolution_followed_by_nearest_doubling(channels_in, channels_out):
    """float64, bit for bit, with weights and inputs in multiples of 1/64 and 1/16, so that every sum is exact
    whatever order torch adds in. (With the raw initial weights the two differ by rounding, 1e-16: torch sums
    copies of one kernel in different orders.) And it is not nearest doubling followed by the convolution."""
    torch.manual_seed(0)
    block = doubling_block("sub-pixel ICNR", channels_in, channels_out).double()
    convolution = block[0]
    x = torch.randint(0, 16, (2, channels_in, 7, 9)).double() / 16
    smaller = nn.Conv2d(channels_in, channels_out, 3, padding=1).double()
    with torch.no_grad():
        torch.testing.assert_close(block(x), _conv_then_nearest(convolution, smaller, x), rtol=0, atol=1e-14)
        for parameter in convolution.parameters():  # dyadic weights; each group of four still shares one kernel
            parameter.copy_(torch.round(parameter * 64) / 64)
        assert torch.equal(block(x), _conv_then_nearest(convolution, smaller, x))
        assert (block(x) - smaller(F.interpolate(x, scale_factor=2, mode="nearest"))).abs().max() > 0.05


def _conv_then_nearest(convolution: nn.Conv2d, smaller: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """``smaller`` given the shared kernel of each group of four channels of ``convolution``, then nearest 2×."""
    smaller.weight.copy_(convolution.weight[::4])
    smaller.bias.copy_(convolution.bias[::4])
    return F.interpolate(smaller(x), scale_factor=2, mode="nearest")


def test_icnr_gives_each_group_of_four_channels_one_kernel_and_bias():
    convolution = icnr_(nn.Conv2d(3, 20, 3, padding=1))
    weight, bias = convolution.weight.reshape(5, 4, 3, 3, 3), convolution.bias.reshape(5, 4)
    assert torch.equal(weight, weight[:, :1].expand_as(weight)) and torch.equal(bias, bias[:, :1].expand_as(bias))
    assert not torch.equal(weight[0, 0], weight[1, 0])  # different kernels for different output channels


def test_icnr_border_is_two_output_pixels_wide():
    """The zero padding changes the outermost pixel of the small map; PixelShuffle copies it to 2 output pixels."""
    torch.manual_seed(0)
    with torch.no_grad():
        output = doubling_block("sub-pixel ICNR", 1, 8)(torch.ones(1, 1, 14, 14))
    rows = output[0, :, :, 6]  # one column, all rows: (8 channels, 28)
    assert torch.equal(rows[:, 0], rows[:, 1]) and torch.equal(rows[:, -1], rows[:, -2])
    assert not torch.allclose(rows[:, 1], rows[:, 2])  # the border's value differs from the interior's
    torch.testing.assert_close(rows[:, 2:-2], rows[:, 2:3].expand(-1, 24))
    assert checkerboard(output, border=2) == 0.0 < 0.1 < checkerboard(output, border=1)


def test_bilinear_transposed_convolution_is_bilinear_interpolation_inside_and_three_quarters_at_the_edge():
    block = doubling_block("transposed k4 bilinear", 3, 3).double()
    x = torch.rand(2, 3, 7, 9, dtype=torch.float64)
    ours, interpolated = block(x), F.interpolate(x, scale_factor=2, mode="bilinear")
    torch.testing.assert_close(ours[..., 1:-1, 1:-1], interpolated[..., 1:-1, 1:-1], rtol=0, atol=1e-15)
    # Beyond the edge the transposed convolution adds 0 where interpolation repeats the edge pixel: the outermost
    # rows and columns get ¾ of the value (the corners ¾ · ¾).
    rows, columns = torch.ones(14, dtype=torch.float64), torch.ones(18, dtype=torch.float64)
    rows[[0, -1]] = columns[[0, -1]] = 0.75
    torch.testing.assert_close(ours, interpolated * rows[:, None] * columns[None, :], rtol=0, atol=1e-15)


def test_bilinear_transposed_convolution_maps_channel_c_to_channel_c_only():
    block = doubling_block("transposed k4 bilinear", 4, 2)
    x = torch.zeros(1, 4, 5, 5)
    x[0, 3] = 1.0  # a channel with no output channel of its own
    assert torch.equal(block(x), torch.zeros(1, 2, 10, 10))
    x[0, 1] = 1.0
    assert block(x)[0, 0].abs().max() == 0 and block(x)[0, 1, 4, 4] == 1.0


def test_save_for_readme_saves_only_where_lesson_images_names_a_folder(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    from upsample_helpers import save_for_readme

    figure = plt.figure()
    monkeypatch.delenv("LESSON_IMAGES", raising=False)
    assert save_for_readme(figure, "figure.png") is None
    monkeypatch.setenv("LESSON_IMAGES", str(tmp_path / "new" / "images"))
    path = save_for_readme(figure, "figure.png")
    assert path == tmp_path / "new" / "images" / "figure.png" and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plt.fignum_exists(figure.number)  # still open: the notebook or the gallery shows it
    plt.close(figure)


@pytest.mark.parametrize("blocker", ["a file", "a dangling link"])
def test_save_for_readme_into_a_folder_that_cannot_be_made_names_it(tmp_path, monkeypatch, blocker):
    import matplotlib.pyplot as plt

    from upsample_helpers import save_for_readme

    images = tmp_path / "images"
    if blocker == "a file":
        images.write_text("in the way")
    else:
        images.symlink_to(tmp_path / "nowhere")
    monkeypatch.setenv("LESSON_IMAGES", str(images))
    with pytest.raises(SystemExit) as raised:  # a script's ending: the message, on one line, and status 1
        save_for_readme(plt.figure(), "figure.png")
    plt.close("all")
    assert raised.value.code == f"error: cannot save figure.png in $LESSON_IMAGES ({images}): {images}: not a folder"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["images"]  # nothing made through the link


def test_save_for_readme_ends_a_lesson_in_one_line_when_the_folder_cannot_be_written(tmp_path):
    """A page run as a script, with $LESSON_IMAGES a file, a link to nowhere or a newline in its name: one line."""
    import subprocess
    import sys

    from conftest import ROOT, headless_environment

    page = tmp_path / "page.py"
    page.write_text("import matplotlib.pyplot as plt\nfrom upsample_helpers import save_for_readme\nsave_for_readme(plt.figure(), 'f.png')\n")
    (tmp_path / "a file").write_text("in the way")
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    for folder in (tmp_path / "a file", tmp_path / "link", tmp_path / "a file" / "new\nline", "~nosuchuser/x"):
        env = {**headless_environment(), "LESSON_IMAGES": str(folder), "PYTHONPATH": f"{ROOT}:{ROOT / 'lessons'}",
               "MPLBACKEND": "Agg"}
        result = subprocess.run([sys.executable, str(page)], env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 1 and result.stdout == "", result.stderr
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: cannot save f.png"), result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a file", "link", "page.py"]


def test_run_all_given_a_bad_flag_exits_2_in_one_line():
    import subprocess
    import sys

    from conftest import ROOT

    result = subprocess.run([sys.executable, str(ROOT / "lessons" / "run_all.py"), "--bogus"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "unrecognized arguments: --bogus" in result.stderr
