"""The download: every network fault ends within the bound it promises, and the root is left as it was found.

One table of faults, each met by a server (or a proxy) on 127.0.0.1. The rows run four at a time, each
in its own thread calling ``download_mnist``, whose child process imports torchvision: that import is most of
a row's cost. Each row asserts how it ends (the words of its one reason), the bound it promises (the stall
bound from the moment the child is ready, the whole-download deadline from the call), that the fault was met
(the server or proxy saw the request), and what the root holds afterwards.
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import MNIST_NAMES, ROOT, fake_mnist, headless_environment, idx_bytes, serving_mnist, write_mnist

import upsample_files
from upsample_files import DataError, digits, download_mnist, mnist_raw_folder

STALL = 3.0  # seconds: the rows' --download-stall
# seconds: the --download-timeout of the row that meets it (the others have 60). It counts from the child's
# start, and the row must see data arrive for longer than STALL after the child has imported torchvision. That
# child starts alone, before the other rows' children, and still took 18 s once on two cores loaded by other work:
# hence 30.
DEADLINE = 30.0
SLACK = 2.0  # seconds a row may end after its bound: the child is looked at every 0.05 s, then killed


# -- servers and a proxy on 127.0.0.1, from raw sockets ---------------------------------------------------------------
def _head(connection: socket.socket) -> bytes:
    """Read a request's head (up to the blank line)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _headers_then(body: Callable[[socket.socket, threading.Event], None]):
    """Answer HEAD with the headers of a 10 MB file (torchvision asks HEAD first, for redirects), GET with ``body``."""

    def answer(connection: socket.socket, stop: threading.Event) -> None:
        request = _head(connection)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\n")
        if not request.startswith(b"HEAD"):
            body(connection, stop)

    return answer


def _every(seconds: float, piece: bytes):
    def send(connection: socket.socket, stop: threading.Event) -> None:
        while not stop.wait(seconds):
            connection.sendall(piece)

    return send


def _reply(data: bytes):
    def answer(connection: socket.socket, stop: threading.Event) -> None:
        _head(connection)
        connection.sendall(data)

    return answer


def _silent(connection: socket.socket, stop: threading.Event) -> None:
    stop.wait()  # accept, read nothing, answer nothing


class Listener:
    """A TCP server on 127.0.0.1 that meets every connection with ``behave``; it records each request's first line."""

    def __init__(self, behave: Callable[[socket.socket, threading.Event], None]) -> None:
        self.behave, self.stop, self.requests, self.sockets = behave, threading.Event(), [], []
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.sockets.append(connection)
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        with contextlib.suppress(OSError):  # the client hung up: that is what the test is about
            first = connection.recv(65536, socket.MSG_PEEK).split(b"\r\n")[0]
            self.requests.append(first.decode("latin-1"))
            self.behave(connection, self.stop)
            connection.close()

    def close(self) -> None:
        self.stop.set()
        for sock in [self.socket, *self.sockets]:
            with contextlib.suppress(OSError):
                sock.close()


def _proxy(routes: dict[int, str]):
    """An HTTP proxy: for each target port, 'forward' (to 127.0.0.1), 'silent', or 'trickle' (a CONNECT
    answer that never ends, a header line at a time)."""

    def behave(connection: socket.socket, stop: threading.Event) -> None:
        head = _head(connection)
        _, target, _ = head.split(b"\r\n")[0].split(b" ", 2)
        hostport = target.split(b"//", 1)[-1].split(b"/", 1)[0]
        route = routes.get(int(hostport.rsplit(b":", 1)[1]), "silent")
        if route == "silent":
            stop.wait()
        elif route == "trickle":
            connection.sendall(b"HTTP/1.1 200 Connection established\r\n")
            while not stop.wait(0.2):
                connection.sendall(b"X: y\r\n")
        else:  # forward a plain-HTTP request: the path alone on the request line, to the port asked for
            path = b"/" + target.split(b"//", 1)[-1].split(b"/", 1)[1]
            upstream = socket.create_connection(("127.0.0.1", int(hostport.rsplit(b":", 1)[1])))
            upstream.sendall(head.replace(target, path, 1))
            while data := upstream.recv(65536):
                connection.sendall(data)
            upstream.close()

    return behave


