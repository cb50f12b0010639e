"""Format detection of uploaded model files, by content only.

Uploaded files are hostile. This module reads headers and nothing else:

* it never unpickles, imports or executes anything from a file (no ``pickle.load``,
  ``torch.load``, ``joblib.load``, ``numpy.load``); pickle streams are only walked opcode by
  opcode, skipping arguments;
* every length read from a header is checked against a bound before it is used;
* every read is a bounded positional read (``os.pread`` on raw files, ``seek`` + ``read(n)``
  otherwise); the whole file is never read into memory (the largest single read is a
  safetensors header, at most 100 MiB; JSON files up to 16 MiB are parsed whole);
* the API takes no file name: the name and extension of an upload are ignored.

It is pure Python and imports nothing from the project (no Django), so workers, scripts and
tests can use it alone.

Rule for malformed headers
--------------------------
A file *claims* a format through its signature: magic bytes (``GGUF``, ``PK\\x03\\x04``,
``\\x93NUMPY``, the HDF5 signature, ``%PDF-``, ``ustar`` at 257, a pickle ``PROTO`` opcode), or,
for safetensors, which has no magic, an 8-byte little-endian length with a NUL among its bytes
followed by ``{`` or ``[``; for ONNX, a leading ``ir_version`` field plus a graph or opset field.
When a file claims a format but its header is malformed, truncated or exceeds a bound, the
result keeps the **claimed format** and sets ``error`` to a one-line reason; ``details`` then
holds only what was read before the problem. Callers must treat a Detection with an error as
"not a usable file of that format". A file that claims nothing is ``unknown`` with no error.

Safety
------
:func:`safety_for` gives the initial safety value of an artifact. Pickle-bearing content
(pickle, joblib, pytorch, and any result whose details say ``contains_pickle`` is true or
unknown: numpy object arrays, zips holding ``.pkl`` entries) is ``not_scanned``: scanning
pickles for dangerous imports is separate work. Every other format is ``not_applicable``.
"""

from __future__ import annotations

import ast
import bz2
import codecs
import io
import json
import lzma
import os
import pickletools
import re
import struct
import warnings
import zlib
from dataclasses import dataclass

__all__ = ["FORMATS", "Detection", "detect_file", "detect_path", "safety_for"]

FORMATS = ("safetensors", "gguf", "onnx", "pytorch", "pickle", "keras", "hdf5", "numpy", "joblib", "zip", "tar",
           "json", "yaml", "text", "markdown", "pdf", "unknown")

KiB = 1024
MiB = 1024 * KiB

HEAD_BYTES = 64 * KiB            # the prefix every probe may look at
MAX_READ = 128 * MiB             # no single read is larger (guards against programming errors)
CHUNK = 64 * KiB                 # buffered-reader refill size

SAFETENSORS_MAX_HEADER = 100 * MiB
SAFETENSORS_MAX_RANK = 64
SAFETENSORS_METADATA_MAX_KEYS = 64
SAFETENSORS_METADATA_MAX_CHARS = 1 * KiB

GGUF_MAX_HEADER = 512 * MiB
GGUF_MAX_STRING = 16 * MiB
GGUF_MAX_KEY = 65535
GGUF_MAX_ARRAY = 50_000_000
GGUF_MAX_TENSORS = 1_000_000
GGUF_MAX_KVS = 100_000
GGUF_MAX_DIMS = 8
GGUF_MAX_ARRAY_DEPTH = 8
GGUF_MAX_VISITS = 4_000_000      # strings and nested arrays walked one by one, per file
GGUF_KEPT_STRING = 256           # longest metadata string copied into details
GGUF_KEPT_METADATA = 16

ZIP_MAX_ENTRIES = 100_000
ZIP_MAX_DIRECTORY = 64 * MiB
ZIP_NAMES_KEPT = 100
NPZ_HEADERS_CHECKED = 64

NPY_MAX_HEADER = 64 * KiB
NPY_MAX_NESTING = 16

HDF5_OFFSETS = (0, 512, 1024, 2048)
HDF5_KERAS_SCAN = 1 * MiB

PICKLE_MAX_OPS = 4096
PICKLE_MAX_SPAN = 1 * MiB
PICKLE_MIN_OPS = 3

DECOMPRESS_OUT = 64 * KiB
DECOMPRESS_IN = 1 * MiB

ONNX_MAX_FIELDS = 64
ONNX_MAX_STRING = 1 * KiB

JSON_FULL_PARSE = 16 * MiB
JSON_KEYS_KEPT = 32
TAR_MEMBERS_KEPT = 10


@dataclass(frozen=True)
class Detection:
    format: str                 # one of FORMATS
    details: dict               # JSON-serialisable
    error: str | None = None    # set when the content claims a format but its header is malformed/hostile


class _Malformed(Exception):
    """A header is malformed, truncated, or exceeds a bound."""


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------

def detect_path(path) -> Detection:
    """Detect the format of the file at ``path`` (its name is ignored)."""
    with open(path, "rb", buffering=0) as fh:
        return detect_file(fh, os.fstat(fh.fileno()).st_size)


def detect_file(fileobj, size: int) -> Detection:
    """Detect the format of ``fileobj`` (binary, seekable, ``size`` bytes) by its content.

    The file position is restored afterwards. I/O errors propagate; malformed content never
    raises."""
    if size < 0:
        raise ValueError("size must be non-negative")
    try:
        position = fileobj.tell()
    except (AttributeError, OSError, ValueError):
        position = None
    try:
        return _detect(_FileSource(fileobj, size))
    finally:
        if position is not None:
            try:
                fileobj.seek(position)
            except (OSError, ValueError):
                pass


def safety_for(format, details: dict | None = None) -> str:
    """Initial safety of an artifact: ``not_scanned`` for pickle-bearing content, else
    ``not_applicable``. Accepts a :class:`Detection`, or a format name plus optional details."""
    if isinstance(format, Detection):
        details = format.details
        format = format.format
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}")
    if format in ("pickle", "joblib", "pytorch"):
        return "not_scanned"
    if details and "contains_pickle" in details and details["contains_pickle"] is not False:
        return "not_scanned"
    return "not_applicable"


# --------------------------------------------------------------------------------------------
# Bounded reading
# --------------------------------------------------------------------------------------------

class _FileSource:
    """Bounded positional reads over a binary file."""

    def __init__(self, fileobj, size: int):
        self.size = size
        self._file = fileobj
        self._fd = None
        if type(fileobj) is io.FileIO:  # a raw file: positional reads, the file offset is untouched
            try:
                self._fd = fileobj.fileno()
            except (OSError, ValueError):
                self._fd = None

    def read_at(self, offset: int, n: int) -> bytes:
        if offset < 0 or n <= 0 or offset >= self.size:
            return b""
        n = min(n, self.size - offset)
        if n > MAX_READ:
            raise _Malformed(f"refusing a read of {n} bytes")
        parts, got = [], 0
        while got < n:
            if self._fd is not None:
                chunk = os.pread(self._fd, n - got, offset + got)
            else:
                self._file.seek(offset + got)
                chunk = self._file.read(n - got)
            if not chunk:
                break  # the file is shorter than announced: callers see a short read
            parts.append(chunk)
            got += len(chunk)
        return parts[0] if len(parts) == 1 else b"".join(parts)


