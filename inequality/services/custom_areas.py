"""Community-defined areas: a named set of LSOAs, saved, shared and summarised like an authority.

A community's patch rarely matches an official boundary. A :class:`CustomArea` is a set of
LSOA codes on one geography (lsoa11 or lsoa21). To follow it across releases published on
other geographies, its LSOAs are carried through the ONS best-fit lookups: an LSOA of the
other vintage belongs to the area when at least half of its lookup links lead into the area
(so a 2011 LSOA split into two 2021 LSOAs, one inside, one outside, counts; an LSOA merged
into an area LSOA counts too). Every figure is then computed from national ranks exactly as
for an authority (rank nationally, filter later).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

import duckdb

from .. import queries
from ..geography import VINTAGES
from ..metrics.deciles import DECILES
from ..queries import UnknownArea
from .summaries import (
    HEADLINE_RANK_LABEL,
    HEADLINE_RANK_MEASURE,
    SUMMARY_MEASURES,
    lsoa_set_summary,
    rank_among_authorities,
)

Con = duckdb.DuckDBPyConnection

LSOA_PATTERN = re.compile(r"\bE01\d{6}\b")
#: Longest area a URL carries (codes are 9 characters plus a separator).
MAX_URL_CODES = 400
#: Most LSOAs a custom area may hold, however it arrives (link, paste, upload, wards): more
#: than twice England's largest authority (Birmingham, 639 LSOAs), and small enough that its
#: summary stays interactive. Larger areas are authorities or regions: pick those instead.
MAX_CODES = 1500


def _check_size(n: int) -> None:
    if n > MAX_CODES:
        raise CustomAreaError(
            f"{n:,} LSOAs is more than a custom area may hold ({MAX_CODES:,}); for an area this "
            "large choose its local authority or region in the area picker, or split it")


class CustomAreaError(ValueError):
    """A custom area that cannot be used as given; the message says how to fix it."""


@dataclass(frozen=True)
class CustomArea:
    name: str
    geography: str
    lsoa_codes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self):
        if self.geography not in VINTAGES:
            raise CustomAreaError(f"geography {self.geography!r} is not one of "
                                  f"{', '.join(VINTAGES)}")
        if not self.lsoa_codes:
            raise CustomAreaError(f"custom area {self.name!r} has no LSOAs; add LSOA codes "
                                  "such as E01000001")
        _check_size(len(self.lsoa_codes))

    def to_json(self) -> str:
        return json.dumps({"name": self.name, "geography": self.geography,
                           "lsoa_codes": sorted(self.lsoa_codes)}, indent=2)

    def save(self, path: Path) -> None:
        Path(path).write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, text: str | bytes) -> CustomArea:
        """A saved area: ``{"name": str, "geography": str, "lsoa_codes": [str, ...]}``.

        Anything else (not JSON, nested too deep, a list at the top, codes given as one
        string or as lists) is a :class:`CustomAreaError` saying what is wrong and what the
        file should hold.
        """
        expected = ('expected a JSON object {"name": "...", "geography": "lsoa21", '
                    '"lsoa_codes": ["E01000001", ...]} as saved by this app')
        try:
            data = json.loads(text)
        except RecursionError:
            raise CustomAreaError(f"not a saved custom area: the JSON is nested too deeply; "
                                  f"{expected}") from None
        except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as exc:
            raise CustomAreaError(f"not a saved custom area: not valid JSON ({exc}); "
                                  f"{expected}") from None
        if not isinstance(data, dict):
            raise CustomAreaError(f"not a saved custom area: the JSON is {_json_kind(data)}, "
                                  f"not an object; {expected}")
        absent = [k for k in ("name", "geography", "lsoa_codes") if k not in data]
        if absent:
            raise CustomAreaError(f"not a saved custom area: {', '.join(absent)} missing; "
                                  f"{expected}")
        name, geography, codes = data["name"], data["geography"], data["lsoa_codes"]
        for key, value in (("name", name), ("geography", geography)):
            if not isinstance(value, str):
                raise CustomAreaError(f"not a saved custom area: {key} is "
                                      f"{_json_kind(value)}, not text; {expected}")
        if not isinstance(codes, list):
            raise CustomAreaError(
                f"not a saved custom area: lsoa_codes is {_json_kind(codes)}, not a list of "
                f"codes; {expected}")
        bad = [c for c in codes if not isinstance(c, str) or not LSOA_PATTERN.fullmatch(c)]
        if bad:
            shown = repr(bad[0])[:40]
            raise CustomAreaError(
                f"not a saved custom area: lsoa_codes holds {shown}, which is not an LSOA "
                f"code such as E01000001; {expected}")
        return cls(name, geography, tuple(sorted(set(codes))))

    @classmethod
    def load(cls, path: Path) -> CustomArea:
        return cls.from_json(Path(path).read_text(encoding="utf-8"))

    def to_query(self) -> str | None:
        """A compact URL form (``name|geography|code,code``), or None when too long to share."""
        if len(self.lsoa_codes) > MAX_URL_CODES:
            return None
        return quote(f"{self.name}|{self.geography}|{','.join(sorted(self.lsoa_codes))}",
                     safe="|,")

    @classmethod
    def from_query(cls, text: str) -> CustomArea:
        parts = unquote(text).split("|")
        if len(parts) != 3:
            raise CustomAreaError(f"custom area link {text[:40]!r} is malformed; expected "
                                  "name|geography|codes")
        return cls(parts[0], parts[1], tuple(sorted(set(filter(None, parts[2].split(","))))))


def _json_kind(value) -> str:
    """How JSON calls a parsed value's type: 'text', 'a list', 'an object', 'a number'..."""
    for kind, name in ((bool, "true/false"), (str, "text"), (list, "a list"), (dict, "an object"),
                       ((int, float), "a number")):
        if isinstance(value, kind):
            return name
    return "null" if value is None else type(value).__name__


def parse_codes(text: str) -> list[str]:
    """LSOA codes found in pasted text or an uploaded CSV (any column, any separator).

    >>> parse_codes("lsoa\\nE01000001, E01000002;E01000001 junk")
    ['E01000001', 'E01000002']
    """
    return sorted(set(LSOA_PATTERN.findall(text)))


def make_area(con: Con, name: str, codes: list[str], geography: str | None = None) -> CustomArea:
    """Validate codes against the database and build a :class:`CustomArea`.

    The geography is inferred (the one holding most of the codes) unless given; codes not
    on that geography are an error naming them.
    """
    codes = sorted(set(codes))
    if not codes:
        raise CustomAreaError("no LSOA codes given: paste or upload codes such as E01000001, "
                              "pick a ward, or select LSOAs on the map")
    _check_size(len(codes))
    known = queries.lsoa_geographies(con, codes)
    if geography is None:
        counts = known.groupby("geography")["lsoa_code"].count()
        if counts.empty:
            raise CustomAreaError(f"none of the {len(codes)} codes is a known English LSOA "
                                  f"(first: {codes[0]!r})")
        preferred = [g for g in ("lsoa21", "lsoa11", "lsoa01") if g in counts.index]
        geography = max(preferred, key=lambda g: counts[g])
    on_geo = set(known.loc[known["geography"] == geography, "lsoa_code"])
    unknown = [c for c in codes if c not in on_geo]
    if unknown:
        raise CustomAreaError(
            f"{len(unknown)} code(s) are not {geography.upper()} LSOAs in the database "
            f"(e.g. {', '.join(unknown[:5])}); use codes of a single vintage (2011 or 2021)")
    return CustomArea(name or "Custom area", geography, tuple(codes))


def codes_on(con: Con, area: CustomArea, geography: str) -> list[str]:
    """The area's LSOAs on another geography, through the ONS best-fit lookups."""
    if geography == area.geography:
        return list(area.lsoa_codes)
    return queries.translate_lsoas(con, list(area.lsoa_codes), area.geography, geography)


def summary(con: Con, area: CustomArea, release: str) -> dict:
    """Every authority summary measure for the custom area (IMD and domains, each weighted by
    its own population), with where it would rank among today's (April 2024) authorities
    (``rank_<measure>``, ``n_areas``, also ``ranks_current``, ``n_current``) and among the
    authorities the release was published for (``ranks_published``, ``n_published``);
    1 = most deprived."""
    geography = queries.release(con, release)["geography"]
    try:
        s = lsoa_set_summary(con, release, codes_on(con, area, geography))
    except UnknownArea as exc:
        raise CustomAreaError(f"none of the area's LSOAs is in {release}") from exc
    ranks = rank_among_authorities(con, release, s)
    out = {"area_code": None, "area_name": area.name, **s}
    for m in SUMMARY_MEASURES:
        out[f"rank_{m}"] = ranks["ranks_current"][m]
    out["n_areas"] = ranks["n_current"]
    out["rank_basis"] = "current"
    out.update(ranks)
    out["headline_rank_measure"] = HEADLINE_RANK_MEASURE
    out["headline_rank_label"] = HEADLINE_RANK_LABEL
    return out


def deciles(con: Con, area: CustomArea, measure: str = "imd") -> dict:
    """Count and share of the custom area's LSOAs in each national decile, every release."""
    out = {"area_code": None, "area_name": area.name, "measure": measure, "releases": {}}
    for _, rel in queries.releases(con).iterrows():
        codes = codes_on(con, area, rel["geography"])
        if not codes:
            continue
        d = queries.lsoa_deciles(con, rel["release"], codes, measure)
        by = d["decile"].value_counts().to_dict()
        total = int(len(d))
        if not total:
            continue
        out["releases"][rel["release"]] = {
            "geography": rel["geography"], "decile_derived": bool(rel["decile_derived"]),
            "lsoa_count": total, "counts": {str(k): int(by.get(k, 0)) for k in DECILES},
            "shares": {str(k): by.get(k, 0) / total for k in DECILES}}
    return out


def home_authority(con: Con, area: CustomArea) -> dict | None:
    """The current authority holding most of the area's LSOAs (for comparison)."""
    lads = queries.authority_counts(con, list(area.lsoa_codes), area.geography)
    if lads.empty:
        return None
    top = lads.sort_values(["n", "lad24_code"], ascending=[False, True]).iloc[0]
    return {"area_code": top["lad24_code"], "area_name": top["lad24_name"],
            "share_of_lsoas": float(top["n"] / lads["n"].sum())}
