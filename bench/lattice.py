"""The jittered lattice the benchmark cities are cut from (bench/locate.py, bench/generate.py).

Vertices of a square lattice moved at random by up to a quarter cell, so cells are
irregular quadrilaterals whose neighbours share their edges exactly, as real grid maps do.
Grids, communities, streets and districts are traced along the same vertices.
"""

import numpy as np
import shapely

ORIGIN = (121.20, 31.00)  # lng, lat (GCJ-02) of the south-west corner: Shanghai, where
# GCJ-02 offsets are a few hundred metres
CELL_DEGREES = 0.0015  # about 150 m: an urban grid of a few hundred households


class Lattice:
    def __init__(self, side: int, rng: np.random.Generator):
        vi, vj = np.meshgrid(np.arange(side + 1), np.arange(side + 1), indexing="ij")
        jitter = rng.uniform(-0.25, 0.25, (2, *vi.shape)) * CELL_DEGREES
        self.vx = ORIGIN[0] + vi * CELL_DEGREES + jitter[0]
        self.vy = ORIGIN[1] + vj * CELL_DEGREES + jitter[1]

    def block(self, i0: int, i1: int, j0: int, j1: int) -> shapely.Polygon:
        """The polygon traced along the lattice vertices around cells [i0, i1) × [j0, j1)."""
        ii = np.concatenate(
            [np.arange(i0, i1), np.full(j1 - j0, i1), np.arange(i1, i0, -1), np.full(j1 - j0, i0)]
        )
        jj = np.concatenate(
            [np.full(i1 - i0, j0), np.arange(j0, j1), np.full(i1 - i0, j1), np.arange(j1, j0, -1)]
        )
        ring = np.column_stack([self.vx[ii, jj], self.vy[ii, jj]])
        return shapely.Polygon(np.vstack([ring, ring[:1]]))