class _BytesSource:
    """The same interface over bytes already in memory (bounded decompressed prefixes)."""

    def __init__(self, data: bytes):
        self.data = data
        self.size = len(data)

    def read_at(self, offset: int, n: int) -> bytes:
        if offset < 0 or n <= 0:
            return b""
        return self.data[offset:offset + n]


_STRUCTS = {order: {code: struct.Struct(order + code) for code in "BbHhIiQqfd?"} for order in "<>"}


class _Cursor:
    """A small buffered reader over positional reads, so that parsing a header does not issue
    one system call per field. Reads past the end of the file, or past ``cap``, raise
    :class:`_Malformed`."""

    def __init__(self, src, pos: int = 0, *, cap: int | None = None, what: str = "header",
                 cap_message: str | None = None, order: str = "<"):
        self.src = src
        self.pos = pos
        self.cap = src.size if cap is None else cap
        self.what = what
        self.cap_message = cap_message or f"{what} exceeds its size bound"
        self.buf = b""
        self.buf_start = 0
        self.st = _STRUCTS[order]

    def _need(self, n: int) -> None:
        end = self.pos + n
        if end > self.src.size:
            raise _Malformed(f"{self.what} is truncated (needs byte {end}, the file has {self.src.size})")
        if end > self.cap:
            raise _Malformed(self.cap_message)

    def read(self, n: int) -> bytes:
        if n < 0:
            raise _Malformed(f"negative length in {self.what}")
        self._need(n)
        off = self.pos - self.buf_start
        if 0 <= off and off + n <= len(self.buf):
            self.pos += n
            return self.buf[off:off + n]
        if n >= CHUNK:
            data = self.src.read_at(self.pos, n)
        else:
            self.buf = self.src.read_at(self.pos, CHUNK)
            self.buf_start = self.pos
            data = self.buf[:n]
        if len(data) < n:
            raise _Malformed(f"{self.what} is truncated at byte {self.pos + len(data)}")
        self.pos += n
        return data

    def unpack(self, code: str):
        st = self.st[code]
        n = st.size
        off = self.pos - self.buf_start
        if 0 <= off and off + n <= len(self.buf) and self.pos + n <= self.cap:
            self.pos += n
            return st.unpack_from(self.buf, off)[0]
        return st.unpack(self.read(n))[0]

    def u8(self) -> int:
        return self.unpack("B")

    def u32(self) -> int:
        return self.unpack("I")

    def u64(self) -> int:
        return self.unpack("Q")

    def skip(self, n: int) -> None:
        if n < 0:
            raise _Malformed(f"negative length in {self.what}")
        self._need(n)
        self.pos += n

    def line(self, maxlen: int = 64 * KiB) -> bytes:
        """Bytes up to the next newline (consumed, not returned)."""
        off = self.pos - self.buf_start
        if 0 <= off < len(self.buf):
            i = self.buf.find(b"\n", off, off + maxlen + 1)
            if i >= 0 and self.buf_start + i < self.cap:
                data = self.buf[off:i]
                self.pos = self.buf_start + i + 1
                return data
        self.buf = self.src.read_at(self.pos, min(maxlen + 1, max(0, self.cap - self.pos)))
        self.buf_start = self.pos
        i = self.buf.find(b"\n")
        if i < 0:
            raise _Malformed(f"{self.what}: line too long or truncated")
        self.pos += i + 1
        return self.buf[:i]

    def skip_strings(self, count: int, maxlen: int) -> None:
        """Skip ``count`` strings, each a u64 length then bytes (GGUF string arrays). The hot
        loop of large tokenizer vocabularies, so it works on local variables."""
        unpack_from = self.st["Q"].unpack_from
        limit = min(self.cap, self.src.size)
        pos, buf, start = self.pos, self.buf, self.buf_start
        end = start + len(buf)
        for _ in range(count):
            if start <= pos and pos + 8 <= end:
                n = unpack_from(buf, pos - start)[0]
            else:
                self.pos = pos
                self._need(8)
                buf = self.buf = self.src.read_at(pos, CHUNK)
                start = self.buf_start = pos
                end = start + len(buf)
                if len(buf) < 8:
                    raise _Malformed(f"{self.what} is truncated at byte {end}")
                n = unpack_from(buf, 0)[0]
            if n > maxlen:
                self.pos = pos
                raise _Malformed(f"string length {n} exceeds the {_size(maxlen)} bound")
            pos += 8 + n
            if pos > limit:
                self.pos = pos - n
                self._need(n)  # raises with the right message
        self.pos = pos


def _size(n: int) -> str:
    if n >= MiB and n % MiB == 0:
        return f"{n // MiB} MiB"
    if n >= KiB and n % KiB == 0:
        return f"{n // KiB} KiB"
    return f"{n} bytes"


def _clean(value, limit: int | None = None) -> str:
    """A string safe for details: valid Unicode (no lone surrogates), no NUL, length-bounded."""
    if isinstance(value, (bytes, bytearray)):
        text = bytes(value).decode("utf-8", "replace")
    else:
        text = str(value).encode("utf-8", "replace").decode("utf-8")
    text = text.replace("\x00", "\ufffd")
    if limit is not None and len(text) > limit:
        text = text[:limit]
    return text


# --------------------------------------------------------------------------------------------
# Dispatch
# --------------------------------------------------------------------------------------------

def _detect(src) -> Detection:
    if src.size == 0:
        return Detection("unknown", {"empty": True})
    head = src.read_at(0, HEAD_BYTES)
    for probe in _PROBES:
        try:
            result = probe(src, head)
        except OSError:
            raise
        except Exception as exc:  # a hostile input must never escape as an exception
            return Detection("unknown", {}, error=f"{probe.__name__.strip('_')} failed on malformed content "
                                                  f"({type(exc).__name__})")
        if result is not None:
            if result.error is not None:
                return Detection(result.format, result.details, _clean(result.error, 500))
            return result
    return Detection("unknown", {})


# --------------------------------------------------------------------------------------------
# safetensors
# --------------------------------------------------------------------------------------------

_SAFETENSORS_BITS = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
    "I32": 32, "U32": 32, "F32": 32,
    "I64": 64, "U64": 64, "F64": 64, "C64": 64,
    "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}


def _claims_safetensors(head: bytes) -> bool:
    # No magic: an 8-byte little-endian header length (real ones have zero high bytes) followed
    # by the JSON header. Text files never contain NUL, so they cannot claim it.
    return len(head) >= 9 and head[8:9] in (b"{", b"[") and b"\x00" in head[:8]


