"""Folium map layers. Takes data, reprojects to EPSG:4326 here only, returns layers."""
