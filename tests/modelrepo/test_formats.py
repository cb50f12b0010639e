"""Format detection by content (modelrepo.formats): real samples of every format, renamed
files, hostile headers, bounded reads on a large sparse file, and safety defaults."""

import gzip
import inspect
import io
import json
import os
import pickle
import random
import struct
import subprocess
import sys
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest

from modelrepo import formats
from modelrepo.formats import FORMATS, Detection, detect_file, detect_path, safety_for
from tests.modelrepo import samples as S

GiB = 1024 ** 3
MiB = 1024 ** 2


def detect(data: bytes) -> Detection:
    result = detect_file(io.BytesIO(data), len(data))
    assert result.format in FORMATS
    json.dumps(result.details, allow_nan=False)  # details are JSON-serialisable
    return result


def detect_bounded(data: bytes, peak_limit: int = 2 * MiB) -> Detection:
    """Detect while tracing allocations: hostile headers must not make the detector allocate."""
    tracemalloc.start()
    try:
        result = detect(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < peak_limit, f"detection allocated {peak} bytes"
    return result


class CountingFile:
    """A seekable binary file that counts the bytes handed out by read()."""

    def __init__(self, fh):
        self.fh = fh
        self.bytes_read = 0
        self.largest_read = 0

    def read(self, n=-1):
        assert n is not None and n >= 0, "the detector must never read without a bound"
        data = self.fh.read(n)
        self.bytes_read += len(data)
        self.largest_read = max(self.largest_read, len(data))
        return data

    def seek(self, offset, whence=0):
        return self.fh.seek(offset, whence)

    def tell(self):
        return self.fh.tell()


@pytest.fixture(autouse=True)
def no_unpickling(monkeypatch):
    """Any attempt to unpickle during these tests fails loudly."""
    def refuse(*args, **kwargs):
        raise AssertionError("the detector tried to unpickle")
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)


# ---------------------------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------------------------

def test_the_api_takes_no_file_name():
    assert list(inspect.signature(detect_file).parameters) == ["fileobj", "size"]
    assert list(inspect.signature(detect_path).parameters) == ["path"]
    assert FORMATS == ("safetensors", "gguf", "onnx", "pytorch", "pickle", "keras", "hdf5", "numpy", "joblib",
                       "zip", "tar", "json", "yaml", "text", "markdown", "pdf", "unknown")


