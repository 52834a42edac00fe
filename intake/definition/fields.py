"""The one definition of the intake fields.

The template's headers and help texts, the header aliases the reader accepts, the rules that apply
(through each field's kind, `intake.definition.kinds`), the CSV columns and the published docs all
derive from the two sheet specifications below. Adding a field of an existing kind is a change here
only.
"""

from __future__ import annotations

from dataclasses import dataclass

from intake.definition import kinds
from intake.definition.kinds import (  # noqa: F401  (re-exported: the tables belong to their kinds)
    JA_NEE_CHOICES,
    JA_NEE_VALUES,
    VERLONING_CHOICES,
    VERLONING_UNSUPPORTED,
    VERLONING_VALUES,
    Check,
    KindSpec,
)


class Kind:
    """The kinds a field can be; each is a `KindSpec` of `intake.definition.kinds`, where all
    it does is."""

    TEXT = kinds.TEXT
    EMAIL = kinds.EMAIL
    CONTRACT = kinds.CONTRACT
    LOONHEFFINGENNUMMER = kinds.LOONHEFFINGENNUMMER
    DIGITS = kinds.DIGITS
    VERLONING = kinds.VERLONING
    JA_NEE = kinds.JA_NEE
    STATE = kinds.STATE
    DATE = kinds.DATE


@dataclass(frozen=True)
class Field:
    """One column of a sheet: its CSV name, Dutch and English labels, and what it holds."""

    name: str
    label: str
    label_en: str
    kind: KindSpec
    help_nl: str
    help_en: str
    aliases: tuple[str, ...] = ()
    max_length: int | None = None
    #: The template's column width (Excel's unit, widened to the header's longest word): the
    #: widths of a sheet together keep it at 8 pt or more printed on A4 landscape.
    width: int = 20
    source: str = ""
    #: A value rows that do not name this field get (default: its kind's sample).
    sample: str | None = None
    #: Checks of this field alone, after its kind's (each named by a finding code of the
    #: catalogue, like the kinds' own).
    checks: tuple[Check, ...] = ()
    #: An empty cell is an error ("required"); the status file's date and reason may be empty.
    required: bool = True

    @property
    def example(self) -> str:
        """A value every check of this field accepts."""
        return self.kind.sample if self.sample is None else self.sample

    def header_keys(self) -> set[str]:
        """Every spelling the reader accepts for this column, as header keys."""
        return {header_key(s) for s in (self.name, self.label, self.label_en, *self.aliases)}


@dataclass(frozen=True)
class SheetSpec:
    """A sheet of the template: its name, the names it is recognised by, and its fields."""

    name: str
    name_en: str
    csv_name: str
    fields: tuple[Field, ...]
    aliases: tuple[str, ...] = ()

    def field(self, name: str) -> Field:
        """The field called `name` (its CSV name)."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def csv_columns(self) -> tuple[str, ...]:
        """The CSV header: every field in order, then the source row."""
        return (*(f.name for f in self.fields), "bron_rij")

    def sheet_keys(self) -> set[str]:
        """Every sheet name the reader accepts for this sheet, as keys."""
        return {header_key(s) for s in (self.name, self.name_en, self.csv_name, *self.aliases)}


def header_key(text: str) -> str:
    """Fold a header or sheet name for matching: case, spaces, punctuation and `_` do not count."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


_WERKGEVER_ID_HELP_NL = (
    "Het numerieke Werkgever ID uit Loket.nl: onderdeel Werkgever, tabblad Bedrijfsgegevens, "
    "veld 'Werkgever ID' (bijvoorbeeld 8106625). Alleen cijfers."
)
_WERKGEVER_ID_HELP_EN = (
    "The numeric Employer ID from Loket.nl: section Werkgever, tab Bedrijfsgegevens, field "
    "'Werkgever ID' (e.g. 8106625). Digits only."
)
_WERKGEVER_ID_ALIASES = (
    "Werkgevers ID", "Werkgever id", "WerkgeverID", "Werkgeversnummer", "Werkgever nummer",
    "Loket werkgever ID", "Employer ID", "Employer number", "employerNumber",
)

