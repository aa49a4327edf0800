"""miglint's answer for a conformance case, and its comparison with libvirt's.

miglint gets what the harness knows about its test domain as facts (FACTS), the domain name and the
destination URI, through the public API (miglint.api). The comparison is fixed: verdicts must agree
(accepted / rejected; environment failures are excluded), and on rejection miglint's first error must read
like libvirt's message after normalising what belongs to one run of the environment (harness.normalise).
A message difference is allowed only when known-differences.yaml lists it, with the reason.
"""

from __future__ import annotations

import collections
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from miglint import api
from miglint.policies import PolicySet, load_policies

from .harness import normalise

HERE = Path(__file__).resolve().parent
KNOWN_DIFFERENCES = HERE / "known-differences.yaml"
SUMMARY_FILE = HERE / "last-summary.txt"  # not committed (.gitignore)
LIBVIRT_VERSION = "9.0.0"
HYPERVISOR = "qemu"
DOMAINS = {"running": "mlc-run", "paused": "mlc-run", "shutoff": "mlc-off"}
# Stand-ins for the run's paths (a unix-socket destination URI, like the real one).
SRC_URI = "qemu+unix:///system?socket=/run/miglint-conformance/src/libvirt-sock"
DEST_URI = "qemu+unix:///system?socket=/run/miglint-conformance/dst/libvirt-sock"
DOMXML_FILE = "/run/miglint-conformance/domain.xml"
# What the harness knows about its domains and hosts (oracle.py: DOMAIN_XML, qemu.conf).
FACTS: dict[str, Any] = {
    "domain.snapshots": 0,
    "domain.disk_targets": [],
    "domain.local_disks": [],
    "domain.cache_unsafe_disks": [],
    "domain.postcopy_failed": False,
    "domain.memory_hard_limit": 0,
    "domain.paused_reason": "user",
    "host.migrate_tls_force": False,
}


def virsh_command(case: dict[str, Any]) -> str:
    """The case's virsh command line, as miglint reads it (placeholders filled with the stand-ins)."""
    subst = {"{dom}": domain_of(case), "{dest}": DEST_URI, "{domxml}": DOMXML_FILE, "{src}": SRC_URI}

    def fill(word: str) -> str:
        for key, value in subst.items():
            word = word.replace(key, value)
        return shlex.quote(word)
    words = ["virsh", "-c", shlex.quote(SRC_URI)] + [fill(w) for w in case.get("virsh_global", [])]
    return " ".join(words + ["migrate"] + [fill(w) for w in case["virsh"]])


# What differs for the other test domains (oracle.py: mlc-snap has one snapshot).
DOMAIN_FACTS: dict[str, dict[str, Any]] = {"mlc-snap": {"domain.snapshots": 1}}


def domain_of(case: dict[str, Any]) -> str:
    return str(case.get("domain") or DOMAINS[case["state"]])


def facts_of(case: dict[str, Any]) -> dict[str, Any]:
    return {**FACTS, **DOMAIN_FACTS.get(domain_of(case), {})}


def predict(case: dict[str, Any], policies: PolicySet) -> Any:
    """miglint's Result for the case."""
    state = case["state"]
    facts = facts_of(case)
    if "virsh" in case:
        _, result = api.check_command_job(virsh_command(case), hypervisor=HYPERVISOR, state=state,
                                          libvirt_version=LIBVIRT_VERSION, facts=facts, policies=policies,
                                          job_id=case["id"])
        return result
    names = [f for f in case.get("flags", []) if not f.startswith("0x")]
    flags = policies.vocab.flags_value(names) | sum(int(f, 16) for f in case.get("flags", []) if f.startswith("0x"))
    return api.check_request(HYPERVISOR, state=state, flags=flags, params=case.get("params"),
                             libvirt_version=LIBVIRT_VERSION, mode=case["api"], facts=facts,
                             domain=domain_of(case), desturi=case.get("dest_uri", DEST_URI), policies=policies)


@dataclass
class KnownDifference:
    rule: str
    reason: str
    libvirt: str | None = None  # a substring of libvirt's message, when only some messages differ
    varies: bool = False  # libvirt's own message changes from run to run
    used: int = 0


def load_known_differences(path: Path = KNOWN_DIFFERENCES) -> list[KnownDifference]:
    doc = yaml.safe_load(path.read_text()) or {}
    out = []
    for entry in doc.get("differences", []):
        out.append(KnownDifference(rule=str(entry["rule"]), reason=str(entry["reason"]).strip(),
                                   libvirt=entry.get("libvirt"), varies=bool(entry.get("varies", False))))
    return out


