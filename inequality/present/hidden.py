"""Rural and hidden deprivation shaped for the page and the briefing: long frames for the
charts (:mod:`inequality.present.charts.hidden`), tables to show and download, and the
flagged list in Markdown. Pure functions of a report from
:func:`inequality.services.hidden.report`: no streamlit, no database."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..metrics.hidden import ONS_PROFILES
from .text import decile_axis_label

__all__ = ["ONS_PROFILES", "flagged_csv_frame", "local_national_frame", "outside_frame",
           "profile_frame", "reasons_markdown", "rural_urban_frames"]


def rural_urban_frames(rep: dict) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """(long decile shares by group for the chart, the table shown) or None."""
    ru = rep.get("rural_urban")
    if ru is None:
        return None
    groups = ru[ru["level"] != "all"].copy()
    names = groups["ruc_name"].astype(str)
    prefixed = [n if n.lower().startswith(b.lower()) else f"{b}: {n}"
                for b, n in zip(groups["urban_rural"], names)]
    groups["group"] = np.where(groups["level"] == "broad", "All " + groups["urban_rural"],
                               prefixed)
    rows = []
    for g in groups.itertuples():
        for d in range(1, 11):
            count = getattr(g, f"d{d}")
            rows.append({"group": g.group, "decile": d, "decile_label": decile_axis_label(d),
                         "lsoas": count, "share": count / g.lsoa_count if g.lsoa_count else 0})
    long = pd.DataFrame(rows)
    table = groups[["group", "ruc_code", "lsoa_count", "share_most_deprived_10",
                    "share_most_deprived_20", "median_decile", "population", "income_deprived",
                    "income_rate", "share_of_income_deprived"]].rename(columns={
                        "group": "rural-urban class", "ruc_code": "code",
                        "lsoa_count": "LSOAs", "share_most_deprived_10": "in most deprived 10%",
                        "share_most_deprived_20": "in most deprived 20%",
                        "median_decile": "median IMD decile", "population": "population",
                        "income_deprived": "income-deprived people",
                        "income_rate": "income-deprived rate",
                        "share_of_income_deprived": "share of the area's income-deprived"})
    return long, table.reset_index(drop=True)


def outside_frame(o: dict) -> pd.DataFrame | None:
    """Inside / outside the most deprived 10% and 20%: people and shares (``o``: one entry of
    the report's ``outside``); None where it is not available."""
    table = o["table"] if o["available"] else None
    if table is None:
        return None
    rows = []
    for r in table.itertuples():
        where = f"most deprived {10 * r.max_decile}%"
        rows.append({"threshold": where, "where": f"inside the {where}",
                     "people": round(r.deprived_inside), "share": 1 - r.share_outside})
        rows.append({"threshold": where, "where": f"outside the {where}",
                     "people": round(r.deprived_outside), "share": r.share_outside})
    return pd.DataFrame(rows)


def profile_frame(rep: dict) -> pd.DataFrame:
    """The place's share of LSOAs per national decile beside the nearest ONS template."""
    prof = rep["profile"]
    dist = prof["deciles"]
    template = np.asarray(ONS_PROFILES[prof["profile"]][1], dtype=float) / 100
    return pd.DataFrame({"decile": dist["decile"], "decile_label": [
        decile_axis_label(d) for d in dist["decile"]], "lsoas": dist["count"],
        "share": dist["share"], "template": template})


def local_national_frame(rep: dict) -> pd.DataFrame:
    """Every LSOA's national IMD decile beside its decile within the place."""
    f = rep["lsoas"]
    out = pd.DataFrame({
        "LSOA": f["lsoa_code"], "name": f["lsoa_name"], "ward": f.get("ward_name"),
        "rural-urban class": f.get("ruc_name"),
        "national IMD decile": f["imd_decile"].astype("Int64"),
        "decile within the place": pd.Series(f["local_decile"]).astype("Int64"),
        "national IMD rank": f["imd_rank"].astype("Int64"),
        "flagged": f["flagged"]})
    return out.sort_values("national IMD rank").reset_index(drop=True)


def flagged_csv_frame(rep: dict) -> pd.DataFrame:
    """The flagged list as a flat table (reasons joined by " | ") for CSV download."""
    out = rep["flagged"].copy()
    out["reasons"] = out["reasons"].map(lambda r: " | ".join(r))
    out["reason_tags"] = out["reason_tags"].map(lambda r: ", ".join(r))
    return out


def reasons_markdown(flagged: pd.DataFrame) -> str:
    """A Markdown list of flagged LSOAs, each with its ward, rural-urban class, IMD decile and
    every reason (for the "every reason in full" views)."""
    return "\n".join(
        f"- **{r.lsoa_name}** ({r.lsoa_code})"
        + (f" in {r.msoa_friendly_name}" if getattr(r, "msoa_friendly_name", None) else "")
        + f", {r.ward_name or 'no ward'} ward, "
        f"{r.ruc_class or 'no rural-urban class'}, IMD decile {r.imd_decile}:\n"
        + "\n".join(f"    - {reason}" for reason in r.reasons)
        for r in flagged.itertuples())


def spread_in_words(global_moran: dict | None, alpha: float = 0.05) -> str:
    """Global Moran's I of a place's IMD in plain words (the statistic itself belongs in a
    methods note): deprived neighbourhoods next to each other, scattered, or no pattern.

    >>> spread_in_words({"I": 0.42, "p_sim": 0.001})
    'Deprivation is concentrated: deprived neighbourhoods sit next to each other in a few parts of the place.'
    >>> spread_in_words({"I": 0.03, "p_sim": 0.4})
    'Deprivation is spread about evenly: no clear pattern of deprived neighbourhoods next to each other.'
    >>> spread_in_words(None)
    ''
    """
    if not global_moran or global_moran.get("I") is None:
        return ""
    i, p = global_moran["I"], global_moran.get("p_sim")
    if p is not None and p <= alpha and i > 0:
        return ("Deprivation is concentrated: deprived neighbourhoods sit next to each other "
                "in a few parts of the place.")
    if p is not None and p <= alpha and i < 0:
        return ("Deprivation is scattered: deprived and better-off neighbourhoods alternate "
                "street by street.")
    return ("Deprivation is spread about evenly: no clear pattern of deprived neighbourhoods "
            "next to each other.")


#: The separate kinds of evidence a flagged neighbourhood can carry, for the headline counts.
EVIDENCE = {
    "Deprived places": ("deprived_place", "pocket", "cluster"),
    "Hidden by the overall index": ("hidden_domain",),
    "Far from services": ("remote_services",),
}


def evidence_counts(flagged: pd.DataFrame) -> dict[str, int]:
    """How many flagged neighbourhoods carry each kind of evidence (:data:`EVIDENCE`); one
    neighbourhood can count under several.

    >>> flagged = pd.DataFrame({"reason_tags": [["pocket"], ["remote_services"],
    ...                                          ["hidden_domain", "remote_services"]]})
    >>> evidence_counts(flagged)
    {'Deprived places': 1, 'Hidden by the overall index': 1, 'Far from services': 2}
    """
    return {label: int(flagged["reason_tags"].map(lambda ts: bool(set(ts) & set(tags))).sum())
            for label, tags in EVIDENCE.items()}


def share_outside(outside: dict, max_decile: int = 2) -> float:
    """The share of the place's deprived people living outside England's most deprived
    ``max_decile`` tenths of neighbourhoods (from a report's ``outside`` entry)."""
    return float(outside["table"].set_index("max_decile").loc[max_decile, "share_outside"])