def test_the_module_imports_nothing_from_the_project_or_django():
    code = ("import sys; import modelrepo.formats; "
            "bad = [m for m in sys.modules if m.split('.')[0] in "
            "('django', 'rest_framework', 'catalog', 'uploads', 'governance', 'qarion', 'torch', 'numpy', 'joblib')"
            " or m in ('modelrepo.models', 'modelrepo.services')]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2], env={**os.environ, "DJANGO_SETTINGS_MODULE": ""})
    assert out.stdout.strip() == "[]"


def test_the_code_never_loads_or_executes_file_content():
    import ast
    tree = ast.parse(Path(formats.__file__).read_text())
    imported = set()
    called = set()
    attributes = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            called.add(node.func.id)
        elif isinstance(node, ast.Attribute):
            base = node.value.id if isinstance(node.value, ast.Name) else None
            attributes.add(node.attr if base != "json" else f"json.{node.attr}")
    assert not imported & {"pickle", "_pickle", "dill", "torch", "joblib", "numpy", "marshal", "shelve", "zipfile",
                           "tarfile", "mmap", "importlib", "subprocess", "django"}
    assert imported - {"__future__"} <= {"ast", "bz2", "codecs", "io", "json", "lzma", "os", "pickletools", "re",
                                          "struct", "warnings", "zlib", "dataclasses"}
    assert not called & {"eval", "exec", "compile", "__import__", "getattr", "globals"}
    assert not attributes & {"load", "loads", "Unpickler", "readall", "readlines", "extractall", "extract"}
    assert "literal_eval" in attributes


# ---------------------------------------------------------------------------------------------
# One sample of each format
# ---------------------------------------------------------------------------------------------

def test_safetensors_with_three_tensors():
    data = S.safetensors({"embed.weight": ("F32", [10, 4]), "norm.bias": ("F16", [4]),
                          "steps": ("I64", [2, 3, 1])}, metadata={"format": "pt", "author": "lab"})
    result = detect(data)
    assert result == Detection("safetensors", {
        "header_size": result.details["header_size"], "tensor_count": 3, "dtypes": ["F16", "F32", "I64"],
        "parameter_count": 40 + 4 + 6, "metadata": {"format": "pt", "author": "lab"}})
    assert result.error is None


def test_safetensors_metadata_is_omitted_when_large():
    big = {f"k{i}": "v" for i in range(65)}
    result = detect(S.safetensors({"w": ("F32", [1])}, metadata=big))
    assert result.error is None and "metadata" not in result.details and result.details["metadata_omitted"]
    long_value = detect(S.safetensors({"w": ("F32", [1])}, metadata={"notes": "x" * 1025}))
    assert "metadata" not in long_value.details


def test_safetensors_details_are_clean_strings_even_with_nul_and_lone_surrogates():
    header, size = S.safetensors_header({"w": ("F32", [2])}, metadata={"a\u0000b": "\ud800x"})
    data = S.safetensors_bytes(json.dumps(header), size)
    result = detect(data)
    assert result.error is None
    text = json.dumps(result.details, ensure_ascii=False)
    text.encode("utf-8")  # no lone surrogates
    assert "\x00" not in text and "\\u0000" not in json.dumps(result.details)


def test_gguf_v3_with_metadata_string_array_and_four_tensors():
    result = detect(S.gguf_llama())
    assert result.error is None
    assert result.format == "gguf"
    d = result.details
    assert d["version"] == 3
    assert d["tensor_count"] == 4
    assert d["parameter_count"] == S.GGUF_LLAMA_PARAMETERS == 5248
    assert d["architecture"] == "llama"
    assert d["name"] == "Tiny Llama"
    assert d["context_length"] == 4096
    assert d["dtypes"] == ["F16", "F32", "Q4_K", "Q8_0"]
    assert d["vocab_size"] == 5
    assert d["metadata"]["tokenizer.ggml.model"] == "llama"


def test_gguf_v2_and_unknown_ggml_types():
    data = S.gguf([("general.architecture", S.STRING, "gpt2")], [("t", [4], S.GGML_F32)], version=2)
    assert detect(data).details["version"] == 2
    kvs = [("general.alignment", S.UINT32, 64)]
    blob = bytearray(S.gguf(kvs, [("x", [8], S.GGML_F32)], alignment=64))
    type_at = blob.index(b"x") + 1 + 4 + 8  # name, n_dims, one dim
    blob[type_at:type_at + 4] = struct.pack("<I", 77)
    result = detect(bytes(blob))
    assert result.error is None and result.details["dtypes"] == ["type_77"] and result.details["alignment"] == 64


def test_gguf_big_endian_is_read():
    data = b"GGUF" + struct.pack(">IQQ", 3, 0, 1) + struct.pack(">Q", 20) + b"general.architecture" \
        + struct.pack(">IQ", 8, 5) + b"llama"
    result = detect(data)
    assert result.error is None and result.details["architecture"] == "llama"
    assert result.details["byte_order"] == "big"


def test_pytorch_zip():
    result = detect(S.torch_zip())
    assert result == Detection("pytorch", {"entries": 5, "has_pickle": True, "pickle_entries": 1})


def test_legacy_torch_save_files_are_pytorch():
    data = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2) + pickle.dumps(1001, protocol=2) + S.plain_pickle()
    result = detect(data)
    assert result == Detection("pytorch", {"container": "legacy", "has_pickle": True})
    assert safety_for(result) == "not_scanned"


def test_a_zip_with_only_data_pkl_is_a_zip_holding_pickles():
    result = detect(S.zip_bytes({"model/data.pkl": b"\x80\x02N.", "readme.txt": b"hi"}))
    assert result.format == "zip" and result.details["contains_pickle"] is True
    assert safety_for(result) == "not_scanned"


def test_keras_v3_zip():
    result = detect(S.keras_zip())
    assert result == Detection("keras", {"container": "zip", "entries": 3, "keras_version": "3.4.1"})


