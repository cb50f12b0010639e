"""The rules of what may happen to a version or an artifact, each written once. Each rule
answers None when the action is allowed, or the Refusal that says why not. The services raise
it (``refuse``), the pages hide or explain the button with it, and change requests refuse to
propose what it refuses. The space's change policy (``modelrepo.policy``) comes on top: it
decides who must approve an allowed action, never whether it is allowed."""

import re
import unicodedata
from dataclasses import dataclass, field

from common.errors import Conflict
from modelrepo.choices import Safety

# The stored form of a SHA-256; the model field's validator uses the same pattern.
SHA256_PATTERN = r"^[0-9a-f]{64}$"
SHA256_MESSAGE = "Give the SHA-256 of the file as 64 hexadecimal characters."


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    details: dict = field(default_factory=dict)

    def error(self) -> Conflict:
        return Conflict(self.message, code=self.code, details=self.details)


def refuse(refusal: Refusal | None) -> None:
    """Raise the refusal as a 409, or do nothing when the action is allowed."""
    if refusal is not None:
        raise refusal.error()


def is_sha256(value) -> bool:
    """A SHA-256 as 64 lowercase hexadecimal characters (normalise case and spaces first)."""
    return isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value) is not None


def normalise_sha256(value) -> str | None:
    """``value`` as the stored form of a SHA-256 (trimmed, lowercase), or None when it is not one."""
    if not isinstance(value, str):
        return None
    value = value.strip().lower()
    return value if is_sha256(value) else None


def file_name_problem(name) -> str | None:
    """Why ``name`` cannot name an artifact's file, or None. File names are shown and sent back
    as download names, never used as paths: no separators, no control characters, no . or ..."""
    if not isinstance(name, str) or not name.strip():
        return "Give the file's name, such as model.safetensors."
    if len(name) > 255:
        return "File names are at most 255 characters."
    if "/" in name or "\\" in name:
        return "A file name cannot contain a path separator (/ or \\); send the base name only."
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        return "A file name cannot contain control characters."
    if name in (".", "..") or name != name.strip():
        return "A file name cannot be . or .. or start or end with spaces."
    return None


# --- versions -----------------------------------------------------------------------------------

def version_current_refusal(version) -> Refusal | None:
    """A yanked version cannot be made current (or rolled back to)."""
    if version.yanked:
        reason = f" ({version.yank_reason})" if version.yank_reason else ""
        return Refusal("version_yanked",
                       f"Version {version.label} was yanked{reason} and cannot be made current; choose another version.")
    return None


def version_release_refusal(version, files) -> Refusal | None:
    """A version is released once, with at least one stored file and none judged unsafe.
    ``files``: the version's stored (signable) artifacts."""
    if version.is_released:
        return Refusal("version_released", f"Version {version.label} is already released.")
    if not files:
        return Refusal("version_empty",
                       f"Version {version.label} has no uploaded artifact; upload at least one file to it before "
                       "releasing (external references are not signed).")
    unsafe = sorted(a.file_name for a in files if a.safety == Safety.UNSAFE)
    if unsafe:
        return Refusal("artifact_unsafe",
                       f"Version {version.label} has artifacts judged unsafe ({', '.join(unsafe)}); delete them "
                       "before releasing.", {"files": unsafe})
    return None


def version_edit_refusal(version) -> Refusal | None:
    """A released version is immutable: its fields and files stay as signed."""
    if version.is_released:
        return Refusal("version_released", f"Version {version.label} is released and immutable; create a new version.")
    return None


# --- artifacts ----------------------------------------------------------------------------------

def artifact_current_refusal(artifact) -> Refusal | None:
    """An artifact the pickle scan judged unsafe cannot be made current."""
    if artifact.safety == Safety.UNSAFE:
        flagged = ", ".join((artifact.safety_details or {}).get("dangerous_imports", [])) or "dangerous imports"
        return Refusal("artifact_unsafe",
                       f"{artifact.file_name} was judged unsafe by the pickle scan ({flagged}) and cannot be made "
                       "current.", {"safety_details": artifact.safety_details})
    return None


def artifact_delete_refusal(artifact) -> Refusal | None:
    """The files of a released version cannot be deleted."""
    version = artifact.version
    if version is not None and version.is_released:
        return Refusal("version_released",
                       f"Version {version.label} is released and immutable; its artifacts cannot be deleted "
                       "(create a new version).")
    return None
