"""Reading one ``.npy`` member of an ``.npz`` archive without trusting it.

The member's header is checked against the bytes the archive holds for it before the array
is allocated, so a header claiming 1e11 elements in a small file is refused rather than
attempted; object (pickled) arrays and compression ratios beyond ``MAX_INFLATION`` (zip
bombs) are refused too. Data files and checkpoints both read their arrays this way.
"""

from __future__ import annotations

import zipfile
from typing import cast

import numpy as np

MAX_INFLATION = 1000
"""A compressed member may claim at most this many times its stored size."""


class DamagedMember(ValueError):
    """A member that is not a plain array of the size its header claims."""


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, kinds: str = "biuf",
                max_bytes: int | None = None) -> np.ndarray:
    """The array in member ``info``, whose dtype kind must be one of ``kinds`` and whose size
    at most ``max_bytes``; ``DamagedMember`` naming the member otherwise."""
    name = info.filename
    if info.file_size > max(info.compress_size, 1) * MAX_INFLATION:
        raise DamagedMember(f"{name} claims {info.file_size:,} bytes from {info.compress_size:,}")
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version not in ((1, 0), (2, 0)):
            raise DamagedMember(f"{name} is a .npy of version {version}")
        header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                  else np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = header(member)
        if dtype.hasobject or dtype.kind not in kinds:
            raise DamagedMember(f"{name} holds {dtype} values")
        size = int(np.prod(shape, dtype=object)) * dtype.itemsize
        held = info.file_size - member.tell()
        if size != held or (max_bytes is not None and size > max_bytes):
            raise DamagedMember(f"{name} claims shape {shape} ({size:,} bytes) but holds {held:,} bytes")
        array = np.empty(shape[::-1] if fortran else shape, dtype)
        reader = cast(zipfile.ZipExtFile, member)  # what ZipFile.open returns; typed IO[bytes]
        if reader.readinto(array.reshape(-1).view(np.uint8).data) != size or member.read(1):
            raise DamagedMember(f"{name} is truncated")
    return array.T if fortran else array
