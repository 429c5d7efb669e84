"""Find your place: one search for postcodes, places and codes, and the per-database tables
it and the place services share ("your neighbourhood" in :mod:`.neighbourhood`, the batch
postcode check in :mod:`.postcodes`).

Everything here returns plain data (dicts, DataFrames) for the search box, the map and the
``find`` command; the pages decide how to show it.

Search
------
:func:`search` takes what a person types: a postcode in any spelling (``tq11 0aa``,
``TQ110AA``), a place name (a friendly MSOA name such as "Ashburton & Buckfastleigh", a ward,
an authority, a region, England), an LSOA name ("Teignbridge 017B") or a GSS code in any case.
Results come best first: exact > prefix > word prefix > contains > fuzzy, ties by kind
(:data:`KINDS`), then by the shorter name. Names are compared after folding case and accents,
reading "&" as "and" and punctuation as spaces. Fuzzy matches use the standard library's
``difflib`` (Ratcliff/Obershelp similarity) on whole names and, word by word, on the
vocabulary of names, so "Buckfastliegh" finds Buckfastleigh; it runs only when the other
classes leave room, on about 22,000 place names (not the 33,755 LSOA names), and takes tens
of milliseconds, so rapidfuzz (a compiled dependency) would buy little here.

:func:`resolve_area` is the same search used by the commands that take an AREA: a code in any
case or a name, with "did you mean ..." from the search when nothing matches exactly.
"""

from __future__ import annotations

import bisect
import difflib
import os
import re
import threading
import unicodedata
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from .. import measures as measure_registry
from .. import queries
from ..etl.readers.places import normalise_postcode
from ..plain import plain
from ..queries import UnknownArea

Con = duckdb.DuckDBPyConnection

#: Result kinds, in the order that breaks ties between equally good matches.
KINDS = ("postcode", "country", "region", "local authority", "neighbourhood area", "ward",
         "LSOA")
#: The kinds of place that have their own summaries: what an AREA argument or the area picker
#: takes (smaller places are shown within their authority).
AREA_KINDS = ("country", "region", "local authority")
_KIND_ORDER = {k: i for i, k in enumerate(KINDS)}
#: Match classes, best first.
MATCHES = ("exact", "prefix", "word prefix", "contains", "fuzzy")

GSS = re.compile(r"^[EWSNLMK]\d{8}$")
OLD_LAD = re.compile(r"^\d{2}[A-Z]{2}$")


class PlaceNotFound(UnknownArea):
    """Nothing matches; ``suggestions`` holds the closest search results (may be empty)."""

    def __init__(self, message: str, suggestions: list[dict] | None = None):
        super().__init__(message)
        self.suggestions = suggestions or []


class AmbiguousPlace(PlaceNotFound):
    """A name that several places share (``suggestions`` lists them)."""




class PlacesNotLoaded(RuntimeError):
    """The database predates the postcode and MSOA name tables."""


# --- text ----------------------------------------------------------------------------------

_STOP = {"and", "the", "of"}


def fold(text: str) -> str:
    """Text as the search compares it: accents and case folded, "&" read as "and",
    apostrophes dropped, other punctuation as spaces.

    >>> fold("Ashburton & Buckfastleigh")
    'ashburton and buckfastleigh'
    >>> fold("  King's Lynn and West Norfolk")
    'kings lynn and west norfolk'
    >>> fold("Stoke-on-Trent")
    'stoke on trent'
    """
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("&", " and ").replace("'", "").replace("\u2019", "")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def _words(folded: str) -> list[str]:
    return [w for w in folded.split() if w not in _STOP] or folded.split()


# --- the search index (built once per database file) ----------------------------------------

@dataclass
class _Index:
    rows: pd.DataFrame                       # one row per name an entry answers to
    folded: list[str]                        # folded text of each row
    by_text: dict[str, list[int]]            # exact folded text -> rows
    sorted_text: list[tuple[str, int]]       # for prefix search
    by_word: dict[str, set[int]]             # word -> rows
    words: list[str]                         # sorted vocabulary
    by_code: dict[str, list[int]]            # code (upper case) -> rows
    fuzzy_names: dict = field(default_factory=dict)   # kind -> folded names (not LSOAs)
    fuzzy_words: dict = field(default_factory=dict)   # kind -> their vocabulary
    kind: list[str] = field(default_factory=list)          # per row, for ranking
    alias: list[bool] = field(default_factory=list)        # per row: an alias row
    fuzzy_pools: dict = field(default_factory=dict)        # kinds -> (names, vocabulary)


