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


def numpy_circular_convolution(image: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """A 3×3 circular convolution of a (C, H, W) image, from np.roll: out[o] = Σ_i Σ_d w[o, i, d] · image[i] moved by d."""
    out = np.zeros((weight.shape[0], *image.shape[1:]))
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            shifted = np.roll(image, (-dy, -dx), axis=(1, 2))
            out += np.einsum("oi,ihw->ohw", weight[:, :, dy + 1, dx + 1], shifted)
    return out + bias[:, None, None]


def test_a_circular_convolution_on_whole_numbers_is_exactly_equivariant_and_scores_infinity():
    """The known answer: with whole numbers every sum is exact, so NumPy's convolution and torch's agree to the last
    bit, commute with a roll exactly, and the page's EQ-T is infinite."""
    generator = torch.Generator().manual_seed(3)
    convolution = torch.nn.Conv2d(8, 8, 3, padding=1, padding_mode="circular")
    with torch.no_grad():
        convolution.weight.copy_(torch.randint(-3, 4, convolution.weight.shape, generator=generator))
        convolution.bias.copy_(torch.randint(-3, 4, convolution.bias.shape, generator=generator))
        image = torch.randint(-9, 10, (1, 8, 16, 16), generator=generator).double()
        output = convolution(image)
        moved_first = convolution(torch.roll(image, 1, dims=-1))
    weight, bias = convolution.weight.detach().numpy(), convolution.bias.detach().numpy()
    expected = numpy_circular_convolution(image[0].numpy(), weight, bias)
    np.testing.assert_array_equal(output[0].numpy(), expected)
    moved = np.roll(image[0].numpy(), 1, axis=2)
    np.testing.assert_array_equal(np.roll(expected, 1, axis=2), numpy_circular_convolution(moved, weight, bias))
    assert LESSON.eq_t(moved_first, torch.roll(output, 1, dims=-1), output) == math.inf


def test_a_circular_convolution_of_the_waves_is_equivariant_to_the_float_limit():
    """With real weights it is torch's own convolution (agreeing with NumPy's to 1e-12) that scores above the
    page's float limit, for a whole-pixel and a sub-pixel shift."""
    torch.manual_seed(0)
    convolution = torch.nn.Conv2d(8, 8, 3, padding=1, padding_mode="circular")
    assert min(LESSON.measure_eq_t(convolution, 0, shift) for shift in (1.0, 0.5)) > LESSON.FLOAT_LIMIT
    weight, bias = convolution.weight.detach().numpy(), convolution.bias.detach().numpy()
    z = LESSON.fourier_input(0)[0].numpy()
    expected = numpy_circular_convolution(z, weight, bias)
    assert numpy_eq_t(numpy_circular_convolution(np.roll(z, 1, axis=2), weight, bias), np.roll(expected, 1, axis=2),
                      expected) > LESSON.FLOAT_LIMIT
    with torch.no_grad():
        np.testing.assert_allclose(convolution(torch.from_numpy(z)[None])[0].numpy(), expected, atol=1e-12)


def test_a_plain_chain_is_less_equivariant_than_the_alias_free_one_on_a_draw():
    alias_free = LESSON.Chain("Kaiser sinc", True, "Kaiser sinc", seed=5)
    plain = LESSON.Chain("nearest", False, "every other", seed=5)
    assert LESSON.measure_eq_t(plain, 5, 0.5) + 10 < LESSON.measure_eq_t(alias_free, 5, 0.5)
