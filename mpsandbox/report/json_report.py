"""The JSON report: the :class:`Report` model as deterministic JSON, and its versioned JSON schema.

Keys are sorted at every level and nothing depends on the wall clock except ``RunFigures.wall_ms`` (the measured
time of each walk), so two reviews of the same bundle with the same options differ in that field only.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..review.model import REPORT_SCHEMA_VERSION, Report

SCHEMA_ID = f"https://mpsandbox.dev/schemas/report-v{REPORT_SCHEMA_VERSION}.json"
_SURROGATE = re.compile("[\ud800-\udfff]")


def _jsonable(value: Any) -> Any:
    """Fallback conversion for values pydantic cannot put in JSON (bytes that are not UTF-8...)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="backslashreplace")
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "value") and isinstance(value.value, (str, int)):  # enums
        return value.value
    return repr(value)


def report_data(report: Report) -> dict[str, Any]:
    """The report as plain JSON data (what :func:`to_json` prints)."""
    try:
        return report.model_dump(mode="json", fallback=repr)
    except (ValueError, TypeError, UnicodeError):
        return _jsonable(report.model_dump())


def to_json(report: Report) -> str:
    """``report`` as JSON, 2-space indented, keys sorted; valid against :func:`report_json_schema` and readable back
    with ``Report.model_validate_json``. Non-ASCII text is kept as is unless it holds lone surrogates (then every
    non-ASCII character is escaped so the output can always be written as UTF-8)."""
    data = report_data(report)
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False, default=repr)
    if _SURROGATE.search(text):
        text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=True, allow_nan=False, default=repr)
    return text + "\n"


def report_json_schema() -> dict[str, Any]:
    """The JSON schema (draft 2020-12) of :func:`to_json`'s output, for `mpsandbox schema`."""
    schema = Report.model_json_schema()
    out = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": f"mpsandbox review report, schema version {REPORT_SCHEMA_VERSION}",
        "description": "The result of `mpsandbox review --format json`: the verdict, every finding with its evidence, "
                       "the figures of each walk and the rules that ran. Incompatible changes bump schema_version.",
    }
    version = out.get("properties", {}).get("schema_version")
    if isinstance(version, dict):
        out["properties"] = {**out["properties"], "schema_version": {**version, "const": REPORT_SCHEMA_VERSION}}
    return out
