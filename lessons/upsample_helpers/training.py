"""The training lesson's tools (lessons/plot_training.py): each mode's interpolation as a matrix per axis, a bilinear
upsampler made of two matrix products, and measures of the backward pass: repeatability, precision and what
autograd keeps.

The matrices are built from each mode's rule, in float64, with no call to ``F.interpolate``: output ``j`` of ``n_out``
reads the input around ``(j + ½)·n_in/n_out − ½`` (``j·(n_in − 1)/(n_out − 1)`` with ``align_corners=True``).
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

BENCHMARK = Path(__file__).with_name("training.json")  # benchmarks/bench_training.py's kept results
CUDA_RESULTS = Path(__file__).with_name("cuda.json")  # benchmarks/check_cuda.py's kept results


def kept_results(path: Path = BENCHMARK) -> dict:
    return json.loads(path.read_text())


SEPARABLE = (  # (mode, align_corners) of every 2D mode, align_corners where it applies
    ("nearest", None), ("nearest-exact", None), ("area", None),
    ("bilinear", False), ("bilinear", True), ("bicubic", False), ("bicubic", True),
)


def _positions(n_in: int, n_out: int, align_corners: bool) -> torch.Tensor:
    j = torch.arange(n_out, dtype=torch.float64)
    if align_corners:
        return j * ((n_in - 1) / (n_out - 1)) if n_out > 1 else torch.zeros(n_out, dtype=torch.float64)
    return (j + 0.5) * n_in / n_out - 0.5


def _keys(t: torch.Tensor, a: float = -0.75) -> torch.Tensor:
    t = t.abs()
    return torch.where(t <= 1, ((a + 2) * t - (a + 3)) * t * t + 1,
                       torch.where(t < 2, ((a * t - 5 * a) * t + 8 * a) * t - 4 * a, torch.zeros_like(t)))


def interpolation_matrix(n_in: int, n_out: int, mode: str, align_corners: bool | None = None) -> torch.Tensor:
    """The (n_out, n_in) float64 matrix of ``mode`` along one axis: output = matrix @ input."""
    matrix = torch.zeros(n_out, n_in, dtype=torch.float64)
    rows = torch.arange(n_out)
    if mode in ("nearest", "nearest-exact"):
        offset = 0 if mode == "nearest" else 1  # floor(j·in/out), or floor((2j + 1)·in/(2·out))
        source = ((2 * rows + offset) * n_in) // (2 * n_out)
        matrix[rows, source] = 1.0
    elif mode == "area":  # adaptive average pooling: every input pixel the output's span touches, equally
        for j in range(n_out):
            start, end = j * n_in // n_out, -(-(j + 1) * n_in // n_out)
            matrix[j, start:end] = 1 / (end - start)
    elif mode in ("linear", "bilinear"):
        x = _positions(n_in, n_out, bool(align_corners)).clamp(min=0)
        left = x.floor().long().clamp(max=n_in - 1)
        right = (left + 1).clamp(max=n_in - 1)
        weight = x - left
        matrix.index_put_((rows, left), 1 - weight, accumulate=True)
        matrix.index_put_((rows, right), weight, accumulate=True)
    elif mode == "bicubic":  # Keys' cubic, a = −0.75, over four inputs; those past the border repeat the edge
        x = _positions(n_in, n_out, bool(align_corners))
        base = x.floor().long()
        for k in (-1, 0, 1, 2):
            matrix.index_put_((rows, (base + k).clamp(0, n_in - 1)), _keys(x - (base + k)), accumulate=True)
    else:
        raise ValueError(f"no matrix for mode {mode!r}")
    return matrix


def upsample_by_matrices(x: torch.Tensor, rows: torch.Tensor, columns: torch.Tensor) -> torch.Tensor:
    """A separable 2D resize of (N, C, H, W) as two matrix products: ``rows @ x @ columns.T``."""
    return rows.to(x.dtype) @ x @ columns.to(x.dtype).T


class MatrixBilinear(nn.Module):
    """Bilinear upsampling to ``size`` as two matrix products, built once per input size: a backward pass that
    sums in a fixed order on every device, so that it repeats bit for bit."""

    def __init__(self, size: tuple[int, int], align_corners: bool = False) -> None:
        super().__init__()
        self.size, self.align_corners = size, align_corners
        self._matrices: dict[tuple[int, int, torch.dtype, torch.device], tuple[torch.Tensor, torch.Tensor]] = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        key = (x.shape[-2], x.shape[-1], x.dtype, x.device)
        if key not in self._matrices:
            self._matrices[key] = tuple(
                interpolation_matrix(n_in, n_out, "bilinear", self.align_corners).to(x.device, x.dtype)
                for n_in, n_out in zip(x.shape[-2:], self.size, strict=True))
        rows, columns = self._matrices[key]
        return rows @ x @ columns.T


def backward_repeats(mode: str, repeats: int = 20, seed: int = 0) -> int:
    """How many distinct input gradients ``repeats`` identical backward passes of ``mode`` (2×, a batch of 8×16
    channels of 32×32) give on this machine: 1 when the backward repeats bit for bit."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.rand(8, 16, 32, 32, generator=generator, requires_grad=True)
    weight = torch.rand(8, 16, 64, 64, generator=generator)
    seen = set()
    for _ in range(repeats):
        (F.interpolate(x, scale_factor=2, mode=mode) * weight).sum().backward()
        seen.add(x.grad.numpy().tobytes())
        x.grad = None
    return len(seen)


