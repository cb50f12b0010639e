"""Signed manifests of released versions, in the OpenSSF model-signing format (v1.0), so the
standard verifier (``model_signing verify key <dir> --public_key <pem> --signature <dir>/model.sig``)
accepts a downloaded release folder as it is.

A signature is a Sigstore bundle (``application/vnd.dev.sigstore.bundle.v0.3+json``) holding a
DSSE envelope (``application/vnd.in-toto+json``) over an in-toto Statement v1 whose predicate
(``https://model_signing/signature/v1.0``) lists one resource per stored file: its name and the
sha256 the server recorded when the bytes arrived. Signing reads no artifact bytes. The subject
is the release folder's name with, as digest, the sha256 over the resource digests (raw bytes)
in name order, exactly as ``model_signing`` 1.1.1 computes it. The bundle's public key hint is
the sha256 (hex) of the signing key's public PEM (SubjectPublicKeyInfo), which the verifier
compares with the key it is given; the server uses it to pick the key to verify with, so
releases signed by an earlier key stay verifiable once that key's public half is trusted."""

import base64
import functools
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://model_signing/signature/v1.0"
SIGNATURE_FILE_NAME = "model.sig"
# What the reference signer writes: the verifier skips these names when it re-hashes a folder.
IGNORE_PATHS = [".gitignore", SIGNATURE_FILE_NAME, ".gitattributes", ".github", ".git"]
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class SignatureInvalid(Exception):
    """A stored signature that does not verify (tampered, unknown key, malformed)."""


@dataclass(frozen=True)
class Resource:
    name: str
    sha256: str


@dataclass(frozen=True)
class SignedManifest:
    model_name: str
    key_id: str
    resources: tuple[Resource, ...]


def folder_name(product_slug: str, label: str) -> str:
    """The release folder's name (the signed subject name and the archive's top folder)."""
    name = _NAME_UNSAFE.sub("_", f"{product_slug}-{label}").strip("._") or "model"
    return name[:200]


# --- Keys ----------------------------------------------------------------------------------

