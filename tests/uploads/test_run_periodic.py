from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from tests.uploads.conftest import MiB
from uploads import staging
from uploads.models import UploadSession


def test_run_periodic_expires_stale_sessions_and_deletes_their_bytes(uploader, capsys):
    uploader().start(file_name="m.bin", total_size=MiB)
    session = UploadSession.objects.get()
    UploadSession.objects.filter(pk=session.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    call_command("run_periodic")
    session.refresh_from_db()
    assert session.status == "expired"
    assert not staging.staging_path(session.id).exists()
    assert "uploads.tasks.expire_sessions: 1" in capsys.readouterr().out
