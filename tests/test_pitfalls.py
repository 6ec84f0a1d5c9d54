"""The pitfalls the README shows, each pinned: align_corners, fractional factors, overshoot, F.interpolate, dtypes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from reference import cubic_matrix, linear_matrix, upsample
from torch import nn

from upsample_example import MODES, UpsampleExample, compare_modes


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
    from upsample_example import MnistSample

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


def test_doubling_the_depth_blends_a_quarter_and_three_quarters():
    """The volumetric figure's trilinear slice 2 sits at depth 0.75: 0.25 of slice 0 and 0.75 of slice 1."""
    np.testing.assert_allclose(linear_matrix(4, 8)[2], [0.25, 0.75, 0, 0])
    volume = torch.rand(1, 1, 4, 3, 3, dtype=torch.float64)
    depth_only = UpsampleExample(size=(8, 3, 3), mode="trilinear")(volume)[0, 0]
    torch.testing.assert_close(depth_only[2], 0.25 * volume[0, 0, 0] + 0.75 * volume[0, 0, 1])


# -- layer and function --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", list(MODES))
def test_nn_upsample_and_f_interpolate_are_the_same_operation(mode):
    rank = MODES[mode] or 2
    x = torch.rand((2, 3) + (5,) * rank)
    layer = nn.Upsample(scale_factor=2, mode=mode)
    assert torch.equal(layer(x), F.interpolate(x, scale_factor=2, mode=mode))
    assert torch.equal(UpsampleExample(scale_factor=2, mode=mode)(x), F.interpolate(x, scale_factor=2, mode=mode))


# -- dtypes --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_uint8_nearest_is_exactly_the_float_result(mode):
    pixels = torch.randint(0, 256, (4, 1, 28, 28), dtype=torch.uint8)
    as_bytes = UpsampleExample(size=(42, 42), mode=mode)(pixels)
    assert as_bytes.dtype == torch.uint8
    assert torch.equal(as_bytes, UpsampleExample(size=(42, 42), mode=mode)(pixels.float()).to(torch.uint8))


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
def test_dtypes_without_a_kernel_get_a_clear_message(mode, shape, dtype):
    with pytest.raises(TypeError) as raised:
        UpsampleExample(scale_factor=2, mode=mode)(torch.zeros(shape, dtype=dtype))
    message = str(raised.value)
    assert f"'{mode}'" in message and str(dtype) in message and "x.float()" in message
    with pytest.raises(NotImplementedError):  # what torch itself raises
        F.interpolate(torch.zeros(shape, dtype=dtype), scale_factor=2, mode=mode)


@pytest.mark.parametrize("mode", [mode for mode, dims in MODES.items() if dims in (None, 2)])
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_other_float_dtypes_work_and_keep_their_dtype(dtype, mode):
    x = torch.rand(1, 1, 8, 8).to(dtype)
    out = UpsampleExample(size=(12, 12), mode=mode)(x)
    assert out.dtype == dtype
    expected = UpsampleExample(size=(12, 12), mode=mode)(x.double())
    np.testing.assert_allclose(out.double().numpy(), expected.numpy(), atol=0.03)
