"""The seeded evaluation set of the documentation checks: invented notes, each clean or seeded with one known
defect, so that precision and recall per finding kind can be measured (issue 16's acceptance).

Four clean document types (clinic progress note, history and physical, discharge summary, operative note) are
filled from a few invented patients; each defect is a small edit of a clean note, in several wordings. Every kind
is seeded at least :data:`PER_KIND` times; :data:`CLEAN` notes carry no defect. All patients are invented.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

__all__ = ["CLEAN", "PER_KIND", "SeededNote", "seeded_notes"]

PER_KIND = 5
CLEAN = 16

_PATIENTS = (
    ("Ana Ruiz", "female", 58, "DOB: 04/11/1968"),
    ("Tom Baker", "male", 64, "DOB: 09/02/1962"),
    ("Lena Ortiz", "female", 47, "DOB: 12/30/1979"),
    ("Raj Patel", "male", 71, "DOB: 06/18/1955"),
    ("Mia Chen", "female", 36, "DOB: 01/25/1990"),
    ("Omar Haddad", "male", 52, "DOB: 03/07/1974"),
)
_DOCTORS = ("Laura Kim, MD", "Peter Novak, DO", "Sara Lind, NP", "James Osei, MD", "Nina Berg, PA-C")


@dataclass
class Draft:
    """A note in parts, so a defect can change one part; ``render`` writes it as a document of its type."""

    document: str
    name: str
    sex: str
    age: int
    dob: str
    doctor: str
    service_date: str = "03/02/2026"
    discharge_date: str = "03/06/2026"
    sign_date: str = "03/06/2026"
    patient_lines: bool = True
    dates: bool = True
    signature: str | None = None  # None: "Electronically signed by: {doctor} on {sign_date}"
    hpi: list[str] = field(default_factory=list)
    exam: list[str] = field(default_factory=list)
    labs: list[str] = field(default_factory=list)
    assessment: list[str] = field(default_factory=list)
    drop_section: str | None = None
    setting: str = "outpatient"
    base_assessment: bool = True  # the progress note's own diagnosis (hypertension)

    def render(self) -> str:
        lines: list[str] = [_TITLES[self.document], ""]
        if self.patient_lines:
            lines.append(f"Patient: {self.name}    MRN: 00{self.age}4417    {self.dob}")
        if self.dates:
            if self.document == "discharge_summary":
                lines.append(f"Admission date: {self.service_date}    Discharge date: {self.discharge_date}")
            elif self.document == "operative_note":
                lines.append(f"Date of surgery: {self.service_date}")
            else:
                lines.append(f"Date of service: {self.service_date}")
        lines.append("")
        lines.extend(_BODIES[self.document](self))
        if self.signature is None:
            sign_date = f" on {self.sign_date}" if self.dates else ""
            lines.extend(["", f"Electronically signed by: {self.doctor}{sign_date}"])
        elif self.signature:
            lines.extend(["", self.signature])
        return "\n".join(lines) + "\n"


_TITLES = {
    "progress_note": "CLINIC PROGRESS NOTE",
    "history_and_physical": "HISTORY AND PHYSICAL",
    "discharge_summary": "DISCHARGE SUMMARY",
    "operative_note": "OPERATIVE REPORT",
}


def _section(title: str, lines: list[str]) -> list[str]:
    return [f"{title}:", *lines, ""]


def _numbered(items: list[str]) -> list[str]:
    return [f"{number}. {item}" for number, item in enumerate(items, start=1)]


def _progress_body(draft: Draft) -> list[str]:
    parts = [
        *_section("CHIEF COMPLAINT", ["Blood pressure check."]),
        *_section(
            "HISTORY OF PRESENT ILLNESS",
            [
                f"{draft.age}-year-old {draft.sex} with essential hypertension seen for a blood pressure check. "
                "Home readings average 128/78. Takes lisinopril daily without side effects.",
                *draft.hpi,
            ],
        ),
        *_section("PHYSICAL EXAM", ["BP 126/80, HR 72. Lungs clear. Heart regular rate and rhythm.", *draft.exam]),
    ]
    if draft.labs:
        parts += _section("LABS", draft.labs)
    base = ["Essential hypertension - controlled, continue lisinopril."] if draft.base_assessment else []
    parts += _section("ASSESSMENT AND PLAN", _numbered([*base, *draft.assessment]))
    return parts


def _hp_body(draft: Draft) -> list[str]:
    sections = {
        "hpi": _section(
            "HISTORY OF PRESENT ILLNESS",
            [
                f"{draft.age}-year-old {draft.sex} admitted with cellulitis of the abdominal wall after a dog "
                "scratch three days ago, with spreading redness and warmth.",
                *draft.hpi,
            ],
        ),
        "exam": _section(
            "PHYSICAL EXAM", ["T 38.1, BP 132/84. Erythema 8 x 6 cm of the abdominal wall, warm, tender.", *draft.exam]
        ),
        "labs": _section("LABS", ["WBC 13.2.", *draft.labs]),
        "assessment": _section(
            "ASSESSMENT AND PLAN",
            _numbered(["Cellulitis of abdominal wall - IV cefazolin, mark borders.", *draft.assessment]),
        ),
    }
    return [line for name, lines in sections.items() if name != draft.drop_section for line in lines]


def _discharge_body(draft: Draft) -> list[str]:
    sections = {
        "diagnoses": _section(
            "DISCHARGE DIAGNOSES", _numbered(["Acute pyelonephritis due to E. coli", *draft.assessment])
        ),
        "hpi": _section(
            "HISTORY OF PRESENT ILLNESS",
            [
                f"{draft.age}-year-old {draft.sex} admitted with fever, flank pain and dysuria for two days.",
                *draft.hpi,
            ],
        ),
        "exam": _section("PHYSICAL EXAM", ["T 38.9, right costovertebral angle tenderness.", *draft.exam]),
        "labs": _section("LABS", ["Urine culture grew E. coli, pan-sensitive.", *draft.labs]),
        "course": _section(
            "HOSPITAL COURSE",
            ["Treated with IV ceftriaxone, afebrile after 48 hours, transitioned to oral cephalexin."],
        ),
        "disposition": _section("DISPOSITION", ["Home with family; primary care visit in one week."]),
    }
    return [line for name, lines in sections.items() if name != draft.drop_section for line in lines]


def _operative_body(draft: Draft) -> list[str]:
    sections = {
        "preop": _section("PREOPERATIVE DIAGNOSIS", ["Symptomatic cholelithiasis", *draft.assessment]),
        "postop": _section("POSTOPERATIVE DIAGNOSIS", ["Symptomatic cholelithiasis", *draft.assessment]),
        "procedure": _section("PROCEDURE", ["Laparoscopic cholecystectomy."]),
        "hpi": _section(
            "INDICATIONS",
            [
                f"{draft.age}-year-old {draft.sex} with recurrent biliary colic and gallstones on ultrasound.",
                *draft.hpi,
            ],
        ),
        "findings": _section("FINDINGS", ["Thin-walled gallbladder with multiple stones; normal liver.", *draft.exam]),
        "labs": _section("LABS", draft.labs) if draft.labs else [],
        "description": _section(
            "DESCRIPTION OF PROCEDURE",
            ["Four ports placed. Cystic duct and artery clipped and divided. Gallbladder removed in a bag."],
        ),
    }
    return [line for name, lines in sections.items() if name != draft.drop_section for line in lines]


_BODIES: dict[str, Callable[[Draft], list[str]]] = {
    "progress_note": _progress_body,
    "history_and_physical": _hp_body,
    "discharge_summary": _discharge_body,
    "operative_note": _operative_body,
}
_SETTINGS = {"progress_note": "outpatient", "history_and_physical": "inpatient", "discharge_summary": "inpatient"}
_SETTINGS["operative_note"] = "inpatient"


@dataclass(frozen=True)
class SeededNote:
    id: str
    setting: str
    text: str
    expected: frozenset[str]  # the finding kinds seeded in it (empty: clean)


def _draft(number: int, document: str) -> Draft:
    name, sex, age, dob = _PATIENTS[number % len(_PATIENTS)]
    return Draft(document, name, sex, age, dob, _DOCTORS[number % len(_DOCTORS)], setting=_SETTINGS[document])


Defect = Callable[[Draft, int], Draft]
_COPIED_TAIL = "No new complaints were reported since the last visit."
_DOCUMENTS = tuple(_TITLES)


def _add(part: str, *lines: str) -> Defect:
    def edit(draft: Draft, _number: int) -> Draft:
        return replace(draft, **{part: [*getattr(draft, part), *lines]})

    return edit


def _both(*edits: Defect) -> Defect:
    def edit(draft: Draft, number: int) -> Draft:
        for each in edits:
            draft = each(draft, number)
        return draft

    return edit


def _set(**values: object) -> Defect:
    return lambda draft, _number: replace(draft, **values)  # type: ignore[arg-type]


def _sex(sex: str) -> Defect:
    return lambda draft, _number: replace(draft, sex=sex)


# kind -> (documents it is seeded in, the wordings); each wording is used once, on the next document in turn.
_DEFECTS: dict[str, tuple[tuple[str, ...], tuple[Defect, ...]]] = {
    "completeness.signature_missing": (
        _DOCUMENTS,
        (
            _set(signature=""),
            _set(signature="Electronically signed by:"),
            _set(signature="Dictated, not reviewed."),
            _set(signature=""),
            _set(signature="Signature:"),
        ),
    ),
    "completeness.credentials_missing": (
        _DOCUMENTS,
        tuple(
            _set(signature=f"Electronically signed by: {name} on 03/06/2026")
            for name in ("Laura Kim", "Peter Novak", "J. Osei", "Nina Berg", "Sara Lind")
        ),
    ),
    "completeness.patient_id_missing": (_DOCUMENTS, tuple(_set(patient_lines=False) for _ in range(5))),
    "completeness.section_missing": (
        ("discharge_summary", "operative_note", "history_and_physical"),
        (
            _set(drop_section="course"),
            _set(drop_section="findings"),
            _set(drop_section="hpi"),
            _set(drop_section="disposition"),
            _set(drop_section="postop"),
            _set(drop_section="exam"),
        ),
    ),
    "completeness.assessment_without_diagnosis": (
        ("progress_note",),
        tuple(
            _set(base_assessment=False, assessment=lines)
            for lines in (
                ["Return in three months."],
                ["Discussed the home readings.", "Follow up with primary care."],
                ["Labs next visit."],
                ["Reviewed the medication list with the patient.", "Return as needed."],
                ["Next visit in six weeks."],
            )
        ),
    ),
    "completeness.date_missing": (_DOCUMENTS, tuple(_set(dates=False) for _ in range(5))),
    "completeness.date_order": (
        ("progress_note", "discharge_summary", "history_and_physical", "operative_note", "discharge_summary"),
        (
            _set(service_date="03/09/2026"),
            _set(discharge_date="02/27/2026"),
            _set(service_date="04/01/2031", sign_date="04/01/2031", discharge_date="04/03/2031"),
            _set(sign_date="02/20/2026", discharge_date="02/20/2026"),
            _set(service_date="05/14/2032", sign_date="05/15/2032", discharge_date="05/15/2032"),
        ),
    ),
    "inconsistency.diabetes_type": (
        _DOCUMENTS,
        (
            _both(
                _add("hpi", "Long-standing type 1 diabetes on an insulin pump."),
                _add("assessment", "Type 2 diabetes mellitus without complications"),
            ),
            _both(
                _add("hpi", "Known T2DM on metformin."),
                _add("assessment", "Type 1 diabetes mellitus, stable on insulin"),
            ),
            _both(
                _add("hpi", "History of DM type 2 for ten years."),
                _add("assessment", "Type 1 diabetes without complications"),
            ),
            _both(_add("hpi", "Type I diabetes since childhood."), _add("assessment", "Type II diabetes mellitus")),
            _both(_add("hpi", "Has NIDDM, diet controlled."), _add("assessment", "Type 1 diabetes mellitus")),
        ),
    ),
    "inconsistency.ckd_stage": (
        _DOCUMENTS,
        (
            _both(
                _add("hpi", "Has CKD stage 3b followed by nephrology."),
                _add("assessment", "Chronic kidney disease stage 4"),
            ),
            _both(_add("hpi", "Known chronic kidney disease stage 2."), _add("assessment", "CKD stage 3a")),
            _both(_add("hpi", "CKD 4 with baseline creatinine 2.9."), _add("assessment", "CKD stage 3, stable")),
            _both(
                _add("hpi", "Stage 5 CKD, not yet on dialysis."), _add("assessment", "Chronic kidney disease, stage 4")
            ),
            _both(_add("hpi", "Has CKD stage IIIa."), _add("assessment", "CKD stage IIIb")),
        ),
    ),
    "inconsistency.heart_failure_type": (
        _DOCUMENTS,
        (
            _both(
                _add("hpi", "Known HFrEF on carvedilol."),
                _add("assessment", "Chronic diastolic heart failure, compensated"),
            ),
            _both(
                _add("hpi", "History of diastolic heart failure."), _add("assessment", "Chronic systolic heart failure")
            ),
            _both(
                _add("hpi", "Has HFpEF followed by cardiology."),
                _add("assessment", "Chronic systolic congestive heart failure"),
            ),
            _both(_add("hpi", "Systolic heart failure diagnosed last year."), _add("assessment", "Chronic HFpEF")),
            _both(
                _add("hpi", "Has heart failure with reduced ejection fraction."),
                _add("assessment", "Diastolic CHF, stable"),
            ),
        ),
    ),
    "inconsistency.acuity": (
        _DOCUMENTS,
        (
            _both(_add("hpi", "Known chronic pancreatitis."), _add("assessment", "Acute pancreatitis, resolved")),
            _both(
                _add("hpi", "Developed acute respiratory failure last month, now on room air."),
                _add("assessment", "Chronic respiratory failure with hypoxia"),
            ),
            _both(_add("hpi", "Has chronic sinusitis."), _add("assessment", "Acute sinusitis, start amoxicillin")),
            _both(_add("hpi", "Known acute cholecystitis two weeks ago."), _add("assessment", "Chronic cholecystitis")),
            _both(
                _add("hpi", "Chronic systolic heart failure, stable."),
                _add("assessment", "Acute systolic heart failure"),
            ),
        ),
    ),
    "inconsistency.laterality": (
        _DOCUMENTS,
        (
            _both(
                _add("hpi", "Also reports pain in the left knee for three weeks."),
                _add("assessment", "Primary osteoarthritis of right knee"),
            ),
            _both(
                _add("exam", "Right shoulder: painful arc, weak abduction."),
                _add("assessment", "Rotator cuff tendinitis of left shoulder"),
            ),
            _both(
                _add("hpi", "Swelling of the left ankle after a misstep."),
                _add("assessment", "Sprain of right ankle, ice and elevation"),
            ),
            _both(
                _add("exam", "Left wrist: positive Phalen sign."),
                _add("assessment", "Carpal tunnel syndrome of right wrist"),
            ),
            _both(
                _add("hpi", "Complains of right hip pain when walking."),
                _add("assessment", "Trochanteric bursitis of left hip"),
            ),
        ),
    ),
    "inconsistency.negation": (
        _DOCUMENTS,
        (
            _both(
                _add("labs", "Chest x-ray: no pneumonia."),
                _add("assessment", "Community-acquired pneumonia, start doxycycline"),
            ),
            _both(
                _add("labs", "Venous duplex of the legs: no deep vein thrombosis."),
                _add("assessment", "Deep vein thrombosis, start apixaban"),
            ),
            _both(
                _add("exam", "ECG: sinus rhythm, no atrial fibrillation."),
                _add("assessment", "Paroxysmal atrial fibrillation, continue apixaban"),
            ),
            _both(_add("hpi", "Denies gout."), _add("assessment", "Gout of the great toe, start colchicine")),
            _both(
                _add("labs", "CT abdomen: no diverticulitis."),
                _add("assessment", "Diverticulitis of colon, oral antibiotics"),
            ),
        ),
    ),
    "inconsistency.copy_forward": (
        _DOCUMENTS,
        tuple(
            _both(_add("hpi", sentence, _COPIED_TAIL), _add("exam", sentence, _COPIED_TAIL))
            for sentence in (
                "Patient reports that the symptoms have been stable over the last "
                "several weeks and that nothing makes them worse or better.",
                "She was counseled at length about diet, exercise, medication "
                "adherence and the warning signs that should prompt a call to the clinic.",
                "The patient has been walking thirty minutes every day and has reduced "
                "salt in the diet as we discussed at the previous visit.",
                "Reviewed the outside records in detail including the prior imaging "
                "reports and the medication list brought by the family today.",
                "Discussed risks, benefits and alternatives of the plan with the "
                "patient who voiced understanding and agreed to proceed as outlined.",
            )
        ),
    ),
    "inconsistency.sex_age": (
        ("progress_note",),
        (
            _both(_sex("female"), _add("assessment", "Benign prostatic hyperplasia with lower urinary tract symptoms")),
            _both(_sex("male"), _add("assessment", "Endometriosis")),
            _both(_sex("male"), _add("assessment", "Leiomyoma of uterus")),
            _both(_sex("female"), _add("assessment", "Hydrocele of testis")),
            _both(_sex("male"), _add("assessment", "Postmenopausal bleeding")),
        ),
    ),
    "specificity.heart_failure_type": (
        ("progress_note", "history_and_physical", "discharge_summary"),
        tuple(
            _both(_add("labs", indicator), _add("assessment", "Congestive heart failure, continue furosemide"))
            for indicator in (
                "Echo: EF 30%.",
                "Echocardiogram: LVEF 25-30%.",
                "Echo: ejection fraction 60%.",
                "TTE: EF 35 %.",
                "Echo: LVEF 55%.",
            )
        ),
    ),
    "specificity.ckd_stage": (
        ("progress_note", "history_and_physical", "discharge_summary"),
        tuple(
            _both(_add("labs", indicator), _add("assessment", "Chronic kidney disease, avoid NSAIDs"))
            for indicator in (
                "eGFR 38.",
                "Creatinine 1.9, eGFR 34.",
                "GFR 52.",
                "eGFR: 24 mL/min.",
                "eGFR 41 (last 44).",
            )
        ),
    ),
    "specificity.obesity_class": (
        ("progress_note", "history_and_physical", "discharge_summary"),
        tuple(
            _both(_add("exam", indicator), _add("assessment", "Obesity, diet counseling given"))
            for indicator in ("BMI 36.2.", "Weight 121 kg, BMI 41.5.", "BMI: 33.", "Body mass index 44.", "BMI 38.9.")
        ),
    ),
    "specificity.anemia_type": (
        ("progress_note", "history_and_physical", "discharge_summary"),
        tuple(
            _both(_add("labs", indicator), _add("assessment", "Anemia, recheck in one month"))
            for indicator in (
                "Hgb 10.1, MCV 72.",
                "Ferritin 6.",
                "B12 low at 140.",
                "Hgb 9.8, reticulocytes 0.5%.",
                "Iron studies: TIBC high, serum iron 22.",
            )
        ),
    ),
    "specificity.sepsis_organism": (
        ("history_and_physical",),
        tuple(
            _both(_add("labs", indicator), _add("assessment", "Sepsis, continue IV antibiotics"))
            for indicator in (
                "Blood cultures grew Klebsiella pneumoniae.",
                "Blood culture positive in 2 of 2 bottles.",
                "Urine culture growing Proteus mirabilis.",
                "Blood cultures: positive for gram-positive cocci.",
                "Sputum culture grew Pseudomonas.",
            )
        ),
    ),
    "specificity.laterality": (
        ("progress_note",),
        (
            _add("assessment", "Carpal tunnel syndrome, night splint"),
            _add("assessment", "Primary osteoarthritis of knee, start physical therapy"),
            _add("assessment", "Acute otitis media, amoxicillin"),
            _add("assessment", "Senile nuclear cataract, refer to ophthalmology"),
            _add("assessment", "Lateral epicondylitis, counterforce brace"),
        ),
    ),
    "specificity.episode": (
        ("progress_note",),
        tuple(
            _add("assessment", diagnosis)
            for diagnosis in (
                "Fracture of shaft of right radius",
                "Fracture of left clavicle",
                "Fracture of neck of right femur",
                "Fracture of left lateral malleolus",
                "Fracture of one rib, right side",
            )
        ),
    ),
    "specificity.trimester": (
        ("progress_note",),
        tuple(
            _both(_sex("female"), _add("assessment", diagnosis))
            for diagnosis in (
                "Pre-eclampsia, check labs",
                "Gestational hypertension, home readings",
                "Urinary tract infection in pregnancy, nitrofurantoin",
                "Gestational edema, leg elevation",
                "Anemia complicating pregnancy, start iron",
            )
        ),
    ),
    "clinical_indicator.bmi_without_diagnosis": (
        _DOCUMENTS,
        tuple(
            _add("exam", indicator)
            for indicator in ("BMI 38.4.", "BMI: 42.", "BMI 16.9.", "Weight 118 kg, BMI 39.", "Body mass index 35.5.")
        ),
    ),
    "clinical_indicator.lab_without_diagnosis": (
        _DOCUMENTS,
        tuple(
            _add("labs", indicator) for indicator in ("Na 122.", "K 2.6.", "Hgb 7.4.", "Platelets 48.", "Sodium 158.")
        ),
    ),
}


def seeded_notes() -> list[SeededNote]:
    """Every note of the set: CLEAN clean ones, then PER_KIND or more per kind, in a fixed order."""
    notes = []
    for number in range(CLEAN):
        draft = _draft(number, _DOCUMENTS[number % len(_DOCUMENTS)])
        notes.append(SeededNote(f"clean-{number:02d}", draft.setting, draft.render(), frozenset()))
    number = CLEAN
    for kind, (documents, wordings) in _DEFECTS.items():
        copies = max(PER_KIND, len(wordings))
        for copy in range(copies):
            edit = wordings[copy % len(wordings)]
            draft = edit(_draft(number, documents[copy % len(documents)]), number)
            notes.append(SeededNote(f"{kind}-{copy}", draft.setting, draft.render(), frozenset({kind})))
            number += 1
    return notes
