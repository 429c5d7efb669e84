-- The inequality database: long, tidy tables keyed by release and code.
-- Names carry the boundary vintage (lsoa01, lsoa11, lsoa21, lad24). Decile 1 = most deprived.
-- Written only by `python -m inequality build`, into a new file that atomically replaces the old.

CREATE TABLE build_info (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR
);
COMMENT ON TABLE build_info IS 'Facts about this build: schema version, when it ran, from where (mirror or live).';
COMMENT ON COLUMN build_info.key IS 'Name of the fact, e.g. schema_version, built_at, origin.';
COMMENT ON COLUMN build_info.value IS 'Its value, as text.';

CREATE TABLE load_log (
    source_id       VARCHAR NOT NULL,
    file            VARCHAR,
    sha256          VARCHAR,
    rows            BIGINT,
    missing_columns VARCHAR[],
    status          VARCHAR NOT NULL,
    message         VARCHAR,
    loaded_at       TIMESTAMP
);
COMMENT ON TABLE load_log IS 'One row per catalogue source: what was loaded from which file, its checksum, and which optional official columns it lacked.';
COMMENT ON COLUMN load_log.source_id IS 'Catalogue id (inequality.etl.sources), also the mirror folder name.';
COMMENT ON COLUMN load_log.file IS 'File name read, under data/raw/<source_id>/.';
COMMENT ON COLUMN load_log.sha256 IS 'SHA-256 of the file read; an unchanged build compares these and does nothing.';
COMMENT ON COLUMN load_log.rows IS 'Rows loaded from the file (after dropping non-English rows where the source covers England and Wales).';
COMMENT ON COLUMN load_log.missing_columns IS 'Optional official columns absent from the file; measures needing them are reported as not available for the release.';
COMMENT ON COLUMN load_log.status IS 'loaded, or skipped (e.g. a live-only source when building from a mirror).';
COMMENT ON COLUMN load_log.message IS 'Why a source was skipped, or notes on the load.';
COMMENT ON COLUMN load_log.loaded_at IS 'When the source was loaded (UTC).';

CREATE TABLE derive_log (
    step        VARCHAR NOT NULL,
    version     VARCHAR NOT NULL,
    input_key   VARCHAR NOT NULL,
    inputs      VARCHAR[],
    seconds     DOUBLE,
    built_at    TIMESTAMP
);
COMMENT ON TABLE derive_log IS 'One row per derived build step (inequality.etl.derive.DERIVED_STEPS): the key of the inputs it was computed from; a build recomputes a step only when this key changes.';
COMMENT ON COLUMN derive_log.step IS 'Step name, e.g. core, spatial_lsoa11.';
COMMENT ON COLUMN derive_log.version IS 'Code version of the step; bumping it makes the next build recompute the step.';
COMMENT ON COLUMN derive_log.input_key IS 'SHA-256 of the step name, its version, the SHA-256 (load_log) of each input file and the keys of the steps it reads.';
COMMENT ON COLUMN derive_log.inputs IS 'Catalogue ids of the sources the step reads.';
COMMENT ON COLUMN derive_log.seconds IS 'Seconds the step took when it was computed.';
COMMENT ON COLUMN derive_log.built_at IS 'When the step was computed (UTC); a reused step keeps the time it was computed.';

CREATE TABLE release (
    release         VARCHAR PRIMARY KEY,
    year            INTEGER NOT NULL,
    geography       VARCHAR NOT NULL,
    lad_vintage     VARCHAR NOT NULL,
    source_id       VARCHAR NOT NULL,
    lsoa_count      INTEGER NOT NULL,
    decile_derived  BOOLEAN NOT NULL,
    has_population  BOOLEAN NOT NULL
);
COMMENT ON TABLE release IS 'English Indices of Deprivation releases loaded, each on its own LSOA geography.';
COMMENT ON COLUMN release.release IS 'Release id: iod2010, iod2015, iod2019, iod2025.';
COMMENT ON COLUMN release.year IS 'Year of publication.';
COMMENT ON COLUMN release.geography IS 'LSOA boundary vintage the release is published on: lsoa01, lsoa11 or lsoa21.';
COMMENT ON COLUMN release.lad_vintage IS 'Local authority boundaries the release was published with (lad09, lad13, lad19, lad24).';
COMMENT ON COLUMN release.source_id IS 'Catalogue id of the File 7 it was loaded from.';
COMMENT ON COLUMN release.lsoa_count IS 'Number of LSOAs ranked nationally (N in decile = ceil(10 x rank / N)).';
COMMENT ON COLUMN release.decile_derived IS 'True where the release publishes no deciles and they were derived as ceil(10 x rank / N) (IoD 2010).';
COMMENT ON COLUMN release.has_population IS 'True where the file held the population denominators needed by population-weighted measures.';

