"""A saved custom area's JSON (an upload a visitor controls): anything but the saved shape is a
CustomAreaError saying what is wrong, never a RecursionError or a wrong area."""

from __future__ import annotations

import json

import pytest

from inequality.services.custom_areas import CustomArea, CustomAreaError

SHAPE = r'expected a JSON object \{"name": "\.\.\.", "geography": "lsoa21", "lsoa_codes"'


def saved(**fields) -> str:
    data = {"name": "Our patch", "geography": "lsoa21", "lsoa_codes": ["E01011949"]}
    data.update(fields)
    return json.dumps(data)


@pytest.mark.parametrize("text,match", [
    ("[" * 200_000 + "]" * 200_000, r"the JSON is nested too deeply"),
    ('{"name": ' * 100_000 + "1" + "}" * 100_000, r"the JSON is nested too deeply"),
    (saved(lsoa_codes="E01011949,E01011950"), r"lsoa_codes is text, not a list of codes"),
    (saved(lsoa_codes=[["E01011949"]]), r"lsoa_codes holds \['E01011949'\], which is not an "
                                        r"LSOA code such as E01000001"),
    (saved(lsoa_codes=[11949]), r"lsoa_codes holds 11949, which is not an LSOA code"),
    (saved(lsoa_codes={"E01011949": 1}), r"lsoa_codes is an object, not a list of codes"),
    (json.dumps(["E01011949"]), r"the JSON is a list, not an object"),
    (saved(name=["a"]), r"name is a list, not text"),
    ("{}", r"name, geography, lsoa_codes missing"),
    ("not json", r"not valid JSON \(Expecting value"),
])
def test_malformed_saved_area_is_refused_with_the_expected_shape(text, match):
    with pytest.raises(CustomAreaError, match=rf"^not a saved custom area: {match}.*{SHAPE}"):
        CustomArea.from_json(text)


def test_saved_area_round_trips():
    area = CustomArea("Our patch", "lsoa21", ("E01011949", "E01011950"))
    assert CustomArea.from_json(area.to_json()) == area
    assert CustomArea.from_json(area.to_json().encode("utf-8")) == area
