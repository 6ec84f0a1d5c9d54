"""
Upsampling in training: gradients, determinism, precision and memory
====================================================================

Most lessons run the forward pass (the checkerboard lesson has already met
``nearest``'s backward as sum pooling). Training runs the backward pass at
every step, and there upsampling meets other questions: what gradient does
it send back, is that gradient the same from one run to the next, how far
do half precisions move it, and what does autograd keep in memory for it?
This page
answers each on the CPU, says what torch documents for CUDA, and keeps a
script for the GPU side (``benchmarks/check_cuda.py``) that records what it
measures where a GPU is present.
"""

# %%
# The backward pass is the transpose
# ----------------------------------
# Along one axis, every mode is a matrix: output ``j`` is a weighted sum of
# input samples, with the weights in row ``j``. ``interpolation_matrix``
# builds that matrix from the mode's rule (no call to ``F.interpolate``), and
# a 2D resize applies one matrix down the rows and one along the columns,
# ``y = R·x·Cᵀ``. The backward pass of a linear map is its transpose: the
# gradient that reaches the input is ``Rᵀ·g·C``. For every 2D mode and both
# ``align_corners`` where it applies, 7×9 → 12×20, both directions agree
# with torch to float64 rounding. (``linear`` and ``trilinear`` are the
# ``bilinear`` matrix along each of their axes; the tests check them too.)
import torch
import torch.nn.functional as F

from upsample_helpers.training import SEPARABLE, interpolation_matrix

generator = torch.Generator().manual_seed(0)
x = torch.rand(2, 3, 7, 9, dtype=torch.float64, generator=generator)
g = torch.rand(2, 3, 12, 20, dtype=torch.float64, generator=generator)
for mode, corners in SEPARABLE:
    R = interpolation_matrix(7, 12, mode, corners)
    C = interpolation_matrix(9, 20, mode, corners)
    options = {} if corners is None else {"align_corners": corners}
    leaf = x.clone().requires_grad_()
    y = F.interpolate(leaf, size=(12, 20), mode=mode, **options)
    y.backward(g)
    forward = (y - R @ x @ C.T).abs().max().item()
    backward = (leaf.grad - R.T @ g @ C).abs().max().item()
    print(f"{mode:<13} {corners!s:<5} forward {forward:.0e}, "
          f"backward {backward:.0e}")
    assert forward < 1e-12 and backward < 1e-12

# %%
# What one output pixel sends back
# --------------------------------
# A column of the transpose is what one output pixel sends back. Doubling
# 4×4 → 8×8, output pixel (3, 3) sends its whole gradient to the one input
# pixel ``nearest`` copied it from, (1, 1); ``bilinear`` spreads it over
# four inputs with the same tent weights it read them with, 9/16, 3/16,
# 3/16 and 1/16. And a gradient of ones at every output pixel reaches each
# input pixel of ``nearest`` four times: its backward is sum pooling of
# 2×2 blocks.
from upsample_helpers.training import one_pixel_gradient

for mode in ("nearest", "bilinear"):
    print(f"{mode}: output (3, 3) sends back\n{one_pixel_gradient(mode)}")
tent = torch.tensor([[9, 3], [3, 1]], dtype=torch.float64) / 16
assert torch.equal(one_pixel_gradient("bilinear")[1:3, 1:3], tent)
assert one_pixel_gradient("nearest")[1, 1] == 1
ones = torch.ones(1, 1, 4, 4, requires_grad=True)
F.interpolate(ones, scale_factor=2).sum().backward()
print("nearest, ones everywhere: each input gets", ones.grad.unique().tolist())
assert torch.equal(ones.grad, 4 * torch.ones(1, 1, 4, 4))

# %%
# Determinism
# -----------
# On the CPU, each mode's backward repeats bit for bit: 20 identical
# backward passes of each mode (2×, 8×16 channels of 32×32) give one
# distinct gradient, on the threads torch runs here (printed), and the same
# with ``torch.use_deterministic_algorithms(True)``, which lets all of them
# run.
from upsample_helpers.training import backward_repeats