# -- the table ---------------------------------------------------------------------------------------------------------
@dataclass
class Case:
    server: str  # what the mirror does
    words: list[str]  # what the failure's reason says; [] for a download that succeeds
    bound: str | None = None  # 'stall' or 'deadline': the bound the row promises
    proxy: str | None = None  # through the proxy, which then does this with the request
    timeout: float = 60.0  # the row's --download-timeout
    command: str | None = None  # run the command line instead: 'auto' (falls back), or a signal's name to send


CASES = {  # the row that meets the deadline first: it must import torchvision well within its DEADLINE
    "slow body, 40 KiB every 0.25 s": Case("slow body", [f"did not finish within the {DEADLINE:.0f} s", "--download-timeout"],
                                           "deadline", timeout=DEADLINE),
    # (the one success goes through the proxy; every fault row below reaches its server directly)
    "succeeds through a proxy": Case("mnist", [], proxy="forward"),
    "silent server": Case("silent", ["no data arrived for 3 s", "--download-stall"], "stall"),
    "trickling server, a byte every 0.1 s": Case("trickle", ["no data arrived for 3 s"], "stall"),
    "proxy trickles its CONNECT answer": Case("https", ["no data arrived for 3 s"], "stall", proxy="trickle"),
    "redirect to a silent ftp:// server": Case("redirect to ftp", ["no data arrived for 3 s"], "stall"),
    "not HTTP": Case("not HTTP", ["MNIST download failed", "BadStatusLine"]),
    "body cut short": Case("cut short", ["MNIST download failed", "train-images-idx3-ubyte.gz", "corrupted"]),
    "404, the command falls back to the sample": Case("404", ["offline MNIST sample", "HTTP Error 404", "falling back"],
                                                      command="auto"),
    "SIGTERM during the download": Case("silent", ["stopped by SIGTERM"], command="SIGTERM"),
}


@dataclass
class Outcome:
    error: str | None
    seconds: float  # from the call
    after_ready: float | None  # from the moment the child had imported torchvision
    requests: list[str]
    root: Path
    status: int | None  # the command line's exit status
    url: str  # the row's mirror


