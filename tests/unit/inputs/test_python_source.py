"""The Python reader: libvirt-python migration calls and `virsh migrate` commands found in Python source,
followed path by path (tests/data/python holds one file per shape)."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import yaml

from miglint.errors import UserError
from miglint.inputs.python.source import PyCall, PyPath, read_python
from miglint.model import UNKNOWN

ROOT = Path(__file__).resolve().parents[3]
DATA = Path(__file__).resolve().parents[2] / "data" / "python"
_VOCAB = yaml.safe_load((ROOT / "policies" / "vocabulary.yaml").read_text())
BITS = {f["name"]: 1 << f["bit"] for f in _VOCAB["flags"]}
MACROS = {p["name"]: p["key"] for p in _VOCAB["params"]}
P2P = _VOCAB["mode_flag"]


def read(name: str, **kw):
    path = DATA / name
    return read_python(path.read_text(), str(path), flag_bits=BITS, param_macros=MACROS, p2p_flag=P2P, **kw)


def read_text(text: str, **kw):
    return read_python(text, "t.py", flag_bits=BITS, param_macros=MACROS, p2p_flag=P2P, **kw)


def shape(p: PyPath) -> tuple:
    """A path as (guards, flags, params): what it takes and what libvirt receives."""
    return (tuple((g.text, g.value, g.line) for g in p.guards), frozenset(p.flags),
            tuple(sorted(p.params.items())))


def shapes(c: PyCall) -> set[tuple]:
    assert len({shape(p) for p in c.paths}) == len(c.paths)
    return {shape(p) for p in c.paths}


def F(*names: str) -> frozenset[str]:
    return frozenset(names)


def test_constant_call():
    r = read("constant_call.py")
    assert not r.errors and not r.shell and not r.argv
    uri3, mig, touri = r.calls
    assert (uri3.api, uri3.kind, uri3.line, uri3.column, uri3.end_line, uri3.function, uri3.receiver) == \
        ("migrateToURI3", "uri", 7, 5, 11, "move", "dom")
    (p,) = uri3.paths
    assert shape(p) == ((), F("LIVE", "PEER2PEER"), (("bandwidth", 100), ("migrate_uri", "tcp://10.0.0.2")))
    assert (p.mode, p.desturi, p.state, p.unknown_bits, p.param_unknown) == \
        ("p2p", "qemu+ssh://dst.example.org/system", None, False, False)
    assert p.contributors == {"flag:LIVE": ((7, 5),), "flag:PEER2PEER": ((7, 5),),
                              "param:bandwidth": ((9, 10),), "param:migrate_uri": ((9, 52),)}
    # migrate(dconn, flags, dname, uri, bandwidth): None and 0 are "not given".
    (p,) = mig.paths
    assert (mig.kind, shape(p), p.mode) == ("dconn", ((), F("LIVE"), (("destination_name", "web1-new"),)), "managed")
    assert p.contributors["param:destination_name"] == ((15, 50),)
    # migrateToURI(duri, flags=3 ...): an integer is its bits; with PEER2PEER duri is the destination.
    (p,) = touri.paths
    assert (shape(p), p.mode, p.desturi) == (((), F("LIVE", "PEER2PEER"), (("bandwidth", 50),)), "p2p",
                                             "tcp://10.0.0.3")


def test_fixed_arguments_stand_for_parameters():
    r = read("old_apis.py")
    managed, p2p, p2p2, uri2, uri2_direct, inner = r.calls
    (p,) = managed.paths  # migrate2(dconn, dxml, flags, dname, uri, bandwidth); bandwidth 0 is "not given"
    assert (shape(p), p.mode, p.desturi) == (((), F("LIVE"), (("destination_name", "web2"), (
        "destination_xml", UNKNOWN), ("migrate_uri", "tcp://10.0.0.9"))), "managed", None)
    assert p.contributors["param:destination_xml"] == ((11, 25),)
    assert p.contributors["param:destination_name"] == ((11, 56),)
    # virDomainMigrate with PEER2PEER goes peer-to-peer: its uri is then the destination libvirt's URI.
    (p,) = p2p.paths
    assert (shape(p), p.mode, p.desturi) == (((), F("LIVE", "PEER2PEER"), ()), "p2p", "qemu+tls://dst/system")
    assert p.contributors == {"flag:LIVE": ((7, 1),), "flag:PEER2PEER": ((7, 1),)}
    # virDomainMigrate2 too, to the connection's URI (a literal libvirt.open here); uri stays the migration URI.
    (p,) = p2p2.paths
    assert (shape(p), p.mode, p.desturi) == (((), F("LIVE", "PEER2PEER"), (("migrate_uri", "tcp://10.0.0.9"),)),
                                             "p2p", "qemu+ssh://dst/system")
    (p,) = uri2.paths
    assert (shape(p), p.mode, p.desturi) == (
        ((), F("LIVE", "PEER2PEER"), (("bandwidth", 100), ("migrate_uri", "tcp://10.0.0.9"))), "p2p",
        "qemu+ssh://dst/system")
    (p,) = uri2_direct.paths
    assert (shape(p), p.mode, p.desturi) == (((), F("LIVE"), (("migrate_uri", "tcp://10.0.0.9"),)), "direct", None)
    # Inside a wrapper the flags are an argument: unknown. The wrapper's own callers use other keywords:
    # libvirt-python would refuse them, so they are not libvirt calls.
    assert (inner.api, inner.function, inner.unknown_flags) == ("migrateToURI3", "Guest.migrate", True)
    (p,) = inner.paths
    assert p.unknown_bits and p.flags == frozenset() and dict(p.params) == {"migrate_uri": UNKNOWN}
    (split,) = r.shell  # shlex.split of a literal: the literal is shell text
    assert (split.text, split.exact, split.line, split.column) == \
        ("virsh migrate --live web1 qemu+ssh://dst/system", True, 36, 33)


def test_calls_in_def_headers_are_found():
    text = ("import subprocess\n"
            "def f(done=subprocess.run(['virsh', 'migrate', 'vm', 'qemu+ssh://h/system'])):\n"
            "    pass\n")
    (a,) = read_text(text).argv
    assert [w.text for w in a.words] == ["virsh", "migrate", "vm", "qemu+ssh://h/system"] and a.line == 2


def test_base_and_guarded_or_through_a_helper_on_self():
    (c,) = read("guarded_flags.py").calls
    assert (c.function, c.receiver, c.too_many_paths, c.unknown_flags) == \
        ("SourceThread._perform_migration", "self._dom", False, False)
    enc, zc, has = ("self._encrypted", 23), ("self._zerocopy", 16), ("hasattr(libvirt, 'VIR_MIGRATE_ZEROCOPY')", 17)
    base = F("LIVE", "PEER2PEER")
    uri = ("migrate_uri", UNKNOWN)
    tls = ("tls.destination", "dst.example.org")

    def g(*pairs):
        return tuple((t, v, line) for (t, line), v in pairs)

    # The same condition (self._encrypted) in the helper and in the caller is one: TLS goes with its param.
    assert shapes(c) == {
        (g((enc, True), (zc, True), (has, True)), base | {"TLS", "ZEROCOPY"}, (uri, tls)),
        (g((enc, True), (zc, True), (has, False)), base | {"TLS"}, (uri, tls)),
        (g((enc, True), (zc, False)), base | {"TLS"}, (uri, tls)),
        (g((enc, False), (zc, True), (has, True)), base | {"ZEROCOPY"}, (uri,)),
        (g((enc, False), (zc, True), (has, False)), base, (uri,)),
        (g((enc, False), (zc, False)), base, (uri,)),
    }
    full = next(p for p in c.paths if "ZEROCOPY" in p.flags and "TLS" in p.flags)
    assert full.contributors == {"flag:LIVE": ((13, 9),), "flag:PEER2PEER": ((13, 9),), "flag:TLS": ((15, 13),),
                                 "flag:ZEROCOPY": ((18, 17),), "param:migrate_uri": ((22, 19),),
                                 "param:tls.destination": ((24, 13),)}
    assert {p.mode for p in c.paths} == {"p2p"}


def test_attributes_set_in_another_method_and_rewrites():
    (c,) = read("nova_like.py").calls
    tun = ("CONF.libvirt.live_migration_tunnelled", 13)
    block, disks = ("block_migration", 19), ("device_names", 30)
    base = F("LIVE", "PEER2PEER", "UNDEFINE_SOURCE")
    common = (("bandwidth", UNKNOWN), ("destination_xml", UNKNOWN))
    with_disks = common + (("migrate_disks", UNKNOWN),)
    # device_names is false there (`if not device_names`, after the dict was made): an empty value.
    no_disks = common + (("migrate_disks", ()),)

    def g(*pairs):
        return tuple((t, v, line) for (t, line), v in pairs)

    # Without disks, NON_SHARED_INC is taken off again, so block or not makes no difference there;
    # tunnelled, migrate_disks is popped (the test of the flags is decided by the flags themselves).
    assert shapes(c) == {
        (g((tun, True), (disks, False)), base | {"TUNNELLED"}, common),
        (g((tun, False), (disks, False)), base, no_disks),
        (g((block, True), (tun, True), (disks, True)), base | {"NON_SHARED_INC", "TUNNELLED"}, common),
        (g((block, False), (tun, True), (disks, True)), base | {"TUNNELLED"}, common),
        (g((block, True), (tun, False), (disks, True)), base | {"NON_SHARED_INC"}, with_disks),
        (g((block, False), (tun, False), (disks, True)), base, with_disks),
    }
    inc = next(p for p in c.paths if "NON_SHARED_INC" in p.flags)
    assert inc.contributors["flag:NON_SHARED_INC"] == ((16, 9),)
    assert inc.contributors["flag:TUNNELLED"] == ((14, 13),)
    assert inc.contributors["param:bandwidth"] == ((24, 13),)


def test_flags_zero_then_guarded_or_two_apis():
    uri3, mig3 = read("virt_manager_like.py").calls
    assert (uri3.api, uri3.kind, mig3.api, mig3.kind) == ("migrateToURI3", "uri", "migrate3", "dconn")

    def expected(tunnel: bool) -> set[tuple]:
        out = set()
        for temporary in (False, True):
            for unsafe in (True, False):
                for xml in (True, False):
                    flags = {"LIVE"} | ({"PERSIST_DEST", "UNDEFINE_SOURCE"} if not temporary else set()) \
                        | ({"UNSAFE"} if unsafe else set()) | ({"PEER2PEER", "TUNNELLED"} if tunnel else set())
                    guards = (("temporary", temporary, 8), ("unsafe", unsafe, 11), ("xml", xml, 15),
                              ("tunnel", tunnel, 18))
                    out.add((guards, frozenset(flags), (("destination_xml", UNKNOWN),) if xml else ()))
        return out

    assert shapes(uri3) == expected(True)
    assert shapes(mig3) == expected(False)
    assert {p.mode for p in uri3.paths} == {"p2p"} and {p.mode for p in mig3.paths} == {"managed"}
    p = next(p for p in uri3.paths if "UNSAFE" in p.flags and p.params)
    assert p.contributors["flag:UNSAFE"] == ((12, 9),) and p.contributors["flag:TUNNELLED"] == ((19, 9),)
    assert p.contributors["param:destination_xml"] == ((16, 9),)


def test_disks_chosen_apart_from_the_copy_flag():
    (c,) = read("disks_apart.py").calls
    base = F("LIVE", "PEER2PEER", "PERSIST_DEST")
    disks = (("migrate_disks", UNKNOWN),)
    assert shapes(c) == {
        ((("job.copy_storage", True, 10), ("job.disks", True, 13)), base | {"NON_SHARED_DISK"}, disks),
        ((("job.copy_storage", False, 10), ("job.disks", True, 13)), base, disks),
        ((("job.copy_storage", True, 10), ("job.disks", False, 13)), base | {"NON_SHARED_DISK"}, ()),
        ((("job.copy_storage", False, 10), ("job.disks", False, 13)), base, ()),
    }
    p = next(p for p in c.paths if p.params and "NON_SHARED_DISK" not in p.flags)
    # The module constant is written on line 5 (imported names and an `import libvirt as lv` alias).
    assert p.contributors == {"flag:LIVE": ((5, 1),), "flag:PEER2PEER": ((5, 1),), "flag:PERSIST_DEST": ((5, 1),),
                              "param:migrate_disks": ((14, 9),)}


def test_flags_from_data_are_unknown_a_literal_list_is_followed():
    from_file, from_literal = read("flags_from_data.py").calls
    (p,) = from_file.paths
    assert from_file.unknown_flags and p.unknown_bits and p.flags == frozenset() and not p.param_unknown
    (p,) = from_literal.paths
    assert not from_literal.unknown_flags
    assert shape(p) == ((), F("LIVE", "PEER2PEER", "TLS"), ())
    assert p.contributors == {f"flag:{n}": ((23, 9),) for n in ("LIVE", "PEER2PEER", "TLS")}
    assert (p.desturi, p.mode) == ("qemu+tls://dst/system", "p2p")


def test_a_loop_that_ors_one_flag_in_and_one_that_reads_names():
    from_schedule, from_names = read("postcopy_loop.py").calls
    # Zero turns (or none with a post-copy step), or a turn that ORs POSTCOPY in and breaks.
    assert shapes(from_schedule) == {
        ((), F("LIVE", "PEER2PEER"), ()),
        ((("step.get('action') == POST_COPY", True, 10),), F("LIVE", "PEER2PEER", "POSTCOPY"), ()),
    }
    post = next(p for p in from_schedule.paths if "POSTCOPY" in p.flags)
    assert post.contributors["flag:POSTCOPY"] == ((11, 13),)
    # Two ORs in a loop over data: what is known stays, the rest is unknown.
    (p,) = from_names.paths
    assert from_names.unknown_flags and p.unknown_bits and p.flags == F("LIVE")


def test_how_conditions_are_decided():
    (c,) = read("conditions.py").calls
    expected = set()
    for first in (True, False):
        for second in (True, False):
            for has in (True, False):
                flags = {"LIVE", "TLS"} | ({"COMPRESSED"} if first or second else set()) \
                    | ({"ZEROCOPY"} if has else set())
                # DEBUG is False: no guard, no UNSAFE. The early return on `not cfg.tls` decides the later
                # `if cfg.tls` (shown, from the line that decided it); `ok` assigned again is a new condition.
                guards = (("cfg.tls", True, 11), ("ok", first, 16), ("ok", second, 19),
                          ("hasattr(libvirt, 'VIR_MIGRATE_ZEROCOPY')", has, 21))
                expected.add((guards, frozenset(flags), (("bandwidth", 10),)))
    assert shapes(c) == expected
    assert {p.extra_bits for p in c.paths} == {1 << 25}
    assert all(p.param_unknown for p in c.paths)  # handed to add_more(): it may add parameters
    both = next(p for p in c.paths if all(g.value for g in p.guards))
    assert both.contributors == {"flag:LIVE": ((8, 5),), "flag:TLS": ((14, 9),),
                                 "flag:COMPRESSED": ((17, 9), (20, 9)), "flag:ZEROCOPY": ((22, 9),),
                                 "param:bandwidth": ((23, 15),)}


def test_subprocess_argv_and_shell_strings():
    r = read("subprocess_virsh.py")
    assert not r.calls
    plain, extra_yes, extra_no = r.argv
    assert plain.runner == "subprocess.run" and (plain.line, plain.column) == (8, 20) and not plain.guards
    assert [(w.text, w.unknown, w.split) for w in plain.words] == [
        ("virsh", False, False), ("migrate", False, False), ("--live", False, False), ("--p2p", False, False),
        ("vm", True, False), ("dest", True, False)]
    assert [(w.line, w.column) for w in plain.words] == [(8, 21), (8, 30), (8, 41), (8, 51), (8, 60), (8, 64)]
    # A list built, appended to under a guard, and extended by `*extra`: one command per path.
    assert extra_yes.runner == "subprocess.check_call"
    assert [(g.text, g.value) for g in extra_yes.guards] == [("extra", True)]
    assert [(g.text, g.value) for g in extra_no.guards] == [("extra", False)]
    assert [w.text for w in extra_yes.words] == ["/usr/bin/virsh", "-c", "qemu:///system", "migrate", "--live",
                                                 "--compressed", "vm", "*extra"]
    assert [w.text for w in extra_no.words] == ["/usr/bin/virsh", "-c", "qemu:///system", "migrate", "--live",
                                                "vm", "*extra"]
    assert (extra_yes.words[5].line, extra_yes.words[5].column) == (11, 20)
    assert extra_yes.words[-1].split and extra_yes.words[-1].unknown
    literal, fstring, percent = r.shell
    assert (literal.text, literal.exact, literal.runner) == \
        ("virsh migrate --live --persistent web1 qemu+ssh://dst/system", True, "os.system")
    text = (DATA / "subprocess_virsh.py").read_text()
    assert (literal.line, literal.column) == (16, 16)
    assert text[literal.offset:literal.offset + len(literal.text)] == literal.text
    assert (fstring.text, fstring.exact, fstring.runner) == \
        ("virsh migrate --live ${PY_1} ${PY_2}", False, "subprocess.call")
    assert (fstring.line, fstring.column) == (17, 21) and text[fstring.offset] == "f"
    assert (percent.text, percent.runner) == ("virsh migrate --offline ${PY_1} qemu+ssh://dst/system", "os.popen")


def test_inverted_is_active_gives_the_state():
    either, running = read("isactive.py").calls
    assert {(shape(p), p.state) for p in either.paths} == {
        (((("dom.isActive()", False, 6),), F("OFFLINE", "PERSIST_DEST", "PEER2PEER"), ()), "shutoff"),
        (((("dom.isActive()", True, 6),), F("LIVE", "PEER2PEER"), ()), "active"),
    }
    # `if dom.isActive() == 0: raise`: only the running path reaches the call.
    (p,) = running.paths
    assert (shape(p), p.state) == (((("dom.isActive()", True, 15),), F("LIVE", "PEER2PEER"), ()), "active")


def test_guards_in_expressions_and_except():
    move, pick, compat = read("shortcircuit.py").calls
    tls, disks, shared = ("cfg.tls", 11), ("cfg.disks", 12), ("cfg.shared", 12)

    def g(*pairs):
        return tuple((t, v, line) for (t, line), v in pairs)

    assert shapes(move) == {
        (g((tls, True), (disks, True), (shared, False)), F("LIVE", "TLS", "NON_SHARED_DISK"), ()),
        (g((tls, True), (disks, True), (shared, True)), F("LIVE", "TLS"), ()),
        (g((tls, True), (disks, False)), F("LIVE", "TLS"), ()),
        (g((tls, False), (disks, True), (shared, False)), F("LIVE", "NON_SHARED_DISK"), ()),
        (g((tls, False), (disks, True), (shared, True)), F("LIVE"), ()),
        (g((tls, False), (disks, False)), F("LIVE"), ()),
    }
    # Without PEER2PEER, migrateToURI's duri is the migration URI (a direct migration).
    assert {(shape(p), p.mode) for p in pick.paths} == {
        (((("cfg.p2p", True, 18),), F("LIVE", "PEER2PEER"), ()), "p2p"),
        (((("cfg.p2p", False, 18),), F("LIVE"), (("migrate_uri", UNKNOWN),)), "direct"),
    }
    exc, par = ("except AttributeError", 6), ("hasattr(libvirt, 'VIR_MIGRATE_PARALLEL')", 24)
    params = (("bandwidth", 1024), ("parallel.connections", 4))
    base = F("LIVE", "PEER2PEER")
    assert shapes(compat) == {
        (g((exc, False), (par, True)), base | {"ZEROCOPY", "PARALLEL"}, params),
        (g((exc, False), (par, False)), base | {"ZEROCOPY"}, params),
        (g((exc, True), (par, True)), base | {"PARALLEL"}, params),
        (g((exc, True), (par, False)), base, params),
    }
    p = compat.paths[0]
    assert p.contributors["flag:ZEROCOPY"] == ((5, 5),)
    assert p.contributors["param:parallel.connections"] == ((26, 20),)
    assert p.contributors["param:bandwidth"] == ((26, 48),)


def test_comments_naming_miglint_are_given_for_directives():
    r = read("suppressed.py")
    assert [(c.text, c.line, c.column, c.trailing) for c in r.comments] == [
        (" miglint: ignore[A010] the destination checks this itself", 5, 5, False),
        (" miglint: ignore[A010, Q052] -- old host", 7, 55, True),
        (" miglint: disable=direct-migration-unsupported -- the shell spelling", 9, 5, False),
        (" miglint: ignore[] no rule", 11, 5, False),
    ]
    # A '#' inside a string is not a comment.
    assert read_text("import libvirt\nx = '# miglint: ignore[Q051] no'\n# migrate\n").comments == []


def test_too_many_paths():
    many, single = read("many_guards.py").calls
    assert many.too_many_paths and many.paths == () and not many.unknown_flags
    assert not single.too_many_paths and [shape(p) for p in single.paths] == [((), F("LIVE"), ())]
    assert len(read("many_guards.py", max_paths=1024).calls[0].paths) == 1024
    uri3, _ = read("virt_manager_like.py", max_paths=7).calls
    assert uri3.too_many_paths


def test_no_libvirt_gives_nothing():
    r = read("no_libvirt.py")
    assert (r.calls, r.runs, r.comments, r.errors) == ([], [], [], [])
    assert read_text("import libvirt\nconn = libvirt.open('qemu:///system')\n").calls == []


def test_syntax_error():
    r = read("syntax_error.py")
    (e,) = r.errors
    assert isinstance(e, UserError) and e.where == f"{DATA / 'syntax_error.py'}:6:5"
    assert r.calls == [] and r.comments == []


_EVENTS: list[str] | None = None


def _hook(event: str, args: tuple[object, ...]) -> None:
    if _EVENTS is not None and event in ("open", "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn",
                                         "os.spawn", "os.fork"):
        _EVENTS.append(f"{event} {args[0]!r}")


sys.addaudithook(_hook)  # it records only while _EVENTS is a list


def test_reading_runs_nothing():
    global _EVENTS
    texts = {p.name: p.read_text() for p in DATA.glob("*.py")}
    before = set(sys.modules)
    _EVENTS = []
    try:
        for name, text in texts.items():
            read_python(text, name, flag_bits=BITS, param_macros=MACROS, p2p_flag=P2P)
        events = _EVENTS
    finally:
        _EVENTS = None
    # CPython's parser tries to open the name it is given to quote a syntax error's line: "<miglint>".
    assert [e for e in events if e != "open '<miglint>'"] == []
    assert not {m for m in set(sys.modules) - before if m.split(".")[0] in ("libvirt", "tomllib", "subprocess")}


def test_a_condition_on_a_value_set_under_conditions():
    text = ("import libvirt\n"
            "class M:\n"
            "    def __init__(self, cfg):\n"
            "        if cfg.secure:\n"
            "            self._tls = True\n"
            "        else:\n"
            "            self._tls = False\n"
            "    def go(self, dom, dest):\n"
            "        flags = libvirt.VIR_MIGRATE_LIVE\n"
            "        if self._tls:\n"
            "            flags |= libvirt.VIR_MIGRATE_TLS\n"
            "        dom.migrateToURI3(dest, {}, flags)\n")
    (c,) = read_text(text).calls
    # `if self._tls` is decided by how _tls was set: the guard is the setter's condition.
    assert shapes(c) == {((("cfg.secure", True, 4),), F("LIVE", "TLS"), ()),
                         ((("cfg.secure", False, 4),), F("LIVE"), ())}


def test_an_operand_already_decided_settles_and_or():
    text = ("import libvirt\n"
            "def f(dom, dest, tunnel, uri):\n"
            "    flags = libvirt.VIR_MIGRATE_LIVE\n"
            "    if tunnel:\n"
            "        flags |= libvirt.VIR_MIGRATE_PEER2PEER | libvirt.VIR_MIGRATE_TUNNELLED\n"
            "    params = {}\n"
            "    if uri and not tunnel:\n"
            "        params['migrate_uri'] = uri\n"
            "    dom.migrateToURI3(dest, params, flags)\n")
    (c,) = read_text(text).calls
    assert shapes(c) == {
        ((("tunnel", True, 4),), F("LIVE", "PEER2PEER", "TUNNELLED"), ()),  # no guard on uri: not asked
        ((("tunnel", False, 4), ("uri", True, 7)), F("LIVE"), (("migrate_uri", UNKNOWN),)),
        ((("tunnel", False, 4), ("uri", False, 7)), F("LIVE"), ()),
    }


def test_names_bound_by_with_except_and_import_are_local():
    text = ("import libvirt\n"
            "flags = libvirt.VIR_MIGRATE_TLS\n"
            "def f(dom, ctx):\n"
            "    with ctx() as flags:\n"
            "        dom.migrateToURI3('u', {}, flags)\n"
            "def g(dom):\n"
            "    dom.migrateToURI3('u', {}, flags)\n")
    local, module = read_text(text).calls
    assert [(shape(p), p.unknown_bits) for p in local.paths] == [(((), F(), ()), True)]
    assert [shape(p) for p in module.paths] == [((), F("TLS"), ())]
    assert module.paths[0].contributors == {"flag:TLS": ((2, 1),)}


def test_long_chains_and_deep_nesting():
    chain = " | ".join(["libvirt.VIR_MIGRATE_LIVE"] * 1500)
    (c,) = read_text(f"import libvirt\ndef f(d):\n    d.migrateToURI3('u', {{}}, {chain})\n").calls
    assert [shape(p) for p in c.paths] == [((), F("LIVE"), ())]
    deep = "{'k': " * 60 + "1" + "}" * 60
    text = f"import libvirt\ndef f(d):\n    d.migrateToURI3('u', {deep}, 0)\n"
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 120)  # too shallow for the reader to follow the argument
    try:
        r = read_text(text)
    finally:
        sys.setrecursionlimit(limit)
    (p,) = r.calls[0].paths  # read as unknown, not lost, not "too many paths"
    assert p.unknown_bits and p.param_unknown and not r.calls[0].too_many_paths
    (e,) = read_text("import libvirt\nflags = " + "-" * 5000 + "1\n# migrate\n").errors
    assert e.where == "t.py" and e.message == "cannot parse as Python: nested too deeply for Python's parser"
    (e,) = read_text("import libvirt\nflags = " + "-" * 100000 + "1\n# migrate\n").errors  # MemoryError
    assert e.where == "t.py" and e.message == "cannot parse as Python: nested too deeply for Python's parser"


def test_a_helper_with_too_many_paths_makes_the_call_have_too_many():
    # Eight options and a post-copy step: 512 flag sets, built in a helper on self.
    (c,) = read("vdsm_like.py", max_paths=256).calls
    assert c.too_many_paths and c.paths == () and not c.unknown_flags  # not "flags not followed"
    (c,) = read("vdsm_like.py").calls  # the default bound follows them
    assert not c.too_many_paths and len(c.paths) == 512
    assert all(p.flags >= F("LIVE", "PEER2PEER") and not p.unknown_bits for p in c.paths)
    both = {p.params.get("parallel.connections") for p in c.paths if "PARALLEL" in p.flags}
    assert both == {4} and all("parallel.connections" not in p.params for p in c.paths if "PARALLEL" not in p.flags)


def test_a_value_decided_false_on_the_path_is_empty():
    text = ("import libvirt\n"
            "def f(dom, dest, disks, name):\n"
            "    params = {'migrate_disks': disks, 'destination_name': name}\n"
            "    flags = libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER\n"
            "    if disks:\n"
            "        flags |= libvirt.VIR_MIGRATE_NON_SHARED_DISK\n"
            "    dom.migrateToURI3(dest, params, flags)\n"
            "    disks = other()\n"
            "    if not disks:\n"
            "        flags |= libvirt.VIR_MIGRATE_TLS\n"
            "    dom.migrateToURI3(dest, params, flags)\n")
    first, second = read_text(text).calls
    assert {p.guards[0].value: dict(p.params)["migrate_disks"] for p in first.paths} == {True: UNKNOWN, False: ()}
    assert {dict(p.params)["destination_name"] for p in first.paths} == {UNKNOWN}  # nothing decided on name
    # Assigned again, disks is another value: what the new one is says nothing of the parameter's.
    assert {(tuple(g.value for g in p.guards), dict(p.params)["migrate_disks"]) for p in second.paths} == {
        ((True, True), UNKNOWN), ((True, False), UNKNOWN), ((False, True), ()), ((False, False), ())}


def test_each_runner_call_with_its_commands():
    r = read("subprocess_virsh.py")
    assert [(x.runner, x.line, x.column, x.function, len(x.commands)) for x in r.runs] == [
        ("subprocess.run", 8, 5, "by_argv", 1), ("subprocess.check_call", 12, 5, "by_argv", 2),
        ("os.system", 16, 5, "by_string", 1), ("subprocess.call", 17, 5, "by_string", 1),
        ("os.popen", 18, 5, "by_string", 1)]
    assert r.calls == [] and r.runs[1].end_line == 12


def test_the_destination_scheme_when_the_host_is_not_known():
    text = ("import libvirt\n"
            "def f(dom, host, uri):\n"
            "    dom.migrateToURI3(f'vz+ssh://{host}/system', {}, libvirt.VIR_MIGRATE_PEER2PEER)\n"
            "    dom.migrateToURI3('qemu+tls://' + host + '/system', {}, libvirt.VIR_MIGRATE_PEER2PEER)\n"
            "    dom.migrateToURI3(uri, {}, libvirt.VIR_MIGRATE_PEER2PEER)\n")
    vz, qemu, unknown = read_text(text).calls
    assert [(p.desturi, p.scheme) for c in (vz, qemu, unknown) for p in c.paths] == \
        [(None, "vz+ssh"), (None, "qemu+tls"), (None, None)]


def test_a_method_the_file_defines_is_not_libvirts():
    text = """\
