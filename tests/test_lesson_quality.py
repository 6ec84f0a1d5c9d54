"""The quality lesson (lessons/plot_quality.py, upsample_helpers.quality): the measures against NumPy, SciPy and
scikit-image, the upsamplers against F.interpolate and loops, the training schedule against a rule written here,
and the figures. The page itself trains for most of a minute; the gallery build runs it, and its asserts check its
text."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from upsample_example import MODES
from upsample_helpers import ESPCN, TRAINING_DTYPE, psnr, quality, shrink, split_digits, ssim, visibly_off
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


def conv_parameters(channels_in, channels_out, size):
    return channels_out * (channels_in * size * size + 1)  # weights and one bias per output channel


def test_learned_upsamplers_double_and_count_their_parameters_as_the_formula_does():
    features = conv_parameters(1, 8, 5) + conv_parameters(8, 8, 3)
    expected = {
        "ESPCN": features + conv_parameters(8, 4, 3),
        "bicubic + residual": features + conv_parameters(8, 4, 3),
        "features, bilinear": features + conv_parameters(8, 1, 3),
        "CARAFE": features + conv_parameters(8, 1, 3) + conv_parameters(8, 4 * 9, 1),  # 3×3 kernels, 4 sub-pixels
        "DySample": features + conv_parameters(8, 1, 3) + conv_parameters(8, 2 * 4, 1),  # (x, y), 4 sub-pixels
    }
    small = torch.rand(2, 1, 14, 14)
    for name, build in LEARNED.items():
        model = build()
        assert model(small).shape == (2, 1, 28, 28), name
        assert quality.parameters(model) == expected[name], name


def test_the_residual_one_without_its_correction_is_bicubic():
    model = LEARNED["bicubic + residual"]()
    small = torch.rand(2, 1, 14, 14)
    with torch.no_grad():
        model.body[-2].weight.zero_()
        model.body[-2].bias.zero_()
    assert isinstance(model, ESPCN) and isinstance(model.body[-1], torch.nn.PixelShuffle)
    torch.testing.assert_close(model(small), F.interpolate(small, scale_factor=2, mode="bicubic"))


def test_features_bilinear_enlarges_its_grey_map_bilinearly_and_an_untrained_dysample_does_the_same():
    small = torch.rand(3, 1, 14, 14, dtype=torch.float64)
    control = LEARNED["features, bilinear"]().double()
    dysample = LEARNED["DySample"]().double()
    dysample.features.load_state_dict(control.features.state_dict())
    dysample.grey.load_state_dict(control.grey.state_dict())
    with torch.no_grad():
        grey = control.grey(control.features(small))
        expected = F.interpolate(grey, scale_factor=2, mode="bilinear", align_corners=False)
        torch.testing.assert_close(control(small), expected, rtol=0, atol=1e-12)
        torch.testing.assert_close(dysample(small), expected, rtol=0, atol=1e-12)  # its offsets start at zero


def test_carafe_takes_a_weighted_mean_of_the_3x3_neighbourhood_of_its_grey_map():
    """Each output pixel lies between the smallest and largest grey value around its small pixel (zero padding
    included), since its kernel's weights are positive and sum to 1; and it is that mean, by a loop."""
    torch.manual_seed(3)
    model = LEARNED["CARAFE"]().double()
    small = torch.rand(2, 1, 14, 14, dtype=torch.float64)
    with torch.no_grad():
        features = model.features(small)
        grey = model.grey(features)
        kernels = model.enlarge.kernels(features)  # (2, 9, 28, 28)
        out = model(small)
    padded = F.pad(grey, (1, 1, 1, 1))
    for i in range(28):
        for j in range(28):
            window = padded[:, 0, i // 2: i // 2 + 3, j // 2: j // 2 + 3].reshape(2, 9)
            expected = (kernels[:, :, i, j] * window).sum(dim=1)
            torch.testing.assert_close(out[:, 0, i, j], expected, rtol=0, atol=1e-12)
            assert (window.min(dim=1).values - 1e-12 <= out[:, 0, i, j]).all()
            assert (out[:, 0, i, j] <= window.max(dim=1).values + 1e-12).all()


def test_training_pairs_are_the_central_20x20_shrunk_by_2x2_means():
    digits = torch.rand(3, 1, 28, 28, dtype=torch.float64)
    inputs, targets = quality.pairs(digits)
    centre = digits[:, :, 4:24, 4:24].numpy()
    np.testing.assert_array_equal(targets.numpy(), centre)
    np.testing.assert_allclose(inputs.numpy(), centre.reshape(3, 1, 10, 2, 10, 2).mean(axis=(3, 5)), atol=1e-15)
    np.testing.assert_allclose(inputs.numpy(), shrink(digits).numpy()[:, :, 2:12, 2:12], atol=1e-15)


def schedule_by_the_rule(curve, threshold=0.02, patience=2, halvings=3):
    """The epoch after which the page's rule stops, from the validation curve alone: an epoch that does not beat
    the best before it by more than ``threshold`` counts; ``patience`` such epochs in a row halve the rate."""
    waited = halved = 0
    for epoch in range(1, len(curve)):
        waited = waited + 1 if curve[epoch] <= max(curve[:epoch]) + threshold else 0
        if waited == patience:
            waited, halved = 0, halved + 1
            if halved == halvings:
                return epoch + 1
    return None


@pytest.fixture(scope="module")
def short_fit(monkeypatch_module):
    digits, valid = (part.to(TRAINING_DTYPE) for part in split_digits(160, 40))
    monkeypatch_module.setattr(quality, "MAX_EPOCHS", 12)
    torch.manual_seed(0)
    return quality.fit(LEARNED["ESPCN"]().to(TRAINING_DTYPE), digits, valid, seed=0), valid


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_fit_stops_where_the_rule_says_and_keeps_the_best_epoch(short_fit):
    fit, valid = short_fit
    stop = schedule_by_the_rule(fit.curve)
    assert len(fit.curve) == (stop if stop is not None else 12)
    assert fit.kept == int(np.argmax(fit.curve)) + 1
    # the weights kept are the best epoch's: the returned model scores that epoch's validation PSNR
    with torch.no_grad():
        score = psnr(fit.model(shrink(valid)), valid)[0]
    assert score == pytest.approx(max(fit.curve), abs=1e-9)
    assert not fit.model.training


class Frozen(torch.nn.Module):
    """Bicubic upsampling, whatever its one parameter: a validation PSNR that never moves."""

    def __init__(self):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros((), dtype=TRAINING_DTYPE))

    def forward(self, small):
        return F.interpolate(small, scale_factor=2, mode="bicubic") + 0 * self.unused