CREATE TABLE measure (
    measure     VARCHAR PRIMARY KEY,
    label       VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,
    parent      VARCHAR,
    sort_order  INTEGER NOT NULL
);
COMMENT ON TABLE measure IS 'The indices, domains, supplementary indices and sub-domains of the IoD.';
COMMENT ON COLUMN measure.measure IS 'Measure id, e.g. imd, income, geographical_barriers.';
COMMENT ON COLUMN measure.label IS 'Official name, e.g. Index of Multiple Deprivation (IMD).';
COMMENT ON COLUMN measure.kind IS 'index, domain, supplementary (IDACI, IDAOPI) or subdomain.';
COMMENT ON COLUMN measure.parent IS 'For a sub-domain, the domain it belongs to.';
COMMENT ON COLUMN measure.sort_order IS 'Display order.';

CREATE TABLE deprivation (
    release     VARCHAR NOT NULL,
    lsoa_code   VARCHAR NOT NULL,
    measure     VARCHAR NOT NULL,
    score       DOUBLE,
    rank        INTEGER,
    decile      TINYINT
);
COMMENT ON TABLE deprivation IS 'Key: (release, lsoa_code, measure), unique (checked on load). Every published score, national rank and decile of every LSOA, one row per release, LSOA and measure.';
COMMENT ON COLUMN deprivation.release IS 'Release id (release.release).';
COMMENT ON COLUMN deprivation.lsoa_code IS 'LSOA code on the release geography (lsoa01 for iod2010, lsoa11 for iod2015/2019, lsoa21 for iod2025).';
COMMENT ON COLUMN deprivation.measure IS 'Measure id (measure.measure).';
COMMENT ON COLUMN deprivation.score IS 'Published score (a rate for income, employment, IDACI, IDAOPI); NULL where the file lacks it.';
COMMENT ON COLUMN deprivation.rank IS 'Published national rank, 1 = most deprived; ties share a rank.';
COMMENT ON COLUMN deprivation.decile IS 'National decile, 1 = most deprived 10% of LSOAs; derived as ceil(10 x rank / N) where the release publishes none.';

CREATE TABLE population (
    release                 VARCHAR NOT NULL,
    lsoa_code               VARCHAR NOT NULL,
    total                   DOUBLE,
    children_0_15           DOUBLE,
    age_16_59               DOUBLE,
    older_60_plus           DOUBLE,
    working_age             DOUBLE
);
COMMENT ON TABLE population IS 'Key: (release, lsoa_code), unique (checked on load). Population denominators published with each release (mid-2012 for 2015, mid-2015 for 2019, mid-2022 for 2025), excluding prisoners.';
COMMENT ON COLUMN population.release IS 'Release id.';
COMMENT ON COLUMN population.lsoa_code IS 'LSOA code on the release geography.';
COMMENT ON COLUMN population.total IS 'Total population; NULL where the file lacks it.';
COMMENT ON COLUMN population.children_0_15 IS 'Dependent children aged 0-15.';
COMMENT ON COLUMN population.age_16_59 IS 'Population aged 16-59.';
COMMENT ON COLUMN population.older_60_plus IS 'Older population aged 60 and over.';
COMMENT ON COLUMN population.working_age IS 'Working-age population used by the Employment domain (18-59/64 in 2015 and 2019, 18-66 in 2025).';

CREATE TABLE iod_lsoa (
    release     VARCHAR NOT NULL,
    lsoa_code   VARCHAR NOT NULL,
    lsoa_name   VARCHAR,
    lad_code    VARCHAR NOT NULL,
    lad_name    VARCHAR
);
COMMENT ON TABLE iod_lsoa IS 'Key: (release, lsoa_code), unique (checked on load). Each LSOA of each release with the local authority it was published under (as MHCLG summarises it).';
COMMENT ON COLUMN iod_lsoa.release IS 'Release id.';
COMMENT ON COLUMN iod_lsoa.lsoa_code IS 'LSOA code on the release geography.';
COMMENT ON COLUMN iod_lsoa.lsoa_name IS 'LSOA name as published (NULL for iod2010, which has none).';
COMMENT ON COLUMN iod_lsoa.lad_code IS 'Local authority code as published (old-style 00AA codes for iod2010; LAD 2013 for 2015, 2019 for 2019, 2024 for 2025).';
COMMENT ON COLUMN iod_lsoa.lad_name IS 'Local authority name as published.';

