"""The signals lesson (lessons/plot_signals.py): the resampler against SciPy, the measured levels against a NumPy
FFT computed here and against the filters' formulas, and the upsampling positions against the ranks lesson's."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal
import torch
import torch.nn.functional as F
from conftest import run_lesson

from upsample_helpers.ranks import sample_positions
from upsample_helpers.signals import (
    antialiased_linear,
    interpolate_1d,
    level_db,
    loudest_elsewhere,
    lowpass_taps,
    resample,
    spectrum_db,
    tones,
)


def numpy_level_db(signal: np.ndarray, freq: int) -> float:
    """The level of the ``freq`` Hz bin of a one-second signal, Hann-windowed, a unit cosine at 0 dB: written
    again with NumPy, the window from its formula."""
    n = len(signal)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)
    return 20 * np.log10(abs(np.fft.rfft(signal * window)[freq]) / (window.sum() / 2))


RATIOS = [(2, 1), (1, 2), (3, 2), (2, 3), (160, 147), (147, 160), (4, 6), (5, 1), (1, 4), (7, 7)]


@pytest.mark.parametrize("up, down", RATIOS, ids=[f"{u}-{d}" for u, d in RATIOS])
@pytest.mark.parametrize("length", [1, 2, 5, 64, 1001])
def test_resample_is_scipys_resample_poly(up, down, length):
    x = np.random.default_rng(length + 31 * up + down).standard_normal((2, 3, length))
    ours = resample(torch.from_numpy(x), up, down).numpy()
    theirs = scipy.signal.resample_poly(x, up, down, axis=-1)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_resample_in_float32_stays_float32_and_close():
    x = torch.randn(1, 500, generator=torch.Generator().manual_seed(0))
    ours = resample(x, 3, 2)
    assert ours.dtype == torch.float32
    theirs = scipy.signal.resample_poly(x.double().numpy(), 3, 2, axis=-1)
    np.testing.assert_allclose(ours.numpy(), theirs, atol=1e-5)


def test_resample_has_the_gradient_of_its_linear_map():
    x = torch.randn(2, 9, dtype=torch.float64, generator=torch.Generator().manual_seed(1), requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: resample(t, 3, 2, zeros=2), (x,))


@pytest.mark.parametrize("up, down", [(0, 1), (2, -1)])
def test_resample_refuses_a_rate_that_is_not_positive(up, down):
    with pytest.raises(ValueError, match=f"up={up}, down={down}"):
        resample(torch.zeros(4), up, down)


@pytest.mark.parametrize("max_rate, zeros", [(2, 10), (3, 4), (160, 10)])
def test_lowpass_taps_are_firwins_kaiser_design(max_rate, zeros):
    expected = scipy.signal.firwin(2 * zeros * max_rate + 1, 1 / max_rate, window=("kaiser", 5.0))
    np.testing.assert_allclose(lowpass_taps(max_rate, zeros).numpy(), expected, rtol=0, atol=1e-15)


def test_level_db_reads_a_cosines_amplitude_and_agrees_with_numpy():
    t = np.arange(8000) / 8000
    signal = 0.25 * np.cos(2 * np.pi * 1234 * t + 0.3) + np.cos(2 * np.pi * 3000 * t)
    assert level_db(torch.from_numpy(signal), 1234) == pytest.approx(20 * math.log10(0.25), abs=1e-9)
    assert level_db(torch.from_numpy(signal), 3000) == pytest.approx(0, abs=1e-9)
    np.testing.assert_allclose(tones(8000, 3000).numpy(), np.cos(2 * np.pi * 3000 * t), atol=1e-9)


def test_the_doubled_tones_levels_match_numpy_and_the_filter_formulas():
    """nearest: np.repeat; linear: np.interp at the half-pixel positions; levels from numpy_level_db; and the
    formulas |cos(πf)| and |cos(πf)|³ at the tone (3/16) and its image (5/16)."""
    x = np.cos(2 * np.pi * 3000 * np.arange(8000) / 8000)
    positions = np.clip((np.arange(16000) + 0.5) / 2 - 0.5, 0, None)
    numpy_versions = {"nearest": (np.repeat(x, 2), 1), "linear": (np.interp(positions, np.arange(8000), x), 3)}
    for mode, (expected, power) in numpy_versions.items():
        ours = interpolate_1d(torch.from_numpy(x), 16000, mode)
        for freq in (3000, 5000):
            assert level_db(ours, freq) == pytest.approx(numpy_level_db(expected, freq), abs=1e-6)
        tone = numpy_level_db(expected, 3000)
        assert tone == pytest.approx(20 * power * math.log10(math.cos(math.pi * 3 / 16)), abs=1e-3)
        image = numpy_level_db(expected, 5000) - tone
        assert image == pytest.approx(20 * power * math.log10(math.cos(math.pi * 5 / 16) / math.cos(math.pi * 3 / 16)),
                                      abs=1e-3)


def test_halving_aliases_the_6khz_tone_to_2khz_as_numpy_says():
    t = np.arange(16000) / 16000
    x = np.cos(2 * np.pi * 1000 * t) + np.cos(2 * np.pi * 6000 * t)
    every_other, pairs = x[::2], (x[0::2] + x[1::2]) / 2
    nearest = interpolate_1d(torch.from_numpy(x), 8000, "nearest").numpy()
    linear = interpolate_1d(torch.from_numpy(x), 8000, "linear").numpy()
    np.testing.assert_array_equal(nearest, every_other)
    np.testing.assert_allclose(linear, pairs, atol=1e-12)
    assert numpy_level_db(every_other, 2000) == pytest.approx(0, abs=1e-6)
    # averaging pairs responds |cos(πf)| at f = 6/16 cycles per input sample
    assert numpy_level_db(pairs, 2000) == pytest.approx(20 * math.log10(math.cos(math.pi * 6 / 16)), abs=1e-6)


def test_antialiased_linear_is_a_normalised_triangle_twice_as_wide():
    """Halving: output j is centred on input 2j + ½ and weighs input i by max(0, 1 − |i − centre|/2), the weights
    divided by their sum (over the inputs that exist)."""
    x = np.random.default_rng(2).standard_normal(20)
    expected = []
    for j in range(10):
        centre = 2 * j + 0.5
        weights = np.clip(1 - np.abs(np.arange(20) - centre) / 2, 0, None)
        expected.append(weights @ x / weights.sum())
    np.testing.assert_allclose(antialiased_linear(torch.from_numpy(x), 10).numpy(), expected, atol=1e-12)


@pytest.mark.parametrize("n_in, n_out", [(8000, 16000), (44100, 48000), (1000, 2000)])
def test_linear_puts_its_samples_at_the_ranks_lessons_positions(n_in, n_out):
    x = np.random.default_rng(n_in).standard_normal(n_in)
    positions = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5  # the formula, written again here
    np.testing.assert_allclose(sample_positions(n_in, n_out, False).numpy(), positions, atol=1e-9)
    ours = interpolate_1d(torch.from_numpy(x), n_out, "linear").numpy()
    np.testing.assert_allclose(ours, np.interp(positions, np.arange(n_in), x), atol=1e-9)


def test_loudest_elsewhere_skips_only_the_named_bins():
    spectrum = torch.full((100,), -150.0)
    spectrum[[10, 11, 12, 40]] = torch.tensor([-3.0, 0.0, -3.0, -90.0])
    assert loudest_elsewhere(spectrum, (11,), width=1) == -90.0
    assert loudest_elsewhere(spectrum, (11, 40), width=1) == -150.0
    assert spectrum_db(tones(1000, 100))[100].item() == pytest.approx(0, abs=1e-9)


def test_torch_refuses_antialias_on_a_1d_signal():
    with pytest.raises(ValueError, match="Anti-alias option is restricted to bilinear"):
        F.interpolate(torch.zeros(1, 1, 8), size=4, mode="linear", antialias=True)


def test_the_page_runs_whole_and_prints_what_its_prose_says():
    page = run_lesson("plot_signals")
    assert max(len(line) for line in page.printed) <= 80
    assert round(page.image["nearest"], 1) == -3.5 and round(page.image["linear"], 1) == -10.5
    assert page.image["band-limited"] < -55
    assert abs(page.alias["nearest"]) < 0.01 and page.alias["band-limited"] < -60
    assert round(page.spur["linear"], 1) == -11.5
    assert (page.images / "signals.png").stat().st_size > 10_000
