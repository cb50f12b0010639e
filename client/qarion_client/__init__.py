"""Python SDK for the Qarion Model Repository API.

    from qarion_client import Client
    client = Client("https://qarion.example.com", "qrn_...")
    artifact = client.upload(product_id, "model.safetensors", kind="weights", version="v3", make_current=True)
    client.download(product_id, artifact["id"], "out/model.safetensors")
"""

from .client import Client
from .errors import (AuthError, ChecksumError, NetworkError, NotFoundError, QarionError, ServerError,
                     UsageError)

__version__ = "0.1.0"
__all__ = ["Client", "QarionError", "UsageError", "AuthError", "NotFoundError", "ChecksumError", "NetworkError",
           "ServerError", "__version__"]
