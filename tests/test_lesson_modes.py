"""The modes lesson (lessons/plot_modes.py) and every pitfall the README states, each pinned against torch itself
or an independent reference: area, align_corners, fractional factors, overshoot, layer and function, dtypes.
Which pixel the nearest modes copy, and the shifts and ties that follow, are tests/test_lesson_nearest.py's."""

from __future__ import annotations

import inspect

import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import run_lesson
from PIL import Image
from reference import cubic_matrix, linear_matrix, upsample
from torch import nn

from upsample_example import MODES, MnistSample, UpsampleExample
from upsample_helpers.modes import (
    MODE_VARIANTS,
    compare_modes,
    modes_table,
    plot_modes,
    raised,
    uint8_difference,
    uint8_kernels,
    worst_overshoot,
)

matplotlib.use("Agg")


def test_lesson_prints_the_numbers_its_text_quotes():
    page = run_lesson("plot_modes")
    out = "\n".join(page.printed)
    assert "28 × 1.7 gives 47 pixels; recompute_scale_factor=True moves 7:" in out
    assert "bicubic: range [-0.105, 1.105]" in out
    assert sorted(path.name for path in page.images.iterdir()) == ["modes.png"]


def test_lesson_prints_within_the_galleries_width():
    assert max(len(line) for line in run_lesson("plot_modes").printed) <= 80


def test_modes_table_says_which_variants_equal_nearest_and_their_ranges():
    digit = torch.rand(28, 28)
    upsampled = {size: compare_modes(digit, size) for size in (56, 42)}
    rows = {line[:18].strip(): line[18:].split() for line in modes_table(upsampled).splitlines()[2:]}
    assert list(rows) == list(MODE_VARIANTS)
    for label, cells in rows.items():
        equal = [str(torch.equal(upsampled[size][label], upsampled[size]["nearest"])) for size in (56, 42)]
        ranges = [f"{upsampled[size][label].min():+.2f}..{upsampled[size][label].max():.2f}" for size in (56, 42)]
        assert cells == equal + ranges


def test_modes_figure_shows_each_mode_and_its_difference_from_nearest():
    digit = torch.rand(28, 28)
    figure = plot_modes(digit)
    images = [ax for ax in figure.axes if ax.images]
    assert len(images) == 2 * (2 * len(MODE_VARIANTS) - 1)  # per size: every variant, and every difference but nearest's
    grid = {(ax.get_subplotspec().rowspan.start, ax.get_subplotspec().colspan.start): ax for ax in images}
    for row, label in enumerate(MODE_VARIANTS):
        assert grid[row, 0].get_ylabel() == label
        for column, size in enumerate((56, 42)):
            upsampled = compare_modes(digit, size)
            image, top = upsampled[label], grid[row, column]
            assert top.get_title() == f"{size}×{size}, values\n{image.min():.2f}..{image.max():.2f}"
            np.testing.assert_allclose(top.images[0].get_array(), image.clamp(0, 1).numpy())
            assert top.images[0].get_clim() == (0, 1)
            if label == "nearest":  # nearest minus itself would be blank: no panel
                assert (row, 2 + column) not in grid
                continue
            difference = grid[row, 2 + column]
            assert difference.get_title() == f"{size}×{size}\nminus nearest"
            np.testing.assert_allclose(difference.images[0].get_array(), (image - upsampled["nearest"]).numpy())
            assert difference.images[0].get_clim() == (-1, 1)  # every difference panel on one scale
    bars = [ax.get_xlabel() for ax in figure.axes if not ax.images]
    assert sorted(bars) == ["difference", "grey level (clamped to 0..1)"]
    # legible at the gallery's width, about 7.4 inches at 100 dpi
    assert figure.get_size_inches()[0] <= 7.5 and len({column for _, column in grid}) <= 4
    assert min(ax.title.get_fontsize() for ax in images) >= 9
    matplotlib.pyplot.close(figure)


# -- area --------------------------------------------------------------------------------------------------------
def test_area_is_an_unweighted_mean_of_every_input_pixel_an_output_touches():
    """At 3→5, output 1 covers [0.6, 1.2) of the input: ⅔ of pixel 0, ⅓ of pixel 1, yet it weighs them ½ and ½."""
    x = torch.tensor([0.0, 1.0, 2.0]).reshape(1, 1, 3)
    out = UpsampleExample(size=5, mode="area")(x)[0, 0]
    assert out[1].item() == pytest.approx(0.5)  # not ⅔·0 + ⅓·1
    torch.testing.assert_close(out, F.adaptive_avg_pool1d(x, 5)[0, 0])


