"""plot_before_after and saving: what it draws, what it refuses, and how often a notebook shows it."""

from __future__ import annotations

import re

import matplotlib
import pytest
import torch

from upsample_command import figure_format
from upsample_example import UpsampleExample, plot_before_after

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
    low, high = digit.min().item(), digit.max().item()
    assert (before.get_title(), after.get_title()) == (f"before: 28×28, values {low:.2f}..{high:.2f}",
                                                       f"after: 56×56, values {low:.2f}..{high:.2f}")
    # The axes stay, in pixels, so the doubling is visible: 0..27 against 0..55.
    assert before.get_xlim() == (-0.5, 27.5) and after.get_xlim() == (-0.5, 55.5)
    for ax, last in ((before, 27), (after, 55)):  # ticked at the first and the last pixel's centre
        assert list(ax.get_xticks()) == list(ax.get_yticks()) == [0, last]
        figure.canvas.draw()
        assert [label.get_text() for label in ax.get_xticklabels()] == ["0", str(last)]
    assert (before.images[0].get_array() == digit[0, 0].numpy()).all()
    assert (after.images[0].get_array() == upsampled[0, 0].numpy()).all()
    # one grey scale for both, labelled
    assert before.images[0].get_clim() == after.images[0].get_clim() == (low, high)
    assert colour_bar.get_ylabel() == "grey level"


@pytest.mark.parametrize("shape", [(28, 28), (1, 28, 28), (1, 1, 28, 28)], ids=["HW", "CHW", "NCHW"])
def test_accepts_one_image_in_any_layout(shape):
    figure = plot_before_after(torch.rand(shape), torch.rand(shape))
    assert figure.axes[0].get_title().startswith("before: 28×28,")


def test_the_grey_scale_is_the_inputs_and_an_overshoot_is_named_not_stretched_into_it():
    step = torch.tensor([0.0, 0, 0, 1, 1, 1]).repeat(6, 1)  # a 0→1 edge: bicubic overshoots both ways
    upsampled = UpsampleExample(size=(12, 12), mode="bicubic")(step[None, None])[0, 0]
    low, high = upsampled.min().item(), upsampled.max().item()
    assert low < 0 and high > 1  # torch's bicubic overshoots (a = -0.75)
    figure = plot_before_after(step, upsampled)
    assert figure.axes[1].images[0].get_clim() == (0.0, 1.0)
    assert figure.axes[1].get_title() == f"after: 12×12, values {low:.2f}..{high:.2f}"


def test_refuses_a_batch_and_names_its_shape():
    with pytest.raises(ValueError, match=r"before must be one image.*\(10, 1, 28, 28\)"):
        plot_before_after(torch.rand(10, 1, 28, 28), torch.rand(56, 56))


def test_refuses_an_image_without_pixels():
    with pytest.raises(ValueError, match=r"before must be one image with pixels.*got \(0, 0\)"):
        plot_before_after(torch.rand(0, 0), torch.rand(0, 0))


def test_refuses_what_is_not_a_tensor():
    with pytest.raises(ValueError, match=r"after must be one image with pixels as a tensor, .*got list"):
        plot_before_after(torch.rand(28, 28), [[0.0]])


def test_the_figure_is_not_left_in_pyplots_list_and_still_saves(tmp_path):
    figure = plot_before_after(torch.rand(28, 28), torch.rand(56, 56))
    assert plt.get_fignums() == []  # plt.show() and a notebook's end of cell do not know it
    figure.savefig(tmp_path / "f.png")
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"


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


CELLS = {  # each way a notebook cell can end with the figure, and how many times the README says it is shown
    "assigned": ("figure = plot_before_after(torch.rand(28, 28), torch.rand(56, 56))", 0),
    "ends with ;": ("plot_before_after(torch.rand(28, 28), torch.rand(56, 56));", 0),
    "the cell's last value": ("plot_before_after(torch.rand(28, 28), torch.rand(56, 56))", 1),
    "after other lines, last value": ("x = torch.rand(28, 28)\nplot_before_after(x, x)", 1),
    "the assigned one, as a value": ("figure", 1),
    "and again": ("figure", 1),
}


@pytest.fixture(scope="module")
def notebook(tmp_path_factory) -> dict[str, list[dict]]:
    """One real Jupyter kernel (ipykernel, through nbclient) started in an empty folder, as a notebook downloaded
    from the gallery would be: first every cell of lessons/plot_ranks.py (the quickest page, which the suite runs
    nowhere else), converted by jupytext, then CELLS in order. The outputs of the lesson's cells, and of each of
    CELLS."""
    jupytext = pytest.importorskip("jupytext")
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from conftest import ROOT

    book = jupytext.read(ROOT / "lessons" / "plot_ranks.py")
    lesson_cells = [cell for cell in book.cells if cell.cell_type == "code"]
    setup = "import torch\nfrom upsample_example import plot_before_after"
    book.cells += [nbformat.v4.new_code_cell(setup), *(nbformat.v4.new_code_cell(cell) for cell, _ in CELLS.values())]
    folder = tmp_path_factory.mktemp("empty-folder")
    nbclient.NotebookClient(book, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(folder)}}).execute()
    assert not list(folder.iterdir())  # the lesson and the cells write nothing where they run
    return {"lesson": [output for cell in lesson_cells for output in cell.outputs],
            **{name: cell.outputs for name, cell in zip(CELLS, book.cells[-len(CELLS):], strict=True)}}


@pytest.mark.parametrize("cell", CELLS.keys())
def test_a_notebook_shows_the_figure_once_as_a_cells_value(notebook, cell):
    outputs = notebook[cell]
    pictures = [output for output in outputs if "image/png" in output.get("data", {})]
    assert len(pictures) == CELLS[cell][1], outputs
    assert not [output for output in outputs if output["output_type"] == "error"]


def test_a_lesson_runs_as_a_notebook_in_an_empty_folder_and_shows_each_figure_once(notebook):
    """In a folder with nothing of the project: the lesson finds its helpers as an installed package
    (.ci/check_notebooks.py runs every lesson's notebook, downloaded from the built gallery, the same way)."""
    outputs = notebook["lesson"]
    assert not [output for output in outputs if output["output_type"] == "error"], outputs
    assert len([output for output in outputs if "image/png" in output.get("data", {})]) == 2  # temporal, volumetric


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
