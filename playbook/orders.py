"""Read the orders table (shared/contract/orders.md) into a typed pandas DataFrame.

Sellers hand us whatever their marketplace or spreadsheet exported: UTF-8 or GB18030
CSV, Chinese headers, "1,234.50" or "12,50", "2026/11/03 14:05". This module accepts all
of that, normalises it to the contract's column ids and types, and reports *every*
problem with the line a person sees in the file, instead of failing on the first one.

Row-level problems never raise: a bad cell becomes missing and an :class:`OrderIssue`
says why, so no order is silently lost. Only a file that cannot be read at all raises
:class:`~playbook.errors.OrdersError` from :func:`inspect_orders`; :func:`read_orders`
also raises it when any row has an error.

The happy path is vectorised (a million clean rows take seconds); Python loops run only
over distinct values of low-cardinality columns and over the rows that have problems.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import os
import re
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from . import ids
from .errors import OrdersError

Severity = Literal["error", "warning"]

_CSV_SUFFIXES = {".csv": None, ".tsv": "\t"}
_EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
_FRAME_NAME = "<data frame>"


@dataclass(frozen=True)
class OrderIssue:
    """One problem in an orders table, located the way a person would look for it."""

    row: int | None  # line in the file (header = line 1); None for file-level problems
    column: str | None  # contract column id, or the header as written
    order_id: str | None
    problem: str
    severity: Severity

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"line {self.row}")
            if self.order_id:
                where.append(f"(order {self.order_id})")
        head = " ".join(where)
        if self.column is not None:
            head = f"{head}, {self.column}" if head else self.column
        return f"{head}: {self.problem}" if head else self.problem


class _Issues(list):
    """A list of issues that pandas can carry in ``attrs`` cheaply.

    pandas deep-copies ``attrs`` on nearly every operation; the issues are frozen, so a
    shallow copy is just as safe and does not make every filter on a big frame slow.
    """

    def __deepcopy__(self, memo: dict) -> _Issues:
        return _Issues(self)


@dataclass
class OrdersReport:
    """The normalised frame plus every problem found, for callers that want to show both."""

    frame: pd.DataFrame
    issues: list[OrderIssue]
    source: str = "orders"

    @property
    def errors(self) -> list[OrderIssue]:
        """Problems that stop the file from being used as it is."""
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[OrderIssue]:
        """Problems worth a look; the rows are kept and usable."""
        return [i for i in self.issues if i.severity == "warning"]


# ---------------------------------------------------------------------------- public API


def inspect_orders(source: Any, *, sheet_name: str | int = 0) -> OrdersReport:
    """Read and normalise an orders table, collecting every problem instead of raising.

    ``source``: a path (.csv, .tsv, .xlsx/.xlsm), CSV bytes or a binary file object
    (e.g. stdin; an .xlsx stream is recognised by its zip signature), or a DataFrame.
    Raises OrdersError only when the source cannot be read at all.
    """
    table = _read_source(source, sheet_name)
    frame, issues = _normalise(table)
    frame.attrs["issues"] = _Issues(issues)
    return OrdersReport(frame=frame, issues=issues, source=table.name)


def read_orders(source: Any, *, sheet_name: str | int = 0) -> pd.DataFrame:
    """Read an orders table for use: raise OrdersError listing every error, if any.

    The returned frame carries the remaining warnings in ``frame.attrs["issues"]``.
    """
    report = inspect_orders(source, sheet_name=sheet_name)
    if report.errors:
        raise OrdersError(report.source, report.errors)
    report.frame.attrs["issues"] = _Issues(report.warnings)
    return report.frame


def normalise_orders(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`read_orders` for an in-memory frame (sample data, a notebook's own table)."""
    return read_orders(frame)


def order_issues(frame: pd.DataFrame) -> list[OrderIssue]:
    """The issues a read left on ``frame`` (empty for a frame that was never read)."""
    return list(frame.attrs.get("issues", []))


# ------------------------------------------------------------------------ reading sources


@dataclass
class _Table:
    """Cells as read, before any interpretation; columns are addressed by position."""

    name: str
    headers: list[str]
    cells: pd.DataFrame
    lines: np.ndarray  # line number of each row of ``cells`` as seen in the file
    issues: list[OrderIssue] = field(default_factory=list)


def _fail(name: str, problem: str) -> OrdersError:
    return OrdersError(name, [OrderIssue(None, None, None, problem, "error")])


