"""miglint diff and check --hypervisor a,b: comparing hypervisors and versions."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from miglint.cli.app import app, main
from miglint.features.diff import diff, parse_column

runner = CliRunner()


def test_qemu_vs_vz(policies):
    rows = {r.name: r for r in diff(policies, [parse_column(policies, "qemu"), parse_column(policies, "vz")])}
    assert rows["LIVE"].cells[0].startswith("accepted, default off")
    assert rows["LIVE"].cells[1].startswith("ignored, default on")
    assert rows["COMPRESSED"].cells[1].startswith("refused, default on")
    assert "PEER2PEER" not in rows  # same on both
    assert rows["destination_xml"].cells[1] == "refused"  # vz always refuses it (Z006), as check says


def test_versions_of_one_hypervisor(policies):
    rows = {r.name: r for r in diff(policies, [parse_column(policies, "qemu@9.0.0"), parse_column(policies, "qemu@11.3.0")])}
    assert rows["compression.zstd.level"].cells == ("refused", "accepted")
    assert "LIVE" not in rows
    assert "Q056" in rows["TUNNELLED"].cells[1] and "Q056" not in rows["TUNNELLED"].cells[0]


def test_cli(policies):
    result = runner.invoke(app, ["diff", "vz", "vz-2015", "--format", "json"])
    data = json.loads(result.output)
    assert result.exit_code == 0 and data["columns"] == ["vz@12.8.0", "vz-2015@12.8.0"]
    live = next(r for r in data["rows"] if r["name"] == "PERSIST_DEST")
    assert "required: always (P002)" in live["cells"][1]
    for args, message in ((["diff", "qemu"], "two or more"), (["diff", "qemu", "kvm"], "unknown hypervisor"),
                          (["diff", "qemu", "vz@nine"], "invalid libvirt version")):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and message in result.output


def test_check_a_mixed_fleet(capsys):
    code = main(["check", "--format", "json", "--json-schema-version", "1", "--hypervisor", "qemu,vz", "--state", "running",
                 "--command", "virsh migrate --live --compressed dom qemu+ssh://dest/system"])
    results = json.loads(capsys.readouterr().out)["results"]
    assert code == 1
    assert [(r["hypervisor"], r["prediction"]) for r in results] == [("qemu", "accepted"), ("vz", "rejected")]
    assert results[1]["first_error"]["rule"] == "Z002"
