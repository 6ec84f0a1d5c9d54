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
    sides = LESSON.output_sides(factor, side)
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
        ours = LESSON.TORCH_CALLS["bilinear"](image, (side, side))
        np.testing.assert_allclose(cv2.resize(image, (side, side), interpolation=cv2.INTER_LINEAR), ours, atol=1e-6)
        pillow = np.asarray(Image.fromarray(image.astype(np.float32)).resize((side, side), Image.Resampling.BILINEAR))
        np.testing.assert_allclose(pillow, LESSON.TORCH_CALLS["bilinear, antialias"](image, (side, side)), atol=1e-5)


@pytest.mark.parametrize("side", [7, 28, 32, 101])
@pytest.mark.parametrize("factor", [0.33, 0.5, 0.9999, 1.3, 1.7, 1.8, 2.5])
def test_pillow_takes_a_factor_and_rounds_the_size(side, factor):
    """ImageOps.scale documents a factor; its size is round(factor × side), as the page's row says."""
    from PIL import Image, ImageOps

    image = Image.fromarray(np.zeros((side, side), np.float32))
    assert ImageOps.scale(image, factor).size == (round(factor * side), round(factor * side))
    assert LESSON.output_sides(factor, side)["Pillow ImageOps.scale"] == round(side * factor)


# sizes whose output height (4 rows) plus width stays within 128: torch's channels_last nearest kernel, whose
# index is floor(j × scale) with scale = (float) in / out (UpSampleKernel.cpp, nearest_idx)
NEAREST_SIZES = [(28, 50), (28, 12), (8, 20), (20, 7), (5, 13), (6, 74), (14, 46), (6, 34), (9, 51), (3, 3), (7, 14)]


@pytest.mark.parametrize(("n_in", "n_out"), NEAREST_SIZES)
def test_which_pixel_each_nearest_takes(n_in, n_out):
    """torch's nearest and its callers take floor(j × float32(in/out)); OpenCV's resizeNN floor(j × (1/(out/in)))
    in double; the nearest-exact family the pixel under the output's centre, floor((j + ½)·in/out)."""
    import kornia
    from PIL import Image
    from torchvision.transforms import v2

    ramp = np.tile(np.arange(float(n_in)), (4, 1))
    j = np.arange(n_out)
    scale = np.float32(n_in) / np.float32(n_out)
    torch_index = np.minimum(np.floor(j.astype(np.float32) * scale), n_in - 1)
    same_size = n_in == n_out
    if n_out == 2 * n_in or same_size:  # nearest_idx's special cases: j >> 1 and j
        torch_index = j // 2 if n_out == 2 * n_in else j
    opencv_index = np.minimum(np.floor(j * (1.0 / (n_out / n_in))), n_in - 1)
    centre = (2 * j + 1) * n_in // (2 * n_out)
    tensor = torch.from_numpy(ramp)[None, None]
    np.testing.assert_array_equal(F.interpolate(tensor, size=(4, n_out), mode="nearest")[0, 0, 1], torch_index)
    np.testing.assert_array_equal(F.interpolate(tensor, size=(4, n_out), mode="nearest-exact")[0, 0, 1], centre)
    np.testing.assert_array_equal(cv2.resize(ramp, (n_out, 4), interpolation=cv2.INTER_NEAREST)[1], opencv_index)
    # where an output centre falls exactly on a pixel border (8 → 20, column 7) "under the centre" is a tie
    clear = (2 * j + 1) * n_in % (2 * n_out) != 0
    exact = cv2.resize(ramp, (n_out, 4), interpolation=cv2.INTER_NEAREST_EXACT)[1]
    np.testing.assert_array_equal(exact[clear], centre[clear])
    pillow = np.asarray(Image.fromarray(ramp.astype(np.float32)).resize((n_out, 4), Image.Resampling.NEAREST))
    np.testing.assert_array_equal(pillow[1][clear], centre[clear])
    torchvision = v2.Resize((4, n_out), interpolation=v2.InterpolationMode.NEAREST)(torch.from_numpy(ramp)[None])
    np.testing.assert_array_equal(torchvision[0, 1], torch_index)
    np.testing.assert_array_equal(kornia.geometry.transform.resize(tensor, (4, n_out), interpolation="nearest")[0, 0, 1],
                                  torch_index)
    # the page's measurement and its formulas give the same columns
    np.testing.assert_array_equal(LESSON.columns_taken(LESSON.NEAREST_CALLS["torch nearest"], n_in, n_out), torch_index)
    np.testing.assert_array_equal(LESSON.opencv_nearest_formula(n_in, n_out), opencv_index)
    if not (n_out == 2 * n_in or same_size):
        np.testing.assert_array_equal(LESSON.torch_nearest_formula(n_in, n_out), torch_index)


