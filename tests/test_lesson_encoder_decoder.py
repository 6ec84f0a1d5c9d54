"""The encoder–decoder lesson (lessons/plot_encoder_decoder.py): its U-Net, the bottom path and its shifts, the
segmentation digits, label resizing, IoU and the segmenter's training (upsample_helpers.encoder_decoder), each
against an independent reference: formulas, NumPy, SciPy and torchvision. The page itself trains for half a
minute; the gallery build and .ci/check_kernel_levels.py run it, and its asserts check its text."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import ndimage

from upsample_helpers import encoder_decoder as ed

matplotlib.use("Agg")

SIDES = range(8, 49)


# ---------------------------------------------------------------------------
# The U-Net and the bottom path
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("fix", ed.FIXES)
def test_unet_runs_and_reaches_the_bottom_at_the_sizes_the_pooling_formula_gives(fix):
    """Floor pooling three times: a side s reaches the bottom as s // 8, or as ceil(s / 8) once padded to a
    multiple of 8. Doubling alone meets every skip only where 8 divides s; every fix gives back s."""
    for side in SIDES:
        model, bottoms = ed.UNet(fix), []
        model.bottom.register_forward_hook(lambda module, args, out, seen=bottoms: seen.append(args[0].shape[-1]))
        expected_out = side if fix != "scale_factor=2" or side % 8 == 0 else None
        assert ed.output_side(fix, side) == expected_out, side
        if expected_out is not None:
            model(torch.zeros(1, 1, side, side))
            assert bottoms == [-(-side // 8) if fix == "pad the input" else side // 8]


def test_a_mismatched_skip_is_torchs_own_sizes_error():
    with pytest.raises(RuntimeError, match="Sizes of tensors must match"):
        ed.UNet("scale_factor=2")(torch.zeros(1, 1, 28, 28))
    with pytest.raises(ValueError, match=r"fix must be one of \(.*\), got 'bogus'"):
        ed.UNet("bogus")


def numpy_meet(deep: np.ndarray, height: int, width: int, fix: str) -> np.ndarray:
    """meet_skip for a 2D array, from NumPy indexing and padding (negative differences crop)."""
    if fix == "size of the skip":  # torch's 'nearest': source index floor(i · in / out)
        rows = np.floor(np.arange(height) * (deep.shape[0] / height)).astype(int)
        columns = np.floor(np.arange(width) * (deep.shape[1] / width)).astype(int)
        return deep[np.ix_(rows, columns)]
    doubled = deep.repeat(2, axis=0).repeat(2, axis=1)
    if fix in ("scale_factor=2", "pad the input"):
        return doubled
    before = {"pad at the end": lambda d: 0, "pad centred": lambda d: d // 2, "pad at the start": lambda d: d}[fix]

    def fit(array, axis, size):
        difference = size - array.shape[axis]
        start = before(difference)
        if difference >= 0:
            pad = [(0, 0), (0, 0)]
            pad[axis] = (start, difference - start)
            return np.pad(array, pad)
        keep = np.arange(-start, -start + size)  # F.pad with negative amounts drops that many at each side
        return np.take(array, keep, axis=axis)

    return fit(fit(doubled, 0, height), 1, width)


@pytest.mark.parametrize("fix", ed.FIXES[1:5])
@pytest.mark.parametrize(("deep", "skip"), [((3, 3), (7, 7)), ((3, 4), (6, 9)), ((4, 4), (7, 7)), ((5, 2), (9, 5))])
def test_meet_skip_against_numpy(fix, deep, skip):
    values = np.random.default_rng(0).random(deep)
    met = ed.meet_skip(torch.from_numpy(values)[None, None], torch.zeros(1, 1, *skip), fix)
    np.testing.assert_array_equal(met[0, 0].numpy(), numpy_meet(values, *skip, fix))


def numpy_bottom_path(image: np.ndarray, fix: str) -> np.ndarray | None:
    """bottom_path for a 2D array: 2×2 max pooling (floor) three times, then meet each skip's size."""
    side = image.shape
    x = np.pad(image, [(0, -n % 8) for n in side]) if fix == "pad the input" else image
    skips = []
    for _ in range(3):
        skips.append(x.shape)
        h, w = x.shape[0] // 2, x.shape[1] // 2
        x = x[: 2 * h, : 2 * w].reshape(h, 2, w, 2).max(axis=(1, 3))
    for shape in reversed(skips):
        x = numpy_meet(x, *shape, fix)
        if x.shape != shape:
            return None
    return x[: side[0], : side[1]]


