"""Read back what W&B wrote for an offline run: the records of its ``run-*.wandb`` file.

The file is a LevelDB-style log (a 7-byte ``:W&B`` header, then 32 KiB blocks of records, each
with a 7-byte header: CRC32, length, type FULL=1 / FIRST=2 / MIDDLE=3 / LAST=4) of
``wandb_internal_pb2.Record`` messages; this wandb has no public reader for it.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

BLOCK = 32 * 1024
HEADER = 7


def records(path: Path) -> list[Any]:
    """Every record of the file, parsed."""
    from wandb.proto import wandb_internal_pb2

    data = path.read_bytes()
    assert data[:4] == b":W&B", f"{path} is not a W&B transaction log"
    out, pending, pos = [], b"", HEADER
    while pos + HEADER <= len(data):
        left = BLOCK - pos % BLOCK
        if left < HEADER:  # block trailer
            pos += left
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos:pos + HEADER])
        if length == 0 and kind == 0:  # zero padding up to the block's end
            pos += left
            continue
        chunk, pos = data[pos + HEADER:pos + HEADER + length], pos + HEADER + length
        pending = chunk if kind in (1, 2) else pending + chunk
        if kind in (1, 4):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            out.append(record)
    return out


def of_type(path: Path, kind: str) -> list[Any]:
    """The ``alert``, ``summary``, ``history`` ... parts of the file's records."""
    return [getattr(r, kind) for r in records(path) if r.WhichOneof("record_type") == kind]
