"""UpsampleExample: the tutorial's default, every mode and rank, and the inputs it refuses."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from reference import linear_matrix
from torch import nn

from upsample_example import MODES, UpsampleExample


def test_default_is_the_tutorials_upsample():
    model = UpsampleExample()
    assert isinstance(model.layers, nn.Sequential)
    (upsample,) = model.layers
    assert isinstance(upsample, nn.Upsample)
    assert (upsample.size, upsample.mode, upsample.scale_factor) == ((56, 56), "nearest", None)


def test_default_is_two_by_two_pixel_replication():
    digits = torch.rand(3, 1, 28, 28)
    # Every pixel becomes a 2×2 block: NumPy's repeat along rows, then columns.
    expected = np.repeat(np.repeat(digits.numpy(), 2, axis=2), 2, axis=3)
    np.testing.assert_array_equal(UpsampleExample()(digits).numpy(), expected)


def test_scale_factor_alone_replaces_the_default_size():
    upsampled = UpsampleExample(scale_factor=3)(torch.rand(1, 1, 28, 28))
    assert upsampled.shape == (1, 1, 84, 84)


# (mode, input shape, keyword arguments, expected output shape)
SHAPE_CASES = [
    ("nearest", (2, 3, 10), {"size": 25}, (2, 3, 25)),
    ("nearest", (2, 3, 10, 12), {"size": (20, 30)}, (2, 3, 20, 30)),
    ("nearest", (1, 1, 4, 5, 6), {"scale_factor": 2}, (1, 1, 8, 10, 12)),
    ("nearest-exact", (2, 3, 10), {"scale_factor": 1.5}, (2, 3, 15)),
    ("nearest-exact", (1, 1, 28, 28), {}, (1, 1, 56, 56)),
    ("nearest-exact", (1, 2, 3, 4, 5), {"size": (6, 8, 10)}, (1, 2, 6, 8, 10)),
    ("linear", (4, 2, 100), {"size": 250}, (4, 2, 250)),
    ("linear", (4, 2, 100), {"scale_factor": (0.5,)}, (4, 2, 50)),
    ("bilinear", (1, 1, 28, 28), {}, (1, 1, 56, 56)),
    ("bilinear", (1, 3, 7, 9), {"scale_factor": (2, 3)}, (1, 3, 14, 27)),
    ("bicubic", (1, 1, 28, 28), {"size": 42}, (1, 1, 42, 42)),
    ("trilinear", (1, 1, 4, 5, 6), {"scale_factor": 2}, (1, 1, 8, 10, 12)),
    ("trilinear", (1, 1, 4, 5, 6), {"size": (5, 6, 7)}, (1, 1, 5, 6, 7)),
    ("area", (2, 1, 9), {"size": 18}, (2, 1, 18)),
    ("area", (1, 1, 28, 28), {}, (1, 1, 56, 56)),
    ("area", (1, 1, 4, 4, 4), {"scale_factor": 2}, (1, 1, 8, 8, 8)),
]


@pytest.mark.parametrize(
    ("mode", "shape", "kwargs", "expected"),
    SHAPE_CASES,
    ids=[f"{mode}-{len(shape) - 2}d-{'-'.join(kwargs) or 'default'}" for mode, shape, kwargs, _ in SHAPE_CASES],
)
def test_output_shape_for_every_mode_and_rank(mode, shape, kwargs, expected):
    output = UpsampleExample(mode=mode, **kwargs)(torch.rand(shape))
    assert tuple(output.shape) == expected
    assert output.dtype == torch.float32


@pytest.mark.parametrize("mode", ["linear", "bilinear", "bicubic", "trilinear"])
def test_align_corners_passes_through(mode):
    dims = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}[mode]
    model = UpsampleExample(scale_factor=2, mode=mode, align_corners=True)
    assert model.layers[0].align_corners is True
    signal = torch.rand((1, 1) + (4,) * dims)
    output = model(signal)
    # With corners aligned, the first and last samples are kept exactly.
    assert output.flatten()[0] == signal.flatten()[0]
    assert output.flatten()[-1] == signal.flatten()[-1]


# Refused when the model is made, before any input: (keyword arguments, words the ValueError must hold)
REFUSED = {
    "unknown mode": ({"mode": "bogus"}, ["mode", "'bogus'", "'nearest'", "'area'"]),
    "lanczos, the function's": ({"mode": "lanczos"}, ["'lanczos'", "'bicubic'"]),
    "mode in the wrong case": ({"mode": "Bilinear"}, ["'Bilinear'", "'bilinear'"]),
    "size and scale_factor": ({"size": 56, "scale_factor": 2}, ["size", "scale_factor", "not both"]),
    "mode as a list": ({"mode": ["nearest"]}, ["mode", "['nearest']", "'bilinear'"]),
    "zero size": ({"size": 0}, ["size", "0", "from 1"]),
    "negative size": ({"size": (56, -1)}, ["size", "(56, -1)", "from 1"]),
    "size beyond int64": ({"size": 2**63}, ["size", str(2**63), "2**63 - 1"]),
    "NumPy size beyond int64": ({"size": np.uint64(2**64 - 1)}, ["size", "18446744073709551615", "2**63 - 1"]),
    "fractional size": ({"size": 56.5}, ["size", "56.5", "whole"]),
    "size as text": ({"size": "56"}, ["size", "'56'"]),
    "boolean size": ({"size": True}, ["size", "True"]),
    "zero scale_factor": ({"scale_factor": 0}, ["scale_factor", "0", "above 0"]),
    "negative scale_factor": ({"scale_factor": -2.0}, ["scale_factor", "-2.0"]),
    "infinite scale_factor": ({"scale_factor": float("inf")}, ["scale_factor", "inf", "finite"]),
    "scale_factor beyond float": ({"scale_factor": 2**1100}, ["scale_factor", str(2**1100)[:20], "finite"]),
    "not-a-number scale_factor": ({"scale_factor": float("nan")}, ["scale_factor", "nan"]),
    "text scale_factor": ({"scale_factor": "2"}, ["scale_factor", "'2'"]),
    "align_corners with nearest": ({"align_corners": True}, ["align_corners", "'nearest'", "bilinear"]),
    "align_corners with area": ({"mode": "area", "align_corners": False}, ["align_corners", "'area'"]),
    "align_corners as text": ({"mode": "bilinear", "align_corners": "yes"}, ["align_corners", "'yes'", "True or False"]),
    "align_corners as 1": ({"mode": "bilinear", "align_corners": 1}, ["align_corners", "got 1", "True or False"]),
}


@pytest.mark.parametrize(("kwargs", "words"), REFUSED.values(), ids=REFUSED.keys())
def test_wrong_arguments_are_refused_when_the_model_is_made(kwargs, words):
    with pytest.raises(ValueError) as raised:
        UpsampleExample(**kwargs)
    for word in words:
        assert word in str(raised.value)


def test_a_list_of_factors_or_sides_works_as_a_tuple_does():
    """nn.Upsample itself takes a list of sides but not a list of factors (see below); the model takes both."""
    x = torch.rand(1, 1, 4, 5)
    assert torch.equal(UpsampleExample(scale_factor=[2, 3])(x), F.interpolate(x, scale_factor=(2, 3)))
    assert torch.equal(UpsampleExample(size=[8, 6], mode="bilinear")(x), F.interpolate(x, size=(8, 6), mode="bilinear"))


def test_what_the_model_refuses_nn_upsample_would_take_silently_or_refuse_in_other_words():
    """Why the checks stand beside the class: made directly, nn.Upsample takes each of these, and its first call
    either succeeds or says something about another thing."""
    x = torch.rand(1, 1, 28, 28)
    assert nn.Upsample(scale_factor="2")(x).shape == (1, 1, 56, 56)  # a string, taken as a number
    with pytest.raises(ValueError, match="either size or scale_factor should be defined"):
        nn.Upsample(scale_factor=0)(x)  # 0 was given; torch reads it as none
    with pytest.raises(NotImplementedError, match=r"Only 3D, 4D and 5D input Tensors supported \(got 4D\)"):
        nn.Upsample(size=56, mode="bogus")(x)  # a 4D input was given: the mode is what is wrong
    with pytest.raises(OverflowError, match="int too large to convert to float"):
        nn.Upsample(scale_factor=2**1100)(x)  # the value is not named
    with pytest.raises(TypeError, match="Overflow when unpacking long long\nException raised from"):  # C++ frames
        nn.Upsample(size=2**63)(x)
    with pytest.raises(TypeError, match="float\\(\\) argument must be a string or a real number, not 'list'"):
        nn.Upsample(scale_factor=[2, 3])
    with pytest.raises(TypeError, match="invalid combination of arguments"):
        nn.Upsample(size=56, mode="bilinear", align_corners="yes")(x)


# An input of the wrong rank for a mode that needs one: the model's own check, since torch's message for bicubic
# contradicts itself. (model arguments, input shape)
WRONG_RANK = {
    "2D input for linear": ({"mode": "linear", "size": 9}, (1, 1, 4, 4)),
    "1D input for bilinear": ({"mode": "bilinear"}, (1, 1, 28)),
    "1D input for bicubic": ({"mode": "bicubic", "scale_factor": 2}, (1, 1, 28)),
    "3D input for bicubic": ({"mode": "bicubic", "scale_factor": 2}, (1, 1, 4, 4, 4)),
    "2D input for trilinear": ({"mode": "trilinear", "size": 8}, (1, 1, 4, 4)),
}


@pytest.mark.parametrize(("kwargs", "shape"), WRONG_RANK.values(), ids=WRONG_RANK.keys())
def test_an_input_of_the_wrong_rank_for_the_mode_is_named(kwargs, shape):
    model = UpsampleExample(**kwargs)
    needs = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}[kwargs["mode"]]
    with pytest.raises(ValueError, match=f"mode '{kwargs['mode']}' needs {needs}D input, got {len(shape)}D"):
        model(torch.zeros(shape))
    with pytest.raises((NotImplementedError, ValueError)) as raised:  # torch's own, without the check
        model.layers(torch.zeros(shape))
    if kwargs["mode"] == "bicubic":  # why the check: torch says the rank it was given is supported
        assert f"Only 3D, 4D and 5D input Tensors supported (got {len(shape)}D)" in str(raised.value)


# Left to torch, whose messages name what is wrong: (model arguments, input, error type, words the message holds)
TORCH_REFUSES = {
    "numpy array": ({}, np.zeros((1, 1, 28, 28)), AttributeError, ["numpy.ndarray", "dim"]),
    "one image without batch": ({}, torch.zeros(28, 28), ValueError, ["same number of spatial dimensions", "(56, 56)"]),
    "1D input, 2D size": ({}, torch.zeros(1, 1, 28), ValueError, ["same number of spatial dimensions", "[28]"]),
    "four sizes": ({"size": (1, 2, 3, 4)}, torch.zeros(1, 1, 28, 28), ValueError, ["same number", "(1, 2, 3, 4)"]),
    "linear with a 2D size": ({"mode": "linear"}, torch.zeros(1, 1, 28), ValueError, ["same number", "(56, 56)"]),
    "trilinear with 2 factors": ({"mode": "trilinear", "scale_factor": (2, 2)}, torch.zeros(1, 1, 4, 4, 4),
                                 ValueError, ["scale_factor", "same number of spatial dimensions"]),
    "6 dimensions": ({"scale_factor": 2}, torch.zeros(1, 1, 2, 2, 2, 2), NotImplementedError, ["3D, 4D and 5D", "6D"]),
    "recompute with size": ({"size": 56, "recompute_scale_factor": True}, torch.zeros(1, 1, 28, 28), ValueError,
                            ["recompute_scale_factor", "explicit size"]),
    "a factor that leaves no pixel": ({"scale_factor": 0.01}, torch.zeros(1, 1, 28, 28), RuntimeError,
                                      ["greater than 0", "output (H: 0, W: 0)"]),
}


@pytest.mark.parametrize(("kwargs", "value", "error", "words"), TORCH_REFUSES.values(), ids=TORCH_REFUSES.keys())
def test_wrong_inputs_get_torchs_own_message(kwargs, value, error, words):
    model = UpsampleExample(**kwargs)  # made without complaint: the mismatch shows with the input
    with pytest.raises(error) as raised:
        model(value)
    for word in words:
        assert word in str(raised.value)


# -- backward -------------------------------------------------------------------------------------------------------
def test_gradient_of_nearest_is_2x2_sum_pooling():
    x = torch.rand(2, 3, 5, 7, dtype=torch.float64, requires_grad=True)
    upstream = torch.rand(2, 3, 10, 14, dtype=torch.float64)
    UpsampleExample(scale_factor=2)(x).backward(upstream)
    summed = upstream.numpy().reshape(2, 3, 5, 2, 7, 2).sum(axis=(3, 5))  # each 2×2 block of the gradient, summed
    np.testing.assert_allclose(x.grad.numpy(), summed, atol=1e-12)


@pytest.mark.parametrize("align_corners", [False, True], ids=["centres", "corners"])
def test_bilinear_backward_is_the_adjoint_of_forward(align_corners):
    """<U x, y> = <x, U^T y>, with U^T y what autograd computes, for random x and y in float64."""
    up = UpsampleExample(size=(11, 13), mode="bilinear", align_corners=align_corners)
    for seed in range(3):
        generator = torch.Generator().manual_seed(seed)
        x = torch.rand(1, 2, 5, 6, dtype=torch.float64, generator=generator, requires_grad=True)
        y = torch.rand(1, 2, 11, 13, dtype=torch.float64, generator=generator)
        (transposed,) = torch.autograd.grad(up(x), x, grad_outputs=y)
        assert (up(x) * y).sum().item() == pytest.approx((x * transposed).sum().item(), rel=1e-12)


def test_bilinear_gradient_is_the_transpose_of_its_matrix_built_column_by_column():
    up = UpsampleExample(size=(7, 9), mode="bilinear")
    n_in = 4 * 5
    columns = []
    for index in range(n_in):  # column i of U: the upsampled unit image e_i
        unit = torch.zeros(n_in, dtype=torch.float64)
        unit[index] = 1
        columns.append(up(unit.reshape(1, 1, 4, 5)).flatten())
    matrix = torch.stack(columns, dim=1)  # (63, 20)
    x = torch.rand(1, 1, 4, 5, dtype=torch.float64, requires_grad=True)
    y = torch.rand(1, 1, 7, 9, dtype=torch.float64)
    up(x).backward(y)
    np.testing.assert_allclose(x.grad.flatten().numpy(), (matrix.T @ y.flatten()).numpy(), atol=1e-12)
    # and the matrix is the separable one from the NumPy reference
    reference = np.kron(linear_matrix(4, 7), linear_matrix(5, 9))
    np.testing.assert_allclose(matrix.numpy(), reference, atol=1e-12)


def test_modes_are_every_mode_torchs_function_accepts_but_lanczos():
    """Read from torch's own message for an unknown mode, so the list cannot fall behind the installed torch."""
    import re


    with pytest.raises(NotImplementedError) as raised:
        F.interpolate(torch.zeros(1, 1, 4, 4), size=8, mode="bogus")
    accepted = set(re.search(r"for the modes: ([\w| -]+) \(got", str(raised.value)).group(1).split(" | "))
    assert accepted == {*MODES, "lanczos"}
    assert F.interpolate(torch.rand(1, 1, 4, 4), size=8, mode="lanczos", antialias=True).shape == (1, 1, 8, 8)