def command_line(root: Path, url: str, ending: str, server: Listener) -> tuple[int, str]:
    """``python upsample_example.py --download`` into ``root`` from ``url``: (exit status, standard error), or
    for an ``ending`` that names a signal, the same after sending it once the server has seen the request."""
    output = root.parent / "figure.png"
    command = [sys.executable, str(ROOT / "upsample_example.py"), "--download", "--root", str(root), "--no-show",
               "--output", str(output), "--mirror", url]
    process = subprocess.Popen(command, env=headless_environment(), text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    if ending != "auto":
        end = time.monotonic() + 60
        while not server.requests and process.poll() is None and time.monotonic() < end:
            time.sleep(0.05)  # until the child waits on the server
        process.send_signal(getattr(signal, ending))
    out, err = process.communicate(timeout=120)
    return process.returncode, err or out


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, Outcome]:
    """Every row at once; the proxy is the environment's (http_proxy, https_proxy), 127.0.0.1 bypasses it."""
    tmp = tmp_path_factory.mktemp("downloads")
    arrays = fake_mnist()
    ftp = Listener(_silent)
    behaviours = {
        "silent": _silent,
        "trickle": _headers_then(_every(0.1, b"x")),
        "slow body": _headers_then(_every(0.25, b"x" * 40 * 1024)),
        "redirect to ftp": _reply(f"HTTP/1.1 302 Found\r\nLocation: ftp://127.0.0.1:{ftp.port}/f.gz\r\n"
                                  "Content-Length: 0\r\n\r\n".encode()),
        "not HTTP": _reply(b"hello, this is not HTTP\r\n\r\n"),
        "cut short": _reply(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n\x1f\x8bxxxxxxxxxx"),
        "404": _reply(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
        "https": _silent,  # reached only through the proxy, which never lets the request through
    }
    with contextlib.ExitStack() as stack:
        mnist_url, resources = stack.enter_context(serving_mnist(tmp / "served", arrays))
        mnist_port = int(mnist_url.rsplit(":", 1)[1].strip("/"))
        routes = {}
        proxy = Listener(_proxy(routes))
        listeners = {name: Listener(behaviours[case.server]) for name, case in CASES.items() if case.server != "mnist"}
        for listener in [*listeners.values(), proxy, ftp]:
            stack.callback(listener.close)
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        for variable in ("http_proxy", "https_proxy"):
            patch.setenv(variable, f"http://127.0.0.1:{proxy.port}")
        patch.setenv("no_proxy", "127.0.0.1")
        for variable in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "all_proxy", "ALL_PROXY"):
            patch.delenv(variable, raising=False)

        def mirror(name: str, case: Case) -> tuple[str, Listener | None]:
            """The row's mirror URL, and the server (or proxy) that sees its requests."""
            port = mnist_port if case.server == "mnist" else listeners[name].port
            if case.proxy:
                routes[port] = case.proxy
                scheme = "https" if case.server == "https" else "http"
                return f"{scheme}://localhost:{port}/", proxy
            return f"http://127.0.0.1:{port}/", listeners.get(name)

        deadline_ready = threading.Event()  # the deadline row's child has imported torchvision

        def run(name: str, case: Case) -> Outcome:
            if case.bound != "deadline":  # its child imports alone, first: the others would slow it down
                deadline_ready.wait(DEADLINE)
            root = tmp / name.replace(" ", "-") / "root"
            root.mkdir(parents=True)
            (root / "kept").write_text("was here before")
            url, seen = mirror(name, case)
            ready, done = [], threading.Event()

            def watch() -> None:  # when the child has imported torchvision and said so
                while not done.wait(0.02):
                    if any(root.glob(f"{upsample_files.STAGING_PREFIX}*/{upsample_files.READY}")):
                        ready.append(time.monotonic())
                        if case.bound == "deadline":
                            deadline_ready.set()
                        return

            threading.Thread(target=watch, daemon=True).start()
            start, error, status = time.monotonic(), None, None
            if case.command:
                status, error = command_line(root, url, case.command, seen)
            else:
                try:
                    # The rows that meet a bound get the short stall; the others room for a slow start under load.
                    stall = STALL if case.bound in ("stall", "deadline") else 30.0
                    download_mnist(root, timeout=case.timeout, stall=stall, mirrors=[url], resources=resources)
                except DataError as raised:
                    error = str(raised)
            end = time.monotonic()
            done.set()
            return Outcome(error, end - start, end - ready[0] if ready else None,
                           list(seen.requests) if seen else [], root, status, url)

        with ThreadPoolExecutor(max_workers=4) as pool:  # 2 cores: more would only slow each child's start
            futures = {name: pool.submit(run, name, case) for name, case in CASES.items()}
            results = {name: future.result() for name, future in futures.items()}
    results["arrays"] = arrays
    return results


@pytest.mark.parametrize("name", CASES.keys())
def test_download(outcomes, name):
    case, outcome = CASES[name], outcomes[name]
    if not case.words:
        assert outcome.error is None
        raw = mnist_raw_folder(outcome.root)
        assert sorted(path.name for path in outcome.root.iterdir()) == ["MNIST", "kept"]  # no staging folder
        for file in MNIST_NAMES:
            assert (raw / file).read_bytes() == idx_bytes(outcomes["arrays"][file])
    else:
        assert outcome.error is not None and outcome.error.count("\n") == {None: 0, "auto": 3}.get(case.command, 1)
        outcome.error = outcome.error.strip()
        for words in case.words:
            assert words in outcome.error
        assert sorted(path.name for path in outcome.root.iterdir()) == ["kept"]  # as it was found
    if case.command == "auto":  # the figure is drawn from the sample; standard error stays empty
        assert outcome.status == 0 and outcome.error.startswith("data: offline MNIST sample")
        assert (outcome.root.parent / "figure.png").is_file()
    elif case.command:
        assert outcome.status == 128 + getattr(signal, case.command) and outcome.error == case.words[0]
    if case.proxy:
        assert outcome.requests, "the proxy saw no request"
        host = outcome.url.split("//")[1].rstrip("/")  # localhost:PORT, asked for as a URL or by CONNECT
        assert any(request.split()[1].split("//")[-1].startswith(host) for request in outcome.requests)
    elif case.server != "mnist":
        assert outcome.requests, "the server saw no request: the fault was never met"
    if case.bound == "stall":
        assert outcome.after_ready is not None and STALL <= outcome.after_ready < STALL + SLACK
    if case.bound == "deadline":
        assert DEADLINE <= outcome.seconds < DEADLINE + SLACK
        assert outcome.after_ready is not None and outcome.after_ready > STALL  # data kept coming: no stall


def test_no_download_child_is_left_running(outcomes, tmp_path_factory):
    # Only this run's children: other runs on the machine (a second CI job) may be downloading right now.
    ours = str(tmp_path_factory.getbasetemp())
    staging = [line for line in _command_lines() if upsample_files.STAGING_PREFIX in line and ours in line]
    assert staging == []


def _command_lines() -> list[str]:
    lines = []
    for folder in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            lines.append((folder / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
    return lines


# -- around the download ----------------------------------------------------------------------------------------------
def test_a_download_is_skipped_when_mnist_is_there(tmp_path):
    root = tmp_path / "root"
    write_mnist(root, fake_mnist())
    _, source = digits("mnist", root, download=True, mirrors=["http://127.0.0.1:9/"])  # nobody listens
    assert "full MNIST, 20 training digits" in source


def test_an_unwritable_root_is_named(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(DataError, match=r"cannot write to the MNIST root .*a-file"):
        download_mnist(blocker / "root", mirrors=["http://127.0.0.1:9/"])
    assert blocker.read_text() == "not a folder"


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"timeout": 0}, "timeout must be more than 0"),
    ({"timeout": 1e10}, "at most 86400"),
    ({"stall": -1}, "stall must be more than 0"),
    ({"mirrors": ["ftp://example.org/"]}, "http:// or https://"),
], ids=["no time", "a timeout too long", "a negative stall", "an ftp mirror"])
def test_download_arguments_are_checked(tmp_path, kwargs, words):
    with pytest.raises(ValueError, match=words):
        download_mnist(tmp_path / "root", **kwargs)
    assert not (tmp_path / "root").exists()


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

    monkeypatch.setattr(upsample_files.os, "replace", failing_replace)
    with pytest.raises(OSError, match="No space"):
        upsample_files._move_into(source, raw)
    assert sorted(path.name for path in raw.iterdir()) == ["kept"]