def test_plain_zip():
    result = detect(S.zip_bytes({"a.txt": b"1", "b/c.csv": b"2"}, compression=zipfile.ZIP_DEFLATED))
    assert result.format == "zip" and result.details["entries"] == 2 and result.details["names"] == ["a.txt", "b/c.csv"]
    assert "contains_pickle" not in result.details
    empty = detect(S.zip_bytes({}))
    assert empty.format == "zip" and empty.details["entries"] == 0 and empty.error is None


@pytest.mark.parametrize("version", [1, 2, 3])
def test_npy(version):
    result = detect(S.npy("<f4", [3, 4], fortran_order=(version == 2), version=version))
    assert result == Detection("numpy", {"version": f"{version}.0", "dtype": "<f4", "shape": [3, 4],
                                         "fortran_order": version == 2, "element_count": 12,
                                         "contains_pickle": False})
    assert safety_for(result) == "not_applicable"


def test_npy_object_array_contains_pickles():
    result = detect(S.npy("|O", [2]))
    assert result.format == "numpy" and result.details["contains_pickle"] is True
    assert safety_for(result) == "not_scanned"
    structured = detect(S.npy_raw("{'descr': [('a', '<f4'), ('b', [('c', '|O')])], 'fortran_order': False, "
                                  "'shape': (2,), }"))
    assert structured.details["dtype"] == "structured" and structured.details["contains_pickle"] is True


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_npz(compression):
    result = detect(S.npz({"weights": ("<f4", [4, 4]), "bias": ("<f8", [4])}, compression=compression))
    assert result == Detection("numpy", {"container": "zip", "array_count": 2, "arrays": ["weights", "bias"],
                                         "contains_pickle": False})
    with_objects = detect(S.npz({"w": ("<f4", [2]), "meta": ("|O", [1])}, compression=compression))
    assert with_objects.details["contains_pickle"] is True
    assert safety_for(with_objects) == "not_scanned"


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_pickle_protocols(protocol):
    result = detect(pickle.dumps({"a": [1, 2, 3], "b": "text"}, protocol=protocol))
    assert result == Detection("pickle", {"protocol": protocol})
    assert safety_for(result) == "not_scanned"


@pytest.mark.parametrize("protocol", [0, 1])
def test_old_pickle_protocols(protocol):
    result = detect(pickle.dumps({"a": [1, 2], "b": None}, protocol=protocol))
    assert result.format == "pickle" and result.details["protocol"] == protocol


def test_protocol_4_pickle_of_a_dict():
    assert detect(S.plain_pickle()) == Detection("pickle", {"protocol": 4})


def test_joblib_pickle_and_compressed_joblib():
    assert detect(S.joblib_pickle()) == Detection("joblib", {"protocol": 4})
    assert detect(S.zlib_joblib()) == Detection("joblib", {"protocol": 4, "compression": "zlib"})
    assert detect(S.gzip_joblib()) == Detection("joblib", {"protocol": 4, "compression": "gzip"})
    assert safety_for(detect(S.zlib_joblib())) == "not_scanned"


def test_compressed_plain_pickle_and_other_compressed_data():
    assert detect(gzip.compress(S.plain_pickle())) == Detection("pickle", {"protocol": 4, "compression": "gzip"})
    assert detect(gzip.compress(S.TEXT)) == Detection("unknown", {"compression": "gzip"})
    assert detect(S.TEXT).format == "text"


def test_compressed_joblib_is_inflated_only_a_bounded_prefix():
    data = zlib.compress(S.joblib_pickle() + bytes(50 * MiB), 1)
    fh = CountingFile(io.BytesIO(data))
    assert detect_file(fh, len(data)).format == "joblib"
    assert fh.bytes_read < 2 * MiB


def test_the_detector_never_unpickles(tmp_path):
    marker = tmp_path / "created-by-unpickling"
    result = detect(S.marker_pickle(str(marker)))
    assert result == Detection("pickle", {"protocol": 2})
    assert not marker.exists()


@pytest.mark.parametrize("user_block", [0, 512, 1024, 2048])
def test_hdf5(user_block):
    result = detect(S.hdf5(user_block=user_block))
    assert result == Detection("hdf5", {"superblock_offset": user_block, "superblock_version": 0})


def test_keras_h5():
    result = detect(S.keras_h5())
    assert result.format == "keras" and result.details["container"] == "hdf5"
    assert safety_for(result) == "not_applicable"


