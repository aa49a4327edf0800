"""Plan files (YAML, JSON, JSON Lines) and entries -> jobs, with locations and clear errors."""

from __future__ import annotations

import datetime
import io
import json

import pytest

from miglint.errors import UserError
from miglint.inputs.plan import json_jobs, jsonl_jobs, yaml_jobs
from miglint.inputs.request import make_request
from miglint.settings import Defaults


def ok(items):
    bad = [i for i in items if isinstance(i, UserError)]
    assert not bad, bad
    return items


def test_yaml_plan_with_defaults_and_lines(policies):
    text = b"""defaults: {hypervisor: qemu, libvirt_version: "9.0.0"}
migrations:
  - id: a
    state: running
    flags: [LIVE, PEER2PEER]
  - id: b
    command: virsh migrate --offline dom qemu+ssh://dst/system
"""
    jobs = ok(list(yaml_jobs(text, "p.yaml", policies, Defaults())))
    assert [(j.id, j.location.line) for j in jobs] == [("a", 3), ("b", 6)]
    assert jobs[0].request.libvirt_version == "9.0.0" and jobs[0].request.mode == "p2p"


def test_default_flags_and_params_are_for_entries_without_a_command(policies):
    text = b"""defaults: {hypervisor: qemu, state: running, flags: [LIVE, PEER2PEER], params: {bandwidth: 5}}
migrations:
  - {id: c1, command: virsh migrate --live c1 qemu+ssh://kvm-08/system}
  - {id: f1, desturi: qemu+ssh://kvm-08/system}
  - {id: f2, flags: [OFFLINE, PERSIST_DEST]}
"""
    jobs = ok(list(yaml_jobs(text, "p.yaml", policies, Defaults())))
    assert [j.id for j in jobs] == ["c1", "f1", "f2"]
    c1, f1, f2 = (j.request for j in jobs)
    live, p2p = policies.vocab.flags["LIVE"].value, policies.vocab.flags["PEER2PEER"].value
    assert c1.flags == live and c1.params == () and c1.mode == "managed"  # what its command says
    assert f1.flags == live | p2p and f1.params == (("bandwidth", 5),)
    assert f2.flags & live == 0 and f2.params == (("bandwidth", 5),)


def test_a_default_command_is_for_entries_without_flags_or_params(policies):
    text = b"""defaults: {hypervisor: qemu, state: running, command: virsh migrate --live d qemu+ssh://h/system}
migrations:
  - {id: f1, flags: [LIVE, PEER2PEER]}
  - {id: c1}
"""
    jobs = ok(list(yaml_jobs(text, "p.yaml", policies, Defaults())))
    assert [(j.id, j.text) for j in jobs] == [("f1", None), ("c1", "virsh migrate --live d qemu+ssh://h/system")]


def test_an_entry_with_a_command_and_its_own_flags_is_an_error_at_the_entry(policies):
    text = b"""defaults: {hypervisor: qemu, flags: [LIVE]}
migrations:
  - {id: ok, command: virsh migrate --live a qemu+ssh://h/system}
  - id: c2
    command: virsh migrate --live c2 qemu+ssh://h/system
    params: {bandwidth: 5}
"""
    items = list(yaml_jobs(text, "p.yaml", policies, Defaults()))
    errors = [i for i in items if isinstance(i, UserError)]
    assert [i.id for i in items if not isinstance(i, UserError)] == ["ok"]
    assert [(e.where, e.message) for e in errors] == [
        ("p.yaml:6:5", "a plan entry has either 'command' or 'flags'/'params', not both")]


@pytest.mark.parametrize("reader, text", [
    (yaml_jobs, b"- {id: a, hypervisor: qemu, flags: [LIVE], flags: [OFFLINE]}\n- {id: b, hypervisor: qemu}\n"
                b"- {id: c, hypervisor: qemu, facts: {domain.snapshots: 1, domain.snapshots: 2}}\n"),
    (json_jobs, b'[{"id": "a", "hypervisor": "qemu", "flags": ["LIVE"], "flags": ["OFFLINE"]},\n'
                b' {"id": "b", "hypervisor": "qemu"},\n'
                b' {"id": "c", "hypervisor": "qemu", "facts": {"domain.snapshots": 1, "domain.snapshots": 2}}]\n'),
])
def test_a_repeated_key_is_an_error_of_its_entry_and_the_others_are_read(policies, reader, text):
    items = list(reader(text, "p", policies, Defaults()))
    assert [i.id for i in items if not isinstance(i, UserError)] == ["b"]
    errors = [(e.where.split(":")[1], e.message.split(":")[0]) for e in items if isinstance(e, UserError)]
    assert errors == [("1", "duplicate key 'flags'"), ("3", "duplicate key 'domain.snapshots'")]