def _read_source(source: Any, sheet_name: str | int) -> _Table:
    if isinstance(source, pd.DataFrame):
        return _from_frame(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _from_bytes(bytes(source), "<bytes>", None, sheet_name)
    if isinstance(source, (str, os.PathLike)):
        return _from_path(Path(source), sheet_name)
    if hasattr(source, "read"):
        name = str(getattr(source, "name", "<stream>"))
        data = source.read()
        if isinstance(data, str):
            return _from_text(data, name, None)
        return _from_bytes(bytes(data), name, None, sheet_name)
    raise TypeError(
        f"orders source must be a path, bytes, a file object or a DataFrame, "
        f"not {type(source).__name__}"
    )


def _from_path(path: Path, sheet_name: str | int) -> _Table:
    name = str(path)
    suffix = path.suffix.lower()
    if suffix not in _CSV_SUFFIXES and suffix not in _EXCEL_SUFFIXES:
        hint = " (save it as .xlsx)" if suffix in {".xls", ".ods", ".numbers"} else ""
        raise _fail(
            name,
            f"cannot read {suffix or 'a file without extension'!r} files{hint}; "
            "expected .csv, .tsv or .xlsx",
        )
    if not path.is_file():
        raise _fail(name, "file not found" if not path.exists() else "not a file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _fail(name, f"cannot open the file ({exc.strerror or exc})") from None
    return _from_bytes(
        data, name, _CSV_SUFFIXES.get(suffix), sheet_name, excel=suffix in _EXCEL_SUFFIXES
    )


def _from_bytes(
    data: bytes, name: str, sep: str | None, sheet_name: str | int, *, excel: bool = False
) -> _Table:
    if not data or data.isspace():
        raise _fail(name, "the file is empty")
    if excel or data.startswith(b"PK\x03\x04"):
        return _from_excel(data, name, sheet_name)
    return _from_text(decode_text(data, name), name, sep)


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), then GB18030 (a superset of GBK) as Chinese tools write."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _fail(name, "the file is neither UTF-8 nor GB18030/GBK text; save it as UTF-8 CSV")


def _sniff_sep(text: str) -> str:
    first = next((line for line in text[:65536].splitlines() if line.strip()), "")
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


def _from_text(text: str, name: str, sep: str | None) -> _Table:
    text = text.removeprefix("\ufeff")
    if not text or text.isspace():
        raise _fail(name, "the file is empty")
    sep = sep or _sniff_sep(text)
    issues: list[OrderIssue] = []
    try:
        cells = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=None,
            dtype=str,
            keep_default_na=False,  # "NA" is Namibia, "null" may be a name: keep them
            na_values=[""],
            skip_blank_lines=False,  # keeps line numbers true; blank rows dropped later
            engine="c",
        )
        lines = _record_lines(text, cells)
    except (pd.errors.ParserError, ValueError):
        cells, lines, issues = _read_ragged_csv(text, sep, name)
    return _split_header(cells, lines, name, issues)


def _record_lines(text: str, cells: pd.DataFrame) -> np.ndarray:
    """The file line each record starts on, allowing for line breaks inside quoted cells."""
    n = len(cells)
    physical = text.count("\n") + (0 if text.endswith("\n") else 1)
    if physical == n:
        return np.arange(1, n + 1)
    breaks = np.zeros(n, dtype=np.int64)
    for col in cells.columns:
        breaks += cells[col].str.count("\n").fillna(0).to_numpy(dtype=np.int64)
    return 1 + np.arange(n) + np.concatenate([[0], np.cumsum(breaks)[:-1]])


def _read_ragged_csv(
    text: str, sep: str, name: str
) -> tuple[pd.DataFrame, np.ndarray, list[OrderIssue]]:
    """Fallback for rows with more cells than the header (pandas refuses them)."""
    rows: list[list[str]] = []
    starts: list[int] = []
    try:
        reader = csv.reader(io.StringIO(text), delimiter=sep)
        previous = 0
        for row in reader:
            rows.append(row)
            starts.append(previous + 1)
            previous = reader.line_num
    except csv.Error as exc:
        raise _fail(name, f"not a readable CSV file ({exc})") from None
    width = len(next((r for r in rows if any(c.strip() for c in r)), []))
    issues = [
        OrderIssue(
            starts[i],
            None,
            None,
            f"has {len(row)} cells but the header has {width}; the extra cells are kept in "
            "unnamed columns — check for a stray separator",
            "error",
        )
        for i, row in enumerate(rows)
        if len(row) > width
    ]
    widest = max(map(len, rows), default=0)
    padded = [[cell or np.nan for cell in row] + [np.nan] * (widest - len(row)) for row in rows]
    cells = pd.DataFrame(padded, dtype=object)
    return cells, np.asarray(starts, dtype=np.int64), issues


