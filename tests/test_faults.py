"""The fault catalogue, apart from the network's (test_download.py): mistakes, files, environments and signals.

Every row asserts the exit status, that standard error holds one line and no traceback, the words that line
must say, and what the run's folder holds afterwards (nothing half-written, no temporary files, nothing the
run did not create touched).
"""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import matplotlib.figure
import pytest
from conftest import ROOT, as_a_shell_starts_it, fake_mnist, headless_environment, write_mnist
from conftest import run_main as run

import upsample_files

matplotlib.use("Agg")


# -- the user's mistakes: exit 2, one line, before any work ------------------------------------------------------------
MISTAKES = {  # argv, and words the one line must hold
    "unknown mode": (["--mode", "bogus"], ["--mode", "'bogus'", "'nearest'"]),
    "1D mode on images": (["--mode", "linear"], ["--mode", "'linear'"]),
    "zero size": (["--size", "0", "56"], ["--size", "'0'", "positive"]),
    "one size": (["--size", "56"], ["--size", "2 arguments"]),
    "negative scale factor": (["--scale-factor", "-2"], ["--scale-factor", "'-2'"]),
    "size and scale factor": (["--size", "9", "9", "--scale-factor", "2"], ["--scale-factor", "--size"]),
    "zero batch": (["--batch-size", "0"], ["--batch-size", "'0'"]),
    "unknown data": (["--data", "web"], ["--data", "'web'", "'sample'"]),
    "align corners with nearest": (["--align-corners"], ["--align-corners", "'bilinear'", "not 'nearest'"]),
    "misspelt option": (["--scale_factor", "2"], ["unrecognized", "--scale_factor"]),
    "unknown figure format": (["--output", "figure.xyz"], ["figure.xyz", ".png"]),
    ".pgf output": (["--output", "figure.pgf"], ["figure.pgf", ".png", ".pdf"]),
    "seed not a number": (["--seed", "abc"], ["--seed", "'abc'"]),
    "seed that overflows": (["--seed", str(2**64)], ["--seed", "2**64 - 1", str(2**64)]),
    "negative seed": (["--seed", "-1"], ["--seed", "'-1'"]),
    "a lesson's option": (["--figure", "modes"], ["unrecognized", "--figure"]),
    "factor that leaves nothing": (["--scale-factor", "0.001"], ["--scale-factor=0.001", "(0, 0)", "at least 0.0358"]),
    "factor just too small": (["--scale-factor", "0.0357"], ["(0, 0)", "at least 0.0358"]),
    "factor that overflows": (["--scale-factor", "1e300"], ["--scale-factor=1e+300", "2**63 - 1"]),
    "factor that overflows a float": (["--scale-factor", "1e308"], ["--scale-factor=1e+308", "2**63 - 1"]),
    "size that overflows": (["--size", str(10**30), "56"], ["--size", "below 2**63"]),
    "batch that overflows": (["--batch-size", str(10**30)], ["--batch-size", "at most 9.22337e+18"]),
    "batch of 400 digits": (["--batch-size", "1" + "0" * 400], ["--batch-size", "at most"]),
    "batch past Python's digit limit": (["--batch-size", "1" * 5000], ["--batch-size", "positive int"]),
    "batch that needs too much": (["--batch-size", str(10**15)], ["would need", "256 MiB"]),
    "4 GB for one batch": (["--size", "10000", "10000"], ["10000×10000", "3.73 GiB", "256 MiB"]),
    "19 GB batch": (["--size", "1000", "1000", "--batch-size", "5000"], ["5000 digits", "18.6 GiB"]),
    "timeout too large": (["--download-timeout", "1e10"], ["--download-timeout", "86400", "1e10"]),
    "stall of no time": (["--download-stall", "0"], ["--download-stall", "positive"]),
    "mirror that is not HTTP": (["--mirror", "ftp://example.org/"], ["--mirror", "http:// or https://"]),
    "mirror with an unclosed IPv6 address": (["--mirror", "http://[::1"], ["--mirror", "'http://[::1'", "with a host"]),
    "mirror with a port that is no number": (["--mirror", "http://a b:xx/"], ["--mirror", "'http://a b:xx/'", "port"]),
    "mirror with a port out of range": (["--mirror", "http://a:99999/"], ["'http://a:99999/'", "0 to 65535"]),
    "mirror without a host": (["--mirror", "http:///mnist/"], ["'http:///mnist/'", "with a host"]),
    "home of a user who does not exist": (["--output", "~nosuchuser/f.png"], ["~nosuchuser", "home directory"]),
}


