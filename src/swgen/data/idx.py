"""A reader for IDX files, the format of MNIST and Fashion-MNIST, in pure numpy.

An IDX file is: two zero bytes, a type byte (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
0x0D float32, 0x0E float64), a byte with the number of dimensions ``d``, ``d`` big-endian uint32
sizes, then the values, big-endian, row-major. Files may be gzip-compressed (``.gz``).
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from swgen.errors import UserError

IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path: str | Path) -> np.ndarray:
    """The array stored in the IDX file ``path`` (gzip-compressed or raw), in native byte order.

    A missing, corrupt or truncated file raises a one-line ``UserError`` naming it.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == GZIP_MAGIC:
            raw = gzip.decompress(raw)
    except FileNotFoundError:
        raise UserError(f"IDX file '{path}' does not exist") from None
    except (OSError, EOFError, zlib.error) as error:
        raise UserError(f"IDX file '{path}' cannot be read ({error})") from None
    return parse_idx(raw, source=str(path))


def parse_idx(raw: bytes, source: str = "<bytes>") -> np.ndarray:
    """The array stored in the uncompressed IDX bytes ``raw`` (``source`` names it in errors)."""

    def corrupt(reason: str) -> UserError:
        return UserError(f"IDX file '{source}' is corrupt or truncated: {reason}")

    if len(raw) < 4:
        raise corrupt(f"{len(raw)} bytes, shorter than the 4-byte header")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES:
        raise corrupt(f"bad magic number 0x{raw[:4].hex()}")
    dtype, ndim = IDX_TYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise corrupt(f"header announces {ndim} dimensions but the file ends at byte {len(raw)}")
    shape = tuple(int(size) for size in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - header
    if found != expected:
        raise corrupt(f"shape {shape} needs {expected} bytes of data, found {found}")
    values = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="), copy=False)


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file (gzip-compressed when ``path`` ends in ``.gz``)."""
    array = np.asarray(array)
    codes = {dtype.str.lstrip("<>|="): code for code, dtype in IDX_TYPES.items()}
    code = codes[array.dtype.str.lstrip("<>|=")]
    big_endian = array.astype(IDX_TYPES[code], copy=False)
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    raw = header + big_endian.tobytes()
    Path(path).write_bytes(gzip.compress(raw) if str(path).endswith(".gz") else raw)
