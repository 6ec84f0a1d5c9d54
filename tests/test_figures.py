"""plot_before_after: what it draws, what it refuses, and how often a notebook shows it."""

from __future__ import annotations

import re

import matplotlib
import numpy as np
import pytest
import torch

from upsample_example import (
    DOUBLING_BLOCKS,
    MODE_VARIANTS,
    SIGNAL_LENGTH,
    SIGNAL_UPSAMPLED,
    UpsampleExample,
    figure_format,
    high_pass,
    plot_autoencoder,
    plot_before_after,
    plot_modes,
    plot_network,
    plot_temporal,
    plot_volumetric,
    sample_positions,
    sampled_sine,
)

matplotlib.use("Agg")
import matplotlib.pyplot as plt


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_before_and_after_side_by_side_titled_with_shapes():
    digit = torch.rand(1, 1, 28, 28)
    upsampled = UpsampleExample()(digit)
    before, after = plot_before_after(digit[0], upsampled[0])
    assert before.figure is after.figure and len(before.figure.axes) == 2
    assert (before.get_title(), after.get_title()) == ("before: 28×28", "after: 56×56")
    # The axes stay, in pixels, so the doubling is visible: 0..27 against 0..55.
    assert before.get_xlim() == (-0.5, 27.5) and after.get_xlim() == (-0.5, 55.5)
    assert (before.images[0].get_array() == digit[0, 0].numpy()).all()
    assert (after.images[0].get_array() == upsampled[0, 0].numpy()).all()


@pytest.mark.parametrize("shape", [(28, 28), (1, 28, 28), (1, 1, 28, 28)], ids=["HW", "CHW", "NCHW"])
def test_accepts_one_image_in_any_layout(shape):
    before, _ = plot_before_after(torch.rand(shape), torch.rand(shape))
    assert before.get_title() == "before: 28×28"


def test_refuses_a_batch_and_names_its_shape():
    with pytest.raises(ValueError, match=r"before must be one image.*\(10, 1, 28, 28\)"):
        plot_before_after(torch.rand(10, 1, 28, 28), torch.rand(56, 56))


def test_refuses_what_is_not_a_tensor():
    with pytest.raises(TypeError, match=r"after must be a torch\.Tensor, got list"):
        plot_before_after(torch.rand(28, 28), [[0.0]])


@pytest.mark.parametrize(("name", "expected"), [("a.png", "png"), ("b.PDF", "pdf"), ("deep/c.svg", "svg")])
def test_figure_format_from_the_file_ending(name, expected):
    assert figure_format(name) == expected


@pytest.mark.parametrize("name", ["figure.xyz", "figure", "figure.png.bak"])
def test_unknown_endings_are_refused_with_the_allowed_ones(name):
    with pytest.raises(ValueError, match=rf"'{re.escape(name)}'.*\.png.*\.svg"):
        figure_format(name)


def test_never_shows_by_itself(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: pytest.fail("plot_before_after called plt.show()"))
    plot_before_after(torch.rand(28, 28), torch.rand(56, 56))


@pytest.fixture(scope="module")
def notebook():
    """An IPython shell with `%matplotlib inline`; calling it runs a cell and returns the PNGs it would show."""
    pytest.importorskip("matplotlib_inline")
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.enable_gui = lambda gui=None: None  # the inline backend needs no GUI event loop
    pictures = []
    shell.display_pub.publish = lambda data, *args, **kwargs: pictures.extend(k for k in data if k == "image/png")
    shell.displayhook.write_format_data = lambda data, *args: pictures.extend(k for k in data if k == "image/png")
    backend = matplotlib.get_backend()
    shell.run_line_magic("matplotlib", "inline")
    assert shell.run_cell("import torch\nfrom upsample_example import plot_before_after").success

    def run_cell(cell: str) -> list[str]:
        pictures.clear()
        assert shell.run_cell(cell).success
        return list(pictures)

    yield run_cell
    InteractiveShell.clear_instance()
    matplotlib.use(backend)


CELLS = {
    "assigned": "axes = plot_before_after(torch.rand(28, 28), torch.rand(56, 56))",
    "last line": "plot_before_after(torch.rand(28, 28), torch.rand(56, 56))",
    "last line after others": "x = torch.rand(28, 28)\nplot_before_after(x, x)",
}


@pytest.mark.parametrize("cell", CELLS.values(), ids=CELLS.keys())
def test_a_notebook_shows_the_figure_exactly_once(notebook, cell):
    assert notebook(cell) == ["image/png"]


# -- every mode and every rank --------------------------------------------------------------------------------------
def test_modes_grid_shows_each_mode_and_its_difference_from_nearest():
    digit = torch.rand(28, 28)
    axes = plot_modes(digit)
    assert axes.shape == (4, len(MODE_VARIANTS))  # per size: the images, then the differences
    for row, size in ((0, 56), (2, 42)):
        upsampled = {label: UpsampleExample(size=(size, size), **kwargs)(digit[None, None])[0, 0]
                     for label, kwargs in MODE_VARIANTS.items()}
        for column, label in enumerate(MODE_VARIANTS):
            image = upsampled[label]
            title = axes[row, column].get_title()
            assert title.startswith(label) and f"{size}×{size}" in title
            assert f"[{image.min():.2f}, {image.max():.2f}]" in title  # the true range, before clamping for display
            shown = axes[row + 1, column].images[0].get_array()
            np.testing.assert_allclose(shown, (image - upsampled["nearest"]).numpy())


