"""The compiler: names checked once against the vocabulary, one error or a list of located problems."""

from __future__ import annotations

import pytest

from miglint.errors import UserError
from miglint.policy.compiler import Compiler
from miglint.policy.conditions import Flags, Options, Params, Value, walk


def test_names_are_normalised(policies):
    node = Compiler(policies.vocab).compile(
        {"flags": ["VIR_MIGRATE_LIVE"], "params": ["VIR_MIGRATE_PARAM_BANDWIDTH"], "options": ["tunneled"]}, "t")
    by_type = {type(n): n for n in walk(node)}
    assert by_type[Flags].all_ == ("LIVE",)
    assert by_type[Params].all_ == ("bandwidth",)
    assert by_type[Options].all_ == ("tunnelled",)  # an alias is the option it stands for


@pytest.mark.parametrize("spec, message", [
    ({"flags": ["LIVEE"]}, "unknown migration flag 'LIVEE'"),
    ({"params": ["bandwith"]}, "unknown migration parameter 'bandwith'"),
    ({"options": ["p2pp"]}, "unknown virsh option 'p2pp'"),
    ({"stat": "running"}, "unknown condition 'stat' (did you mean 'state'?)"),
    ({"param": {"key": "bandwidth", "bigger": 1}}, "unknown value test 'bigger'"),
])
def test_a_bad_name_stops_loading_with_the_rule(policies, spec, message):
    with pytest.raises(UserError) as e:
        Compiler(policies.vocab).compile(spec, "rule X")
    assert e.value.message.startswith("rule X: " + message)


def test_validation_collects_every_unknown_name_at_its_path(policies):
    problems: list = []
    c = Compiler(policies.vocab, problems=problems)
    c.compile({"flags": {"all": ["LIVE", "LIVEE"], "none": ["TSL"]}, "any": [{"options": ["p2pp"]}],
               "param": {"key": "bandwith", "gt": 1}}, "t", ("rules", 3, "when"))
    assert [(at, m.split(" (")[0]) for at, m in problems] == [
        (("rules", 3, "when", "flags", "all", 1), "unknown migration flag 'LIVEE'"),
        (("rules", 3, "when", "flags", "none", 0), "unknown migration flag 'TSL'"),
        (("rules", 3, "when", "any", 0, "options", 0), "unknown virsh option 'p2pp'"),
        (("rules", 3, "when", "param", "key"), "unknown migration parameter 'bandwith'"),
    ]


def test_every_node_made_is_located(policies):
    c = Compiler(policies.vocab)
    c.compile({"state": "running", "any": [{"fact": {"name": "domain.snapshots", "gt": 0}}]}, "t", ("when",))
    located = {type(n).__name__: at for n, at in c.located}
    assert located["InSet"] == ("when", "state") and located["Value"] == ("when", "any", 0, "fact")
    assert isinstance(next(n for n, _ in c.located if isinstance(n, Value)), Value)
