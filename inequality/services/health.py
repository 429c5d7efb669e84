"""The health gap: life expectancy, healthy life expectancy and their inequality by deprivation.

Service layer for the Health gap page (and anything else that wants the figures): named
queries in (:mod:`inequality.queries`), pure metrics applied (:mod:`inequality.metrics.health`),
plain data out: dicts of DataFrames and notes written for people (the page's charts are
:mod:`inequality.present.charts.health`).

Sources (all in ``health_indicator``, as published):

* Fingertips 90366, life expectancy at birth, lower-tier authorities, 2015-17 onwards;
* Fingertips 92901, the Slope Index of Inequality in life expectancy at birth, calculated by
  OHID within each authority across its own deprivation deciles;
* Fingertips 90362, healthy life expectancy at birth, upper-tier authorities;
* ONS, life expectancy for local areas, 2021 to 2023, with 95% confidence intervals (also
  regions and England);
* Fingertips Local Health 93283 / 93285, life expectancy by MSOA (live API only).

Authority codes are mapped to the current (April 2024) authorities by
:func:`inequality.metrics.health.harmonise_area_codes`, with a note on every row that was
published under another code; figures for abolished districts are listed beside their
successor, never averaged into it. Suppressed values stay missing and are labelled.
"""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd

from .. import queries
from ..etl.sources import RELEASES
from ..geography import MSOA_GEOGRAPHY
from ..metrics import health as hm
from ..queries import ENGLAND, UnknownArea

Con = duckdb.DuckDBPyConnection

__all__ = [
    "DEPRIVATION", "HLE", "LE", "MSOA_LE", "ONS_LE", "RECODED_CODES", "SII", "area_profile",
    "authority_deprivation", "by_role", "code_map", "deprivation_options", "gradient",
    "gradient_options", "harmonised_rows", "msoa_gap", "period_label", "resolve_area",
    "sources_table",
]

LE, SII, HLE, ONS_LE = "90366", "92901", "90362", "ons_le"
#: Local Health (MSOA) life expectancy, by sex: loaded only from the live Fingertips API.
MSOA_LE = {"Male": "93283", "Female": "93285"}
MSOA_SOURCES = ("fingertips_93283_le_male_msoa", "fingertips_93285_le_female_msoa")
LOCAL_HEALTH_URL = "https://fingertips.phe.org.uk/profile/local-health"
#: Other publishers' codes for current authorities (Barnsley and Sheffield's 2025 ONS codes).
RECODED_CODES = hm.RECODED_CODES
SEXES = ("Female", "Male")

SOURCE_LABEL = {
    LE: "Fingertips 90366",
    SII: "Fingertips 92901",
    HLE: "Fingertips 90362",
    ONS_LE: "ONS local areas",
    "93283": "Fingertips Local Health 93283",
    "93285": "Fingertips Local Health 93285",
}

#: How authorities can be ordered by deprivation for the gradient: key -> (release,
#: summary measure from :func:`inequality.services.summaries.all_summaries`, axis title).
DEPRIVATION: dict[str, tuple[str, str, str]] = {
    key: value for r in list(RELEASES.values())[-2:]  # the two latest releases
    for key, value in (
        (f"{r.id}_avg_score", (r.id, "avg_score", f"{r.label} average IMD score "
                               "(population-weighted; higher = more deprived)")),
        (f"{r.id}_prop10", (r.id, "prop_most_deprived_10",
                            f"{r.label}: share of LSOAs in England's most deprived 10%")))}
#: The ordering the gradient starts with: the average score of the release before the latest
#: (the latest release's file in the mirror lacks the population that weights it).
DEFAULT_DEPRIVATION = f"{list(RELEASES)[-2]}_avg_score"


# --------------------------------------------------------------------------------------------
# codes and rows
# --------------------------------------------------------------------------------------------

def period_label(start, end) -> str:
    """``2021, 2023`` -> ``2021-23`` (an en dash), the same for Fingertips and ONS periods.

    >>> period_label(2021, 2023)
    '2021–23'
    """
    if start is None or pd.isna(start):
        return ""
    start, end = int(start), int(end if end is not None and not pd.isna(end) else start)
    return str(start) if start == end else f"{start}–{end % 100:02d}"


