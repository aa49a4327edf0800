"""The shell as operators write it: variables the script defines are followed to the words its commands run
with, what it does not define stays unknown, and the virsh parser says "depends" where a word count is not
known (miglint.inputs.resolve, miglint.inputs.shell, miglint.inputs.virsh)."""

from __future__ import annotations

import textwrap

import pytest

from miglint.errors import UserError
from miglint.inputs.request import Defaults
from miglint.inputs.resolve import MAX_ALTERNATIVES, resolve
from miglint.inputs.script import script_jobs
from miglint.inputs.shell import scan
from miglint.inputs.virsh import find_migrate, parse_migrate_args
from miglint.model import Job, Suppression
from miglint.version import parse_version


def run(text):
    """The commands of a script as they run."""
    return resolve(scan(textwrap.dedent(text)))


def migrations(text):
    """Every reading of every `virsh migrate` command: a list of word lists."""
    out = []
    for c in run(text):
        for words in c.readings():
            if find_migrate(words) is not None:
                out.append(words)
    return out


def texts(words):
    return [w.text for w in words]


def one(text):
    found = migrations(text)
    assert len(found) == 1, [texts(w) for w in found]
    return found[0]


def jobs(policies, text, **defaults):
    out = list(script_jobs(textwrap.dedent(text), "s.sh", policies, Defaults(**defaults)))
    errors = [i for i in out if isinstance(i, UserError)]
    assert not errors, errors
    return [i for i in out if isinstance(i, Job)]


def parse(policies, words, version="9.0.0"):
    call = find_migrate(words)
    assert call is not None
    return parse_migrate_args(words[call.migrate_index + 1:], parse_version(version), policies.vocab)


# -- assignments ---------------------------------------------------------------------------------------------


def test_plain_assignments_are_resolved_with_where_they_were_written():
    w = one("""\
        DOM=web01
        DEST="qemu+ssh://n2/system"
        virsh migrate --live $DOM "$DEST"
        """)
    assert texts(w) == ["virsh", "migrate", "--live", "web01", "qemu+ssh://n2/system"]
    assert not any(x.unknown for x in w)
    assert (w[3].line, w[3].column) == (3, 22) and w[3].origin() == (1, 5)
    assert w[4].origin() == (2, 7)  # inside the quotes


def test_declaration_builtins_assign():
    w = one("""\
        readonly SRC=qemu:///system
        export DEST=qemu+ssh://n2/system
        declare -r OPTS="--live --p2p"
        local_dom() { local d=web02; virsh -c "$SRC" migrate $OPTS "$d" "$DEST"; }
        local_dom
        """)
    assert texts(w) == ["virsh", "-c", "qemu:///system", "migrate", "--live", "--p2p", "web02", "qemu+ssh://n2/system"]


def test_a_use_sees_only_the_assignments_before_it():
    first, second = migrations("""\
        virsh migrate --live "$DOM" qemu+ssh://n2/system
        DOM=web01
        virsh migrate --live "$DOM" qemu+ssh://n2/system
        """)
    assert first[3].unknown and first[3].text == "$DOM"
    assert second[3].text == "web01" and not second[3].unknown


def test_environment_variables_are_unknown():
    w = one('virsh migrate --live "$DOM" "qemu+ssh://$HOST/system"\n')
    assert [(x.text, x.unknown, x.split) for x in w[3:]] == [("$DOM", True, False),
                                                             ("qemu+ssh://$HOST/system", True, False)]


@pytest.mark.parametrize("before,expected", [
    ("", None),                 # the environment's: unknown
    ("X=", "--p2p"),            # empty: the default
    ("unset X", "--p2p"),       # unset: the default
    ("X=--tunnelled", "--tunnelled"),
])
def test_default_values(before, expected):
    w = one(f"{before}\nvirsh migrate --live \"${{X:-{'--p2p'}}}\" dom qemu+ssh://n2/system\n")
    if expected is None:
        assert w[3].unknown and w[3].text == "${X:---p2p}"
    else:
        assert w[3].text == expected and not w[3].unknown


