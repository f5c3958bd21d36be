"""The ``chartcoder codes`` and ``chartcoder vocab`` commands, every bad-input path included: a clear message and
exit code 2, never a traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cli.main import app

REPOSITORY = Path(__file__).resolve().parents[2]


def run(home: Path, *args: str, stdin: bytes | str | None = None) -> Result:
    result = CliRunner().invoke(app, [*args, "--home", str(home)], input=stdin)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def error_text(result: Result) -> str:
    """stderr with the console's line wrapping undone."""
    return " ".join(result.stderr.split())


@pytest.fixture
def writable_home(tmp_path: Path, mini_home: Path) -> Path:
    shutil.copytree(mini_home / "codeset", tmp_path / "codeset")
    return tmp_path


# ------------------------------------------------------------------------------------------- codes search


def test_search_json(mini_home: Path) -> None:
    result = run(mini_home, "codes", "search", "type 2 diabetes with chronic kidney disease", "--json", "-n", "3")
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert payload["query"] == "type 2 diabetes with chronic kidney disease"
    assert len(payload["results"]) == 3
    first = payload["results"][0]
    assert set(first) == {"code", "description", "score", "billable", "matched_term", "source"}
    assert first["code"] == "E11.22" and first["billable"] is True


def test_search_table(mini_home: Path) -> None:
    result = run(mini_home, "codes", "search", "e112")
    assert result.exit_code == 0
    assert "E11.22" in result.stdout and "E11.29" in result.stdout


def test_search_billable_only(mini_home: Path) -> None:
    result = run(mini_home, "codes", "search", "E11.2", "--billable-only", "--json")
    assert [item["code"] for item in json.loads(result.stdout)["results"]] == ["E11.21", "E11.22", "E11.29"]


def test_search_without_matches_says_so(mini_home: Path) -> None:
    result = run(mini_home, "codes", "search", "qwxzv")
    assert result.exit_code == 0 and "No codes match" in result.stdout


def test_search_reads_one_query_per_line_and_writes_json_lines(mini_home: Path) -> None:
    result = run(mini_home, "codes", "search", "-", "-n", "2", stdin="afib\n\naspiration pneumonia\r\nE11.22\n")
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [record["query"] for record in records] == ["afib", "aspiration pneumonia", "E11.22"]
    assert [record["results"][0]["code"] for record in records] == ["I48.91", "J69.0", "E11.22"]
    assert all(len(record["results"]) <= 2 and "error" not in record for record in records)


def test_search_lines_report_a_bad_query_and_go_on(mini_home: Path) -> None:
    stdin = "afib\n" + "x" * 300 + "\nZ99.999\nhtn\n"
    result = run(mini_home, "codes", "search", "-", stdin=stdin)
    assert result.exit_code == 2
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [bool(record.get("error")) for record in records] == [False, True, True, False]
    assert "line 2:" in records[1]["error"] and "limit is 256" in records[1]["error"]
    assert records[1]["results"] == [] and "Z99.999 is not a code" in records[2]["error"]
    assert "2 queries could not be searched" in error_text(result)


def test_search_lines_accept_a_byte_order_mark(mini_home: Path) -> None:
    result = run(mini_home, "codes", "search", "-", stdin=b"\xef\xbb\xbfafib\n")
    assert result.exit_code == 0 and json.loads(result.stdout)["query"] == "afib"


def test_search_lines_refuse_non_utf8_input(mini_home: Path) -> None:
    result = run(mini_home, "codes", "search", "-", stdin=b"afib\ncaf\xe9 au lait spots\n")
    assert result.exit_code == 2
    assert "not UTF-8 text (line 2" in error_text(result)
    assert json.loads(result.stdout.splitlines()[0])["query"] == "afib"  # what came before was answered


def test_search_lines_refuse_binary_input(mini_home: Path) -> None:
    result = run(mini_home, "codes", "search", "-", stdin=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert result.exit_code == 2
    assert "binary" in error_text(result) or "not UTF-8" in error_text(result)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "The query is empty"),
        ("   ", "The query is empty"),
        ("x" * 300, "The query is 300 characters long; the limit is 256"),
        ("!!!", "no letters or digits"),
        ("Z99.999", "Z99.999 is not a code in ICD-10-CM FY2026"),
    ],
)
def test_search_bad_queries_exit_2(mini_home: Path, query: str, message: str) -> None:
    result = run(mini_home, "codes", "search", query)
    assert result.exit_code == 2
    assert message in error_text(result)
    assert result.stdout == ""


def test_search_limit_out_of_range_is_a_usage_error(mini_home: Path) -> None:
    assert run(mini_home, "codes", "search", "afib", "--limit", "0").exit_code == 2


# ------------------------------------------------------------------------------------------- codes show


def test_show_json(mini_home: Path) -> None:
    result = run(mini_home, "codes", "show", "s52521a", "--json")
    assert result.exit_code == 0
    details = json.loads(result.stdout)
    assert details["code"] == "S52.521A" and details["valid"] is True and details["billable"] is True
    assert [parent["code"] for parent in details["parents"]] == ["S52.521", "S52.52", "S52.5", "S52"]
    assert details["chapter"]["id"] == "19" and details["block"]["id"] == "S50-S59"
    assert details["release"] == "ICD-10-CM FY2026"


def test_show_a_code_that_needs_a_seventh_character(mini_home: Path) -> None:
    details = json.loads(run(mini_home, "codes", "show", "S52.521", "--json").stdout)
    assert details["needs_seventh_character"] is True and details["billable"] is False
    assert details["seventh_characters"]["A"] == "initial encounter for closed fracture"


