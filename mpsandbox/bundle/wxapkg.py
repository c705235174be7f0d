"""The WeChat compiled package container (.wxapkg): a safe reader and a writer, all in memory.

Layout (big-endian): a 14-byte header ``>BIIIB`` = 0xBE, info (0), index length, body length, 0xED; the index
(uint32 file count, then per file: uint32 name length, the UTF-8 name starting with '/', uint32 offset, uint32
size; offsets count from the start of the package); then the body. Every count, length and offset is checked
against the package's real size and the LoadLimits before anything is read; names go through archive.safe_name.
Encrypted PC packages (``V1MMWX`` + AES/XOR) are refused with a clear error: they need the app id's key.
"""

from __future__ import annotations

import struct

from .archive import LoadLimits, _Collector, safe_name
from .errors import BundleError

FIRST_MARK = 0xBE
LAST_MARK = 0xED
HEADER = struct.Struct(">BIIIB")
ENCRYPTED_MAGIC = b"V1MMWX"
MAX_NAME_BYTES = 1024
_U32 = struct.Struct(">I")
_ENTRY_TAIL = struct.Struct(">II")


def looks_like_wxapkg(head: bytes) -> bool:
    """The first bytes are a package header (plain or encrypted)."""
    return head.startswith(ENCRYPTED_MAGIC) or (len(head) >= HEADER.size and head[0] == FIRST_MARK
                                                 and head[HEADER.size - 1] == LAST_MARK)


def read_wxapkg(data: bytes, limits: LoadLimits | None = None, label: str = "package") -> dict[str, bytes]:
    """The files of a package, keyed by their normalised relative path. Raises BundleError on anything wrong."""
    limits = limits or LoadLimits()
    if data.startswith(ENCRYPTED_MAGIC):
        raise BundleError("wxapkg-encrypted", f"{label} is an encrypted PC package (V1MMWX): decrypt it with the "
                          "app id's key first")
    size = len(data)
    if size < HEADER.size + _U32.size:
        raise BundleError("wxapkg-truncated", f"{label} is {size} bytes, shorter than a package header")
    first, _info, index_len, body_len, last = HEADER.unpack_from(data, 0)
    if first != FIRST_MARK or last != LAST_MARK:
        raise BundleError("wxapkg-bad-mark", f"{label} does not start with the package marks 0xBE..0xED "
                          f"(found 0x{first:02X}..0x{last:02X})")
    body_start = HEADER.size + index_len
    if index_len < _U32.size or body_start > size:
        raise BundleError("wxapkg-truncated", f"{label}: the index ({index_len} bytes) runs past the end ({size})")
    if body_start + body_len != size:
        raise BundleError("wxapkg-bad-length", f"{label}: header says {body_start + body_len} bytes, the package "
                          f"has {size}")
    (count,) = _U32.unpack_from(data, HEADER.size)
    # each entry takes at least 12 bytes plus a name of at least one byte
    if count > limits.max_entries:
        raise BundleError("too-many-entries", f"{label} lists {count} files (limit {limits.max_entries})")
    if count * 13 > index_len - _U32.size:
        raise BundleError("wxapkg-bad-index", f"{label} lists {count} files, more than its index can hold")
    col = _Collector(limits)
    pos = HEADER.size + _U32.size
    spans: list[tuple[int, int, str]] = []
    first_span: dict[str, tuple[int, int]] = {}
    for _ in range(count):
        if pos + _U32.size > body_start:
            raise BundleError("wxapkg-bad-index", f"{label}: the index ends in the middle of an entry")
        (name_len,) = _U32.unpack_from(data, pos)
        pos += _U32.size
        if name_len == 0 or name_len > MAX_NAME_BYTES or pos + name_len + _ENTRY_TAIL.size > body_start:
            raise BundleError("wxapkg-bad-index", f"{label}: an entry name of {name_len} bytes does not fit the index")
        try:
            raw = data[pos:pos + name_len].decode("utf-8")
        except UnicodeDecodeError:
            raise BundleError("bad-name", f"{label}: an entry name is not UTF-8") from None
        pos += name_len
        offset, length = _ENTRY_TAIL.unpack_from(data, pos)
        pos += _ENTRY_TAIL.size
        if not raw.startswith("/"):
            raise BundleError("bad-name", f"{label}: entry name {raw!r} does not start with '/'")
        name = safe_name(raw[1:])
        if offset < body_start or offset + length > size:
            raise BundleError("wxapkg-bad-offset", f"{label}: {name} claims bytes {offset}..{offset + length}, "
                              f"outside the body ({body_start}..{size})", file=name)
        if name in first_span:
            # some tools list a file twice; the same bytes are one file, different bytes are ambiguous
            o, n = first_span[name]
            if data[o:o + n] == data[offset:offset + length]:
                continue
        col.add_name(name)
        first_span[name] = (offset, length)
        col.count(name, length, length, None)
        spans.append((offset, length, name))
    spans.sort()
    for (o1, n1, name1), (o2, _n2, name2) in zip(spans, spans[1:]):
        if o1 + n1 > o2:
            raise BundleError("wxapkg-overlap", f"{label}: {name1} and {name2} overlap", file=name2)
    return {name: data[offset:offset + length] for offset, length, name in spans}


def write_wxapkg(files: dict[str, bytes]) -> bytes:
    """A package holding ``files``, laid out as the WeChat tools do. A name gets a leading '/' when it has none;
    names are written as given otherwise (tests build hostile packages with it)."""
    names = [n if n.startswith("/") else "/" + n for n in files]
    encoded = [n.encode("utf-8") for n in names]
    index_len = _U32.size + sum(_U32.size + len(e) + _ENTRY_TAIL.size for e in encoded)
    offset = HEADER.size + index_len
    index = [_U32.pack(len(files))]
    body: list[bytes] = []
    for enc, data in zip(encoded, files.values()):
        index += [_U32.pack(len(enc)), enc, _ENTRY_TAIL.pack(offset, len(data))]
        body.append(data)
        offset += len(data)
    body_len = sum(len(b) for b in body)
    return HEADER.pack(FIRST_MARK, 0, index_len, body_len, LAST_MARK) + b"".join(index) + b"".join(body)
