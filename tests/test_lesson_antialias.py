"""The lanczos and antialias lesson (lessons/plot_antialias.py), against Pillow, OpenCV and NumPy references."""

from __future__ import annotations

import cv2
import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import run_lesson
from PIL import Image
from reference import (
    area_matrix,
    cubic_matrix,
    cubic_weight,
    filter_matrix,
    lanczos3,
    linear_matrix,
    overlap_matrix,
    triangle,
    upsample,
)
from torch import nn

from upsample_example import UpsampleExample
from upsample_helpers.antialias import (
    ENLARGED,
    ENLARGING,
    GRATINGS,
    SHRINKING,
    aliasing,
    antialias_change,
    differences_table,
    edge_measures,
    enlarge_with,
    enlarging_table,
    grating,
    kernel_footprint,
    kernel_matrix,
    library_differences,
    plot_enlarging,
    plot_shrinking,
    step_edge,
    zone_plate,
)

matplotlib.use("Agg")
import matplotlib.pyplot as plt

# The filter each antialiased mode applies, and its radius in input pixels (when not shrinking).
FILTERS = {"bilinear": (triangle, 1), "bicubic": (lambda t: cubic_weight(t, a=-0.5), 2), "lanczos": (lanczos3, 3)}
SIZES = [56, 42, 14, 20, 112]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def random_image(seed: int, shape=(28, 28)) -> np.ndarray:
    return np.random.default_rng(seed).random(shape)


# -- what torch offers ------------------------------------------------------------------------------------------------
def test_antialias_is_for_bilinear_bicubic_and_lanczos_on_4d_input_only():
    works = set()
    for mode in ("nearest", "nearest-exact", "area", "linear", "bilinear", "bicubic", "trilinear", "lanczos"):
        for rank in (1, 2, 3):
            try:
                F.interpolate(torch.rand((1, 1) + (4,) * rank), scale_factor=2, mode=mode, antialias=True)
                works.add((mode, rank))
            except (ValueError, NotImplementedError, RuntimeError):
                pass
    assert works == {("bilinear", 2), ("bicubic", 2), ("lanczos", 2)}


def test_lanczos_exists_only_with_antialias():
    with pytest.raises((ValueError, RuntimeError, NotImplementedError), match="antialias"):
        F.interpolate(torch.rand(1, 1, 4, 4), scale_factor=2, mode="lanczos")


def test_the_layer_has_no_antialias_argument_as_nn_upsample_has_none():
    """The README: antialias is the function's; neither nn.Upsample nor the tutorial's layer takes it."""
    import inspect

    assert "antialias" not in inspect.signature(nn.Upsample).parameters
    assert "antialias" in inspect.signature(F.interpolate).parameters
    with pytest.raises(TypeError, match="unexpected keyword argument 'antialias'"):
        UpsampleExample(size=14, mode="bilinear", antialias=True)


# -- antialiased modes are filters, as in Pillow --------------------------------------------------------------------
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("mode", FILTERS)
def test_antialiased_modes_are_pillow_style_filters(mode, size):
    """float64: torch's antialiased result is the NumPy filter_matrix result, enlarging and shrinking."""
    kernel, radius = FILTERS[mode]
    image = random_image(size)
    matrix = filter_matrix(28, size, kernel, radius)
    torch_result = F.interpolate(torch.from_numpy(image)[None, None], size=size, mode=mode, antialias=True)[0, 0]
    np.testing.assert_allclose(torch_result.numpy(), upsample(image, [matrix, matrix]), atol=1e-12)


@pytest.mark.parametrize("size", [56, 42, 14])
@pytest.mark.parametrize(("pillow_filter", "mode"), [(Image.Resampling.LANCZOS, "lanczos"),
                                                     (Image.Resampling.BICUBIC, "bicubic"),
                                                     (Image.Resampling.BILINEAR, "bilinear")])
def test_torch_antialiased_equals_pillow_on_float_images(pillow_filter, mode, size):
    image = random_image(size).astype(np.float32)
    pillow = np.asarray(Image.fromarray(image, mode="F").resize((size, size), pillow_filter))
    ours = F.interpolate(torch.from_numpy(image)[None, None], size=size, mode=mode, antialias=True)[0, 0].numpy()
    np.testing.assert_allclose(pillow, ours, atol=1e-5)


# -- enlarging ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [56, 42, 112])
def test_antialias_leaves_bilinear_unchanged_when_enlarging(size):
    x = torch.from_numpy(random_image(size))[None, None]
    np.testing.assert_allclose(F.interpolate(x, size=size, mode="bilinear", antialias=True).numpy(),
                               F.interpolate(x, size=size, mode="bilinear").numpy(), atol=1e-12)


