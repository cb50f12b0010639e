"""The layers of docs/architecture.md hold: import-linter checks the contracts in
pyproject.toml ([tool.importlinter]) over every module, imports inside functions included."""

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
APPS = {"common", "catalog", "modelrepo", "uploads", "governance", "demo", "qarion"}


def _config() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]


def test_the_layers_contract_names_every_app_once_and_ignores_no_import():
    config = _config()
    layers = [c for c in config["contracts"] if c["type"] == "layers"]
    assert len(layers) == 1
    assert sorted(layers[0]["layers"]) == sorted(APPS)
    assert set(config["root_packages"]) == APPS
    assert all("ignore_imports" not in contract for contract in config["contracts"])


def test_every_package_of_the_project_is_in_the_layers():
    packages = {p.parent.name for p in REPO.glob("*/__init__.py")} - {"tests", "bench", "client"}
    assert packages == APPS


def test_imports_run_down_the_layers():
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout
