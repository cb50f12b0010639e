"""Generators of real sample files for format detection, written with the standard library
only (no torch, numpy, safetensors or gguf packages). Each returns the file's bytes."""

from __future__ import annotations

import gzip
import io
import json
import pickle
import random
import struct
import tarfile
import zipfile
import zlib

# ---------------------------------------------------------------------------------------------
# safetensors
# ---------------------------------------------------------------------------------------------

SAFETENSORS_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1,
                     "BOOL": 1}


def safetensors_header(tensors: dict, metadata: dict | None = None) -> tuple[dict, int]:
    """The header dict for ``{name: (dtype, shape)}`` with contiguous data offsets, and the
    data section's size."""
    header: dict = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    for name, (dtype, shape) in tensors.items():
        count = 1
        for d in shape:
            count *= d
        size = count * SAFETENSORS_BYTES[dtype]
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    return header, offset


def safetensors_bytes(header, data_size: int, *, pad_to: int | None = None) -> bytes:
    """Assemble a file from a header (dict, or raw text/bytes) and a zero-filled data section."""
    raw = header if isinstance(header, bytes) else (header if isinstance(header, str) else json.dumps(header)).encode()
    if pad_to is not None:
        raw = raw.ljust(pad_to, b" ")
    return struct.pack("<Q", len(raw)) + raw + bytes(data_size)


def safetensors(tensors: dict, metadata: dict | None = None) -> bytes:
    header, data_size = safetensors_header(tensors, metadata)
    return safetensors_bytes(header, data_size)


# ---------------------------------------------------------------------------------------------
# GGUF
# ---------------------------------------------------------------------------------------------

UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64 = range(13)
_SCALAR = {UINT8: "B", INT8: "b", UINT16: "H", INT16: "h", UINT32: "I", INT32: "i", FLOAT32: "f", BOOL: "?",
           UINT64: "Q", INT64: "q", FLOAT64: "d"}
GGML_F32, GGML_F16, GGML_Q8_0, GGML_Q4_K = 0, 1, 8, 12
_GGML_BLOCK = {GGML_F32: (1, 4), GGML_F16: (1, 2), GGML_Q8_0: (32, 34), GGML_Q4_K: (256, 144)}


def gguf_string(value: str | bytes) -> bytes:
    raw = value.encode() if isinstance(value, str) else value
    return struct.pack("<Q", len(raw)) + raw


def gguf_value(vtype: int, value) -> bytes:
    if vtype in _SCALAR:
        return struct.pack("<" + _SCALAR[vtype], value)
    if vtype == STRING:
        return gguf_string(value)
    if vtype == ARRAY:
        etype, items = value
        return struct.pack("<IQ", etype, len(items)) + b"".join(gguf_value(etype, item) for item in items)
    raise ValueError(vtype)


def gguf_kv(key: str, vtype: int, value) -> bytes:
    return gguf_string(key) + struct.pack("<I", vtype) + gguf_value(vtype, value)