# A download whose child is replaced by one that succeeds or fails at once, with SIGTERM sent to this process at one
# chosen instant: right after the root is made, right after the staging folder is, while the child runs, while the
# files are moved in, and at the start of each step of the clean-up.
SIGNAL_DRIVER = """
import os, shutil, signal, sys, tempfile, threading, time
sys.path.insert(0, {root!r})
import upsample_files
threading.Thread(target=time.sleep, args=(60,), daemon=True).start()  # as torch's threads: a signal may go to any
instant, succeed, root = sys.argv[1], sys.argv[2] == "succeed", sys.argv[3]

def term():
    os.kill(os.getpid(), signal.SIGTERM)

def after(function, name):
    def patched(*args, **kwargs):
        result = function(*args, **kwargs)
        if instant == name:
            term()
        return result
    return patched

def before(function, name):
    def patched(*args, **kwargs):
        if instant == name:
            term()
        return function(*args, **kwargs)
    return patched

def child(job, staging, *rest):
    if succeed:
        raw = upsample_files.mnist_raw_folder(staging)
        raw.mkdir(parents=True)
        for name in upsample_files.MNIST_FILES:
            (raw / name).write_bytes(b"complete")
    if instant == "child":
        term()
    return None if succeed else "the server said no"

upsample_files.Path.mkdir = after(upsample_files.Path.mkdir, "mkdir")
tempfile.mkdtemp = after(tempfile.mkdtemp, "mkdtemp")
upsample_files._run_child = child
upsample_files._move_into = after(upsample_files._move_into, "moved")
shutil.rmtree = before(shutil.rmtree, "rmtree")
upsample_files._remove_empty = before(upsample_files._remove_empty, "remove_empty")
signal.signal(signal.SIGTERM, upsample_files.raise_or_hold)  # as the command sets it, without importing matplotlib
try:
    upsample_files.download_mnist(root)
except upsample_files.Stopped:
    print("stopped by SIGTERM", file=sys.stderr)
    sys.exit(143)
"""
INSTANTS = [(instant, outcome) for instant in ("mkdir", "mkdtemp", "child", "moved", "rmtree", "remove_empty")
            for outcome in ("succeed", "fail")
            if (instant, outcome) not in (("moved", "fail"), ("remove_empty", "succeed"))]  # steps of the other ending


