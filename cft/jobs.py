"""Periodic jobs serve every clinic, so one bad row must not stop them: each row (or batch) runs in its own
savepoint; a failure is logged without PHI (job, object type and id, exception class), counted, recorded in the
audit trail for the row's clinic (`job.row_failed`, shown to its clinic admins in the admin) and the job goes on."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import transaction

from audit.services import record

logger = logging.getLogger("cft.jobs")
FAILED_ACTION = "job.row_failed"


@dataclass
class JobRun:
    job: str
    failed: int = 0

    @contextmanager
    def row(self, *, clinic_id: int | None, object_type: str, object_id: object) -> Iterator[None]:
        """Run the block in a savepoint; on any error roll it back, report it and carry on."""
        try:
            with transaction.atomic():
                yield
        except Exception as exc:  # noqa: BLE001 - isolating any failure of one row is the point
            self.fail(clinic_id=clinic_id, object_type=object_type, object_id=object_id, exc=exc)

    def fail(self, *, clinic_id: int | None, object_type: str, object_id: object, exc: BaseException) -> None:
        self.failed += 1
        # The exception's message can quote row values (an email in an IntegrityError): only its class is logged.
        logger.error("%s: %s %s failed (%s); the job carries on", self.job, object_type, object_id, type(exc).__name__)
        record(
            action=FAILED_ACTION,
            actor_label=f"job {self.job}",
            clinic_id=clinic_id,
            details={"job": self.job, "object_type": object_type, "object_id": str(object_id),
                     "error": type(exc).__name__},
        )  # fmt: skip
