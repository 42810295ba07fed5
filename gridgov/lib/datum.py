"""Conversion between WGS-84 (GPS) and GCJ-02 (the datum of Chinese web maps).

GCJ-02 is WGS-84 plus a deliberate, smooth, position-dependent offset of a few
hundred metres inside mainland China and no offset outside it. The forward
formula is public; the inverse has no closed form, so it is solved by fixed-point
iteration, which converges to well under a millimetre in a few steps.
All functions take scalars or NumPy arrays.
"""

import numpy as np

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as the GCJ-02 formula uses
_EE = 0.00669342162296594323


def _outside_china(lng, lat):
    return (lng < 72.004) | (lng > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _offset(lng, lat):
    x, y = lng - 105.0, lat - 35.0
    d_lat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    d_lng = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad_lat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lng = (d_lng * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    outside = _outside_china(lng, lat)
    return np.where(outside, 0.0, d_lng), np.where(outside, 0.0, d_lat)


def wgs84_to_gcj02(lng, lat):
    lng, lat = np.asarray(lng, dtype=float), np.asarray(lat, dtype=float)
    d_lng, d_lat = _offset(lng, lat)
    return _like_input(lng + d_lng), _like_input(lat + d_lat)


def gcj02_to_wgs84(lng, lat):
    lng, lat = np.asarray(lng, dtype=float), np.asarray(lat, dtype=float)
    wgs_lng, wgs_lat = lng.copy(), lat.copy()
    for _step in range(8):
        d_lng, d_lat = _offset(wgs_lng, wgs_lat)
        wgs_lng, wgs_lat = lng - d_lng, lat - d_lat
    return _like_input(wgs_lng), _like_input(wgs_lat)


def convert(lng, lat, source: str, target: str):
    """Convert points from one datum ('wgs84' or 'gcj02') to another."""
    if source == target:
        return lng, lat
    if (source, target) == ("wgs84", "gcj02"):
        return wgs84_to_gcj02(lng, lat)
    if (source, target) == ("gcj02", "wgs84"):
        return gcj02_to_wgs84(lng, lat)
    raise ValueError(f"Unknown datum conversion {source!r} → {target!r}")


def _like_input(value):
    return float(value) if np.ndim(value) == 0 else value