CREATE TABLE lsoa (
    geography       VARCHAR NOT NULL,
    lsoa_code       VARCHAR NOT NULL,
    lsoa_name       VARCHAR,
    msoa_code       VARCHAR,
    msoa_name       VARCHAR,
    ward_code       VARCHAR,
    ward_name       VARCHAR,
    lad24_code      VARCHAR,
    lad24_name      VARCHAR,
    region_code     VARCHAR,
    region_name     VARCHAR,
    ruc_code        VARCHAR,
    ruc_name        VARCHAR,
    urban_rural     VARCHAR,
    lad24_method    VARCHAR
);
COMMENT ON TABLE lsoa IS 'Key: (geography, lsoa_code), unique (checked on load). Every English LSOA of each geography (lsoa01, lsoa11, lsoa21) with its MSOA, ward, current (2024) local authority and region, and rural-urban class.';
COMMENT ON COLUMN lsoa.geography IS 'LSOA boundary vintage: lsoa01, lsoa11 or lsoa21.';
COMMENT ON COLUMN lsoa.lsoa_code IS 'LSOA code (E01...).';
COMMENT ON COLUMN lsoa.lsoa_name IS 'LSOA name, e.g. Coventry 001A.';
COMMENT ON COLUMN lsoa.msoa_code IS 'MSOA (E02...) of the same vintage; NULL for lsoa01.';
COMMENT ON COLUMN lsoa.msoa_name IS 'MSOA name.';
COMMENT ON COLUMN lsoa.ward_code IS 'Electoral ward code (WD17 for lsoa11, WD24 for lsoa21; best-fit).';
COMMENT ON COLUMN lsoa.ward_name IS 'Electoral ward name where the lookup gives it (not in the mirror for lsoa11).';
COMMENT ON COLUMN lsoa.lad24_code IS 'Current (April 2024) local authority district the LSOA counts in: copied from lsoa_assignment (the one rule, inequality.geography.ASSIGNMENT_RULE).';
COMMENT ON COLUMN lsoa.lad24_name IS 'Its name.';
COMMENT ON COLUMN lsoa.region_code IS 'Region (E12...) of the 2024 authority.';
COMMENT ON COLUMN lsoa.region_name IS 'Region name.';
COMMENT ON COLUMN lsoa.ruc_code IS 'Rural-Urban Classification of the LSOA: 2011 classes (A1..E2) for lsoa11, 2021 classes for lsoa21; NULL for lsoa01.';
COMMENT ON COLUMN lsoa.ruc_name IS 'Name of the rural-urban class.';
COMMENT ON COLUMN lsoa.urban_rural IS 'Urban or Rural.';
COMMENT ON COLUMN lsoa.lad24_method IS 'How lad24_code was assigned: lsoa_assignment.method (lookup, via_lsoa21, via_lsoa11, majority, tie_best_fit, tie_lowest_code or best_fit).';

CREATE TABLE lsoa_assignment (
    geography           VARCHAR NOT NULL,
    lsoa_code           VARCHAR NOT NULL,
    lad24_code          VARCHAR,
    method              VARCHAR,
    successors          INTEGER,
    in_authority        INTEGER,
    best_fit_lad24_code VARCHAR
);
COMMENT ON TABLE lsoa_assignment IS 'Key: (geography, lsoa_code). The one current (April 2024) local authority of every LSOA of every vintage, by the rule inequality.geography.ASSIGNMENT_RULE (ONS best-fit lookups; ties broken by the ONS LSOA 2011 best-fit authority, then the lowest code). Derived at build time; lsoa.lad24_code is copied from it, so tracking, summaries by today''s authorities and transitions all use it.';
COMMENT ON COLUMN lsoa_assignment.geography IS 'LSOA boundary vintage: lsoa01, lsoa11 or lsoa21.';
COMMENT ON COLUMN lsoa_assignment.lsoa_code IS 'LSOA code (E01...).';
COMMENT ON COLUMN lsoa_assignment.lad24_code IS 'The current (April 2024) local authority the LSOA counts in, whole.';
COMMENT ON COLUMN lsoa_assignment.method IS 'How: lookup (lsoa21: ONS LSOA21 to WD24 to LAD24 best fit), via_lsoa21 / via_lsoa11 (all successors in one authority), majority (the authority holding most successors), tie_best_fit (successors split evenly; the ONS LSOA 2011 best-fit authority), tie_lowest_code (split evenly; lowest code), best_fit (no successor; the ONS LSOA 2011 best-fit authority).';
COMMENT ON COLUMN lsoa_assignment.successors IS 'Number of successor LSOAs in the ONS lookup to the next vintage (NULL for lsoa21).';
COMMENT ON COLUMN lsoa_assignment.in_authority IS 'Of those, how many lie in lad24_code (NULL for lsoa21).';
COMMENT ON COLUMN lsoa_assignment.best_fit_lad24_code IS 'The authority of the LSOA''s own ONS best-fit lookup carried to 2024 (lsoa21: LAD24; lsoa11: LAD21 to LAD24; NULL for lsoa01, whose lookup names none).';

CREATE TABLE lsoa_change (
    from_geography  VARCHAR NOT NULL,
    from_code       VARCHAR NOT NULL,
    from_name       VARCHAR,
    to_geography    VARCHAR NOT NULL,
    to_code         VARCHAR NOT NULL,
    to_name         VARCHAR,
    chgind          VARCHAR NOT NULL
);
COMMENT ON TABLE lsoa_change IS 'ONS best-fit lookups between LSOA vintages (2001 to 2011, 2011 to 2021).';
COMMENT ON COLUMN lsoa_change.from_geography IS 'Older vintage: lsoa01 or lsoa11.';
COMMENT ON COLUMN lsoa_change.from_code IS 'LSOA code in the older vintage.';
COMMENT ON COLUMN lsoa_change.from_name IS 'LSOA name in the older vintage.';
COMMENT ON COLUMN lsoa_change.to_name IS 'LSOA name in the newer vintage.';
COMMENT ON COLUMN lsoa_change.to_geography IS 'Newer vintage: lsoa11 or lsoa21.';
COMMENT ON COLUMN lsoa_change.to_code IS 'LSOA code in the newer vintage.';
COMMENT ON COLUMN lsoa_change.chgind IS 'ONS change indicator: U unchanged, S split, M merged, X irregular (redesigned).';

