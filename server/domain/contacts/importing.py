"""Importing contacts from an .xlsx sheet (SPEC §7, seed 004): the rows go through the same
create and update as one contact does (server/domain/contacts/changes.py), so the rules are the
same ones — email mandatory, valid and unique; the company-scope rule on a move; the text limits;
audited.

What a row means:
- Email is mandatory (the header row must have the column; a row without one is refused).
- Company by name, ignoring case; a blank cell (or "World" in any of the template's languages)
  makes a World contact. An unknown company refuses the row, naming it: seed 004 does not say an
  import creates companies, and a typo must not make one.
- A row whose email is an existing contact's updates that contact instead of making another: its
  non-blank cells replace the contact's values, the company cell (when the sheet has the column)
  sets the company, blank meaning World — a World → company move is refused while the contact is
  on items of other companies, as in updateContact. A column the sheet does not have changes
  nothing. Rows are applied in sheet order, so a later row with the same email as an earlier one
  updates what that row made (it counts as updated).
- In test mode the contacts made exist only in test mode, and only test-mode contacts are
  updated: an email that is a contact's of the other mode refuses the row.
- Tags: one cell, separated by commas or semicolons; they replace the contact's tags.

Who may import: whoever may create contacts (employees of every role and read-write API keys).
"""

from __future__ import annotations

import re
from typing import Any

from models.contact import Contact
from models.org import Company
from server.domain.contacts import changes
from server.domain.errors import ValidationError
from server.domain.imports.jobs import IMPORTED, UPDATED, Run
from server.domain.imports.sheets import Column, Row, text
from server.domain.viewer import Viewer

WORLD_NAMES = {"world", "świat", "swiat", "monde", "мир"}
_TAG_SEPARATORS = re.compile(r"[;,]")
# a field the contact rules name → the column it comes from
_COLUMN_OF = {"companyId": "company", "timezone": "timeZone"}


COLUMNS = (
    Column("email", "Email", {"pl": "E-mail", "fr": "Adresse électronique", "ru": "Электронная почта"},
           aliases=("e-mail", "email address", "adres e-mail", "courriel", "e-mail address", "почта"), required=True,
           example="anna.nowak@example.com", note="Mandatory. A contact with this email already is updated instead of duplicated."),
    Column("name", "Name", {"pl": "Imię i nazwisko", "fr": "Nom", "ru": "Имя"}, aliases=("full name", "nazwa", "nom complet", "фио"),
           example="Anna Nowak", note="The contact's name."),
    Column("company", "Company", {"pl": "Firma", "fr": "Société", "ru": "Компания"}, aliases=("entreprise", "organisation", "organization"),
           example="Acme Corp", note="A company's name as Switchboard has it; blank (or World) makes a World contact."),
    Column("language", "Language", {"pl": "Język", "fr": "Langue", "ru": "Язык"}, aliases=("langue préférée", "preferred language"),
           example="pl", note="Language of the mail the contact receives, e.g. en, pl, fr, ru (default en)."),
    Column("timeZone", "Time zone", {"pl": "Strefa czasowa", "fr": "Fuseau horaire", "ru": "Часовой пояс"}, aliases=("timezone",),
           example="Europe/Warsaw", note="An IANA time zone (default UTC)."),
    Column("office", "Office", {"pl": "Biuro", "fr": "Bureau", "ru": "Офис"}, aliases=("office location", "emplacement du bureau", "lokalizacja biura"),
           example="Kraków", note="The office the contact works from."),
    Column("phone", "Phone", {"pl": "Telefon", "fr": "Téléphone", "ru": "Телефон"}, aliases=("phone number", "numer telefonu"),
           example="+48 12 345 67 89", note="A phone number."),
    Column("tags", "Tags", {"pl": "Tagi", "fr": "Étiquettes", "ru": "Теги"}, aliases=("tag",),
           example="vip; payroll", note="Separated by commas or semicolons; they replace the contact's tags."),
)


def _refuse(field: str, message: str) -> ValidationError:
    return ValidationError.single(field, message)


async def _company_id(run: Run, name: str | None) -> int | None:
    if name is None or name.casefold() in WORLD_NAMES:
        return None
    companies: dict[str, int] = run.cache.get("companies")  # type: ignore[assignment]
    if companies is None:
        companies = {c["name"].casefold(): c["id"] for c in await Company.all().values("id", "name")}
        run.cache["companies"] = companies
    found = companies.get(name.casefold())
    if found is None:
        raise _refuse("company", f"no company named {name!r}; leave it blank for World")
    return found


def _values(row: Row) -> dict[str, Any]:
    """The contact's values the row gives: blank cells left out (company: blank is World)."""
    values: dict[str, Any] = {}
    for name, field in (("name", "name"), ("language", "language"), ("timezone", "timeZone"), ("office", "office"), ("phone", "phone")):
        value = text(row.get(field))
        if value is not None:
            values[name] = value
    tags = text(row.get("tags"))
    if tags is not None:
        values["tags"] = [t.strip() for t in _TAG_SEPARATORS.split(tags) if t.strip()]
    return values


def _renamed(error: ValidationError) -> ValidationError:
    """The contact rules' error, naming the sheet's columns."""
    problems = [type(p)(_COLUMN_OF.get(p.field, p.field), p.message) for p in error.problems]
    return ValidationError(error.message, problems)


class ContactImporter:
    kind = "contacts"
    title = "Contacts"
    columns = COLUMNS
    again = "import the file again (rows already imported are updated, not duplicated)"

    def authorize(self, viewer: Viewer) -> None:
        changes.require_writer(viewer)

    async def import_row(self, run: Run, row: Row) -> str:
        raw = row.get("email")
        email = changes.normal_email(text(raw))
        if email is None:
            raise _refuse("email", changes.EMAIL_RULE + (f", got {text(raw)[:80]!r}" if raw is not None else ""))
        values = _values(row)
        if "company" in row.values:
            values["company_id"] = await _company_id(run, text(row.get("company")))
        existing = await Contact.filter(email=email).only("id", "test_mode").first()
        try:
            if existing is None:
                await changes.create(run.viewer, {**values, "email": email}, test_mode=run.job.test_mode, reload=False)
                return IMPORTED
            if existing.test_mode != run.job.test_mode:
                mode = "test-mode" if existing.test_mode else "live"
                raise _refuse("email", f"{email} is a {mode} contact's; an import in {'test' if run.job.test_mode else 'live'} mode does not change it")
            await changes.update(run.viewer, existing.id, values, reload=False)
            return UPDATED
        except ValidationError as error:
            raise _renamed(error) from None


IMPORTER = ContactImporter()
