"""The one error type the library raises, and its kinds.

Every function of govner that meets a problem the user can fix (a missing or malformed file, a record that
breaks the scheme, an output that cannot be written, a model or config that cannot be used) raises a
``GovnerError`` whose text is the whole message: one line naming the file (and line) and the problem. The
command line prints it once, on standard error (``console.run_cli``); a program catches ``GovnerError``.
"""

from __future__ import annotations


class GovnerError(Exception):
    """An error the user can fix; its text is the one-line message (file, line, problem).

    ``details`` holds one line per further problem (every invalid span, say), printed before the message.
    """

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or []


class InputError(GovnerError):
    """An input file, folder or record that cannot be read as it is."""


class OutputError(GovnerError):
    """An output that cannot be written (no permission, a read-only or full disk) or that would destroy an input."""


class ModelError(GovnerError):
    """A model that cannot be loaded or a training config that cannot be used."""
