"""The training lesson (lessons/plot_training.py) and its benchmarks (benchmarks/bench_training.py, check_cuda.py):
the interpolation matrices against the references in tests/reference.py and against torch's forward and backward,
the matrix-product upsampler, and the measures of the backward pass."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import ROOT, run_lesson
from reference import area_matrix, cubic_matrix, index_matrix, linear_matrix, nearest_exact_index, nearest_index

from upsample_helpers.training import (
    SEPARABLE,
    MatrixBilinear,
    backward_repeats,
    decomposed_when_deterministic,
    documented_to_raise,
    interpolate_in_pieces,
    interpolation_matrix,
    kept_results,
    one_pixel_gradient,
    precision_errors,
    saved_for_backward,
)

sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_training
import check_cuda

SIZES = [(7, 12), (9, 20), (5, 5), (12, 7), (3, 1), (1, 4)]


def reference_matrix(n_in: int, n_out: int, mode: str, corners: bool | None) -> np.ndarray:
    if mode == "nearest":
        return index_matrix([nearest_index(d, n_in, n_out) for d in range(n_out)], n_in)
    if mode == "nearest-exact":
        return index_matrix([nearest_exact_index(d, n_in, n_out) for d in range(n_out)], n_in)
    if mode == "area":
        return area_matrix(n_in, n_out)
    return (linear_matrix if mode == "bilinear" else cubic_matrix)(n_in, n_out, align_corners=bool(corners))


@pytest.mark.parametrize("mode, corners", SEPARABLE, ids=[f"{m}-{c}" for m, c in SEPARABLE])
@pytest.mark.parametrize("n_in, n_out", SIZES)
def test_interpolation_matrix_is_the_reference_matrix(mode, corners, n_in, n_out):
    np.testing.assert_allclose(interpolation_matrix(n_in, n_out, mode, corners).numpy(),
                               reference_matrix(n_in, n_out, mode, corners), atol=1e-12)


@pytest.mark.parametrize("mode, corners", SEPARABLE, ids=[f"{m}-{c}" for m, c in SEPARABLE])
def test_torchs_forward_is_the_matrices_and_its_backward_their_transposes(mode, corners):
    generator = torch.Generator().manual_seed(3)
    x = torch.rand(2, 2, 6, 11, dtype=torch.float64, generator=generator, requires_grad=True)
    g = torch.rand(2, 2, 13, 8, dtype=torch.float64, generator=generator)
    rows = torch.from_numpy(reference_matrix(6, 13, mode, corners))
    columns = torch.from_numpy(reference_matrix(11, 8, mode, corners))
    options = {} if corners is None else {"align_corners": corners}
    y = F.interpolate(x, size=(13, 8), mode=mode, **options)
    y.backward(g)
    torch.testing.assert_close(y, rows @ x.detach() @ columns.T)
    torch.testing.assert_close(x.grad, rows.T @ g @ columns)


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic", "area"])
def test_one_pixel_gradient_is_a_column_of_the_transposed_kronecker_product(mode):
    corners = None if mode in ("nearest", "area") else False
    matrix = np.kron(reference_matrix(4, 8, mode, corners), reference_matrix(4, 8, mode, corners))  # (64, 16)
    np.testing.assert_allclose(one_pixel_gradient(mode, (3, 5)).numpy().ravel(), matrix[3 * 8 + 5], atol=1e-12)


@pytest.mark.parametrize("corners", [False, True])
@pytest.mark.parametrize("size", [(64, 64), (45, 70)])
def test_matrix_bilinear_gives_torchs_values_and_gradients_and_repeats_bit_for_bit(corners, size):
    generator = torch.Generator().manual_seed(4)
    x = torch.rand(3, 5, 32, 29, generator=generator, requires_grad=True)
    weight = torch.rand(3, 5, *size, generator=generator)
    layer = MatrixBilinear(size, align_corners=corners)
    ours = layer(x)
    theirs = F.interpolate(x, size=size, mode="bilinear", align_corners=corners)
    torch.testing.assert_close(ours, theirs)
    gradients = [torch.autograd.grad(layer(x), x, weight)[0] for _ in range(3)]
    torch.testing.assert_close(gradients[0], torch.autograd.grad(theirs, x, weight)[0])
    assert all(torch.equal(gradients[0], other) for other in gradients[1:])


def test_cpu_backward_repeats_bit_for_bit_on_two_threads():
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        assert {backward_repeats(mode, repeats=5) for mode in ("bilinear", "bicubic", "area")} == {1}
    finally:
        torch.set_num_threads(threads)


def test_precision_errors_are_zero_in_float64_and_small_in_float32():
    assert precision_errors("bilinear", torch.float64) == (0.0, 0.0)
    forward, backward = precision_errors("bicubic", torch.float32)
    assert 0 < forward < 4 * torch.finfo(torch.float32).eps and 0 < backward < 4 * torch.finfo(torch.float32).eps
    assert precision_errors("nearest", torch.bfloat16)[0] == 0  # copying a stored value rounds nothing


def test_saved_for_backward_sees_what_a_function_saves():
    class SavesTwo(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, x[:1].clone())
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    x = torch.rand(3, 4, dtype=torch.float64)
    assert saved_for_backward(SavesTwo.apply, x) == [((3, 4), 96), ((1, 4), 32)]
    assert saved_for_backward(lambda t: t + 1, torch.rand(2)) == []


@pytest.mark.parametrize("pieces", [1, 3, 7])
def test_interpolate_in_pieces_is_the_whole(pieces):
    x = torch.rand(7, 2, 9, 9)
    for mode in ("nearest", "bilinear", "bicubic", "area"):
        assert torch.equal(interpolate_in_pieces(x, pieces, size=(20, 13), mode=mode),
                           F.interpolate(x, size=(20, 13), mode=mode))


def test_the_deterministic_branch_is_taken_for_the_modes_the_source_names(monkeypatch):
    """Behaviour, not text: on a device that is not the CPU ('meta'), with determinism on, F.interpolate calls the
    decomposition for exactly the modes decomposed_when_deterministic() reads off its source."""
    import torch._decomp.decompositions as decompositions

    called = []
    original = decompositions._upsample_linear_vec

    def recording(*args, **kwargs):
        called.append(args[0].dim())
        return original(*args, **kwargs)

    monkeypatch.setattr(decompositions, "_upsample_linear_vec", recording)
    torch.use_deterministic_algorithms(True)
    try:
        took = []
        for mode, rank in (("linear", 1), ("bilinear", 2), ("bicubic", 2), ("trilinear", 3)):
            called.clear()
            F.interpolate(torch.empty((1, 1) + (4,) * rank, device="meta"), scale_factor=2, mode=mode)
            if called:
                took.append(mode)
    finally:
        torch.use_deterministic_algorithms(False)
    assert took == decomposed_when_deterministic() == ["bilinear", "trilinear"]
    assert documented_to_raise() == ["linear", "bilinear", "bicubic", "trilinear"]


@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last])
def test_the_benchmarks_out_row_computes_the_fresh_rows_result(layout):
    x = torch.rand(2, 3, 5, 7).contiguous(memory_format=layout)
    out = torch.full((2, 3, 10, 14), float("nan")).contiguous(memory_format=layout)
    assert bench_training.nearest_into(x, out) is out
    assert torch.equal(out, bench_training.nearest_fresh(x))
    assert torch.equal(out, x.repeat_interleave(2, -2).repeat_interleave(2, -1))


def test_the_kept_benchmark_holds_both_kernel_levels_on_one_thread():
    kept = kept_results()
    assert kept["torch"] == torch.__version__
    levels = [level["capability"] for level in kept["levels"]]
    assert len(levels) == 2 and levels[1] == "DEFAULT" and levels[0] != "DEFAULT"
    assert {level["threads"] for level in kept["levels"]} == {1}


def test_the_cuda_check_runs_its_measurements_on_the_cpu():
    """The GPU script's code, run where this suite runs: every backward repeats on the CPU, and the pieces are the
    whole (a small 'large' case)."""
    result = check_cuda.measure(torch.device("cpu"), large_side=32, batch=(2, 3, 16, 16))
    assert set(result["repeatability"].values()) == {1}
    assert set(result["half precision"].values()) == {"runs"}
    assert result["past 2^31 elements"] == {"elements": 2 * 2 * 64 * 64, "split equals whole": True,
                                            "whole is all zeros": False}


def test_the_kept_cuda_results_say_plainly_when_no_device_was_present():
    kept = kept_results(check_cuda.RESULTS)
    assert kept["device"] is not None or kept["note"] == "no CUDA device was present: nothing was measured"


def test_the_page_runs_whole():
    page = run_lesson("plot_training")
    assert max(len(line) for line in page.printed) <= 80
    assert page.raising == ["linear", "bilinear", "bicubic", "trilinear"]
    assert all(set(counts.values()) == {1} for counts in page.distinct.values())


@pytest.mark.parametrize("corners", [False, True])
def test_linear_and_trilinear_are_the_bilinear_matrix_along_each_axis(corners):
    generator = torch.Generator().manual_seed(5)
    signal = torch.rand(2, 3, 7, dtype=torch.float64, generator=generator, requires_grad=True)
    volume = torch.rand(1, 2, 4, 5, 6, dtype=torch.float64, generator=generator, requires_grad=True)
    a = torch.from_numpy(linear_matrix(7, 12, align_corners=corners))
    y = F.interpolate(signal, size=12, mode="linear", align_corners=corners)
    g = torch.rand_like(y)
    y.backward(g)
    torch.testing.assert_close(y, signal.detach() @ a.T)
    torch.testing.assert_close(signal.grad, g @ a)
    d, h, w = (torch.from_numpy(linear_matrix(n, m, align_corners=corners)) for n, m in ((4, 9), (5, 3), (6, 11)))
    expected = torch.einsum("ai,bj,ck,nzijk->nzabc", d, h, w, volume.detach())
    torch.testing.assert_close(F.interpolate(volume, size=(9, 3, 11), mode="trilinear", align_corners=corners),
                               expected)
    np.testing.assert_allclose(interpolation_matrix(7, 12, "bilinear", corners).numpy(), a.numpy(), atol=1e-12)
