"""Conformance cases: migration requests for libvirt's QEMU driver (9.0.0 and 11.3.0), generated reproducibly.

The generator knows libvirt 9.0.0's flags, typed parameters and virsh options as libvirt defines them, and
11.3.0's newer parameters and options (written out here, independent of miglint's vocabulary, which
test_live.py checks against each binding). Every case goes to both versions. Same seed, same cases, in the
same order: each recording is checked against this generator.

A case is a JSON object:
  {"id", "state": running|paused|shutoff, "api": managed|p2p|direct, "flags": [...], "params": {...}}
  {"id", "state", "virsh": [words after "migrate"], "virsh_global": [words between virsh and migrate]}
Placeholders: "{dom}" (the domain for the state), "{dest}" (the destination URI), "{domxml}" (the domain's
XML: a file for virsh, the text for typed parameters).
"""

from __future__ import annotations

import itertools
import random
from typing import Any

# 2: newer_cases() added at the end (11.3.0's parameters, options and QEMU 10's refusals); others unchanged.
# 3: fidelity_cases() added at the end (issue 15: what miglint is not told, unknown parameters, URIs libvirt cannot
#    parse, the source host as destination, a domain with disks, 12.8.0's migrate_disks_target_zero).
# 4: disks_uri_cases() added at the end (the destination's checks of the disks URI and port, reached only for a
#    domain with a disk to copy).
# 5: dest_uri_cases() added at the end (destination URIs that libvirt's connection open refuses: virsh's own in
#    managed mode, the source daemon's in p2p mode; the destination's qemu driver and the URI path).
GENERATOR_VERSION = 5
SEED = 20230117  # libvirt 9.0.0's release date

FLAGS = ["LIVE", "PEER2PEER", "TUNNELLED", "PERSIST_DEST", "UNDEFINE_SOURCE", "PAUSED", "NON_SHARED_DISK",
         "NON_SHARED_INC", "CHANGE_PROTECTION", "UNSAFE", "OFFLINE", "COMPRESSED", "ABORT_ON_ERROR",
         "AUTO_CONVERGE", "RDMA_PIN_ALL", "POSTCOPY", "TLS", "PARALLEL", "NON_SHARED_SYNCHRONOUS_WRITES",
         "POSTCOPY_RESUME", "ZEROCOPY"]
MODES = ["managed", "p2p"]
STATES = ["running", "shutoff", "paused"]

U64 = 2 ** 64 - 1
BW_MAX = 17592186044415  # largest MiB/s value whose bytes/s fit in 64 bits

# Typed parameters: values (good and bad) and the flags they tune. Hosts are loopback addresses only; UNIX
# socket paths are under /run/libvirt, which each daemon has privately (so the source cannot reach the
# destination's socket: the data-connection sentinel). "unix:" without a path is left out: QEMU would make
# a socket named "(null)" in its working directory, outside the work dir.
PARAMS: dict[str, dict[str, Any]] = {
    "migrate_uri": {"values": ["tcp://127.0.0.3", "tcp://127.0.0.3:49400", "tcp:127.0.0.3", "tcp:", "tcp://",
                               "tcp:///x", "//127.0.0.3", "127.0.0.3", "ftp://127.0.0.3",
                               "qemu+ssh://127.0.0.3/system", "rdma://127.0.0.3", "unix:///run/libvirt/mig.sock"],
                    "needs": []},
    "destination_name": {"values": ["mlc-renamed", ""], "needs": []},
    "destination_xml": {"values": ["{domxml}"], "needs": []},
    "persistent_xml": {"values": ["{domxml}"], "needs": ["PERSIST_DEST"]},
    "bandwidth": {"values": [0, 100, 2 ** 63, U64], "needs": []},
    "bandwidth.postcopy": {"values": [0, 100, BW_MAX, BW_MAX + 1, U64], "needs": ["POSTCOPY"]},
    "graphics_uri": {"values": ["spice://127.0.0.3:5901", "vnc://127.0.0.3", "not a uri"], "needs": []},
    "listen_address": {"values": ["127.0.0.2", "0.0.0.0"], "needs": []},
    "migrate_disks": {"values": [["vda"], ["vda", "vdb"]], "needs": ["NON_SHARED_DISK"]},
    "disks_port": {"values": [0, 49401, 70000], "needs": ["NON_SHARED_DISK"]},
    "disks_uri": {"values": ["tcp://127.0.0.3:49402", "unix:///run/libvirt/nbd.sock", "ftp://127.0.0.3"],
                  "needs": ["NON_SHARED_DISK"]},
    "compression": {"values": [["xbzrle"], ["mt"], ["mt", "xbzrle"], ["mt", "mt"], ["zlib"], ["zstd"], ["lz4"]],
                    "needs": ["COMPRESSED"]},
    "compression.mt.level": {"values": [0, 5, 9, 10, -1], "needs": ["COMPRESSED"], "with": {"compression": ["mt"]}},
    "compression.mt.threads": {"values": [1, 4, 255, 0, 256], "needs": ["COMPRESSED"], "with": {"compression": ["mt"]}},
    "compression.mt.dthreads": {"values": [1, 4, 255, 0, 256], "needs": ["COMPRESSED"], "with": {"compression": ["mt"]}},
    "compression.xbzrle.cache": {"values": [67108864, 1048576, 1000, 0], "needs": ["COMPRESSED"],
                                 "with": {"compression": ["xbzrle"]}},
    "auto_converge.initial": {"values": [0, 20, 99, 100, 101, -1], "needs": ["AUTO_CONVERGE"]},
    "auto_converge.increment": {"values": [1, 10, 100, 0, 101, -1], "needs": ["AUTO_CONVERGE"]},
    "parallel.connections": {"values": [1, 4, 255, 0, 256, -1], "needs": ["PARALLEL"]},
    "tls.destination": {"values": ["localhost", "127.0.0.3"], "needs": ["TLS"]},
    # newer than 9.0.0: libvirt 9.0.0 does not know them
    "compression.zlib.level": {"values": [3], "needs": ["PARALLEL", "COMPRESSED"], "with": {"compression": ["zlib"]}},
    "compression.zstd.level": {"values": [3], "needs": ["PARALLEL", "COMPRESSED"], "with": {"compression": ["zstd"]}},
    "bandwidth.avail.switchover": {"values": [100], "needs": []},
    "migrate_disks_detect_zeroes": {"values": [["vda"]], "needs": ["NON_SHARED_DISK"]},
}

# virsh 9.0.0 `migrate` options: booleans, and value options with values to try (good and bad).
VIRSH_BOOL = ["live", "offline", "p2p", "direct", "tunnelled", "persistent", "undefinesource", "suspend",
              "copy-storage-all", "copy-storage-inc", "copy-storage-synchronous-writes", "change-protection",
              "unsafe", "verbose", "compressed", "auto-converge", "rdma-pin-all", "abort-on-error", "postcopy",
              "postcopy-after-precopy", "postcopy-resume", "zerocopy", "timeout-suspend", "timeout-postcopy",
              "tls", "parallel"]
