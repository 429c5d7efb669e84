"""Header mapping and validation shared by every reader.

Official headers are matched to canonical columns after normalising case and white space.
Some official headers are published truncated (the 2025 File 7 cuts one decile header at 80
characters), so a file header that is a long enough prefix of exactly one expected header
also matches. A missing *required* column is an error naming the file and the columns; a
missing *optional* column is reported back so the load log and the measures can say
"not available for this release".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

#: GSS code patterns (ONS Code History Database): 3-character entity + 6 digits.
LSOA_CODE = re.compile(r"^E01\d{6}$")
MSOA_CODE = re.compile(r"^E02\d{6}$")
LAD_CODE = re.compile(r"^E0[6789]\d{6}$")
#: Pre-2011 local authority codes used by IoD 2010 (e.g. 00AA City of London, 16UB Allerdale).
OLD_LAD_CODE = re.compile(r"^\d{2}[A-Z]{2}$")
REGION_CODE = re.compile(r"^E12\d{6}$")

#: A truncated header must keep at least this many characters to be matched by prefix.
MIN_PREFIX = 24


class ReaderError(ValueError):
    """An official file does not have the shape its reader expects."""


@dataclass(frozen=True)
class Column:
    """One canonical column and the official headers it may be published under."""

    name: str
    headers: tuple[str, ...]
    required: bool = False
    kind: str = "str"  # str | float | int


@dataclass
class Mapped:
    """A file's rows under canonical column names, and what it lacked."""

    frame: pd.DataFrame
    missing: list[str] = field(default_factory=list)  # official headers of absent optional columns


def normalise(header: str) -> str:
    """Case-fold and collapse white space (including non-breaking spaces).

    >>> normalise("  Income Score\\u00a0(rate) ")
    'income score (rate)'
    """
    return " ".join(str(header).replace("\ufeff", "").split()).casefold()


def match_headers(file_headers: list[str], columns: list[Column], file: str | Path,
                  strict: bool = False) -> tuple[dict[str, str], list[str]]:
    """Map file headers to canonical names.

    Returns ``(rename, missing_optional)`` where ``rename`` maps each matched file header to
    its canonical name and ``missing_optional`` lists the first official header of every
    optional column not found. Raises :class:`ReaderError` for missing required columns, for
    a header that matches two columns, and (``strict``) for headers matching no column.
    """
    wanted: dict[str, str] = {}
    for col in columns:
        for h in col.headers:
            wanted[normalise(h)] = col.name
    rename: dict[str, str] = {}
    unmatched: list[str] = []
    for fh in file_headers:
        n = normalise(fh)
        name = wanted.get(n)
        if name is None and len(n) >= MIN_PREFIX:
            hits = {v for k, v in wanted.items() if k.startswith(n)}
            if len(hits) == 1:
                name = hits.pop()
            elif len(hits) > 1:
                raise ReaderError(
                    f"{Path(file).name}: truncated header {fh!r} could be any of "
                    f"{sorted(hits)}; the file layout has changed, so the reader needs updating")
        if name is None:
            unmatched.append(fh)
            continue
        if name in rename.values():
            raise ReaderError(f"{Path(file).name}: two headers map to column {name!r} "
                              f"(the second is {fh!r}); remove the duplicate column")
        rename[fh] = name
    found = set(rename.values())
    missing_required = [c for c in columns if c.required and c.name not in found]
    if missing_required:
        names = ", ".join(repr(c.headers[0]) for c in missing_required)
        raise ReaderError(
            f"{Path(file).name}: required column(s) {names} not found. The file's headers are: "
            f"{', '.join(repr(h) for h in file_headers[:12])}"
            f"{' ...' if len(file_headers) > 12 else ''}. Check that this is the official "
            "file for this source (see `python -m inequality sources`) and re-download it "
            "with `python -m inequality build --force`")
    if strict and unmatched:
        raise ReaderError(
            f"{Path(file).name}: unexpected column(s) {', '.join(repr(h) for h in unmatched)}; "
            "the official layout may have changed, so the reader's header map needs updating")
    missing_optional = [c.headers[0] for c in columns if not c.required and c.name not in found]
    return rename, missing_optional


