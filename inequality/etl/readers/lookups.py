"""ONS lookups between geographies and vintages, and the Rural-Urban Classification.

Each reader accepts both the offline mirror's layout and the live ONS tables (whose column
names differ slightly, e.g. ``F_LSOA11CD``), keeps English rows and validates codes.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..sources import Source
from .base import (LAD_CODE, LSOA_CODE, REGION_CODE, Column, ReaderError, check_codes,
                   check_rows, check_unique, read_csv_mapped, read_header)

CHANGE_INDICATORS = {"U", "S", "M", "X"}


def _english(frame: pd.DataFrame, col: str) -> pd.DataFrame:
    return frame[frame[col].str.startswith("E").fillna(False)].reset_index(drop=True)


def read_lsoa_lookup(source: Source, path: Path) -> tuple[pd.DataFrame, list[str]]:
    """LSOA01->LSOA11 or LSOA11->LSOA21 best-fit lookup with its change indicator."""
    a, b = source.options["from"], source.options["to"]
    A, B = a.upper(), b.upper()
    cols = [Column("from_code", (f"{A}CD", f"F_{A}CD"), True),
            Column("from_name", (f"{A}NM", f"F_{A}NM")),
            Column("to_code", (f"{B}CD",), True),
            Column("to_name", (f"{B}NM",)),
            Column("chgind", ("CHGIND",), True),
            Column("lad_code", ("LAD22CD",) if b == "lsoa21" else ("LAD11CD",)),
            Column("lad_name", ("LAD22NM",) if b == "lsoa21" else ("LAD11NM",))]
    mapped = read_csv_mapped(path, cols)
    df = _english(mapped.frame, "from_code")
    check_rows(df, source.expected_rows, path)
    check_codes(df["from_code"], LSOA_CODE, f"{A} code", path, "E01000001")
    check_codes(df["to_code"], LSOA_CODE, f"{B} code", path, "E01000001")
    bad = df[~df["chgind"].isin(CHANGE_INDICATORS)]
    if len(bad):
        raise ReaderError(f"{path.name}: CHGIND {bad['chgind'].iloc[0]!r} is not one of U, S, M, "
                          "X (unchanged, split, merged, irregular)")
    return df, mapped.missing


def read_area_lookup(source: Source, path: Path) -> tuple[pd.DataFrame, list[str]]:
    """LSOA to MSOA, ward and local authority (one row per LSOA)."""
    y = source.geography[4:]
    cols = [Column("lsoa_code", (f"LSOA{y}CD",), True),
            Column("lsoa_name", (f"LSOA{y}NM",)),
            Column("msoa_code", (f"MSOA{y}CD",)),
            Column("msoa_name", (f"MSOA{y}NM",)),
            Column("ward_code", ("WD24CD",) if y == "21" else ("WD17CD",)),
            Column("ward_name", ("WD24NM",) if y == "21" else ("WD17NM",))]
    if y == "21":
        cols += [Column("lad22_code", ("LAD22CD",)), Column("lad24_code", ("LAD24CD",), True),
                 Column("lad24_name", ("LAD24NM",)), Column("region_code", ("RGN24CD",)),
                 Column("region_name", ("RGN24NM",))]
    else:
        cols += [Column("lad11_code", ("LAD11CD",)), Column("lad21_code", ("LAD21CD",)),
                 Column("lad21_name", ("LAD21NM",))]
    mapped = read_csv_mapped(path, cols)
    df = _english(mapped.frame, "lsoa_code")
    # The live OA-level lookups hold one row per output area: reduce to one per LSOA.
    df = df.drop_duplicates("lsoa_code").reset_index(drop=True)
    check_rows(df, source.expected_rows, path)
    check_codes(df["lsoa_code"], LSOA_CODE, "LSOA code", path, "E01000001")
    if "lad24_code" in df.columns:
        check_codes(df["lad24_code"], LAD_CODE, "LAD 2024 code", path, "E08000026")
    return df, mapped.missing


def read_lad_region(source: Source, path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Local authority to region for one or more vintages (long or single-vintage layout)."""
    head = read_header(path)
    if any(h.strip().upper() == "LAD_VINTAGE" for h in head):
        cols = [Column("lad_vintage", ("LAD_VINTAGE",), True, "int"),
                Column("lad_code", ("LADCD",), True), Column("lad_name", ("LADNM",), True),
                Column("region_code", ("RGNCD",), True), Column("region_name", ("RGNNM",), True)]
        mapped = read_csv_mapped(path, cols)
        df = mapped.frame
    else:
        vintage = next((h.strip()[3:5] for h in head if h.strip().upper().startswith("LAD")
                        and h.strip().upper().endswith("CD")), None)
        if vintage is None:
            raise ReaderError(f"{path.name}: no LADyyCD column; expected an ONS LADyy_RGNyy "
                              "lookup or the mirror's long layout (LAD_VINTAGE, LADCD, ...)")
        cols = [Column("lad_code", (f"LAD{vintage}CD",), True),
                Column("lad_name", (f"LAD{vintage}NM",), True),
                Column("region_code", (f"RGN{vintage}CD",), True),
                Column("region_name", (f"RGN{vintage}NM",), True)]
        mapped = read_csv_mapped(path, cols)
        df = mapped.frame.assign(lad_vintage=2000 + int(vintage))
    df = _english(df, "lad_code")
    check_rows(df, source.expected_rows, path)
    check_codes(df["lad_code"], LAD_CODE, "LAD code", path, "E08000026")
    check_codes(df["region_code"], REGION_CODE, "region code", path, "E12000005")
    df["lad_vintage"] = "lad" + (df["lad_vintage"].astype(int) % 100).astype(str).str.zfill(2)
    check_unique(df["lad_vintage"] + " " + df["lad_code"], "LAD vintage and code", path)
    return df[["lad_vintage", "lad_code", "lad_name", "region_code", "region_name"]], mapped.missing


