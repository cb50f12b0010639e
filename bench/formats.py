"""Format detection benchmark: realistic and worst-case headers.

    .venv/bin/python bench/formats.py [--vocab 256000] [--merges 500000] [--tensors 800]

Writes sparse files into a temporary directory (no real disk use for the tensor data) and
times modelrepo.formats.detect_path on each, printing seconds, bytes read through pread and
peak traced memory (from a second, untimed pass). Cases:
- a GGUF of a large LLM: tokens and merges string arrays, float/int arrays, many tensors,
  50 GiB of (sparse) tensor data;
- a GGUF at the visit budget: as many one-byte strings as GGUF_MAX_VISITS allows;
- a 50 GiB sparse safetensors file with many tensors.
Prints figures only; asserts nothing."""

import argparse
import json
import os
import struct
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from modelrepo import formats  # noqa: E402

GiB = 1024 ** 3


def gguf_string(value: bytes) -> bytes:
    return struct.pack("<Q", len(value)) + value


def kv(key: str, vtype: int, payload: bytes) -> bytes:
    return gguf_string(key.encode()) + struct.pack("<I", vtype) + payload


def string_array(items) -> bytes:
    parts = [struct.pack("<IQ", 8, len(items))]
    parts.extend(gguf_string(item) for item in items)
    return b"".join(parts)


def write_llm_gguf(path: Path, vocab: int, merges: int, tensors: int, data_size: int) -> None:
    tokens = [b"tok%d" % i for i in range(vocab)]
    merge_list = [b"t%d k%d" % (i, i) for i in range(merges)]
    kvs = [
        kv("general.architecture", 8, gguf_string(b"llama")),
        kv("general.name", 8, gguf_string(b"Bench Llama")),
        kv("llama.context_length", 4, struct.pack("<I", 131072)),
        kv("tokenizer.ggml.model", 8, gguf_string(b"gpt2")),
        kv("tokenizer.ggml.tokens", 9, string_array(tokens)),
        kv("tokenizer.ggml.token_type", 9, struct.pack("<IQ", 5, vocab) + bytes(4 * vocab)),
        kv("tokenizer.ggml.scores", 9, struct.pack("<IQ", 6, vocab) + bytes(4 * vocab)),
        kv("tokenizer.ggml.merges", 9, string_array(merge_list)),
        kv("tokenizer.chat_template", 8, gguf_string(b"{% for m in messages %}{{ m }}{% endfor %}" * 50)),
    ]
    header = bytearray(b"GGUF" + struct.pack("<IQQ", 3, tensors, len(kvs)))
    for item in kvs:
        header += item
    per_tensor = (data_size // tensors) // 4096 * 4096
    for i in range(tensors):
        header += gguf_string(b"blk.%d.weight" % i) + struct.pack("<IQQ", 2, 4096, per_tensor // 4096 // 2)
        header += struct.pack("<IQ", 1, i * per_tensor)  # F16
    header += bytes(-len(header) % 32)
    with open(path, "wb") as fh:
        fh.write(header)
        fh.truncate(len(header) + per_tensor * tensors)


def write_budget_gguf(path: Path, count: int) -> None:
    header = b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + gguf_string(b"tokenizer.ggml.tokens")
    header += struct.pack("<IIQ", 9, 8, count)
    with open(path, "wb") as fh:
        fh.write(header)
        fh.write(gguf_string(b"x") * count)


def write_safetensors(path: Path, tensors: int, data_size: int) -> None:
    per = (data_size // tensors) // 2 * 2
    header = {f"model.layers.{i}.weight": {"dtype": "BF16", "shape": [per // 2], "data_offsets": [i * per, (i + 1) * per]}
              for i in range(tensors)}
    raw = json.dumps(header).encode()
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(raw)) + raw)
        fh.truncate(8 + len(raw) + per * tensors)


def measure(label: str, path: Path) -> None:
    read = [0]
    real_pread = os.pread

    def counting(fd, n, offset):
        data = real_pread(fd, n, offset)
        read[0] += len(data)
        return data

    os.pread = counting
    try:
        start = time.perf_counter()
        result = formats.detect_path(path)
        elapsed = time.perf_counter() - start
    finally:
        os.pread = real_pread
    tracemalloc.start()  # a second, traced pass: tracing slows allocation, so it is not timed
    try:
        formats.detect_path(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    summary = {k: result.details[k] for k in ("tensor_count", "parameter_count", "vocab_size") if k in result.details}
    print(f"{label:<44} {elapsed:7.3f} s  read {read[0] / 2**20:8.2f} MiB  peak {peak / 2**20:7.2f} MiB  "
          f"{result.format} {summary} {result.error or ''}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vocab", type=int, default=256_000)
    parser.add_argument("--merges", type=int, default=500_000)
    parser.add_argument("--tensors", type=int, default=800)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        llm = tmp / "llm.gguf"
        write_llm_gguf(llm, args.vocab, args.merges, args.tensors, 50 * GiB)
        measure(f"GGUF, {args.vocab:,} tokens, {args.merges:,} merges", llm)
        budget = tmp / "budget.gguf"
        write_budget_gguf(budget, formats.GGUF_MAX_VISITS)
        measure(f"GGUF, {formats.GGUF_MAX_VISITS:,} strings (visit budget)", budget)
        write_budget_gguf(budget, formats.GGUF_MAX_VISITS + 1)
        measure("GGUF, one string over the budget", budget)
        st = tmp / "model.safetensors"
        write_safetensors(st, 2000, 50 * GiB)
        measure("safetensors, 2,000 tensors, 50 GiB sparse", st)


if __name__ == "__main__":
    main()