def resolve_area(con: Con, area_code: str) -> dict:
    """An area by code, accepting another publisher's code for the same authority
    (``E08000039`` finds Sheffield, ``E08000019`` here); ``alias_note`` says when it did."""
    code = (area_code or "").strip().upper()
    note = ""
    if code in hm.RECODED_CODES:
        target, name, source = hm.RECODED_CODES[code]
        note = (f"{code} is the code ONS has used for {name} since 1 April 2025 ({source}); "
                f"this database's current authorities are the April 2024 ones, where {name} "
                f"is {target}.")
        code = target
    place = queries.area(con, code)
    place["alias_note"] = note
    return place


def code_map(con: Con) -> pd.DataFrame:
    """The explicit map of non-current authority codes to current (2024) authorities, derived
    from the database's ``lad_change`` table plus the documented Barnsley/Sheffield recoding
    (:func:`inequality.metrics.health.lad_code_map`)."""
    current = queries.current_authorities(con)["area_code"]
    cmap = hm.lad_code_map(queries.lad_code_changes(con), current)
    names = dict(zip(current, queries.current_authorities(con)["area_name"]))
    cmap["lad24_name"] = cmap["lad24_code"].map(names)
    return cmap


def harmonised_rows(con: Con, indicator_ids: list[str], *, cmap: pd.DataFrame | None = None
                    ) -> pd.DataFrame:
    """Rows of some indicators, as published, with the current authority of each row
    (``lad24_code``, ``code_status``, ``code_note``), suppression marked (``status``,
    ``status_note``), a common ``period_label`` and a ``source`` label."""
    rows = queries.health_rows(con, indicator_ids)
    authorities = queries.current_authorities(con)
    cmap = code_map(con) if cmap is None else cmap
    out = hm.harmonise_area_codes(rows, cmap, authorities["area_code"],
                                  names=dict(zip(authorities["area_code"],
                                                 authorities["area_name"])))
    out = hm.mark_suppressed(out)
    out["period_label"] = [period_label(s, e) for s, e in zip(out["period_start"],
                                                               out["period_end"])]
    out["source"] = out["indicator_id"].map(SOURCE_LABEL).fillna(out["indicator_id"])
    return out


def sources_table(con: Con) -> pd.DataFrame:
    """The health sources: what each holds as loaded (rows, values, confidence intervals,
    periods) or why it is not loaded."""
    cat = queries.health_catalogue(con)
    ids = [LE, SII, HLE, ONS_LE, *MSOA_LE.values()]
    names = {LE: "Life expectancy at birth (lower-tier authorities)",
             SII: "Slope Index of Inequality in life expectancy (within each authority)",
             HLE: "Healthy life expectancy at birth (upper-tier authorities)",
             ONS_LE: "Life expectancy for local areas, 2021 to 2023 (ONS)",
             "93283": "Life expectancy at birth, males, MSOA (Local Health)",
             "93285": "Life expectancy at birth, females, MSOA (Local Health)"}
    status = queries.source_status(con, list(MSOA_SOURCES)).set_index("source_id")
    rows = []
    for ind in ids:
        part = cat[cat["indicator_id"] == ind]
        if len(part):
            r = part.iloc[0]
            rows.append({"source": SOURCE_LABEL[ind], "indicator": names[ind],
                         "loaded": "yes", "rows": int(r["rows"]),
                         "values": int(r["with_value"]),
                         "with confidence interval": int(r["with_ci"]),
                         "periods": f"{r['first_period']} to {r['last_period']}"
                         if r["periods"] > 1 else r["first_period"], "note": ""})
        else:
            sid = MSOA_SOURCES[0 if ind == "93283" else 1] if ind in ("93283", "93285") else ""
            msg = status.loc[sid, "message"] if sid in status.index else "not loaded"
            rows.append({"source": SOURCE_LABEL[ind], "indicator": names[ind],
                         "loaded": "no", "rows": 0, "values": 0,
                         "with confidence interval": 0, "periods": "", "note": msg})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# one area: life expectancy, healthy life expectancy, SII over time
