"""The modes lesson (lessons/plot_modes.py) and every pitfall the README states, each pinned against torch itself
or an independent reference: shifts, ties, area, align_corners, fractional factors, overshoot, layer and function, dtypes."""

from __future__ import annotations

import inspect
from fractions import Fraction

import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import lesson_definitions, run_lesson
from PIL import Image
from reference import cubic_matrix, is_tie, linear_matrix, nearest_exact_index, nearest_index, upsample
from torch import nn

from upsample_example import MODES, MnistSample, UpsampleExample

matplotlib.use("Agg")

LESSON = lesson_definitions("plot_modes")  # what the page defines; one test runs the page itself
MODE_VARIANTS = LESSON.MODE_VARIANTS
compare_modes = LESSON.compare_modes
exact_ties = LESSON.exact_ties
mean_shift = LESSON.mean_shift
plot_modes = LESSON.plot_modes
source_indices = LESSON.source_indices


# -- which pixel the nearest modes copy, and where that moves the image ------------------------------------------
def shift_from_formula(n_in: int, n_out: int, index) -> Fraction:
    """The mean of (output centre − source index) in exact rational arithmetic, from an integer index formula."""
    return sum(Fraction(2 * d + 1, 2) * Fraction(n_in, n_out) - Fraction(1, 2) - index(d, n_in, n_out)
               for d in range(n_out)) / n_out


def test_at_28_to_42_nearest_moves_the_image_a_sixth_of_a_pixel_right_and_nearest_exact_a_sixth_left():
    assert mean_shift(28, 42, "nearest") == pytest.approx(1 / 6) == float(shift_from_formula(28, 42, nearest_index))
    assert mean_shift(28, 42, "nearest-exact") == pytest.approx(-1 / 6) == float(shift_from_formula(28, 42, nearest_exact_index))


@pytest.mark.parametrize(("n_in", "n_out"), [(28, 56), (28, 84), (7, 35)], ids=["2x", "3x", "5x"])
def test_at_integer_factors_nothing_moves(n_in, n_out):
    assert mean_shift(n_in, n_out, "nearest") == pytest.approx(0, abs=1e-12)
    assert mean_shift(n_in, n_out, "nearest-exact") == pytest.approx(0, abs=1e-12)


def test_nearest_moves_content_right_by_less_than_half_an_output_pixel_when_enlarging():
    """With n_in/n_out = p/q in lowest terms, the mean shift is (p − 1)/(2p) output pixels: 0 ≤ it < ½."""
    for n_in in range(1, 29):
        for n_out in range(n_in, 3 * n_in + 1):
            if any(is_tie(d, n_in, n_out, "nearest") for d in range(n_out)) and source_indices(n_in, n_out, "nearest") != [
                    nearest_index(d, n_in, n_out) for d in range(n_out)]:
                continue  # float rounding took another pixel at a tie: the formula is not torch's here
            p = Fraction(n_in, n_out).numerator
            in_output_pixels = mean_shift(n_in, n_out, "nearest") * n_out / n_in
            assert in_output_pixels == pytest.approx((p - 1) / (2 * p), abs=1e-9), (n_in, n_out)
            assert 0 <= in_output_pixels < 0.5


def test_at_28_to_42_a_third_of_the_outputs_are_ties_and_torch_takes_the_pixel_after_the_border_at_each():
    ties = exact_ties(28, 42)
    assert ties == [d for d in range(42) if is_tie(d, 28, 42, "nearest-exact")] and len(ties) == 14
    copied = source_indices(28, 42, "nearest-exact")
    assert all(copied[d] == (2 * d + 1) * 28 // 84 for d in ties)  # the centre (d + ½)·2/3 is whole: that pixel


def test_lesson_prints_the_numbers_its_text_quotes():
    page = run_lesson("plot_modes")
    out = "\n".join(page.printed)
    assert "nearest        28→42 copies input pixels [0, 0, 1, 2, 2, 3, 4, 4, 5]" in out
    assert "nearest-exact  28→42 copies input pixels [0, 1, 1, 2, 3, 3, 4, 5, 5]" in out
    assert "14 of 42" in out and "28→42, in input pixels (+ is right/down): nearest 1/6, nearest-exact -1/6" in out
    assert "bicubic: range [-0.105, 1.105]" in out
    assert sorted(path.name for path in page.images.iterdir()) == ["modes.png"]


def test_modes_figure_shows_each_mode_and_its_difference_from_nearest():
    digit = torch.rand(28, 28)
    figure = plot_modes(digit)
    images = [ax for ax in figure.axes if ax.images]
    assert len(images) == 2 * (2 * len(MODE_VARIANTS) - 1)  # per size: every variant, and every difference but nearest's
    titles = [ax.get_title() for ax in images]
    for size in (56, 42):
        upsampled = compare_modes(digit, size)
        for label, image in upsampled.items():
            (top,) = [ax for ax in images if ax.get_title() == f"{label}\n{size}×{size}, range [{image.min():.2f}, {image.max():.2f}]"]
            np.testing.assert_allclose(top.images[0].get_array(), image.clamp(0, 1).numpy())
    assert titles.count("nearest − nearest") == 0 and titles.count("bicubic − nearest") == 2
    assert sum(ax.get_ylabel() == "difference" for ax in figure.axes) == 2  # one labelled colour bar per difference row
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