WERKGEVERS = SheetSpec(
    name="Werkgevers",
    name_en="Employers",
    csv_name="werkgevers",
    aliases=("Werkgever", "Aanmelding", "Aanmeldingen", "Employer"),
    fields=(
        Field(
            name="salarisverwerker_naam",
            label="Bedrijfsnaam salarisverwerker",
            label_en="Payroll processor company name",
            kind=Kind.TEXT,
            help_nl="De naam van jullie organisatie (het salarisbureau).",
            help_en="The name of your organisation (the payroll bureau).",
            aliases=("Salarisverwerker", "Naam salarisverwerker", "Salarisbureau",
                     "Payroll processor", "Processor company name"),
            max_length=100,
            width=26,
            source="manual step 2; SIVI HndlsnmOrg an..100",
        ),
        Field(
            name="salarisverwerker_email",
            label="E-mail salarisverwerker",
            label_en="Payroll processor e-mail",
            kind=Kind.EMAIL,
            help_nl="Het e-mailadres waarop jullie bereikbaar zijn.",
            help_en="The e-mail address where you can be reached.",
            aliases=("E-mailadres salarisverwerker", "Email salarisverwerker", "E-mail",
                     "E-mailadres", "Email", "Processor e-mail", "Payroll processor email"),
            max_length=255,
            width=28,
            source="manual step 2; Loket emailAddress max 255",
        ),
        Field(
            name="werkgever_naam",
            label="Bedrijfsnaam werkgever",
            label_en="Employer company name",
            kind=Kind.TEXT,
            help_nl="De naam van de organisatie waarvoor je de koppeling wilt inrichten.",
            help_en="The name of the organisation the link is for.",
            aliases=("Bedrijfsnaam te koppelen werkgever", "Naam werkgever", "Werkgever",
                     "Handelsnaam", "HndlsnmOrg", "Employer", "Employer name", "Company name"),
            max_length=100,
            width=28,
            source="manual step 2; SIVI HndlsnmOrg an..100",
        ),
        Field(
            name="raamwerkcontractnummer",
            label="Raamwerkcontractnummer",
            label_en="Framework contract number",
            kind=Kind.CONTRACT,
            help_nl="Het contractnummer van de relatie bij a.s.r.; begint doorgaans met A020.",
            help_en="The customer's a.s.r. contract number; usually starts with A020.",
            aliases=("Raamcontractnummer", "Contractnummer", "Raamwerkcontract",
                     "Framework contract", "Contract number"),
            width=24,
            source="manual step 2 ('begint doorgaans met A020'); no public format",
        ),
        Field(
            name="loonheffingennummer",
            label="Loonheffingennummer",
            label_en="Wage tax number",
            kind=Kind.LOONHEFFINGENNUMMER,
            help_nl="9 cijfers, de letter L en 2 cijfers, bijvoorbeeld 123456782L01.",
            help_en="9 digits, the letter L and 2 digits, e.g. 123456782L01.",
            aliases=("Loonheffingnummer", "Loonheffingsnummer", "LH-nummer", "LH nummer",
                     "Lhnr", "Wage tax number", "Payroll tax number"),
            width=20,
            source="Belastingdienst pattern ^\\d{9}L\\d{2}$; elfproef (python-stdnum nl.bsn)",
        ),
        Field(
            name="werkgever_id",
            label="Werkgever ID",
            label_en="Employer ID",
            kind=Kind.DIGITS,
            help_nl=_WERKGEVER_ID_HELP_NL,
            help_en=_WERKGEVER_ID_HELP_EN,
            aliases=_WERKGEVER_ID_ALIASES,
            max_length=18,
            width=13,
            source="manual step 2 (Loket.nl, Bedrijfsgegevens, 'Werkgever ID'); at most 18 "
            "digits is an inference (Loket shows 7)",
        ),
        Field(
            name="verloning",
            label="Verloning",
            label_en="Payroll period",
            kind=Kind.VERLONING,
            help_nl="Maand of 4 weken.",
            help_en="Month (Maand) or 4 weeks (4 weken).",
            aliases=("Verloningsperiode", "Loontijdvak", "Periode", "Verloning per",
                     "Pay period"),
            width=12,
            source="manual step 2; Loket payrollPeriodType",
        ),
        Field(
            name="dertiende_maand",
            label="13e maand",
            label_en="13th month",
            kind=Kind.JA_NEE,
            help_nl="Wordt een 13e maand uitgekeerd? Ja of Nee.",
            help_en="Is a 13th month paid? Ja (yes) or Nee (no).",
            aliases=("13de maand", "Dertiende maand", "13e maand uitgekeerd",
                     "13th month salary", "Thirteenth month"),
            width=10,
            source="manual step 2",
        ),
        Field(
            name="dga_in_verloning",
            label="DGA in verloning",
            label_en="DGA on payroll",
            kind=Kind.JA_NEE,
            help_nl="Zit er een of meer DGA's in de verloning? Ja of Nee. Bij Ja: vul het "
            "blad DGA in.",
            help_en="Are one or more DGAs (director-major shareholders) on the payroll? Ja or "
            "Nee. If Ja: fill in the DGA sheet.",
            aliases=("DGA's in verloning", "DGAs in verloning", "DGA in de verloning",
                     "DGA on the payroll", "DGA"),
            width=12,
            source="manual step 2",
        ),
    ),
)

