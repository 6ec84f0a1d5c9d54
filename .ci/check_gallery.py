"""Open the built gallery in headless Chromium: every page loads, every image is drawn, no link is broken, no
code block or printed output scrolls sideways, and no figure is drawn so small that its text cannot be read.

    python .ci/check_gallery.py docs/_build/html

Pages are served from 127.0.0.1 by a server this script starts. Needs Chromium (Debian's chromium and
chromium-driver) or Chrome with its chromedriver on PATH, and selenium (requirements-docs.txt).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import sys
import tempfile
import threading
import urllib.parse
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

LOADED = "return document.readyState == 'complete' && [...document.images].every(i => i.complete)"
IMAGES_DRAWN = "return [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
LINKS = "return [...document.querySelectorAll('a[href]')].map(a => a.href)"
# Code blocks and printed output wider than the reading column: they would scroll sideways.
SCROLLING = ("return [...document.querySelectorAll('pre')].filter(p => p.scrollWidth > p.clientWidth + 1)"
             ".map(p => p.scrollWidth + ' px in ' + p.clientWidth + ' px: '"
             " + p.textContent.split('\\n')[0].slice(0, 60))")
# A lesson's figure drawn much smaller than it was made: its text would be too small to read.
SHRUNK = ("return [...document.querySelectorAll('img.sphx-glr-single-img, img.sphx-glr-multi-img')]"
          ".filter(i => i.naturalWidth > 0 && i.clientWidth / i.naturalWidth < arguments[0])"
          ".map(i => i.src.split('/').pop() + ' drawn at ' + Math.round(100 * i.clientWidth / i.naturalWidth) + '%')")
SMALLEST_SCALE = 0.75  # a figure's text, made at 9-10 points, stays readable down to about three quarters
WINDOW = (1280, 900)  # a laptop's browser window


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def main(site: Path) -> int:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/"
    # Chromium's profile and its singleton socket go into a folder of this run's own, removed at the end.
    scratch = tempfile.TemporaryDirectory(prefix="gallery-browser-")
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--user-data-dir={scratch.name}/profile"):
        options.add_argument(argument)
    # Debian's chromium, or the Chrome of a hosted runner; the driver that goes with it is on PATH.
    options.binary_location = shutil.which("chromium") or shutil.which("google-chrome") or "/usr/bin/chromium"
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver",
                      env={**os.environ, "TMPDIR": scratch.name})
    browser = webdriver.Chrome(service=service, options=options)
    browser.set_window_size(*WINDOW)
    problems, pages, images = [], 0, 0
    try:
        for page in sorted(site.rglob("*.html")):
            if "_sources" in page.parts or page.name in ("genindex.html", "search.html"):
                continue
            url = base + page.relative_to(site).as_posix()
            browser.get(url)
            pages += 1
            try:
                WebDriverWait(browser, 20).until(lambda b: b.execute_script(LOADED))
            except TimeoutException:
                problems.append(f"{url}: did not finish loading, or an image is still loading")
            problems += [f"{url}: image not drawn: {src}" for src in browser.execute_script(IMAGES_DRAWN)]
            problems += [f"{url}: scrolls sideways: {what}" for what in browser.execute_script(SCROLLING)]
            problems += [f"{url}: figure too small to read: {what}"
                         for what in browser.execute_script(SHRUNK, SMALLEST_SCALE)]
            images += browser.execute_script("return document.images.length")
            for link in browser.execute_script(LINKS):
                parts = urllib.parse.urlsplit(link)
                if not link.startswith(base):
                    continue  # a link off the site: nothing on it is checked offline
                target = site / urllib.parse.unquote(parts.path[len("/") :])
                if target.is_dir():
                    target = target / "index.html"
                if not target.is_file():
                    problems.append(f"{url}: broken link {link}")
    finally:
        browser.quit()
        server.shutdown()
        scratch.cleanup()
    lessons = len(
        [page for page in (site / "gallery").glob("*.html") if page.stem not in ("index", "sg_execution_times")]
    )
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{pages} pages ({lessons} lessons), {images} images: {len(problems)} problems")
    expected = len([*Path("lessons").glob("plot_*.py")])
    if lessons != expected:
        print(f"the gallery has {lessons} lesson pages, lessons/ has {expected} lessons", file=sys.stderr)
    return 1 if problems or lessons != expected else 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/_build/html")))
