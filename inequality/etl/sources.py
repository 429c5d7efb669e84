"""The one declared catalogue of official datasets.

Everything that touches a source (``fetch``, the readers, ``build``, the Data & methods page,
the tests) reads it from here, so adding or correcting a source is a one-place change
(the pattern of datasette's ``SETTINGS`` and humaniverse/IMD's ``query_urls.R``).

Each :class:`Source` names the file exactly as the offline mirror stores it
(``<mirror>/<id>/<file>``). Where the live publication is a different format (the ONS Open
Geography Portal serves boundaries and lookups from ArcGIS feature services, paged at 2,000
records), ``live_format`` says how :mod:`inequality.etl.fetch` downloads it and ``live_file`` the
name it is stored under; the readers accept either form.
"""

from __future__ import annotations

from dataclasses import dataclass, field

OGL = "Open Government Licence v3.0"
OGL_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"

ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Source: Ministry of Housing, Communities and Local Government (English Indices of "
    "Deprivation); Office for National Statistics; Office for Health Improvement and "
    "Disparities (Fingertips). Contains OS data © Crown copyright and database right."
)

MHCLG = "Ministry of Housing, Communities and Local Government"
ONS = "Office for National Statistics"
OHID = "Office for Health Improvement and Disparities (Fingertips)"
DEFRA_ONS = "Department for Environment, Food & Rural Affairs / Office for National Statistics"
HOC_LIBRARY = "House of Commons Library"

#: The National Statistics Postcode Lookup's own attribution (ONS licence terms for NSPL).
NSPL_ATTRIBUTION = (
    "Contains OS data © Crown copyright and database right; Contains Royal Mail data © Royal "
    "Mail copyright and database right; Source: Office for National Statistics licensed under "
    "the Open Government Licence v3.0."
)
OPL = "Open Parliament Licence v3.0"
OPL_URL = "https://www.parliament.uk/site-information/copyright-parliament/open-parliament-licence/"
OPL_ATTRIBUTION = ("Contains Parliamentary information licensed under the Open Parliament "
                   "Licence v3.0. MSOA names: House of Commons Library.")

_ARCGIS = "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services"
_FINGERTIPS = "https://fingertips.phe.org.uk/api/all_data/csv/by_indicator_id"
_GEOPORTAL = "https://geoportal.statistics.gov.uk"
#: ONS Open Geography Portal item of NSPL (2021 Census geographies), August 2024.
_NSPL_ITEM = "e832e833fe5f45e19096800af4ac800c"


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    publisher: str
    kind: str  # iod | boundary | lsoa_lookup | area_lookup | lad_region | ruc_lsoa | ruc_lad |
    #            postcode | msoa_names | health
    url: str
    landing_page: str
    file: str
    format: str  # of ``file``: csv | geoparquet | zip (a CSV inside a zip)
    geography: str  # the boundary vintage the rows are keyed on: lsoa01, lsoa11, lsoa21, lad24 ...
    expected_rows: int | None
    licence: str = OGL
    attribution: str = ATTRIBUTION
    live_format: str = "file"  # file | arcgis_geojson | arcgis_table | xlsx
    live_file: str | None = None
    release: str | None = None  # IoD release id for kind == "iod"
    in_mirror: bool = True
    notes: str = ""
    options: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def stored_file(self) -> str:
        """File name under ``data/raw/<id>/`` for a live download (mirror copies keep ``file``)."""
        return self.live_file or self.file


def _iod(release: str, year: int, geography: str, lad: str, url: str, file: str, rows: int,
         landing: str, notes: str) -> Source:
    return Source(
        id=f"{release}_{geography}",
        title=f"English Indices of Deprivation {year}: File 7 (all ranks, deciles, scores"
              + (", population denominators)" if year != 2010 else ")"),
        publisher=MHCLG,
        kind="iod",
        url=url,
        landing_page=landing,
        file=file,
        format="csv",
        geography=geography,
        expected_rows=rows,
        release=release,
        notes=notes,
        options={"year": year, "lad": lad},
    )


def _arcgis(service: str, out_fields: str, fmt: str) -> str:
    return (f"{_ARCGIS}/{service}/FeatureServer/0/query?where=1%3D1&outFields={out_fields}"
            f"&outSR=4326&f={fmt}")