import libvirt
class VM:
    def __init__(self, conn, name): self.dom = conn.lookupByName(name)
    def migrate(self, dest_host, extra_flags=0):
        flags = libvirt.VIR_MIGRATE_PEER2PEER | extra_flags
        self.dom.migrateToURI3("qemu+ssh://%s/system" % dest_host, {}, flags)
    def again(self, host):
        self.migrate(host, libvirt.VIR_MIGRATE_TUNNELLED)
class Fleet:
    lead = VM(None, "a")
    def __init__(self, conn):
        self.vm = VM(conn, "b")
    def go(self, target, other: VM, dom, vm2: "Special"):
        self.vm.migrate(target, libvirt.VIR_MIGRATE_TUNNELLED)
        self.lead.migrate(target, libvirt.VIR_MIGRATE_TUNNELLED)
        other.migrate(target, libvirt.VIR_MIGRATE_TUNNELLED)
        vm2.migrate(target, libvirt.VIR_MIGRATE_TUNNELLED)
        dom.migrate(target, libvirt.VIR_MIGRATE_TUNNELLED)
class Special(VM):
    pass
class Wrapped(libvirt.virDomain):
    pass
def evacuate(conn, names, target, w: Wrapped):
    for name in names:
        VM(conn, name).migrate(target, libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_TUNNELLED)
        vm = VM(conn, name)
        vm.migrate(target, libvirt.VIR_MIGRATE_LIVE)
        VM.migrate(vm, target, libvirt.VIR_MIGRATE_LIVE)
        w.migrate(target, libvirt.VIR_MIGRATE_LIVE)
        maybe = VM(conn, name) if name else conn.lookupByName(name)
        maybe.migrate(target, libvirt.VIR_MIGRATE_LIVE)
        mixed = VM(conn, name)
        mixed = conn.lookupByName(name)
        mixed.migrate(target, libvirt.VIR_MIGRATE_LIVE)