CREATE TABLE lad (
    lad_vintage VARCHAR NOT NULL,
    lad_code    VARCHAR NOT NULL,
    lad_name    VARCHAR NOT NULL,
    region_code VARCHAR,
    region_name VARCHAR,
    PRIMARY KEY (lad_vintage, lad_code)
);
COMMENT ON TABLE lad IS 'English local authority districts of each vintage with their region (ONS LAD to region lookups).';
COMMENT ON COLUMN lad.lad_vintage IS 'lad19, lad21, lad22, lad23 or lad24.';
COMMENT ON COLUMN lad.lad_code IS 'GSS code (E06, E07, E08, E09).';
COMMENT ON COLUMN lad.lad_name IS 'Authority name.';
COMMENT ON COLUMN lad.region_code IS 'Region (E12).';
COMMENT ON COLUMN lad.region_name IS 'Region name.';

CREATE TABLE lad_change (
    release         VARCHAR NOT NULL,
    from_code       VARCHAR NOT NULL,
    from_name       VARCHAR,
    lad24_code      VARCHAR NOT NULL,
    lsoa_count      INTEGER NOT NULL,
    from_lsoa_count INTEGER NOT NULL,
    to_lsoa_count   INTEGER NOT NULL
);
COMMENT ON TABLE lad_change IS 'How the authorities a release was published with map to current (2024) authorities, counted in LSOAs of that release.';
COMMENT ON COLUMN lad_change.release IS 'Release id.';
COMMENT ON COLUMN lad_change.from_code IS 'Authority code as published in the release.';
COMMENT ON COLUMN lad_change.from_name IS 'Authority name as published.';
COMMENT ON COLUMN lad_change.lad24_code IS 'Current authority the LSOAs now lie in.';
COMMENT ON COLUMN lad_change.lsoa_count IS 'LSOAs of the release in both from_code and lad24_code.';
COMMENT ON COLUMN lad_change.from_lsoa_count IS 'All LSOAs of the release in from_code.';
COMMENT ON COLUMN lad_change.to_lsoa_count IS 'All LSOAs of the release in lad24_code; equal to both counts where the boundary is unchanged.';

CREATE TABLE rural_urban (
    geography   VARCHAR NOT NULL,
    area_code   VARCHAR NOT NULL,
    ruc_code    VARCHAR,
    ruc_name    VARCHAR,
    broad_class VARCHAR,
    PRIMARY KEY (geography, area_code)
);
COMMENT ON TABLE rural_urban IS 'Rural-Urban Classification of LSOAs (2011, 2021) and local authorities (2011 on LAD11, 2021 on LAD24).';
COMMENT ON COLUMN rural_urban.geography IS 'lsoa11, lsoa21, lad11 or lad24.';
COMMENT ON COLUMN rural_urban.area_code IS 'GSS code of the LSOA or authority.';
COMMENT ON COLUMN rural_urban.ruc_code IS 'Class code (A1..E2 for 2011 LSOAs; UN1, RSN... for 2021; 1..6 for 2011 LAs).';
COMMENT ON COLUMN rural_urban.ruc_name IS 'Class name.';
COMMENT ON COLUMN rural_urban.broad_class IS 'Urban/Rural (LSOAs) or the broad LA class (e.g. Predominantly Rural).';

CREATE TABLE boundary (
    geography        VARCHAR NOT NULL,
    code             VARCHAR NOT NULL,
    name             VARCHAR,
    geometry         BLOB NOT NULL,
    geometry_display BLOB NOT NULL,
    crs              VARCHAR NOT NULL,
    centroid_lon     DOUBLE,
    centroid_lat     DOUBLE,
    min_lon          DOUBLE,
    min_lat          DOUBLE,
    max_lon          DOUBLE,
    max_lat          DOUBLE
);
COMMENT ON TABLE boundary IS 'Key: (geography, code), unique (checked on load). Boundaries of English LSOAs and MSOAs (2011, 2021) as WKB in EPSG:4326, with simplified display geometry precomputed at build time.';
COMMENT ON COLUMN boundary.geography IS 'lsoa11, lsoa21, msoa11 or msoa21.';
COMMENT ON COLUMN boundary.code IS 'GSS code of the area.';
COMMENT ON COLUMN boundary.name IS 'Area name.';
COMMENT ON COLUMN boundary.geometry IS 'Polygon or multipolygon as WKB, as published (generalised clipped), CRS in column crs.';
COMMENT ON COLUMN boundary.geometry_display IS 'WKB simplified for authority maps (Douglas-Peucker, tolerance 0.0002 degrees, about 15 m; the original where that would erase the area).';
COMMENT ON COLUMN boundary.crs IS 'Coordinate reference system of the geometry columns (EPSG:4326).';
COMMENT ON COLUMN boundary.centroid_lon IS 'Longitude of a representative point inside the area.';
COMMENT ON COLUMN boundary.centroid_lat IS 'Latitude of that point.';
COMMENT ON COLUMN boundary.min_lon IS 'Bounding box: west.';
COMMENT ON COLUMN boundary.min_lat IS 'Bounding box: south.';
COMMENT ON COLUMN boundary.max_lon IS 'Bounding box: east.';
COMMENT ON COLUMN boundary.max_lat IS 'Bounding box: north.';

