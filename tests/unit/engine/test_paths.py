"""One answer for a call reached along several ways (engine.paths.combine): error on every way, warning on some
(led by the conditions that matter), depends on what code computes, related locations."""

from __future__ import annotations

from miglint.engine.paths import combine, when_text
from miglint.model import REJECTING, Condition, Job, Location, Related, Request, Way, Ways

F = "m.py"


def at(line: int, col: int = 5) -> Location:
    return Location(F, line, col)


def cond(text: str, value: bool, line: int) -> Condition:
    return Condition(text, value, at(line, 8))


def way(policies, flags, when=(), params=None, state="running", where=(), mode=None, **req) -> Way:
    mask = policies.vocab.mask(flags)
    request = Request("qemu", "11.3.0", state, mode or ("p2p" if "PEER2PEER" in flags else "direct"), mask,
                      tuple(sorted((params or {}).items())), **req)
    subjects = tuple((s, at(line, 9)) for s, line in where)
    return Way(Job("m.py:30", request, at(30), subjects, "dom.migrateToURI3(...)"), tuple(when))


def run(evaluator, ways, too_many=False):
    call = Ways(Job("m.py:30", ways[0].job.request, at(30), (), "dom.migrateToURI3(...)"), tuple(ways), too_many)
    return combine(call, [evaluator(w.job.request) for w in ways])


def rules(result) -> dict[str, tuple[str, str]]:
    return {f.rule: (f.severity, f.message) for f in result.findings}


def test_refused_on_every_way_is_an_error_as_the_evaluator_says(policies, evaluator):
    ways = [way(policies, ["LIVE", "PEER2PEER", "ZEROCOPY"], [cond("cfg.tls", v, 12)]) for v in (True, False)]
    job, result = run(evaluator, ways)
    alone = evaluator(ways[0].job.request)
    assert result.prediction == "rejected" and result.first_error.rule == alone.first_error.rule == "Q055"
    assert rules(result)["Q055"] == ("error", alone.first_error.message)  # no conditions: it is refused anyway
    assert (job.location, job.subject_locations, job.text) == (at(30), (), "dom.migrateToURI3(...)")


def test_refused_on_some_ways_is_a_warning_led_by_the_conditions_that_matter(policies, evaluator):
    ways = []
    for tls in (True, False):
        for par in (True, False):
            for comp in (True, False):
                flags = ["LIVE", "PEER2PEER"] + ["TLS"] * tls + ["PARALLEL"] * par + ["COMPRESSED"] * comp
                where = [("flag:LIVE", 10), ("flag:PEER2PEER", 10)] + [("flag:PARALLEL", 15)] * par + \
                    [("flag:COMPRESSED", 17)] * comp
                ways.append(way(policies, flags, [cond("cfg.tls", tls, 12), cond("cfg.parallel", par, 14),
                                                  cond("cfg.compressed", comp, 16)], where=where))
    job, result = run(evaluator, ways)
    assert result.prediction == "depends" and result.depends_on == ("path",) and result.first_error is None
    severity, message = rules(result)["Q086"]
    alone = next(f for f in evaluator(ways[0].job.request).findings if f.rule == "Q086")
    assert severity == "warning" and alone.severity == "error"
    assert message == f"when `cfg.parallel` and `cfg.compressed` (lines 14, 16): {alone.message}"  # not cfg.tls
    assert [r for r in job.related if r.rule == "Q086"] == [
        Related("Q086", at(17, 9), "VIR_MIGRATE_COMPRESSED is set here"),
        Related("Q086", at(15, 9), "VIR_MIGRATE_PARALLEL is set here"),
        Related("Q086", at(14, 8), "this way: `cfg.parallel`"),
        Related("Q086", at(16, 8), "this way: `cfg.compressed`")]
    assert job.request.flags & policies.vocab.mask(["PARALLEL", "COMPRESSED"])  # the first refused way stands


def test_a_condition_asked_under_another_keeps_it(policies, evaluator):
    # if cfg.zerocopy: if hasattr(...): flags |= ZEROCOPY -- the way without zerocopy never asks hasattr.
    base = ["LIVE", "PEER2PEER"]
    ways = [way(policies, base + ["ZEROCOPY"], [cond("cfg.zerocopy", True, 5), cond("hasattr(libvirt, 'Z')", True, 6)]),
            way(policies, base, [cond("cfg.zerocopy", True, 5), cond("hasattr(libvirt, 'Z')", False, 6)]),
            way(policies, base, [cond("cfg.zerocopy", False, 5)])]
    _, result = run(evaluator, ways)
    assert rules(result)["Q055"][1].startswith("when `cfg.zerocopy` and `hasattr(libvirt, 'Z')` (lines 5, 6): ")


def test_a_way_that_never_asks_is_not_taken_for_one_that_says_yes(policies, evaluator):
    # for step in schedule: if step == 'postcopy': flags |= POSTCOPY; break -- zero turns ask nothing.
    ways = []
    for tun in (True, False):
        extra = ["TUNNELLED"] * tun
        ways.append(way(policies, ["LIVE", "PEER2PEER"] + extra, [cond("cfg.tunnelled", tun, 3)]))
        ways.append(way(policies, ["LIVE", "PEER2PEER", "POSTCOPY"] + extra,
                        [cond("cfg.tunnelled", tun, 3), cond("step == 'postcopy'", True, 9)]))
    _, result = run(evaluator, ways)
    assert rules(result)["Q051"][1].startswith("when `cfg.tunnelled` and `step == 'postcopy'` (lines 3, 9): ")