DGA = SheetSpec(
    name="DGA",
    name_en="DGA",
    csv_name="dga",
    aliases=("DGA's", "DGAs", "Directeur-grootaandeelhouders"),
    fields=(
        Field(
            name="werkgever_id",
            label="Werkgever ID",
            label_en="Employer ID",
            kind=Kind.DIGITS,
            help_nl="Het Werkgever ID van de werkgever op het blad Werkgevers waar deze DGA bij "
            "hoort.",
            help_en="The Employer ID of the employer on the Werkgevers sheet this DGA belongs to.",
            aliases=_WERKGEVER_ID_ALIASES,
            max_length=18,
            width=13,
            source="manual step 2; at most 18 digits is an inference",
        ),
        Field(
            name="naam",
            label="Naam DGA",
            label_en="DGA name",
            kind=Kind.TEXT,
            help_nl="Voor- en achternaam van de DGA.",
            help_en="The DGA's full name.",
            aliases=("Naam", "Naam directeur", "Name", "Full name", "NmIP"),
            max_length=100,
            width=28,
            source="manual step 2",
        ),
        Field(
            name="personeelsnummer",
            label="Personeelsnummer",
            label_en="Employee number",
            kind=Kind.DIGITS,
            help_nl="Het personeelsnummer van de DGA in Loket.nl (alleen cijfers).",
            help_en="The DGA's employee number in Loket.nl (digits only).",
            aliases=("Personeelsnr", "Personeels nummer", "PersNr", "Employee ID",
                     "employeeNumber"),
            max_length=18,
            width=18,
            source="manual step 2; Loket employeeNumber; at most 18 digits is an inference",
        ),
    ),
)

SHEETS: tuple[SheetSpec, ...] = (WERKGEVERS, DGA)


