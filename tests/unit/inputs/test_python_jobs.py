"""Python source -> Ways items (inputs/python/jobs.py): requests as libvirt receives them, directives around the
call, virsh runs through the shell reader."""

from __future__ import annotations

import textwrap

from miglint.engine.paths import combine
from miglint.errors import UserError
from miglint.model import UNKNOWN, Location, Note, Suppression, Ways
from miglint.inputs.python.jobs import python_jobs
from miglint.settings import Defaults


def items(policies, text, **defaults):
    return list(python_jobs(textwrap.dedent(text), "m.py", policies, Defaults(**defaults)))


def ways(policies, text, **defaults) -> list[Ways]:
    out = items(policies, text, **defaults)
    assert not [i for i in out if isinstance(i, UserError)], out
    return [i for i in out if isinstance(i, Ways)]


def test_parameters_as_libvirt_receives_them(policies):
    (call,) = ways(policies, """\
        import libvirt
        def go(dom, disks, name):
            params = {'migrate_disks': disks, 'destination_name': name, 'listen_address': ['a', 'b']}
            if not disks and not name:
                dom.migrateToURI3('qemu+ssh://h/system', params, libvirt.VIR_MIGRATE_PEER2PEER)
        """)
    (w,) = call.ways
    # An empty list of disks sends nothing; a false name is a value not known; a list for a string is refused
    # by libvirt-python: not known either.
    assert dict(w.job.request.params) == {"destination_name": UNKNOWN, "listen_address": UNKNOWN}
    assert [(c.text, c.value) for c in w.when] == [("disks", False), ("name", False)]


def test_the_call_and_its_ways(policies, evaluator):
    (call,) = ways(policies, """\
        import libvirt
        FLAGS = libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER
        def go(dom):
            dom.migrateToURI3('qemu+ssh://h/system',
                              {}, FLAGS | libvirt.VIR_MIGRATE_ZEROCOPY)
        """)
    assert (call.job.id, call.job.location, call.job.subject_locations, call.job.text) == (
        "m.py:4", Location("m.py", 4, 5), (),
        "dom.migrateToURI3('qemu+ssh://h/system', {}, FLAGS | libvirt.VIR_MIGRATE_ZEROCOPY)")
    (w,) = call.ways
    assert sorted(w.job.subject_locations) == [("flag:LIVE", Location("m.py", 2, 1)),
                                               ("flag:PEER2PEER", Location("m.py", 2, 1)),
                                               ("flag:ZEROCOPY", Location("m.py", 4, 5))]
    job, result = combine(call, [evaluator(w.job.request)])
    assert [f.rule for f in result.findings if not f.depends_on] == ["Q055"] and result.prediction == "rejected"
    assert job.related == ()  # ZEROCOPY is written in the call itself: nowhere else to point at


def test_directives_around_a_call_over_several_lines(policies):
    out = items(policies, """\
        import libvirt
        def go(dom):
            dom.migrateToURI3('qemu+ssh://h/system', {},
                              libvirt.VIR_MIGRATE_ZEROCOPY)  # miglint: ignore[Q055] being fixed
            dom.migrateToURI3('qemu+ssh://h/system', {}, 0)  # miglint: ignor[A010] typo
        """)
    first, second = [i for i in out if isinstance(i, Ways)]
    assert [(s.rule, s.reason, s.location.line) for s in first.job.suppressed] == [("Q055", "being fixed", 4)]
    assert second.job.suppressed == ()
    assert [s.rule for s in out if isinstance(s, Suppression)] == ["Q055"]
    assert ["did you mean 'ignore'" in n.message for n in out if isinstance(n, Note)] == [True]


def test_no_hypervisor_to_check_against_is_an_error_at_the_call(policies, monkeypatch):
    monkeypatch.setattr(policies, "assumed_hypervisor", None)
    out = items(policies, """\
        import libvirt
        def go(dom, uri):
            dom.migrateToURI3(uri, {}, libvirt.VIR_MIGRATE_PEER2PEER)
            dom.migrateToURI3('vz+ssh://h/system', {}, libvirt.VIR_MIGRATE_PEER2PEER)
        """)
    (error,) = [i for i in out if isinstance(i, UserError)]
    assert error.where == "m.py:3:5" and "give --hypervisor" in error.message
    (call,) = [i for i in out if isinstance(i, Ways)]
    assert call.ways[0].job.request.hypervisor == "vz"


