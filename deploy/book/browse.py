"""Open the built course website in headless Chromium with the network cut off.

Used by tests/test_book.py and benchmarks/book.py. The site is served from 127.0.0.1 by Python's
own HTTP server (a thread, stopped on exit); every request Chromium makes for anything other than
127.0.0.1 is aborted and recorded, so a page that needs the internet shows up as a failure.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no request lines on the test's output
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (a free port); yields the base URL."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="mlfail-book-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@contextlib.contextmanager
def offline_browser(blocked: list[str]) -> Iterator[object]:
    """A Playwright page in headless Chromium whose requests may only reach 127.0.0.1 or file://.

    Any other request is aborted and its URL appended to ``blocked``.
    """
    from playwright.sync_api import sync_playwright

    def route(r) -> None:
        url = urlparse(r.request.url)
        if url.scheme in ("file", "data", "blob", "about") or url.hostname == "127.0.0.1":
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
            context.route("**/*", route)
            yield context.new_page()
        finally:
            browser.close()


def load_and_render(page, url: str) -> dict:
    """Open ``url``; wait for the page and its images; the timings from the Navigation Timing API (ms)."""
    page.goto(url, wait_until="load")
    page.wait_for_function("Array.from(document.images).every(i => i.complete)")
    return page.evaluate("""() => {
        const n = performance.getEntriesByType('navigation')[0];
        const paint = performance.getEntriesByName('first-contentful-paint')[0];
        return {load_ms: n.loadEventEnd - n.startTime,
                dom_ms: n.domContentLoadedEventEnd - n.startTime,
                paint_ms: paint ? paint.startTime : null,
                images: document.images.length};
    }""")