#: The status file a.s.r. or Keylane sends in (`intake status import`): per registration, the
#: state it reached (the manual's steps 3 and 4). A CSV or a workbook with a sheet "Status".
STATUS = SheetSpec(
    name="Status",
    name_en="Status",
    csv_name="status",
    aliases=("Statussen", "Stand", "States"),
    fields=(
        Field(
            name="werkgever_id",
            label="Werkgever ID",
            label_en="Employer ID",
            kind=Kind.DIGITS,
            help_nl="Het Werkgever ID van de aangeleverde werkgever.",
            help_en="The Employer ID of the employer delivered.",
            aliases=_WERKGEVER_ID_ALIASES,
            max_length=18,
            width=13,
            source="manual step 2; the registration's key with the loonheffingennummer",
        ),
        Field(
            name="loonheffingennummer",
            label="Loonheffingennummer",
            label_en="Wage tax number",
            kind=Kind.LOONHEFFINGENNUMMER,
            help_nl="Het loonheffingennummer van de aangeleverde werkgever.",
            help_en="The wage tax number of the employer delivered.",
            aliases=("Loonheffingnummer", "Loonheffingsnummer", "LH-nummer", "Lhnr",
                     "Wage tax number", "Payroll tax number"),
            width=20,
            source="manual step 2",
        ),
        Field(
            name="status",
            label="Status",
            label_en="State",
            kind=Kind.STATE,
            help_nl="completed (aangevuld door a.s.r.), setup (in inrichting bij Keylane), live "
            "of refused (afgewezen).",
            help_en="completed (by a.s.r.), setup (at Keylane), live or refused.",
            aliases=("Stand", "Fase", "State", "Stap"),
            width=16,
            source="manual steps 3 and 4",
        ),
        Field(
            name="eerste_uitwisseling",
            label="Datum eerste uitwisseling",
            label_en="First exchange date",
            kind=Kind.DATE,
            help_nl="Bij live: de datum van de eerste uitwisseling van gegevens.",
            help_en="With live: the date of the first exchange of data.",
            aliases=("Eerste uitwisseling", "Datum live", "Startdatum", "First exchange",
                     "First exchange date", "Live date"),
            width=14,
            required=False,
            source="manual step 4 ('op welke datum de eerste uitwisseling van gegevens "
            "plaatsvindt')",
        ),
        Field(
            name="reden",
            label="Reden",
            label_en="Reason",
            kind=Kind.TEXT,
            help_nl="Bij refused: waarom, in woorden voor het salarisbureau.",
            help_en="With refused: why, in words for the payroll bureau.",
            aliases=("Reden afwijzing", "Toelichting", "Reason", "Reason refused"),
            max_length=500,
            width=40,
            required=False,
            source="issue 25 (a refusal says why)",
        ),
    ),
)


#: The sheets of the template besides the data sheets.
EXPLANATION_SHEET = "Toelichting"
LISTS_SHEET = "Lijsten"
#: The template's version, stamped on the hidden Lijsten sheet beside TEMPLATE_VERSION_LABEL.
#: Raise it when the template changes in a way users must pick up; the validator warns about
#: workbooks made from an older one.
TEMPLATE_VERSION = 2
TEMPLATE_VERSION_LABEL = "Sjabloonversie"


@dataclass(frozen=True)
class ChecklistItem:
    """One point of step 1 of the manual the user confirms with Ja on the Toelichting sheet."""

    kind: str  # "voorwaarde" (condition of the Loket.nl user) or "recht" (a right it needs)
    text: str


#: Step 1 of the manual: the three conditions of the Loket.nl user and its six rights.
CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem("voorwaarde", "De gebruiker is een nieuwe standaard Loket.nl-gebruiker (geen "
                  "webservicegebruiker), speciaal aangemaakt voor de koppeling en nergens anders "
                  "voor gebruikt."),
    ChecklistItem("voorwaarde", "De gebruiker is actief (niet geblokkeerd)."),
    ChecklistItem("voorwaarde", "De gebruiker heeft toegang tot de werkgever(s), via teams of "
                  "doordat de gebruiker direct bij de werkgever is aangemaakt."),
    ChecklistItem("recht", "Recht: Beheren en raadplegen BSN"),
    ChecklistItem("recht", "Recht: Raadplegen beloningen"),
    ChecklistItem("recht", "Recht: Raadplegen dienstverbanden"),
    ChecklistItem("recht", "Recht: Raadplegen HRM"),
    ChecklistItem("recht", "Recht: Raadplegen loonoutput beperkt"),
    ChecklistItem("recht", "Recht: Raadplegen variabele gegevens"),
)
