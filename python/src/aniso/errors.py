"""Exceptions: one aniso.Error subclass per aniso_status (include/aniso/error.h)."""

from __future__ import annotations

from typing import Dict, Type


class Error(Exception):
    """A failure reported by libaniso.

    ``message`` is the library's one-line message (it names the file, key or
    tensor and what was wrong); ``status`` the aniso_status code and
    ``status_name`` its name ("NOT_FOUND")."""

    status: int = -1
    status_name: str = "ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgumentError(Error, ValueError):
    """ANISO_INVALID_ARGUMENT: a bad option or input."""

    status, status_name = 1, "INVALID_ARGUMENT"


class InputOutputError(Error, OSError):
    """ANISO_IO: a file could not be read or written."""

    status, status_name = 2, "IO"


class NotFoundError(Error, LookupError):
    """ANISO_NOT_FOUND: a model, file, tensor or key that does not exist."""

    status, status_name = 3, "NOT_FOUND"


class FormatError(Error, ValueError):
    """ANISO_FORMAT: a malformed file."""

    status, status_name = 4, "FORMAT"


class UnsupportedError(Error):
    """ANISO_UNSUPPORTED: a model, tokenizer or file feature aniso does not support."""

    status, status_name = 5, "UNSUPPORTED"


class OutOfMemoryError(Error, MemoryError):
    """ANISO_NO_MEMORY."""

    status, status_name = 6, "NO_MEMORY"


# Short aliases.
NotFound = NotFoundError
InvalidArgument = InvalidArgumentError

BY_STATUS: Dict[int, Type[Error]] = {
    c.status: c
    for c in (
        InvalidArgumentError,
        InputOutputError,
        NotFoundError,
        FormatError,
        UnsupportedError,
        OutOfMemoryError,
    )
}


def error_for(status: int, message: str) -> Error:
    """The exception for an aniso_status and message."""
    cls = BY_STATUS.get(status, Error)
    return cls(message)
