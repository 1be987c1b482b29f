"""SVG maps drawn on the server from the us-atlas TopoJSON shapes (npm package `us-atlas`).

`states-albers-10m.json` is already projected (Albers USA, 975 x 610) and draws the national
map; `states-10m.json` is in longitude/latitude and draws one state with a place marked on it.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_right
from dataclasses import dataclass, replace
from functools import cache

from django.conf import settings

Ring = list[tuple[float, float]]
NATIONAL_WIDTH, NATIONAL_HEIGHT = 975, 610
LOCATOR_WIDTH = 320


@cache
def _topology(filename: str) -> dict:
    with open(settings.US_ATLAS_DIR / filename, encoding="utf-8") as fh:
        topology = json.load(fh)
    topology["decoded_arcs"] = _decode_arcs(topology)
    return topology


def _decode_arcs(topology: dict) -> list[Ring]:
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:  # delta-encoded, quantized positions
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        decoded.append(points)
    return decoded


def _ring(arcs: list[Ring], indexes: list[int]) -> Ring:
    points: Ring = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc[1:] if points else arc)
    return points


def _polygons(topology: dict, geometry: dict) -> list[list[Ring]]:
    arcs = topology["decoded_arcs"]
    polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
    return [[_ring(arcs, ring) for ring in polygon] for polygon in polygons]


def _path(polygons: list[list[Ring]], project=lambda p: p) -> str:
    parts = []
    for polygon in polygons:
        for ring in polygon:
            points = [project(p) for p in ring]
            parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in points) + "Z")
    return "".join(parts)


def _geometries(filename: str) -> dict[str, dict]:
    topology = _topology(filename)
    return {g["id"]: g for g in topology["objects"]["states"]["geometries"]}


@cache
def national_paths() -> dict[str, str]:
    """SVG path data for every state and DC on the national map, by FIPS code."""
    topology = _topology("states-albers-10m.json")
    return {
        fips: _path(_polygons(topology, geometry))
        for fips, geometry in _geometries("states-albers-10m.json").items()
    }


@dataclass(frozen=True)
class Locator:
    path: str
    width: int
    height: int
    marker: tuple[float, float] | None


def _unwrap(lon: float) -> float:
    # Alaska's Aleutians cross the antimeridian: keep them west of it.
    return lon - 360 if lon > 0 else lon


@dataclass(frozen=True)
class _Frame:
    """An equirectangular frame fitted around one state."""

    min_lon: float
    max_lat: float
    x_scale: float
    scale: float
    pad: int

    def project(self, point: tuple[float, float]) -> tuple[float, float]:
        lon, lat = point
        x = self.pad + (_unwrap(lon) - self.min_lon) * self.x_scale * self.scale
        return (x, self.pad + (self.max_lat - lat) * self.scale)


@cache
def _state_outline(state_fips: str) -> tuple[_Frame, Locator] | None:
    geometry = _geometries("states-10m.json").get(state_fips)
    if geometry is None:
        return None
    polygons = _polygons(_topology("states-10m.json"), geometry)
    points = [(_unwrap(lon), lat) for polygon in polygons for ring in polygon for lon, lat in ring]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    min_lon, max_lon, min_lat, max_lat = min(lons), max(lons), min(lats), max(lats)
    x_scale = math.cos(math.radians((min_lat + max_lat) / 2))
    span_x = max((max_lon - min_lon) * x_scale, 1e-6)
    span_y = max(max_lat - min_lat, 1e-6)
    pad = 8
    scale = (LOCATOR_WIDTH - 2 * pad) / max(span_x, span_y)
    frame = _Frame(min_lon, max_lat, x_scale, scale, pad)
    outline = Locator(
        _path(polygons, frame.project),
        round(span_x * scale + 2 * pad),
        round(span_y * scale + 2 * pad),
        None,
    )
    return frame, outline


def locator_map(
    state_fips: str, latitude: float | None = None, longitude: float | None = None
) -> Locator | None:
    """A state's outline in an equirectangular frame, with an optional marked place."""
    outline = _state_outline(state_fips)
    if outline is None:
        return None
    frame, locator = outline
    if latitude is None or longitude is None:
        return locator
    return replace(locator, marker=frame.project((longitude, latitude)))


# Sequential blues from the USWDS palette, lightest first; bin 0 means "none".
BIN_COUNT = 5


@dataclass(frozen=True)
class Legend:
    bins: list[tuple[int, int]]  # inclusive (low, high) per bin, bin 1 first

    def bin_for(self, value: int) -> int:
        if value <= 0:
            return 0
        return min(bisect_right([low for low, _ in self.bins], value), len(self.bins))


def legend_for(values: list[int]) -> Legend:
    """Up to five bins of about equal numbers of states (quantiles) over the positive values."""
    positive = sorted(v for v in values if v > 0)
    if not positive:
        return Legend([])
    bounds: list[int] = []
    for i in range(BIN_COUNT):
        low = positive[len(positive) * i // BIN_COUNT]
        if not bounds or low > bounds[-1]:
            bounds.append(low)
    bins = [
        (low, (bounds[i + 1] - 1) if i + 1 < len(bounds) else positive[-1])
        for i, low in enumerate(bounds)
    ]
    return Legend(bins)


def choropleth(states, values: dict[int, int], describe) -> dict:
    """The national map's shapes and boxes, each filled by its state's value, with a legend.

    `describe(state, value)` gives each state's accessible name. DC and the territories,
    which the Albers projection leaves out (or makes too small to click), get labelled boxes.
    """
    legend = legend_for([values.get(state.pk, 0) for state in states])
    paths = national_paths()
    shapes, insets = [], []
    for state in states:
        value = values.get(state.pk, 0)
        label = describe(state, value)
        entry = {"state": state, "label": label, "bin": legend.bin_for(value)}
        if state.fips_code in paths:
            shapes.append({**entry, "path": paths[state.fips_code]})
        if state.fips_code not in paths or state.kind == "district":
            # The box shows the postal code, so its accessible name includes it too.
            label = f"{state.usps_code} ({label})"
            insets.append({**entry, "label": label, "x": 40 + 80 * len(insets)})
    return {
        "shapes": shapes,
        "insets": insets,
        "legend": legend,
        "width": NATIONAL_WIDTH,
        "height": NATIONAL_HEIGHT + 80,
        "inset_y": NATIONAL_HEIGHT + 10,
    }