CREATE TABLE health_indicator (
    source_id       VARCHAR NOT NULL,
    indicator_id    VARCHAR NOT NULL,
    indicator_name  VARCHAR NOT NULL,
    area_code       VARCHAR NOT NULL,
    area_name       VARCHAR,
    area_type       VARCHAR,
    sex             VARCHAR NOT NULL,
    age             VARCHAR,
    period          VARCHAR NOT NULL,
    period_start    INTEGER,
    period_end      INTEGER,
    value           DOUBLE,
    lci95           DOUBLE,
    uci95           DOUBLE,
    count           DOUBLE,
    denominator     DOUBLE,
    value_note      VARCHAR
);
COMMENT ON TABLE health_indicator IS 'Life expectancy, its Slope Index of Inequality and healthy life expectancy by area, sex and period (OHID Fingertips, ONS).';
COMMENT ON COLUMN health_indicator.source_id IS 'Catalogue id the row came from.';
COMMENT ON COLUMN health_indicator.indicator_id IS 'Fingertips indicator id (90366, 92901, 90362, ...) or ons_le for the ONS local-area table.';
COMMENT ON COLUMN health_indicator.indicator_name IS 'Indicator name as published.';
COMMENT ON COLUMN health_indicator.area_code IS 'Area code exactly as the source publishes it (Fingertips keeps E08000016/E08000019 for Barnsley/Sheffield).';
COMMENT ON COLUMN health_indicator.area_name IS 'Area name as published.';
COMMENT ON COLUMN health_indicator.area_type IS 'Area type as published (e.g. England, Region, UA, District, Local Areas).';
COMMENT ON COLUMN health_indicator.sex IS 'Male, Female or Persons.';
COMMENT ON COLUMN health_indicator.age IS 'Age band as published (All ages, <1).';
COMMENT ON COLUMN health_indicator.period IS 'Time period as published (e.g. 2021 - 23).';
COMMENT ON COLUMN health_indicator.period_start IS 'First year of the period.';
COMMENT ON COLUMN health_indicator.period_end IS 'Last year of the period.';
COMMENT ON COLUMN health_indicator.value IS 'Value in years; NULL where suppressed or not published (never zero-filled).';
COMMENT ON COLUMN health_indicator.lci95 IS 'Lower 95% confidence limit where the source gives it.';
COMMENT ON COLUMN health_indicator.uci95 IS 'Upper 95% confidence limit where the source gives it.';
COMMENT ON COLUMN health_indicator.count IS 'Count (deaths) where given.';
COMMENT ON COLUMN health_indicator.denominator IS 'Denominator where given.';
COMMENT ON COLUMN health_indicator.value_note IS 'Source note on the value (e.g. suppression).';

CREATE TABLE area_lookup (
    geography    VARCHAR NOT NULL,
    lsoa_code    VARCHAR NOT NULL,
    lsoa_name    VARCHAR,
    msoa_code    VARCHAR,
    msoa_name    VARCHAR,
    ward_code    VARCHAR,
    ward_name    VARCHAR,
    lad_code     VARCHAR,
    lad_vintage  VARCHAR,
    lad24_code   VARCHAR,
    lad24_name   VARCHAR
);
COMMENT ON TABLE area_lookup IS 'Key: (geography, lsoa_code), unique (checked on load). ONS LSOA to MSOA, ward and authority lookups as loaded (one row per LSOA); the lsoa table is derived from it.';
COMMENT ON COLUMN area_lookup.geography IS 'lsoa11 or lsoa21.';
COMMENT ON COLUMN area_lookup.lsoa_code IS 'LSOA code.';
COMMENT ON COLUMN area_lookup.lsoa_name IS 'LSOA name.';
COMMENT ON COLUMN area_lookup.msoa_code IS 'MSOA code of the same vintage.';
COMMENT ON COLUMN area_lookup.msoa_name IS 'MSOA name.';
COMMENT ON COLUMN area_lookup.ward_code IS 'Ward code (WD17 for lsoa11, WD24 for lsoa21).';
COMMENT ON COLUMN area_lookup.ward_name IS 'Ward name where the lookup gives it.';
COMMENT ON COLUMN area_lookup.lad_code IS 'Authority code of the vintage in lad_vintage.';
COMMENT ON COLUMN area_lookup.lad_vintage IS 'Vintage of lad_code: lad21 (lsoa11 lookups) or lad22 (lsoa21 lookups).';
COMMENT ON COLUMN area_lookup.lad24_code IS 'April 2024 authority, where the lookup gives it (lsoa21).';
COMMENT ON COLUMN area_lookup.lad24_name IS 'Its name.';