def test_assign_default_assigns():
    w = one("""\
        DEST=
        : "${DEST:=qemu+ssh://n2/system}"
        : "${DOM=web01}"
        virsh migrate --live "$DOM" "$DEST"
        """)
    assert texts(w)[3:] == ["$DOM", "qemu+ssh://n2/system"]
    assert w[3].unknown  # DOM may be set in the environment: ${DOM=...} keeps that value
    w = one('unset DOM\n: "${DOM=web01}"\nvirsh migrate --live "$DOM" qemu+ssh://n2/system\n')
    assert w[3].text == "web01"


def test_plus_assign_and_alternative_value():
    w = one("""\
        OPTS=--live
        OPTS+=" --p2p"
        virsh migrate $OPTS ${OPTS:+--persistent} dom qemu+ssh://n2/system
        """)
    assert texts(w)[2:5] == ["--live", "--p2p", "--persistent"]


# -- arrays ------------------------------------------------------------------------------------------------------


def test_array_assignment_is_not_a_run_and_its_run_is_resolved():
    text = """\
        cmd=(virsh -c qemu:///system migrate --live --p2p)
        dom=web05
        "${cmd[@]}" "$dom" qemu+ssh://n2/system
        """
    commands = run(text)
    assert [c.line for c in commands] == [3], "the assignment runs nothing"
    w = commands[0].words
    assert texts(w) == ["virsh", "-c", "qemu:///system", "migrate", "--live", "--p2p", "web05", "qemu+ssh://n2/system"]
    # The run is at line 3; each word keeps where its text was written.
    assert {(x.line, x.column) for x in w[:6]} == {(3, 1)}
    assert [x.origin() for x in w[:6]] == [(1, 6), (1, 12), (1, 15), (1, 30), (1, 38), (1, 45)]
    # start/end: the array element, so an edit rewrites the assignment
    source = textwrap.dedent(text)
    assert source[w[4].start:w[4].end] == "--live"
    assert source[w[6].start:w[6].end] == '"$dom"'  # a quoted use that gives one word: the use itself


def test_array_append_index_and_star():
    w = one("""\
        opts=(--live)
        opts+=(--p2p "--dname" "new name")
        opts[0]=--offline
        virsh migrate "${opts[@]}" "${opts[*]}" ${opts[1]} dom qemu+ssh://n2/system
        """)
    assert texts(w)[2:8] == ["--offline", "--p2p", "--dname", "new name", "--offline --p2p --dname new name", "--p2p"]


def test_array_literal_with_indexes():
    w = one("""\
        arr=([0]=--live [2]=--persistent)
        b=(--p2p [4]="--timeout 5" --verbose)
        b[1]=--tunnelled
        arr+=(--compressed)
        virsh migrate "${arr[@]}" ${arr[1]} ${arr[2]} "${b[@]}" ${#b[@]} ${b[5]} dom qemu+ssh://n2/system
        """)
    assert texts(w)[2:-2] == ["--live", "--persistent", "--compressed", "--persistent",
                              "--p2p", "--tunnelled", "--timeout 5", "--verbose", "4", "--verbose"]


def test_declared_array():
    w = one("""\
        declare -a GLOBAL=(-c qemu:///system)
        virsh "${GLOBAL[@]}" migrate --live dom qemu+ssh://n2/system
        """)
    assert texts(w)[:4] == ["virsh", "-c", "qemu:///system", "migrate"]


def test_shared_array_spans_are_not_editable():
    found = migrations("""\
        cmd=(virsh migrate --live)
        "${cmd[@]}" a qemu+ssh://n2/system
        "${cmd[@]}" b qemu+ssh://n2/system
        """)
    assert len(found) == 2
    assert all(w.start == -1 for words in found for w in words[:3]), "the array feeds two commands"
    assert all(words[3].start >= 0 for words in found), "each command's own words stay editable"


# -- the virsh command in a variable ------------------------------------------------------------------------------