@pytest.mark.parametrize(("argv", "words"), MISTAKES.values(), ids=MISTAKES.keys())
def test_a_mistake_exits_2_with_one_line(tmp_path, capsys, monkeypatch, argv, words):
    monkeypatch.chdir(tmp_path)
    status, out, err = run([*argv, "--root", tmp_path / "root"], capsys)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("upsample_example.py: error:") and "Traceback" not in err
    for word in words:
        assert word in err
    assert list(tmp_path.iterdir()) == []


def test_the_factor_a_mistake_suggests_works(capsys, tmp_path):
    _, _, err = run(["--scale-factor", "0.01", "--output", tmp_path / "a.png"], capsys)
    least = err.split("at least ")[1].split()[0]
    assert run(["--scale-factor", least, "--output", tmp_path / "a.png"], capsys)[0] == 0


# -- data and output that are not what they should be: exit 1 (or the sample, under auto) ------------------------------
@dataclass
class Fault:
    args: list[str]  # besides --root ROOT --output OUTPUT --no-show; {tmp} stands for the run's folder
    status: int
    words: list[str] = field(default_factory=list)  # what the one line on stderr (or, at exit 0, stdout) says
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


def _broken_idx(change: Callable[[Path], None]) -> Callable[[Path], None]:
    """A full MNIST under ROOT whose training images file ``change`` then breaks."""

    def prepare(tmp: Path) -> None:
        change(write_mnist(tmp / "root", fake_mnist()) / "train-images-idx3-ubyte")

    return prepare


def _wrong_magic(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[2] = 0x09  # IDX says signed bytes, not MNIST's unsigned ones
    path.write_bytes(bytes(data))


def _truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-100])


def _gzip_under_raw_name(path: Path) -> None:
    path.write_bytes(gzip.compress(path.read_bytes()))


def _counts_differ(tmp: Path) -> None:
    arrays = fake_mnist()
    arrays["train-labels-idx1-ubyte"] = arrays["train-labels-idx1-ubyte"][:-1]
    write_mnist(tmp / "root", arrays)


def _file_as_parent(tmp: Path) -> None:
    (tmp / "out").write_text("a file where the output folder should be")


def _dangling_link_as_parent(tmp: Path) -> None:
    (tmp / "out").symlink_to(tmp / "nowhere")


def _looping_link_as_parent(tmp: Path) -> None:
    (tmp / "out").symlink_to(tmp / "out")


