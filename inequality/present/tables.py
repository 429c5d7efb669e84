"""Tables shaped for the pages (long frames for charts, wide ones for display and CSV).
Pure functions of service results: no streamlit, no database."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .text import (GEOGRAPHY_NAMES, SUMMARY_TEXT, decile_axis_label, fmt_summary, humanise,
                   ordinal, rank_of, release_name, short_label, short_reason)


def summary_table(summary: dict, release_label: str = "its release",
                  fallbacks: Mapping[str, dict] | None = None) -> pd.DataFrame:
    """The area summary as rows of plain words: measure, value, MHCLG's published rank, the
    rank among today's authorities, what it means (or why it is not available). A measure
    the release cannot give is shown from ``fallbacks`` (the latest earlier release that has
    it), labelled so, without ranks."""
    out = []
    for key, (name, meaning) in SUMMARY_TEXT.items():
        value = summary.get(key)
        shown = fmt_summary(key, value, estimated=bool(summary.get(f"{key}_estimated")))
        if value is None:
            reason = short_reason(summary.get("unavailable", {}).get(key))
            meaning = f"{meaning} {reason[:1].upper()}{reason[1:]}."
            other = (fallbacks or {}).get(key)
            if other:
                shown = (fmt_summary(key, other["value"], estimated=other["estimated"])
                         + f" (from {release_name(other['release'])}, the latest release "
                         "that has it)")
        published, current = rank_of(summary, key)
        out.append({"Measure": name, "Value": shown,
                    f"Rank as MHCLG publishes it ({release_label} authorities; 1 = most "
                    "deprived)": published,
                    "Rank among today's authorities": current,
                    "What it means": meaning})
    frame = pd.DataFrame(out)
    return frame.loc[:, (frame != "").any(axis=0)]


def domain_profile_wide(profile: pd.DataFrame) -> pd.DataFrame:
    """:func:`domain_profile` as one row per measure and a column per decile (shares)."""
    wide = (profile.pivot_table(index=["order", "label"], columns="decile", values="share")
            .reset_index().drop(columns="order").rename(columns={"label": "measure"}))
    wide.columns = [c if isinstance(c, str) else f"decile {c}" for c in wide.columns]
    return wide


def decile_frame(counts: dict[str, int]) -> pd.DataFrame:
    """``{"1": n, ...}`` as a table: decile, its label, LSOAs, share."""
    total = sum(counts.values()) or 1
    return pd.DataFrame([{"decile": int(d), "decile_label": decile_axis_label(int(d)),
                          "lsoas": int(n), "share": n / total}
                         for d, n in sorted(counts.items(), key=lambda kv: int(kv[0]))])


def transition_summary(matrix: pd.DataFrame) -> dict[str, float]:
    """Weighted LSOAs that stayed in their decile, moved to a more deprived one (lower
    decile number) or to a less deprived one."""
    m = matrix.to_numpy(dtype=float)
    return {"same": float(np.trace(m)), "more": float(np.tril(m, -1).sum()),
            "less": float(np.triu(m, 1).sum())}


def custom_measures_table(summary: dict, home: dict | None, england: dict) -> pd.DataFrame:
    """The area's headline measures beside its home authority and England, with where the
    area would rank among the authorities (1 = most deprived)."""
    n = summary.get("n_areas") or 0
    rows = []
    for key, (name, meaning) in SUMMARY_TEXT.items():
        value, rank = summary.get(key), summary.get(f"rank_{key}")
        if value is None:
            reason = short_reason(summary.get("unavailable", {}).get(key))
            meaning = f"{meaning} {reason[:1].upper()}{reason[1:]}."
        row = {"Measure": name, summary["area_name"]: fmt_summary(
                   key, value, estimated=bool(summary.get(f"{key}_estimated"))),
               f"Would rank among {n} authorities (1 = most deprived)":
                   f"{ordinal(rank)} of {n}" if rank else ""}
        if home is not None:
            h_rank = home.get(f"rank_{key}")
            row[f"{home['area_name']} (home authority)"] = (
                fmt_summary(key, home.get(key), estimated=bool(home.get(f"{key}_estimated")))
                + (f", {ordinal(h_rank)} of {home['n_areas']}" if h_rank else ""))
        row["England"] = fmt_summary(key, england.get(key),
                                     estimated=bool(england.get(f"{key}_estimated")))
        row["What it means"] = meaning
        rows.append(row)
    return pd.DataFrame(rows)


def custom_domains_table(summary: dict, home: dict | None, measures: pd.DataFrame
                         ) -> pd.DataFrame:
    """Each domain and supplementary index: the share of the area's (and its home
    authority's) LSOAs in England's most deprived 10%, and average scores where available
    (``measures``: the release's measure table)."""
    held = measures.set_index("measure")
    rows = []
    for m, values in summary.get("domains", {}).items():
        if m not in held.index:
            continue
        row = {"measure": short_label(m, held.loc[m, "label"]),
               "kind": held.loc[m, "kind"],
               f"{summary['area_name']}: in most deprived 10%": values.get(
                   "prop_most_deprived_10"),
               f"{summary['area_name']}: average score": values.get("avg_score")}
        if home is not None:
            h = home.get("domains", {}).get(m, {})
            row[f"{home['area_name']}: in most deprived 10%"] = h.get("prop_most_deprived_10")
            row[f"{home['area_name']}: average score"] = h.get("avg_score")
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.dropna(axis=1, how="all") if not frame.empty else frame


def domain_profile(counts: pd.DataFrame, held: pd.DataFrame) -> pd.DataFrame:
    """Long table of an area's LSOAs per national decile for the IMD, each domain and the
    supplementary indices (``counts``: the area's LSOAs per ``measure`` and ``decile`` in one
    release, column ``n``; ``held``: the release's measures): measure, label, decile,
    decile_label, lsoas, share."""
    by = {m: dict(zip(part["decile"].astype(int), part["n"].astype(int)))
          for m, part in counts.groupby("measure")}
    rows = []
    for _, m in held[held["kind"] != "subdomain"].iterrows():
        found = by.get(m["measure"])
        if not found:
            continue
        total = sum(found.values())
        for d in range(1, 11):
            rows.append({"measure": m["measure"], "label": short_label(m["measure"]),
                         "order": int(m["sort_order"]), "decile": d,
                         "decile_label": decile_axis_label(d), "lsoas": found.get(d, 0),
                         "share": found.get(d, 0) / total})
    return pd.DataFrame(rows)


def tracking_frames(tracking: dict, years: Mapping[str, int]) -> tuple[pd.DataFrame,
                                                                        pd.DataFrame]:
    """Decile tracking as (long: release, year, decile, lsoas, share; wide: one row per
    release with counts and the decile 1 share). ``years``: release id -> IoD year."""
    long, wide = [], []
    for release, r in tracking["releases"].items():
        for d in range(1, 11):
            long.append({"release": release, "year": str(years[release]), "decile": d,
                         "decile_label": decile_axis_label(d), "lsoas": r["counts"][str(d)],
                         "share": r["shares"][str(d)]})
        wide.append({"release": release_name(release),
                     "neighbourhoods": GEOGRAPHY_NAMES.get(r["geography"], r["geography"]),
                     "LSOAs": r["lsoa_count"], "share in decile 1": round(r["shares"]["1"], 4),
                     **{f"decile {d}": r["counts"][str(d)] for d in range(1, 11)}})
    return pd.DataFrame(long), pd.DataFrame(wide)


def comparison_frames(frame: pd.DataFrame, years: Mapping[str, int]
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Comparison as (chart rows with year and place; a table of the decile 1 share by
    place and release). ``years``: release id -> IoD year."""
    years = pd.Series(years)
    roles = {"area": "this area", "region": "its region", "england": "England",
             "neighbour": "similar authority"}
    rows = frame.assign(year=frame["release"].map(years).astype(str),
                        role=frame["role"].map(roles),
                        place=frame["area_name"])
    rows["label"] = rows["place"] + " (" + rows["role"] + ")"
    rows.loc[rows["role"] == "England", "label"] = "England"
    wide = (rows.pivot_table(index=["place", "role"], columns="year", values="share_decile_1",
                             sort=False).round(4).reset_index())
    wide.columns = [str(c) if c in ("place", "role") else f"IoD {c}" for c in wide.columns]
    return rows, wide


def sources_table(sources, load_log: pd.DataFrame) -> pd.DataFrame:
    """Every catalogue source with what this database loaded from it (the load log)."""
    log = load_log.set_index("source_id")
    rows = []
    for s in sources:
        entry = log.loc[s.id] if s.id in log.index else None
        missing = list(entry["missing_columns"]) if entry is not None and \
            entry["missing_columns"] is not None else []
        loaded_at = entry["loaded_at"] if entry is not None else None
        rows.append({
            "source": s.id, "title": s.title, "publisher": s.publisher,
            "release": release_name(s.release) if s.release else "",
            "geography": GEOGRAPHY_NAMES.get(s.geography, s.geography),
            "status": entry["status"] if entry is not None else "not in this build",
            "rows loaded": int(entry["rows"]) if entry is not None and pd.notna(entry["rows"])
            else None,
            "file": entry["file"] if entry is not None else s.file,
            "sha256": entry["sha256"] if entry is not None else None,
            "loaded at (UTC)": str(loaded_at)[:19] if loaded_at is not None
            and pd.notna(loaded_at) else "",
            "optional columns missing": "; ".join(missing),
            "live only": "yes: not in the offline mirror" if not s.in_mirror else "",
            "licence": s.licence, "url": s.url, "landing page": s.landing_page,
            "notes": " ".join(x for x in (s.notes, entry["message"] if entry is not None
                                          and entry["message"] else "") if x)})
    first = ["source", "status", "rows loaded", "live only", "release", "publisher",
             "loaded at (UTC)", "sha256", "optional columns missing", "title", "licence"]
    frame = pd.DataFrame(rows)
    return frame[first + [c for c in frame.columns if c not in first]]


def custom_series(places: list[tuple[dict, str, str]], years: Mapping[str, int]
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The share of LSOAs in decile 1 by release for each place, given as (decile
    tracking, label, role) — the area, its home authority and England: (rows for
    :func:`~inequality.present.charts.headline_series_chart`, a wide table)."""
    rows = [{"label": label, "role": role, "place": label, "year": str(years[rel]),
             "release": rel, "share_decile_1": r["shares"]["1"]}
            for t, label, role in places for rel, r in t["releases"].items()]
    frame = pd.DataFrame(rows)
    wide = (frame.pivot_table(index="place", columns="year", values="share_decile_1",
                              sort=False).round(4).reset_index())
    wide.columns = [str(c) if c == "place" else f"IoD {c}" for c in wide.columns]
    return frame, wide


# --- places ----------------------------------------------------------------------------------

def neighbourhood_deciles(deciles: pd.DataFrame) -> pd.DataFrame:
    """A neighbourhood's national decile of every index and domain by release (rows: measures
    in the published order; columns: ``IoD <year>``); sub-domains left out. ``deciles``: the
    ``deciles`` frame of :func:`inequality.services.neighbourhood.neighbourhood`."""
    main = deciles[deciles["kind"] != "subdomain"]
    order = list(dict.fromkeys(main["measure"]))
    wide = (main.assign(column="IoD " + main["year"].astype(str))
            .pivot_table(index="measure", columns="column", values="decile", aggfunc="first")
            .reindex(order))
    wide.insert(0, "measure", [short_label(m) for m in wide.index])
    return wide.reset_index(drop=True).astype({c: "Int64" for c in wide.columns
                                               if c.startswith("IoD ")})


def neighbourhood_positions(deciles: pd.DataFrame, authority: str) -> pd.DataFrame:
    """Where the neighbourhood stands among its authority's neighbourhoods on the IMD, release
    by release (1 = the authority's most deprived)."""
    imd = deciles[deciles["measure"] == "imd"]
    return pd.DataFrame({
        "release": "IoD " + imd["year"].astype(str),
        "national decile (1 = most deprived 10%)": imd["decile"].astype("Int64"),
        f"position among {authority}'s neighbourhoods": [
            f"{ordinal(p)} of {n}" if pd.notna(p) else "" for p, n in
            zip(imd["authority_position"], imd["authority_lsoa_count"])],
        "LSOA": imd["lsoa_code"] + " " + imd["lsoa_name"].fillna("")}).reset_index(drop=True)


#: The columns of the batch postcode check a person reads first, with their headings.
POSTCODE_COLUMNS = {"input": "you typed", "postcode": "postcode", "error": "error",
                    "lsoa21_code": "LSOA 2021", "lsoa21_name": "LSOA name",
                    "msoa21_name": "neighbourhood", "ward_name": "ward",
                    "lad24_name": "local authority", "urban_rural": "urban/rural"}


def postcode_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The batch check's rows, in input order, with readable headings: the place columns,
    then every IMD and domain decile the check returns."""
    deciles = [c for c in rows.columns if c.endswith("_decile")]
    out = rows[[c for c in POSTCODE_COLUMNS if c in rows.columns] + deciles + ["note"]]
    return out.rename(columns={**POSTCODE_COLUMNS, **{
        c: c.removesuffix("_decile").replace("_", " ").replace("iod", "IoD ", 1) + " decile"
        for c in deciles}})


def comparison_table(compared: pd.DataFrame) -> pd.DataFrame:
    """The comparison's rows (see :func:`comparison_frames`) with readable headings: place,
    role, release, neighbourhoods, then the share in each national decile."""
    shares = {f"share_{d}": decile_axis_label(d) for d in range(1, 11)}
    out = compared[["area_code", "area_name", "role", "release", "lsoa_count", *shares]]
    out = out.assign(release=out["release"].map(release_name))
    return out.rename(columns={"area_code": "code", "area_name": "place",
                               "lsoa_count": "neighbourhoods", **shares})


def comparison_decile_shares(compared: pd.DataFrame, release: str) -> pd.DataFrame:
    """One release of the comparison as long rows (place, decile, decile_label, share, lsoas)
    for :func:`~inequality.present.charts.stacked_deciles_chart`."""
    latest = compared[compared["release"] == release]
    long = latest.melt(id_vars=["place", "role"], value_vars=[f"share_{d}" for d in range(1, 11)],
                       var_name="decile", value_name="share")
    long["decile"] = long["decile"].str.removeprefix("share_").astype(int)
    long["decile_label"] = long["decile"].map(decile_axis_label)
    long["lsoas"] = long["share"] * latest.set_index("place").loc[long["place"],
                                                                  "lsoa_count"].to_numpy()
    return long


def releases_table(releases: pd.DataFrame) -> pd.DataFrame:
    """The releases in the database in words: release, year, neighbourhoods it is published
    on, how many, the authorities it was published for, and the source file's catalogue id."""
    out = releases.copy()
    out["release"] = out["release"].map(release_name)
    if "geography" in out:
        out["geography"] = out["geography"].map(lambda g: GEOGRAPHY_NAMES.get(g, g))
    if "lad_vintage" in out:
        out["lad_vintage"] = out["lad_vintage"].map(
            lambda v: f"April 20{v[3:]}" if str(v).startswith("lad") else v)
    return out.rename(columns={"geography": "neighbourhoods", "lsoa_count": "LSOAs",
                               "lad_vintage": "published for the authorities of",
                               "source_id": "source", "decile_derived": "deciles derived "
                               "from ranks", "has_population": "population denominators"})


def code_map_table(code_map: pd.DataFrame) -> pd.DataFrame:
    """The health gap's authority code map in words (former code and name, today's code and
    name, how they relate, the share, the evidence)."""
    out = code_map.assign(evidence=code_map["evidence"].map(humanise))
    cols = ["from_code", "from_name", "lad24_code", "lad24_name", "relation", "share",
            "evidence"]
    return out[[c for c in cols if c in out]].rename(columns={
        "from_code": "former code", "from_name": "former name", "lad24_code": "code today",
        "lad24_name": "authority today"})


def beyond_decile_1(tracking: dict) -> pd.DataFrame:
    """Measures for places the Marmot measure shows as a flat 0%: by release, the share of
    neighbourhoods in England's most deprived 10% and 20%, and the decile of the area's most
    deprived neighbourhood.

    >>> t = {"releases": {"iod2019": {"counts": {"1": 0, "2": 3, "3": 1, **{str(d): 2 for d in
    ...      range(4, 11)}}, "lsoa_count": 18}}}
    >>> beyond_decile_1(t).to_dict("records")
    [{'release': 'IoD 2019', 'in the most deprived 10%': 0.0, 'in the most deprived 20%': 0.1667, "most deprived neighbourhood's decile": 2}]
    """
    rows = []
    for release, r in tracking["releases"].items():
        counts = {int(d): n for d, n in r["counts"].items()}
        total = r["lsoa_count"] or 1
        rows.append({"release": release_name(release),
                     "in the most deprived 10%": round(counts.get(1, 0) / total, 4),
                     "in the most deprived 20%": round((counts.get(1, 0) + counts.get(2, 0))
                                                       / total, 4),
                     "most deprived neighbourhood's decile": min(
                         (d for d, n in counts.items() if n), default=None)})
    return pd.DataFrame(rows)