# -- align_corners ------------------------------------------------------------------------------------------------
def test_align_corners_true_keeps_the_corners_whether_growing_or_shrinking():
    x = torch.rand(1, 1, 9, 9, dtype=torch.float64)
    for size in (4, 13):
        out = UpsampleExample(size=(size, size), mode="bilinear", align_corners=True)(x)
        for row, column in ((0, 0), (0, -1), (-1, 0), (-1, -1)):
            assert out[0, 0, row, column] == x[0, 0, row, column]


def test_align_corners_false_samples_pixel_centres_and_misses_the_corners_when_shrinking():
    x = torch.rand(1, 1, 9, 9, dtype=torch.float64)
    out = UpsampleExample(size=(4, 4), mode="bilinear", align_corners=False)(x)
    assert out[0, 0, 0, 0] != x[0, 0, 0, 0]  # the first output pixel centre lies at 0.625, not 0


def test_the_two_sampling_grids_at_4_to_7():
    """Corners: samples every (4-1)/(7-1) = 0.5 input pixels from 0; centres: every 4/7, from -3/14 (clamped to 0)."""
    ramp = torch.arange(4, dtype=torch.float64).reshape(1, 1, 4)  # a sample's value is its position
    corners = UpsampleExample(size=7, mode="linear", align_corners=True)(ramp)[0, 0]
    centres = UpsampleExample(size=7, mode="linear", align_corners=False)(ramp)[0, 0]
    np.testing.assert_allclose(corners.numpy(), [0, 0.5, 1, 1.5, 2, 2.5, 3])
    expected = np.clip((np.arange(7) + 0.5) * 4 / 7 - 0.5, 0, 3)
    np.testing.assert_allclose(centres.numpy(), expected, atol=1e-12)


def test_align_corners_default_is_false():
    assert UpsampleExample(mode="bilinear").layers[0].align_corners is None  # None means False in torch
    x = torch.rand(1, 1, 5, 5)
    assert torch.equal(UpsampleExample(mode="bilinear")(x), UpsampleExample(mode="bilinear", align_corners=False)(x))


# -- fractional scale factors ----------------------------------------------------------------------------------------
def test_fractional_scale_factor_floors_the_output_size():
    assert UpsampleExample(scale_factor=1.7)(torch.rand(1, 1, 28, 28)).shape[-2:] == (47, 47)  # 28 × 1.7 = 47.6
    assert UpsampleExample(scale_factor=1.5)(torch.rand(1, 1, 28, 28)).shape[-2:] == (42, 42)


@pytest.mark.parametrize(("recompute", "step"), [(None, 1 / 1.7), (True, 28 / 47)], ids=["default", "recompute"])
def test_recompute_scale_factor_changes_where_samples_fall(recompute, step):
    """Default: output samples step 1/1.7 input pixels apart; recomputed: 28/47, so that 47 samples span all 28."""
    x = torch.rand(1, 1, 28, dtype=torch.float64)
    out = UpsampleExample(scale_factor=1.7, mode="linear", recompute_scale_factor=recompute)(x)
    np.testing.assert_allclose(out.numpy(), upsample(x.numpy(), [linear_matrix(28, 47, step=step)]), atol=1e-12)