def read_csv_mapped(path: Path, columns: list[Column], strict: bool = False) -> Mapped:
    """Read an official CSV, keep and rename the mapped columns, and coerce their types.

    Numeric columns are parsed by pandas' C parser directly (fast); if any value will not
    parse, the file is read again as text so the error can name the column, value and row.
    """
    options = dict(keep_default_na=False, na_values=[""], encoding="utf-8-sig",
                   on_bad_lines="error")
    try:
        header = list(pd.read_csv(path, nrows=0, **options).columns)
        rename, missing = match_headers(header, columns, path, strict)
        kinds = {c.name: c.kind for c in columns}
        dtypes = {h: ("float64" if kinds[n] in ("float", "int") else "string")
                  for h, n in rename.items()}
        try:
            raw = pd.read_csv(path, usecols=list(rename), dtype=dtypes, thousands=",",
                              **options)
        except ValueError:
            raw = pd.read_csv(path, usecols=list(rename), dtype=str, **options)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ReaderError(f"{path.name}: cannot be parsed as CSV ({exc}); the file may be "
                          "truncated or corrupt, so re-download it with "
                          "`python -m inequality build --force`") from exc
    except pd.errors.EmptyDataError as exc:
        raise ReaderError(f"{path.name}: the file is empty; re-download it with "
                          "`python -m inequality build --force`") from exc
    return map_frame(raw, columns, path, strict)


def map_frame(raw: pd.DataFrame, columns: list[Column], path: Path | str,
              strict: bool = False) -> Mapped:
    rename, missing = match_headers(list(raw.columns), columns, path, strict)
    frame = raw[list(rename)].rename(columns=rename)
    kinds = {c.name: c.kind for c in columns}
    for name in frame.columns:
        frame[name] = coerce(frame[name], kinds[name], name, path)
    return Mapped(frame, missing)


def coerce(series: pd.Series, kind: str, name: str, path: Path | str) -> pd.Series:
    """Convert a text column to its type, naming the first bad values on failure."""
    if kind == "str":
        return series.astype("string").str.strip()
    if pd.api.types.is_float_dtype(series.dtype):
        numbers = series
        if kind == "int":
            if ((numbers.dropna() % 1) != 0).any():
                raise ReaderError(f"{Path(path).name}: column {name!r} should hold whole numbers")
            return numbers.astype("Int64")
        return numbers
    text = series.astype("string").str.strip().str.replace(",", "", regex=False)
    numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna() & text.notna()
    if bad.any():
        rows = list(bad[bad].index[:3])
        values = [series.iloc[i] for i in rows]
        raise ReaderError(
            f"{Path(path).name}: column {name!r} holds non-numeric values {values} at data "
            f"row(s) {[r + 1 for r in rows]}; the file may be truncated or corrupt, so "
            "re-download it with `python -m inequality build --force`")
    return coerce(numbers.astype("float64"), kind, name, path)


def check_codes(series: pd.Series, pattern: re.Pattern, what: str, path: Path | str,
                example: str) -> None:
    """Every value must match a GSS code pattern."""
    values = series.dropna()
    bad = values[~values.str.match(pattern.pattern)]
    if series.isna().any():
        raise ReaderError(f"{Path(path).name}: {series.isna().sum()} row(s) have no {what}; "
                          "the file may be truncated")
    if len(bad):
        raise ReaderError(
            f"{Path(path).name}: {what} {bad.iloc[0]!r} is not a GSS code such as {example} "
            f"({len(bad)} bad value(s)); check the file is the official one")


def check_unique(series: pd.Series, what: str, path: Path | str) -> None:
    dups = series[series.duplicated()]
    if len(dups):
        raise ReaderError(f"{Path(path).name}: {what} {dups.iloc[0]!r} appears more than once "
                          f"({len(dups)} duplicate(s)); each must appear once")


def check_range(series: pd.Series, lo: float, hi: float, what: str, path: Path | str) -> None:
    values = series.dropna()
    bad = values[(values < lo) | (values > hi)]
    if len(bad):
        raise ReaderError(f"{Path(path).name}: {what} {bad.iloc[0]} is outside {lo:g}..{hi:g} "
                          f"({len(bad)} value(s)); check the file is the official one")


def check_rows(frame: pd.DataFrame, expected: int | None, path: Path | str) -> None:
    if expected is not None and len(frame) != expected:
        raise ReaderError(
            f"{Path(path).name}: expected {expected:,} rows, found {len(frame):,}; the file "
            "may be truncated or the wrong edition, so re-download it with "
            "`python -m inequality build --force`")
