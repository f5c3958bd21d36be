"""Build a :class:`~vocab.codeset.CodeSet` from the CDC Tabular List XML shipped in ``simple-icd-10-cm``.

The XML is read directly (rather than through the package's in-memory tree) so that blocks and codes
with the same name (block "B20" holding code B20) stay distinct, and so that chapter and block notes are
kept. The package's code list decides which 7th-character codes exist, as CDC's order file does.
"""

from __future__ import annotations

import importlib.util
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from defusedxml import ElementTree as SafeET

from vocab.codes import normalize_code
from vocab.codeset import Code, CodeSet, Grouping, collapse_space
from vocab.errors import CodeSetFormatError

__all__ = ["TABULAR_PACKAGE", "build_codeset", "tabular_source"]

TABULAR_PACKAGE = "simple-icd-10-cm"
TABULAR_MODULE = "simple_icd_10_cm"
_PACKAGE = "simple_icd_10_cm"

# XML element -> CodeSet note field
_NOTE_ELEMENTS = {
    "inclusionTerm": "inclusion_terms",
    "includes": "includes",
    "excludes1": "excludes1",
    "excludes2": "excludes2",
    "codeFirst": "code_first",
    "useAdditionalCode": "use_additional",
    "codeAlso": "code_also",
    "notes": "notes",
}