FAULTS = {
    "root is a file, mnist": Fault(["--data", "mnist"], 1, ["is a file, not a folder"], _file_as_root, {"root"}),
    "root is a file, auto": Fault([], 0, ["is a file, not a folder", "falling back"], _file_as_root, {"root", "out"}),
    "root too long to read, auto": Fault(["--root", "{tmp}/" + "r" * 300], 0,
                                         ["cannot read the MNIST root", "File name too long", "falling back"],
                                         left={"out"}),
    "IDX file is a folder, auto": Fault([], 0, ["train-images-idx3-ubyte is not a file", "falling back"],
                                        _folder_as_idx, {"root", "out"}),
    **{f"{name}, {data}": Fault(["--data", data], 0 if data == "auto" else 1,
                                [words, "falling back"] if data == "auto" else [words], prepare,
                                {"root", "out"} if data == "auto" else {"root"})
       for name, (prepare, words) in {
           "IDX file with the wrong magic": (_broken_idx(_wrong_magic), "does not start with an MNIST header"),
           "IDX file truncated": (_broken_idx(_truncated), "truncated?"),
           "IDX file gzipped under its raw name": (_broken_idx(_gzip_under_raw_name), "does not start with an MNIST"),
           "IDX files with no items": (_empty_idx, "holds no items"),
           "IDX file too long": (_long_idx, "extra bytes at the end"),
           "images and labels counted differently": (_counts_differ, "20 images but"),
       }.items() for data in ("auto", "mnist")},
    "MNIST missing, mnist": Fault(["--data", "mnist"], 1, ["not under", "--download", "--data sample"]),
    "output's folder is a file": Fault([], 1, ["out", "not a folder"], _file_as_parent, {"out"}),
    "output's folder is a dangling link": Fault([], 1, ["out", "not a folder"], _dangling_link_as_parent, {"out"}),
    "output's folder is a looping link": Fault([], 1, ["out", "not a folder"], _looping_link_as_parent, {"out"}),
    "output name too long, in new folders": Fault(["--output", "{tmp}/new/deeper/" + "f" * 300 + ".png"], 1,
                                                  ["File name too long"], left=set()),
    "output file name of 250 characters": Fault(["--output", "{tmp}/out/" + "f" * 246 + ".png"], 0, ["wrote"],
                                                left={"out"}),
    "output where no file can be made": Fault(["--output", "/proc/upsample-example.png"], 1,
                                              ["error: /proc/upsample-example.png: No such file"], left=set()),
    "newline in the output's name": Fault(["--output", "/proc/a\nb.png"], 1, ["/proc/a\\nb.png: No such file"],
                                          left=set()),
    "newline in the root's name, mnist": Fault(["--data", "mnist", "--root", "{tmp}/r\noot"], 1,
                                               ["r\\noot/MNIST/raw", "--download"], left=set()),
    "newline in a mode": Fault(["--mode", "near\nest"], 2, ["'near\\nest'"], left=set()),
    "non-ASCII output name": Fault(["--output", "{tmp}/out/zwölf.png"], 0, ["wrote", "zwölf.png"], left={"out"}),
}


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_fault(fault, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if fault.prepare:
        fault.prepare(tmp_path)
    args = ["--root", tmp_path / "root", "--output", tmp_path / "out" / "figure.png", "--no-show"]
    status, out, err = run([*args, *(arg.replace("{tmp}", str(tmp_path)) for arg in fault.args)], capsys)
    assert status == fault.status, (out, err)
    assert "Traceback" not in err
    said = out if status == 0 else err
    assert (err == "") if status == 0 else (err.count("\n") == 1)
    for words in fault.words:
        assert words in said, said
    if "falling back" in fault.words:  # the README: the first line of output says why
        assert all(words in out.splitlines()[0] for words in fault.words), out
    expected = fault.left if fault.left is not None else ({"root"} if fault.prepare else set())
    assert {path.name for path in tmp_path.iterdir()} == expected
    assert not [path for path in tmp_path.rglob("*") if path.name.startswith(".")]  # no temporary files


@pytest.mark.parametrize(("data", "status"), [("auto", 0), ("mnist", 1)])
def test_an_unreadable_mnist_file(data, status, tmp_path, capsys, monkeypatch):
    """A file the process may not read (faked: as root, permissions do not stop a read): 'auto' falls back."""
    import builtins

    images = write_mnist(tmp_path / "root", fake_mnist()) / "train-images-idx3-ubyte"
    real_open = builtins.open

    def refusing_open(file, *args, **kwargs):
        if Path(str(file)) == images:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing_open)
    code, out, err = run(["--data", data, "--root", tmp_path / "root", "--output", tmp_path / "f.png"], capsys)
    assert code == status
    said = out.splitlines()[0] if status == 0 else err
    assert f"cannot read MNIST file {images}: Permission denied" in said and "Traceback" not in err
    assert ("falling back" in said) == (data == "auto")


