"""`mlfail drill`: the instructor's answer key, printed or written as CSV."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest

from mlfail_widgets.failures.drill import FAILURE_TYPES, IncidentDrill

from .conftest import ROOT


def _mlfail(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlfail_widgets.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_prints_the_key_for_a_room():
    result = _mlfail("drill", "--learners", "12", "--seed", "2026")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("ANSWER KEY, for the instructor only: workshop seed 2026, 12 learners")
    assert "IncidentDrill.for_learner(<number>, workshop_seed=2026)" in lines[1]
    header = next(i for i, line in enumerate(lines)
                  if line.split()[:5] == ["learner", "seed", "level", "failure", "variant"])
    rows = [line.split() for line in lines[header + 1: header + 13]]
    assert [int(row[0]) for row in rows] == list(range(1, 13))
    for row in rows:  # what the learner's own drill reveals
        revealed = IncidentDrill.for_learner(int(row[0]), workshop_seed=2026).reveal()
        assert (int(row[1]), row[2], row[3]) == (revealed.seed, "1", revealed.failure)
    assert lines[-1] == "per type: " + ", ".join(f"{kind} 2" for kind in sorted(FAILURE_TYPES))


def test_writes_the_key_as_csv_with_red_herrings(tmp_path):
    target = tmp_path / "key.csv"
    result = _mlfail("drill", "--learners", "30", "--seed", "7", "--csv", str(target), "--red-herring")
    assert result.returncode == 0, result.stderr
    assert str(target) in result.stdout and "ANSWER KEY" not in result.stdout  # nothing leaks on screen
    with target.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 30
    assert list(rows[0]) == ["learner", "seed", "level", "failure", "variant", "red_herring", "decided_by"]
    assert sorted({row["failure"] for row in rows}) == sorted(FAILURE_TYPES)
    assert all(row["red_herring"] and row["red_herring"] != row["failure"] for row in rows)
    first = IncidentDrill.for_learner(1, workshop_seed=7, red_herring=True).reveal()
    assert (rows[0]["seed"], rows[0]["variant"]) == (str(first.seed), first.variant)


@pytest.mark.parametrize(("args", "message"), [
    (["--learners", "0"], "argument --learners: must be a whole number in [1, 10000]"),
    (["--learners", "ten"], "argument --learners: must be a whole number in [1, 10000]"),
    (["--learners", "3", "--seed", "-1"], "argument --seed: must be a whole number in [0, 1000000]"),
    (["--learners", "3", "--level", "4"], "argument --level: must be a whole number in [1, 3]"),
    ([], "the following arguments are required: --learners"),
])
def test_bad_arguments_are_clear_errors(args, message):
    result = _mlfail("drill", *args)
    assert result.returncode == 2
    assert message in result.stderr


def test_a_csv_in_a_missing_folder_is_refused(tmp_path):
    result = _mlfail("drill", "--learners", "3", "--csv", str(tmp_path / "nowhere" / "key.csv"))
    assert result.returncode != 0
    assert "the folder" in result.stderr and "does not exist" in result.stderr


def test_help_lists_the_drill():
    assert "drill" in _mlfail("--help").stdout


def test_a_level_3_key_is_balanced_and_shows_the_level():
    result = _mlfail("drill", "--learners", "30", "--seed", "2026", "--level", "3")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "level 3" in lines[0] and "level=3" in lines[1]
    assert lines[-1] == "per type: " + ", ".join(f"{kind} 5" for kind in sorted(FAILURE_TYPES))
    header = next(i for i, line in enumerate(lines) if line.split()[:3] == ["learner", "seed", "level"])
    rows = [line.split() for line in lines[header + 1: header + 31]]
    assert {row[2] for row in rows} == {"3"}
    seven = IncidentDrill.for_learner(7, workshop_seed=2026, level=3)
    assert (int(rows[6][1]), rows[6][3]) == (seven.seed, seven.reveal().failure)
