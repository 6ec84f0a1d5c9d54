"""The quality lesson (lessons/plot_quality.py, upsample_helpers.quality): the measures against NumPy, the
upsamplers, a short training of this file's own, and the figure. The page itself trains for half a minute; the gallery build runs it, and its asserts
check its text."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from upsample_example import MODES
from upsample_helpers import ESPCN, TRAINING_DTYPE, psnr, shrink, split_digits, ssim, train, visibly_off
from upsample_helpers.quality import BORDER, FIXED, LEARNED, SHOWN, WINDOW, plot_quality, ssim_by_region, ssim_maps

matplotlib.use("Agg")



def test_psnr_is_the_numpy_formula():
    rng = np.random.default_rng(0)
    target, output = rng.random((5, 1, 28, 28)), rng.random((5, 1, 28, 28))
    mse = ((output - target) ** 2).reshape(5, -1).mean(axis=1)
    mean, pooled = psnr(torch.from_numpy(output), torch.from_numpy(target))
    assert mean == pytest.approx(np.mean(10 * np.log10(1 / mse)))
    assert pooled == pytest.approx(10 * np.log10(1 / mse.mean()))
    assert pooled <= mean + 1e-12  # log is concave: the PSNR of the mean error never exceeds the mean PSNR


def test_ssim_is_one_for_identical_images_and_sees_no_stroke_in_black():
    digits = split_digits(40, 10)[1]
    assert ssim(digits, digits) == pytest.approx((1.0, 1.0))
    overall, strokes = ssim(torch.zeros_like(digits), digits)
    assert strokes < 0.01 < 0.1 < overall  # black scores on the background alone


def test_visibly_off_counts_pixels_more_than_a_tenth_away():
    target = torch.zeros(1, 1, 2, 2, dtype=torch.float64)
    output = torch.tensor([[[[0.05, 0.2], [-0.3, 0.1]]]], dtype=torch.float64)
    assert visibly_off(output, target) == 0.5


def test_shrink_averages_2x2_blocks():
    digits = torch.rand(3, 1, 28, 28, dtype=torch.float64)
    expected = digits.numpy().reshape(3, 1, 14, 2, 14, 2).mean(axis=(3, 5))
    np.testing.assert_allclose(shrink(digits).numpy(), expected, atol=1e-15)


def test_the_fixed_upsamplers_are_every_2d_mode_and_lanczos():
    modes = {mode for mode, dims in MODES.items() if dims in (None, 2)}
    assert {name.split(",")[0] for name in FIXED} == modes | {"lanczos"}
    small = torch.rand(2, 1, 14, 14)
    for name, upsample in FIXED.items():
        result = upsample(small)
        assert result.shape == (2, 1, 28, 28)
        if name.endswith("clamped"):
            assert result.min() >= 0 and result.max() <= 1
    torch.testing.assert_close(FIXED["bicubic, clamped"](small), F.interpolate(small, scale_factor=2,
                                                                                 mode="bicubic").clamp(0, 1))


@pytest.mark.parametrize("name", LEARNED)
def test_learned_upsamplers_double_and_the_residual_one_starts_near_bicubic(name):
    model = ESPCN(**LEARNED[name])
    small = torch.rand(2, 1, 14, 14)
    assert model(small).shape == (2, 1, 28, 28)
    assert isinstance(model, ESPCN) and isinstance(model.body[-1], torch.nn.PixelShuffle)
    if name == "bicubic + residual":
        with torch.no_grad():
            model.body[-2].weight.zero_()
            model.body[-2].bias.zero_()
            torch.testing.assert_close(model(small), F.interpolate(small, scale_factor=2, mode="bicubic"))


def test_a_short_training_already_beats_bicubic():
    """This test's own budget: two epochs on 500 digits, a quarter of the lesson's steps."""
    digits, held_out = (part.to(TRAINING_DTYPE) for part in split_digits(500, 300))
    torch.manual_seed(0)
    model = train(ESPCN(residual=True).to(TRAINING_DTYPE), shrink(digits), digits, epochs=2, seed=0, batch_size=32,
                  learning_rate=5e-3)
    with torch.no_grad():
        learned = psnr(model(shrink(held_out)), held_out)[0]
    bicubic = psnr(F.interpolate(shrink(held_out), scale_factor=2, mode="bicubic"), held_out)[0]
    assert learned > bicubic


def test_figure_shows_inputs_and_each_error():
    originals = torch.rand(3, 1, 28, 28)
    results = {name: torch.rand(3, 1, 28, 28) for name in SHOWN}
    figure = plot_quality(originals, results, shown=3)
    panels = [ax for ax in figure.axes if ax.images]
    assert [ax.get_title() for ax in panels[: 2 + len(SHOWN)]] == ["original", "14×14", *SHOWN]
    errors = [ax for ax in panels if ax.images[0].get_cmap().name == "RdBu_r"]
    assert len(errors) == 3 * len(SHOWN)
    np.testing.assert_allclose(errors[0].images[0].get_array(), (results[SHOWN[0]] - originals)[0, 0].numpy())
    matplotlib.pyplot.close(figure)


@pytest.mark.parametrize("window", [7, 5])
def test_skimage_ssim_averages_its_map_without_a_border_of_half_a_window(window):
    """structural_similarity's score is its full map's mean over the pixels at least (win_size − 1)/2 from every
    edge, not over all pixels: the page's SSIM column is the inner 22×22 mean."""
    from skimage.metrics import structural_similarity

    rng = np.random.default_rng(5)
    true, out = rng.random((28, 28)), rng.random((28, 28))
    score, local = structural_similarity(true, out, data_range=1.0, win_size=window, full=True)
    border = (window - 1) // 2
    assert score == pytest.approx(local[border:-border, border:-border].mean(), abs=1e-12)
    assert abs(score - local.mean()) > 1e-4
    assert BORDER == 3 and WINDOW == 7


