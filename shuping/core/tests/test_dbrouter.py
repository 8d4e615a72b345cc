from django.test import override_settings

from shuping.core.dbrouter import ReplicaRouter, use_replica
from shuping.orgs.models import Unit

REPLICA = {"default": {}, "replica": {}}


@override_settings(DATABASES=REPLICA)
def test_reads_stay_on_the_primary_unless_asked():
    router = ReplicaRouter()
    assert router.db_for_read(Unit) == "default"
    with use_replica():
        assert router.db_for_read(Unit) == "replica"
        assert router.db_for_write(Unit) == "default"
    assert router.db_for_read(Unit) == "default"


def test_without_a_replica_everything_uses_the_primary():
    with use_replica():
        assert ReplicaRouter().db_for_read(Unit) == "default"
    assert ReplicaRouter().allow_migrate("replica", "orgs") is False
