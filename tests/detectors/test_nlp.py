"""--nlp-model: a spaCy pipeline the user has (here built in the test) adds LOCATION and PERSON findings."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from piiscan.detectors.nlp import nlp_detectors
from tests.helpers import h, located, run_scan


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    nlp = spacy.blank("nl")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [
            {"label": "LOC", "pattern": "Veluwe"},
            {"label": "GPE", "pattern": "Amersfoort"},
            {"label": "PERSON", "pattern": "Jan de Vries"},
            {"label": "PER", "pattern": "Anna Bakker"},
            {"label": "PERSON", "pattern": "Agent 007"},  # a tagger's error: no name has digits
        ]
    )
    path = tmp_path_factory.mktemp("spacy") / "nl_test_pipeline"
    nlp.to_disk(path)
    return path


def test_nlp_model_adds_locations(tmp_path: Path, model_dir: Path) -> None:
    src = tmp_path / "chat.txt"
    src.write_text("Fietsen op de Veluwe vandaag.\nJan woont in Amersfoort.\nversie 1.2.3\n", encoding="utf-8")
    scan = run_scan(tmp_path, str(src), "--entities", "LOCATION", "--nlp-model", str(model_dir))
    assert scan.exit_code == 0, scan.result.output
    assert located(scan.rows("findings"), "line", "entity", "detector", "value_hash", "masked") == [
        (1, "LOCATION", "spacy_location@1", h("LOCATION", "veluwe"), "ve****"),
        # the gazetteer detector and the pipeline agree on the span: the better-scored one stays
        (2, "LOCATION", "places@1", h("LOCATION", "amersfoort"), "ame****"),
    ]
    assert "spacy_location@1" in (scan.out / "manifest.json").read_text()


def test_nlp_model_adds_person_names(tmp_path: Path, model_dir: Path) -> None:
    src = tmp_path / "chat.txt"
    src.write_text(
        "Gisteren belde Jan de Vries over zijn tracker.\nAgent 007 ook.\nAnna Bakker woont op de Veluwe.\n",
        encoding="utf-8",
    )
    scan = run_scan(tmp_path, str(src), "--entities", "PERSON,LOCATION", "--nlp-model", str(model_dir))
    assert scan.exit_code == 0, scan.result.output
    assert located(scan.rows("findings"), "line", "entity", "detector", "value_hash", "masked") == [
        (1, "PERSON", "spacy_person@1", h("PERSON", "jan de vries"), "j** d* v****"),
        (3, "LOCATION", "spacy_location@1", h("LOCATION", "veluwe"), "ve****"),
        (3, "PERSON", "spacy_person@1", h("PERSON", "anna bakker"), "a*** b*****"),
    ]


def test_one_pipeline_run_per_text_for_both_detectors(model_dir: Path) -> None:
    location, person = nlp_detectors(str(model_dir), None)
    runs = []
    pipeline = location.entities.nlp
    location.entities.nlp = lambda piece: runs.append(piece) or pipeline(piece)
    text = "Anna Bakker woont op de Veluwe."
    assert [c.canonical for _, _, c in location.scan_text(text)] == ["veluwe"]
    assert [c.canonical for _, _, c in person.scan_text(text)] == ["anna bakker"]
    assert runs == [text]
    assert nlp_detectors(str(model_dir), ("LOCATION",))[0].name == "spacy_location"
    assert [d.name for d in nlp_detectors(str(model_dir), ("PERSON",))] == ["spacy_person"]


def test_without_nlp_model_spacy_finds_nothing(tmp_path: Path) -> None:
    src = tmp_path / "chat.txt"
    src.write_text("Fietsen op de Veluwe vandaag.\n", encoding="utf-8")
    scan = run_scan(tmp_path, str(src), "--entities", "LOCATION")
    assert scan.exit_code == 0
    assert scan.rows("findings") == []


def test_missing_model_is_a_usage_error(tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_text("x\n", encoding="utf-8")
    scan = run_scan(tmp_path, str(src), "--nlp-model", "xx_no_such_pipeline")
    assert scan.exit_code == 2
    assert "--nlp-model: no spaCy pipeline named 'xx_no_such_pipeline' is installed" in scan.result.output
    assert not (scan.out / "manifest.json").exists()