def _public_pem(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_id_of(public_key) -> str:
    """The sha256 (hex) of the public key's PEM: the bundle's key hint."""
    return hashlib.sha256(_public_pem(public_key)).hexdigest()


def _load_private(pem: bytes, where: str):
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"{where} does not hold an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ImproperlyConfigured(f"{where} must hold an ECDSA P-256 (secp256r1) private key.")
    return key


def _generate_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    # O_EXCL: two processes generating at once keep the first key, and the second reads it.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())


@functools.lru_cache(maxsize=4)
def _private_key_cached(inline_pem: str | None, path: str):
    if inline_pem:
        return _load_private(inline_pem.encode(), "QARION_SIGNING_KEY")
    key_path = Path(path)
    if not key_path.exists():
        _generate_key_file(key_path)
    return _load_private(key_path.read_bytes(), f"The signing key file {key_path}")


def private_key():
    return _private_key_cached(settings.QARION_SIGNING_KEY, str(settings.QARION_SIGNING_KEY_PATH))


def public_key_pem() -> bytes:
    """The PEM of the public key that signs new releases (published at a stable URL)."""
    return _public_pem(private_key().public_key())


def current_key_id() -> str:
    return key_id_of(private_key().public_key())


def trusted_public_keys() -> dict:
    """key id → public key: the signing key's, plus every key in QARION_SIGNING_TRUSTED_KEYS_FILE."""
    keys = {current_key_id(): private_key().public_key()}
    path = Path(settings.QARION_SIGNING_TRUSTED_KEYS_FILE)
    if path.is_file():
        for block in re.findall(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", path.read_bytes(), re.S):
            key = serialization.load_pem_public_key(block)
            if isinstance(key, ec.EllipticCurvePublicKey):
                keys[key_id_of(key)] = key
    return keys


# --- Signing and verifying -----------------------------------------------------------------

def _pae(payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding."""
    return b" ".join([f"DSSEv1 {len(PAYLOAD_TYPE)} {PAYLOAD_TYPE} {len(payload)}".encode(), payload])


def statement(model_name: str, resources) -> dict:
    ordered = sorted(resources, key=lambda r: r.name)
    names = [r.name for r in ordered]
    if len(set(names)) != len(names):
        raise ValueError("resource names must be unique")
    root = hashlib.sha256()
    for resource in ordered:
        root.update(bytes.fromhex(resource.sha256))
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": model_name, "digest": {"sha256": root.hexdigest()}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "resources": [{"algorithm": "sha256", "digest": r.sha256, "name": r.name} for r in ordered],
            "serialization": {"hash_type": "sha256", "ignore_paths": list(IGNORE_PATHS), "method": "files",
                              "allow_symlinks": False},
        },
    }


def sign(model_name: str, resources) -> tuple[str, str]:
    """Sign the manifest of ``resources`` (Resource: name + recorded sha256). Returns the
    bundle (JSON text, the content of model.sig) and the signing key's id."""
    key = private_key()
    payload = json.dumps(statement(model_name, resources), indent=2).encode()
    signature = key.sign(_pae(payload), ec.ECDSA(hashes.SHA256()))
    key_id = key_id_of(key.public_key())
    bundle = {
        "mediaType": BUNDLE_MEDIA_TYPE,
        "verificationMaterial": {"publicKey": {"hint": key_id}, "tlogEntries": []},
        "dsseEnvelope": {
            "payload": base64.b64encode(payload).decode(),
            "payloadType": PAYLOAD_TYPE,
            "signatures": [{"sig": base64.b64encode(signature).decode(), "keyid": ""}],
        },
    }
    return json.dumps(bundle, indent=1), key_id


def verify(bundle_text: str) -> SignedManifest:
    """Check a bundle's signature with the trusted key its hint names and return the signed
    manifest. Raises SignatureInvalid with a reason a person can act on."""
    try:
        bundle = json.loads(bundle_text)
        if bundle.get("mediaType") != BUNDLE_MEDIA_TYPE:
            raise SignatureInvalid(f"The signature is not a {BUNDLE_MEDIA_TYPE} bundle.")
        key_id = bundle["verificationMaterial"]["publicKey"]["hint"]
        envelope = bundle["dsseEnvelope"]
        payload = base64.b64decode(envelope["payload"], validate=True)
        raw_signature = base64.b64decode(envelope["signatures"][0]["sig"], validate=True)
        payload_type = envelope["payloadType"]
    except SignatureInvalid:
        raise
    except (ValueError, KeyError, IndexError, TypeError):
        raise SignatureInvalid("The signature is malformed.") from None
    if payload_type != PAYLOAD_TYPE:
        raise SignatureInvalid(f"The signed payload is not {PAYLOAD_TYPE}.")
    key = trusted_public_keys().get(key_id)
    if key is None:
        raise SignatureInvalid(f"The signature was made with key {key_id}, which this server does not trust.")
    try:
        key.verify(raw_signature, _pae(payload), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise SignatureInvalid("The signature does not match the signed manifest.") from None
    try:
        body = json.loads(payload)
        subject = body["subject"][0]
        resources = tuple(Resource(r["name"], r["digest"]) for r in body["predicate"]["resources"])
    except (ValueError, KeyError, IndexError, TypeError):
        raise SignatureInvalid("The signed manifest is malformed.") from None
    if body.get("predicateType") != PREDICATE_TYPE:
        raise SignatureInvalid(f"The signed manifest's predicate type is not {PREDICATE_TYPE}.")
    expected = statement(subject["name"], resources)["subject"][0]["digest"]["sha256"]
    if subject["digest"].get("sha256") != expected:
        raise SignatureInvalid("The signed manifest is inconsistent: its subject digest does not match its files.")
    return SignedManifest(model_name=subject["name"], key_id=key_id, resources=resources)