def _from_excel(data: bytes, name: str, sheet_name: str | int) -> _Table:
    try:
        cells = pd.read_excel(
            io.BytesIO(data),
            sheet_name=sheet_name,
            header=None,
            dtype=object,
            engine="openpyxl",
        )
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise _fail(name, f"not a readable .xlsx workbook ({exc})") from None
    except (ValueError, IndexError) as exc:
        raise _fail(name, f"cannot read sheet {sheet_name!r} ({exc})") from None
    if isinstance(cells, dict):
        raise _fail(name, "give one sheet (sheet_name), not several")
    if cells.empty:
        raise _fail(name, f"sheet {sheet_name!r} is empty")
    # pandas keeps blank rows for Excel (skip_blank_lines=False), so row k is line k + 1.
    return _split_header(cells, np.arange(1, len(cells) + 1), name, [])


def _from_frame(frame: pd.DataFrame) -> _Table:
    cells = frame  # read only; columns are used by position (headers may repeat)
    if not frame.index.equals(pd.RangeIndex(len(frame))):
        cells = frame.reset_index(drop=True)
    headers = ["" if _is_missing(h) else str(h) for h in frame.columns]
    return _Table(_FRAME_NAME, headers, cells, np.arange(2, len(cells) + 2))


def _split_header(
    cells: pd.DataFrame, lines: np.ndarray, name: str, issues: list[OrderIssue]
) -> _Table:
    """The first non-blank record is the header; the rest are data rows."""
    cells = cells.reset_index(drop=True)
    cells.columns = range(cells.shape[1])
    filled = cells.notna().to_numpy().any(axis=1)
    if not filled.any():
        raise _fail(name, "the file is empty")
    top = int(np.argmax(filled))
    headers = ["" if _is_missing(h) else _cell_text(h).strip() for h in cells.iloc[top]]
    body = cells.iloc[top + 1 :].reset_index(drop=True)
    return _Table(name, headers, body, np.asarray(lines[top + 1 :], dtype=np.int64), issues)


# ---------------------------------------------------------------------------- cell helpers


def _is_missing(value: Any) -> bool:
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and np.isnan(value))
    )


def _cell_text(value: Any) -> str:
    """One cell as the text a person typed (Excel hands over 1001.0 for 1001)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


def _text(series: pd.Series) -> pd.Series:
    """Any column as stripped "string" dtype; empty cells become <NA>."""
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype):
        out = series.astype("string")
    elif pd.api.types.is_object_dtype(dtype):
        kind = pd.api.types.infer_dtype(series, skipna=True)
        if kind not in ("string", "empty"):
            series = series.map(_cell_text, na_action="ignore")
        out = series.astype("string")
    elif pd.api.types.is_float_dtype(dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        whole = np.isfinite(values) & (np.mod(values, 1) == 0)
        out = series.astype("string")
        if whole.any():
            out[whole] = series[whole].astype("int64").astype("string")
    else:
        out = series.astype("string")
    if _needs_strip(out):
        out = out.str.strip().replace("", pd.NA)
    return out


@functools.cache
def _space_codes() -> np.ndarray:
    """Code points str.strip() removes (all lie below U+3001), plus 0 for an empty cell."""
    return np.array([0, *(c for c in range(0x3001) if chr(c).isspace())], dtype=np.uint32)


def _needs_strip(series: pd.Series) -> bool:
    """Whether any cell is empty or has surrounding spaces.

    Looks only at the characters next to the cell boundaries of all cells joined into one
    buffer: a few vectorised numpy passes instead of stripping a million clean strings.
    """
    values = series.dropna().tolist()
    if not values:
        return False
    joined = "\x00" + "\x00".join(values) + "\x00"
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    bounds = np.flatnonzero(codes == 0)
    edges = np.concatenate([codes[bounds[:-1] + 1], codes[bounds[1:] - 1]])
    return bool(np.isin(edges, _space_codes()).any())


def _filled_text(series: pd.Series, rows: np.ndarray) -> tuple[np.ndarray, pd.Series]:
    """The positions among ``rows`` whose cell is not blank, and those cells as text."""
    positions = np.flatnonzero(rows)
    text = _text(series.iloc[positions])
    filled = text.notna().to_numpy(bool)
    return positions[filled], text[filled].reset_index(drop=True)


def _floats(values: Any) -> np.ndarray:
    return pd.Series(values).astype("Float64").to_numpy(dtype="float64", na_value=np.nan)


def _by_unique(
    series: pd.Series, parse: Callable[[str], tuple[Any, str | None]], fill: Any = None
) -> tuple[np.ndarray, dict[int, str]]:
    """Parse each distinct value once (countries, statuses, flags repeat a lot).

    ``parse(text) -> (value, problem)``; empty cells get ``fill``. Returns an object array
    of values (None where missing or bad) and {row position: problem}.
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    lut = np.empty(len(uniques) + 1, dtype=object)
    lut[-1] = fill
    problems_by_code: dict[int, str] = {}
    for code, raw in enumerate(uniques):
        text = _cell_text(raw).strip()
        if not text:
            lut[code] = fill
            continue
        value, problem = parse(text)
        lut[code] = value
        if problem:
            problems_by_code[code] = problem
    values = lut[codes]
    problems: dict[int, str] = {}
    if problems_by_code:
        bad_codes = np.fromiter(problems_by_code, dtype=np.int64)
        for pos in np.flatnonzero(np.isin(codes, bad_codes)):
            problems[int(pos)] = problems_by_code[int(codes[pos])]
    return values, problems