@dataclass
class Comparison:
    id: str
    kind: str  # api | virsh
    libvirt_verdict: str
    prediction: str
    rule: str | None
    libvirt_message: str | None
    miglint_message: str | None
    verdict_agrees: bool | None  # None: environment failure, excluded
    message_agrees: bool | None  # None: not both rejected
    known: KnownDifference | None = None
    fired: tuple[str, ...] = ()


def compare(record: dict[str, Any], policies: PolicySet, known: list[KnownDifference]) -> Comparison:
    case = {"id": record["id"], **record["case"]}
    lv = record["libvirt"]
    result = predict(case, policies)
    first = result.first_error
    verdict = lv["verdict"]
    fired = tuple(f.rule for f in result.findings)
    cmp = Comparison(id=case["id"], kind="virsh" if "virsh" in case else "api", libvirt_verdict=verdict,
                     prediction=result.prediction, rule=first.rule if first else None,
                     libvirt_message=lv.get("message"), miglint_message=first.message if first else None,
                     verdict_agrees=None, message_agrees=None, fired=fired)
    if verdict == "env":
        return cmp
    cmp.verdict_agrees = verdict == result.prediction
    if verdict == "rejected" and result.prediction == "rejected":
        cmp.message_agrees = normalise(lv.get("message")) == normalise(first.message)
        if not cmp.message_agrees:
            for kd in known:
                if kd.rule == first.rule and (kd.libvirt is None or kd.libvirt in (lv.get("message") or "")):
                    cmp.known = kd
                    kd.used += 1
                    break
    return cmp


