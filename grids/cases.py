"""The rectification case (整改案件) and its one way to 销号.

registered 立案 → dispatched 派遣 → rectified 处置 (with an evidence photo) → verified 核查 →
closed 结案/销号. A failed verification sends the case back to dispatched and counts a rework;
a supervisor's deferral (缓办) moves the deadline; the verifier is never the person who rectified.
The rules live here so that the API, the phone page, imports and the tests share them; storage
adds the version check that lets one of two people acting at once win.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

__all__ = ["STATES", "ACTIONS", "LEVELS", "CaseError", "Case", "apply", "allowed_actions", "is_overdue",
           "escalation_level", "SUPERVISOR_ROLES"]

STATES = {"registered": "立案", "dispatched": "派遣", "rectified": "处置", "verified": "核查", "closed": "结案"}
# action → (states it may start from, state it leads to; None keeps the state)
ACTIONS = {
    "dispatch": (("registered",), "dispatched"),
    "rectify": (("dispatched",), "rectified"),
    "verify": (("rectified",), "verified"),
    "reject": (("rectified",), "dispatched"),      # verification failed: rework
    "close": (("verified",), "closed"),
    "defer": (("registered", "dispatched"), None),  # 缓办: a new deadline, same state
}
ACTION_LABELS = {"dispatch": "派遣", "rectify": "处置", "verify": "核查通过", "reject": "核查不通过（返工）",
                 "close": "结案销号", "defer": "缓办"}
# The level a case is addressed to, and the one an overdue case is escalated to.
LEVELS = ("grid", "community", "street", "district", "city")
SUPERVISOR_ROLES = ("supervisor", "admin")


class CaseError(ValueError):
    """An action the case's state or the rules do not allow; the message names what would be."""


@dataclass(frozen=True)
class Case:
    state: str
    deadline: datetime
    level: str = "grid"
    reworks: int = 0
    deferrals: int = 0
    rectified_by: str | None = None
    assignee: str | None = None
    evidence: str | None = None
    closed_at: datetime | None = None
    history: tuple = field(default_factory=tuple)

    @property
    def open(self) -> bool:
        return self.state != "closed"


def allowed_actions(state: str) -> list[str]:
    return [name for name, (starts, _) in ACTIONS.items() if state in starts]


def _refuse(case: Case, action: str):
    allowed = allowed_actions(case.state)
    nxt = ", ".join(f"{a} ({ACTION_LABELS[a]})" for a in allowed) or "none: the case is closed"
    raise CaseError(f"a case in state {case.state} ({STATES[case.state]}) cannot be {action}; "
                    f"allowed next: {nxt}")


def apply(case: Case, action: str, *, actor: str, at: datetime, role: str = "editor", photo: str | None = None,
          deadline: datetime | None = None, assignee: str | None = None, note: str = "") -> Case:
    """The case after ``actor`` takes ``action`` at ``at``; :class:`CaseError` when not allowed.

    ``rectify`` needs the evidence ``photo``; ``verify``/``reject`` an actor other than the
    rectifier; ``defer`` a supervisor and a later ``deadline``; ``dispatch`` an ``assignee``.
    """
    if action not in ACTIONS:
        raise CaseError(f"unknown action {action!r}; actions: {', '.join(ACTIONS)}")
    if not actor or not str(actor).strip():
        raise CaseError("every action needs the person who takes it")
    starts, target = ACTIONS[action]
    if case.state not in starts:
        _refuse(case, action)
    changes: dict = {}
    if action == "dispatch":
        if not assignee:
            raise CaseError("dispatch needs the assignee (the responsible person or unit)")
        changes["assignee"] = assignee
    elif action == "rectify":
        if not photo:
            raise CaseError("rectify needs an evidence photo of the rectified spot")
        changes.update(rectified_by=actor, evidence=photo)
    elif action in ("verify", "reject"):
        if actor == case.rectified_by:
            raise CaseError(f"{actor} rectified this case and cannot also verify it; another person verifies")
        if action == "reject":
            changes.update(reworks=case.reworks + 1, rectified_by=None, evidence=None)
    elif action == "close":
        changes["closed_at"] = at
    elif action == "defer":
        if role not in SUPERVISOR_ROLES:
            raise CaseError(f"a deferral (缓办) is granted by a supervisor, not by a {role}")
        if deadline is None or deadline <= case.deadline:
            raise CaseError(f"a deferral moves the deadline later than {case.deadline:%Y-%m-%d %H:%M}")
        changes.update(deadline=deadline, deferrals=case.deferrals + 1)
    entry = {"action": action, "from": case.state, "to": target or case.state, "by": actor,
             "at": at.isoformat(timespec="seconds"), "note": note}
    if action == "defer":
        entry["deadline"] = deadline.isoformat(timespec="seconds")
    return replace(case, state=target or case.state, history=case.history + (entry,), **changes)


def is_overdue(case: Case, now: datetime) -> bool:
    """Open past its deadline, or closed after it."""
    return (case.closed_at or now) > case.deadline


def escalation_level(case: Case, now: datetime) -> str:
    """The level that answers for the case now: one level above its own once it is overdue and open."""
    if not case.open or not is_overdue(case, now):
        return case.level
    index = LEVELS.index(case.level)
    return LEVELS[min(index + 1, len(LEVELS) - 1)]