VIRSH_VALUE: dict[str, list[str]] = {
    "migrateuri": ["tcp://127.0.0.3", "tcp:127.0.0.3", "ftp://127.0.0.3", "tcp:", "rdma://127.0.0.3"],
    "graphicsuri": ["spice://127.0.0.3:5901"],
    "listen-address": ["127.0.0.2"],
    "dname": ["mlc-renamed", ""],
    "timeout": ["5", "0", "-1", "5m"],
    "xml": ["{domxml}"],
    "migrate-disks": ["vda", "vda,vdb"],
    "disks-port": ["49401", "0", "x"],
    "disks-uri": ["tcp://127.0.0.3:49402"],
    "comp-methods": ["mt", "xbzrle", "mt,xbzrle", "mt,mt", "zstd", "lz4"],
    "comp-mt-level": ["5", "10", "-1", "x"],
    "comp-mt-threads": ["4", "0"],
    "comp-mt-dthreads": ["4", "0"],
    "comp-xbzrle-cache": ["67108864", "-1"],
    "auto-converge-initial": ["20", "101"],
    "auto-converge-increment": ["10", "0"],
    "persistent-xml": ["{domxml}"],
    "postcopy-bandwidth": ["100", "17592186044416", "-1"],
    "parallel-connections": ["4", "0", "four"],
    "bandwidth": ["100", "-1", "18446744073709551616"],
    "tls-destination": ["localhost"],
}
# The options virsh 9.0.0 fills from bare words, in order (after domain and desturi).
VIRSH_POSITIONAL = ["migrateuri", "graphicsuri", "listen-address", "dname", "timeout", "xml", "migrate-disks",
                    "disks-port", "disks-uri", "comp-methods", "comp-mt-level", "comp-mt-threads",
                    "comp-mt-dthreads", "comp-xbzrle-cache", "auto-converge-initial", "auto-converge-increment",
                    "persistent-xml", "postcopy-bandwidth", "parallel-connections", "bandwidth", "tls-destination"]
# What each virsh option needs to be meaningful (so cases try it with and without).
VIRSH_NEEDS: dict[str, list[str]] = {
    "copy-storage-synchronous-writes": ["copy-storage-all"], "postcopy-after-precopy": ["postcopy"],
    "postcopy-resume": ["postcopy"], "timeout-postcopy": ["postcopy", "timeout=5"],
    "timeout-suspend": ["timeout=5"], "zerocopy": ["parallel"], "persistent-xml": ["persistent"],
    "tls-destination": ["tls"], "parallel-connections": ["parallel"], "migrate-disks": ["copy-storage-all"],
    "comp-mt-level": ["compressed", "comp-methods=mt"], "comp-mt-threads": ["compressed", "comp-methods=mt"],
    "comp-mt-dthreads": ["compressed", "comp-methods=mt"], "comp-xbzrle-cache": ["compressed", "comp-methods=xbzrle"],
    "auto-converge-initial": ["auto-converge"], "auto-converge-increment": ["auto-converge"],
    "postcopy-bandwidth": ["postcopy"], "disks-port": ["copy-storage-all"], "disks-uri": ["copy-storage-all"],
}


def _api_case(cid: str, state: str, api: str, flags: list[str], params: dict[str, Any] | None = None) -> dict[str, Any]:
    fl = list(flags)
    if api == "p2p" and "PEER2PEER" not in fl:
        fl.append("PEER2PEER")
    fl = [f for f in FLAGS if f in fl] + [f for f in fl if f.startswith("0x")]  # canonical order
    case: dict[str, Any] = {"id": cid, "state": state, "api": api, "flags": fl}
    if params:
        case["params"] = dict(sorted(params.items()))
    return case


def _virsh_case(cid: str, state: str, words: list[str], glob: list[str] | None = None) -> dict[str, Any]:
    case: dict[str, Any] = {"id": cid, "state": state, "virsh": words}
    if glob:
        case["virsh_global"] = glob
    return case


def _opt(spec: str) -> list[str]:
    name, eq, value = spec.partition("=")
    return [f"--{name}", value] if eq else [f"--{name}"]


def flag_cases() -> list[dict[str, Any]]:
    """Every single flag and every pair, in every state, in managed and p2p mode."""
    out = []
    for api in MODES:
        for state in STATES:
            out.append(_api_case(f"none-{api}-{state}", state, api, []))
            for f in FLAGS:
                if api == "p2p" and f == "PEER2PEER":
                    continue
                out.append(_api_case(f"one-{api}-{state}-{f}", state, api, [f]))
    for api in MODES:
        for state in STATES:
            for a, b in itertools.combinations(FLAGS, 2):
                if api == "p2p" and "PEER2PEER" in (a, b):
                    continue  # the same request as the single flag
                out.append(_api_case(f"pair-{api}-{state}-{a}-{b}", state, api, [a, b]))
    for state in ("running", "shutoff"):  # unmanaged direct: ToURI3 without PEER2PEER
        for f in ["LIVE", "OFFLINE", "TUNNELLED", "PERSIST_DEST"]:
            out.append(_api_case(f"direct-{state}-{f}", state, "direct", [f]))
    return out


