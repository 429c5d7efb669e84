"""The anchor of the map benchmark: the ~30-line pydeck page a Streamlit user would write for
the same map (an area's LSOAs coloured by IMD decile, with a tooltip), reading the same
database with a few lines of SQL and geopandas. The only caching is the ``st.cache_data`` a
tutorial puts on the loading function. No basemap, like the app's default, so both pages draw
the same thing.

    streamlit run benchmarks/floors/naive_map.py -- (query: ?area=E08000026&release=iod2019)
"""
import json

import geopandas as gpd
import pydeck as pdk
import streamlit as st

from inequality.db import connect

SQL = """SELECT d.lsoa_code, l.lsoa_name, d.decile, b.geometry
         FROM deprivation d JOIN release r ON r.release = d.release
         JOIN lsoa l ON l.geography = r.geography AND l.lsoa_code = d.lsoa_code
         JOIN boundary b ON b.geography = r.geography AND b.code = d.lsoa_code
         WHERE d.release = ? AND d.measure = 'imd' AND (l.lad24_code = ? OR ? = 'E92000001')"""


@st.cache_data
def load(area: str, release: str) -> dict:
    with connect() as con:
        df = con.execute(SQL, [release, area, area]).df()
    geometry = gpd.GeoSeries.from_wkb(df.pop("geometry").map(bytes), crs=4326)
    return json.loads(gpd.GeoDataFrame(df, geometry=geometry).to_json())


def make_deck(area: str, release: str) -> pdk.Deck:
    data = load(area, release)
    bounds = gpd.GeoDataFrame.from_features(data["features"]).total_bounds
    layer = pdk.Layer("GeoJsonLayer", data, pickable=True, stroked=True, filled=True,
                      get_fill_color="[250 - properties.decile * 22, 40 + properties.decile"
                                     " * 20, 120]", get_line_color=[255, 255, 255],
                      line_width_min_pixels=0.5)
    view = pdk.data_utils.compute_view([[bounds[0], bounds[1]], [bounds[2], bounds[3]]])
    return pdk.Deck(layers=[layer], initial_view_state=view, map_provider=None,
                    tooltip={"text": "{lsoa_name}: IMD decile {decile}"})


if __name__ == "__main__":
    area = st.query_params.get("area", "E08000026")
    release = st.query_params.get("release", "iod2019")
    st.title("IMD decile by LSOA")
    st.pydeck_chart(make_deck(area, release), height=560)