MODES = ("nearest", "nearest-exact", "bilinear", "bicubic", "area")
distinct = {}
for strict in (False, True):
    torch.use_deterministic_algorithms(strict)
    distinct[strict] = {mode: backward_repeats(mode) for mode in MODES}
torch.use_deterministic_algorithms(False)
print(f"{torch.get_num_threads()} thread(s), distinct gradients in 20 runs:")
for strict, counts in distinct.items():
    print(f"use_deterministic_algorithms({strict}):")
    print("  " + ", ".join(f"{mode} {n}" for mode, n in counts.items()))
assert all(set(counts.values()) == {1} for counts in distinct.values())

# %%
# CUDA is another matter. There torch's backward kernels for the
# interpolating modes (in its CUDA source, which a CPU install does not
# carry) add into each input's gradient from many threads at once with
# atomic adds, in an order, and so with a rounding, that can change from run
# to run. The installed torch's documentation of
# ``use_deterministic_algorithms`` lists ``F.interpolate``'s backward on CUDA
# among the operations that raise, in four modes; ``area``, which is
# adaptive average pooling, raises there too, as that pooling's CUDA
# backward is on the same list. The source of ``F.interpolate`` says
# otherwise for two of the four: with determinism on and the input not on
# the CPU, ``bilinear`` and ``trilinear`` are computed by a slower
# decomposition, whose backward its comment says is written with
# ``index_put``. This machine has no GPU, so the page quotes both and
# measures neither; ``benchmarks/check_cuda.py`` measures them where a GPU
# is present.
from upsample_helpers.training import (
    area_documented_to_raise,
    decomposed_when_deterministic,
    documented_to_raise,
)

raising, decomposed = documented_to_raise(), decomposed_when_deterministic()
print("documented to raise on CUDA:", raising)
print("and area, as adaptive average pooling:", area_documented_to_raise())
print("sent to a decomposition:", decomposed)
assert raising == ["linear", "bilinear", "bicubic", "trilinear"]
assert decomposed == ["bilinear", "trilinear"] and area_documented_to_raise()

# %%
# Another way out, which needs no special kernel, writes bilinear
# upsampling as the two matrix products above: ``MatrixBilinear`` builds
# ``R`` and ``C`` once per input size. It gives ``F.interpolate``'s values
# and gradients to float32 rounding; whether its backward repeats on a GPU
# is what ``check_cuda.py`` measures there. It keeps more for its backward
# (next section), and its cost beside the native kernel, forward and
# backward, is printed for this CPU.
from upsample_helpers import median_seconds
from upsample_helpers.training import MatrixBilinear

batch = torch.rand(8, 16, 32, 32, generator=generator, requires_grad=True)
weight = torch.rand(8, 16, 64, 64, generator=generator)
layers = {"F.interpolate": lambda t: F.interpolate(t, 64, mode="bilinear"),
          "MatrixBilinear": MatrixBilinear((64, 64))}
outputs, gradients, took = {}, {}, {}
for name, layer in layers.items():
    outputs[name] = layer(batch)
    gradients[name], = torch.autograd.grad(outputs[name], batch, weight)
    took[name] = median_seconds(
        lambda f=layer: torch.autograd.grad(f(batch), batch, weight))
    print(f"{name:<15} forward and backward: {took[name] * 1000:.2f} ms")
for found in (outputs, gradients):
    torch.testing.assert_close(found["MatrixBilinear"], found["F.interpolate"])