# ------------------------------------------------------------------------- value parsers


@dataclass
class _Parsed:
    values: pd.Series
    problems: dict[int, str] = field(default_factory=dict)  # row position → problem


@functools.cache
def _countries() -> frozenset[str]:
    from babel import Locale

    not_countries = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"}  # CLDR groupings/pseudo
    codes = {k for k in Locale("en").territories if len(k) == 2 and k.isalpha()}
    return frozenset(c for c in codes if c.isupper()) - not_countries


@functools.cache
def _languages() -> frozenset[str]:
    from babel import Locale

    return frozenset(
        k for k in Locale("en").languages if len(k) == 2 and k.isalpha() and k.islower()
    )


@functools.cache
def _currencies() -> frozenset[str]:
    from babel.numbers import list_currencies

    return frozenset(list_currencies())


_COUNTRY_HINTS = {"UK": "GB", "EN": "GB", "EL": "GR"}
_CURRENCY_HINTS = {"RMB": "CNY", "YUAN": "CNY", "EURO": "EUR", "US$": "USD", "$": "USD"}


def _parse_text(series: pd.Series) -> _Parsed:
    return _Parsed(_text(series))


def _code_parser(
    normalise: Callable[[str], str],
    valid: Callable[[], frozenset[str]],
    what: str,
    hints: dict[str, str],
) -> Callable[[pd.Series], _Parsed]:
    def parse_one(text: str) -> tuple[str | None, str | None]:
        code = normalise(text)
        if code in valid():
            return code, None
        hint = f" — use {hints[code.upper()]!r}" if code.upper() in hints else ""
        return None, f"{text!r} is not {what}{hint}"

    def parse(series: pd.Series) -> _Parsed:
        values, problems = _by_unique(series, parse_one)
        return _Parsed(pd.Series(values, dtype="string"), problems)

    return parse


_parse_country = _code_parser(
    str.upper, _countries, "an ISO 3166-1 alpha-2 country code (e.g. US, ES, FR)", _COUNTRY_HINTS
)
_parse_lang = _code_parser(
    lambda t: re.split(r"[-_]", t.lower())[0],
    _languages,
    "an ISO 639-1 language code (e.g. en, es, ru)",
    {},
)
_parse_currency = _code_parser(
    str.upper, _currencies, "an ISO 4217 currency code (e.g. USD, EUR, CNY)", _CURRENCY_HINTS
)


def _enum_parser(column: str, allowed: tuple[str, ...], default: str | None = None):
    def parse_one(text: str) -> tuple[str | None, str | None]:
        value = re.sub(r"[\s\-]+", "_", text.lower())
        if value in allowed:
            return value, None
        return None, f"{text!r} is not a known {column}; allowed: {', '.join(allowed)}"

    def parse(series: pd.Series) -> _Parsed:
        values, problems = _by_unique(series, parse_one, fill=default)
        return _Parsed(pd.Series(values, dtype="string"), problems)

    return parse


_TRUE = {"true", "yes", "y", "1", "t", "1.0", "是"}
_FALSE = {"false", "no", "n", "0", "f", "0.0", "否"}


def _parse_bool(series: pd.Series) -> _Parsed:
    if pd.api.types.is_bool_dtype(series.dtype) and not series.hasnans:
        return _Parsed(series.astype(bool).reset_index(drop=True))

    def parse_one(text: str) -> tuple[bool, str | None]:
        low = text.lower()
        if low in _TRUE or low in _FALSE:
            return low in _TRUE, None
        return False, f"{text!r} is not yes/no (true/false, yes/no, 1/0, y/n, 是/否); read as no"

    values, problems = _by_unique(series, parse_one, fill=False)
    return _Parsed(pd.Series(values.astype(bool), dtype=bool), problems)