_CACHE: dict = {}
_CACHE_LOCK = threading.Lock()
#: Each connection's database file identity, found once (a connection stays on its file).
_IDENTITY: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _db_identity(con: Con) -> tuple | None:
    """(path, inode, mtime) of the database file: a rebuilt (replaced) file is a new key."""
    try:
        path = con.execute("SELECT path FROM duckdb_databases() "
                           "WHERE database_name = current_database()").fetchall()[0][0]
    except (duckdb.Error, IndexError):
        return None
    if not path or not os.path.exists(path):
        return None
    st = os.stat(path)
    return path, st.st_ino, st.st_mtime_ns


def memo(con: Con, name: str, compute):
    try:
        key = _IDENTITY[con]
    except (KeyError, TypeError):
        key = _db_identity(con)
        try:
            _IDENTITY[con] = key
        except TypeError:
            pass
    if key is None:
        return compute()
    with _CACHE_LOCK:
        hit = _CACHE.get((name, key))
    if hit is not None:
        return hit
    value = compute()
    with _CACHE_LOCK:
        for old in [k for k in _CACHE if k[0] == name and k[1][0] == key[0]]:
            del _CACHE[old]  # one entry per name and file: a rebuilt file replaces the old
        _CACHE[(name, key)] = value
    return value


def require_tables(con: Con) -> None:
    missing = memo(con, "missing_tables", lambda: [
        t for t in ("postcode", "msoa_names") if not queries.has_table(con, t)])
    if missing:
        raise PlacesNotLoaded(
            f"the database has no {' or '.join(missing)} table (it was built before postcode "
            "search was added); rebuild it with `python -m inequality build` (offline: add "
            "--mirror DIR)")


def _build_index(con: Con) -> _Index:
    require_tables(con)
    rows = queries.search_index(con)
    alias_name = rows["alias"].fillna("").str.split("|").str[0]
    alias_code = rows["alias"].fillna("").str.split("|").str[1].fillna("")
    rows = rows.assign(text=np.where(rows["alias"].notna(), alias_name, rows["name"]),
                       alias_code=alias_code.where(alias_code != "", None),
                       alias_name=alias_name.where(rows["alias"].notna(), None))
    rows = rows.drop(columns="alias").reset_index(drop=True)
    folded = [fold(t) for t in rows["text"]]
    by_text: dict[str, list[int]] = {}
    by_word: dict[str, set[int]] = {}
    by_code: dict[str, list[int]] = {}
    for i, (f, code, acode) in enumerate(zip(folded, rows["code"], rows["alias_code"])):
        by_text.setdefault(f, []).append(i)
        for w in f.split():
            by_word.setdefault(w, set()).add(i)
        if acode:
            by_code.setdefault(acode.upper(), []).append(i)
        elif code:
            by_code.setdefault(str(code).upper(), []).append(i)
    names: dict[str, set[str]] = {}
    for f, kind in zip(folded, rows["kind"]):
        if kind != "LSOA":
            names.setdefault(kind, set()).add(f)
    vocab = {k: {w for f in v for w in f.split() if len(w) > 2 and w not in _STOP}
             for k, v in names.items()}
    return _Index(rows=rows, folded=folded, by_text=by_text,
                  sorted_text=sorted((f, i) for i, f in enumerate(folded)), by_word=by_word,
                  words=sorted(by_word), by_code=by_code, fuzzy_names=names,
                  fuzzy_words=vocab, kind=rows["kind"].tolist(),
                  alias=rows["alias_name"].notna().tolist())


def _index(con: Con) -> _Index:
    return memo(con, "search_index", lambda: _build_index(con))


def _prefixed(sorted_items: list, prefix: str) -> list:
    """Items of a sorted list (of strings or (string, id) pairs) starting with ``prefix``."""
    lo = bisect.bisect_left(sorted_items, (prefix,) if sorted_items and
                            isinstance(sorted_items[0], tuple) else prefix)
    out = []
    for item in sorted_items[lo:]:
        text = item[0] if isinstance(item, tuple) else item
        if not text.startswith(prefix):
            break
        out.append(item)
    return out