# %%
# Precision
# ---------
# Each mode in float32, bfloat16 and float16, forward and backward, against
# float64 on the same stored values (so that what is measured is the
# kernel's own rounding, not the cost of storing the input in fewer bits),
# each the largest error relative to the largest float64 value, in units of
# each type's ``eps``, the gap between 1 and the next number it holds. On
# this CPU every mode runs in all three, and every error stays within a few
# ``eps``; the modes that only copy at 2× (``nearest``, ``nearest-exact``
# and ``area``) add nothing going forward. In the two half types, every
# error but ``area``'s backward stays within half an ``eps``, no more than
# rounding the exact result once would cost. So the real cost of a half
# type is its ``eps`` itself, printed below the table.
from upsample_helpers.training import precision_errors, precision_table

DTYPES = (torch.float32, torch.bfloat16, torch.float16)
errors = {mode: [precision_errors(mode, d) for d in DTYPES] for mode in MODES}
print(precision_table(errors, DTYPES))
ratios = [e / torch.finfo(d).eps for row in errors.values()
          for pair, d in zip(row, DTYPES, strict=True) for e in pair]
assert max(ratios) < 4
half = [e / torch.finfo(d).eps for mode, row in errors.items()
        for (f, b), d in zip(row[1:], DTYPES[1:], strict=True)
        for e in ((f,) if mode == "area" else (f, b))]
assert max(half) <= 0.5
copying = ("nearest", "nearest-exact", "area")
assert all(errors[m][i][0] == 0 for m in copying for i in range(3))
print("eps:", {str(d)[6:]: f"{torch.finfo(d).eps:.1e}" for d in DTYPES})

# %%
# Memory: what autograd keeps
# ---------------------------
# Saved-tensor hooks show what a layer keeps for its backward pass.
# ``nearest``, ``nearest-exact``, ``bilinear`` and ``bicubic`` keep nothing,
# so they add no activation memory of their own. ``area``, which is adaptive
# average pooling, keeps its whole input, and ``MatrixBilinear`` keeps its
# two small matrices, the first expanded over the batch's 128 channels
# without a copy: its 8 KiB of memory behind a view of 128 copies. (Shape,
# bytes behind it:)
from upsample_helpers.training import saved_for_backward

probe = torch.rand(8, 16, 32, 32)
kept = {mode: saved_for_backward(
            lambda t, m=mode: F.interpolate(t, scale_factor=2, mode=m),
            probe.clone()) for mode in MODES}
kept["MatrixBilinear"] = saved_for_backward(MatrixBilinear((64, 64)), probe)
for name, shapes in kept.items():
    print(f"{name:<15} keeps {shapes or 'nothing'}")
assert all(kept[mode] == [] for mode in MODES if mode != "area")
assert kept["area"] == [((8, 16, 32, 32), 8 * 16 * 32 * 32 * 4)]
matrices = [((32, 64), 8192), ((128, 64, 32), 8192)]  # (shape, bytes)
assert sorted(kept["MatrixBilinear"]) == matrices

# %%
# Time: where it goes
# -------------------
# Timing a layer on a page is at the mercy of the machine, so the timings
# are a benchmark (``python benchmarks/bench_training.py --write-results``),
# run on one thread at the processor's own kernel level and at
# ``ATEN_CPU_CAPABILITY=default``, and kept with the helpers; this page
# shows them. First, ``nearest`` 2× of a channels_last batch of
# (N, 64, 32, 32), four ways: into a fresh output, as ``F.interpolate``
# does; the same kernel into an output allocated once (the ``out=``
# overload of ``upsample_nearest2d``); only filling that output; and
# allocating a fresh one and filling it.
from upsample_helpers.training import allocation_table, kept_results

bench = kept_results()
print(allocation_table(bench))

# %%
# With a 32 MiB output, the fresh output costs about ten times the
# preallocated one, and nearly all of it is what allocating and filling
# alone costs: 8,193 page faults a call, one for each 4 KiB page the system
# hands over fresh. The 1 and 4 MiB outputs fault no page at all: the C
# library's allocator on this machine (glibc's ``malloc``, which torch's CPU
# allocator calls) keeps those smaller freed blocks for the next call, and
# gives the large one back to the system each time. The interpolation
# itself is the cheap part: ``out=`` costs less than twice what filling the
# output costs.