@pytest.mark.parametrize("fix", ed.FIXES)
def test_bottom_path_against_numpy_at_every_side(fix):
    rng = np.random.default_rng(1)
    for side in SIDES:
        image = rng.random((side, side))
        expected = numpy_bottom_path(image, fix)
        if expected is None:
            with pytest.raises(RuntimeError):
                ed.bottom_path(torch.from_numpy(image)[None, None], fix)
        else:
            np.testing.assert_array_equal(ed.bottom_path(torch.from_numpy(image)[None, None], fix)[0, 0].numpy(),
                                          expected)


@pytest.mark.parametrize("side", SIDES)
def test_impulse_shifts_against_the_formulas_and_a_numpy_centroid(side):
    """Formulas: the doubling fixes lose side % 8 rows; padding at the end moves nothing, at the start moves
    everything by side % 8; padding the input loses and moves nothing. The skip's size: the shifts of a NumPy
    centroid over the same bottom cells."""
    shifts = {fix: ed.impulse_shift(side, fix) for fix in ed.FIXES}
    assert (shifts["scale_factor=2"] is None) == (side % 8 != 0)
    for fix in ed.FIXES[1:5]:
        assert shifts[fix].lost == side % 8
    assert (shifts["pad at the end"].first, shifts["pad at the end"].last) == (0, 0)
    assert (shifts["pad centred"].first, shifts["pad centred"].last) == (0, 0)
    assert shifts["pad at the start"].first == shifts["pad at the start"].last == side % 8
    assert (shifts["pad the input"].lost, shifts["pad the input"].first, shifts["pad the input"].last) == (0, 0, 0)
    responses = []
    for row in range(side):
        impulse = np.zeros((side, side))
        impulse[row, row] = 1
        out = numpy_bottom_path(impulse, "size of the skip").sum(axis=1)
        responses.append(ndimage.center_of_mass(out)[0] - row if out.sum() else None)
    reached = [row for row in range(side) if responses[row] is not None]
    assert len(reached) == side - side % 8
    cells = [range(start, start + 8) for start in range(0, len(reached) - 7, 8)]
    first, last = (np.mean([responses[row] for row in cell]) for cell in (cells[0], cells[-1]))
    assert shifts["size of the skip"].first == pytest.approx(first, abs=1e-12)
    assert shifts["size of the skip"].last == pytest.approx(last, abs=1e-12)


def test_torchvisions_feature_pyramid_upsamples_to_each_maps_size_at_odd_sides():
    """The page's reference: torchvision's FPN meets maps of sides 7 and 3 (28 pooled twice, and again)."""
    from torchvision.ops import FeaturePyramidNetwork

    fpn = FeaturePyramidNetwork([4, 8], 5)
    out = fpn({"fine": torch.rand(1, 4, 7, 7), "coarse": torch.rand(1, 8, 3, 3)})
    assert [tuple(value.shape[-2:]) for value in out.values()] == [(7, 7), (3, 3)]
    with pytest.raises(RuntimeError, match="must match"):
        torch.cat([F.interpolate(torch.rand(1, 8, 3, 3), scale_factor=2), torch.rand(1, 4, 7, 7)], dim=1)


def test_torchvisions_segmentation_models_enlarge_their_logits_bilinearly_with_align_corners_false():
    from torchvision.models.segmentation.fcn import FCN

    class Backbone(torch.nn.Module):
        def forward(self, x):
            return {"out": F.avg_pool2d(x, 4)}

    classifier = torch.nn.Conv2d(3, 4, 1)
    images = torch.rand(2, 3, 40, 40)
    logits = classifier(F.avg_pool2d(images, 4))
    expected = F.interpolate(logits, size=(40, 40), mode="bilinear", align_corners=False)
    torch.testing.assert_close(FCN(Backbone(), classifier)(images)["out"], expected)


def test_sizes_figure_marks_every_failure_and_counts_the_lost_rows():
    sides = range(20, 41)
    shifts = {fix: [ed.impulse_shift(side, fix) for side in sides] for fix in ed.FIXES}
    figure = ed.plot_sizes(sides, shifts)
    ax = figure.axes[0]
    texts = [text.get_text() for text in ax.texts]
    assert texts.count("fails") == 18  # scale_factor=2 at the 18 sides that 8 does not divide
    assert texts[len(sides):2 * len(sides)] == [str(side % 8) for side in sides]  # size of the skip: lost rows
    assert [label.get_text() for label in ax.get_yticklabels()] == list(ed.FIXES)
    assert figure.axes[1].get_ylabel() == "largest shift (pixels)"
    matplotlib.pyplot.close(figure)


