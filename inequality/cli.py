"""``python -m inequality``: sources | build | check | summary | deciles | hidden | report |
find | postcodes | sii.

Exit codes: 0 ok, 1 failure (the message says what is wrong and how to fix it), 2 usage.
Every command takes ``--db`` (default ``INEQUALITY_DB``, else ``data/inequality.duckdb``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import config
from .etl.sources import RELEASES, SOURCES

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """A failure to report on stderr with exit code 1."""


def _print_json(obj) -> None:
    json.dump(obj, sys.stdout, indent=2, default=str, allow_nan=False)
    sys.stdout.write("\n")


# --- commands -----------------------------------------------------------------------------

def cmd_sources(args: argparse.Namespace) -> int:
    if args.json:
        _print_json([{
            "id": s.id, "title": s.title, "publisher": s.publisher, "kind": s.kind,
            "url": s.url, "landing_page": s.landing_page, "licence": s.licence,
            "file": s.file, "format": s.format, "live_format": s.live_format,
            "geography": s.geography, "expected_rows": s.expected_rows,
            "in_mirror": s.in_mirror, "notes": s.notes} for s in SOURCES])
        return EXIT_OK
    width = max(len(s.id) for s in SOURCES)
    for s in SOURCES:
        rows = f"{s.expected_rows:,}" if s.expected_rows else "?"
        where = "" if s.in_mirror else "  [live only]"
        print(f"{s.id:<{width}}  {s.geography:<7} {rows:>7} rows  {s.title}{where}")
        print(f"{'':<{width}}  {s.publisher}; {s.licence}")
        print(f"{'':<{width}}  {s.url}")
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    from .etl.build import BuildError, build
    from .etl.fetch import FetchError
    from .etl.readers import ReaderError

    mirror = Path(args.mirror) if args.mirror else config.mirror_dir()
    try:
        report = build(args.db, mirror=mirror, only=args.only, force=args.force)
    except (BuildError, FetchError, ReaderError) as exc:
        raise CommandError(f"build failed: {exc}\nThe previous database (if any) at "
                           f"{args.db} is unchanged.") from exc
    if not report.changed:
        print(f"{args.db}: up to date (no source changed)")
    else:
        print(f"{args.db}: built in {report.seconds:.1f}s; loaded {len(report.loaded)} "
              f"source(s), skipped {len(report.skipped)}")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    import duckdb

    from . import db

    with db.connect(args.db) as con:  # DatabaseDamaged: one sentence and the fix, exit 1
        try:
            report = db.check(con)
        except duckdb.Error as exc:
            raise CommandError(f"the database {args.db} cannot be read ("
                               f"{str(exc).strip().splitlines()[0]}); rebuild it with "
                               f"{db.REBUILD}") from exc
    if args.json:
        _print_json(report)
        return EXIT_OK
    print(f"database {args.db} (built {report['build'].get('built_at', '?')} from "
          f"{report['build'].get('origin', '?')})")
    for rel, r in report["releases"].items():
        miss = len(r["missing_columns"])
        print(f"  {rel}: {r['lsoa_count']:,} LSOAs ({r['geography']})"
              f"{f', {miss} optional column(s) absent' if miss else ''}")
    for geo, c in report["coverage"].items():
        print(f"  {geo}: {c['lsoas']:,} LSOAs, {c['with_current_lad']:,} with a 2024 authority, "
              f"{c['with_region']:,} with a region, {c['with_boundary']:,} with a boundary")
    for table, n in report["tables"].items():
        print(f"  table {table}: {n:,} rows")
    return EXIT_OK


def _connect(args):
    from . import db
    return db.connect(args.db)


def _area_code(con, text: str, wards: bool = False) -> str:
    """The code of the one area (England, a region or a current authority, and a ward when
    ``wards``) that ``text`` names, a code in any case or a name, through the same resolver as
    `find`; a usage error with "did you mean ...?" otherwise. A database built before place
    search accepts codes only, as before."""
    from .services import places

    kinds = places.AREA_KINDS + (("ward",) if wards else ())
    try:
        return places.resolve_area(con, text, kinds)["code"]
    except places.PlacesNotLoaded:
        return str(text).strip().upper()
    except places.PlaceNotFound as exc:
        raise UsageError(str(exc)) from exc


def _summary_area(con, text: str, release: str, current: bool) -> str:
    """``summary``'s AREA: as :func:`_area_code`, except that without ``--current`` an
    authority the release was published for may be named by its old code or name (a former
    authority merged whole into a current one, e.g. E07000026 Allerdale for iod2019)."""
    from . import queries
    from .services import places

    try:
        place = places.resolve_area(con, text, places.AREA_KINDS)
    except places.PlacesNotLoaded:
        return str(text).strip().upper()
    except places.PlaceNotFound as exc:
        code = str(text).replace(" ", "").upper()
        if not current and code in set(queries.lad_names(con, release)["area_code"]):
            return code  # a published authority the current ones do not contain whole
        raise UsageError(str(exc)) from exc
    if not current and place.get("former_code"):
        if place["former_code"] in set(queries.lad_names(con, release)["area_code"]):
            return place["former_code"]
    return place["code"]


def _pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _num(x, digits=1) -> str:
    return "n/a" if x is None else f"{x:,.{digits}f}"


def cmd_summary(args: argparse.Namespace) -> int:
    from .services import summaries

    if args.all == bool(args.area):
        raise UsageError("give one AREA code, or --all (not both)")
    with _connect(args) as con:
        release = args.release or _latest_release(con)
        try:
            if args.all:
                result = summaries.all_summaries(con, release, current=args.current)
            else:
                area = _summary_area(con, args.area, release, args.current)
                result = summaries.area_summary(con, area, release, current=args.current)
        except summaries.UnknownArea as exc:
            raise UsageError(str(exc)) from exc
    if args.json:
        _print_json(result)
        return EXIT_OK
    rows = result if args.all else [result]
    notes: dict[str, list[str]] = {}  # reason -> measures it applies to, printed once
    for r in rows:
        basis = _BASIS.get(r.get("rank_basis"))
        print(f"{r['area_name']} ({r['area_code']}), {r['release']}: {r['lsoa_count']} LSOAs"
              + (f"; ranks among {r['n_areas']} {basis} (1 = most deprived)" if basis else ""))
        headline = _headline_rank(r)
        if headline:
            print(f"  {headline}")
        for key, label, fmt in (
                ("avg_rank", "average rank", _num), ("avg_score", "average score", _num),
                ("prop_most_deprived_10", "LSOAs in most deprived 10%", _pct),
                ("extent", "extent", _pct), ("local_concentration", "local concentration", _num),
                ("income_scale", "income-deprived people", _scale(r, "income_scale")),
                ("employment_scale", "employment-deprived people",
                 _scale(r, "employment_scale"))):
            rank = r.get(f"rank_{key}")
            note = r["unavailable"].get(key, "")
            mark = ""
            if note:
                labels = notes.setdefault(note, [])
                if label not in labels:
                    labels.append(label)
                mark = f"[{list(notes).index(note) + 1}]"
            print(f"  {label:<28} {fmt(r[key]):>12}  {'rank ' + str(rank) if rank else mark}")
        for note in r.get("notes") or []:
            print(f"  note: {note}")
    for i, (note, labels) in enumerate(notes.items(), 1):
        print(f"[{i}] {', '.join(labels)}: {note}")
    return EXIT_OK


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


_BASIS = {"published": "authorities the release was published for",
          "current": "current (2024) authorities", "region": "regions"}


def _scale(r: dict, key: str):
    """Formatter of an income or employment scale: 'about 53,000 (estimated from the
    published rate)' when it is an estimate from File 7's rates."""
    if r.get(f"{key}_estimated"):
        return lambda x: ("n/a" if x is None
                          else f"about {x:,.0f} (estimated from the published rate)")
    return lambda x: _num(x, 0)


def _headline_rank(r: dict) -> str | None:
    """'rank of average score: 78th of 317 (MHCLG, iod2019 authorities) · 75th of 296 among
    today's authorities'; None for England and regions."""
    m = r.get("headline_rank_measure")
    if not m or r.get("rank_basis") in (None, "region"):
        return None
    parts = []
    pub, cur = r.get("ranks_published"), r.get("ranks_current")
    if pub is not None and pub.get(m):
        where = ("" if r.get("published_code") == r["area_code"]
                 else f": {r['published_name']} ({r['published_code']})")
        parts.append(f"{_ordinal(pub[m])} of {r['n_published']} (MHCLG, {r['release']} "
                     f"authorities{where})")
    if cur is not None and cur.get(m):
        where = ("" if r.get("current_code") == r["area_code"]
                 else f" ({r['current_name']}, {r['current_code']})")
        parts.append(f"{_ordinal(cur[m])} of {r['n_current']} among today's authorities{where}")
    if not parts:
        reason = ("see average score below" if r.get(m) is None
                  else "no authority of the other basis is the same place")
        return f"{r['headline_rank_label']}: not available ({reason})"
    return f"{r['headline_rank_label']}: " + " · ".join(parts)


def _latest_release(con) -> str:
    from . import queries
    return queries.releases(con)["release"].iloc[-1]


def cmd_deciles(args: argparse.Namespace) -> int:
    from .services import summaries

    with _connect(args) as con:
        try:
            result = summaries.decile_tracking(con, _area_code(con, args.area))
        except summaries.UnknownArea as exc:
            raise UsageError(str(exc)) from exc
    if args.json:
        _print_json(result)
        return EXIT_OK
    print(f"{result['area_name']} ({result['area_code']}): share of LSOAs in each national "
          "decile (1 = most deprived 10% of England)")
    print("release   LSOAs  " + "  ".join(f"{d:>5}" for d in range(1, 11)))
    for rel, r in result["releases"].items():
        print(f"{rel:<8} {r['lsoa_count']:>6}  "
              + "  ".join(f"{100 * r['shares'][str(d)]:>4.1f}%" for d in range(1, 11)))
    for note in result["boundary_notes"]:
        print(f"note: {note}")
    print(f"How LSOAs are counted in today's authorities: {result['assignment_rule']}")
    print(summaries.RELATIVE_WARNING)
    return EXIT_OK


def cmd_hidden(args: argparse.Namespace) -> int:
    from .services import hidden

    domains = tuple(args.domains) if args.domains else hidden.DEFAULT_DOMAINS
    with _connect(args) as con:
        release = args.release or _latest_release(con)
        try:
            # regions and England resolve, so the service can say why they are not measured
            area = _area_code(con, args.area, wards=True)
            rep = hidden.report(con, area, release, domains=domains)
        except hidden.UnknownArea as exc:
            raise UsageError(str(exc)) from exc
    if args.json:
        _print_json(hidden.to_json(rep))
        return EXIT_OK
    s = rep["summary"]
    print(f"{rep['area_name']} ({rep['area_code']}), {rep['release']}: {rep['lsoa_count']} "
          f"LSOAs; {s['flagged_count']} flagged (decile 1 = most deprived 10% of England)")
    prof = rep["profile"]
    print(f"  shape of its {prof['label']} deciles: closest ONS template '{prof['profile_label']}'"
          f" ({prof['distance']:.1f} percentage points away)")
    if prof.get("internal_disparity") is not None:
        unit = prof["disparity_unit"]
        value = prof["internal_disparity"] * (100 if unit == "percentage points" else 1)
        print(f"  internal disparity: {value:.1f} {unit}")
    gm = prof.get("global_moran")
    if gm and gm.get("I") is not None:
        print(f"  global Moran's I: {gm['I']:.3f} (pseudo p = {gm['p_sim']:.3f})")
    for m, o in rep["outside"].items():
        if o["available"]:
            t = o["table"].set_index("max_decile")
            print(f"  {o['who']}: {_num(t.loc[1, 'deprived_total'], 0)}; outside the most "
                  f"deprived 10% {_pct(t.loc[1, 'share_outside'])}, outside the most "
                  f"deprived 20% {_pct(t.loc[2, 'share_outside'])}")
        else:
            print(f"  {o['who']} outside deprived places: {o['reason']}")
    for m, li in rep["lisa"].items():
        print(f"  Local Moran's I on {li['label']} ({li['basis'].replace('_', ' ')}): "
              f"{li['hl_count']} pocket(s) HL, {li['hh_count']} cluster LSOA(s) HH at q <= "
              f"{rep['parameters']['alpha']}")
    for note in rep["notes"]:
        print(f"  note: {note}")
    print("flagged LSOAs:")
    for r in rep["flagged"].itertuples():
        print(f"  {r.lsoa_code} {r.lsoa_name} | ward {r.ward_name or 'n/a'} | "
              f"{r.ruc_class or 'no rural-urban class'} | IMD decile {r.imd_decile}")
        for reason in r.reasons:
            print(f"      - {reason}")
    return EXIT_OK


def _check_writable_out(out: Path) -> None:
    """Refuse an --out the briefing cannot be written to before any work is done."""
    if out.suffix.lower() not in (".html", ".pdf"):
        raise UsageError(f"--out {out} must end in .html or .pdf (the briefing's format)")
    folder = out.parent
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder; give a file name such as "
                         f"{out / ('briefing' + out.suffix)}")
    if not folder.is_dir():
        raise UsageError(f"cannot write the briefing to {out}: the folder {folder} does not "
                         "exist; create it or choose another --out")
    probe = folder / f".{out.name}.probe-{os.getpid()}"
    try:
        os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        probe.unlink()
        if out.exists() and not os.access(out, os.W_OK):
            raise PermissionError(13, "Permission denied", str(out))
    except OSError as exc:
        raise UsageError(f"cannot write the briefing to {out}: {exc.strerror or exc} in "
                         f"{folder}; choose another --out (a folder you can write to)") from exc


def cmd_report(args: argparse.Namespace) -> int:
    from .present import report
    from .services import briefing, custom_areas

    _check_writable_out(args.out)
    with _connect(args) as con:
        try:
            area = args.area if args.lsoas or not args.area else _area_code(
                con, args.area, wards=True)
            place = briefing.resolve(con, area, args.lsoas, args.name)
            written = report.write_report(briefing.gather(con, place, args.release), args.out,
                                          annex=args.annex)
        except (briefing.ReportError, custom_areas.CustomAreaError) as exc:
            raise UsageError(str(exc)) from exc
    print(f"wrote {args.out}: {written['title']} ({written['release_label']})")
    return EXIT_OK


def cmd_find(args: argparse.Namespace) -> int:
    """One search for postcodes, places and codes (the app's search box)."""
    from .services import places

    query = " ".join(args.query).strip()
    if args.limit < 1:
        raise UsageError(f"--limit {args.limit}: give a number of results of 1 or more")
    if not query:
        raise UsageError("give something to find: a postcode (TQ11 0AA), a place name "
                         "(Buckfastleigh) or a code (E08000026)")
    with _connect(args) as con:
        try:
            results = places.search(con, query, limit=args.limit,
                                    kinds=args.kind or None)
            reason = None if results else places.no_match_reason(con, query)
        except places.PlacesNotLoaded as exc:
            raise CommandError(str(exc)) from exc
    if args.json:
        _print_json([{k: r.get(k) for k in ("kind", "code", "name", "lad24_code",
                                             "lad24_name", "label", "match", "geography",
                                             "region_name", "lsoa21_code", "bbox")
                      if k in r} for r in results])
    else:
        for r in results:
            print(f"{r['kind']:<18} {r['code']:<10} {r['label']}")
    if not results:
        raise CommandError(f"nothing found: {reason}")
    return EXIT_OK


def cmd_postcodes(args: argparse.Namespace) -> int:
    """The batch postcode check of a file of postcodes."""
    import os
    import tempfile

    from .services import places, postcodes

    name = "standard input" if str(args.file) == "-" else str(args.file)
    try:
        data = sys.stdin.buffer.read() if str(args.file) == "-" else Path(args.file).read_bytes()
    except FileNotFoundError:
        raise CommandError(f"no file at {args.file}: give a text file with one postcode a "
                           "line, or a CSV file with a 'postcode' column") from None
    except IsADirectoryError:
        raise CommandError(f"{args.file} is a folder: give a text file with one postcode a "
                           "line, or a CSV file with a 'postcode' column") from None
    except OSError as exc:
        raise CommandError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    if args.out is not None:
        folder = Path(args.out).resolve().parent
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            raise CommandError(f"cannot write {args.out}: the folder {folder} does not exist "
                               "or is not writable; choose another --out")
    with _connect(args) as con:
        try:
            inputs = postcodes.read_postcode_file(data, name)
            result = postcodes.check_postcodes(con, inputs)
        except postcodes.PostcodeInputError as exc:
            raise CommandError(str(exc)) from exc
        except places.PlacesNotLoaded as exc:
            raise CommandError(str(exc)) from exc
    summary = result["summary"]
    if args.out is not None:
        from .present.exports import csv_bytes

        payload = csv_bytes(result["rows"])  # formula-safe, like every CSV the app writes
        fd, tmp = tempfile.mkstemp(prefix=".postcodes-", suffix=".csv",
                                   dir=Path(args.out).resolve().parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
            os.replace(tmp, args.out)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise CommandError(f"cannot write {args.out}: {exc.strerror or exc}") from exc
    if args.json:
        _print_json(postcodes.batch_records(result))
        print(summary["sentence"], file=sys.stderr)
        return EXIT_OK
    if args.out is None:
        releases = result["releases"]
        print(f"{'input':<12} {'postcode':<9} {'LSOA 2021':<10} {'authority':<24} "
              + " ".join(f"{r[3:]:>4}" for r in releases) + "  (IMD decile, 1 = most deprived)")
        for r in result["rows"].to_dict("records"):
            shown = r["input"] if len(r["input"]) <= 12 else r["input"][:11] + "…"
            if r["error"]:
                print(f"{shown:<12} {r['error']}")
                continue
            deciles = " ".join(f"{'-' if r[f'{x}_imd_decile'] is None else r[f'{x}_imd_decile']:>4}"
                               for x in releases)
            print(f"{shown:<12} {r['postcode']:<9} {r['lsoa21_code']:<10} "
                  f"{(r['lad24_name'] or '')[:24]:<24} {deciles}")
    else:
        print(f"wrote {args.out}: {summary['inputs']:,} row(s), one per input")
    print(summary["sentence"])
    return EXIT_OK


def cmd_sii(args: argparse.Namespace) -> int:
    """Slope Index of Inequality of an analyst's own CSV (PHE ``phe_sii`` method)."""
    import math
    import warnings

    import pandas as pd

    from .metrics.sii import SiiWarning, phe_sii
    from .plain import plain

    if args.se and (args.lower or args.upper):
        raise UsageError("give --se or --lower/--upper, not both")
    if bool(args.lower) != bool(args.upper):
        raise UsageError("give both --lower and --upper (the 95% limits of each value)")
    if not args.value and not (args.count and args.value_type in (1, 2)):
        raise UsageError("give --value COL (for a rate or proportion, --count COL will do)")
    if args.se_scale and not args.se:
        raise UsageError("--se-scale describes --se; give --se COL too")
    try:
        frame = pd.read_csv(args.file, dtype={g: str for g in args.group},
                            keep_default_na=True)
    except FileNotFoundError:
        raise CommandError(f"no file at {args.file}: give the path of a CSV file with one "
                           "row per group and quantile") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError,
            pd.errors.EmptyDataError) as exc:
        raise CommandError(f"cannot read {args.file} as CSV ({exc}): save it as "
                           "comma-separated UTF-8 text with a header row") from None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SiiWarning)
        try:
            out = phe_sii(frame, args.quantile, args.population, args.value,
                          groups=args.group, value_type=args.value_type, se=args.se,
                          se_scale=args.se_scale, lower_cl=args.lower, upper_cl=args.upper,
                          cl_confidence=args.cl_confidence, count=args.count,
                          transform=args.transform, confidence=args.confidence,
                          multiplier=args.multiplier, rii=args.rii, intercept=args.intercept,
                          reliability_stat=args.reliability, repetitions=args.reps,
                          seed=args.seed)
        except ValueError as exc:
            message = str(exc)
            for api, option in (("se_scale=", "--se-scale "), ("se=", "--se "),
                                ("lower_cl and upper_cl", "--lower and --upper"),
                                ("lower_cl/upper_cl", "--lower/--upper"),
                                ("cl_confidence", "--cl-confidence"),
                                ("multiplier=", "--multiplier "),
                                ("repetitions=", "--reps "), ("transform=True", "--transform"),
                                ("value_type ", "--value-type ")):
                message = message.replace(api, option)
            raise CommandError(f"{args.file}: {message}") from None
    for w in caught:
        if issubclass(w.category, SiiWarning):
            print(f"warning: {w.message}", file=sys.stderr)
    records = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in row.items()} for row in plain(out)]
    if args.json:
        _print_json(records)
        return EXIT_OK
    meta = out.attrs
    print(f"Slope Index of Inequality of {args.value or args.count} in {args.file} "
          f"({meta['indicator_type']}, transform {meta['transform']}, multiplier "
          f"{args.multiplier:g}); {meta['quantiles']} quantiles of {args.quantile}, "
          "1 = most deprived")
    print(out.to_string(index=False, float_format=lambda v: f"{v:.6g}"))
    print(f"SII = fitted value at the least deprived end minus the most deprived end. "
          f"Limits: simulation, {args.reps:,} repetitions"
          f"{'' if args.seed is None else f', seed {args.seed}'}; standard errors from "
          f"{meta['standard_errors']}.")
    return EXIT_OK


