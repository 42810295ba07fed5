"""Benchmark the point-location index: build time, throughput of locate_many, memory.

    python bench/locate.py [--grids 100000] [--points 1000000] [--seed 1] [--repeat 3]

No database: the region tree is generated in memory and handed to
LocateIndex.from_geometries. The grids are a square lattice of irregular
quadrilaterals whose shared vertices are jittered, so neighbours share their edges
exactly, as real grid maps do. A few lattice cells are left without a grid, and
communities (10×10 cells), streets (4×4 communities), four districts and the city
are traced along the same vertices, so points in the holes fall back to their
community, and points around the city exercise every level up to "outside".

The boundaries are GCJ-02 (as drawn on Chinese web maps) and the points WGS-84 (as
sent by phones), so each query includes the datum conversion; --same-datum leaves
it out.
"""

import argparse
import math
import os
import resource
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

try:
    from gridgov.regions.locate import LocateIndex
except Exception:  # noqa: BLE001 - any import-time need for settings
    # The locate module is meant to import without Django configured; should that ever
    # change, configure the project's settings rather than fail the benchmark.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    os.environ.setdefault("SECRET_KEY", "bench")
    import django

    django.setup()
    from gridgov.regions.locate import LocateIndex

from lattice import Lattice  # noqa: E402  (beside this script)

from gridgov.lib.datum import gcj02_to_wgs84  # noqa: E402

COMMUNITY_CELLS = 10
STREET_COMMUNITIES = 4
CITY_CODE = "990100000000"


