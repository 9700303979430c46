"""Acting on a case (dispatch, rectify, verify, reject, close, defer) with an optimistic lock.

The caller names the version it read (the ETag, sent as If-Match). Inside the write transaction
the stored version is compared: of two people acting on one case at once, the first to get the
write lock wins and the second is refused with 409 and the case as it now is, so nothing is
overwritten and nothing is lost. An action the state does not allow is 409 too, its message
naming the state and the allowed next steps; an action the state allows but the rules refuse
(no evidence photo, the rectifier verifying, a deferral by an editor) is 422.
"""
from __future__ import annotations

import re

from grids.cases import ACTIONS, STATES, CaseError, allowed_actions, apply
from grids.workdays import CalendarError

from .. import case_rules as rules
from ..audit import record as audit
from ..auth import check_scope
from ..errors import Conflict, NotFound, PreconditionRequired, ValidationFailed
from ..storage import cases as store
from ..storage import session_scope
from ..storage.photos import reencode, save_encoded
from . import clock
from .record import remove_photos
from .shapes import case_etag, domain_case

__all__ = ["act_on_case", "expected_version", "case_for"]

_ETAG = re.compile(r'^"case-(?P<id>.+)-v(?P<version>\d{1,9})"$')


def expected_version(case_id: str, if_match: str | None, body_version=None) -> int | None:
    """The version the caller read: from If-Match (the case's ETag) or the body's ``version``."""
    for tag in (t.strip() for t in (if_match or "").split(",")):
        found = _ETAG.match(tag.removeprefix("W/"))
        if found and found["id"] == case_id:
            return int(found["version"])
    if if_match and body_version is None:
        raise ValidationFailed(f"If-Match {if_match[:80]!r} is not an ETag of case {case_id}; "
                               f"send the ETag its GET answered, like {case_etag(case_id, 1)}")
    return body_version


def case_for(engine, principal, case_id: str):
    """The stored case (404 when unknown); a district-scoped caller touches only its district's."""
    with session_scope(engine) as session:
        row = store.stored_case(session, case_id)
    if row is None:
        raise NotFound(f"no case {case_id}")
    if principal is not None:
        check_scope(principal, row.grid)
    return row


def _state_line(row) -> str:
    nxt = ", ".join(allowed_actions(row.state)) or "none: the case is closed"
    return f"it is now at version {row.version} in state {row.state} ({STATES[row.state]}); allowed next: {nxt}"


def _new_deadline(settings, row, body):
    if body.get("deadline") is not None and body.get("working_days") is not None:
        raise ValidationFailed("give a deferral's new deadline or its working_days, not both")
    if body.get("deadline") is not None:
        try:
            return clock.china_time(body["deadline"])
        except ValueError:
            raise ValidationFailed(f"deadline must be an ISO 8601 time, got {body['deadline']!r}") from None
    if body.get("working_days") is not None:
        days = body["working_days"]
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 366:
            raise ValidationFailed(f"working_days must be a whole number from 1 to 366, got {days!r}")
        try:
            return rules.work_calendar(settings).add_workdays(row.deadline, days)
        except CalendarError as exc:
            raise ValidationFailed(str(exc)) from None
    return None


def _details(action: str, case) -> dict:
    if action == "defer":
        return {"deadline": clock.iso(case.deadline)}
    if action == "dispatch":
        return {"assignee": case.assignee}
    if action == "rectify":
        return {"photo": case.evidence}
    return {}


def act_on_case(engine, settings, principal, case_id: str, body: dict, *, if_match=None, photo=None) -> int:
    """Take ``body["action"]`` on a case as ``principal``; return the case's new version.

    ``body``: action, note, assignee (dispatch; default the party the case is addressed to),
    photo (rectify: a stored photo's URL) or ``photo`` bytes uploaded with the request, deadline
    or working_days (defer), version (instead of If-Match).
    """
    action = body.get("action")
    if action not in ACTIONS:
        raise ValidationFailed(f"unknown action {action!r}; actions: {', '.join(ACTIONS)}")
    row = case_for(engine, principal, case_id)
    expected = expected_version(case_id, if_match, body.get("version"))
    if expected is None:
        raise PreconditionRequired(f"send If-Match with the case's ETag ({case_etag(case_id, row.version)}) so "
                                   "that two people acting at once never overwrite each other")
    encoded = reencode(photo, "photo") if photo is not None else None
    instance, urls = settings["SANIGRID_INSTANCE"], []
    try:
        with session_scope(engine, write=True) as session:
            row = store.stored_case(session, case_id)
            if row is None:
                raise NotFound(f"no case {case_id}")
            if row.version != expected:
                raise Conflict(f"case {case_id} changed since you read version {expected}: {_state_line(row)}; "
                               "read it again and decide anew")
            if row.state not in ACTIONS[action][0]:
                raise Conflict(_refusal(row, action))
            if encoded is not None:
                urls.append(save_encoded(instance, *encoded))
            return _apply(session, settings, principal, row, action, body, urls[0] if urls else body.get("photo"))
    except BaseException:
        remove_photos(instance, urls)
        raise


def _refusal(row, action) -> str:
    try:
        apply(domain_case(row), action, actor="-", at=clock.now())
    except CaseError as exc:
        return str(exc)
    return f"a case in state {row.state} cannot be {action}"


def _apply(session, settings, principal, row, action, body, photo) -> int:
    now, actor = clock.now(), principal.actor
    assignee = body.get("assignee")
    if action == "dispatch" and not assignee and row.addressed_kind != "grid":
        assignee = row.addressed_ref
    try:
        case = apply(domain_case(row), action, actor=actor, at=now, role=principal.role, photo=photo,
                     deadline=_new_deadline(settings, row, body) if action == "defer" else None,
                     assignee=assignee, note=body.get("note") or "")
    except CaseError as exc:
        raise ValidationFailed(str(exc)) from None
    entry = case.history[-1]
    changes = {"state": case.state, "deadline": case.deadline, "reworks": case.reworks, "deferrals": case.deferrals,
               "rectified_by": case.rectified_by, "assignee": case.assignee, "evidence": case.evidence,
               "closed_at": case.closed_at, "updated_at": now, "updated_by": actor}
    before = {"state": row.state, "version": row.version}
    version = store.update_case(session, row.id, row.version, changes, {
        "action": action, "from_state": entry["from"], "to_state": entry["to"], "by": actor, "at": now,
        "note": entry["note"] or None, "details": _details(action, case)})
    audit(session, actor, action, "cases", row.id, before, {"state": case.state, "version": version})
    return version
