"""Life expectancy sources: OHID Fingertips API CSVs and the ONS local-area table.

Values are kept exactly as published; suppressed values (City of London, Isles of Scilly)
stay NULL with their note, never zero. Area codes are kept as the source publishes them;
harmonisation across vintages happens in the health-gap metrics, where it is explained.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..sources import Source
from .base import Column, ReaderError, check_rows, map_frame, read_csv_mapped

FINGERTIPS_COLUMNS = [
    Column("indicator_id", ("Indicator ID",), True),
    Column("indicator_name", ("Indicator Name",), True),
    Column("area_code", ("Area Code",), True),
    Column("area_name", ("Area Name",)),
    Column("area_type", ("Area Type",)),
    Column("sex", ("Sex",), True),
    Column("age", ("Age",)),
    Column("period", ("Time period",), True),
    Column("value", ("Value",), True, "float"),
    Column("lci95", ("Lower CI 95.0 limit",), False, "float"),
    Column("uci95", ("Upper CI 95.0 limit",), False, "float"),
    Column("count", ("Count",), False, "float"),
    Column("denominator", ("Denominator",), False, "float"),
    Column("value_note", ("Value note",)),
]

ONS_LE_COLUMNS = [
    Column("period", ("Period",), True),
    Column("area_type", ("Area type",)),
    Column("area_code", ("Area code",), True),
    Column("area_name", ("Area name",)),
    Column("sex", ("Sex",), True),
    Column("age", ("Age group",), True),
    Column("value", ("Life expectancy",), True, "float"),
    Column("lci95", ("Lower confidence interval",), False, "float"),
    Column("uci95", ("Upper confidence interval",), False, "float"),
]

OUTPUT = ["indicator_id", "indicator_name", "area_code", "area_name", "area_type", "sex", "age",
          "period", "period_start", "period_end", "value", "lci95", "uci95", "count",
          "denominator", "value_note"]

_PERIOD = re.compile(r"^\s*(\d{4})\s*(?:-|to)\s*(\d{2,4})\s*$")


def parse_period(period: str) -> tuple[int | None, int | None]:
    """First and last year of a published period.

    >>> parse_period("2021 - 23")
    (2021, 2023)
    >>> parse_period("2021 to 2023")
    (2021, 2023)
    >>> parse_period("2019")
    (2019, 2019)
    """
    if period is None or pd.isna(period):
        return None, None
    m = _PERIOD.match(str(period))
    if m:
        start, end = int(m.group(1)), m.group(2)
        end = int(end) if len(end) == 4 else (start // 100) * 100 + int(end)
        if end < start:
            end += 100
        return start, end
    if re.fullmatch(r"\s*\d{4}\s*", str(period)):
        return int(period), int(period)
    return None, None


def _finish(df: pd.DataFrame) -> pd.DataFrame:
    years = df["period"].map(parse_period)
    df["period_start"] = years.map(lambda p: p[0]).astype("Int64")
    df["period_end"] = years.map(lambda p: p[1]).astype("Int64")
    for col in OUTPUT:
        if col not in df.columns:
            df[col] = pd.NA
    df["indicator_id"] = df["indicator_id"].astype(str)
    return df[OUTPUT]


def read_health(source: Source, path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Read a Fingertips indicator CSV or the ONS life expectancy table into one long shape."""
    if source.id.startswith("ons_le"):
        if path.suffix == ".xlsx":
            raw = pd.read_excel(path, sheet_name=source.options.get("sheet", 1),
                                header=source.options.get("header_row", 6) - 1, dtype=str)
            mapped = map_frame(raw, ONS_LE_COLUMNS, path)
        else:
            mapped = read_csv_mapped(path, ONS_LE_COLUMNS)
        df = mapped.frame
        df = df[df["age"].isin(["<1", "00", "0", "<1 year"])].reset_index(drop=True)
        df = df.assign(indicator_id="ons_le", indicator_name="Life expectancy at birth (ONS)")
    else:
        mapped = read_csv_mapped(path, FINGERTIPS_COLUMNS)
        df = mapped.frame
        want = str(source.options.get("indicator_id", ""))
        other = df[df["indicator_id"] != want]
        if want and len(other):
            raise ReaderError(f"{path.name}: holds indicator {other['indicator_id'].iloc[0]!r} "
                              f"where {want!r} was expected; check the download URL")
    if source.in_mirror or source.expected_rows is not None:
        if path.suffix != ".xlsx":
            check_rows(df, source.expected_rows, path)
    return _finish(df), mapped.missing
