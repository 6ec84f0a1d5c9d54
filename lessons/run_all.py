"""Redraw every figure in images/: the tutorial's before/after figure, then each lesson's, each in its own process.

Run it from the repository root (it takes minutes: two of the lessons train networks):

    python lessons/run_all.py

Each lesson runs as a script with $LESSON_IMAGES naming the folder, where it keeps its README figures, and
with matplotlib's non-interactive backend, so that no window opens. Its endings are the tutorial's: one line
for a mistake, a file that cannot be written, Ctrl-C, SIGTERM or SIGHUP. A signal is passed on to the running
lesson, which cleans up what it was writing and says so; no lesson outlives this command.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

LESSONS = Path(__file__).resolve().parent
ROOT = LESSONS.parent
GRACE = 20.0  # seconds a lesson has to clean up after a signal, before it is killed

# A lesson as a script, inside the tutorial's command's endings: every ending is one line, and SIGTERM or SIGHUP end it
# the way Ctrl-C does, so that a figure being written is removed, not left half-written.
LESSON = """
import runpy, sys
from upsample_command import OneLineEndings
sys.argv = sys.argv[1:]
with OneLineEndings() as endings:
    runpy.run_path(sys.argv[0], run_name="__main__")
raise SystemExit(endings.status)
"""


def commands(images: Path) -> list[list[str]]:
    """The tutorial's command, then every lesson's (lessons/plot_*.py, in name order), writing into ``images``."""
    tutorial = [sys.executable, str(ROOT / "upsample_example.py"), "--no-show",
                "--output", str(images / "afterupsampling.png")]
    lessons = [[sys.executable, "-c", LESSON, str(script)] for script in sorted(LESSONS.glob("plot_*.py"))]
    return [tutorial, *lessons]


def check_folder(images: Path) -> None:
    """Refuse a folder that is, or lies under, a file or a link to nowhere: nothing is written through it."""
    for folder in (images, *images.parents):
        if (folder.is_symlink() or folder.exists()) and not folder.is_dir():
            raise NotADirectoryError(20, "not a folder", str(folder))


def run(command: list[str], environment: dict[str, str]) -> int:
    """Run ``command`` in a session of its own and return its exit status; a signal to this process goes to it.

    On Ctrl-C, SIGTERM or SIGHUP the command gets the same signal and up to GRACE seconds to clean up; if it
    ends with the status that signal's ending has (it has said so in its own line), this process ends with it.
    """
    from upsample_files import Stopped

    child = subprocess.Popen(command, cwd=ROOT, env=environment, start_new_session=True)
    try:
        return child.wait()
    except (KeyboardInterrupt, Stopped) as stop:  # Ctrl-C, or SIGTERM and SIGHUP as the tutorial's command raises them
        number = signal.SIGINT if isinstance(stop, KeyboardInterrupt) else stop.args[0]
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):  # a second signal must not cut the clean-up short
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_IGN)
        child.send_signal(number)
        try:
            child.wait(timeout=GRACE)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if child.returncode == 128 + number:
            raise SystemExit(child.returncode) from None
        raise
    finally:
        if child.poll() is None:  # only a bug in this function gets here: the child still goes
            child.kill()
            child.wait()


def main(argv: Sequence[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))  # for upsample_command, which imports only the standard library (torch in main)
    from upsample_command import OneLineEndings, OneLineParser, say, user_path

    parser = OneLineParser(description=__doc__.strip().splitlines()[0])  # a mistake is one line
    parser.add_argument("--images", type=user_path, default=ROOT / "images", metavar="FOLDER",
                        help="where to write the figures (default: %(default)s)")
    args = parser.parse_args(argv)
    with OneLineEndings() as endings:
        images = args.images.absolute()  # not resolved: a link the run did not make is never followed
        check_folder(images)
        environment = {**os.environ, "LESSON_IMAGES": str(images), "MPLBACKEND": "Agg"}
        for each in commands(images):
            name = Path(each[-1] if each[1] == "-c" else each[1])
            name = name.relative_to(ROOT) if name.is_relative_to(ROOT) else name
            say(f"== {name}")
            status = run(each, environment)
            if status < 0:  # killed by a signal from elsewhere: it could not say so itself
                print(f"error: {name} was killed by {signal.Signals(-status).name}", file=sys.stderr)
                return 1
            if status != 0:  # the command has said why in its own line (or a traceback, for a bug)
                return status
    return endings.status


if __name__ == "__main__":
    raise SystemExit(main())