def test_onnx():
    result = detect(S.onnx_model())
    assert result == Detection("onnx", {
        "ir_version": 8, "producer_name": "pytorch", "producer_version": "2.3.0", "has_graph": True,
        "opset_import": [{"domain": "ai.onnx", "version": 17}, {"domain": "com.microsoft", "version": 1}]})


def test_onnx_with_a_large_graph_is_skipped_not_read():
    data = S.onnx_model(graph_size=20 * MiB)
    fh = CountingFile(io.BytesIO(data))
    result = detect_file(fh, len(data))
    assert result.format == "onnx" and result.details["opset_import"][0]["version"] == 17
    assert fh.bytes_read < 1 * MiB


@pytest.mark.parametrize("kwargs", [{"ir_version": 99}, {"graph": False, "opset": False}])
def test_protobuf_without_plausible_onnx_fields_is_not_onnx(kwargs):
    assert detect(S.onnx_model(**kwargs)).format != "onnx"


def test_tar():
    result = detect(S.tar_bytes({"model/config.json": b"{}", "model/weights.bin": bytes(3000)}))
    assert result == Detection("tar", {"members": ["model/config.json", "model/weights.bin"]})
    long_name = "d/" + "x" * 150 + ".bin"
    assert detect(S.tar_bytes({long_name: b"1"})).details["members"] == [long_name]
    gz = detect(gzip.compress(S.tar_bytes({"a.txt": b"hi"})))
    assert gz == Detection("tar", {"compression": "gzip", "members": ["a.txt"]})


def test_pdf():
    assert detect(S.pdf()) == Detection("pdf", {"version": "1.7"})


def test_json():
    result = detect(S.json_config())
    assert result == Detection("json", {"validated": True, "top_level": "object",
                                         "keys": ["model_type", "hidden_size", "architectures", "layers"]})
    assert detect(b"\xef\xbb\xbf  [1, 2, {\"a\": null}]\n").details == {"validated": True, "top_level": "array"}
    assert detect(b'{"a": 1}\n{"a": 2}\n{"a": 3}\n') == Detection("json", {"validated": True, "top_level": "lines",
                                                                          "records": 3})
    assert detect(b"{ this is not json }\n").format == "text"


def test_large_json_is_checked_by_its_prefix(tmp_path):
    path = tmp_path / "big"
    with open(path, "wb") as fh:
        fh.write(b'{"vocab": {' + b", ".join(b'"tok%d": %d' % (i, i) for i in range(20000)))
        fh.truncate(17 * MiB)
    assert detect_path(path) == Detection("json", {"validated": False, "top_level": "object"})


def test_yaml():
    assert detect(S.YAML).format == "yaml"
    assert detect(b"---\nname: x\nlayers: 3\n").format == "yaml"
    assert detect(b"name: resnet\nlayers: 50\n").format == "yaml"


def test_markdown():
    assert detect(S.MARKDOWN) == Detection("markdown", {"front_matter": True})
    assert detect(S.MARKDOWN_PLAIN) == Detection("markdown", {"front_matter": False})


def test_text():
    assert detect(S.TEXT) == Detection("text", {"encoding": "utf-8"})
    assert detect(S.PYTHON_SOURCE).format == "text"
    assert detect("Grüße, naïve café — ok\n".encode()).format == "text"


def test_text_with_a_multibyte_character_cut_at_the_sample_boundary():
    data = ("a" * (64 * 1024 - 1)).encode() + "é and more text\n".encode()
    assert detect(data).format == "text"


def test_random_bytes_and_empty_files_are_unknown():
    assert detect(S.random_bytes()) == Detection("unknown", {})
    assert detect(b"") == Detection("unknown", {"empty": True})
    assert detect(b"\x00" * 100).format == "unknown"


# ---------------------------------------------------------------------------------------------
# Content, not names
# ---------------------------------------------------------------------------------------------

def test_renamed_files_are_detected_by_content(tmp_path):
    (tmp_path / "model.bin").write_bytes(S.safetensors({"w": ("F32", [2, 2])}))
    (tmp_path / "weights.txt").write_bytes(S.gguf_llama())
    (tmp_path / "model.safetensors").write_bytes(S.plain_pickle())
    (tmp_path / "README.md").write_bytes(S.onnx_model())
    assert detect_path(tmp_path / "model.bin").format == "safetensors"
    assert detect_path(tmp_path / "weights.txt").format == "gguf"
    assert detect_path(str(tmp_path / "model.safetensors")).format == "pickle"
    assert detect_path(tmp_path / "README.md").format == "onnx"


