"""Open the built gallery in headless Chromium: every page loads, every image is drawn, no link is broken.

    python .ci/check_gallery.py docs/_build/html

Pages are served from 127.0.0.1 by a server this script starts. Needs Debian's chromium and chromium-driver,
and selenium (requirements-docs.txt).
"""

from __future__ import annotations

import functools
import http.server
import os
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
    options.binary_location = "/usr/bin/chromium"
    service = Service("/usr/bin/chromedriver", env={**os.environ, "TMPDIR": scratch.name})
    browser = webdriver.Chrome(service=service, options=options)
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
    expected = len([*Path("lessons").glob("plot_*.py"), *Path("lessons").glob("check_*.py")])
    if lessons != expected:
        print(f"the gallery has {lessons} lesson pages, lessons/ has {expected} lessons", file=sys.stderr)
    return 1 if problems or lessons != expected else 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/_build/html")))
