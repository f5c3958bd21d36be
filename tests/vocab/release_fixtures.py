"""Test releases in CDC's published layout, derived from the FY2026 mini Tabular List (no network).

"FY2027" (effective 2026-10-01) differs from the fixture's FY2026 (effective 2025-10-01) by:

- a deleted code: E10.11 (Type 1 diabetes mellitus with ketoacidosis with coma);
- an added code: E10.12 with E10.11's title (renumbered), the conversion table mapping E10.11 to it;
- a retitled code: E11.9.

Built as CDC ships them: ``icd10cm-Code Descriptions-2027.zip`` holding ``Code Descriptions/icd10cm-order-2027.txt``
and ``icd10cm-Table and Index-2027.zip`` holding ``Table and Index/icd10cm-tabular-2027.xml`` and an Index XML.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from vocab.build import build_codeset

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DELETED = "E10.11"
ADDED = "E10.12"
ADDED_TITLE = "Type 1 diabetes mellitus with ketoacidosis with coma"  # renumbered: the same condition
RETITLED = "E11.9"
NEW_TITLE = "Type 2 diabetes mellitus without complications, as retitled for FY2027"

INDEX_XML = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.index>
  <version>2027</version>
  <title>ICD-10-CM INDEX TO DISEASES and INJURIES</title>
  <letter>
    <title>D</title>
    <mainTerm>
      <title>Diabetes, diabetic<nemod>(mellitus)</nemod></title>
      <code>E11.9</code>
      <term level="1">
        <title>type 1</title>
        <code>E10.9</code>
        <term level="2">
          <title>with</title>
          <term level="3">
            <title>ketoacidosis</title>
            <code>E10.10</code>
            <term level="4"><title>with coma</title><code>{coma}</code></term>
          </term>
        </term>
      </term>
      {extra}
    </mainTerm>
  </letter>
</ICD10CM.index>
"""


def tabular_2027() -> str:
    """The mini Tabular List as FY2027: version 2027, E10.11 replaced by E10.12, E11.9 retitled."""
    text = (FIXTURES / "tabular_mini.xml").read_text(encoding="utf-8")
    text = text.replace("<version>2026</version>", "<version>2027</version>", 1)
    deleted = "<name>E10.11</name>\n            <desc>Type 1 diabetes mellitus with ketoacidosis with coma</desc>"
    assert deleted in text, "the mini Tabular List changed: update the FY2027 fixture"
    text = text.replace(deleted, f"<name>{ADDED}</name>\n            <desc>{ADDED_TITLE}</desc>", 1)
    retitled = "<name>E11.9</name>\n          <desc>Type 2 diabetes mellitus without complications</desc>"
    assert retitled in text, "the mini Tabular List changed: update the FY2027 fixture"
    return text.replace(retitled, f"<name>E11.9</name>\n          <desc>{NEW_TITLE}</desc>", 1)


def order_file(tabular_xml: Path) -> str:
    """CDC's order file for a Tabular List: order number, code, header flag, short title, long title."""
    codes = [line.strip() for line in (FIXTURES / "code_list_mini.txt").read_text().splitlines() if line.strip()]
    codes = [ADDED.replace(".", "") if code == DELETED.replace(".", "") else code for code in codes]
    codeset = build_codeset(tabular_xml, confirmed_codes=set(codes))
    lines = []
    for number, code in enumerate(codeset.codes.values(), start=1):
        compact = code.code.replace(".", "")
        header = "1" if code.billable else "0"
        lines.append(f"{number:05d} {compact:<7} {header} {code.description[:60]:<60} {code.description}")
    return "\n".join(lines) + "\n"


def write_release_2027(
    folder: Path, *, index_codes_missing: int = 0, conversion: bool = True, truncate_tabular: bool = False
) -> list[Path]:
    """CDC's zips of the test FY2027 in ``folder``: the paths to give ``vocab import-release``.

    ``index_codes_missing``: that many Index entries name codes absent from the Tabular List (a mismatched
    Index); ``truncate_tabular``: the Tabular XML is cut in the middle (a broken download).
    """
    folder.mkdir(parents=True, exist_ok=True)
    tabular = tabular_2027()
    scratch = folder / "icd10cm-tabular-2027.xml"
    scratch.write_text(tabular, encoding="utf-8")
    order = order_file(scratch)
    scratch.unlink()
    if truncate_tabular:
        tabular = tabular[: len(tabular) // 2]
    extra = "".join(
        f'<term level="1"><title>variant {n}</title><code>Q99.{n}</code></term>' for n in range(index_codes_missing)
    )
    index = INDEX_XML.format(coma=ADDED, extra=extra)
    descriptions = folder / "icd10cm-Code Descriptions-2027.zip"
    with zipfile.ZipFile(descriptions, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Code Descriptions/icd10cm-order-2027.txt", order)
        archive.writestr("Code Descriptions/icd10cm-codes-2027.txt", "")  # present in CDC's zip; not needed
    table_index = folder / "icd10cm-Table and Index-2027.zip"
    with zipfile.ZipFile(table_index, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Table and Index/icd10cm-tabular-2027.xml", tabular)
        archive.writestr("Table and Index/icd10cm-index-2027.xml", index)
        archive.writestr("Table and Index/icd10cm-tabular-2027.pdf", b"%PDF-1.7 not read")
    paths = [descriptions, table_index]
    if conversion:
        table = folder / "icd10cm-conversion-table-2027.txt"
        table.write_text(
            "ICD-10-CM Code Conversion Table FY2027\n"
            "Current Code Assignment\tEffective date\tPrevious Code(s) Assignment\n"
            f"{ADDED}\t2026-10-01\t{DELETED}\n",
            encoding="utf-8",
        )
        paths.append(table)
    return paths
