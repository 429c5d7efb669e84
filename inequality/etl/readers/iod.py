"""English Indices of Deprivation, File 7 (2015, 2019, 2025) and the 2010 all-domains file.

Official headers differ between releases; each release's header map below is the complete
official header of its file (MHCLG), so a complete live download and the partial offline
mirror are read by the same code. Required: LSOA code, local authority code, IMD score and
rank (and decile where the release publishes deciles). Everything else is optional and its
absence is reported, never filled in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..sources import Source
from .base import (LAD_CODE, LSOA_CODE, OLD_LAD_CODE, Column, ReaderError, check_codes,
                   check_complete, check_range, check_rows, check_unique, check_whole,
                   read_csv_mapped)

#: (measure id, official label in 2015/2019/2025 headers, kind, parent domain, 2010 label)
MEASURES: tuple[tuple[str, str, str, str | None], ...] = (
    ("imd", "Index of Multiple Deprivation (IMD)", "index", None),
    ("income", "Income", "domain", None),
    ("employment", "Employment", "domain", None),
    ("education", "Education, Skills and Training", "domain", None),
    ("health", "Health Deprivation and Disability", "domain", None),
    ("crime", "Crime", "domain", None),
    ("barriers", "Barriers to Housing and Services", "domain", None),
    ("living_environment", "Living Environment", "domain", None),
    ("idaci", "Income Deprivation Affecting Children Index (IDACI)", "supplementary", "income"),
    ("idaopi", "Income Deprivation Affecting Older People (IDAOPI)", "supplementary", "income"),
    ("children_young_people", "Children and Young People Sub-domain", "subdomain", "education"),
    ("adult_skills", "Adult Skills Sub-domain", "subdomain", "education"),
    ("geographical_barriers", "Geographical Barriers Sub-domain", "subdomain", "barriers"),
    ("wider_barriers", "Wider Barriers Sub-domain", "subdomain", "barriers"),
    ("indoors", "Indoors Sub-domain", "subdomain", "living_environment"),
    ("outdoors", "Outdoors Sub-domain", "subdomain", "living_environment"),
)
MEASURE_IDS = tuple(m[0] for m in MEASURES)

#: Measures whose score is a rate (proportion of people), published as "Score (rate)".
RATE_MEASURES = {"income", "employment", "idaci", "idaopi"}

_RANK = "Rank (where 1 is most deprived)"
_DECILE = "Decile (where 1 is most deprived 10% of LSOAs)"

#: 2010 labels: (score header, rank header); the 2010 file publishes no deciles.
_LABELS_2010 = {
    "imd": ("IMD SCORE", "RANK OF IMD SCORE (where 1 is most deprived)"),
    "income": ("INCOME SCORE", "RANK OF INCOME SCORE (where 1 is most deprived)"),
    "employment": ("EMPLOYMENT SCORE", "RANK OF EMPLOYMENT SCORE (where 1 is most deprived)"),
    "health": ("HEALTH DEPRIVATION AND DISABILITY SCORE",
               "RANK OF HEALTH DEPRIVATION AND DISABILITY SCORE (where 1 is most deprived)"),
    "education": ("EDUCATION SKILLS AND TRAINING SCORE",
                  "RANK OF EDUCATION SKILLS AND TRAINING SCORE (where 1 is most deprived)"),
    "barriers": ("BARRIERS TO HOUSING AND SERVICES SCORE",
                 "RANK OF BARRIERS TO HOUSING AND SERVICES SCORE (where 1 is most deprived)"),
    "crime": ("CRIME AND DISORDER SCORE", "RANK OF CRIME SCORE (where 1 is most deprived)"),
    "living_environment": ("LIVING ENVIRONMENT SCORE",
                           "RANK OF LIVING ENVIRONMENT SCORE (where 1 is most deprived)"),
    "indoors": ("Indoors Sub-domain Score", "Indoors Sub-domain Rank (where 1 is most deprived)"),
    "outdoors": ("Outdoors Sub-domain Score",
                 "Outdoors Sub-domain Rank (where 1 is most deprived)"),
    "geographical_barriers": ("Geographical Barriers Sub-domain Score",
                              "Geographical Barriers Sub-domain Rank (where 1 is most deprived)"),
    "wider_barriers": ("Wider Barriers Sub-domain Score",
                       "Wider Barriers Sub-domain Rank (where 1 is most deprived)"),
    "children_young_people": ("Children/Young People Sub-domain Score",
                              "Children/Young People Sub-domain Rank (where 1 is most deprived)"),
    "adult_skills": ("Skills Sub-domain Score", "Skills Sub-domain Rank (where 1 is most deprived)"),
    "idaci": ("IDACI score", "Rank of IDACI (where 1 is most deprived)"),
    "idaopi": ("IDAOPI score", "Rank of IDAOPI (where 1 is most deprived)"),
}

#: Population denominators: canonical column -> official header per release.
_POPULATION = {
    "iod2015": {
        "total": "Total population: mid 2012 (excluding prisoners)",
        "children_0_15": "Dependent Children aged 0-15: mid 2012 (excluding prisoners)",
        "age_16_59": "Population aged 16-59: mid 2012 (excluding prisoners)",
        "older_60_plus": "Older population aged 60 and over: mid 2012 (excluding prisoners)",
        "working_age": "Working age population 18-59/64: for use with Employment Deprivation "
                       "Domain (excluding prisoners)",
    },
    "iod2019": {
        "total": "Total population: mid 2015 (excluding prisoners)",
        "children_0_15": "Dependent Children aged 0-15: mid 2015 (excluding prisoners)",
        "age_16_59": "Population aged 16-59: mid 2015 (excluding prisoners)",
        "older_60_plus": "Older population aged 60 and over: mid 2015 (excluding prisoners)",
        "working_age": "Working age population 18-59/64: for use with Employment Deprivation "
                       "Domain (excluding prisoners)",
    },
    "iod2025": {
        "total": "Total population: mid 2022",
        "children_0_15": "Dependent Children aged 0-15: mid 2022",
        "older_60_plus": "Older population aged 60 and over: mid 2022",
        "working_age": "Working age population 18-66 (for use with Employment Deprivation "
                       "Domain): mid 2022",
    },
}
POPULATION_COLUMNS = ("total", "children_0_15", "age_16_59", "older_60_plus", "working_age")

_AREA_HEADERS = {
    "iod2010": [("lsoa_code", "LSOA CODE", True), ("lad_code", "POST 2009 LA CODE", True),
                ("lad_name", "POST 2009 LA NAME", False),
                ("pre2009_lad_code", "PRE 2009 LA CODE", False),
                ("pre2009_lad_name", "PRE 2009 LA NAME", False),
                ("region_code", "GOR CODE", False), ("region_name", "GOR NAME", False)],
    "iod2015": [("lsoa_code", "LSOA code (2011)", True), ("lsoa_name", "LSOA name (2011)", False),
                ("lad_code", "Local Authority District code (2013)", True),
                ("lad_name", "Local Authority District name (2013)", False)],
    "iod2019": [("lsoa_code", "LSOA code (2011)", True), ("lsoa_name", "LSOA name (2011)", False),
                ("lad_code", "Local Authority District code (2019)", True),
                ("lad_name", "Local Authority District name (2019)", False)],
    "iod2025": [("lsoa_code", "LSOA code (2021)", True), ("lsoa_name", "LSOA name (2021)", False),
                ("lad_code", "Local Authority District code (2024)", True),
                ("lad_name", "Local Authority District name (2024)", False)],
}


def columns_for(release: str) -> list[Column]:
    """The complete official header map of a release's file, as canonical columns."""
    cols = [Column(name, (header,), required) for name, header, required in _AREA_HEADERS[release]]
    if release == "iod2010":
        for measure, (score, rank) in _LABELS_2010.items():
            cols.append(Column(f"{measure}__score", (score,), measure == "imd", "float"))
            cols.append(Column(f"{measure}__rank", (rank,), measure == "imd", "int"))
        return cols
    for measure, label, _kind, _parent in MEASURES:
        score = f"{label} Score (rate)" if measure in RATE_MEASURES else f"{label} Score"
        cols.append(Column(f"{measure}__score", (score,), measure == "imd", "float"))
        cols.append(Column(f"{measure}__rank", (f"{label} {_RANK}",), measure == "imd", "int"))
        cols.append(Column(f"{measure}__decile", (f"{label} {_DECILE}",), measure == "imd", "int"))
    for name, header in _POPULATION[release].items():
        cols.append(Column(f"pop__{name}", (header,), False, "float"))
    return cols


