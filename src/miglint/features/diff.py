"""`miglint diff`: how hypervisors (or libvirt versions of one) differ, flag by flag and parameter by parameter.

A column is a policy at a libvirt version (``qemu``, ``vz-2015``, ``qemu@9.0.0``). A row is shown when the
columns differ in support (accepted, ignored, refused, unknown), default, or in when the flag is required
or forbidden. Constraints every column shares (most virsh and libvirt layer rules) are left out of the
cells, so what remains is the difference. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from ..engine.evaluate import Evaluator
from ..errors import UserError
from ..policy.load import PolicySet
from ..version import Version, format_version
from .capabilities import Analysis, Constraint, FlagRow, ParamRow

STATUS = {"honoured": "accepted", "ignored": "ignored", "refused": "refused", "unsure": "unknown"}


class Column(NamedTuple):
    spec: str
    hypervisor: str
    version: Version


class DiffRow(NamedTuple):
    kind: str  # flag | param
    name: str
    option: str | None
    cells: tuple[str, ...]
    differs: bool


def parse_column(policies: PolicySet, spec: str) -> Column:
    name, at, ver = spec.partition("@")
    if not name:
        raise UserError(f"invalid column {spec!r}: use NAME or NAME@VERSION (qemu@9.0.0)")
    policies.driver(name)
    version = policies.vocab.version(ver if at else None)
    return Column(f"{name}@{format_version(version)}", name, version)


def _constraints(items: Sequence[Constraint], label: str) -> list[tuple[str, str, str]]:
    return [(label, c.rule, c.condition) for c in items]


def _flag_key(row: FlagRow) -> tuple[str, str, frozenset[tuple[str, str, str]]]:
    cons = _constraints(row.required, "required") + _constraints(row.forbidden, "forbidden") + \
        _constraints(row.ignored, "ignored")
    return STATUS.get(row.when_set, row.when_set), row.default, frozenset(cons)


def _param_key(row: ParamRow) -> tuple[str, str, frozenset[tuple[str, str, str]]]:
    status = STATUS.get(row.when_set, row.when_set)
    cons = _constraints(row.forbidden, "forbidden") + _constraints(row.ignored, "ignored")
    return status, "", frozenset(cons)


def _cell(key: tuple[str, str, frozenset[tuple[str, str, str]]], common: frozenset[tuple[str, str, str]]) -> str:
    status, default, cons = key
    text = status + (f", default {default}" if default else "")
    for label, rule, cond in sorted(cons - common, key=lambda c: (("required", "forbidden", "ignored").index(c[0]), c[1])):
        text += f"\n{label}: {cond} ({rule})"
    return text


def diff(policies: PolicySet, columns: Sequence[Column], show_all: bool = False) -> list[DiffRow]:
    if len(columns) < 2:
        raise UserError("give two or more policies to compare, e.g. 'miglint diff qemu vz' or 'qemu@9.0.0 qemu@11.3.0'")
    evaluator = Evaluator(policies)
    analyses = [Analysis(policies, c.hypervisor, c.version, evaluator) for c in columns]
    vocab = policies.vocab
    rows: list[DiffRow] = []
    flag_rows = [{r.flag: r for r in a.flag_rows()} for a in analyses]
    for f in sorted(vocab.flags.values(), key=lambda f: f.bit):
        keys = [_flag_key(fr[f.name]) for fr in flag_rows]
        rows.append(_row("flag", f.name, vocab.option_for_flag.get(f.name), keys, show_all))
    param_rows = [{r.key: r for r in a.param_rows()} for a in analyses]
    for k in vocab.params:
        keys = [_param_key(pr[k]) for pr in param_rows]
        rows.append(_row("param", k, vocab.option_for_param.get(k), keys, show_all))
    return [r for r in rows if r.differs or show_all]


def _row(kind: str, name: str, option: str | None, keys: list[tuple[str, str, frozenset[tuple[str, str, str]]]],
         show_all: bool) -> DiffRow:
    common = frozenset.intersection(*(k[2] for k in keys))
    shown = [(k[0], k[1], k[2] - common) for k in keys]
    differs = len(set(shown)) > 1
    return DiffRow(kind, name, option, tuple(_cell(k, common) for k in keys), differs)
