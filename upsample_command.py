"""The command line of ``upsample_example.py``: its options, and one line for every way a run can end.

``python upsample_example.py`` hands over to ``run()`` here, whose ``main()`` runs the tutorial's steps in its order
(the digits, a batch through the DataLoader, ``UpsampleExample``, the figure) with:

- **options**, each checked once, here, in the words of its flag (``--scale-factor``, ``--output``, ...);
- **the full MNIST's files, a bounded download and safe writing**, from ``upsample_files.py``;
- **one line for every ending**, never a traceback: a user's mistake (status 2), a data or output failure
  (status 1), Ctrl-C (130), SIGTERM and SIGHUP (128 + their number), with what was being written cleaned
  up first;
- **matplotlib set up for a command**: a broken ``MPLBACKEND`` named in one line, and a temporary settings
  folder where matplotlib could not write its own.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import math
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, NoReturn

import upsample_files
from upsample_files import DataError

if TYPE_CHECKING:
    from types import FrameType

    from matplotlib.figure import Figure

IMAGES = Path(__file__).resolve().parent / "images"  # where figures are written
MAX_BATCH_BYTES = 256 * 2**20  # the command refuses a larger upsampled batch, before allocating it
MNIST_SIDE = upsample_files.MNIST_SIDE


# ---------------------------------------------------------------------------------------------------------------------
# The command: options, their checks in the flags' words, and the tutorial's steps
# ---------------------------------------------------------------------------------------------------------------------
def build_parser() -> OneLineParser:
    """The command line's options."""
    from upsample_example import MODES
    parser = OneLineParser(prog="upsample_example.py", description="Upsample MNIST digits with nn.Upsample and "
                           "draw one before and after.")
    upsampling = parser.add_argument_group("upsampling")
    shape = upsampling.add_mutually_exclusive_group()
    shape.add_argument("--size", nargs=2, type=positive(int), default=(56, 56), metavar=("H", "W"),
                       help="output height and width (default: %(default)s)")
    shape.add_argument("--scale-factor", type=positive(float), metavar="F",
                       help="multiply height and width by F, instead of --size (below 1 shrinks, without antialiasing)")
    upsampling.add_argument("--mode", choices=[mode for mode, dims in MODES.items() if dims in (None, 2)],
                            default="nearest", help="interpolation mode for 2D images (default: %(default)s)")
    upsampling.add_argument("--align-corners", action="store_true",
                            help="align the corner pixels (--mode bilinear and bicubic only)")
    upsampling.add_argument("--batch-size", type=positive(int, 2**63 - 1), default=10, metavar="N",
                            help="digits upsampled at once (default: %(default)s); the upsampled batch, "
                                 f"N × H × W × 4 bytes, may take at most {MAX_BATCH_BYTES // 2**20} MiB")
    data = parser.add_argument_group("data")
    data.add_argument("--data", choices=("auto", "mnist", "sample"), default="auto",
                      help="auto: the full MNIST if it is under --root, else the offline sample (default: %(default)s)")
    data.add_argument("--root", type=user_path, default=upsample_files.DEFAULT_ROOT,
                      help="folder holding MNIST/raw (default: %(default)s)")
    data.add_argument("--download", action="store_true", help="fetch the full MNIST into --root if it is missing")
    data.add_argument("--download-timeout", type=positive(float, upsample_files.MAX_TIMEOUT),
                      default=upsample_files.DEFAULT_DOWNLOAD_TIMEOUT, metavar="SECONDS",
                      help="the most the whole download may take; then --data auto uses the sample "
                           "(default: %(default)s)")
    data.add_argument("--download-stall", type=positive(float, upsample_files.MAX_TIMEOUT),
                      default=upsample_files.DEFAULT_STALL_TIMEOUT, metavar="SECONDS",
                      help="give the download up when no data has arrived for this long (default: %(default)s)")
    data.add_argument("--mirror", action="append", type=mirror, metavar="URL",
                      help="fetch MNIST from this URL instead of torchvision's mirrors (may be repeated)")
    data.add_argument("--seed", type=seed, default=0, help="picks the shuffled digits (default: %(default)s)")
    output = parser.add_argument_group("output")
    output.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="where to upsample (default: %(default)s)")
    output.add_argument("--output", type=user_path, default=IMAGES / "afterupsampling.png", metavar="PATH",
                        help="where to write the figure (default: %(default)s)")
    output.add_argument("--no-show", action="store_true", help="write the figure without opening a window")
    return parser