@dataclass
class IoDFile:
    """One release read from its official file."""

    release: str
    areas: pd.DataFrame        # lsoa_code, lsoa_name, lad_code, lad_name
    deprivation: pd.DataFrame  # release, lsoa_code, measure, score, rank, decile (long)
    population: pd.DataFrame   # release, lsoa_code + POPULATION_COLUMNS (NaN where absent)
    missing: list[str]         # official headers absent from the file
    decile_derived: bool
    has_population: bool

    @property
    def rows(self) -> int:
        return len(self.areas)


def read_iod(source: Source, path: Path) -> IoDFile:
    """Read and validate one release's File 7 into tidy long tables.

    Validation: LSOA codes are English 2001/2011/2021 GSS codes (E01) and unique; local
    authority codes are GSS codes (or pre-2011 codes such as 00AA for 2010); ranks are whole
    numbers in 1..N and deciles in 1..10; every score present is a finite number; population
    denominators are non-negative and whole (except the working-age population, which IoD
    2015 publishes in quarters); the row count is the catalogue's.
    """
    release = source.release
    if release not in _AREA_HEADERS:
        raise ReaderError(f"source {source.id!r} names unknown release {release!r}")
    mapped = read_csv_mapped(path, columns_for(release), strict=True)
    df = mapped.frame
    check_rows(df, source.expected_rows, path)
    check_codes(df["lsoa_code"], LSOA_CODE, "LSOA code", path, "E01000001")
    check_unique(df["lsoa_code"], "LSOA code", path)
    lad_pattern = OLD_LAD_CODE if release == "iod2010" else LAD_CODE
    example = "00AA" if release == "iod2010" else "E08000026"
    check_codes(df["lad_code"], lad_pattern, "local authority code", path, example)
    n = len(df)

    frames = []
    for measure in MEASURE_IDS:
        score, rank, decile = (f"{measure}__{p}" for p in ("score", "rank", "decile"))
        if rank not in df.columns and score not in df.columns:
            continue
        if score in df.columns:
            check_complete(df[score], f"{measure} score", path, df["lsoa_code"])
        if rank in df.columns:
            check_range(df[rank], 1, n, f"{measure} rank", path, df["lsoa_code"])
            check_complete(df[rank], f"{measure} rank", path, df["lsoa_code"])
        part = pd.DataFrame({
            "release": release,
            "lsoa_code": df["lsoa_code"].astype(str),
            "measure": measure,
            "score": df[score] if score in df.columns else np.nan,
            "rank": df[rank] if rank in df.columns else pd.NA,
            "decile": df[decile] if decile in df.columns else pd.NA,
        })
        if decile in df.columns:
            check_range(df[decile], 1, 10, f"{measure} decile", path, df["lsoa_code"])
        elif rank in df.columns and release == "iod2010":
            # No published deciles: the rule the later releases follow, decile = ceil(10 r / N).
            part["decile"] = np.ceil(10 * df[rank].astype("float64") / n).astype("Int64")
        frames.append(part)
    deprivation = pd.concat(frames, ignore_index=True)
    deprivation["rank"] = deprivation["rank"].astype("Int64")
    deprivation["decile"] = deprivation["decile"].astype("Int64")

    population = pd.DataFrame({"release": release, "lsoa_code": df["lsoa_code"].astype(str)})
    for name in POPULATION_COLUMNS:
        col = f"pop__{name}"
        if col in df.columns:
            what = f"population {_POPULATION[release][name]!r}"
            check_range(df[col], 0, np.inf, what, path, df["lsoa_code"])
            if name != "working_age":  # IoD 2015 publishes working-age people in quarters
                check_whole(df[col], what, path, df["lsoa_code"])
        population[name] = df[col] if col in df.columns else np.nan
    has_population = "pop__total" in df.columns and df["pop__total"].notna().all()

    areas = pd.DataFrame({
        "release": release,
        "lsoa_code": df["lsoa_code"].astype(str),
        "lsoa_name": df["lsoa_name"] if "lsoa_name" in df.columns else pd.NA,
        "lad_code": df["lad_code"].astype(str),
        "lad_name": df["lad_name"] if "lad_name" in df.columns else pd.NA,
    })
    return IoDFile(release=release, areas=areas, deprivation=deprivation, population=population,
                   missing=mapped.missing, decile_derived=release == "iod2010",
                   has_population=bool(has_population))
