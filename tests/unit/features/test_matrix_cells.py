"""Every cell of the matrix and of `explain` is what check says: the requests behind each cell, written as
virsh command lines and checked, get the answers the cell is made of, and the cell says nothing they deny."""

from __future__ import annotations

import pytest

from miglint.features.capabilities import Analysis
from miglint.features.docs import STATUS_WORD, matrix
from miglint.features.explain import render_virsh, verify_command
from miglint.model import REJECTING


@pytest.fixture(scope="module")
def analyses(policies, evaluator):
    version = policies.vocab.newest
    return {hv: Analysis(policies, hv, version, evaluator) for hv in sorted(policies.drivers)}


def _rows(analyses):
    for hv, a in analyses.items():
        for row in a.flag_rows():
            yield hv, row.flag, row
        for row in a.param_rows():
            yield hv, row.key, row


def test_every_cell_is_asked_and_the_command_line_gets_the_same_answer(policies, evaluator, analyses):
    asked = 0
    for hv, name, row in _rows(analyses):
        if row.accepted == "unsure":
            continue
        assert row.probe, f"{hv} {name}: no request asked"
        for answer in row.probe:
            try:
                command = render_virsh(policies, answer.request, "vm", answer.request.desturi or "dst")
            except ValueError:
                continue  # a flag virsh has no option for: the API request is the answer
            got = verify_command(policies, evaluator, command, hv, answer.request.state, policies.vocab.newest)
            if got.prediction != answer.result.prediction:
                # virsh's own checks may refuse what the API takes (--live with --offline): nothing else
                assert answer.result.prediction == "accepted", (hv, name, command)
                assert {f.policy for f in got.findings if f.effect in REJECTING} == {"virsh"}, (hv, name, command)
            asked += 1
    assert asked > 500


def test_no_cell_says_what_check_denies(policies, analyses):
    for hv, name, row in _rows(analyses):
        statuses = {a.status for a in row.probe}
        if row.when_set == "refused":
            # refused: no request that sets it is accepted, and the cell names a rule that refuses it
            assert statuses <= {"refused", "unknown"}, (hv, name, statuses)
            assert row.refused_by in {r for a in row.probe for r in a.rules} | {""}, (hv, name, row.refused_by)
        elif row.accepted == "yes":
            # accepted (or ignored): some request with it is accepted, or the rules that refused the ones asked
            # hold under a condition the cell names
            assert statuses & {"accepted", "ignored"} or row.refused_when or row.forbidden, (hv, name)
        if row.when_set == "ignored" and not row.modes:
            behaviour = (policies.driver(hv).doc.get("behaviour") or {}).get(name) or {}
            assert "ignored" in statuses or behaviour.get("when_set") == "ignored", (hv, name)


def test_matrix_cells_are_the_rows(policies, evaluator, analyses):
    m = matrix(policies, evaluator)
    for hv, a in analyses.items():
        for row in a.flag_rows():
            assert m.cells[(row.flag, hv)].status == STATUS_WORD.get(row.when_set, row.when_set)
        for row in a.param_rows():
            assert m.param_cells[(row.key, hv)].status == STATUS_WORD.get(row.when_set, row.when_set)


@pytest.mark.parametrize("hv, kind, name, status, rule", [
    ("vz", "param", "destination_xml", "refused", "Z006"),  # vz always refuses a destination XML
    ("vz", "param", "bandwidth", "ignored", ""),  # managed: refused (Z004); p2p: ignored (Z005)
    ("vz", "flag", "NON_SHARED_DISK", "refused", "Z002"),  # default on, and refused when set
    ("vz", "flag", "COMPRESSED", "refused", "Z002"),
    ("vz", "flag", "LIVE", "ignored", ""),
    ("qemu", "flag", "OFFLINE", "honoured", ""),
    ("qemu", "param", "compression", "honoured", ""),  # refused without a method (Q077): said in the cell
])
def test_known_cells(analyses, hv, kind, name, status, rule):
    a = analyses[hv]
    row = a.flag_row(name) if kind == "flag" else a.param_row(name)
    assert row.when_set == status and row.refused_by == rule
    if (hv, name) == ("vz", "bandwidth"):
        assert row.modes == (("managed", "refused"), ("p2p", "ignored"))
    if (hv, name) == ("qemu", "compression"):
        assert "Q077" in row.refused_when