"""
    r = read_text(text)
    # Only libvirt's: the call inside VM.migrate, a parameter nothing tells of, a subclass of libvirt's class
    # without its own migrate, and variables that may hold a libvirt domain.
    assert [(c.line, c.receiver) for c in r.calls] == [
        (6, "self.dom"), (18, "dom"), (29, "w"), (31, "maybe"), (34, "mixed")]


def test_a_call_whose_arguments_cannot_fit_libvirts_signature_is_not_libvirts():
    text = """\
import libvirt
def go(t, dom, dconn, args, kw):
    t.migrate()
    t.migrate("0042")
    t.migrate(f"{dom}")
    t.migrateToURI3("qemu+ssh://h/system")
    t.migrateToURI3("qemu+ssh://h/system", [], 0)
    t.migrateToURI3("qemu+ssh://h/system", {}, "LIVE")
    t.migrate3(dconn, params={}, dconn=dconn)
    dom.migrate(dconn)
    dom.migrate(None, libvirt.VIR_MIGRATE_LIVE, dname="x")
    dom.migrate3(*args)
    dom.migrateToURI3(**kw)
    dom.migrateToURI2()
    dom.migrateToURI3("qemu+ssh://h/system", params={}, flags=True)
"""
    r = read_text(text)
    assert [c.line for c in r.calls] == [10, 11, 12, 13, 14, 15]


def _guards(c: PyCall) -> set[tuple]:
    return {tuple((g.text, g.value) for g in p.guards) for p in c.paths}


def test_ways_whose_conditions_cannot_hold_together_do_not_exist():
    text = """\