def test_a_variable_that_holds_the_virsh_command():
    w = one("""\
        VIRSH="virsh -c qemu:///system"
        $VIRSH migrate --offline --persistent web01 qemu+ssh://n2/system
        """)
    assert texts(w)[:4] == ["virsh", "-c", "qemu:///system", "migrate"]
    assert [x.origin() for x in w[:3]] == [(1, 8), (1, 14), (1, 17)]
    assert all(x.start == -1 for x in w[:3]), "a field split out of a string cannot be edited alone"


def test_quoted_command_variable_is_one_word():
    assert migrations('VIRSH="virsh -c qemu:///system"\n"$VIRSH" migrate --live d qemu+ssh://n2/system\n') == []


def test_ifs_set_in_the_file():
    assert migrations("IFS=$'\\n\\t'\nV='virsh migrate'\n$V --live d qemu+ssh://n2/system\n") == []
    assert len(migrations("IFS=$' \\t\\n'\nV='virsh migrate'\n$V --live d qemu+ssh://n2/system\n")) == 1


# -- several paths ------------------------------------------------------------------------------------------------


def test_if_else_gives_alternatives():
    (cmd,) = [c for c in run("""\
        if [ "$1" = offline ]; then
          MODE=--offline
        else
          MODE=--live
        fi
        virsh migrate $MODE --persistent dom qemu+ssh://n2/system
        """) if c.line == 6]
    assert [w[2].text for w in cmd.readings()] == ["--offline", "--live"]
    assert cmd.words == cmd.alternatives[0]


def test_case_arms_and_a_path_that_exits():
    found = migrations("""\
        case "$1" in
          fast) OPTS="--live --p2p" ;;
          cold) OPTS=--offline ;;
          *) echo "usage"; exit 2 ;;
        esac
        virsh migrate $OPTS dom qemu+ssh://n2/system
        """)
    assert [texts(w)[2:-2] for w in found] == [["--live", "--p2p"], ["--offline"]]


@pytest.mark.parametrize("text", [
    """\
    case "$1" in
      offline) OPTS="--offline --persistent"; TMO="" ;;
      *) OPTS="--live --persistent"; TMO="--timeout 60" ;;
    esac
    """,
    """\
    if [ "$MODE" = offline ]; then
      OPTS="--offline --persistent"
      TMO=""
    else
      OPTS="--live --persistent"
      TMO="--timeout 60"
    fi
    """,
])
def test_variables_set_together_on_a_path_keep_their_values_together(policies, evaluator, text):
    """Two paths set two variables: a command using both has two readings, not four."""
    text = textwrap.dedent(text) + "virsh migrate $OPTS $TMO dom qemu+ssh://n2/system\n"
    found = migrations(text)
    assert [texts(w)[2:-2] for w in found] == [["--offline", "--persistent"],
                                               ["--live", "--persistent", "--timeout", "60"]]
    assert "rejected" not in [evaluator(j.request).prediction for j in jobs(policies, text)]
    # An assignment built from them keeps them together too; a variable set again later is on its own.
    found = migrations(text + 'ALL="$OPTS $TMO"\nvirsh migrate $ALL dom2 qemu+ssh://n2/system\n'
                              'TMO=--verbose\nvirsh migrate $OPTS $TMO dom3 qemu+ssh://n2/system\n')
    assert [texts(w)[2:-2] for w in found[2:4]] == [["--offline", "--persistent"],
                                                    ["--live", "--persistent", "--timeout", "60"]]
    assert [texts(w)[2:-2] for w in found[4:]] == [["--offline", "--persistent", "--verbose"],
                                                   ["--live", "--persistent", "--verbose"]]


def test_a_value_set_on_one_path_only_is_unknown():
    w = one("""\
        if [ -n "$FAST" ]; then OPTS=--p2p; fi
        virsh migrate --live $OPTS dom qemu+ssh://n2/system
        """)
    assert w[3].unknown and w[3].split


def test_a_known_case_subject_picks_its_arm():
    w = one("""\
        MODE=cold
        case $MODE in
          fast) OPTS=--live ;;
          cold) OPTS=--offline ;;
        esac
        virsh migrate $OPTS dom qemu+ssh://n2/system
        """)
    assert w[2].text == "--offline"