def _word_prefix_rows(idx: _Index, words: list[str]) -> set[int]:
    """Rows in which every query word begins some word of the name (in any order)."""
    found: set[int] | None = None
    for w in words:
        hits: set[int] = set()
        for word in _prefixed(idx.words, w):
            hits |= idx.by_word[word]
        found = hits if found is None else found & hits
        if not found:
            return set()
    return found or set()


# --- search ---------------------------------------------------------------------------------

def _label(r: dict) -> str:
    kind, name = r["kind"], r["name"]
    if kind == "country":
        return "England"
    if kind == "region":
        return f"{name} — region of England"
    if kind == "local authority":
        label = f"{name} — local authority in {r['region_name']}"
        if r.get("former_name"):
            label += f" (includes the former {r['former_name']}, {r['former_code']})"
        return label
    if kind == "neighbourhood area":
        return f"{name} — neighbourhood area in {r['lad24_name']}"
    if kind == "ward":
        return f"{name} — ward in {r['lad24_name']}"
    if kind == "LSOA":
        year = {"lsoa21": "", "lsoa11": "2011 ", "lsoa01": "2001 "}.get(r["geography"], "")
        where = ", ".join(x for x in (r.get("msoa_name"), r.get("lad24_name")) if x)
        return f"{name} ({r['code']}) — {year}LSOA in {where}"
    if kind == "postcode":
        where = ", ".join(x for x in (r.get("msoa_name"), r.get("lad24_name")) if x)
        return f"{name} — postcode in {where}"
    return name


def bbox_of(row) -> list[float] | None:
    box = [row.get("min_lon"), row.get("min_lat"), row.get("max_lon"), row.get("max_lat")]
    if any(v is None or (isinstance(v, float) and np.isnan(v)) for v in box):
        return None
    return [float(v) for v in box]


def _result(idx: _Index, i: int, match: str, score: float = 1.0) -> dict:
    row = idx.rows.iloc[i].to_dict()
    out = {"kind": row["kind"], "code": row["code"], "name": row["name"],
           "lad24_code": plain(row["lad24_code"]), "lad24_name": plain(row["lad24_name"]),
           "region_name": plain(row["region_name"]), "geography": row["geography"],
           "match": match, "score": round(float(score), 3), "matched_text": row["text"]}
    if row.get("alias_code"):
        out["former_name"], out["former_code"] = row["alias_name"], row["alias_code"]
    elif row.get("alias_name"):
        out["also_known_as"] = row["alias_name"]
    box = bbox_of(row)
    if box is None and row["kind"] == "local authority":  # alias rows carry no box
        own = idx.by_code.get(str(row["code"]).upper(), [])
        box = bbox_of(idx.rows.iloc[own[0]].to_dict()) if own else None
    out["bbox"] = box
    if row["kind"] == "LSOA":
        out["msoa_name"] = None
    return out


def _sort_class(match: int, alias: bool) -> int:
    """An alias (the ONS name of a friendly-named MSOA, a former authority) matched other than
    exactly is reported and ranked as a "contains" match: "Coventry" should not list every
    "Coventry 0nn" MSOA before "Central Coventry"."""
    return 3 if alias and match in (1, 2) else match


def _rank_key(r: dict) -> tuple:
    folded = fold(r["matched_text"])
    alias = "former_code" in r or "also_known_as" in r
    return (_sort_class(MATCHES.index(r["match"]), alias), -r["score"], _KIND_ORDER[r["kind"]],
            alias, len(folded), folded, str(r["code"]))


def _fuzzy(idx: _Index, q: str, limit: int, kinds: frozenset[str]) -> dict[int, float]:
    """Rows of ``kinds`` whose name is close to ``q`` as a whole or word by word:
    row -> similarity."""
    scores: dict[int, float] = {}
    if kinds not in idx.fuzzy_pools:
        idx.fuzzy_pools[kinds] = (
            sorted(set().union(*[idx.fuzzy_names.get(k, ()) for k in kinds])),
            sorted(set().union(*[idx.fuzzy_words.get(k, ()) for k in kinds])))
    names, vocab = idx.fuzzy_pools[kinds]
    for name in difflib.get_close_matches(q, names, n=limit, cutoff=0.75):
        s = difflib.SequenceMatcher(None, q, name).ratio()
        for i in idx.by_text.get(name, []):
            if idx.kind[i] in kinds:
                scores[i] = max(scores.get(i, 0.0), s)
    words = _words(q)
    options: list[list[tuple[str, float]]] = []
    for w in words:
        if w in idx.by_word or len(w) < 4:
            options.append([(w, 1.0)])
            continue
        close = difflib.get_close_matches(w, vocab, n=3, cutoff=0.8)
        options.append([(c, difflib.SequenceMatcher(None, w, c).ratio()) for c in close])
    if all(options) and any(s < 1.0 for opt in options for _, s in opt):
        combos: list[tuple[list[str], float]] = [([], 1.0)]
        for opt in options:
            combos = [(ws + [w], s * ws_s) for ws, ws_s in combos for w, s in opt][:9]
        for ws, s in combos:
            if s >= 1.0:
                continue
            for i in _word_prefix_rows(idx, ws):
                if idx.kind[i] in kinds:
                    scores[i] = max(scores.get(i, 0.0), s)
    return scores


