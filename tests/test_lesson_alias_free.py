"""The alias-free lesson (lessons/plot_alias_free.py): its resampler against SciPy, its Kaiser filter against
scipy.signal.firwin, the input's shift against its analytic form, EQ-T (pooled over draws, as the paper defines it)
against an independent NumPy implementation, every chain's whole-pixel equivariance against NumPy's roll, and the
removal of mirror images against the spectrum zero insertion and the taps give. The page's own run (in the gallery
build) checks the orderings its text states."""

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


def numpy_eq_t(draws: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> float:
    """EQ-T as the paper defines it: every draw's two outputs over the range of its unshifted one, the squared
    differences of all draws, channels and pixels averaged together, and the dB of that one mean."""
    scaled = np.concatenate([((first - after) / np.ptp(reference)).ravel() for first, after, reference in draws])
    mse = np.mean(scaled**2)
    return np.inf if mse == 0 else 10 * np.log10(1 / mse)


def page_eq_t(draws) -> float:
    return LESSON.eq_t([LESSON.squared_error(*(torch.from_numpy(v) for v in draw)) for draw in draws])


def test_eq_t_pools_the_squared_errors_of_all_draws_before_the_db():
    rng = np.random.default_rng(0)
    draws = [tuple(rng.standard_normal((3, 2, 8, 16, 16)) * scale) for scale in (1.0, 0.3, 5.0)]
    assert page_eq_t(draws) == pytest.approx(numpy_eq_t(draws), abs=1e-9)
    a, ref = rng.standard_normal((2, 1, 8, 16, 16))
    assert page_eq_t([(a, a, ref)]) == math.inf


def test_one_bad_draw_sets_the_pooled_eq_t_where_the_mean_of_the_draws_db_does_not():
    """Two draws, 40 dB apart: pooled, the worse one decides (its dB plus 10·log10(2), from the mean of its error
    and one 10,000 times smaller); the mean of the two dB values, 20 dB above the worse, would read 17 dB higher."""
    rng = np.random.default_rng(1)
    reference = rng.standard_normal((1, 4, 8, 8))
    noise = rng.standard_normal((1, 4, 8, 8))
    good, bad = (reference, reference + 1e-4 * noise, reference), (reference, reference + 1e-2 * noise, reference)
    worse = numpy_eq_t([bad])
    assert page_eq_t([good, bad]) == pytest.approx(worse + 10 * np.log10(2 / (1 + 1e-4)), abs=1e-9)
    assert page_eq_t([good, bad]) < (numpy_eq_t([good]) + worse) / 2 - 16.9


def test_the_pooled_eq_t_of_a_chain_is_numpys_over_its_outputs():
    """The page's EQ-T_frac of three draws of the transposed-convolution chain against NumPy's pooled formula on the
    same outputs; each draw alone scores higher than their pool (the pool is at most the best draw's)."""
    shifts, draws = [0.3, 0.55, 0.8], []
    for seed, shift in zip(range(3), shifts, strict=True):
        chain = LESSON.Chain("transposed k4 (init)", True, "Kaiser sinc", seed=seed)
        with torch.no_grad():
            output = chain(LESSON.fourier_input(seed))
            moved = chain(LESSON.fourier_input(seed, shift))
        draws.append((moved.numpy(), LESSON.shift_right(output, shift).numpy(), output.numpy()))
    errors = [LESSON.measure(LESSON.Chain("transposed k4 (init)", True, "Kaiser sinc", seed=seed), seed, shift)
              for seed, shift in zip(range(3), shifts, strict=True)]
    assert LESSON.eq_t(errors) == pytest.approx(numpy_eq_t(draws), abs=1e-9)
    assert LESSON.eq_t(errors) <= max(numpy_eq_t([draw]) for draw in draws)


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
    assert LESSON.eq_t([LESSON.squared_error(moved_first, torch.roll(output, 1, dims=-1), output)]) == math.inf


def test_a_circular_convolution_of_the_waves_is_equivariant_to_the_float_limit():
    """With real weights it is torch's own convolution (agreeing with NumPy's to 1e-12) that scores above the
    page's float limit, for a whole-pixel and a sub-pixel shift."""
    torch.manual_seed(0)
    convolution = torch.nn.Conv2d(8, 8, 3, padding=1, padding_mode="circular")
    assert min(LESSON.eq_t([LESSON.measure(convolution, 0, shift)]) for shift in (1.0, 0.5)) > LESSON.FLOAT_LIMIT
    weight, bias = convolution.weight.detach().numpy(), convolution.bias.detach().numpy()
    z = LESSON.fourier_input(0)[0].numpy()
    expected = numpy_circular_convolution(z, weight, bias)
    moved = numpy_circular_convolution(np.roll(z, 1, axis=2), weight, bias)
    assert numpy_eq_t([(moved, np.roll(expected, 1, axis=2), expected)]) > LESSON.FLOAT_LIMIT
    with torch.no_grad():
        np.testing.assert_allclose(convolution(torch.from_numpy(z)[None])[0].numpy(), expected, atol=1e-12)


def test_a_plain_chain_is_less_equivariant_than_the_alias_free_one_on_a_draw():
    alias_free = LESSON.Chain("Kaiser sinc", True, "Kaiser sinc", seed=5)
    plain = LESSON.Chain("nearest", False, "every other", seed=5)
    assert LESSON.eq_t([LESSON.measure(plain, 5, 0.5)]) + 10 < LESSON.eq_t([LESSON.measure(alias_free, 5, 0.5)])


CHAINS = [{**LESSON.ALIAS_FREE, **change} for change in LESSON.ROWS.values()] + [
    {"upsampler": upsampler, "filtered": False, "downsampler": "Kaiser sinc"}
    for upsampler in ("nearest", "bilinear", "bicubic", "Kaiser sinc", "transposed k4 (init)")
]


@pytest.mark.parametrize("settings", CHAINS, ids=lambda s: f"{s['upsampler']}-{s['filtered']}-{s['downsampler']}")
def test_every_chain_commutes_with_a_whole_pixel_roll_to_the_float_limit(settings):
    """Every chain the page measures, on every draw: NumPy's roll of the output against the output of the rolled
    input, closer than the page's float limit (250 dB below the output's range); and the page's EQ-T on a draw."""
    for draw in LESSON.DRAWS:
        chain = LESSON.Chain(**settings, seed=draw)
        z = LESSON.fourier_input(draw)
        with torch.no_grad():
            output, moved = chain(z).numpy(), chain(torch.from_numpy(np.roll(z.numpy(), 1, axis=-1))).numpy()
        assert numpy_eq_t([(moved, np.roll(output, 1, axis=-1), output)]) > LESSON.FLOAT_LIMIT, draw
    assert LESSON.eq_t([LESSON.measure(chain, draw, 1.0)]) > LESSON.FLOAT_LIMIT


def dtft(taps: np.ndarray, first: int, f: np.ndarray) -> np.ndarray:
    """H(f) = Σ_d w(d) e^(−2πifd), d = first, first + 1, ..."""
    d = first + np.arange(len(taps))
    return np.exp(-2j * np.pi * np.outer(f, d)) @ taps


@pytest.mark.parametrize("name", ["nearest", "bilinear", "Kaiser sinc"])
def test_without_its_mirror_images_an_upsampled_map_is_the_input_spectrum_times_the_response(name):
    """Zero insertion leaves the input's spectrum X on the doubled grid, periodic; the taps multiply it by H(fy)·H(fx).
    With the images removed (old_band), what is left is that product on |f| ≤ 0.25 along both axes, and 0 above."""
    n = 16
    x = np.random.default_rng(2).standard_normal((n, n))
    taps, first = (t.numpy() if isinstance(t, torch.Tensor) else t for t in LESSON.UPSAMPLERS[name])
    ours = np.fft.fft2(LESSON.old_band(LESSON.upsample(torch.from_numpy(x), *LESSON.UPSAMPLERS[name])).numpy())
    f = np.fft.fftfreq(2 * n)
    response = dtft(taps, first, f)
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
    doubled = LESSON.upsample(wave, *LESSON.UPSAMPLERS["nearest"])
    assert LESSON.mirror_share([doubled]) == pytest.approx(math.sin(math.pi * cycles / (2 * n)) ** 2, abs=1e-12)
    assert LESSON.mirror_share([LESSON.old_band(doubled)]) == pytest.approx(0, abs=1e-12)