import libvirt
def f(dom, dest, mode, n, kind, cfg):
    flags = libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER
    if mode == "tunnel":   flags |= libvirt.VIR_MIGRATE_TUNNELLED
    if mode == "parallel": flags |= libvirt.VIR_MIGRATE_PARALLEL
    if "tunnel" != mode:   flags |= libvirt.VIR_MIGRATE_COMPRESSED
    dom.migrateToURI3("qemu+ssh://h/system", {}, flags)
    if n in (1, 2):       flags |= libvirt.VIR_MIGRATE_TLS
    if n not in [1, 2, 3]: flags |= libvirt.VIR_MIGRATE_OFFLINE
    if n is None:          flags |= libvirt.VIR_MIGRATE_PAUSED
    dom.migrateToURI3("qemu+ssh://h/system", {}, flags)
    if cfg.kind == "a": flags |= libvirt.VIR_MIGRATE_ZEROCOPY
    kind = cfg.kind
    if kind == "a": flags |= libvirt.VIR_MIGRATE_UNSAFE
    cfg = load()
    if cfg.kind == "b": flags |= libvirt.VIR_MIGRATE_AUTO_CONVERGE
    dom.migrateToURI3("qemu+ssh://h/system", {}, flags)
"""
    first, second, third = read_text(text).calls
    t, p, c = "mode == 'tunnel'", "mode == 'parallel'", "'tunnel' != mode"
    assert _guards(first) == {((t, True), (p, False), (c, False)), ((t, False), (p, True), (c, True)),
                              ((t, False), (p, False), (c, True))}
    # n in (1, 2) leaves n not None and inside [1, 2, 3]; n outside them may be None or not.
    got = {g[3:] for g in _guards(second)}
    a, b, d = "n in (1, 2)", "n not in [1, 2, 3]", "n is None"
    assert got == {((a, True), (b, False), (d, False)), ((a, False), (b, True), (d, True)),
                   ((a, False), (b, True), (d, False)), ((a, False), (b, False), (d, False))}
    # Another variable, or the same one assigned again, is not bound by what was decided before.
    got = {g[6:] for g in _guards(third)}
    assert len(got) == 8


def test_a_helpers_way_that_contradicts_the_callers_is_dropped():
    text = """\