# ---------------------------------------------------------------------------
# Digits to segment
# ---------------------------------------------------------------------------
def test_pools_are_disjoint_digits_of_the_lessons_classes():
    pools = ed.digit_pools((30, 20, 10))
    assert [len(digits) for digits, _ in pools] == [30, 20, 10]
    seen = [{digit.numpy().tobytes() for digit in digits} for digits, _ in pools]
    assert not (seen[0] & seen[1] or seen[0] & seen[2] or seen[1] & seen[2])
    assert all(set(labels.tolist()) <= set(range(len(ed.CLASSES))) for _, labels in pools)
    with pytest.raises(ValueError, match="fewer than the 5000 asked for"):
        ed.digit_pools((5000,))


def test_canvases_label_exactly_the_pixels_a_digits_stroke_covers():
    digits, labels = ed.digit_pools((40,))[0]
    images, masks = ed.canvases(digits, labels, 25, seed=3)
    assert images.shape == (25, 1, ed.CANVAS, ed.CANVAS) and masks.shape == (25, ed.CANVAS, ed.CANVAS)
    # the brighter pixel wins where digits overlap, so a pixel is a stroke's if and only if it is brighter than STROKE
    np.testing.assert_array_equal((masks > 0).numpy(), (images[:, 0] > ed.STROKE).numpy())
    assert set(masks.unique().tolist()) <= set(range(len(ed.LABELS)))
    # each image's labels come from the two digits it holds: at most two digit labels per image
    assert all(len(set(mask.unique().tolist()) - {0}) <= 2 for mask in masks)


# ---------------------------------------------------------------------------
# Resizing label maps
# ---------------------------------------------------------------------------
def random_masks(count: int, side: int, seed: int = 0, coarse_side: int = 5) -> torch.Tensor:
    """Blocky label maps: a random coarse map of labels enlarged to side×side, so that regions have boundaries."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, len(ed.LABELS), size=(count, coarse_side, coarse_side))
    rows = np.arange(side) * coarse_side // side
    return torch.from_numpy(coarse[:, rows][:, :, rows])


@pytest.mark.parametrize(("source", "side"), [(40, 10), (10, 40), (40, 28), (28, 40), (40, 15)])
def test_nearest_modes_copy_the_labels_numpy_indexing_picks(source, side):
    masks = random_masks(4, source)
    for mode, index in (("nearest", lambda i: np.floor(i * source / side)),
                        ("nearest-exact", lambda i: np.floor((i + 0.5) * source / side))):
        picks = np.minimum(index(np.arange(side)), source - 1).astype(int)
        np.testing.assert_array_equal(ed.resize_labels(masks, side, mode).numpy(), masks.numpy()[:, picks][:, :, picks])


def numpy_bilinear(array: np.ndarray, side: int) -> np.ndarray:
    """Bilinear resizing of the last two axes, align_corners=False, no antialias, from the formula."""
    source = array.shape[-1]
    where = np.clip((np.arange(side) + 0.5) * source / side - 0.5, 0, None)
    low = np.floor(where).astype(int)
    high, weight = np.minimum(low + 1, source - 1), where - low
    rows = array[..., low, :] * (1 - weight)[:, None] + array[..., high, :] * weight[:, None]
    return rows[..., low] * (1 - weight) + rows[..., high] * weight


@pytest.mark.parametrize(("source", "side"), [(40, 10), (10, 40), (40, 28)])
def test_bilinear_then_round_and_one_hot_arg_max_against_numpy(source, side):
    masks = random_masks(3, source, seed=1)
    numbers = numpy_bilinear(masks.numpy().astype(float), side)
    np.testing.assert_array_equal(ed.resize_labels(masks, side, "bilinear").numpy(), np.round(numbers))
    one_hot = np.stack([numpy_bilinear((masks.numpy() == label).astype(float), side) for label in range(len(ed.LABELS))],
                       axis=1)
    expected = one_hot.argmax(axis=1)
    ours = ed.resize_labels(masks, side, "one-hot").numpy()
    ties = np.sort(one_hot, axis=1)[:, -1] - np.sort(one_hot, axis=1)[:, -2] < 1e-12  # either label is right there
    np.testing.assert_array_equal(ours[~ties], expected[~ties])


def test_one_hot_antialias_is_a_block_vote_where_a_label_holds_most_of_the_wider_window():
    """At 4× shrinking, antialiased bilinear weighs an 8×8 window with a triangle (torch's antialias support is the
    scale); NumPy's triangle-weighted vote picks the same label wherever it wins clearly."""
    masks = random_masks(3, 40, seed=2)
    taps = np.array([0.5, 1.5, 2.5, 3.5, 3.5, 2.5, 1.5, 0.5])
    taps /= taps.sum()
    padded = np.pad((masks.numpy()[:, None] == np.arange(len(ed.LABELS))[None, :, None, None]).astype(float),
                    [(0, 0), (0, 0), (2, 2), (2, 2)])
    weights = np.zeros((10, 44))
    for j in range(10):
        weights[j, 4 * j:4 * j + 8] = taps
    weights[:, 2] += weights[:, 0] + weights[:, 1]  # the window's parts outside the image fold back
    weights[:, -3] += weights[:, -1] + weights[:, -2]  # onto its edge pixels, as renormalising does
    weights[:, [0, 1, -2, -1]] = 0
    weights /= weights.sum(axis=1, keepdims=True)
    votes = np.einsum("ih,nlhw,jw->nlij", weights, padded, weights)
    clear = np.sort(votes, axis=1)[:, -1] - np.sort(votes, axis=1)[:, -2] > 0.05
    np.testing.assert_array_equal(ed.resize_labels(masks, 10, "one-hot", antialias=True).numpy()[clear],
                                  votes.argmax(axis=1)[clear])