# --------------------------------------------------------------------------------------------

_KEEP = ["role", "place", "area_code", "lad24_code", "indicator_id", "source", "sex", "period",
         "period_label", "period_start", "value", "lci95", "uci95", "status", "status_note",
         "code_status", "code_note"]


_ROLE_ORDER = {"area": 0, "region": 1, "England": 2}


def _tag(frame: pd.DataFrame, role: str, place: str | None = None) -> pd.DataFrame:
    out = frame.copy()
    out["role"] = role
    out["place"] = place if place is not None else out["area_name"]
    for col in ("value", "lci95", "uci95"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    return out[_KEEP]


def by_role(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of :func:`area_profile`'s ``le`` or ``sii`` ordered area, region, England, then by
    sex, period and source."""
    order = frame["role"].map(_ROLE_ORDER)
    return (frame.assign(_o=order).sort_values(["_o", "sex", "period_start", "source"])
            .drop(columns="_o").reset_index(drop=True))


def _latest(frame: pd.DataFrame, sex: str) -> dict | None:
    part = frame[frame["sex"] == sex].sort_values("period_start")
    if part.empty:
        return None
    r = part.iloc[-1]
    out = {k: r[k] for k in ("period", "period_label", "status", "status_note", "source")}
    for k in ("value", "lci95", "uci95"):
        out[k] = None if pd.isna(r[k]) else float(r[k])
    return out


def area_profile(con: Con, area_code: str) -> dict:
    """Everything the page shows for one area (a current authority, a region or England).

    Returns a dict:

    ``place``
        the area (code, name, type, region), with ``alias_note`` if it was found by another
        publisher's code;
    ``le``
        life expectancy rows for the area, its region and England: Fingertips 90366 for
        every period loaded, and ONS 2021 to 2023 with confidence intervals. Columns ``role``
        (area | region | England), ``place``, ``sex``, ``period_label``, ``value``,
        ``lci95``, ``uci95``, ``status`` (published | suppressed), ``source``, ``code_note``;
    ``hle``
        life expectancy, healthy life expectancy and the years lived in poorer health
        (LE - HLE) by sex and period, for the area and England;
    ``sii``
        OHID's Slope Index of Inequality in life expectancy (92901) for the area and England;
    ``predecessors``
        figures published for abolished districts that now form the area (never averaged);
    ``headline``
        latest figures per sex; ``notes``: plain-words caveats.
    """
    place = resolve_area(con, area_code)
    code, kind = place["area_code"], place["area_type"]
    rows = harmonised_rows(con, [LE, SII, HLE, ONS_LE])
    own = rows["code_status"].isin(["current", "recoded"])

    if kind == "lad":
        area = rows[own & (rows["lad24_code"] == code)]
        region = rows[rows["area_code"] == place.get("region_code")]
    else:
        area = rows[rows["area_code"] == code]
        region = rows.iloc[0:0]
    england = rows[rows["area_code"] == ENGLAND] if code != ENGLAND else rows.iloc[0:0]
    predecessors = rows[rows["code_status"].isin(["merged", "split"])
                        & (rows["lad24_code"] == code)] if kind == "lad" else rows.iloc[0:0]

    name = place["area_name"]
    le_parts = [_tag(area[area["indicator_id"].isin([LE, ONS_LE])], "area", name)]
    if len(region):
        le_parts.append(_tag(region[region["indicator_id"].isin([LE, ONS_LE])], "region"))
    le_parts.append(_tag(england[england["indicator_id"].isin([LE, ONS_LE])], "England",
                         "England"))
    le = pd.concat([p for p in le_parts if len(p)], ignore_index=True) if any(
        len(p) for p in le_parts) else pd.DataFrame(columns=_KEEP)
    le = by_role(le)

    sii_parts = [_tag(area[area["indicator_id"] == SII], "area", name),
                 _tag(england[england["indicator_id"] == SII], "England", "England")]
    sii = by_role(pd.concat([p for p in sii_parts if len(p)], ignore_index=True)) if any(
        len(p) for p in sii_parts) else pd.DataFrame(columns=_KEEP)

    hle = pd.concat([_hle_table(area, "area", name), _hle_table(england, "England", "England")],
                    ignore_index=True)

    headline = {}
    fingertips_le = le[(le["indicator_id"] == LE) & (le["role"] == "area")]
    ons = le[(le["indicator_id"] == ONS_LE) & (le["role"] == "area")]
    eng_le = le[(le["indicator_id"] == LE) & (le["role"] == "England")]
    area_sii = sii[sii["role"] == "area"]
    all_hle = hle[hle["role"] == "area"]
    area_hle = all_hle[all_hle["hle"].notna()]
    for sex in SEXES:
        h = area_hle[area_hle["sex"] == sex].sort_values("period_start")
        rows_hle = all_hle[all_hle["sex"] == sex].sort_values("period_start")
        headline[sex] = {
            "le": _latest(fingertips_le, sex) or _latest(ons, sex),
            "le_england": _latest(eng_le, sex),
            "ons_le": _latest(ons, sex),
            "sii": _latest(area_sii, sex),
            "hle": ({"value": None, "le": None, "poorer_health": None, "status": "suppressed",
                     "period": rows_hle.iloc[-1]["period"],
                     "period_label": rows_hle.iloc[-1]["period_label"]}
                    if len(rows_hle) else None) if h.empty else {
                "value": float(h.iloc[-1]["hle"]), "status": "published",
                "le": None if pd.isna(h.iloc[-1]["le"]) else float(h.iloc[-1]["le"]),
                "poorer_health": None if pd.isna(h.iloc[-1]["poorer_health_years"])
                else float(h.iloc[-1]["poorer_health_years"]),
                "period": h.iloc[-1]["period"], "period_label": h.iloc[-1]["period_label"]},
        }

    notes = _profile_notes(place, area, region, predecessors, hle, le)
    pred = predecessors.copy()
    pred["indicator"] = pred["indicator_id"].map(SOURCE_LABEL)
    pred = pred[["area_code", "area_name", "lad24_code", "indicator", "sex", "period",
                 "value", "status", "code_status", "code_note"]].sort_values(
        ["area_code", "indicator", "sex", "period"], ignore_index=True)
    return {"place": place, "le": le, "hle": hle, "sii": sii, "predecessors": pred,
            "headline": headline, "notes": notes}


def _hle_table(rows: pd.DataFrame, role: str, place: str) -> pd.DataFrame:
    """LE and HLE side by side per sex and period (Fingertips 90366 and 90362), with the
    years in poorer health; only periods that have HLE rows."""
    cols = ["role", "place", "sex", "period", "period_label", "period_start", "le", "hle",
            "poorer_health_years", "hle_status", "le_status"]
    le = rows[rows["indicator_id"] == LE]
    hle = rows[rows["indicator_id"] == HLE]
    if hle.empty:
        return pd.DataFrame(columns=cols)
    both = hle[["sex", "period", "period_label", "period_start", "value", "status"]].rename(
        columns={"value": "hle", "status": "hle_status"}).merge(
        le[["sex", "period", "value", "status"]].rename(
            columns={"value": "le", "status": "le_status"}), on=["sex", "period"], how="left")
    both["poorer_health_years"] = hm.years_in_poorer_health(both["le"], both["hle"])
    both["role"] = role
    both["place"] = place
    return both[cols].sort_values(["sex", "period_start"], ignore_index=True)


def _profile_notes(place, area, region, predecessors, hle, le) -> list[str]:
    notes = []
    code, kind, name = place["area_code"], place["area_type"], place["area_name"]
    if place.get("alias_note"):
        notes.append(place["alias_note"])
    for text in sorted(set(area["code_note"]) - {""}):
        notes.append(text)
    supp = area[area["status"] == "suppressed"]
    if len(supp):
        what = sorted(set(supp["source"]))
        notes.append(f"Some figures for {name} are suppressed by the source ({', '.join(what)}: "
                     f"{len(supp)} values); they are shown as 'suppressed', not as zero, and "
                     "left out of every calculation.")
    if len(predecessors):
        olds = predecessors.drop_duplicates("area_code")
        listed = ", ".join(f"{r.area_name} ({r.area_code})" for r in olds.itertuples())
        notes.append(f"{name} was formed from districts that have since been abolished: "
                     f"{listed}. Fingertips also published figures for them in the periods "
                     "before the reorganisation; they are listed separately below, never "
                     f"averaged into {name}'s own series (which Fingertips recalculated for "
                     "the current boundaries).")
    if kind == "lad" and (hle.empty or not (hle["role"] == "area").any()):
        if code.startswith("E07"):
            notes.append(f"Healthy life expectancy is published for upper-tier authorities "
                         f"(counties and unitary authorities). {name} is a district within a "
                         "county council area, and the county figures are not in the file as "
                         "loaded (the offline mirror lacks county councils, E10 codes).")
        else:
            notes.append(f"No healthy life expectancy rows for {name} in the file as loaded.")
    if kind == "region":
        notes.append("Fingertips rows loaded here cover England and local authorities only, so "
                     "a region's life expectancy is shown for 2021 to 2023 (ONS) alone.")
    elif kind == "lad" and not (region["indicator_id"] == LE).any():
        notes.append("Regional life expectancy: ONS 2021 to 2023 only (the Fingertips files "
                     "loaded here hold England and the authorities, not regions).")
    if kind == "lad" and not (area["indicator_id"] == ONS_LE).any():
        notes.append(f"The ONS 2021 to 2023 table as loaded has no row for {name}.")
    fingertips = le[le["indicator_id"] == LE]
    if len(fingertips) and fingertips["lci95"].isna().all():
        notes.append("The Fingertips life expectancy file as loaded has no confidence "
                     "intervals (the offline mirror omits them; the live Fingertips download "
                     "has them). The ONS 2021 to 2023 figures carry their 95% confidence "
                     "intervals.")
    return notes


# --------------------------------------------------------------------------------------------
# the gradient across authorities
# --------------------------------------------------------------------------------------------

def gradient_options(con: Con) -> list[dict]:
    """Life expectancy series the gradient can use, latest first: ``key`` (``indicator|period``),
    ``label``, ``has_ci``."""
    out = []
    for ind in (LE, ONS_LE):
        periods = queries.health_periods(con, ind)
        for r in periods.itertuples():
            label = period_label(r.period_start, r.period_end)
            where = ("ONS (with confidence intervals)" if ind == ONS_LE
                     else "Fingertips 90366")
            out.append({"key": f"{ind}|{r.period}", "period_start": int(r.period_start),
                        "label": f"{label}, {where}", "has_ci": ind == ONS_LE})
    return sorted(out, key=lambda o: (-o["period_start"], o["key"]))


def deprivation_options(con: Con) -> dict[str, str]:
    """Deprivation orderings available in this database (key -> label); average scores need
    the release's population denominators."""
    rel = queries.releases(con).set_index("release")
    out = {}
    for key, (release, measure, label) in DEPRIVATION.items():
        if release not in rel.index:
            continue
        if measure == "avg_score" and not bool(rel.loc[release, "has_population"]):
            continue
        out[key] = label
    return out


def authority_deprivation(con: Con, key: str) -> pd.DataFrame:
    """Each current authority's deprivation by one summary (``area_code, deprivation``), from
    :func:`inequality.services.summaries.all_summaries` on current (2024) authorities."""
    from . import summaries  # imported late: the heavy summaries are only needed here
    if key not in DEPRIVATION:
        raise ValueError(f"deprivation ordering {key!r} is not one of {sorted(DEPRIVATION)}")
    release, measure, _ = DEPRIVATION[key]
    rows = summaries.all_summaries(con, release, current=True)
    return pd.DataFrame({"area_code": [s["area_code"] for s in rows],
                         "deprivation": [s.get(measure) for s in rows]}).astype(
        {"deprivation": "float64"})


def _population(con: Con, release: str) -> tuple[pd.DataFrame, str]:
    pop = queries.authority_population(con, release)
    if pop["population"].notna().any():
        return pop, release
    for other in reversed([r for r in RELEASES if r != release]):  # the newest first
        alt_pop = queries.authority_population(con, other)
        if len(alt_pop) and alt_pop["population"].notna().any():
            return alt_pop, other
    return pop, release


def gradient(con: Con, le_key: str, sex: str, deprivation: str = DEFAULT_DEPRIVATION, *,
             deprivation_frame: pd.DataFrame | None = None, n_sim: int = 20_000,
             seed: int = 2004) -> dict:
    """Life expectancy against deprivation across all current authorities, and the SII of
    that gradient.

    Each authority is one group in :func:`~inequality.metrics.health.slope_index_of_inequality`
    (ordered from most to least deprived by the chosen summary, weighted by its population
    from the IoD denominators), so the SII here is the years between the fitted least and
    most deprived ends *of the authorities*. It is not OHID's England SII (92901 for
    England), which ranks LSOAs, not authorities; both are shown.

    Returns a dict with ``frame`` (every authority: value, limits, deprivation, population,
    relative rank, and ``included``/``reason``), ``sii``, ``fit`` (population-weighted
    straight line of life expectancy on the deprivation measure), ``lines`` (end points of both
    lines for the chart), ``x_title``, ``england_sii`` (OHID's published value for a matching
    period, if any), ``notes``.
    """
    if "|" not in le_key:
        raise ValueError(f"life expectancy series {le_key!r} is not 'indicator|period', e.g. "
                         f"'{LE}|2021 - 23'")
    indicator, period = le_key.split("|", 1)
    if sex not in SEXES:
        raise ValueError(f"sex {sex!r} is not one of {SEXES}")
    release, measure, x_title = DEPRIVATION[deprivation]
    rows = harmonised_rows(con, [indicator])
    rows = rows[(rows["sex"] == sex) & (rows["period"] == period)
                & rows["code_status"].isin(["current", "recoded"])]
    rows = rows.sort_values("code_status").drop_duplicates("lad24_code")  # current first
    if rows.empty:
        raise UnknownArea(f"no {SOURCE_LABEL.get(indicator, indicator)} rows for {sex} in "
                          f"{period!r}; choose one of the periods loaded")
    dep = deprivation_frame if deprivation_frame is not None else authority_deprivation(
        con, deprivation)
    pop, pop_release = _population(con, release)
    frame = queries.current_authorities(con).merge(
        rows[["lad24_code", "area_code", "value", "lci95", "uci95", "status", "code_note"]]
        .rename(columns={"lad24_code": "code", "area_code": "published_code"}),
        left_on="area_code", right_on="code", how="left").drop(columns="code")
    frame = frame.merge(dep, on="area_code", how="left").merge(
        pop[["area_code", "population"]], on="area_code", how="left")
    reason = np.select(
        [frame["published_code"].isna(), frame["value"].isna(), frame["deprivation"].isna(),
         frame["population"].isna() | (frame["population"] <= 0)],
        ["no row in the source for this period",
         "suppressed by the source", "no deprivation summary", "no population"], "")
    frame["reason"] = reason
    frame["included"] = frame["reason"] == ""
    ok = frame[frame["included"]].sort_values(["deprivation", "area_code"],
                                              ascending=[False, True])
    has_ci = bool(len(ok)) and ok["lci95"].notna().all() and ok["uci95"].notna().all()
    sii = hm.slope_index_of_inequality(
        ok["value"], ok["population"],
        lci=ok["lci95"] if has_ci else None, uci=ok["uci95"] if has_ci else None,
        n_sim=n_sim, seed=seed) if len(ok) >= 2 else None
    frame["relative_rank"] = np.nan
    if sii is not None:
        frame.loc[ok.index, "relative_rank"] = sii["relative_rank"]
        if not has_ci:
            sii["ci_note"] = ("no confidence interval: this life expectancy file as loaded gives "
                              "no confidence limits (choose the ONS 2021 to 2023 series for one)")
    fit = hm.weighted_linear_fit(ok["deprivation"], ok["value"], ok["population"])
    lines = []
    if len(ok) >= 2:
        lo, hi = float(ok["deprivation"].min()), float(ok["deprivation"].max())
        lines += [{"axis": "deprivation", "x": v, "y": fit["intercept"] + fit["slope"] * v}
                  for v in (lo, hi)]
        if sii is not None:
            lines += [{"axis": "relative_rank", "x": 0.0, "y": sii["fitted_most_deprived"]},
                      {"axis": "relative_rank", "x": 1.0, "y": sii["fitted_least_deprived"]}]
    eng = queries.health_rows(con, [SII], [ENGLAND])
    start = rows["period_start"].iloc[0]
    eng = eng[(eng["sex"] == sex) & (eng["period_start"] <= start) & eng["value"].notna()]
    eng = eng.sort_values("period_start")
    england_sii = None if eng.empty else {
        "value": float(eng["value"].iloc[-1]), "period": eng["period"].iloc[-1],
        "same_period": bool(eng["period_start"].iloc[-1] == start)}
    notes = []
    excluded = frame[~frame["included"]]
    if len(excluded):
        notes.append("Left out: " + "; ".join(
            f"{r.area_name} ({r.area_code}): {r.reason}" for r in excluded.itertuples()) + ".")
    recoded = frame[frame["code_note"].fillna("") != ""]
    for text in sorted(set(recoded["code_note"])):
        notes.append(text)
    if pop_release != release:
        notes.append(f"Population weights are the {pop_release} denominators: {release} as "
                     "loaded has none.")
    else:
        notes.append(f"Population weights are the {release} LSOA population denominators, "
                     "summed by current authority.")
    label = period_label(rows["period_start"].iloc[0], rows["period_end"].iloc[0])
    return {"frame": frame.sort_values("area_name", ignore_index=True), "sii": sii, "fit": fit,
            "lines": pd.DataFrame(lines, columns=["axis", "x", "y"]), "x_title": x_title,
            "deprivation": deprivation, "indicator": indicator, "period": period,
            "period_label": label, "sex": sex, "source": SOURCE_LABEL.get(indicator),
            "england_sii": england_sii, "notes": notes, "population_release": pop_release}


# --------------------------------------------------------------------------------------------
# small areas (MSOA) within an authority
# --------------------------------------------------------------------------------------------

def _not_loaded_message(con: Con) -> str:
    """Why small-area life expectancy is missing, for a reader (what was loaded is on the
    Data & methods page)."""
    status = queries.source_status(con, list(MSOA_SOURCES))
    failed = any(r.status not in ("loaded", "not in this build", None)
                 for r in status.itertuples())
    return ("Small-area (MSOA) life expectancy is not loaded in this copy of the data. It "
            "comes from "
            "OHID's Local Health profile on Fingertips (indicators 93283, males, and 93285, "
            f"females; {LOCAL_HEALTH_URL}), published only through the live Fingertips API, "
            "and this dashboard was built from an offline copy"
            + (" (or the download failed: see Data & methods)" if failed else "")
            + ". Built from the live sources, this section shows the gap between the "
            "authority's most and least deprived neighbourhoods, and its map.")


def msoa_gap(con: Con, area_code: str, sex: str, *, n_sim: int = 20_000, seed: int = 2004
             ) -> dict:
    """Life expectancy of an authority's MSOAs (Local Health 93283/93285, latest period) and
    the gap between its most and least deprived MSOAs.

    MSOA deprivation is the population-weighted average IMD score of its LSOAs (IoD 2019 for
    2011 MSOAs, IoD 2025 for 2021 MSOAs; an unweighted mean where the release as loaded has no
    population). Returns ``available`` False with a plain ``message`` where the data is not
    loaded; otherwise ``frame``, ``gap`` (:func:`~inequality.metrics.health.small_area_gap`),
    ``sii`` across the MSOAs, ``features`` (GeoJSON features for the map) and ``notes``.
    """
    place = resolve_area(con, area_code)
    if place["area_type"] != "lad":
        return {"available": False, "message": "Pick a local authority to see the gap between "
                                               "its neighbourhoods."}
    code = place["area_code"]
    rows = harmonised_rows(con, [MSOA_LE[sex]]) if sex in MSOA_LE else pd.DataFrame()
    if rows.empty:
        return {"available": False, "message": _not_loaded_message(con)}
    best = None
    latest_on = {r.geography: r.id for r in RELEASES.values()}  # each vintage's latest
    for release, geography in ((rid, MSOA_GEOGRAPHY[g]) for g, rid in latest_on.items()
                               if g in MSOA_GEOGRAPHY):
        try:
            lsoas = queries.msoa_lsoa_scores(con, release, code)
        except duckdb.Error:
            continue
        n = rows["area_code"].isin(lsoas["msoa_code"]).sum()
        if n and (best is None or n > best[0]):
            best = (n, release, geography, lsoas)
    if best is None:
        return {"available": False,
                "message": f"Small-area life expectancy is loaded, but none of its MSOA codes "
                           f"matches the MSOAs of {place['area_name']} in this database."}
    _, release, geography, lsoas = best
    notes = []
    weighted = lsoas["population"].notna().all() and len(lsoas)
    if not weighted:
        notes.append(f"{release} as loaded has no population denominators, so each MSOA's "
                     "deprivation is the plain mean of its LSOAs' IMD scores.")
        lsoas = lsoas.assign(population=1.0)
    lsoas = lsoas.assign(wscore=lsoas["score"] * lsoas["population"])
    msoa = lsoas.groupby(["msoa_code", "msoa_name"], as_index=False).agg(
        wscore=("wscore", "sum"), population=("population", "sum"), lsoas=("lsoa_code", "count"))
    msoa["deprivation"] = msoa["wscore"] / msoa["population"]
    if not weighted:
        msoa["population"] = np.nan
    latest = rows[rows["area_code"].isin(msoa["msoa_code"])]
    start = latest["period_start"].max()
    latest = latest[latest["period_start"] == start]
    frame = msoa.drop(columns="wscore").merge(
        latest[["area_code", "value", "lci95", "uci95", "status", "period", "period_label"]]
        .rename(columns={"area_code": "msoa_code"}), on="msoa_code", how="left")
    frame["status"] = frame["status"].fillna("no row in the source")
    frame = frame.sort_values(["deprivation", "msoa_code"], ascending=[False, True],
                              ignore_index=True)
    frame["deprivation_order"] = np.arange(1, len(frame) + 1)
    gap = hm.small_area_gap(frame["msoa_code"], frame["value"], frame["deprivation"])
    ok = frame.dropna(subset=["value", "deprivation"])
    sii = None
    if len(ok) >= 2 and weighted:
        has_ci = ok["lci95"].notna().all() and ok["uci95"].notna().all()
        sii = hm.slope_index_of_inequality(ok["value"], ok["population"],
                                           lci=ok["lci95"] if has_ci else None,
                                           uci=ok["uci95"] if has_ci else None,
                                           n_sim=n_sim, seed=seed)
    geoms = queries.geometries(con, geography, frame["msoa_code"].tolist(), level="display")
    features = _features(geoms, frame)
    label = frame["period_label"].dropna().iloc[0] if frame["period_label"].notna().any() else ""
    return {"available": True, "place": place, "sex": sex, "release": release,
            "geography": geography, "period_label": label, "frame": frame, "gap": gap,
            "sii": sii, "features": features, "notes": notes}


def _features(geoms: pd.DataFrame, frame: pd.DataFrame) -> list[dict]:
    """GeoJSON features (as dicts) of the MSOAs with their values, for an Altair map."""
    if geoms.empty:
        return []
    import shapely
    shapes = shapely.from_wkb(np.array([bytes(b) for b in geoms["wkb"]], dtype=object))
    props = frame.set_index("msoa_code")
    out = []
    for code, name, geom in zip(geoms["code"], geoms["name"], shapes):
        p = props.loc[code] if code in props.index else None
        value = None if p is None or pd.isna(p["value"]) else round(float(p["value"]), 1)
        out.append({"type": "Feature",
                    "geometry": json.loads(shapely.to_geojson(shapely.set_precision(geom, 1e-4))),
                    "properties": {"msoa_code": code, "msoa_name": name, "value": value,
                                   "deprivation": None if p is None else round(
                                       float(p["deprivation"]), 1),
                                   "status": "no data" if p is None else p["status"]}})
    return out