@pytest.mark.parametrize("size", [56, 42, 112])
def test_antialias_changes_bicubic_when_enlarging_by_its_kernel_and_its_border(size):
    """Plain bicubic is Keys' a = −0.75 with the edge pixel repeated; antialiased, a = −0.5 with outside taps dropped."""
    plain = F.interpolate(torch.eye(28, dtype=torch.float64)[None, None], size=(28, size), mode="bicubic")[0, 0]
    antialiased = F.interpolate(torch.eye(28, dtype=torch.float64)[None, None], size=(28, size), mode="bicubic",
                                antialias=True)[0, 0]
    # Each column of the identity, resampled along the width, gives the resampling matrix: (28 rows, size) -> (size, 28).
    plain, antialiased = plain.T.numpy(), antialiased.T.numpy()
    np.testing.assert_allclose(plain, cubic_matrix(28, size), atol=1e-12)
    np.testing.assert_allclose(antialiased, filter_matrix(28, size, FILTERS["bicubic"][0], 2), atol=1e-12)
    # Inside, where all four taps are in the image, the only difference is a: the clamped matrix with a = −0.5.
    keys = cubic_matrix(28, size, a=-0.5)
    centres = (np.arange(size) + 0.5) * 28 / size - 0.5
    inside = (np.floor(centres) >= 1) & (np.floor(centres) + 2 <= 27)
    np.testing.assert_allclose(antialiased[inside], keys[inside], atol=1e-12)
    assert not np.allclose(antialiased[~inside], keys[~inside], atol=1e-3)  # the border is handled differently
    assert np.abs(antialiased - plain).max() > 0.01


@pytest.mark.parametrize("size", [56, 42, 112])
@pytest.mark.parametrize(("a", "edge"), [(-0.75, "repeat"), (-0.5, "drop")], ids=["plain", "antialiased"])
def test_kernel_matrix_is_torchs_bicubic_either_way(a, edge, size):
    """The helper's matrix with Keys' cubic (the reference's), against the reference matrices of both bicubics."""
    matrix = kernel_matrix(28, size, lambda t: cubic_weight(t, a=a), edge)
    expected = cubic_matrix(28, size, a=a) if edge == "repeat" else filter_matrix(28, size, FILTERS["bicubic"][0], 2)
    np.testing.assert_allclose(matrix, expected, atol=1e-12)
    image = torch.from_numpy(random_image(size))
    torch.testing.assert_close(enlarge_with(image, lambda t: cubic_weight(t, a=a), edge, size),
                               torch.from_numpy(upsample(image.numpy(), [expected, expected])))
    with pytest.raises(ValueError, match="edge must be 'repeat' or 'drop', got 'wrap'"):
        kernel_matrix(28, size, triangle, "wrap")


@pytest.mark.parametrize("a", [-0.5, -0.75])
def test_the_pages_keys_cubic_is_the_reference_kernel(a):
    keys_cubic = run_lesson("plot_antialias").keys_cubic
    t = np.linspace(-3, 3, 241)
    np.testing.assert_allclose(keys_cubic(t, a), cubic_weight(t, a=a), atol=1e-12)