@pytest.mark.parametrize("text,expected", [
    ('MODE=live\nif [ "$MODE" = offline ]; then O=--offline; else O=--live; fi\n', ["--live"]),
    ('MODE=live\nif test "$MODE" != live; then O=--offline; elif [[ $MODE == live ]]; then O=--live; '
     'else O=--p2p; fi\n', ["--live"]),
    ('X=""\nif [ -z "$X" ]; then O=--live; else O=--offline; fi\n', ["--live"]),
    ('X=a\nif ! [ -n "$X" ]; then O=--offline; else O=--live; fi\n', ["--live"]),
    ("n=3\nif (( n > 0 )); then O=--live; else O=--offline; fi\n", ["--live"]),
    ("n=3\nif [ $n -lt 2 ]; then O=--offline; else O=--live; fi\n", ["--live"]),
    ('O=--live\n[ "$O" = --live ] || O=--offline\n', ["--live"]),
    ('O=""\nfor o in --live --bogus; do\n  [ "$o" = --bogus ] && continue\n  O="$O $o"\ndone\n', ["--live"]),
])
def test_a_test_of_known_words_takes_its_branch(text, expected):
    found = migrations(text + "virsh migrate $O dom qemu+ssh://n2/system\n")
    assert [texts(w)[2:-2] for w in found] == [[o] for o in expected]
    # What the file does not give stays open: both branches.
    for other in ['if [ "$MODE" = offline ]; then O=--offline; else O=--live; fi\n',
                  'X=a\nif [ -f "$X" ]; then O=--offline; else O=--live; fi\n',
                  "if (( n > 0 )); then O=--offline; else O=--live; fi\n"]:
        found = migrations(other + "virsh migrate $O dom qemu+ssh://n2/system\n")
        assert [texts(w)[2] for w in found] == ["--offline", "--live"]
    # A branch not taken is still read for the commands in it.
    found = migrations('M=a\nif [ "$M" = b ]; then virsh migrate --offline d qemu+ssh://n2/system; fi\n')
    assert [texts(w)[2] for w in found] == ["--offline"]


def test_too_many_combinations_become_unknown():
    branches = "\n".join(f"if x; then V{k}=a{k}; else V{k}=b{k}; fi" for k in range(5))
    found = migrations(branches + "\nvirsh migrate --live $V0 $V1 $V2 $V3 $V4 qemu+ssh://n2/system\n")
    assert len(found) <= MAX_ALTERNATIVES
    assert any(w.unknown for words in found for w in words), "beyond the bound, a word is unknown"


def test_loop_values_and_a_value_built_in_the_loop():
    found = migrations("""\
        for h in n2 n3; do
          DEST="qemu+ssh://$h/system"
          virsh migrate --live web01 "$DEST"
        done
        """)
    assert [w[-1].text for w in found] == ["qemu+ssh://n2/system", "qemu+ssh://n3/system"]


@pytest.mark.parametrize("build", [
    'OPTS=(--live)\nfor o in --p2p --tunnelled; do\n  OPTS+=("$o")\ndone\nvirsh migrate "${OPTS[@]}"',
    'OPTS="--live"\nfor o in --p2p --tunnelled; do\n  OPTS="$OPTS $o"\ndone\nvirsh migrate $OPTS',
    'set -- --p2p --tunnelled\nOPTS=--live\nfor o; do\n  OPTS+=" $o"\ndone\nvirsh migrate $OPTS',
])
def test_a_value_built_over_a_loop_is_read_after_its_last_pass(build):
    w = one(build + " vm1 qemu+ssh://kvm2/system\n")
    assert texts(w)[2:] == ["--live", "--p2p", "--tunnelled", "vm1", "qemu+ssh://kvm2/system"]


def test_a_list_built_over_a_loop_keeps_the_order_of_its_passes():
    w = one("""\
        DISKS=""
        for d in vda vdb; do
          DISKS="${DISKS:+$DISKS,}$d"
        done
        virsh migrate --live --copy-storage-all --migrate-disks "$DISKS" web01 qemu+ssh://kvm2/system
        """)
    assert w[5].text == "vda,vdb"


