"""The filter lesson (lessons/plot_alias_free.py) and its helpers (upsample_helpers.alias_free): the page's resampler
against SciPy, its Kaiser filter against scipy.signal.firwin, its tap tables against the helpers' and theirs against
torch's F.interpolate, the frequency response against NumPy's sum, and the removal of mirror images against the
spectrum zero insertion and the taps give. The page's own run checks the orderings its text states."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal
import torch
import torch.nn.functional as F
from conftest import run_lesson

from upsample_helpers.alias_free import (
    FREQUENCIES,
    UPSAMPLERS,
    frequency_response,
    kaiser_taps,
    mirror_share,
    old_band,
    up_matrix,
    upsample,
)


@pytest.fixture(scope="module")
def page():
    """What the page defines: it runs whole, once for the suite (a few seconds)."""
    return run_lesson("plot_alias_free")


@pytest.mark.parametrize(
    ("length", "taps", "up", "down"),
    [(16, 12, 2, 1), (7, 4, 2, 1), (9, 5, 3, 2), (20, 8, 1, 2), (5, 1, 4, 1)],
    ids=["2x-12", "2x-4", "3/2", "down-2", "one-tap"],
)
def test_upfirdn_is_scipys(page, length, taps, up, down):
    rng = np.random.default_rng(length * taps)
    x, h = rng.standard_normal((3, length)), rng.standard_normal(taps)
    ours = page.upfirdn(torch.from_numpy(x), torch.from_numpy(h), up=up, down=down).numpy()
    theirs = np.stack([scipy.signal.upfirdn(h, row, up=up, down=down) for row in x])
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, atol=1e-12)


@pytest.mark.parametrize("attenuation", [10.0, 21.0, 35.0, 50.0, 70.0])
def test_kaiser_beta_is_scipys(page, attenuation):
    assert page.kaiser_beta(attenuation) == pytest.approx(scipy.signal.kaiser_beta(attenuation), abs=1e-12)


@pytest.mark.parametrize(("numtaps", "width"), [(12, 0.1), (24, 0.05), (13, 0.1), (40, 0.02)])
def test_kaiser_attenuation_is_scipys(page, numtaps, width):
    assert page.kaiser_attenuation(numtaps, width) == pytest.approx(scipy.signal.kaiser_atten(numtaps, 2 * width))


@pytest.mark.parametrize(("numtaps", "cutoff", "width"), [(12, 0.25, 0.1), (24, 0.2, 0.05), (13, 0.125, 0.1)])
def test_the_kaiser_lowpass_is_firwin_with_kaisers_window(page, numtaps, cutoff, width):
    beta = scipy.signal.kaiser_beta(scipy.signal.kaiser_atten(numtaps, 2 * width))  # width relative to Nyquist
    theirs = scipy.signal.firwin(numtaps, cutoff, window=("kaiser", beta), fs=1.0)
    np.testing.assert_allclose(page.kaiser_lowpass(numtaps, cutoff, width).double().numpy(), theirs, atol=1e-12)
    np.testing.assert_allclose(kaiser_taps(numtaps, cutoff, width).numpy(), theirs, atol=1e-12)


def test_the_pages_tap_tables_are_the_helpers(page):
    """The page derives each upsampler's taps from its kernel; the equivariance lesson uses the helpers' table."""
    ours = page.UPSAMPLERS
    assert list(ours) == list(UPSAMPLERS)
    for name, (taps, first) in UPSAMPLERS.items():
        assert ours[name][1] == first, name
        torch.testing.assert_close(ours[name][0], taps, atol=1e-12, rtol=0)


def test_every_mode_is_zero_insertion_and_its_taps_on_a_periodic_row():
    """The upsampling matrix of each tap table against torch's F.interpolate on a row padded around."""
    row = torch.rand(1, 1, 1, 12, dtype=torch.float64)
    for name, mode in (("nearest", "nearest"), ("bilinear", "bilinear"), ("bicubic", "bicubic")):
        matrix = up_matrix(12, *UPSAMPLERS[name])
        padded = torch.cat([row[..., -6:], row, row[..., :6]], dim=-1).expand(1, 1, 3, 24)
        theirs = F.interpolate(padded, scale_factor=(1, 2), mode=mode)[0, 0, 0, 12:36]
        torch.testing.assert_close(matrix @ row[0, 0, 0], theirs, atol=1e-12, rtol=0)


def dtft(taps: np.ndarray, first: int, f: np.ndarray) -> np.ndarray:
    """H(f) = Σ_d w(d) e^(−2πifd), d = first, first + 1, ..."""
    d = first + np.arange(len(taps))
    return np.exp(-2j * np.pi * np.outer(f, d)) @ taps


@pytest.mark.parametrize("name", list(UPSAMPLERS))
def test_the_frequency_response_is_the_sum_over_the_taps(name):
    taps, first = UPSAMPLERS[name]
    expected = np.abs(dtft(taps.numpy(), first, FREQUENCIES.numpy())) / 2
    np.testing.assert_allclose(frequency_response(taps, first).numpy(), expected, atol=1e-12)
    assert frequency_response(taps, first)[0].item() == pytest.approx(1, abs=1e-12)  # gain 2 at DC, every one


@pytest.mark.parametrize("name", ["nearest", "bilinear", "Kaiser sinc"])
def test_without_its_mirror_images_an_upsampled_map_is_the_input_spectrum_times_the_response(name):
    """Zero insertion leaves the input's spectrum X on the doubled grid, periodic; the taps multiply it by H(fy)·H(fx).
    With the images removed (old_band), what is left is that product on |f| ≤ 0.25 along both axes, and 0 above."""
    n = 16
    x = np.random.default_rng(2).standard_normal((n, n))
    taps, first = UPSAMPLERS[name]
    ours = np.fft.fft2(old_band(upsample(torch.from_numpy(x), taps, first)).numpy())
    f = np.fft.fftfreq(2 * n)
    response = dtft(taps.numpy(), first, f)
    spectrum = np.fft.fft2(x)[np.arange(2 * n)[:, None] % n, np.arange(2 * n)[None, :] % n]
    band = (np.abs(f)[:, None] <= 0.25) & (np.abs(f)[None, :] <= 0.25)
    expected = np.where(band, spectrum * response[:, None] * response[None, :], 0)
    np.testing.assert_allclose(ours, expected, atol=1e-10)


@pytest.mark.parametrize("cycles", [1, 3, 6])
def test_the_mirror_share_of_nearest_on_a_wave_is_the_squared_sine(cycles):
    """nearest's taps (1, 1) respond |H(f)| = 2|cos(πf)|: a wave of f0 = k/(2n) cycles per new sample keeps
    cos²(πf0) of its energy and sends sin²(πf0) to its mirror image at 0.5 − f0 (in a row; along the
    constant axis nearest only repeats)."""
    n = 32
    wave = torch.cos(2 * math.pi * cycles * torch.arange(n, dtype=torch.float64) / n + 0.4).expand(n, n)
    doubled = upsample(wave, *UPSAMPLERS["nearest"])
    assert mirror_share([doubled]) == pytest.approx(math.sin(math.pi * cycles / (2 * n)) ** 2, abs=1e-12)
    assert mirror_share([old_band(doubled)]) == pytest.approx(0, abs=1e-12)
