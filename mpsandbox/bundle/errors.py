"""Errors and problems of bundle loading: structured, readable, never a traceback."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class BundleError(Exception):
    """The bundle cannot be loaded (safely). ``code`` is stable; ``str()`` is one readable line."""

    def __init__(self, code: str, message: str, file: str | None = None, line: int | None = None,
                 column: int | None = None):
        self.code = code
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + (f":{self.column}" if self.column else "")
            where += ": "
        return f"{self.code}: {where}{self.message}"


class BundleProblem(BaseModel):
    """Something wrong with the bundle that does not stop the run."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    severity: Literal["error", "warning", "info"] = "warning"

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + (f":{self.column}" if self.column else "")
            where += ": "
        return f"{self.code}: {where}{self.message}"