def test_a_command_in_the_loop_sees_each_pass_with_what_was_built_so_far():
    (cmd,) = [c for c in run("""\
        OPTS=(--live)
        for o in --p2p --tunnelled; do
          OPTS+=("$o")
          virsh migrate "${OPTS[@]}" vm1 qemu+ssh://kvm2/system
        done
        """) if find_migrate(c.words) is not None]
    assert [texts(w)[2:-2] for w in cmd.readings()] == [["--live", "--p2p"], ["--live", "--p2p", "--tunnelled"]]


def test_a_break_leaves_the_values_of_the_passes_before_it():
    found = migrations("""\
        OPTS=--live
        for o in --p2p --tunnelled; do
          [ -e /x ] && break
          OPTS="$OPTS $o"
        done
        virsh migrate $OPTS vm1 qemu+ssh://kvm2/system
        """)
    assert sorted(texts(w)[2:-2] for w in found) == [["--live"], ["--live", "--p2p"],
                                                     ["--live", "--p2p", "--tunnelled"]]


@pytest.mark.parametrize("loop", [
    "for d in $(virsh list --name); do",
    "while read -r d; do",
    "for d in $DOMS; do",  # the environment's: how many words is not known
])
def test_a_value_built_over_a_loop_of_unknown_length_is_unknown(loop):
    found = migrations(f"""\
        OPTS=(--live)
        {loop}
          OPTS+=(--p2p)
        done
        virsh migrate "${{OPTS[@]}}" vm1 qemu+ssh://kvm2/system
        """)
    assert found and all(any(x.unknown for x in w[2:-2]) for w in found), [texts(w) for w in found]


def test_a_value_a_loop_sets_without_building_on_it_stays_known():
    found = migrations("""\
        MODE=--offline
        while read -r d; do
          MODE=--live
        done
        virsh migrate $MODE vm1 qemu+ssh://kvm2/system
        """)
    assert sorted(texts(w)[2] for w in found) == ["--live", "--offline"]


def test_options_built_over_a_loop_are_one_request(policies):
    (job,) = jobs(policies, """\
        OPTS=(--live)
        for o in --p2p --tunnelled; do
          OPTS+=("$o")
        done
        virsh migrate "${OPTS[@]}" vm1 qemu+ssh://kvm2/system
        """)
    assert not job.request.virsh_problems
    assert job.id == "s.sh:5"


def test_and_or_paths():
    assert {ws[2].text for ws in migrations("OPTS=--live\n[ -n \"$X\" ] && OPTS=--offline\n"
                                             "virsh migrate $OPTS d qemu+ssh://n2/system\n")} == {"--live", "--offline"}


# -- what only the run knows ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("setup", [
    'OPTS=$(cat /etc/site/migrate.opts)',
    'read -r OPTS < /etc/site/migrate.opts',
    'OPTS=--live; . /etc/site/migrate.conf',
    'OPTS=--live; eval "$(site-config)"',
    'OPTS=--live; source /etc/site.conf',
    'printf -v OPTS "%s" --live',
])
def test_values_read_at_run_time_are_unknown(setup):
    w = one(f"{setup}\nvirsh migrate $OPTS dom qemu+ssh://n2/system\n")
    assert w[2].unknown and w[2].split


def test_command_substitution_sees_the_variables_and_is_read():
    w = one('DOM=web01\nout=$(virsh migrate --live "$DOM" qemu+ssh://n2/system 2>&1)\n')
    assert w[3].text == "web01"


# -- words that may be several, or any number ------------------------------------------------------------------------


def test_a_variable_inside_a_word_is_part_of_that_word(policies):
    w = one("virsh migrate --live --p2p --migrateuri tcp://$3 dom qemu+ssh://n2/system\n")
    assert w[5].text == "tcp://$3" and w[5].unknown and not w[5].split and not w[5].many
    assert not parse(policies, w).open_options


def test_a_quoted_expansion_is_one_word_even_with_blanks(policies):
    w = one('opts="--live --p2p"\nvirsh migrate "$opts" dom qemu+ssh://n2/system\n')
    assert w[2].text == "--live --p2p" and not w[2].unknown
    kinds = [(p.kind, p.option) for p, _ in parse(policies, w).problems]
    assert ("unknown_option", "live --p2p") in kinds, "virsh refuses it as an unknown option"


