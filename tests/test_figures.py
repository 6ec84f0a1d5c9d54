"""plot_before_after and saving: what it draws, what it refuses, and how often a notebook shows it."""

from __future__ import annotations

import re

import matplotlib
import pytest
import torch

from upsample_example import UpsampleExample, figure_format, plot_before_after

matplotlib.use("Agg")
import matplotlib.pyplot as plt


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_before_and_after_side_by_side_titled_with_shapes():
    digit = torch.rand(1, 1, 28, 28)
    upsampled = UpsampleExample()(digit)
    figure = plot_before_after(digit[0], upsampled[0])
    before, after, colour_bar = figure.axes
    assert (before.get_title(), after.get_title()) == ("before: 28×28", "after: 56×56")
    # The axes stay, in pixels, so the doubling is visible: 0..27 against 0..55.
    assert before.get_xlim() == (-0.5, 27.5) and after.get_xlim() == (-0.5, 55.5)
    assert (before.images[0].get_array() == digit[0, 0].numpy()).all()
    assert (after.images[0].get_array() == upsampled[0, 0].numpy()).all()
    # one grey scale for both, labelled
    assert before.images[0].get_clim() == after.images[0].get_clim() == (digit.min().item(), digit.max().item())
    assert colour_bar.get_ylabel() == "grey level"


@pytest.mark.parametrize("shape", [(28, 28), (1, 28, 28), (1, 1, 28, 28)], ids=["HW", "CHW", "NCHW"])
def test_accepts_one_image_in_any_layout(shape):
    figure = plot_before_after(torch.rand(shape), torch.rand(shape))
    assert figure.axes[0].get_title() == "before: 28×28"


def test_refuses_a_batch_and_names_its_shape():
    with pytest.raises(ValueError, match=r"before must be one image.*\(10, 1, 28, 28\)"):
        plot_before_after(torch.rand(10, 1, 28, 28), torch.rand(56, 56))


def test_refuses_what_is_not_a_tensor():
    with pytest.raises(TypeError, match=r"after must be a torch\.Tensor, got list"):
        plot_before_after(torch.rand(28, 28), [[0.0]])


@pytest.mark.parametrize(("name", "expected"), [("a.png", "png"), ("b.PDF", "pdf"), ("deep/c.svg", "svg")])
def test_figure_format_from_the_file_ending(name, expected):
    assert figure_format(name) == expected


@pytest.mark.parametrize("name", ["figure.xyz", "figure", "figure.png.bak", "figure.pgf"])
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
        assert shell.run_cell(cell, store_history=True).success  # history: how IPython sees a trailing ;
        return list(pictures)

    yield run_cell
    InteractiveShell.clear_instance()
    matplotlib.use(backend)


CELLS = {  # the two ways the README recommends
    "assigned": "figure = plot_before_after(torch.rand(28, 28), torch.rand(56, 56))",
    "last line with ;": "plot_before_after(torch.rand(28, 28), torch.rand(56, 56));",
    "after others, with ;": "x = torch.rand(28, 28)\nplot_before_after(x, x);",
}


@pytest.mark.parametrize("cell", CELLS.values(), ids=CELLS.keys())
def test_a_notebook_shows_the_figure_exactly_once(notebook, cell):
    assert notebook(cell) == ["image/png"]


def test_an_image_far_larger_than_its_panel_is_drawn_thinned_in_its_own_pixel_units():
    after = torch.rand(3000, 2000)
    figure = plot_before_after(torch.rand(28, 28), after)
    panel = figure.axes[1]
    drawn = panel.images[0].get_array()
    assert drawn.shape == (1000, 667)  # every 3rd pixel: ceil(3000 / 1024) = 3
    assert (drawn == after.numpy()[::3, ::3]).all()
    assert panel.get_xlim() == (-0.5, 1999.5) and panel.get_ylim() == (2999.5, -0.5)
    assert panel.get_window_extent().width < 1024 / 3  # each panel is narrower than a third of what is drawn
    before = figure.axes[0].images[0].get_array()
    assert before.shape == (28, 28)  # small images are drawn whole