def test_temporal_figure_draws_samples_where_they_fall():
    axes = plot_temporal()
    assert len(axes) == 3
    signal = sampled_sine()
    for ax, align in zip(axes[1:], (False, True), strict=True):  # the two linear panels
        inputs, outputs = ax.lines[0], ax.lines[1]
        np.testing.assert_allclose(inputs.get_ydata(), signal[0, 0].numpy())
        np.testing.assert_allclose(outputs.get_xdata(), sample_positions(SIGNAL_LENGTH, SIGNAL_UPSAMPLED, align).numpy())
        expected = UpsampleExample(size=SIGNAL_UPSAMPLED, mode="linear", align_corners=align)(signal)[0, 0]
        np.testing.assert_allclose(outputs.get_ydata(), expected.numpy())


def test_sampled_sine_is_one_period():
    np.testing.assert_allclose(sampled_sine(4)[0, 0].numpy(), [0, 1, 0, -1], atol=1e-6)


def test_volumetric_figure_labels_each_slice_with_its_source():
    volume = torch.rand(4, 28, 28)
    axes = plot_volumetric(volume)
    assert axes.shape == (3, 8)
    assert [axes[0, column].get_title() for column in (0, 2, 4, 6)] == [f"depth {k}" for k in range(4)]
    assert [axes[1, j].get_title() for j in range(8)] == [f"nearest\ncopy of depth {j // 2}" for j in range(8)]
    blends = [axes[2, j].get_title().split()[-1] for j in range(8)]
    assert blends == ["0.00", "0.25", "0.75", "1.25", "1.75", "2.25", "2.75", "3.00"]
    np.testing.assert_array_equal(axes[1, 3].images[0].get_array(), volume[1].repeat_interleave(2, 0).repeat_interleave(2, 1).numpy())


def test_volumetric_figure_refuses_what_is_not_a_volume():
    with pytest.raises(ValueError, match=r"\(D, H, W\).*\(1, 4, 28, 28\)"):
        plot_volumetric(torch.rand(1, 4, 28, 28))


# -- upsampling inside a network ------------------------------------------------------------------------------------
def test_network_figure_shows_tap_counts_and_random_outputs():
    axes = plot_network(torch.rand(28, 28))
    assert axes.shape == (3, len(DOUBLING_BLOCKS))
    titles = [axes[0, column].get_title() for column in range(3)]
    assert titles[0].endswith("inside: 9") and titles[1].endswith("inside: 1, 2, 4") and titles[2].endswith("inside: 4")
    assert axes[1, 0].images[0].get_array().shape == (28, 28)  # a 14×14 constant map, doubled
    assert "checkerboard 0.00" in axes[1, 0].get_title() and "checkerboard 1.00" in axes[1, 1].get_title()


def test_autoencoder_figure_rows_high_pass_and_mean_error():
    originals = torch.rand(12, 1, 28, 28)
    rebuilt = {kind: torch.rand(12, 1, 28, 28) for kind in DOUBLING_BLOCKS}
    axes = plot_autoencoder(originals, rebuilt, shown=4)
    assert axes.shape == (8, 5)  # 4 digits and the mean error; per row: images, then their high-pass views
    assert [axes[row, 0].get_ylabel() for row in range(0, 8, 2)] == ["original", *DOUBLING_BLOCKS]
    np.testing.assert_allclose(axes[3, 2].images[0].get_array(), high_pass(rebuilt["resize-conv"])[2, 0].numpy())
    for row, kind in zip((2, 4, 6), DOUBLING_BLOCKS, strict=True):  # the mean error over all 12 digits
        expected = (rebuilt[kind] - originals).mean(dim=0)[0].numpy()
        np.testing.assert_allclose(axes[row, 4].images[0].get_array(), expected, rtol=1e-6)
    assert not axes[0, 4].axison and not axes[1, 4].axison  # no error for the originals


def test_high_pass_removes_constants_and_keeps_a_checkerboard():
    assert high_pass(torch.full((1, 1, 8, 8), 0.3)).abs().max() < 1e-6
    rows, columns = torch.meshgrid(torch.arange(8), torch.arange(8), indexing="ij")
    pattern = ((-1.0) ** (rows + columns)).reshape(1, 1, 8, 8)
    interior = high_pass(pattern)[..., 1:-1, 1:-1]
    # the 3×3 mean of a checkerboard is ±1/9 of the centre's sign: 1 - 1/9 of the pattern remains
    torch.testing.assert_close(interior, pattern[..., 1:-1, 1:-1] * (1 - 1 / 9))