def test_quoted_star_is_one_word():
    w = one('set -- web01 qemu+ssh://n2/system\nvirsh migrate --live "$*"\n')
    assert texts(w)[3:] == ["web01 qemu+ssh://n2/system"]


@pytest.mark.parametrize("text,index", [
    ('virsh migrate --live --p2p "$@"\n', 4),
    ('virsh migrate --live --p2p "${ARGS[@]}" web05 qemu+ssh://n2/system\n', 4),
    ('virsh migrate --live $(cat /etc/site/migrate.opts) web05 qemu+ssh://n2/system\n', 3),
    ('virsh migrate --live `cat /etc/site/migrate.opts` web05 qemu+ssh://n2/system\n', 3),
    ('virsh migrate --live $@ web05\n', 3),
    ('A=(--p2p web05)\nvirsh migrate --live "${A[@]:1}" qemu+ssh://n2/system\n', 3),
    ('f() { virsh migrate --live "${@:2}"; }\nf x web05 qemu+ssh://n2/system\n', 3),
])
def test_any_number_of_words(policies, text, index):
    w = one(text)
    assert w[index].many and w[index].unknown
    p = parse(policies, w)
    assert p.open_options and p.positions_unknown
    assert not [k for k, _ in p.problems if k.kind in ("missing_required", "unexpected_data")]


def test_forwarded_arguments_depend(policies, evaluator):
    found = jobs(policies, 'virsh migrate --offline "${ARGS[@]}" web05 qemu+ssh://n2/system\n', state="shutoff")
    result = evaluator(found[0].request)
    assert result.prediction == "depends"
    assert {p.kind for p in found[0].request.virsh_problems} == set()


@pytest.mark.parametrize("text", [
    'OPTS="--live $EXTRA"\nvirsh migrate $OPTS db1 qemu+ssh://n2/system\n',
    'OPTS="$OPTS --live"\nvirsh migrate $OPTS db1 qemu+ssh://n2/system\n',
    'T="$(cat opts) --live"\nvirsh migrate $T db1 qemu+ssh://n2/system\n',
    'while read -r dom opts; do\n  virsh migrate --live $opts "$dom" qemu+ssh://n2/system\ndone < list.txt\n',
])
def test_unknown_text_of_a_value_used_unquoted_may_be_any_number_of_words(policies, evaluator, text):
    """The unknown part of a value is split by the shell where the value is used unquoted: it may be several
    words or none, as a bare $EXTRA is; a request that turns on how many is not refused."""
    w = one(text)
    unknown = [x for x in w if x.unknown and "$" in x.text and x.text.strip('"') != "$dom"]
    assert len(unknown) == 1 and unknown[0].split
    p = parse(policies, w)
    assert p.open_options
    assert not [k for k, _ in p.problems if k.kind in ("missing_required", "unexpected_data")]
    (job,) = jobs(policies, text)
    assert evaluator(job.request).prediction == "depends"
    # Unknown text inside a longer word of a value leaves one word, as it does written in the command.
    w = one('U="tcp://$3"\nvirsh migrate --live --p2p --migrateuri $U dom qemu+ssh://n2/system\n')
    assert w[5].text == "tcp://$3" and w[5].unknown and not w[5].split
    assert not parse(policies, w).open_options


@pytest.mark.parametrize("text", [
    "virsh $VIRSH_OPTS migrate --live dom qemu+ssh://n2/system",
    'virsh "${GLOBAL[@]}" migrate --live dom qemu+ssh://n2/system',
    'virsh "$CONNECT_OPT" migrate --live dom qemu+ssh://n2/system',
])
def test_unknown_global_options_still_find_migrate(text):
    (words,) = migrations(text + "\n")
    call = find_migrate(words)
    assert call is not None and call.open_globals and words[call.migrate_index].text == "migrate"


# -- functions ----------------------------------------------------------------------------------------------------


