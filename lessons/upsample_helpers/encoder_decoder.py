"""The encoder–decoder lesson's models and measures: a small U-Net whose decoder meets its skips in one of
several ways, the digits as a segmentation task, resizing label maps, and a tiny segmenter scored by IoU."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from torch import nn

from upsample_example import MnistSample
from upsample_helpers import (
    SEED,
    SEEDS,
    TRAINING_DTYPE,
    TRAINING_THREADS,
    draw_weights,
    hide_ticks,
    mean_low_high,
)

# ---------------------------------------------------------------------------
# A U-Net at any input size
# ---------------------------------------------------------------------------
LEVELS = 3  # poolings: a side s becomes s // 2, s // 4, s // 8 at the bottom
# How the decoder's doubled map is made to meet its skip connection:
FIXES = (
    "scale_factor=2",  # double, and hope the sizes match
    "size of the skip",  # F.interpolate(deep, size=skip's size)
    "pad at the end",  # double, then pad (or crop) the last rows and columns
    "pad centred",  # double, then pad half the difference before, half after (the copied workaround)
    "pad at the start",  # double, then pad (or crop) the first rows and columns
    "pad the input",  # pad the input to a multiple of 2**LEVELS at its end, crop the output back
)


def meet_skip(deep: torch.Tensor, skip: torch.Tensor, fix: str) -> torch.Tensor:
    """Upsample ``deep`` (N, C, h, w) with 'nearest' for concatenation with ``skip`` (N, C', H, W), as ``fix`` says."""
    if fix not in FIXES:
        raise ValueError(f"fix must be one of {FIXES}, got {fix!r}")
    if fix == "size of the skip":
        return F.interpolate(deep, size=skip.shape[-2:], mode="nearest")
    doubled = F.interpolate(deep, scale_factor=2, mode="nearest")
    rows, columns = (skip.shape[-2] - doubled.shape[-2], skip.shape[-1] - doubled.shape[-1])  # < 0: crop
    if fix == "pad at the end":
        return F.pad(doubled, (0, columns, 0, rows))
    if fix == "pad centred":
        return F.pad(doubled, (columns // 2, columns - columns // 2, rows // 2, rows - rows // 2))
    if fix == "pad at the start":
        return F.pad(doubled, (columns, 0, rows, 0))
    return doubled  # "scale_factor=2", and "pad the input", whose sizes always match


def padded_to_levels(images: torch.Tensor) -> torch.Tensor:
    """``images`` with zero rows and columns added at the end, up to the next multiple of 2**LEVELS."""
    multiple = 2**LEVELS
    return F.pad(images, (0, -images.shape[-1] % multiple, 0, -images.shape[-2] % multiple))


def convolution(channels_in: int, channels_out: int) -> nn.Module:
    return nn.Sequential(nn.Conv2d(channels_in, channels_out, kernel_size=3, padding=1), nn.ReLU())


class UNet(nn.Module):
    """A U-Net of LEVELS levels: a convolution and a 2×2 max pooling per level down, a convolution at the
    bottom, then per level up: the map upsampled to meet its skip (``fix``), concatenated with it, convolved."""

    def __init__(self, fix: str, width: int = 4) -> None:
        super().__init__()
        if fix not in FIXES:
            raise ValueError(f"fix must be one of {FIXES}, got {fix!r}")
        self.fix = fix
        widths = [width * 2**level for level in range(LEVELS + 1)]  # 4, 8, 16 down; 32 at the bottom
        self.down = nn.ModuleList(convolution(a, b) for a, b in zip([1, *widths[:-2]], widths[:-1], strict=True))
        self.bottom = convolution(widths[-2], widths[-1])
        self.up = nn.ModuleList(convolution(wide + narrow, narrow)
                                for wide, narrow in zip(widths[:0:-1], widths[-2::-1], strict=True))
        self.head = nn.Conv2d(widths[0], 1, kernel_size=1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        height, width = images.shape[-2:]
        x = padded_to_levels(images) if self.fix == "pad the input" else images
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)  # floor: an odd side drops its last row or column
        x = self.bottom(x)
        for block, skip in zip(self.up, reversed(skips), strict=True):
            x = block(torch.cat([meet_skip(x, skip, self.fix), skip], dim=1))
        return self.head(x)[..., :height, :width]


def output_side(fix: str, side: int) -> int | None:
    """The side of what a UNet(fix) makes of a side×side image, or None where it raises."""
    try:
        return UNet(fix)(torch.zeros(1, 1, side, side)).shape[-1]
    except RuntimeError:
        return None


def bottom_path(images: torch.Tensor, fix: str) -> torch.Tensor:
    """The U-Net with its convolutions taken out and each merge keeping only the upsampled map: LEVELS poolings
    down, LEVELS upsamplings back (each to meet what would be its skip). What reaches the output through the
    bottom of the network, and where. Raises where the U-Net's concatenation would."""
    height, width = images.shape[-2:]
    x = padded_to_levels(images) if fix == "pad the input" else images
    skips = []
    for _ in range(LEVELS):
        skips.append(x)
        x = F.max_pool2d(x, 2)
    for skip in reversed(skips):
        x = meet_skip(x, skip, fix)
        if x.shape[-2:] != skip.shape[-2:]:
            raise RuntimeError(f"Sizes of tensors must match: {tuple(x.shape[-2:])} against {tuple(skip.shape[-2:])}")
    return x[..., :height, :width]


@dataclass
class Shift:
    """How the bottom path moves a side's content: per row, the impulse's response's centre minus its row, for
    the rows that reach the output; ``lost``: the rows that do not."""

    side: int
    lost: int
    first: float  # the shift averaged over the first 2**LEVELS rows (one bottom cell)
    last: float  # ... over the last whole bottom cell that reaches the output


def impulse_shift(side: int, fix: str) -> Shift | None:
    """Send a one-pixel impulse through ``bottom_path`` at every (row, row) of a side×side image; None where
    it raises. 'nearest' returns an impulse anywhere in its bottom cell, up to 3.5 rows either way; the mean
    over a cell's 8 rows cancels that rounding and leaves the shift."""
    impulses = torch.zeros(side, 1, side, side, dtype=torch.float64)
    rows = torch.arange(side)
    impulses[rows, 0, rows, rows] = 1
    try:
        out = bottom_path(impulses, fix)
    except RuntimeError:
        return None
    profile = out[:, 0].sum(dim=-1)  # (impulse, row): the response summed along each row
    mass = profile.sum(dim=-1)
    reached = mass > 0
    centre = (profile * rows.double()).sum(dim=-1) / mass.clamp(min=1e-300)
    shift = (centre - rows)[reached]
    cells = rows[reached] // 2**LEVELS
    whole = [cell for cell in cells.unique() if (cells == cell).sum() == 2**LEVELS]
    return Shift(side, int((~reached).sum()), shift[cells == whole[0]].mean().item(),
                 shift[cells == whole[-1]].mean().item())


def shifts_table(sides: range) -> str:
    """A row per side: the rows the bottom path loses with each way that doubles, and the shift (first cell →
    last) of each way, or "fails"."""
    short = {"scale_factor=2": "factor", "size of the skip": "size", "pad at the end": "end",
             "pad centred": "centred", "pad at the start": "start", "pad the input": "input"}
    lines = [f"{'side':>4} {'lost':>4}" + "".join(f"{short[fix]:>10}" for fix in FIXES)]
    for side in sides:
        shifts = [impulse_shift(side, fix) for fix in FIXES]
        cells = ["fails" if s is None else f"{s.first:+.1f}→{s.last:+.0f}" for s in shifts]
        lines.append(f"{side:>4} {shifts[1].lost:>4}" + "".join(f"{cell:>10}" for cell in cells))
    return "\n".join(lines)


def plot_sizes(sides: range, shifts: dict[str, list[Shift | None]]) -> Figure:
    """A grid of FIXES × sides: white where the U-Net fails, else coloured by the largest shift (in pixels),
    with the rows the bottom path loses written in each cell."""
    figure, ax = plt.subplots(figsize=(9.2, 3.4), layout="constrained")
    largest = np.array([[np.nan if s is None else max(abs(s.first), abs(s.last)) for s in row]
                        for row in shifts.values()])
    colours = plt.get_cmap("viridis", 2**LEVELS).with_extremes(bad="white")
    image = ax.imshow(np.ma.masked_invalid(largest), cmap=colours, vmin=-0.5, vmax=2**LEVELS - 0.5, aspect="auto")
    for row, line in enumerate(shifts.values()):
        for column, shift in enumerate(line):
            text = "fails" if shift is None else str(shift.lost)
            ax.text(column, row, text, ha="center", va="center", fontsize=6 if shift is None else 8,
                    color="black" if shift is None or largest[row, column] > 4 else "white")
    ax.set_xticks(range(len(sides)), [str(side) for side in sides], fontsize=8)
    ax.set_yticks(range(len(shifts)), list(shifts), fontsize=8)
    ax.set_xlabel("input side (pixels)")
    figure.colorbar(image, ax=ax, ticks=range(2**LEVELS), label="largest shift (pixels)")
    ax.set_title("A 3-level U-Net at every side: where it fails, how far the bottom path moves the content,\n"
                 "and (the number) how many last rows it loses", fontsize=9)
    return figure


# ---------------------------------------------------------------------------
# The digits as a segmentation task
# ---------------------------------------------------------------------------
CLASSES = (0, 1, 4)  # the digits segmented; label k + 1 for CLASSES[k], 0 for the background
LABELS = ("background", *(f"digit {digit}" for digit in CLASSES))
CANVAS = 40  # the side of an image: two digits placed at random
STROKE = 0.5  # a digit's pixel brighter than this is labelled with its class


def digit_pools(sizes: tuple[int, ...] = (1000, 150, 350),
                seed: int = SEED) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Disjoint pools of the offline sample's digits of CLASSES, shuffled with ``seed``: per pool, (digits
    (n, 28, 28), class indices (n,) into CLASSES)."""
    sample = MnistSample()
    wanted = [index for index, digit in enumerate(sample.targets) if digit in CLASSES]
    if len(wanted) < sum(sizes):
        raise ValueError(f"the sample has {len(wanted)} digits of {CLASSES}, fewer than the {sum(sizes)} asked for")
    order = torch.randperm(len(wanted), generator=torch.Generator().manual_seed(seed))
    chosen = [wanted[int(i)] for i in order[: sum(sizes)]]
    digits = torch.stack([sample[index][0][0] for index in chosen])
    labels = torch.tensor([CLASSES.index(sample.targets[index]) for index in chosen])
    return list(zip(digits.split(list(sizes)), labels.split(list(sizes)), strict=True))


def canvases(digits: torch.Tensor, labels: torch.Tensor, count: int,
             seed: int = SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """``count`` images CANVAS×CANVAS, each two digits of the pool at random places (the brighter pixel wins
    where they overlap), and their masks: (count, 1, CANVAS, CANVAS) in [0, 1], and (count, CANVAS, CANVAS) of
    labels, the class + 1 of a digit's stroke pixels (the second digit's where strokes overlap), 0 elsewhere."""
    generator = torch.Generator().manual_seed(seed)
    picks = torch.randint(len(digits), (count, 2), generator=generator)
    places = torch.randint(CANVAS - 28 + 1, (count, 2, 2), generator=generator)
    images = torch.zeros(count, 1, CANVAS, CANVAS)
    masks = torch.zeros(count, CANVAS, CANVAS, dtype=torch.long)
    for n in range(count):
        for k in range(2):
            digit, (row, column) = digits[picks[n, k]], places[n, k].tolist()
            window = (slice(row, row + 28), slice(column, column + 28))
            images[n, 0][window] = torch.maximum(images[n, 0][window], digit)
            masks[n][window][digit > STROKE] = labels[picks[n, k]] + 1
    return images, masks


# ---------------------------------------------------------------------------
# Resizing label maps
# ---------------------------------------------------------------------------
SHRINKS = (("nearest", False), ("nearest-exact", False), ("bilinear", False), ("bilinear", True),
           ("one-hot", False), ("one-hot", True))  # (mode of resize_labels, antialias)


def resize_labels(masks: torch.Tensor, side: int, mode: str, antialias: bool = False) -> torch.Tensor:
    """Label maps (N, H, W) resized to side×side with F.interpolate: 'nearest' and 'nearest-exact' copy a label;
    'bilinear' interpolates the label numbers and rounds them; 'one-hot' interpolates one channel per label
    bilinearly (with ``antialias``) and takes the arg-max."""
    if mode == "one-hot":
        channels = F.one_hot(masks, len(LABELS)).permute(0, 3, 1, 2).double()
        resized = F.interpolate(channels, size=side, mode="bilinear", antialias=antialias)
        return resized.argmax(dim=1)
    resized = F.interpolate(masks[:, None].double(), size=side, mode=mode,
                            **({"antialias": antialias} if mode == "bilinear" else {}))
    return resized[:, 0].round().long()


def outside_neighbours(resized: torch.Tensor, masks: torch.Tensor) -> int:
    """How many pixels of ``resized`` hold a label found in none of the source pixels they were computed from:
    upsampling, the 2×2 around the point each maps to (align_corners=False); downsampling by an integer
    factor, the pixel's block."""
    side, source = resized.shape[-1], masks.shape[-1]
    if side >= source:
        where = ((torch.arange(side) + 0.5) * source / side - 0.5).clamp(min=0)
        low = where.floor().long()
        rows = torch.stack([low, (low + 1).clamp(max=source - 1)])  # (2, side): the two source rows of each row
        neighbours = masks[:, rows][:, :, :, rows]  # (N, 2, side, 2, side)
        found = (neighbours == resized[:, None, :, None, :]).any(dim=3).any(dim=1)
    else:
        factor = source // side
        blocks = masks.reshape(len(masks), side, factor, side, factor)
        found = (blocks == resized[:, :, None, :, None]).any(dim=4).any(dim=2)
    return int((~found).sum())


def region_shift(resized: torch.Tensor, masks: torch.Tensor) -> float:
    """How far a downsampling moves each labelled region, in source pixels, down and right together: per mask
    and label other than 0, the centre of its pixels in ``resized`` (a pixel j of the small map centred at
    (j + 0.5)·factor − 0.5 of the source) minus their centre in ``masks``; the mean over every region and both
    axes. Regions the resizing loses are left out."""
    factor = masks.shape[-1] / resized.shape[-1]
    small = (torch.arange(resized.shape[-1]).double() + 0.5) * factor - 0.5
    large = torch.arange(masks.shape[-1]).double()
    shifts = []
    for small_mask, large_mask in zip(resized, masks, strict=True):
        for label in range(1, len(LABELS)):
            here, there = small_mask == label, large_mask == label
            if here.any() and there.any():
                for axis in (0, 1):
                    shifts.append(float((small * here.sum(dim=1 - axis)).sum() / here.sum()
                                        - (large * there.sum(dim=1 - axis)).sum() / there.sum()))
    return float(np.mean(shifts))


# ---------------------------------------------------------------------------
# A tiny segmenter: logits at a quarter of the side
# ---------------------------------------------------------------------------
class Segmenter(nn.Module):
    """Two stride-2 convolutions (CANVAS → CANVAS / 4), two dilated ones for a wider view, and a 1×1 convolution
    to one logit per label: (N, 1, 40, 40) → (N, 4, 10, 10)."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(1, width, 3, stride=2, padding=1), nn.ReLU(),  # (N, 16, 20, 20)
            nn.Conv2d(width, 2 * width, 3, stride=2, padding=1), nn.ReLU(),  # (N, 32, 10, 10)
            nn.Conv2d(2 * width, 2 * width, 3, padding=2, dilation=2), nn.ReLU(),
            nn.Conv2d(2 * width, 2 * width, 3, padding=2, dilation=2), nn.ReLU(),
            nn.Conv2d(2 * width, len(LABELS), 1),  # (N, 4, 10, 10)
        )

    def reset_parameters(self, generator: torch.Generator) -> Segmenter:
        """Every weight and bias drawn from ``generator`` as torch's default range, the same at every CPU kernel
        level (draw_weights)."""
        return draw_weights(self, generator)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.layers(images)


def full_size(logits: torch.Tensor, way: str, side: int = CANVAS) -> torch.Tensor:
    """Low-resolution logits (N, L, h, w) to a full-size mask (N, side, side), one of WAYS."""
    if way == "arg-max, then nearest":
        return F.interpolate(logits.argmax(dim=1, keepdim=True).double(), size=side, mode="nearest")[:, 0].long()
    align_corners = way.endswith("align_corners=True")
    return F.interpolate(logits, size=side, mode="bilinear", align_corners=align_corners).argmax(dim=1)


WAYS = ("arg-max, then nearest", "bilinear logits, then arg-max", "... align_corners=True")


def mean_iou(predicted: torch.Tensor, truth: torch.Tensor) -> float:
    """Per label, intersection over union of its pixels over all the images together; the mean over LABELS."""
    ious = []
    for label in range(len(LABELS)):
        p, t = predicted == label, truth == label
        ious.append((p & t).sum().item() / max((p | t).sum().item(), 1))
    return float(np.mean(ious))


def boundary_pixels(masks: torch.Tensor) -> torch.Tensor:
    """Where a mask's label differs from one of its four neighbours': (N, H, W) bool."""
    edge = torch.zeros_like(masks, dtype=torch.bool)
    rows, columns = masks[:, 1:] != masks[:, :-1], masks[:, :, 1:] != masks[:, :, :-1]
    edge[:, 1:] |= rows
    edge[:, :-1] |= rows
    edge[:, :, 1:] |= columns
    edge[:, :, :-1] |= columns
    return edge


def boundary_accuracy(predicted: torch.Tensor, truth: torch.Tensor) -> float:
    """The share of the true masks' boundary pixels (boundary_pixels) whose label is predicted right."""
    edge = boundary_pixels(truth)
    return (predicted[edge] == truth[edge]).double().mean().item()


@dataclass
class Trained:
    """Per way of reaching full size, one value per seed; the epochs validation chose; how long it all took."""

    iou: dict[str, list[float]] = field(default_factory=dict)
    boundary: dict[str, list[float]] = field(default_factory=dict)
    epochs: list[int] = field(default_factory=list)
    seconds: float = 0.0


def train_segmenter(images: torch.Tensor, masks: torch.Tensor, valid: tuple[torch.Tensor, torch.Tensor],
                    epochs: int, seed: int, batch_size: int = 32, learning_rate: float = 3e-3) -> tuple[Segmenter, int]:
    """A Segmenter, its weights drawn from ``seed``, trained on cross-entropy at full size (its logits upsampled
    bilinearly, align_corners=False), Adam, batches in an order drawn from ``seed``, TRAINING_DTYPE on TRAINING_THREADS; returned with the weights
    of the epoch whose mean IoU on ``valid`` was highest, and that epoch (1-based)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(TRAINING_THREADS)
    try:
        model = Segmenter().to(TRAINING_DTYPE).reset_parameters(torch.Generator().manual_seed(seed))
        optimiser = torch.optim.Adam(model.parameters(), lr=learning_rate)
        order = torch.Generator().manual_seed(seed)
        best, best_epoch, best_state = -1.0, 0, None
        for epoch in range(1, epochs + 1):
            model.train()
            for batch in torch.randperm(len(images), generator=order).split(batch_size):
                logits = F.interpolate(model(images[batch]), size=masks.shape[-1], mode="bilinear",
                                       align_corners=False)
                loss = F.cross_entropy(logits, masks[batch])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
            with torch.no_grad():
                score = mean_iou(full_size(model.eval()(valid[0]), WAYS[1]), valid[1])
            if score > best:
                best, best_epoch = score, epoch
                best_state = {name: value.clone() for name, value in model.state_dict().items()}
        model.load_state_dict(best_state)
    finally:
        torch.set_num_threads(threads)
    return model.eval(), best_epoch


def train_and_measure(train: tuple[torch.Tensor, torch.Tensor], valid: tuple[torch.Tensor, torch.Tensor],
                      held_out: tuple[torch.Tensor, torch.Tensor], epochs: int) -> Trained:
    """One Segmenter per seed, trained in TRAINING_DTYPE; each scored on ``held_out`` in every one of WAYS."""
    trained, start = Trained(), time.perf_counter()
    train, valid = (train[0].to(TRAINING_DTYPE), train[1]), (valid[0].to(TRAINING_DTYPE), valid[1])
    for seed in SEEDS:
        model, epoch = train_segmenter(*train, valid, epochs, seed)
        trained.epochs.append(epoch)
        with torch.no_grad():
            logits = model(held_out[0].to(TRAINING_DTYPE))
        for way in WAYS:
            predicted = full_size(logits, way)
            trained.iou.setdefault(way, []).append(mean_iou(predicted, held_out[1]))
            trained.boundary.setdefault(way, []).append(boundary_accuracy(predicted, held_out[1]))
    trained.seconds = time.perf_counter() - start
    return trained


def scores_table(trained: Trained) -> str:
    """A row per way: mean IoU and boundary score, each as mean (lowest–highest) over the seeds."""
    lines = [f"{'way to 40×40':<31}{'mean IoU':>18}{'boundary':>20}"]
    for way in WAYS:
        iou, edge = mean_low_high(trained.iou[way]), mean_low_high(trained.boundary[way])
        lines.append(f"{way:<31}{iou[0]:.3f} ({iou[1]:.3f}–{iou[2]:.3f})"
                     f"  {edge[0]:.3f} ({edge[1]:.3f}–{edge[2]:.3f})")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# The figure: a mask and its resized versions
# ---------------------------------------------------------------------------
def label_colours() -> tuple[ListedColormap, BoundaryNorm]:
    colours = ListedColormap(["black", "tab:orange", "tab:cyan", "tab:pink"])
    return colours, BoundaryNorm(np.arange(len(LABELS) + 1) - 0.5, len(LABELS))


def plot_masks(image: torch.Tensor, masks: dict[str, torch.Tensor], reference: str) -> Figure:
    """The image, then each mask in ``masks`` (its title its key) above where it differs from ``masks[reference]``
    (enlarged to the reference's size with 'nearest' to compare); the reference is drawn alone."""
    colours, norm = label_colours()
    figure, axes = plt.subplots(2, len(masks) + 1, figsize=(1.45 * (len(masks) + 1), 3.4), layout="constrained")
    axes[0, 0].imshow(image.numpy(), cmap="gray", vmin=0, vmax=1)
    axes[0, 0].set_title("the image", fontsize=9)
    axes[1, 0].set_axis_off()
    truth = masks[reference]
    for column, (title, mask) in enumerate(masks.items(), start=1):
        shown = axes[0, column].imshow(mask.numpy(), cmap=colours, norm=norm, interpolation="nearest")
        head, _, tail = title.rpartition(", ")  # "nearest, 10×10": the size on a line of its own
        axes[0, column].set_title(f"{head}\n{tail}" if head else title, fontsize=8)
        if title == reference:
            axes[1, column].set_axis_off()
            continue
        big = F.interpolate(mask[None, None].double(), size=truth.shape[-1], mode="nearest")[0, 0].long()
        differs = (big != truth).numpy()
        axes[1, column].imshow(differs, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        axes[1, column].set_title(f"{int(differs.sum())} pixels differ", fontsize=9)
    hide_ticks(axes)
    bar = figure.colorbar(shown, ax=axes[0, :], ticks=range(len(LABELS)), fraction=0.03)
    bar.ax.set_yticklabels(LABELS, fontsize=8)
    axes[1, 2].set_ylabel(f"≠ {reference}\n(black; at its size)", fontsize=9)
    figure.suptitle("A label map, resized: what each way keeps", fontsize=10)
    return figure