def _probe_safetensors(src, head) -> Detection | None:
    if not _claims_safetensors(head):
        return None
    details: dict = {}

    def fail(message):
        return Detection("safetensors", details, error=message)

    n = struct.unpack("<Q", head[:8])[0]
    if n == 0:
        return fail("header length is 0")
    if n > SAFETENSORS_MAX_HEADER:
        return fail(f"header length {n} exceeds the {_size(SAFETENSORS_MAX_HEADER)} bound")
    if n > src.size - 8:
        return fail(f"header length {n} exceeds the file size ({src.size} bytes)")
    details["header_size"] = n
    raw = head[8:8 + n] if 8 + n <= len(head) else src.read_at(8, n)
    if len(raw) < n:
        return fail("header is truncated")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return fail("header is not UTF-8")
    if not text.startswith("{"):
        return fail("header is not a JSON object")
    try:
        header = json.loads(text, object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError) as exc:
        return fail(f"header is not valid JSON ({_clean(exc, 120)})")
    if not isinstance(header, dict):
        return fail("header is not a JSON object")

    data_len = src.size - 8 - n
    metadata = header.pop("__metadata__", None)
    if metadata is not None and (not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())):
        return fail("__metadata__ must map strings to strings")
    spans = []
    dtypes = set()
    parameters = 0
    for name, info in header.items():
        label = _clean(name, 200)
        if not isinstance(info, dict):
            return fail(f"tensor {label!r}: entry is not an object")
        dtype = info.get("dtype")
        shape = info.get("shape")
        offsets = info.get("data_offsets")
        if not isinstance(dtype, str) or not dtype or len(dtype) > 32:
            return fail(f"tensor {label!r}: dtype is missing or not a short string")
        if not isinstance(shape, list) or len(shape) > SAFETENSORS_MAX_RANK \
                or not all(_is_uint(d) for d in shape):
            return fail(f"tensor {label!r}: shape must be a list of non-negative integers")
        if not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_uint(o) for o in offsets):
            return fail(f"tensor {label!r}: data_offsets must be two non-negative integers")
        begin, end = offsets
        if begin > end:
            return fail(f"tensor {label!r}: data_offsets begin after they end")
        if end > data_len:
            return fail(f"tensor {label!r}: data_offsets end at {end}, past the data section ({data_len} bytes)")
        count = 1
        for d in shape:
            count *= d
        bits = _SAFETENSORS_BITS.get(dtype)
        if bits is not None:
            if (count * bits) % 8:
                return fail(f"tensor {label!r}: {count} elements of {dtype} do not fill whole bytes")
            if end - begin != count * bits // 8:
                return fail(f"tensor {label!r}: data_offsets span {end - begin} bytes but "
                            f"{dtype}{shape} needs {count * bits // 8}")
        parameters += count
        dtypes.add(_clean(dtype))
        spans.append((begin, end, label))
    spans.sort()
    expected = 0
    for begin, end, label in spans:
        if begin != expected:
            return fail(f"tensor {label!r}: data_offsets overlap or leave a gap (begin {begin}, expected {expected})")
        expected = end
    if expected != data_len:
        return fail(f"tensors cover {expected} bytes but the data section has {data_len}")

    details.update(tensor_count=len(spans), dtypes=sorted(dtypes), parameter_count=parameters)
    if metadata is not None:
        if len(metadata) <= SAFETENSORS_METADATA_MAX_KEYS and all(
                len(k) <= SAFETENSORS_METADATA_MAX_CHARS and len(v) <= SAFETENSORS_METADATA_MAX_CHARS
                for k, v in metadata.items()):
            details["metadata"] = {_clean(k): _clean(v) for k, v in metadata.items()}
        else:
            details["metadata_omitted"] = True
    return Detection("safetensors", details)


def _unique_keys(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key[:100]!r}")
        result[key] = value
    return result


def _is_uint(value) -> bool:
    return type(value) is int and value >= 0


# --------------------------------------------------------------------------------------------
# GGUF
# --------------------------------------------------------------------------------------------

GGML_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1",
    10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K",
    16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S", 23: "IQ4_XS",
    24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M", 30: "BF16",
    34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
}

# (elements per block, bytes per block), from the ggml type traits.
GGML_BLOCKS = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 9: (32, 40),
    10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 15: (256, 292),
    16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18), 21: (256, 110), 22: (256, 82),
    23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8), 29: (256, 56), 30: (1, 2),
    34: (256, 54), 35: (256, 66), 39: (32, 17),
}

_GGUF_STRING, _GGUF_ARRAY = 8, 9
_GGUF_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_GGUF_SCALAR_SIZE = {t: struct.calcsize(c) for t, c in _GGUF_SCALARS.items()}
_GGUF_MIN_ELEMENT = {**_GGUF_SCALAR_SIZE, _GGUF_STRING: 8, _GGUF_ARRAY: 12}


class _GGUFArray:
    __slots__ = ("type", "count")

    def __init__(self, type_, count):
        self.type = type_
        self.count = count


def _probe_gguf(src, head) -> Detection | None:
    if head[:4] != b"GGUF":
        return None
    details: dict = {}
    try:
        _parse_gguf(src, head, details)
    except _Malformed as exc:
        return Detection("gguf", details, error=str(exc))
    return Detection("gguf", details)


