"""The services for real: row locks on PostgreSQL, the health check against Redis and a
worker, and a task's round trip through the broker, the worker and the result backend."""

import threading

import pytest
from celery.result import allow_join_result
from django.db import connection

from catalog.models import Product
from common.errors import ValidationFailed
from qarion.tasks import ping
from tests.conftest import make_record


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_creates_at_the_space_limit_let_exactly_one_through(world):
    space = world.lab
    active = Product.objects.filter(space=space, is_archived=False).count()
    space.catalog_product_limit = active + 1
    space.save(update_fields=["catalog_product_limit"])
    start = threading.Barrier(2)
    outcomes = [None, None]

    def create(index):
        try:
            start.wait(timeout=10)
            outcomes[index] = make_record(actor=world.editor, space=space, name=f"Concurrent record {index}")
        except Exception as exc:  # the assertions below say which outcome was wrong
            outcomes[index] = exc
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=create, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a create is still waiting for a lock"

    created = [o for o in outcomes if isinstance(o, Product)]
    refused = [o for o in outcomes if isinstance(o, ValidationFailed)]
    assert len(created) == 1 and len(refused) == 1, outcomes
    assert refused[0].code == "product_limit_reached"
    assert Product.objects.filter(space=space, is_archived=False).count() == active + 1


def test_health_reports_the_database_the_broker_and_a_worker(client, db, celery_worker):
    response = client.get("/health/")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"status": "ok"}
    assert body["checks"]["broker"] == {"status": "ok"}
    assert body["checks"]["workers"]["status"] == "ok"
    assert body["checks"]["workers"]["count"] >= 1


def test_a_task_makes_the_round_trip_through_the_worker(celery_worker):
    result = ping.delay()
    # Celery's "a task is running here" flag is one global per process: an embedded-shape task
    # still running in a thread left by an earlier test (the live server's background assembly)
    # sets it for this thread too. This thread runs no task, so waiting here is allowed.
    with allow_join_result():
        assert result.get(timeout=30) == "pong"
