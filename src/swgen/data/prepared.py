"""Prepared copies of the user's folders: decoded once, on every core, into memory-mapped files.

The first run on a folder decodes, resizes and crops every file once (a process pool over every
usable core) into a *prepared copy* at the run's image settings; later runs, resumes, every
process of a multi-process run and ``swgen eval`` open it in a fraction of a second and read
each batch's rows straight from the file (``numpy.memmap``): memory stays bounded by a batch
beyond the page cache, whatever the number of images. ``swgen prepare DIR --size S`` does the
same ahead of time; ``swgen prepare --clear`` removes every copy.

Where: ``data.cache_dir`` when set, else ``$SWGEN_CACHE/prepared``, else
``~/.cache/swgen/prepared`` (:func:`cache_root`). One folder per (data folder, reader, image
settings), named after the data folder so a user can find it::

    photos-folder-64px-RGB-3f2a9c0d1e2b4a5c/
        header            JSON (format, key, content, arrays, meta), then a line with its SHA-256
        images.u8         the rows, raw uint8, one after the other
        images.crc        CRC-32 of every row, uint32 little-endian

Trust: a copy is written into a temporary folder beside its final name and renamed into place
when complete (the header last), so a crash, a full disk or a ``kill -9`` never leaves a copy a
later run would use. Opening checks the format version, the header's checksum, the key (folder
and settings), the folder's content (relative paths, sizes and modification times of the files
the reader reads), the exact size of every file, the checksum table and the rows at a few spread
positions; any mismatch prepares the copy again, with a one-line notice. Every other row is
checked against its CRC the first time it is read (a CRC-32 of a 64 px row takes about 4 µs), so
a copy damaged later is found, removed and refused in one line, never trained on. Nothing read
back is unpickled: the header is JSON, the rows raw bytes.

Readers (``folder``, ``two-domain``, ``paired-folders``, ``video-folder``) call
:func:`prepared_copy` with their files, settings and a ``build`` function that decodes through
:func:`decode_in_order` and appends rows to a :class:`CopyWriter`.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import sys
import time
import warnings
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from torch import Tensor

from swgen.errors import UserError
from swgen.listing import FileEntry, relative_posix

FORMAT = "swgen-prepared-1"
HEADER = "header"
SPOT_CHECKS = 8  # rows checked against their CRC when a copy is opened (first, last, spread)
SERIAL_BELOW = 64  # fewer files than this are decoded in this process: a pool costs more
NOTICE_FROM = 1000  # folders of this many files say that they are being prepared (seconds)
NO_SPACE = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))

T = TypeVar("T")
R = TypeVar("R")


# --- where copies live ----------------------------------------------------------------------


def cache_root(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The folder of prepared copies: ``cache_dir`` (``data.cache_dir``) when given, else
    ``$SWGEN_CACHE/prepared``, else ``~/.cache/swgen/prepared``."""
    if cache_dir is not None and str(cache_dir) != "":
        return Path(cache_dir).expanduser()
    return Path(os.environ.get("SWGEN_CACHE", "~/.cache/swgen")).expanduser() / "prepared"


# --- what a folder holds --------------------------------------------------------------------


def content_of(root: Path, entries: Iterable[FileEntry]) -> dict[str, Any]:
    """What a copy records of its folder: the file count and a digest of every file's relative
    path, size and modification time (a changed, added, removed or touched file changes it)."""
    digest = hashlib.sha256()
    count = 0
    for entry in entries:
        line = f"{relative_posix(entry.location, root)}\0{entry.size}\0{entry.mtime_ns}\n"
        digest.update(line.encode("utf-8", "surrogateescape"))
        count += 1
    return {"files": count, "digest": digest.hexdigest()[:32]}


# --- decoding on every core -----------------------------------------------------------------