# ---------------------------------------------------------------------------------------------
# Hostile safetensors
# ---------------------------------------------------------------------------------------------

def _st(header, data_size=0):
    return S.safetensors_bytes(header, data_size)


def _st_one(shape, offsets, dtype="F32", data_size=16):
    return _st({"w": {"dtype": dtype, "shape": shape, "data_offsets": offsets}}, data_size)


HOSTILE_SAFETENSORS = {
    "length 2^63": (b"\x00" * 7 + b"\x80" + b'{"w": {}}', "exceeds the 100 MiB bound"),
    "length beyond the file": (struct.pack("<Q", 1000) + b'{"w": 1}', "exceeds the file size"),
    "length zero": (struct.pack("<Q", 0) + b'{"w": 1}', "header length is 0"),
    "not json": (_st(b"{this is not json at all}"), "not valid JSON"),
    "json array": (_st(b"[1, 2, 3]"), "not a JSON object"),
    "not utf-8": (_st(b'{"w": "\xff\xfe"}'), "not UTF-8"),
    "deeply nested": (_st(b"{\"a\":" + b"[" * 100000 + b"]" * 100000 + b"}"), "not valid JSON"),
    "duplicate tensor": (_st(b'{"w": {}, "w": {}}'), "duplicate key"),
    "entry not an object": (_st({"w": [1, 2]}), "not an object"),
    "negative shape": (_st_one([-1, 4], [0, 16]), "non-negative integers"),
    "string shape": (_st_one(["4", 1], [0, 16]), "non-negative integers"),
    "boolean shape": (_st_one([True, 4], [0, 16]), "non-negative integers"),
    "float shape": (_st_one([4.0], [0, 16]), "non-negative integers"),
    "shape not a list": (_st_one("4", [0, 16]), "non-negative integers"),
    "missing dtype": (_st({"w": {"shape": [4], "data_offsets": [0, 16]}}, 16), "dtype"),
    "offsets outside the file": (_st_one([4], [0, 10 ** 12]), "past the data section"),
    "offsets reversed": (_st_one([4], [16, 0]), "begin after they end"),
    "offsets wrong arity": (_st_one([4], [0]), "two non-negative integers"),
    "offsets negative": (_st_one([4], [-16, 0]), "two non-negative integers"),
    "offsets inconsistent with shape": (_st_one([5], [0, 16], data_size=16), "needs 20"),
    "gap before data": (_st_one([2], [8, 16]), "gap"),
    "trailing bytes": (_st_one([2], [0, 8], data_size=16), "data section has 16"),
    "metadata not strings": (_st({"__metadata__": {"epoch": 3}, "w": {"dtype": "U8", "shape": [1],
                                                                      "data_offsets": [0, 1]}}, 1),
                             "strings to strings"),
}


@pytest.mark.parametrize("name", list(HOSTILE_SAFETENSORS))
def test_hostile_safetensors_headers_are_refused_cleanly(name):
    data, message = HOSTILE_SAFETENSORS[name]
    result = detect_bounded(data)
    assert result.format == "safetensors"
    assert result.error and message in result.error
    assert "tensor_count" not in result.details


def test_overlapping_safetensors_tensors_are_refused():
    data = _st({"a": {"dtype": "U8", "shape": [8], "data_offsets": [0, 8]},
                "b": {"dtype": "U8", "shape": [8], "data_offsets": [4, 12]}}, 12)
    result = detect(data)
    assert result.format == "safetensors" and "overlap" in result.error


# ---------------------------------------------------------------------------------------------
# Hostile GGUF
# ---------------------------------------------------------------------------------------------

def _gguf_head(tensor_count=0, kv_count=0, version=3):
    return b"GGUF" + struct.pack("<IQQ", version, tensor_count, kv_count)


def _depth_bomb(depth):
    # general.x = array(array(array(...))) nested `depth` times, one element each
    body = struct.pack("<IQ", S.ARRAY, 1) * depth + struct.pack("<IQ", S.UINT8, 0)
    return _gguf_head(0, 1) + S.gguf_string("general.x") + struct.pack("<I", S.ARRAY) + body


