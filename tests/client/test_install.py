"""The client installs from client/ into a clean virtual environment without Django."""

import shutil
import subprocess
import sys

from tests.client.conftest import CLIENT_DIR


def test_the_client_installs_and_runs_in_a_clean_venv_without_django(tmp_path):
    source = tmp_path / "client"
    shutil.copytree(CLIENT_DIR, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python, qarion = venv / "bin" / "python", venv / "bin" / "qarion"
    install = subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet",
                              str(source)], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stdout + install.stderr

    probe = subprocess.run([str(python), "-c", (
        "import importlib.util, qarion_client\n"
        "assert importlib.util.find_spec('django') is None, 'Django must not be installed'\n"
        "from qarion_client import Client\n"
        "print(qarion_client.__version__)\n")], capture_output=True, text=True, timeout=60)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "0.1.0"

    freeze = subprocess.run([str(python), "-m", "pip", "freeze"], capture_output=True, text=True, timeout=60).stdout
    assert "httpx==0.28.1" in freeze and "tqdm==4.70.1" in freeze and "Django" not in freeze

    help_ = subprocess.run([str(qarion), "--help"], capture_output=True, text=True, timeout=60)
    assert help_.returncode == 0, help_.stderr
    assert "exit codes:" in help_.stdout and "checksum mismatch" in help_.stdout
    usage = subprocess.run([str(qarion), "upload"], capture_output=True, text=True, timeout=60)
    assert usage.returncode == 2 and "Traceback" not in usage.stderr