def output_sides(args: argparse.Namespace) -> tuple[int, int]:
    """The upsampled digit's height and width, as torch computes them (a factor's product is floored), or a
    message for the flag that makes them impossible."""
    if args.scale_factor is None:
        if max(args.size) >= 2**63:  # torch's sizes are int64
            raise ValueError(f"--size {' '.join(map(str, args.size))}: each side must be below 2**63")
        return tuple(args.size)
    side = MNIST_SIDE * args.scale_factor
    given = f"--scale-factor={args.scale_factor:g}"
    if not side <= 2**63 - 1:  # 2**63 itself is no int64; a float's overflow is inf
        raise ValueError(f"{given} would make the {MNIST_SIDE}×{MNIST_SIDE} digits larger than torch can index "
                         "(2**63 - 1 a side)")
    if side < 1:  # name the smallest factor that leaves a pixel, rounded up to 3 digits
        least = 1 / MNIST_SIDE
        digits = 2 - math.floor(math.log10(least))
        raise ValueError(f"{given} would make the {MNIST_SIDE}×{MNIST_SIDE} digits into (0, 0): an output with no "
                         f"pixels; use a --scale-factor of at least {math.ceil(least * 10**digits) / 10**digits:g}")
    return math.floor(side), math.floor(side)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the tutorial from the command line; return the exit status."""
    import torch  # here, with the tutorial: the rest of this module serves the lessons and tests without torch

    from upsample_example import UpsampleExample, first_batch, plot_before_after
    parser = build_parser()
    args = parser.parse_args(argv)
    with collector_spared(), OneLineEndings() as endings:
        if args.device == "cuda" and not torch.cuda.is_available():
            parser.error("--device cuda: CUDA is not available on this machine; use --device cpu")
        if args.align_corners and args.mode not in ("bilinear", "bicubic"):
            parser.error(f"--align-corners applies to --mode 'bilinear' and 'bicubic' only, not {args.mode!r}")
        try:
            figure_format(args.output)
            height, width = output_sides(args)
        except ValueError as error:
            parser.error(str(error))
        need = args.batch_size * height * width * 4  # bytes of the upsampled float32 batch, in exact integers
        if need > MAX_BATCH_BYTES:
            parser.error(f"{args.batch_size} digits upsampled to {height}×{width} would need "
                         f"{need / 2**30:.3g} GiB, more than the {MAX_BATCH_BYTES // 2**20} MiB allowed; "
                         "lower --batch-size, --size or --scale-factor")

        dataset, source = upsample_files.digits(args.data, args.root, args.download, timeout=args.download_timeout,
                                                stall=args.download_stall, mirrors=args.mirror)
        say(source)
        try:
            images, labels = first_batch(dataset, args.batch_size, args.seed)
        except ValueError as error:  # a row of the sample that is no digit: the message names the file and row
            raise DataError(str(error)) from None
        model = UpsampleExample(size=None if args.scale_factor else tuple(args.size), scale_factor=args.scale_factor,
                                mode=args.mode, align_corners=True if args.align_corners else None).to(args.device)
        with torch.no_grad():
            upsampled = model(images.to(args.device))  # (N, 1, 28, 28) -> (N, 1, H, W)
        say(f"batch: {tuple(images.shape)} -> {tuple(upsampled.shape)}, mode {args.mode!r}")
        figure = plot_before_after(images[0], upsampled[0], title=f"digit {int(labels[0])}, mode {args.mode!r}")
        say(f"wrote {save_figure(figure, args.output)}")
        if not args.no_show:
            show(figure)
    return endings.status


def run(argv: Sequence[str] | None = None) -> NoReturn:
    """``python upsample_example.py``: ``main(argv)``, then, where the tutorial is the whole program, leave at once.

    Once ``main()`` has returned, the figure is written, every file closed and every temporary folder removed.
    What Python would still do is call the atexit handlers and tear down torch's and matplotlib's modules; the
    teardown has nothing left to do for the command, and takes time (benchmarks/README.md). So where the
    tutorial is the whole program (``the_tutorial_is_the_program``), the atexit handlers are called (a user's,
    matplotlib's), the two streams flushed, and the process ends with ``os._exit``. Anywhere else it leaves the
    usual way, with SystemExit; so do a usage error, an ending raised as SystemExit, and a bug's traceback.
    """
    status = main(argv)
    if not the_tutorial_is_the_program(sys._getframe(1)):  # the frame that called run()
        raise SystemExit(status)
    atexit._run_exitfuncs()  # what a normal exit calls first; what it does afterwards is the teardown
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:  # None: started with the stream closed
            with contextlib.suppress(OSError, ValueError):  # a closed pipe: the report already goes to nowhere
                stream.flush()
    os._exit(status)


def the_tutorial_is_the_program(caller: FrameType) -> bool:
    """Whether ``caller`` is the tutorial's main block run by Python itself (``python upsample_example.py``, or
    through runpy alone: ``python -m upsample_example``), with no thread but daemons left to wait for. A program
    that runs the tutorial and has more to do after it (a profiler, a debugger, IPython's %run, code that calls
    runpy or ``run()``) has frames of its own below the tutorial's; ``python -i`` opens a prompt after it."""
    tutorial = Path(__file__).resolve().with_name("upsample_example.py")
    if caller.f_code.co_name != "<module>" or Path(caller.f_code.co_filename).resolve() != tutorial:
        return False
    if sys.flags.inspect or os.environ.get("PYTHONINSPECT"):  # python -i: the interactive prompt comes next
        return False
    below = caller.f_back
    while below is not None:  # python -m runs the module from runpy's code (a frozen module: named, not a file)
        if below.f_globals.get("__name__") != "runpy":
            return False
        below = below.f_back
    return all(thread.daemon or thread is threading.main_thread() for thread in threading.enumerate())