# -- what stands beside the figure belongs to others: never written through, never deleted ------------------------------
def test_nothing_beside_the_figure_is_written_through_or_deleted(tmp_path, capsys):
    output, victim = tmp_path / "figure.png", tmp_path / "victim.txt"
    victim.write_text("someone else's file")
    planted = {  # names the old scheme (.NAME.PID.partial) would have used or cleaned up
        f".figure.png.{os.getpid()}.partial": "link",
        ".figure.png.1.partial": "folder",  # PID 1 is alive; 999999999 is not
        ".figure.png.999999999.partial": "folder",
        ".figure.png.-5.partial": "file",
        ".figure.png.12345678901234567890.partial": "file",
    }
    for name, kind in planted.items():
        path = tmp_path / name
        if kind == "link":
            path.symlink_to(victim)
        elif kind == "folder":
            path.mkdir()
            (path / "inside").write_text("a user's file")
        else:
            path.write_text("a user's file")
    before = {path.name: (path.is_symlink(), path.is_dir()) for path in tmp_path.iterdir()}
    for _ in range(2):
        assert run(["--output", output, "--no-show"], capsys)[0] == 0
    assert victim.read_text() == "someone else's file"
    after = {path.name: (path.is_symlink(), path.is_dir()) for path in tmp_path.iterdir()}
    assert after == {**before, "figure.png": (False, False)}
    assert all((tmp_path / name / "inside").is_file() for name, kind in planted.items() if kind == "folder")


def test_a_new_figure_gets_the_usual_permissions_and_a_replaced_one_keeps_its_own(tmp_path, capsys):
    new, old = tmp_path / "new.png", tmp_path / "old.png"
    old.write_bytes(b"previous")
    old.chmod(0o640)
    umask = os.umask(0o027)
    try:
        for path in (new, old):
            assert run(["--output", path, "--no-show"], capsys)[0] == 0
    finally:
        os.umask(umask)
    assert new.stat().st_mode & 0o777 == 0o640  # 0o666 less the umask 0o027
    assert old.stat().st_mode & 0o777 == 0o640 and old.read_bytes() != b"previous"


def test_a_figure_that_replaces_a_link_gets_the_usual_permissions_not_the_targets(tmp_path, capsys):
    target, output = tmp_path / "target.png", tmp_path / "figure.png"
    target.write_bytes(b"someone else's")
    target.chmod(0o777)
    output.symlink_to(target)
    umask = os.umask(0o022)
    try:
        assert run(["--output", output, "--no-show"], capsys)[0] == 0
    finally:
        os.umask(umask)
    assert not output.is_symlink() and output.stat().st_mode & 0o777 == 0o644  # 0o666 less the umask 0o022
    assert target.stat().st_mode & 0o777 == 0o777 and target.read_bytes() == b"someone else's"


def test_an_interrupted_save_leaves_the_old_figure_and_no_partial_file(tmp_path, capsys, monkeypatch):
    output = tmp_path / "figure.png"
    output.write_bytes(b"the previous figure")

    def interrupted(self, file, **kwargs):
        file.write(b"\x89PNG half")
        raise KeyboardInterrupt

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", interrupted)
    assert run(["--output", output], capsys)[:3:2] == (130, "interrupted\n")
    assert output.read_bytes() == b"the previous figure"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["figure.png"]


def test_a_second_signal_during_the_saves_clean_up_is_held_and_the_first_is_the_ending(tmp_path, capsys, monkeypatch):
    """SIGHUP while the figure is written into folders the run made, then Ctrl-C as the clean-up starts: the
    clean-up runs whole (the folders go) and SIGHUP, the first, is the ending."""
    def hung_up(self, file, **kwargs):
        file.write(b"\x89PNG half")
        os.kill(os.getpid(), signal.SIGHUP)
        time.sleep(5)  # the handler raises here

    def interrupted_first(remove_empty):
        def patched(folders):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.1)  # the handler runs here: it keeps the signal
            return remove_empty(folders)
        return patched

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", hung_up)
    monkeypatch.setattr(upsample_files, "_remove_empty", interrupted_first(upsample_files._remove_empty))
    assert run(["--output", tmp_path / "new" / "deeper" / "figure.png"], capsys)[:3:2] == (129, "stopped by SIGHUP\n")
    assert list(tmp_path.iterdir()) == []


