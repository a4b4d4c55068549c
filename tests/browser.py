"""Find and launch a headless Chromium for the browser tests, or say exactly why not (so the tests SKIP, never pass).

Playwright for Python drives the system's Chromium through ``executable_path``; ``playwright install``
(which downloads a browser of its own) is never needed. Where to look, in order: ``$VALUEGRAD_CHROMIUM``,
then ``chromium``, ``chromium-browser``, ``google-chrome`` and ``chrome`` on PATH. ``.ci/install-browser.sh``
installs Debian's ``chromium`` and the ``playwright`` package.

Set ``VALUEGRAD_REQUIRE_BROWSER=1`` to turn "no browser" into a test failure instead of a skip (for CI
machines that are known to have one).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest

#: Flags for a headless Chromium on a machine with no network and (often) as root: no sandbox (root cannot
#: have one), no GPU, and none of the background services that phone home at start-up.
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
)

_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")


def find_chromium() -> str | None:
    """The path of a Chromium executable, or None when there is none."""
    configured = os.environ.get("VALUEGRAD_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def unavailable(reason: str) -> NoReturn:
    """Skip the calling test with ``reason`` -- or fail it when ``VALUEGRAD_REQUIRE_BROWSER`` is set."""
    if os.environ.get("VALUEGRAD_REQUIRE_BROWSER"):
        pytest.fail(f"a browser is required (VALUEGRAD_REQUIRE_BROWSER is set) but: {reason}")
    pytest.skip(reason)


@dataclass
class Recorder:
    """Everything a page did that a test may want to forbid: console errors, page errors and requests."""

    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)


@contextmanager
def chromium_page(viewport: tuple[int, int] = (1280, 800), *, touch: bool = False) -> Iterator[tuple[Any, Recorder]]:
    """A fresh headless Chromium page (own empty profile) and the recorder of what it does.

    Skips the test (with the reason) when Playwright is missing or no Chromium can be found or launched.
    Every request the browser context makes is recorded, and any that is not a ``file:`` or ``data:`` URL
    is aborted, so a page that tries the network can never hang or pass a test by luck. ``touch`` makes
    it a touch screen (a phone), so pages get touch pointer events.
    """
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        unavailable(f"the Python package playwright is not installed ({error}); run .ci/install-browser.sh")
    executable = find_chromium()
    if executable is None:
        unavailable("no Chromium found (tried $VALUEGRAD_CHROMIUM, " + ", ".join(_CANDIDATES) + "); run .ci/install-browser.sh")
    recorder = Recorder()
    with tempfile.TemporaryDirectory(prefix="valuegrad-chromium-") as profile, sync_playwright() as playwright:
        try:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=executable,
                headless=True,
                args=list(CHROMIUM_FLAGS),
                viewport={"width": viewport[0], "height": viewport[1]},
                has_touch=touch,
            )
        except PlaywrightError as error:
            unavailable(f"Chromium at {executable} did not start: {str(error).splitlines()[0]}")
        try:

            def on_route(route: Any) -> None:
                url = route.request.url
                if url.startswith(("file:", "data:")):
                    route.continue_()
                else:
                    route.abort()

            context.on("request", lambda request: recorder.requests.append(request.url))
            context.route("**/*", on_route)
            page = context.pages[0] if context.pages else context.new_page()

            def on_console(message: Any) -> None:
                if message.type == "error":
                    recorder.console_errors.append(message.text)

            page.on("console", on_console)
            page.on("pageerror", lambda error: recorder.page_errors.append(str(error)))
            yield page, recorder
        finally:
            context.close()


def layout_programs() -> dict[str, str | None]:
    """The Graphviz layout programs a page can be drawn with: ``graphviz-pure`` (the pip wheel) and a system ``dot``.

    Either is None when it is not installed (``.ci/install-browser.sh`` installs Debian's graphviz).
    """
    import sys
    import sysconfig

    pure = next(
        (
            str(c)
            for c in (Path(sys.executable).parent / "graphviz-pure", Path(sysconfig.get_path("scripts")) / "graphviz-pure")
            if c.is_file() and os.access(c, os.X_OK)
        ),
        shutil.which("graphviz-pure"),
    )
    return {"graphviz-pure": pure, "system dot": shutil.which("dot")}
