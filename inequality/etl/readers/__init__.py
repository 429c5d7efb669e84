"""Readers: official file -> tidy DataFrame (header maps, dtypes, validation).

:func:`read` dispatches on the catalogue entry's ``kind``.
"""

from __future__ import annotations

from .base import ReaderError
from .geo import read_boundaries
from .health import read_health
from .iod import IoDFile, read_iod
from .lookups import read_area_lookup, read_lad_region, read_lsoa_lookup, read_ruc
from .places import read_msoa_names, read_nspl

READERS = {
    "iod": read_iod,
    "boundary": read_boundaries,
    "lsoa_lookup": read_lsoa_lookup,
    "area_lookup": read_area_lookup,
    "lad_region": read_lad_region,
    "ruc_lsoa": read_ruc,
    "ruc_lad": read_ruc,
    "health": read_health,
    "postcode": read_nspl,
    "msoa_names": read_msoa_names,
}

__all__ = ["READERS", "IoDFile", "ReaderError", "read_iod"]
