"""Shell scripts -> jobs: every form of `virsh ... migrate ...` a runbook uses, with positions, unknown parts
turning into "depends", here-documents said once, and suppressions."""

from __future__ import annotations

import textwrap

import pytest

from miglint.errors import UserError
from miglint.inputs.script import script_jobs
from miglint.inputs.shell import scan
from miglint.model import Job, Note, Suppression
from miglint.settings import Defaults


def items(policies, text, **defaults):
    return list(script_jobs(textwrap.dedent(text), "s.sh", policies, Defaults(**defaults)))


def jobs(policies, text, **defaults):
    out = items(policies, text, **defaults)
    errors = [i for i in out if isinstance(i, UserError)]
    assert not errors, errors
    return [i for i in out if isinstance(i, Job)]


FOUND = [
    ("virsh migrate --live d qemu+ssh://h/system", 1, 1),
    ("sudo -u root virsh migrate --live d qemu+ssh://h/system", 1, 14),
    ("env LANG=C virsh migrate --live d qemu+ssh://h/system", 1, 12),
    ("LANG=C /usr/bin/virsh migrate --live d qemu+ssh://h/system", 1, 8),
    ("virsh -c qemu:///system migrate --live d qemu+ssh://h/system", 1, 1),
    ("virsh --connect=qemu:///system -q migrate --live d qemu+ssh://h/system", 1, 1),
    ("true && virsh migrate --live d qemu+ssh://h/system || echo failed", 1, 9),
    ("echo start; virsh migrate --live d qemu+ssh://h/system; echo done", 1, 13),
    ("virsh migrate --live d qemu+ssh://h/system 2>&1 | tee -a log", 1, 1),
    ("if ! virsh migrate --live d qemu+ssh://h/system; then exit 1; fi", 1, 6),
    ("for d in a b; do virsh migrate --live $d qemu+ssh://h/system; done", 1, 18),  # one job per value of d
    ("{ virsh migrate --live d qemu+ssh://h/system; } >log", 1, 3),
    ("( virsh migrate --live d qemu+ssh://h/system )", 1, 3),
    ("out=$(virsh migrate --live d qemu+ssh://h/system)", 1, 7),
    ("out=`virsh migrate --live d qemu+ssh://h/system`", 1, 6),
    ("time nice -n 5 timeout 600 virsh migrate --live d qemu+ssh://h/system", 1, 28),
    ("retry 3 virsh migrate --live d qemu+ssh://h/system", 1, 9),
    ("$SUDO virsh migrate --live d qemu+ssh://h/system", 1, 7),
    ("ssh -i key root@src virsh migrate --live d qemu+ssh://h/system", 1, 21),
    ("ssh root@src 'virsh migrate --live d qemu+ssh://h/system'", 1, 15),
    ('bash -c "virsh migrate --live d qemu+ssh://h/system"', 1, 10),
    ("virsh migrate \\\n  --live \\\n  d qemu+ssh://h/system", 1, 1),
    ("true;  virsh migrate --live d qemu+ssh://h/system  # trailing comment", 1, 8),
    # strings run inside strings
    ("ssh kvm1 \"bash -c 'virsh migrate --live d qemu+ssh://h/system'\"", 1, 20),
    ("ssh h \"sh -c 'virsh migrate --live d qemu+ssh://h/system'\"", 1, 15),
    ("bash -c \"ssh h 'virsh migrate --live d qemu+ssh://h/system'\"", 1, 17),
    ("ssh h \"ssh h2 'virsh migrate --live d qemu+ssh://h/system'\"", 1, 16),
    ("bash -c 'bash -c \"virsh migrate --live d qemu+ssh://h/system\"'", 1, 19),
    # programs that run a command string
    ("tmux new-session -d -s mig \"virsh migrate --live d qemu+ssh://h/system\"", 1, 29),
    ("script -qc \"virsh migrate --live d qemu+ssh://h/system\" /dev/null", 1, 13),
    ("watch -n 5 'virsh migrate --live d qemu+ssh://h/system'", 1, 13),
    # virsh's own command string (vshParseArgv: one argument after the global options)
    ("virsh -c qemu:///system \"migrate --live d qemu+ssh://h/system\"", 1, 1),
    ("virsh 'migrate --live d qemu+ssh://h/system'", 1, 1),
]


@pytest.mark.parametrize("text,line,column", FOUND)
def test_every_form_is_found(policies, text, line, column):
    found = jobs(policies, text, state="running")
    assert len(found) == (2 if text.startswith("for d in a b") else 1), text
    assert {(j.location.line, j.location.column) for j in found} == {(line, column)}
    assert {j.request.hypervisor for j in found} == {"qemu"}