def _parse_steps(series: pd.Series) -> _Parsed:
    order = {step: i for i, step in enumerate(ids.STEP_IDS)}

    def parse_one(text: str) -> tuple[str | None, str | None]:
        tokens = [t.lower() for t in re.split(r"[;,，；、\s]+", text) if t]
        unknown = [t for t in tokens if t not in order]
        if unknown:
            names = ", ".join(repr(t) for t in dict.fromkeys(unknown))
            return None, (f"unknown step id {names} in {text!r}; known: {', '.join(ids.STEP_IDS)}")
        return ";".join(sorted(set(tokens), key=order.__getitem__)), None

    values, problems = _by_unique(series, parse_one, fill="")
    return _Parsed(pd.Series(values, dtype="string"), problems)


_CURRENCY_MARK = r"(?:[A-Za-z]{0,3}\$|[A-Za-z]{3}|[€£¥￥₽₹₩₺₴₪฿₫₱]|元|円|руб\.?|zł|kr\.?|RMB)"
_MONEY_RE = rf"^(?P<s1>[-−+]?){_CURRENCY_MARK}?(?P<s2>[-−+]?)(?P<num>[\d.,']+){_CURRENCY_MARK}?$"
_PLAIN = r"^(?:\d+\.?\d*|\.\d+)$"  # 12, 12.5, .5 (and "1.234" read as 1.234)
_COMMA_THOUSANDS = r"^\d{1,3}(?:,\d{3})+(?:\.\d*)?$"  # 1,234 / 1,234.50
_DECIMAL_COMMA = r"^\d+,\d{1,2}$"  # 12,50
_DOT_THOUSANDS = r"^\d{1,3}(?:\.\d{3})+,\d{1,2}$|^\d{1,3}(?:\.\d{3}){2,}$"  # 1.234,50


