"""Pickle scanning without unpickling.

A pickle runs code through the globals it imports (``GLOBAL``/``STACK_GLOBAL``, then
``REDUCE``/``BUILD``/``INST``/``OBJ``/``NEWOBJ``). The scanner walks the opcodes with
``pickletools.genops`` over a bounded read and lists every imported global; nothing is ever
loaded. Verdicts:

- ``unsafe``: a global that can run commands, load code, or reach the network or files
  (os, subprocess, builtins eval/exec/__import__/getattr, runpy, ...), listed in the details;
- ``suspicious``: globals outside the allow-list of plain containers, tensors and arrays, or a
  stream the scanner could not read to its end;
- ``safe``: only allow-listed globals;
- ``not_applicable``: not a pickle-bearing format.

PyTorch zip checkpoints are scanned member by member (every ``*.pkl`` inside); joblib and
plain pickle files from the start of the file, one pickle after another."""

import pickletools
import zipfile
from dataclasses import dataclass, field

from modelrepo.choices import Safety

MAX_PICKLE_BYTES = 256 * 1024 * 1024  # opcodes scanned per pickle stream, at most
MAX_ZIP_MEMBERS = 10_000
MAX_STREAMS = 64  # concatenated pickles in one file

# module → names that are dangerous ("*": every name in the module and its submodules).
_DANGEROUS = {
    "builtins": {"eval", "exec", "execfile", "compile", "open", "__import__", "getattr", "setattr", "delattr",
                 "globals", "locals", "vars", "input", "breakpoint", "apply", "help", "exit", "quit"},
    "__builtin__": {"eval", "exec", "execfile", "compile", "open", "__import__", "getattr", "setattr", "delattr",
                    "globals", "locals", "vars", "input", "apply", "file"},
    "operator": {"attrgetter", "methodcaller", "itemgetter"},
    "functools": {"partial", "reduce"},
    "torch.storage": {"_load_from_bytes"},
    "torch.serialization": {"load"},
    "numpy": {"load", "loads", "fromfile"},
    "numpy.testing._private.utils": {"runstring"},
    "_codecs": set(),
}
_DANGEROUS_MODULES = {
    "os", "posix", "nt", "subprocess", "sys", "socket", "shutil", "runpy", "importlib", "pty", "commands",
    "webbrowser", "ctypes", "pickle", "_pickle", "cPickle", "dill", "marshal", "code", "codeop", "multiprocessing",
    "asyncio", "requests", "urllib", "urllib2", "httplib", "http", "ftplib", "telnetlib", "smtplib", "pip",
    "setuptools", "platform", "signal", "tempfile", "pathlib", "glob", "io", "zipimport", "bdb", "pdb", "timeit",
    "threading", "_thread", "types", "inspect", "sqlite3", "aiohttp", "httpx", "paramiko", "joblib.externals",
}
_SAFE = {
    "collections": {"OrderedDict", "defaultdict", "Counter", "deque"},
    "builtins": {"set", "frozenset", "slice", "complex", "bytearray", "dict", "list", "tuple", "int", "float",
                 "str", "bytes", "bool", "range", "object", "Ellipsis", "NotImplemented"},
    "__builtin__": {"set", "frozenset", "slice", "complex", "bytearray", "dict", "list", "tuple", "int", "float",
                    "str", "bytes", "bool", "object", "unicode", "long"},
    "copy_reg": {"_reconstructor"},
    "copyreg": {"_reconstructor"},
    "_codecs": {"encode"},
    "datetime": {"datetime", "date", "time", "timedelta", "timezone"},
    "torch._utils": {"_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3", "_rebuild_parameter",
                     "_rebuild_parameter_with_state", "_rebuild_qtensor", "_rebuild_sparse_tensor",
                     "_rebuild_device_tensor_from_numpy", "_rebuild_meta_tensor_no_storage"},
    "torch": {"Size", "device", "dtype", "float32", "float16", "bfloat16", "float64", "int64", "int32", "int16",
              "int8", "uint8", "bool", "complex64", "complex128", "FloatStorage", "HalfStorage", "BFloat16Storage",
              "DoubleStorage", "LongStorage", "IntStorage", "ShortStorage", "CharStorage", "ByteStorage",
              "BoolStorage", "ComplexFloatStorage", "ComplexDoubleStorage", "UntypedStorage", "TypedStorage",
              "per_tensor_affine", "contiguous_format", "channels_last", "strided"},
    "torch.nn.parameter": {"Parameter"},
    "numpy": {"ndarray", "dtype", "float32", "float64", "int64", "int32", "bool_", "uint8", "core"},
    "numpy.core.multiarray": {"_reconstruct", "scalar"},
    "numpy._core.multiarray": {"_reconstruct", "scalar"},
    "numpy.dtypes": None,  # every dtype class
    "joblib.numpy_pickle": {"NumpyArrayWrapper", "NDArrayWrapper"},
}
PICKLE_FORMATS = ("pickle", "joblib", "pytorch")


@dataclass
class ScanResult:
    safety: str
    dangerous_imports: list = field(default_factory=list)
    unknown_imports: list = field(default_factory=list)
    imports: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    scanned: list = field(default_factory=list)

    def details(self) -> dict:
        out = {"dangerous_imports": self.dangerous_imports, "unknown_imports": self.unknown_imports,
               "imports": self.imports[:200], "scanned": self.scanned[:50], "scanner": "pickle-opcodes"}
        if self.errors:
            out["errors"] = self.errors[:20]
        return out


