"""The assembly lease: a heartbeat keeps it alive while a worker works, so it can be short and
a dead worker's assembly is taken over within it; a task that finds the lease held looks again
when it runs out."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from uploads import services
from uploads.choices import SessionStatus
from uploads.models import UploadSession

pytestmark = pytest.mark.django_db(transaction=True)  # the heartbeat writes from its own thread


@pytest.fixture
def assembling(uploader, settings):
    up = uploader()
    started = up.start(file_name="model.bin", total_size=10)
    upload_id = started.json()["id"]
    assert up.put(upload_id, 0, b"0123456789").status_code == 200
    UploadSession.objects.filter(pk=upload_id).update(status=SessionStatus.ASSEMBLING, lease_until=None)
    return upload_id


def test_the_heartbeat_renews_the_lease_while_the_work_runs_and_stops_after(assembling, settings):
    settings.QARION_ASSEMBLY_LEASE_SECONDS = 3  # a beat every second
    lease = services._claim(assembling)
    lease.attempt = UploadSession.objects.get(pk=assembling).assembly_attempts
    first = UploadSession.objects.get(pk=assembling).lease_until
    with lease.heartbeat():
        time.sleep(2.5)
        renewed = UploadSession.objects.get(pk=assembling).lease_until
    assert renewed > first
    time.sleep(1.5)
    assert UploadSession.objects.get(pk=assembling).lease_until == renewed  # no beat after the work


def test_a_worker_that_lost_the_lease_writes_nothing(assembling, settings):
    lease = services._claim(assembling)
    lease.attempt = UploadSession.objects.get(pk=assembling).assembly_attempts
    UploadSession.objects.filter(pk=assembling).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert services._claim(assembling) is not None  # another worker takes over: a new attempt
    assert not lease.renew() and not lease.settle(status=SessionStatus.FAILED)
    assert UploadSession.objects.get(pk=assembling).status == SessionStatus.ASSEMBLING


def test_a_task_that_finds_the_lease_held_is_told_when_to_look_again(assembling, settings):
    settings.QARION_ASSEMBLY_LEASE_SECONDS = 30
    assert services._claim(assembling) is not None  # a worker that then dies
    wait = services.session_assemble(assembling)
    assert wait is not None and 29 <= wait <= 32.5
    UploadSession.objects.filter(pk=assembling).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert services.session_assemble(assembling) is None  # taken over and finished
    assert UploadSession.objects.get(pk=assembling).status == SessionStatus.COMPLETED
    assert services.lease_wait(assembling) is None


def test_a_starting_worker_also_looks_at_assemblies_whose_lease_still_runs(assembling, settings):
    assert services._claim(assembling) is not None
    assert services.recover_assemblies() == []
    assert services.recover_assemblies(leased=True) == [UploadSession.objects.get(pk=assembling).pk]