def test_show_text_lists_notes_and_terms(mini_home: Path) -> None:
    result = run(mini_home, "codes", "show", "E11.22")
    assert result.exit_code == 0
    assert "Type 2 diabetes mellitus with diabetic chronic kidney disease" in result.stdout
    assert "type 1 diabetes mellitus (E10.-)" in result.stdout  # Excludes1 inherited from E11


def test_show_unknown_code(mini_home: Path) -> None:
    result = run(mini_home, "codes", "show", "Z99.999")
    assert result.exit_code == 2
    assert "Z99.999 is not a code in ICD-10-CM FY2026" in error_text(result)


def test_show_unknown_code_names_the_nearest_code(mini_home: Path) -> None:
    result = run(mini_home, "codes", "show", "E11.299")
    assert result.exit_code == 2
    assert "The nearest code above it is E11.29" in error_text(result)


@pytest.mark.parametrize("code", ["hello", "", "E1", "E11.99999"])
def test_show_invalid_code(mini_home: Path, code: str) -> None:
    result = run(mini_home, "codes", "show", code)
    assert result.exit_code == 2
    assert "is not an ICD-10-CM code" in error_text(result)


# ------------------------------------------------------------------------------------------- vocab


def test_vocab_info_json(mini_home: Path) -> None:
    result = run(mini_home, "vocab", "info", "--json")
    assert result.exit_code == 0
    info = json.loads(result.stdout)
    assert info["release"] == "FY2026"
    counts = info["counts"]
    assert counts["codes"] == 3743 and counts["billable_codes"] == 3315
    assert counts["index_entries"] == 0 and counts["lexicon_terms"] > counts["codes"]
    assert info["indexes"] == []


def test_vocab_info_text(mini_home: Path) -> None:
    result = run(mini_home, "vocab", "info")
    assert result.exit_code == 0 and "billable codes" in result.stdout


def test_vocab_path_without_a_code_set(tmp_path: Path) -> None:
    result = run(tmp_path, "vocab", "path")
    assert result.exit_code == 2 and "No code set at" in error_text(result)


def test_import_index_missing_file(writable_home: Path, tmp_path: Path) -> None:
    result = run(writable_home, "vocab", "import-index", str(tmp_path / "missing" / "index_2025.csv"))
    assert result.exit_code == 2 and "does not exist" in error_text(result)


def test_import_index_non_utf8_file(writable_home: Path, tmp_path: Path) -> None:
    path = tmp_path / "index_2025.csv"
    path.write_bytes(
        "RowID,Letter,Level,Term,See,SeeAlso,NonEssModif,Code\n1,A,0,Ab\xe9c\xe8s,,,,L02.91\n".encode("latin-1")
    )
    result = run(writable_home, "vocab", "import-index", str(path))
    assert result.exit_code == 2 and "UTF-8" in error_text(result)


def test_import_index_binary_file(writable_home: Path, tmp_path: Path) -> None:
    path = tmp_path / "index.xml"
    path.write_bytes(b"\x00\x01\x02 not an index \xff\xfe")
    result = run(writable_home, "vocab", "import-index", str(path))
    assert result.exit_code == 2


INDEX_CSV = """RowID,Letter,Level,Term,See,SeeAlso,NonEssModif,Code
1,H,0,"Hypertension, hypertensive",,,(accelerated) (benign) (essential),I10
2,L,0,Lung,,,,
3,L,1,aspiration,"Pneumonia, aspiration",,,
4,P,0,Pneumonia,,,(acute),J18.9
5,P,1,aspiration,,,(due to food and vomit),J69.0
6,Z,0,Zzz,,,,Z99.999
"""


def test_import_index_then_search_with_it(writable_home: Path, tmp_path: Path) -> None:
    path = tmp_path / "index_2025.csv"
    path.write_text(INDEX_CSV, encoding="utf-8")
    result = run(writable_home, "vocab", "import-index", str(path), "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    [index] = report["indexes"]
    assert index["source"] == "index" and index["terms"] == 6
    assert [item["code"] for item in index["invalid"]] == ["Z99.999"]
    info = json.loads(run(writable_home, "vocab", "info", "--json").stdout)
    assert info["indexes"] == ["index"] and info["counts"]["index_entries"] == 6
    found = json.loads(run(writable_home, "codes", "search", "lung aspiration", "--json").stdout)["results"]
    assert (found[0]["code"], found[0]["matched_term"], found[0]["source"]) == ("J69.0", "Lung, aspiration", "index")


# ------------------------------------------------------------------------------------------- a real process


def _chartcoder(home: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args, "--home", str(home)],
        input=stdin,
        capture_output=True,
        cwd=REPOSITORY,
        timeout=120,
        check=False,
    )


@pytest.mark.slow  # each process imports the whole application (a few seconds)
def test_process_exit_codes_and_no_traceback(mini_home: Path) -> None:
    for args, stdin in [
        (("codes", "search", "x" * 300), b""),
        (("codes", "search", "-"), b"afib\n\xff\xfe\xfd\n"),
    ]:
        completed = _chartcoder(mini_home, *args, stdin=stdin)
        assert completed.returncode == 2, (args, completed.stderr)
        assert b"Traceback" not in completed.stderr and b"error:" in completed.stderr
    completed = _chartcoder(mini_home, "codes", "search", "-", stdin=b"afib\nhtn\n")
    assert completed.returncode == 0
    assert [json.loads(line)["results"][0]["code"] for line in completed.stdout.splitlines()] == ["I48.91", "I10"]
