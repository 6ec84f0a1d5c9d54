"""The porting lessons (lessons/plot_porting.py, plot_porting_kernels.py) and its helpers (upsample_helpers.porting): each library's
conventions pinned by formulas written from its documentation: the output size of a factor, where pixel centres
are, antialiasing defaults, which calls antialias, the cubic kernels, and the closest torch call for the calls whose
documentation says what they compute. Which pixel the nearest calls take: tests/test_lesson_porting_nearest.py."""

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
from conftest import run_lesson

from upsample_helpers.porting import (
    ANTIALIAS_CALLS,
    LIBRARIES,
    TORCH_CALLS,
    centre_convention,
    linear_centres,
    output_sides,
    recipe,
)


@pytest.mark.parametrize("side", [7, 28, 32, 101])
@pytest.mark.parametrize("factor", [0.33, 0.5, 0.9999, 1.3, 1.7, 1.8, 2.5])
def test_output_size_rules(side, factor):
    """torch floors n × factor (F.interpolate's docs: floor(input size × scale_factor)), nn.Upsample too; OpenCV's
    resize documents round(fx × cols); scikit-image's rescale np.round(scale × shape); SciPy's zoom
    round(shape × zoom)."""
    image, tensor = np.zeros((side, side)), torch.zeros(1, 1, side, side)
    assert F.interpolate(tensor, scale_factor=factor).shape[-1] == math.floor(side * factor)
    assert torch.nn.Upsample(scale_factor=factor)(tensor).shape[-1] == math.floor(side * factor)
    assert cv2.resize(image, None, fx=factor, fy=factor).shape[-1] == round(side * factor)
    assert skimage.transform.rescale(image, factor).shape[-1] == max(round(side * factor), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert scipy.ndimage.zoom(image, factor).shape[-1] == round(side * factor)
    sides = output_sides(factor, side)
    assert sides["F.interpolate"] == sides["nn.Upsample"] == sides["kornia rescale"] == math.floor(side * factor)


@pytest.mark.parametrize(("n_in", "n_out"), [(8, 20), (5, 13), (20, 7)])
def test_half_pixel_and_corner_centres(n_in, n_out):
    """Half-pixel: output j samples (j + ½)·n_in/n_out − ½; aligned corners: j·(n_in − 1)/(n_out − 1)."""
    row = np.arange(float(n_in))[None, :].repeat(4, axis=0)
    j = np.arange(n_out)
    half = np.clip((j + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    corners = j * (n_in - 1) / (n_out - 1)
    if n_out > n_in:  # enlarging: linear interpolation of a ramp gives back the coordinate
        from torchvision.transforms import v2

        np.testing.assert_allclose(cv2.resize(row, (n_out, 4), interpolation=cv2.INTER_LINEAR)[1], half, atol=1e-6)
        resized = v2.Resize((4, n_out), v2.InterpolationMode.BILINEAR)(torch.from_numpy(row)[None])[0, 1]
        np.testing.assert_allclose(resized.numpy(), half, atol=1e-9)
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
        ours = TORCH_CALLS["bilinear"](image, (side, side))
        np.testing.assert_allclose(cv2.resize(image, (side, side), interpolation=cv2.INTER_LINEAR), ours, atol=1e-6)
        pillow = np.asarray(Image.fromarray(image.astype(np.float32)).resize((side, side), Image.Resampling.BILINEAR))
        np.testing.assert_allclose(pillow, TORCH_CALLS["bilinear, antialias"](image, (side, side)), atol=1e-5)


@pytest.mark.parametrize("side", [7, 28, 32, 101])
@pytest.mark.parametrize("factor", [0.33, 0.5, 0.9999, 1.3, 1.7, 1.8, 2.5])
def test_pillow_takes_a_factor_and_rounds_the_size(side, factor):
    """ImageOps.scale documents a factor; its size is round(factor × side), as the page's row says."""
    from PIL import Image, ImageOps

    image = Image.fromarray(np.zeros((side, side), np.float32))
    assert ImageOps.scale(image, factor).size == (round(factor * side), round(factor * side))
    assert output_sides(factor, side)["Pillow ImageOps.scale"] == round(side * factor)


def test_pillow_box_averages_the_pixels_whose_centres_fall_in_the_output_pixel():
    """Pillow's docs: with BOX, each source pixel contributes to one destination pixel with identical weights; a
    pixel belongs to the output pixel whose span [j·in/out, (j + 1)·in/out) holds its centre."""
    from PIL import Image

    image = np.random.default_rng(2).random((3, 28))
    box = np.asarray(Image.fromarray(image.astype(np.float32)).resize((12, 3), Image.Resampling.BOX))
    centres = np.arange(28) + 0.5
    for j in range(12):
        inside = (centres >= j * 28 / 12) & (centres < (j + 1) * 28 / 12)
        np.testing.assert_allclose(box[:, j], image[:, inside].mean(axis=1), atol=1e-6)


def test_which_pillow_filters_antialias():
    """Every Pillow filter but NEAREST makes each output pixel of two or more input pixels when shrinking
    28 → 12 (its weights widen with the factor): no output pixel keeps a dot whole; NEAREST copies pixels, so some
    dot survives at 1. BOX does not spread a dot: each of the 28 lands in one output pixel."""
    from PIL import Image

    dots = np.eye(28, dtype=np.float32)
    for name in ("NEAREST", "BOX", "BILINEAR", "HAMMING", "BICUBIC", "LANCZOS"):
        shrunk = np.asarray(Image.fromarray(dots).resize((12, 28), getattr(Image.Resampling, name)))
        assert (shrunk.max() == 1) == (name == "NEAREST"), name
        assert ((shrunk != 0).sum(axis=0).min() >= 2) == (name != "NEAREST"), name
        call = ANTIALIAS_CALLS[f"Pillow {name}"]
        np.testing.assert_allclose(call(np.eye(28), (28, 12)), shrunk, atol=1e-6)
        if name == "BOX":
            assert ((shrunk != 0).sum(axis=1) == 1).all()


def test_which_opencv_and_skimage_calls_antialias():
    """Shrinking the dots 28 → 12: of OpenCV's seven resize flags only INTER_AREA mixes two or more inputs into
    every output pixel and keeps no dot whole; scikit-image's default does so with every order, 0 to 5 (its docs:
    a Gaussian first when shrinking), the brightest dot between 0.33 and 0.61."""
    dots = np.eye(28)
    flags = ("NEAREST", "NEAREST_EXACT", "LINEAR", "LINEAR_EXACT", "CUBIC", "LANCZOS4", "AREA")
    for flag in flags:
        shrunk = cv2.resize(dots, (12, 28), interpolation=getattr(cv2, f"INTER_{flag}"))
        fewest = (np.abs(shrunk) > 1e-9).sum(axis=0).min()
        if flag == "AREA":
            assert fewest >= 2 and 0.33 <= shrunk.max() <= 0.61
        else:
            assert fewest == 1 and shrunk.max() == pytest.approx(1), flag
    for order in range(6):
        shrunk = skimage.transform.resize(dots, (28, 12), order=order)
        assert (np.abs(shrunk) > 1e-9).sum(axis=0).min() >= 2 and 0.33 <= shrunk.max() <= 0.61, order
    antialiasing = {call for call, resize in ANTIALIAS_CALLS.items() if np.max(resize(dots, (28, 12))) < 0.9}
    assert {call for call in ANTIALIAS_CALLS if call.startswith("OpenCV")} == {f"OpenCV INTER_{f}" for f in flags}
    assert {call for call in antialiasing if call.startswith(("OpenCV", "skimage"))} == {
        "OpenCV INTER_AREA", *(f"skimage resize, order {order}" for order in range(6))}


def test_jax_bicubic_pytorch_without_antialias_is_torchs_bicubic():
    """jax.image.resize documents method='bicubic-pytorch' as matching PyTorch's bicubic; without antialias it is
    F.interpolate(mode='bicubic') to float64 rounding, enlarging and shrinking."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    image = np.random.default_rng(3).random((28, 28))
    for side in (12, 50, 56):
        theirs = np.asarray(jax.image.resize(jnp.asarray(image), (side, side), "bicubic-pytorch", antialias=False))
        ours = F.interpolate(torch.from_numpy(image)[None, None], size=(side, side), mode="bicubic")[0, 0].numpy()
        np.testing.assert_allclose(theirs, ours, atol=1e-12)
        np.testing.assert_allclose(LIBRARIES["cubic"]["JAX bicubic-pytorch, antialias=False"](image, (side, side)),
                                   ours, atol=1e-12)


def test_torchvision_without_antialias_is_the_layer():
    from torchvision.transforms import v2

    image = torch.from_numpy(np.random.default_rng(4).random((1, 28, 28)))
    for mode, name in ((v2.InterpolationMode.BILINEAR, "bilinear"), (v2.InterpolationMode.BICUBIC, "bicubic")):
        for side in (12, 50):
            resized = v2.Resize((side, side), interpolation=mode, antialias=False)(image)
            torch.testing.assert_close(resized, F.interpolate(image[None], size=(side, side), mode=name)[0])


@pytest.mark.parametrize(("mode", "a"), [("bicubic", -0.75), ("bicubic, antialias", -0.5)])
def test_the_cubic_kernels_a_is_read_from_a_dots_response(mode, a):
    """Keys' kernel: for 1 ≤ d < 2 the weight is a(d³ − 5d² + 8d − 4), for d < 1 (a + 2)d³ − (a + 3)d² + 1. Enlarging
    14 → 28, output j sits at j/2 − 1/4; the weights torch gives a dot are the kernel at those distances."""

    def keys(d):
        d = abs(d)
        return (a + 2) * d**3 - (a + 3) * d**2 + 1 if d < 1 else a * (d**3 - 5 * d**2 + 8 * d - 4) if d < 2 else 0.0

    response = TORCH_CALLS[mode](np.eye(14), (14, 28))
    for j in range(8, 20):  # away from the borders, where torch clamps the taps
        np.testing.assert_allclose(response[7, j], keys(j / 2 - 0.25 - 7), atol=1e-12)
    assert run_lesson("plot_porting_kernels").cubic_a(TORCH_CALLS[mode]) == pytest.approx(a)


def test_every_linear_call_samples_where_its_convention_puts_output_5():
    """The ramp 8 → 20 of each linear call against the formulas: half-pixel (5 + ½)·8/20 − ½, corners 5·7/19."""
    centres = linear_centres()
    for call, where in centres.items():
        corners = call in ("torch bilinear, align_corners", "SciPy zoom, order 1")
        assert where == pytest.approx(5 * 7 / 19 if corners else 5.5 * 8 / 20 - 0.5, abs=1e-6), call
        assert centre_convention(where) == ("corners" if corners else "half-pixel")
    assert centre_convention(1.0) == "other"


def test_the_recipes_calls_equal_their_torch_call_on_other_images_and_sizes():
    """The recipe is read off one digit at 28 → 50 and 28 → 12; each call it names gives its torch call's result
    on random images at other sizes too, enlarging and shrinking."""
    import jax

    jax.config.update("jax_enable_x64", True)
    from upsample_helpers import sample_digits

    found = recipe(sample_digits(1)[0, 0].double().numpy())
    rng = np.random.default_rng(5)
    for shape, size in (((20, 33), (47, 61)), ((40, 36), (17, 15))):
        image = rng.random(shape)
        for call, torch_call in found.items():
            family = next(family for family, calls in LIBRARIES.items() if call in calls)
            theirs = np.asarray(LIBRARIES[family][call](image, size), dtype=np.float64)
            np.testing.assert_allclose(theirs, TORCH_CALLS[torch_call](image, size), atol=2e-5, err_msg=call)


def test_the_sizes_centres_and_antialiasing_page_runs_whole():
    page = run_lesson("plot_porting")
    assert max(len(line) for line in page.printed) <= 80
    assert page.sides[1.8]["nn.Upsample"] == 57 and page.sides[1.8]["SciPy zoom"] == 58
