"""The case state machine: every legal and illegal transition, the four-eyes rule, rework, deferral, escalation."""
from datetime import datetime, timedelta

import pytest

from grids.cases import ACTIONS, STATES, Case, CaseError, allowed_actions, apply, escalation_level, is_overdue

T0 = datetime(2026, 10, 8, 9, 0)
DEADLINE = datetime(2026, 10, 9, 9, 0)


def _case(state="registered", **kw):
    return Case(state=state, deadline=DEADLINE, **kw)


def _args(action, case):
    return {"dispatch": {"assignee": "网格长 韦小宝"}, "rectify": {"photo": "evidence/1.jpg"},
            "defer": {"deadline": case.deadline + timedelta(days=3), "role": "supervisor"}}.get(action, {})


LEGAL = [(s, a) for s in STATES for a, (starts, _) in ACTIONS.items() if s in starts]
ILLEGAL = [(s, a) for s in STATES for a, (starts, _) in ACTIONS.items() if s not in starts]


def test_the_tables_cover_every_pair():
    assert len(LEGAL) + len(ILLEGAL) == len(STATES) * len(ACTIONS)
    assert len(LEGAL) == 7


@pytest.mark.parametrize("state, action", LEGAL)
def test_legal_transitions(state, action):
    case = _case(state, rectified_by="保洁员 甲" if state == "rectified" else None)
    after = apply(case, action, actor="督查员 乙", at=T0, **_args(action, case))
    expected = ACTIONS[action][1] or state
    assert after.state == expected
    assert after.history[-1] == {**after.history[-1], "action": action, "from": state, "to": expected,
                                 "by": "督查员 乙", "at": "2026-10-08T09:00:00"}


@pytest.mark.parametrize("state, action", ILLEGAL)
def test_illegal_transitions_name_the_state_and_the_next_steps(state, action):
    case = _case(state)
    with pytest.raises(CaseError) as caught:
        apply(case, action, actor="督查员 乙", at=T0, **_args(action, case))
    message = str(caught.value)
    assert f"state {state} ({STATES[state]})" in message
    for allowed in allowed_actions(state):
        assert allowed in message
    if state == "closed":
        assert "closed" in message and "none" in message


def test_the_whole_loop_to_closed_records_who_and_when():
    case = _case()
    steps = [("dispatch", "调度员", {"assignee": "网格长"}), ("rectify", "保洁员", {"photo": "a.jpg"}),
             ("verify", "督查员", {}), ("close", "街道", {})]
    for number, (action, actor, extra) in enumerate(steps):
        case = apply(case, action, actor=actor, at=T0 + timedelta(hours=number), **extra)
    assert case.state == "closed" and case.closed_at == T0 + timedelta(hours=3)
    assert [(h["action"], h["by"]) for h in case.history] == [(a, p) for a, p, _ in steps]
    assert not is_overdue(case, T0 + timedelta(days=30))  # closed before its deadline


def test_the_rectifier_cannot_verify_and_rejection_counts_a_rework():
    case = apply(_case("dispatched"), "rectify", actor="保洁员 甲", at=T0, photo="a.jpg")
    for action in ("verify", "reject"):
        with pytest.raises(CaseError, match="cannot also verify"):
            apply(case, action, actor="保洁员 甲", at=T0)
    back = apply(case, "reject", actor="督查员 乙", at=T0)
    assert back.state == "dispatched" and back.reworks == 1 and back.evidence is None
    again = apply(apply(back, "rectify", actor="保洁员 甲", at=T0, photo="b.jpg"), "reject", actor="督查员 乙", at=T0)
    assert again.reworks == 2


def test_rectify_needs_evidence_and_dispatch_an_assignee():
    with pytest.raises(CaseError, match="evidence photo"):
        apply(_case("dispatched"), "rectify", actor="保洁员", at=T0)
    with pytest.raises(CaseError, match="assignee"):
        apply(_case(), "dispatch", actor="调度员", at=T0)
    with pytest.raises(CaseError, match="person who takes it"):
        apply(_case(), "dispatch", actor=" ", at=T0, assignee="x")
    with pytest.raises(CaseError, match="unknown action"):
        apply(_case(), "archive", actor="x", at=T0)


def test_deferral_by_a_supervisor_moves_the_deadline():
    later = DEADLINE + timedelta(days=5)
    with pytest.raises(CaseError, match="granted by a supervisor"):
        apply(_case(), "defer", actor="网格员", at=T0, deadline=later, role="editor")
    with pytest.raises(CaseError, match="later than"):
        apply(_case(), "defer", actor="主任", at=T0, deadline=DEADLINE, role="supervisor")
    deferred = apply(_case(), "defer", actor="主任", at=T0, deadline=later, role="supervisor")
    assert deferred.deadline == later and deferred.deferrals == 1 and deferred.state == "registered"
    assert not is_overdue(deferred, DEADLINE + timedelta(days=1))


def test_an_overdue_open_case_is_escalated_one_level_up():
    case = _case("dispatched", level="community")
    assert escalation_level(case, DEADLINE - timedelta(minutes=1)) == "community"
    assert is_overdue(case, DEADLINE + timedelta(minutes=1))
    assert escalation_level(case, DEADLINE + timedelta(days=9)) == "street"   # one level, not more
    assert escalation_level(_case("dispatched", level="city"), DEADLINE + timedelta(days=1)) == "city"
    late = Case(state="closed", deadline=DEADLINE, closed_at=DEADLINE + timedelta(hours=1))
    assert is_overdue(late, DEADLINE + timedelta(days=3)) and escalation_level(late, DEADLINE) == "grid"