def test_a_model_that_never_improves_halves_its_rate_every_second_epoch_and_stops_at_the_seventh(monkeypatch):
    rates = []
    adam = torch.optim.Adam

    class Recording(adam):
        def step(self, closure=None):
            rates.append(self.param_groups[0]["lr"])
            return super().step(closure)

    monkeypatch.setattr(quality.torch.optim, "Adam", Recording)
    digits, valid = (part.to(TRAINING_DTYPE) for part in split_digits(16, 8))
    fit = quality.fit(Frozen(), digits, valid, seed=0)
    assert len(fit.curve) == 7 == schedule_by_the_rule(fit.curve)
    assert len(set(fit.curve)) == 1 and fit.kept == 1
    per_epoch = [rates[k * 2] for k in range(7)]  # 16 digits in batches of 8: two steps an epoch
    assert per_epoch == [0.01, 0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025]
    assert schedule_by_the_rule([10.0, 10.1, 10.15, 10.16, 10.3]) is None  # +0.01 waits, +0.14 starts again


def test_in_batches_is_the_whole_call():
    model = LEARNED["DySample"]().double().eval()
    small = torch.rand(250, 1, 14, 14, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(quality.in_batches(model, small), model(small), rtol=0, atol=1e-12)


def label_by_hand(ink):
    """8-connected pieces of a boolean image, by flood fill: a list of sets of (row, column)."""
    seen, pieces = set(), []
    for start in zip(*np.nonzero(ink), strict=True):
        if start in seen:
            continue
        piece, stack = set(), [start]
        while stack:
            y, x = stack.pop()
            if (y, x) in seen or not (0 <= y < ink.shape[0] and 0 <= x < ink.shape[1]) or not ink[y, x]:
                continue
            seen.add((y, x))
            piece.add((y, x))
            stack.extend((y + dy, x + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1))
        pieces.append(piece)
    return pieces


def test_stroke_pieces_against_a_flood_fill():
    rng = np.random.default_rng(1)
    target = torch.from_numpy(rng.random((4, 1, 16, 16)) * (rng.random((4, 1, 16, 16)) < 0.3))
    output = torch.from_numpy(rng.random((4, 1, 16, 16)) * (rng.random((4, 1, 16, 16)) < 0.3))
    pieces = invented = missed = 0
    for out, true in zip(output[:, 0].numpy() >= 0.5, target[:, 0].numpy() >= 0.5, strict=True):
        out_pieces, true_pieces = label_by_hand(out), label_by_hand(true)
        true_ink = set(zip(*np.nonzero(true), strict=True))
        out_ink = set(zip(*np.nonzero(out), strict=True))
        pieces += len(out_pieces)
        invented += sum(1 for piece in out_pieces if not piece & true_ink)
        missed += sum(1 for piece in true_pieces if not piece & out_ink)
    assert quality.stroke_pieces(output, target) == (pieces, invented, missed)
    assert invented > 0 and missed > 0


def test_stroke_pieces_of_a_drawn_example():
    target = torch.zeros(1, 1, 8, 8, dtype=torch.float64)
    target[0, 0, 1, 1:4] = 1.0  # a bar
    target[0, 0, 5, 5] = 0.6  # a dot
    output = torch.zeros_like(target)
    output[0, 0, 1, 3:6] = 0.9  # the bar, shifted: shares a pixel
    output[0, 0, 2, 6] = 0.7  # touches the shifted bar diagonally: the same piece
    output[0, 0, 6, 1] = 0.5  # a new dot
    assert quality.stroke_pieces(output, target) == (2, 1, 1)  # 2 pieces, the new dot invented, the dot missed
    assert quality.stroke_pieces(target, target) == (2, 0, 0)


def test_the_learning_curves_draw_every_seed_and_mark_the_kept_epochs():
    fits = {name: [quality.Fit(torch.nn.Identity(), [20.0 + k, 21.0 + k, 20.5 + k], 2) for k in range(3)]
            for name in ("A", "B")}
    figure = quality.plot_curves(fits, ("bicubic", 19.5))
    ax = figure.axes[0]
    curves = [line for line in ax.lines if len(line.get_xdata()) == 3]
    dots = [line for line in ax.lines if line.get_marker() == "o"]
    assert len(curves) == 6 and len(dots) == 6
    assert [list(dot.get_ydata()) for dot in dots[:3]] == [[21.0], [22.0], [23.0]]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["A", "B"]
    matplotlib.pyplot.close(figure)


def test_figure_shows_inputs_and_each_error():
    originals = torch.rand(3, 1, 28, 28)
    results = {name: torch.rand(3, 1, 28, 28) for name in SHOWN}
    figure = plot_quality(originals, results, shown=3)
    panels = [ax for ax in figure.axes if ax.images]
    titles = [ax.get_title().replace("\n", " ") for ax in panels[: 2 + len(SHOWN)]]
    assert titles == ["original", "14×14", *SHOWN]
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


AT_THE_DEFAULT_LEVEL = """
import sys, torch
from upsample_helpers import quality, split_digits
weights = [p.detach() for name in quality.LEARNED for p in quality.initial(name, 1).parameters()]
quality.MAX_EPOCHS = 2
digits, valid = (part.double() for part in split_digits(120, 40))
curves = [quality.fit(quality.initial(name, 0), digits, valid, seed=0).curve for name in sys.argv[2:]]
torch.save((weights, curves), sys.argv[1])
"""
TRAINED = ["bicubic + residual", "CARAFE", "DySample"]


@pytest.fixture(scope="module")
def at_the_default_level(tmp_path_factory):
    """What AT_THE_DEFAULT_LEVEL draws and trains with ATEN_CPU_CAPABILITY=default: (weights, curves)."""
    import os
    import subprocess
    import sys

    path = tmp_path_factory.mktemp("default") / "drawn.pt"
    subprocess.run([sys.executable, "-c", AT_THE_DEFAULT_LEVEL, str(path), *TRAINED], check=True,
                   env={**os.environ, "ATEN_CPU_CAPABILITY": "default"})
    return torch.load(path)


def test_initial_weights_are_torchs_default_range_the_same_at_the_default_kernel_level(at_the_default_level):
    models = [quality.initial(name, 1) for name in LEARNED]
    for model in models:
        assert all(parameter.dtype == TRAINING_DTYPE for parameter in model.parameters())
        for layer in (layer for layer in model.modules() if isinstance(layer, torch.nn.Conv2d)):
            bound = 1 / np.sqrt(layer.in_channels * layer.kernel_size[0] * layer.kernel_size[1])
            for parameter in (layer.weight, layer.bias):
                assert parameter.abs().max() <= bound
    offset = models[list(LEARNED).index("DySample")].enlarge.offset
    assert not offset.weight.any() and not offset.bias.any()
    assert quality.initial("ESPCN", 0).body[0].weight.ne(quality.initial("ESPCN", 1).body[0].weight).all()
    drawn = [parameter for model in models for parameter in model.parameters()]
    assert all(torch.equal(a, b) for a, b in zip(drawn, at_the_default_level[0], strict=True))


def test_training_gives_the_same_curves_at_the_default_kernel_level(at_the_default_level, monkeypatch):
    """The page's promise: what fit prints is the same at the processor's own level and the default one."""
    monkeypatch.setattr(quality, "MAX_EPOCHS", 2)
    digits, valid = (part.double() for part in split_digits(120, 40))
    own = [quality.fit(quality.initial(name, 0), digits, valid, seed=0).curve for name in TRAINED]
    assert at_the_default_level[1] == own and all(len(curve) == 2 for curve in own)