@pytest.mark.parametrize(("source", "side"), [(10, 40), (40, 10)])
def test_outside_neighbours_counts_what_a_loop_over_pixels_counts(source, side):
    masks = random_masks(3, source, seed=4)
    resized = ed.resize_labels(masks, side, "bilinear", antialias=side < source)
    expected = 0
    for n in range(3):
        for i in range(side):
            for j in range(side):
                if side > source:  # the 2×2 around (i + 0.5)·source/side − 0.5
                    y, x = ((i + 0.5) * source / side - 0.5, (j + 0.5) * source / side - 0.5)
                    rows = {min(max(int(np.floor(y)), 0) + k, source - 1) for k in (0, 1)}
                    columns = {min(max(int(np.floor(x)), 0) + k, source - 1) for k in (0, 1)}
                else:  # the pixel's block
                    factor = source // side
                    rows, columns = range(i * factor, (i + 1) * factor), range(j * factor, (j + 1) * factor)
                labels = {int(masks[n, r, c]) for r in rows for c in columns}
                expected += int(resized[n, i, j]) not in labels
    assert ed.outside_neighbours(resized, masks) == expected > 0


def test_region_shift_is_the_mean_of_scipys_centres_of_mass():
    masks = random_masks(3, 40, seed=5, coarse_side=7)  # boundaries off the 4-pixel grid
    resized = ed.resize_labels(masks, 10, "nearest")
    shifts = []
    for small, large in zip(resized.numpy(), masks.numpy(), strict=True):
        for label in range(1, len(ed.LABELS)):
            if (small == label).any() and (large == label).any():
                centre_small = np.array(ndimage.center_of_mass(small == label)) * 4 + 1.5  # small pixel j at 4j + 1.5
                shifts.extend(centre_small - np.array(ndimage.center_of_mass(large == label)))
    assert ed.region_shift(resized, masks) == pytest.approx(np.mean(shifts), abs=1e-12)
    assert abs(np.mean(shifts)) > 0.1


# ---------------------------------------------------------------------------
# Scores, the ways to full size, training
# ---------------------------------------------------------------------------
def test_mean_iou_against_a_confusion_matrix():
    rng = np.random.default_rng(6)
    truth, predicted = rng.integers(0, 4, size=(2, 5, 9, 9))
    confusion = np.bincount(4 * truth.ravel() + predicted.ravel(), minlength=16).reshape(4, 4)
    iou = np.diag(confusion) / (confusion.sum(axis=0) + confusion.sum(axis=1) - np.diag(confusion))
    assert ed.mean_iou(torch.from_numpy(predicted), torch.from_numpy(truth)) == pytest.approx(iou.mean(), abs=1e-12)
    everywhere_background = torch.zeros(2, 8, 8, dtype=torch.long)
    truth = everywhere_background.clone()
    truth[:, :2] = 1  # a quarter digit 0: background's IoU is 3/4, the others' 0
    assert ed.mean_iou(everywhere_background, truth) == pytest.approx(0.75 / 4)


