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

import numpy as np
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


#: The fix for a damaged official file.
REDOWNLOAD = ("check that it is the official file (see `python -m inequality sources`) and "
              "re-download it with `python -m inequality build --force`")


def describe_undecodable(path: Path) -> str:
    """Why the file at ``path`` is not UTF-8 text (see :func:`describe_bytes`)."""
    return describe_bytes(Path(path).read_bytes())


def describe_bytes(data: bytes) -> str:
    r"""Why ``data`` is not UTF-8 text, naming its encoding where it can be recognised.

    >>> describe_bytes("LADNM\nYnys Môn\n".encode("utf-16"))
    'is encoded as UTF-16 (it starts with a UTF-16 byte-order mark), not UTF-8'
    >>> describe_bytes("LADNM\nYnys Môn\n".encode("latin-1"))
    "is not UTF-8: byte 0xF4 on line 2 (b'Ynys M\\xf4n') reads as Latin-1 / Windows-1252 'Ynys Môn', so the file is probably encoded as Latin-1 (Windows-1252)"
    >>> describe_bytes(b"\x00\x01\x02binary")
    "is binary, not a CSV text file (a zero byte at offset 0; it starts b'\\x00\\x01\\x02binary')"
    """
    head = data[:1 << 16]
    for bom, name in ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
                      (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16")):
        if head.startswith(bom):
            return f"is encoded as {name} (it starts with a {name} byte-order mark), not UTF-8"
    for magic, kind in ((b"PK\x03\x04", "a ZIP archive (or an Excel .xlsx workbook)"),
                        (b"PAR1", "a Parquet file"), (b"\xd0\xcf\x11\xe0", "an Excel .xls workbook"),
                        (b"\x1f\x8b", "a gzip archive"), (b"%PDF", "a PDF document")):
        if head.startswith(magic):
            return f"is {kind}, not a CSV text file"
    if b"\x00" in head:
        even, odd = head[0::2], head[1::2]
        if even.count(0) > len(even) * 2 // 5 or odd.count(0) > len(odd) * 2 // 5:
            return "is encoded as UTF-16 (every other byte is zero), not UTF-8"
        return (f"is binary, not a CSV text file (a zero byte at offset {head.index(0):,}; it "
                f"starts {head[:16]!r})")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = exc.start
        line = data.count(b"\n", 0, start) + 1
        lo = data.rfind(b"\n", 0, start) + 1
        hi = data.find(b"\n", start)
        raw = data[lo:hi if hi != -1 else len(data)].rstrip(b"\r")
        shown = raw[max(0, start - lo - 20):start - lo + 20]
        try:
            latin = shown.decode("cp1252")
        except UnicodeDecodeError:
            latin = None
        where = f"byte 0x{data[start]:02X} on line {line:,} ({shown!r})"
        if latin is not None and b"\x00" not in raw:
            return (f"is not UTF-8: {where} reads as Latin-1 / Windows-1252 {latin!r}, so the "
                    "file is probably encoded as Latin-1 (Windows-1252)")
        return f"is not UTF-8 text: {where} is not a UTF-8 character"
    return "could not be decoded as UTF-8"


def _encoding_fix() -> str:
    return ("the official file is UTF-8 CSV: re-download it with `python -m inequality build "
            "--force`, or, if you saved it yourself, save it again as \"CSV UTF-8\"")


def require_text(path: Path) -> None:
    """Fail early, naming the encoding, when a CSV is not UTF-8 text (pandas would read a
    UTF-16 file without a byte-order mark, or a ZIP, as one garbled column)."""
    if _not_utf8(path):
        raise ReaderError(f"{Path(path).name}: {describe_undecodable(path)}; {_encoding_fix()}")


def read_header(path: Path) -> list[str]:
    """The header row of a CSV, with the same clear errors as :func:`read_csv_mapped`."""
    require_text(path)
    with csv_errors(path):
        return list(pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns)


class csv_errors:
    """Turn pandas' parsing errors on ``path`` into :class:`ReaderError` messages that name
    the file, what is wrong (empty, its encoding, binary, cut short) and the fix."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None:
            return False
        name = self.path.name
        if isinstance(exc, pd.errors.EmptyDataError):
            raise ReaderError(f"{name}: the file is empty ({self.path.stat().st_size} bytes, no "
                              "header row); re-download it with "
                              "`python -m inequality build --force`") from exc
        if isinstance(exc, UnicodeDecodeError) or (
                isinstance(exc, pd.errors.ParserError) and _not_utf8(self.path)):
            raise ReaderError(f"{name}: {describe_undecodable(self.path)}; "
                              f"{_encoding_fix()}") from exc
        if isinstance(exc, pd.errors.ParserError):
            raise ReaderError(f"{name}: cannot be parsed as CSV ({exc}); the file may be "
                              "truncated or corrupt, so re-download it with "
                              "`python -m inequality build --force`") from exc
        return False


def _not_utf8(path: Path) -> bool:
    """True when the first 64 KiB are not plain UTF-8 text (a BOM of UTF-16, NUL bytes)."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if b"\x00" in head or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start < len(head) - 4  # not just a character cut by the 64 KiB limit
    return False


def read_csv_mapped(path: Path, columns: list[Column], strict: bool = False) -> Mapped:
    """Read an official CSV, keep and rename the mapped columns, and coerce their types.

    Numeric columns are parsed by pandas' C parser directly (fast); if any value will not
    parse, the file is read again as text so the error can name the column, value and row.
    """
    options = dict(keep_default_na=False, na_values=[""], encoding="utf-8-sig",
                   on_bad_lines="error")
    require_text(path)
    with csv_errors(path):
        header = list(pd.read_csv(path, nrows=0, **options).columns)
        rename, missing = match_headers(header, columns, path, strict)
        kinds = {c.name: c.kind for c in columns}
        dtypes = {h: ("float64" if kinds[n] in ("float", "int") else "string")
                  for h, n in rename.items()}
        try:
            raw = pd.read_csv(path, usecols=list(rename), dtype=dtypes, thousands=",",
                              **options)
        except ValueError as exc:
            if isinstance(exc, UnicodeDecodeError):
                raise
            raw = pd.read_csv(path, usecols=list(rename), dtype=str, **options)
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


def _where(bad: pd.Series, codes: pd.Series | None, what: str = "LSOA") -> str:
    """' at LSOA E01000001 (data row 5; 3 value(s) in all)' for the first flagged row."""
    i = int(np.flatnonzero(bad.to_numpy())[0])
    at = f" at {what} {codes.iloc[i]}" if codes is not None else ""
    return f"{at} (data row {i + 1:,}; {int(bad.sum()):,} value(s) in all)"


def check_range(series: pd.Series, lo: float, hi: float, what: str, path: Path | str,
                codes: pd.Series | None = None) -> None:
    """Every value lies in ``lo..hi``; the error names the value, the row (and its code)."""
    bad = (series.notna() & ((series < lo) | (series > hi))).fillna(False)
    if bad.any():
        value = series[bad.to_numpy()].iloc[0]
        rule = (f"is outside {lo:g}..{hi:g}" if np.isfinite(hi)
                else "is negative" if lo == 0 else f"is below {lo:g}")
        raise ReaderError(f"{Path(path).name}: {what} {value:g} {rule}"
                          f"{_where(bad, codes)}; {REDOWNLOAD}")


def check_complete(series: pd.Series, what: str, path: Path | str,
                   codes: pd.Series | None = None) -> None:
    """Every row has a finite number (no gap, no inf)."""
    values = series.astype("float64")
    bad = pd.Series(~np.isfinite(values.to_numpy(na_value=np.nan)), index=series.index)
    if bad.any():
        value = series[bad.to_numpy()].iloc[0]
        shown = "no value" if pd.isna(value) else f"the value {value}"
        raise ReaderError(f"{Path(path).name}: {what} has {shown}{_where(bad, codes)}; every "
                          f"row must hold a finite number, so {REDOWNLOAD}")


def check_whole(series: pd.Series, what: str, path: Path | str,
                codes: pd.Series | None = None) -> None:
    """Every value is a whole number (a count)."""
    values = series.astype("float64")
    bad = (values.notna() & (values % 1 != 0)).fillna(False)
    if bad.any():
        value = series[bad.to_numpy()].iloc[0]
        raise ReaderError(f"{Path(path).name}: {what} {value:g} is not a whole number"
                          f"{_where(bad, codes)}; it counts people, so {REDOWNLOAD}")


def check_rows(frame: pd.DataFrame, expected: int | None, path: Path | str) -> None:
    if expected is not None and len(frame) != expected:
        raise ReaderError(
            f"{Path(path).name}: expected {expected:,} rows, found {len(frame):,}; the file "
            "may be truncated or the wrong edition, so re-download it with "
            "`python -m inequality build --force`")
