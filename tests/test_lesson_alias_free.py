"""The alias-free lesson (lessons/plot_alias_free.py): its resampler against SciPy, its Kaiser filter against
scipy.signal.firwin, the input's shift against its analytic form, and EQ-T against an independent NumPy
implementation. The page's own run (in the gallery build) checks the orderings its text states."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal
import torch
from conftest import lesson_definitions

torch.set_default_dtype(torch.float64)  # the page works in float64, as its first cell says
try:
    LESSON = lesson_definitions("plot_alias_free")
finally:
    torch.set_default_dtype(torch.float32)


@pytest.fixture(autouse=True)
def in_float64():
    """Each test in float64, as the page; torch's default again afterwards, for the rest of the suite."""
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize(
    ("length", "taps", "up", "down"),
    [(16, 12, 2, 1), (7, 4, 2, 1), (9, 5, 3, 2), (20, 8, 1, 2), (5, 1, 4, 1)],
    ids=["2x-12", "2x-4", "3/2", "down-2", "one-tap"],
)
def test_upfirdn_is_scipys(length, taps, up, down):
    rng = np.random.default_rng(length * taps)
    x, h = rng.standard_normal((3, length)), rng.standard_normal(taps)
    ours = LESSON.upfirdn(torch.from_numpy(x), torch.from_numpy(h), up=up, down=down).numpy()
    theirs = np.stack([scipy.signal.upfirdn(h, row, up=up, down=down) for row in x])
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, atol=1e-12)


@pytest.mark.parametrize("attenuation", [10.0, 21.0, 35.0, 50.0, 70.0])
def test_kaiser_beta_is_scipys(attenuation):
    assert LESSON.kaiser_beta(attenuation) == pytest.approx(scipy.signal.kaiser_beta(attenuation), abs=1e-12)


@pytest.mark.parametrize(("numtaps", "cutoff", "width"), [(12, 0.25, 0.1), (24, 0.2, 0.05), (13, 0.125, 0.1)])
def test_the_kaiser_lowpass_is_firwin_with_kaisers_window(numtaps, cutoff, width):
    beta = scipy.signal.kaiser_beta(scipy.signal.kaiser_atten(numtaps, 2 * width))  # width relative to Nyquist
    theirs = scipy.signal.firwin(numtaps, cutoff, window=("kaiser", beta), fs=1.0)
    ours = LESSON.kaiser_lowpass(numtaps, cutoff, width).double().numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-12)


def test_every_mode_is_zero_insertion_and_its_taps_on_a_periodic_row():
    """The upsampling matrix of each tap table against torch's F.interpolate on a row padded around."""
    import torch.nn.functional as F

    row = torch.rand(1, 1, 1, 12, dtype=torch.float64)
    for name, mode in (("nearest", "nearest"), ("bilinear", "bilinear"), ("bicubic", "bicubic")):
        matrix = LESSON.up_matrix(12, *LESSON.UPSAMPLERS[name]).to(torch.float64)
        padded = torch.cat([row[..., -6:], row, row[..., :6]], dim=-1).expand(1, 1, 3, 24)
        theirs = F.interpolate(padded, scale_factor=(1, 2), mode=mode)[0, 0, 0, 12:36]
        torch.testing.assert_close(matrix @ row[0, 0, 0], theirs, atol=1e-12, rtol=0)


def test_the_fourier_input_is_plane_waves_and_shifts_exactly():
    """NumPy's own plane waves, from the same draw, at a sub-pixel shift; and the Fourier shift agrees."""
    generator = torch.Generator().manual_seed(3)
    k = torch.randint(-6, 7, (8, 6, 2), generator=generator).numpy().astype(float)
    phase = (2 * math.pi * torch.rand(8, 6, 1, 1, generator=generator)).numpy()
    y, x = np.mgrid[0:32, 0:32].astype(float)
    expected = np.cos(2 * np.pi * (k[..., 0, None, None] * (x - 0.37) + k[..., 1, None, None] * y) / 32 + phase)
    ours = LESSON.fourier_input(3, shift=0.37)[0].numpy()
    np.testing.assert_allclose(ours, expected.sum(axis=1) / math.sqrt(6), atol=1e-12)
    moved = LESSON.shift_right(LESSON.fourier_input(3), 0.37)
    np.testing.assert_allclose(moved[0].numpy(), ours, atol=1e-10)


def numpy_eq_t(shifted_first: np.ndarray, shifted_after: np.ndarray, reference: np.ndarray) -> float:
    mse = np.mean((shifted_first - shifted_after) ** 2)
    return np.inf if mse == 0 else 10 * np.log10(np.ptp(reference) ** 2 / mse)


def test_eq_t_is_the_numpy_formula():
    rng = np.random.default_rng(0)
    a, b, ref = rng.standard_normal((3, 2, 8, 16, 16))
    assert LESSON.eq_t(*(torch.from_numpy(v) for v in (a, b, ref))) == pytest.approx(numpy_eq_t(a, b, ref), abs=1e-9)
    assert LESSON.eq_t(torch.from_numpy(a), torch.from_numpy(a), torch.from_numpy(ref)) == math.inf


def test_a_circular_convolution_is_exactly_equivariant_to_whole_pixel_shifts():
    """The known answer: NumPy's own circular convolution commutes with np.roll exactly, and the lesson scores it inf."""
    convolution = torch.nn.Conv2d(8, 8, 3, padding=1, padding_mode="circular")
    assert LESSON.measure_eq_t(convolution, 0, 1.0) == math.inf
    assert LESSON.measure_eq_t(convolution, 0, 0.5) > LESSON.FLOAT_LIMIT  # linear and shift-invariant
    weight, bias = convolution.weight.detach().numpy(), convolution.bias.detach().numpy()
    z = LESSON.fourier_input(0)[0].numpy()

    def numpy_convolution(image):
        out = np.zeros_like(image)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                shifted = np.roll(image, (-dy, -dx), axis=(1, 2))
                out += np.einsum("oi,ihw->ohw", weight[:, :, dy + 1, dx + 1], shifted)
        return out + bias[:, None, None]

    first, after = numpy_convolution(np.roll(z, 1, axis=2)), np.roll(numpy_convolution(z), 1, axis=2)
    assert numpy_eq_t(first, after, numpy_convolution(z)) > 250
    with torch.no_grad():
        np.testing.assert_allclose(convolution(torch.from_numpy(z)[None])[0].numpy(), numpy_convolution(z), atol=1e-12)


def test_a_plain_chain_is_less_equivariant_than_the_alias_free_one_on_a_draw():
    alias_free = LESSON.Chain("Kaiser sinc", True, "Kaiser sinc", seed=5)
    plain = LESSON.Chain("nearest", False, "every other", seed=5)
    assert LESSON.measure_eq_t(plain, 5, 0.5) + 10 < LESSON.measure_eq_t(alias_free, 5, 0.5)
