"""The one registry of the deprivation measures: indices, domains, supplementary indices and
sub-domains of the English Indices of Deprivation.

Data only, no imports from other ``inequality`` modules, so every layer (etl, queries,
metrics, services, present) can take a fact about a measure from here instead of keeping a
local copy. Extend :class:`Measure` with further fields (display format, unit, meaning) by
adding attributes with defaults; existing callers keep working.

Population weights
------------------
MHCLG's local-authority summaries (IoD 2019 Technical Report, the chapter on summary measures
for higher-level geographies; File 10 "Local Authority District Summaries") population-weight
each measure by *its own* denominator, the population the indicator counts:

* Employment Deprivation Domain: the working-age population (18-59/64 in 2015 and 2019,
  18-66 in 2025), ``population.working_age``;
* IDACI: dependent children aged 0-15, ``population.children_0_15``;
* IDAOPI: the population aged 60 and over, ``population.older_60_plus``;
* the IMD and every other domain: the total population, ``population.total``.

Sub-domains are not summarised by MHCLG; they are weighted like their parent domain (all
three parents use the total population).

The column names are those of the ``population`` table (inequality/etl/schema.sql), which
holds File 7's population denominators (excluding prisoners).

>>> MEASURES["employment"].population
'working_age'
>>> [m.id for m in measures("supplementary")]
['idaci', 'idaopi']
>>> population_column("imd")
'total'
"""

from __future__ import annotations

from dataclasses import dataclass

#: Columns of the ``population`` table a measure can be weighted by.
POPULATION_COLUMNS = ("total", "working_age", "children_0_15", "older_60_plus")

#: Plain-English name of each population column (for notes and reasons).
POPULATION_LABELS = {
    "total": "total population",
    "working_age": "working-age population",
    "children_0_15": "children aged 0-15",
    "older_60_plus": "people aged 60 and over",
}

KINDS = ("index", "domain", "supplementary", "subdomain")


@dataclass(frozen=True)
class Measure:
    """One published deprivation measure.

    Attributes
    ----------
    id : the measure code used in the ``deprivation`` and ``measure`` tables.
    label : the official name (as in File 7's headers).
    short_label : a short display name.
    kind : one of :data:`KINDS`.
    population : the ``population`` column that weights this measure in area summaries.
    parent : the domain a supplementary index or sub-domain belongs to, else ``None``.
    rate : the score is a rate (proportion of people), so rate x population estimates a count.
    """

    id: str
    label: str
    short_label: str
    kind: str
    population: str = "total"
    parent: str | None = None
    rate: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"measure {self.id!r}: kind {self.kind!r} is not one of {KINDS}")
        if self.population not in POPULATION_COLUMNS:
            raise ValueError(f"measure {self.id!r}: population {self.population!r} is not "
                             f"one of {POPULATION_COLUMNS}")


_ALL = (
    Measure("imd", "Index of Multiple Deprivation (IMD)", "IMD", "index"),
    Measure("income", "Income", "Income", "domain", rate=True),
    Measure("employment", "Employment", "Employment", "domain", population="working_age",
            rate=True),
    Measure("education", "Education, Skills and Training", "Education, skills & training",
            "domain"),
    Measure("health", "Health Deprivation and Disability", "Health & disability", "domain"),
    Measure("crime", "Crime", "Crime", "domain"),
    Measure("barriers", "Barriers to Housing and Services", "Barriers to housing & services",
            "domain"),
    Measure("living_environment", "Living Environment", "Living environment", "domain"),
    Measure("idaci", "Income Deprivation Affecting Children Index (IDACI)", "IDACI",
            "supplementary", population="children_0_15", parent="income", rate=True),
    Measure("idaopi", "Income Deprivation Affecting Older People (IDAOPI)", "IDAOPI",
            "supplementary", population="older_60_plus", parent="income", rate=True),
    Measure("children_young_people", "Children and Young People Sub-domain",
            "Children & young people", "subdomain", parent="education"),
    Measure("adult_skills", "Adult Skills Sub-domain", "Adult skills", "subdomain",
            parent="education"),
    Measure("geographical_barriers", "Geographical Barriers Sub-domain", "Geographical barriers",
            "subdomain", parent="barriers"),
    Measure("wider_barriers", "Wider Barriers Sub-domain", "Wider barriers", "subdomain",
            parent="barriers"),
    Measure("indoors", "Indoors Sub-domain", "Indoors living environment", "subdomain",
            parent="living_environment"),
    Measure("outdoors", "Outdoors Sub-domain", "Outdoors living environment", "subdomain",
            parent="living_environment"),
)