@contextlib.contextmanager
def collector_spared() -> Iterator[None]:
    """In a command's own process, keep Python's garbage collector from scanning, again and again and once more
    at exit, the objects that live until the process ends: torch's, matplotlib's, the figure's. Where pyplot is
    already imported (a test, a notebook), it does nothing."""
    if "matplotlib.pyplot" in sys.modules:
        yield
        return
    gc.freeze()  # what exists now (torch's objects) is never scanned again
    gc.disable()  # nor is what the command makes while it runs: it makes few reference cycles
    try:
        yield
    finally:
        gc.freeze()  # nor, as the process exits, what it made
        gc.enable()


def show(figure: Figure) -> None:
    """Open a window with ``figure`` where there is a screen, and wait until it is closed; else do nothing."""
    import matplotlib.pyplot as plt

    plt.figure(figure)  # into pyplot's care again (plot_before_after let go of it), on the backend's own canvas
    try:
        if figure.canvas.required_interactive_framework:  # a screen's backend; Agg, where there is none, needs none
            plt.show()
    finally:
        plt.close(figure)


# ---------------------------------------------------------------------------------------------------------------------
# Saving the figure
# ---------------------------------------------------------------------------------------------------------------------
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
    """Write ``figure`` to ``path`` (its ending names the format) as ``write_atomically`` does; return the path."""
    fmt = figure_format(path)
    try:
        return upsample_files.write_atomically(path, lambda file: figure.savefig(file, format=fmt))
    except (ValueError, RuntimeError, MemoryError) as error:  # what a matplotlibrc can ask: a huge dpi, TeX missing
        import matplotlib

        raise DataError(f"matplotlib could not draw the figure ({type(error).__name__}: {error}); its settings are "
                        f"read from {Path(matplotlib.matplotlib_fname()).resolve()}") from error


