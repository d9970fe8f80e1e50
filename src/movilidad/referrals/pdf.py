"""The printable summary of a referral package (fpdf2), in English.

Uses DejaVu Sans when the system has it (every Latin, accented or not, name prints
as written); otherwise the PDF core font Helvetica, which covers Western European
letters (Latin-1) and shows any other character as ``?``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from fpdf import FPDF
from fpdf.enums import XPos, YPos

DEJAVU: Final = Path("/usr/share/fonts/truetype/dejavu")
_LABELS: Final = {
    "identity": "identity", "documents": "identity documents", "contact": "contact",
    "answers": "answers the pathway's criteria read",
}  # fmt: skip


class _Summary(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(15, 15, 15)
        self.unicode = (DEJAVU / "DejaVuSans.ttf").exists()
        if self.unicode:
            self.add_font("body", "", str(DEJAVU / "DejaVuSans.ttf"))
            self.add_font("body", "B", str(DEJAVU / "DejaVuSans-Bold.ttf"))
        self.family = "body" if self.unicode else "helvetica"

    def text_(self, text: str) -> str:
        if self.unicode:
            return text
        return text.encode("latin-1", "replace").decode("latin-1")

    def line_(self, text: str, *, bold: bool = False, size: int = 10) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.multi_cell(0, 5.5, self.text_(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def package_pdf(package: dict[str, Any], recipient_name: str) -> bytes:
    """Render ``package`` (see :func:`~movilidad.referrals.services.build_package`) as
    an A4 PDF. Returns the PDF bytes."""
    pdf = _Summary()
    pdf.add_page()
    pdf.line_("Referral package", bold=True, size=16)
    pdf.line_(f"Case reference: {package['case_reference']}", bold=True, size=12)
    pathway = package["pathway"]
    pdf.line_(f"Pathway: {pathway['name']} ({pathway['id']}, version {pathway['version']})")
    pdf.line_(f"Recipient: {recipient_name}")
    office = package["office"]
    pdf.line_(f"Referring office: {office['city']} ({office['country']})")
    pdf.line_(f"Prepared on: {package['prepared_on']}")
    shared = ", ".join(_LABELS.get(s, s) for s in package["shares"])
    pdf.line_(f"Contains only: {shared}.")
    pdf.ln(3)
    pdf.line_("People", bold=True, size=12)
    for number, person in enumerate(package["people"], start=1):
        relationship = str(person["relationship"]).replace("_", " ")
        names = " ".join(
            p for p in (person.get("given_names"), person.get("first_surname"),
                        person.get("second_surname")) if p
        )  # fmt: skip
        pdf.line_(f"{number}. {names or '(identity not shared)'} ({relationship})", bold=True)
        if "date_of_birth" in person:
            nationalities = ", ".join(person["nationalities"])
            pdf.line_(f"   Born {person['date_of_birth']}; sex {person['sex']}; "
                      f"nationality {nationalities}")  # fmt: skip
        for document in person.get("documents", []):
            pdf.line_(f"   {document['type'].replace('_', ' ')} {document['number']} "
                      f"({document['issuing_country']})")  # fmt: skip
    if "contact" in package:
        contact = package["contact"]
        pdf.ln(2)
        pdf.line_("Contact", bold=True, size=12)
        pdf.line_(f"Phone: {contact['phone'] or '-'}; e-mail: {contact['email'] or '-'}; "
                  f"language: {contact['language']}")  # fmt: skip
    if "answers" in package:
        pdf.ln(2)
        pdf.line_("Answers used by the pathway's criteria", bold=True, size=12)
        for fact, value in package["answers"].items():
            pdf.line_(f"{fact}: {value}")
    pdf.ln(4)
    pdf.line_("Shared with the household's consent to this recipient only. Do not pass on.",
              size=9)  # fmt: skip
    return bytes(pdf.output())
