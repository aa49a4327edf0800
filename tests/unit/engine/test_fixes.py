"""Combined fixes: safe ones by default, re-checked until nothing changes; minimal commands; stable fixes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from test_projection import POLICIES as P_POLICIES
from test_projection import SETTINGS, api_requests, command_requests

from miglint.engine.evaluate import Evaluator
from miglint.engine.fixes import StablePlans, apply_fix, fix_stable, minimize, plan_fix
from miglint.inputs.request import make_request
from miglint.model import Fix


def req(policies, **kw):
    kw.setdefault("hypervisor", "qemu")
    return make_request(policies, **kw)


def test_a_safe_fix_is_applied_and_checked_again(policies, evaluator):
    plan = plan_fix(evaluator, req(policies, state="shutoff", flags=["OFFLINE"]))
    assert plan.add_flags == ("PERSIST_DEST",) and plan.applied == ("Q053",)
    assert plan.result.prediction == "accepted"


def test_a_fix_that_adds_p2p_to_a_virsh_line_makes_it_p2p(policies, evaluator):
    from miglint.inputs.virsh import command_job

    job = command_job("virsh migrate --live --tunnelled d qemu+ssh://h/system", policies=policies, hypervisor=None,
                      state="running", version=(11, 3, 0), job_id="x")
    plan = plan_fix(evaluator, job.request)
    assert plan.add_flags == ("PEER2PEER",) and plan.request.mode == "p2p"
    assert plan.result.prediction == "accepted"


def test_the_managed_api_cannot_be_fixed_into_p2p(policies, evaluator):
    # virDomainMigrate3 with PEER2PEER is refused (A005): adding the flag (A006's fix) would trade one refusal
    # for another that nothing fixes, so the plan leaves it to a person.
    plan = plan_fix(evaluator, req(policies, state="running", flags=["LIVE", "TUNNELLED"], mode="managed"))
    assert plan.result.prediction == "rejected" and plan.result.first_error.rule == "A006"
    assert not plan.changed


def test_unsafe_fixes_only_when_asked(policies, evaluator):
    r = req(policies, state="running", flags=["LIVE", "PEER2PEER", "POSTCOPY", "TUNNELLED"])
    safe = plan_fix(evaluator, r)
    assert safe.result.prediction == "rejected" and safe.result.first_error.rule == "Q051"
    unsafe = plan_fix(evaluator, r, unsafe=True)
    assert unsafe.result.prediction != "rejected" and unsafe.changed


def test_dropping_a_flag_that_happens_anyway_is_safe(policies, evaluator):
    # vz refuses --compressed (Z002), but it always compresses: removing the flag keeps the request's meaning.
    r = req(policies, hypervisor="vz", state="running", flags=["LIVE", "PEER2PEER", "COMPRESSED"])
    result = evaluator(r)
    z002 = next(f for f in result.findings if f.rule == "Z002")
    assert z002.fix.safe
    plan = plan_fix(evaluator, r)
    # LIVE goes too: vz migrates live anyway (Z011, a safe fix of an info finding)
    assert plan.remove_flags == ("LIVE", "COMPRESSED") and plan.result.prediction == "accepted"
    assert plan.applied == ("Z002", "Z011") and not plan.result.findings


def test_only_wanted_findings_are_fixed(policies, evaluator):
    # The run's settings say which findings fix may act on: a disabled or suppressed rule is left alone.
    r = req(policies, hypervisor="vz", state="running", flags=["LIVE", "PEER2PEER", "COMPRESSED"])
    plan = plan_fix(evaluator, r, wanted=lambda f: f.rule != "Z011")
    assert plan.remove_flags == ("COMPRESSED",) and plan.applied == ("Z002",)


def test_findings_that_depend_on_a_missing_fact_are_not_fixed(policies, evaluator):
    # vz-2015 wants --live for a running domain and --offline for a shut-off one: without the state, no guess.
    plan = plan_fix(evaluator, req(policies, hypervisor="vz-2015", flags=["PEER2PEER"]))
    assert "LIVE" not in plan.add_flags and "OFFLINE" not in plan.add_flags


def test_apply_fix_keeps_virsh_options_in_step(policies, evaluator):
    from miglint.inputs.virsh import command_job

    job = command_job("virsh migrate --offline d qemu+ssh://h/system", policies=policies, hypervisor=None,
                      state="shutoff", version=(11, 3, 0), job_id="x")
    fixed = apply_fix(job.request, Fix(add_flags=("PERSIST_DEST",)), evaluator)
    assert dict(fixed.options)["persistent"] is True
    assert fixed.flags & policies.vocab.flags["PERSIST_DEST"].value


def test_minimize_drops_flags_that_change_nothing(policies, evaluator):
    r = req(policies, hypervisor="vz", state="running", flags=["LIVE", "PERSIST_DEST", "PEER2PEER"])
    plan = minimize(evaluator, r)
    assert set(plan.remove_flags) == {"LIVE", "PERSIST_DEST"} and plan.result.prediction == "accepted"


def test_fixing_a_fixed_request_changes_nothing(policies, evaluator):
    r = req(policies, state="shutoff", flags=["OFFLINE", "TUNNELLED", "NON_SHARED_DISK"])
    once = fix_stable(evaluator, r, unsafe=True)
    again = fix_stable(evaluator, once.request, unsafe=True)
    assert again.request == once.request and not again.applied


# -- plans remembered across a run (StablePlans) -----------------------------------------------------------------

_EV = Evaluator(P_POLICIES)
_PLANS = StablePlans(_EV, size=64)  # small: old plans are pushed out while the test runs


@SETTINGS
@given(st.lists(st.one_of(api_requests(), command_requests()), min_size=1, max_size=6), st.booleans(),
       st.sampled_from([frozenset(), frozenset({"Q053"}), frozenset({"V014", "Q020"})]))
def test_remembered_plans_are_the_plans(requests, unsafe, off):
    """A plan taken from a request the rules read alike is the plan made afresh: the same changes, rules
    applied, fixed request and result (its texts its own)."""
    def wanted(f):
        return f.rule not in off and not f.depends_on

    fresh_ev = Evaluator(P_POLICIES)
    for request in requests + requests:  # the second time from the table, where the key allows
        got = _PLANS(request, unsafe=unsafe, wanted=wanted, off=off)
        expected = fix_stable(fresh_ev, request, unsafe=unsafe, wanted=wanted)
        assert got == expected


def test_a_plan_is_replayed_on_a_request_read_alike():
    """Two VMs with the same mistake and their own names: one plan made, the other replayed with its own texts."""
    plans = StablePlans(Evaluator(P_POLICIES))
    a, b = (make_request(P_POLICIES, hypervisor="qemu", state="shutoff", flags=["OFFLINE", "PEER2PEER"], domain=d,
                         desturi=f"qemu+ssh://{h}/system", params={"destination_name": d + "-new"})
            for d, h in (("web-1", "kvm-1"), ("db-7", "kvm-9")))
    first, second = plans(a), plans(b)
    assert len(plans._plans) == 1
    assert first.add_flags == second.add_flags == ("PERSIST_DEST",) and second.request.domain == "db-7"
    assert second.result.prediction == "accepted"
