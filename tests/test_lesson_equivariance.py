"""The equivariance lesson (lessons/plot_equivariance.py) and its helpers (upsample_helpers.alias_free): the input's
shift against its analytic form, EQ-T (pooled over draws, as the paper defines it) against an independent NumPy
implementation, circular convolutions against NumPy's roll, and every chain's whole-pixel equivariance against
NumPy's roll. The page's own run (in the gallery build) checks the orderings its text states."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from upsample_helpers.alias_free import (
    ALIAS_FREE,
    DRAWS,
    FLOAT_LIMIT,
    ROWS,
    Chain,
    eq_t,
    fourier_input,
    measure,
    shift_right,
    squared_error,
)


def test_the_fourier_input_is_plane_waves_and_shifts_exactly():
    """NumPy's own plane waves, from the same draw, at a sub-pixel shift; and the Fourier shift agrees."""
    generator = torch.Generator().manual_seed(3)
    k = torch.randint(-6, 7, (8, 6, 2), generator=generator).numpy().astype(float)
    phase = (2 * math.pi * torch.rand(8, 6, 1, 1, generator=generator, dtype=torch.float64)).numpy()
    y, x = np.mgrid[0:32, 0:32].astype(float)
    expected = np.cos(2 * np.pi * (k[..., 0, None, None] * (x - 0.37) + k[..., 1, None, None] * y) / 32 + phase)
    ours = fourier_input(3, shift=0.37)[0].numpy()
    np.testing.assert_allclose(ours, expected.sum(axis=1) / math.sqrt(6), atol=1e-12)
    moved = shift_right(fourier_input(3), 0.37)
    np.testing.assert_allclose(moved[0].numpy(), ours, atol=1e-10)


