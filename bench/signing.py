"""Signing a release costs the same whatever the artifacts weigh: it signs the sha256 values
recorded at upload and reads no artifact bytes. Prints medians for 1 and 100 files (the
1-file case stands for a version with one 1 GiB artifact: only its recorded digest is used).

    .venv/bin/python bench/signing.py
"""

import hashlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qarion.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from modelrepo import signing  # noqa: E402


def median_ms(fn, runs=50) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings.QARION_SIGNING_KEY = None
        settings.QARION_SIGNING_KEY_PATH = Path(tmp) / "key.pem"
        settings.QARION_SIGNING_TRUSTED_KEYS_FILE = Path(tmp) / "trusted.pem"
        signing.private_key()  # key generation is once per installation, not per release
        one_gib = [signing.Resource("model.safetensors", hashlib.sha256(b"1 GiB stand-in").hexdigest())]
        many = [signing.Resource(f"shard-{i:05d}.safetensors", hashlib.sha256(bytes([i % 256])).hexdigest())
                for i in range(100)]
        for label, resources in [("1 file (1 GiB artifact)", one_gib), ("100 files", many)]:
            sign_ms = median_ms(lambda r=resources: signing.sign("model-1.0.0", r))
            bundle, _ = signing.sign("model-1.0.0", resources)
            verify_ms = median_ms(lambda b=bundle: signing.verify(b))
            print(f"{label:>26}: sign {sign_ms:.2f} ms, verify signature {verify_ms:.2f} ms (median of 50)")


if __name__ == "__main__":
    main()
