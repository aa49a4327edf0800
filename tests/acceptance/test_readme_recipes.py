"""The README's recipes work as pasted: each block marked <!-- recipe: NAME --> is written to a scratch
repository and run (the pre-commit and CI ones with miglint's repository URL and revision replaced by this
checkout and its HEAD), and the revision the README pins is this release's tag."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
BAD = "#!/bin/sh\nvirsh migrate --offline db qemu+ssh://kvm-08/system\n"


def recipe(name: str) -> str:
    m = re.search(rf"<!-- recipe: {re.escape(name)} -->\n```\w*\n(.*?)```", README, re.S)
    assert m, f"README has no recipe {name!r}"
    return m.group(1)


def miglint(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "miglint", *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def head() -> str:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.fail("the recipes are tested against a git checkout of miglint (git and .git needed)")
    return git(ROOT, "rev-parse", "HEAD")


def test_the_yaml_configuration(tmp_path):
    (tmp_path / ".miglint.yaml").write_text(recipe("config-yaml"))
    shutil.copytree(ROOT / "examples/policies", tmp_path / "policies")  # its policy-dirs: [policies]
    shown = miglint("config", "show", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert 'hypervisor = "acme-qemu"' in shown.stdout and 'fail-on = "warning"' in shown.stdout
    (tmp_path / "a.sh").write_text(BAD)
    checked = miglint("check", "a.sh", cwd=tmp_path)
    assert checked.returncode == 1 and "acme-qemu 9.0.0" in checked.stdout, checked.stdout + checked.stderr


def test_the_toml_configuration(tmp_path):
    (tmp_path / "pyproject.toml").write_text(recipe("config-toml"))
    shown = miglint("config", "show", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert 'fail-on = "warning"' in shown.stdout and '"Q057" = "error"' in shown.stdout


def test_the_plan_with_its_schema(tmp_path):
    (tmp_path / ".schemas").mkdir()
    schema = miglint("schema", "plan", cwd=tmp_path)
    (tmp_path / ".schemas/miglint-plan.schema.json").write_text(schema.stdout)
    (tmp_path / "web.plan.yaml").write_text(recipe("plan"))
    from jsonschema import Draft202012Validator

    doc = yaml.safe_load(recipe("plan"))
    assert not list(Draft202012Validator(json.loads(schema.stdout)).iter_errors(doc))
    checked = miglint("check", "--no-config", "web.plan.yaml", cwd=tmp_path)
    assert checked.returncode == 0 and "1 accepted" in checked.stdout, checked.stdout + checked.stderr


def test_the_pinned_revision_is_this_release():
    """The recipes pin the release tag of the version this checkout is (v + miglint.__version__): the tag a release
    pushes (DEVELOPERS.md, Releasing), so a README read at that tag installs the miglint it describes. A clone
    without tags (CI's) has nothing more to look up."""
    from miglint import __version__

    pinned = {yaml.safe_load(recipe("pre-commit"))["repos"][0]["rev"]}
    pinned |= set(re.findall(r"MIGLINT_REV: (\S+)", (ROOT / "examples/ci/github-workflow.yml").read_text()))
    pinned |= set(re.findall(r"MIGLINT_REV: (\S+)", (ROOT / "examples/ci/gitlab-ci.yml").read_text()))
    assert pinned == {f"v{__version__}"}
    assert f"`v{__version__}` is this README's release" in README


def _user_repo(tmp_path: Path) -> Path:
    user = tmp_path / "ops"
    (user / "scripts").mkdir(parents=True)
    (user / "scripts/evacuate.sh").write_text(BAD)
    (user / ".miglint.yaml").write_text("state: shutoff\n")
    git(user, "init", "-q")
    return user


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), PRE_COMMIT_COLOR="never",
               MIGLINT_NO_CACHE="1", PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    env.pop("VIRTUAL_ENV", None)
    return env


@pytest.mark.slow
@pytest.mark.parametrize("name", ["pre-commit", "pre-commit-local"])
def test_pre_commit_as_pasted(tmp_path, name):
    user = _user_repo(tmp_path)
    config = recipe(name)
    if name == "pre-commit":
        doc = yaml.safe_load(config)
        config = config.replace(doc["repos"][0]["repo"], str(ROOT)).replace(f"rev: {doc['repos'][0]['rev']}",
                                                                             f"rev: {head()}")
    (user / ".pre-commit-config.yaml").write_text(config)
    git(user, "add", ".")
    proc = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files", "--verbose"], cwd=user,
                          env=_env(tmp_path), capture_output=True, text=True, timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "scripts/evacuate.sh:2:1" in out and "error Q053" in out, out


@pytest.mark.slow
def test_the_github_workflow_installs_from_the_repository_and_runs(tmp_path):
    wf_text = (ROOT / "examples/ci/github-workflow.yml").read_text()
    wf = yaml.safe_load(wf_text)
    runs = [s["run"] for s in wf["jobs"]["miglint"]["steps"] if "run" in s]
    # the README shows the workflow's own commands
    pasted = [s["run"] for s in yaml.safe_load(recipe("github-steps")) if "run" in s]
    assert pasted == runs
    assert "${MIGLINT_REPO}" in runs[0] and "MIGLINT_REPO" in wf["env"] and "MIGLINT_REV" in wf["env"]
    user = _user_repo(tmp_path)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    env = dict(_env(tmp_path), PATH=f"{env_dir / 'bin'}{os.pathsep}{os.environ['PATH']}",
               MIGLINT_REPO=f"file://{ROOT}", MIGLINT_REV=head())
    for command in runs:
        proc = subprocess.run(["bash", "-e", "-c", command], cwd=user, env=env, capture_output=True, text=True,
                              timeout=900)
        if command.startswith("miglint"):
            assert proc.returncode == 1, proc.stdout + proc.stderr
            assert "::error file=scripts/evacuate.sh,line=2,col=15" in proc.stdout
        else:
            assert proc.returncode == 0, proc.stdout + proc.stderr
    assert shutil.which("miglint", path=str(env_dir / "bin"))
    sarif = json.loads((user / "reports/miglint.sarif").read_text())
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {"Q053"}