# --- parser -------------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", type=Path, default=None,
                        help="database file (default: INEQUALITY_DB, else data/inequality.duckdb)")
    p = argparse.ArgumentParser(
        prog="inequality" if Path(sys.argv[0]).name == "inequality" else "python -m inequality",
        description="English Indices of Deprivation and health inequality: ETL and analysis.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("sources", parents=[common], help="list the source catalogue")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_sources)

    b = sub.add_parser("build", parents=[common],
                       help="download (or copy from a mirror) and build the database")
    b.add_argument("--mirror", metavar="DIR",
                   help="copy sources from a local mirror laid out <source id>/<file> "
                        "(default: INEQUALITY_MIRROR)")
    b.add_argument("--only", nargs="+", metavar="ID", choices=[s.id for s in SOURCES],
                   help="reload only these sources into the existing database (ids as "
                        "`sources` lists them) and recompute only the derived tables that "
                        "read them")
    b.add_argument("--force", action="store_true",
                   help="rebuild even if no source changed: re-download, reload every "
                        "source and recompute every derived table (without it, derived "
                        "tables whose input files are unchanged are reused)")
    b.set_defaults(func=cmd_build)

    c = sub.add_parser("check", parents=[common], help="report what the database holds")
    c.add_argument("--json", action="store_true", help="print JSON")
    c.set_defaults(func=cmd_check)

    m = sub.add_parser("summary", parents=[common],
                       help="IoD summary measures of an authority (or --all), with ranks")
    m.add_argument("area", nargs="?", metavar="AREA",
                   help="authority code (e.g. E08000026), region (E12...) or E92000001")
    m.add_argument("--all", action="store_true", help="every authority")
    m.add_argument("--release", choices=sorted(RELEASES), help="default: the latest loaded")
    m.add_argument("--current", action="store_true",
                   help="use today's (2024) authorities instead of those the release was "
                        "published with")
    m.add_argument("--json", action="store_true", help="print JSON")
    m.set_defaults(func=cmd_summary)

    d = sub.add_parser("deciles", parents=[common],
                       help="share of an area's LSOAs in each national decile, every release")
    d.add_argument("area", metavar="AREA", help="current authority, region or England code")
    d.add_argument("--json", action="store_true", help="print JSON")
    d.set_defaults(func=cmd_deciles)

    h = sub.add_parser("hidden", parents=[common],
                       help="rural and hidden deprivation of an authority: measures and "
                            "flagged LSOAs")
    h.add_argument("area", metavar="AREA",
                   help="current (2024) authority code (e.g. E07000045) or ward code (E05...)")
    h.add_argument("--release", choices=sorted(RELEASES), help="default: the latest loaded")
    h.add_argument("--domains", nargs="+", metavar="MEASURE",
                   choices=["income", "employment", "education", "health", "crime", "barriers",
                            "living_environment", "geographical_barriers", "idaci", "idaopi"],
                   help="domains tested for spatial outliers besides the IMD (default: income)")
    h.add_argument("--json", action="store_true", help="print JSON")
    h.set_defaults(func=cmd_hidden)

    r = sub.add_parser("report", parents=[common],
                       help="a printable briefing (HTML or PDF) for an area, ward or LSOA list")
    r.add_argument("area", nargs="?", metavar="AREA",
                   help="authority, region, E92000001 or ward (E05...) code; with --lsoas, "
                        "the custom area's name")
    r.add_argument("--release", choices=sorted(RELEASES),
                   help="default: the latest release with boundaries")
    r.add_argument("--lsoas", nargs="+", metavar="CODE", help="a custom area's LSOA codes")
    r.add_argument("--name", help="title for a custom area or ward")
    r.add_argument("--out", type=Path, required=True, metavar="FILE.html|FILE.pdf")
    r.add_argument("--annex", action="store_true",
                   help="add the annex after the one-page briefing: change over time, the "
                        "health gap, hidden deprivation and every flagged neighbourhood, "
                        "sources and methods")
    r.set_defaults(func=cmd_report)

    f = sub.add_parser("find", parents=[common],
                       help="find a postcode, place (neighbourhood, ward, authority, region) "
                            "or code: the app's search")
    f.add_argument("query", nargs="+", metavar="QUERY",
                   help="e.g. 'TQ11 0AA', Buckfastleigh, 'Teignbridge 017B', e08000026")
    f.add_argument("--limit", type=int, default=10, metavar="N", help="at most N results (10)")
    f.add_argument("--kind", nargs="+", metavar="KIND",
                   choices=["postcode", "country", "region", "local authority",
                            "neighbourhood area", "ward", "LSOA"],
                   help="only results of these kinds")
    f.add_argument("--json", action="store_true",
                   help="print JSON: a list, best first, of {kind, code, name, lad24_code, "
                        "lad24_name, label, ...}")
    f.set_defaults(func=cmd_find)

    pc = sub.add_parser("postcodes", parents=[common],
                        help="batch postcode check: LSOA, authority, ward, neighbourhood and "
                             "IMD deciles 2010-2025 of up to 10,000 postcodes")
    pc.add_argument("file", metavar="FILE",
                    help="text file, one postcode a line, or a CSV with a 'postcode' column "
                         "(- for standard input)")
    pc.add_argument("--out", type=Path, metavar="FILE.csv",
                    help="write one CSV row per input (formula-safe)")
    pc.add_argument("--json", action="store_true",
                    help="print JSON: a list in input order of {input, postcode, lsoa21_code, "
                         "lad24_code, ward_code, msoa21_name, imd_decile, error, ...}")
    pc.set_defaults(func=cmd_postcodes)

    x = sub.add_parser("sii", help="Slope Index of Inequality of your own CSV (PHE phe_sii "
                                   "method): one row per group and quantile")
    x.add_argument("file", type=Path, metavar="FILE.csv")
    x.add_argument("--quantile", required=True, metavar="COL",
                   help="quantile number, 1 = most deprived (5 to 100 quantiles)")
    x.add_argument("--population", required=True, metavar="COL",
                   help="population (denominator) of each quantile")
    x.add_argument("--value", metavar="COL", help="indicator value")
    x.add_argument("--group", nargs="+", action="extend", default=[], metavar="COL",
                   help="columns identifying each group (one SII per group)")
    x.add_argument("--se", metavar="COL", help="standard error of each value")
    x.add_argument("--se-scale", choices=["transformed", "log", "logit", "natural"],
                   help="scale of --se for a rate or proportion (required then): "
                        "'transformed' (log rate / logit proportion, as phe_sii assumes) or "
                        "'natural' (the indicator's own units)")
    x.add_argument("--lower", metavar="COL", help="lower confidence limit of each value")
    x.add_argument("--upper", metavar="COL", help="upper confidence limit of each value")
    x.add_argument("--cl-confidence", type=float, default=0.95, metavar="LEVEL",
                   help="level of --lower/--upper (default 0.95)")
    x.add_argument("--count", metavar="COL",
                   help="count (numerator) of a rate or proportion: standard errors from "
                        "Byars (rate) or Wilson (proportion) limits when neither --se nor "
                        "--lower/--upper is given")
    x.add_argument("--value-type", type=int, choices=[0, 1, 2], default=0,
                   help="0 other (e.g. life expectancy, default), 1 rate, 2 proportion (0-1)")
    x.add_argument("--transform", action="store_true",
                   help="fit on log rates / logit proportions and transform back")
    x.add_argument("--confidence", type=float, nargs="+", default=[0.95], metavar="LEVEL",
                   help="confidence level(s) of the SII: 0.95 or 95, 0.998 or 99.8, ...")
    x.add_argument("--multiplier", type=float, default=1.0, metavar="X",
                   help="multiply the SII (e.g. 100); negative swaps the sign and inverts "
                        "the RII")
    x.add_argument("--rii", action="store_true", help="add the Relative Index of Inequality")
    x.add_argument("--intercept", action="store_true",
                   help="add the fitted value at the most deprived end")
    x.add_argument("--reliability", action="store_true",
                   help="simulate 10 times as often and add the limits' mean absolute "
                        "difference (sii_mad...)")
    x.add_argument("--reps", type=int, default=100_000, metavar="N",
                   help="simulations for the limits (default 100,000; at least 1,000)")
    x.add_argument("--seed", type=int, default=None, metavar="N",
                   help="random seed, for reproducible limits")
    x.add_argument("--json", action="store_true", help="print JSON: one object per group")
    x.set_defaults(func=cmd_sii, db=None)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 2 for usage errors, 0 for --help
        return int(exc.code or 0)
    if args.db is None:
        args.db = config.db_path()
    from .db import DatabaseMissing
    try:
        return args.func(args)
    except (CommandError, DatabaseMissing) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except UsageError as exc:
        print(f"usage error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # output piped into `head`
        sys.stderr.close()
        return EXIT_OK


class UsageError(Exception):
    """Bad arguments that argparse cannot catch (an unknown area code, say): exit 2."""