def _parse_gguf(src, head, details) -> None:
    if len(head) < 8:
        raise _Malformed("GGUF header is truncated after the magic")
    order = "<"
    version = struct.unpack("<I", head[4:8])[0]
    if version & 0xFFFF == 0 and struct.unpack(">I", head[4:8])[0] in (2, 3):
        order = ">"
        version = struct.unpack(">I", head[4:8])[0]
        details["byte_order"] = "big"
    details["version"] = version
    if version == 1:
        raise _Malformed("GGUF version 1 is not supported")
    if version not in (2, 3):
        raise _Malformed(f"unsupported GGUF version {version}")
    cur = _Cursor(src, 8, cap=GGUF_MAX_HEADER, what="GGUF header", order=order,
                  cap_message=f"GGUF header exceeds the {_size(GGUF_MAX_HEADER)} bound")
    tensor_count = cur.u64()
    kv_count = cur.u64()
    if tensor_count > GGUF_MAX_TENSORS:
        raise _Malformed(f"tensor_count {tensor_count} exceeds the {GGUF_MAX_TENSORS:,} bound")
    if kv_count > GGUF_MAX_KVS:
        raise _Malformed(f"metadata_kv_count {kv_count} exceeds the {GGUF_MAX_KVS:,} bound")
    details["tensor_count"] = tensor_count
    details["metadata_kv_count"] = kv_count

    budget = [GGUF_MAX_VISITS]
    strings: dict = {}
    context_lengths: dict = {}
    alignment = 32
    for _ in range(kv_count):
        key = _gguf_key(cur, "metadata key")
        vtype = cur.u32()
        value = _gguf_value(cur, vtype, key, budget)
        if isinstance(value, str):
            if key.startswith("general.") or key == "tokenizer.ggml.model":
                if len(strings) < GGUF_KEPT_METADATA or key in ("general.architecture", "general.name"):
                    strings[key] = value
        elif key == "general.alignment":
            if vtype != 4 or not value or value & (value - 1):
                raise _Malformed("general.alignment must be a u32 power of two")
            alignment = value
        elif key == "general.file_type" and type(value) is int:
            details["file_type"] = value
        elif key.endswith(".context_length") and type(value) is int and len(context_lengths) < 16:
            context_lengths[key] = value
        elif key == "tokenizer.ggml.tokens" and isinstance(value, _GGUFArray):
            details["vocab_size"] = value.count

    architecture = strings.get("general.architecture")
    if architecture:
        details["architecture"] = architecture
        if f"{architecture}.context_length" in context_lengths:
            details["context_length"] = context_lengths[f"{architecture}.context_length"]
    if strings.get("general.name"):
        details["name"] = strings["general.name"]
    if alignment != 32:
        details["alignment"] = alignment
    if strings:
        details["metadata"] = strings

    parameters = 0
    dtypes = set()
    data_end = 0  # relative to the start of the tensor data
    for _ in range(tensor_count):
        name = _gguf_key(cur, "tensor name")
        n_dims = cur.u32()
        if n_dims > GGUF_MAX_DIMS:
            raise _Malformed(f"tensor {name!r}: n_dims {n_dims} exceeds {GGUF_MAX_DIMS}")
        dims = [cur.u64() for _ in range(n_dims)]
        if any(d >= 1 << 63 for d in dims):
            raise _Malformed(f"tensor {name!r}: dimension out of range")
        ggml_type = cur.u32()
        offset = cur.u64()
        count = 1
        for d in dims:
            count *= d
        parameters += count
        dtypes.add(GGML_TYPES.get(ggml_type, f"type_{ggml_type}"))
        if offset % alignment:
            raise _Malformed(f"tensor {name!r}: offset {offset} is not a multiple of the alignment {alignment}")
        block = GGML_BLOCKS.get(ggml_type)
        nbytes = 0
        if block is not None:
            elements, block_bytes = block
            if dims and dims[0] % elements:
                raise _Malformed(f"tensor {name!r}: row of {dims[0]} elements is not a multiple of the "
                                 f"{GGML_TYPES[ggml_type]} block size {elements}")
            nbytes = count // elements * block_bytes
        data_end = max(data_end, offset + nbytes)
    details["parameter_count"] = parameters
    details["dtypes"] = sorted(dtypes)
    data_start = -(-cur.pos // alignment) * alignment
    if tensor_count and data_start + data_end > src.size:
        raise _Malformed(f"tensor data extends to byte {data_start + data_end}, past the end of the file "
                         f"({src.size} bytes)")


def _gguf_key(cur, what) -> str:
    n = cur.u64()
    if n > GGUF_MAX_KEY:
        raise _Malformed(f"{what} length {n} exceeds {GGUF_MAX_KEY}")
    return _clean(cur.read(n))


def _gguf_value(cur, vtype, key, budget):
    """Read one metadata value. Returns a short string, a scalar, a _GGUFArray, or None for a
    string too long to keep (skipped)."""
    code = _GGUF_SCALARS.get(vtype)
    if code is not None:
        return cur.unpack(code)
    if vtype == _GGUF_STRING:
        n = cur.u64()
        if n > GGUF_MAX_STRING:
            raise _Malformed(f"metadata {key!r}: string length {n} exceeds the {_size(GGUF_MAX_STRING)} bound")
        if n <= GGUF_KEPT_STRING * 4:
            return _clean(cur.read(n), GGUF_KEPT_STRING)
        cur.skip(n)
        return None
    if vtype == _GGUF_ARRAY:
        etype = cur.u32()
        count = cur.u64()
        _gguf_skip_array(cur, etype, count, key, 1, budget)
        return _GGUFArray(etype, count)
    raise _Malformed(f"metadata {key!r}: unknown value type {vtype}")


def _gguf_skip_array(cur, etype, count, key, depth, budget) -> None:
    if depth > GGUF_MAX_ARRAY_DEPTH:
        raise _Malformed(f"metadata {key!r}: arrays nested deeper than {GGUF_MAX_ARRAY_DEPTH}")
    if count > GGUF_MAX_ARRAY:
        raise _Malformed(f"metadata {key!r}: array of {count} elements exceeds the {GGUF_MAX_ARRAY:,} bound")
    smallest = _GGUF_MIN_ELEMENT.get(etype)
    if smallest is None:
        raise _Malformed(f"metadata {key!r}: unknown array element type {etype}")
    if count * smallest > min(cur.cap, cur.src.size) - cur.pos:
        cur.skip(count * smallest)  # raises: truncated or over the header bound
    if etype in _GGUF_SCALAR_SIZE:
        cur.skip(count * _GGUF_SCALAR_SIZE[etype])  # element payloads are skipped, never read
        return
    budget[0] -= count
    if budget[0] < 0:
        raise _Malformed(f"metadata holds more than {GGUF_MAX_VISITS:,} strings and nested arrays")
    if etype == _GGUF_STRING:
        cur.skip_strings(count, GGUF_MAX_STRING)
        return
    for _ in range(count):
        inner_type = cur.u32()
        inner_count = cur.u64()
        _gguf_skip_array(cur, inner_type, inner_count, key, depth + 1, budget)


# --------------------------------------------------------------------------------------------
# Zip containers: PyTorch, Keras v3, npz, plain zip
# --------------------------------------------------------------------------------------------

class _ZipEntry:
    __slots__ = ("name", "flags", "method", "compressed", "uncompressed", "offset")

    def __init__(self, name, flags, method, compressed, uncompressed, offset):
        self.name = name
        self.flags = flags
        self.method = method
        self.compressed = compressed
        self.uncompressed = uncompressed
        self.offset = offset


def _probe_zip(src, head) -> Detection | None:
    if head[:4] not in (b"PK\x03\x04", b"PK\x05\x06"):
        return None
    details: dict = {}
    try:
        total, entries_iter = _zip_directory(src, details)
        names: list = []
        inspected = 0
        pickles = 0
        data_pkl = version = data_dir = False
        top = set()
        all_npy = True
        npy_entries: list = []
        metadata_entry = None
        for entry in entries_iter:
            inspected += 1
            name = entry.name
            if len(names) < ZIP_NAMES_KEPT:
                names.append(name)
            if name.endswith((".pkl", ".pickle", ".joblib")):
                pickles += 1
            if name == "data.pkl" or name.endswith("/data.pkl"):
                data_pkl = True
            if name == "version" or name.endswith("/version"):
                version = True
            if name.startswith("data/") or "/data/" in name:
                data_dir = True
            if name in ("config.json", "model.weights.h5", "metadata.json"):
                top.add(name)
                if name == "metadata.json":
                    metadata_entry = entry
            if not name.endswith("/"):
                if name.endswith(".npy"):
                    if len(npy_entries) < NPZ_HEADERS_CHECKED:
                        npy_entries.append(entry)
                else:
                    all_npy = False
    except _Malformed as exc:
        return Detection("zip", details, error=str(exc))
    details["entries"] = total
    if inspected < total:
        details["entries_inspected"] = inspected

    if data_pkl and (version or data_dir):
        return Detection("pytorch", {"entries": total, "has_pickle": True, "pickle_entries": pickles})
    if "config.json" in top and ("model.weights.h5" in top or "metadata.json" in top):
        keras = {"container": "zip", "entries": total}
        keras.update(_keras_metadata(src, metadata_entry))
        return Detection("keras", keras)
    if all_npy and inspected and inspected == total:
        return Detection("numpy", _npz_details(src, names, total, npy_entries))
    if pickles:
        details["contains_pickle"] = True
    details["names"] = names[:20]
    return Detection("zip", details)


def _zip_directory(src, details):
    """Locate the central directory; returns (entry count, iterator over entries)."""
    tail_len = min(src.size, 22 + 65535)
    tail_start = src.size - tail_len
    tail = src.read_at(tail_start, tail_len)
    pos = tail.rfind(b"PK\x05\x06")
    while pos >= 0 and pos + 22 > len(tail):
        pos = tail.rfind(b"PK\x05\x06", 0, pos)
    if pos < 0:
        raise _Malformed("corrupt zip: end of central directory record not found")
    _, disk, cd_disk, _, total, cd_size, cd_offset, _ = struct.unpack("<4sHHHHIIH", tail[pos:pos + 22])
    eocd = tail_start + pos
    directory_end = eocd
    locator = src.read_at(eocd - 20, 20) if eocd >= 20 else b""
    if locator[:4] == b"PK\x06\x07":
        record = src.read_at(eocd - 20 - 56, 56) if eocd >= 76 else b""
        if len(record) < 56 or record[:4] != b"PK\x06\x06":
            raise _Malformed("corrupt zip: zip64 end of central directory record not found")
        (_, _, _, _, disk, cd_disk, _, total, cd_size, cd_offset) = struct.unpack("<4sQHHIIQQQQ", record)
        directory_end = eocd - 20 - 56
    elif 0xFFFF in (total,) or 0xFFFFFFFF in (cd_size, cd_offset):
        raise _Malformed("corrupt zip: zip64 locator missing")
    if disk or cd_disk:
        raise _Malformed("multi-disk zip archives are not supported")
    if cd_size + cd_offset > directory_end:
        raise _Malformed("corrupt zip: central directory lies outside the file")
    if total * 46 > cd_size:
        raise _Malformed(f"corrupt zip: {total} entries cannot fit in a {cd_size}-byte central directory")
    concat = directory_end - cd_size - cd_offset  # bytes prepended to the archive, if any
    start = cd_offset + concat
    return total, _zip_entries(src, start, cd_size, total, concat)


def _zip_entries(src, start, cd_size, total, concat):
    cap = start + min(cd_size, ZIP_MAX_DIRECTORY)
    cur = _Cursor(src, start, cap=cap, what="zip central directory",
                  cap_message="zip central directory exceeds its size bound")
    for _ in range(min(total, ZIP_MAX_ENTRIES)):
        if cur.pos + 46 > cap and cap < start + cd_size:
            return  # the inspection bound is reached; the rest is not looked at
        fixed = cur.read(46)
        if fixed[:4] != b"PK\x01\x02":
            raise _Malformed(f"corrupt zip central directory at byte {cur.pos - 46}")
        (flags, method, compressed, uncompressed, name_len, extra_len, comment_len, local) = \
            struct.unpack("<8xHH8xIIHHH8xI", fixed)
        if cur.pos + name_len + extra_len + comment_len > cap and cap < start + cd_size:
            return
        raw_name = cur.read(name_len)
        extra = cur.read(extra_len)
        cur.skip(comment_len)
        if 0xFFFFFFFF in (compressed, uncompressed, local):
            uncompressed, compressed, local = _zip64_extra(extra, uncompressed, compressed, local)
        name = _clean(raw_name.decode("utf-8", "replace") if flags & 0x800 else raw_name.decode("cp437"), 1024)
        yield _ZipEntry(name, flags, method, compressed, uncompressed, local + concat)


def _zip64_extra(extra, uncompressed, compressed, local):
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        if tag == 1:
            data = extra[pos + 4:pos + 4 + length]
            values = [struct.unpack_from("<Q", data, i)[0] for i in range(0, len(data) - 7, 8)]
            if uncompressed == 0xFFFFFFFF and values:
                uncompressed = values.pop(0)
            if compressed == 0xFFFFFFFF and values:
                compressed = values.pop(0)
            if local == 0xFFFFFFFF and values:
                local = values.pop(0)
            break
        pos += 4 + length
    return uncompressed, compressed, local


def _zip_member_prefix(src, entry, n) -> bytes | None:
    """At most ``n`` leading bytes of a stored or deflated member, without extracting it."""
    if entry.flags & 1:
        return None  # encrypted
    local = src.read_at(entry.offset, 30)
    if len(local) < 30 or local[:4] != b"PK\x03\x04":
        return None
    name_len, extra_len = struct.unpack_from("<HH", local, 26)
    data = entry.offset + 30 + name_len + extra_len
    if entry.method == 0:
        return src.read_at(data, min(n, entry.compressed))
    if entry.method == 8:
        raw = src.read_at(data, min(entry.compressed, 4 * n + 1024))
        try:
            return zlib.decompressobj(-15).decompress(raw, n)
        except zlib.error:
            return None
    return None


def _npz_details(src, names, total, entries) -> dict:
    details = {"container": "zip", "array_count": total,
               "arrays": [name[:-4] for name in names if name.endswith(".npy")][:ZIP_NAMES_KEPT]}
    contains_pickle = False
    checked = 0
    for entry in entries:
        prefix = _zip_member_prefix(src, entry, NPY_MAX_HEADER + 16)
        if prefix is None or prefix[:6] != b"\x93NUMPY":
            continue
        try:
            member = _npy_header(_BytesSource(prefix), entry.uncompressed)
        except _Malformed:
            continue
        checked += 1
        if member["contains_pickle"]:
            contains_pickle = True
    if not contains_pickle and checked < total:
        contains_pickle = None  # not every member could be checked: unknown
    details["contains_pickle"] = contains_pickle
    return details


def _keras_metadata(src, entry) -> dict:
    """keras_version from a small metadata.json member (inflated at most 64 KiB)."""
    if entry is None or entry.uncompressed > 64 * KiB:
        return {}
    data = _zip_member_prefix(src, entry, 64 * KiB)
    if data is None or len(data) != entry.uncompressed:
        return {}
    try:
        metadata = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        return {}
    version = metadata.get("keras_version") if isinstance(metadata, dict) else None
    return {"keras_version": _clean(version, 64)} if isinstance(version, str) else {}


# --------------------------------------------------------------------------------------------
# numpy .npy
# --------------------------------------------------------------------------------------------

def _probe_npy(src, head) -> Detection | None:
    if head[:6] != b"\x93NUMPY":
        return None
    try:
        return Detection("numpy", _npy_header(src, src.size))
    except _Malformed as exc:
        return Detection("numpy", {}, error=str(exc))


def _npy_header(src, total) -> dict:
    pre = src.read_at(0, 12)
    if len(pre) < 10:
        raise _Malformed("npy preamble is truncated")
    major, minor = pre[6], pre[7]
    if major == 1:
        length, start = struct.unpack_from("<H", pre, 8)[0], 10
    elif major in (2, 3):
        if len(pre) < 12:
            raise _Malformed("npy preamble is truncated")
        length, start = struct.unpack_from("<I", pre, 8)[0], 12
    else:
        raise _Malformed(f"unsupported npy version {major}.{minor}")
    if length > NPY_MAX_HEADER:
        raise _Malformed(f"npy header length {length} exceeds the {_size(NPY_MAX_HEADER)} bound")
    if start + length > total:
        raise _Malformed(f"npy header length {length} exceeds the file size")
    raw = src.read_at(start, length)
    if len(raw) < length:
        raise _Malformed("npy header is truncated")
    try:
        text = raw.decode("utf-8" if major >= 3 else "latin-1")
    except UnicodeDecodeError:
        raise _Malformed("npy header is not UTF-8") from None
    header = _npy_literal(text.strip())
    if set(header) != {"descr", "fortran_order", "shape"}:
        raise _Malformed("npy header must have exactly the keys descr, fortran_order and shape")
    shape, fortran, descr = header["shape"], header["fortran_order"], header["descr"]
    if not isinstance(shape, tuple) or len(shape) > 64 or not all(_is_uint(d) for d in shape):
        raise _Malformed("npy shape must be a tuple of non-negative integers")
    if not isinstance(fortran, bool):
        raise _Malformed("npy fortran_order must be a boolean")
    contains_pickle = _npy_descr_has_object(descr, 0)
    count = 1
    for d in shape:
        count *= d
    return {"version": f"{major}.{minor}", "dtype": descr if isinstance(descr, str) else "structured",
            "shape": list(shape), "fortran_order": fortran, "element_count": count,
            "contains_pickle": contains_pickle}


def _npy_literal(text: str) -> dict:
    if not (text.startswith("{") and text.endswith("}")):
        raise _Malformed("npy header is not a dict literal")
    depth = deepest = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    if deepest > NPY_MAX_NESTING:
        raise _Malformed("npy header is nested too deeply")
    try:
        value = ast.literal_eval(text)  # bounded text, literals only; nothing is executed
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise _Malformed("npy header is not a valid literal") from None
    if not isinstance(value, dict):
        raise _Malformed("npy header is not a dict literal")
    return value


def _npy_descr_has_object(descr, depth) -> bool:
    if depth > 8:
        raise _Malformed("npy dtype is nested too deeply")
    if isinstance(descr, str):
        if not descr or len(descr) > 64:
            raise _Malformed("npy dtype string is empty or too long")
        return descr.lstrip("<>|=")[:1] == "O"
    if isinstance(descr, list) and len(descr) <= 4096:
        found = False
        for field in descr:
            if not isinstance(field, tuple) or len(field) not in (2, 3) or not isinstance(field[0], (str, tuple)):
                raise _Malformed("npy structured dtype field is malformed")
            found = _npy_descr_has_object(field[1], depth + 1) or found
        return found
    raise _Malformed("npy dtype is neither a string nor a list of fields")


# --------------------------------------------------------------------------------------------
# HDF5 (and Keras .h5)
# --------------------------------------------------------------------------------------------

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _probe_hdf5(src, head) -> Detection | None:
    for offset in HDF5_OFFSETS:
        if head[offset:offset + 8] == _HDF5_SIGNATURE:
            break
    else:
        return None
    details = {"superblock_offset": offset}
    if len(head) > offset + 8:
        details["superblock_version"] = head[offset + 8]
    prefix = src.read_at(0, HDF5_KERAS_SCAN)
    if b"keras_version" in prefix or b"model_config" in prefix:
        return Detection("keras", {"container": "hdf5", **details})
    return Detection("hdf5", details)


# --------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------

def _probe_pdf(src, head) -> Detection | None:
    if head[:5] != b"%PDF-":
        return None
    match = re.match(rb"%PDF-(\d{1,2}\.\d{1,2})", head)
    if not match:
        return Detection("pdf", {}, error="PDF header has no version")
    return Detection("pdf", {"version": match.group(1).decode("ascii")})


# --------------------------------------------------------------------------------------------
# tar
# --------------------------------------------------------------------------------------------

def _probe_tar(src, head) -> Detection | None:
    if head[257:262] != b"ustar":
        return None
    details: dict = {}
    try:
        _tar_members(src, details)
    except _Malformed as exc:
        return Detection("tar", details, error=str(exc))
    return Detection("tar", details)


def _tar_members(src, details) -> None:
    members: list = []
    details["members"] = members
    offset = 0
    pending = None
    for _ in range(4 * TAR_MEMBERS_KEPT):
        if len(members) >= TAR_MEMBERS_KEPT:
            return
        header = src.read_at(offset, 512)
        if len(header) < 512:
            if offset == 0:
                raise _Malformed("tar header is truncated")
            return
        if header.count(0) == 512:
            return
        if header[257:262] != b"ustar":
            raise _Malformed(f"tar member header at byte {offset} lacks the ustar magic")
        stored = _tar_number(header[148:156])
        unsigned = sum(header[:148]) + 8 * 32 + sum(header[156:])
        signed = sum(struct.unpack("148b", header[:148])) + 8 * 32 + sum(struct.unpack("356b", header[156:]))
        if stored not in (unsigned, signed):
            raise _Malformed(f"tar member header at byte {offset} has a bad checksum")
        size = _tar_number(header[124:136])
        kind = header[156:157]
        if offset + 512 + size > src.size:
            raise _Malformed(f"tar member at byte {offset} extends past the end of the file")
        if kind == b"L":
            pending = src.read_at(offset + 512, min(size, 4096)).split(b"\x00", 1)[0]
        elif kind == b"x":
            if size <= 64 * KiB:
                match = re.search(rb"\d+ path=([^\n]*)\n", src.read_at(offset + 512, size))
                if match:
                    pending = match.group(1)
        elif kind not in (b"g", b"K"):
            name = header[:100].split(b"\x00", 1)[0]
            if header[257:263] == b"ustar\x00":
                prefix = header[345:500].split(b"\x00", 1)[0]
                if prefix:
                    name = prefix + b"/" + name
            members.append(_clean(pending if pending is not None else name, 256))
            pending = None
        offset += 512 + -(-size // 512) * 512


def _tar_number(field: bytes) -> int:
    if field[:1] and field[0] & 0x80:
        if field[0] == 0xFF:
            raise _Malformed("negative number in tar header")
        return int.from_bytes(bytes([field[0] & 0x7F]) + field[1:], "big")
    digits = field.split(b"\x00", 1)[0].strip(b" ")
    if not digits:
        return 0
    try:
        return int(digits, 8)
    except ValueError:
        raise _Malformed("invalid number in tar header") from None


# --------------------------------------------------------------------------------------------
# pickle and joblib (never loaded: the opcode stream is walked, arguments skipped)
# --------------------------------------------------------------------------------------------

_PICKLE_OPS = {op.code.encode("latin-1")[0]: op for op in pickletools.opcodes}
_PROTO, _STOP = 0x80, 0x2E


def _walk_pickle(src, start=0):
    """Walk opcodes from ``start``. Returns (ops walked, outcome) where outcome is "stop" (a
    STOP opcode was reached), "bounded" (the walk limits were reached) or "invalid"."""
    cur = _Cursor(src, start, what="pickle stream")
    ops = 0
    try:
        while ops < PICKLE_MAX_OPS and cur.pos - start < PICKLE_MAX_SPAN:
            code = cur.u8()
            op = _PICKLE_OPS.get(code)
            if op is None:
                return ops, "invalid"
            ops += 1
            arg = op.arg
            if arg is not None:
                n = arg.n
                if n >= 0:
                    cur.skip(n)
                elif n == pickletools.UP_TO_NEWLINE:
                    cur.line()
                    if arg.name == "stringnl_noescape_pair":
                        cur.line()
                elif n == pickletools.TAKEN_FROM_ARGUMENT1:
                    cur.skip(cur.u8())
                elif n == pickletools.TAKEN_FROM_ARGUMENT4:
                    length = cur.unpack("i")
                    if length < 0:
                        return ops, "invalid"
                    cur.skip(length)
                elif n == pickletools.TAKEN_FROM_ARGUMENT4U:
                    cur.skip(cur.u32())
                elif n == pickletools.TAKEN_FROM_ARGUMENT8U:
                    cur.skip(cur.u64())
                else:
                    return ops, "invalid"
            if code == _STOP:
                return ops, "stop"
    except _Malformed:
        return ops, "invalid"
    return ops, "bounded"


def _pickle_detection(src, head, extra=None) -> Detection | None:
    """A pickle of protocol 2..5 starting at byte 0 of ``src``, or None."""
    if len(head) < 3 or head[0] != _PROTO or not 2 <= head[1] <= 5:
        return None
    ops, outcome = _walk_pickle(src)
    if outcome == "invalid" and ops < PICKLE_MIN_OPS:
        return None
    details = {"protocol": head[1], **(extra or {})}
    return Detection("joblib" if b"joblib" in head else "pickle", details)


# torch.save's legacy (pre-zip) format starts with a protocol-2 pickle of this magic number.
_TORCH_LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19."


def _probe_pickle(src, head) -> Detection | None:
    if head.startswith(_TORCH_LEGACY_MAGIC):
        return Detection("pytorch", {"container": "legacy", "has_pickle": True})
    return _pickle_detection(src, head)


def _probe_pickle_text(src, head) -> Detection | None:
    """Protocol 0/1 pickles: only small files that walk cleanly to a final STOP."""
    if src.size > HEAD_BYTES or len(head) < 2:
        return None
    op = _PICKLE_OPS.get(head[0])
    if op is None or op.code in ".\x80":
        return None
    try:
        ops = 0
        last = None
        highest = 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # odd string escapes in arbitrary text
            for opcode, _, pos in pickletools.genops(io.BytesIO(head)):  # decodes arguments only
                ops += 1
                last = (opcode.name, pos)
                highest = max(highest, opcode.proto)
    except Exception:
        return None
    if ops < 2 or last is None or last[0] != "STOP" or last[1] != len(head) - 1 or highest > 1:
        return None
    return Detection("joblib" if b"joblib" in head else "pickle", {"protocol": highest})


# --------------------------------------------------------------------------------------------
# Compressed streams (compressed joblib/pickle, tar.gz, ...): a bounded prefix is inflated
# --------------------------------------------------------------------------------------------

def _probe_compressed(src, head) -> Detection | None:
    strong = True
    if head[:3] == b"\x1f\x8b\x08":
        kind, make = "gzip", lambda: zlib.decompressobj(31)
    elif head[:6] == b"\xfd7zXZ\x00":
        kind, make = "xz", lambda: lzma.LZMADecompressor(lzma.FORMAT_XZ)
    elif head[:3] == b"BZh" and head[4:10] == b"\x31\x41\x59\x26\x53\x59":
        kind, make = "bz2", bz2.BZ2Decompressor
    elif len(head) >= 2 and head[0] == 0x78 and (head[0] << 8 | head[1]) % 31 == 0:
        kind, make, strong = "zlib", zlib.decompressobj, False
    elif head[:3] == b"\x5d\x00\x00":
        kind, make, strong = "lzma", lambda: lzma.LZMADecompressor(lzma.FORMAT_ALONE), False
    elif head[:4] == b"\x04\x22\x4d\x18":
        return Detection("unknown", {"compression": "lz4"})
    elif head[:4] == b"\x28\xb5\x2f\xfd":
        return Detection("unknown", {"compression": "zstd"})
    else:
        return None
    inner = _inflate_prefix(src, make)
    if inner:
        found = _pickle_detection(_BytesSource(inner), inner, {"compression": kind})
        if found is not None:
            return found
        if inner[257:262] == b"ustar":
            details = {"compression": kind}
            try:
                _tar_members(_BytesSource(inner), details)
            except _Malformed:
                pass  # only a prefix was inflated; later members are not visible
            return Detection("tar", details)
    return Detection("unknown", {"compression": kind}) if strong else None


def _inflate_prefix(src, make) -> bytes:
    out = bytearray()
    try:
        decoder = make()
        consumed = 0
        while len(out) < DECOMPRESS_OUT and consumed < DECOMPRESS_IN:
            chunk = src.read_at(consumed, 16 * KiB)
            if not chunk:
                break
            consumed += len(chunk)
            out += decoder.decompress(chunk, DECOMPRESS_OUT - len(out))
            if decoder.eof:
                break
    except (zlib.error, lzma.LZMAError, OSError, EOFError, ValueError):
        return bytes(out)
    return bytes(out[:DECOMPRESS_OUT])


# --------------------------------------------------------------------------------------------
# ONNX: a protobuf ModelProto, top-level fields read by hand
# --------------------------------------------------------------------------------------------

_ONNX_STRINGS = {2: "producer_name", 3: "producer_version", 4: "domain"}


def _varint(cur) -> int:
    result = shift = 0
    for _ in range(10):
        byte = cur.u8()
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if result >= 1 << 64:
                raise _Malformed("protobuf varint overflows 64 bits")
            return result
        shift += 7
    raise _Malformed("protobuf varint is longer than 10 bytes")


def _probe_onnx(src, head) -> Detection | None:
    if head[:1] != b"\x08":  # serialisers write ir_version (field 1, varint) first
        return None
    cur = _Cursor(src, 0, what="protobuf message")
    details: dict = {}
    graph = False
    opsets: list = []

    def claimed():
        return "ir_version" in details and (graph or opsets)

    try:
        for index in range(ONNX_MAX_FIELDS):
            if cur.pos >= src.size:
                break
            key = _varint(cur)
            field, wire = key >> 3, key & 7
            if index == 0:
                if (field, wire) != (1, 0):
                    return None
                value = _varint(cur)
                if not 1 <= value <= 20:
                    return None
                details["ir_version"] = value
                continue
            if not 1 <= field <= 32:
                raise _Malformed(f"protobuf field number {field} out of range for a ModelProto")
            if wire == 0:
                value = _varint(cur)
                if field == 5:
                    details["model_version"] = value
            elif wire == 1:
                cur.skip(8)
            elif wire == 5:
                cur.skip(4)
            elif wire == 2:
                length = _varint(cur)
                if length > src.size - cur.pos:
                    raise _Malformed(f"protobuf field {field} extends past the end of the file")
                if field in _ONNX_STRINGS and length <= ONNX_MAX_STRING:
                    try:
                        details[_ONNX_STRINGS[field]] = cur.read(length).decode("utf-8")
                    except UnicodeDecodeError:
                        raise _Malformed(f"protobuf string field {field} is not UTF-8") from None
                elif field == 8 and length <= 4 * KiB:
                    opsets.append(_onnx_opset(cur.read(length)))
                else:
                    graph = graph or field == 7
                    cur.skip(length)  # graph bytes and other payloads are skipped, never read
            else:
                raise _Malformed(f"protobuf wire type {wire} is not valid here")
    except _Malformed as exc:
        if claimed():
            return Detection("onnx", _onnx_details(details, graph, opsets), error=str(exc))
        return None
    if not claimed():
        return None
    return Detection("onnx", _onnx_details(details, graph, opsets))


def _onnx_opset(data: bytes) -> dict:
    cur = _Cursor(_BytesSource(data), what="opset_import")
    domain, version = "", None
    while cur.pos < len(data):
        key = _varint(cur)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value = _varint(cur)
            if field == 2:
                version = value
        elif wire == 2:
            raw = cur.read(_varint(cur))
            if field == 1:
                domain = _clean(raw, 128)
        elif wire == 1:
            cur.skip(8)
        elif wire == 5:
            cur.skip(4)
        else:
            raise _Malformed("opset_import is malformed")
    return {"domain": domain or "ai.onnx", "version": version}


def _onnx_details(details, graph, opsets) -> dict:
    result = {key: (_clean(value, 256) if isinstance(value, str) else value) for key, value in details.items()}
    result["has_graph"] = graph
    if opsets:
        result["opset_import"] = opsets[:16]
    return result


# --------------------------------------------------------------------------------------------
# Text family: json, yaml, markdown, text
# --------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_MD_HEADING = re.compile(r"^#{1,6}[ \t]+\S")
_MD_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_MD_LINK = re.compile(r"!?\[[^\]\n]+\]\([^)\s]+(?:[ \t]+\"[^\"\n]*\")?\)")
_MD_TABLE = re.compile(r"^\s*\|.*\|\s*$")
_MD_LIST = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+\S")
_MD_INLINE = re.compile(r"(\*\*|__)[^\s*_][^*_\n]*\1|`[^`\n]+`")
_MD_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_CODE_LINE = re.compile(r"^\s*(?:import\s|from\s+\S+\s+import\s|def\s|class\s|return\b|#include\b|#!|"
                        r"function\b|const\s|let\s|var\s|public\s|private\s)|[;{}]\s*$")
_YAML_KEY = re.compile(r"""^\s*(?:-\s+)?(?:"[^"\n]*"|'[^'\n]*'|[^\s#:\-?"'\[\]{}|>][^#:\n]*?)\s*:(?:[ \t]|$)""")
_YAML_ITEM = re.compile(r"^\s*-(?:[ \t]|$)")


def _probe_text(src, head) -> Detection | None:
    truncated = src.size > len(head)
    try:
        text = codecs.getincrementaldecoder("utf-8")("strict").decode(head, final=not truncated)
    except UnicodeDecodeError:
        return None
    if "\x00" in text:
        return None
    if text.startswith("\ufeff"):
        text = text[1:]
    if len(_CONTROL.findall(text)) > max(8, len(text) // 100):
        return None
    found = _json_detection(src, text)
    if found is not None:
        return found
    lines = text.splitlines()
    if truncated and lines:
        lines = lines[:-1]  # the last line may be cut off
    return _classify_lines(lines)


def _json_detection(src, text) -> Detection | None:
    stripped = text.lstrip(" \t\r\n")
    if stripped[:1] not in ("{", "["):
        return None
    top = "object" if stripped[0] == "{" else "array"
    if src.size > JSON_FULL_PARSE:
        following = stripped[1:].lstrip(" \t\r\n")[:1]
        allowed = '"}' if top == "object" else '{["-0123456789tfn]'
        if following and following in allowed:
            return Detection("json", {"validated": False, "top_level": top})
        return None
    raw = src.read_at(0, src.size)
    try:
        document = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    keys: list = []

    def pairs_hook(pairs):  # objects are discarded as they are built; the last is the top level
        keys[:] = [key for key, _ in pairs[:JSON_KEYS_KEPT]]
        return 0

    options = dict(object_pairs_hook=pairs_hook, parse_int=lambda s: 0, parse_float=lambda s: 0,
                   parse_constant=lambda s: 0)
    try:
        json.loads(document, **options)
    except (ValueError, RecursionError):
        pass
    else:
        details = {"validated": True, "top_level": top}
        if top == "object":
            details["keys"] = [_clean(k, 128) for k in keys]
        return Detection("json", details)
    records = 0
    try:
        for line in document.splitlines():
            if line.strip():
                json.loads(line, **options)
                records += 1
    except (ValueError, RecursionError):
        return None
    if records >= 2:
        return Detection("json", {"validated": True, "top_level": "lines", "records": records})
    return None


def _markdown_score(lines):
    score = strong = code = nonblank = 0
    capped = {"heading": 0, "fence": 0, "link": 0, "table": 0, "list": 0, "inline": 0, "setext": 0}
    limits = {"heading": 3, "fence": 2, "link": 3, "table": 3, "list": 3, "inline": 3, "setext": 2}
    weights = {"heading": 2, "fence": 2, "link": 2, "table": 1, "list": 1, "inline": 1, "setext": 2}

    def hit(kind):
        nonlocal score, strong
        if capped[kind] < limits[kind]:
            capped[kind] += 1
            score += weights[kind]
            if kind not in ("heading", "list"):
                strong += 1

    in_fence = False
    previous = ""
    for line in lines:
        if _MD_FENCE.match(line):
            hit("fence")
            in_fence = not in_fence
            previous = ""
            continue
        if in_fence:
            continue
        if not line.strip():
            previous = ""
            continue
        nonblank += 1
        if _MD_HEADING.match(line):
            hit("heading")
        elif _MD_SETEXT.match(line) and previous and not _MD_LIST.match(previous):
            hit("setext")
        elif _MD_TABLE.match(line):
            hit("table")
        elif _MD_LIST.match(line):
            hit("list")
        if _MD_LINK.search(line):
            hit("link")
        if _MD_INLINE.search(line):
            hit("inline")
        if _CODE_LINE.search(line):
            code += 1
        previous = line
    looks_like_code = code >= 3 and code * 5 >= nonblank
    return score, strong, looks_like_code


def _yaml_like(lines) -> bool:
    counted = keys = items = 0
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped in ("---", "..."):
            continue
        if _YAML_KEY.match(line):
            keys += 1
            counted += 1
        elif _YAML_ITEM.match(line):
            items += 1
            counted += 1
        elif line[:1] in (" ", "\t"):
            continue  # continuation of a block scalar or flow value: neutral
        else:
            counted += 1
    return keys >= 1 and counted >= 2 and (keys + items) * 5 >= counted * 4


def _classify_lines(lines) -> Detection:
    """Markdown vs YAML vs plain text, by a small scoring rule:

    * YAML front matter (``---`` … ``---``) followed by a body is markdown (model cards);
    * a file starting with ``---`` otherwise is YAML;
    * YAML when at least 80% of the non-comment lines are ``key: value`` / ``- item`` lines
      (with one ``key:`` at least) and there is no markdown signal other than ``#`` lines
      (YAML comments look like headings);
    * markdown when headings (2 each), fenced code (2), links (2), setext headings (2),
      tables, lists and inline emphasis/code (1 each; each kind capped) score at least 4,
      unless the lines look like source code;
    * text otherwise.
    """
    score, strong, code = _markdown_score(lines)
    if lines and lines[0].rstrip() == "---":
        end = next((i for i in range(1, min(len(lines), 1000)) if lines[i].rstrip() in ("---", "...")), None)
        if end is not None:
            body = lines[end + 1:]
            if not any(line.strip() for line in body):
                return Detection("yaml", {})
            body_score, body_strong, _ = _markdown_score(body)
            if _yaml_like(body) and body_strong == 0:
                return Detection("yaml", {"documents": "multiple"})
            return Detection("markdown", {"front_matter": True})
        return Detection("yaml", {})
    if _yaml_like(lines) and strong == 0:
        return Detection("yaml", {})
    if score >= 4 and not code:
        return Detection("markdown", {"front_matter": False})
    return Detection("text", {"encoding": "utf-8"})


_PROBES = (
    _probe_gguf,
    _probe_zip,
    _probe_hdf5,
    _probe_npy,
    _probe_pdf,
    _probe_tar,
    _probe_pickle,
    _probe_compressed,
    _probe_safetensors,
    _probe_onnx,
    _probe_pickle_text,
    _probe_text,
)
