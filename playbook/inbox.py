"""Read buyer messages to triage: CSV or JSON Lines, from a file or stdin.

One row per message with a ``text`` column; any order columns beside it (the contract's,
or a labelled case's keys) travel along as context. Malformed input names the line.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import IO

import pandas as pd

from .errors import PlaybookError
from .orders import decode_text

JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}


class MessagesError(PlaybookError):
    """A messages file cannot be read; the message names the line."""


def _jsonl(text: str, name: str) -> pd.DataFrame:
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise MessagesError(f"{name} line {number}: not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise MessagesError(f"{name} line {number}: expected a JSON object, one per line")
        records.append(record)
    return pd.DataFrame.from_records(records)


def read_messages(source: str | Path | IO[bytes], *, text_col: str = "text") -> pd.DataFrame:
    """Messages as a DataFrame (all columns as read; ``text`` must be there)."""
    if hasattr(source, "read"):
        data, name, suffix = source.read(), "<stdin>", ""
    else:
        path = Path(source)
        name, suffix = str(path), path.suffix.lower()
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise MessagesError(f"{name}: cannot read ({exc.strerror or exc})") from None
    if isinstance(data, str):
        data = data.encode("utf-8")
    text = decode_text(data, name)
    if suffix in JSONL_SUFFIXES or (not suffix and text.lstrip().startswith("{")):
        frame = _jsonl(text, name)
    else:
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise MessagesError(f"{name}: not a readable CSV ({exc})") from None
    if frame.empty and not len(frame.columns):
        raise MessagesError(f"{name}: no messages")
    if text_col not in frame.columns:
        raise MessagesError(f"{name}: no {text_col!r} column; found {list(frame.columns)}")
    return frame