def search(con: Con, query: str, limit: int = 10, kinds: Sequence[str] | None = None
           ) -> list[dict]:
    """Places matching what a person typed, best first (at most ``limit``).

    Each result: ``kind`` (one of :data:`KINDS`), ``code``, ``name``, ``lad24_code``,
    ``lad24_name``, ``region_name``, ``label`` (e.g. "Ashburton & Buckfastleigh —
    neighbourhood area in Teignbridge"), ``geography`` (postcode, england, region, lad24,
    msoa21, ward24, lsoa21, lsoa11, lsoa01), ``match`` (one of :data:`MATCHES`), ``score``
    (1 except for fuzzy matches), ``matched_text``, ``bbox`` ([west, south, east, north] in
    EPSG:4326, or None) and, where relevant, ``former_name``/``former_code`` (a former
    authority merged into this one), ``also_known_as`` (the ONS name of a friendly-named
    MSOA), ``msoa_name`` (the friendly name of an LSOA's or postcode's MSOA), and for a
    postcode ``lsoa21_code``, ``ward_code``, ``country_code``.
    ``kinds`` keeps only results of those kinds.
    """
    text = str(query or "").strip()
    if not text:
        return []
    wanted = set(kinds) if kinds else set(KINDS)
    unknown = wanted - set(KINDS)
    if unknown:
        raise ValueError(f"unknown result kind(s) {sorted(unknown)}; kinds are {KINDS}")
    results: list[dict] = []
    seen: set[tuple] = set()

    def add(r: dict) -> None:
        key = (r["kind"], r["code"])
        if r["kind"] in wanted and key not in seen:
            seen.add(key)
            results.append(r)

    pc = normalise_postcode(text)
    if pc and "postcode" in wanted:
        found = postcode_results(con, [pc])
        if found:
            add(found[0])
    idx = _index(con)
    code = text.replace(" ", "").upper()
    if GSS.match(code) or OLD_LAD.match(code):
        for i in idx.by_code.get(code, []):
            add(_result(idx, i, "exact"))
        if code.startswith("E01") and "LSOA" in wanted and ("LSOA", code) not in seen:
            for r in _older_lsoa_results(con, [code]):
                add(r)
    q = fold(text)
    # A query shaped like a postcode or a code is answered above; names cannot match it.
    if q and not pc and not GSS.match(code) and not OLD_LAD.match(code):
        ranked: dict[int, tuple[int, float]] = {}
        for i in idx.by_text.get(q, []):
            ranked.setdefault(i, (0, 1.0))
        for _, i in _prefixed(idx.sorted_text, q):
            ranked.setdefault(i, (1, 1.0))
        for i in _word_prefix_rows(idx, _words(q)):
            ranked.setdefault(i, (2, 1.0))
        if len(q) >= 3:
            for i, f in enumerate(idx.folded):
                if q in f:
                    ranked.setdefault(i, (3, 1.0))
        if len(q) >= 4 and sum(1 for i in ranked if idx.kind[i] in wanted) < limit:
            for i, s in _fuzzy(idx, q, limit, frozenset(wanted)).items():
                if i not in ranked:
                    ranked[i] = (4, s * (0.95 if idx.alias[i] else 1.0))
        # An alias matched other than exactly counts as "contains" (see _sort_class).
        ranked = {i: ((3 if idx.alias[i] and m in (1, 2) else m), s)
                  for i, (m, s) in ranked.items()}
        order = sorted((i for i in ranked if idx.kind[i] in wanted),
                       key=lambda i: (_sort_class(ranked[i][0], idx.alias[i]), -ranked[i][1],
                                      _KIND_ORDER[idx.kind[i]],
                                      idx.alias[i], len(idx.folded[i]), idx.folded[i],
                                      str(idx.rows.at[i, "code"])))
        for i in order:
            if len(results) >= limit:
                break
            m, score = ranked[i]
            add(_result(idx, i, MATCHES[m], score))
    results = sorted(results, key=_rank_key)[:limit]
    _add_lsoa_context(con, results)
    for r in results:
        r["label"] = _label(r)
    return results


