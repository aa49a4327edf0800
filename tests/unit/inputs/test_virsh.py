"""virsh command lines -> requests, as virsh's own parser reads them."""

from __future__ import annotations

import pytest

from miglint.errors import UserError
from miglint.inputs.shell import split_line
from miglint.inputs.virsh import command_job, find_migrate
from miglint.model import UNKNOWN
from miglint.version import parse_version


def job(policies, text, version="9.0.0", hypervisor=None, state="running"):
    return command_job(text, policies=policies, hypervisor=hypervisor, state=state,
                       version=parse_version(version), job_id="t")


def names(policies, mask):
    return policies.vocab.flag_names(mask)


def test_options_aliases_and_equals_forms(policies):
    r = job(policies, "virsh migrate --live --tunneled --p2p --dname=new --migrateuri tcp://x dom qemu+ssh://d/system").request
    assert names(policies, r.flags) == ["LIVE", "PEER2PEER", "TUNNELLED"]
    assert dict(r.params) == {"destination_name": "new", "migrate_uri": "tcp://x"}
    assert r.mode == "p2p" and r.domain == "dom" and r.desturi == "qemu+ssh://d/system"
    assert r.hypervisor == "qemu"


@pytest.mark.parametrize("version,expected", [
    ("9.0.0", {"migrate_uri": "tcp://a", "graphics_uri": "g", "listen_address": "l", "destination_name": "n",
               "migrate_disks": ("vda",), "disks_port": 49153, "disks_uri": "nbd"}),
    ("11.3.0", None),
])
def test_positionals_follow_the_version(policies, version, expected):
    text = "virsh migrate --live dom qemu+ssh://d/system tcp://a g l n 5 x.xml vda 49153 nbd"
    r = job(policies, text, version).request
    kinds = {p.kind for p in r.virsh_problems}
    if expected is None:
        assert "unexpected_data" in kinds  # 11.3.0 fills only up to --disks-port positionally
    else:
        params = dict(r.params)
        params.pop("destination_xml")  # a file virsh would read: its content is not known
        assert params == expected and not kinds
        assert dict(r.options)["timeout"] == 5


def test_virsh_problems_are_facts(policies):
    r = job(policies, "virsh migrate --live=1 --frob --live --bandwidth -1 --dname '' dom", hypervisor="qemu").request
    kinds = [(p.kind, p.option) for p in r.virsh_problems]
    assert ("bool_with_value", "live") in kinds
    assert ("unknown_option", "frob") in kinds
    assert ("duplicate_option", "live") in kinds
    assert ("malformed_number", "bandwidth") in kinds
    assert ("empty_value", "dname") in kinds
    assert ("missing_required", "desturi") in kinds


def test_missing_value_at_end(policies):
    r = job(policies, "virsh migrate --live dom qemu+ssh://d/system --dname").request
    assert [(p.kind, p.option, p.value) for p in r.virsh_problems] == [("missing_value", "dname", "string")]


def test_global_options_and_prefixes(policies):
    words = split_line("sudo -u root env A=1 virsh -q -c qemu+ssh://src/system migrate --live d qemu+ssh://dst/system")
    call = find_migrate(words)
    assert call is not None and call.connect.text == "qemu+ssh://src/system"
    assert words[call.migrate_index].text == "migrate"
    r = job(policies, "virsh --connect=vz:///system migrate d vz+ssh://dst/system").request
    assert r.hypervisor == "vz" and r.connect_uri == "vz:///system"
    assert find_migrate(split_line("virsh list --all")) is None


def test_shell_expansions_make_values_unknown(policies):
    j = job(policies, 'virsh migrate --live --p2p --migrateuri "$URI" "$DOM" qemu+ssh://dst/system')
    params = dict(j.request.params)
    assert params["migrate_uri"] is UNKNOWN and j.request.domain is None
    assert not j.request.open_options
    j = job(policies, "virsh migrate --live $DOM qemu+ssh://dst/system")
    assert not j.request.open_options and j.request.domain is None  # a bare $VAR in the domain's place
    j = job(policies, "virsh migrate --live $EXTRA dom qemu+ssh://dst/system")
    assert j.request.open_options and j.request.domain == "dom"  # the plain words fill the slots
    j = job(policies, "virsh migrate --offline dom qemu+ssh://dst/system $EXTRA_OPTS", state="shutoff")
    assert j.request.open_options


