"""Cut the tiny official-format fixtures in tests/data/mirror from the full offline mirror.

Run from the repository root:  python tests/data/make_fixtures.py ../shared/data/raw

Two local authorities are kept, one urban and one rural: Hartlepool (E06000001, 2010 code
00EB) and Rutland (E06000017, 2010 code 00FP). Every row is a real published row; the one
change, made so the fixture is a self-consistent miniature England, is that each rank column
of the IoD files is re-ranked within the fixture (ties kept) and each published decile is
recomputed from that rank as ceil(10 x rank / N), N = the fixture's row count. Scores and
populations are untouched. See README.md beside this file.
"""

from __future__ import annotations

import json
import math
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

HERE = Path(__file__).resolve().parent
OUT = HERE / "mirror"
LADS = {"E06000001", "E06000017"}
OLD_LADS = {"00EB", "00FP"}
AREAS = LADS | {"E92000001", "E12000001", "E12000004"}  # + England, North East, East Midlands


def _rerank(df: pd.DataFrame) -> pd.DataFrame:
    n = len(df)
    for col in df.columns:
        low = col.lower()
        if "rank" in low and "where 1 is most deprived" in low:
            values = pd.to_numeric(df[col], errors="coerce")
            if values.notna().any():
                df[col] = values.rank(method="min").astype("Int64")
                decile = col.replace("Rank (where 1 is most deprived)",
                                     "Decile (where 1 is most deprived 10% of LSOAs)")
                for dc in df.columns:
                    if dc != col and dc.startswith(decile[: len(decile) - 10]) and "Decile" in dc:
                        df[dc] = [math.ceil(10 * r / n) for r in df[col]]
    return df