def _money_from_text(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised parse of written amounts; returns (values, negative) with NaN where bad."""
    compact = text.str.replace(r"\s+", "", regex=True)
    parts = compact.str.extract(_MONEY_RE)
    num = parts["num"].str.replace("'", "", regex=False)
    plain = num.str.match(_PLAIN).fillna(False).to_numpy(bool)
    comma_thousands = num.str.match(_COMMA_THOUSANDS).fillna(False).to_numpy(bool)
    decimal_comma = num.str.match(_DECIMAL_COMMA).fillna(False).to_numpy(bool)
    dot_thousands = num.str.match(_DOT_THOUSANDS).fillna(False).to_numpy(bool)
    european = num.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    cleaned = np.select(
        [plain, comma_thousands, decimal_comma | dot_thousands],
        [
            num.to_numpy(dtype=object, na_value=None),
            num.str.replace(",", "", regex=False).to_numpy(dtype=object, na_value=None),
            european.to_numpy(dtype=object, na_value=None),
        ],
        default=None,
    )
    values = _floats(pd.to_numeric(pd.Series(cleaned, dtype=object), errors="coerce"))
    signs = (parts["s1"].fillna("") + parts["s2"].fillna("")).to_numpy(dtype=object)
    negative = np.array([("-" in s or "−" in s) for s in signs], dtype=bool)
    return values, negative


def _parse_money(series: pd.Series) -> _Parsed:
    series = series.reset_index(drop=True)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        values = _floats(series)
        slow = np.zeros(len(series), dtype=bool)
    else:
        values = _floats(pd.to_numeric(series, errors="coerce"))
        slow = series.notna().to_numpy(bool) & ~np.isfinite(values)
    problems: dict[int, str] = {}
    if slow.any():
        positions, text = _filled_text(series, slow)
        parsed, negative = _money_from_text(text)
        values[positions] = np.where(negative, -parsed, parsed)
        for k in np.flatnonzero(np.isnan(parsed)):
            problems[int(positions[k])] = (
                f"{text.iloc[k]!r} is not an amount of money (e.g. 12.50, 1,234.50 or 12,50)"
            )
    for pos in np.flatnonzero(values < 0):
        problems[int(pos)] = (
            f"{_cell_text(series.iloc[pos]).strip()!r} is negative money "
            "(amounts are 0 or more; record refunds elsewhere)"
        )
    values[list(problems)] = np.nan
    return _Parsed(pd.Series(values, dtype="float64"), problems)


_DATE_RE = (
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:(?:\s+|T|\s*日\s*)?(?P<H>\d{1,2})[:：](?P<M>\d{2})(?:[:：](?P<S>\d{2}(?:\.\d+)?))?)?"
    r"\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$"
)
_INCOMPLETE = "required value is empty (row kept as incomplete)"
_EARLIEST, _LATEST = 1900, 2200  # outside this a "date" is a typo (and overflows pandas' ns)


def _dates_from_text(text: pd.Series) -> pd.Series:
    """Chinese-export dates ("2026/11/3 9:05", "2026年11月3日") rebuilt as ISO 8601."""
    p = text.str.extract(_DATE_RE, flags=re.IGNORECASE)
    tz = p["tz"].fillna("").str.upper().replace({"UTC": "Z", "GMT": "Z"})
    iso = (
        p["y"]
        + "-"
        + p["m"].str.zfill(2)
        + "-"
        + p["d"].str.zfill(2)
        + "T"
        + p["H"].fillna("0").str.zfill(2)
        + ":"
        + p["M"].fillna("00")
        + ":"
        + p["S"].fillna("00").str.replace(r"^(\d)(?=\.|$)", r"0\1", regex=True)
        + tz
    )
    return _parse_iso(iso)


_OFFSET_RE = r"(?:[zZ]|[+-]\d\d(?::?\d\d)?)$"


def _parse_iso(text: pd.Series) -> pd.Series:
    """ISO 8601 strings → UTC; naive ones are UTC; unparseable → NaT.

    Parsed without ``utc=True`` first: a column that is all naive or all one offset (the
    usual export) converts exactly. A column mixing naive and offset times is split and
    each part parsed alone, because pandas 2.x given both at once shifts the naive values
    that follow an offset one by that offset.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pandas 2.x: "mixed time zones"
        try:
            parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        except (ValueError, TypeError):
            parsed = None
    if parsed is not None and isinstance(parsed.dtype, pd.DatetimeTZDtype):
        return parsed.dt.tz_convert("UTC")
    if parsed is not None and pd.api.types.is_datetime64_dtype(parsed.dtype):
        return parsed.dt.tz_localize("UTC")
    aware = text.str.contains(_OFFSET_RE, regex=True, na=False).to_numpy(bool)
    parts = [
        pd.to_datetime(text[part], format="ISO8601", utc=True, errors="coerce")
        for part in (aware, ~aware)
        if part.any()
    ]
    return pd.concat(parts).reindex(text.index)


def _parse_datetime(series: pd.Series) -> _Parsed:
    series = series.reset_index(drop=True)
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        parsed = series.dt.tz_convert("UTC")
        slow = np.zeros(len(series), dtype=bool)
    elif pd.api.types.is_datetime64_dtype(dtype):
        parsed = series.dt.tz_localize("UTC")
        slow = np.zeros(len(series), dtype=bool)
    else:
        plain = isinstance(dtype, pd.StringDtype) or (
            pd.api.types.is_object_dtype(dtype)
            and pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty")
        )
        parsed = _parse_iso(series if plain else _text(series))
        slow = (series.notna() & parsed.isna()).to_numpy(bool)
    problems: dict[int, str] = {}
    if slow.any():
        positions, text = _filled_text(series, slow)
        again = _dates_from_text(text)
        ok = again.notna().to_numpy(bool)
        if ok.any():
            parsed = parsed.copy()
            parsed.iloc[positions[ok]] = again[ok].to_numpy()
        for k in np.flatnonzero(~ok):
            problems[int(positions[k])] = f"{text.iloc[k]!r} is not a date (ISO 8601 expected)"
    years = parsed.dt.year
    odd = ((years < _EARLIEST) | (years > _LATEST)).fillna(False).to_numpy(bool)
    for pos in np.flatnonzero(odd):
        problems[int(pos)] = (
            f"{_cell_text(series.iloc[pos]).strip()!r} is not a plausible date "
            f"(year outside {_EARLIEST}–{_LATEST})"
        )
    if problems:
        parsed = parsed.copy()
        parsed.iloc[list(problems)] = pd.NaT
    return _Parsed(parsed.astype("datetime64[ns, UTC]"), problems)


def _parse_stars(series: pd.Series) -> _Parsed:
    series = series.reset_index(drop=True)
    numbers = _floats(pd.to_numeric(series, errors="coerce"))
    valid = np.isin(numbers, [1.0, 2.0, 3.0, 4.0, 5.0])
    suspect = series.notna().to_numpy(bool) & ~valid
    problems: dict[int, str] = {}
    if suspect.any():
        positions, text = _filled_text(series, suspect)
        for pos, written in zip(positions, text, strict=True):
            problems[int(pos)] = f"{written!r} is not a star rating (a whole number from 1 to 5)"
    numbers[~valid] = np.nan
    return _Parsed(pd.Series(numbers).astype("Int64"), problems)


_PARSERS: dict[str, Callable[[pd.Series], _Parsed]] = {
    "text": _parse_text,
    "country": _parse_country,
    "lang": _parse_lang,
    "currency": _parse_currency,
    "money": _parse_money,
    "datetime": _parse_datetime,
    "stock_status": _enum_parser("stock_status", ids.STOCK_STATUSES, default="in_stock"),
    "tracking_status": _enum_parser("tracking_status", ids.TRACKING_STATUSES),
    "dispute_outcome": _enum_parser("dispute_outcome", ids.DISPUTE_OUTCOMES),
    "reason": _enum_parser("dispute_reason", ids.REASON_IDS),
    "stars": _parse_stars,
    "bool": _parse_bool,
    "steps": _parse_steps,
}


# --------------------------------------------------------------------------- normalising


def _header_key(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.replace("\ufeff", "").strip().lower())


@functools.cache
def _header_lookup() -> dict[str, str]:
    from .content import load_content

    lookup = {_header_key(column): column for column in ids.ORDER_COLUMNS}
    for column, aliases in load_content().orders.aliases.items():
        for alias in aliases:
            lookup.setdefault(_header_key(alias), column)
    return lookup


@functools.cache
def _accepted_headers(column: str) -> str:
    from .content import load_content

    return ", ".join([column, *load_content().orders.aliases.get(column, [])])


def _blank_rows(cells: pd.DataFrame, candidates: np.ndarray) -> np.ndarray:
    """Rows (among ``candidates``) with nothing in any cell: not orders, just gaps."""
    blank = candidates.copy()
    positions = np.flatnonzero(candidates)
    if not len(positions):
        return blank
    for col in range(cells.shape[1]):
        filled = _text(cells.iloc[positions, col]).notna().to_numpy(bool)
        blank[positions[filled]] = False
    return blank


def _normalise(table: _Table) -> tuple[pd.DataFrame, list[OrderIssue]]:
    issues = list(table.issues)
    cells, lines = table.cells, table.lines

    # 1. headers → contract columns (first match wins) and extras (kept as written)
    lookup = _header_lookup()
    where: dict[str, int] = {}
    written: dict[str, str] = {}
    extras: list[tuple[int, str]] = []
    for pos, header in enumerate(table.headers):
        column = lookup.get(_header_key(header)) if header else None
        if column is None:
            extras.append((pos, header))
        elif column in where:
            problem = (
                f"headers {written[column]!r} and {header!r} both mean {column}; keep one "
                "(the second is kept as an extra column)"
            )
            issues.append(OrderIssue(None, column, None, problem, "error"))
            extras.append((pos, header))
        else:
            where[column] = pos
            written[column] = header
    found = ", ".join(repr(h) for h in table.headers if h) or "none"
    for column, (_, required) in ids.ORDER_COLUMNS.items():
        if required and column not in where:
            problem = (
                f"required column is missing (accepted headers: {_accepted_headers(column)}); "
                f"headers found: {found}"
            )
            issues.append(OrderIssue(None, column, None, problem, "error"))

    # 2. order ids first: they label every other issue, and blank rows are found by them
    if "order_id" in where:
        order_id = _text(cells.iloc[:, where["order_id"]]).reset_index(drop=True)
    else:
        order_id = pd.Series(pd.NA, index=range(len(cells)), dtype="string")
    blank = _blank_rows(cells, order_id.isna().to_numpy(bool))
    if blank.any():
        cells = cells[~blank].reset_index(drop=True)
        lines = lines[~blank]
        order_id = order_id[~blank].reset_index(drop=True)
    n = len(cells)
    ids_array: np.ndarray | None = None

    def oid(pos: int) -> str | None:
        nonlocal ids_array
        if ids_array is None:
            ids_array = order_id.to_numpy(dtype=object, na_value=None)
        return ids_array[pos]

    def flag(column: str, positions: Any, problem: Callable[[int], str], severity: Severity):
        for pos in positions:
            pos = int(pos)
            issues.append(OrderIssue(int(lines[pos]), column, oid(pos), problem(pos), severity))

    # 3. every contract column, parsed by kind
    out: dict[str, pd.Series] = {"order_id": order_id}
    bad: dict[str, np.ndarray] = {}
    for column, (kind, required) in ids.ORDER_COLUMNS.items():
        mask = np.zeros(n, dtype=bool)
        if column not in where:  # absent column: parse one empty cell, repeat its value
            parsed = _PARSERS[kind](pd.Series([None], dtype=object))
            out[column] = parsed.values.take(np.zeros(n, dtype=np.int64)).reset_index(drop=True)
        elif column != "order_id":
            parsed = _PARSERS[kind](cells.iloc[:, where[column]].reset_index(drop=True))
            out[column] = parsed.values
            mask[list(parsed.problems)] = True
            for pos, problem in parsed.problems.items():
                issues.append(OrderIssue(int(lines[pos]), column, oid(pos), problem, "error"))
        bad[column] = mask
        if required and column in where:
            empty = np.flatnonzero(out[column].isna().to_numpy(bool) & ~mask)
            if column == "order_id":
                flag(column, empty, lambda _: "empty; every order needs an id", "error")
            else:
                flag(column, empty, lambda _: _INCOMPLETE, "warning")

    # 4. buyer_lang defaults to the country's language (locales.yaml); not an issue
    from .content import load_content

    locales = load_content().locales
    by_country = {cc: entry.lang for cc, entry in locales.countries.items()}
    fill = out["buyer_lang"].isna().to_numpy(bool) & ~bad["buyer_lang"]
    if fill.any():
        codes, countries = pd.factorize(out["buyer_country"], use_na_sentinel=True)
        lut = np.array(
            [*(by_country.get(cc, locales.default.lang) for cc in countries), locales.default.lang],
            dtype=object,
        )
        derived = pd.Series(lut[codes], dtype="string")
        out["buyer_lang"] = out["buyer_lang"].mask(fill, derived)

    # 5. duplicate ids
    dup = (order_id.duplicated(keep=False) & order_id.notna()).to_numpy(bool)
    if dup.any():
        positions = np.flatnonzero(dup)
        groups: dict[str, list[int]] = {}
        for pos in positions:
            groups.setdefault(oid(int(pos)), []).append(int(lines[pos]))
        flag(
            "order_id",
            positions,
            lambda p: (
                f"order id {oid(p)!r} is used on lines {_and(groups[oid(p)])}; "
                "each order needs its own id"
            ),
            "error",
        )

    # 6. consistency between columns (rows kept)
    issues.extend(_consistency(out, bad, lines, oid))

    # 7. assemble: contract columns in contract order, then extras unchanged
    columns = {column: out[column] for column in ids.ORDER_COLUMNS}
    for pos, header in extras:
        values = cells.iloc[:, pos].reset_index(drop=True)
        if not header:
            if _text(values).isna().all():
                continue  # a trailing separator, say: nothing to keep
            header = f"unnamed_{pos + 1}"
        name, k = header, 0
        while name in columns:
            k += 1
            name = f"{header}.{k}"
        columns[name] = values
    frame = pd.DataFrame(columns)
    rank = {column: i for i, column in enumerate(ids.ORDER_COLUMNS)}
    issues.sort(
        key=lambda i: (
            i.row is not None,
            i.row or 0,
            rank.get(i.column or "", len(rank)),
            i.severity,
        )
    )
    return frame, issues


def _and(numbers: list[int]) -> str:
    text = [str(x) for x in numbers]
    return text[0] if len(text) == 1 else ", ".join(text[:-1]) + " and " + text[-1]


def _when(value: pd.Timestamp) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _consistency(
    out: dict[str, pd.Series],
    bad: dict[str, np.ndarray],
    lines: np.ndarray,
    oid: Callable[[int], str | None],
) -> list[OrderIssue]:
    issues: list[OrderIssue] = []

    def warn(column: str, mask: Any, problem: Callable[[int], str]) -> None:
        for pos in np.flatnonzero(np.asarray(mask, dtype=bool)):
            pos = int(pos)
            issues.append(OrderIssue(int(lines[pos]), column, oid(pos), problem(pos), "warning"))

    def set_(column: str) -> np.ndarray:
        return out[column].notna().to_numpy(bool)

    def unset(column: str) -> np.ndarray:  # empty, and not because the cell was bad
        return ~set_(column) & ~bad[column]

    for later, earlier in (("shipped_at", "paid_at"), ("delivered_at", "shipped_at")):
        a, b = out[later], out[earlier]
        warn(
            later,
            (a < b).to_numpy(bool),
            lambda p, a=a, b=b, earlier=earlier: (
                f"{_when(a.iloc[p])} is before {earlier} ({_when(b.iloc[p])})"
            ),
        )
    status = out["tracking_status"]
    is_delivered = status.eq("delivered").fillna(False).to_numpy(bool)
    status_ok = ~bad["tracking_status"]
    warn(
        "delivered_at",
        set_("delivered_at") & ~is_delivered & status_ok,
        lambda p: (
            "is set but tracking_status is "
            + (repr(status.iloc[p]) if pd.notna(status.iloc[p]) else "empty")
            + " (expected 'delivered')"
        ),
    )
    warn(
        "tracking_status",
        is_delivered & unset("delivered_at"),
        lambda p: "is 'delivered' but delivered_at is empty",
    )
    for column in ("dispute_reason", "dispute_outcome"):
        values = out[column]
        warn(
            "dispute_opened_at",
            set_(column) & unset("dispute_opened_at"),
            lambda p, column=column, values=values: (
                f"is empty but {column} is {values.iloc[p]!r}; when did the dispute open?"
            ),
        )
    return issues
