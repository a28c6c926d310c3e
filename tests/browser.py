"""The headless browser of the browser tests: Debian's chromium driven by Playwright (``playwright install`` is
never run: nothing is downloaded). Without it a test says why and is skipped, except in CI, where it fails."""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

import pytest

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def no_browser(reason: str) -> None:
    """Skip the test, saying why (fail it in CI, where .ci/run installs the browser)."""
    if os.environ.get("CI"):
        pytest.fail(f"browser test cannot run in CI: {reason}")
    warnings.warn(f"skipping the browser test: {reason}", stacklevel=2)
    print(f"skipping the browser test: {reason}")
    pytest.skip(f"no browser: {reason}")


def chromium() -> str:
    """The path of Debian's chromium, when it and the Playwright package are there; else ``no_browser``."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        no_browser("the playwright package is not installed (pip install -e '.[test]')")
    path = next((p for p in CHROMIUM if Path(p).exists()), shutil.which("chromium"))
    if path is None:
        no_browser("no chromium browser (apt-get install chromium; .ci/run does this)")
    return path