@pytest.mark.parametrize("text", [
    "echo virsh migrate --live d qemu+ssh://h/system",
    "printf '%s\\n' 'virsh migrate --live d qemu+ssh://h/system'",
    "grep 'virsh migrate' log",
    "# virsh migrate --live d qemu+ssh://h/system",
    "virsh list --all",
    "virsh domstate migrate",
    "man virsh",
    "logger virsh migrate --live d qemu+ssh://h/system",
])
def test_text_that_only_mentions_migrate_is_not_a_migration(policies, text):
    assert jobs(policies, text) == []


def test_options_of_a_multiline_command_keep_their_lines(policies, evaluator):
    from miglint.outputs.reporters.json import location_of

    found = jobs(policies, """\
        #!/bin/sh
        virsh migrate --live \\
              --offline \\
              dom qemu+ssh://h/system
        """, state="running")
    result = evaluator(found[0].request)
    assert found[0].location[1:] == (2, 1)
    locs = {f.rule: location_of(found[0], f)[1:] for f in result.findings}
    assert locs["Q053"] == (3, 7), "the finding points at --offline"


def test_expansions_make_findings_depend(policies, evaluator):
    found = jobs(policies, 'virsh migrate --offline "$DOM" qemu+ssh://h/system $EXTRA_OPTS\n', state="shutoff")
    result = evaluator(found[0].request)
    assert result.prediction == "depends"
    q053 = {f.rule: f for f in result.findings}["Q053"]
    assert q053.depends_on == ("options",)


def test_an_unknown_destination_is_never_an_input_error(policies):
    [job] = jobs(policies, 'virsh migrate --live "$DOM" "$DEST"\n')
    assert job.request.hypervisor == "qemu" and job.assumed[0].startswith("hypervisor qemu: ")
    [job] = jobs(policies, 'virsh migrate --live "$DOM" "$DEST"\n', hypervisor="vz")
    assert job.request.hypervisor == "vz" and job.assumed == ()


def test_a_written_out_scheme_names_the_driver_whatever_the_host(policies):
    [job] = jobs(policies, 'virsh migrate --live --persistent --undefinesource $VMS qemu+ssh://$PAIRHOST/system\n')
    assert job.request.hypervisor == "qemu" and job.assumed == ()
    [job] = jobs(policies, 'virsh migrate --live "$VM" "vz+ssh://${DEST}/system"\n', hypervisor="qemu")
    assert job.request.hypervisor == "vz"
    [job] = jobs(policies, 'virsh -c "xen://$SRC/" migrate --live "$VM" "$DEST"\n')
    assert job.request.hypervisor == "libxl"


def test_heredoc_is_said_once_per_file(policies):
    out = items(policies, """\
        cat <<EOF >/tmp/a
        virsh migrate --offline a qemu+ssh://h/system
        EOF
        virsh -c qemu:///system <<-'END'
        	migrate --offline b qemu+ssh://h/system
        	END
        virsh migrate --live c qemu+ssh://h/system
        """)
    notes = [i for i in out if isinstance(i, Note)]
    assert [(n.rule, n.line) for n in notes] == [("M003", 4)]
    assert "fed to virsh" in notes[0].message and "2 in this file" in notes[0].message
    assert [j.location.line for j in out if isinstance(j, Job)] == [7]


def test_unterminated_quote_is_an_input_error_not_a_crash(policies):
    out = items(policies, "virsh migrate --live 'd qemu+ssh://h/system\n")
    assert len(out) == 1 and isinstance(out[0], UserError) and "unterminated single quote" in out[0].message
    out = items(policies, "virsh migrate --live a qemu+ssh://h/system\nvirsh migrate --live \"b\n")
    assert [type(i) for i in out] == [UserError, Job], "what comes before the broken line is still checked"


def test_scanner_keeps_comments_and_end_lines():
    sc = scan("a \\\n b # one\n# two\nc\n")
    assert [(c.line, c.end_line) for c in sc.commands] == [(1, 2), (4, 4)]
    assert [(c.text, c.line, c.trailing) for c in sc.comments] == [(" one", 2, True), (" two", 3, False)]


def test_nested_substitutions_are_positioned():
    sc = scan('x="$(a $(b c))"\n')
    assert [(c.words[0].text, c.line, c.column, c.nested) for c in sc.commands] == [
        ('x=$(a $(b c))', 1, 1, False), ("a", 1, 6, True), ("b", 1, 10, True)]


