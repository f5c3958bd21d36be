"""Where a note states the encounter's diagnoses (Sections II, III and IV: code what the provider documents).

A provider states the diagnoses in the diagnosis lists (discharge, final, postoperative diagnoses), the
assessment and plan, the problem list and the reason for the visit; the opening lines before any heading often
say what the admission is for. A hospital course narrates the stay: where the note also has a diagnosis list or
an assessment, a condition named only in the course ("cystitis", "leukocytosis", "pain" on a hospital day) was not
carried into the provider's diagnostic statement and is listed for the coder, not proposed; a discharge summary
that has no such list states its diagnoses in the course.

A narrative note - a consult letter, a case summary - has no place of its own where the provider states the
diagnoses: no diagnosis list, assessment, problem list, chief complaint or course, only its opening lines (the
"none" section) and the run-in headings of its story ("Physical examination revealed ...", "Laboratory data:
..."), each of which the sectionizer extends to the next heading, so the diagnosis the story reaches after its
exam ("... a biopsy confirmed urothelial carcinoma") lies in the "exam". Such a note states its diagnoses anywhere
in its narrative, as a note with no headings at all does (Sections III, IV: code what the provider documents).
"""

from __future__ import annotations

from collections.abc import Set

__all__ = ["NARRATIVE_SECTIONS", "stating_sections"]

GUIDELINE = "III"
# Sections that state the diagnoses only when the note has no diagnosis list or assessment.
NARRATIVE_SECTIONS = frozenset({"hospital_course"})
_LISTS = frozenset({"diagnoses", "assessment_and_plan", "problem_list"})
# The opening lines before any heading: not a diagnostic statement of their own.
_UNHEADED = frozenset({"none"})


def stating_sections(sections: Set[str]) -> set[str]:
    """Of the note's proposing ``sections`` (those its codes' mentions lie in), the ones that state the
    diagnoses: the narrative ones only when there is no diagnosis list or assessment."""
    if sections & _LISTS:
        return set(sections - NARRATIVE_SECTIONS)
    if sections <= _UNHEADED:
        return set()  # a narrative: no section states the diagnoses apart from the rest of the story
    return set(sections)
