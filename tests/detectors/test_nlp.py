"""--nlp-model: a spaCy pipeline the user has (here built in the test) adds LOCATION findings."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from tests.helpers import h, located, run_scan


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    nlp = spacy.blank("nl")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "LOC", "pattern": "Veluwe"}, {"label": "GPE", "pattern": "Amersfoort"}])
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
