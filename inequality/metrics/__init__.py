"""Pure metric functions: one published concept each, method cited in the docstring.

:mod:`inequality.metrics.area`     local-authority summary measures of the IoD
:mod:`inequality.metrics.deciles`  national deciles, their distribution and movement over time
"""

from inequality.metrics.area import (
    MEASURES,
    average_rank,
    average_score,
    extent,
    extent_weight,
    local_concentration,
    percentile_from_rank,
    proportion_most_deprived_10,
    scale,
    summarise_areas,
)
from inequality.metrics.deciles import (
    DECILES,
    RELATIVE_WARNING,
    decile_distribution,
    decile_from_rank,
    decile_shares_by_area,
    nearest_neighbours,
    transition_matrix,
)

__all__ = [
    "DECILES",
    "MEASURES",
    "RELATIVE_WARNING",
    "average_rank",
    "average_score",
    "decile_distribution",
    "decile_from_rank",
    "decile_shares_by_area",
    "extent",
    "extent_weight",
    "local_concentration",
    "nearest_neighbours",
    "percentile_from_rank",
    "proportion_most_deprived_10",
    "scale",
    "summarise_areas",
    "transition_matrix",
]
