"""Output: name sanitising, record encoding (json/jsonl/csv), sinks and atomic report files."""

from __future__ import annotations

from scanner.output.formats import Format, choose_format
from scanner.output.sanitize import display_name, json_path_fields
from scanner.output.schema import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "Format", "choose_format", "display_name", "json_path_fields"]