def build_tree(grids: int, seed: int):
    """Ids, codes, levels and GCJ-02 geometries of a city with `grids` grids."""
    rng = np.random.default_rng(seed)
    side = math.ceil(math.sqrt(grids * 1.024))  # about 2.3% of the cells stay without a grid
    lattice = Lattice(side, rng)
    vx, vy, block = lattice.vx, lattice.vy, lattice.block

    ids, codes, levels, geometries = [], [], [], []

    def add(code, level, geometry):
        ids.append(len(ids) + 1)
        codes.append(code)
        levels.append(level)
        geometries.append(geometry)

    add(CITY_CODE, "city", block(0, side, 0, side))
    street_cells = COMMUNITY_CELLS * STREET_COMMUNITIES
    street_edges = list(range(0, side, street_cells)) + [side]
    middle = street_edges[len(street_edges) // 2]
    district_edges = [0, middle, side] if 0 < middle < side else [0, side]
    district_codes = {}
    for di in range(len(district_edges) - 1):
        for dj in range(len(district_edges) - 1):
            code = f"{CITY_CODE[:4]}{len(district_codes) + 1:02d}000000"
            district_codes[di, dj] = code
            i0, i1 = district_edges[di], district_edges[di + 1]
            j0, j1 = district_edges[dj], district_edges[dj + 1]
            add(code, "district", block(i0, i1, j0, j1))

    def district_of(i, j):
        return district_codes[
            int(i >= middle and middle < side), int(j >= middle and middle < side)
        ]

    children = defaultdict(int)
    street_of_block = {}
    for si, i0 in enumerate(street_edges[:-1]):
        for sj, j0 in enumerate(street_edges[:-1]):
            parent = district_of(i0, j0)
            children[parent] += 1
            code = f"{parent[:6]}{children[parent]:03d}000"
            street_of_block[si, sj] = code
            add(code, "street", block(i0, street_edges[si + 1], j0, street_edges[sj + 1]))

    community_edges = list(range(0, side, COMMUNITY_CELLS)) + [side]
    community_of_cell = np.empty((side, side), dtype=object)
    for i0, i1 in zip(community_edges, community_edges[1:], strict=False):
        for j0, j1 in zip(community_edges, community_edges[1:], strict=False):
            parent = street_of_block[i0 // street_cells, j0 // street_cells]
            children[parent] += 1
            code = f"{parent[:9]}{children[parent]:03d}"
            community_of_cell[i0:i1, j0:j1] = code
            add(code, "community", block(i0, i1, j0, j1))

    ci, cj = (a.ravel() for a in np.meshgrid(np.arange(side), np.arange(side), indexing="ij"))
    kept = np.sort(rng.choice(side * side, size=grids, replace=False))
    ci, cj = ci[kept], cj[kept]
    corners = [(ci, cj), (ci + 1, cj), (ci + 1, cj + 1), (ci, cj + 1), (ci, cj)]
    rings = np.stack([np.column_stack([vx[a, b], vy[a, b]]) for a, b in corners], axis=1)
    sequence = (ci % COMMUNITY_CELLS) * COMMUNITY_CELLS + cj % COMMUNITY_CELLS + 1
    first_id = len(ids) + 1
    ids.extend(range(first_id, first_id + grids))
    codes.extend(f"{c}{s:03d}" for c, s in zip(community_of_cell[ci, cj], sequence, strict=True))
    levels.extend(["grid"] * grids)
    geometries.extend(shapely.polygons(rings))
    extent = (vx.min(), vy.min(), vx.max(), vy.max())
    return ids, codes, levels, geometries, extent


def random_points(count: int, extent, seed: int, wgs84: bool):
    """Uniform points over the city's extent plus a 2% margin on each side."""
    rng = np.random.default_rng(seed + 1)
    minx, miny, maxx, maxy = extent
    mx, my = (maxx - minx) * 0.02, (maxy - miny) * 0.02
    lngs = rng.uniform(minx - mx, maxx + mx, count)
    lats = rng.uniform(miny - my, maxy + my, count)
    if wgs84:
        lngs, lats = gcj02_to_wgs84(lngs, lats)
    return lngs, lats


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def spot_check(index, lngs, lats, datum, found_ids, sample: int, seed: int) -> int:
    """Disagreements with a slow, independent answer (tree query with a predicate, per point)."""
    from gridgov.lib.datum import convert

    rng = np.random.default_rng(seed + 2)
    picks = rng.choice(len(lngs), size=min(sample, len(lngs)), replace=False)
    by_level = defaultdict(list)
    for position, level in enumerate(index.levels):
        by_level[level].append(position)
    trees = {
        level: (shapely.STRtree(index.geometries[p]), np.asarray(p))
        for level, p in by_level.items()
    }
    wrong = 0
    for i in picks:
        x, y = convert(float(lngs[i]), float(lats[i]), datum, index.datums[0])
        expected = -1
        for level in ("grid", "community", "street", "district", "city"):
            if level not in trees:
                continue
            tree, positions = trees[level]
            hits = positions[tree.query(shapely.Point(x, y), predicate="intersects")]
            if hits.size:
                expected = int(index.ids[min(hits, key=lambda p: index.codes[p])])
                break
        wrong += expected != found_ids[i]
    return wrong


def time_database_build(ids, codes, levels, geometries, url: str) -> None:
    """Load the tree into a scratch database and time the production build path.

    from_queryset reads the boundaries as GeoJSON text and parses them with GEOS, which
    costs more than handing over ready shapes; the marker query is what every process
    runs each GRIDGOV_LOCATE_RECHECK_SECONDS. url "sqlite" means a throwaway file.
    """
    import tempfile

    directory = tempfile.mkdtemp(prefix="gridgov-bench-")
    if url == "sqlite":
        url = f"sqlite:///{directory}/bench.sqlite3"
    os.environ["DATABASE_URL"] = url
    os.environ["GRIDGOV_VAR_DIR"] = directory
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from gridgov.regions import locate as locate_module
    from gridgov.regions.models import Region

    call_command("migrate", verbosity=0)
    if Region.objects.exists():
        sys.exit(f"{url} already holds regions: give an empty scratch database.")
    now = timezone.now()
    rows = []
    for region_id, code, level, geometry in zip(ids, codes, levels, geometries, strict=True):
        region = Region(id=region_id, code=code, name=code, level=level, datum="gcj02")
        # bulk_create skips save(), which derives the path.
        region.path = region.path_from_code()
        region.boundary, region.boundary_updated_at = shapely.geometry.mapping(geometry), now
        rows.append(region)
    Region.objects.bulk_create(rows, batch_size=2000)
    try:
        started = time.perf_counter()
        index = locate_module.LocateIndex.from_queryset()
        build = time.perf_counter() - started
        started = time.perf_counter()
        locate_module._database_marker()
        marker = time.perf_counter() - started
        vendor = django.db.connection.vendor
        print(
            f"database build ({vendor}, {len(index):,} rows): from_queryset {build:.2f}s, "
            f"marker query {marker * 1000:.0f} ms"
        )
    finally:
        Region.objects.all().delete()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grids", type=int, default=100_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs after the first")
    parser.add_argument("--same-datum", action="store_true", help="GCJ-02 points, no conversion")
    parser.add_argument(
        "--database",
        nargs="?",
        const="sqlite",
        metavar="URL",
        help="also time the build from a database: a throwaway SQLite file, or the URL of "
        "an empty scratch database that the benchmark migrates, fills and empties",
    )
    args = parser.parse_args(argv)
    datum = "gcj02" if args.same_datum else "wgs84"

    rss_start = rss_mib()
    started = time.perf_counter()
    ids, codes, levels, geometries, extent = build_tree(args.grids, args.seed)
    print(f"generated {dict(Counter(levels))} in {time.perf_counter() - started:.2f}s")
    started = time.perf_counter()
    index = LocateIndex.from_geometries(ids, codes, levels, geometries, datum="gcj02")
    build = time.perf_counter() - started
    print(
        f"build: {build:.3f}s for {len(index):,} boundaries; "
        f"RSS of shapes and index {rss_mib() - rss_start:.0f} MiB, "
        f"index estimate {index.estimated_bytes() / 2**20:.0f} MiB"
    )

    lngs, lats = random_points(args.points, extent, args.seed, wgs84=not args.same_datum)
    rss_queries = rss_mib()
    timings = []
    for _run in range(1 + args.repeat):
        started = time.perf_counter()
        found = index.locate_many(lngs, lats, datum)
        timings.append(time.perf_counter() - started)
    cold, warm = timings[0], min(timings[1:] or timings)
    print(
        f"locate_many of {args.points:,} {datum} points: "
        f"first run {cold:.3f}s ({args.points / cold:,.0f} points/s), "
        f"best of {args.repeat} {warm:.3f}s ({args.points / warm:,.0f} points/s)"
    )
    print(
        f"RSS grew {rss_mib() - rss_queries:.0f} MiB while querying "
        "(prepared-geometry caches, the result and its temporaries)"
    )

    level_of_id = dict(zip(ids, levels, strict=True))
    outcome = Counter(level_of_id.get(int(i), "outside") for i in found)
    shares = ", ".join(f"{k} {v / args.points:.1%}" for k, v in outcome.most_common())
    print(f"answers: {shares}")
    wrong = spot_check(index, lngs, lats, datum, found, sample=2000, seed=args.seed)
    print(f"spot check: {wrong} of 2000 sampled points disagree with a per-point tree query")
    print(f"peak RSS: {peak_rss_mib():.0f} MiB")
    if args.database:
        time_database_build(ids, codes, levels, geometries, args.database)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