def _broad_from_ruc(code: pd.Series) -> pd.Series:
    """2011 LSOA classes A-C are urban, D-E rural (Defra RUC 2011 user guide)."""
    return code.str[0].map({"A": "Urban", "B": "Urban", "C": "Urban", "D": "Rural", "E": "Rural"})


def read_ruc(source: Source, path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Rural-Urban Classification of LSOAs or local authorities."""
    geo = source.geography  # lsoa11, lsoa21, lad11, lad24
    level, y = geo[:-2].upper(), geo[-2:]
    ruc = "11" if source.id.startswith("ruc2011") else "21"
    cols = [Column("area_code", (f"{level}{y}CD",), True),
            Column("ruc_code", (f"RUC{ruc}CD",), True),
            Column("ruc_name", (f"RUC{ruc}", f"RUC{ruc}NM"), True),
            Column("broad_class", ("URBAN_RURAL", "Urban_rural_flag", f"Broad_RUC{ruc}"))]
    mapped = read_csv_mapped(path, cols)
    df = _english(mapped.frame, "area_code")
    check_rows(df, source.expected_rows, path)
    check_unique(df["area_code"], f"{level}{y} code", path)
    if level == "LSOA":
        check_codes(df["area_code"], LSOA_CODE, "LSOA code", path, "E01000001")
    else:
        check_codes(df["area_code"], LAD_CODE, "LAD code", path, "E07000045")
    if "broad_class" not in df.columns:
        if ruc == "11" and level == "LSOA":
            df["broad_class"] = _broad_from_ruc(df["ruc_code"])
        else:
            df["broad_class"] = pd.NA
    df["ruc_code"] = df["ruc_code"].astype(str)
    return df[["area_code", "ruc_code", "ruc_name", "broad_class"]].assign(geography=geo), \
        mapped.missing