def usable_cores() -> int:
    """The cores this process may run on (its affinity, where the platform tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def decode_in_order(
    function: Callable[[T], R], items: Sequence[T], what: str, workers: int | None = None
) -> Iterator[R]:
    """``function(item)`` for every item, in order, computed by a pool of ``workers`` processes
    (default: every usable core), with a progress bar on a terminal. ``function`` must be a
    module-level function (or a ``functools.partial`` of one) returning plain data.

    Closing the iterator early (``data.limit`` reached) stops the pool. Processes are forked
    where the platform allows (no re-import of torch in each worker: the workers only decode
    with Pillow and numpy), else spawned.
    """
    from tqdm import tqdm

    workers = usable_cores() if workers is None else workers
    progress = tqdm(total=len(items), desc=what, unit="file", disable=None, leave=False)
    try:
        if len(items) < SERIAL_BELOW or workers < 2:
            for item in items:
                yield function(item)
                progress.update()
            return
        methods = multiprocessing.get_all_start_methods()
        method = "fork" if "fork" in methods and sys.platform != "darwin" else "spawn"
        chunk = max(1, min(32, len(items) // (workers * 8)))
        with multiprocessing.get_context(method).Pool(workers) as pool:  # exit: terminate()
            for result in pool.imap(function, items, chunksize=chunk):
                yield result
                progress.update()
    finally:
        progress.close()


# --- writing a copy -------------------------------------------------------------------------


class RowFile:
    """One array of a copy being written: rows appended as raw bytes, a CRC-32 per row. Rows
    of one shape give an (N, *shape) array; rows of several shapes (whole photos) are kept with
    their shapes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stream = open(path, "wb")  # noqa: SIM115  (closed by close())
        self.crcs: list[int] = []
        self.shapes: list[tuple[int, ...]] = []
        self.bytes = 0

    def append(self, row: np.ndarray) -> None:
        row = np.ascontiguousarray(row, dtype=np.uint8)
        self.stream.write(memoryview(row).cast("B"))
        self.crcs.append(zlib.crc32(row))
        shape = tuple(int(s) for s in row.shape)
        self.shapes.append(self.shapes[-1] if self.shapes and self.shapes[-1] == shape else shape)
        self.bytes += row.nbytes

    def close(self) -> dict[str, Any]:
        """Flush to disk and write the CRC table; returns the array's entry of the header."""
        self.stream.flush()
        os.fsync(self.stream.fileno())
        self.stream.close()
        crcs = np.asarray(self.crcs, dtype="<u4")
        crc_path = self.path.with_suffix(".crc")
        with open(crc_path, "wb") as stream:
            stream.write(crcs.tobytes())
            stream.flush()
            os.fsync(stream.fileno())
        uniform = len(set(self.shapes)) <= 1
        return {
            "rows": len(self.crcs),
            "shape": list(self.shapes[0]) if uniform and self.shapes else None,
            "shapes": None if uniform else [list(s) for s in self.shapes],
            "bytes": self.bytes,
            "crc_table": zlib.crc32(crcs.tobytes()),
        }


class CopyWriter:
    """Arrays of a copy being built, in its temporary folder: ``append(name, row)``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.arrays: dict[str, RowFile] = {}

    def append(self, name: str, row: np.ndarray) -> None:
        if name not in self.arrays:
            self.arrays[name] = RowFile(self.folder / f"{name}.u8")
        self.arrays[name].append(row)

    def rows(self, name: str) -> int:
        return len(self.arrays[name].crcs) if name in self.arrays else 0

    def close(self) -> dict[str, Any]:
        return {name: array.close() for name, array in self.arrays.items()}

    def abandon(self) -> None:
        for array in self.arrays.values():
            with contextlib.suppress(OSError):
                array.stream.close()


def write_header(folder: Path, body: dict[str, Any]) -> None:
    """The header: JSON, then a line holding the SHA-256 of the JSON bytes."""
    payload = json.dumps(body, sort_keys=True).encode()
    with open(folder / HEADER, "wb") as stream:
        stream.write(payload + b"\n" + hashlib.sha256(payload).hexdigest().encode() + b"\n")
        stream.flush()
        os.fsync(stream.fileno())


def read_header(folder: Path) -> dict[str, Any] | str:
    """The header's JSON, or why it cannot be trusted."""
    try:
        raw = (folder / HEADER).read_bytes()
    except OSError:
        return "has no readable header (cut short while written?)"
    payload, _, digest = raw.rstrip(b"\n").rpartition(b"\n")
    if hashlib.sha256(payload).hexdigest().encode() != digest:
        return "is corrupt (its header does not match its checksum)"
    try:
        body = json.loads(payload)
    except (ValueError, UnicodeError):
        return "is corrupt (its header is not JSON)"
    return body if isinstance(body, dict) else "is corrupt (its header is not an object)"


# --- reading a copy -------------------------------------------------------------------------


class CorruptCopy(Exception):
    """A prepared copy that does not match its checksums; the message says how."""


