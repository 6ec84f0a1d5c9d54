"""Shared test helpers: MNIST files written by the tests themselves, and local HTTP servers."""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import http.server
import io
import os
import runpy
import struct
import sys
import tempfile
import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
MNIST_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def pytest_configure(config: pytest.Config) -> None:
    """The suite's two workers share two cores: each runs torch on one thread, so that their thread pools do not
    wait on each other (a test that sets its own thread count puts this one back)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import torch

        torch.set_num_threads(1)


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of a uint8 array, written from the format's description (not torchvision's code)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape)
    return header + array.tobytes()


def fake_mnist(count: int = 20, seed: int = 0) -> dict[str, np.ndarray]:
    """Random digits and labels for both splits, keyed by MNIST file name."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split in ("train", "t10k"):
        arrays[f"{split}-images-idx3-ubyte"] = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
        arrays[f"{split}-labels-idx1-ubyte"] = rng.integers(0, 10, size=count, dtype=np.uint8)
    return arrays


def write_mnist(root: Path, arrays: dict[str, np.ndarray]) -> Path:
    """Write the arrays as IDX files into ROOT/MNIST/raw, as torchvision lays them out."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        (raw / name).write_bytes(idx_bytes(array))
    return raw


@pytest.fixture
def mnist_arrays() -> dict[str, np.ndarray]:
    return fake_mnist()


@pytest.fixture
def mnist_root(tmp_path: Path, mnist_arrays) -> Path:
    """A temporary MNIST root holding the four IDX files."""
    root = tmp_path / "mnist-root"
    write_mnist(root, mnist_arrays)
    return root


@contextlib.contextmanager
def serving_mnist(folder: Path, arrays: dict[str, np.ndarray]):
    """An HTTP server on 127.0.0.1 serving the arrays as gzipped IDX files.

    Yields the server's URL (a mirror) and the (file name, MD5) pairs of what it serves (download_mnist's
    ``resources``): torchvision's own checksums are those of the real MNIST."""
    folder.mkdir(parents=True, exist_ok=True)
    resources = []
    for name, array in arrays.items():
        archive = folder / f"{name}.gz"
        archive.write_bytes(gzip.compress(idx_bytes(array), mtime=0))
        resources.append((archive.name, hashlib.md5(archive.read_bytes()).hexdigest()))

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/", resources
    finally:
        server.shutdown()
        server.server_close()


def run_main(argv, capsys) -> tuple[int, str, str]:
    """The tutorial's main(argv) in-process: (exit status, stdout, stderr), argparse's exits included."""
    from upsample_command import main

    try:
        status = main([str(arg) for arg in argv])
    except SystemExit as exit_:
        status = exit_.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# Started first, it gives SIGINT and SIGHUP their default actions, then becomes the command (same process).
_SHELL_SIGNALS = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                  "signal.signal(signal.SIGHUP, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])")


def as_a_shell_starts_it(command: list[str]) -> list[str]:
    """``command`` with SIGINT's and SIGHUP's default actions, as a terminal's shell starts a command, even where
    this process inherited them ignored (a background job ignores SIGINT, nohup SIGHUP).

    A small Python resets them and execs the command, so its pid is the command's. (A ``preexec_fn`` would do
    it too, but makes subprocess fork this multithreaded test process, which JAX, imported here, warns about.)
    """
    return [sys.executable, "-c", _SHELL_SIGNALS, *command]


def headless_environment() -> dict[str, str]:
    """This process's environment without a screen: figures go to files, never to windows."""
    return {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "MPLBACKEND", "WAYLAND_DISPLAY")}


KEPT_FIGURES = tempfile.TemporaryDirectory(prefix="lesson-figures-")  # removed when the suite ends


@functools.cache
def run_lesson(name: str) -> SimpleNamespace:
    """Run lessons/NAME.py once for the whole suite, as the gallery does (runpy, from lessons/, matplotlib's Agg).

    Returns what the page defined and computed (its globals), with ``printed`` (what it printed) and
    ``images`` (the folder its README figures were kept in, through $LESSON_IMAGES).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images = Path(KEPT_FIGURES.name) / name
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LESSON_IMAGES", str(images))
        patch.chdir(ROOT / "lessons")
        patch.setattr(sys, "path", list(sys.path))
        with contextlib.redirect_stdout(printed):
            namespace = runpy.run_path(str(ROOT / "lessons" / f"{name}.py"), run_name="__main__")
    plt.close("all")
    return SimpleNamespace(**namespace, printed=printed.getvalue().splitlines(), images=images)
