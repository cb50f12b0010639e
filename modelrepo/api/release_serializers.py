"""Kept for uploads.api.serializers, which reads the artifact's shape from here: it lives in
modelrepo.api.artifacts now. Remove once the uploads app imports it from there."""

from modelrepo.api.artifacts import ArtifactSerializer

__all__ = ["ArtifactSerializer"]
