"""miglint's answer for a conformance case, and its comparison with libvirt's.

miglint is asked at the recording's libvirt version (7.0.0, 9.0.0, 11.3.0 or 12.8.0) and gets what the harness knows about its
test domain and hosts as facts (FACTS; qemu.version is the QEMU the oracle ran, from the recording's header),
the domain name and the destination URI, through the public API (miglint.api). The comparison is fixed:
  * verdicts must agree (accepted / rejected; environment failures are excluded). A daemon that died on the
    request (verdict ``crash``) agrees only with a rejection whose first error is a rule with
    ``aftermath: daemon-crash`` (and ``effect: fail``): miglint's way of saying "this request kills libvirtd";
  * on rejection miglint's first error must read like libvirt's message after normalising what belongs to one
    run of the environment (harness.normalise). A message difference is allowed only when
    known-differences.yaml lists it for that libvirt version, with the reason;
  * a migration job the request left behind (the oracle's ``job_left``) must be announced by a rule with
    ``aftermath: job-left``, and such a rule may fire only when libvirt left one.
"""

from __future__ import annotations

import collections
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from miglint import api
from miglint.engine.evaluate import Evaluator
from miglint.inputs.context import Context
from miglint.inputs.domainxml import XML_FACT
from miglint.inputs.request import make_request
from miglint.model import Job
from miglint.policy.load import PolicySet, load_policies

from .harness import normalise
from .oracle import DAEMONS
from .oracle import domain_xml as oracle_domain_xml

HERE = Path(__file__).resolve().parent
KNOWN_DIFFERENCES = HERE / "known-differences.yaml"
SUMMARY_FILE = HERE / "last-summary.txt"  # not committed (.gitignore)
LIBVIRT_VERSION = "9.0.0"  # the default target
HYPERVISOR = "qemu"
# Rule keys (aftermath) that say what a request leaves behind, and the oracle's observation of it.
CRASH = "daemon-crash"
JOB_LEFT = "job-left"
DOMAINS = {"running": "mlc-run", "paused": "mlc-run", "shutoff": "mlc-off"}
# Stand-ins for the run's paths (a unix-socket destination URI, like the real one).
SRC_URI = "qemu+unix:///system?socket=/run/miglint-conformance/src/libvirt-sock"
DEST_SOCK = "/run/miglint-conformance/dst/libvirt-sock"
DEST_URI = f"qemu+unix:///system?socket={DEST_SOCK}"
DOMXML_FILE = "/run/miglint-conformance/domain.xml"
# What the harness knows about its domains and hosts (oracle.py: DOMAIN_XML, qemu.conf, the daemons' host_uuid).
FACTS: dict[str, Any] = {
    "host.uuid": DAEMONS["src"],
    "dest.host_uuid": DAEMONS["dst"],
    "domain.snapshots": 0,
    "domain.disk_targets": [],
    "domain.writable_disks": [],
    "domain.local_disks": [],
    "domain.cache_unsafe_disks": [],
    "domain.postcopy_failed": False,
    "domain.memory_hard_limit": 0,
    "domain.paused_reason": "user",
    "host.migrate_tls_force": False,
}


# Domains miglint is told about by their XML, as a plan's domain_xml or --domain-xml tells it (the domain.* facts
# come from the XML, where files live from host.shared_paths when the case says the storage is known).
XML_DOMAINS = ("mlc-disk",)


def virsh_command(case: dict[str, Any]) -> str:
    """The case's virsh command line, as miglint reads it (placeholders filled with the stand-ins)."""
    subst = {"{dom}": domain_of(case), "{dest}": DEST_URI, "{domxml}": DOMXML_FILE, "{src}": SRC_URI,
             "{dstsock}": DEST_SOCK}

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


