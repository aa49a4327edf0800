"""miglint's own rules: about the input, not about libvirt (suppressions, what the shell reader skips).

They have ids like the policies' rules, so they can be disabled, given another severity, suppressed in
CI output and looked up; their findings are :class:`~miglint.model.Note`s rather than request findings.
"""

from __future__ import annotations

from typing import NamedTuple

from .model import Location, Note


class NoteRule(NamedTuple):
    id: str
    name: str
    severity: str
    summary: str
    why: str
    fix: str


NOTE_RULES: dict[str, NoteRule] = {r.id: r for r in (
    NoteRule("M001", "unused-suppression", "warning",
             "A suppression matches no finding.",
             "A suppression that no longer suppresses anything hides the next real finding on that line; "
             "it usually outlives a fixed command.",
             "Remove the suppression, or correct its rule id."),
    NoteRule("M002", "invalid-suppression", "warning",
             "A suppression comment or ignore entry is malformed, names an unknown rule or gives no reason.",
             "A misspelt directive suppresses nothing, and one without a reason cannot be reviewed.",
             "Write '# miglint: disable=RULE[,RULE] -- reason' (or disable-file=), with a known rule id or name."),
    NoteRule("M003", "heredoc-not-parsed", "info",
             "A here-document's body is not read.",
             "miglint reads commands, not the text a command is fed: 'virsh <<EOF ... EOF' or a script "
             "written with cat <<EOF is not checked.",
             "Put migrations on virsh's command line, or check the generated text separately."),
    NoteRule("M004", "directory-loop", "warning",
             "A directory was reached again through a symbolic link and not walked twice.",
             "A symbolic link that points back up the tree would make the walk endless.",
             "Exclude the link, or point miglint at the real directory."),
    NoteRule("M005", "no-domain-xml", "info",
             "A request names a domain that no --domain-xml file describes.",
             "Domain XML is matched to requests by the domain's name or UUID; a request for another domain is "
             "checked without the facts of its disks, so rules about them are skipped.",
             "Give the domain's XML too (virsh dumpxml DOMAIN > DOMAIN.xml; --domain-xml DOMAIN.xml), or correct "
             "the domain name."),
    NoteRule("M006", "duplicate-id", "error",
             "Two entries of a plan have the same id.",
             "Results, suppressions and reports name a request by its id: with two, a finding or an ignore can be "
             "read for the wrong migration, and a tool that joins results by id loses one.",
             "Give every entry its own id."),
    NoteRule("M007", "input-error", "error",
             "miglint could not read an input: a file, an entry, a value it does not understand.",
             "What is not read is not checked: the migrations it holds are neither accepted nor refused.",
             "Correct the input at the position given (the message says what is expected there)."),
    NoteRule("M008", "string-not-read", "info",
             "A command string another program runs was not read.",
             "miglint reads the strings ssh, sh -c, bash -c, su -c, virsh and the like run, and the strings "
             "those run in turn, a few levels deep; a string nested deeper, or one that does not parse as "
             "shell, is not checked.",
             "Run the migration with fewer levels of quoting (a script on the remote host), or check the "
             "string separately."),
)}


def make_note(rule: str, message: str, location: Location | None = None, file: str | None = None) -> Note:
    r = NOTE_RULES[rule]
    if location is not None:
        return Note(r.id, r.name, r.severity, message, location.file, location.line, location.column)
    return Note(r.id, r.name, r.severity, message, file)