def test_a_function_is_checked_at_each_call_with_its_words():
    text = """\
        mig() {
          virsh migrate --live --p2p "$@"
        }
        mig web05 qemu+ssh://n2/system
        mig web06 "qemu+ssh://n3/system"
        """
    commands = run(text)
    found = [c for c in commands if find_migrate(c.words) is not None]
    assert [texts(c.words)[4:] for c in found] == [["web05", "qemu+ssh://n2/system"], ["web06", "qemu+ssh://n3/system"]]
    assert [c.via for c in found] == [((4, 1),), ((5, 1),)]
    assert [(c.line, c.column) for c in found] == [(2, 3), (2, 3)]
    # The call's words keep where they were written; the body's words feed two calls: not editable.
    w = found[1].words
    assert w[4].origin() == (5, 5) and w[5].origin() == (5, 12)  # its first character, inside the quotes
    assert textwrap.dedent(text)[w[5].start:w[5].end] == '"qemu+ssh://n3/system"'
    assert all(x.start == -1 for x in w[:4])
    assert not [c for c in commands if c.words and c.words[0].text == "mig"], "an expanded call is not a command"


def test_positional_parameters_and_shift():
    w = one("""\
        move() {
          local dom=$1 dest=$2
          shift 2
          virsh migrate "$@" "$dom" "$dest"
        }
        move web01 qemu+ssh://n2/system --live --p2p
        """)
    assert texts(w)[2:] == ["--live", "--p2p", "web01", "qemu+ssh://n2/system"]


def test_a_function_never_called_is_read_with_its_parameters_unknown(policies):
    w = one('mig() { virsh migrate --live --p2p "$@"; }\n')
    assert w[4].many
    p = parse(policies, w)
    assert p.open_options and not p.problems


def test_globals_a_function_assigns_take_effect_at_its_call():
    w = one("""\
        setup() { DEST=qemu+ssh://n2/system; }
        setup
        virsh migrate --live web01 "$DEST"
        """)
    assert w[-1].text == "qemu+ssh://n2/system"


def test_recursion_and_deep_calls_end():
    found = migrations('f() { virsh migrate --live "$1" qemu+ssh://n2/system; f "$1"; }\nf web01\n')
    assert len(found) == 1 and found[0][3].text == "web01"


def test_a_suppression_above_the_call_covers_the_body(policies):
    found = jobs(policies, """\
        mig() { virsh migrate --offline "$1" qemu+ssh://n2/system; }
        # miglint: disable=Q053 -- copied by hand
        mig web01
        mig web02
        """, state="shutoff")
    assert [[s.rule for s in j.suppressed] for j in found] == [["Q053"], []]
    assert [j.id for j in found] == ["s.sh:1@3", "s.sh:1@4"]


# -- help ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "virsh migrate --help",
    "virsh migrate --live --help",
    "virsh help migrate",
    "virsh -h migrate --live d qemu+ssh://n2/system",
    "virsh --version migrate --live d qemu+ssh://n2/system",
])
def test_help_is_not_a_migration(policies, text):
    assert jobs(policies, text + "\n", hypervisor="qemu") == []


def test_dash_h_is_data_for_virsh(policies):
    # virsh 9.0.0 reads `-h` after the command as a positional: `virsh migrate -h` fails "requires <desturi>".
    (job,) = jobs(policies, "virsh migrate -h\n", hypervisor="qemu")
    assert [(p.kind, p.option) for p in job.request.virsh_problems] == [("missing_required", "desturi")]


def test_help_after_a_syntax_error_is_the_error(policies):
    (job,) = jobs(policies, "virsh migrate --frob --help\n", hypervisor="qemu")
    assert ("unknown_option", "frob") in [(p.kind, p.option) for p in job.request.virsh_problems]


# -- strings run by another shell ----------------------------------------------------------------------------------


def test_a_double_quoted_string_is_expanded_by_the_local_shell_first(policies):
    found = jobs(policies, """\
        DOM=ct-mail
        ssh root@vz-03 "virsh migrate --p2p $DOM vz+ssh://vz-04/system"
        ssh root@vz-03 'virsh migrate --p2p $DOM vz+ssh://vz-04/system'
        """)
    assert [j.request.domain for j in found] == ["ct-mail", None]


