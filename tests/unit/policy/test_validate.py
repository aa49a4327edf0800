"""miglint policy validate / test: problems with file:line:column, examples run, missing examples listed."""

from __future__ import annotations

from typer.testing import CliRunner

from miglint.cli.app import app
from miglint.policy.files import builtin_dir
from miglint.policy.validate import check_paths

runner = CliRunner()

BROKEN = """schema: miglint-policy/1
name: acme-qemu
kind: driver
extends: qemu
status: organisation
behaviour:
  LIVEE: {omitted: x, set: y}
rules:
  - id: Q053
    name: acme-needs-tls
    title: Migration without TLS
    kind: policy
    effect: policy
    severity: error
    phase: polciy
    when: {flags: {none: [TSL]}, options: [p2pp], params: [bandwith]}
    message: "TLS required here"
    why: Company policy requires encrypted migrations.
    fix: {add_flags: [TLS], safe: true}
    source: {file: src/none, function: acme}
  - id: ACM002
    name: bad-one
    kind: policy
    whn: {}
    why: short
"""

GOOD = """schema: miglint-policy/1
name: acme-qemu
kind: driver
extends: qemu
status: organisation
rules:
  - id: ACM001
    name: acme-needs-tls
    title: Migration without TLS
    kind: policy
    effect: policy
    severity: error
    when: {flags: {none: [TLS, TUNNELLED]}}
    message: "ACME: migrations must be encrypted"
    why: Company policy requires encrypted migrations.
    fix: {add_flags: [TLS], safe: true}
    source: {file: src/none, function: acme}
    examples:
      fail: ["virsh migrate --live dom qemu+ssh://dst/system"]
      pass: ["virsh migrate --live --tls dom qemu+ssh://dst/system"]
  - id: ACM002
    name: acme-no-unsafe
    title: --unsafe is not allowed
    kind: policy
    effect: policy
    severity: error
    when: {flags: [UNSAFE]}
    message: "ACME: --unsafe is not allowed"
    why: Company policy forbids skipping libvirt's safety checks.
    fix: {remove_flags: [UNSAFE]}
    source: {file: src/none, function: acme}
    examples:
      fail: [{hypervisor: acme-qemu, state: running, flags: [LIVE, UNSAFE]}]
"""


def test_builtin_policies_are_valid_and_pass_their_examples():
    result = runner.invoke(app, ["policy", "validate", str(builtin_dir())])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["policy", "test", str(builtin_dir())])
    assert result.exit_code == 0 and " passed, 0 failed" in result.output


def test_every_problem_with_its_position(tmp_path):
    f = tmp_path / "acme.yaml"
    f.write_text(BROKEN)
    problems = [str(p) for p in check_paths([tmp_path]).problems]
    expected = [
        f"{f}:7:10: behaviour › LIVEE: unknown migration flag 'LIVEE' (did you mean 'LIVE'?)",
        f"{f}:9:5: rule Q053: id already used by policy 'qemu'; ids are never reused",
        f"{f}:16:27: rule Q053 › when › flags › none › item 1: unknown migration flag 'TSL' (did you mean 'TLS'?)",
        f"{f}:16:44: rule Q053 › when › options › item 1: unknown virsh option 'p2pp' (did you mean 'p2p'?)",
        f"{f}:16:60: rule Q053 › when › params › item 1: unknown migration parameter 'bandwith' (did you mean 'bandwidth'?)",
        f"{f}:21:5: rule ACM002: unknown key ('whn' was unexpected)",
        f"{f}:21:5: rule ACM002: missing required key 'title'",
        f"{f}:21:5: rule ACM002: needs one of the keys 'message', 'variants'",
    ]
    for e in expected:
        assert e in problems, (e, problems)
    assert any("phase: group 'polciy' is in no check sequence" in p for p in problems)
    assert any("unknown migration parameter 'bandwith'" in p for p in problems)
    assert any("why: 'short' is too short" in p for p in problems)
    result = runner.invoke(app, ["policy", "validate", str(f)])
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_duplicate_ids_within_a_file(tmp_path):
    text = GOOD.replace("id: ACM002", "id: ACM001")
    (tmp_path / "acme.yaml").write_text(text)
    problems = [str(p) for p in check_paths([tmp_path]).problems]
    assert any("duplicate rule id 'ACM001'" in p for p in problems)


def test_policy_test_runs_examples_and_lists_missing_ones(tmp_path):
    (tmp_path / "acme.yaml").write_text(GOOD)
    result = runner.invoke(app, ["policy", "validate", str(tmp_path)])
    assert result.exit_code == 0 and "1 policies, 2 rules" in result.output
    result = runner.invoke(app, ["policy", "test", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "3 passed, 0 failed" in result.output and "ACM002 acme-no-unsafe has no pass example" in result.output
    assert runner.invoke(app, ["policy", "test", "--strict", str(tmp_path)]).exit_code == 1
    (tmp_path / "acme.yaml").write_text(GOOD.replace('fail: ["virsh migrate --live dom', 'fail: ["virsh migrate --live --tls dom'))
    result = runner.invoke(app, ["policy", "test", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{tmp_path / 'acme.yaml'}:19:14: ACM001 fail example 1: should trigger ACM001" in result.output


def test_missing_path_is_a_user_error():
    result = runner.invoke(app, ["policy", "validate", "no/such/dir"])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_a_yaml_error_is_a_problem(tmp_path):
    (tmp_path / "bad.yaml").write_text("schema: miglint-policy/1\nname: [unclosed\n")
    problems = check_paths([tmp_path]).problems
    assert problems and problems[0].file == str(tmp_path / "bad.yaml") and problems[0].line >= 2


def test_first_error_groups_and_read_at_options_are_checked(tmp_path):
    text = """schema: miglint-policy/1
name: acme-qemu
kind: driver
extends: qemu
status: organisation
rules:
  - id: ACM010
    name: acme-after-params
    title: Refused late
    kind: policy
    effect: warn
    severity: warning
    phase: advice
    when: {first_error: {phase: [params-src, parms-dst]}}
    message: "refused late"
    why: The organisation wants to know about late refusals.
    read_at: {after: migrate-diskz}
"""
    f = tmp_path / "acme.yaml"
    f.write_text(text)
    problems = [str(p) for p in check_paths([tmp_path]).problems]
    assert any("first_error names group 'parms-dst'" in p for p in problems), problems
    assert any("read_at › after: unknown virsh option 'migrate-diskz' (did you mean 'migrate-disks'?)" in p
               for p in problems), problems
