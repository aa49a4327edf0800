"""Live pre-flight against a real libvirt 9.0.0: ``miglint check --connect`` predicts what libvirt then does
with the same ``virsh migrate``, for the disk rules (local storage, copy-storage, migrate-disks targets) and
the state rules, and leaves the domain as it found it (state, definition, job).

Each case: observe the domain, run miglint (a separate process, as a user would), observe again (nothing may
have changed), then let libvirt answer the same command and compare. Needs the libvirt_pair fixture
(conftest.py): it skips without a real libvirt, or fails when MIGLINT_REQUIRE_LIBVIRT=1.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

import pytest

pytestmark = pytest.mark.live

UNSAFE = "Unsafe migration: Migration without shared storage is unsafe"
CASES = [
    # id, domain, virsh options (before DOMAIN DESTURI), libvirt's verdict, its message (None when accepted)
    ("local-disk-p2p", "mll-disk", "--live --p2p", "rejected", UNSAFE),
    ("local-disk-managed", "mll-disk", "--live", "rejected", UNSAFE),
    ("copy-storage", "mll-disk", "--live --p2p --copy-storage-all", "accepted", None),
    ("copy-storage-listed", "mll-disk", "--live --p2p --copy-storage-all --migrate-disks vda", "accepted", None),
    ("copy-storage-other-disk", "mll-disk", "--live --p2p --copy-storage-all --migrate-disks sda", "rejected", UNSAFE),
    ("migrate-disks-unknown-target", "mll-disk", "--live --p2p --copy-storage-all --migrate-disks vda,vdz",
     "rejected", "invalid argument: disk target vdz not found"),
    ("unsafe", "mll-disk", "--live --p2p --unsafe", "accepted", None),
    ("shutoff", "mll-off", "--live --p2p --unsafe", "rejected", "Requested operation is not valid: domain is not running"),
    ("shutoff-local-disk", "mll-off", "--live --p2p", "rejected", "Requested operation is not valid: domain is not running"),
    ("offline", "mll-off", "--offline --persistent --p2p", "accepted", None),
    ("paused-postcopy", "mll-disk!paused", "--live --p2p --unsafe --postcopy", "rejected",
     "argument unsupported: post-copy migration is not supported with non-live or paused migration"),
]
UNCHANGED = ("state", "reason", "persistent", "snapshots", "job", "xml", "inactive_xml")


def miglint(src_uri: str, command: str) -> tuple[int, dict]:
    p = subprocess.run([sys.executable, "-m", "miglint", "check", "--no-config", "--format", "json",
                        "--json-schema-version", "1", "--connect", src_uri, "--command", command],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode in (0, 1), p.stdout + p.stderr
    return p.returncode, json.loads(p.stdout)


@pytest.mark.parametrize("case_id, domain, options, verdict, message", CASES, ids=[c[0] for c in CASES])
def test_miglint_predicts_libvirt_and_touches_nothing(libvirt_pair, case_id, domain, options, verdict, message):
    pair = libvirt_pair
    domain, _, state = domain.partition("!")
    if state == "paused":
        pair.suspend(domain)
    try:
        command = f"virsh migrate {options} {domain} {shlex.quote(pair.dst_uri)}"
        before = pair.observe(domain)
        code, doc = miglint(pair.src_uri, command)
        after = pair.observe(domain)
        assert {k: after[k] for k in UNCHANGED} == {k: before[k] for k in UNCHANGED}, "miglint changed the domain"
        answer = pair.virsh_migrate([*options.split(), domain, "{dest}"])
    finally:
        if state == "paused" and pair.observe(domain)["state"] == 3:
            pair.resume(domain)
    result = doc["results"][0]
    assert (result["libvirt_version"], result["hypervisor"]) == (pair.libvirt_version, "qemu")
    assert result["state"] == ("paused" if state else "running" if pair.domains[domain]["running"] else "shutoff")
    # libvirt's own answer is what the case expects (the harness works) ...
    assert (answer["verdict"], answer["message"] if answer["verdict"] == "rejected" else None) == (verdict, message), answer
    # ... and miglint predicted it
    predicted = result["first_error"]["message"] if result["first_error"] else None
    assert (result["prediction"], predicted) == (verdict, message), result
    assert code == (1 if verdict == "rejected" else 0)


def test_done_when_local_disk_refusal(libvirt_pair):
    """The issue's acceptance check, as one story: predicted, confirmed by libvirt, domain untouched."""
    pair = libvirt_pair
    command = f"virsh migrate --live --p2p mll-disk {shlex.quote(pair.dst_uri)}"
    before = pair.observe("mll-disk")
    code, doc = miglint(pair.src_uri, command)
    assert code == 1 and doc["results"][0]["first_error"]["rule"] == "Q033"
    assert doc["results"][0]["first_error"]["message"] == UNSAFE
    during = pair.observe("mll-disk")
    assert {k: during[k] for k in UNCHANGED} == {k: before[k] for k in UNCHANGED}
    answer = pair.virsh_migrate(["--live", "--p2p", "mll-disk", "{dest}"])
    assert answer["message"] == UNSAFE and answer["rc"] == 1
    after = pair.observe("mll-disk")
    assert {k: after[k] for k in UNCHANGED} == {k: before[k] for k in UNCHANGED}
