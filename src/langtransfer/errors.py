"""User-facing errors: one line, names the file / line / field, exits with code 2.

Everything the user can get wrong (config, paths, data rows) raises `UserError`; the CLI
prints `error: <message>` and exits 2. Bugs stay ordinary exceptions with tracebacks.
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input from the user. The message is a single line that says where and what."""

    exit_code = 2

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))  # force one line


class ConfigError(UserError):
    """A config file, key or value is wrong."""


class DataError(UserError):
    """A data file or row is wrong."""
