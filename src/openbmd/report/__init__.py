"""Reports: static maps (maps) and geographic exports (geoexport: GeoJSON, KML, CZML)."""