for level in bench["levels"]:
    rows = level["allocation"]["32"]
    fresh, into = rows["fresh output"], rows["out= (preallocated)"]
    ratio = fresh["seconds"] / into["seconds"]
    print(f"{level['capability']}: fresh {ratio:.1f}× out=, "
          f"{fresh['page_faults']:.0f} page faults a call")
    assert 8 < ratio < 12 and fresh["page_faults"] == 32 * 2**20 // 4096 + 1
    assert rows["allocate and fill"]["seconds"] > 0.8 * fresh["seconds"]
    assert into["seconds"] < 2 * rows["fill the output"]["seconds"]
    small = [row["page_faults"] for b in ("1", "4")
             for name, row in level["allocation"][b].items()
             if name != "output MiB"]
    assert set(small) == {0}

# %%
# Then ``bilinear`` 2× of a (32, 64, 32, 32) batch, forward and backward
# together: contiguous, channels_last, and ``MatrixBilinear``; and the
# forward pass alone in both layouts. At both kernel levels channels_last
# and the two matrix products take less than two thirds of the contiguous
# time, and the forward pass alone makes most of channels_last's gain: the
# contiguous forward pass goes through three layout-changing copies around
# the channels_last kernel (``benchmarks/README.md`` shows torch's profiler
# finding them).

from upsample_helpers.training import backward_times

for level in bench["levels"]:
    ms = backward_times(level)
    print(f"{level['capability']}, milliseconds:")
    print("\n".join(f"  {name:<36} {t:3.0f}" for name, t in ms.items()))
    contiguous = ms["bilinear, contiguous"]
    assert ms["bilinear, channels_last"] < 2 / 3 * contiguous
    assert ms["MatrixBilinear, contiguous"] < 2 / 3 * contiguous
    gain = contiguous - ms["bilinear, channels_last"]
    forward = (ms["bilinear forward only, contiguous"]
               - ms["bilinear forward only, channels_last"])
    assert forward > gain / 2

# %%
# Very large batches
# ------------------
# On CUDA, ``nearest`` into a channels_last output past 2^31 elements has
# returned zeros (pytorch issues #141831 and #129118); one workaround splits
# the batch and upsamples the pieces. On the CPU, with a batch this machine
# holds, the pieces joined again are the whole, bit for bit:
from upsample_helpers.training import interpolate_in_pieces

large = torch.rand(64, 8, 48, 48, generator=generator)
for mode in ("nearest", "bilinear", "bicubic"):
    whole = F.interpolate(large, scale_factor=2, mode=mode)
    pieces = interpolate_in_pieces(large, 4, scale_factor=2, mode=mode)
    print(f"{mode:<9} in 4 pieces, the whole: {torch.equal(pieces, whole)}")
    assert torch.equal(pieces, whole)

# %%
# The GPU side
# ------------
# ``benchmarks/check_cuda.py`` measures on a CUDA device what this page
# measures on the CPU: whether each mode's backward repeats bit for bit,
# natively, with determinism on, and as ``MatrixBilinear``; which modes run
# in bfloat16 and float16; and an output past 2^31 elements, whole and in
# pieces. It keeps what it found with the helpers, and where no device is
# present it keeps only that fact, as the results shown here do. Run
# ``python benchmarks/check_cuda.py --write-results`` on a machine with a
# GPU, and this cell prints what it measured there.
from upsample_helpers.training import CUDA_RESULTS

cuda = kept_results(CUDA_RESULTS)
if cuda["device"] is None:
    print(f"torch {cuda['torch']}: {cuda['note']}")
else:
    print(f"{cuda['device']}, torch {cuda['torch']}:")
    for section in ("repeatability", "half precision", "past 2^31 elements"):
        print(f"  {section}: {cuda[section]}")