def test_virsh_runs_are_read_by_the_shell_reader(policies):
    (argv, text) = ways(policies, """\
        import subprocess, os
        def go(vm, extra):
            cmd = ['virsh', 'migrate', '--live', '--p2p', vm, 'qemu+ssh://h/system']
            if extra:
                cmd.append('--tunnelled')
            subprocess.run(cmd)
            os.system(f"virsh migrate --offline {vm} qemu+ssh://h/system")
        """, state="running")
    assert [(w.job.request.options is not None, [(c.text, c.value) for c in w.when]) for w in argv.ways] == [
        (True, [("extra", True)]), (True, [("extra", False)])]
    assert argv.job.location == Location("m.py", 6, 5)
    tunnelled = dict(argv.ways[0].job.subject_locations)["option:tunnelled"]
    assert tunnelled == Location("m.py", 5, 20)  # where the word was appended
    (w,) = text.ways
    assert w.job.request.domain is None and dict(w.job.request.options)["offline"] is True


def test_exclusive_branches_on_one_value_give_no_way_with_both(policies, evaluator):
    (call,) = ways(policies, """\
        import libvirt
        def go(dom, dest, mode):
            flags = libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER
            if mode == "tunnel":   flags |= libvirt.VIR_MIGRATE_TUNNELLED
            if mode == "parallel": flags |= libvirt.VIR_MIGRATE_PARALLEL
            dom.migrateToURI3("qemu+ssh://%s/system" % dest, {}, flags)
        """, state="running")
    assert len(call.ways) == 3
    _, result = combine(call, [evaluator(w.job.request) for w in call.ways])
    assert result.prediction == "accepted" and result.findings == ()


def test_a_uri_built_with_a_known_scheme_names_the_driver(policies):
    got = ways(policies, """\
        import libvirt, subprocess
        def go(dom, dest):
            subprocess.run(["virsh", "migrate", "--p2p", "--compressed", dom, f"vz+ssh://{dest}/system"])
            subprocess.run(["virsh", "migrate", "--p2p", "--compressed", dom, "vz+ssh://%s/system" % dest])
            dconn = libvirt.open(f"vz+ssh://{dest}/system")
            dom.migrate3(dconn, {}, libvirt.VIR_MIGRATE_COMPRESSED)
        """, state="running")
    assert [w.job.request.hypervisor for call in got for w in call.ways] == ["vz", "vz", "vz"]


def test_the_source_connection_names_the_driver_and_may_be_read_only(policies, evaluator):
    xen, ro = ways(policies, """\
        import libvirt
        def go(n, dest_uri):
            conn = libvirt.open("xen:///system")
            dom = conn.lookupByName(n)
            dom.migrateToURI3(dest_uri, {}, libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER
                              | libvirt.VIR_MIGRATE_COMPRESSED)
            rconn = libvirt.openReadOnly("qemu:///system")
            rconn.lookupByName(n).migrateToURI3("qemu+ssh://h/system", {}, libvirt.VIR_MIGRATE_PEER2PEER)
        """, state="running")
    (w,) = xen.ways
    assert (w.job.request.hypervisor, w.job.request.connect_uri) == ("libxl", "xen:///system")
    _, result = combine(xen, [evaluator(w.job.request)])
    assert result.prediction == "rejected" and result.first_error.rule == "X001"
    (w,) = ro.ways
    assert dict(w.job.request.facts)["connection.readonly"] is True
    _, result = combine(ro, [evaluator(w.job.request)])
    assert result.prediction == "rejected" and result.first_error.rule == "A001"
    assert result.first_error.message.endswith("read only access prevents virDomainMigrateToURI3")
