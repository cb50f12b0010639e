"""Where `qarion login` keeps the server URL and token: <user config dir>/qarion/config.json,
readable by its owner only. QARION_URL and QARION_TOKEN override what it holds."""

import json
import os
import sys
from pathlib import Path


def config_path() -> Path:
    if os.environ.get("QARION_CONFIG"):
        return Path(os.environ["QARION_CONFIG"])
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        base = Path(os.environ["APPDATA"])
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "qarion" / "config.json"


def load() -> dict:
    try:
        data = json.loads(config_path().read_text())
    except (OSError, ValueError):
        data = {}
    return data if isinstance(data, dict) else {}


def save(url: str, token: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(path.parent, 0o700)
    except OSError:
        pass
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"url": url, "token": token}, f)
    os.chmod(path, 0o600)
    return path


def resolve(url: str | None = None, token: str | None = None) -> tuple[str, str]:
    stored = load()
    return (url or os.environ.get("QARION_URL") or stored.get("url") or "",
            token or os.environ.get("QARION_TOKEN") or stored.get("token") or "")