def _lsoa_result(rec: dict, match: str = "exact") -> dict:
    return {"kind": "LSOA", "code": rec["lsoa_code"],
            "name": plain(rec["lsoa_name"]) or rec["lsoa_code"],
            "lad24_code": plain(rec["lad24_code"]), "lad24_name": plain(rec["lad24_name"]),
            "region_name": plain(rec["region_name"]), "geography": rec["geography"],
            "match": match, "score": 1.0, "matched_text": rec["lsoa_code"],
            "bbox": bbox_of(rec), "msoa_name": plain(rec["msoa_name"])}


def _older_lsoa_results(con: Con, codes: list[str]) -> list[dict]:
    """LSOAs of 2011 or 2001 by code (2021 ones are in the search index)."""
    recs = queries.lsoa_records(con, codes)
    return [_lsoa_result(rec) for rec in recs.to_dict("records")
            if rec["geography"] != "lsoa21"]


def _add_lsoa_context(con: Con, results: list[dict]) -> None:
    """The friendly MSOA name of each 2021 LSOA result (for its label)."""
    if not any(r["kind"] == "LSOA" and r.get("msoa_name") is None for r in results):
        return
    table = lsoa21_table(con)
    for r in results:
        if r["kind"] == "LSOA" and r.get("msoa_name") is None and r["code"] in table.index:
            r["msoa_name"] = plain(table.at[r["code"], "msoa_name"])


def postcode_results(con: Con, postcodes: list[str]) -> list[dict]:
    """Search results for postcodes already in NSPL's spelling (English ones with an LSOA):
    ``kind`` "postcode", ``code``/``name`` the postcode, ``lad24_code``/``lad24_name`` (the
    postcode's own authority), ``lsoa21_code``, ``lsoa21_name``, ``msoa_name``,
    ``ward_code``, ``country_code``, ``terminated`` and its LSOA's ``bbox``."""
    require_tables(con)
    rows = queries.postcodes(con, postcodes)
    rows = rows[rows["lsoa21_code"].notna()]
    if rows.empty:
        return []
    table, lads = lsoa21_table(con), lad_names(con)
    out = []
    for r in rows.to_dict("records"):
        rec = table.loc[r["lsoa21_code"]].to_dict() if r["lsoa21_code"] in table.index else {}
        out.append({"kind": "postcode", "code": r["postcode"], "name": r["postcode"],
                    "lad24_code": plain(r["lad24_code"]),
                    "lad24_name": lads.get(r["lad24_code"]),
                    "region_name": plain(rec.get("region_name")), "geography": "postcode",
                    "match": "exact", "score": 1.0, "matched_text": r["postcode"],
                    "bbox": bbox_of(rec), "lsoa21_code": r["lsoa21_code"],
                    "lsoa21_name": plain(rec.get("lsoa_name")),
                    "msoa_name": plain(rec.get("msoa_name")),
                    "ward_code": plain(r["ward_code"]), "country_code": r["country_code"],
                    "terminated": plain(r["terminated"])})
    return out


# --- per-database tables kept in memory (warm lookups) -----------------------------------------