def precision_errors(mode: str, dtype: torch.dtype, seed: int = 0) -> tuple[float, float] | str:
    """The largest forward and backward error of ``mode`` (2×, a 4×8×24×24 batch in 0..1) computed in ``dtype``,
    against float64 on the same values (the input and the output's gradient as ``dtype`` stores them), relative to
    the largest float64 value: what the kernel adds, not what storing the tensors costs. Or the message of the
    error torch raises in ``dtype``."""
    generator = torch.Generator().manual_seed(seed)
    x64 = torch.rand(4, 8, 24, 24, dtype=torch.float64, generator=generator).to(dtype).double()
    weight = torch.rand(4, 8, 48, 48, dtype=torch.float64, generator=generator).to(dtype).double()
    results = []
    for dt in (torch.float64, dtype):
        x = x64.to(dt, copy=True).requires_grad_()
        try:
            y = F.interpolate(x, scale_factor=2, mode=mode)
            (y * weight.to(dt)).sum().backward()
        except (RuntimeError, NotImplementedError) as error:
            return str(error).splitlines()[0]
        results.append((y.detach().double(), x.grad.double()))
    (y64, g64), (y, g) = results
    return ((y - y64).abs().max() / y64.abs().max()).item(), ((g - g64).abs().max() / g64.abs().max()).item()


def saved_for_backward(call: Callable[[torch.Tensor], torch.Tensor],
                       x: torch.Tensor) -> list[tuple[tuple[int, ...], int]]:
    """What autograd keeps from ``call(x)`` for its backward pass (saved-tensor hooks): each tensor's shape, and the
    bytes of memory behind it (an expanded view's are those of what it expands)."""
    shapes = []

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        shapes.append((tuple(tensor.shape), tensor.untyped_storage().nbytes()))
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        call(x.requires_grad_())
    return shapes


def interpolate_in_pieces(x: torch.Tensor, pieces: int, **options) -> torch.Tensor:
    """``F.interpolate`` on ``pieces`` slices of the batch, joined again: the workaround for batches whose output
    is too large for one call."""
    return torch.cat([F.interpolate(part, **options) for part in x.chunk(pieces)])


def one_pixel_gradient(mode: str, pixel: tuple[int, int] = (3, 3)) -> torch.Tensor:
    """The gradient that output ``pixel`` alone sends back to a 4×4 input doubled by ``mode``: (4, 4), float64."""
    leaf = torch.zeros(1, 1, 4, 4, dtype=torch.float64, requires_grad=True)
    F.interpolate(leaf, scale_factor=2, mode=mode)[(0, 0, *pixel)].backward()
    return leaf.grad[0, 0]


def documented_to_raise() -> list[str]:
    """The modes whose ``F.interpolate`` backward on CUDA the installed torch documents as raising under
    ``torch.use_deterministic_algorithms(True)``: read off that function's docstring."""
    doc = torch.use_deterministic_algorithms.__doc__
    listed = doc[doc.index(":func:`torch.nn.functional.interpolate`"):]
    return re.findall(r"- ``(\w+)``", listed[:listed.index(":class:")])


def decomposed_when_deterministic() -> list[str]:
    """The modes that the installed ``F.interpolate`` computes another way when determinism is on and the input is
    not on the CPU: read off its source, the branches that ask ``torch.are_deterministic_algorithms_enabled()``."""
    branches = inspect.getsource(F.interpolate).split("if input.dim() == ")[1:]
    return [re.match(r'\d and mode == "(\w+)"', branch)[1] for branch in branches
            if "torch.are_deterministic_algorithms_enabled()" in branch]


def precision_table(errors: dict[str, list[tuple[float, float]]], dtypes: Sequence[torch.dtype]) -> str:
    """``precision_errors``' results, a row per mode, in units of each dtype's eps: forward, backward."""
    names = [str(dtype).removeprefix("torch.") for dtype in dtypes]
    lines = [f"{'forward, backward':<14}" + "".join(f"{name:>17}" for name in names)]
    for mode, row in errors.items():
        cells = [f"{f / torch.finfo(d).eps:5.2f}, {b / torch.finfo(d).eps:5.2f} eps"
                 for (f, b), d in zip(row, dtypes, strict=True)]
        lines.append(f"{mode:<14}" + "".join(f"{cell:>17}" for cell in cells))
    return "\n".join(lines)


def allocation_table(bench: dict) -> str:
    """The kept allocation rows: per kernel level and output size, ms per call (page faults per call) of a fresh
    output, out=, filling the output, and allocating and filling."""
    lines = []
    for level in bench["levels"]:
        lines.append(f"{level['capability']}, {level['threads']} thread, ms per call (page faults):")
        for rows in level["allocation"].values():
            cells = [f"{row['seconds'] * 1000:.2f} ({row['page_faults']:.0f})"
                     for name, row in rows.items() if name != "output MiB"]
            lines.append(f"  {rows['output MiB']:3.0f} MiB out: " + ", ".join(cells))
    return "\n".join(lines)


def backward_times(level: dict) -> dict[str, float]:
    """The kept forward-and-backward times of one kernel level, in milliseconds."""
    return {name: row["seconds"] * 1000 for name, row in level["forward and backward, (32, 64, 32, 32) → 64×64"].items()}


def area_documented_to_raise() -> bool:
    """Whether ``F.interpolate``'s ``area`` is adaptive average pooling (its source calls ``adaptive_avg_pool``) and
    the installed torch documents that pooling's CUDA backward as raising under determinism."""
    doc = torch.use_deterministic_algorithms.__doc__
    listed = ":class:`torch.nn.AdaptiveAvgPool2d` when attempting to differentiate a CUDA tensor" in doc
    return listed and "adaptive_avg_pool2d(" in inspect.getsource(F.interpolate)
