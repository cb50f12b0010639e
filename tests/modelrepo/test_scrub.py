"""Integrity scrubbing re-hashes stored artifacts, oldest check first, and records the result."""

from datetime import timedelta

from django.utils import timezone

from catalog.models import AuditEvent
from modelrepo.models import Artifact
from modelrepo.tasks import scrub_artifacts
from tests.modelrepo.test_artifacts_api import artifact_root, store_artifact  # noqa: F401


def test_a_flipped_byte_is_detected_as_corrupted_and_audited(world, artifact_root):  # noqa: F811
    artifact = store_artifact(world.record, world.editor, b"weights" * 100)
    path = artifact_root / artifact.storage_key
    data = bytearray(path.read_bytes())
    data[10] ^= 0x01
    path.write_bytes(bytes(data))
    counts = scrub_artifacts()
    assert counts["corrupted"] == 1
    artifact.refresh_from_db()
    assert artifact.integrity == "corrupted" and artifact.last_verified_at is not None
    event = AuditEvent.objects.get(action="artifact.integrity_changed")
    assert event.changes["integrity"] == {"old": "verified", "new": "corrupted"}
    scrub_artifacts()  # a second run finds the same and writes no second event
    assert AuditEvent.objects.filter(action="artifact.integrity_changed").count() == 1


def test_a_missing_file_is_marked_missing_and_a_good_one_verified(world, artifact_root):  # noqa: F811
    gone = store_artifact(world.record, world.editor, b"a" * 10, file_name="a.bin")
    good = store_artifact(world.record, world.editor, b"b" * 10, file_name="b.bin")
    (artifact_root / gone.storage_key).unlink()
    before = timezone.now() - timedelta(days=2)
    Artifact.objects.update(last_verified_at=before)
    scrub_artifacts()
    gone.refresh_from_db()
    good.refresh_from_db()
    assert gone.integrity == "missing"
    assert good.integrity == "verified" and good.last_verified_at > before


def test_each_run_is_bounded_and_takes_the_oldest_check_first(world, artifact_root):  # noqa: F811
    artifacts = [store_artifact(world.record, world.editor, bytes([i]) * 10, file_name=f"{i}.bin") for i in range(3)]
    now = timezone.now()
    for age, artifact in enumerate(artifacts):
        Artifact.objects.filter(pk=artifact.pk).update(last_verified_at=now - timedelta(days=10 + age))
    scrub_artifacts(batch_size=1)
    checked = Artifact.objects.filter(last_verified_at__gt=now - timedelta(minutes=1))
    assert list(checked.values_list("pk", flat=True)) == [artifacts[2].pk]