def test_the_rounded_scales_depart_from_the_exact_floor_where_the_page_says():
    """At 28 → 50, j = 25: 25·28/50 is exactly 14, but 1/(50/28) rounds below 0.56 in double; at 6 → 74 the
    float32 scale takes torch one pixel before the exact floor."""
    assert math.floor(25 * (1.0 / (50 / 28))) == 13 and 25 * 28 // 50 == 14
    ramp = torch.arange(6.0).repeat(4, 1)[None, None]
    exact = np.arange(74) * 6 // 74
    assert not np.array_equal(F.interpolate(ramp, size=(4, 74), mode="nearest")[0, 0, 1].numpy(), exact)
    assert LESSON.nearest_rule(np.arange(50) * 28 // 50, 28) == "edge"
    assert LESSON.nearest_rule((2 * np.arange(12) + 1) * 28 // 24, 28) == "centre"
    assert LESSON.nearest_rule(np.array([0.0, 0.5, 1.0]), 2) == "blends"


SIZE_PAIRS = [(n_in, n_out) for n_in in range(1, 41) for n_out in range(1, 81)]  # the page's 3,200 pairs


def nearest_columns(n_in: int, n_out: int) -> dict[str, np.ndarray]:
    """Row 1 of a (4, n_in) ramp of column indices resized to (4, n_out) by each nearest call, called directly."""
    import kornia
    from PIL import Image
    from torchvision.transforms import v2

    ramp = np.tile(np.arange(float(n_in)), (4, 1))
    tensor = torch.from_numpy(ramp)[None, None]
    size = (4, n_out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scipy_grid = scipy.ndimage.zoom(ramp, (1, n_out / n_in), order=0, grid_mode=True, mode="nearest")
    pillow = Image.fromarray(ramp.astype(np.float32))
    columns = {
        "torch nearest": F.interpolate(tensor, size=size, mode="nearest")[0, 0],
        "torch nearest-exact": F.interpolate(tensor, size=size, mode="nearest-exact")[0, 0],
        "torchvision NEAREST": v2.Resize(size, v2.InterpolationMode.NEAREST)(tensor[0])[0],
        "torchvision NEAREST_EXACT": v2.Resize(size, v2.InterpolationMode.NEAREST_EXACT)(tensor[0])[0],
        "kornia nearest": kornia.geometry.transform.resize(tensor, size, interpolation="nearest")[0, 0],
        "OpenCV INTER_NEAREST": cv2.resize(ramp, size[::-1], interpolation=cv2.INTER_NEAREST),
        "OpenCV INTER_NEAREST_EXACT": cv2.resize(ramp, size[::-1], interpolation=cv2.INTER_NEAREST_EXACT),
        "Pillow NEAREST": pillow.resize(size[::-1], Image.Resampling.NEAREST),
        "Pillow BOX": pillow.resize(size[::-1], Image.Resampling.BOX),
        "SciPy zoom, order 0, grid_mode": scipy_grid,
    }
    return {call: np.asarray(image, dtype=np.float64)[1] for call, image in columns.items()}


@pytest.fixture(scope="module")
def columns_at_every_pair():
    return {pair: nearest_columns(*pair) for pair in SIZE_PAIRS}


def test_torchs_nearest_and_its_callers_miss_the_exact_floor_at_the_same_pairs(columns_at_every_pair):
    """torchvision's NEAREST and kornia's nearest give torch's columns at all 3,200 pairs; torch misses the exact
    floor(j·in/out) at 11 pairs, OpenCV's INTER_NEAREST at 66, each time one pixel before, where j·in/out is whole."""
    misses = {"torch nearest": [], "OpenCV INTER_NEAREST": []}
    for (n_in, n_out), columns in columns_at_every_pair.items():
        j = np.arange(n_out)
        exact = j * n_in // n_out
        for call in ("torchvision NEAREST", "kornia nearest"):
            np.testing.assert_array_equal(columns[call], columns["torch nearest"])
        for call, pairs in misses.items():
            off = columns[call] != exact
            assert (j[off] * n_in % n_out == 0).all() and (columns[call][off] == exact[off] - 1).all()
            if off.any():
                pairs.append((n_in, n_out))
    assert len(misses["torch nearest"]) == 11 and len(misses["OpenCV INTER_NEAREST"]) == 66
    assert (6, 74) in misses["torch nearest"] and (28, 50) in misses["OpenCV INTER_NEAREST"]


def test_the_centre_rule_holds_but_where_a_centre_falls_on_a_boundary(columns_at_every_pair):
    """floor((j + ½)·in/out) wherever (2j + 1)·in is not a multiple of 2·out; on a boundary, one of the two pixels
    beside it. Against torch's nearest-exact, over the 3,200 pairs (BOX: the 2,380 with out > in)."""
    unlike_torch = {"Pillow NEAREST": 0, "OpenCV INTER_NEAREST_EXACT": 0, "SciPy zoom, order 0, grid_mode": 0,
                    "torchvision NEAREST_EXACT": 0, "Pillow BOX": 0}
    torch_off_exact = enlarging = 0
    for (n_in, n_out), columns in columns_at_every_pair.items():
        j = np.arange(n_out)
        centre = (2 * j + 1) * n_in // (2 * n_out)
        boundary = (2 * j + 1) * n_in % (2 * n_out) == 0
        torch_exact = columns["torch nearest-exact"]
        torch_off_exact += not np.array_equal(torch_exact, centre)
        enlarging += n_out > n_in
        for call in ("torch nearest-exact", *unlike_torch):
            if call == "Pillow BOX" and n_out <= n_in:
                continue
            np.testing.assert_array_equal(columns[call][~boundary], centre[~boundary])
            assert set(columns[call][boundary] - centre[boundary]) <= {-1, 0}, (call, n_in, n_out)
            if call != "torch nearest-exact":
                unlike_torch[call] += not np.array_equal(columns[call], torch_exact)
    assert torch_off_exact == 47 and enlarging == 2380
    assert unlike_torch == {"Pillow NEAREST": 544, "OpenCV INTER_NEAREST_EXACT": 544,
                            "SciPy zoom, order 0, grid_mode": 75, "torchvision NEAREST_EXACT": 0, "Pillow BOX": 68}
    pillow, ours = columns_at_every_pair[2, 7]["Pillow NEAREST"], columns_at_every_pair[2, 7]["torch nearest-exact"]
    assert pillow.tolist() == [0, 0, 0, 0, 1, 1, 1] and ours.tolist() == [0, 0, 0, 1, 1, 1, 1]


def test_jax_nearest_at_28_differs_from_nearest_exact_only_on_boundaries():
    """jax.image.resize(method='nearest') at 28 → 1–80: the centre rule off the boundaries, and torch's
    nearest-exact but at 23, 41, 46, 49 and 67 columns."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    ramp = np.tile(np.arange(28.0), (4, 1))
    differs = []
    for n_out in range(1, 81):
        theirs = np.asarray(jax.image.resize(jnp.asarray(ramp), (4, n_out), "nearest"))[1]
        ours = F.interpolate(torch.from_numpy(ramp)[None, None], size=(4, n_out), mode="nearest-exact")[0, 0, 1]
        j = np.arange(n_out)
        centre, boundary = (2 * j + 1) * 28 // (2 * n_out), (2 * j + 1) * 28 % (2 * n_out) == 0
        np.testing.assert_array_equal(theirs[~boundary], centre[~boundary])
        assert set(theirs[boundary] - centre[boundary]) <= {-1, 0}
        if not np.array_equal(theirs, ours.numpy()):
            differs.append(n_out)
    assert differs == [23, 41, 46, 49, 67]


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
        call = LESSON.ANTIALIAS_CALLS[f"Pillow {name}"]
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
    antialiasing = {call for call, resize in LESSON.ANTIALIAS_CALLS.items() if np.max(resize(dots, (28, 12))) < 0.9}
    assert {call for call in LESSON.ANTIALIAS_CALLS if call.startswith("OpenCV")} == {f"OpenCV INTER_{f}" for f in flags}
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
        np.testing.assert_allclose(LESSON.LIBRARIES["cubic"]["JAX bicubic-pytorch, antialias=False"](image, (side, side)),
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

    response = LESSON.TORCH_CALLS[mode](np.eye(14), (14, 28))
    for j in range(8, 20):  # away from the borders, where torch clamps the taps
        np.testing.assert_allclose(response[7, j], keys(j / 2 - 0.25 - 7), atol=1e-12)
    assert LESSON.cubic_a(LESSON.TORCH_CALLS[mode]) == pytest.approx(a)