#: id -> Measure, in the published order (IMD, the seven domains, IDACI, IDAOPI, sub-domains).
MEASURES: dict[str, Measure] = {m.id: m for m in _ALL}
MEASURE_IDS: tuple[str, ...] = tuple(MEASURES)

#: The ten measures MHCLG summarises for local authorities (File 10's sheets).
SUMMARY_MEASURE_IDS: tuple[str, ...] = tuple(
    m.id for m in _ALL if m.kind in ("index", "domain", "supplementary"))


def measures(*kinds: str) -> tuple[Measure, ...]:
    """The measures of the given kinds (all when none given), in published order."""
    for k in kinds:
        if k not in KINDS:
            raise ValueError(f"measure kind {k!r} is not one of {KINDS}")
    return tuple(m for m in _ALL if not kinds or m.kind in kinds)


def get(measure_id: str) -> Measure:
    """The measure with this id; a ValueError naming the known ids otherwise."""
    try:
        return MEASURES[measure_id]
    except KeyError:
        raise ValueError(f"unknown measure {measure_id!r}; known measures: "
                         f"{', '.join(MEASURE_IDS)}") from None


def population_column(measure_id: str) -> str:
    """The ``population`` column that weights ``measure_id`` in area summaries."""
    return get(measure_id).population


def population_weights() -> dict[str, str]:
    """measure id -> population column, for every measure."""
    return {m.id: m.population for m in _ALL}


# --- the summary measures of an area (MHCLG's File 10 measures) ---------------------------

@dataclass(frozen=True)
class SummaryMeasure:
    """One local-authority summary measure of the IoD Technical Report.

    Attributes
    ----------
    id : the key in summary results (``avg_rank`` ...).
    label : a short display name ("Average rank").
    briefing_label : the longer name a printed briefing uses.
    meaning : one plain-English sentence saying what it measures.
    unit : ``"rank"``, ``"score"``, ``"share"`` (a fraction shown as a percentage) or
        ``"people"`` (a count).
    direction : how to read it.
    """

    id: str
    label: str
    briefing_label: str
    meaning: str
    unit: str
    direction: str = "higher = more deprived"


_SUMMARY = (
    SummaryMeasure(
        "prop_most_deprived_10", "Share of neighbourhoods in England's most deprived 10%",
        "Neighbourhoods in England's most deprived 10%",
        "The proportion of the area's LSOAs in national decile 1.", "share"),
    SummaryMeasure(
        "avg_score", "Average score", "Average IMD score (population-weighted)",
        "The population-weighted average of its LSOAs' IMD scores; very deprived places with "
        "high scores pull it up.", "score"),
    SummaryMeasure(
        "avg_rank", "Average rank", "Average rank (population-weighted, higher = more "
        "deprived)", "The population-weighted average of its LSOAs' national ranks; highs and "
        "lows even out.", "rank"),
    SummaryMeasure(
        "extent", "Extent", "Extent: people living in the most deprived 30% (graded)",
        "The share of residents living in the most deprived 30% of LSOAs, with the most "
        "deprived 10% counted in full and a sliding weight above that.", "share"),
    SummaryMeasure(
        "local_concentration", "Local concentration",
        "Local concentration (most deprived areas holding 10% of people)",
        "The population-weighted average rank of the area's most deprived LSOAs that hold 10% "
        "of its residents: how intense its hot spots are.", "rank"),
    SummaryMeasure(
        "income_scale", "Income scale", "Income-deprived people",
        "The number of people who are income deprived.", "people"),
    SummaryMeasure(
        "employment_scale", "Employment scale", "Employment-deprived people",
        "The number of working-age people who are employment deprived.", "people"),
)

#: id -> SummaryMeasure, in the order pages, the CLI and the briefing list them.
SUMMARY_MEASURES: dict[str, SummaryMeasure] = {m.id: m for m in _SUMMARY}