def facts_of(case: dict[str, Any], qemu_version: str | None = None) -> dict[str, Any]:
    """The facts miglint is given for a case: the harness's, its domain's (for XML_DOMAINS the XML itself, and
    host.shared_paths when the case says the storage is known: "storage": "local"), the destination's host UUID
    (the source's own when the case migrates to the source daemon, "{src}"), less those the case asks miglint
    to do without ("unknown_facts", as a request that does not give them)."""
    dom = domain_of(case)
    facts = {**FACTS, **DOMAIN_FACTS.get(dom, {})}
    if dom in XML_DOMAINS:
        for k in [k for k in facts if k.startswith("domain.") and k in XML_GIVES]:
            del facts[k]
        facts[XML_FACT] = oracle_domain_xml(dom)
        if case.get("storage") == "local":
            facts["host.shared_paths"] = []
    if "{src}" in (case.get("dest_uri") or "") or "{src}" in case.get("virsh", []):
        facts["dest.host_uuid"] = DAEMONS["src"]
    for k in case.get("unknown_facts", []):
        facts.pop(k, None)
    if qemu_version:
        facts["qemu.version"] = qemu_version
    return facts


# The domain.* facts a domain's XML gives (inputs/domainxml.py).
XML_GIVES = ("domain.disk_targets", "domain.local_disks", "domain.cache_unsafe_disks", "domain.memory_hard_limit",
             "domain.shareable_local_disks", "domain.writable_disks", "domain.hostdevs")
_EVALUATORS: dict[int, Evaluator] = {}


def _evaluate(policies: PolicySet, job: Job) -> Any:
    """A job through the context (domain XML -> facts), as `miglint check` takes it, then evaluated."""
    ev = _EVALUATORS.get(id(policies))
    if ev is None or ev.policies is not policies:
        ev = _EVALUATORS[id(policies)] = Evaluator(policies)
    job, _ = Context().apply(job)
    return ev(job.request)


def predict(case: dict[str, Any], policies: PolicySet, libvirt_version: str = LIBVIRT_VERSION,
            qemu_version: str | None = None) -> Any:
    """miglint's Result for the case, asked at this libvirt version (and QEMU version, when known)."""
    state = case["state"]
    facts = facts_of(case, qemu_version)
    if "virsh" in case:
        job, result = api.check_command_job(virsh_command(case), hypervisor=HYPERVISOR, state=state,
                                            libvirt_version=libvirt_version, facts=facts, policies=policies,
                                            job_id=case["id"])
        return _evaluate(policies, job) if XML_FACT in facts else result
    names = [f for f in case.get("flags", []) if not f.startswith("0x")]
    flags = policies.vocab.flags_value(names) | sum(int(f, 16) for f in case.get("flags", []) if f.startswith("0x"))
    desturi = str(case.get("dest_uri", DEST_URI)).replace("{src}", SRC_URI).replace("{dstsock}", DEST_SOCK)
    if XML_FACT in facts:
        request = make_request(policies, hypervisor=HYPERVISOR, state=state, flags=flags, params=case.get("params"),
                               libvirt_version=libvirt_version, mode=case["api"], facts=facts,
                               domain=domain_of(case), desturi=desturi)
        return _evaluate(policies, Job(id=case["id"], request=request))
    return api.check_request(HYPERVISOR, state=state, flags=flags, params=case.get("params"),
                             libvirt_version=libvirt_version, mode=case["api"], facts=facts,
                             domain=domain_of(case), desturi=desturi, policies=policies)


def aftermath(policies: PolicySet, rule: str | None) -> str | None:
    return None if rule is None else policies.rules[rule].doc.get("aftermath")


@dataclass
class KnownDifference:
    rule: str
    reason: str
    libvirt: str | None = None  # a substring of libvirt's message, when only some messages differ
    varies: bool = False  # libvirt's own message changes from run to run
    versions: tuple[str, ...] = ()  # the libvirt versions it is about (empty: all)
    used: int = 0