def test_a_repeated_key_in_json_lines_is_an_error_of_its_line(policies):
    lines = (b'{"id": "a", "hypervisor": "qemu", "flags": ["LIVE"], "flags": ["OFFLINE"]}\n'
             b'{"id": "b", "hypervisor": "qemu", "command": "virsh migrate \\"x\\": y"}\n'  # `":` in a string
             b'{"id": "c", "hypervisor": "qemu", "ignore": [{"rule": "Q053", "rule": "Q054"}]}\n'
             b'{"id": "d", "hypervisor": "qemu", "facts": {"domain.snapshots": 1}, "params": {"bandwidth": 1}}\n'
             b'{"id": "e", "hypervisor": "qemu", "id": "f"}\n')
    items = list(jsonl_jobs(io.BytesIO(lines), "p.jsonl", policies, Defaults()))
    errors = [(e.where, e.message.split(":")[0]) for e in items if isinstance(e, UserError)]
    assert errors == [("p.jsonl:1:54", "duplicate key 'flags'"), ("p.jsonl:3:63", "duplicate key 'rule'"),
                      ("p.jsonl:5:35", "duplicate key 'id'")]
    assert [i.id for i in items if not isinstance(i, UserError)] == ["b", "d"]


def test_a_key_repeated_through_a_merge_is_not_a_duplicate(policies):
    text = b"""base: &base {hypervisor: qemu, state: running}
migrations:
  - {<<: *base, id: a, state: shutoff, flags: [OFFLINE, PERSIST_DEST]}
"""
    [job] = ok(list(yaml_jobs(text.replace(b"base: &base", b"defaults: &base"), "p.yaml", policies, Defaults())))
    assert job.request.state == "shutoff"


BOM = b"\xef\xbb\xbf"
ENTRY = b'{"id": "a", "hypervisor": "qemu", "state": "shutoff", "flags": ["OFFLINE"]}'


@pytest.mark.parametrize("reader, text", [
    (json_jobs, BOM + b"[" + ENTRY + b"]\n"),
    (yaml_jobs, BOM + b"- " + ENTRY + b"\n"),
    (lambda data, *rest: jsonl_jobs(io.BytesIO(data), *rest), BOM + ENTRY + b"\n" + ENTRY.replace(b'"a"', b'"b"')),
])
def test_a_byte_order_mark_is_skipped(policies, reader, text):
    jobs = ok(list(reader(text, "p", policies, Defaults())))
    assert [j.id for j in jobs][:1] == ["a"] and jobs[0].location.line == 1


def test_json_lines_skip_lines_of_blanks(policies):
    lines = ENTRY + b"\n \n\t\n  \r\n\n" + ENTRY.replace(b'"a"', b'"b"') + b"\n   "
    jobs = ok(list(jsonl_jobs(io.BytesIO(lines), "p.jsonl", policies, Defaults())))
    assert [(j.id, j.location.line) for j in jobs] == [("a", 1), ("b", 6)]


def test_a_null_id_is_no_id(policies):
    jobs = ok(list(yaml_jobs(b"- {id: null, hypervisor: qemu}\n- {id: ~, hypervisor: qemu}\n", "p.yaml", policies,
                             Defaults())))
    assert [j.id for j in jobs] == ["p.yaml#1", "p.yaml#2"]


@pytest.mark.parametrize("value, text", [
    (None, "null"), (True, "true"), (False, "false"), ("x'y", '"x\'y"'), (5, "5"), (1.5, "1.5"),
    (float("inf"), ".inf"), (datetime.date(2024, 1, 1), "2024-01-01"),
    ([1, None, "a"], "[1, null, 'a']"), ({"k": [True]}, "{'k': [true]}"), (list(range(1000)), "[0, 1, 2, "),
])
def test_values_are_shown_as_a_plan_writes_them(value, text):
    from miglint.errors import shown

    got = shown(value)
    assert got.startswith(text) and len(got) <= 80


def test_json_plan_lines(policies):
    text = json.dumps([{"id": "x", "hypervisor": "vz", "flags": 0x802}, {"id": "y", "hypervisor": "qemu"}], indent=1)
    jobs = ok(list(json_jobs(text.encode(), "p.json", policies, Defaults())))
    assert [j.location.line for j in jobs] == [2, 7]
    assert jobs[0].request.flags == 0x802


def test_jsonl_streams_and_reports_bad_lines(policies):
    lines = b'{"id": "1", "hypervisor": "qemu", "flags": ["LIVE"]}\n\nnot json\n{"id": "4", "hypervisor": "kvm"}\n'
    items = list(jsonl_jobs(io.BytesIO(lines), "p.jsonl", policies, Defaults()))
    assert items[0].id == "1"
    assert isinstance(items[1], UserError) and items[1].where.startswith("p.jsonl:3")
    assert isinstance(items[2], UserError) and "unknown hypervisor 'kvm'" in items[2].message


