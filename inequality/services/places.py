"""Find your place: one search for postcodes, places and codes; "your neighbourhood"; and the
batch postcode check.

Everything here returns plain data (dicts, DataFrames) for the search box, the map, the
neighbourhood and batch pages and the ``find`` / ``postcodes`` commands; the pages decide how
to show it.

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

Neighbourhood
-------------
:func:`neighbourhood` turns a postcode or an LSOA (code or name, any vintage) into its 2021
LSOA, the older LSOAs linked to it through the ONS best-fit lookups, and the deciles of every
measure in every release, with the authority's and England's decile distributions beside it.

Batch postcode check
--------------------
:func:`check_postcodes` takes up to :data:`MAX_POSTCODES` inputs and returns one row per input,
in input order. A postcode is matched only after normalising case and white space; nothing is
guessed, and every input that does not match says why.
"""

from __future__ import annotations

import bisect
import csv
import difflib
import io
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
from ..queries import ENGLAND, UnknownArea

Con = duckdb.DuckDBPyConnection

#: Result kinds, in the order that breaks ties between equally good matches.
KINDS = ("postcode", "country", "region", "local authority", "neighbourhood area", "ward",
         "LSOA")
_KIND_ORDER = {k: i for i, k in enumerate(KINDS)}
#: Match classes, best first.
MATCHES = ("exact", "prefix", "word prefix", "contains", "fuzzy")
#: The batch check's limit on inputs.
MAX_POSTCODES = 10_000
#: The batch check's limit on a file's size (10,000 rows of a wide CSV fit easily).
MAX_FILE_BYTES = 20 * 1024 * 1024
#: Catalogue id of the postcode lookup (for its load-log facts).
NSPL_SOURCE = "nspl21_lsoa21"

#: Postcode areas with no English postcode, and where they are (Royal Mail postcode areas;
#: checked against NSPL August 2024, which has no English postcode in any of them). Mixed
#: border areas (CH, DG, HR, LD, LL, NP, SY, TD) are not listed: an unknown postcode there is
#: reported as not found, never guessed to be Welsh or Scottish.
OUTSIDE_ENGLAND = {
    **{a: "Scotland" for a in ("AB", "DD", "EH", "FK", "G", "HS", "IV", "KA", "KW", "KY",
                                "ML", "PA", "PH", "ZE")},
    "CF": "Wales", "SA": "Wales", "BT": "Northern Ireland",
    "GY": "Guernsey", "JE": "Jersey", "IM": "the Isle of Man",
}
COUNTRY_NAMES = {"W92000004": "Wales", "S92000003": "Scotland",
                 "N92000002": "Northern Ireland", "L93000001": "the Channel Islands",
                 "M83000003": "the Isle of Man"}
GSS = re.compile(r"^[EWSNLMK]\d{8}$")
OLD_LAD = re.compile(r"^\d{2}[A-Z]{2}$")


class PlaceNotFound(UnknownArea):
    """Nothing matches; ``suggestions`` holds the closest search results (may be empty)."""

    def __init__(self, message: str, suggestions: list[dict] | None = None):
        super().__init__(message)
        self.suggestions = suggestions or []


class AmbiguousPlace(PlaceNotFound):
    """A name that several places share (``suggestions`` lists them)."""


class PostcodeInputError(ValueError):
    """A batch input that cannot be checked at all (too many postcodes, an unreadable file)."""


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


def _cached(con: Con, name: str, compute):
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


def _require_tables(con: Con) -> None:
    missing = _cached(con, "missing_tables", lambda: [
        t for t in ("postcode", "msoa_names") if not queries.has_table(con, t)])
    if missing:
        raise PlacesNotLoaded(
            f"the database has no {' or '.join(missing)} table (it was built before postcode "
            "search was added); rebuild it with `python -m inequality build` (offline: add "
            "--mirror DIR)")


def _build_index(con: Con) -> _Index:
    _require_tables(con)
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
    return _cached(con, "search_index", lambda: _build_index(con))


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


def _bbox(row) -> list[float] | None:
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
    box = _bbox(row)
    if box is None and row["kind"] == "local authority":  # alias rows carry no box
        own = idx.by_code.get(str(row["code"]).upper(), [])
        box = _bbox(idx.rows.iloc[own[0]].to_dict()) if own else None
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
            "bbox": _bbox(rec), "msoa_name": plain(rec["msoa_name"])}


def _older_lsoa_results(con: Con, codes: list[str]) -> list[dict]:
    """LSOAs of 2011 or 2001 by code (2021 ones are in the search index)."""
    recs = queries.lsoa_records(con, codes)
    return [_lsoa_result(rec) for rec in recs.to_dict("records")
            if rec["geography"] != "lsoa21"]