def load_known_differences(path: Path = KNOWN_DIFFERENCES, version: str | None = None) -> list[KnownDifference]:
    """The reviewed differences; with a version, only those about it."""
    doc = yaml.safe_load(path.read_text()) or {}
    out = []
    for entry in doc.get("differences", []):
        versions = entry.get("versions") or []
        kd = KnownDifference(rule=str(entry["rule"]), reason=str(entry["reason"]).strip(),
                             libvirt=entry.get("libvirt"), varies=bool(entry.get("varies", False)),
                             versions=tuple(str(v) for v in versions))
        if version is None or not kd.versions or version in kd.versions:
            out.append(kd)
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
    note: str | None = None  # libvirt's note (why an environment failure is one)
    job_left: bool = False  # libvirt left the domain's migration job behind
    job_rules: tuple[str, ...] = ()  # miglint's rules that say so (aftermath: job-left)

    @property
    def job_agrees(self) -> bool:
        return self.job_left == bool(self.job_rules)


def compare(record: dict[str, Any], policies: PolicySet, known: list[KnownDifference],
            libvirt_version: str = LIBVIRT_VERSION, qemu_version: str | None = None) -> Comparison:
    case = {"id": record["id"], **record["case"]}
    lv = record["libvirt"]
    result = predict(case, policies, libvirt_version, qemu_version)
    first = result.first_error
    verdict = lv["verdict"]
    fired = tuple(f.rule for f in result.findings)
    cmp = Comparison(id=case["id"], kind="virsh" if "virsh" in case else "api", libvirt_verdict=verdict,
                     prediction=result.prediction, rule=first.rule if first else None,
                     libvirt_message=lv.get("message"), miglint_message=first.message if first else None,
                     verdict_agrees=None, message_agrees=None, fired=fired, note=lv.get("note"),
                     job_left=bool(lv.get("job_left")),
                     job_rules=tuple(f.rule for f in result.findings
                                     if not f.depends_on and aftermath(policies, f.rule) == JOB_LEFT))
    if verdict == "env":
        return cmp
    if verdict == "crash":
        cmp.verdict_agrees = (result.prediction == "rejected" and first is not None and first.effect == "fail"
                              and aftermath(policies, first.rule) == CRASH)
        return cmp
    cmp.verdict_agrees = verdict == result.prediction and aftermath(policies, cmp.rule) != CRASH
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
    version: str = LIBVIRT_VERSION
    qemu_version: str | None = None

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

    @property
    def job_disagreements(self) -> list[Comparison]:
        return [c for c in self.comparisons if c.verdict_agrees is not None and not c.job_agrees]

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
        first = collections.Counter(c.rule for c in cs if c.libvirt_verdict in ("rejected", "crash")
                                    and c.verdict_agrees and c.rule)
        fired = {r for c in cs for r in c.fired}
        crashes = [c for c in cs if c.libvirt_verdict == "crash"]
        jobs = [c for c in cs if c.job_left]
        lines = [f"== {self.title} ==",
                 f"cases: {len(cs)} ({kinds['api']} API, {kinds['virsh']} virsh); libvirt: "
                 f"{by_verdict['accepted']} accepted, {by_verdict['rejected']} rejected, {len(crashes)} daemon crashes, "
                 f"{by_verdict['env']} environment failures",
                 f"verdict agreement: {agree}/{len(decided)} ({_pct(agree, len(decided))})",
                 f"message agreement (both rejected): {len(msg_same)}/{len(both)} ({_pct(len(msg_same), len(both))}),"
                 f" {len(msg_known)} known differences, {len(self.unexplained_messages)} unexplained",
                 f"daemon crashes: {len(crashes)} (predicted by "
                 f"{', '.join(sorted({c.rule for c in crashes if c.verdict_agrees and c.rule})) or '-'}: "
                 f"{sum(1 for c in crashes if c.verdict_agrees)})",
                 f"migration job left behind: {len(jobs)}; announced by miglint: "
                 f"{sum(1 for c in jobs if c.job_rules)}; job rule without a job left: "
                 f"{sum(1 for c in cs if c.job_rules and not c.job_left)}",
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
        for c in self.job_disagreements[:50]:
            lines.append(f"JOB {c.id}: libvirt left a job: {c.job_left}; miglint: {' '.join(c.job_rules) or '-'}")
        lines += self.extra
        return "\n".join(lines) + "\n"


# Summaries made during a test session, printed by conftest.py at the end ("replay 9.0.0", "live 11.3.0", ...).
REPORTS: dict[str, Any] = {}


def env_note(c: Comparison) -> str:
    return c.note or c.libvirt_message or "?"


def _pct(a: int, b: int) -> str:
    return f"{100.0 * a / b:.1f}%" if b else "n/a"


def qemu_rules(policies: PolicySet) -> list[str]:
    """Every rule of the qemu policy (with its layers), once."""
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
    "Q034": "needs a domain with a local disk and a QEMU older than 4.2",
    "Q035": "needs a domain with a shareable disk on local storage",
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


def rule_scopes(policies: PolicySet, libvirt_version: str = LIBVIRT_VERSION,
                qemu_version: str | None = None) -> dict[str, str]:
    """Why a rule of the qemu policy can never be this libvirt's first error here (when it cannot)."""
    from miglint.policy.values import dotted_version
    from miglint.version import VersionRange, parse_version

    v = parse_version(libvirt_version)
    qv = dotted_version(qemu_version) if qemu_version else None
    driver = policies.driver(HYPERVISOR)
    features = driver.view(v).features
    out: dict[str, str] = {}
    for rid in qemu_rules(policies):
        rule = policies.rules[rid]
        when = rule.doc.get("when") or {}
        if rule.effect not in ("reject", "fail"):
            out[rid] = "warnings (libvirt accepts; never an error)"
        elif "libvirt" in when and not any(v in VersionRange(str(r)) for r in _as_list(when["libvirt"])) and not (
                any(v in VersionRange(str(r)) for r in _as_list(when.get("libvirt_unsure")))):
            out[rid] = "other libvirt versions only"
        elif "qemu" in when and qv is not None and not any(
                qv[:3] in VersionRange(str(r)) for r in _as_list(when["qemu"])) and not any(
                qv[:3] in VersionRange(str(u)) for u in _as_list(when.get("qemu_unsure"))):
            out[rid] = f"other QEMU versions only (this test bed has QEMU {qemu_version})"
        elif any(policies.vocab.params[policies.vocab.param_key(k)].since > v for k in _params_named(when)):
            out[rid] = f"parameters newer than {libvirt_version} only (refused as unknown first)"
        elif when.get("params_outside") == "accepted" and all(p.since <= v for p in policies.vocab.params.values()):
            out[rid] = f"parameters libvirt {libvirt_version} does not know (it knows every one miglint does)"
        elif any(features.get(k, False) != bool(b) for k, b in (when.get("feature") or {}).items()):
            out[rid] = "drivers without this feature only"
        elif rid in NOT_EXERCISABLE:
            out[rid] = NOT_EXERCISABLE[rid]
    return out


def _as_list(x: Any) -> list[Any]:
    return [] if x is None else x if isinstance(x, list) else [x]


def compare_all(records: list[dict[str, Any]], policies: PolicySet | None = None,
                known: list[KnownDifference] | None = None, libvirt_version: str = LIBVIRT_VERSION,
                qemu_version: str | None = None) -> Summary:
    ps = policies or load_policies(use_cache=False)
    kd = known if known is not None else load_known_differences(version=libvirt_version)
    comparisons = [compare(r, ps, kd, libvirt_version, qemu_version) for r in records]
    return Summary(comparisons, qemu_rules(ps), scope=rule_scopes(ps, libvirt_version, qemu_version),
                   title=f"miglint vs libvirt {libvirt_version} (qemu; QEMU {qemu_version or '?'})",
                   version=libvirt_version, qemu_version=qemu_version)
