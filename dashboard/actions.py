"""The console's buttons as one gate: check the person's role, then call the alert
service with their name, so every change on the timeline says who did it.

A viewer sees no buttons, but a hidden button is not a permission: every method
here refuses with :class:`~dashboard.users.PermissionDenied` before anything
reaches the service, whatever the page showed.
"""

from __future__ import annotations

from dataclasses import dataclass

from alerts.service import AlertService
from alerts.views import AlertView, RingReceipt, RingTarget
from dashboard.users import Role, User, require


@dataclass(frozen=True)
class ConsoleActions:
    """What one person may do to alerts (leads and admins act; viewers only look)."""

    service: AlertService
    user: User | None

    @property
    def can_act(self) -> bool:
        return self.user is not None and self.user.role.allows(Role.LEAD)

    def _by(self, action: str) -> str:
        return require(self.user, Role.LEAD, action).name

    def acknowledge(self, alert_id: int) -> AlertView:
        return self.service.acknowledge(alert_id, by=self._by("acknowledge"))

    def add_note(self, alert_id: int, text: str) -> AlertView:
        return self.service.add_note(alert_id, by=self._by("add a note"), text=text)

    def preview_ring(self, alert_id: int) -> list[RingTarget]:
        self._by("ring the owner")
        return self.service.preview_ring(alert_id)

    def ring_owner(self, alert_id: int, request_id: str) -> RingReceipt:
        """Ring once per ``request_id``: a double click or a resent form rings once."""
        by = self._by("ring the owner")
        return self.service.ring_owner(alert_id, by=by, request_id=request_id)

    def snooze(self, alert_id: int, until: float) -> AlertView:
        return self.service.snooze(alert_id, by=self._by("snooze"), until=until)

    def resolve(self, alert_id: int, comment: str = "") -> AlertView:
        return self.service.resolve(alert_id, by=self._by("resolve"), comment=comment)

    def label(self, alert_id: int, label: str) -> AlertView:
        return self.service.label(alert_id, by=self._by("label"), label=label)

    def log_missed(
        self,
        occurred_at: float,
        description: str,
        business_line: str | None,
        reason: str | None,
    ) -> int:
        return self.service.log_missed(
            by=self._by("log a missed incident"),
            occurred_at=occurred_at,
            description=description,
            business_line=business_line,
            reason=reason,
        )