def classify(module: str, name: str) -> str:
    """``dangerous``, ``safe`` or ``unknown`` for one imported global."""
    root = module.split(".", 1)[0]
    if module in _DANGEROUS_MODULES or root in _DANGEROUS_MODULES:
        return "dangerous"
    dangerous = _DANGEROUS.get(module)
    if dangerous is not None and name.split(".", 1)[0] in dangerous:
        return "dangerous"
    if module in ("builtins", "__builtin__") and name not in _SAFE[module]:
        return "dangerous"  # any other builtin is a way to reach code
    safe = _SAFE.get(module, set())
    if safe is None or (safe and name in safe):
        return "safe"
    if module.startswith("torch.") and name.endswith("Storage"):
        return "safe"
    return "unknown"


def _globals_in_stream(handle) -> tuple[list[tuple[str, str]], bool]:
    """The globals one pickle stream imports, and whether it reached STOP. ``genops`` reads
    exactly the bytes of each opcode, so after STOP ``handle`` sits at the next stream."""
    found, memo, strings = [], {}, []
    last = None
    start = handle.tell() if handle.seekable() else 0
    for opcode, arg, pos in pickletools.genops(handle):
        if pos is not None and pos - start > MAX_PICKLE_BYTES:
            return found, False
        name = opcode.name
        if name in ("GLOBAL", "INST"):
            module, _, attr = str(arg).partition(" ")
            found.append((module, attr))
        elif name == "STACK_GLOBAL":
            if len(strings) >= 2:
                found.append((strings[-2], strings[-1]))
            else:
                found.append(("<unresolved>", "<unresolved>"))
        elif name in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "STRING", "BINSTRING",
                      "SHORT_BINSTRING"):
            strings.append(str(arg))
            last = str(arg)
            continue
        elif name == "MEMOIZE":
            memo[len(memo)] = last
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            memo[arg] = last
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            value = memo.get(arg)
            if isinstance(value, str):
                strings.append(value)
                last = value
                continue
        elif name == "STOP":
            return found, True
        last = None
    return found, False


def scan_pickle_file(handle, result: ScanResult, label: str) -> None:
    """Scan the pickles concatenated in ``handle`` (a seekable binary file), adding to ``result``."""
    for index in range(MAX_STREAMS):
        try:
            found, stopped = _globals_in_stream(handle)
        except Exception as exc:  # truncated or not a pickle: the opcode walk cannot go on
            if index == 0:
                result.errors.append(f"{label}: {exc}")
            return  # after a first complete pickle, trailing bytes are data (joblib arrays)
        _add(result, found)
        if label not in result.scanned:
            result.scanned.append(label)
        if not stopped:
            result.errors.append(f"{label}: the pickle stream did not end within the scan bound")
            return
        position = handle.tell()
        if handle.read(1) != b"\x80":  # no further protocol 2+ pickle
            return
        handle.seek(position)


def _add(result: ScanResult, found) -> None:
    for module, name in found:
        qualified = f"{module}.{name}"
        if qualified not in result.imports:
            result.imports.append(qualified)
        verdict = classify(module, name)
        if verdict == "dangerous" and qualified not in result.dangerous_imports:
            result.dangerous_imports.append(qualified)
        elif verdict == "unknown" and qualified not in result.unknown_imports:
            result.unknown_imports.append(qualified)


def _verdict(result: ScanResult) -> ScanResult:
    if result.dangerous_imports:
        result.safety = Safety.UNSAFE
    elif result.unknown_imports or result.errors or not result.scanned:
        result.safety = Safety.SUSPICIOUS
    else:
        result.safety = Safety.SAFE
    return result


def scan_path(path, detected_format: str) -> ScanResult:
    """Scan the file at ``path`` detected as ``detected_format``; never unpickles."""
    if detected_format not in PICKLE_FORMATS:
        return ScanResult(safety=Safety.NOT_APPLICABLE)
    with open(path, "rb") as handle:
        return scan_file(handle, detected_format)


def scan_file(handle, detected_format: str) -> ScanResult:
    """Scan the open, seekable binary file ``handle`` detected as ``detected_format``."""
    result = ScanResult(safety=Safety.NOT_APPLICABLE)
    if detected_format not in PICKLE_FORMATS:
        return result
    if zipfile.is_zipfile(handle):
        handle.seek(0)
        try:
            archive = zipfile.ZipFile(handle)
            members = [m for m in archive.infolist()[:MAX_ZIP_MEMBERS] if m.filename.endswith(".pkl")]
            for member in members:
                with archive.open(member) as data:
                    try:
                        found, stopped = _globals_in_stream(data)
                    except Exception as exc:
                        result.errors.append(f"{member.filename}: {exc}")
                        continue
                    _add(result, found)
                    result.scanned.append(member.filename)
                    if not stopped:
                        result.errors.append(f"{member.filename}: the pickle stream ended before STOP")
        except zipfile.BadZipFile as exc:
            result.errors.append(str(exc))
    else:
        handle.seek(0)
        scan_pickle_file(handle, result, "(file)")
    return _verdict(result)