def test_unterminated_quote_keeps_what_comes_before(policies):
    out = list(script_jobs("A=web01\nvirsh migrate --live $A qemu+ssh://n2/system\necho 'x\n", "s.sh", policies,
                           Defaults()))
    assert [type(i).__name__ for i in out] == ["UserError", "Job"]
    assert out[1].request.domain == "web01"


def test_suppressions_still_work_with_resolution(policies):
    out = list(script_jobs("# miglint: disable=Q053 -- by hand\ncmd=(virsh migrate --offline)\n"
                           '"${cmd[@]}" d qemu+ssh://n2/system\n', "s.sh", policies, Defaults(state="shutoff")))
    assert [type(i) for i in out] == [Suppression, Job]
    assert out[1].suppressed == () and out[1].location.line == 3


def test_set_options_do_not_set_positional_parameters():
    w = one('set -euo pipefail\nDEST_HOST=${1:?usage}\nvirsh migrate --live d "qemu+ssh://$DEST_HOST/system"\n')
    assert w[-1].unknown and w[-1].text == "qemu+ssh://$DEST_HOST/system"
    w = one('set -e -- web01\nvirsh migrate --live "$1" qemu+ssh://n2/system\n')
    assert w[3].text == "web01"


# -- bounds ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text,count", [
    ("if x; then\n" * 400 + "virsh migrate --live d qemu+ssh://n2/system\n" + "fi\n" * 400, 1),
    ("{ " * 400 + "virsh migrate --live d qemu+ssh://n2/system" + "; }" * 400 + "\n", 1),
    ("x=" + "${a:-" * 300 + "v" + "}" * 300 + "\nvirsh migrate --live d qemu+ssh://n2/system\n", 1),
    ("A=(x)\n" + 'A+=("${A[@]}" "${A[@]}")\n' * 40 + 'virsh migrate --live "${A[@]}" qemu+ssh://n2/system\n', 1),
    ("S=x\n" + 'S="$S$S"\n' * 60 + 'virsh migrate --live "$S" qemu+ssh://n2/system\n', 1),
])
def test_deep_or_growing_scripts_are_read_within_bounds(text, count):
    assert len(migrations(text)) == count


def test_every_call_of_a_function_is_checked_and_repeated_words_share_a_reading():
    from miglint.inputs.resolve import MAX_RUNS

    text = 'mig() { virsh migrate "$@" qemu+ssh://n2/system; }\n'
    text += "".join(f"mig --live --persistent vm{k}\n" for k in range(MAX_RUNS + 6))
    text += "mig --live --persistent vm0\n" * 3 + "mig --offline vmBAD\n"
    found = [texts(w)[2:-1] for w in migrations(text)]
    assert len(found) == MAX_RUNS + 7
    assert found[-1] == ["--offline", "vmBAD"] and ["--live", "--persistent", f"vm{MAX_RUNS + 5}"] in found


def test_calls_past_the_bound_still_read_the_function(monkeypatch):
    from miglint.inputs import resolve as module

    monkeypatch.setattr(module, "MAX_STEPS", 30)
    monkeypatch.setattr(module, "STEPS_PER_NODE", 0, raising=False)
    text = 'mig() { virsh migrate "$@" qemu+ssh://n2/system; }\n' + "mig --live vm1\n" * 40
    found = migrations(text)
    assert found[0][2].text == "--live", "the first calls are followed"
    assert any(w[2].many for w in found), "the body is read once more with its parameters unknown"


def test_a_function_called_from_many_places_is_reported_a_bounded_number_of_times():
    text = "".join(f"f{i}() {{ f{i + 1} a; f{i + 1} b; }}\n" for i in range(16))
    text += 'f16() { virsh migrate --live "$1" qemu+ssh://n2/system; }\nf0\n'
    from miglint.inputs.resolve import MAX_RUNS

    # Runs with the same words share a reading; calls past the bound on steps add one reading of the body.
    assert 0 < len(migrations(text)) <= MAX_RUNS + 1
