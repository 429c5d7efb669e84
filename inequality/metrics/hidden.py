"""Hidden deprivation: pockets of deep deprivation inside places that look affluent on average.

Each function computes one published concept from LSOA-level (neighbourhood) data:

* :func:`rural_urban_split` -- deprivation, population and income-deprived people in rural and
  urban LSOAs by Rural-Urban Classification class [RUC2011]_ [RUC2021]_.
* :func:`deprived_outside_deprived_areas` -- the share of an area's income- (or employment-)
  deprived people who live *outside* the nationally most deprived 10% / 20% of LSOAs, the
  test of area-based targeting in Tunstall & Lupton (2003) [TL2003]_.
* :func:`queen_weights` (:func:`queen_matrix`), :func:`local_moran`, :func:`fdr_q_values` --
  Local Moran's I (Anselin 1995) [Anselin1995]_ with conditional permutation inference,
  equal to ``esda.Moran_Local`` [esda]_ draw for draw (its conditional randomisation,
  vectorised) on queen-contiguity weights equal to ``libpysal``'s [libpysal]_, with
  Benjamini-Hochberg false-discovery-rate q-values [BH1995]_.
* :func:`masked_pockets` -- LSOAs whose overall IMD decile is middling or better but which
  are in the most deprived 20% on a domain (the IoD Technical Report's advice to look at the
  domains, not only the IMD [IoD2019]_, section 2).
* :func:`local_deciles` -- an LSOA's decile within its own authority, beside its national one.
* :func:`profile_shape`, :func:`internal_disparity`, :func:`global_moran` -- the three
  authority measures of the ONS article "Exploring local income deprivation" [ONS2021]_.

Conventions: decile 1 = the most deprived 10% of LSOAs in England; scores and the Local
Moran input are oriented so that *higher = more deprived* (a rank is turned into
``n + 1 - rank`` first). Nothing here reads the database.

References
----------
.. [Anselin1995] Anselin, L. (1995). Local indicators of spatial association -- LISA.
   *Geographical Analysis* 27(2): 93-115.
.. [BH1995] Benjamini, Y. and Hochberg, Y. (1995). Controlling the false discovery rate: a
   practical and powerful approach to multiple testing. *Journal of the Royal Statistical
   Society B* 57(1): 289-300.
.. [esda] Rey, S. J. and Anselin, L. (2007). PySAL: a Python library of spatial analytical
   methods. *Review of Regional Studies* 37(1): 5-27; ``esda.Moran_Local`` and
   ``esda.Moran`` (esda 2.x).
.. [libpysal] ``libpysal.weights.Queen.from_dataframe``, ``KNN``, ``attach_islands``
   (libpysal 4.x).
.. [IoD2019] McLennan, D. et al. (2019). *The English Indices of Deprivation 2019: Technical
   report*. MHCLG. Section 2 (domains), section 3.8 (summary measures).
.. [ONS2021] Office for National Statistics (2021). *Exploring local income deprivation*,
   24 May 2021, https://www.ons.gov.uk/visualisations/dvc1371/ ; the four template
   profiles as published in the article's source, ``ONSvisual/income-scrolly``
   ``src/config.js`` (``distributions``).
.. [RUC2011] ONS / Defra (2013). *The 2011 Rural-Urban Classification for small area
   geographies* (classes A1-E2).
.. [RUC2021] ONS (2024). *2021 Rural-Urban Classification* (classes UN1, UF1, RLN1, RLF1,
   RSN1, RSF1).
.. [TL2003] Tunstall, R. and Lupton, R. (2003). *Is targeting deprived areas an effective
   means to reach poor people? An assessment of one rationale for area-based funding
   programmes*. CASEpaper 70, Centre for Analysis of Social Exclusion, LSE.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from inequality.metrics.deciles import DECILES, _as_float_array

__all__ = [
    "ONS_PROFILES",
    "POCKET_DOMAINS",
    "QUADRANTS",
    "SparseWeights",
    "deprived_outside_deprived_areas",
    "fdr_q_values",
    "global_moran",
    "internal_disparity",
    "local_deciles",
    "local_moran",
    "masked_pockets",
    "profile_shape",
    "queen_matrix",
    "queen_pairs",
    "queen_weights",
    "rural_urban_split",
]

#: esda's quadrant codes (``Moran_Local.q``) with the value oriented "higher = more deprived":
#: HH a deprived LSOA among deprived neighbours (a cluster), LH a less deprived LSOA among
#: deprived ones, LL less deprived among less deprived, HL a deprived LSOA surrounded by less
#: deprived neighbours (a pocket, the spatial outlier this module is after).
QUADRANTS: dict[int, str] = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}

#: Domains (and the geographical-barriers sub-domain) whose decile 1-2 flags a pocket that
#: the overall IMD can hide.
POCKET_DOMAINS: tuple[str, ...] = ("income", "employment", "health", "education",
                                   "geographical_barriers")

#: The ONS template profiles: per cent of an authority's LSOAs in national deciles 1..10
#: (decile 1 = most deprived), exactly as published in [ONS2021]_ (``distributions`` in the
#: article's ``src/config.js``): key -> (name, percentages).
ONS_PROFILES: dict[str, tuple[str, tuple[float, ...]]] = {
    "more_deprived": ("More deprived profile",
                      (20, 17.8, 15.6, 13.3, 11.1, 8.9, 6.7, 4.4, 2.2, 0)),
    "less_deprived": ("Less deprived profile",
                      (0, 2.2, 4.4, 6.7, 8.9, 11.1, 13.3, 15.6, 17.8, 20)),
    "flat": ("Flat profile", (10,) * 10),
    "n_shaped": ("'n'-shaped profile",
                 (5.7, 7.1, 10, 12.9, 14.3, 14.3, 12.9, 10, 7.1, 5.7)),
}


# --- rural and urban ---------------------------------------------------------------------

def rural_urban_split(lsoas: pd.DataFrame, *, decile_col: str = "imd_decile",
                      population_col: str = "pop_total", rate_col: str = "income_score",
                      class_col: str = "ruc_code", name_col: str = "ruc_name",
                      broad_col: str = "urban_rural") -> pd.DataFrame:
    """Deprivation, population and income-deprived people in rural and urban LSOAs.

    Each LSOA carries the Rural-Urban Classification of its boundary vintage: the 2011
    classes (A1 major conurbation .. E2 village and dispersed in a sparse setting) for 2011
    LSOAs [RUC2011]_, the 2021 classes (UN1 .. RSF1) for 2021 LSOAs [RUC2021]_; each class
    is Urban or Rural. For every broad class and every class (and all LSOAs together) this
    counts LSOAs, their national deciles (1 = most deprived) and the shares in the most
    deprived 10% and 20%, and -- where the release has both the income rate and the
    population -- the people and the income-deprived people (rate x population, the IoD
    "income scale" [IoD2019]_ section 3.8) living there.

    Parameters
    ----------
    lsoas : pandas.DataFrame
        One row per LSOA with the class columns, a national decile column and (optionally)
        population and income-rate columns. LSOAs with no class are counted under
        ``"Unclassified"``.
    decile_col, population_col, rate_col, class_col, name_col, broad_col : str
        Column names. A missing population or rate column gives NaN people counts.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``level`` (``all``, ``broad`` or ``class``), ``urban_rural``,
        ``ruc_code``, ``ruc_name``, ``lsoa_count``, ``share_of_lsoas``, ``d1`` .. ``d10``
        (LSOA counts by national decile), ``share_most_deprived_10``,
        ``share_most_deprived_20``, ``median_decile``, ``population``, ``income_deprived``,
        ``income_rate`` (income-deprived / population) and ``share_of_income_deprived`` (of
        the whole area's). Broad classes in the order Rural, Urban; classes by code.

    Examples
    --------
    >>> lsoas = pd.DataFrame({
    ...     "ruc_code": ["E1", "E1", "C1", "C1"], "ruc_name": ["Village"] * 2 + ["Town"] * 2,
    ...     "urban_rural": ["Rural", "Rural", "Urban", "Urban"],
    ...     "imd_decile": [2, 8, 1, 5], "pop_total": [1000, 1000, 2000, 2000],
    ...     "income_score": [0.30, 0.05, 0.25, 0.10]})
    >>> out = rural_urban_split(lsoas)
    >>> out[["level", "ruc_code", "lsoa_count", "d1", "d2", "income_deprived",
    ...      "income_rate"]]  # doctest: +NORMALIZE_WHITESPACE
       level ruc_code  lsoa_count  d1  d2  income_deprived  income_rate
    0    all                    4   1   1           1050.0        0.175
    1  broad                    2   0   1            350.0        0.175
    2  broad                    2   1   0            700.0        0.175
    3  class       E1           2   0   1            350.0        0.175
    4  class       C1           2   1   0            700.0        0.175
    >>> out["urban_rural"].tolist()
    ['All', 'Rural', 'Urban', 'Rural', 'Urban']
    """
    missing = [c for c in (decile_col, class_col, broad_col) if c not in lsoas.columns]
    if missing:
        raise ValueError(f"column(s) {missing} not found: rural_urban_split needs one row per "
                         f"LSOA with {class_col!r}, {broad_col!r} and {decile_col!r}.")
    frame = pd.DataFrame({
        "urban_rural": lsoas[broad_col].astype("object").where(lsoas[broad_col].notna(),
                                                                 "Unclassified"),
        "ruc_code": lsoas[class_col].astype("object").where(lsoas[class_col].notna(), "-"),
        "ruc_name": (lsoas[name_col].astype("object") if name_col in lsoas.columns
                     else lsoas[class_col].astype("object")),
        "decile": _as_float_array(lsoas[decile_col], decile_col),
    })
    frame["ruc_name"] = frame["ruc_name"].where(frame["ruc_name"].notna(), "Unclassified")
    pop = (_as_float_array(lsoas[population_col], population_col)
           if population_col in lsoas.columns else np.full(len(lsoas), np.nan))
    rate = (_as_float_array(lsoas[rate_col], rate_col)
            if rate_col in lsoas.columns else np.full(len(lsoas), np.nan))
    frame["population"] = pop
    frame["income_deprived"] = rate * pop
    total_deprived = _nansum_or_nan(frame["income_deprived"])
    n_all = len(frame)

    def summary(part: pd.DataFrame, level: str, broad: str, code: str, name: str) -> dict:
        d = part["decile"].to_numpy()
        known = d[~np.isnan(d)].astype(int)
        counts = np.bincount(known - 1, minlength=10) if known.size else np.zeros(10, int)
        row = {"level": level, "urban_rural": broad, "ruc_code": code, "ruc_name": name,
               "lsoa_count": len(part), "share_of_lsoas": len(part) / n_all if n_all else np.nan}
        row.update({f"d{k}": int(counts[k - 1]) for k in DECILES})
        row["share_most_deprived_10"] = counts[0] / known.size if known.size else np.nan
        row["share_most_deprived_20"] = counts[:2].sum() / known.size if known.size else np.nan
        row["median_decile"] = float(np.median(known)) if known.size else np.nan
        people = _nansum_or_nan(part["population"])
        deprived = _nansum_or_nan(part["income_deprived"])
        row["population"] = people
        row["income_deprived"] = deprived
        row["income_rate"] = deprived / people if people and not np.isnan(people) else np.nan
        row["share_of_income_deprived"] = (deprived / total_deprived
                                           if total_deprived and not np.isnan(total_deprived)
                                           else np.nan)
        return row

    rows = [summary(frame, "all", "All", "", "All LSOAs")]
    order = {"Rural": 0, "Urban": 1}
    broads = sorted(frame["urban_rural"].unique(), key=lambda b: (order.get(b, 2), b))
    for broad in broads:
        rows.append(summary(frame[frame["urban_rural"] == broad], "broad", broad, "", broad))
    for broad in broads:
        part = frame[frame["urban_rural"] == broad]
        for code in sorted(part["ruc_code"].unique()):
            cls = part[part["ruc_code"] == code]
            rows.append(summary(cls, "class", broad, code, str(cls["ruc_name"].iloc[0])))
    return pd.DataFrame(rows)


def _nansum_or_nan(values) -> float:
    """Sum, or NaN when any value is missing (nothing is imputed)."""
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return 0.0
    return float("nan") if np.isnan(v).any() else float(v.sum())


# --- deprived people outside deprived places -------------------------------------------------

def deprived_outside_deprived_areas(rate: ArrayLike, population: ArrayLike,
                                    place_decile: ArrayLike,
                                    max_deciles: Sequence[int] = (1, 2)) -> pd.DataFrame:
    """How many of an area's deprived people live outside its most deprived neighbourhoods.

    Area-based programmes target the nationally most deprived LSOAs; Tunstall & Lupton
    [TL2003]_ asked what share of poor people such targeting misses. Here the deprived
    people of each LSOA are its published rate times its population (income: rate x total
    population; employment: rate x working-age population), the IoD "scale" construction
    [IoD2019]_ section 3.8, and an LSOA is "a deprived place" when its national decile (by
    default of the IMD) is at most ``max_decile`` (1 = the most deprived 10% of England,
    2 = the most deprived 20%).

    Parameters
    ----------
    rate : array-like of float
        Share of each LSOA's people who are deprived (0..1), e.g. the Income domain score.
    population : array-like of float
        The matching denominator (total, or working-age for employment).
    place_decile : array-like of int
        National decile (1..10) defining a deprived place.
    max_deciles : sequence of int, default (1, 2)
        Thresholds: 1 -> outside the most deprived 10%, 2 -> outside the most deprived 20%.

    Returns
    -------
    pandas.DataFrame
        One row per threshold: ``max_decile``, ``label``, ``deprived_total``,
        ``deprived_inside``, ``deprived_outside``, ``share_outside`` (fraction; NaN with no
        deprived people).

    Raises
    ------
    ValueError
        If a rate, population or decile is missing (a count needs all three), or lengths
        differ.

    Examples
    --------
    Three LSOAs of 1,000 people; 40% income-deprived in a decile-1 LSOA, 20% in decile 2,
    10% in decile 7: 400 + 200 + 100 = 700 deprived people, of whom 300 live outside the most
    deprived 10% and 100 outside the most deprived 20%.

    >>> out = deprived_outside_deprived_areas([0.4, 0.2, 0.1], [1000, 1000, 1000], [1, 2, 7])
    >>> out[["label", "deprived_outside", "share_outside"]].round(4)
    ... # doctest: +NORMALIZE_WHITESPACE
                                  label  deprived_outside  share_outside
    0  outside the most deprived 10%             300.0         0.4286
    1  outside the most deprived 20%             100.0         0.1429
    """
    r = _as_float_array(rate, "rate")
    p = _as_float_array(population, "population")
    d = _as_float_array(place_decile, "place_decile")
    if not (len(r) == len(p) == len(d)):
        raise ValueError(f"rate, population and place_decile have lengths {len(r)}, {len(p)} "
                         f"and {len(d)}: pass one value per LSOA in each.")
    for name, v in (("rate", r), ("population", p), ("place_decile", d)):
        if np.isnan(v).any():
            raise ValueError(f"{int(np.isnan(v).sum())} {name} value(s) are missing: deprived "
                             "people are counted as rate x population for every LSOA, so none "
                             "may be missing; report the measure as not available instead.")
    people = r * p
    total = float(people.sum())
    rows = []
    for k in max_deciles:
        inside = float(people[d <= k].sum())
        rows.append({"max_decile": int(k),
                     "label": f"outside the most deprived {10 * int(k)}%",
                     "deprived_total": total, "deprived_inside": inside,
                     "deprived_outside": total - inside,
                     "share_outside": (total - inside) / total if total > 0 else np.nan})
    return pd.DataFrame(rows)


# --- spatial weights and Local Moran's I ------------------------------------------------------

class SparseWeights:
    """Binary spatial weights held as one sparse matrix: the part of ``libpysal.weights.W``
    that :func:`local_moran` reads (``id_order``, ``n``, ``transform``, ``sparse``), without
    libpysal's dictionaries of every area's neighbours or its import, which took the build's
    spatial step 1 to 2 s (issue 15). :func:`queen_matrix` makes one; :meth:`to_libpysal`
    gives the same weights as a ``W``.

    ``sparse`` is ``W.sparse`` of the same neighbours entry for entry: an ``n x n`` CSR
    matrix, columns the neighbours' positions in ``id_order``, sorted within each row (as
    scipy leaves the matrix libpysal builds), values 1.0 under transform ``"O"`` and
    ``1.0 / k`` under ``"R"`` (libpysal's ``w / sum(w)``, bit for bit), so the statistics
    computed on either are identical.

    >>> from scipy import sparse
    >>> w = SparseWeights(sparse.csr_matrix([[0, 1, 1], [1, 0, 0], [1, 0, 0]]), ["a", "b", "c"])
    >>> w.transform = "r"
    >>> w.sparse.toarray().tolist()
    [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]
    >>> w.subset(["a", "b"]).sparse.toarray().tolist(), w.subset(["a", "b"]).transform
    ([[0.0, 1.0], [1.0, 0.0]], 'O')
    """

    def __init__(self, binary, ids: Sequence[str]):
        from scipy import sparse

        self.id_order = [str(i) for i in ids]
        self.n = len(self.id_order)
        matrix = sparse.csr_matrix(binary, dtype=np.float64, shape=(self.n, self.n), copy=True)
        matrix.sum_duplicates()  # canonical: each entry once, columns sorted within rows
        matrix.data[:] = 1.0
        self._binary = matrix
        self._sparse = matrix
        self._transform = "O"

    @classmethod
    def from_pairs(cls, ids: Sequence[str], neighbour_ids: Sequence[str]) -> SparseWeights:
        """Weights from their links (``ids[k]`` neighbours ``neighbour_ids[k]``, both ways
        listed, as the build's ``lsoa_neighbour`` table holds them): ``id_order`` the areas
        that have a link, sorted.

        >>> SparseWeights.from_pairs(["b", "a", "c", "b"], ["a", "b", "b", "c"]).id_order
        ['a', 'b', 'c']
        """
        from scipy import sparse

        ids = np.asarray(ids, dtype=object)
        neighbour_ids = np.asarray(neighbour_ids, dtype=object)
        order, row = np.unique(ids, return_inverse=True)
        if not np.isin(neighbour_ids, order).all():
            raise ValueError("every neighbour must have links of its own: the pairs should "
                             "list each link both ways")
        col = np.searchsorted(order, neighbour_ids)
        n = len(order)
        binary = sparse.csr_matrix((np.ones(len(row)), (row, col)), shape=(n, n))
        return cls(binary, order.tolist())

    @property
    def sparse(self):
        """The weights matrix under the current :attr:`transform` (scipy CSR; do not modify)."""
        return self._sparse

    @property
    def transform(self) -> str:
        """``"O"`` (binary, as built) or ``"R"`` (row-standardised); set either, any case."""
        return self._transform

    @transform.setter
    def transform(self, value: str) -> None:
        value = str(value).upper()
        if value == "O":
            self._sparse = self._binary
        elif value == "R":
            from scipy import sparse

            k = np.diff(self._binary.indptr)
            data = np.repeat(1.0 / np.maximum(k, 1).astype(np.float64), k)
            self._sparse = sparse.csr_matrix(
                (data, self._binary.indices, self._binary.indptr), shape=self._binary.shape)
        else:
            raise ValueError(f"transform {value!r}: SparseWeights has 'O' (binary) and 'R' "
                             "(row-standardised); use to_libpysal() for libpysal's others")
        self._transform = value

    def cardinalities(self) -> np.ndarray:
        """Number of neighbours of each area, in ``id_order``."""
        return np.diff(self._binary.indptr)

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """``(id, neighbour id)`` of every link, both ways: areas in ``id_order``, each
        area's neighbours sorted by id (the order of ``to_libpysal().neighbors``)."""
        ids = np.asarray(self.id_order, dtype=object)
        rank = np.empty(self.n, np.int64)
        rank[np.argsort(ids, kind="stable")] = np.arange(self.n)
        row = np.repeat(np.arange(self.n), self.cardinalities())
        order = np.lexsort((rank[self._binary.indices], row))
        return ids[row[order]], ids[self._binary.indices[order]]

    def subset(self, ids: Sequence[str]) -> SparseWeights:
        """Binary weights among ``ids`` only (given in ``id_order``'s order), as libpysal's
        ``w_subset`` makes them: links to areas left out are dropped."""
        position = {c: k for k, c in enumerate(self.id_order)}
        keep = np.array([position[str(c)] for c in ids], dtype=np.int64)
        return SparseWeights(self._binary[keep][:, keep], [self.id_order[k] for k in keep])

    def to_libpysal(self):
        """The same weights as a ``libpysal.weights.W``: binary, each area's neighbours
        sorted by id, so that weights rebuilt from a stored neighbour list are identical
        (and give bit-identical statistics)."""
        from libpysal import weights

        _ids, then = self.pairs()
        bounds = np.r_[0, np.cumsum(self.cardinalities())]
        neighbours = {c: then[bounds[k]:bounds[k + 1]].tolist()
                      for k, c in enumerate(self.id_order)}
        return weights.W(neighbours, id_order=self.id_order, silence_warnings=True)


def queen_matrix(geometries, ids: Sequence[str], *, crs=None) -> tuple[SparseWeights, dict]:
    """:func:`queen_weights` as :class:`SparseWeights` (no libpysal): the build's spatial
    step uses it. ``(weights, {island_id: nearest_id})``."""
    import shapely

    ids = [str(i) for i in ids]
    if len(set(ids)) != len(ids):
        raise ValueError("ids must be unique: one LSOA code per geometry.")
    geoms = np.asarray(list(geometries), dtype=object)
    n = len(ids)
    if len(geoms) != n:
        raise ValueError(f"{len(geoms)} geometries and {n} ids: pass one id per geometry.")
    i, j = queen_pairs(geoms)
    attached: dict[str, str] = {}
    islands = np.setdiff1d(np.arange(n), i)
    if len(islands) and n > 1:
        nearest = _nearest_other(shapely.point_on_surface(geoms), islands, crs)
        attached = {ids[a]: ids[b] for a, b in zip(islands, nearest)}
        i = np.concatenate([i, islands, nearest])
        j = np.concatenate([j, nearest, islands])
    from scipy import sparse

    binary = sparse.csr_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    return SparseWeights(binary, ids), attached


def queen_weights(geometries, ids: Sequence[str], *, crs=None):
    """Queen-contiguity spatial weights, islands attached to their nearest neighbour.

    Two LSOAs are neighbours when their boundaries share at least one vertex (queen
    contiguity, the criterion of ``libpysal.weights.Queen`` [libpysal]_), found by the
    vectorised shared-vertex grouping of :func:`queen_pairs`; the result equals
    ``Queen.from_dataframe`` neighbour for neighbour (``tests/test_spatial_weights.py``
    checks it on the fixtures and on every LSOA of the full boundary sets). An LSOA
    with no contiguous neighbour (an "island", e.g. the Isles of Scilly) would otherwise get
    a spatial lag of 0; following libpysal's ``attach_islands`` it is joined, both ways, to
    its single nearest LSOA (libpysal's ``KNN`` with k = 1: the nearest other representative
    point by a k-d tree, projected to the British National Grid when the geometries are in
    longitude/latitude). Build the weights on the national boundary set, so that neighbours
    across authority borders count. :func:`queen_matrix` gives the same weights without
    libpysal.

    Parameters
    ----------
    geometries : sequence of shapely geometries (or GeoSeries)
    ids : sequence of str
        One id per geometry (LSOA codes); the weights' ``id_order``.
    crs : optional
        CRS of the geometries (EPSG:4326 for the stored boundaries); ``None`` for plain
        planar coordinates.

    Returns
    -------
    (libpysal.weights.W, dict)
        Binary weights (transform ``"O"``, each id's neighbours sorted; :func:`local_moran`
        row-standardises) and a dict ``{island_id: nearest_id}`` of the islands attached.

    Examples
    --------
    Three unit squares in a row and one far away:

    >>> from shapely.geometry import box
    >>> w, attached = queen_weights([box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1),
    ...                              box(9, 9, 10, 10)], ["a", "b", "c", "d"])
    >>> sorted(w.neighbors["b"]), attached
    (['a', 'c'], {'d': 'c'})
    """
    w, attached = queen_matrix(geometries, ids, crs=crs)
    return w.to_libpysal(), attached


def _nearest_other(points: np.ndarray, which: np.ndarray, crs) -> np.ndarray:
    """Position of the nearest other point to each of ``points[which]``, as libpysal's
    ``KNN`` (k = 1) finds it: a k-d tree query for two neighbours, dropping the point
    itself (or, where coincident points hide it, the farther one), after projecting
    longitude/latitude to the British National Grid (EPSG:27700)."""
    import geopandas as gpd
    from scipy.spatial import cKDTree

    series = gpd.GeoSeries(points, crs=crs)
    if series.crs is not None and series.crs.is_geographic:
        series = series.to_crs(27700)
    xy = np.column_stack([series.x.to_numpy(), series.y.to_numpy()])
    _dist, idx = cKDTree(xy, leafsize=10).query(xy[which], k=2)  # libpysal's tree
    return np.where(idx[:, 0] != which, idx[:, 0], idx[:, 1])


def queen_pairs(geometries) -> tuple[np.ndarray, np.ndarray]:
    """Queen-contiguous pairs of polygons: those sharing at least one vertex.

    Vectorised shared-vertex test: every vertex of every ring (exterior and holes) is taken
    with the index of its polygon (``shapely.get_coordinates(..., return_index=True)``),
    equal coordinates get one vertex id (a hash of the ``(x, y)`` pair,
    ``pandas.factorize``, rather than a sort of the coordinates), the entries are grouped by
    vertex id (a stable sort of the ids, so each group keeps its polygons in order), and
    every two distinct polygons in a group are a pair. This is the criterion of libpysal's
    ``ContiguityWeightsLists`` (queen: "polygons that share at least one vertex", exact
    equality of coordinates) [libpysal]_, computed with array operations instead of a
    dictionary of vertex tuples. Exact equality suits the ONS boundaries, whose coordinates
    are published to six decimal places, so a vertex shared by two areas is the same double
    in both. (The hash and the integer sort take a third of the time of the lexicographic
    sort of 1.9 million ``(x, y)`` pairs this replaced, issue 15; the pairs are identical,
    ``tests/test_spatial_weights.py``.)

    Parameters
    ----------
    geometries : sequence of shapely (Multi)Polygons

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Positions ``i, j`` of each pair, both directions, ``i != j``, sorted by ``i`` then
        ``j``, no duplicates.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> i, j = queen_pairs([box(0, 0, 1, 1), box(1, 1, 2, 2), box(5, 5, 6, 6)])
    >>> i.tolist(), j.tolist()
    ([0, 1], [1, 0])
    """
    import shapely

    geoms = np.asarray(geometries, dtype=object)
    none = np.empty(0, np.int64), np.empty(0, np.int64)
    xy, owner = shapely.get_coordinates(geoms, return_index=True)
    if len(xy) == 0:
        return none
    n = len(geoms)
    xy += 0.0  # -0.0 becomes 0.0, one vertex as == sees them (not left to the hash)
    vertex, _ = pd.factorize(xy.view(np.complex128).ravel())
    # group by vertex; owner ascends in get_coordinates' order, so it ascends in each group
    order = np.argsort(vertex, kind="stable")
    vertex, p = vertex[order], owner[order]
    # one entry per (vertex, polygon): a ring's closing point and a polygon's own repeats go
    keep = np.empty(len(p), bool)
    keep[0] = True
    keep[1:] = (vertex[1:] != vertex[:-1]) | (p[1:] != p[:-1])
    vertex, p = vertex[keep], p[keep]
    shared = np.bincount(vertex)[vertex] > 1
    vertex, p = vertex[shared], p[shared]
    if len(p) == 0:
        return none
    # every pair (a < b) of members within each group of a shared vertex
    start = np.flatnonzero(np.r_[True, vertex[1:] != vertex[:-1]])
    k = np.diff(np.r_[start, len(vertex)])
    m = k * (k - 1) // 2
    group = np.repeat(np.arange(len(k)), m)
    offset = np.arange(len(group)) - np.repeat(np.cumsum(m) - m, m)
    a, b = np.zeros(len(group), np.int64), np.ones(len(group), np.int64)
    for size in np.unique(k[k > 2]):  # a vertex of three or more polygons (rare)
        rows = np.flatnonzero(k[group] == size)
        first, second = np.triu_indices(int(size), 1)
        a[rows], b[rows] = first[offset[rows]], second[offset[rows]]
    lo, hi = p[start[group] + a], p[start[group] + b]  # lo < hi: p ascends in a group
    code = pd.unique(lo * n + hi)
    code = np.concatenate([code, (code % n) * n + code // n])
    code.sort()
    return code // n, code % n


def local_moran(values: pd.Series, w, *, permutations: int = 999, seed: int = 12345
                ) -> pd.DataFrame:
    """Local Moran's I of every area with conditional-permutation pseudo p-values.

    Anselin's (1995) local indicator of spatial association [Anselin1995]_,
    ``I_i = z_i * sum_j w_ij z_j`` on row-standardised weights, with ``permutations``
    conditional randomisations drawn from a fixed ``seed``. The statistic, the quadrant and
    the pseudo p-value are those of ``esda.Moran_Local(y, w, transformation="r",
    permutations=permutations, seed=seed)`` [esda]_ bit for bit: the statistic and quadrant
    by esda's formulas, the inference by esda's conditional randomisation reproduced draw
    for draw but vectorised (:func:`_crand_p_sim`; without numba esda loops over the areas
    in Python, five times slower on the 33,755 LSOAs of England). The quadrant says where
    the area sits on the Moran scatterplot: with
    values oriented so that higher = more deprived, ``HL`` is a deprived LSOA surrounded by
    less deprived neighbours -- a pocket -- and ``HH`` a deprived LSOA in a deprived
    cluster. ``p_sim`` is esda's pseudo p-value, (M + 1) / (R + 1), M the number of
    permutations at least as extreme in the observed direction (esda's default "directed"
    alternative).

    Parameters
    ----------
    values : pandas.Series
        One value per area, indexed by the ids of ``w`` (any order; it is aligned to
        ``w.id_order``). Higher must mean more deprived. No value may be missing.
    w : libpysal.weights.W or SparseWeights
        Spatial weights (see :func:`queen_weights`, :func:`queen_matrix`); row-standardised
        here.
    permutations : int, default 999
    seed : int, default 12345

    Returns
    -------
    pandas.DataFrame
        Indexed by id in ``w.id_order``: ``value``, ``neighbour_mean`` (row-standardised
        spatial lag of the values), ``local_i``, ``quadrant`` (HH/LH/LL/HL) and ``p_sim``.

    Examples
    --------
    A 5 x 5 grid of queen neighbours: one high value at the centre, its eight neighbours
    the lowest in the grid. Under conditional permutation no random set of eight other
    values is as low, so p is the smallest possible, 1 / (99 + 1):

    >>> from libpysal.weights import lat2W
    >>> w = lat2W(5, 5, rook=False)
    >>> y = pd.Series(1 + np.arange(25) % 3 / 10.0)   # an ordinary field, 1.0 to 1.2
    >>> y[[6, 7, 8, 11, 13, 16, 17, 18]] = 0.0         # the least deprived ring ...
    >>> y[12] = 5.0                                    # ... around one deprived LSOA
    >>> out = local_moran(y, w, permutations=99, seed=1)
    >>> out.loc[12, "quadrant"], bool(out.loc[12, "local_i"] < 0), float(out.loc[12, "p_sim"])
    ('HL', True, 0.01)
    """
    if not isinstance(values, pd.Series):
        raise ValueError("values must be a pandas Series indexed by the ids of the weights.")
    order = list(w.id_order)
    absent = [i for i in order if i not in values.index]
    if absent:
        raise ValueError(f"{len(absent)} area(s) of the weights have no value (e.g. "
                         f"{absent[0]!r}): Local Moran's I needs one value per area.")
    y = values.reindex(order).astype("float64").to_numpy()
    if np.isnan(y).any():
        raise ValueError(f"{int(np.isnan(y).sum())} value(s) are missing: Local Moran's I "
                         "needs a complete set; drop those areas from the weights first.")
    if isinstance(permutations, bool) or int(permutations) < 1:
        raise ValueError(f"permutations={permutations!r} must be a positive whole number "
                         "(999 is the usual choice).")
    if w.transform != "R":  # setting it again would make libpysal rebuild w.sparse
        w.transform = "r"
    z, local_i, quadrant = _moran_local_stat(y, w)
    p_sim = _crand_p_sim(z, w, local_i, int(permutations), int(seed))
    lag = w.sparse @ y
    return pd.DataFrame({
        "value": y, "neighbour_mean": lag, "local_i": local_i,
        "quadrant": [QUADRANTS[int(q)] for q in quadrant], "p_sim": p_sim},
        index=pd.Index(order, name="id"))


def _moran_local_stat(y: np.ndarray, w) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standardised values, Local Moran's I and quadrant codes exactly as
    ``esda.Moran_Local.__init__`` computes them [esda]_ (``z = (y - mean) / std``,
    ``I_i = (n - 1) * z_i * lag_i / sum(z^2)``, quadrants 1 HH, 2 LH, 3 LL, 4 HL), the same
    operations in the same order, on ``w`` as it is (row-standardised by the caller)."""
    n = len(y)
    z = y - y.mean()
    with np.errstate(all="ignore"):
        z /= y.std()
    zl = w.sparse @ z
    local_i = (n - 1) * z * zl / (z * z).sum()
    zp, lp = z > 0, zl > 0
    quadrant = 1 * (zp * lp) + 2 * ((1 - zp) * lp) + 3 * ((1 - zp) * (1 - lp)) \
        + 4 * (zp * (1 - lp))
    return z, local_i, quadrant


#: Elements (areas x permutations x neighbours) of one block of :func:`_crand_p_sim`:
#: 2 MB per float64 array, so a block's arrays stay in cache.
_CRAND_BLOCK = 1 << 18


@functools.lru_cache(maxsize=4)
def _crand_ids(max_card: int, n: int, permutations: int, seed: int) -> np.ndarray:
    """``esda.crand.vec_permutations(max_card, n, permutations, seed)`` as esda runs it
    without numba [esda]_: ``np.random.seed(seed)``, then one ``np.random.choice(n - 1,
    max_card, replace=False)`` per permutation. numpy's global generator is the legacy
    ``RandomState``, so a private one seeded alike draws the same ids (and the global state
    is left alone). Cached, read-only: the LISAs of a build share their weights, so their
    ids too, and drawing them costs about a third of a national run."""
    rng = np.random.RandomState(seed)
    ids = np.empty((permutations, max_card), dtype=np.int64)
    for k in range(permutations):
        ids[k] = rng.choice(n - 1, size=max_card, replace=False)
    ids.flags.writeable = False
    return ids


def _crand_p_sim(z: np.ndarray, w, observed: np.ndarray, permutations: int, seed: int,
                 island_weight: float = 0.0) -> np.ndarray:
    """esda's conditional randomisation for Local Moran's I, vectorised: pseudo p-values.

    Reproduces ``esda.crand.crand`` with ``esda.moran._moran_local_crand`` as statistic and
    the default "directed" alternative [esda]_ draw for draw: the ids of
    :func:`_crand_ids`; for area ``i`` with ``k`` neighbours (self-weight aside), the random
    neighbours ``z_no_i[ids[:, :k]]`` (``z`` without ``z_i``, so id ``p`` means ``z[p]`` below
    ``i`` and ``z[p + 1]`` from ``i`` on); the random statistics ``z_i * (zrand @ w_i + w_ii *
    z_i) * (n - 1) / sum(z^2)`` with ``w_i`` in the order of the row of ``w.sparse``; an
    island (no neighbour) gets one random neighbour of weight ``island_weight`` (esda's
    default 0). ``M`` counts the random statistics at least as large as the observed one,
    ``M = min(M, R - M)`` ("directed"), and ``p = (M + 1) / (R + 1)``.

    Instead of esda's loop over the areas (without numba, plain Python that copies ``z``
    for every area), the areas of one cardinality are taken in blocks of rows: their random
    neighbours are laid out at once and each row's lag is the BLAS ``gemv`` esda's ``zrand @
    w_i`` makes (``numpy.matmul`` over the stacked rows calls it once per row, with the same
    shapes and strides), so every random statistic, hence every count, is esda's bit for
    bit. Memory stays within a few blocks of :data:`_CRAND_BLOCK` elements.

    Parameters
    ----------
    z : numpy.ndarray
        Standardised values (:func:`_moran_local_stat`, esda's ``Moran_Local.z``).
    w : libpysal.weights.W
        The row-standardised weights; not modified.
    observed : numpy.ndarray
        The observed statistics (esda's ``Moran_Local.Is``).
    permutations, seed : int
    island_weight : float, default 0

    Returns
    -------
    numpy.ndarray
        float64 pseudo p-values, one per area (esda keeps them as float32 when it does not
        keep the simulations; these are the exact ``(M + 1) / (R + 1)``).
    """
    z = np.asarray(z, dtype=np.float64)
    observed = np.asarray(observed, dtype=np.float64)
    n, r = len(z), int(permutations)
    adj = w.sparse.tocsr(copy=True)
    self_weights = adj.diagonal()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adj.setdiag(0)
        adj.eliminate_zeros()
    other_weights = adj.data.astype(z.dtype)
    cardinalities = np.asarray((adj != 0).sum(1)).ravel()
    starts = np.concatenate(([0], np.cumsum(cardinalities)[:-1]))  # esda's ``wloc``
    max_card = int(cardinalities.max()) if n else 0
    if max_card == 0:  # no neighbours anywhere: esda's reference distribution is empty
        return np.ones(n)
    scaling = (n - 1) / (z * z).sum()
    ids = _crand_ids(max_card, n, r, int(seed))
    larger = np.zeros(n, dtype=np.int64)
    for card in np.unique(cardinalities):
        rows_all = np.flatnonzero(cardinalities == card)  # ascending
        k = max(int(card), 1)  # an island draws one neighbour
        cols = ids[:, :k].ravel()
        low, high = z[cols], z[cols + 1]
        block = max(1, _CRAND_BLOCK // (r * k))
        for s in range(0, len(rows_all), block):
            rows = rows_all[s:s + block]
            b = len(rows)
            # every row's zrand: ids from the block's last row up read `high` for all its
            # rows, ids below its first row `low`; ids in between, `high` up to the id's row
            zrand = np.empty((b, r * k), dtype=z.dtype)
            zrand[:] = np.where(cols >= rows[-1], high, low)
            mixed = np.flatnonzero((cols >= rows[0]) & (cols < rows[-1]))
            if mixed.size:
                upto = np.searchsorted(rows, cols[mixed], side="right")
                zrand[:, mixed] = np.where(np.arange(b)[:, None] < upto, high[mixed],
                                           low[mixed])
            if card == 0:
                wts = np.full((b, 1, 1), island_weight, dtype=z.dtype)
                selfw = np.zeros((b, 1), dtype=z.dtype)
            else:
                wts = other_weights[starts[rows][:, None] + np.arange(k)][:, :, None]
                selfw = self_weights[rows][:, None]
            lag = np.matmul(zrand.reshape(b, r, k), wts)[:, :, 0]
            zi = z[rows][:, None]
            rstats = zi * (lag + selfw * zi) * scaling
            larger[rows] = (rstats >= observed[rows][:, None]).sum(axis=1)
    low_extreme = (r - larger) < larger
    larger[low_extreme] = r - larger[low_extreme]
    return (larger + 1.0) / (r + 1.0)


def fdr_q_values(p_values: ArrayLike) -> np.ndarray:
    """Benjamini-Hochberg q-values (false-discovery-rate adjusted p-values).

    Testing every LSOA of an area at 5% would flag about 1 in 20 by chance. The
    Benjamini-Hochberg step-up procedure [BH1995]_ controls the expected share of false
    discoveries among those flagged: ``q_(i) = min_{k >= i} p_(k) * m / k`` over the ``m``
    p-values sorted ascending; an LSOA with ``q <= 0.05`` is a discovery at a 5% false
    discovery rate. The arithmetic of ``scipy.stats.false_discovery_control(method="bh")``,
    operation for operation (``p * (m / i)`` in ascending order, the running minimum from
    the largest down, clipped to 1), without importing ``scipy.stats`` (half a second of the
    build; ``tests/test_metrics_hidden.py`` checks the two agree exactly). Missing
    p-values stay missing and are not counted in ``m``.

    Examples
    --------
    >>> fdr_q_values([0.01, 0.04, 0.03, 0.20]).round(4).tolist()
    [0.04, 0.0533, 0.0533, 0.2]
    >>> fdr_q_values([0.001, float("nan")]).tolist()
    [0.001, nan]
    """
    p = _as_float_array(p_values, "p_values")
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        if ((p[ok] < 0) | (p[ok] > 1)).any():
            raise ValueError("p-values must lie between 0 and 1.")
        given = p[ok]
        order = np.argsort(given)
        ps = given[order] * (len(given) / np.arange(1, len(given) + 1, dtype=np.float64))
        np.minimum.accumulate(ps[::-1], out=ps[::-1])
        q = np.empty_like(ps)
        q[order] = ps
        out[ok] = np.clip(q, 0.0, 1.0)
    return out


# --- pockets the overall index hides ---------------------------------------------------------

def masked_pockets(lsoas: pd.DataFrame, *, domains: Sequence[str] = POCKET_DOMAINS,
                   imd_min_decile: int = 4, domain_max_decile: int = 2) -> pd.DataFrame:
    """LSOAs whose overall IMD looks middling or better but a domain is among the worst.

    The IMD is a weighted combination of seven domains [IoD2019]_ (income and employment
    22.5% each, education and health 13.5%, crime, barriers and living environment 9.3%), so
    a neighbourhood can be in the most deprived 20% on one domain while its IMD sits
    in decile 4 or above. The Technical Report stresses that the domains are to be used in
    their own right. An LSOA is a *masked pocket* when its IMD decile is at least
    ``imd_min_decile`` and its decile on at least one of ``domains`` is at most
    ``domain_max_decile``. Domains whose ``<domain>_decile`` column is absent or empty are
    skipped.

    Parameters
    ----------
    lsoas : pandas.DataFrame
        One row per LSOA with ``imd_decile`` and ``<domain>_decile`` columns.
    domains : sequence of str
        Measure ids, default income, employment, health, education and the geographical
        barriers sub-domain (rural access to services).
    imd_min_decile, domain_max_decile : int

    Returns
    -------
    pandas.DataFrame
        Same index as ``lsoas``: ``masked`` (bool) and ``masked_domains`` (list of the
        domains at decile <= ``domain_max_decile``; empty unless masked).

    Examples
    --------
    >>> lsoas = pd.DataFrame({"imd_decile": [5, 5, 2, 7],
    ...                       "income_decile": [2, 6, 1, 9],
    ...                       "geographical_barriers_decile": [1, 3, 1, 1]})
    >>> masked_pockets(lsoas, domains=["income", "geographical_barriers"])
    ... # doctest: +NORMALIZE_WHITESPACE
       masked                    masked_domains
    0    True  [income, geographical_barriers]
    1   False                                []
    2   False                                []
    3    True           [geographical_barriers]
    """
    if "imd_decile" not in lsoas.columns:
        raise ValueError("column 'imd_decile' not found: masked_pockets needs each LSOA's "
                         "national IMD decile.")
    imd = _as_float_array(lsoas["imd_decile"], "imd_decile")
    usable = [m for m in domains
              if f"{m}_decile" in lsoas.columns and lsoas[f"{m}_decile"].notna().any()]
    low = {m: _as_float_array(lsoas[f"{m}_decile"], f"{m}_decile") <= domain_max_decile
           for m in usable}
    middling = imd >= imd_min_decile
    lists = []
    for i in range(len(lsoas)):
        hit = [m for m in usable if low[m][i]] if middling[i] else []
        lists.append(hit)
    return pd.DataFrame({"masked": [bool(h) for h in lists], "masked_domains": lists},
                        index=lsoas.index)


# --- local against national ------------------------------------------------------------------

def local_deciles(national_rank: ArrayLike) -> np.ndarray:
    """Each LSOA's decile within its own area, from its national rank.

    The national decile compares an LSOA with all of England; councils also rank their own
    neighbourhoods ("local deciles", as in many Joint Strategic Needs Assessments and the
    NHS-R ``NHSRpopulation`` vignette *How to calculate 'local' IMD deciles*). The LSOAs
    given are ordered by national rank (1 = most deprived; ties share the lower position)
    and cut into ten equal groups with the national rule ``ceil(10 x position / n)``
    [IoD2019]_, so local decile 1 is the area's own most deprived tenth. This deliberately
    re-ranks a subset; it is always shown beside, never instead of, the national decile.

    Examples
    --------
    >>> local_deciles([30000, 12, 500, 7000, 20000]).astype(int).tolist()
    [10, 2, 4, 6, 8]
    """
    r = _as_float_array(national_rank, "national_rank")
    out = np.full(r.shape, np.nan)
    ok = ~np.isnan(r)
    n = int(ok.sum())
    if n:
        position = pd.Series(r[ok]).rank(method="min").to_numpy()
        out[ok] = np.ceil(10 * position / n)
    return out


# --- authority profile --------------------------------------------------------------------------

def profile_shape(shares: ArrayLike, templates: dict | None = None) -> dict:
    """Which ONS template the authority's decile distribution is closest to.

    The ONS grouped English authorities into four profiles by the shape of the distribution
    of their LSOAs across national deciles -- *more deprived* (falling from decile 1),
    *less deprived* (rising to decile 10), *flat* and *'n'-shaped* (bunched in the middle)
    -- "according to the distribution shape they match most closely" [ONS2021]_ (on the
    Income domain). The templates are those the ONS published (:data:`ONS_PROFILES`).
    The ONS does not state its distance; here it is the Euclidean distance between the
    percentage vectors, in percentage points, and every template's distance is returned so
    that a close call can be seen.

    Parameters
    ----------
    shares : array-like of 10 floats
        Fraction (or per cent) of the area's LSOAs in national deciles 1..10.
    templates : dict, optional
        ``{key: (name, percentages)}``; default :data:`ONS_PROFILES`.

    Returns
    -------
    dict
        ``profile`` (key), ``label``, ``distance`` (percentage points) and ``distances``
        (every template's, nearest first).

    Examples
    --------
    >>> r = profile_shape([0.1] * 10)
    >>> r["profile"], r["distance"]
    ('flat', 0.0)
    >>> profile_shape([0.3, 0.2, 0.2, 0.1, 0.1, 0.1, 0, 0, 0, 0])["label"]
    'More deprived profile'
    """
    s = _as_float_array(shares, "shares")
    if s.shape != (10,) or np.isnan(s).any():
        raise ValueError("shares must be 10 numbers (deciles 1..10) with none missing.")
    total = s.sum()
    if total <= 0:
        raise ValueError("shares sum to 0: the area has no LSOAs with a decile.")
    pct = 100 * s / total
    templates = templates or ONS_PROFILES
    dist = {key: float(np.sqrt(((pct - np.asarray(t, dtype=float)) ** 2).sum()))
            for key, (_name, t) in templates.items()}
    ranked = dict(sorted(dist.items(), key=lambda kv: kv[1]))
    best = next(iter(ranked))
    return {"profile": best, "label": templates[best][0], "distance": round(ranked[best], 2),
            "distances": {k: round(v, 2) for k, v in ranked.items()}}


def internal_disparity(scores: ArrayLike) -> float:
    """Internal disparity: the highest minus the lowest LSOA score in the area.

    The ONS "internal disparity" [ONS2021]_ is the gap, in percentage points of the Income
    domain rate, between an authority's most and least income-deprived neighbourhoods. Any
    score where higher = more deprived can be used. Missing scores are ignored; NaN when
    there are none.

    Examples
    --------
    >>> round(internal_disparity([0.031, 0.254, 0.12, float("nan")]), 3)
    0.223
    """
    s = _as_float_array(scores, "scores")
    s = s[~np.isnan(s)]
    return float(s.max() - s.min()) if s.size else float("nan")


def global_moran(values: pd.Series, w, *, permutations: int = 999, seed: int = 12345) -> dict:
    """Global Moran's I: how far like neighbourhoods cluster together within an area.

    Moran's I (Moran 1950; the ONS uses it for the clustering of income deprivation within
    each authority [ONS2021]_) runs from about -1 (a chessboard of high and low) through 0
    (no pattern) to +1 (deprived and affluent neighbourhoods in separate blocks). Computed
    by ``esda.Moran`` [esda]_ on row-standardised weights with ``permutations`` random
    permutations from a fixed ``seed``; ``p_sim`` is its pseudo p-value. Islands (areas with
    no neighbour in ``w``) are left out, as the statistic needs neighbours.

    Parameters
    ----------
    values : pandas.Series
        Indexed by the ids of ``w``; higher = more deprived.
    w : libpysal.weights.W
        Contiguity within the area (e.g. the national weights restricted to its LSOAs).

    Returns
    -------
    dict
        ``I``, ``expected_I`` (-1 / (n - 1)), ``p_sim``, ``n`` (areas used) and
        ``islands_left_out``; ``I`` is None with fewer than 3 connected areas.

    Examples
    --------
    >>> from libpysal.weights import lat2W
    >>> w = lat2W(4, 4, rook=False)
    >>> left_right = pd.Series([1.0, 1.0, 0.0, 0.0] * 4)
    >>> r = global_moran(left_right, w, permutations=99, seed=1)
    >>> round(r["I"], 3), r["n"], r["p_sim"] <= 0.05
    (0.613, 16, True)
    """
    import esda
    from libpysal import weights

    ids = [i for i in w.id_order if w.cardinalities.get(i, 0) > 0]
    islands = len(w.id_order) - len(ids)
    if len(ids) < 3:
        return {"I": None, "expected_I": None, "p_sim": None, "n": len(ids),
                "islands_left_out": islands}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sub = w if islands == 0 else weights.w_subset(w, ids, silence_warnings=True)
        sub.transform = "r"
        y = values.reindex(ids).astype("float64").to_numpy()
        if np.isnan(y).any():
            raise ValueError("values are missing for some areas of the weights.")
        state = np.random.get_state()
        try:
            np.random.seed(int(seed))
            m = esda.Moran(y, sub, transformation="r", permutations=int(permutations))
        finally:
            np.random.set_state(state)
    i_value = float(m.I)
    return {"I": None if np.isnan(i_value) else i_value, "expected_I": float(m.EI),
            "p_sim": float(m.p_sim) if permutations else None, "n": len(ids),
            "islands_left_out": islands}