CREATE TABLE lsoa_neighbour (
    geography       VARCHAR NOT NULL,
    lsoa_code       VARCHAR NOT NULL,
    neighbour_code  VARCHAR NOT NULL,
    attached        BOOLEAN NOT NULL
    -- key (geography, lsoa_code, neighbour_code): checked by the build, not indexed
);
COMMENT ON TABLE lsoa_neighbour IS 'Queen-contiguity neighbours of every LSOA on the national boundary set (libpysal Queen), computed at build time; symmetric, one row per direction. Key: geography, lsoa_code, neighbour_code. The key is unique (the build checks it) but not indexed: a key index made replacing a vintage''s rows take seconds (issue 15).';
COMMENT ON COLUMN lsoa_neighbour.geography IS 'Boundary vintage: lsoa11 or lsoa21.';
COMMENT ON COLUMN lsoa_neighbour.lsoa_code IS 'LSOA code.';
COMMENT ON COLUMN lsoa_neighbour.neighbour_code IS 'An LSOA whose boundary touches it (at least one shared point), across authority borders.';
COMMENT ON COLUMN lsoa_neighbour.attached IS 'True where the LSOA had no contiguous neighbour (an island such as the Isles of Scilly) and was joined to its nearest LSOA (libpysal attach_islands, k = 1 nearest representative point).';

CREATE TABLE lisa (
    release         VARCHAR NOT NULL,
    lsoa_code       VARCHAR NOT NULL,
    measure         VARCHAR NOT NULL,
    basis           VARCHAR NOT NULL,
    value           DOUBLE,
    neighbour_mean  DOUBLE,
    local_i         DOUBLE,
    quadrant        VARCHAR,
    p_sim           DOUBLE,
    q_value         DOUBLE,
    permutations    INTEGER NOT NULL,
    seed            INTEGER NOT NULL
    -- key (release, lsoa_code, measure): checked by the build, not indexed
);
COMMENT ON TABLE lisa IS 'Local Moran''s I (esda.Moran_Local) of every LSOA in England for the IMD and the Income domain, on national queen-contiguity weights (lsoa_neighbour), row-standardised; computed at build time for releases with boundaries (lsoa11, lsoa21). Key: release, lsoa_code, measure. The key is unique (the build checks it) but not indexed: a key index made replacing a release''s rows take seconds (issue 15).';
COMMENT ON COLUMN lisa.release IS 'Release id.';
COMMENT ON COLUMN lisa.lsoa_code IS 'LSOA code on the release geography.';
COMMENT ON COLUMN lisa.measure IS 'Measure id (measure.measure).';
COMMENT ON COLUMN lisa.basis IS 'What was tested: score (the published score) or inverted_rank (N + 1 - national rank, where the release as loaded has no scores); higher = more deprived either way.';
COMMENT ON COLUMN lisa.value IS 'The value tested (score, or N + 1 - rank).';
COMMENT ON COLUMN lisa.neighbour_mean IS 'Mean of the neighbours'' values (the row-standardised spatial lag).';
COMMENT ON COLUMN lisa.local_i IS 'Local Moran''s I (Anselin 1995).';
COMMENT ON COLUMN lisa.quadrant IS 'Moran scatterplot quadrant: HH deprived among deprived, LH less deprived among deprived, LL less deprived among less deprived, HL deprived among less deprived (a pocket).';
COMMENT ON COLUMN lisa.p_sim IS 'Pseudo p-value from conditional permutation, (M + 1) / (permutations + 1).';
COMMENT ON COLUMN lisa.q_value IS 'Benjamini-Hochberg false-discovery-rate q-value over all LSOAs of England; areas recompute q over their own LSOAs.';
COMMENT ON COLUMN lisa.permutations IS 'Number of conditional permutations (999).';
COMMENT ON COLUMN lisa.seed IS 'Random seed of the permutations, so the result is reproducible.';

