"""Content-aware upsamplers, written from their papers in plain PyTorch (``unfold`` and ``grid_sample``, no
compiled operators), and the coordinates ``grid_sample`` works in.

CARAFE (Wang et al., "CARAFE: Content-Aware ReAssembly of FEatures", ICCV 2019) predicts, for every output
pixel, a k×k kernel from the content (a 1×1 convolution compresses the channels, a convolution encodes them into
scale²·k² values per input pixel, a pixel shuffle spreads them over the output and a softmax normalises each
kernel), then reassembles: each output pixel is its kernel's weighted sum of the k×k neighbourhood around the
input pixel it lies in.

DySample (Liu et al., "Learning to Upsample by Learning to Sample", ICCV 2023) predicts, for every output pixel,
an offset from the position bilinear upsampling would sample (a 1×1 convolution to 2·scale² values per input
pixel, times a static scope factor of 0.25, pixel-shuffled over the output), and samples the input there with
bilinear ``grid_sample``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


# ---------------------------------------------------------------------------
# grid_sample's coordinates
# ---------------------------------------------------------------------------
def normalised(position: torch.Tensor, size: int, align_corners: bool) -> torch.Tensor:
    """A position in pixels (pixel i's centre at i) as grid_sample's normalised coordinate along a side of
    ``size`` pixels. align_corners=True: −1 and 1 are the centres of the first and last pixels; False: −1 and 1
    are the outer edges of the first and last pixels, half a pixel beyond their centres."""
    if align_corners:
        return 2 * position / (size - 1) - 1
    return (2 * position + 1) / size - 1


def source_positions(size_in: int, size_out: int, align_corners: bool) -> torch.Tensor:
    """Where, in input pixels, F.interpolate's linear modes sample for each output pixel: align_corners=True
    i·(in − 1)/(out − 1); False (i + 0.5)·in/out − 0.5, the half-pixel rule."""
    index = torch.arange(size_out, dtype=torch.float64)
    if align_corners:
        return index * (size_in - 1) / max(size_out - 1, 1)
    return (index + 0.5) * size_in / size_out - 0.5


def bilinear_grid(size_in: tuple[int, int], size_out: tuple[int, int], align_corners: bool) -> torch.Tensor:
    """The grid (1, H_out, W_out, 2) of normalised (x, y) that makes grid_sample sample where F.interpolate's
    bilinear mode does."""
    rows = normalised(source_positions(size_in[0], size_out[0], align_corners), size_in[0], align_corners)
    columns = normalised(source_positions(size_in[1], size_out[1], align_corners), size_in[1], align_corners)
    y, x = torch.meshgrid(rows, columns, indexing="ij")
    return torch.stack([x, y], dim=-1)[None]  # grid_sample takes x (the column) first


# ---------------------------------------------------------------------------
# CARAFE
# ---------------------------------------------------------------------------
def carafe_reassemble(features: torch.Tensor, kernels: torch.Tensor, scale: int) -> torch.Tensor:
    """(N, C, H, W) features and (N, k², scale·H, scale·W) kernels → (N, C, scale·H, scale·W).

    Output pixel (i, j) is Σ over the k×k taps (a, b) of kernels[:, a·k + b, i, j] times features[:, :,
    i // scale + a − k // 2, j // scale + b − k // 2], zero beyond the edges.
    """
    count, taps = kernels.shape[:2]
    grouped = F.pixel_unshuffle(kernels, scale).view(count, taps, scale * scale, *features.shape[-2:])
    return reassemble(features, grouped, scale)


def reassemble(features: torch.Tensor, grouped: torch.Tensor, scale: int) -> torch.Tensor:
    """carafe_reassemble with the kernels grouped by the input pixel their output pixels lie in: (N, k², scale²,
    H, W), where [:, :, a·scale + b, h, w] is the kernel of output pixel (h·scale + a, w·scale + b)."""
    count, channels, height, width = features.shape
    size = round(grouped.shape[1] ** 0.5)
    if size * size != grouped.shape[1] or size % 2 == 0:
        raise ValueError(f"kernels must have k² channels for an odd k, got {grouped.shape[1]}")
    patches = F.unfold(features, size, padding=size // 2).view(count, channels, size * size, height, width)
    reassembled = torch.einsum("nckhw,nkshw->ncshw", patches, grouped)  # (N, C, scale², H, W)
    return F.pixel_shuffle(reassembled.reshape(count, channels * scale * scale, height, width), scale)


class CARAFE(nn.Module):
    """CARAFE: kernels predicted from the content, softmax-normalised, then carafe_reassemble.

    The paper's kernel predictor compresses the channels (a 1×1 convolution to ``compressed`` channels) and
    encodes them (an ``encoder_size`` convolution); ``compressed=None`` leaves the compressor out, for inputs
    that have few channels already. ``forward(guide, values)`` predicts the kernels from ``guide`` and
    reassembles ``values`` (by default the guide itself).
    """

    def __init__(self, channels: int, scale: int = 2, kernel_size: int = 5, encoder_size: int = 3,
                 compressed: int | None = 16) -> None:
        super().__init__()
        self.scale, self.kernel_size = scale, kernel_size
        self.compress = nn.Conv2d(channels, compressed, 1) if compressed else nn.Identity()
        self.encode = nn.Conv2d(compressed or channels, scale**2 * kernel_size**2, encoder_size,
                                padding=encoder_size // 2)

    def grouped_kernels(self, guide: torch.Tensor) -> torch.Tensor:
        """(N, k², scale², H, W): the normalised k×k kernel of each output pixel, by the input pixel it lies in.
        The encoder's channel t·scale² + s is tap t of sub-pixel s, as the paper's pixel shuffle arranges them."""
        encoded = self.encode(self.compress(guide))  # (N, k²·scale², H, W)
        count, _, height, width = encoded.shape
        return encoded.view(count, self.kernel_size**2, self.scale**2, height, width).softmax(dim=1)

    def kernels(self, guide: torch.Tensor) -> torch.Tensor:
        """(N, k², scale·H, scale·W): one normalised k×k kernel per output pixel, as the paper draws them."""
        grouped = self.grouped_kernels(guide)
        return F.pixel_shuffle(grouped.flatten(1, 2), self.scale)

    def forward(self, guide: torch.Tensor, values: torch.Tensor | None = None) -> torch.Tensor:
        return reassemble(guide if values is None else values, self.grouped_kernels(guide), self.scale)


# ---------------------------------------------------------------------------
# DySample
# ---------------------------------------------------------------------------
def dysample(features: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """Sample (N, C, H, W) features at bilinear upsampling's positions plus ``offsets`` (N, 2, sH, sW), in input
    pixels, (x, y): bilinear grid_sample, align_corners=False, the border repeated (as F.interpolate does)."""
    height, width = features.shape[-2:]
    size_out = offsets.shape[-2:]
    rows = source_positions(height, size_out[0], False).to(offsets.dtype)
    columns = source_positions(width, size_out[1], False).to(offsets.dtype)
    x = normalised(columns[None, None, :] + offsets[:, 0], width, False)
    y = normalised(rows[None, :, None] + offsets[:, 1], height, False)
    return F.grid_sample(features, torch.stack([x, y], dim=-1), mode="bilinear", padding_mode="border",
                         align_corners=False)


class DySample(nn.Module):
    """DySample with a static scope factor: offsets = 0.25 × a 1×1 convolution, pixel-shuffled; then dysample.

    The offset convolution starts at zero, so an untrained DySample is bilinear upsampling
    (align_corners=False); training moves its sampling positions by what the content asks for.
    """

    def __init__(self, channels: int, scale: int = 2, scope: float = 0.25) -> None:
        super().__init__()
        self.scale, self.scope = scale, scope
        self.offset = nn.Conv2d(channels, 2 * scale**2, 1)
        self.reset_offsets()

    def reset_offsets(self) -> None:
        """The offset convolution's weights and bias to zero: every offset zero, whatever the input."""
        nn.init.zeros_(self.offset.weight)
        nn.init.zeros_(self.offset.bias)

    def offsets(self, guide: torch.Tensor) -> torch.Tensor:
        """(N, 2, scale·H, scale·W): each output pixel's (x, y) offset in input pixels."""
        return F.pixel_shuffle(self.scope * self.offset(guide), self.scale)

    def forward(self, guide: torch.Tensor, values: torch.Tensor | None = None) -> torch.Tensor:
        """Offsets predicted from ``guide``; ``values`` (by default the guide itself) sampled with them."""
        return dysample(guide if values is None else values, self.offsets(guide))
