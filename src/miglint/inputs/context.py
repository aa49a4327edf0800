"""What miglint knows about the hosts and domains beyond the request itself, and how it is added to each job.

Sources, most specific first (a fact already on the request is never replaced):

1. the request's own facts (a plan entry's ``facts``, ``host``, ``qemu_version``, ``domain_xml``);
2. the command line: ``--fact NAME=VALUE``, ``--host-fact KEY=VALUE`` (``host.KEY``), ``--qemu-version``;
3. ``--domain-xml FILE``: for requests naming that domain (by name or UUID);
4. ``--connect URI``: what the host says about the named domain (state, snapshots, XML, ...).

A domain's XML (``domain.xml``, an internal fact) becomes the ``domain.*`` facts here, once the host facts
that say where file disks live (``host.shared_paths``, ``host.cluster_paths``) are known; without them, a
local connection's own view of the filesystems decides, and otherwise a file disk's storage is unknown.
Pure apart from the ``live`` object, which does the I/O.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any, NamedTuple, Protocol

from ..errors import UserError
from ..model import FactValue, Job, Note
from ..notes import make_note
from ..policy.values import dotted_version
from ..policy.vocabulary import VERSION_TEXT, FactDef, Vocabulary
from . import domainxml
from .domainxml import XML_FACT

_INT = re.compile(r"^[+-]?\d+$")


class LiveDomain(NamedTuple):
    """What a host says about one domain."""

    state: str  # running | paused | shutoff
    facts: tuple[tuple[str, FactValue], ...]  # domain.snapshots, domain.persistent, domain.xml, ...


class LiveHost(Protocol):
    """A read-only view of a libvirt host (miglint.live.LibvirtHost, or a test's stand-in)."""

    uri: str
    facts: dict[str, FactValue]  # about the host: qemu.version, ...

    def domain(self, name: str) -> LiveDomain: ...

    def storage(self, path: str) -> str | None: ...

    @property
    def local(self) -> bool: ...


class DomainXML(NamedTuple):
    where: str
    name: str | None
    uuid: str | None
    text: str


class Context(NamedTuple):
    """Everything the command line adds to the requests of a run (see the module docstring)."""

    facts: tuple[tuple[str, FactValue], ...] = ()
    domain_xml: tuple[DomainXML, ...] = ()
    live: LiveHost | None = None
    # With --connect, the state for domains the host does not describe (the command line's or configuration's).
    state: str | None = None

    def __bool__(self) -> bool:
        return bool(self.facts or self.domain_xml or self.live is not None)

    def apply(self, job: Job) -> tuple[Job, list[Note]]:
        """The job with the context's facts added (the request's own win), and notes about what did not fit."""
        req = job.request
        facts: dict[str, Any] = dict(req.facts)
        notes: list[Note] = []
        for k, v in self.facts:
            facts.setdefault(k, v)
        state = req.state
        if XML_FACT not in facts and req.domain is not None and self.domain_xml:
            match = [d for d in self.domain_xml if req.domain in (d.name, d.uuid)]
            if match:
                facts[XML_FACT] = match[0].text
            elif self.live is None:
                names = ", ".join(sorted({d.name or d.where for d in self.domain_xml}))
                notes.append(make_note("M005", f"no --domain-xml describes domain {req.domain!r} (given: {names})",
                                       job.location))
        if self.live is not None and req.domain is not None:
            try:
                seen = self.live.domain(req.domain)
            except UserError as e:
                if e.where is None and job.location is not None:
                    e.where = f"{job.location.file}:{job.location.line}:{job.location.column}"
                raise
            for k, v in seen.facts:
                facts.setdefault(k, v)
            if state == "unknown":
                state = seen.state
        if self.live is not None:
            for k, v in self.live.facts.items():
                facts.setdefault(k, v)
        if state == "unknown" and self.state is not None:
            state = self.state
        xml = facts.pop(XML_FACT, None)
        if isinstance(xml, str):
            storage = domainxml.host_storage(facts)
            if storage is None and self.live is not None and self.live.local:
                storage = self.live.storage
            where = job.location.file if job.location is not None else "<domain XML>"
            for k, v in domainxml.facts(domainxml.domain_info(xml, where), storage).items():
                facts.setdefault(k, v)
        new_facts = tuple(sorted(facts.items()))
        if new_facts == req.facts and state == req.state:
            return job, notes
        return replace(job, request=replace(req, facts=new_facts, state=state)), notes


# -- command-line values ------------------------------------------------------------------------------


def typed_value(fact: FactDef, text: str, option: str) -> FactValue:
    """A value given on the command line, read as the fact's type: integers, true/false (yes/no, on/off),
    comma-separated lists, strings and versions as they are."""
    t = text.strip()
    if fact.type == "boolean":
        if t.lower() in ("true", "yes", "on", "1"):
            return True
        if t.lower() in ("false", "no", "off", "0"):
            return False
    elif fact.type == "integer":
        if _INT.match(t):
            return int(t)
    elif fact.type == "list":
        return tuple(x.strip() for x in t.split(",") if x.strip())
    elif fact.type == "version":
        if VERSION_TEXT.match(t):
            return t
    elif t:
        return t
    raise UserError(f"{option} {fact.name}={text!r:.60}: takes {fact.type_words}")


def parse_assignments(vocab: Vocabulary, items: Iterable[str], option: str, prefix: str = "") -> dict[str, FactValue]:
    """``NAME=VALUE`` words (``--fact domain.snapshots=2``, ``--host-fact migrate_tls_force=true``) -> facts."""
    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            example = "migrate_tls_force=true" if prefix else "domain.snapshots=2"
            raise UserError(f"{option} takes NAME=VALUE (e.g. {option} {example}), got {item!r}")
        try:
            fact = vocab.fact(prefix + name.strip(), name.strip() if prefix else None)
        except UserError as e:
            raise UserError(f"{option}: {e.message}") from None
        out[fact.name] = typed_value(fact, value, option)
    return out


def read_domain_xml(paths: Sequence[str]) -> tuple[DomainXML, ...]:
    """``--domain-xml FILE`` (``-`` for stdin): read and checked now, so a bad file stops the run early."""
    out = []
    for p in paths:
        text = domainxml.read_text(p, sys.stdin.read if p == "-" else None)
        info = domainxml.domain_info(text, p)
        if info.name is None and info.uuid is None:
            raise UserError("the domain XML has no <name> or <uuid> to match requests with", p)
        out.append(DomainXML(p, info.name, info.uuid, text))
    return tuple(out)


def make_context(vocab: Vocabulary, *, facts: Sequence[str] = (), host_facts: Sequence[str] = (), qemu_version: str | None = None,
                 domain_xml: Sequence[str] = (), live: LiveHost | None = None, state: str | None = None) -> Context:
    """The command line's context options -> a Context (files are read and checked now, so a bad one stops
    the run early). ``live`` is an open host (``--connect``); ``state``, with it, is the state for domains
    the host does not describe."""
    given = parse_assignments(vocab, facts, "--fact")
    given.update(parse_assignments(vocab, host_facts, "--host-fact", "host."))
    if qemu_version is not None:
        given["qemu.version"] = check_qemu_version(qemu_version)
    return Context(facts=tuple(sorted(given.items())), domain_xml=read_domain_xml(domain_xml), live=live,
                   state=state if live is not None else None)


def check_qemu_version(text: str) -> str:
    if dotted_version(text) is None or not VERSION_TEXT.match(text):
        raise UserError(f"invalid QEMU version {text!r}: expected MAJOR.MINOR[.MICRO], e.g. 7.2.0")
    return text.strip()