HOSTILE_GGUF = {
    "tensor_count 2^60": (_gguf_head(2 ** 60, 0), "tensor_count"),
    "kv_count 2^40": (_gguf_head(0, 2 ** 40), "metadata_kv_count"),
    "key length 2^62": (_gguf_head(0, 1) + struct.pack("<Q", 2 ** 62) + b"abc", "metadata key length"),
    "string length 2^62": (_gguf_head(0, 1) + S.gguf_string("general.name") + struct.pack("<IQ", S.STRING, 2 ** 62),
                           "exceeds the 16 MiB bound"),
    "string array element 2^62": (_gguf_head(0, 1) + S.gguf_string("tokenizer.ggml.tokens")
                                  + struct.pack("<IIQQ", S.ARRAY, S.STRING, 3, 2 ** 62) + bytes(64),
                                  "exceeds the 16 MiB bound"),
    "truncated after the magic": (b"GGUF", "truncated after the magic"),
    "truncated after the version": (b"GGUF\x03\x00\x00\x00", "truncated"),
    "truncated in the kv section": (_gguf_head(0, 3) + S.gguf_string("general.name"), "truncated"),
    "version 1": (_gguf_head(0, 0, version=1), "version 1"),
    "version 9": (_gguf_head(0, 0, version=9), "unsupported GGUF version 9"),
    "nested array depth bomb": (_depth_bomb(200_000), "nested deeper"),
    "array count over the bound": (_gguf_head(0, 1) + S.gguf_string("general.x")
                                   + struct.pack("<IIQ", S.ARRAY, S.UINT8, 50_000_001), "50,000,000 bound"),
    "array of arrays claiming millions": (_gguf_head(0, 1) + S.gguf_string("general.x")
                                          + struct.pack("<IIQ", S.ARRAY, S.ARRAY, 40_000_000), "truncated"),
    "unknown value type": (_gguf_head(0, 1) + S.gguf_string("general.x") + struct.pack("<I", 99), "unknown value type"),
    "too many dims": (_gguf_head(1, 0) + S.gguf_string("t") + struct.pack("<I", 9) + bytes(80), "n_dims 9"),
    "tensor data past the end": (_gguf_head(1, 0) + S.gguf_string("t") + struct.pack("<IQIQ", 1, 1000, 0, 0),
                                 "past the end of the file"),
    "misaligned tensor offset": (_gguf_head(1, 0) + S.gguf_string("t") + struct.pack("<IQIQ", 1, 8, 0, 3)
                                 + bytes(128), "not a multiple of the alignment"),
    "bad alignment": (S.gguf([("general.alignment", S.UINT32, 3)], []), "power of two"),
}


@pytest.mark.parametrize("name", list(HOSTILE_GGUF))
def test_hostile_gguf_headers_are_refused_cleanly(name):
    data, message = HOSTILE_GGUF[name]
    result = detect_bounded(data, peak_limit=4 * MiB)
    assert result.format == "gguf"
    assert result.error and message in result.error, result.error


def test_gguf_header_past_its_bound_is_refused(monkeypatch):
    monkeypatch.setattr(formats, "GGUF_MAX_HEADER", 4096)
    data = S.gguf([("general.x", S.ARRAY, (S.UINT8, [0] * 5000))], [])
    result = detect(data)
    assert result.format == "gguf" and "exceeds the 4 KiB bound" in result.error


def test_gguf_visit_budget_bounds_the_work(monkeypatch):
    monkeypatch.setattr(formats, "GGUF_MAX_VISITS", 1000)
    data = S.gguf([("tokenizer.ggml.tokens", S.ARRAY, (S.STRING, ["t"] * 1001))], [])
    result = detect(data)
    assert result.format == "gguf" and "more than 1,000 strings" in result.error
    assert detect(S.gguf([("tokenizer.ggml.tokens", S.ARRAY, (S.STRING, ["t"] * 1000))], [])).error is None


