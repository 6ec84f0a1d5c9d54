"""The README says what the code does: its figures exist, and its tables are what the commands print."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import upsample_example
from upsample_example import FIGURES, main

ROOT = Path(upsample_example.__file__).resolve().parent
README = (ROOT / "README.md").read_text()


def block_after(heading_line: str) -> list[str]:
    """The lines of the first fenced block after the line that starts with ``heading_line``."""
    start = README.index(heading_line)
    body = README[README.index("```\n", start) + 4:]
    return body[: body.index("```")].strip("\n").splitlines()


def printed_by(argv: list[str], capsys) -> list[str]:
    assert main(argv) == 0
    return capsys.readouterr().out.splitlines()


def test_every_figure_shown_exists_with_its_command():
    shown = re.findall(r"\]\((images/[^)]+)\)", README)
    assert sorted(shown) == sorted(f"images/{name}" for name in FIGURES.values())
    for path in shown:
        assert (ROOT / path).is_file()
    for figure in FIGURES:
        if figure != "before-after":
            assert re.search(rf"^python upsample_example\.py --figure {figure}(  #.*)?$", README, re.MULTILINE), figure


def test_checkerboard_table_is_what_the_command_prints(tmp_path, capsys):
    readme_rows = block_after("initialisations (mean ± spread)")
    printed = printed_by(["--figure", "network", "--output", str(tmp_path / "n.png")], capsys)
    start = printed.index(readme_rows[0])
    assert printed[start : start + len(readme_rows)] == readme_rows


def test_autoencoder_table_is_what_the_command_measures(tmp_path, capsys):
    """The README's numbers come from a fresh run of its command (to within the noise of float arithmetic),
    and the orderings its prose states hold."""
    readme_rows = block_after("epoch while it trains, then:")
    printed = printed_by(["--figure", "autoencoder", "--output", str(tmp_path / "a.png")], capsys)
    start = printed.index(readme_rows[0])
    measured = printed[start : start + len(readme_rows)]

    def numbers(rows):
        return {row.rsplit(maxsplit=2)[0].strip(): [float(value) for value in row.split()[-2:] if value[0].isdigit()]
                for row in rows[1:]}

    readme, fresh = numbers(readme_rows), numbers(measured)
    assert readme.keys() == fresh.keys()
    for name in readme:
        assert fresh[name] == pytest.approx(readme[name], rel=0.15, abs=0.002), name
    board = {name: values[-1] for name, values in fresh.items()}
    error = {name: values[0] for name, values in fresh.items() if len(values) == 2}
    assert board["transposed k3"] == max(board.values()) and board["transposed k3"] > 3 * board["(originals)"]
    assert max(board["resize-conv"], board["transposed k4"]) < board["transposed k3"] / 2
    assert max(error["transposed k3"], error["transposed k4"]) < error["resize-conv"]


def test_performance_tables_are_the_benchmarks_own(capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_upsample", ROOT / "benchmarks" / "bench_upsample.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    tables = bench.markdown(json.loads((ROOT / "benchmarks" / "throughput.json").read_text()))
    assert tables in README


def test_startup_numbers_are_the_benchmarks_own():
    startup = json.loads((ROOT / "benchmarks" / "startup.json").read_text())
    for name in ("floor", "bare run", "frozen floor"):
        assert f"| {name} | {startup[name]['wall_s']:.2f} s | {startup[name]['peak_mib']:.0f} MiB |" in README
    ratio = startup["ratio"]
    assert f"| ratio | {ratio['wall']:.2f}× | {ratio['peak memory']:.2f}× |" in README