CREATE TABLE postcode (
    postcode      VARCHAR NOT NULL,
    lsoa21_code   VARCHAR,
    lad24_code    VARCHAR,
    ward_code     VARCHAR,
    country_code  VARCHAR NOT NULL,
    terminated    VARCHAR
);
COMMENT ON TABLE postcode IS 'Key: postcode, unique (checked on load). ONS National Statistics Postcode Lookup (2021 geographies, August 2024): every postcode with the 2021 LSOA, authority and ward it lies in. English postcodes carry their areas; postcodes elsewhere in the UK (live file only) carry only their country, so they can be reported as outside England. Rows keep the file''s order (NSPL is published sorted by postcode), so a point lookup reads one row group.';
COMMENT ON COLUMN postcode.postcode IS 'Postcode as NSPL pcds writes it: outward code, one space, inward code (TQ11 0AA). Inputs are matched after normalising case and white space.';
COMMENT ON COLUMN postcode.lsoa21_code IS 'LSOA 2021 (E01) the postcode lies in (NSPL lsoa21, through its 2021 output area); every code is in the ONS LSOA 2021 lookup (checked on load). NULL outside England or where NSPL gives a pseudo code (no grid reference).';
COMMENT ON COLUMN postcode.lad24_code IS 'Local authority of the postcode itself (NSPL laua, the April 2024 authorities); in 96 English postcodes it differs from the authority of its LSOA (postcodes across a boundary).';
COMMENT ON COLUMN postcode.ward_code IS 'Electoral ward of the postcode itself (NSPL ward, E05); may differ from the best-fit ward of its LSOA in the lsoa table.';
COMMENT ON COLUMN postcode.country_code IS 'Country: E92000001 England, W92000004 Wales, S92000003 Scotland, N92000002 Northern Ireland, L93000001 Channel Islands, M83000003 Isle of Man (NSPL ctry; derived from the LSOA code where the file lacks ctry).';
COMMENT ON COLUMN postcode.terminated IS 'Year and month the postcode was terminated (NSPL doterm, YYYYMM); NULL for live postcodes and where the file lacks doterm (the offline mirror), so a NULL does not prove a postcode is live.';

CREATE TABLE msoa_names (
    geography   VARCHAR NOT NULL,
    msoa_code   VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    name_welsh  VARCHAR,
    ons_name    VARCHAR,
    PRIMARY KEY (geography, msoa_code)
);
COMMENT ON TABLE msoa_names IS 'House of Commons Library MSOA Names (Open Parliament Licence v3.0): a friendly name for every English MSOA, such as Ashburton & Buckfastleigh. 60 names repeat across England, so show the council (lsoa.lad24_name, joined on the code) beside a name.';
COMMENT ON COLUMN msoa_names.geography IS 'MSOA boundary vintage: msoa21 (MSOA Names 2.x) or msoa11 (MSOA Names 1.x).';
COMMENT ON COLUMN msoa_names.msoa_code IS 'MSOA code (E02); every code is in the ONS LSOA to MSOA lookup of its vintage (checked on load).';
COMMENT ON COLUMN msoa_names.name IS 'Friendly name (msoa21hclnm / msoa11hclnm), e.g. Ashburton & Buckfastleigh.';
COMMENT ON COLUMN msoa_names.name_welsh IS 'Welsh-language name where given (Welsh MSOAs only, so NULL in England).';
COMMENT ON COLUMN msoa_names.ons_name IS 'ONS MSOA name as the file gives it (e.g. Teignbridge 017: authority and number).';

-- National tables computed once at build time (inequality.etl.summary_tables), so a page, the
-- CLI or a briefing looks them up instead of computing them on a visit.

CREATE TABLE area (
    area_type    VARCHAR NOT NULL,
    area_code    VARCHAR NOT NULL PRIMARY KEY,
    area_name    VARCHAR NOT NULL,
    region_code  VARCHAR,
    region_name  VARCHAR,
    sort_order   INTEGER NOT NULL
);
COMMENT ON TABLE area IS 'Key: area_code. Every place the app can show (inequality.queries.AREAS_SQL over the lsoa table): England, the nine regions and the current (April 2024) authorities.';
COMMENT ON COLUMN area.area_type IS 'england, region or lad.';
COMMENT ON COLUMN area.area_code IS 'E92000001 (England), E12 (region) or E06/E07/E08/E09 (authority) code.';
COMMENT ON COLUMN area.area_name IS 'Name.';
COMMENT ON COLUMN area.region_code IS 'Region of an authority (a region''s own code for a region; NULL for England).';
COMMENT ON COLUMN area.region_name IS 'Name of that region.';
COMMENT ON COLUMN area.sort_order IS 'Order of the pickers: England, the regions, then the authorities, each by name.';

CREATE TABLE summary (
    release    VARCHAR NOT NULL,
    basis      VARCHAR NOT NULL,
    area_code  VARCHAR NOT NULL,
    area_name  VARCHAR,
    body       BLOB NOT NULL,
    PRIMARY KEY (release, basis, area_code)
);
COMMENT ON TABLE summary IS 'Key: release, basis, area_code. Every area''s summary of a release (MHCLG''s area summary measures of the IMD and each domain, population-weighted by inequality.measures, with both rankings, notes and the reason for any measure the file cannot support), computed once by the build with inequality.services.summaries.national_summaries. It is what area_summary() returns, stored as compressed JSON; summary_value holds the same figures as rows for SQL.';
COMMENT ON COLUMN summary.release IS 'Release (iod2010 ... iod2025).';
COMMENT ON COLUMN summary.basis IS 'published: the authorities the release was published with (MHCLG''s File 10 ranking); current: the April 2024 authorities, each LSOA counted whole in one by the one assignment (lsoa_assignment); region: the nine English regions; england: England as one area (no rank).';
COMMENT ON COLUMN summary.area_code IS 'Authority (E06, E07, E08, E09), region (E12) or England (E92000001) code of the basis.';
COMMENT ON COLUMN summary.area_name IS 'Name of the area in that basis.';
COMMENT ON COLUMN summary.body IS 'The summary object as zlib-compressed UTF-8 JSON (inequality.services.summaries.decode_summary; keys documented in all_summaries): proportions are fractions, a measure that cannot be computed is null with its reason under "unavailable". Compressed so that fetching one area reads about 1.5 kB, not 17 kB.';

