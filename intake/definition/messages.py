"""Every finding code with its severity and its message and fix, in Dutch and English.

Templates use `str.format` fields: `{label}` (the field's label in the language), `{value}`
(the value as typed), `{sheet}`, `{help}` (the field's help text) and code-specific ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Lang = Literal["nl", "en"]
LANGS: tuple[Lang, ...] = ("nl", "en")


@dataclass(frozen=True)
class Entry:
    """One finding code: its severity and, per language, what is wrong and how to fix it."""

    severity: Literal["error", "warning"]
    nl: tuple[str, str]
    en: tuple[str, str]
    title_nl: str
    title_en: str


def _e(severity: Literal["error", "warning"], title_nl: str, title_en: str,
       nl: tuple[str, str], en: tuple[str, str]) -> Entry:
    return Entry(severity=severity, nl=nl, en=en, title_nl=title_nl, title_en=title_en)


CATALOGUE: dict[str, Entry] = {
    # --- the workbook and its sheets ---------------------------------------------------------
    "sheet-missing": _e(
        "error", "Blad ontbreekt", "Sheet missing",
        ("Het blad '{sheet}' ontbreekt in de werkmap.",
         "Gebruik {template} of geef het blad met de gegevens de naam '{sheet}'."),
        ("The workbook has no sheet '{sheet}'.",
         "Use {template} or name the sheet holding the data '{sheet}'."),
    ),
    "dga-sheet-missing": _e(
        "error", "Blad DGA ontbreekt", "DGA sheet missing",
        ("Er zijn werkgevers met 'DGA in verloning' = Ja, maar het blad 'DGA' ontbreekt.",
         "Voeg het blad 'DGA' toe met per DGA het Werkgever ID, de naam en het "
         "personeelsnummer."),
        ("Some employers say 'DGA in verloning' = Ja, but the workbook has no 'DGA' sheet.",
         "Add a 'DGA' sheet with the Employer ID, name and employee number of each DGA."),
    ),
    "header-not-found": _e(
        "error", "Kopregel niet gevonden", "Header row not found",
        ("Op blad '{sheet}' staat in de eerste {rows} rijen geen kopregel met de kolomnamen.",
         "Zet de kolomnamen (zoals '{example}') uit {template} in één rij boven de gegevens."),
        ("Sheet '{sheet}' has no header row with the column names in its first {rows} rows.",
         "Put the column names (such as '{example}') of {template} in one row above the "
         "data."),
    ),
    "column-missing": _e(
        "error", "Kolom ontbreekt", "Column missing",
        ("Op blad '{sheet}' ontbreekt de kolom '{label}'. Geen enkele rij van dit blad kan "
         "daardoor worden aangeleverd.",
         "Voeg de kolom '{label}' toe aan de kopregel (rij {header_row}) en vul hem in."),
        ("Sheet '{sheet}' has no column '{label}', so none of its rows can be delivered.",
         "Add the column '{label}' to the header row (row {header_row}) and fill it in."),
    ),
    "column-duplicate": _e(
        "error", "Kolom dubbel", "Column twice",
        ("De kolom '{label}' staat twee keer op blad '{sheet}' (kolom {first} en {column}); "
         "het is niet duidelijk welke geldt.",
         "Verwijder of hernoem een van de twee kolommen."),
        ("Column '{label}' appears twice on sheet '{sheet}' (columns {first} and {column}); "
         "it is unclear which one counts.",
         "Remove or rename one of the two columns."),
    ),
    "column-unknown": _e(
        "warning", "Onbekende kolom", "Unknown column",
        ("De kolom '{value}' wordt niet herkend en is genegeerd.",
         "Niets te doen als deze kolom alleen voor jullie eigen gebruik is. Was het een van de "
         "verplichte kolommen, gebruik dan de naam uit {template}."),
        ("Column '{value}' is not recognised and was ignored.",
         "Nothing to do if it is for your own use. If it was meant as one of the required "
         "columns, use the name from {template}."),
    ),
    "no-rows": _e(
        "error", "Geen werkgevers", "No employers",
        ("Het blad '{sheet}' bevat geen werkgevers.",
         "Vul per werkgever één rij in onder de kopregel."),
        ("Sheet '{sheet}' holds no employers.",
         "Fill in one row per employer below the header row."),
    ),
    "template-outdated": _e(
        "warning", "Ouder sjabloon", "Older template",
        ("Deze werkmap is gemaakt met sjabloonversie {value}; de huidige versie is {current}.",
         "Neem de gegevens over in het nieuwste sjabloon van a.s.r. (vraag het je "
         "contactpersoon bij a.s.r.); dat heeft de actuele keuzelijsten en uitleg."),
        ("This workbook was made from template version {value}; the current version is "
         "{current}.",
         "Copy the data into a.s.r.'s newest template (ask your contact at a.s.r.); it has the "
         "current drop-downs and explanation."),
    ),
    "checklist-incomplete": _e(
        "warning", "Stap 1 niet afgevinkt", "Step 1 not confirmed",
        ("Op de checklist van stap 1 staat niet Ja bij '{item}'.",
         "Controleer dit punt in Loket.nl en zet Ja als het in orde is; zonder dit werkt de "
         "koppeling niet."),
        ("The step 1 checklist does not say Ja for '{item}'.",
         "Check this point in Loket.nl and answer Ja when it is in order; the link does not "
         "work without it."),
    ),
    "sheet-too-large": _e(
        "error", "Blad te groot", "Sheet too large",
        ("Blad '{sheet}' beslaat {rows} rijen en {columns} kolommen (tot kolom {last}); dat is "
         "meer dan er gelezen wordt. Het blad is niet gecontroleerd.",
         "Verwijder waarden en opmaak ver buiten de tabel (bijvoorbeeld in kolom {last}) of "
         "splits de werkmap in kleinere delen."),
        ("Sheet '{sheet}' spans {rows} rows and {columns} columns (up to column {last}); more "
         "than is read. The sheet was not checked.",
         "Delete values and formatting far outside the table (for instance in column {last}) "
         "or split the workbook into smaller parts."),
    ),
    "too-many-rows": _e(
        "error", "Te veel rijen", "Too many rows",
        ("Blad '{sheet}' heeft meer dan {max} rijen; rijen na rij {last} zijn niet gelezen en "
         "worden niet aangeleverd.",
         "Splits de werkmap in delen van hooguit {max} rijen en lever elk deel apart aan."),
        ("Sheet '{sheet}' has more than {max} rows; rows after row {last} were not read and "
         "are not delivered.",
         "Split the workbook into parts of at most {max} rows and submit each part on its "
         "own."),
    ),
    "merged-header": _e(
        "warning", "Samengevoegde cellen in kopregel", "Merged cells in header",
        ("De kopregel bevat samengevoegde cellen ({value}); alleen de eerste cel heeft een "
         "naam.",
         "Maak de samenvoeging ongedaan en geef elke kolom een eigen kopcel."),
        ("The header row has merged cells ({value}); only the first cell carries a name.",
         "Unmerge them and give each column its own header cell."),
    ),
    "sheet-not-read": _e(
        "warning", "Blad niet gelezen", "Sheet not read",
        ("Blad '{sheet}' is een Excel 4-macroblad of een dialoogvenster ({value}); zo'n blad "
         "kan niet gelezen worden en is overgeslagen. De andere bladen zijn wel gelezen.",
         "Zet gegevens voor de aanmelding op een gewoon werkblad."),
        ("Sheet '{sheet}' is an Excel 4 macro sheet or a dialog sheet ({value}); such a sheet "
         "cannot be read and was skipped. The other sheets were read.",
         "Put data for the registration on an ordinary worksheet."),
    ),
    "hidden-sheet": _e(
        "warning", "Verborgen blad", "Hidden sheet",
        ("Blad '{sheet}' is verborgen; het is wel gelezen en gecontroleerd.",
         "Maak het blad zichtbaar als je niet zeker weet wat erop staat."),
        ("Sheet '{sheet}' is hidden; it was read and checked all the same.",
         "Unhide it if you are not sure what it holds."),
    ),
    "hidden-rows": _e(
        "warning", "Verborgen rijen", "Hidden rows",
        ("Op blad '{sheet}' zijn rijen verborgen ({rows}); ze zijn wel gelezen en "
         "gecontroleerd.",
         "Maak ze zichtbaar en controleer of ze aangeleverd moeten worden."),
        ("Rows are hidden on sheet '{sheet}' ({rows}); they were read and checked all the "
         "same.",
         "Unhide them and check that they should be delivered."),
    ),
    "hidden-columns": _e(
        "warning", "Verborgen kolommen", "Hidden columns",
        ("Op blad '{sheet}' zijn kolommen verborgen ({columns}); ze zijn wel gelezen.",
         "Maak ze zichtbaar en controleer wat erin staat."),
        ("Columns are hidden on sheet '{sheet}' ({columns}); they were read all the same.",
         "Unhide them and check what they hold."),
    ),
    "formula-no-value": _e(
        "warning", "Formule zonder uitkomst", "Formula without value",
        ("Deze cel bevat een formule zonder berekende uitkomst; de waarde is onbekend en "
         "telt als leeg.",
         "Open de werkmap in Excel of LibreOffice, laat hem herberekenen en sla hem op, of "
         "vul de waarde zelf in."),
        ("This cell holds a formula without a computed value; the value is unknown and "
         "counts as empty.",
         "Open the workbook in Excel or LibreOffice, let it recalculate and save it, or type "
         "the value."),
    ),
    "formula-error": _e(
        "error", "Formule geeft een fout", "Formula gives an error",
        ("De formule in deze cel geeft {error}: {meaning_nl}. {label} is daardoor onbekend.",
         "Zoek op waar de formule haar gegevens vandaan haalt en herstel daar de oorzaak, of "
         "plak de cel als waarden (Plakken speciaal > Waarden) en vul de juiste waarde in."),
        ("The formula in this cell gives {error}: {meaning_en}. {label} is therefore unknown.",
         "Look up where the formula takes its data from and fix the cause there, or paste the "
         "cell as values (Paste special > Values) and type the right value."),
    ),
    "formula-not-calculated": _e(
        "error", "Formule niet berekend", "Formula not calculated",
        ("De formule in deze cel is niet berekend; {label} is daardoor onbekend (de cel is "
         "niet leeg).",
         "Open de werkmap in Excel of LibreOffice en sla hem op, zodat de formule wordt "
         "berekend, of plak de cel als waarden (Plakken speciaal > Waarden)."),
        ("The formula in this cell has not been calculated, so {label} is unknown (the cell "
         "is not empty).",
         "Open the workbook in Excel or LibreOffice and save it, so the formula is "
         "calculated, or paste the cell as values (Paste special > Values)."),
    ),
    "macros-ignored": _e(
        "warning", "Macro's genegeerd", "Macros ignored",
        ("De werkmap bevat macro's; die zijn niet uitgevoerd en genegeerd.",
         "Niets te doen: alleen de waarden in de cellen tellen."),
        ("The workbook contains macros; they were not run and were ignored.",
         "Nothing to do: only the values in the cells count."),
    ),
    "external-links": _e(
        "warning", "Koppelingen naar andere bestanden", "Links to other files",
        ("De werkmap verwijst naar {count} ander(e) bestand(en); die zijn niet geopend. "
         "Waarden die daarvan afhangen zijn zoals ze laatst zijn opgeslagen.",
         "Vervang formules met koppelingen door de waarden zelf (Plakken speciaal > Waarden)."),
        ("The workbook links to {count} other file(s); they were not opened. Values that "
         "depend on them are as last saved.",
         "Replace formulas with links by their values (Paste special > Values)."),
    ),
    # --- one cell ------------------------------------------------------------------------------
    "required": _e(
        "error", "Niet ingevuld", "Missing value",
        ("{label} is niet ingevuld.", "Vul in: {help}"),
        ("{label} is empty.", "Fill in: {help}"),
    ),
    "too-long": _e(
        "error", "Te lang", "Too long",
        ("{label} is {length} tekens lang; het maximum is {max}.",
         "Kort de waarde in tot hooguit {max} tekens."),
        ("{label} is {length} characters long; the maximum is {max}.",
         "Shorten it to at most {max} characters."),
    ),
    "formula-text": _e(
        "error", "Begint als formule", "Starts like a formula",
        ("'{value}' begint met '{char}'; een spreadsheet zou dit als formule uitvoeren.",
         "Verwijder '{char}' aan het begin van de waarde."),
        ("'{value}' starts with '{char}'; a spreadsheet would run it as a formula.",
         "Remove the leading '{char}'."),
    ),
    "control-characters": _e(
        "error", "Besturingstekens", "Control characters",
        ("{label} bevat onzichtbare besturingstekens (zoals een regeleinde, tab of NUL).",
         "Typ de waarde opnieuw op één regel, zonder te plakken uit een ander programma."),
        ("{label} contains invisible control characters (such as a line break, tab or NUL).",
         "Type the value again on one line, without pasting it from another program."),
    ),
    "invisible-characters": _e(
        "error", "Onzichtbare tekens", "Invisible characters",
        ("{label} bevat een onzichtbaar teken ({char}) dat de weergave of leesrichting "
         "verandert of dat niet in een naam hoort.",
         "Typ de waarde opnieuw in plaats van hem te plakken."),
        ("{label} contains an invisible character ({char}) that changes the display or reading "
         "direction, or does not belong in a name.",
         "Type the value again instead of pasting it."),
    ),
    "email-invalid": _e(
        "error", "Ongeldig e-mailadres", "Invalid e-mail address",
        ("'{value}' is geen geldig e-mailadres.",
         "Schrijf het als naam@domein.nl, zonder spaties, komma's of extra tekst."),
        ("'{value}' is not a valid e-mail address.",
         "Write it as name@domain.nl, without spaces, commas or other text."),
    ),
    "contract-format": _e(
        "error", "Ongeldig raamwerkcontractnummer", "Invalid contract number",
        ("'{value}' is geen raamwerkcontractnummer: verwacht letters gevolgd door cijfers.",
         "Neem het contractnummer van a.s.r. over, bijvoorbeeld A020123456."),
        ("'{value}' is not a framework contract number: expected letters followed by digits.",
         "Copy the a.s.r. contract number, e.g. A020123456."),
    ),
    "contract-prefix": _e(
        "error", "Onverwacht begin contractnummer", "Unexpected contract prefix",
        ("Raamwerkcontractnummer '{normalised}' begint niet met {prefixes}.",
         "Controleer het nummer bij a.s.r. Begint het terecht anders (bijvoorbeeld met "
         "{prefix_example}), neem dan contact op met a.s.r.: a.s.r. kan dat begin laten "
         "accepteren; lever de werkmap daarna opnieuw aan."),
        ("Framework contract number '{normalised}' does not start with {prefixes}.",
         "Check the number with a.s.r. If it rightly starts otherwise (for instance with "
         "{prefix_example}), contact a.s.r.: a.s.r. can have that start accepted; then "
         "submit the workbook again."),
    ),
    "lhn-format": _e(
        "error", "Ongeldig loonheffingennummer", "Invalid wage tax number",
        ("'{value}' is geen loonheffingennummer: verwacht 9 cijfers, de letter L en 2 cijfers.",
         "Neem het nummer over van de aangifte loonheffingen, bijvoorbeeld 123456782L01."),
        ("'{value}' is not a wage tax number: expected 9 digits, the letter L and 2 digits.",
         "Copy it from the wage tax return, e.g. 123456782L01."),
    ),
    "lhn-btw": _e(
        "error", "Btw-nummer in plaats van loonheffingennummer", "VAT number instead of wage tax",
        ("'{value}' is een btw-nummer (letter B), geen loonheffingennummer.",
         "Vul het loonheffingennummer in (9 cijfers, de letter L en 2 cijfers). Het staat op de "
         "aangifte loonheffingen en in de brief van de Belastingdienst over de aanmelding als "
         "werkgever; leid het niet af uit het btw-nummer, want dat heeft vaak andere cijfers."),
        ("'{value}' is a VAT number (letter B), not a wage tax number.",
         "Enter the wage tax number (9 digits, the letter L and 2 digits). It is on the wage "
         "tax return and in the Belastingdienst's letter registering the employer; do not derive "
         "it from the VAT number, whose digits often differ."),
    ),
    "lhn-subnumber": _e(
        "error", "Subnummer 00", "Sub-number 00",
        ("Loonheffingennummer '{normalised}' heeft subnummer 00; dat bestaat niet (01 tot en met "
         "99).",
         "Neem het subnummer over van de aangifte loonheffingen (meestal L01)."),
        ("Wage tax number '{normalised}' has sub-number 00, which does not exist (01 to 99).",
         "Copy the sub-number from the wage tax return (usually L01)."),
    ),
    "lhn-elfproef": _e(
        "error", "Elfproef klopt niet", "Check digit wrong",
        ("Loonheffingennummer '{normalised}': de 9 cijfers voldoen niet aan de elfproef; er is "
         "waarschijnlijk een cijfer verkeerd of verwisseld.",
         "Neem het nummer opnieuw over van de aangifte loonheffingen."),
        ("Wage tax number '{normalised}': the 9 digits fail the eleven test (elfproef); a digit "
         "is probably wrong or swapped.",
         "Copy the number again from the wage tax return."),
    ),
    "lhn-normalised": _e(
        "warning", "Loonheffingennummer aangepast", "Wage tax number adjusted",
        ("Loonheffingennummer '{value}' is gelezen als '{normalised}' ({change_nl}).",
         "Controleer of dat klopt en zet het nummer zo in de werkmap."),
        ("Wage tax number '{value}' was read as '{normalised}' ({change_en}).",
         "Check that this is right and write the number that way in the workbook."),
    ),
    "digits-only": _e(
        "error", "Alleen cijfers", "Digits only",
        ("{label} '{value}' mag alleen cijfers bevatten.", "{help}"),
        ("{label} '{value}' must contain digits only.", "{help}"),
    ),
    "date-instead-of-number": _e(
        "error", "Datum in plaats van nummer", "Date instead of number",
        ("{label} '{value}' is een datum: Excel heeft het nummer als datum opgemaakt.",
         "Maak de kolom op als Tekst en typ het nummer opnieuw. {help}"),
        ("{label} '{value}' is a date: Excel formatted the number as a date.",
         "Format the column as Text and type the number again. {help}"),
    ),
    "guid-instead-of-id": _e(
        "error", "GUID in plaats van nummer", "GUID instead of number",
        ("{label} '{value}' is een GUID (een technische sleutel uit de Loket-API), niet het "
         "nummer dat Loket.nl toont.",
         "Vervang de code door het nummer dat Loket.nl op het scherm toont: alleen cijfers, "
         "zonder letters en streepjes."),
        ("{label} '{value}' is a GUID (a technical key from the Loket API), not the number "
         "Loket.nl shows.",
         "Replace the code with the number Loket.nl shows on screen: digits only, without "
         "letters and hyphens."),
    ),
    "verloning-invalid": _e(
        "error", "Onbekende verloning", "Unknown payroll period",
        ("Verloning '{value}' wordt niet herkend.", "Kies Maand of 4 weken."),
        ("Payroll period '{value}' is not recognised.", "Choose Maand (month) or 4 weken."),
    ),
    "verloning-unsupported": _e(
        "error", "Verloning niet ondersteund", "Payroll period not supported",
        ("Verloning '{value}' wordt door de a.s.r.-koppeling niet ondersteund; alleen per maand "
         "of per 4 weken.",
         "Kies Maand of 4 weken. Wordt deze werkgever echt anders verloond, neem dan contact op "
         "met a.s.r."),
        ("Payroll period '{value}' is not supported by the a.s.r. link; only monthly or "
         "4-weekly.",
         "Choose Maand or 4 weken. If this employer really uses another period, contact a.s.r."),
    ),
    "ja-nee-invalid": _e(
        "error", "Geen Ja of Nee", "Not Ja or Nee",
        ("{label} '{value}' is geen Ja of Nee.", "Kies Ja of Nee."),
        ("{label} '{value}' is neither Ja (yes) nor Nee (no).", "Choose Ja or Nee."),
    ),
    # --- across rows and sheets --------------------------------------------------------------
    "werkgever-duplicate": _e(
        "error", "Werkgever dubbel", "Employer twice",
        ("Werkgever ID {werkgever_id} met loonheffingennummer {lhn} staat {count} keer op het "
         "blad (rijen {rows}).",
         "Laat één rij staan en verwijder de andere."),
        ("Employer ID {werkgever_id} with wage tax number {lhn} appears {count} times "
         "(rows {rows}).",
         "Keep one row and delete the others."),
    ),
    "werkgever-id-multiple-lhn": _e(
        "warning", "Werkgever met meerdere loonheffingennummers",
        "Employer with several wage tax numbers",
        ("Werkgever ID {werkgever_id} komt voor met verschillende loonheffingennummers "
         "({count} rijen: {rows}).",
         "Dat kan kloppen (L01, L02 … voor aparte loonadministraties); controleer anders het "
         "Werkgever ID."),
        ("Employer ID {werkgever_id} appears with different wage tax numbers ({count} rows: "
         "{rows}).",
         "That can be right (L01, L02 … for separate payroll administrations); otherwise check "
         "the Employer ID."),
    ),
    "dga-werkgever-unknown": _e(
        "error", "DGA bij onbekende werkgever", "DGA of unknown employer",
        ("Werkgever ID '{value}' staat niet op het blad Werkgevers.",
         "Gebruik het Werkgever ID van een werkgever op het blad Werkgevers, of voeg die "
         "werkgever toe."),
        ("Employer ID '{value}' is not on the Werkgevers sheet.",
         "Use the Employer ID of an employer on the Werkgevers sheet, or add that employer."),
    ),
    "personeelsnummer-duplicate": _e(
        "error", "Personeelsnummer dubbel", "Employee number twice",
        ("Personeelsnummer {value} komt bij werkgever {werkgever_id} {count} keer voor "
         "(rijen {rows}).",
         "Elke DGA heeft een eigen personeelsnummer: verwijder de dubbele rij of verbeter het "
         "nummer."),
        ("Employee number {value} appears {count} times for employer {werkgever_id} "
         "(rows {rows}).",
         "Each DGA has their own employee number: delete the duplicate row or correct it."),
    ),
    "dga-missing": _e(
        "error", "DGA ontbreekt", "DGA missing",
        ("'DGA in verloning' is Ja, maar op het blad DGA staat geen DGA met Werkgever ID "
         "{werkgever_id}.",
         "Vul op het blad DGA per DGA een rij in (Werkgever ID, naam, personeelsnummer), of "
         "zet hier Nee."),
        ("'DGA in verloning' is Ja, but the DGA sheet has no DGA with Employer ID "
         "{werkgever_id}.",
         "Add a row per DGA to the DGA sheet (Employer ID, name, employee number), or answer "
         "Nee here."),
    ),
    "dga-unexpected": _e(
        "error", "DGA bij Nee", "DGA listed but Nee",
        ("'DGA in verloning' is Nee, maar blad DGA noemt Werkgever ID {werkgever_id} in "
         "{rows_nl}.",
         "Zet hier Ja, of verwijder {rows_nl} op blad DGA."),
        ("'DGA in verloning' is Nee, but the DGA sheet lists Employer ID {werkgever_id} in "
         "{rows_en}.",
         "Answer Ja here, or delete {rows_en} on the DGA sheet."),
    ),
    "dga-rows-rejected": _e(
        "warning", "Tegengehouden door DGA's", "Held back by DGAs",
        ("Werkgever {werkgever_id} wordt nog niet aangeleverd: {rows_nl} op blad DGA "
         "{have_nl} fouten, en een werkgever gaat alleen mee met al zijn DGA's.",
         "Deze cel is goed. Verbeter de rode cellen op blad DGA ({rows_nl}); deze werkgever "
         "gaat dan mee."),
        ("Employer {werkgever_id} is held back: {rows_en} on the DGA sheet {have_en} "
         "errors, and an employer is only delivered together with all its DGAs.",
         "This cell is right. Correct the red cells on the DGA sheet ({rows_en}); this "
         "employer is then delivered."),
    ),
    "batch-duplicate-in-run": _e(
        "warning", "Werkgever twee keer in deze verwerking", "Employer twice in this run",
        ("Werkgever ID {value} met loonheffingennummer {lhn} staat ook in {earlier_file} "
         "(rij {earlier_row}) van deze verwerking; het wordt maar één keer aangeleverd.",
         "Niets te doen als het om dezelfde aanmelding gaat; lever een werkgever anders maar in "
         "één bestand aan."),
        ("Employer ID {value} with wage tax number {lhn} is also in {earlier_file} "
         "(row {earlier_row}) of this run; it is delivered once only.",
         "Nothing to do if it is the same registration; otherwise submit an employer in one "
         "file only."),
    ),
    "batch-already-registered": _e(
        "warning", "Werkgever al eerder aangemeld", "Employer registered before",
        ("Werkgever ID {value} met loonheffingennummer {lhn} is al aangemeld op "
         "{earlier_date} in {earlier_file} (rij {earlier_row}); het wordt niet opnieuw "
         "aangeleverd.",
         "Niets te doen als het om dezelfde aanmelding gaat; neem anders contact op met "
         "a.s.r."),
        ("Employer ID {value} with wage tax number {lhn} was registered on {earlier_date} in "
         "{earlier_file} (row {earlier_row}); it is not delivered again.",
         "Nothing to do if it is the same registration; otherwise contact a.s.r."),
    ),
    "batch-conflict": _e(
        "error", "Andere gegevens dan eerder aangemeld", "Differs from the earlier registration",
        ("Werkgever ID {value} met loonheffingennummer {lhn} is al aangemeld op {earlier_date} "
         "in {earlier_file} (rij {earlier_row}), met andere gegevens: {fields}. Deze rij is "
         "niet aangeleverd.",
         "Zijn de nieuwe gegevens juist, neem dan contact op met a.s.r.: a.s.r. kan ze bewust "
         "opnieuw aanleveren, zodat ze de eerdere aanmelding vervangen."),
        ("Employer ID {value} with wage tax number {lhn} was registered on {earlier_date} in "
         "{earlier_file} (row {earlier_row}) with other data: {fields}. This row was not "
         "delivered.",
         "If the new data are right, contact a.s.r.: a.s.r. can deliver them again on purpose, "
         "replacing the earlier registration."),
    ),
    "batch-redelivered": _e(
        "warning", "Opnieuw aangeleverd op verzoek", "Delivered again on request",
        ("Werkgever ID {value} is op verzoek opnieuw aangeleverd en vervangt de aanmelding uit "
         "{earlier_file} (rij {earlier_row}, {earlier_date}); anders: {fields}.",
         "Niets te doen."),
        ("Employer ID {value} was delivered again on request and replaces the registration "
         "from {earlier_file} (row {earlier_row}, {earlier_date}); different: {fields}.",
         "Nothing to do."),
    ),
    "batch-after-refusal": _e(
        "warning", "Opnieuw aangeleverd na afwijzing", "Delivered again after a refusal",
        ("Werkgever ID {value} met loonheffingennummer {lhn} was door a.s.r. afgewezen "
         "({reason}); het is opnieuw aangeleverd en vervangt de aanmelding uit {earlier_file} "
         "(rij {earlier_row}, {earlier_date}).",
         "Niets te doen: a.s.r. bekijkt de aanmelding opnieuw."),
        ("Employer ID {value} with wage tax number {lhn} was refused by a.s.r. ({reason}); it "
         "was delivered again and replaces the registration from {earlier_file} (row "
         "{earlier_row}, {earlier_date}).",
         "Nothing to do: a.s.r. looks at the registration again."),
    ),
    "batch-refused-same-content": _e(
        "warning", "Afgewezen, niet opnieuw aangeleverd", "Refused, not delivered again",
        ("Werkgever ID {value} met loonheffingennummer {lhn} is door a.s.r. afgewezen "
         "({reason}). Dit bestand is hetzelfde als het bestand dat de werkgever eerder "
         "aanleverde ({earlier_file}, rij {earlier_row}, {earlier_date}), dus het is niet "
         "opnieuw aangeleverd.",
         "Los op wat a.s.r. als reden noemt en lever de werkgever daarna opnieuw aan."),
        ("Employer ID {value} with wage tax number {lhn} was refused by a.s.r. ({reason}). "
         "This file is the same as the file that delivered the employer before "
         "({earlier_file}, row {earlier_row}, {earlier_date}), so it was not delivered again.",
         "Resolve what a.s.r. gives as the reason, then submit the employer again."),
    ),
    "batch-lhn-other-employer": _e(
        "warning", "Loonheffingennummer bij twee werkgevers", "Wage tax number at two employers",
        ("Loonheffingennummer {lhn} staat ook bij Werkgever ID {other_id} in {earlier_file} "
         "(rij {earlier_row}); een loonheffingennummer hoort bij één werkgever.",
         "Controleer in Loket.nl (tab Bedrijfsgegevens) welk Werkgever ID bij dit "
         "loonheffingennummer hoort en verbeter het andere."),
        ("Wage tax number {lhn} is also given for Employer ID {other_id} in {earlier_file} "
         "(row {earlier_row}); a wage tax number belongs to one employer.",
         "Check in Loket.nl (tab Bedrijfsgegevens) which Employer ID this wage tax number "
         "belongs to, and correct the other."),
    ),
    "dga-employer-rejected": _e(
        "warning", "DGA niet aangeleverd", "DGA not delivered",
        ("Deze DGA wordt niet aangeleverd omdat werkgever {werkgever_id} is afgekeurd "
         "(blad Werkgevers, {rows_nl}).",
         "Verbeter de fouten bij die werkgever; de DGA gaat dan mee."),
        ("This DGA is not delivered because employer {werkgever_id} was rejected "
         "(Werkgevers sheet, {rows_en}).",
         "Correct that employer's errors; the DGA is then delivered with it."),
    ),
    # --- the status file (a.s.r. and Keylane: steps 3 and 4 of the manual) -------------------
    "state-invalid": _e(
        "error", "Onbekende status", "Unknown state",
        ("'{value}' is geen status van een aanmelding.",
         "Vul completed (aangevuld door a.s.r.), setup (in inrichting bij Keylane), live of "
         "refused (afgewezen) in."),
        ("'{value}' is not a state of a registration.",
         "Fill in completed (by a.s.r.), setup (at Keylane), live or refused."),
    ),
    "date-invalid": _e(
        "error", "Geen datum", "Not a date",
        ("'{value}' in de kolom '{label}' is geen datum.",
         "Vul een datum in als 2027-01-15 of 15-01-2027, of een datum van Excel."),
        ("'{value}' in column '{label}' is not a date.",
         "Fill in a date such as 2027-01-15 or 15-01-2027, or an Excel date."),
    ),
    "date-number-invalid": _e(
        "error", "Getal is geen datum", "Number is not a date",
        ("Het getal {value} in de kolom '{label}' is geen datum: een getal wordt als datum "
         "genomen zoals Excel datums telt, van {first} ({first_day_nl}) tot en met {last} "
         "({last_day_nl}), en dit getal valt daarbuiten.",
         "Vul de datum in als 2027-01-15 of 15-01-2027, of als datum van Excel (een cel met de "
         "opmaak Datum)."),
        ("The number {value} in column '{label}' is not a date: a number is taken as a date "
         "as Excel counts dates, from {first} ({first_day_en}) to {last} ({last_day_en}), and "
         "this one is outside that count.",
         "Fill in the date as 2027-01-15 or 15-01-2027, or as an Excel date (a cell formatted "
         "as a date)."),
    ),
    "status-unknown-employer": _e(
        "error", "Werkgever niet aangeleverd", "Employer not delivered",
        ("Werkgever {werkgever_id} met loonheffingennummer {lhn} is nooit aangeleverd; de "
         "status is niet vastgelegd.",
         "Controleer het Werkgever ID en het loonheffingennummer: samen moeten ze gelijk zijn "
         "aan die van de aanmelding."),
        ("Employer {werkgever_id} with wage tax number {lhn} was never delivered; the state "
         "was not recorded.",
         "Check the Employer ID and the wage tax number: together they must equal those of the "
         "registration."),
    ),
    "status-backward": _e(
        "error", "Status terug", "State goes back",
        ("Werkgever {werkgever_id} is al {current_nl} (vastgelegd op {since_nl}); '{value}' "
         "zou een stap terug zijn en is niet vastgelegd.",
         "Een aanmelding gaat alleen vooruit. Een afgewezen werkgever komt alleen terug door "
         "een nieuwe aanlevering; klopt de huidige status niet, neem dan contact op met het "
         "beheer van de koppeling."),
        ("Employer {werkgever_id} is already {current_en} (recorded on {since_en}); '{value}' "
         "would be a step back and was not recorded.",
         "A registration only moves forward. A refused employer comes back only by a new "
         "delivery; if the current state is wrong, contact the link's administrators."),
    ),
    "status-live-without-date": _e(
        "error", "Live zonder datum", "Live without a date",
        ("Werkgever {werkgever_id} is live, maar de datum van de eerste uitwisseling ontbreekt.",
         "Vul in de kolom '{label}' de datum van de eerste uitwisseling van gegevens in: het "
         "salarisbureau krijgt die te horen."),
        ("Employer {werkgever_id} is live, but the date of the first exchange is missing.",
         "Fill in column '{label}' with the date of the first exchange of data: the payroll "
         "bureau is told it."),
    ),
    "status-refused-without-reason": _e(
        "error", "Afgewezen zonder reden", "Refused without a reason",
        ("Werkgever {werkgever_id} is afgewezen, maar de reden ontbreekt.",
         "Vul in de kolom '{label}' in waarom, in woorden voor het salarisbureau: het krijgt "
         "die te horen."),
        ("Employer {werkgever_id} is refused, but the reason is missing.",
         "Fill in column '{label}' with why, in words for the payroll bureau: it is told."),
    ),
    "status-date-too-old": _e(
        "error", "Datum te ver terug", "Date too far back",
        ("Werkgever {werkgever_id} is live, maar de datum van de eerste uitwisseling, "
         "{date_nl}, ligt {days} dagen terug: verder dan de grens van {bound} dagen, dus "
         "waarschijnlijk een tikfout. De status is niet vastgelegd.",
         "Controleer dag, maand en jaar in de kolom '{label}' en verbeter de datum (niet vóór "
         "{limit_nl}). Was de eerste uitwisseling echt zo lang geleden, vraag dan het beheer "
         "van de koppeling de grens voor deze keer te verruimen."),
        ("Employer {werkgever_id} is live, but the date of the first exchange, {date_en}, is "
         "{days} days ago: further back than the bound of {bound} days, so probably a typing "
         "error. The state was not recorded.",
         "Check the day, month and year in column '{label}' and correct the date (not before "
         "{limit_en}). If the first exchange really was that long ago, ask the link's "
         "administrators to widen the bound for this once."),
    ),
    "status-date-too-far-ahead": _e(
        "error", "Datum te ver vooruit", "Date too far ahead",
        ("Werkgever {werkgever_id} is live, maar de datum van de eerste uitwisseling, "
         "{date_nl}, ligt {days} dagen vooruit: verder dan de grens van {bound} dagen, dus "
         "waarschijnlijk een tikfout (vaak in het jaar). De status is niet vastgelegd.",
         "Controleer dag, maand en jaar in de kolom '{label}' en verbeter de datum (niet na "
         "{limit_nl}). Staat de eerste uitwisseling echt zo ver vooruit, vraag dan het beheer "
         "van de koppeling de grens voor deze keer te verruimen."),
        ("Employer {werkgever_id} is live, but the date of the first exchange, {date_en}, is "
         "{days} days ahead: further than the bound of {bound} days, so probably a typing "
         "error (often in the year). The state was not recorded.",
         "Check the day, month and year in column '{label}' and correct the date (not after "
         "{limit_en}). If the first exchange really is that far ahead, ask the link's "
         "administrators to widen the bound for this once."),
    ),
    "status-live-other-date": _e(
        "warning", "Al live met een andere datum", "Already live with another date",
        ("Werkgever {werkgever_id} is al live sinds {since_nl}, met de eerste uitwisseling op "
         "{current_nl}; de datum {date_nl} in dit bestand is niet vastgelegd.",
         "Een live aanmelding verandert niet meer via het statusbestand. Is de eerste "
         "uitwisseling verschoven, laat het salarisbureau dat dan zelf weten; staat er een "
         "verkeerde datum in het grootboek, neem dan contact op met het beheer van de "
         "koppeling."),
        ("Employer {werkgever_id} is live since {since_en}, with the first exchange on "
         "{current_en}; the date {date_en} in this file was not recorded.",
         "A live registration no longer changes through the status file. If the first exchange "
         "was moved, tell the payroll bureau yourself; if the ledger holds a wrong date, "
         "contact the link's administrators."),
    ),
    "status-duplicate": _e(
        "error", "Werkgever dubbel", "Employer twice",
        ("Werkgever {werkgever_id} met loonheffingennummer {lhn} staat ook in rij {first}; "
         "het is niet duidelijk welke status geldt. Geen van beide is vastgelegd.",
         "Laat één rij per werkgever staan."),
        ("Employer {werkgever_id} with wage tax number {lhn} is also in row {first}; it is "
         "unclear which state counts. Neither was recorded.",
         "Keep one row per employer."),
    ),
}


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def delivered_note(delivered: int, accepted: int, lang: Lang) -> str:
    """Where a batch delivered fewer employers than were accepted (the others were delivered
    before): how many, for report.html and the Controle sheet."""
    s = "s" if accepted != 1 else ""
    if lang == "nl":
        return (f"Aangeleverd in deze verwerking: {delivered} van de {accepted} goedgekeurde "
                f"werkgever{s}; de andere waren al eerder aangeleverd (zie de waarschuwingen).")
    return (f"Delivered in this run: {delivered} of the {accepted} accepted employer{s}; the "
            "others were delivered before (see the warnings).")


def next_step(door: str, status: str, lang: Lang, *, workbook: str, feedback: str,
              accepted: int, rows: int, marked: bool = True) -> str:
    """What to do after a check that came in by `door` (a `Door`) with `status` (accepted,
    partially accepted, rejected): what to send, to whom, under which file name. For a
    partly accepted file it starts with how many employers were accepted."""
    ui = UI[lang]
    unmarked = "_unmarked" if status == "rejected" and not marked else ""
    text = ui[f"next_{door}_{status}{unmarked}"].format(workbook=workbook, feedback=feedback)
    if status == "partially accepted":
        counted = ui["next_accepted_some" if accepted == 1 else "next_accepted_many"]
        text = f"{counted.format(n=accepted, rows=rows)} {text}"
    return text


def render(code: str, lang: Lang, context: dict[str, str]) -> tuple[str, str]:
    """The message and the fix for `code` in `lang`, with the context filled in."""
    entry = CATALOGUE[code]
    message, fix = entry.nl if lang == "nl" else entry.en
    values = _Blank(context)
    return message.format_map(values), fix.format_map(values)


#: The words of the HTML report and the terminal summary, per language.
UI: dict[Lang, dict[str, str]] = {
    "nl": {
        "title": "Controle aanmelding werkgevers a.s.r.-salariskoppeling",
        "file": "Bestand",
        "checked_at": "Gecontroleerd op",
        "ok": "Geen fouten gevonden: alle werkgevers kunnen worden aangeleverd.",
        "ok_short": "Geen fouten gevonden.",
        "not_ok": "Er zijn fouten gevonden. Rijen met een fout worden niet aangeleverd; "
        "verbeter ze en lever de werkmap opnieuw aan.",
        "totals": "Totalen",
        "sheet": "Blad",
        "rows": "Rijen",
        "accepted": "Goedgekeurd",
        "rejected": "Afgekeurd",
        "errors": "Fouten",
        "warnings": "Waarschuwingen",
        "workbook_findings": "Over de werkmap",
        "per_rule": "Per controle",
        "rule": "Controle",
        "count": "Aantal",
        "rejected_rows": "Afgekeurde rijen op blad {sheet}",
        "warning_rows": "Waarschuwingen op blad {sheet}",
        "row": "Rij",
        "cell": "Cel",
        "field": "Veld",
        "value": "Waarde",
        "problem": "Wat is er mis",
        "fix": "Hoe op te lossen",
        "accepted_employers": "Goedgekeurde werkgevers",
        "shown_of": "{shown} van {total} getoond; de volledige lijst staat in {where}.",
        "none": "Geen.",
        "error": "fout",
        "warning": "waarschuwing",
        "terminal": "{sheet}: {rows}, {accepted} goedgekeurd, {rejected} afgekeurd",
        "terminal_rows_one": "{n} rij",
        "terminal_rows_many": "{n} rijen",
        "terminal_errors_one": "{n} fout",
        "terminal_errors_many": "{n} fouten",
        "terminal_warnings_one": "{n} waarschuwing",
        "terminal_warnings_many": "{n} waarschuwingen",
        "terminal_fix": "Wat te doen:",
        "terminal_row": "{sheet}, rij {row}",
        "terminal_more_one": "En nog 1 bevinding: alle bevindingen staan in report.html en in "
        "het blad Controle van de feedbackwerkmap.",
        "terminal_more_many": "En nog {n} bevindingen: alle bevindingen staan in report.html en "
        "in het blad Controle van de feedbackwerkmap.",
        "terminal_next": "Opnieuw controleren, na het verbeteren:",
        "terminal_written": "Geschreven in {out}: {files}",
        "terminal_valid": "Resultaat: geldig",
        "terminal_invalid": "Resultaat: niet geldig",
        "severity": "Ernst",
        "code": "Code",
        "no_findings": "Geen bevindingen: de werkmap is in orde.",
        "full_lists": "report.json en in het blad Controle van de feedbackwerkmap",
        "values_copy": "Let op: de werkmap kon niet als kopie worden teruggegeven; dit is een "
        "nieuwe werkmap met dezelfde waarden (zonder opmaak en formules).",
        "feedback_fix": "{feedback}, naast dit rapport, is je eigen werkmap met de fouten "
        "gemarkeerd: elke cel met een fout is rood en elke cel met alleen een waarschuwing "
        "oranje, met een opmerking die zegt wat er mis is; het eerste blad, Controle, somt alles "
        "op.",
        "feedback_ok": "{feedback}, naast dit rapport, is je werkmap met een blad Controle "
        "ervoor.",
        # The next step after a check, per door (intake.definition.status.Door) and outcome.
        "next_step": "Volgende stap",
        "next_accepted_some": "{n} van de {rows} werkgevers is goedgekeurd.",
        "next_accepted_many": "{n} van de {rows} werkgevers zijn goedgekeurd.",
        "next_command line_accepted": "Lever {workbook} in bij a.s.r. zoals het blad Toelichting "
        "van het sjabloon zegt (stap 3); staat het daar niet, vraag je contactpersoon bij a.s.r. "
        "hoe.",
        "next_command line_partially accepted": "Verbeter de rode cellen in {feedback}, sla het "
        "op en controleer het opnieuw; lever het daarna in bij a.s.r. zoals het blad Toelichting "
        "van het sjabloon zegt (stap 3). Lever je {workbook} nu al in, dan worden alleen de "
        "goedgekeurde werkgevers aangeleverd, en later niet nog eens.",
        "next_command line_rejected": "Geen enkele werkgever is goedgekeurd. Verbeter de rode "
        "cellen in {feedback}, sla het op en controleer het opnieuw.",
        "next_batch_accepted": "Je hoeft niets meer te doen: alle werkgevers uit {workbook} zijn "
        "goedgekeurd en a.s.r. heeft ze ontvangen.",
        "next_batch_partially accepted": "a.s.r. heeft de goedgekeurde werkgevers ontvangen. "
        "Verbeter de rode cellen in {feedback}, sla het op en lever het opnieuw aan zoals je "
        "{workbook} aanleverde; wat al is aangeleverd wordt niet nog eens aangeleverd.",
        "next_batch_rejected": "Er is niets aangeleverd. Verbeter de rode cellen in {feedback}, "
        "sla het op en lever het opnieuw aan zoals je {workbook} aanleverde.",
        "next_web_accepted": "Je hoeft niets meer te doen: de werkmap is goedgekeurd en staat "
        "klaar voor a.s.r.",
        "next_web_partially accepted": "Verbeter de rode cellen in {feedback}, sla het op en "
        "upload het opnieuw. Wil je niet wachten, stuur dan op de pagina van deze upload de "
        "goedgekeurde werkgevers nu al door; wat al is aangeleverd wordt niet nog eens "
        "aangeleverd.",
        "next_web_rejected": "Er is niets naar a.s.r. gestuurd. Verbeter de rode cellen in "
        "{feedback}, sla het op en upload het opnieuw.",
        "next_command line_rejected_unmarked": "Geen enkele werkgever is goedgekeurd. Los de "
        "fouten uit dit overzicht op in {workbook} (ze gaan over de werkmap als geheel, niet "
        "over een cel), sla het op en controleer het opnieuw.",
        "next_batch_rejected_unmarked": "Er is niets aangeleverd. Los de fouten uit dit "
        "overzicht op in {workbook} (ze gaan over de werkmap als geheel, niet over een cel), "
        "sla het op en lever het opnieuw aan zoals je het aanleverde.",
        "next_web_rejected_unmarked": "Er is niets naar a.s.r. gestuurd. Los de fouten uit dit "
        "overzicht op in {workbook} (ze gaan over de werkmap als geheel, niet over een cel), "
        "sla het op en upload het opnieuw.",
        "batch_title": "Nachtelijke verwerking",
        "run": "Verwerking",
        "status": "Status",
        "files": "Bestanden",
        "delivered": "Aangeleverd",
        "cross_file": "Over bestanden heen",
        "report": "rapport",
        "st_accepted": "goedgekeurd",
        "st_partially accepted": "deels goedgekeurd",
        "st_rejected": "afgekeurd",
        "st_unreadable": "onleesbaar",
        "st_too-large": "te groot om veilig te lezen",
        "st_failed": "mislukt",
        "st_skipped": "overgeslagen (al verwerkt)",
        "st_waiting": "wacht (wordt nog geschreven)",
        "st_timed-out": "te traag (volgende keer opnieuw)",
        "st_refused": "geweigerd (geen gewoon bestand)",
        "st_inaccessible": "niet te openen (volgende keer opnieuw)",
        "st_vanished": "verdwenen tijdens de verwerking",
        # the nightly batch's notes on a file (summary.json, the log, the pages)
        "batch_findings": "{errors} fout(en), {warnings} waarschuwing(en); zie "
        "{output}/report.html",
        "batch_refused": "niet gelezen: een {what}, geen gewoon bestand (links worden niet "
        "gevolgd)",
        "batch_inaccessible": "kan niet worden geopend of gelezen ({what}); pas de rechten aan, "
        "het wordt de volgende keer opnieuw geprobeerd",
        "batch_vanished": "verdwenen voordat het gelezen was",
        "batch_changing": "veranderde terwijl het gelezen werd; volgende keer opnieuw",
        "batch_settling": "pas gewijzigd (wordt mogelijk nog geschreven); volgende keer",
        "batch_not_moved": "{name} niet verplaatst: {why}",
        "batch_no_files": "geen bestanden in {inbox}: geen verwerking",
        # what a refused inbox entry was (intake.batch.inbox's words)
        "entry_symbolic link": "symbolische link",
        "entry_FIFO": "FIFO (named pipe)",
        "entry_folder": "map",
        "entry_device": "apparaat",
        "entry_special file": "speciaal bestand",
    },
    "en": {
        "title": "Employer registration check, a.s.r. payroll link",
        "file": "File",
        "checked_at": "Checked at",
        "ok": "No errors found: every employer can be delivered.",
        "ok_short": "No errors found.",
        "not_ok": "Errors were found. Rows with an error are not delivered; correct them and "
        "submit the workbook again.",
        "totals": "Totals",
        "sheet": "Sheet",
        "rows": "Rows",
        "accepted": "Accepted",
        "rejected": "Rejected",
        "errors": "Errors",
        "warnings": "Warnings",
        "workbook_findings": "About the workbook",
        "per_rule": "Per check",
        "rule": "Check",
        "count": "Count",
        "rejected_rows": "Rejected rows on sheet {sheet}",
        "warning_rows": "Warnings on sheet {sheet}",
        "row": "Row",
        "cell": "Cell",
        "field": "Field",
        "value": "Value",
        "problem": "What is wrong",
        "fix": "How to fix it",
        "accepted_employers": "Accepted employers",
        "shown_of": "{shown} of {total} shown; the full list is in {where}.",
        "none": "None.",
        "error": "error",
        "warning": "warning",
        "terminal": "{sheet}: {rows}, {accepted} accepted, {rejected} rejected",
        "terminal_rows_one": "{n} row",
        "terminal_rows_many": "{n} rows",
        "terminal_errors_one": "{n} error",
        "terminal_errors_many": "{n} errors",
        "terminal_warnings_one": "{n} warning",
        "terminal_warnings_many": "{n} warnings",
        "terminal_fix": "What to do:",
        "terminal_row": "{sheet}, row {row}",
        "terminal_more_one": "And 1 more finding: every finding is in report.html and on the "
        "Controle sheet of the feedback workbook.",
        "terminal_more_many": "And {n} more findings: every finding is in report.html and on "
        "the Controle sheet of the feedback workbook.",
        "terminal_next": "To check it again, once corrected:",
        "terminal_written": "Written to {out}: {files}",
        "terminal_valid": "Result: valid",
        "terminal_invalid": "Result: not valid",
        "severity": "Severity",
        "code": "Code",
        "no_findings": "No findings: the workbook is in order.",
        "full_lists": "report.json and on the Controle sheet of the feedback workbook",
        "values_copy": "Note: the workbook could not be given back as a copy; this is a new "
        "workbook with the same values (without formatting and formulas).",
        "feedback_fix": "{feedback}, next to this report, is your own workbook with the "
        "mistakes marked: every cell with an error is red and every cell with only a warning "
        "amber, with a comment saying what is wrong; its first sheet, Controle, lists "
        "everything.",
        "feedback_ok": "{feedback}, next to this report, is your workbook with a Controle sheet "
        "in front.",
        "next_step": "Next step",
        "next_accepted_some": "{n} of the {rows} employers is accepted.",
        "next_accepted_many": "{n} of the {rows} employers are accepted.",
        "next_command line_accepted": "Submit {workbook} to a.s.r. as the template's Toelichting "
        "sheet says (step 3); if it does not say, ask your contact at a.s.r. how.",
        "next_command line_partially accepted": "Correct the red cells in {feedback}, save it and "
        "check it again; then submit it to a.s.r. as the template's Toelichting sheet says "
        "(step 3). If you submit {workbook} now, only the accepted employers are delivered, and "
        "not again later.",
        "next_command line_rejected": "No employer is accepted. Correct the red cells in "
        "{feedback}, save it and check it again.",
        "next_batch_accepted": "Nothing more to do: every employer in {workbook} is accepted and "
        "a.s.r. has received them.",
        "next_batch_partially accepted": "a.s.r. has received the accepted employers. Correct "
        "the red cells in {feedback}, save it and submit it again the way you submitted "
        "{workbook}; what was delivered is not delivered again.",
        "next_batch_rejected": "Nothing was delivered. Correct the red cells in {feedback}, save "
        "it and submit it again the way you submitted {workbook}.",
        "next_web_accepted": "Nothing more to do: the workbook is accepted and ready for a.s.r.",
        "next_web_partially accepted": "Correct the red cells in {feedback}, save it and upload "
        "it again. If you do not want to wait, forward the accepted employers now on this "
        "upload's page; what was delivered is not delivered again.",
        "next_web_rejected": "Nothing was sent to a.s.r. Correct the red cells in {feedback}, "
        "save it and upload it again.",
        "next_command line_rejected_unmarked": "No employer is accepted. Resolve the errors "
        "in this overview in {workbook} (they are about the workbook as a whole, not a cell), "
        "save it and check it again.",
        "next_batch_rejected_unmarked": "Nothing was delivered. Resolve the errors in this "
        "overview in {workbook} (they are about the workbook as a whole, not a cell), save it "
        "and submit it again the way you submitted it.",
        "next_web_rejected_unmarked": "Nothing was sent to a.s.r. Resolve the errors in this "
        "overview in {workbook} (they are about the workbook as a whole, not a cell), save it "
        "and upload it again.",
        "batch_title": "Nightly run",
        "run": "Run",
        "status": "Status",
        "files": "Files",
        "delivered": "Delivered",
        "cross_file": "Across files",
        "report": "report",
        "st_accepted": "accepted",
        "st_partially accepted": "partially accepted",
        "st_rejected": "rejected",
        "st_unreadable": "unreadable",
        "st_too-large": "too large to read safely",
        "st_failed": "failed",
        "st_skipped": "skipped (processed before)",
        "st_waiting": "waiting (still being written)",
        "st_timed-out": "timed out (tried again next run)",
        "st_refused": "refused (not a regular file)",
        "st_inaccessible": "cannot be opened (tried again next run)",
        "st_vanished": "vanished during the run",
        # the nightly batch's notes on a file (summary.json, the log, the pages)
        "batch_findings": "{errors} error(s), {warnings} warning(s); see {output}/report.html",
        "batch_refused": "not read: a {what}, not a regular file (links are not followed)",
        "batch_inaccessible": "cannot be opened or read ({what}); fix its permissions, it is "
        "tried again next run",
        "batch_vanished": "gone before it was read",
        "batch_changing": "changed while it was read; tried again next run",
        "batch_settling": "modified moments ago (may still be written); next run",
        "batch_not_moved": "{name} not moved: {why}",
        "batch_no_files": "no files in {inbox}: no run",
    },
}


#: Why a file could not be read at all (exit 2, or status unreadable in a batch), per language.
FILE_ERRORS: dict[str, dict[str, str]] = {
    "not-found": {"nl": "bestand niet gevonden", "en": "file not found"},
    "status-not-a-table": {
        "nl": "geen statusbestand: gebruik een CSV-bestand (.csv) of een werkmap (.xlsx, .xlsm, "
              ".xlsb, .xls, .ods)",
        "en": "not a status file: use a CSV file (.csv) or a workbook (.xlsx, .xlsm, .xlsb, "
              ".xls, .ods)"},
    "csv-unreadable": {
        "nl": "het CSV-bestand is geen leesbare tekst (UTF-8 of Windows-1252); sla het op als "
              "CSV UTF-8",
        "en": "the CSV file is not readable text (UTF-8 or Windows-1252); save it as CSV UTF-8"},
    "csv-cell-too-long": {
        "nl": "een cel van het CSV-bestand is te lang om te lezen; meestal staat er een "
              "aanhalingsteken (\") dat niet gesloten wordt, zodat de rest van het bestand één "
              "cel lijkt: verbeter de aanhalingstekens en sla het bestand opnieuw op als CSV UTF-8",
        "en": "a cell of the CSV file is too long to read; usually a quotation mark (\") is not "
              "closed, so the rest of the file reads as one cell: correct the quotation marks "
              "and save the file again as CSV UTF-8"},
    "not-a-file": {"nl": "dit is geen bestand maar een map of een speciaal bestand; geef het "
                         "bestand zelf op",
                   "en": "this is not a file but a folder or a special file; give the file "
                         "itself"},
    "not-a-spreadsheet": {
        "nl": "geen werkmap: gebruik .xlsx, .xlsm, .xlsb, .xls of .ods",
        "en": "not a workbook: use .xlsx, .xlsm, .xlsb, .xls or .ods"},
    "empty-file": {"nl": "het bestand is leeg (0 bytes)", "en": "the file is empty (0 bytes)"},
    "encrypted": {
        "nl": "de werkmap is met een wachtwoord beveiligd; sla hem op zonder wachtwoord",
        "en": "the workbook is password-protected; save it without a password"},
    "too-big": {
        "nl": "het bestand is uitgepakt te groot om veilig te lezen (mogelijk een zip-bom); "
              "splits de werkmap in kleinere delen en lever die apart aan",
        "en": "the file is too large when unpacked to read safely (possibly a zip bomb); "
              "split the workbook into smaller parts and submit them separately"},
    "unsafe": {
        "nl": "het bestand bevat XML-declaraties die een werkmap nooit heeft (mogelijk een "
              "XML-bom); sla het opnieuw op in Excel of LibreOffice",
        "en": "the file holds XML declarations a workbook never has (possibly an XML bomb); "
              "save it again in Excel or LibreOffice"},
    "file-too-big": {
        "nl": "het bestand is te groot om veilig te lezen; splits de werkmap in kleinere delen "
              "en lever die apart aan",
        "en": "the file is too large to read safely; split the workbook into smaller parts and "
              "submit them separately"},
    "cannot-open": {
        "nl": "het bestand kan niet geopend worden; controleer de rechten of sluit het in het "
              "programma dat het vasthoudt",
        "en": "the file cannot be opened; check its permissions or close it in the program "
              "holding it"},
    "too-many-sheets": {
        "nl": "de werkmap heeft veel meer bladen dan een aanmelding nodig heeft; laat alleen "
              "de bladen Werkgevers, DGA en Toelichting staan en lever opnieuw aan",
        "en": "the workbook has far more sheets than a registration needs; keep only the "
              "sheets Werkgevers, DGA and Toelichting and send it again"},
    "too-many-cells": {
        "nl": "een blad beslaat meer cellen dan veilig gelezen kan worden; verwijder waarden "
              "en opmaak ver buiten de tabel of splits de werkmap in kleinere delen",
        "en": "a sheet spans more cells than can be read safely; delete values and formatting "
              "far outside the table or split the workbook into smaller parts"},
    "reader-failed": {
        "nl": "het lezen liep vast op iets in dit bestand (een fout in het programma, geen fout "
              "in je gegevens); open het in Excel of LibreOffice en sla het opnieuw op",
        "en": "reading stopped on something in this file (a fault in the program, not a "
              "mistake in your data); open it in Excel or LibreOffice and save it again"},
    "time-limit": {
        "nl": "het controleren duurde langer dan is toegestaan; splits de werkmap in kleinere "
              "delen, en neem contact op met a.s.r. als het dan nog niet lukt",
        "en": "checking took longer than allowed; split the workbook into smaller parts, and "
              "contact a.s.r. if it still does not work"},
    "memory": {
        "nl": "het controleren had meer geheugen nodig dan veilig is; splits de werkmap of sla "
              "hem opnieuw op in Excel of LibreOffice",
        "en": "checking needed more memory than is safe; split the workbook or save it again "
              "in Excel or LibreOffice"},
    "output-too-big": {
        "nl": "de uitvoer van deze werkmap zou groter worden dan de grens; splits de werkmap",
        "en": "the output of this workbook would be larger than the limit; split the workbook"},
    "failed": {
        "nl": "het controleren stopte door een fout in het programma (geen fout in je "
              "gegevens); neem contact op met a.s.r.",
        "en": "checking stopped on a fault in the program (not a mistake in your data); "
              "contact a.s.r."},
    "corrupt": {
        "nl": "het bestand kan niet als werkmap worden gelezen (beschadigd of geen "
              "Excel-bestand); open en sla het opnieuw op in Excel of LibreOffice",
        "en": "the file cannot be read as a workbook (damaged or not a spreadsheet); open and "
              "save it again in Excel or LibreOffice"},
}


#: Why a command cannot go on (an `IntakeError` made with `IntakeError.stop`): per code, what
#: is wrong and what to do, in one line per language; {placeholders} are filled in.
STOPS: dict[str, dict[str, str]] = {
    "cannot-write": {
        "nl": "kan niet schrijven in {folder}: {reason}; kies een andere map met --out",
        "en": "cannot write into {folder}: {reason}; choose another folder with --out"},
    "input-in-out": {
        "nl": "{workbook} zou overschreven worden door de uitvoer in {folder}; de invoer wordt "
              "nooit gewijzigd: kies een andere map met --out",
        "en": "{workbook} would be overwritten by the output in {folder}; the input is never "
              "modified: choose another folder with --out"},
    "batch-cannot-create": {
        "nl": "kan {path} niet aanmaken: {reason}",
        "en": "cannot create {path}: {reason}"},
    "batch-posix-only": {
        "nl": "intake batch werkt alleen op Linux en andere POSIX-systemen (het vergrendelt de "
              "uitvoermap met flock en stopt zijn werkprocessen met POSIX-signalen); draai de "
              "nachtelijke verwerking op de Linux-server",
        "en": "intake batch runs on Linux and other POSIX systems only (it locks the output "
              "folder with flock and stops its worker processes with POSIX signals); run the "
              "nightly batch on the Linux server"},
    "prune-posix-only": {
        "nl": "intake prune werkt alleen op Linux en andere POSIX-systemen (het vergrendelt de "
              "uitvoermap met flock, zodat er geen verwerking tegelijk loopt); draai het op de "
              "Linux-server",
        "en": "intake prune runs on Linux and other POSIX systems only (it locks the output "
              "folder with flock, so that no batch runs meanwhile); run it on the Linux server"},
    "serve-posix-only": {
        "nl": "intake serve werkt alleen op Linux en andere POSIX-systemen (elke werkmap wordt "
              "gecontroleerd in een proces met de geheugen- en CPU-grenzen van het "
              "besturingssysteem, die Windows zo niet kent); draai de webintake op de "
              "Linux-server",
        "en": "intake serve runs on Linux and other POSIX systems only (every workbook is "
              "checked in a process held to the operating system's memory and CPU limits, which "
              "Windows does not offer this way); run the web intake on the Linux server"},
    "batch-no-inbox": {
        "nl": "de inbox {inbox} is geen map of bestand",
        "en": "inbox {inbox} is not a folder or a file"},
    "batch-cannot-write": {
        "nl": "kan niet schrijven in {folder}: {reason}; {fix} en start opnieuw (wat al is "
              "vastgelegd gaat niet verloren, de rest wordt dan verwerkt)",
        "en": "cannot write in {folder}: {reason}; {fix} and run again (what was committed is "
              "kept, the rest is processed then)"},
    "batch-disk-full": {"nl": "maak ruimte vrij", "en": "free some space"},
    "batch-fix-this": {"nl": "los dit op", "en": "fix this"},
    "ledger-damaged": {
        "nl": "{path}: {what}; zet de laatste goede kopie terug (de back-up van intake "
              "backup: docs/operator.md, 'Backup and restore'), of verplaats dit bestand "
              "bewust om met een leeg grootboek te beginnen (dan wordt alles opnieuw "
              "aangeleverd)",
        "en": "{path}: {what}; restore the last good copy (the backup intake backup made: "
              "docs/operator.md, 'Backup and restore'), or move this file away on purpose to "
              "start an empty ledger (everything is then delivered again)"},
    "ledger-empty": {"nl": "het grootboek is leeg (0 bytes)",
                     "en": "the ledger is empty (0 bytes)"},
    "ledger-not-sqlite": {
        "nl": "dit is geen SQLite-grootboek (beschadigd of een ander bestand)",
        "en": "this is not an SQLite ledger (damaged or another file)"},
    "ledger-broken": {"nl": "het grootboek is beschadigd ({detail})",
                      "en": "the ledger is damaged ({detail})"},
    "ledger-not-ours": {"nl": "dit is geen grootboek van intake",
                        "en": "this is not an intake ledger"},
    "ledger-unreadable": {
        "nl": "{path}: het grootboek kan niet worden gelezen ({reason})",
        "en": "{path}: the ledger cannot be read ({reason})"},
    "ledger-missing": {"nl": "geen grootboek op {path}", "en": "no ledger at {path}"},
    "ledger-cannot-open": {
        "nl": "{path}: het grootboek kan niet worden geopend of geschreven ({detail}); het is "
              "niet beschadigd en er is niets in veranderd: {fix} en start opnieuw",
        "en": "{path}: the ledger cannot be opened or written ({detail}); it is not damaged "
              "and nothing in it was changed: {fix} and run again"},
    "ledger-disk-full": {"nl": "maak ruimte vrij op de schijf van het grootboek",
                         "en": "free some space on the ledger's disk"},
    "ledger-fix-access": {
        "nl": "controleer de schijf en of deze gebruiker er mag schrijven (ook naast het "
              "bestand: SQLite maakt daar -wal en -shm)",
        "en": "check the disk, and that this user may write there (beside the file too: "
              "SQLite makes -wal and -shm there)"},
    "ledger-not-a-file": {
        "nl": "{path} is geen gewoon bestand (een map, FIFO of apparaat); geef het pad van het "
              "grootboek zelf op",
        "en": "{path} is not a regular file (a folder, FIFO or device); give the path of the "
              "ledger itself"},
    "ledger-newer": {
        "nl": "{path}: het grootboek heeft schema {version}, nieuwer dan dit programma kent "
              "({known}); installeer een nieuwere intake",
        "en": "{path}: ledger schema {version} is newer than this program knows ({known}); "
              "upgrade intake"},
    "serve-cannot-write": {
        "nl": "kan niet schrijven in {folder}: {reason}",
        "en": "cannot write to {folder}: {reason}"},
    "bureau-name": {
        "nl": "ongeldige naam {name!r}: gebruik 1 tot 40 kleine letters, cijfers en streepjes "
              "(de naam is ook de map in de inbox), bijvoorbeeld 'salarisbureau-jansen'",
        "en": "invalid name {name!r}: use 1 to 40 lowercase letters, digits and hyphens (the "
              "name is also the inbox folder), for example 'salarisbureau-jansen'"},
    "bureau-exists": {
        "nl": "{name} heeft al een sleutel; trek die eerst in met 'intake bureau revoke {name}'",
        "en": "{name} already has a key; revoke it first with 'intake bureau revoke {name}'"},
    "bureau-unknown": {
        "nl": "geen werkende sleutel voor {name!r} (zie 'intake bureau list')",
        "en": "no working key for {name!r} (see 'intake bureau list')"},
    "status-messages-posix-only": {
        "nl": "intake status import --messages werkt alleen op Linux en andere POSIX-systemen "
              "(het vergrendelt de uitvoermap met flock, zodat een verwerking hetzelfde nieuws "
              "niet tegelijk vertelt); importeer zonder --messages, dan vertelt de volgende "
              "verwerking het, of draai het op de Linux-server",
        "en": "intake status import --messages runs on Linux and other POSIX systems only (it "
              "locks the output folder with flock, so that no run tells the same news "
              "meanwhile); import without --messages and the next run tells it, or run it on "
              "the Linux server"},
    "status-messages-not-written": {
        "nl": "de statussen zijn vastgelegd, maar de berichten niet: {folder}: {reason}; los "
              "dit op, dan schrijft de volgende verwerking met --messages ze (ook status import)",
        "en": "the states were recorded, but not the messages: {folder}: {reason}; fix this, "
              "and the next run with --messages writes them (status import too)"},
}


#: What each error value a formula can give means, in the user's words (nl, en).
ERROR_VALUES: dict[str, tuple[str, str]] = {
    "#N/A": ("de opzoeking vond niets", "the lookup found nothing"),
    "#REF!": ("de formule verwijst naar een cel die niet meer bestaat",
              "the formula refers to a cell that no longer exists"),
    "#VALUE!": ("de formule rekent met een waarde van de verkeerde soort, zoals tekst waar een "
                "getal hoort", "the formula works with a value of the wrong kind, such as text "
                "where a number belongs"),
    "#DIV/0!": ("de formule deelt door nul of door een lege cel",
                "the formula divides by zero or by an empty cell"),
    "#NAME?": ("de formule gebruikt een naam of functie die het programma niet kent",
               "the formula uses a name or function the program does not know"),
    "#NUM!": ("de formule geeft een getal dat niet kan of te groot is",
              "the formula gives a number that is impossible or too large"),
    "#NULL!": ("de formule vraagt om de overlap van twee bereiken die elkaar niet raken",
               "the formula asks for the overlap of two ranges that do not meet"),
}
#: The meaning of an error value not in ERROR_VALUES (#SPILL!, #CALC!, #GETTING_DATA …).
OTHER_ERROR_VALUE = ("de formule geeft een foutwaarde in plaats van een uitkomst",
                     "the formula gives an error value instead of a result")


def _catalogue_globs() -> list[list[str]]:
    """Every note text the feedback writes, as its literal pieces (between them: the context,
    anything): a finding's message (with the full stop added where it has none) and its fix,
    in either language."""
    globs = []
    for entry in CATALOGUE.values():
        for message, fix in (entry.nl, entry.en):
            for joined in {f"{message} {fix}", f"{message}. {fix}"}:
                globs.append(re.split(r"\{[^{}]*\}", joined))
    return globs


_GLOBS: list[list[str]] = []


def _matches(pieces: list[str], text: str) -> bool:
    """Whether `text` is the literal `pieces` with anything between them (each piece found
    leftmost after the one before: right for patterns whose only wildcard is "anything", and
    linear in the text)."""
    first, last = pieces[0], pieces[-1]
    if len(pieces) == 1:
        return text == first
    if not text.startswith(first) or not text.endswith(last):
        return False
    at, end = len(first), len(text) - len(last)
    for piece in pieces[1:-1]:
        found = text.find(piece, at, end)
        if found < 0:
            return False
        at = found + len(piece)
    return at <= end


def is_catalogue_text(text: str) -> bool:
    """True when every paragraph of `text` (blank-line separated) is a note the feedback
    writes (see `_catalogue_globs`): how a note of ours is told from one a person typed, even
    one starting with the same first line."""
    if not _GLOBS:
        _GLOBS.extend(_catalogue_globs())
    paragraphs = [p.strip() for p in text.strip().split("\n\n")]
    return bool(paragraphs) and all(
        p and any(_matches(pieces, p) for pieces in _GLOBS) for p in paragraphs)
