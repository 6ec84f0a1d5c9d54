"""The nearest-porting lesson (lessons/plot_porting_nearest.py) and its helpers (upsample_helpers.porting): which
input column each library's nearest call takes, from torch's and OpenCV's source formulas and each library's
documentation, over the page's 3,200 size pairs; and the page's formulas and counts against the calls themselves."""

from __future__ import annotations

import math
import warnings

import cv2
import numpy as np
import pytest
import scipy.ndimage
import torch
import torch.nn.functional as F
from conftest import run_lesson

from upsample_helpers.porting import (
    CENTRE_CALLS,
    NEAREST_CALLS,
    PAIRS,
    centre_rule,
    columns_taken,
    floor_departures,
    nearest_rule,
)


@pytest.fixture(scope="module")
def page():
    """What the page defines: it runs whole, once for the suite (some seconds)."""
    return run_lesson("plot_porting_nearest")


# sizes whose output height (4 rows) plus width stays within 128: torch's channels_last nearest kernel, whose
# index is floor(j × scale) with scale = (float) in / out (UpSampleKernel.cpp, nearest_idx)
NEAREST_SIZES = [(28, 50), (28, 12), (8, 20), (20, 7), (5, 13), (6, 74), (14, 46), (6, 34), (9, 51), (3, 3), (7, 14)]


@pytest.mark.parametrize(("n_in", "n_out"), NEAREST_SIZES)
def test_which_pixel_each_nearest_takes(page, n_in, n_out):
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
    np.testing.assert_array_equal(columns_taken(NEAREST_CALLS["torch nearest"], n_in, n_out), torch_index)
    np.testing.assert_array_equal(page.opencv_nearest_formula(n_in, n_out), opencv_index)
    if not (n_out == 2 * n_in or same_size):
        np.testing.assert_array_equal(page.torch_nearest_formula(n_in, n_out), torch_index)


def test_the_rounded_scales_depart_from_the_exact_floor_where_the_page_says():
    """At 28 → 50, j = 25: 25·28/50 is exactly 14, but 1/(50/28) rounds below 0.56 in double; at 6 → 74 the
    float32 scale takes torch one pixel before the exact floor."""
    assert math.floor(25 * (1.0 / (50 / 28))) == 13 and 25 * 28 // 50 == 14
    ramp = torch.arange(6.0).repeat(4, 1)[None, None]
    exact = np.arange(74) * 6 // 74
    assert not np.array_equal(F.interpolate(ramp, size=(4, 74), mode="nearest")[0, 0, 1].numpy(), exact)
    assert nearest_rule(np.arange(50) * 28 // 50, 28) == "edge"
    assert nearest_rule((2 * np.arange(12) + 1) * 28 // 24, 28) == "centre"
    assert nearest_rule(np.array([0.0, 0.5, 1.0]), 2) == "blends"


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


def test_the_helpers_departures_and_centre_rule_are_the_tests_own(columns_at_every_pair):
    """floor_departures and centre_rule, which the page prints, against the columns this file reads itself."""
    for call in ("torch nearest", "OpenCV INTER_NEAREST"):
        expected = [(n_in, n_out, int(j), int(columns[call][j]))
                    for (n_in, n_out), columns in columns_at_every_pair.items()
                    for j in np.flatnonzero(columns[call] != np.arange(n_out) * n_in // n_out)]
        assert floor_departures(NEAREST_CALLS[call]) == expected
    pillow = centre_rule(NEAREST_CALLS["Pillow NEAREST"])
    unlike = [pair for pair, columns in columns_at_every_pair.items()
              if not np.array_equal(columns["Pillow NEAREST"], columns["torch nearest-exact"])]
    assert pillow["holds"] and pillow["unlike torch"] == unlike
    assert set(CENTRE_CALLS) == {"torch nearest-exact", "Pillow NEAREST", "OpenCV INTER_NEAREST_EXACT",
                                 "torchvision NEAREST_EXACT", "SciPy zoom, order 0, grid_mode",
                                 "Pillow BOX, enlarging", "JAX nearest, 28 → 1–80"}
    assert PAIRS == SIZE_PAIRS


def test_without_ties_every_centre_call_is_torchs_nearest_exact(columns_at_every_pair):
    """The page's advice: where no output centre falls on a pixel boundary, the centre calls agree column for
    column; and 28 → n has no such boundary exactly when 4 divides n."""
    for (n_in, n_out), columns in columns_at_every_pair.items():
        if any((2 * j + 1) * n_in % (2 * n_out) == 0 for j in range(n_out)):
            continue
        for call in ("Pillow NEAREST", "OpenCV INTER_NEAREST_EXACT", "SciPy zoom, order 0, grid_mode"):
            np.testing.assert_array_equal(columns[call], columns["torch nearest-exact"], err_msg=f"{call} {n_in}→{n_out}")
    free = [n for n in range(1, 81) if not any(math.gcd(2 * n, 28 * (2 * j + 1)) == 2 * n for j in range(n))]
    assert free == list(range(4, 81, 4))
