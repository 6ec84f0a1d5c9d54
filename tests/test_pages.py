"""Every lesson reads as a page of a gallery: cells of prose, each followed by a short block of code that shows
something; prose at least as long as the code; code no wider than the built page; shared code imported the
ordinary way (the installed ``upsample_helpers``), never through ``sys.path`` and never from another page."""

from __future__ import annotations

import ast
import re
import statistics
from pathlib import Path

import pytest
from conftest import ROOT

PAGES = sorted((ROOT / "lessons").glob("plot_*.py"))
WIDTH = 80  # characters of code the built gallery shows without scrolling (.ci/check_gallery.py measures it)
SHOWS = re.compile(r"\b(print|display|plt\.|imshow|savefig|save_for_readme)\b|\.show\(|figure")


def cells(page: Path) -> tuple[list[str], list[list[str]]]:
    """The page's docstring lines, and each ``# %%`` cell's lines."""
    head, *rest = re.split(r"^# %%.*$", page.read_text(), flags=re.MULTILINE)
    return head.splitlines(), [cell.splitlines() for cell in rest]


def code_lines(cell: list[str]) -> list[str]:
    """The cell's code: not blank, not a comment, not an import (a wrapped import's lines included)."""
    code, in_import = [], False
    for line in cell:
        stripped = line.strip()
        if in_import:
            in_import = not stripped.startswith(")")
            continue
        if not stripped or stripped.startswith("#"):
            continue
        if re.match(r"(import|from) ", stripped):
            in_import = stripped.endswith("(")
            continue
        code.append(line)
    return code


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_a_page_is_prose_and_short_cells_that_each_show_something(page):
    head, body = cells(page)
    prose = sum(1 for line in head if line.strip() and line.strip() != '"""')
    prose += sum(1 for cell in body for line in cell if line.strip().startswith("#"))
    sizes, silent = [], []
    for number, cell in enumerate(body, 1):
        code = code_lines(cell)
        if not code:
            continue  # a cell of prose alone
        sizes.append(len(code))
        last = ast.parse("\n".join(cell)).body[-1]
        if not (SHOWS.search("\n".join(code)) or isinstance(last, ast.Expr)):
            silent.append(number)
    assert prose >= sum(sizes), f"{sum(sizes)} lines of code, {prose} of prose"
    assert statistics.median(sizes) <= 12 and max(sizes) <= 25, sizes
    assert not silent, f"cells that show nothing: {silent}"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_a_page_s_code_fits_the_built_page_and_imports_no_other_page(page):
    text = page.read_text()
    _, body = cells(page)
    wide = [line for cell in body for line in cell if len(line) > WIDTH and not line.lstrip().startswith("#")]
    assert not wide, wide
    assert "sys.path" not in text
    imported = {node.module for node in ast.walk(ast.parse(text)) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Import)
                 for alias in node.names}
    assert not {name for name in imported if name and name.split(".")[-1].startswith("plot_")}


def test_the_helpers_are_installed_not_found_through_the_lessons_folder():
    """The suite and the pages import the same installed package; pytest adds only the repository root."""
    import upsample_helpers

    assert Path(upsample_helpers.__file__).parent == ROOT / "lessons" / "upsample_helpers"
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'pythonpath = ["."]' in pyproject and '"lessons"' not in pyproject.split("pythonpath")[1].split("\n")[0]