def test_big_gguf_arrays_of_numbers_are_skipped_not_read(tmp_path):
    path = tmp_path / "sparse.gguf"
    header = _gguf_head(0, 2) + S.gguf_string("tokenizer.ggml.scores") + struct.pack("<IIQ", S.ARRAY, S.FLOAT32,
                                                                                     40_000_000)
    tail = S.gguf_kv("general.architecture", S.STRING, "llama")
    with open(path, "wb") as fh:
        fh.write(header)
        fh.seek(len(header) + 160_000_000)
        fh.write(tail)
    with open(path, "rb") as raw:
        fh = CountingFile(raw)
        result = detect_file(fh, path.stat().st_size)
    assert result.error is None and result.details["architecture"] == "llama"
    assert fh.bytes_read < 1 * MiB


# ---------------------------------------------------------------------------------------------
# Hostile npy and zip
# ---------------------------------------------------------------------------------------------

HOSTILE_NPY = {
    "list header": (S.npy_raw("[1, 2, 3]"), "not a dict literal"),
    "enormous header length": (b"\x93NUMPY\x02\x00" + struct.pack("<I", 2 ** 31) + b"{'descr': '<f4'}",
                               "exceeds the 64 KiB bound"),
    "header length beyond the file": (b"\x93NUMPY\x01\x00" + struct.pack("<H", 60000) + b"{}", "exceeds the file size"),
    "call in the header": (S.npy_raw("{'descr': __import__('os').getcwd(), 'fortran_order': False, 'shape': ()}"),
                           "not a valid literal"),
    "deep nesting": (S.npy_raw("{'descr': " + "[" * 5000 + "]" * 5000 + "}"), "nested too deeply"),
    "wrong keys": (S.npy_raw("{'descr': '<f4', 'shape': (1,)}"), "exactly the keys"),
    "negative shape": (S.npy_raw("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}"), "non-negative"),
    "huge integer": (S.npy_raw("{'descr': '<f4', 'fortran_order': False, 'shape': (" + "9" * 5000 + ",)}"),
                     "not a valid literal"),
    "unsupported version": (b"\x93NUMPY\x07\x00" + bytes(20), "unsupported npy version 7.0"),
    "truncated preamble": (b"\x93NUMPY\x01", "truncated"),
}


@pytest.mark.parametrize("name", list(HOSTILE_NPY))
def test_hostile_npy_headers_are_refused_cleanly(name):
    data, message = HOSTILE_NPY[name]
    result = detect_bounded(data)
    assert result.format == "numpy"
    assert result.error and message in result.error, result.error
    assert safety_for(result) == "not_applicable"


def _corrupt_directory_signature(data: bytes) -> bytes:
    at = data.index(b"PK\x01\x02")
    return data[:at] + b"XX\x01\x02" + data[at + 4:]


def _directory_offset_past_the_end(data: bytes) -> bytes:
    at = data.rindex(b"PK\x05\x06")
    return data[:at + 16] + struct.pack("<I", 0xFFFFFFF0) + data[at + 20:]


def _entry_count_too_large(data: bytes) -> bytes:
    at = data.rindex(b"PK\x05\x06")
    return data[:at + 8] + struct.pack("<HH", 60000, 60000) + data[at + 12:]


@pytest.mark.parametrize("corrupt, message", [
    (_corrupt_directory_signature, "corrupt zip central directory"),
    (_directory_offset_past_the_end, "outside the file"),
    (_entry_count_too_large, "cannot fit"),
    (lambda data: data[:-22], "end of central directory record not found"),
])
def test_zip_with_a_corrupt_central_directory(corrupt, message):
    result = detect_bounded(corrupt(S.torch_zip()))
    assert result.format == "zip"
    assert result.error and message in result.error


def test_zip_inspection_is_bounded(monkeypatch):
    monkeypatch.setattr(formats, "ZIP_MAX_ENTRIES", 3)
    result = detect(S.zip_bytes({f"f{i}.txt": b"x" for i in range(10)}))
    assert result.format == "zip" and result.details["entries"] == 10 and result.details["entries_inspected"] == 3


# ---------------------------------------------------------------------------------------------
# Large files: bounded reads
# ---------------------------------------------------------------------------------------------

def _sparse_safetensors(path: Path, size: int) -> int:
    header_size = 256
    header = json.dumps({"__metadata__": {"format": "pt"},
                         "weights": {"dtype": "U8", "shape": [size - 8 - header_size],
                                     "data_offsets": [0, size - 8 - header_size]}}).encode().ljust(header_size)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", header_size) + header)
        fh.truncate(size)
    return size - 8 - header_size