class StoredRows:
    """One memory-mapped array of a copy. Rows of one shape: ``tensor`` is the (N, *shape)
    uint8 tensor over the file (nothing read until indexed); rows of several shapes:
    ``row(i)``. ``verify(indices)`` checks rows against their CRC the first time they are read."""

    def __init__(self, copy: Prepared, name: str, entry: dict[str, Any]) -> None:
        self.copy = copy
        self.name = name
        path = copy.path / f"{name}.u8"
        self.crcs = np.fromfile(copy.path / f"{name}.crc", dtype="<u4")
        self.count = int(entry["rows"])
        self.checked = np.zeros(self.count, dtype=bool)
        if entry["shape"] is not None:
            self.shapes = None
            shape = (self.count, *entry["shape"])
            self.offsets = None
        else:
            self.shapes = [tuple(s) for s in entry["shapes"]]
            shape = (int(entry["bytes"]),)
            sizes = [int(np.prod(s)) for s in self.shapes]
            self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        # Copy-on-write mapping: writable for torch (never written), shared with the page cache.
        self.array = np.memmap(path, dtype=np.uint8, mode="c", shape=shape)

    def __len__(self) -> int:
        return self.count

    @property
    def tensor(self) -> Tensor:
        if self.shapes is not None:
            raise TypeError(f"rows of '{self.name}' have several shapes; use row(i)")
        return torch.from_numpy(self.array)

    def raw(self, index: int) -> np.ndarray:
        """Row ``index`` as stored (a view of the file)."""
        if self.offsets is None:
            return self.array[index]
        start, end = self.offsets[index], self.offsets[index + 1]
        assert self.shapes is not None
        return self.array[start:end].reshape(self.shapes[index])

    def row(self, index: int) -> Tensor:
        """Row ``index`` checked, as a uint8 tensor over the file."""
        self.verify([index])
        return torch.from_numpy(self.raw(index))

    def shape(self, index: int) -> tuple[int, ...]:
        if self.shapes is None:
            return tuple(self.array.shape[1:])
        return self.shapes[index]

    def first_damaged(self, indices: Iterable[int] | Tensor | np.ndarray) -> int | None:
        """The first of the rows not checked yet that does not match its CRC (None if all do)."""
        index = np.unique(np.asarray(indices, dtype=np.int64))
        for i in index[~self.checked[index]].tolist():
            if zlib.crc32(np.ascontiguousarray(self.raw(i))) != int(self.crcs[i]):
                return i
            self.checked[i] = True
        return None

    def verify(self, indices: Iterable[int] | Tensor | np.ndarray) -> None:
        """Check the rows not checked yet against their CRC. A mismatch removes the copy (the
        next run prepares it again) and raises a one-line :class:`UserError`."""
        damaged = self.first_damaged(indices)
        if damaged is not None:
            self.copy.discard()
            raise UserError(
                f"the prepared copy '{self.copy.path}' is corrupt (row {damaged} of {self.name} "
                "does not match its checksum); it was removed: run the command again to "
                "prepare the data anew"
            )