def _fingertips(indicator: int, child_area_type: int, parent_area_type: int = 15) -> str:
    return (f"{_FINGERTIPS}?indicator_ids={indicator}&child_area_type_id={child_area_type}"
            f"&parent_area_type_id={parent_area_type}")


_F7_2015 = ("File_7_ID_2015_All_ranks__deciles_and_scores_for_the_Indices_of_Deprivation__and_"
            "population_denominators.csv")
_F7_2019 = "File_7_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv"
_F7_2025 = "File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv"

SOURCES: tuple[Source, ...] = (
    # --- English Indices of Deprivation, File 7, each on its own LSOA geography -------------
    _iod("iod2010", 2010, "lsoa01", "lad09",
         "https://assets.publishing.service.gov.uk/media/5a78b02440f0b62b22cbbfe9/1871702.csv",
         "1871702.csv", 32_482,
         "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2010",
         "LSOA 2001 geography; local authorities as after the 2009 reorganisation, with old-style "
         "codes (00AA). No published deciles: derived as ceil(10 x rank / N). No population "
         "denominators in this file."),
    _iod("iod2015", 2015, "lsoa11", "lad13",
         f"https://assets.publishing.service.gov.uk/media/5a7ffd55ed915d74e33f7ca4/{_F7_2015}",
         _F7_2015, 32_844,
         "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2015",
         "LSOA 2011 geography; local authorities of 2013; population mid-2012."),
    _iod("iod2019", 2019, "lsoa11", "lad19",
         "https://assets.publishing.service.gov.uk/government/uploads/system/uploads/"
         f"attachment_data/file/845345/{_F7_2019}",
         _F7_2019, 32_844,
         "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019",
         "LSOA 2011 geography; local authorities of 2019; population mid-2015."),
    _iod("iod2025", 2025, "lsoa21", "lad24",
         f"https://assets.publishing.service.gov.uk/media/68ff5daabcb10f6bf9bef911/{_F7_2025}",
         _F7_2025, 33_755,
         "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2025",
         "LSOA 2021 geography; local authorities of 2024; population mid-2022."),
    # --- Boundaries (ONS Open Geography Portal) ----------------------------------------------
    Source(
        id="boundaries_lsoa11", kind="boundary", publisher=ONS,
        title="Lower layer Super Output Areas (December 2011) Boundaries Generalised Clipped "
              "(BGC) EW V3",
        url=_arcgis("LSOA_Dec_2011_Boundaries_Generalised_Clipped_BGC_EW_V3",
                    "LSOA11CD,LSOA11NM", "geojson"),
        landing_page=f"{_GEOPORTAL}/search?q=LSOA%20Dec%202011%20Boundaries%20BGC",
        file="lsoa11_boundaries_eng_bgc.parquet", format="geoparquet", geography="lsoa11",
        expected_rows=32_844, live_format="arcgis_geojson",
        live_file="lsoa11_boundaries_ew_bgc.geojson",
        notes="The live service covers England and Wales; Welsh (W01) areas are dropped on load."),
    Source(
        id="boundaries_lsoa21", kind="boundary", publisher=ONS,
        title="Lower layer Super Output Areas (December 2021) Boundaries EW BGC V5 "
              "(the mirror holds the Super Generalised BSC V4)",
        url=_arcgis("Lower_layer_Super_Output_Areas_December_2021_Boundaries_EW_BGC_V5",
                    "LSOA21CD,LSOA21NM", "geojson"),
        landing_page=f"{_GEOPORTAL}/search?q=LSOA%20Dec%202021%20Boundaries%20BGC",
        file="lsoa21_boundaries_eng_bsc.parquet", format="geoparquet", geography="lsoa21",
        expected_rows=33_755, live_format="arcgis_geojson",
        live_file="lsoa21_boundaries_ew_bgc.geojson",
        notes="The live service covers England and Wales; Welsh (W01) areas are dropped on load."),
    Source(
        id="boundaries_msoa11", kind="boundary", publisher=ONS,
        title="Middle layer Super Output Areas (December 2011) Boundaries Generalised Clipped "
              "(BGC) EW V3",
        url=_arcgis("MSOA_Dec_2011_Boundaries_Generalised_Clipped_BGC_EW_V3",
                    "MSOA11CD,MSOA11NM", "geojson"),
        landing_page=f"{_GEOPORTAL}/search?q=MSOA%20Dec%202011%20Boundaries%20BGC",
        file="msoa11_boundaries_eng_bgc.parquet", format="geoparquet", geography="msoa11",
        expected_rows=6_791, live_format="arcgis_geojson",
        live_file="msoa11_boundaries_ew_bgc.geojson"),
    Source(
        id="boundaries_msoa21", kind="boundary", publisher=ONS,
        title="Middle layer Super Output Areas (December 2021) Boundaries EW BSC",
        url=_arcgis("Middle_layer_Super_Output_Areas_December_2021_Boundaries_EW_BSC_V3",
                    "MSOA21CD,MSOA21NM", "geojson"),
        landing_page=f"{_GEOPORTAL}/search?q=MSOA%20Dec%202021%20Boundaries%20BSC",
        file="msoa21_boundaries_eng_bsc.parquet", format="geoparquet", geography="msoa21",
        expected_rows=6_856, live_format="arcgis_geojson",
        live_file="msoa21_boundaries_ew_bsc.geojson"),
    # --- Lookups between geographies and vintages ------------------------------------------
    Source(
        id="lookup_lsoa01_lsoa11", kind="lsoa_lookup", publisher=ONS,
        title="LSOA (2001) to LSOA (2011) to LAD (2011) Lookup in England and Wales",
        url=_arcgis("LSOA01_LSOA11_LAD11_EW_LU", "LSOA01CD,LSOA01NM,LSOA11CD,LSOA11NM,CHGIND",
                    "json"),
        landing_page=f"{_GEOPORTAL}/search?q=LSOA01_LSOA11_LAD11_EW_LU",
        file="lookup_lsoa01_lsoa11_eng.csv", format="csv", geography="lsoa01",
        expected_rows=32_997, live_format="arcgis_table",
        live_file="lookup_lsoa01_lsoa11_ew.csv",
        notes="CHGIND: U unchanged, S split, M merged, X irregular. The mirror lacks 4 English "
              "LSOA11s.",
        options={"from": "lsoa01", "to": "lsoa11"}),
    Source(
        id="lookup_lsoa11_lsoa21", kind="lsoa_lookup", publisher=ONS,
        title="LSOA (2011) to LSOA (2021) to LAD (2022) Lookup for England and Wales",
        url=_arcgis("LSOA11_LSOA21_LAD22_EW_LU",
                    "F_LSOA11CD,LSOA11NM,LSOA21CD,LSOA21NM,CHGIND,LAD22CD,LAD22NM", "json"),
        landing_page=f"{_GEOPORTAL}/search?q=LSOA11_LSOA21_LAD22_EW_LU",
        file="lookup_lsoa11_lsoa21_lad22_eng.csv", format="csv", geography="lsoa11",
        expected_rows=33_855, live_format="arcgis_table",
        live_file="lookup_lsoa11_lsoa21_lad22_ew.csv",
        notes="CHGIND: U unchanged, S split, M merged, X irregular. The live column is "
              "F_LSOA11CD.",
        options={"from": "lsoa11", "to": "lsoa21"}),
    Source(
        id="lookup_lsoa11_msoa11_lad", kind="area_lookup", publisher=ONS,
        title="LSOA (2011) to MSOA (2011) to LAD lookup (from OA11_LSOA11_MSOA11_LAD11 and "
              "LSOA11_WD_LAD)",
        url=_arcgis("OA11_LSOA11_MSOA11_LAD11_EW_LUv2",
                    "LSOA11CD,LSOA11NM,MSOA11CD,MSOA11NM,LAD11CD,LAD11NM", "json"),
        landing_page=f"{_GEOPORTAL}/search?q=OA11_LSOA11_MSOA11_LAD11_EW_LU",
        file="lookup_lsoa11_msoa11_lad_eng.csv", format="csv", geography="lsoa11",
        expected_rows=32_844, live_format="arcgis_table",
        live_file="lookup_oa11_lsoa11_msoa11_lad11_ew.csv",
        notes="The live lookup is by output area (one row per OA); rows are reduced to one per "
              "LSOA on load. Ward names are absent from the mirror."),
    Source(
        id="lookup_lsoa21_msoa21_lad", kind="area_lookup", publisher=ONS,
        title="LSOA (2021) to MSOA (2021), ward (2024) and LAD (2024) lookup (from "
              "OA_LSOA_MSOA_EW_DEC_2021_LU and LSOA21_WD24_LAD24_EW_LU)",
        url=_arcgis("LSOA21_WD24_LAD24_EW_LU", "LSOA21CD,LSOA21NM,WD24CD,WD24NM,LAD24CD,LAD24NM",
                    "json"),
        landing_page=f"{_GEOPORTAL}/search?q=LSOA21_WD24_LAD24_EW_LU",
        file="lookup_lsoa21_msoa21_lad_eng.csv", format="csv", geography="lsoa21",
        expected_rows=33_755, live_format="arcgis_table",
        live_file="lookup_lsoa21_wd24_lad24_ew.csv",
        notes="The live LSOA21_WD24_LAD24 lookup has no MSOA columns; MSOA codes then come "
              "from the boundary names."),
    Source(
        id="lookup_lad_region", kind="lad_region", publisher=ONS,
        title="Local Authority District to Region (England) lookups, 2019 and 2021-2024",
        url=_arcgis("LAD24_RGN24_EN_LU", "LAD24CD,LAD24NM,RGN24CD,RGN24NM", "json"),
        landing_page=f"{_GEOPORTAL}/search?q=LAD24_RGN24_EN_LU",
        file="lookup_lad_rgn_eng.csv", format="csv", geography="lad",
        expected_rows=1_527, live_format="arcgis_table", live_file="lookup_lad24_rgn24_en.csv",
        notes="The mirror is in long format (LAD_VINTAGE, LADCD, ...); the live 2024 table has "
              "LAD24CD/RGN24CD columns. Both are read."),
    # --- Places: postcodes and the names people know (after the lookups: checked against them)
    Source(
        id="nspl21_lsoa21", kind="postcode", publisher=ONS,
        title="National Statistics Postcode Lookup (2021 Census geographies), August 2024",
        url=f"https://www.arcgis.com/sharing/rest/content/items/{_NSPL_ITEM}/data",
        landing_page=f"{_GEOPORTAL}/datasets/{_NSPL_ITEM}",
        file="NSPL21_AUG_2024_UK.zip", format="zip", geography="lsoa21",
        expected_rows=2_203_137, attribution=NSPL_ATTRIBUTION,
        notes="A zip whose Data/ folder holds NSPL21_AUG_2024_UK.csv, read from the zip without "
              "extracting. The live file covers the UK with every NSPL column; the mirror keeps "
              "pcds, laua, ward and lsoa21 of English postcodes only, lacks central London "
              "districts whose outward code ends in a letter (EC1A, WC2N, W1x, SW1x, ...) and "
              "has no doterm, so terminated postcodes are not marked.",
        options={"member": "Data/NSPL21_AUG_2024_UK.csv"}),
    Source(
        id="msoa_names_2021", kind="msoa_names", publisher=HOC_LIBRARY,
        title="MSOA Names 2.2 (friendly names of 2021 MSOAs)",
        url="https://houseofcommonslibrary.github.io/msoanames/MSOA-Names-2.2.csv",
        landing_page="https://houseofcommonslibrary.github.io/msoanames/",
        file="MSOA-Names-2.2.csv", format="csv", geography="msoa21", expected_rows=6_856,
        licence=OPL, attribution=OPL_ATTRIBUTION,
        notes="Names such as 'Ashburton & Buckfastleigh' for 2021 MSOAs (7,264 rows, 6,856 "
              "English; Welsh rows are dropped). The file's council names predate the 2023 "
              "mergers, so names are joined on the MSOA code and the current council comes "
              "from the ONS lookups; 60 names repeat across England. UTF-8 with a BOM. The "
              "latest edition is MSOA-Names-Latest2.csv."),
    Source(
        id="msoa_names_2011", kind="msoa_names", publisher=HOC_LIBRARY,
        title="MSOA Names 1.20 (friendly names of 2011 MSOAs)",
        url="https://houseofcommonslibrary.github.io/msoanames/MSOA-Names-1.20.csv",
        landing_page="https://houseofcommonslibrary.github.io/msoanames/",
        file="MSOA-Names-1.20.csv", format="csv", geography="msoa11", expected_rows=6_791,
        licence=OPL, attribution=OPL_ATTRIBUTION,
        notes="Friendly names of 2011 MSOAs (7,201 rows, 6,791 English), for releases on 2011 "
              "LSOAs. UTF-8 with a BOM. The latest edition is MSOA-Names-Latest.csv."),
    # --- Rural-Urban Classification ---------------------------------------------------------
    Source(
        id="ruc2011_lsoa11", kind="ruc_lsoa", publisher=DEFRA_ONS,
        title="Rural Urban Classification (2011) of Lower Layer Super Output Areas in England "
              "and Wales",
        url=_arcgis("RUC11_LSOA11_EW", "LSOA11CD,LSOA11NM,RUC11CD,RUC11", "json"),
        landing_page="https://www.gov.uk/government/collections/rural-urban-classification",
        file="ruc2011_lsoa11_eng.csv", format="csv", geography="lsoa11", expected_rows=32_844,
        live_format="arcgis_table", live_file="ruc2011_lsoa11_ew.csv",
        notes="Classes A1 (urban major conurbation) to E2 (rural village and dispersed in a "
              "sparse setting)."),
    Source(
        id="ruc2021_lsoa21", kind="ruc_lsoa", publisher=ONS,
        title="LSOA (2021) to Rural Urban Classification (2021) Lookup in England and Wales",
        url=_arcgis("LSOA21_RUC21_EW_LU", "LSOA21CD,LSOA21NM,RUC21CD,RUC21NM,Urban_rural_flag",
                    "json"),
        landing_page=f"{_GEOPORTAL}/search?q=LSOA21_RUC21_EW_LU",
        file="ruc2021_lsoa21_eng.csv", format="csv", geography="lsoa21", expected_rows=33_755,
        live_format="arcgis_table", live_file="ruc2021_lsoa21_ew.csv"),
    Source(
        id="ruc2011_lad11", kind="ruc_lad", publisher=DEFRA_ONS,
        title="Rural Urban Classification (2011) of Local Authority Districts in England",
        url="https://assets.publishing.service.gov.uk/media/5a7f5e2540f0b6230268e84b/"
            "RUC11_LAD11_ENv2.csv",
        landing_page="https://www.gov.uk/government/statistics/2011-rural-urban-classification-"
                     "of-local-authority-and-other-higher-level-geographies-for-statistical-"
                     "purposes",
        file="ruc2011_lad11_eng.csv", format="csv", geography="lad11", expected_rows=326),
    Source(
        id="ruc2021_lad24", kind="ruc_lad", publisher=ONS,
        title="Rural Urban Classification (2021) of Local Authority Districts (2024) in England",
        url=_arcgis("LAD24_RUC21_EN_LU", "LAD24CD,LAD24NM,RUC21CD,RUC21NM,Urban_rural_flag",
                    "json"),
        landing_page=f"{_GEOPORTAL}/search?q=LAD24_RUC21",
        file="ruc2021_lad24_eng.csv", format="csv", geography="lad24", expected_rows=296,
        live_format="arcgis_table", live_file="ruc2021_lad24_en.csv"),
    # --- Life expectancy ------------------------------------------------------------------
    Source(
        id="fingertips_90366_le_ltla", kind="health", publisher=OHID,
        title="Life expectancy at birth (Fingertips indicator 90366), lower-tier local "
              "authorities",
        url=_fingertips(90366, 501),
        landing_page="https://fingertips.phe.org.uk/search/90366",
        file="fingertips_90366_life_expectancy_at_birth_ltla.csv", format="csv",
        geography="ltla", expected_rows=5_516,
        notes="The mirror lacks confidence intervals and counts (values rounded to 1 dp).",
        options={"indicator_id": 90366}),
    Source(
        id="fingertips_92901_sii_le_ltla", kind="health", publisher=OHID,
        title="Inequality in life expectancy at birth: Slope Index of Inequality (Fingertips "
              "indicator 92901), lower-tier local authorities",
        url=_fingertips(92901, 501),
        landing_page="https://fingertips.phe.org.uk/search/92901",
        file="fingertips_92901_sii_life_expectancy_ltla.csv", format="csv", geography="ltla",
        expected_rows=4_752, notes="The mirror lacks confidence intervals.",
        options={"indicator_id": 92901}),
    Source(
        id="fingertips_90362_hle_utla", kind="health", publisher=OHID,
        title="Healthy life expectancy at birth (Fingertips indicator 90362), upper-tier local "
              "authorities",
        url=_fingertips(90362, 502),
        landing_page="https://fingertips.phe.org.uk/search/90362",
        file="fingertips_90362_healthy_life_expectancy_ua.csv", format="csv", geography="utla",
        expected_rows=2_128, notes="The mirror lacks county councils (E10).",
        options={"indicator_id": 90362}),
    Source(
        id="ons_le_local_areas_2021_23", kind="health", publisher=ONS,
        title="Life expectancy for local areas of the UK (at birth)",
        url="https://www.ons.gov.uk/file?uri=/peoplepopulationandcommunity/healthandsocialcare/"
            "healthandlifeexpectancies/datasets/lifeexpectancyforlocalareasofgreatbritain/"
            "current/lifeexpectancylocalareas.xlsx",
        landing_page="https://www.ons.gov.uk/peoplepopulationandcommunity/healthandsocialcare/"
                     "healthandlifeexpectancies/datasets/lifeexpectancyforlocalareasofgreatbritain",
        file="ons_le_local_areas_uk_2021-23_at_birth.csv", format="csv", geography="ltla",
        expected_rows=944, live_format="xlsx", live_file="lifeexpectancylocalareas.xlsx",
        notes="The mirror holds the 2021 to 2023 slice at birth; the live workbook (sheet 1, "
              "header row 6) holds every period and age band, filtered to age <1 on load.",
        options={"indicator_id": "ons_le", "sheet": 1, "header_row": 6}),
    # --- Live only: small-area life expectancy (Local Health) --------------------------------
    Source(
        id="fingertips_93283_le_male_msoa", kind="health", publisher=OHID,
        title="Life expectancy at birth, males (Local Health indicator 93283), MSOA",
        url=_fingertips(93283, 3, 101),
        landing_page="https://fingertips.phe.org.uk/profile/local-health",
        file="fingertips_93283_le_male_msoa.csv", format="csv", geography="msoa11",
        expected_rows=None, in_mirror=False,
        notes="Not in the offline mirror; loaded only from the live Fingertips API.",
        options={"indicator_id": 93283}),
    Source(
        id="fingertips_93285_le_female_msoa", kind="health", publisher=OHID,
        title="Life expectancy at birth, females (Local Health indicator 93285), MSOA",
        url=_fingertips(93285, 3, 101),
        landing_page="https://fingertips.phe.org.uk/profile/local-health",
        file="fingertips_93285_le_female_msoa.csv", format="csv", geography="msoa11",
        expected_rows=None, in_mirror=False,
        notes="Not in the offline mirror; loaded only from the live Fingertips API.",
        options={"indicator_id": 93285}),
)