def test_arithmetic_is_not_a_command():
    assert [c.words[0].text for c in scan("n=$((1 + 2))\n").commands] == ["n=$((1 + 2))"]


# -- suppressions ---------------------------------------------------------------------------------


def test_line_and_file_suppressions(policies):
    out = items(policies, """\
        # miglint: disable-file=M003 -- our heredocs are config files
        # miglint: disable=Q053 -- the definition is copied by hand afterwards
        # (a plain comment between is fine)
        virsh migrate --offline a qemu+ssh://h/system
        virsh migrate --offline b qemu+ssh://h/system  # miglint: disable=offline-needs-persistent -- ok
        virsh migrate --offline c qemu+ssh://h/system
        """, state="shutoff")
    found = {j.request.domain: j for j in out if isinstance(j, Job)}
    rules = {d: sorted(s.rule for s in j.suppressed) for d, j in found.items()}
    assert rules == {"a": ["M003", "Q053"], "b": ["M003", "Q053"], "c": ["M003"]}
    sups = [i for i in out if isinstance(i, Suppression)]
    assert [(s.rule, s.scope, s.location.line) for s in sups] == [
        ("M003", "file", 1), ("Q053", "line", 2), ("Q053", "line", 5)]
    assert sups[1].reason == "the definition is copied by hand afterwards"


@pytest.mark.parametrize("comment,message", [
    ("# miglint: disable=Q999 -- x", "unknown rule 'Q999'"),
    ("# miglint: disable=offline-needs-persistant -- x", "did you mean 'offline-needs-persistent'"),
    ("# miglint: disabel=Q053 -- x", "did you mean 'disable'"),
    ("# miglint: disable=Q053", "gives no reason"),
    ("# miglint: disable= -- x", "names no rule"),
    ("# miglint: ignore[Q053]", "gives no reason (add why after the ']')"),
    ("# miglint: ignore[] x", "'ignore[]' names no rule"),
    ("# miglint: ignor[Q053] x", "did you mean 'ignore'"),
    ("# miglint: ignore[Q999] x", "unknown rule 'Q999'"),
])
def test_bad_directives_are_notes(policies, comment, message):
    out = items(policies, comment + "\nvirsh migrate --offline a qemu+ssh://h/system\n")
    notes = [i for i in out if isinstance(i, Note)]
    assert len(notes) == 1 and notes[0].rule == "M002" and message in notes[0].message, notes


def test_the_bracket_form_suppresses_as_disable_does(policies):
    out = items(policies, """\
        # miglint: ignore[Q053] the definition is copied by hand afterwards
        virsh migrate --offline a qemu+ssh://h/system
        virsh migrate --offline b qemu+ssh://h/system  # miglint: ignore[offline-needs-persistent, M003]: ok
        virsh migrate --offline c qemu+ssh://h/system
        # miglint: ignore-file[M003] -- config files
        """, state="shutoff")
    found = {j.request.domain: sorted((s.rule, s.scope) for s in j.suppressed) for j in out if isinstance(j, Job)}
    assert found == {"a": [("M003", "file"), ("Q053", "line")], "b": [("M003", "file"), ("M003", "line"),
                                                                    ("Q053", "line")], "c": [("M003", "file")]}
    sups = [i for i in out if isinstance(i, Suppression)]
    assert [(s.rule, s.reason, s.location.line) for s in sups] == [
        ("Q053", "the definition is copied by hand afterwards", 1), ("Q053", "ok", 3), ("M003", "ok", 3),
        ("M003", "config files", 5)]
    assert not [i for i in out if isinstance(i, Note)]


# -- commands run through xargs and parallel ---------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "virsh list --name | xargs -r -n1 virsh migrate --live --p2p --desturi qemu+ssh://kvm2/system",
    "virsh list --name | xargs -n 1 virsh migrate --live --p2p --desturi qemu+ssh://kvm2/system",
    "virsh list --name | parallel -j4 virsh migrate --live --p2p --desturi qemu+ssh://kvm2/system",
    "virsh list --name | xargs -n1 -P4 virsh migrate --live --p2p --desturi qemu+ssh://kvm2/system --domain",
])
def test_xargs_and_parallel_add_one_word_the_run_knows(policies, text):
    (job,) = jobs(policies, text)
    assert not job.request.virsh_problems, "the domain is the word the input gives"
    assert job.request.domain is None  # not known here