def test_recompute_scale_factor_moves_some_nearest_pixels():
    ramp = torch.arange(28, dtype=torch.float32).reshape(1, 1, 28)
    default = UpsampleExample(scale_factor=1.7)(ramp)[0, 0].long().tolist()
    recomputed = UpsampleExample(scale_factor=1.7, recompute_scale_factor=True)(ramp)[0, 0].long().tolist()
    assert default == [d * 10 // 17 for d in range(47)]  # floor(d / 1.7)
    assert recomputed == [d * 28 // 47 for d in range(47)]  # floor(d × 28 / 47)
    assert [d for d in range(47) if default[d] != recomputed[d]] == [22, 27, 32, 37, 39, 42, 44]


# -- range ---------------------------------------------------------------------------------------------------------
def test_bicubic_overshoots_a_step_while_nearest_and_bilinear_stay_within_it():
    step = torch.tensor([0.0, 0.0, 0.0, 1.0, 1.0, 1.0]).reshape(1, 1, 1, 6).expand(1, 1, 6, 6)
    bicubic = UpsampleExample(size=(12, 12), mode="bicubic")(step)
    assert bicubic.min() < -0.05 and bicubic.max() > 1.05  # ringing on both sides of the edge
    for mode in ("nearest", "bilinear"):
        out = UpsampleExample(size=(12, 12), mode=mode)(step)
        assert out.min() >= 0 and out.max() <= 1


def test_bicubic_overshoots_on_a_real_digit_so_the_figure_clamps_it():
    digit, _ = MnistSample()[0]
    upsampled = compare_modes(digit[0], 56)
    assert upsampled["bicubic"].min() < 0 and upsampled["bicubic"].max() > 1
    assert all(image.min() >= 0 and image.max() <= 1 for label, image in upsampled.items() if label != "bicubic")


# -- the modes figure's reading -----------------------------------------------------------------------------------
def test_at_2x_nearest_nearest_exact_and_area_agree_and_at_1_5x_they_part():
    digit = torch.rand(28, 28)
    doubled, grown = compare_modes(digit, 56), compare_modes(digit, 42)
    assert torch.equal(doubled["nearest"], doubled["nearest-exact"])
    torch.testing.assert_close(doubled["area"], doubled["nearest"])
    assert not torch.equal(grown["nearest"], grown["nearest-exact"])
    assert not torch.allclose(grown["area"], grown["nearest"])


# -- layer and function --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", list(MODES))
def test_nn_upsample_and_f_interpolate_agree_on_the_layers_modes(mode):
    rank = MODES[mode] or 2
    x = torch.rand((2, 3) + (5,) * rank)
    layer = nn.Upsample(scale_factor=2, mode=mode)
    assert torch.equal(layer(x), F.interpolate(x, scale_factor=2, mode=mode))
    assert torch.equal(UpsampleExample(scale_factor=2, mode=mode)(x), F.interpolate(x, scale_factor=2, mode=mode))


def test_the_function_has_options_the_layer_lacks():
    assert "antialias" in inspect.signature(F.interpolate).parameters
    assert "antialias" not in inspect.signature(nn.Upsample).parameters


# -- Pillow --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [14, 20])
def test_pillow_bilinear_antialiases_when_shrinking(size):
    """Enlarging, Pillow's BILINEAR is torch's (test_modes.py); shrinking, it is torch's with antialias=True."""
    image = np.random.default_rng(size).random((28, 28), dtype=np.float32)
    pillow = np.asarray(Image.fromarray(image, mode="F").resize((size, size), Image.BILINEAR))
    batch = torch.from_numpy(image)[None, None]
    plain = UpsampleExample(size=(size, size), mode="bilinear")(batch)[0, 0].numpy()
    antialiased = F.interpolate(batch, size=(size, size), mode="bilinear", antialias=True)[0, 0].numpy()
    assert np.abs(pillow - plain).max() > 0.1
    np.testing.assert_allclose(pillow, antialiased, atol=1e-5)


# -- dtypes --------------------------------------------------------------------------------------------------------
def test_raised_names_the_error_and_its_message_or_says_there_was_none():
    assert raised(F.interpolate, torch.rand(1, 1, 4), size=2, mode="nearest", align_corners=True).startswith(
        "ValueError: align_corners option can only be set with the interpolating modes")
    assert raised(F.interpolate, torch.rand(1, 1, 4), size=2) == "no error"


def test_on_constants_copying_is_exact_and_weighing_rounds_by_at_most_two_float32_eps():
    eps = torch.finfo(torch.float32).eps
    assert worst_overshoot("nearest", 1) == 0.0  # a copy is exact
    for mode, rank in (("linear", 1), ("bilinear", 2)):
        assert 0 < worst_overshoot(mode, rank) <= 2 * eps
        assert worst_overshoot(mode, rank, torch.float64) < 1e-15


def test_uint8_difference_is_the_largest_gap_to_the_rounded_float_result():
    pixels = torch.randint(0, 256, (1, 1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    assert uint8_difference(pixels, 42, "nearest") == (torch.uint8, 0)
    dtype, off = uint8_difference(pixels, 42, "bicubic")
    expected = (F.interpolate(pixels, size=42, mode="bicubic").double()
                - F.interpolate(pixels.double(), size=42, mode="bicubic").round().clamp(0, 255)).abs().max()
    assert dtype == torch.uint8 and off == expected.item() > 10


def test_uint8_works_for_exactly_these_modes_and_ranks():
    works = set()
    for mode, dims in MODES.items():
        for rank in (1, 2, 3) if dims is None else (dims,):
            try:
                F.interpolate(torch.zeros((1, 1) + (4,) * rank, dtype=torch.uint8), scale_factor=2, mode=mode)
                works.add((mode, rank))
            except NotImplementedError:
                pass
    expected = {("nearest", 1), ("nearest", 2), ("nearest", 3), ("nearest-exact", 1), ("nearest-exact", 2),
                ("nearest-exact", 3), ("bilinear", 2), ("bicubic", 2)}
    assert works == expected
    assert {(mode, rank) for rank, modes in uint8_kernels().items() for mode in modes} == expected


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_uint8_nearest_is_exactly_the_float_result(mode, rank):
    pixels = torch.randint(0, 256, (2, 1) + (6,) * rank, dtype=torch.uint8)
    model = UpsampleExample(size=(9,) * rank, mode=mode)
    as_bytes = model(pixels)
    assert as_bytes.dtype == torch.uint8
    assert torch.equal(as_bytes, model(pixels.float()).to(torch.uint8))


def test_uint8_bilinear_is_the_float_result_rounded():
    pixels = torch.randint(0, 256, (2, 1, 28, 28), dtype=torch.uint8)
    as_bytes = UpsampleExample(mode="bilinear")(pixels)
    assert as_bytes.dtype == torch.uint8
    matrix = linear_matrix(28, 56)
    expected = np.round(matrix @ pixels.numpy().astype(float) @ matrix.T)
    assert np.abs(as_bytes.numpy() - expected).max() <= 1  # fixed-point arithmetic: within one grey level


def test_uint8_bicubic_clamps_between_its_two_passes():
    """Along the width first, then the height, each pass rounded and clamped to 0..255: overshoot is cut half-way."""
    pixels = torch.randint(0, 256, (28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    as_bytes = UpsampleExample(mode="bicubic")(pixels[None, None])[0, 0].numpy().astype(float)
    matrix, image = cubic_matrix(28, 56), pixels.numpy().astype(float)
    width_pass = np.clip(np.round(image @ matrix.T), 0, 255)  # (28, 28) -> (28, 56)
    two_passes = np.clip(np.round(matrix @ width_pass), 0, 255)  # (28, 56) -> (56, 56)
    one_pass = np.clip(np.round(matrix @ image @ matrix.T), 0, 255)  # what the float path gives, rounded
    assert np.abs(as_bytes - two_passes).max() <= 1
    assert np.abs(as_bytes - one_pass).max() > 10


@pytest.mark.parametrize(
    ("mode", "shape", "dtype"),
    [("area", (1, 1, 4, 4), torch.uint8), ("linear", (1, 1, 4), torch.uint8), ("trilinear", (1, 1, 2, 2, 2), torch.uint8),
     ("nearest", (1, 1, 4, 4), torch.int64), ("bilinear", (1, 1, 4, 4), torch.int32), ("nearest", (1, 1, 4, 4), torch.bool)],
    ids=["area-uint8", "linear-uint8", "trilinear-uint8", "nearest-int64", "bilinear-int32", "nearest-bool"],
)
def test_dtypes_without_a_kernel_get_torchs_message_naming_the_dtype_and_float_works(mode, shape, dtype):
    """The page: torch's own error names the missing kernel and the dtype; converting first is the remedy."""
    torch_name = {torch.uint8: "Byte", torch.int64: "Long", torch.int32: "Int", torch.bool: "Bool"}[dtype]
    with pytest.raises(NotImplementedError, match=f"not implemented for '{torch_name}'"):
        UpsampleExample(scale_factor=2, mode=mode)(torch.zeros(shape, dtype=dtype))
    x = torch.rand(shape) * 255
    assert torch.equal(UpsampleExample(scale_factor=2, mode=mode)(x.to(dtype).float()),
                       F.interpolate(x.to(dtype).float(), scale_factor=2, mode=mode))


@pytest.mark.parametrize("mode", [mode for mode, dims in MODES.items() if dims in (None, 2)])
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_other_float_dtypes_work_and_keep_their_dtype(dtype, mode):
    x = torch.rand(1, 1, 8, 8).to(dtype)
    out = UpsampleExample(size=(12, 12), mode=mode)(x)
    assert out.dtype == dtype
    expected = UpsampleExample(size=(12, 12), mode=mode)(x.double())
    np.testing.assert_allclose(out.double().numpy(), expected.numpy(), atol=0.03)