def test_open_options_turn_absence_into_depends(policies, evaluator):
    r = job(policies, "virsh migrate --offline dom qemu+ssh://dst/system $EXTRA_OPTS", state="shutoff").request
    result = evaluator(r)
    f = {f.rule: f for f in result.findings}["Q053"]
    assert f.depends_on == ("options",) and result.prediction == "depends"


def test_hypervisor_from_uri_and_explicit_choice(policies):
    assert job(policies, "virsh migrate --live d xen+ssh://dst/system").request.hypervisor == "libxl"
    assert job(policies, "virsh migrate --live d vz+ssh://dst/system", hypervisor="vz-2015").request.hypervisor == "vz-2015"
    # an explicit policy for another driver does not override what the URI says
    assert job(policies, "virsh migrate --live d vz+ssh://dst/system", hypervisor="qemu").request.hypervisor == "vz"
    assumed = job(policies, "virsh migrate --live d ssh://dst/")  # no driver named: qemu, said so
    assert assumed.request.hypervisor == "qemu" and assumed.assumed[0].startswith("hypervisor qemu: ")


def test_not_a_migrate_command(policies):
    with pytest.raises(UserError, match="not a 'virsh migrate' command"):
        job(policies, "virsh list")
    with pytest.raises(UserError, match="unterminated"):
        job(policies, "virsh migrate --live 'dom qemu+ssh://d/system")


def test_locations_point_at_the_option(policies, evaluator):
    from miglint.outputs.reporters.json import location_of

    j = job(policies, "virsh migrate --p2p --compressed dom vz+ssh://dst/system")
    result = evaluator(j.request)
    f = result.first_error
    assert f.rule == "Z002"
    loc = location_of(j, f)
    assert (loc.line, loc.column) == (1, 21)


def test_bad_values_in_the_order_virsh_reads_them(policies, evaluator):
    # virsh reads --postcopy-bandwidth before --bandwidth and --disks-port before --dname, whatever the
    # order on the command line, and reports the first bad value it reads.
    r = evaluator(job(policies, "virsh migrate --live --p2p --bandwidth -1 --postcopy-bandwidth x dom qemu+ssh://d/system").request)
    assert r.first_error.message == "Numeric value 'x' for <postcopy-bandwidth> option is malformed or out of range"
    r = job(policies, "virsh migrate --live --dname '' --disks-port x dom qemu+ssh://d/system").request
    assert [(p.kind, p.option) for p in r.virsh_problems] == [("malformed_number", "disks-port"), ("empty_value", "dname")]


def test_a_value_of_any_number_of_words_may_fill_the_positionals_too(policies):
    from miglint.inputs.virsh import parse_migrate_args

    words = split_line("virsh migrate --live --desturi x")
    words[-1] = words[-1]._replace(unknown=True, split=True, many=True)
    parsed = parse_migrate_args(words[2:], parse_version("9.0.0"), policies.vocab)
    assert not parsed.problems and parsed.positions_unknown


@pytest.mark.parametrize("text", [
    "virsh migrate --live --compressed vm {uri}",
    "virsh migrate --live --compressed --domain vm --desturi {uri}",
    "virsh migrate --live --compressed --desturi {uri} vm",
    "virsh migrate --live --compressed --domain vm --desturi={uri}",
    "virsh migrate --live --compressed --desturi={uri} --domain=vm",
])
@pytest.mark.parametrize("uri,driver", [("vz+ssh://h/system", "vz"), ("xen+ssh://h/system", "libxl"),
                                        ("qemu+ssh://$H/system", "qemu")])
def test_the_destination_names_the_driver_however_it_is_written(policies, text, uri, driver):
    j = job(policies, text.format(uri=uri), hypervisor=None)
    assert j.request.hypervisor == driver
    assert not j.assumed or "hypervisor" not in j.assumed[0]


@pytest.mark.parametrize("text", [
    "virsh -c vz:///system migrate --live vm --desturi $D",
    "virsh --connect vz:///system migrate --live vm $D",
    "virsh --connect=vz:///system migrate --live --domain vm --desturi=$D",
])
def test_the_source_connection_names_the_driver_however_it_is_written(policies, text):
    assert job(policies, text, hypervisor=None).request.hypervisor == "vz"


def test_a_named_destination_with_an_unknown_scheme_is_said_by_its_scheme(policies):
    j = job(policies, "virsh migrate --live --domain vm --desturi=foo+ssh://h/system", hypervisor=None)
    assert "'foo'" in j.assumed[0] and "--desturi" not in j.assumed[0]