@pytest.mark.parametrize(("instant", "outcome"), INSTANTS, ids=[" ".join(case) for case in INSTANTS])
def test_sigterm_at_any_instant_leaves_the_root_as_it_was_found(tmp_path, instant, outcome):
    for found in ("missing", "empty", "holding a file"):
        root = tmp_path / found / "root"
        root.parent.mkdir()
        if found != "missing":
            root.mkdir()
        if found == "holding a file":
            (root / "notes.txt").write_text("the user's")
        before = sorted(str(path.relative_to(tmp_path)) for path in (tmp_path / found).rglob("*"))
        result = subprocess.run([sys.executable, "-c", SIGNAL_DRIVER.format(root=str(ROOT)), instant, outcome,
                                 str(root)], capture_output=True, text=True, timeout=120)
        after = sorted(str(path.relative_to(tmp_path)) for path in (tmp_path / found).rglob("*"))
        assert result.returncode == 143 and result.stderr == "stopped by SIGTERM\n", (found, result.stderr)
        if outcome == "succeed" and instant in ("moved", "rmtree", "remove_empty"):  # every file was in place:
            # the complete set stays, the staging folder does not
            assert not [name for name in after if upsample_files.STAGING_PREFIX in name]
            assert {name for name in upsample_files.MNIST_FILES} <= {Path(name).name for name in after}
        else:
            assert after == before, (found, after)


# Two signals close together: SIGHUP while the child runs, then Ctrl-C at the first step of the child's clean-up.
TWO_SIGNALS_DRIVER = """
import os, signal, subprocess, sys
sys.path.insert(0, {root!r})
import upsample_files

class Child(subprocess.Popen):  # a child that would sleep for a minute; it signals its parent as it is looked at
    made, looks = [], 0

    def __init__(self, args, **kwargs):
        super().__init__([sys.executable, "-c", "import time; time.sleep(60)"], **kwargs)
        Child.made.append(self)

    def poll(self):
        Child.looks += 1
        if Child.looks in (3, 4):  # the third look is in the loop; the fourth, after SIGHUP, in the clean-up
            os.kill(os.getpid(), signal.SIGHUP if Child.looks == 3 else signal.SIGINT)
        return super().poll()

upsample_files.subprocess.Popen = Child
for signum in (signal.SIGHUP, signal.SIGINT):
    signal.signal(signum, upsample_files.raise_or_hold)  # as the command sets them
try:
    upsample_files.download_mnist(sys.argv[1], mirrors=["http://127.0.0.1:9/"])
except BaseException as error:
    print(type(error).__name__, "child ended:", Child.made[0].returncode is not None)
"""


def test_a_second_signal_during_the_childs_clean_up_still_ends_the_child(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "notes.txt").write_text("the user's")
    result = subprocess.run([sys.executable, "-c", TWO_SIGNALS_DRIVER.format(root=str(ROOT)), str(root)],
                            capture_output=True, text=True, timeout=120)
    assert result.stdout == "Stopped child ended: True\n", result.stderr  # the first signal is the ending
    assert [path.name for path in root.iterdir()] == ["notes.txt"]