def reference_footprint(matrix: np.ndarray) -> dict[str, int]:
    """Taps and negative taps of a resampling matrix's middle output, and how many inputs any output reads."""
    row = matrix[len(matrix) // 2]
    return {"taps": int((np.abs(row) > 1e-15).sum()), "negative": int((row < -1e-15).sum()),
            "read": int((np.abs(matrix) > 1e-15).any(axis=0).sum())}


@pytest.mark.parametrize(("n_in", "n_out"), [(256, 64), (28, 112)], ids=["shrinking", "enlarging"])
@pytest.mark.parametrize("label", ["bilinear", "bilinear, antialias", "bicubic", "bicubic, antialias", "lanczos"])
def test_kernel_footprint_counts_the_reference_matrix(label, n_in, n_out):
    mode = label.split(",")[0]
    if label == "lanczos" or label.endswith("antialias"):
        matrix = filter_matrix(n_in, n_out, *FILTERS[mode])
    else:
        matrix = {"bilinear": linear_matrix, "bicubic": cubic_matrix}[mode](n_in, n_out)
    variant = {**SHRINKING, **ENLARGING}[label]
    assert kernel_footprint(variant, n_in, n_out) == reference_footprint(matrix)


def test_shrinking_4x_antialiasing_stretches_the_filter_4x_and_plain_bilinear_skips_half_the_input():
    footprints = {label: kernel_footprint(SHRINKING[label]) for label in ("bilinear", "bilinear, antialias", "bicubic")}
    assert footprints["bilinear, antialias"]["taps"] == 4 * footprints["bilinear"]["taps"] == 8
    assert footprints["bilinear"]["read"] == 128 and footprints["bicubic"]["read"] == 256


def test_antialias_change_measures_the_difference_inside_and_at_the_border():
    digit = torch.from_numpy(random_image(1))
    change = antialias_change("bicubic", digit)
    direct = (F.interpolate(digit[None, None], size=112, mode="bicubic", antialias=True)
              - F.interpolate(digit[None, None], size=112, mode="bicubic"))[0, 0].abs().numpy()
    assert max(change.values()) == pytest.approx(direct.max())
    assert change["inside"] == pytest.approx(direct[8:-8, 8:-8].max())
    assert antialias_change("bilinear", digit)["inside"] < 1e-12


@pytest.mark.parametrize("label", ENLARGING)
def test_edge_measures_match_the_numpy_step_response(label):
    """The enlarged step's range and steepest rise, from the NumPy reference matrices."""
    variant = ENLARGING[label]
    mode, antialias = variant["mode"], variant.get("antialias", False)
    if antialias:
        matrix = filter_matrix(16, 16 * 32, *FILTERS[mode])
    else:
        matrix = {"bilinear": linear_matrix, "bicubic": cubic_matrix}[mode](16, 16 * 32)
    response = matrix @ step_edge()[0, 0, 0].numpy()
    measures = edge_measures(variant)
    assert measures["undershoot"] == pytest.approx(response.min(), abs=1e-6)
    assert measures["overshoot"] == pytest.approx(response.max() - 1, abs=1e-6)
    assert measures["slope"] == pytest.approx(np.diff(response).max() * 32, abs=1e-5)


def test_on_the_digit_lanczos_overshoots_most_and_bilinear_stays_in_range():
    from upsample_helpers import sample_digits

    digit = sample_digits(1)
    ranges = {label: F.interpolate(digit, size=112, **variant).aminmax() for label, variant in ENLARGING.items()}
    assert ranges["bilinear"][0] >= 0 and ranges["bilinear"][1] <= 1
    for label in ("bicubic", "bicubic, antialias"):
        assert ranges["lanczos"][0] < ranges[label][0] and ranges["lanczos"][1] > ranges[label][1]


def test_enlarging_table_prints_each_variants_measures():
    digit = torch.from_numpy(random_image(5)).float()
    table, measures = enlarging_table(digit)
    rows = table.splitlines()[1:]
    assert [row[:19].strip() for row in rows] == list(ENLARGING)
    for row, (label, variant) in zip(rows, ENLARGING.items(), strict=True):
        edge = edge_measures(variant)
        low, high = F.interpolate(digit[None, None], size=112, **variant).aminmax()
        assert measures[label] == {**edge, "digit low": low.item(), "digit high": high.item()}
        assert row[19:].split() == [f"[{edge['undershoot']:+.3f},", f"{1 + edge['overshoot']:.3f}]", f"{edge['slope']:.3f}",
                                    f"[{low:+.3f},", f"{high:.3f}]"]


def test_sharper_kernels_overshoot():
    measures = {label: edge_measures(variant) for label, variant in ENLARGING.items()}
    assert measures["bilinear"]["overshoot"] == pytest.approx(0, abs=1e-12)
    assert measures["bilinear"]["slope"] == pytest.approx(1)
    for label in ("bicubic", "bicubic, antialias", "lanczos"):
        assert measures[label]["slope"] > 1.1 and measures[label]["overshoot"] > 0.05
    assert measures["lanczos"]["overshoot"] > measures["bicubic"]["overshoot"] > measures["bicubic, antialias"]["overshoot"]
    # and the steepest of these three is the one that overshoots least
    assert max(("bicubic", "bicubic, antialias", "lanczos"), key=lambda k: measures[k]["slope"]) == "bicubic, antialias"


# -- shrinking ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("label", SHRINKING)
@pytest.mark.parametrize("frequency", [0.15, 0.25, 0.37])
def test_aliasing_is_the_energy_the_output_should_not_have(label, frequency):
    """Computed here with NumPy's FFT: the energy at every output frequency, the mean (DC) measured from 0.5."""
    row = F.interpolate(grating(frequency), size=(1, 64), **SHRINKING[label])[0, 0, 0].double().numpy()
    spectrum = np.fft.fft(row - 0.5)
    energy = np.sum(np.abs(spectrum) ** 2) / len(row) ** 2  # Parseval: the mean square of row − 0.5
    contrast = np.sum(np.abs(np.fft.fft(grating(frequency)[0, 0, 0].numpy() - 0.5)) ** 2) / 256**2
    assert aliasing(frequency, SHRINKING[label]) == pytest.approx(np.sqrt(energy / contrast), rel=0.02, abs=1e-3)


def test_a_grating_has_one_frequency():
    spectrum = np.abs(np.fft.rfft(grating(0.25)[0, 0, 0].numpy() - 0.5))
    assert np.flatnonzero(spectrum > 1e-9).tolist() == [64]  # 0.25 cycles per pixel × 256 pixels


def test_aliasing_is_only_defined_above_the_output_band():
    with pytest.raises(ValueError, match=r"frequency 0\.1 is within"):
        aliasing(0.1, SHRINKING["nearest"])
    assert GRATINGS.min() > 0.125


def test_antialias_removes_most_aliasing_and_nearest_keeps_all_of_it():
    mean = {label: np.mean([aliasing(f, variant) for f in GRATINGS]) for label, variant in SHRINKING.items()}
    for label in ("bilinear, antialias", "bicubic, antialias", "lanczos"):
        assert mean[label] < 0.1
    for plain in ("bilinear", "bicubic"):
        assert mean[f"{plain}, antialias"] < mean[plain] / 5
    assert mean["nearest"] > 0.9
    assert 0.1 < mean["area"] < 0.5


def test_the_readme_comparisons_of_aliasing_hold():
    """Antialiasing cuts bilinear's mean aliasing > 10×, bicubic's > 15×; nearest's worst is flat white at f = 0.25;
    the antialiased modes' worst is at the lowest grating."""
    values = {label: [aliasing(f, variant) for f in GRATINGS] for label, variant in SHRINKING.items()}
    assert np.mean(values["bilinear"]) > 10 * np.mean(values["bilinear, antialias"])
    assert np.mean(values["bicubic"]) > 15 * np.mean(values["bicubic, antialias"])
    row = F.interpolate(grating(0.25), size=(1, 64), mode="nearest")[0, 0, 0]
    assert torch.equal(row, torch.ones(64, dtype=row.dtype))
    assert max(values["nearest"]) == values["nearest"][list(GRATINGS).index(0.25)] == pytest.approx(2**0.5)
    for label in ("bilinear, antialias", "bicubic, antialias", "lanczos"):
        assert int(np.argmax(values[label])) == 0


def test_zone_plate_frequency_rises_to_nyquist_at_half_the_side():
    plate = zone_plate(64)[0, 0].numpy()
    assert plate[32, 32] == pytest.approx(1.0)  # the centre, r = 0
    assert plate[0, 0] == 0.5 and plate[32, 0] != 0.5  # outside the circle r = 32 grey; on it, not
    # Local frequency r/size: at radius r the phase π·r²/size advances by 2π·(r/size) per pixel.
    row = plate[32, 32:]  # r = 0, 1, ..., 31
    expected = 0.5 + 0.5 * np.cos(np.pi * np.arange(32) ** 2 / 64)
    np.testing.assert_allclose(row, expected, atol=1e-12)


# -- the libraries --------------------------------------------------------------------------------------------------
def test_opencv_area_is_an_area_weighted_average_and_torch_area_is_not():
    image = random_image(7).astype(np.float32)
    for size in (14, 20, 42):
        opencv = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
        np.testing.assert_allclose(opencv, upsample(image, [overlap_matrix(28, size)] * 2), atol=1e-5)
        ours = F.interpolate(torch.from_numpy(image)[None, None], size=size, mode="area")[0, 0].numpy()
        np.testing.assert_allclose(ours, upsample(image, [area_matrix(28, size)] * 2), atol=1e-5)
    assert np.allclose(overlap_matrix(28, 14), area_matrix(28, 14))  # at a whole factor they coincide
    assert not np.allclose(overlap_matrix(28, 20), area_matrix(28, 20))


def test_differences_table_marks_same_below_1e_5_and_prints_the_rest():
    table = differences_table({"A | a": [0.0, 2e-6, 0.25], "B | b": [1e-5, 0.2, 1.0]}, (14, 20, 56))
    assert table.splitlines() == [f"{'library | torch':<41}  28→14  28→20  28→56",
                                  f"{'A | a':<41}   same   same   0.25",
                                  f"{'B | b':<41}   same   0.20   1.00"]


def test_torchvision_resize_antialiases_by_default():
    import inspect

    from torchvision.transforms import v2

    assert inspect.signature(v2.Resize).parameters["antialias"].default is True


def test_library_differences_are_equal_where_the_lesson_says_and_not_elsewhere():
    digit = torch.from_numpy(random_image(3)).float()
    differences = library_differences(digit, (14, 20, 56))
    equal = {label for label, values in differences.items() if max(values) < 1e-5}
    assert equal == {"Pillow BILINEAR | bilinear, antialias", "Pillow BICUBIC | bicubic, antialias",
                     "Pillow LANCZOS | lanczos", "torchvision Resize | bilinear, antialias",
                     "OpenCV INTER_LINEAR | bilinear", "OpenCV INTER_CUBIC | bicubic"}
    assert differences["Pillow BILINEAR | bilinear"][2] < 1e-5  # enlarging, Pillow's bilinear is the layer's
    assert differences["Pillow BILINEAR | bilinear"][0] > 0.1  # shrinking, it is not
    assert differences["OpenCV INTER_AREA | area"][0] < 1e-5 < differences["OpenCV INTER_AREA | area"][1]


# -- the figures and the printed numbers ----------------------------------------------------------------------------
def test_enlarging_figure_shows_every_variant_and_the_step():
    figure = plot_enlarging(torch.from_numpy(random_image(4)).float())
    titles = [ax.get_title() for ax in figure.axes]
    for label in ENLARGING:
        assert any(title.startswith(f"{label}\n") for title in titles)
    profile_axes = [ax for ax in figure.axes if len(ax.lines) > len(ENLARGING)]
    assert len(profile_axes) == 1
    labels = [line.get_label() for line in profile_axes[0].lines[: len(ENLARGING)]]
    assert labels == list(ENLARGING)


def test_shrinking_figure_plots_the_measured_aliasing():
    figure = plot_shrinking()
    curves = next(ax for ax in figure.axes if ax.lines)
    for line, (label, variant) in zip(curves.lines, SHRINKING.items(), strict=True):
        assert line.get_label() == label
        np.testing.assert_allclose(line.get_ydata(), [aliasing(f, variant) for f in GRATINGS])
    images = [ax for ax in figure.axes if ax.images]
    assert len(images) == 1 + len(SHRINKING)
    assert images[1].images[0].get_array().shape == (64, 64)
    # one labelled colour bar for the plate and its shrinks, which share the scale 0..1
    bars = [ax for ax in figure.axes if ax.get_ylabel() == "grey level (clamped to 0..1)"]
    assert len(bars) == 1
    assert {ax.images[0].get_clim() for ax in images} == {(0, 1)}


def test_the_lesson_keeps_both_figures_and_prints_every_variant():
    page = run_lesson("plot_antialias")
    images, lines = page.images, page.printed
    assert (images / "antialias_enlarge.png").stat().st_size > 10_000
    assert (images / "antialias_shrink.png").stat().st_size > 10_000
    for label in (*ENLARGING, *SHRINKING):
        assert any(line.strip().startswith(label) for line in lines), label
    assert max(len(line) for line in lines) <= 80  # the gallery's width


@pytest.mark.parametrize("figure_of", [lambda: plot_enlarging(torch.rand(28, 28)), plot_shrinking],
                         ids=["enlarging", "shrinking"])
def test_figures_are_legible_at_the_galleries_width(figure_of):
    figure = figure_of()
    assert figure.get_size_inches()[0] <= 7.5
    panels = [ax for ax in figure.axes if ax.images or ax.lines]
    assert min(ax.title.get_fontsize() for ax in panels) >= 9
    assert max(ax.get_gridspec().ncols for ax in panels) <= 4  # no row of many tiny panels


def test_on_the_lessons_digit_the_kernel_alone_explains_antialiased_bicubic_and_the_edge_rule_shows_elsewhere():
    """The README's two reasons, on the lesson's digit (black edge) and on a random image (bright edge)."""
    from upsample_helpers import sample_digits

    keys = torch.from_numpy(cubic_matrix(28, ENLARGED, a=-0.5))  # a = −0.5, the edge pixel repeated
    for image, edge_rule_shows in ((sample_digits(1)[0, 0].double(), False), (torch.rand(28, 28).double(), True)):
        antialiased = F.interpolate(image[None, None], size=ENLARGED, mode="bicubic", antialias=True)[0, 0]
        kernel_only = keys @ image @ keys.T
        assert (antialiased - kernel_only).abs().max().item() > 1e-3 if edge_rule_shows else \
            (antialiased - kernel_only).abs().max().item() < 1e-12