def test_what_code_computes_is_a_value_not_an_option(policies, evaluator):
    # Flags read from data: any flag may be set; the findings depend on the values, never a guessed refusal.
    _, result = run(evaluator, [way(policies, [], mode="p2p", open_flags=True)])
    assert result.prediction == "depends" and "values" in result.depends_on
    assert not [f for f in result.findings if not f.depends_on and f.effect in REJECTING]
    depending = [f for f in result.findings if f.depends_on]
    assert depending and all("options" not in f.depends_on for f in depending)
    assert "values" in {d for f in depending for d in f.depends_on}


def test_open_parameters_are_values_a_parameter_given_is_itself(policies, evaluator):
    w = way(policies, ["LIVE", "PEER2PEER"], params={"migrate_uri": "tcp://h"}, open_params=True)
    _, result = run(evaluator, [w])
    words = {d for f in result.findings for d in f.depends_on}
    assert "values" in words and not any(d.startswith("param:") and d != "param:migrate_uri" for d in words)
    flags_known = way(policies, ["LIVE", "PEER2PEER"])
    _, plain = run(evaluator, [flags_known])
    assert plain.prediction == "accepted" and not plain.findings


def test_too_many_ways_depend_on_the_path(policies, evaluator):
    w = way(policies, [], mode="p2p", open_flags=True, open_params=True)
    _, result = run(evaluator, [w], too_many=True)
    words = {d for f in result.findings for d in f.depends_on}
    assert "paths" in words and "values" not in words and "options" not in words
    assert "paths" in result.depends_on


def test_a_rule_that_depends_on_some_ways_says_when(policies, evaluator):
    ways = [way(policies, ["LIVE", "PEER2PEER", "POSTCOPY"], [cond("cfg.postcopy", True, 7)], state="active"),
            way(policies, ["LIVE", "PEER2PEER"], [cond("cfg.postcopy", False, 7)], state="active")]
    job, result = run(evaluator, ways)
    (q090,) = [f for f in result.findings if f.rule == "Q090"]
    assert q090.depends_on == ("state",) and q090.message.startswith("when `cfg.postcopy` (line 7): ")
    assert result.prediction == "depends" and result.depends_on == ("state",)
    assert job.request.flags & policies.vocab.mask(["POSTCOPY"])  # the way that depends stands for the call


def test_when_text():
    assert when_text([cond("a", True, 3)]) == "`a` (line 3)"
    assert when_text([cond("a", True, 3), cond("b", False, 5), Condition("except AttributeError", True, at(6))]) \
        == "`a`, not `b` and `except AttributeError` runs (lines 3, 5, 6)"


def test_refused_whichever_way_keeps_errors_each_said_with_its_way(policies, evaluator):
    ways = [way(policies, ["LIVE", "PEER2PEER", "ZEROCOPY"], [cond("cfg.zc", True, 4)]),
            way(policies, ["LIVE", "PEER2PEER", "TUNNELLED", "PARALLEL"], [cond("cfg.zc", False, 4)])]
    _, result = run(evaluator, ways)
    assert result.prediction == "rejected" and result.first_error.rule == "Q055"
    got = rules(result)
    assert got["Q055"][0] == "error" and got["Q055"][1].startswith("when `cfg.zc` (line 4): ")
    assert got["A002"][0] == "error" and got["A002"][1].startswith("when not `cfg.zc` (line 4): ")


def test_a_flag_only_a_value_may_hold_is_no_way_of_the_code(policies, evaluator):
    # Flags read from data: peer-to-peer or direct, as the data says. Direct is refused, but that is a value.
    where = at(17)
    p2p = way(policies, ["PEER2PEER"], [Condition("VIR_MIGRATE_PEER2PEER", True, where, "value")],
              mode="p2p", open_flags=True)
    direct = way(policies, [], [Condition("VIR_MIGRATE_PEER2PEER", False, where, "value")], mode="direct",
                 open_flags=True)
    job, result = run(evaluator, [p2p, direct])
    (a010,) = [f for f in result.findings if f.rule == "A010"]
    assert a010.severity == "error" and a010.depends_on == ("values",)
    assert a010.message.startswith("when the flags lack VIR_MIGRATE_PEER2PEER (line 17): ")
    assert result.prediction == "depends" and "path" not in result.depends_on and "values" in result.depends_on
    assert job.request.mode == "p2p"  # a way that depends stands for the call, not the refused one


def test_said_with_the_way_that_switches_the_fewest_things_on(policies, evaluator):
    # vz refuses each of COMPRESSED and TLS: the message names the bits of one way (not 0x10800), with its condition.
    vz = []
    for comp in (True, False):
        for tls in (True, False):
            flags = ["LIVE", "PEER2PEER"] + ["COMPRESSED"] * comp + ["TLS"] * tls
            request = Request("vz", "11.3.0", "running", "p2p", policies.vocab.mask(flags))
            vz.append(Way(Job("m.py:30", request, at(30)), (cond("cfg.compressed", comp, 3), cond("cfg.tls", tls, 5))))
    _, result = run(evaluator, vz)
    (z002,) = [f for f in result.findings if f.rule == "Z002"]
    assert z002.message.startswith("when `cfg.compressed` (line 3): unsupported flags (0x800) ")
