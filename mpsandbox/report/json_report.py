"""The JSON report: the :class:`Report` model as JSON, and its versioned JSON schema."""

from __future__ import annotations

from typing import Any

from ..review.model import REPORT_SCHEMA_VERSION, Report


def to_json(report: Report) -> str:
    return report.model_dump_json(indent=2)


def report_json_schema() -> dict[str, Any]:
    schema = Report.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://mpsandbox.dev/schemas/report-v{REPORT_SCHEMA_VERSION}.json",
        **schema,
        "title": f"mpsandbox review report, schema version {REPORT_SCHEMA_VERSION}",
    }
