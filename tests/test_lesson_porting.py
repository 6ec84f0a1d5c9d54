"""The porting lesson (lessons/plot_porting.py): each library's conventions pinned by formulas written from its
documentation: the output size of a factor, where pixel centres are, antialiasing defaults, and the closest
torch call for the calls whose documentation says what they compute."""

from __future__ import annotations

import math
import warnings

import cv2
import numpy as np
import pytest
import scipy.ndimage
import skimage.transform
import torch
import torch.nn.functional as F
from conftest import lesson_definitions

LESSON = lesson_definitions("plot_porting")


@pytest.mark.parametrize("side", [7, 28, 32, 101])
@pytest.mark.parametrize("factor", [0.33, 0.5, 0.9999, 1.3, 1.7, 1.8, 2.5])
def test_output_size_rules(side, factor):
    """torch floors n × factor (F.interpolate's docs: floor(input size × scale_factor)); OpenCV's resize documents
    round(fx × cols); scikit-image's rescale np.round(scale × shape); SciPy's zoom round(shape × zoom)."""
    image, tensor = np.zeros((side, side)), torch.zeros(1, 1, side, side)
    assert F.interpolate(tensor, scale_factor=factor).shape[-1] == math.floor(side * factor)
    assert cv2.resize(image, None, fx=factor, fy=factor).shape[-1] == round(side * factor)
    assert skimage.transform.rescale(image, factor).shape[-1] == max(round(side * factor), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert scipy.ndimage.zoom(image, factor).shape[-1] == round(side * factor)
    sides = LESSON.output_sides(factor, side)
    assert sides["torch"] == sides["kornia rescale"] == math.floor(side * factor)


@pytest.mark.parametrize(("n_in", "n_out"), [(8, 20), (5, 13), (20, 7)])
def test_half_pixel_and_corner_centres(n_in, n_out):
    """Half-pixel: output j samples (j + ½)·n_in/n_out − ½; aligned corners: j·(n_in − 1)/(n_out − 1)."""
    row = np.arange(float(n_in))[None, :].repeat(4, axis=0)
    j = np.arange(n_out)
    half = np.clip((j + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    corners = j * (n_in - 1) / (n_out - 1)
    if n_out > n_in:  # enlarging: linear interpolation of a ramp gives back the coordinate
        np.testing.assert_allclose(cv2.resize(row, (n_out, 4), interpolation=cv2.INTER_LINEAR)[1], half, atol=1e-6)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            np.testing.assert_allclose(scipy.ndimage.zoom(row, (1, n_out / n_in), order=1)[1], corners, atol=1e-9)
            np.testing.assert_allclose(
                scipy.ndimage.zoom(row, (1, n_out / n_in), order=1, grid_mode=True, mode="nearest")[1], half, atol=1e-9
            )


def test_antialias_defaults_are_the_documented_ones():
    import inspect

    import jax
    import kornia

    assert inspect.signature(jax.image.resize).parameters["antialias"].default is True
    assert inspect.signature(kornia.geometry.transform.resize).parameters["antialias"].default is False
    assert inspect.signature(skimage.transform.resize).parameters["anti_aliasing"].default is None


def test_skimage_antialiases_by_default_only_when_shrinking():
    """Its docs: anti_aliasing None means True when downsampling a float image (with order > 0)."""
    image = np.random.default_rng(0).random((28, 28))
    for side in (12, 50):
        default = skimage.transform.resize(image, (side, side), order=1)
        explicit = skimage.transform.resize(image, (side, side), order=1, anti_aliasing=side < 28)
        np.testing.assert_array_equal(default, explicit)


def test_opencv_inter_linear_is_the_layers_bilinear_and_pillow_is_the_antialiased_one():
    from PIL import Image

    image = np.random.default_rng(1).random((28, 28))
    for side in (12, 50):
        ours = LESSON.TORCH_CALLS["bilinear"](image, side)
        np.testing.assert_allclose(cv2.resize(image, (side, side), interpolation=cv2.INTER_LINEAR), ours, atol=1e-6)
        pillow = np.asarray(Image.fromarray(image.astype(np.float32)).resize((side, side), Image.Resampling.BILINEAR))
        np.testing.assert_allclose(pillow, LESSON.TORCH_CALLS["bilinear, antialias"](image, side), atol=1e-5)