@pytest.mark.parametrize("entry,message,column", [
    ({"hypervisor": "qemu", "flags": ["LIVEE"]}, "unknown migration flag 'LIVEE' (did you mean 'LIVE'?)", 35),
    ({"hypervisor": "qemu", "params": {"bandwith": 1, "bandwidth": "fast"}}, "parameter 'bandwidth' takes an integer",
     64),
    ({"hypervisor": "qemu", "params": {"bogus.key": {"a": 1}}}, "parameter 'bogus.key' takes a string, an integer",
     49),
    ({"hypervisor": "qemu", "params": {"bandwidth": "fast"}}, "parameter 'bandwidth' takes an integer", 49),
    ({"hypervisor": "qemu", "params": {"bandwidth": -1}}, "out of range", 49),
    ({"hypervisor": "qemu", "state": "runing"}, "invalid state 'runing'", 34),
    ({"hypervisor": "qemu", "mode": "tunnel"}, "invalid mode 'tunnel'", 33),
    ({"hypervisor": "qemu", "libvirt_version": "nine"}, "invalid libvirt version 'nine'", 44),
    ({"hypervisor": "qemu", "flag": ["LIVE"]}, "unknown key 'flag' in plan entry (did you mean 'flags'?)", 25),
    ({"flags": ["LIVE"]}, "names no hypervisor", 2),
    ({"hypervisor": "qemu", "command": "virsh migrate d qemu+ssh://x/system", "flags": []}, "either 'command'", 75),
])
def test_entry_errors_name_the_problem_where_it_is(policies, entry, message, column):
    items = list(json_jobs(json.dumps([entry]).encode(), "p.json", policies, Defaults()))
    assert isinstance(items[0], UserError)
    assert message in items[0].message and items[0].where == f"p.json:1:{column}"


def test_unknown_parameters_reach_the_driver(policies):
    """A key libvirt does not define is libvirt's to refuse ("parameter 'x' not supported"), not an input error;
    libvirt walks the parameters sorted by name, so a known one after it is not type-checked."""
    req = make_request(policies, hypervisor="qemu", params={"bogus.key": 1, "tls.destination": 5, "bandwidth": 10})
    assert req.params == (("bandwidth", 10), ("bogus.key", 1), ("tls.destination", 5))
    assert make_request(policies, hypervisor="qemu", params={"x": ["a", "b"], "y": []}).params == (("x", ("a", "b")),)


def test_mode_follows_the_api_form(policies):
    assert make_request(policies, hypervisor="qemu", flags=["LIVE"]).mode == "managed"
    assert make_request(policies, hypervisor="qemu", flags=["LIVE", "PEER2PEER"]).mode == "p2p"
    # ToURI3 without the peer-to-peer flag is a direct migration, whatever the entry calls it
    assert make_request(policies, hypervisor="qemu", flags=["LIVE"], mode="p2p").mode == "direct"
    assert make_request(policies, hypervisor="qemu", flags="LIVE|PEER2PEER", mode="direct").mode == "p2p"


# -- ids seen twice (note M006), bounded -----------------------------------------------------------------------


def test_ids_seen_twice_beyond_the_first_thousands():
    from miglint.inputs.plan import Ids

    ids = Ids("p.jsonl")
    for n in range(1, Ids.SMALL + 5000):
        assert ids.see_id(f"vm-{n}", n) is None
    assert ids._table is not None  # the compact table took over
    note = ids.see_id("vm-3", 99999)
    assert note is not None and note.rule == "M006" and "p.jsonl:3" in note.message and note.line == 99999
    note = ids.see_id(f"vm-{Ids.SMALL + 4000}", 100000)
    assert note is not None and f"p.jsonl:{Ids.SMALL + 4000}" in note.message
    assert ids.see({"id": 12}, 100001) is None and ids.see({"id": "12"}, 100002) is not None


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_repeated_ids_are_noted_on_lines_written_from_a_known_outcome(tmp_path, capsys, fmt):
    from miglint.cli.app import main

    entry = {"hypervisor": "qemu", "state": "running", "flags": ["LIVE", "PEER2PEER"]}
    lines = [json.dumps({"id": f"vm-{n % 30}", **entry}) for n in range(60)]
    (tmp_path / "p.jsonl").write_text("\n".join(lines) + "\n")
    for version in ("1", "2"):
        main(["check", "--format", fmt, "--json-schema-version", version, str(tmp_path / "p.jsonl")])
        out = capsys.readouterr().out
        notes = out.count('"M006"')
        assert notes == 30, (version, notes)


def test_mode_p2p_without_the_peer2peer_flag_is_direct_and_said(policies):
    text = b"""- {id: a, hypervisor: qemu, state: running, mode: p2p, flags: [LIVE]}
- {id: b, hypervisor: qemu, state: running, mode: p2p, flags: [LIVE, PEER2PEER]}
- {id: c, hypervisor: qemu, state: running, mode: direct, flags: [LIVE]}
"""
    a, b, c = ok(list(yaml_jobs(text, "p.yaml", policies, Defaults())))
    assert a.request.mode == "direct"
    assert a.assumed == ("mode p2p without VIR_MIGRATE_PEER2PEER in the flags: virDomainMigrateToURI3 migrates "
                         "directly (mode direct)",)
    assert (b.request.mode, b.assumed) == ("p2p", ())
    assert (c.request.mode, c.assumed) == ("direct", ())  # said as it is meant