@pytest.mark.parametrize("text", [
    "virsh list --name | xargs virsh migrate --live --p2p --desturi qemu+ssh://kvm2/system",
    "virsh list --name | parallel -X virsh migrate --live --p2p --desturi qemu+ssh://kvm2/system",
    "virsh list --name | xargs virsh migrate --live --p2p --desturi",
    "xargs -L1 virsh migrate --live --persistent < pairs.txt",  # every word of a line
    "xargs -L 1 virsh migrate --live --persistent < pairs.txt",
    "xargs -L 2 virsh migrate --live --persistent < pairs.txt",
    "xargs -l virsh migrate --live --persistent < pairs.txt",
    "xargs -l1 virsh migrate --live --persistent < pairs.txt",
])
def test_xargs_may_add_any_number_of_words(policies, text):
    (job,) = jobs(policies, text)
    kinds = {p.kind for p in job.request.virsh_problems}
    assert not kinds & {"missing_required", "unexpected_data"}, kinds


@pytest.mark.parametrize("text", [
    "virsh list --name | xargs -I% virsh migrate --live --p2p % qemu+ssh://kvm2/system",
    "virsh list --name | xargs -I {} virsh migrate --live --p2p {} qemu+ssh://kvm2/system",
    "virsh list --name | xargs --replace virsh migrate --live --p2p {} qemu+ssh://kvm2/system",
    "parallel virsh migrate --live --p2p {} qemu+ssh://kvm2/system ::: vm1 vm2",
    "parallel -I@@ virsh migrate --live --p2p @@ qemu+ssh://kvm2/system ::: vm1 vm2",
])
def test_a_replace_string_is_the_unknown_word(policies, text):
    (job,) = jobs(policies, text)
    assert not job.request.virsh_problems
    assert job.request.domain is None
    assert job.request.desturi == "qemu+ssh://kvm2/system"


def test_what_xargs_runs_is_still_checked(policies, evaluator):
    (job,) = jobs(policies, "virsh list --name | xargs -n1 virsh migrate --live --offline --desturi qemu+ssh://k/system")
    assert "V010" in {f.rule for f in evaluator(job.request).findings if not f.depends_on}


def test_a_string_through_xargs_takes_the_input_in_place_of_the_replace_string(policies):
    (job,) = jobs(policies, "virsh list --name | xargs -r -I% sh -c "
                            "'virsh migrate --live --p2p --tunnelled % qemu+ssh://kvm2/system'")
    assert job.request.domain is None and not job.request.virsh_problems


def test_virsh_reads_its_command_string_with_its_global_options(policies, evaluator):
    (job,) = jobs(policies, 'virsh -c vz:///system "migrate --live --compressed vm1 vz+ssh://kvm2/system"')
    assert job.request.hypervisor == "vz"
    (job,) = jobs(policies, 'virsh -c qemu:///system "migrate --live --offline vm1 qemu+ssh://kvm2/system"')
    assert "V010" in {f.rule for f in evaluator(job.request).findings if not f.depends_on}


def test_virsh_with_several_words_is_not_a_command_string(policies):
    assert jobs(policies, "virsh 'migrate --live' d qemu+ssh://h/system") == []


def _notes(policies, text):
    return [i for i in items(policies, text) if isinstance(i, Note)]


def test_a_string_nested_too_deep_is_said_not_read(policies):
    inner = "virsh migrate --live d qemu+ssh://h/system"
    text = inner
    for _ in range(6):
        text = "bash -c " + "'" + text.replace("'", "'\\''") + "'"
    out = items(policies, text)
    notes = [i for i in out if isinstance(i, Note)]
    assert [n.rule for n in notes] == ["M008"] and "deep" in notes[0].message
    assert not [i for i in out if isinstance(i, Job)]


def test_a_string_that_does_not_parse_is_said_not_read(policies):
    (note,) = _notes(policies, """ssh h "virsh migrate --live 'd qemu+ssh://h/system" """)
    assert note.rule == "M008" and (note.line, note.column) == (1, 7)


def test_strings_without_virsh_are_not_said(policies):
    assert _notes(policies, "ssh h 'uptime; echo \"it's\"'") == []


@pytest.mark.parametrize("text,state", [
    ("ssh kvm1 'for d in $(virsh list --name --state-shutoff); do virsh migrate --persistent $d "
     "qemu+ssh://kvm2/system; done'", "shutoff"),
    ("ssh kvm1 'virsh list --name | while read d; do virsh migrate --live $d qemu+ssh://kvm2/system; done'",
     "active"),
])
def test_the_state_a_loop_says_holds_inside_a_string_too(policies, text, state):
    (job,) = jobs(policies, text)
    assert job.request.state == state and job.state_from == "line 1"
