"""The quality lesson (lessons/plot_quality.py): the measures against NumPy, the upsamplers, a short training of its
own, and the table the suite's one run of the lesson (run_all, in conftest) printed."""

from __future__ import annotations

import re

import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import split_digits
from plot_quality import (
    ESPCN,
    FIXED,
    LEARNED,
    SHOWN,
    learned_model,
    plot_quality,
    psnr,
    shrink,
    ssim,
    train_upsampler,
    visibly_off,
)

from upsample_example import MODES

matplotlib.use("Agg")

SCRIPT = "lessons/plot_quality.py"


def table(printed: list[str]) -> dict[str, list[float]]:
    """The lesson's table: upsampler -> (PSNR, PSNR of all pixels, SSIM, SSIM on strokes, % visibly off)."""
    start = next(index for index, line in enumerate(printed) if line.startswith("upsampler"))
    rows = {}
    for line in printed[start + 1:]:
        name, *numbers = re.split(r"\s{2,}", line.strip())
        if len(numbers) != 5:
            break
        rows[name] = [float(number.rstrip("%")) for number in numbers]
    return rows


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
    model = learned_model(name)
    small = torch.rand(2, 1, 14, 14)
    assert model(small).shape == (2, 1, 28, 28)
    assert isinstance(model, ESPCN) and isinstance(model.body[-1], torch.nn.PixelShuffle)
    if name == "bicubic + residual":
        with torch.no_grad():
            model.body[-2].weight.zero_()
            model.body[-2].bias.zero_()
            torch.testing.assert_close(model(small), F.interpolate(small, scale_factor=2, mode="bicubic"))


def test_a_short_training_already_beats_bicubic_by_a_clear_margin():
    """This test's own budget: four epochs on 3,000 digits, about a third of the lesson's (ten on 4,000)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        train, held_out = split_digits(3000, 500)
        model = train_upsampler("ESPCN", train, epochs=4)
    finally:
        torch.set_num_threads(threads)
    with torch.no_grad():
        learned = psnr(model(shrink(held_out)), held_out)[0]
    bicubic = psnr(F.interpolate(shrink(held_out), scale_factor=2, mode="bicubic"), held_out)[0]
    assert learned > bicubic + 2


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


# -- what the suite's one run of the lesson printed --------------------------------------------------------------
def test_every_upsampler_is_in_the_table(every_figure):
    rows = table(every_figure[1][SCRIPT])
    assert list(rows) == ["(all black)", *FIXED, *LEARNED]


def test_the_orderings_the_readme_states(every_figure):
    printed = every_figure[1][SCRIPT]
    rows = table(printed)
    psnr_of = {name: values[0] for name, values in rows.items()}
    ssim_of = {name: values[2] for name, values in rows.items()}
    off = {name: values[4] for name, values in rows.items()}
    fixed = list(FIXED)
    # every learned upsampler beats every fixed mode, on both measures, by more than 4 dB of PSNR
    assert min(psnr_of[name] for name in LEARNED) > max(psnr_of[name] for name in fixed) + 4
    assert min(ssim_of[name] for name in LEARNED) > max(ssim_of[name] for name in fixed)
    # among the fixed: lanczos highest PSNR, bicubic next; clamping raises both measures; clamped bicubic best SSIM
    by_psnr = sorted(fixed, key=psnr_of.get, reverse=True)
    assert [name.split(",")[0] for name in by_psnr[:4]] == ["lanczos", "lanczos", "bicubic", "bicubic"]
    for mode in ("bicubic", "lanczos"):
        assert psnr_of[f"{mode}, clamped"] > psnr_of[mode] and ssim_of[f"{mode}, clamped"] > ssim_of[mode]
    assert max(fixed, key=ssim_of.get) == "bicubic, clamped"
    assert rows["nearest"] == rows["nearest-exact"] == rows["area"]
    # visibly off: the learned about 5 %, the fixed modes 15–25 %, all black fewer than bilinear
    assert all(4 <= off[name] <= 6 for name in LEARNED) and all(15 <= off[name] <= 25 for name in fixed)
    assert off["(all black)"] < off["bilinear"]
    assert "background (black) pixels: 81% of the held-out digits" in printed
    # PSNR and SSIM disagree on a pair; black scores some SSIM from the background and none on the strokes
    assert psnr_of["bilinear"] > psnr_of["nearest"] and ssim_of["bilinear"] < ssim_of["nearest"]
    assert rows["(all black)"][2] > 0.2 and rows["(all black)"][3] == 0.0