@dataclass
class Prepared:
    """An opened prepared copy: its folder, header and arrays."""

    path: Path
    header: dict[str, Any]
    opened: dict[str, StoredRows] = field(default_factory=dict, repr=False)
    built: bool = False  # prepared by this process (rather than found ready)

    @property
    def meta(self) -> dict[str, Any]:
        """What the reader kept beside the rows (labels, names, skipped files, notes)."""
        return self.header["meta"]

    @property
    def nbytes(self) -> int:
        return folder_bytes(self.path)

    def rows(self, name: str) -> StoredRows:
        if name not in self.opened:
            self.opened[name] = StoredRows(self, name, self.header["arrays"][name])
        return self.opened[name]

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def human_bytes(count: float) -> str:
    """``123 kB``, ``4.5 MB``, ``1.47 GB``: sizes as people read them (powers of 1000)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{int(count)} bytes"


def folder_bytes(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        with contextlib.suppress(OSError):
            total += path.stat().st_size if path.is_file() else 0
    return total


def inspect_copy(
    folder: Path, key: dict[str, Any], content: dict[str, Any]
) -> Prepared | str | None:
    """The copy in ``folder`` when it can be trusted for ``key`` and ``content``; else why not
    (a clause for the notice), or ``None`` when there is none."""
    if not folder.is_dir():
        return None
    header = read_header(folder)
    if isinstance(header, str):
        return header
    if header.get("format") != FORMAT:
        return f"is of another format ({header.get('format')!r}, this swgen reads {FORMAT!r})"
    if header.get("key") != key:
        return "was made for other settings"
    was = header.get("content") or {}
    if was != content:
        return (
            f"is out of date: the folder changed since it was prepared (it holds {content['files']}"
            f" files, it held {was.get('files')}, or their sizes or times changed)"
        )
    try:
        for name, entry in header["arrays"].items():
            data, crcs = folder / f"{name}.u8", folder / f"{name}.crc"
            if data.stat().st_size != int(entry["bytes"]):
                return (
                    f"is cut short ({name}.u8 holds {data.stat().st_size} of "
                    f"{entry['bytes']} bytes)"
                )
            table = crcs.read_bytes()
            if len(table) != 4 * int(entry["rows"]) or zlib.crc32(table) != entry["crc_table"]:
                return f"is corrupt ({name}.crc does not match its checksum)"
        copy = Prepared(folder, header)
        for name in header["arrays"]:
            rows = copy.rows(name)
            spread = np.linspace(0, len(rows) - 1, min(SPOT_CHECKS, len(rows))).round()
            if rows.first_damaged(spread.astype(np.int64)) is not None:
                return f"is corrupt (rows of {name}.u8 do not match their checksums)"
    except (OSError, KeyError, TypeError, ValueError):
        return "is corrupt (its files do not match its header)"
    return copy


# --- opening or building ----------------------------------------------------------------------

_recorded: contextvars.ContextVar[list[Prepared] | None] = contextvars.ContextVar(
    "swgen_prepared", default=None
)


@contextlib.contextmanager
def recording() -> Iterator[list[Prepared]]:
    """Collect the copies opened inside the block (``swgen prepare`` reports them)."""
    copies: list[Prepared] = []
    token = _recorded.set(copies)
    try:
        yield copies
    finally:
        _recorded.reset(token)


def copy_name(source: Path, settings: dict[str, Any], key: dict[str, Any]) -> str:
    """``<folder name>-<reader>-<size>px-<mode>-<16 hex digits of the key>``."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", source.name or "root").strip("._")[:40] or "data"
    parts = [stem, str(settings.get("reader", "data"))]
    if settings.get("size"):
        parts.append(f"{settings['size']}px")
    if settings.get("mode"):
        parts.append(str(settings["mode"]))
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return "-".join([*parts, digest])


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` between processes (where the platform has ``fcntl``):
    the ranks of a multi-process run prepare a copy once, the others wait for it."""
    try:
        import fcntl
    except ImportError:  # no lock: two processes may both prepare; the rename keeps it right
        yield
        return
    with open(path, "a+") as stream:
        fcntl.flock(stream.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(stream.fileno(), fcntl.LOCK_UN)


def prepared_copy(
    source: Path,
    settings: dict[str, Any],
    files: Sequence[FileEntry],
    build: Callable[[CopyWriter], dict[str, Any]],
    cache: Path,
    needed_bytes: int | None = None,
) -> Prepared:
    """The prepared copy of ``source`` (a folder) at ``settings``, opened; built first by
    ``build`` when missing or not to be trusted (see the module docstring).

    ``files``: what the reader reads (its content keys the copy). ``build(writer)`` appends the
    rows and returns the ``meta`` to keep (plain JSON values); it may raise ``UserError`` (no
    readable file), and then no copy is kept. ``needed_bytes``: the copy's size when known
    beforehand, refused at once when the disk lacks it.
    """
    source = Path(os.path.abspath(source))
    resolved = cache.expanduser().resolve()
    if resolved == source.resolve() or source.resolve() in resolved.parents:
        raise UserError(
            f"the cache folder '{cache}' is inside the data folder '{source}', whose files it "
            "would change; set data.cache_dir (or SWGEN_CACHE) to a folder outside it"
        )
    key = {"source": str(source), "settings": settings}
    content = content_of(source, files)
    target = cache / copy_name(source, settings, key)
    opened = _open_trusted(target, key, content)
    if isinstance(opened, Prepared):
        return opened
    try:
        cache.mkdir(parents=True, exist_ok=True)
        lock = cache / f".{target.name}.lock"
        lock.touch(exist_ok=True)
    except OSError as error:
        raise unwritable(cache, error) from None
    with locked(lock):
        opened = _open_trusted(target, key, content)  # another process may have built it
        if isinstance(opened, Prepared):
            return opened
        if isinstance(opened, str):
            warnings.warn(
                f"the prepared copy of '{source}' {opened}; preparing it again", stacklevel=3
            )
        _build(target, source, key, content, build, cache, needed_bytes)
    opened = _open_trusted(target, key, content)
    if not isinstance(opened, Prepared):  # written and then damaged at once: not to be trusted
        raise UserError(f"the prepared copy '{target}' {opened or 'vanished'}; run again")
    opened.built = True
    return opened


def _open_trusted(
    target: Path, key: dict[str, Any], content: dict[str, Any]
) -> Prepared | str | None:
    found = inspect_copy(target, key, content)
    if isinstance(found, Prepared):
        recorded = _recorded.get()
        if recorded is not None:
            recorded.append(found)
    return found


def unwritable(cache: Path, error: OSError) -> UserError:
    return UserError(
        f"cannot write prepared data into '{cache}' ({error.strerror or error}); set "
        "data.cache_dir (or SWGEN_CACHE) to a writable folder"
    )


def _build(
    target: Path,
    source: Path,
    key: dict[str, Any],
    content: dict[str, Any],
    build: Callable[[CopyWriter], dict[str, Any]],
    cache: Path,
    needed_bytes: int | None,
) -> None:
    """Write the copy into a temporary folder beside ``target`` and rename it into place."""
    for stale in cache.glob(f".{target.name}.partial-*"):  # left by a killed process
        shutil.rmtree(stale, ignore_errors=True)
    free = shutil.disk_usage(cache).free
    if needed_bytes is not None and needed_bytes > free:
        raise UserError(
            f"preparing '{source}' needs {human_bytes(needed_bytes)} in '{cache}', which has "
            f"{human_bytes(free)} free; free space, or set data.cache_dir to a larger disk"
        )
    if content["files"] >= NOTICE_FROM:
        size = "" if needed_bytes is None else f" ({human_bytes(needed_bytes)})"
        print(
            f"swgen: preparing {content['files']} files of '{source}' into '{target}'{size}, "
            "once: later runs open it at once",
            file=sys.stderr,
            flush=True,
        )
    partial = cache / f".{target.name}.partial-{os.getpid()}-{time.monotonic_ns()}"
    writer: CopyWriter | None = None
    try:
        partial.mkdir()
        writer = CopyWriter(partial)
        meta = build(writer)
        arrays = writer.close()
        header = {
            "format": FORMAT,
            "key": key,
            "content": content,
            "arrays": arrays,
            "meta": meta,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        write_header(partial, header)
        if target.exists():  # the stale copy, moved aside at once (processes that mapped it
            stale = cache / f".{target.name}.partial-stale-{os.getpid()}-{time.monotonic_ns()}"
            os.replace(target, stale)  # keep their view) and removed below
            os.replace(partial, target)
            shutil.rmtree(stale, ignore_errors=True)
        else:
            os.replace(partial, target)
    except BaseException as error:
        if writer is not None:
            writer.abandon()
        if not isinstance(error, OSError):
            raise  # a user error of the reader (nothing readable), an interrupt: nothing kept
        if error.errno in NO_SPACE:
            free = shutil.disk_usage(cache).free
            raise UserError(
                f"the disk of '{cache}' filled up while preparing '{source}' ({human_bytes(free)}"
                " free); nothing was kept: free space, or set data.cache_dir to a larger disk, "
                "then run again"
            ) from None
        raise unwritable(cache, error) from None
    finally:
        shutil.rmtree(partial, ignore_errors=True)


# --- clearing -------------------------------------------------------------------------------


def clear_copies(cache: Path) -> tuple[int, int]:
    """Remove every prepared copy (and lock or partial folder) under ``cache``; returns the
    number of copies removed and the bytes freed. Only folders holding a copy's header, and
    swgen's own partial folders and locks, are touched."""
    if not cache.is_dir():
        return 0, 0
    removed, freed = 0, 0
    for entry in cache.iterdir():
        if entry.is_dir() and ((entry / HEADER).is_file() or ".partial-" in entry.name):
            freed += folder_bytes(entry)
            shutil.rmtree(entry, ignore_errors=True)
            removed += 0 if ".partial-" in entry.name else 1
        elif entry.is_file() and entry.name.startswith(".") and entry.name.endswith(".lock"):
            entry.unlink(missing_ok=True)
    return removed, freed