def random_flag_cases(rng: random.Random, n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        state = rng.choice(STATES)
        api = rng.choice(MODES)
        if i % 2:
            flags = [f for f in FLAGS if rng.random() < 0.5]
        else:
            flags = rng.sample(FLAGS, rng.randint(1, 6))
        if rng.random() < 0.35 and "LIVE" not in flags:
            flags.append("LIVE")
        out.append(_api_case(f"rand-{i:04d}", state, api, flags))
    return out


def param_cases() -> list[dict[str, Any]]:
    """Every value of every typed parameter, with and without the flags it tunes, in both modes."""
    out = []
    for key, spec in PARAMS.items():
        for vi, value in enumerate(spec["values"]):
            for with_flags in (False, True):
                for api in MODES:
                    flags = ["LIVE"] + (spec["needs"] if with_flags else [])
                    params = {key: value}
                    if with_flags:
                        params.update(spec.get("with", {}))
                        params[key] = value
                    tag = "with" if with_flags else "without"
                    out.append(_api_case(f"param-{key}-{vi}-{tag}-{api}", "running", api, flags, params))
    # Parameters against the flags that make libvirt look at them differently.
    context = {"tunnelled": ["TUNNELLED", "PEER2PEER"], "offline": ["OFFLINE", "PERSIST_DEST"],
               "nonlive": [], "postcopy": ["LIVE", "POSTCOPY"], "parallel": ["LIVE", "PARALLEL"],
               "tls": ["LIVE", "TLS"], "copy": ["LIVE", "NON_SHARED_INC"]}
    for key, spec in PARAMS.items():
        value = spec["values"][0] if key != "migrate_uri" else "tcp://127.0.0.3"
        for ctx, flags in context.items():
            api = "p2p" if ctx in ("tunnelled",) else "p2p" if key < "d" else "managed"
            state = "shutoff" if ctx == "offline" else "running"
            out.append(_api_case(f"pctx-{key}-{ctx}", state, api, flags, {key: value}))
    # The URI values in the other contexts too.
    for vi, value in enumerate(PARAMS["migrate_uri"]["values"]):
        for ctx, flags in context.items():
            state = "shutoff" if ctx == "offline" else "running"
            out.append(_api_case(f"puri-{vi}-{ctx}", state, "p2p", flags, {"migrate_uri": value}))
            if ctx != "tunnelled":
                out.append(_api_case(f"puri-{vi}-{ctx}-managed", state, "managed", flags, {"migrate_uri": value}))
        out.append(_api_case(f"puri-{vi}-listen", "running", "p2p", ["LIVE"],
                             {"migrate_uri": value, "listen_address": "127.0.0.2"}))
        out.append(_api_case(f"puri-{vi}-tls-copy", "running", "p2p", ["LIVE", "TLS", "NON_SHARED_DISK"],
                             {"migrate_uri": value}))
        out.append(_api_case(f"puri-{vi}-paused", "paused", "managed", ["LIVE"], {"migrate_uri": value}))
    return out


def boundary_cases() -> list[dict[str, Any]]:
    """Values at the edges of what QEMU takes, and the capability combinations it refuses."""
    out = []
    edges: dict[str, tuple[list[str], dict[str, Any], list[int]]] = {
        "compression.mt.level": (["COMPRESSED"], {"compression": ["mt"]}, [9, 10, 255, 256]),
        "compression.mt.threads": (["COMPRESSED"], {"compression": ["mt"]}, [1, 0, 255, 256, -5]),
        "compression.mt.dthreads": (["COMPRESSED"], {"compression": ["mt"]}, [1, 0, 255, 256, -5]),
        "compression.xbzrle.cache": (["COMPRESSED"], {"compression": ["xbzrle"]},
                                     [4096, 2048, 8192, 12288, 1, 2 ** 40, 2 ** 63]),
        "auto_converge.initial": (["AUTO_CONVERGE"], {}, [1, 99, 255, 256, -5]),
        "auto_converge.increment": (["AUTO_CONVERGE"], {}, [1, 99, 255, 256]),
        "parallel.connections": (["PARALLEL"], {}, [2, 255, 256, 1000, -5]),
    }
    for key, (flags, extra, values) in edges.items():
        for value in values:
            for api in MODES:
                out.append(_api_case(f"edge-{key}-{value}-{api}", "running", api, ["LIVE"] + flags,
                                     {**extra, key: value}))
    # Two bad values at once: which does QEMU report first?
    bad = {"compression.mt.level": 10, "compression.mt.threads": 0, "compression.mt.dthreads": 256,
           "compression.xbzrle.cache": 1000, "auto_converge.initial": 0, "auto_converge.increment": -1,
           "parallel.connections": 0}
    for a, b in itertools.combinations(sorted(bad), 2):
        params: dict[str, Any] = {a: bad[a], b: bad[b]}
        flags = ["LIVE", "COMPRESSED", "AUTO_CONVERGE"]
        params["compression"] = ["mt", "xbzrle"]
        if "parallel.connections" in params:
            flags.append("PARALLEL")
            params["compression"] = ["xbzrle"] if not any(k.startswith("compression.mt") for k in params) else ["mt"]
        for api in MODES:
            out.append(_api_case(f"twobad-{a}-{b}-{api}", "running", api, flags, params))
    # Capabilities QEMU refuses together.
    caps = [["PARALLEL", "ZEROCOPY", "TLS"], ["PARALLEL", "ZEROCOPY", "COMPRESSED"],
            ["PARALLEL", "ZEROCOPY", "TLS", "COMPRESSED"], ["PARALLEL", "COMPRESSED"], ["PARALLEL", "ZEROCOPY"]]
    comps: list[dict[str, Any]] = [{}, {"compression": ["mt"]}, {"compression": ["xbzrle"]},
                                   {"compression": ["xbzrle"], "compression.xbzrle.cache": 1000}]
    for ci, fl in enumerate(caps):
        for pi, params in enumerate(comps):
            for api in MODES:
                for state in ("running", "paused"):
                    out.append(_api_case(f"caps-{ci}-{pi}-{api}-{state}", state, api, ["LIVE"] + fl, params))
    # Tunnelled with TLS: with and without a TLS host name, and against other errors.
    for api_flags, tag in ((["LIVE"], "live"), ([], "nonlive"), (["LIVE", "AUTO_CONVERGE"], "ac")):
        for params, ptag in (({}, "plain"), ({"tls.destination": "localhost"}, "dest"),
                             ({"auto_converge.initial": 0}, "badac")):
            out.append(_api_case(f"tuntls-{tag}-{ptag}", "running", "p2p", api_flags + ["TUNNELLED", "TLS"], params))
    return out


def special_cases() -> list[dict[str, Any]]:
    """Flag bits libvirt 9.0.0 does not define, and p2p destinations that name the source itself (refused by
    the client library before any connection is made)."""
    out = []
    for bits, base in (("0x200000", ["LIVE"]), ("0x80000000", ["LIVE"]), ("0x400000", ["OFFLINE", "PERSIST_DEST"])):
        for api in MODES:
            for state in ("running", "shutoff"):
                out.append(_api_case(f"bits-{bits}-{api}-{state}", state, api, base + [bits]))
    for i, uri in enumerate(["qemu:///system", "qemu+unix:///system", "qemu+tcp://localhost/system",
                             "qemu+ssh://localhost.localdomain/system", "qemu:///session"]):
        for state in ("running", "shutoff"):
            case = _api_case(f"local-{i}-{state}", state, "p2p", ["LIVE"])
            case["dest_uri"] = uri
            out.append(case)
        out.append(_virsh_case(f"vlocal-{i}", "running", ["--live", "--p2p", "{dom}", uri]))
    # A domain with a snapshot: refused whatever the flags, except by the checks that come first.
    for api in MODES:
        for state in ("running", "paused"):
            for flags in ([], ["LIVE"], ["OFFLINE", "PERSIST_DEST"], ["LIVE", "POSTCOPY"],
                          ["LIVE", "POSTCOPY", "POSTCOPY_RESUME"], ["LIVE", "NON_SHARED_DISK", "NON_SHARED_INC"],
                          ["LIVE", "ZEROCOPY"], ["OFFLINE"], ["LIVE", "TUNNELLED"]):
                case = _api_case(f"snap-{api}-{state}-{'-'.join(flags) or 'none'}", state, api, flags)
                case["domain"] = "mlc-snap"
                out.append(case)
    for i, words in enumerate([["--live", "--p2p"], ["--live"], ["--offline", "--persistent"], ["--live", "--p2p",
                               "--auto-converge-initial", "20"], ["--live", "--p2p", "--bandwidth", "x"]]):
        case = _virsh_case(f"vsnap-{i}", "running", words + ["{dom}", "{dest}"])
        case["domain"] = "mlc-snap"
        out.append(case)
    return out


def random_param_cases(rng: random.Random, n: int) -> list[dict[str, Any]]:
    keys = list(PARAMS)
    out = []
    for i in range(n):
        state = rng.choice(["running", "running", "paused", "shutoff"])
        api = rng.choice(MODES)
        params: dict[str, Any] = {}
        flags: list[str] = []
        for key in rng.sample(keys, rng.randint(1, 3)):
            params[key] = rng.choice(PARAMS[key]["values"])
            if rng.random() < 0.6:
                flags += PARAMS[key]["needs"]
                for k, v in PARAMS[key].get("with", {}).items():
                    params.setdefault(k, v)
        flags += [f for f in FLAGS if rng.random() < 0.12]
        if state == "shutoff" and rng.random() < 0.7:
            flags += ["OFFLINE", "PERSIST_DEST"]
        elif rng.random() < 0.7:
            flags.append("LIVE")
        out.append(_api_case(f"prand-{i:04d}", state, api, sorted(set(flags)), params))
    return out


def virsh_cases(rng: random.Random, n_random: int) -> list[dict[str, Any]]:
    out = []
    tail = ["{dom}", "{dest}"]
    # Each option alone and with what it needs, managed and --p2p.
    for mode in ([], ["--p2p"]):
        m = "p2p" if mode else "managed"
        for name in VIRSH_BOOL:
            if name == "p2p" and mode:
                continue
            base = ["--live"] if name not in ("live", "offline") else []
            out.append(_virsh_case(f"vopt-{m}-{name}", "running", base + mode + [f"--{name}"] + tail))
            if name in VIRSH_NEEDS:
                extra = [w for s in VIRSH_NEEDS[name] for w in _opt(s)]
                out.append(_virsh_case(f"vneed-{m}-{name}", "running", base + mode + extra + [f"--{name}"] + tail))
        for name, values in VIRSH_VALUE.items():
            for vi, value in enumerate(values):
                out.append(_virsh_case(f"vval-{m}-{name}-{vi}", "running", ["--live"] + mode + [f"--{name}", value] + tail))
                if name in VIRSH_NEEDS:
                    extra = [w for s in VIRSH_NEEDS[name] for w in _opt(s)]
                    out.append(_virsh_case(f"vvneed-{m}-{name}-{vi}", "running",
                                           ["--live"] + mode + extra + [f"--{name}={value}"] + tail))
    # States.
    for state in ("shutoff", "paused"):
        out += [
            _virsh_case(f"vstate-{state}-live", state, ["--live", "--p2p"] + tail),
            _virsh_case(f"vstate-{state}-offline", state, ["--offline", "--persistent"] + tail),
            _virsh_case(f"vstate-{state}-offline-p2p", state, ["--offline", "--persistent", "--p2p"] + tail),
            _virsh_case(f"vstate-{state}-offline-nopersist", state, ["--offline"] + tail),
            _virsh_case(f"vstate-{state}-postcopy", state, ["--live", "--p2p", "--postcopy"] + tail),
            _virsh_case(f"vstate-{state}-timeout", state, ["--offline", "--persistent", "--timeout", "5"] + tail),
            _virsh_case(f"vstate-{state}-plain", state, tail),
        ]
    # Option syntax: aliases, --opt=value, named domain/desturi, "--", positionals, parser errors.
    syntax = {
        "alias-tunneled": ["--live", "--p2p", "--tunneled"] + tail,
        "alias-tunneled-managed": ["--live", "--tunneled"] + tail,
        "alias-both": ["--live", "--p2p", "--tunneled", "--tunnelled"] + tail,
        "eq-dname": ["--live", "--p2p", "--dname=mlc-renamed"] + tail,
        "eq-migrateuri": ["--live", "--p2p", "--migrateuri=tcp://127.0.0.3"] + tail,
        "eq-empty": ["--live", "--p2p", "--dname="] + tail,
        "eq-bool": ["--live=yes", "--p2p"] + tail,
        "eq-bool-empty": ["--live=", "--p2p"] + tail,
        "named-domain": ["--live", "--p2p", "--domain", "{dom}", "--desturi", "{dest}"],
        "named-domain-eq": ["--live", "--p2p", "--domain={dom}", "--desturi={dest}"],
        "named-reversed": ["--desturi", "{dest}", "--live", "--domain", "{dom}"],
        "named-and-positional": ["--live", "--domain", "{dom}", "{dest}"],
        "dest-first-named": ["--live", "--desturi", "{dest}", "{dom}"],
        "options-after": ["{dom}", "{dest}", "--live", "--p2p"],
        "options-between": ["{dom}", "--live", "{dest}", "--p2p"],
        "double-dash": ["--live", "--p2p", "--", "{dom}", "{dest}"],
        "double-dash-option": ["--live", "--", "{dom}", "{dest}", "--p2p"],
        "pos-migrateuri": ["--live", "--p2p"] + tail + ["tcp://127.0.0.3"],
        "pos-migrateuri-bad": ["--live", "--p2p"] + tail + ["ftp://127.0.0.3"],
        "pos-dname": ["--live", "--p2p"] + tail + ["tcp://127.0.0.3", "spice://127.0.0.3", "127.0.0.2", "mlc-renamed"],
        "pos-timeout": ["--live", "--p2p"] + tail + ["tcp://127.0.0.3", "spice://127.0.0.3", "127.0.0.2",
                                                     "mlc-renamed", "5"],
        "pos-timeout-bad": ["--live", "--p2p"] + tail + ["tcp://127.0.0.3", "spice://127.0.0.3", "127.0.0.2",
                                                         "mlc-renamed", "soon"],
        "pos-xml": ["--live", "--p2p"] + tail + ["tcp://127.0.0.3", "spice://127.0.0.3", "127.0.0.2", "mlc-renamed",
                                                 "0", "{domxml}"],
        "pos-disks": ["--live", "--p2p", "--copy-storage-all"] + tail + ["tcp://127.0.0.3", "spice://127.0.0.3",
                                                                         "127.0.0.2", "mlc-renamed", "0", "{domxml}",
                                                                         "vda"],
        "pos-comp": ["--live", "--p2p", "--compressed"] + tail + ["tcp://127.0.0.3", "spice://127.0.0.3", "127.0.0.2",
                                                                 "mlc-renamed", "0", "{domxml}", "vda", "0",
                                                                 "tcp://127.0.0.3:49402", "mt", "5"],
        "pos-all": ["--live", "--p2p", "--compressed", "--auto-converge", "--persistent", "--postcopy", "--parallel",
                    "--tls"] + tail + ["tcp://127.0.0.3", "spice://127.0.0.3", "127.0.0.2", "mlc-renamed", "0",
                                       "{domxml}", "vda", "0", "tcp://127.0.0.3:49402", "mt", "5", "2", "2",
                                       "67108864", "20", "10", "{domxml}", "100", "2", "100", "localhost"],
        "pos-too-many": ["--live", "--p2p"] + tail + ["tcp://127.0.0.3", "spice://127.0.0.3", "127.0.0.2",
                                                      "mlc-renamed", "0", "{domxml}", "vda", "0",
                                                      "tcp://127.0.0.3:49402", "mt", "5", "2", "2", "67108864", "20",
                                                      "10", "{domxml}", "100", "2", "100", "localhost", "extra"],
        "pos-named-skip": ["--live", "--p2p", "--migrateuri", "tcp://127.0.0.3"] + tail + ["spice://127.0.0.3"],
        "unknown-option": ["--live", "--frobnicate"] + tail,
        "unknown-option-p2p": ["--live", "--p2p", "--persist"] + tail,
        "unknown-zlib": ["--live", "--p2p", "--parallel", "--comp-zlib-level", "3"] + tail,
        "unknown-switchover": ["--live", "--p2p", "--available-switchover-bandwidth", "10"] + tail,
        "duplicate-bool": ["--live", "--live", "--p2p"] + tail,
        "duplicate-value": ["--live", "--p2p", "--dname", "a", "--dname", "b"] + tail,
        "duplicate-domain": ["--live", "--domain", "{dom}", "--domain", "{dom}", "{dest}"],
        "missing-value": ["--live", "--p2p"] + tail + ["--dname"],
        "missing-value-middle": ["--live", "--p2p", "--migrateuri"] + tail,
        "missing-dest": ["--live", "--p2p", "{dom}"],
        "missing-both": ["--live", "--p2p"],
        "empty-domain": ["--live", "--p2p", "", "{dest}"],
        "empty-migrateuri": ["--live", "--p2p", "--migrateuri", ""] + tail,
        "empty-comp": ["--live", "--p2p", "--comp-methods", ""] + tail,
        "space-number": ["--live", "--p2p", "--bandwidth", " 100"] + tail,
        "plus-number": ["--live", "--p2p", "--bandwidth", "+100"] + tail,
        "hex-number": ["--live", "--p2p", "--bandwidth", "0x10"] + tail,
        "int-overflow": ["--live", "--p2p", "--parallel", "--parallel-connections", "4294967296"] + tail,
        "int-negative": ["--live", "--p2p", "--parallel", "--parallel-connections", "-4"] + tail,
        "timeout-live": ["--live", "--timeout", "5"] + tail,
        "timeout-zero-nolive": ["--p2p", "--timeout", "0"] + tail,
        "timeout-nolive": ["--p2p", "--timeout", "5"] + tail,
        "timeout-suspend-alone": ["--live", "--timeout-suspend"] + tail,
        "timeout-both": ["--live", "--postcopy", "--timeout", "5", "--timeout-suspend", "--timeout-postcopy"] + tail,
        "timeout-postcopy-ok": ["--live", "--p2p", "--postcopy", "--timeout", "5", "--timeout-postcopy"] + tail,
        "pap-ok": ["--live", "--p2p", "--postcopy", "--postcopy-after-precopy"] + tail,
        "direct": ["--live", "--direct"] + tail,
        "direct-p2p": ["--live", "--direct", "--p2p"] + tail,
        "direct-offline": ["--offline", "--persistent", "--direct"] + tail,
        "verbose": ["--live", "--p2p", "--verbose"] + tail,
        "xml-persistent": ["--live", "--p2p", "--persistent", "--xml", "{domxml}", "--persistent-xml", "{domxml}"] + tail,
        "live-offline": ["--live", "--offline"] + tail,
        "live-offline-persistent": ["--live", "--offline", "--persistent"] + tail,
        "copy-both": ["--live", "--copy-storage-all", "--copy-storage-inc"] + tail,
        "copy-both-p2p": ["--live", "--p2p", "--copy-storage-all", "--copy-storage-inc"] + tail,
        "sync-writes-alone-p2p": ["--live", "--p2p", "--copy-storage-synchronous-writes"] + tail,
        "tunnelled-tls": ["--live", "--p2p", "--tunnelled", "--tls"] + tail,
        "tunnelled-tls-dest": ["--live", "--p2p", "--tunnelled", "--tls", "--tls-destination", "localhost"] + tail,
        "zerocopy-parallel": ["--live", "--p2p", "--parallel", "--zerocopy"] + tail,
        "zerocopy-parallel-tls": ["--live", "--p2p", "--parallel", "--zerocopy", "--tls"] + tail,
        "zerocopy-parallel-comp": ["--live", "--p2p", "--parallel", "--zerocopy", "--compressed"] + tail,
        "parallel-compressed": ["--live", "--p2p", "--parallel", "--compressed"] + tail,
        "resume-not-failed": ["--live", "--p2p", "--postcopy", "--postcopy-resume"] + tail,
        "tunnelled-migrateuri": ["--live", "--p2p", "--tunnelled", "--migrateuri", "tcp://127.0.0.3"] + tail,
        "tunnelled-listen": ["--live", "--p2p", "--tunnelled", "--listen-address", "127.0.0.2"] + tail,
        "tunnelled-disks-port": ["--live", "--p2p", "--tunnelled", "--disks-port", "49401"] + tail,
        "tunnelled-disks-port0": ["--live", "--p2p", "--tunnelled", "--disks-port", "0"] + tail,
        "disks-port-uri": ["--live", "--p2p", "--disks-port", "49401", "--disks-uri", "tcp://127.0.0.3:49402"] + tail,
        "unix-listen": ["--live", "--p2p", "--migrateuri", "unix:///run/libvirt/mig.sock", "--listen-address",
                        "127.0.0.2"] + tail,
        "unix-copy": ["--live", "--p2p", "--copy-storage-all", "--migrateuri", "unix:///run/libvirt/mig.sock"] + tail,
        "unix-tls": ["--live", "--p2p", "--tls", "--migrateuri", "unix:///run/libvirt/mig.sock"] + tail,
        "disks-unknown": ["--live", "--p2p", "--copy-storage-all", "--migrate-disks", "vda"] + tail,
        "readonly": ["--live", "--p2p"] + tail,
        "readonly-managed": ["--live"] + tail,
    }
    for name, words in syntax.items():
        glob = ["-r"] if name.startswith("readonly") else None
        out.append(_virsh_case(f"vsyn-{name}", "running", words, glob))
    # Random command lines.
    value_names = list(VIRSH_VALUE)
    for i in range(n_random):
        state = rng.choice(["running", "running", "paused", "shutoff"])
        groups: list[list[str]] = []
        for name in VIRSH_BOOL:
            if rng.random() < (0.5 if name in ("live", "p2p") else 0.1):
                groups.append([f"--{name}"])
        for name in rng.sample(value_names, rng.randint(0, 3)):
            value = rng.choice(VIRSH_VALUE[name])
            groups.append([f"--{name}={value}"] if rng.random() < 0.3 else [f"--{name}", value])
        rng.shuffle(groups)
        words = [w for g in groups for w in g]
        if rng.random() < 0.2:
            words = ["--domain", "{dom}", "--desturi", "{dest}"] + words
        else:
            words = words + tail
        out.append(_virsh_case(f"vrand-{i:04d}", state, words))
    return out


def newer_cases() -> list[dict[str, Any]]:
    """What libvirt 9.0.0 does not know or QEMU 7.2 does not refuse: 11.3.0's newer parameters (zlib and zstd
    compression, their levels, the switch-over bandwidth, zero detection) and virsh options, empty names in
    peer-to-peer mode, the order of libvirt's compression checks, and post-copy with parallel migration."""
    out = []
    newer: list[tuple[str, list[str], dict[str, Any]]] = [
        ("switchover-max", ["LIVE"], {"bandwidth.avail.switchover": BW_MAX}),
        ("switchover-over", ["LIVE"], {"bandwidth.avail.switchover": BW_MAX + 1}),
        ("switchover-u64", ["LIVE"], {"bandwidth.avail.switchover": U64}),
        ("zlib", ["LIVE", "PARALLEL"], {"compression": ["zlib"]}),
        ("zstd", ["LIVE", "PARALLEL"], {"compression": ["zstd"]}),
        ("zlib-zstd", ["LIVE", "PARALLEL"], {"compression": ["zlib", "zstd"]}),
        ("zstd-zlib-comp", ["LIVE", "PARALLEL", "COMPRESSED"], {"compression": ["zstd", "zlib"]}),
        ("zlib-twice", ["LIVE", "PARALLEL"], {"compression": ["zlib", "zlib"]}),
        ("mt-twice-par", ["LIVE", "PARALLEL"], {"compression": ["mt", "mt"]}),
        ("lz4-mt-par", ["LIVE", "PARALLEL"], {"compression": ["lz4", "mt"]}),
        ("mt-lz4-par", ["LIVE", "PARALLEL"], {"compression": ["mt", "lz4"]}),
        ("mt-mt-lz4", ["LIVE"], {"compression": ["mt", "mt", "lz4"]}),
        ("lz4-mt-mt", ["LIVE"], {"compression": ["lz4", "mt", "mt"]}),
        ("zstd-zstd-nopar", ["LIVE"], {"compression": ["zstd", "zstd"]}),
        ("xbzrle-zstd-par", ["LIVE", "PARALLEL"], {"compression": ["xbzrle", "zstd"]}),
        ("zstd-xbzrle-par", ["LIVE", "PARALLEL"], {"compression": ["zstd", "xbzrle"]}),
        ("zlib-level-0", ["LIVE", "PARALLEL"], {"compression": ["zlib"], "compression.zlib.level": 0}),
        ("zlib-level-9", ["LIVE", "PARALLEL"], {"compression": ["zlib"], "compression.zlib.level": 9}),
        ("zlib-level-10", ["LIVE", "PARALLEL"], {"compression": ["zlib"], "compression.zlib.level": 10}),
        ("zlib-level-neg", ["LIVE", "PARALLEL"], {"compression": ["zlib"], "compression.zlib.level": -1}),
        ("zlib-level-256", ["LIVE", "PARALLEL"], {"compression": ["zlib"], "compression.zlib.level": 256}),
        ("zstd-level-20", ["LIVE", "PARALLEL"], {"compression": ["zstd"], "compression.zstd.level": 20}),
        ("zstd-level-21", ["LIVE", "PARALLEL"], {"compression": ["zstd"], "compression.zstd.level": 21}),
        ("zstd-level-neg", ["LIVE", "PARALLEL"], {"compression": ["zstd"], "compression.zstd.level": -1}),
        ("zstd-zerocopy", ["LIVE", "PARALLEL", "ZEROCOPY"], {"compression": ["zstd"]}),
        ("zstd-zerocopy-tls", ["LIVE", "PARALLEL", "ZEROCOPY", "TLS"], {"compression": ["zstd"]}),
        ("zstd-tls", ["LIVE", "PARALLEL", "TLS"], {"compression": ["zstd"]}),
        ("detect-zeroes", ["LIVE", "NON_SHARED_DISK"], {"migrate_disks_detect_zeroes": ["vda"]}),
        ("detect-zeroes-nocopy", ["LIVE"], {"migrate_disks_detect_zeroes": ["vda"]}),
        ("detect-zeroes-empty", ["LIVE", "NON_SHARED_DISK"], {"migrate_disks_detect_zeroes": []}),
        ("dname-empty", ["LIVE"], {"destination_name": ""}),
        ("dname-empty-offline", ["OFFLINE", "PERSIST_DEST"], {"destination_name": ""}),
        ("postcopy-parallel", ["LIVE", "POSTCOPY", "PARALLEL"], {}),
        ("postcopy-parallel-conn", ["LIVE", "POSTCOPY", "PARALLEL"], {"parallel.connections": 2}),
        ("postcopy-parallel-zstd", ["LIVE", "POSTCOPY", "PARALLEL"], {"compression": ["zstd"]}),
        ("postcopy-parallel-tls", ["LIVE", "POSTCOPY", "PARALLEL", "TLS"], {}),
        ("postcopy-compressed", ["LIVE", "POSTCOPY", "COMPRESSED"], {}),
        ("postcopy-xbzrle", ["LIVE", "POSTCOPY", "COMPRESSED"], {"compression": ["xbzrle"]}),
        ("autoconverge-postcopy", ["LIVE", "POSTCOPY", "AUTO_CONVERGE"], {"auto_converge.initial": 20}),
        ("xbzrle-zerocopy", ["LIVE", "PARALLEL", "ZEROCOPY", "COMPRESSED"], {"compression": ["xbzrle"]}),
    ]
    for name, flags, params in newer:
        for api in MODES:
            state = "shutoff" if "OFFLINE" in flags else "running"
            out.append(_api_case(f"newer-{name}-{api}", state, api, flags, params))
    tail = ["{dom}", "{dest}"]
    vnewer: dict[str, list[str]] = {
        "zlib-level": ["--live", "--p2p", "--parallel", "--comp-methods", "zlib", "--comp-zlib-level", "3"],
        "zlib-level-bad": ["--live", "--p2p", "--parallel", "--comp-methods", "zlib", "--comp-zlib-level", "x"],
        "zlib-level-alone": ["--live", "--p2p", "--parallel", "--comp-zlib-level", "3"],
        "zstd-level": ["--live", "--p2p", "--parallel", "--comp-methods", "zstd", "--comp-zstd-level", "5"],
        "zstd-level-nopar": ["--live", "--p2p", "--comp-methods", "zstd", "--comp-zstd-level", "5"],
        "switchover": ["--live", "--p2p", "--available-switchover-bandwidth", "100"],
        "switchover-neg": ["--live", "--p2p", "--available-switchover-bandwidth", "-1"],
        "switchover-over": ["--live", "--p2p", "--available-switchover-bandwidth", "17592186044416"],
        "detect-zeroes": ["--live", "--p2p", "--copy-storage-all", "--migrate-disks-detect-zeroes", "vda"],
        "detect-zeroes-nocopy": ["--live", "--p2p", "--migrate-disks-detect-zeroes", "vda"],
        "detect-zeroes-empty": ["--live", "--p2p", "--copy-storage-all", "--migrate-disks-detect-zeroes", ""],
        "disks-nocopy-badport": ["--live", "--p2p", "--migrate-disks", "vda", "--disks-port", "x"],
        "disks-nocopy-badcache": ["--live", "--p2p", "--migrate-disks", "vda", "--comp-xbzrle-cache", "x"],
        "disks-nocopy-emptyuri": ["--live", "--p2p", "--migrate-disks", "vda", "--migrateuri", ""],
        "disks-nocopy-emptydest": ["--live", "--p2p", "--migrate-disks", "vda", "--tls", "--tls-destination", ""],
        "sync-badport": ["--live", "--p2p", "--copy-storage-synchronous-writes", "--disks-port", "x"],
        "sync-emptydname": ["--live", "--p2p", "--copy-storage-synchronous-writes", "--dname", ""],
        "sync-disks-nocopy": ["--live", "--p2p", "--copy-storage-synchronous-writes", "--migrate-disks", "vda"],
        "empty-then-bad": ["--live", "--p2p", "--disks-port", "x", "--dname", ""],
        "bad-then-empty": ["--live", "--p2p", "--dname", "", "--bandwidth", "x"],
        "postcopy-parallel": ["--live", "--p2p", "--postcopy", "--parallel"],
        "postcopy-parallel-managed": ["--live", "--postcopy", "--parallel"],
        "three-dashes": ["--live", "--p2p", "{dom}", "{dest}", "---x"],
        "dash-digit": ["--live", "--p2p", "--1"] ,
        "tunnelled-tls-managed": ["--live", "--tunnelled", "--tls"],
        "tunnelled-tls-dest": ["--live", "--p2p", "--tunnelled", "--tls", "--tls-destination", "127.0.0.3"],
        "autoconverge-initial-managed": ["--live", "--auto-converge-initial", "20"],
    }
    for name, words in vnewer.items():
        if "{dom}" not in words:
            words = words + tail
        out.append(_virsh_case(f"vnewer-{name}", "running", words))
    return out


def fidelity_cases() -> list[dict[str, Any]]:
    """Cases about what miglint is told and what it makes of it (no random generator: the others stay).

    Keys for the comparison only (the oracle ignores them): "unknown_facts" (facts miglint is not given, as a
    request that does not carry them), "storage": "local" (miglint is told where the disk images live)."""
    out: list[dict[str, Any]] = []
    tail = ["{dom}", "{dest}"]
    # Post-copy resume without the fact domain.postcopy_failed: the state rules a failed migration out.
    for api in MODES:
        for state in STATES:
            case = _api_case(f"fid-resume-{api}-{state}", state, api, ["LIVE", "POSTCOPY", "POSTCOPY_RESUME"])
            case["unknown_facts"] = ["domain.postcopy_failed"]
            out.append(case)
    for state in STATES:
        for mode in ([], ["--p2p"]):
            case = _virsh_case(f"vfid-resume-{state}{'-p2p' if mode else ''}", state,
                               ["--live", "--postcopy", "--postcopy-resume"] + mode + tail)
            case["unknown_facts"] = ["domain.postcopy_failed"]
            out.append(case)
    # Typed parameters libvirt does not define: refused by the driver, the first by name.
    unknown: list[tuple[str, list[str], dict[str, Any]]] = [
        ("bogus", ["LIVE"], {"bogus.key": 1}),
        ("bogus-str", ["LIVE"], {"bogus.key": "x"}),
        ("misspelt", ["LIVE"], {"bandwith": 100}),
        ("two", ["LIVE"], {"zz.bogus": 1, "aa.bogus": 1}),
        ("with-known", ["LIVE"], {"bogus.key": 1, "bandwidth": 100, "tls.destination": "localhost"}),
        ("offline", ["OFFLINE", "PERSIST_DEST"], {"bogus.key": 1}),
        ("target-zero", ["LIVE", "NON_SHARED_DISK"], {"migrate_disks_target_zero": ["vda"]}),
        ("target-zero-nocopy", ["LIVE"], {"migrate_disks_target_zero": ["vda"]}),
    ]
    for name, flags, params in unknown:
        for api in MODES:
            state = "shutoff" if "OFFLINE" in flags else "running"
            out.append(_api_case(f"fid-param-{name}-{api}", state, api, flags, params))
    # Migration URIs libvirt cannot parse (libxml2's RFC 3986 parser), or whose scheme is not lower case.
    uris = ["127.0.0.3:49155", "tcp:127.0.0.3:abc", "tcp://127.0.0.3:", "tcp://127.0.0.3/a b", "TCP://127.0.0.3",
            "tcp://[::1", "rdma:127.0.0.3", "tcp:127.0.0.3:49155"]
    for i, uri in enumerate(uris):
        for api in MODES:
            out.append(_api_case(f"fid-uri-{i}-{api}", "running", api, ["LIVE"], {"migrate_uri": uri}))
        out.append(_api_case(f"fid-uri-{i}-offline", "shutoff", "p2p", ["OFFLINE", "PERSIST_DEST"], {"migrate_uri": uri}))
        out.append(_api_case(f"fid-uri-{i}-tunnelled", "running", "p2p", ["LIVE", "TUNNELLED"], {"migrate_uri": uri}))
        out.append(_virsh_case(f"vfid-uri-{i}", "running", ["--live", "--p2p", "--migrateuri", uri] + tail))
    # The source host as the destination: the migration cookie carries the same host UUID.
    for api in MODES:
        for state, flags in (("running", ["LIVE"]), ("shutoff", ["OFFLINE", "PERSIST_DEST"])):
            case = _api_case(f"fid-samehost-{api}-{state}", state, api, flags)
            case["dest_uri"] = "{src}"
            out.append(case)
    out.append(_virsh_case("vfid-samehost", "running", ["--live", "{dom}", "{src}"]))
    out.append(_virsh_case("vfid-samehost-p2p", "running", ["--live", "--p2p", "{dom}", "{src}"]))
    # A domain with a writable disk (vda) and a read-only CD-ROM (hdc): miglint is given its XML, and where the
    # images live only when "storage" says so.
    disk: list[tuple[str, str, list[str], dict[str, Any], bool]] = [
        ("copy-vda", "running", ["LIVE", "NON_SHARED_DISK"], {"migrate_disks": ["vda"]}, False),
        ("copy-all", "running", ["LIVE", "NON_SHARED_DISK"], {}, False),
        ("copy-inc", "running", ["LIVE", "NON_SHARED_INC"], {}, False),
        ("copy-vda-hdc", "running", ["LIVE", "NON_SHARED_DISK"], {"migrate_disks": ["vda", "hdc"]}, False),
        ("copy-hdc", "running", ["LIVE", "NON_SHARED_DISK"], {"migrate_disks": ["hdc"]}, True),
        ("copy-hdc-unsafe", "running", ["LIVE", "NON_SHARED_DISK", "UNSAFE"], {"migrate_disks": ["hdc"]}, False),
        ("nocopy", "running", ["LIVE"], {}, True),
        ("nocopy-unsafe", "running", ["LIVE", "UNSAFE"], {}, False),
        ("copy-unknown", "running", ["LIVE", "NON_SHARED_DISK"], {"migrate_disks": ["vdz"]}, True),
        ("copy-unknown-unsafe", "running", ["LIVE", "NON_SHARED_DISK", "UNSAFE"], {"migrate_disks": ["vdz"]}, False),
        ("paused-copy", "paused", ["LIVE", "NON_SHARED_DISK"], {"migrate_disks": ["vda"]}, False),
        ("target-zero", "running", ["LIVE", "NON_SHARED_DISK"], {"migrate_disks_target_zero": ["vda"]}, False),
    ]
    for name, state, flags, params, storage in disk:
        for api in MODES:
            case = _api_case(f"fid-disk-{name}-{api}", state, api, flags, params)
            case["domain"] = "mlc-disk"
            if storage:
                case["storage"] = "local"
            out.append(case)
    for name, words, storage in (("copy-vda", ["--copy-storage-all", "--migrate-disks", "vda"], False),
                                 ("copy-all", ["--copy-storage-all"], False),
                                 ("nocopy", [], True)):
        case = _virsh_case(f"vfid-disk-{name}", "running", ["--live", "--p2p"] + words + tail)
        case["domain"] = "mlc-disk"
        if storage:
            case["storage"] = "local"
        out.append(case)
    # The destination parses the migration URI (qemuMigrationDstPrepareDirect) before qemuMigrationDstPrepareAny
    # checks post-copy against a paused domain.
    for api in MODES:
        for uri in ("127.0.0.3:49155", "ftp://127.0.0.3"):
            tag = "unparseable" if ":49155" in uri else "scheme"
            out.append(_api_case(f"fid-order-paused-postcopy-{tag}-{api}", "paused", api, ["LIVE", "POSTCOPY"],
                                 {"migrate_uri": uri}))
    # 12.8.0's virsh option for it (12.2.0).
    out.append(_virsh_case("vfid-target-zero", "running", ["--live", "--p2p", "--copy-storage-all",
                                                           "--migrate-disks-target-zero", "vda"] + tail))
    out.append(_virsh_case("vfid-target-zero-nocopy", "running", ["--live", "--p2p",
                                                                  "--migrate-disks-target-zero", "vda"] + tail))
    return out


def disks_uri_cases() -> list[dict[str, Any]]:
    """The destination checks the disks URI and port when it starts the NBD server for a storage copy
    (qemuMigrationDstStartNBDServer), which it does only when the source has a disk to copy: mlc-disk has one,
    mlc-run none (there the same requests go on to the data connection)."""
    out = []
    bad = [("unparseable", {"disks_uri": "127.0.0.3:49402"}), ("noscheme", {"disks_uri": "//127.0.0.3:49402"}),
           ("tcp-nohost", {"disks_uri": "tcp://:49402"}), ("unix-nopath", {"disks_uri": "unix://"}),
           ("ftp", {"disks_uri": "ftp://127.0.0.3"}), ("nbd", {"disks_uri": "nbd://127.0.0.3:10809"}),
           ("port-high", {"disks_port": 70000}), ("port-negative", {"disks_port": -1})]
    for name, params in bad:
        for api in MODES:
            case = _api_case(f"dk-{name}-{api}", "running", api, ["LIVE", "NON_SHARED_DISK"], params)
            case["domain"] = "mlc-disk"
            out.append(case)
        out.append(_api_case(f"dk-nodisk-{name}", "running", "p2p", ["LIVE", "NON_SHARED_DISK"], params))
    tail = ["{dom}", "{dest}"]
    for name, words in (("ftp", ["--disks-uri", "ftp://127.0.0.3"]), ("port-high", ["--disks-port", "70000"])):
        case = _virsh_case(f"vdk-{name}", "running", ["--live", "--p2p", "--copy-storage-all"] + words + tail)
        case["domain"] = "mlc-disk"
        out.append(case)
    return out


def dest_uri_cases() -> list[dict[str, Any]]:
    """Destination URIs libvirt refuses when it opens the destination connection (virConnectOpenInternal, the
    remote driver, the destination's qemuConnectOpen): in managed mode virsh opens it itself (an API caller
    opens it before the call: the oracle's managed API cases use its own connection, so only virsh reaches
    these), in p2p mode the source daemon after its entry checks. URIs are reachable here without a network:
    no host, a host that is refused before a connection is made, or the destination's socket ("{dstsock}")."""
    out: list[dict[str, Any]] = []
    sock = "socket={dstsock}"
    uris = [("noscheme", "dsthost"), ("noscheme-host", "//127.0.0.3/system"),
            ("unparseable", "qemu+ssh://dst:port/system"), ("unparseable-space", "qemu+ssh://dst/sys tem"),
            ("transport", "qemu+bogus://dst/system"), ("transport-nohost", "qemu+bogus:///system"),
            ("unix-server", "qemu+unix://dst/system"),
            ("slash-system", "qemu://system"), ("slash-session", "qemu://session/"), ("slash-vz", "vz://system"),
            ("slash-user", "qemu://root@system"),
            ("path-foo", f"qemu+unix:///foo?{sock}"), ("path-root", f"qemu+unix:///?{sock}"),
            ("path-empty", f"qemu+unix://?{sock}"), ("path-session", f"qemu+unix:///session?{sock}"),
            ("path-system-slash", f"qemu+unix:///system/?{sock}")]
    for name, uri in uris:
        out.append(_virsh_case(f"vdu-{name}", "running", ["--live", "{dom}", uri]))
        out.append(_virsh_case(f"vdu-{name}-p2p", "running", ["--live", "--p2p", "{dom}", uri]))
        case = _api_case(f"du-{name}-p2p", "running", "p2p", ["LIVE"])
        case["dest_uri"] = uri
        out.append(case)
    # Order: the source's own checks come first in p2p mode (the job's state, the tunnelled URI), virsh's option
    # checks and the client's flag checks around the managed connection.
    out.append(_virsh_case("vdu-order-shutoff-p2p", "shutoff", ["--live", "--p2p", "{dom}", "qemu://system"]))
    out.append(_virsh_case("vdu-order-tunnel-p2p", "running",
                           ["--live", "--p2p", "--tunnelled", "--migrateuri", "tcp://127.0.0.3", "{dom}",
                            "qemu://system"]))
    out.append(_virsh_case("vdu-order-live-offline", "running", ["--live", "--offline", "{dom}", "qemu://system"]))
    out.append(_virsh_case("vdu-order-tunnelled", "running", ["--live", "--tunnelled", "{dom}", "qemu://system"]))
    out.append(_virsh_case("vdu-order-shutoff", "shutoff", ["--live", "{dom}", "qemu://system"]))
    case = _api_case("du-order-unparseable-local-p2p", "running", "p2p", ["LIVE"])
    case["dest_uri"] = "qemu+unix:///system?socket=/a b"
    out.append(case)
    return out


def generate(seed: int = SEED) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    cases = flag_cases()
    cases += random_flag_cases(rng, 600)
    cases += param_cases()
    cases += boundary_cases()
    cases += special_cases()
    cases += random_param_cases(rng, 400)
    cases += virsh_cases(rng, 400)
    cases += newer_cases()
    cases += fidelity_cases()
    cases += disks_uri_cases()
    cases += dest_uri_cases()
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "case ids are unique"
    return cases


if __name__ == "__main__":
    import collections
    import json
    import sys

    cs = generate()
    print(len(cs), collections.Counter(c["id"].split("-")[0] for c in cs), file=sys.stderr)
    for c in cs:
        print(json.dumps(c))
