"""Independent NumPy references for nn.Upsample's modes, written from the documented formulas (float64).

Each mode is a matrix M of shape (n_out, n_in) per spatial axis, applied along every axis in turn:
output = M_H @ image @ M_W.T in 2D. Source coordinates follow the half-pixel convention
(align_corners=False) or the corner convention (align_corners=True).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


def nearest_index(d: int, n_in: int, n_out: int) -> int:
    """'nearest': output pixel d copies input pixel floor(d · n_in / n_out), in exact integer arithmetic."""
    return min(d * n_in // n_out, n_in - 1)


def nearest_exact_index(d: int, n_in: int, n_out: int) -> int:
    """'nearest-exact': output pixel d copies input pixel floor((d + ½) · n_in / n_out)."""
    return min((2 * d + 1) * n_in // (2 * n_out), n_in - 1)


def is_tie(d: int, n_in: int, n_out: int, mode: str) -> bool:
    """Whether the exact source coordinate is a whole number, where floating point may round either way."""
    numerator, denominator = (d * n_in, n_out) if mode == "nearest" else ((2 * d + 1) * n_in, 2 * n_out)
    return numerator % denominator == 0


def source_coordinates(n_in: int, n_out: int, align_corners: bool, step: float | None = None) -> np.ndarray:
    """Where each output sample falls on the input's pixel-centre axis (input pixel i is at i).

    ``step`` is the input distance between output samples; by default n_in / n_out
    (what torch uses when given a size, or a scale_factor with recompute_scale_factor=True).
    """
    d = np.arange(n_out, dtype=np.float64)
    if align_corners:
        return d * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    return (d + 0.5) * (n_in / n_out if step is None else step) - 0.5


def linear_matrix(n_in: int, n_out: int, align_corners: bool = False, step: float | None = None) -> np.ndarray:
    """Linear interpolation between the two nearest input samples; coordinates left of the first sample use it."""
    x = np.maximum(source_coordinates(n_in, n_out, align_corners, step), 0.0)
    left = np.minimum(np.floor(x).astype(int), n_in - 1)
    right = np.minimum(left + 1, n_in - 1)
    weight = x - left
    matrix = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    np.add.at(matrix, (rows, left), 1 - weight)
    np.add.at(matrix, (rows, right), weight)
    return matrix


def cubic_weight(t: np.ndarray, a: float = -0.75) -> np.ndarray:
    """Keys' cubic convolution kernel; a = -0.75 as in torch and OpenCV (Pillow uses -0.5)."""
    t = np.abs(t)
    near = ((a + 2) * t - (a + 3)) * t * t + 1
    far = ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
    return np.where(t <= 1, near, np.where(t < 2, far, 0.0))


def cubic_matrix(n_in: int, n_out: int, align_corners: bool = False, step: float | None = None,
                 a: float = -0.75) -> np.ndarray:
    """Cubic convolution over the four nearest input samples; samples past the border repeat the edge."""
    x = source_coordinates(n_in, n_out, align_corners, step)
    base = np.floor(x).astype(int)
    matrix = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    for offset in (-1, 0, 1, 2):
        index = np.clip(base + offset, 0, n_in - 1)
        np.add.at(matrix, (rows, index), cubic_weight(x - (base + offset), a))
    return matrix


def area_matrix(n_in: int, n_out: int) -> np.ndarray:
    """'area' is adaptive average pooling: output d averages inputs floor(d·n_in/n_out) .. ceil((d+1)·n_in/n_out) - 1."""
    matrix = np.zeros((n_out, n_in))
    for d in range(n_out):
        start, end = d * n_in // n_out, math.ceil((d + 1) * n_in / n_out)
        matrix[d, start:end] = 1 / (end - start)
    return matrix


def overlap_matrix(n_in: int, n_out: int) -> np.ndarray:
    """An area-weighted average: output d averages [d·s, (d+1)·s), s = n_in/n_out, each input pixel [i, i+1)
    weighed by how much of it lies inside."""
    scale = n_in / n_out
    starts, ends = np.arange(n_out)[:, None] * scale, (np.arange(n_out)[:, None] + 1) * scale
    pixels = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(ends, pixels + 1) - np.maximum(starts, pixels), 0, None)
    return overlap / scale


def triangle(t: np.ndarray) -> np.ndarray:
    """The linear-interpolation kernel, 1 − |t| on [−1, 1]."""
    return np.clip(1 - np.abs(t), 0, None)


def lanczos3(t: np.ndarray) -> np.ndarray:
    """Lanczos' kernel with 3 lobes: sinc(t)·sinc(t/3) for |t| < 3 (NumPy's sinc is sin(πt)/(πt))."""
    return np.where(np.abs(t) < 3, np.sinc(t) * np.sinc(t / 3), 0.0)


def filter_matrix(n_in: int, n_out: int, kernel: Callable[[np.ndarray], np.ndarray], radius: float) -> np.ndarray:
    """Resampling as a filter, the way Pillow's resize works: when shrinking by s = n_in/n_out > 1 the kernel is
    stretched s times (it then averages over as many input pixels as one output covers: the antialiasing);
    when enlarging it is used as is. Taps that fall outside the image are dropped and the remaining weights
    are scaled to sum to 1. Input pixel i spans [i, i + 1); output d's centre is at (d + ½)·s."""
    scale = n_in / n_out
    stretch = max(scale, 1.0)
    matrix = np.zeros((n_out, n_in))
    for d in range(n_out):
        centre = (d + 0.5) * scale
        taps = np.arange(n_in)
        weights = kernel((taps + 0.5 - centre) / stretch) * (np.abs(taps + 0.5 - centre) < radius * stretch)
        matrix[d] = weights / weights.sum()
    return matrix


def index_matrix(indices: list[int], n_in: int) -> np.ndarray:
    """The 0/1 matrix that copies input indices[d] to output d."""
    matrix = np.zeros((len(indices), n_in))
    matrix[np.arange(len(indices)), indices] = 1
    return matrix


def upsample(array: np.ndarray, matrices: list[np.ndarray]) -> np.ndarray:
    """Apply one matrix per spatial axis (the last len(matrices) axes of ``array``)."""
    result = np.asarray(array, dtype=np.float64)
    first_axis = result.ndim - len(matrices)
    for offset, matrix in enumerate(matrices):
        result = np.moveaxis(np.tensordot(matrix, np.moveaxis(result, first_axis + offset, 0), axes=1), 0, first_axis + offset)
    return result
