"""Three learners at once on this machine, each its own kernel running chapters 03 and 04: all succeed,
no port or temp-folder collision, nothing left behind, never more stress workers than cores, and every
demo's lesson held (benchmarks/room.py does the same for 1, 2, 4 and 8 learners, timed)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOM = Path(__file__).resolve().parent.parent / "benchmarks" / "room.py"


def load_room():
    spec = importlib.util.spec_from_file_location("mlfail_room_benchmark", ROOM)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_three_learners_at_once():
    room = load_room().run_room(3, widgets=False)
    results = room["results"]
    assert room["errors"] == [] and all(r is not None for r in results), room["errors"]
    for result in results:
        for chapter in ("03", "04"):
            assert result[chapter]["ok"], result[chapter]["error"]  # a port collision fails a cell
            verdicts = result[chapter]["verdicts"]
            assert verdicts, f"chapter {chapter} printed no lesson verdict"
            assert all(v.startswith("Lesson held") for v in verdicts), (chapter, verdicts, result[chapter]["notes"])
    assert room["peak_workers"] <= room["capacity"], room
    assert room["left_temp"] == [] and room["left_processes"] == [], room