CREATE TABLE summary_value (
    release    VARCHAR NOT NULL,
    basis      VARCHAR NOT NULL,
    area_code  VARCHAR NOT NULL,
    area_name  VARCHAR,
    measure    VARCHAR NOT NULL,
    statistic  VARCHAR NOT NULL,
    value      DOUBLE,
    rank       INTEGER,
    n_areas    INTEGER NOT NULL
    -- key (release, basis, area_code, measure, statistic): checked by the build, not indexed
);
COMMENT ON TABLE summary_value IS 'Key: release, basis, area_code, measure, statistic (unique, checked by the build, not indexed). The summary table in tidy form for SQL users: one row per area, index or domain and summary measure. SELECT * FROM summary_value WHERE release = ''iod2019'' AND basis = ''published'' AND statistic = ''avg_score'' gives File 10''s rank of average score.';
COMMENT ON COLUMN summary_value.release IS 'Release (iod2010 ... iod2025).';
COMMENT ON COLUMN summary_value.basis IS 'As summary.basis: published, current, region or england.';
COMMENT ON COLUMN summary_value.area_code IS 'Area code of the basis.';
COMMENT ON COLUMN summary_value.area_name IS 'Name of the area in that basis.';
COMMENT ON COLUMN summary_value.measure IS 'Index or domain (measure.measure: imd, income, employment, ...).';
COMMENT ON COLUMN summary_value.statistic IS 'Summary measure (inequality.measures.SUMMARY_MEASURES: avg_rank, avg_score, prop_most_deprived_10, extent, local_concentration; for the IMD also income_scale and employment_scale).';
COMMENT ON COLUMN summary_value.value IS 'Its value: proportions as fractions; scales are estimates (rate x population, rounded to the precision the rounded rates allow); NULL where the release cannot support it (the reason is in summary.body).';
COMMENT ON COLUMN summary_value.rank IS 'Rank among the areas of the basis, 1 = most deprived (ties share the better rank); NULL for England.';
COMMENT ON COLUMN summary_value.n_areas IS 'Number of areas ranked in the basis (e.g. 317 authorities published for IoD 2019).';

CREATE TABLE decile_count (
    measure      VARCHAR NOT NULL,
    release      VARCHAR NOT NULL,
    lad24_code   VARCHAR,
    region_code  VARCHAR,
    decile       INTEGER NOT NULL,
    n            BIGINT NOT NULL
);
COMMENT ON TABLE decile_count IS 'LSOAs per measure, release, current (April 2024) authority and national decile: decile tracking''s counts (each release on its own LSOA geography, each LSOA whole in one authority by lsoa_assignment), stored by the build; regions and England are sums of these rows.';
COMMENT ON COLUMN decile_count.measure IS 'Index or domain (measure.measure).';
COMMENT ON COLUMN decile_count.release IS 'Release (iod2010 ... iod2025).';
COMMENT ON COLUMN decile_count.lad24_code IS 'Current authority (lsoa.lad24_code).';
COMMENT ON COLUMN decile_count.region_code IS 'Its region (lsoa.region_code).';
COMMENT ON COLUMN decile_count.decile IS 'National decile, 1 = most deprived 10% of England''s LSOAs.';
COMMENT ON COLUMN decile_count.n IS 'Number of LSOAs.';

CREATE TABLE boundary_display (
    geography VARCHAR NOT NULL,
    code      VARCHAR NOT NULL,
    level     VARCHAR NOT NULL,
    wkb       BLOB NOT NULL
);
COMMENT ON TABLE boundary_display IS 'Key: (geography, level, code). Display geometry derived at build time from boundary.geometry (inequality/etl/display.py): level overview = every LSOA of a vintage simplified together as one coverage (shapely.coverage_simplify, tolerance 0.006 degrees), so neighbours still share their edges; drawn by the England-wide map.';
COMMENT ON COLUMN boundary_display.geography IS 'LSOA boundary vintage: lsoa11 or lsoa21.';
COMMENT ON COLUMN boundary_display.code IS 'GSS code of the LSOA (as in boundary.code).';
COMMENT ON COLUMN boundary_display.level IS 'overview: the England-wide map.';
COMMENT ON COLUMN boundary_display.wkb IS 'Polygon or multipolygon as WKB in EPSG:4326 (as boundary.crs), valid, never empty.';