BY_ID: dict[str, Source] = {s.id: s for s in SOURCES}

@dataclass(frozen=True)
class Release:
    """One English Indices of Deprivation release, as the catalogue declares it.

    ``geography`` is the LSOA vintage its rows are keyed on (lsoa01, lsoa11, lsoa21); ``lad``
    the local-authority vintage it was published with (MHCLG's summaries rank those).
    """

    id: str
    year: int
    source: str
    geography: str
    lad: str

    @property
    def label(self) -> str:
        return f"IoD {self.year}"


#: The release registry, oldest first, derived from the catalogue's IoD sources: adding a
#: release is adding its ``_iod(...)`` entry above (and its header map in readers/iod.py).
RELEASES: dict[str, Release] = {
    r.id: r for r in sorted((Release(s.release, s.options["year"], s.id, s.geography,
                                     s.options["lad"]) for s in SOURCES if s.kind == "iod"),
                            key=lambda r: r.year)}


def get(source_id: str) -> Source:
    """Return the source with this id, or raise a ``KeyError`` that lists the valid ids."""
    try:
        return BY_ID[source_id]
    except KeyError:
        raise KeyError(
            f"unknown source id {source_id!r}; the catalogue has: {', '.join(BY_ID)} "
            "(see `python -m inequality sources`)"
        ) from None
