"""The scan store: a zarr (v3) group written chunk by chunk as results arrive.

Layout (point index ``i`` runs over the flattened space, C order for grids)::

    <store>/zarr.json          attrs["mechtms_scan"]: the scan definition (JSON)
    <store>/values             float64 (n_points, n_readouts), chunks (chunk_size, n_readouts)
    <store>/status             int8 (n_points,): 0 pending, 1 done, 2 failed
    <store>/error              str (n_points,): the failure message ("" when done)
    <store>/axis_<name>        the axis value of every point

A chunk of points is written as ``values`` (and ``error`` if any point failed) and then
``status``: zarr's local store writes each chunk file to a temporary name and renames it,
so a chunk whose status is set is complete on disk; a SIGKILL at any moment loses only
the chunks in flight. The parent (the only writer) writes; workers only compute.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np

PENDING, DONE, FAILED = 0, 1, 2
ATTR = "mechtms_scan"


class ScanStore:
    """Open or create the store at ``path`` for a scan ``definition``."""

    def __init__(self, path, definition: dict, space, readout_names, chunk_size: int, resume: bool = True):
        import zarr

        self.path = Path(path)
        self.definition = definition
        existing = self._existing_definition()
        if existing is not None and resume:
            _compare(existing, definition, self.path)
            self.group = zarr.open_group(str(self.path), mode="r+")
            status: Any = self.group["status"]
            self.chunk_size = int(status.chunks[0])
        else:
            if existing is None and self.path.exists() and any(self.path.iterdir()):
                raise ValueError(f"store {str(self.path)!r} exists and is not a mechtms scan store; "
                                 f"choose a new path")
            if existing is not None:
                shutil.rmtree(self.path)  # resume=False: start over (only ever a scan store)
            self.chunk_size = int(chunk_size)
            self.group = self._create(space, readout_names)
        self.values: Any = self.group["values"]
        self.status_array: Any = self.group["status"]
        self.error: Any = self.group["error"]

    def _existing_definition(self):
        meta = self.path / "zarr.json"
        if not meta.is_file():
            return None
        try:
            attrs = json.loads(meta.read_text()).get("attributes", {})
        except (OSError, ValueError):
            return None
        text = attrs.get(ATTR)
        return json.loads(text) if text else None

    def _create(self, space, readout_names):
        import zarr

        n, r = space.n_points, len(readout_names)
        cs = self.chunk_size = max(1, min(self.chunk_size, n))
        group = zarr.open_group(str(self.path), mode="w")
        group.create_array("values", shape=(n, r), chunks=(cs, r), dtype="float64", fill_value=np.nan,
                           dimension_names=["point", "readout"])
        group.create_array("status", shape=(n,), chunks=(cs,), dtype="int8", fill_value=PENDING,
                           dimension_names=["point"],
                           attributes={"flag_values": [0, 1, 2], "flag_meanings": "pending done failed"})
        group.create_array("error", shape=(n,), chunks=(cs,), dtype=str, fill_value="",
                           dimension_names=["point"])
        for axis in space.axes:
            flat = _flat_axis(space, axis)
            arr = group.create_array(f"axis_{axis}", shape=(n,), chunks=(max(n, 1),),
                                     dtype=str if flat.dtype.kind == "U" else flat.dtype,
                                     dimension_names=["point"])
            arr[:] = flat
        group.attrs[ATTR] = json.dumps(self.definition, sort_keys=True)
        return group

    def status(self) -> np.ndarray:
        """Status of every point; a chunk that cannot be read counts as pending."""
        try:
            return np.asarray(self.status_array[:])
        except Exception:  # a damaged chunk file: recompute it
            out = np.zeros(self.status_array.shape, dtype=np.int8)
            for start in range(0, out.size, self.chunk_size):
                try:
                    out[start:start + self.chunk_size] = self.status_array[start:start + self.chunk_size]
                except Exception:
                    pass
            return out

    def write_chunk(self, start: int, values: np.ndarray, status: np.ndarray, errors: list[str]) -> None:
        stop = start + len(status)
        self.values[start:stop] = values
        if any(errors):
            self.error[start:stop] = np.asarray(errors, dtype=str)
        self.status_array[start:stop] = status  # last: marks the chunk complete

    def set_units(self, units: dict) -> None:
        self.group.attrs["units"] = json.dumps(units, sort_keys=True)

    def read(self):
        """(values, status, errors) as numpy arrays."""
        return np.asarray(self.values[:]), self.status(), np.asarray(self.error[:]).astype(object)


def _flat_axis(space, axis) -> np.ndarray:
    if space.kind != "grid":
        return np.asarray(space.values[axis])
    idx = np.unravel_index(np.arange(space.n_points), space.shape)
    return np.asarray(space.values[axis])[idx[space.axes.index(axis)]]


def read_definition(path) -> dict:
    """The scan definition recorded in the store at ``path``."""
    meta = Path(path) / "zarr.json"
    if not meta.is_file():
        raise FileNotFoundError(f"no scan store at {str(path)!r}")
    text = json.loads(meta.read_text()).get("attributes", {}).get(ATTR)
    if not text:
        raise ValueError(f"{str(path)!r} is a zarr store but not a mechtms scan store")
    return json.loads(text)


def _compare(stored: dict, wanted: dict, path: Path) -> None:
    """Refuse to resume a different scan: name the first field that differs."""
    for key in sorted(set(stored) | set(wanted)):
        a, b = stored.get(key), wanted.get(key)
        if a != b:
            detail = _first_difference(a, b, key)
            raise ValueError(f"store {str(path)!r} holds a different scan: {detail}; use another store, or "
                             f"resume=False (CLI --no-resume) to overwrite it")


def _first_difference(a, b, where: str) -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                return _first_difference(a.get(key), b.get(key), f"{where}.{key}")
    short = lambda v: (s if len(s := json.dumps(v, sort_keys=True)) <= 80 else s[:77] + "...")  # noqa: E731
    return f"{where} differs (store: {short(a)}, now: {short(b)})"