def test_boundary_accuracy_against_a_loop_over_four_neighbours():
    rng = np.random.default_rng(7)
    truth, predicted = random_masks(2, 12, seed=8).numpy(), rng.integers(0, 4, size=(2, 12, 12))
    right = total = 0
    for n in range(2):
        for i in range(12):
            for j in range(12):
                neighbours = [(i + a, j + b) for a, b in ((1, 0), (-1, 0), (0, 1), (0, -1)) if 0 <= i + a < 12 and 0 <= j + b < 12]
                if any(truth[n, y, x] != truth[n, i, j] for y, x in neighbours):
                    total += 1
                    right += predicted[n, i, j] == truth[n, i, j]
    assert ed.boundary_accuracy(torch.from_numpy(predicted), torch.from_numpy(truth)) == pytest.approx(right / total)


def test_the_arg_max_way_repeats_each_small_label_in_a_4x4_block_and_the_logit_ways_do_not():
    logits = torch.randn(3, len(ed.LABELS), 10, 10, dtype=torch.float64)
    small = logits.argmax(dim=1).numpy()
    np.testing.assert_array_equal(ed.full_size(logits, ed.WAYS[0]).numpy(), small.repeat(4, axis=1).repeat(4, axis=2))
    for way in ed.WAYS[1:]:
        enlarged = ed.full_size(logits, way).numpy()
        assert (enlarged[:, 1:] != enlarged[:, :-1])[:, [row for row in range(39) if row % 4 != 3]].any()


DRAW = """
import sys, torch
from upsample_helpers.encoder_decoder import Segmenter
model = Segmenter().double().reset_parameters(torch.Generator().manual_seed(1))
torch.save([p.detach() for p in model.parameters()], sys.argv[1])
"""


def test_initial_weights_are_torchs_default_range_and_the_same_at_the_default_kernel_level(tmp_path):
    import os
    import subprocess
    import sys

    model = ed.Segmenter().double().reset_parameters(torch.Generator().manual_seed(1))
    for layer in (layer for layer in model.layers if isinstance(layer, torch.nn.Conv2d)):
        bound = 1 / np.sqrt(layer.in_channels * layer.kernel_size[0] * layer.kernel_size[1])
        for parameter in (layer.weight, layer.bias):
            assert parameter.abs().max() <= bound and parameter.abs().max() > 0.8 * bound
    path = tmp_path / "weights.pt"
    subprocess.run([sys.executable, "-c", DRAW, str(path)], check=True,
                   env={**os.environ, "ATEN_CPU_CAPABILITY": "default"})
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), torch.load(path), strict=True))


def test_training_repeats_per_seed_restores_threads_and_keeps_the_best_validation_epoch():
    pools = ed.digit_pools((60, 20))
    images, masks = ed.canvases(*pools[0], 48, seed=0)
    valid = ed.canvases(*pools[1], 16, seed=1)
    images, valid = images.double(), (valid[0].double(), valid[1])
    threads = torch.get_num_threads()
    runs = [ed.train_segmenter(images, masks, valid, epochs, seed=0) for epochs in (1, 2, 3)]
    again, _ = ed.train_segmenter(images, masks, valid, 3, seed=0)
    assert torch.get_num_threads() == threads
    assert all(torch.equal(a, b) for a, b in zip(runs[2][0].parameters(), again.parameters(), strict=True))
    with torch.no_grad():
        scores = [ed.mean_iou(ed.full_size(model(valid[0]), ed.WAYS[1]), valid[1]) for model, _ in runs]
    # one training, stopped after 1, 2 and 3 epochs: each keeps the best epoch so far, so its score never falls
    assert scores == sorted(scores)
    epochs = [epoch for _, epoch in runs]
    assert epochs[0] == 1 and epochs[1] in (1, 2) and epochs[2] in (epochs[1], 3)


def test_masks_figure_draws_each_mask_and_counts_where_it_differs():
    masks = random_masks(1, 40, seed=9)[0]
    small = ed.resize_labels(masks[None], 10, "nearest")[0]
    figure = ed.plot_masks(torch.rand(40, 40), {"mask": masks, "small": small}, reference="mask")
    pictures = [ax for ax in figure.axes if ax.images]
    np.testing.assert_array_equal(pictures[1].images[0].get_array(), masks.numpy())
    np.testing.assert_array_equal(pictures[2].images[0].get_array(), small.numpy())
    differs = int((small.numpy().repeat(4, 0).repeat(4, 1) != masks.numpy()).sum())
    assert pictures[3].get_title() == f"{differs} pixels differ"
    assert [label.get_text() for label in figure.axes[-1].get_yticklabels()] == list(ed.LABELS)
    matplotlib.pyplot.close(figure)
