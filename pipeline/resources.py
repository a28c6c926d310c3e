"""Where the files that ship with govner live, in a checkout and in an installed wheel alike.

The project keeps its shipped files in top-level folders (``models/``, ``configs/``, ``docs/``, ``scripts/``),
which is where a checkout, and so an editable install, finds them. A wheel carries copies of exactly those
files inside the package, under ``pipeline/_data/`` (``setup.py``'s ``build_py`` puts them there), so a
non-editable install works from any folder. Contract: ``resource("models", "govner-zh")`` names the same
file in both cases, and nothing in govner finds a shipped file any other way.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
BUNDLED = PACKAGE / "_data"
CHECKOUT = PACKAGE.parent
# what a wheel carries (setup.py reads this list): folders and files, relative to the project root
SHIPPED = ("models/govner-zh", "configs", "docs/annotation-guidelines.md", "scripts/install_doccano.sh")


def resource(*parts: str) -> Path:
    """A shipped file or folder: the wheel's copy when govner is installed from one, else the checkout's."""
    bundled = BUNDLED.joinpath(*parts)
    return bundled if bundled.exists() else CHECKOUT.joinpath(*parts)


DEFAULT_MODEL = resource("models", "govner-zh")
CONFIGS = resource("configs")