import libvirt
MODE = read_mode()
def extra():
    if MODE == "fast":
        return libvirt.VIR_MIGRATE_COMPRESSED
    return 0
def f(dom):
    if MODE == "slow":
        dom.migrateToURI3("qemu+ssh://h/system", {}, libvirt.VIR_MIGRATE_PEER2PEER | extra())
"""
    (c,) = read_text(text).calls
    assert {p.flags for p in c.paths} == {F("PEER2PEER")}


def test_a_uri_built_of_pieces_keeps_its_known_start_in_argv_and_connections():
    text = """\
import libvirt, subprocess
def f(dom, dest):
    subprocess.run(["virsh", "migrate", "--p2p", dom, f"vz+ssh://{dest}/system", "qemu+ssh://%s/" % dest])
    subprocess.run(["virsh", "migrate", "--p2p", dom, "{}://x/".format(dest), f"{dest}"])
    dconn = libvirt.open(f"vz+ssh://{dest}/system")
    dom.migrate3(dconn, {}, 0)
    dom.migrate3(libvirt.open("vz+" + dest), {}, 0)
    dom.migrate3(libvirt.open(dest), {}, 0)
"""
    r = read_text(text)
    a, b = r.argv
    assert [(w.text, w.unknown) for w in a.words[3:]] == [
        ("dom", True), ("vz+ssh://${PY_1}/system", True), ("qemu+ssh://${PY_1}/", True)]
    assert [(w.text, w.unknown) for w in b.words[4:]] == [("${PY_1}://x/", True), ("f'{dest}'", True)]
    assert [(p.desturi, p.scheme) for c in r.calls for p in c.paths] == [
        (None, "vz+ssh"), (None, None), (None, None)]


def test_the_source_connection_of_a_domain_looked_up_from_one():
    text = """\
import libvirt
def f(n, dest, uri, names):
    conn = libvirt.open("xen:///system")
    dom = conn.lookupByName(n)
    dom.migrateToURI3(dest, {}, libvirt.VIR_MIGRATE_PEER2PEER)
    libvirt.openReadOnly(f"qemu+ssh://{dest}/system").lookupByUUIDString(n).migrateToURI3(dest, {}, 0)
    ro = libvirt.openReadOnly("qemu:///system")
    for d in ro.listAllDomains():
        d.migrateToURI3(dest, {}, 0)
    libvirt.open(uri).lookupByID(3).migrate(libvirt.openReadOnly(dest), 0)
    other = load()
    other.lookupByName(n).migrateToURI3(dest, {}, 0)
"""
    got = [(p.connect_uri, p.connect_scheme, p.readonly) for c in read_text(text).calls for p in c.paths]
    assert got == [("xen:///system", "xen", False), (None, "qemu+ssh", True), ("qemu:///system", "qemu", True),
                   (None, None, True), (None, None, False)]
