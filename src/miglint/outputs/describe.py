"""A fix in words, the same in every output (text, JSON, SARIF, GitHub, JUnit, explain, fix)."""

from __future__ import annotations

from ..engine.fixes import FixPlan
from ..model import Fix
from ..policy.vocabulary import Vocabulary


def fix_words(fix: Fix, vocab: Vocabulary) -> str:
    """What a finding's fix does, in the words of the input: its own text, else the options (or flags and
    parameters) it adds and removes. Every output says a fix with these words."""
    if fix.text:
        return fix.text
    parts = []
    for flag in fix.add_flags:
        opt = vocab.option_for_flag.get(flag)
        parts.append(f"add --{opt}" if opt else f"add VIR_MIGRATE_{flag}")
    for flag in fix.remove_flags:
        opt = vocab.option_for_flag.get(flag)
        parts.append(f"remove --{opt}" if opt else f"remove VIR_MIGRATE_{flag}")
    parts += [f"add --{o}" for o in fix.add_options] + [f"remove --{o}" for o in fix.remove_options]
    for key in fix.remove_params:
        opt = vocab.option_for_param.get(key)
        parts.append(f"remove --{opt} ({key})" if opt else f"remove parameter {key}")
    for key, value in fix.set_params:
        opt = vocab.option_for_param.get(key)
        shown = ",".join(map(str, value)) if isinstance(value, (list, tuple)) else value
        parts.append(f"set --{opt} {shown}" if opt else f"set parameter {key} to {shown}")
    return "; ".join(parts)


def plan_words(plan: FixPlan) -> str:
    """What a combined fix (several findings' fixes) changes."""
    parts = [f"add --{o}" for o in plan.add_options] + [f"remove --{o}" for o in plan.remove_options]
    if not plan.request.options:
        parts = [f"add VIR_MIGRATE_{x}" for x in plan.add_flags] + [f"remove VIR_MIGRATE_{x}" for x in plan.remove_flags]
        parts += [f"remove parameter {k}" for k in plan.remove_params]
    parts += [f"set {k}" for k, _ in plan.set_params if not plan.request.options]
    return ", ".join(parts) or "no change"