def cut_places(mirror: Path, lsoa21: set, msoa21: set, msoa11: set) -> dict[str, int]:
    """Places: the first two postcodes (in pcds order) of every LSOA 2021 kept, in a zip laid
    out like the NSPL download (Data/NSPL21_AUG_2024_UK.csv); the friendly MSOA names of the
    2021 and 2011 MSOAs kept (UTF-8 with a BOM, as published). Returns the row counts."""
    counts = {}
    nspl = "NSPL21_AUG_2024_UK.zip"
    member = "Data/NSPL21_AUG_2024_UK.csv"
    with zipfile.ZipFile(mirror / "nspl21_lsoa21" / nspl) as z, z.open(member) as f:
        pcd = pd.read_csv(f, dtype=str, keep_default_na=False)
    pcd = (pcd[pcd["lsoa21"].isin(lsoa21)].sort_values("pcds")
           .groupby("lsoa21", sort=False).head(2).sort_values("pcds").reset_index(drop=True))
    (OUT / "nspl21_lsoa21").mkdir(parents=True, exist_ok=True)
    info = zipfile.ZipInfo(member, date_time=(2024, 8, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(OUT / "nspl21_lsoa21" / nspl, "w") as z:
        z.writestr(info, pcd.to_csv(index=False, lineterminator="\n"))
    counts["nspl21_lsoa21"] = len(pcd)
    for sid, name, codes, col in [
            ("msoa_names_2021", "MSOA-Names-2.2.csv", msoa21, "msoa21cd"),
            ("msoa_names_2011", "MSOA-Names-1.20.csv", msoa11, "msoa11cd")]:
        names = pd.read_csv(mirror / sid / name, dtype=str, keep_default_na=False,
                            encoding="utf-8-sig")
        names = names[names[col].isin(codes)].reset_index(drop=True)
        (OUT / sid).mkdir(parents=True, exist_ok=True)
        names.to_csv(OUT / sid / name, index=False, encoding="utf-8-sig", lineterminator="\n")
        counts[sid] = len(names)
    return counts


def main(mirror: Path) -> None:
    counts: dict[str, int] = {}

    def csv(source_id: str, name: str, keep) -> pd.DataFrame:
        df = pd.read_csv(mirror / source_id / name, dtype=str, keep_default_na=False)
        df = df[keep(df)].reset_index(drop=True)
        return df

    def write(source_id: str, name: str, df) -> None:
        (OUT / source_id).mkdir(parents=True, exist_ok=True)
        if name.endswith(".parquet"):
            df.to_parquet(OUT / source_id / name)
        else:
            df.to_csv(OUT / source_id / name, index=False)
        counts[source_id] = len(df)

    l21 = csv("lookup_lsoa21_msoa21_lad", "lookup_lsoa21_msoa21_lad_eng.csv",
              lambda d: d["LAD24CD"].isin(LADS))
    l11 = csv("lookup_lsoa11_msoa11_lad", "lookup_lsoa11_msoa11_lad_eng.csv",
              lambda d: d["LAD21CD"].isin(LADS))
    lsoa11, lsoa21 = set(l11["LSOA11CD"]), set(l21["LSOA21CD"])
    l0111 = csv("lookup_lsoa01_lsoa11", "lookup_lsoa01_lsoa11_eng.csv",
                lambda d: d["LSOA11CD"].isin(lsoa11))
    lsoa01 = set(l0111["LSOA01CD"])
    write("lookup_lsoa21_msoa21_lad", "lookup_lsoa21_msoa21_lad_eng.csv", l21)
    write("lookup_lsoa11_msoa11_lad", "lookup_lsoa11_msoa11_lad_eng.csv", l11)
    write("lookup_lsoa01_lsoa11", "lookup_lsoa01_lsoa11_eng.csv", l0111)
    write("lookup_lsoa11_lsoa21", "lookup_lsoa11_lsoa21_lad22_eng.csv",
          csv("lookup_lsoa11_lsoa21", "lookup_lsoa11_lsoa21_lad22_eng.csv",
              lambda d: d["LSOA11CD"].isin(lsoa11) | d["LSOA21CD"].isin(lsoa21)))
    write("lookup_lad_region", "lookup_lad_rgn_eng.csv",
          csv("lookup_lad_region", "lookup_lad_rgn_eng.csv", lambda d: d["LADCD"].isin(LADS)))

    iod = {
        "iod2010_lsoa01": ("1871702.csv", lambda d: d["LSOA CODE"].isin(lsoa01)),
        "iod2015_lsoa11": ("File_7_ID_2015_All_ranks__deciles_and_scores_for_the_Indices_of_"
                           "Deprivation__and_population_denominators.csv",
                           lambda d: d["LSOA code (2011)"].isin(lsoa11)),
        "iod2019_lsoa11": ("File_7_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_"
                           "Denominators_3.csv", lambda d: d["LSOA code (2011)"].isin(lsoa11)),
        "iod2025_lsoa21": ("File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv",
                           lambda d: d["LSOA code (2021)"].isin(lsoa21)),
    }
    for sid, (name, keep) in iod.items():
        write(sid, name, _rerank(csv(sid, name, keep)))

    for sid, name, codes, col in [
            ("ruc2011_lsoa11", "ruc2011_lsoa11_eng.csv", lsoa11, "LSOA11CD"),
            ("ruc2021_lsoa21", "ruc2021_lsoa21_eng.csv", lsoa21, "LSOA21CD"),
            ("ruc2011_lad11", "ruc2011_lad11_eng.csv", LADS, "LAD11CD"),
            ("ruc2021_lad24", "ruc2021_lad24_eng.csv", LADS, "LAD24CD")]:
        write(sid, name, csv(sid, name, lambda d, c=col, k=codes: d[c].isin(k)))

    for sid, name in [
            ("fingertips_90366_le_ltla", "fingertips_90366_life_expectancy_at_birth_ltla.csv"),
            ("fingertips_92901_sii_le_ltla", "fingertips_92901_sii_life_expectancy_ltla.csv"),
            ("fingertips_90362_hle_utla", "fingertips_90362_healthy_life_expectancy_ua.csv")]:
        write(sid, name, csv(sid, name, lambda d: d["Area Code"].isin(AREAS)))
    write("ons_le_local_areas_2021_23", "ons_le_local_areas_uk_2021-23_at_birth.csv",
          csv("ons_le_local_areas_2021_23", "ons_le_local_areas_uk_2021-23_at_birth.csv",
              lambda d: d["Area code"].isin(AREAS)))

    msoa11, msoa21 = set(l11["MSOA11CD"]), set(l21["MSOA21CD"])
    for sid, name, col, keep in [
            ("boundaries_lsoa11", "lsoa11_boundaries_eng_bgc.parquet", "LSOA11CD", lsoa11),
            ("boundaries_lsoa21", "lsoa21_boundaries_eng_bsc.parquet", "LSOA21CD", lsoa21),
            ("boundaries_msoa11", "msoa11_boundaries_eng_bgc.parquet", "MSOA11CD", msoa11),
            ("boundaries_msoa21", "msoa21_boundaries_eng_bsc.parquet", "MSOA21CD", msoa21)]:
        gdf = gpd.read_parquet(mirror / sid / name)
        write(sid, name, gdf[gdf[col].isin(keep)].reset_index(drop=True))

    counts.update(cut_places(mirror, lsoa21, msoa21, msoa11))

    (HERE / "mirror_rows.json").write_text(json.dumps(counts, indent=2, sort_keys=True) + "\n")
    print(json.dumps(counts, indent=2))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/raw"))