def numpy_eq_t(draws: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> float:
    """EQ-T as the paper defines it: every draw's two outputs over the range of its unshifted one, the squared
    differences of all draws, channels and pixels averaged together, and the dB of that one mean."""
    scaled = np.concatenate([((first - after) / np.ptp(reference)).ravel() for first, after, reference in draws])
    mse = np.mean(scaled**2)
    return np.inf if mse == 0 else 10 * np.log10(1 / mse)


def helpers_eq_t(draws) -> float:
    return eq_t([squared_error(*(torch.from_numpy(v) for v in draw)) for draw in draws])


def test_eq_t_pools_the_squared_errors_of_all_draws_before_the_db():
    rng = np.random.default_rng(0)
    draws = [tuple(rng.standard_normal((3, 2, 8, 16, 16)) * scale) for scale in (1.0, 0.3, 5.0)]
    assert helpers_eq_t(draws) == pytest.approx(numpy_eq_t(draws), abs=1e-9)
    a, ref = rng.standard_normal((2, 1, 8, 16, 16))
    assert helpers_eq_t([(a, a, ref)]) == math.inf


def test_one_bad_draw_sets_the_pooled_eq_t_where_the_mean_of_the_draws_db_does_not():
    """Two draws, 40 dB apart: pooled, the worse one decides (its dB plus 10·log10(2), from the mean of its error
    and one 10,000 times smaller); the mean of the two dB values, 20 dB above the worse, would read 17 dB higher."""
    rng = np.random.default_rng(1)
    reference = rng.standard_normal((1, 4, 8, 8))
    noise = rng.standard_normal((1, 4, 8, 8))
    good, bad = (reference, reference + 1e-4 * noise, reference), (reference, reference + 1e-2 * noise, reference)
    worse = numpy_eq_t([bad])
    assert helpers_eq_t([good, bad]) == pytest.approx(worse + 10 * np.log10(2 / (1 + 1e-4)), abs=1e-9)
    assert helpers_eq_t([good, bad]) < (numpy_eq_t([good]) + worse) / 2 - 16.9


def test_the_pooled_eq_t_of_a_chain_is_numpys_over_its_outputs():
    """EQ-T_frac of three draws of the transposed-convolution chain against NumPy's pooled formula on the same
    outputs; each draw alone scores higher than their pool (the pool is at most the best draw's)."""
    shifts, draws = [0.3, 0.55, 0.8], []
    for seed, shift in zip(range(3), shifts, strict=True):
        chain = Chain("transposed k4 (init)", True, "Kaiser sinc", seed=seed)
        with torch.no_grad():
            output = chain(fourier_input(seed))
            moved = chain(fourier_input(seed, shift))
        draws.append((moved.numpy(), shift_right(output, shift).numpy(), output.numpy()))
    errors = [measure(Chain("transposed k4 (init)", True, "Kaiser sinc", seed=seed), seed, shift)
              for seed, shift in zip(range(3), shifts, strict=True)]
    assert eq_t(errors) == pytest.approx(numpy_eq_t(draws), abs=1e-9)
    assert eq_t(errors) <= max(numpy_eq_t([draw]) for draw in draws)


def numpy_circular_convolution(image: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """A 3×3 circular convolution of a (C, H, W) image, from np.roll: out[o] = Σ_i Σ_d w[o, i, d] · image[i] moved by d."""
    out = np.zeros((weight.shape[0], *image.shape[1:]))
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            shifted = np.roll(image, (-dy, -dx), axis=(1, 2))
            out += np.einsum("oi,ihw->ohw", weight[:, :, dy + 1, dx + 1], shifted)
    return out + bias[:, None, None]


def circular_convolution() -> torch.nn.Conv2d:
    return torch.nn.Conv2d(8, 8, 3, padding=1, padding_mode="circular", dtype=torch.float64)


def test_a_circular_convolution_on_whole_numbers_is_exactly_equivariant_and_scores_infinity():
    """The known answer: with whole numbers every sum is exact, so NumPy's convolution and torch's agree to the last
    bit, commute with a roll exactly, and EQ-T is infinite."""
    generator = torch.Generator().manual_seed(3)
    convolution = circular_convolution()
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
    assert eq_t([squared_error(moved_first, torch.roll(output, 1, dims=-1), output)]) == math.inf


def test_a_circular_convolution_of_the_waves_is_equivariant_to_the_float_limit():
    """With real weights it is torch's own convolution (agreeing with NumPy's to 1e-12) that scores above the
    float limit, for a whole-pixel and a sub-pixel shift."""
    torch.manual_seed(0)
    convolution = circular_convolution()
    assert min(eq_t([measure(convolution, 0, shift)]) for shift in (1.0, 0.5)) > FLOAT_LIMIT
    weight, bias = convolution.weight.detach().numpy(), convolution.bias.detach().numpy()
    z = fourier_input(0)[0].numpy()
    expected = numpy_circular_convolution(z, weight, bias)
    moved = numpy_circular_convolution(np.roll(z, 1, axis=2), weight, bias)
    assert numpy_eq_t([(moved, np.roll(expected, 1, axis=2), expected)]) > FLOAT_LIMIT
    with torch.no_grad():
        np.testing.assert_allclose(convolution(torch.from_numpy(z)[None])[0].numpy(), expected, atol=1e-12)


def test_a_plain_chain_is_less_equivariant_than_the_alias_free_one_on_a_draw():
    alias_free = Chain("Kaiser sinc", True, "Kaiser sinc", seed=5)
    plain = Chain("nearest", False, "every other", seed=5)
    assert eq_t([measure(plain, 5, 0.5)]) + 10 < eq_t([measure(alias_free, 5, 0.5)])


CHAINS = [{**ALIAS_FREE, **change} for change in ROWS.values()] + [
    {"upsampler": upsampler, "filtered": False, "downsampler": "Kaiser sinc"}
    for upsampler in ("nearest", "bilinear", "bicubic", "Kaiser sinc", "transposed k4 (init)")
]


@pytest.mark.parametrize("index", range(len(CHAINS)),
                         ids=[f"{s['upsampler']}-{s['filtered']}-{s['downsampler']}" for s in CHAINS])
def test_every_chain_commutes_with_a_whole_pixel_roll_to_the_float_limit(index):
    """Every chain the page measures, each on another of the page's draws: NumPy's roll of the output against the
    output of the rolled input, closer than the float limit (250 dB below the output's range); and the helpers'
    EQ-T on the same draw."""
    draw = DRAWS[index % len(DRAWS)]
    chain = Chain(**CHAINS[index], seed=draw)
    z = fourier_input(draw)
    with torch.no_grad():
        output, moved = chain(z).numpy(), chain(torch.from_numpy(np.roll(z.numpy(), 1, axis=-1))).numpy()
    assert numpy_eq_t([(moved, np.roll(output, 1, axis=-1), output)]) > FLOAT_LIMIT, draw
    assert eq_t([measure(chain, draw, 1.0)]) > FLOAT_LIMIT


def test_the_helpers_work_in_float64_whatever_torchs_default():
    """The page sets no default dtype: the chain, its input and its taps are float64 on their own, and give the
    same numbers under either default."""
    previous, outputs, errors = torch.get_default_dtype(), [], []
    try:
        for default in (torch.float32, torch.float64):
            torch.set_default_dtype(default)
            chain = Chain("transposed k4 (init)", True, "area", seed=1)
            assert all(convolution.weight.dtype == torch.float64 for convolution in chain.convolutions)
            with torch.no_grad():
                outputs.append(chain(fourier_input(1, shift=0.4)))
            errors.append(measure(Chain("bicubic", False, "Kaiser sinc", seed=2), 2, 0.3))
    finally:
        torch.set_default_dtype(previous)
    assert outputs[0].dtype == torch.float64 and torch.equal(outputs[0], outputs[1])
    assert errors[0] == errors[1] > 0