def test_only_the_first_signal_is_raised_and_later_ones_are_kept():
    """Under the command's handlers a second (and third) signal is not raised into the first one's clean-up,
    wherever it lands, even outside a block that holds signals."""
    restore = upsample_files.handle_signals()
    try:
        with pytest.raises(upsample_files.Stopped):
            os.kill(os.getpid(), signal.SIGHUP)
            time.sleep(5)  # the handler raises here
        for later in (signal.SIGINT, signal.SIGTERM):
            os.kill(os.getpid(), later)
            time.sleep(0.1)  # the handler runs here, and keeps it
        assert upsample_files.raised == signal.SIGHUP
    finally:
        restore()
    assert signal.getsignal(signal.SIGINT) is not upsample_files.raise_or_hold


def test_pythons_handlers_take_signals_that_arrive_together_in_the_order_of_their_numbers():
    """What the README says of two signals at once: SIGTERM sent before Ctrl-C, both pending, Ctrl-C is handled first."""
    import threading

    seen, both = [], {signal.SIGINT, signal.SIGTERM}
    previous = {number: signal.signal(number, lambda number, frame: seen.append(number)) for number in both}
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, both)  # held pending on this thread until both have come
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.pthread_kill(threading.get_ident(), number)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, both)
        time.sleep(0.1)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    assert seen == [signal.SIGINT, signal.SIGTERM]