def test_a_3_gib_sparse_safetensors_file_is_detected_from_its_header(tmp_path):
    path = tmp_path / "huge.bin"
    parameters = _sparse_safetensors(path, 3 * GiB)
    assert path.stat().st_blocks * 512 < 1 * MiB  # sparse: no real disk use
    with open(path, "rb") as raw:
        fh = CountingFile(raw)
        result = detect_file(fh, 3 * GiB)
    assert result == Detection("safetensors", {"header_size": 256, "tensor_count": 1, "dtypes": ["U8"],
                                               "parameter_count": parameters, "metadata": {"format": "pt"}})
    assert fh.bytes_read < 1 * MiB
    assert fh.largest_read <= 64 * 1024


def test_detect_path_uses_bounded_positional_reads(tmp_path, monkeypatch):
    path = tmp_path / "huge"
    _sparse_safetensors(path, 3 * GiB)
    calls = []
    real_pread = os.pread

    def counting_pread(fd, n, offset):
        calls.append(n)
        return real_pread(fd, n, offset)

    monkeypatch.setattr(os, "pread", counting_pread)
    assert detect_path(path).format == "safetensors"
    assert calls and sum(calls) < 1 * MiB


def test_detect_file_restores_the_position_and_tolerates_a_short_file():
    fh = io.BytesIO(S.gguf_llama())
    fh.seek(7)
    assert detect_file(fh, len(fh.getvalue())).format == "gguf"
    assert fh.tell() == 7
    data = S.safetensors({"w": ("F32", [4])})
    short = detect_file(io.BytesIO(data[:-8]), len(data))  # the file is shorter than announced
    assert short.format == "safetensors"


# ---------------------------------------------------------------------------------------------
# Robustness: truncated and mutated samples never raise
# ---------------------------------------------------------------------------------------------

SAMPLES = {
    "safetensors": lambda: S.safetensors({"a": ("F32", [3, 4]), "b": ("F16", [5])}, {"k": "v"}),
    "gguf": S.gguf_llama,
    "onnx": S.onnx_model,
    "pytorch": S.torch_zip,
    "keras": S.keras_zip,
    "numpy": lambda: S.npz({"a": ("<f4", [2])}, compression=zipfile.ZIP_DEFLATED),
    "joblib": S.zlib_joblib,
    "tar": lambda: S.tar_bytes({"a.txt": b"hello"}),
}


@pytest.mark.parametrize("name", list(SAMPLES))
def test_truncated_and_mutated_samples_never_raise(name):
    data = SAMPLES[name]()
    assert detect(data).format == name and detect(data).error is None
    for cut in range(0, len(data), max(1, len(data) // 200)):
        detect(data[:cut])
    rng = random.Random(name)
    for _ in range(300):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        detect(bytes(mutated))


def test_truncated_gguf_reports_an_error():
    data = S.gguf_llama()
    for cut in (8, 30, 200, len(data) - 100):
        result = detect(data[:cut])
        assert result.format == "gguf" and result.error, cut


# ---------------------------------------------------------------------------------------------
# Safety defaults
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt, expected", [
    ("pickle", "not_scanned"), ("joblib", "not_scanned"), ("pytorch", "not_scanned"),
    *[(f, "not_applicable") for f in ("safetensors", "gguf", "onnx", "json", "yaml", "text", "markdown", "pdf",
                                       "hdf5", "keras", "numpy", "zip", "tar", "unknown")],
])
def test_safety_for(fmt, expected):
    assert safety_for(fmt) == expected
    assert safety_for(Detection(fmt, {})) == expected


def test_safety_for_pickle_bearing_details_and_unknown_formats():
    assert safety_for("numpy", {"contains_pickle": True}) == "not_scanned"
    assert safety_for("numpy", {"contains_pickle": None}) == "not_scanned"  # not every member checked
    assert safety_for("numpy", {"contains_pickle": False}) == "not_applicable"
    assert safety_for(Detection("zip", {"contains_pickle": True})) == "not_scanned"
    with pytest.raises(ValueError):
        safety_for("exe")