def tabular_source() -> tuple[Path, Path, str]:
    """(tabular XML, code list, package version) of the installed ``simple-icd-10-cm``.

    Found through the import system without importing the package: importing it parses the whole
    Tabular List (about 1.7 s and 200 MB) before we read a byte.
    """
    spec = importlib.util.find_spec(TABULAR_MODULE)
    try:
        version = metadata.version(TABULAR_PACKAGE)
    except metadata.PackageNotFoundError:
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise CodeSetFormatError(
            f"The Tabular List package {TABULAR_PACKAGE} is not installed; install chartcoder with its dependencies."
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    xml_files = sorted(folder.glob("*.xml"))
    code_lists = sorted(folder.glob("code-list*"))
    if not xml_files or not code_lists:
        raise CodeSetFormatError(f"{TABULAR_PACKAGE} {version} ships no tabular XML and code list in {folder}.")
    return xml_files[-1], code_lists[-1], version


@dataclass
class _Node:
    """Mutable scratch record while walking the XML; frozen into :class:`Code` at the end."""

    code: str
    description: str
    parent: str | None
    chapter: str
    block: str
    notes: dict[str, list[str]] = field(default_factory=dict)
    children: list[str] = field(default_factory=list)
    seventh_note: str | None = None
    seventh_characters: list[tuple[str, str]] = field(default_factory=list)


def _note_texts(element: ET.Element) -> list[str]:
    return [collapse_space(note.text) for note in element.findall("note") if note.text and note.text.strip()]


def _read_notes(element: ET.Element) -> dict[str, list[str]]:
    notes: dict[str, list[str]] = {}
    for child in element:
        note_field = _NOTE_ELEMENTS.get(child.tag)
        if note_field:
            notes.setdefault(note_field, []).extend(_note_texts(child))
    return notes


def _read_seventh(element: ET.Element) -> list[tuple[str, str]]:
    definition = element.find("sevenChrDef")
    if definition is None:
        return []
    characters: list[tuple[str, str]] = []
    for child in definition:
        text = collapse_space(child.text or "")
        if child.tag == "extension":
            characters.append((child.attrib["char"], text))
        elif child.tag == "note" and characters and text:
            char, meaning = characters[-1]
            characters[-1] = (char, f"{meaning}/{text}")
    return characters


class _TabularWalker:
    """Walks chapters > sections > nested diags, inheriting 7th characters down to leaf codes."""

    def __init__(self, confirmed: set[str]) -> None:
        self.confirmed = confirmed
        self.nodes: dict[str, _Node] = {}
        self.chapters: dict[str, Grouping] = {}
        self.blocks: dict[str, Grouping] = {}

    def walk(self, root: ET.Element) -> None:
        for chapter in root.findall("chapter"):
            self._walk_chapter(chapter)

    def _walk_chapter(self, element: ET.Element) -> None:
        number = (element.findtext("name") or "").strip()
        title = collapse_space(element.findtext("desc") or "")
        sections = element.findall("section")
        first = sections[0].attrib["id"].split("-")[0] if sections else ""
        last = sections[-1].attrib["id"].split("-")[-1] if sections else ""
        self.chapters[number] = _grouping(number, title, first, last, number, element)
        for section in sections:
            block_id = section.attrib["id"]
            first_block, _, last_block = block_id.partition("-")
            block_title = collapse_space(section.findtext("desc") or "")
            self.blocks[block_id] = _grouping(
                block_id, block_title, first_block, last_block or first_block, number, section
            )
            for diag in section.findall("diag"):
                self._walk_diag(diag, None, number, block_id, [])

    def _walk_diag(
        self, element: ET.Element, parent: str | None, chapter: str, block: str, inherited: list[tuple[str, str]]
    ) -> None:
        code = normalize_code(element.findtext("name") or "")
        seventh = _read_seventh(element)
        seventh_note = element.find("sevenChrNote")
        node = _Node(
            code=code,
            description=collapse_space(element.findtext("desc") or ""),
            parent=parent,
            chapter=chapter,
            block=block,
            notes=_read_notes(element),
            seventh_note=" ".join(_note_texts(seventh_note)) if seventh_note is not None else None,
            seventh_characters=seventh,
        )
        self._add(node)
        applicable = seventh or inherited
        children = element.findall("diag")
        for child in children:
            self._walk_diag(child, code, chapter, block, applicable)
        if not children and applicable:
            self._add_seventh_character_codes(node, applicable)

    def _add_seventh_character_codes(self, node: _Node, characters: list[tuple[str, str]]) -> None:
        compact = node.code.replace(".", "").ljust(6, "X")
        for char, meaning in characters:
            extended = compact + char
            if extended in self.confirmed:
                self._add(
                    _Node(
                        code=normalize_code(extended),
                        description=f"{node.description}, {meaning}",
                        parent=node.code,
                        chapter=node.chapter,
                        block=node.block,
                    )
                )

    def _add(self, node: _Node) -> None:
        if node.code in self.nodes:
            raise CodeSetFormatError(f"The tabular XML defines {node.code} twice.")
        self.nodes[node.code] = node
        if node.parent is not None:
            self.nodes[node.parent].children.append(node.code)

    def freeze(self) -> dict[str, Code]:
        return {
            code: Code(
                code=code,
                description=node.description,
                billable=not node.children,
                parent=node.parent,
                children=tuple(node.children),
                chapter=node.chapter,
                block=node.block,
                seventh_note=node.seventh_note,
                seventh_characters=tuple(node.seventh_characters),
                **{name: tuple(texts) for name, texts in node.notes.items()},
            )
            for code, node in self.nodes.items()
        }


def _grouping(group_id: str, title: str, first: str, last: str, chapter: str, element: ET.Element) -> Grouping:
    notes = {name: tuple(texts) for name, texts in _read_notes(element).items()}
    return Grouping(id=group_id, title=title, first=first, last=last, chapter=chapter, **notes)


def _read_confirmed_codes(code_list: Path) -> set[str]:
    text = code_list.read_text(encoding="utf-8")
    return {line.split(" ")[0].strip() for line in text.splitlines() if line.strip()}


def build_codeset(
    tabular_xml: Path | None = None, code_list: Path | None = None, *, confirmed_codes: set[str] | None = None
) -> CodeSet:
    """Read the Tabular List XML (default: the one in ``simple-icd-10-cm``) into a :class:`CodeSet`.

    The codes that exist come from ``code_list`` (one compact code per line) or ``confirmed_codes`` (CDC's
    order file, read by :func:`vocab.release_import.read_order_file`)."""
    package_version = "external"
    if tabular_xml is None or (code_list is None and confirmed_codes is None):
        tabular_xml, code_list, package_version = tabular_source()
    try:
        root = SafeET.parse(tabular_xml).getroot()
    except (ET.ParseError, OSError) as error:
        raise CodeSetFormatError(f"Cannot read the tabular XML {tabular_xml}: {error}") from error
    confirmed = confirmed_codes if confirmed_codes is not None else _read_confirmed_codes(code_list)  # type: ignore[arg-type]
    walker = _TabularWalker(confirmed)
    walker.walk(root)
    release = _release_name(root, tabular_xml)
    return CodeSet(
        release=release,
        codes=walker.freeze(),
        chapters=walker.chapters,
        blocks=walker.blocks,
        metadata={
            "source": tabular_xml.name,
            "source_package": f"{TABULAR_PACKAGE} {package_version}" if code_list is not None else "CDC release files",
        },
    )


def _release_name(root: ET.Element, tabular_xml: Path) -> str:
    """ "FY2026" from <version>, with the update date when the file name carries one (April-1-2026)."""
    year = (root.findtext("version") or "").strip()
    name = tabular_xml.stem
    for month in ("April", "October"):
        if month in name:
            when = name[name.index(month) :].replace("-", " ")
            parts = when.split()
            if len(parts) == 3:
                return f"FY{year} ({parts[0]} {parts[1]}, {parts[2]})"
    return f"FY{year}"