def objects(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Python objects: pandas' Arrow-backed strings convert on every lookup,
    which made a warm batch of ten postcodes take 100 ms instead of 10."""
    out = frame.astype({c: object for c in frame.columns
                        if not pd.api.types.is_numeric_dtype(frame[c])})
    return out.where(out.notna(), None) if len(out) else out


def lsoa21_table(con: Con) -> pd.DataFrame:
    """Every 2021 LSOA with its friendly MSOA name, ward, authority, class and box."""
    return memo(con, "lsoa21", lambda: objects(
        queries.lsoa_records(con, geography="lsoa21")).set_index("lsoa_code"))


def lsoa21_codes(con: Con) -> frozenset[str]:
    return memo(con, "lsoa21_codes", lambda: frozenset(lsoa21_table(con).index))


def lad_names(con: Con) -> dict[str, str]:
    def load():
        lads = queries.current_authorities(con)
        return dict(zip(lads["area_code"], lads["area_name"]))
    return memo(con, "lad_names", load)


def ward_names(con: Con) -> dict[str, str]:
    def load():
        wards = queries.wards(con)
        return dict(zip(wards["ward_code"], wards["ward_name"]))
    return memo(con, "ward_names", load)


def postcode_districts(con: Con) -> frozenset[str]:
    return memo(con, "districts", lambda: frozenset(queries.postcode_district_list(con)))


def lsoa_links(con: Con) -> dict[str, dict[str, dict[str, list[tuple[str, str]]]]]:
    """The ONS LSOA lookups as ``{"back": {geography: {code: [(older code, chgind)]}},
    "forward": {geography: {code: [(newer code, chgind)]}}}``."""
    def load():
        pairs = queries.lsoa_change_pairs(con)
        out: dict = {"back": {}, "forward": {}}
        for fg, fc, tg, tc, ch in pairs.itertuples(index=False):
            out["back"].setdefault(tg, {}).setdefault(tc, []).append((fc, ch))
            out["forward"].setdefault(fg, {}).setdefault(fc, []).append((tc, ch))
        return out
    return memo(con, "links", load)


def decile_table(con: Con) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """(release -> deciles of the IMD, its domains and supplementary indices of every LSOA
    of the release, indexed by LSOA code; the measure ids)."""
    def load():
        loaded = set(queries.measures(con)["measure"])
        ids = [m.id for m in measure_registry.measures("index", "domain", "supplementary")
               if m.id in loaded]
        wide = objects(queries.deciles_wide(con, ids))
        return {r: part.drop(columns="release").set_index("lsoa_code")
                for r, part in wide.groupby("release")}, ids
    return memo(con, "deciles", load)


def release_table(con: Con) -> pd.DataFrame:
    """The releases (``release, year, geography, lsoa_count``), kept per database."""
    return memo(con, "releases", lambda: queries.releases(con)[
        ["release", "year", "geography", "lsoa_count"]])


def latest_measures(con: Con, release: str) -> list[str]:
    def load():
        loaded = set(queries.measures(con, release)["measure"])
        return [m.id for m in measure_registry.measures("index", "domain", "supplementary")
                if m.id in loaded]
    return memo(con, f"measures_{release}", load)


def linked_lsoas(con: Con, code: str, geography: str) -> list[tuple[str, str, str, str]]:
    """LSOAs of the other vintages linked to one LSOA through the ONS best-fit lookups, one
    hop at a time in each direction: ``[(geography, code, relation, chgind)]`` with relation
    ``earlier`` or ``later`` and the change indicator of the hop that reached it."""
    links = lsoa_links(con)
    order = ("lsoa01", "lsoa11", "lsoa21")
    out = []
    for direction, step, relation in (("back", -1, "earlier"), ("forward", 1, "later")):
        current, k = [code], order.index(geography)
        while 0 <= k + step < len(order):
            table = links[direction].get(order[k], {})
            found = []
            for c in current:
                for other, ch in table.get(c, []):
                    if other not in found:
                        found.append(other)
                        out.append((order[k + step], other, relation, ch))
            current, k = found, k + step
    return out


def no_match_reason(con: Con, query: str) -> str:
    """Why :func:`search` found nothing, in one sentence with what to try instead."""
    text = str(query or "").strip()
    if not text:
        return "the search is empty: type a postcode, a place name or a code"
    pc = normalise_postcode(text)
    if pc:
        from .postcodes import check_postcodes  # the batch check builds on this module

        row = check_postcodes(con, [text])["rows"].iloc[0]
        return str(row["error"]) if row["error"] else f"{pc} has no neighbourhood"
    compact = text.replace(" ", "").upper()
    if re.fullmatch(r"[A-Z]{1,2}\d[A-Z\d]?", compact):
        return (f"{text!r} looks like the first half of a postcode; type the whole postcode "
                f"(such as {compact} 0AA) or a place name")
    if GSS.match(compact) or OLD_LAD.match(compact):
        return (f"no English area has the code {compact}; codes are GSS codes such as "
                "E08000026 (an authority), E02004217 (a neighbourhood area), E05011893 "
                "(a ward) or E01020196 (an LSOA)")
    return (f"no postcode, place or area matches {text!r}; check the spelling, or try a "
            "postcode, a town or a council")


def warm(con: Con) -> None:
    """Build the in-memory search index and lookup tables now (about 1-3 s on the full
    database) instead of on the first search or batch check; they are kept per database
    file and rebuilt when the file is replaced."""
    _index(con)
    lsoa21_table(con), lsoa21_codes(con), lad_names(con), ward_names(con), lsoa_links(con)
    decile_table(con)
    postcode_districts(con)


# --- resolving an AREA argument ---------------------------------------------------------------

def describe(r: dict) -> str:
    where = f" in {r['lad24_name']}" if r["kind"] in ("ward", "neighbourhood area",
                                                       "LSOA") and r.get("lad24_name") else ""
    return f"{r['name']} ({r['code']}){where}"


def resolve_area(con: Con, text: str, kinds: Sequence[str] = AREA_KINDS) -> dict:
    """The one place of the given kinds that ``text`` names: a code in any case (including
    a former authority merged whole into a current one) or a name, exactly.

    Returns a search result (see :func:`search`). Raises :class:`PlaceNotFound` (with "did
    you mean ...?" from the search) or :class:`AmbiguousPlace` (listing the places sharing
    the name).
    """
    raw = str(text or "").strip()
    what = _kinds_phrase(kinds)
    if not raw:
        raise PlaceNotFound(f"no area given; give the code or name of {what}")
    idx = _index(con)
    code = raw.replace(" ", "").upper()
    if GSS.match(code) or OLD_LAD.match(code):
        hits = [_result(idx, i, "exact") for i in idx.by_code.get(code, [])]
        hits = [h for h in hits if h["kind"] in kinds]
        if hits:
            hits.sort(key=_rank_key)
            hits[0]["label"] = _label(hits[0])
            return hits[0]
    exact = [r for r in search(con, raw, limit=50, kinds=kinds) if r["match"] == "exact"]
    if exact:
        best_kind = min(_KIND_ORDER[r["kind"]] for r in exact)
        exact = [r for r in exact if _KIND_ORDER[r["kind"]] == best_kind]
        places = {r["code"]: r for r in exact}
        if len(places) == 1:
            return exact[0]
        listed = "; ".join(describe(r) for r in places.values())
        raise AmbiguousPlace(f"{raw!r} names {len(places)} {exact[0]['kind']}s: {listed}; "
                             "give the code instead", list(places.values()))
    suggestions = search(con, raw, limit=3, kinds=kinds)
    hint = ("; did you mean " + " or ".join(describe(r) for r in suggestions) + "?"
            if suggestions else "; check the spelling, or run `python -m inequality find "
                                f"'{raw}'` to see what the name matches")
    raise PlaceNotFound(f"{raw!r} is not the code or name of {what}{hint}", suggestions)


def _kinds_phrase(kinds: Sequence[str]) -> str:
    names = {"country": "England", "region": "a region", "local authority":
             "a local authority", "neighbourhood area": "a neighbourhood area (MSOA)",
             "ward": "a ward", "LSOA": "an LSOA", "postcode": "a postcode"}
    parts = [names[k] for k in KINDS if k in kinds]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def area_lsoas(con: Con, result: dict) -> dict:
    """The 2021 LSOAs making up a search result, for outlining it on the map:
    ``{"geography": "lsoa21", "codes": [...]}`` (for an LSOA of an older vintage, that
    vintage and its own code). A region or England gives every LSOA in it."""
    kind, code = result["kind"], result["code"]
    if kind == "postcode":
        return {"geography": "lsoa21", "codes": [result["lsoa21_code"]]}
    if kind == "LSOA":
        return {"geography": result["geography"], "codes": [code]}
    column = {"neighbourhood area": "msoa_code", "ward": "ward_code",
              "local authority": "lad24_code", "region": "region_code"}.get(kind)
    cond = f"{column} = ?" if column else "TRUE"
    params = [code] if column else []
    rows = con.execute(f"SELECT lsoa_code FROM lsoa WHERE geography = 'lsoa21' AND {cond} "
                       "ORDER BY 1", params).fetchall()
    return {"geography": "lsoa21", "codes": [r[0] for r in rows]}


# --- your neighbourhood ---------------------------------------------------------------------











# --- batch postcode check -----------------------------------------------------------------------













__all__ = ["AREA_KINDS", "AmbiguousPlace", "KINDS", "MATCHES", "PlaceNotFound", "PlacesNotLoaded",
           "area_lsoas", "fold", "no_match_reason", "postcode_results", "resolve_area",
           "search", "warm"]