# ---------------------------------------------------------------------------------------------------------------------
# The options' types: each refuses a bad value in the words of its flag
# ---------------------------------------------------------------------------------------------------------------------
class OneLineParser(argparse.ArgumentParser):
    """argparse with one-line errors: a user's mistake is one message, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{one_line(f'{self.prog}: error: {message}')} (see --help)\n")

    def _print_message(self, message: str, file: IO[str] | None = None) -> None:
        """argparse's, with what the stream cannot encode written as escapes (the help's × on an ASCII terminal)."""
        encoding = getattr(file or sys.stderr, "encoding", None)
        if message and encoding:
            message = message.encode(encoding, "backslashreplace").decode(encoding)
        super()._print_message(message, file)


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


def mirror(text: str) -> str:
    """An argparse type: a mirror's URL (``upsample_files.check_mirror``)."""
    try:
        return upsample_files.check_mirror(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


# ---------------------------------------------------------------------------------------------------------------------
# A command's endings: one line each, never a traceback
# ---------------------------------------------------------------------------------------------------------------------
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


class OneLineEndings:
    """``with OneLineEndings() as endings:`` runs its block as a command; ``endings.status`` is its exit status.

    Every ending is one line on standard error, never a traceback: a DataError or an OSError (a file that
    cannot be read or written) ends with status 1, Ctrl-C with 130, SIGTERM and SIGHUP with 128 + their
    number. The signals end the block the way Ctrl-C does, so that clean-up code runs. Only the first is
    raised (``upsample_files.raise_or_hold``); it is the ending, and a later one is kept, never cutting the
    clean-up short. A signal that comes during the ending, or was raised into code that swallowed it, becomes
    the ending too. Entering imports matplotlib
    (``matplotlib_for_a_command``); if that fails, the line is printed and SystemExit raised, as argparse
    does. Characters the terminal cannot encode are written as escapes.
    """

    def __enter__(self) -> OneLineEndings:
        # ``restore`` puts back what the command changed, when it has said its last line; ``stack`` is its clean-up.
        self.status, self.restore, self.stack = 0, contextlib.ExitStack(), contextlib.ExitStack()
        self.handling = False
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(AttributeError, ValueError):  # a stream replaced by a test or a notebook
                self.restore.callback(stream.reconfigure, errors=stream.errors)
                stream.reconfigure(errors="backslashreplace")
        try:
            self.handling = threading.current_thread() is threading.main_thread()  # handlers are set only there
            if self.handling:
                self.restore.callback(upsample_files.handle_signals())
            self.stack.enter_context(matplotlib_for_a_command())
        except BaseException as error:
            if self.__exit__(type(error), error, error.__traceback__):
                raise SystemExit(self.status) from None
            raise
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        clean = False  # the block ended with no error and no signal
        with upsample_files.signals_held(raise_after=False) as pending:
            try:
                self.stack.close()  # the clean-up runs whole
                # The work was done, but a signal came before the command's end, or was raised into code that
                # swallowed it (importlib's callbacks ignore what is raised in them): it is the ending.
                first = (upsample_files.raised if self.handling else None) or (pending[0] if pending else None)
                if error is None and first is not None:
                    error = KeyboardInterrupt() if first == signal.SIGINT else upsample_files.Stopped(first)
                if error is None:
                    clean = True
                    return False
                if isinstance(error, DataError):
                    line, self.status = f"error: {error}", 1
                elif isinstance(error, OSError):
                    where = f"{error.filename}: " if error.filename else ""
                    line, self.status = f"error: {where}{error.strerror or error}", 1
                elif isinstance(error, KeyboardInterrupt):
                    line, self.status = "interrupted", 130
                elif isinstance(error, upsample_files.Stopped):
                    line, self.status = f"stopped by {signal.Signals(error.args[0]).name}", 128 + error.args[0]
                else:
                    return False  # a bug: its traceback is what a report needs
                if sys.stderr is not None:  # closed (2>&-): print() would write the line to standard output
                    print(one_line(line), file=sys.stderr)
                return True
            finally:  # last, with signals still kept: the handlers and the streams' escapes go back as they were
                self.restore.close()
                if clean and pending:  # it came as the handlers went back, after the last line: Python's, as then
                    signal.raise_signal(pending[0])


@contextlib.contextmanager
def matplotlib_for_a_command() -> Iterator[None]:
    """Import matplotlib and its backend as a command needs them: a DataError if MPLBACKEND cannot be used,
    and a temporary settings folder (removed at the end) where matplotlib could not write its own."""
    with contextlib.ExitStack() as stack:
        if "matplotlib" not in sys.modules and not _matplotlib_can_write_its_folders():
            # matplotlib would warn twice, and make a temporary folder of its own: give it one, quietly
            stack.callback(_restore_variable, "MPLCONFIGDIR", os.environ.get("MPLCONFIGDIR"))
            os.environ["MPLCONFIGDIR"] = stack.enter_context(tempfile.TemporaryDirectory(prefix="matplotlib-"))
        first = "matplotlib.pyplot" not in sys.modules  # a fresh command; not a test or a notebook
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


def _matplotlib_can_write_its_folders() -> bool:
    """Whether matplotlib's settings and cache folders can be found, and written in."""
    folders = _matplotlib_folders()
    return bool(folders) and all(map(_writable_folder, folders))


def _matplotlib_folders() -> list[Path]:
    """The folders matplotlib keeps its settings and its font cache in (``matplotlib.get_configdir()`` and
    ``get_cachedir()``), found as matplotlib finds them, without importing it; none where they are in a home
    folder and there is none to be found."""
    if os.environ.get("MPLCONFIGDIR"):
        return [Path(os.environ["MPLCONFIGDIR"])]
    try:
        if not sys.platform.startswith(("linux", "freebsd")):
            return [Path.home() / ".matplotlib"]
        return [Path(os.environ.get(variable) or Path.home() / default, "matplotlib")
                for variable, default in (("XDG_CONFIG_HOME", ".config"), ("XDG_CACHE_HOME", ".cache"))]
    except RuntimeError:  # HOME unset and no entry in the password database, or HOME="~"
        return []


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
