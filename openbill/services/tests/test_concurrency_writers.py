"""Different writers of one service at once (PostgreSQL): staff stopping it while the abuse
check stops it too. The service's row lock keeps both reasons; without it one writer's reasons
would overwrite the other's, and lifting the surviving one would restart a service that staff
or abuse stopped. The first writer is stopped inside its transaction on purpose
(openbill.core.tests.interleave).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.core.tests.interleave import interleave
from openbill.provisioning.models import OPEN_STATES, ProvisioningTask
from openbill.services import actions
from openbill.services.choices import Operation, Status, SuspendReason
from openbill.services.models import Service

STAFF = Actor("staff", None, "staff@test.test")
ABUSE = Actor.system("abuse check")


def _suspend(service: Service, reason: str, actor: Actor) -> Any:
    return lambda: actions.suspend(service, reason=reason, actor=actor, now=timezone.now())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_staff_and_the_abuse_check_stopping_one_service_at_once_both_leave_their_reason(alice, vps_plan):
    service = f.service(alice, vps_plan)

    by_staff, for_abuse = interleave(
        _suspend(service, SuspendReason.ADMIN, STAFF),
        _suspend(service, SuspendReason.ABUSE, ABUSE),
        pause=(actions, "lock"),
    )

    assert isinstance(by_staff, Service) and isinstance(for_abuse, Service), (by_staff, for_abuse)
    service.refresh_from_db()
    assert service.suspend_reasons == {SuspendReason.ADMIN, SuspendReason.ABUSE}
    assert service.operation == Operation.SUSPENSION
    assert ProvisioningTask.objects.filter(service=service, state__in=OPEN_STATES).count() == 1

    # Lifting the staff's reason leaves it stopped for abuse.
    actions.resume(service, reason=SuspendReason.ADMIN, actor=STAFF, now=timezone.now())
    service.refresh_from_db()
    assert service.suspend_reasons == {SuspendReason.ABUSE}
    assert service.status == Status.ACTIVE and service.operation == Operation.SUSPENSION