def gguf(kvs: list, tensors: list, *, version: int = 3, alignment: int = 32) -> bytes:
    """``kvs``: [(key, type, value)]; ``tensors``: [(name, dims, ggml_type)]. Tensor data is
    zero-filled at aligned offsets after the header."""
    out = bytearray(b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kvs)))
    for key, vtype, value in kvs:
        out += gguf_kv(key, vtype, value)
    offset = 0
    sizes = []
    for name, dims, ggml_type in tensors:
        count = 1
        for d in dims:
            count *= d
        elements, block_bytes = _GGML_BLOCK[ggml_type]
        size = count // elements * block_bytes
        out += gguf_string(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", ggml_type, offset)
        sizes.append(size)
        offset += -(-size // alignment) * alignment
    out += bytes(-len(out) % alignment)
    out += bytes(offset)
    return bytes(out)


def gguf_llama(version: int = 3) -> bytes:
    """A small llama-style GGUF: several metadata values incl. a string array, 4 tensors."""
    kvs = [
        ("general.architecture", STRING, "llama"),
        ("general.name", STRING, "Tiny Llama"),
        ("general.file_type", UINT32, 7),
        ("llama.context_length", UINT32, 4096),
        ("llama.embedding_length", UINT32, 64),
        ("llama.rope.freq_base", FLOAT32, 10000.0),
        ("tokenizer.ggml.model", STRING, "llama"),
        ("tokenizer.ggml.tokens", ARRAY, (STRING, ["<unk>", "<s>", "</s>", "hello", "world"])),
        ("tokenizer.ggml.scores", ARRAY, (FLOAT32, [0.0, 0.0, 0.0, -1.0, -2.0])),
        ("tokenizer.ggml.merges", ARRAY, (ARRAY, [(STRING, ["h e", "he llo"]), (STRING, [])])),
        ("tokenizer.ggml.add_bos_token", BOOL, True),
    ]
    tensors = [
        ("token_embd.weight", [64, 5], GGML_F16),          # 320
        ("blk.0.attn_q.weight", [64, 64], GGML_Q8_0),      # 4096
        ("blk.0.ffn_up.weight", [256, 3], GGML_Q4_K),      # 768
        ("output_norm.weight", [64], GGML_F32),            # 64
    ]
    return gguf(kvs, tensors, version=version)


GGUF_LLAMA_PARAMETERS = 320 + 4096 + 768 + 64


# ---------------------------------------------------------------------------------------------
# zip containers
# ---------------------------------------------------------------------------------------------

def zip_bytes(members: dict, compression=zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def torch_zip() -> bytes:
    """The layout of ``torch.save`` (new zip format)."""
    return zip_bytes({
        "archive/data.pkl": pickle.dumps({"weight": "persistent-id-0"}, protocol=2),
        "archive/byteorder": b"little",
        "archive/data/0": bytes(64),
        "archive/version": b"3\n",
        "archive/.data/serialization_id": b"1234567890",
    })


def keras_zip() -> bytes:
    return zip_bytes({
        "metadata.json": json.dumps({"keras_version": "3.4.1", "date_saved": "2024-06-01@12:00:00"}),
        "config.json": json.dumps({"module": "keras", "class_name": "Sequential", "config": {}}),
        "model.weights.h5": hdf5(),
    }, compression=zipfile.ZIP_DEFLATED)


def npz(arrays: dict, compression=zipfile.ZIP_STORED) -> bytes:
    """``arrays``: {name: (descr, shape)}."""
    return zip_bytes({f"{name}.npy": npy(descr, shape) for name, (descr, shape) in arrays.items()},
                     compression=compression)


# ---------------------------------------------------------------------------------------------
# numpy .npy
# ---------------------------------------------------------------------------------------------

def npy_header_text(descr, shape, fortran_order: bool = False) -> str:
    return "{'descr': %r, 'fortran_order': %r, 'shape': %r, }" % (descr, fortran_order, tuple(shape))


def npy_raw(header_text: str, *, version: int = 1, data: bytes = b"") -> bytes:
    body = header_text.encode("latin-1")
    preamble = 10 if version == 1 else 12
    body += b" " * (-(preamble + len(body) + 1) % 64) + b"\n"
    length = struct.pack("<H", len(body)) if version == 1 else struct.pack("<I", len(body))
    return b"\x93NUMPY" + bytes([version, 0]) + length + body + data


def npy(descr, shape, fortran_order: bool = False, *, version: int = 1) -> bytes:
    count = 1
    for d in shape:
        count *= d
    itemsize = int(descr[2:]) if isinstance(descr, str) and descr[2:].isdigit() else 8
    return npy_raw(npy_header_text(descr, shape, fortran_order), version=version, data=bytes(count * itemsize))


# ---------------------------------------------------------------------------------------------
# pickle and joblib
# ---------------------------------------------------------------------------------------------

def plain_pickle() -> bytes:
    return pickle.dumps({"weights": [1.0, 2.0, 3.0], "name": "model"}, protocol=4)


def joblib_pickle() -> bytes:
    """What joblib writes for a numpy array: a NumpyArrayWrapper pickle followed by raw array
    bytes. Built opcode by opcode (joblib itself is not needed, and nothing is ever loaded)."""
    def short(text):
        raw = text.encode()
        return b"\x8c" + bytes([len(raw)]) + raw + b"\x94"
    body = (short("joblib.numpy_pickle") + short("NumpyArrayWrapper") + b"\x93\x94)\x81\x94}\x94("
            + short("subclass") + short("numpy") + short("ndarray") + b"\x93\x94"
            + short("shape") + b"K\x03\x85\x94" + short("order") + short("C") + b"u" + b"b")
    frame = b"\x80\x04\x95" + struct.pack("<Q", len(body)) + body
    return frame + struct.pack("<3d", 1.0, 2.0, 3.0) + b"\x95\x01\x00\x00\x00\x00\x00\x00\x00."


def marker_pickle(path: str) -> bytes:
    """A protocol-2 pickle that, if it were ever loaded, would create the file ``path``."""
    raw = path.encode()
    return (b"\x80\x02cbuiltins\nopen\nq\x00X" + struct.pack("<I", len(raw)) + raw
            + b"X\x01\x00\x00\x00w\x86q\x01Rq\x02.")


def zlib_joblib() -> bytes:
    return zlib.compress(joblib_pickle())


def gzip_joblib() -> bytes:
    return gzip.compress(joblib_pickle())


# ---------------------------------------------------------------------------------------------
# HDF5, ONNX, tar, pdf
# ---------------------------------------------------------------------------------------------

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def hdf5(extra: bytes = b"", user_block: int = 0) -> bytes:
    """A superblock-version-0 signature and some bytes; enough for signature detection."""
    return bytes(user_block) + HDF5_SIGNATURE + b"\x00" * 8 + bytes(range(48)) + extra + bytes(256)


def keras_h5() -> bytes:
    return hdf5(b"\x00keras_version\x003.4.1\x00model_config\x00{\"class_name\": \"Sequential\"}")


def pb_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def pb_field(number: int, value) -> bytes:
    if isinstance(value, int):
        return pb_varint(number << 3) + pb_varint(value)
    raw = value.encode() if isinstance(value, str) else value
    return pb_varint(number << 3 | 2) + pb_varint(len(raw)) + raw


def onnx_model(*, ir_version: int = 8, graph: bool = True, opset: bool = True, graph_size: int = 2000) -> bytes:
    """A ModelProto encoded by hand: ir_version, producer, graph (node + name), opset_import."""
    node = pb_field(1, "X") + pb_field(2, "Y") + pb_field(4, "Relu")
    graph_bytes = pb_field(1, node) + pb_field(2, "main_graph") + pb_field(10, b"\x00" * graph_size)
    out = pb_field(1, ir_version) + pb_field(2, "pytorch") + pb_field(3, "2.3.0")
    if graph:
        out += pb_field(7, graph_bytes)
    if opset:
        out += pb_field(8, pb_field(1, "") + pb_field(2, 17))
        out += pb_field(8, pb_field(1, "com.microsoft") + pb_field(2, 1))
    return out


def tar_bytes(members: dict, mode: str = "w") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode, format=tarfile.PAX_FORMAT if "pax" in members else tarfile.GNU_FORMAT) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def pdf() -> bytes:
    return (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
            b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")


# ---------------------------------------------------------------------------------------------
# text family
# ---------------------------------------------------------------------------------------------

def json_config() -> bytes:
    return json.dumps({"model_type": "bert", "hidden_size": 768, "architectures": ["BertModel"],
                       "layers": [{"i": i} for i in range(3)]}, indent=2).encode()


YAML = b"""# Training configuration
model:
  name: resnet50
  layers: 50
optimizer:
  type: adam
  lr: 0.001
datasets:
  - imagenet
  - cifar10
description: |
  A long description that spans
  several indented lines.
"""

MARKDOWN = b"""---
license: apache-2.0
tags:
  - vision
---

# ResNet-50 model card

This model classifies images. See the [paper](https://arxiv.org/abs/1512.03385) for details.

## Usage

```python
from transformers import pipeline
clf = pipeline("image-classification")
```

- trained on **ImageNet**
- top-1 accuracy 76%
"""

MARKDOWN_PLAIN = b"""Evaluation report
=================

## Results

| metric | value |
|--------|-------|
| accuracy | 0.91 |

See [the dashboard](https://example.org/dash) for more.
"""

TEXT = b"""These are release notes for the fraud scorer.
It was retrained on the March data with the same features.
Nothing else changed; the thresholds are unchanged.
"""

PYTHON_SOURCE = b"""# Training script
# Copyright the maintainers
import os
import sys

def main(argv):
    # parse the arguments
    return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv))
"""


def random_bytes(n: int = 4096, seed: int = 1234) -> bytes:
    data = bytearray(random.Random(seed).randbytes(n))
    data[0] = 0xF3  # not a signature byte of any format
    return bytes(data)