def test_the_pages_ssim_maps_are_skimages_and_its_ssim_column_the_inner_mean():
    from skimage.metrics import structural_similarity

    digits = split_digits(40, 6)[1].double()
    blurred = F.avg_pool2d(digits, 3, stride=1, padding=1)
    scores, maps = ssim_maps(blurred, digits)
    assert maps.shape == (6, 28, 28)
    for k in range(6):
        score, local = structural_similarity(digits[k, 0].numpy(), blurred[k, 0].numpy(), data_range=1.0, full=True)
        assert scores[k] == pytest.approx(score, abs=1e-12)
        np.testing.assert_allclose(maps[k], local, atol=1e-12)
    overall, strokes = ssim(blurred, digits)
    assert overall == pytest.approx(maps[:, 3:-3, 3:-3].mean(axis=(1, 2)).mean(), abs=1e-12)
    # the strokes column takes every stroke pixel, those in the border included
    expected = np.mean([maps[k][digits[k, 0].numpy() > 0].mean() for k in range(6)])
    assert strokes == pytest.approx(expected, abs=1e-12)


def test_at_2x_nearest_nearest_exact_and_area_give_the_same_tensor():
    """Each copies a small pixel into its 2×2 block: the block repeat of the input, exactly."""
    small = torch.rand(3, 1, 14, 14, dtype=torch.float64)
    blocks = small.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
    for name in ("nearest", "nearest-exact", "area"):
        assert torch.equal(FIXED[name](small), blocks), name


def test_ssim_by_region_splits_the_maps_into_inner_pixels_and_border():
    from skimage.metrics import structural_similarity

    digits = split_digits(40, 4)[1].double()
    blurred = F.avg_pool2d(digits, 3, stride=1, padding=1)
    region = ssim_by_region({"blur": [blurred]}, digits, ("blur",))["blur"]
    maps = np.stack([structural_similarity(d[0].numpy(), b[0].numpy(), data_range=1.0, full=True)[1]
                     for d, b in zip(digits, blurred, strict=True)])
    border = np.ones((28, 28), dtype=bool)
    border[3:-3, 3:-3] = False
    assert region["all"] == pytest.approx(maps.mean(), abs=1e-12)
    assert region["border"] == pytest.approx(maps[:, border].mean(), abs=1e-12)
    assert region["inner"] == pytest.approx(region["score"], abs=1e-12)
    # the whole map is the pixel-weighted mean of its two parts: 22×22 inner, 28×28 − 22×22 border
    assert region["all"] == pytest.approx((484 * region["inner"] + 300 * region["border"]) / 784, abs=1e-12)