def test_a_signal_raised_into_code_that_swallows_it_is_still_the_ending(tmp_path, capsys, monkeypatch):
    """As importlib's callbacks do: the exception the handler raised is ignored and the work goes on; the command
    still ends with the signal's line and status, the figure written whole."""
    save = matplotlib.figure.Figure.savefig

    def swallowing(self, file, **kwargs):
        try:
            os.kill(os.getpid(), signal.SIGHUP)
            time.sleep(5)  # the handler raises here
        except BaseException:  # what the library does
            pass
        save(self, file, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", swallowing)
    output = tmp_path / "figure.png"
    assert run(["--output", output, "--no-show"], capsys)[:3:2] == (129, "stopped by SIGHUP\n")
    assert output.read_bytes().startswith(b"\x89PNG") and list(tmp_path.iterdir()) == [output]


def test_tilde_is_the_home_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    assert run(["--output", "~/figure.png", "--no-show"], capsys)[0] == 0
    assert (tmp_path / "home" / "figure.png").is_file() and not (tmp_path / "~").exists()


# -- faults that need a fresh process: signals, closed pipes and the environment ----------------------------------------
# A small program of the machinery alone (no torch): the same endings and save_figure as the command line's.
DRIVER = """
import sys, time
sys.path.insert(0, {root!r})
import upsample_command
with upsample_command.OneLineEndings() as command:
    import matplotlib.figure, matplotlib.pyplot as plt
    figure = plt.figure()
    if sys.argv[2]:  # write half a figure, say so, then wait for the signal
        def savefig(self, file, **kwargs):
            file.write(b"\\x89PNG half")
            file.flush()
            open(sys.argv[2], "w").close()
            time.sleep(60)
        matplotlib.figure.Figure.savefig = savefig
    for line in range(3):
        upsample_command.say(f"line {{line}}")
    upsample_command.say(f"wrote {{upsample_command.save_figure(figure, sys.argv[1])}}")
raise SystemExit(command.status)
"""


def start(tmp: Path, output: Path, slow_save: Path | None = None, env: dict[str, str] | None = None,
          **popen) -> subprocess.Popen:
    command = [sys.executable, "-c", DRIVER.format(root=str(ROOT)), str(output), str(slow_save or "")]
    return subprocess.Popen(as_a_shell_starts_it(command), cwd=tmp, env=env or headless_environment(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "the run never got there"
        time.sleep(0.05)


@pytest.mark.parametrize(("signum", "status", "message"), [(signal.SIGTERM, 143, "stopped by SIGTERM"),
                                                            (signal.SIGHUP, 129, "stopped by SIGHUP"),
                                                            (signal.SIGINT, 130, "interrupted")],
                         ids=["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_signal_during_the_save_keeps_the_old_figure_and_leaves_no_partial_file(tmp_path, signum, status, message):
    output, marker = tmp_path / "figure.png", tmp_path / "saving"
    output.write_bytes(b"the previous figure")
    process = start(tmp_path, output, slow_save=marker)
    wait_for(marker.exists)
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == status and err == message + "\n"
    assert output.read_bytes() == b"the previous figure"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["figure.png", "saving"]


# As nohup starts a command: SIGHUP ignored (which exec keeps), Ctrl-C's default action.
NOHUP = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
         "signal.signal(signal.SIGHUP, signal.SIG_IGN); os.execv(sys.argv[1], sys.argv[1:])")


def test_a_signal_the_run_was_started_ignoring_stays_ignored(tmp_path):
    """Under nohup, SIGHUP during the save does nothing; SIGTERM after it is the ending."""
    output, marker = tmp_path / "figure.png", tmp_path / "saving"
    output.write_bytes(b"the previous figure")
    command = [sys.executable, "-c", DRIVER.format(root=str(ROOT)), str(output), str(marker)]
    process = subprocess.Popen([sys.executable, "-c", NOHUP, *command], cwd=tmp_path, env=headless_environment(),
                               text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(marker.exists)
    process.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143 and err == "stopped by SIGTERM\n"
    assert output.read_bytes() == b"the previous figure"


def test_sigkill_during_the_save_leaves_one_hidden_partial_file_and_the_old_figure(tmp_path):
    output, marker = tmp_path / "figure.png", tmp_path / "saving"
    output.write_bytes(b"the previous figure")
    process = start(tmp_path, output, slow_save=marker)
    wait_for(marker.exists)
    process.kill()  # no clean-up is possible: what is left is what the README describes
    process.communicate(timeout=60)
    left = sorted(path.name for path in tmp_path.iterdir() if path.name not in ("figure.png", "saving"))
    assert len(left) == 1 and left[0].startswith(".figure.png.") and left[0].endswith(".partial")
    assert output.read_bytes() == b"the previous figure"


def test_a_closed_pipe_does_not_stop_the_run(tmp_path):
    output = tmp_path / "figure.png"
    process = start(tmp_path, output)
    process.stdout.readline()  # `| head -1`: one line read, then the reader goes away
    process.stdout.close()
    err = process.stderr.read()
    process.wait(timeout=60)
    assert process.returncode == 0 and err == ""
    assert output.stat().st_size > 1000


def test_a_terminal_that_cannot_write_the_name_gets_escapes(tmp_path):
    env = {**headless_environment(), "PYTHONIOENCODING": "ascii"}
    process = start(tmp_path, tmp_path / "zwölf.png", env=env)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0 and err == "" and "zw\\xf6lf.png" in out
    assert (tmp_path / "zwölf.png").is_file()
    (tmp_path / "blöck").write_text("a file where a folder should be")
    process = start(tmp_path, tmp_path / "blöck" / "f.png", env=env)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1 and err == f"error: {tmp_path}/bl\\xf6ck: not a folder\n"


@pytest.mark.parametrize(("variable", "value", "status", "words"), [
    ("MPLBACKEND", "bogus", 1, "MPLBACKEND='bogus' cannot be used"),
    ("MPLBACKEND", "module://nonexistent", 1, "MPLBACKEND='module://nonexistent' cannot be used (No module named"),
    ("MPLBACKEND", "module://os", 1, "MPLBACKEND='module://os' cannot be used (module 'os' has no attribute"),
    ("HOME", "/dev/null", 0, ""),  # matplotlib cannot write its folder there: no warning, and nothing left behind
    ("MPLCONFIGDIR", "/dev/null/matplotlib", 0, ""),  # a folder that cannot be made, under a file
    ("XDG_CONFIG_HOME", "/dev/null/config", 0, ""),
    ("XDG_CACHE_HOME", "/dev/null/cache", 0, ""),
], ids=["unknown backend", "backend module missing", "a module that is no backend", "unwritable home",
        "unwritable MPLCONFIGDIR", "unwritable XDG_CONFIG_HOME", "unwritable XDG_CACHE_HOME"])
def test_the_environment(tmp_path, variable, value, status, words):
    env = {key: val for key, val in headless_environment().items()
           if key not in ("MPLCONFIGDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")}
    env[variable] = value
    env["TMPDIR"] = str(tmp_path / "tmp")
    (tmp_path / "tmp").mkdir()
    process = start(tmp_path, tmp_path / "figure.png", env=env)
    _, err = process.communicate(timeout=120)
    assert process.returncode == status
    if words:
        assert err.count("\n") == 1 and err.startswith(f"error: {words}") and "unset it" in err
    else:
        assert err == ""
    assert list((tmp_path / "tmp").iterdir()) == []  # matplotlib's temporary folder is gone


def test_a_full_disk_under_standard_output_does_not_stop_the_run(tmp_path):
    """`> /dev/full`: the report cannot be written, the figure still is, and nothing is said at exit."""
    output = tmp_path / "figure.png"
    command = [sys.executable, str(ROOT / "upsample_example.py"), "--no-show", "--output", str(output)]
    with open("/dev/full", "w") as full:
        result = subprocess.run(command, env=headless_environment(), stdout=full, stderr=subprocess.PIPE, text=True,
                                timeout=120)
    assert result.returncode == 0 and result.stderr == "" and output.read_bytes()[:4] == b"\x89PNG"


# The tutorial run as `python upsample_example.py`, with Ctrl-C's SIGINT sent to it at a chosen instant of its start-up:
# the first import of the module named (an audit hook sees every import), long before main() starts.
AT_IMPORT = """
import os, runpy, signal, sys
module, script = sys.argv[1], sys.argv[2]
sent = []

def interrupt_at(event, args):
    if event == "import" and args[0] == module and not sent:
        sent.append(module)
        os.kill(os.getpid(), signal.SIGINT)

sys.addaudithook(interrupt_at)
sys.argv, sys.path[0] = sys.argv[2:], os.path.dirname(script)
runpy.run_path(script, run_name="__main__")
"""


def signal_at_import(module: str, output: Path, signum: int = signal.SIGINT) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", AT_IMPORT.replace("signal.SIGINT", str(int(signum))), module,
               str(ROOT / "upsample_example.py"), "--no-show", "--output", str(output)]
    return subprocess.run(as_a_shell_starts_it(command), env=headless_environment(), capture_output=True, text=True,
                          timeout=120)


def test_ctrl_c_while_python_imports_torch_is_pythons_own_traceback(tmp_path):
    """The README: Ctrl-C before main() starts is Python's: a traceback ending in KeyboardInterrupt, nothing written."""
    result = signal_at_import("torch", tmp_path / "f.png")
    assert result.returncode == -signal.SIGINT and result.stdout == ""  # the shell reports 130
    assert "Traceback" in result.stderr and result.stderr.rstrip().endswith("KeyboardInterrupt")
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_while_torch_imports_numpy_can_be_lost(tmp_path):
    """The README: an interrupt that lands while torch imports NumPy can be swallowed: the run writes the figure."""
    result = signal_at_import("numpy", tmp_path / "f.png")
    assert result.returncode == 0 and result.stderr == "" and "wrote" in result.stdout
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"


def test_ctrl_c_while_torch_imports_numpy_can_end_in_another_error(tmp_path):
    """The README: or it leaves NumPy half imported, and a later import fails with a traceback of its own error."""
    result = signal_at_import("numpy.lib.scimath", tmp_path / "f.png")
    assert result.returncode == 1 and "wrote" not in result.stdout and "Traceback" in result.stderr
    assert "KeyboardInterrupt" not in result.stderr.strip().splitlines()[-1]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_or_sighup_while_python_imports_torch_ends_the_run_silently(tmp_path, signum):
    """The README: before main() starts, SIGTERM and SIGHUP take their default action: the run ends at once, with
    the signal's status and no line, and nothing written."""
    result = signal_at_import("torch", tmp_path / "f.png", signum)
    assert result.returncode == -signum and result.stdout == "" and result.stderr == ""
    assert list(tmp_path.iterdir()) == []


# A command whose clean-up is interrupted: the first step of its clean-up sends it SIGTERM, a later step leaves a mark.
INTERRUPTED_CLEAN_UP = """
import os, signal, sys, time
sys.path.insert(0, {root!r})
import upsample_command
with upsample_command.OneLineEndings() as command:
    command.stack.callback(open(sys.argv[1], "w").write, "the clean-up ran whole")
    command.stack.callback(lambda: (os.kill(os.getpid(), signal.SIGTERM), time.sleep(0.2)))
    upsample_command.say("the work is done")
raise SystemExit(command.status)
"""


def test_a_signal_during_the_clean_up_at_the_end_is_the_commands_ending(tmp_path):
    mark = tmp_path / "mark"
    result = subprocess.run([sys.executable, "-c", INTERRUPTED_CLEAN_UP.format(root=str(ROOT)), str(mark)],
                            env=headless_environment(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 143 and result.stderr == "stopped by SIGTERM\n" and result.stdout == "the work is done\n"
    assert mark.read_text() == "the clean-up ran whole"


def test_with_standard_error_closed_the_error_line_does_not_go_to_standard_output(tmp_path):
    command = [sys.executable, str(ROOT / "upsample_example.py"), "--no-show", "--output", "/proc/f.png"]
    result = subprocess.run(command, env=headless_environment(), stdout=subprocess.PIPE, text=True, timeout=120,
                            preexec_fn=lambda: os.close(2))  # 2>&-
    assert result.returncode == 1 and "error" not in result.stdout and "wrote" not in result.stdout


# The tutorial's command line, then a signal once main() has returned, before the process leaves.
AFTER_MAIN = """
import os, signal, sys, time
sys.path.insert(0, {root!r})
from upsample_command import main
status = main(sys.argv[2:])
os.kill(os.getpid(), int(sys.argv[1]))
time.sleep(5)
raise SystemExit(status)
"""


# A signal sent as the command puts Python's handlers back, after its last line: held until they are back, then
# Python's, as once the command has ended.
DURING_RESTORE = """
import os, sys
sys.path.insert(0, {root!r})
import upsample_files
from upsample_command import main
handle_signals = upsample_files.handle_signals
def signal_then_restore():
    restore = handle_signals()
    def restore_after_a_signal():
        os.kill(os.getpid(), int(sys.argv[1]))
        restore()
    return restore_after_a_signal
upsample_files.handle_signals = signal_then_restore
raise SystemExit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=["SIGTERM", "SIGHUP", "Ctrl-C"])
@pytest.mark.parametrize("script", [AFTER_MAIN, DURING_RESTORE], ids=["after main()", "as the handlers go back"])
def test_a_signal_once_the_command_has_ended_is_pythons_and_the_figure_is_complete(tmp_path, script, signum):
    output = tmp_path / "f.png"
    command = [sys.executable, "-c", script.format(root=str(ROOT)), str(int(signum)), "--no-show", "--output",
               str(output)]
    result = subprocess.run(as_a_shell_starts_it(command), env=headless_environment(), capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == -signum and result.stdout.endswith(f"wrote {output}\n")
    if signum == signal.SIGINT:  # Python's own traceback
        assert "Traceback" in result.stderr and result.stderr.rstrip().endswith("KeyboardInterrupt")
    else:
        assert result.stderr == ""
    assert output.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and [path.name for path in tmp_path.iterdir()] == ["f.png"]

