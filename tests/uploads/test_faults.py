"""Faults of the staging disk end in a clear answer and nothing lost: a full disk answers 507
in the error format for the chunk that could not be written (the other chunks and sessions go
on, and the chunk is accepted once there is room), and a session whose file cannot fit is
refused at start, before anything is created."""

import errno
import hashlib
import os

import pytest

from tests.uploads.conftest import MiB, payload
from uploads import services, staging
from uploads.models import UploadChunk, UploadSession

pytestmark = pytest.mark.django_db


REAL_PWRITE = os.pwrite


def full_disk(monkeypatch):
    def pwrite(fd, data, offset):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(staging.os, "pwrite", pwrite)


def room_again(monkeypatch):
    monkeypatch.setattr(staging.os, "pwrite", REAL_PWRITE)


def test_a_chunk_that_meets_a_full_disk_answers_507_and_is_accepted_once_there_is_room(uploader, monkeypatch):
    up = uploader()
    data = payload(3 * MiB)
    started = up.start(file_name="model.bin", total_size=len(data)).json()
    assert up.put(started["id"], 0, data[:MiB]).status_code == 200

    full_disk(monkeypatch)
    response = up.put(started["id"], 1, data[MiB:2 * MiB])
    assert response.status_code == 507
    error = response.json()["error"]
    assert error["code"] == "insufficient_storage"
    assert "chunk 1 was not stored" in error["message"] and "QARION_UPLOAD_STAGING_DIR" in error["message"]
    assert not UploadChunk.objects.filter(session_id=started["id"], index=1, state="received").exists()
    assert UploadSession.objects.get(pk=started["id"]).status == "open"

    room_again(monkeypatch)
    assert up.put(started["id"], 1, data[MiB:2 * MiB]).status_code == 200
    assert up.put(started["id"], 2, data[2 * MiB:]).status_code == 200
    completed = up.complete(started["id"]).json()
    assert completed["status"] == "completed"
    assert completed["artifact"]["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_full_disk_does_not_touch_other_sessions(uploader, monkeypatch):
    up = uploader()
    first = up.start(file_name="a.bin", total_size=MiB).json()
    second = up.start(file_name="b.bin", total_size=MiB).json()
    full_disk(monkeypatch)
    assert up.put(first["id"], 0, payload(MiB)).status_code == 507
    room_again(monkeypatch)
    assert up.put(second["id"], 0, payload(MiB, seed=2)).status_code == 200


def test_a_session_whose_file_cannot_fit_is_refused_at_start(uploader, monkeypatch):
    monkeypatch.setattr(staging, "free_bytes", lambda: 10 * MiB)
    up = uploader()
    too_big = 10 * MiB - services.STAGING_MARGIN + 1 if services.STAGING_MARGIN < 10 * MiB else 10 * MiB
    response = up.start(file_name="model.bin", total_size=too_big)
    assert response.status_code == 507
    error = response.json()["error"]
    assert error["code"] == "insufficient_storage"
    assert error["details"] == {"total_size": too_big, "free_bytes": 10 * MiB}
    assert not UploadSession.objects.exists()
    assert not list(staging.staging_dir().glob("*.part"))


def test_a_session_that_fits_with_the_margin_starts(uploader, monkeypatch):
    monkeypatch.setattr(staging, "free_bytes", lambda: services.STAGING_MARGIN + MiB)
    assert uploader().start(file_name="model.bin", total_size=MiB).status_code == 201