@dataclass
class Summary:
    comparisons: list[Comparison]
    rules: list[str]
    title: str = "miglint vs libvirt 9.0.0 (qemu)"
    extra: list[str] = field(default_factory=list)
    scope: dict[str, str] = field(default_factory=dict)  # rule -> why no case can make it libvirt's first error

    @property
    def decided(self) -> list[Comparison]:
        return [c for c in self.comparisons if c.verdict_agrees is not None]

    @property
    def verdict_disagreements(self) -> list[Comparison]:
        return [c for c in self.decided if not c.verdict_agrees]

    @property
    def both_rejected(self) -> list[Comparison]:
        return [c for c in self.comparisons if c.message_agrees is not None]

    @property
    def unexplained_messages(self) -> list[Comparison]:
        return [c for c in self.both_rejected if not c.message_agrees and c.known is None]

    def text(self) -> str:
        cs = self.comparisons
        env = [c for c in cs if c.verdict_agrees is None]
        decided = self.decided
        agree = len(decided) - len(self.verdict_disagreements)
        both = self.both_rejected
        msg_same = [c for c in both if c.message_agrees]
        msg_known = [c for c in both if not c.message_agrees and c.known is not None]
        by_verdict = collections.Counter(c.libvirt_verdict for c in cs)
        kinds = collections.Counter(c.kind for c in cs)
        first = collections.Counter(c.rule for c in cs if c.libvirt_verdict == "rejected" and c.verdict_agrees
                                    and c.rule)
        fired = {r for c in cs for r in c.fired}
        lines = [f"== {self.title} ==",
                 f"cases: {len(cs)} ({kinds['api']} API, {kinds['virsh']} virsh); libvirt: "
                 f"{by_verdict['accepted']} accepted, {by_verdict['rejected']} rejected, {by_verdict['env']} environment failures",
                 f"verdict agreement: {agree}/{len(decided)} ({_pct(agree, len(decided))})",
                 f"message agreement (both rejected): {len(msg_same)}/{len(both)} ({_pct(len(msg_same), len(both))}),"
                 f" {len(msg_known)} known differences, {len(self.unexplained_messages)} unexplained",
                 f"environment failures (excluded): {len(env)}"]
        for note, n in collections.Counter(env_note(c) for c in env).most_common():
            lines.append(f"  {n:5d}  {note}")
        lines.append("libvirt's first error, by rule (cases):")
        for rule, n in sorted(first.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {rule:6s} {n:5d}")
        never_first = [r for r in self.rules if r not in first]
        never_fired = [r for r in self.rules if r not in fired]
        lines.append(f"rules never libvirt's first error ({len(never_first)}): {' '.join(never_first)}")
        lines.append(f"rules no case triggered at all ({len(never_fired)}): {' '.join(never_fired)}")
        why: dict[str, list[str]] = {}
        for r in never_first:
            why.setdefault(self.scope.get(r, "not exercised by these cases"), []).append(r)
        for reason, ids in sorted(why.items()):
            lines.append(f"  {reason}: {' '.join(ids)}")
        if msg_known:
            lines.append("known message differences (known-differences.yaml):")
            for rule, n in collections.Counter(c.known.rule for c in msg_known if c.known).most_common():
                lines.append(f"  {rule:6s} {n:5d}")
        for c in self.verdict_disagreements[:50]:
            lines.append(f"VERDICT {c.id}: libvirt {c.libvirt_verdict} ({c.libvirt_message!r}), miglint "
                         f"{c.prediction} ({c.rule}: {c.miglint_message!r})")
        for c in self.unexplained_messages[:50]:
            lines.append(f"MESSAGE {c.id}: libvirt {c.libvirt_message!r} / miglint {c.rule} {c.miglint_message!r}")
        lines += self.extra
        return "\n".join(lines) + "\n"


_ENV_NOTES: dict[str, str] = {}
# Summaries made during a test session, printed by conftest.py at the end (replay, live).
REPORTS: dict[str, Any] = {}


def env_note(c: Comparison) -> str:
    return _ENV_NOTES.get(c.id, c.libvirt_message or "?")


def _pct(a: int, b: int) -> str:
    return f"{100.0 * a / b:.1f}%" if b else "n/a"


def qemu_rules(policies: PolicySet) -> list[str]:
    """Every rule the qemu policy (with its layers) can apply at libvirt 9.0.0, in check order, once."""
    seen: dict[str, None] = {}
    driver = policies.driver(HYPERVISOR)
    for mode in driver.modes:
        for rule in driver.rules_for(mode):
            seen.setdefault(rule.id, None)
    return sorted(seen)


# Rules the harness cannot make fire, and why (they need a host or domain this test bed does not have).
NOT_EXERCISABLE = {
    "Q010": "needs a host with migrate_tls_force = 1 in qemu.conf",
    "Q032": "needs a domain paused by an I/O error",
    "Q033": "needs a domain with a local disk (tests/live checks it against libvirt)",
    "Q034": "needs a domain with a local disk and a QEMU older than 4.2",
    "Q035": "needs a domain with a shareable disk on local storage",
    "Q120": "needs QEMU 9.1 or later (this test bed has QEMU 7.2)",
}


def _params_named(when: Any) -> set[str]:
    """Every typed parameter a condition requires to be present (param: {key}, params: [...]/{all: [...]})."""
    out: set[str] = set()
    if isinstance(when, dict):
        for key, arg in when.items():
            if key == "param" and isinstance(arg, dict) and arg.get("present", True) is not False:
                out.add(str(arg.get("key") or arg.get("name")))
            elif key == "params":
                out.update(str(x) for x in (arg if isinstance(arg, list) else arg.get("all", [])))
            elif key in ("all",):
                for c in arg:
                    out |= _params_named(c)
    return out


def rule_scopes(policies: PolicySet) -> dict[str, str]:
    """Why a rule of the qemu policy can never be libvirt 9.0.0's first error here (when it cannot)."""
    from miglint.version import VersionRange, parse_version

    v = parse_version(LIBVIRT_VERSION)
    driver = policies.driver(HYPERVISOR)
    features = driver.view(v).features
    out: dict[str, str] = {}
    for rid in qemu_rules(policies):
        rule = policies.rules[rid]
        when = rule.doc.get("when") or {}
        if rule.effect not in ("reject", "fail"):
            out[rid] = "warnings (libvirt accepts; never an error)"
        elif "libvirt" in when and v not in VersionRange(str(when["libvirt"])) and not (
                "libvirt_unsure" in when and v in VersionRange(str(when["libvirt_unsure"]))):
            out[rid] = "other libvirt versions only"
        elif any(policies.vocab.params[policies.vocab.param_key(k)].since > v for k in _params_named(when)):
            out[rid] = "parameters newer than 9.0.0 only (refused as unknown first)"
        elif any(features.get(k, False) != bool(b) for k, b in (when.get("feature") or {}).items()):
            out[rid] = "drivers without this feature only"
        elif rid in NOT_EXERCISABLE:
            out[rid] = NOT_EXERCISABLE[rid]
    return out


def compare_all(records: list[dict[str, Any]], policies: PolicySet | None = None,
                known: list[KnownDifference] | None = None) -> Summary:
    ps = policies or load_policies(use_cache=False)
    kd = known if known is not None else load_known_differences()
    comparisons = []
    for r in records:
        c = compare(r, ps, kd)
        if c.verdict_agrees is None:
            _ENV_NOTES[c.id] = r["libvirt"].get("note") or "?"
        comparisons.append(c)
    return Summary(comparisons, qemu_rules(ps), scope=rule_scopes(ps))
