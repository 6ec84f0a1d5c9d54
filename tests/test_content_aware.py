"""The content-aware upsamplers and grid_sample's coordinates (upsample_helpers.content_aware), against
F.interpolate, pooling and explicit loops over pixels."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from upsample_helpers.content_aware import (
    CARAFE,
    DySample,
    bilinear_grid,
    carafe_reassemble,
    dysample,
    normalised,
    source_positions,
)


@pytest.mark.parametrize("align_corners", [False, True])
def test_sampling_at_every_pixels_normalised_centre_gives_the_image_back(align_corners):
    image = torch.rand(1, 2, 5, 7, dtype=torch.float64)
    grid = bilinear_grid((5, 7), (5, 7), align_corners)
    assert torch.allclose(F.grid_sample(image, grid, align_corners=align_corners), image, atol=1e-12)


def test_minus_one_is_the_first_pixels_centre_or_its_outer_edge():
    image = torch.tensor([[[[2.0, 4.0, 8.0]]]], dtype=torch.float64).expand(1, 1, 3, 3).contiguous()
    at_minus_one = torch.tensor([[[[-1.0, 0.0]]]], dtype=torch.float64)  # x = −1, y = the middle row
    assert F.grid_sample(image, at_minus_one, align_corners=True).item() == 2.0  # the centre of pixel 0
    # the outer edge of pixel 0: half of it, half of the zero padding beyond
    assert F.grid_sample(image, at_minus_one, align_corners=False).item() == 1.0
    assert normalised(torch.tensor(0.0), 3, True) == -1 and normalised(torch.tensor(-0.5), 3, False) == -1


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize(("size_in", "size_out"), [((4, 4), (8, 8)), ((5, 3), (9, 7)), ((8, 6), (5, 4)), ((3, 3), (3, 5))])
def test_interpolates_bilinear_is_grid_sample_on_its_grid(align_corners, size_in, size_out):
    image = torch.rand(2, 3, *size_in, dtype=torch.float64)
    expected = F.interpolate(image, size=size_out, mode="bilinear", align_corners=align_corners)
    # interpolate repeats the edge where the half-pixel rule reaches past it: grid_sample's border padding
    sampled = F.grid_sample(image, bilinear_grid(size_in, size_out, align_corners).expand(2, -1, -1, -1),
                            mode="bilinear", padding_mode="border", align_corners=align_corners)
    torch.testing.assert_close(sampled, expected, rtol=0, atol=1e-12)


def test_source_positions_are_the_documented_rules():
    assert source_positions(4, 8, False).tolist() == [-0.25, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.25]
    assert source_positions(4, 7, True).tolist() == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]


@pytest.mark.parametrize("scale", [2, 3])
def test_dysample_with_zero_offsets_is_bilinear_upsampling_with_align_corners_false(scale):
    features = torch.rand(2, 4, 6, 5, dtype=torch.float64)
    expected = F.interpolate(features, scale_factor=scale, mode="bilinear", align_corners=False)
    zero = torch.zeros(2, 2, 6 * scale, 5 * scale, dtype=torch.float64)
    torch.testing.assert_close(dysample(features, zero), expected, rtol=0, atol=1e-12)
    untrained = DySample(4, scale).double()
    torch.testing.assert_close(untrained(features), expected, rtol=0, atol=1e-12)
    assert not torch.allclose(
        F.interpolate(features, scale_factor=scale, mode="bilinear", align_corners=True), expected)


def test_an_offset_of_one_pixel_to_the_right_samples_the_next_input_column():
    features = torch.rand(1, 1, 6, 8, dtype=torch.float64)
    offsets = torch.zeros(1, 2, 12, 16, dtype=torch.float64)
    offsets[:, 0] = 1.0  # x, in input pixels
    shifted = F.interpolate(features[..., 1:], scale_factor=2, mode="bilinear", align_corners=False)
    # away from the right edge, where the border repeats, sampling at x + 1 reads the image shifted left by one
    torch.testing.assert_close(dysample(features, offsets)[..., 2:12], shifted[..., 2:12], rtol=0, atol=1e-12)


def test_dysample_offsets_are_a_quarter_of_its_convolution_pixel_shuffled():
    module = DySample(3, scale=2).double()
    with torch.no_grad():
        module.offset.weight.normal_()
    features = torch.rand(1, 3, 4, 4, dtype=torch.float64)
    raw = module.offset(features)  # (1, 8, 4, 4): channel c·4 + 2i + j is channel c at sub-pixel (i, j)
    offsets = module.offsets(features)
    for channel in range(2):
        for i in range(2):
            for j in range(2):
                torch.testing.assert_close(offsets[0, channel, i::2, j::2], 0.25 * raw[0, channel * 4 + 2 * i + j])


def reassemble_by_loop(features, kernels, scale):
    count, channels, height, width = features.shape
    size = int(kernels.shape[1] ** 0.5)
    out = torch.zeros(count, channels, scale * height, scale * width, dtype=features.dtype)
    for n in range(count):
        for i in range(scale * height):
            for j in range(scale * width):
                for a in range(size):
                    for b in range(size):
                        y, x = i // scale + a - size // 2, j // scale + b - size // 2
                        if 0 <= y < height and 0 <= x < width:
                            out[n, :, i, j] += kernels[n, a * size + b, i, j] * features[n, :, y, x]
    return out


@pytest.mark.parametrize(("size", "scale"), [(3, 2), (5, 2), (3, 3)])
def test_carafe_reassembly_against_a_loop_over_pixels(size, scale):
    features = torch.rand(2, 3, 4, 5, dtype=torch.float64)
    kernels = torch.rand(2, size * size, 4 * scale, 5 * scale, dtype=torch.float64)
    torch.testing.assert_close(carafe_reassemble(features, kernels, scale), reassemble_by_loop(features, kernels, scale),
                               rtol=0, atol=1e-12)


def test_carafe_with_a_uniform_kernel_is_the_neighbourhood_mean_then_nearest():
    features = torch.rand(2, 3, 6, 7, dtype=torch.float64)
    uniform = torch.full((2, 25, 12, 14), 1 / 25, dtype=torch.float64)
    mean = F.avg_pool2d(features, 5, stride=1, padding=2, count_include_pad=True)  # zeros beyond the edges count
    torch.testing.assert_close(carafe_reassemble(features, uniform, 2), F.interpolate(mean, scale_factor=2),
                               rtol=0, atol=1e-12)


def test_carafes_kernels_are_normalised_and_its_output_the_reassembly():
    module = CARAFE(3, scale=2, kernel_size=5).double()
    features = torch.rand(2, 3, 6, 6, dtype=torch.float64)
    kernels = module.kernels(features)
    assert kernels.shape == (2, 25, 12, 12) and (kernels > 0).all()
    torch.testing.assert_close(kernels.sum(dim=1), torch.ones(2, 12, 12, dtype=torch.float64))
    torch.testing.assert_close(module(features), reassemble_by_loop(features, kernels, 2), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="odd k, got 16"):
        carafe_reassemble(features, torch.rand(2, 16, 12, 12), 2)


def test_carafes_grouped_kernels_are_the_papers_pixel_shuffled_ones():
    """The paper pixel-shuffles the encoder's k²·scale² channels over the output, then takes a softmax over each
    output pixel's k² values; grouping the same channels by input pixel gives the same kernels."""
    torch.manual_seed(1)
    module = CARAFE(6, scale=2, kernel_size=3, encoder_size=1, compressed=None).double()
    guide = torch.rand(2, 6, 5, 4, dtype=torch.float64)
    papers = F.pixel_shuffle(module.encode(guide), 2).softmax(dim=1)
    torch.testing.assert_close(module.kernels(guide), papers, rtol=0, atol=1e-15)
    values = torch.rand(2, 1, 5, 4, dtype=torch.float64)
    torch.testing.assert_close(module(guide, values), reassemble_by_loop(values, papers, 2), rtol=0, atol=1e-12)