def _add_lsoa_context(con: Con, results: list[dict]) -> None:
    """The friendly MSOA name of each 2021 LSOA result (for its label)."""
    if not any(r["kind"] == "LSOA" and r.get("msoa_name") is None for r in results):
        return
    table = _lsoa21(con)
    for r in results:
        if r["kind"] == "LSOA" and r.get("msoa_name") is None and r["code"] in table.index:
            r["msoa_name"] = plain(table.at[r["code"], "msoa_name"])


def postcode_results(con: Con, postcodes: list[str]) -> list[dict]:
    """Search results for postcodes already in NSPL's spelling (English ones with an LSOA):
    ``kind`` "postcode", ``code``/``name`` the postcode, ``lad24_code``/``lad24_name`` (the
    postcode's own authority), ``lsoa21_code``, ``lsoa21_name``, ``msoa_name``,
    ``ward_code``, ``country_code``, ``terminated`` and its LSOA's ``bbox``."""
    _require_tables(con)
    rows = queries.postcodes(con, postcodes)
    rows = rows[rows["lsoa21_code"].notna()]
    if rows.empty:
        return []
    table, lads = _lsoa21(con), _lad_names(con)
    out = []
    for r in rows.to_dict("records"):
        rec = table.loc[r["lsoa21_code"]].to_dict() if r["lsoa21_code"] in table.index else {}
        out.append({"kind": "postcode", "code": r["postcode"], "name": r["postcode"],
                    "lad24_code": plain(r["lad24_code"]),
                    "lad24_name": lads.get(r["lad24_code"]),
                    "region_name": plain(rec.get("region_name")), "geography": "postcode",
                    "match": "exact", "score": 1.0, "matched_text": r["postcode"],
                    "bbox": _bbox(rec), "lsoa21_code": r["lsoa21_code"],
                    "lsoa21_name": plain(rec.get("lsoa_name")),
                    "msoa_name": plain(rec.get("msoa_name")),
                    "ward_code": plain(r["ward_code"]), "country_code": r["country_code"],
                    "terminated": plain(r["terminated"])})
    return out


# --- per-database tables kept in memory (warm lookups) -----------------------------------------

