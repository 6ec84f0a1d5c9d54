"""Every mode against an independent reference: integer index formulas, NumPy, OpenCV and Pillow."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from reference import (
    area_matrix,
    cubic_matrix,
    index_matrix,
    is_tie,
    linear_matrix,
    nearest_exact_index,
    nearest_index,
    upsample,
)

from upsample_example import UpsampleExample

INDEX_FORMULAS = {"nearest": nearest_index, "nearest-exact": nearest_exact_index}


def source_indices(n_in: int, n_out: int, mode: str) -> list[int]:
    """Which input sample each output sample copies, read off torch by upsampling 0, 1, ..., n_in - 1."""
    ramp = torch.arange(n_in, dtype=torch.float32).reshape(1, 1, n_in)
    return UpsampleExample(size=n_out, mode=mode)(ramp)[0, 0].long().tolist()


@pytest.mark.parametrize("mode", INDEX_FORMULAS)
def test_nearest_modes_follow_their_integer_formulas_at_28_to_42(mode):
    formula = INDEX_FORMULAS[mode]
    assert source_indices(28, 42, mode) == [formula(d, 28, 42) for d in range(42)]


@pytest.mark.parametrize("mode", INDEX_FORMULAS)
def test_nearest_modes_follow_their_integer_formulas_except_at_exact_ties(mode):
    """Over many sizes: exact everywhere; where the exact coordinate is a whole number, float rounding may take the pixel before."""
    formula, ties_rounded_down = INDEX_FORMULAS[mode], 0
    for n_in in range(1, 33):
        for n_out in range(1, 100):
            for d, got in enumerate(source_indices(n_in, n_out, mode)):
                expected = formula(d, n_in, n_out)
                if got != expected:
                    assert is_tie(d, n_in, n_out, mode) and got == expected - 1, (n_in, n_out, d)
                    ties_rounded_down += 1
    assert ties_rounded_down > 0  # the caveat is real: some ties do round down


def test_nearest_takes_the_first_row_twice_and_nearest_exact_centres_at_28_to_42():
    assert source_indices(28, 42, "nearest")[:9] == [0, 0, 1, 2, 2, 3, 4, 4, 5]
    assert source_indices(28, 42, "nearest-exact")[:9] == [0, 1, 1, 2, 3, 3, 4, 5, 5]


def _columns_after_resize(resize, n_in: int = 28, n_out: int = 42) -> list[int]:
    """Which column each output column copies, for a resize of a uint8 image whose pixels hold their column index."""
    ramp = np.tile(np.arange(n_in, dtype=np.uint8), (n_in, 1))
    return resize(ramp, n_out)[0].tolist()


def test_opencv_inter_nearest_agrees_with_nearest():
    opencv = _columns_after_resize(lambda image, n: cv2.resize(image, (n, n), interpolation=cv2.INTER_NEAREST))
    assert opencv == source_indices(28, 42, "nearest")


@pytest.mark.parametrize(
    "resize",
    [
        lambda image, n: np.asarray(Image.fromarray(image).resize((n, n), Image.NEAREST)),
        lambda image, n: cv2.resize(image, (n, n), interpolation=cv2.INTER_NEAREST_EXACT),
    ],
    ids=["Pillow NEAREST", "OpenCV INTER_NEAREST_EXACT"],
)
def test_pillow_and_opencv_exact_agree_with_nearest_exact_but_at_some_ties(resize):
    theirs, torch_exact = _columns_after_resize(resize), source_indices(28, 42, "nearest-exact")
    disagreements = [d for d in range(42) if theirs[d] != torch_exact[d]]
    assert disagreements == [4, 16, 19, 22, 25]
    for d in disagreements:  # each is an exact tie, where they took the pixel before
        assert is_tie(d, 28, 42, "nearest-exact") and theirs[d] == torch_exact[d] - 1


def _reference(mode: str, n_in: int, n_out: int, align_corners: bool | None, step: float | None = None) -> np.ndarray:
    if mode == "area":
        return area_matrix(n_in, n_out)
    if mode in INDEX_FORMULAS:
        return index_matrix([INDEX_FORMULAS[mode](d, n_in, n_out) for d in range(n_out)], n_in)
    builder = cubic_matrix if mode == "bicubic" else linear_matrix
    return builder(n_in, n_out, bool(align_corners), step)


RANKS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
# (mode, input side, output side): integer and non-integer ratios, each with both align_corners settings.
INTERPOLATION_CASES = [
    (mode, n_in, n_out, align)
    for mode in RANKS
    for n_in, n_out in ((7, 14), (7, 10), (5, 13))
    for align in (False, True)
]


@pytest.mark.parametrize(
    ("mode", "n_in", "n_out", "align_corners"),
    INTERPOLATION_CASES,
    ids=[f"{mode}-{n_in}to{n_out}-{'corners' if align else 'centres'}" for mode, n_in, n_out, align in INTERPOLATION_CASES],
)
def test_interpolating_modes_match_the_numpy_reference(mode, n_in, n_out, align_corners):
    rank = RANKS[mode]
    generator = torch.Generator().manual_seed(n_in * n_out)
    x = torch.rand((2, 3) + (n_in,) * rank, generator=generator, dtype=torch.float64)
    got = UpsampleExample(size=(n_out,) * rank, mode=mode, align_corners=align_corners)(x)
    expected = upsample(x.numpy(), [_reference(mode, n_in, n_out, align_corners)] * rank)
    np.testing.assert_allclose(got.numpy(), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "area"])
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_copying_and_averaging_modes_match_the_reference_in_every_rank(mode, rank):
    n_in, n_out = 6, 9
    x = torch.rand((1, 2) + (n_in,) * rank, dtype=torch.float64)
    got = UpsampleExample(size=(n_out,) * rank, mode=mode)(x)
    np.testing.assert_allclose(got.numpy(), upsample(x.numpy(), [_reference(mode, n_in, n_out, None)] * rank), atol=1e-12)


def test_rectangular_sizes_use_one_matrix_per_axis():
    x = torch.rand(1, 1, 6, 9, dtype=torch.float64)
    got = UpsampleExample(size=(10, 20), mode="bicubic", align_corners=False)(x)
    expected = upsample(x.numpy(), [cubic_matrix(6, 10), cubic_matrix(9, 20)])
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-12)


@pytest.mark.parametrize("size", [56, 42, 47])
@pytest.mark.parametrize(
    ("mode", "resize"),
    [
        ("bilinear", lambda image, n: cv2.resize(image, (n, n), interpolation=cv2.INTER_LINEAR)),
        ("bilinear", lambda image, n: np.asarray(Image.fromarray(image, mode="F").resize((n, n), Image.BILINEAR))),
        ("bicubic", lambda image, n: cv2.resize(image, (n, n), interpolation=cv2.INTER_CUBIC)),
    ],
    ids=["bilinear=OpenCV INTER_LINEAR", "bilinear=Pillow BILINEAR", "bicubic=OpenCV INTER_CUBIC"],
)
def test_upsampling_agrees_with_opencv_and_pillow_where_conventions_coincide(mode, resize, size):
    """Half-pixel centres on both sides; for bicubic, OpenCV shares torch's a = -0.75 (Pillow's is -0.5)."""
    image = np.random.default_rng(size).random((28, 28), dtype=np.float32)
    got = UpsampleExample(size=(size, size), mode=mode)(torch.from_numpy(image)[None, None])[0, 0].numpy()
    np.testing.assert_allclose(got, resize(image, size), rtol=0, atol=1e-5)


def test_pillow_bicubic_differs_because_its_kernel_does():
    image = np.random.default_rng(1).random((28, 28), dtype=np.float32)
    ours = UpsampleExample(size=(56, 56), mode="bicubic")(torch.from_numpy(image)[None, None])[0, 0].numpy()
    pillow = np.asarray(Image.fromarray(image, mode="F").resize((56, 56), Image.BICUBIC))
    assert np.abs(ours - pillow).max() > 0.01


# Property-based: any shape, size or factor gives the documented output shape and stays in the documented range.
MODES_BY_RANK = {1: ["nearest", "nearest-exact", "linear", "area"], 2: ["nearest", "nearest-exact", "bilinear", "bicubic", "area"],
                 3: ["nearest", "nearest-exact", "trilinear", "area"]}
WITHIN_RANGE = {"nearest", "nearest-exact", "linear", "bilinear", "trilinear", "area"}  # not bicubic


@st.composite
def upsampling_cases(draw):
    rank = draw(st.integers(1, 3))
    mode = draw(st.sampled_from(MODES_BY_RANK[rank]))
    shape = draw(st.lists(st.integers(1, 12), min_size=rank, max_size=rank))
    if draw(st.booleans()):
        return mode, shape, {"size": tuple(draw(st.lists(st.integers(1, 30), min_size=rank, max_size=rank)))}
    factors = draw(st.lists(st.floats(0.5, 4.0), min_size=rank, max_size=rank))
    if any(math.floor(n * f) < 1 for n, f in zip(shape, factors, strict=True)):
        factors = [max(f, 1.0) for f in factors]
    return mode, shape, {"scale_factor": tuple(factors)}


@settings(max_examples=300, deadline=None)
@given(upsampling_cases(), st.integers(0, 2**31 - 1))
def test_output_shape_and_value_range(case, seed):
    mode, shape, kwargs = case
    x = torch.rand([2, 1, *shape], generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    output = UpsampleExample(mode=mode, **kwargs)(x)
    if "size" in kwargs:
        expected = list(kwargs["size"])
    else:  # the fractional part of n × factor is dropped
        expected = [math.floor(n * f) for n, f in zip(shape, kwargs["scale_factor"], strict=True)]
    assert list(output.shape[2:]) == expected
    if mode in WITHIN_RANGE:
        assert x.min() - 1e-12 <= output.min() and output.max() <= x.max() + 1e-12
    if mode.startswith("nearest"):  # copies: every output value is an input value
        assert torch.isin(output, x).all()


# -- facts the README states about the modes, each measured on torch --------------------------------------------------
@pytest.mark.parametrize(("n_out", "copies"), [(82, [42, 40]), (94, [48, 46])])
def test_float32_nearest_moves_a_border_at_some_integer_factors(n_out, copies):
    out = F.interpolate(torch.arange(2.0).reshape(1, 1, 2), size=n_out, mode="nearest")[0, 0]
    assert [(out == value).sum().item() for value in (0.0, 1.0)] == copies
    assert [nearest_index(d, 2, n_out) for d in range(n_out)].count(0) == n_out // 2  # exact arithmetic: half each


def test_area_at_3_to_5_weighs_what_its_region_touches_equally():
    weights = F.interpolate(torch.eye(3).reshape(3, 1, 3), size=5, mode="area")[:, 0, 1]  # output 1's weights
    assert weights.tolist() == [0.5, 0.5, 0.0]  # though it spans [0.6, 1.2): 0.4 of pixel 0, 0.2 of pixel 1


@pytest.mark.parametrize("mode", ["linear", "bilinear", "trilinear", "area"])
def test_on_constants_the_interpolating_modes_leave_the_range_only_by_rounding(mode):
    rank = {"linear": 1, "bilinear": 2, "trilinear": 3, "area": 1}[mode]
    sides_in, sides_out = {1: (range(1, 30), range(1, 70, 3)), 2: (range(1, 30, 2), range(1, 70, 6)),
                           3: (range(1, 13), range(1, 31, 3))}[rank]  # fewer sides where a volume grows as side³
    worst = 0.0
    for value in (0.1, 0.123, 0.3, 0.7, 0.9, 1.0):
        for n_in in sides_in:
            x = torch.full((1, 1) + (n_in,) * rank, value)
            for n_out in sides_out:
                y = F.interpolate(x, size=(n_out,) * rank, mode=mode)
                worst = max(worst, (y - value).abs().max().item())
    assert 0 < worst <= 2e-7  # a few float32 units in the last place; never more
    exact = F.interpolate(torch.full((1, 1) + (5,) * rank, 0.3, dtype=torch.float64), size=(13,) * rank, mode=mode)
    assert (exact - 0.3).abs().max().item() < 1e-15


def test_trilinear_doubling_4_slices_copies_the_ends_and_blends_the_6_between():
    volume = torch.arange(4.0).reshape(1, 1, 4, 1, 1).expand(1, 1, 4, 2, 2)
    depth = F.interpolate(volume, scale_factor=2, mode="trilinear")[0, 0, :, 0, 0].tolist()
    assert depth == [0.0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.0]  # slice 2 at depth 0.75: ¼ of digit 0, ¾ of 1


@pytest.mark.parametrize(("mode", "antialias", "taps", "negative", "read"), [
    ("bilinear", False, 2, 0, 128), ("bicubic", False, 4, 2, 256),
    ("bilinear", True, 8, 0, 256), ("bicubic", True, 16, 8, 256), ("lanczos", True, 24, 8, 256),
], ids=["bilinear", "bicubic", "bilinear, antialias", "bicubic, antialias", "lanczos"])
def test_shrinking_256_to_64_the_taps_each_output_reads(mode, antialias, taps, negative, read):
    eye = torch.eye(256, dtype=torch.float64).reshape(256, 1, 1, 256)
    weights = F.interpolate(eye, size=(1, 64), mode=mode, antialias=antialias)[:, 0, 0, :]  # (input, output)
    column = weights[:, 32]  # output 32 covers inputs 128..131
    assert (column.abs() > 1e-15).sum().item() == taps and (column < -1e-15).sum().item() == negative
    assert ((weights.abs() > 1e-15).sum(dim=1) > 0).sum().item() == read  # inputs that any output reads