def _objects(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Python objects: pandas' Arrow-backed strings convert on every lookup,
    which made a warm batch of ten postcodes take 100 ms instead of 10."""
    out = frame.astype({c: object for c in frame.columns
                        if not pd.api.types.is_numeric_dtype(frame[c])})
    return out.where(out.notna(), None) if len(out) else out


def _lsoa21(con: Con) -> pd.DataFrame:
    """Every 2021 LSOA with its friendly MSOA name, ward, authority, class and box."""
    return _cached(con, "lsoa21", lambda: _objects(
        queries.lsoa_records(con, geography="lsoa21")).set_index("lsoa_code"))


def _lsoa21_codes(con: Con) -> frozenset[str]:
    return _cached(con, "lsoa21_codes", lambda: frozenset(_lsoa21(con).index))


def _lad_names(con: Con) -> dict[str, str]:
    def load():
        lads = queries.current_authorities(con)
        return dict(zip(lads["area_code"], lads["area_name"]))
    return _cached(con, "lad_names", load)


def _ward_names(con: Con) -> dict[str, str]:
    def load():
        wards = queries.wards(con)
        return dict(zip(wards["ward_code"], wards["ward_name"]))
    return _cached(con, "ward_names", load)


def _districts(con: Con) -> frozenset[str]:
    return _cached(con, "districts", lambda: frozenset(queries.postcode_district_list(con)))


def _links(con: Con) -> dict[str, dict[str, dict[str, list[tuple[str, str]]]]]:
    """The ONS LSOA lookups as ``{"back": {geography: {code: [(older code, chgind)]}},
    "forward": {geography: {code: [(newer code, chgind)]}}}``."""
    def load():
        pairs = queries.lsoa_change_pairs(con)
        out: dict = {"back": {}, "forward": {}}
        for fg, fc, tg, tc, ch in pairs.itertuples(index=False):
            out["back"].setdefault(tg, {}).setdefault(tc, []).append((fc, ch))
            out["forward"].setdefault(fg, {}).setdefault(fc, []).append((tc, ch))
        return out
    return _cached(con, "links", load)


def _decile_table(con: Con) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """(release -> deciles of the IMD, its domains and supplementary indices of every LSOA
    of the release, indexed by LSOA code; the measure ids)."""
    def load():
        loaded = set(queries.measures(con)["measure"])
        ids = [m.id for m in measure_registry.measures("index", "domain", "supplementary")
               if m.id in loaded]
        wide = _objects(queries.deciles_wide(con, ids))
        return {r: part.drop(columns="release").set_index("lsoa_code")
                for r, part in wide.groupby("release")}, ids
    return _cached(con, "deciles", load)


def _release_table(con: Con) -> pd.DataFrame:
    return _cached(con, "releases", lambda: _releases(con))


def _latest_measures(con: Con, release: str) -> list[str]:
    def load():
        loaded = set(queries.measures(con, release)["measure"])
        return [m.id for m in measure_registry.measures("index", "domain", "supplementary")
                if m.id in loaded]
    return _cached(con, f"measures_{release}", load)


def linked_lsoas(con: Con, code: str, geography: str) -> list[tuple[str, str, str, str]]:
    """LSOAs of the other vintages linked to one LSOA through the ONS best-fit lookups, one
    hop at a time in each direction: ``[(geography, code, relation, chgind)]`` with relation
    ``earlier`` or ``later`` and the change indicator of the hop that reached it."""
    links = _links(con)
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
    _lsoa21(con), _lsoa21_codes(con), _lad_names(con), _ward_names(con), _links(con)
    _decile_table(con)
    _districts(con)


# --- resolving an AREA argument ---------------------------------------------------------------

def _describe(r: dict) -> str:
    where = f" in {r['lad24_name']}" if r["kind"] in ("ward", "neighbourhood area",
                                                       "LSOA") and r.get("lad24_name") else ""
    return f"{r['name']} ({r['code']}){where}"


def resolve_area(con: Con, text: str, kinds: Sequence[str] = ("country", "region",
                                                                "local authority")) -> dict:
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
        listed = "; ".join(_describe(r) for r in places.values())
        raise AmbiguousPlace(f"{raw!r} names {len(places)} {exact[0]['kind']}s: {listed}; "
                             "give the code instead", list(places.values()))
    suggestions = search(con, raw, limit=3, kinds=kinds)
    hint = ("; did you mean " + " or ".join(_describe(r) for r in suggestions) + "?"
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

def _releases(con: Con) -> pd.DataFrame:
    return queries.releases(con)[["release", "year", "geography", "lsoa_count"]]


def _anchor(con: Con, query: str) -> tuple[dict | None, str, str]:
    """(postcode row or None, LSOA code, its geography) for a postcode or an LSOA."""
    text = str(query or "").strip()
    pc = normalise_postcode(text)
    if pc:
        checked = check_postcodes(con, [text])["rows"].iloc[0]
        if checked["error"]:
            raise PlaceNotFound(f"postcode {text!r}: {checked['error']}")
        return checked.to_dict(), checked["lsoa21_code"], "lsoa21"
    code = text.replace(" ", "").upper()
    if code.startswith("E01") and GSS.match(code):
        found = queries.lsoa_geographies(con, [code])
        if found.empty:
            raise PlaceNotFound(f"LSOA {code} is not an English LSOA of 2001, 2011 or 2021; "
                                "check the code (E01 and six digits)")
        geo = sorted(found["geography"])[-1]  # the newest vintage the code exists on
        return None, code, geo
    named = queries.lsoa_by_name(con, text)
    if len(named) == 1:
        return None, named["lsoa_code"].iloc[0], "lsoa21"
    suggestions = search(con, text, limit=3, kinds=("LSOA", "postcode"))
    hint = ("; did you mean " + " or ".join(_describe(r) for r in suggestions) + "?"
            if suggestions else "")
    raise PlaceNotFound(f"{text!r} is not a postcode or an LSOA code or name (such as "
                        f"TQ11 0AA, E01020196 or Teignbridge 017B){hint}", suggestions)


def neighbourhood(con: Con, query: str) -> dict:
    """"Your neighbourhood": a postcode's or an LSOA's deciles in every release.

    Returns a dict:

    * ``query``; ``postcode`` (the batch row of the postcode, see :func:`check_postcodes`,
      or None);
    * ``lsoa``: the LSOA the page centres on (a postcode's LSOA 2021, or the LSOA given) with
      ``geography, lsoa_code, lsoa_name, msoa_code, msoa_name`` (friendly), ``msoa_ons_name,
      ward_code, ward_name, lad24_code, lad24_name, region_code, region_name, ruc_code,
      ruc_name, urban_rural, bbox, centroid``;
    * ``linked``: DataFrame of the LSOAs of every vintage linked to it through the ONS
      best-fit lookups, ``geography, lsoa_code, lsoa_name, relation`` (this | earlier |
      later), ``chgind`` (U unchanged, S split, M merged, X irregular);
    * ``deciles``: DataFrame, one row per release, linked LSOA of that release's geography
      and measure: ``release, year, geography, lsoa_code, lsoa_name, measure, label, kind,
      score, rank, decile, lsoa_count`` (LSOAs ranked nationally), ``authority_position``
      (1 = the most deprived of the authority's LSOAs, by national rank) and
      ``authority_lsoa_count``;
    * ``context``: DataFrame of the decile distribution of the authority and of England,
      ``area, area_code, area_name, release, measure, lsoa_count, share_1 .. share_10``;
    * ``imd``: release -> the IMD decile (an int where every linked LSOA agrees, else None),
      with ``imd_range`` release -> [lowest, highest];
    * ``notes``: plain-words notes (several predecessors, postcode across a boundary, ...).
    """
    postcode_row, code, geo = _anchor(con, query)
    recs = queries.lsoa_records(con, [code])
    rec = recs[recs["geography"] == geo].iloc[0].to_dict()
    lsoa = {k: plain(rec[k]) for k in ("geography", "lsoa_code", "lsoa_name", "msoa_code",
                                        "msoa_name", "msoa_ons_name", "ward_code", "ward_name",
                                        "lad24_code", "lad24_name", "region_code",
                                        "region_name", "ruc_code", "ruc_name", "urban_rural")}
    lsoa["bbox"] = _bbox(rec)
    lsoa["centroid"] = (None if rec.get("centroid_lon") is None or pd.isna(rec["centroid_lon"])
                        else [float(rec["centroid_lon"]), float(rec["centroid_lat"])])
    linked = pd.DataFrame([(geo, code, "this", None)] + linked_lsoas(con, code, geo),
                          columns=["geography", "lsoa_code", "relation", "chgind"])
    names = queries.lsoa_records(con, linked["lsoa_code"].unique().tolist())
    name_of = {(g, c): plain(n) for g, c, n in zip(names["geography"], names["lsoa_code"],
                                                   names["lsoa_name"])}
    linked["lsoa_name"] = [name_of.get((g, c)) for g, c in zip(linked["geography"],
                                                               linked["lsoa_code"])]
    linked = linked[["geography", "lsoa_code", "lsoa_name", "relation", "chgind"]]
    linked = linked.astype(object).where(linked.notna(), None)

    rel = _release_table(con)
    by_release = {r.release: linked.loc[linked["geography"] == r.geography, "lsoa_code"].tolist()
                  for r in rel.itertuples()}
    values = queries.lsoa_measure_values(con, by_release)
    lad = lsoa["lad24_code"]
    deciles = values.merge(rel, on="release").merge(
        linked[["geography", "lsoa_code", "lsoa_name"]], on=["geography", "lsoa_code"],
        how="left")
    reg = measure_registry.MEASURES
    deciles["label"] = deciles["measure"].map(lambda m: reg[m].label if m in reg else m)
    deciles["kind"] = deciles["measure"].map(lambda m: reg[m].kind if m in reg else None)
    order = {m: i for i, m in enumerate(measure_registry.MEASURE_IDS)}
    if lad:
        ranks = queries.area_measure_ranks(con, lad)
        pos = []
        for r in deciles.itertuples():
            pool = ranks[(ranks["release"] == r.release) & (ranks["measure"] == r.measure)]
            pos.append((int((pool["rank"] < r.rank).sum()) + 1 if pd.notna(r.rank) else None,
                        len(pool)))
        deciles["authority_position"] = pd.array([p[0] for p in pos], dtype="Int64")
        deciles["authority_lsoa_count"] = pd.array([p[1] for p in pos], dtype="Int64")
    else:
        deciles["authority_position"] = pd.array([None] * len(deciles), dtype="Int64")
        deciles["authority_lsoa_count"] = pd.array([None] * len(deciles), dtype="Int64")
    deciles = deciles.assign(_o=deciles["measure"].map(order)).sort_values(
        ["year", "_o", "lsoa_code"]).drop(columns="_o").reset_index(drop=True)
    deciles = deciles[["release", "year", "geography", "lsoa_code", "lsoa_name", "measure",
                       "label", "kind", "score", "rank", "decile", "lsoa_count",
                       "authority_position", "authority_lsoa_count"]]

    context = [_distribution(queries.measure_decile_counts(con, lad), "authority", lad,
                             lsoa["lad24_name"])] if lad else []
    context.append(_cached(con, "england_distribution", lambda: _distribution(
        queries.measure_decile_counts(con, None), "england", ENGLAND, "England")))
    imd = deciles[deciles["measure"] == "imd"]
    imd_by = {r: imd.loc[imd["release"] == r, "decile"].dropna().astype(int).tolist()
              for r in rel["release"]}
    notes = _neighbourhood_notes(linked, imd_by, geo, postcode_row, lsoa)
    return {
        "query": query,
        "postcode": plain(postcode_row) if postcode_row is not None else None,
        "lsoa": lsoa, "linked": linked, "deciles": deciles,
        "context": pd.concat(context, ignore_index=True),
        "imd": {r: (v[0] if v and min(v) == max(v) else None) for r, v in imd_by.items()},
        "imd_range": {r: ([min(v), max(v)] if v else None) for r, v in imd_by.items()},
        "notes": notes,
    }


def _distribution(counts: pd.DataFrame, area: str, code: str, name: str) -> pd.DataFrame:
    if counts.empty:
        return pd.DataFrame(columns=["area", "area_code", "area_name", "release", "measure",
                                     "lsoa_count"] + [f"share_{d}" for d in range(1, 11)])
    wide = counts.pivot_table(index=["release", "measure"], columns="decile", values="n",
                              aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=range(1, 11), fill_value=0)
    total = wide.sum(axis=1)
    out = wide.div(total, axis=0)
    out.columns = [f"share_{d}" for d in range(1, 11)]
    out = out.reset_index()
    out.insert(2, "lsoa_count", total.to_numpy().astype(int))
    out.insert(0, "area_name", name)
    out.insert(0, "area_code", code)
    out.insert(0, "area", area)
    return out


def _neighbourhood_notes(linked: pd.DataFrame, imd_by: dict, geo: str, postcode_row,
                         lsoa: dict) -> list[str]:
    notes = []
    for g, part in linked[linked["relation"] != "this"].groupby("geography", sort=False):
        if len(part) > 1:
            codes = ", ".join(part["lsoa_code"])
            year = {"lsoa01": "2001", "lsoa11": "2011", "lsoa21": "2021"}[g]
            notes.append(f"{lsoa['lsoa_code']} is linked to {len(part)} {year} LSOAs ({codes}) "
                         "by the ONS best-fit lookups, so releases on that geography show "
                         "each of them.")
    for release, v in imd_by.items():
        if len(v) > 1 and min(v) != max(v):
            notes.append(f"{release}: the linked LSOAs lie in IMD deciles {min(v)} to "
                         f"{max(v)}.")
    if postcode_row is not None and postcode_row.get("note"):
        notes.append(str(postcode_row["note"]))
    return notes


# --- batch postcode check -----------------------------------------------------------------------

def read_postcode_file(data: bytes, name: str = "the file") -> list[str]:
    """The postcodes of an uploaded or given file, in order: a text file with one postcode a
    line (blank lines skipped), or a CSV with a ``postcode`` column (every data row kept, an
    empty cell included, so the output lines up with the file). UTF-8 (with or without a
    BOM) or UTF-16 with a BOM, as spreadsheet programs save.

    Raises :class:`PostcodeInputError` naming the file, the problem and the fix.
    """
    if len(data) > MAX_FILE_BYTES:
        raise PostcodeInputError(
            f"{name} is {len(data) / 1e6:.1f} MB; the batch check reads files of up to "
            f"{MAX_FILE_BYTES // 2**20} MB ({MAX_POSTCODES:,} postcodes): keep just the "
            "postcode column, or split the file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise PostcodeInputError(
            f"{name} is not UTF-8 text (byte {data[exc.start]:#04x} at position {exc.start} "
            "cannot be read); save it as UTF-8 (in Excel: CSV UTF-8) and try again") from None
    if "\x00" in text:
        raise PostcodeInputError(f"{name} holds binary data (NUL bytes), not text; give a "
                                 "text file with one postcode a line, or a CSV file")
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    dialect_delims = ",;\t"
    header = None
    for delim in dialect_delims:
        cells = next(csv.reader([first], delimiter=delim), [])
        keys = [re.sub(r"[\s_]+", "", c).casefold() for c in cells]
        if "postcode" in keys:
            header = (delim, keys.index("postcode"))
            break
    if header is not None:
        delim, col = header
        reader = csv.reader(io.StringIO(text), delimiter=delim)
        rows = list(reader)
        start = next(i for i, r in enumerate(rows) if any(c.strip() for c in r))
        out = []
        for line_no, row in enumerate(rows[start + 1:], start=start + 2):
            if not any(c.strip() for c in row):
                continue  # a blank line, not a row
            out.append(row[col] if col < len(row) else "")
        values = out
    else:
        if any(d in first for d in ",;\t") and len(next(csv.reader([first]), [])) > 1:
            raise PostcodeInputError(
                f"{name} looks like a table (its first line {first[:60]!r} has several "
                "columns) but none is called 'postcode'; name the postcode column 'postcode', "
                "or give one postcode a line")
        values = [ln for ln in lines if ln.strip()]
    if len(values) > MAX_POSTCODES:
        raise PostcodeInputError(
            f"{name} holds {len(values):,} postcodes; the batch check takes at most "
            f"{MAX_POSTCODES:,} at a time: split the file into parts of {MAX_POSTCODES:,} or "
            "fewer")
    return values


def check_postcodes(con: Con, inputs: Sequence[str]) -> dict:
    """The batch postcode check: one row per input, in input order.

    Returns ``{"rows": DataFrame, "summary": dict, "releases": [...], "latest": release,
    "measures": [...]}``. Columns of ``rows``: ``input, postcode`` (NSPL spelling, or None if
    the input is not shaped like a postcode), ``error_code`` (None, empty, malformed,
    outside_england, not_found, no_lsoa), ``error`` (the reason, in words), ``lsoa21_code,
    lsoa21_name, lsoa11_codes, lsoa01_codes`` (the older LSOAs linked through the ONS
    best-fit lookups, ";"-separated), ``lad24_code, lad24_name`` (the postcode's own
    authority), ``ward_code, ward_name, msoa21_code, msoa21_name`` (friendly), ``ruc21_code,
    ruc21_name, urban_rural, terminated``, ``<release>_imd_decile`` for every release (an
    older release's decile where every linked LSOA agrees, else empty with a note), then
    ``<latest>_<measure>_decile`` for the IMD's domains and supplementary indices in the
    latest release, and ``note``.

    ``summary``: ``inputs, matched, not_matched, by_error, release, with_decile,
    most_deprived_10, most_deprived_20, by_imd_decile`` and ``sentence`` ("412 of 500
    postcodes are in England's most deprived 20% ..."). More than :data:`MAX_POSTCODES`
    inputs raise :class:`PostcodeInputError`.
    """
    inputs = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
              for v in inputs]
    if len(inputs) > MAX_POSTCODES:
        raise PostcodeInputError(
            f"{len(inputs):,} postcodes given; the batch check takes at most "
            f"{MAX_POSTCODES:,} at a time: split them into parts of {MAX_POSTCODES:,} or fewer")
    _require_tables(con)
    rel = _release_table(con)
    releases = rel["release"].tolist()
    latest = releases[-1] if releases else None
    measure_ids = _latest_measures(con, latest) if latest else []
    domain_ids = [m for m in measure_ids if m != "imd"]

    normalised = [normalise_postcode(v) for v in inputs]
    found = _objects(queries.postcodes(con, sorted({p for p in normalised if p})))
    known = {r[0]: r for r in zip(*[found[c].tolist() for c in (
        "postcode", "lsoa21_code", "lad24_code", "ward_code", "country_code", "terminated")])}
    table, in_table = _lsoa21(con), _lsoa21_codes(con)
    lsoas = sorted({k[1] for k in known.values() if isinstance(k[1], str)} & in_table)
    sub = table.reindex(lsoas)
    attrs = {c: dict(zip(lsoas, sub[c].tolist())) for c in (
        "lsoa_name", "msoa_code", "msoa_name", "lad24_code", "ruc_code", "ruc_name",
        "urban_rural")}

    back = _links(con)["back"]
    older: dict[str, dict[str, list[str]]] = {"lsoa21": {c: [c] for c in lsoas},
                                              "lsoa11": {}, "lsoa01": {}}
    for c in lsoas:
        l11 = sorted({o for o, _ in back.get("lsoa21", {}).get(c, [])})
        older["lsoa11"][c] = l11
        older["lsoa01"][c] = sorted({o for x in l11 for o, _ in back.get("lsoa11", {}).get(x, [])})

    # Deciles: each release on its own geography, through the links.
    deciles, _ = _decile_table(con)
    geo_of = dict(zip(rel["release"], rel["geography"]))
    imd: dict[str, dict[str, int | None]] = {}
    notes: dict[str, list[str]] = {}
    for r in releases:
        geo = geo_of[r]
        year = {"lsoa01": "2001", "lsoa11": "2011", "lsoa21": "2021"}[geo]
        wanted = sorted({x for v in older[geo].values() for x in v})
        dec = deciles[r]["imd"].reindex(wanted).to_dict() if r in deciles else {}
        imd[r] = {}
        for code21, old in older[geo].items():
            ds = sorted({int(dec[o]) for o in old if _known(dec.get(o))})
            imd[r][code21] = ds[0] if len(ds) == 1 else None
            if len(ds) > 1:
                notes.setdefault(code21, []).append(
                    f"{r}: the linked {year} LSOAs {', '.join(old)} lie in IMD deciles "
                    f"{ds[0]} to {ds[-1]}; the postcode's own {year} LSOA is not known, so no "
                    "single decile is given")
    part = deciles[latest].reindex(lsoas) if latest in deciles else None
    latest_deciles = {m: (dict(zip(lsoas, part[m].tolist())) if part is not None else {})
                      for m in domain_ids}

    lads, wards = _lad_names(con), _ward_names(con)
    districts = None
    partial = "doterm" in _cached(con, "nspl_missing", lambda: (
        queries.source_missing_columns(con, NSPL_SOURCE) or []))
    cols = (["input", "postcode", "error_code", "error", "lsoa21_code", "lsoa21_name",
             "lsoa11_codes", "lsoa01_codes", "lad24_code", "lad24_name", "ward_code",
             "ward_name", "msoa21_code", "msoa21_name", "ruc21_code", "ruc21_name",
             "urban_rural", "terminated"] + [f"{r}_imd_decile" for r in releases]
            + [f"{latest}_{m}_decile" for m in domain_ids] + ["note"])
    rows = []
    for raw, pc in zip(inputs, normalised):
        row = dict.fromkeys(cols)
        row["input"], row["postcode"] = raw, pc
        k = known.get(pc) if pc else None
        if k is not None and k[1] in attrs["lsoa_name"]:
            _, code21, lad, ward, _, term = k
            a = {c: attrs[c][code21] for c in attrs}
            row.update(lsoa21_code=code21, lsoa21_name=a["lsoa_name"],
                       lsoa11_codes=";".join(older["lsoa11"][code21]),
                       lsoa01_codes=";".join(older["lsoa01"][code21]),
                       lad24_code=lad, lad24_name=lads.get(lad), ward_code=ward,
                       ward_name=wards.get(ward), msoa21_code=a["msoa_code"],
                       msoa21_name=a["msoa_name"], ruc21_code=a["ruc_code"],
                       ruc21_name=a["ruc_name"], urban_rural=a["urban_rural"],
                       terminated=term if _known(term) else None)
            for r in releases:
                row[f"{r}_imd_decile"] = imd[r].get(code21)
            for m in domain_ids:
                v = latest_deciles[m].get(code21)
                row[f"{latest}_{m}_decile"] = int(v) if _known(v) else None
            note = []
            if row["terminated"]:
                t = row["terminated"]
                note.append(f"postcode terminated in {t[:4]}-{t[4:]}; shown where it was")
            if a["lad24_code"] != lad:
                note.append(f"the postcode lies in {lads.get(lad)} ({lad}) but its LSOA "
                            f"{code21} is counted in {lads.get(a['lad24_code'])} "
                            f"({a['lad24_code']})")
            row["note"] = "; ".join(note + notes.get(code21, [])) or None
        else:
            if k is None and pc and districts is None:
                districts = _districts(con)
            row["error_code"], row["error"] = _why_not(raw, pc, k, districts, partial)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=cols, dtype=object)
    for col in cols:
        if col.endswith("_decile"):  # whole numbers 1-10, or missing
            frame[col] = pd.array([None if v is None else int(v) for v in frame[col]],
                                  dtype="Int64")
    return {"rows": frame, "summary": _summary(frame, latest), "releases": releases,
            "latest": latest, "measures": measure_ids}


def _known(value) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value)) \
        and value is not pd.NA


def _why_not(raw: str, pc: str | None, known: tuple | None, districts, partial: bool
             ) -> tuple[str, str]:
    """(error code, reason in words) for an input that has no neighbourhood."""
    shown = raw.strip()
    if not shown:
        return "empty", "no postcode given"
    if pc is None:
        return "malformed", (f"{shown!r} is not a UK postcode: it should be an outward code "
                             "such as TQ11 or M1, then an inward code of a digit and two "
                             "letters such as 0AA (case and spaces do not matter)")
    if known is not None:
        country = known[4]
        if country != "E92000001":
            return "outside_england", (f"{pc} is in {COUNTRY_NAMES.get(country, country)}, "
                                       "not England; the Indices of Deprivation cover England "
                                       "only")
        return "no_lsoa", (f"{pc} has no LSOA in NSPL (no grid reference), so it has no "
                           "deprivation decile")
    area = re.match(r"[A-Z]+", pc).group(0)
    if area in OUTSIDE_ENGLAND:
        return "outside_england", (f"{pc} is in {OUTSIDE_ENGLAND[area]} (postcode area "
                                   f"{area}), not England; the Indices of Deprivation cover "
                                   "England only")
    district = pc.split(" ")[0]
    reason = (f"{pc} is not in the ONS postcode lookup for England (NSPL, August 2024): it may "
              "be mistyped, newer than August 2024, or outside England")
    if districts is not None and district not in districts:
        reason += f"; no postcode of district {district} is loaded at all"
        if partial:
            reason += (" (the offline mirror's extract lacks central London districts whose "
                       "outward code ends in a letter, such as EC1A, WC2N, W1A and SW1A)")
    return "not_found", reason


def _summary(rows: pd.DataFrame, latest: str | None) -> dict:
    codes = rows["error_code"].tolist()
    deciles = ([d for d, c in zip(rows[f"{latest}_imd_decile"], codes) if c is None
                and d is not None] if latest else [])
    by_error: dict[str, int] = {}
    for c in codes:
        if c is not None:
            by_error[c] = by_error.get(c, 0) + 1
    unmatched = sum(by_error.values())
    n20 = sum(1 for d in deciles if d <= 2)
    n10 = sum(1 for d in deciles if d <= 1)
    n = len(deciles)
    year = latest[3:] if latest else ""
    sentence = (f"{n20:,} of {n:,} postcodes are in England's most deprived 20% of "
                f"neighbourhoods (IoD {year} IMD deciles 1 and 2); {n10:,} in the most "
                "deprived 10%.")
    if unmatched:
        sentence += (f" {unmatched:,} of the {len(codes):,} inputs could not be matched (see "
                     "the error column).")
    return {"inputs": len(codes), "matched": len(codes) - unmatched, "not_matched": unmatched,
            "by_error": by_error, "release": latest, "with_decile": n,
            "most_deprived_10": n10, "most_deprived_20": n20,
            "by_imd_decile": {str(d): deciles.count(d) for d in range(1, 11)},
            "sentence": sentence}


def batch_records(result: dict) -> list[dict]:
    """The batch check as JSON-ready objects, one per input in input order: ``input,
    postcode, lsoa21_code, lad24_code, ward_code, msoa21_name, imd_decile`` (release ->
    decile or None), ``error`` (None or the reason), and the other columns of the rows
    (``error_code, lsoa21_name, lsoa11_codes`` as a list, ..., ``deciles_latest`` (measure ->
    decile in the latest release), ``note``)."""
    rows = result["rows"]
    releases, latest = result["releases"], result["latest"]
    out = []
    for r in rows.to_dict("records"):
        obj = {"input": r["input"], "postcode": r["postcode"],
               "lsoa21_code": r["lsoa21_code"], "lad24_code": r["lad24_code"],
               "ward_code": r["ward_code"], "msoa21_name": r["msoa21_name"],
               "imd_decile": {rel: plain(r[f"{rel}_imd_decile"]) for rel in releases},
               "error": r["error"], "error_code": r["error_code"],
               "lsoa21_name": r["lsoa21_name"],
               "lsoa11_codes": r["lsoa11_codes"].split(";") if r["lsoa11_codes"] else [],
               "lsoa01_codes": r["lsoa01_codes"].split(";") if r["lsoa01_codes"] else [],
               "lad24_name": r["lad24_name"], "ward_name": r["ward_name"],
               "msoa21_code": r["msoa21_code"], "ruc21_code": r["ruc21_code"],
               "ruc21_name": r["ruc21_name"], "urban_rural": r["urban_rural"],
               "terminated": r["terminated"],
               "deciles_latest": {m: plain(r[f"{latest}_{m}_decile"] if m != "imd"
                                           else r[f"{latest}_imd_decile"])
                                  for m in result["measures"]},
               "note": r["note"]}
        out.append(plain(obj))
    return out


__all__ = ["AmbiguousPlace", "KINDS", "MATCHES", "MAX_POSTCODES", "PlaceNotFound",
           "PlacesNotLoaded", "PostcodeInputError", "area_lsoas", "batch_records",
           "check_postcodes", "fold", "neighbourhood", "no_match_reason",
           "postcode_results", "read_postcode_file", "resolve_area", "search", "warm"]
