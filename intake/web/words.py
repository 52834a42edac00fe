"""The web intake's own words, per language, and the language a request is answered in.

Every word on every page of `intake serve` comes from `WORDS[lang]` (as the batch's pages take
theirs from `intake.batch.pages.PAGE`), the words of the report and the statuses from
`intake.definition.messages.UI`, the states of a registration from
`intake.definition.registration.WORDS` and the column labels from the field definitions. One
template per page serves both languages: it asks `Words` for each text.

Keys starting with `op_` are the words of the operator's pages (a.s.r.'s operations, who run the
commands: those pages may name one); every other key is read by a bureau and names no command
or option. The language of a request is the one the person chose with the switch on every page
(a cookie), else serve's `--lang`. The browser's Accept-Language is not asked: many Dutch clerks
run an English Windows, and the operator's choice of language is the safer first page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from markupsafe import Markup, escape

from intake.definition.fields import WERKGEVERS
from intake.definition.messages import FILE_ERRORS, LANGS, UI, Lang
from intake.definition.registration import WORDS as STATE_WORDS
from intake.definition.registration import shown_day
from intake.definition.status import Status

#: The cookie that keeps the language a person chose (not a secret: a preference).
LANG_COOKIE = "intake_taal"
#: How long the choice is kept: a year, so that a clerk who chose English finds it next month.
LANG_COOKIE_DAYS = 365

#: The words of the web pages, per language. `{name}` fields are filled by `Words`.
WORDS: dict[Lang, dict[str, str]] = {
    "nl": {
        # every page
        "site": "Werkgevers aanmelden bij a.s.r.",
        "brand": "Werkgevers aanmelden",
        "brand_sub": "a.s.r.-salariskoppeling met Loket.nl",
        "switch": "English",
        "nav_overview": "Overzicht",
        "nav_uploads": "Uploads",
        "logged_in_as": "Ingelogd als {name}",
        "logout": "Uitloggen",
        "back_to_start": "Terug naar het begin",
        # the login page
        "login_title": "Inloggen",
        "login_lead": "Hier laat je de werkmap met jullie werkgevers controleren en aanmelden "
        "voor de a.s.r.-salariskoppeling. Log in met de toegangssleutel die jullie bureau van "
        "a.s.r. kreeg.",
        "key_label": "Toegangssleutel",
        "login_button": "Inloggen",
        "no_key": "Geen sleutel, of is hij kwijt? Vraag je contactpersoon bij a.s.r. om een "
        "nieuwe.",
        "login_wrong": "Deze sleutel is onbekend of ingetrokken. Controleer de sleutel die je "
        "van a.s.r. kreeg.",
        # the upload page
        "upload_title": "Werkmap uploaden",
        "upload_lead": "Upload de ingevulde werkmap (het sjabloon {template}, of de "
        "feedbackwerkmap van een eerdere upload na het verbeteren). Je ziet binnen enkele "
        "seconden wat er goed is en wat niet. Is alles goed, dan gaat de werkmap vannacht "
        "vanzelf naar a.s.r. Nog geen sjabloon? {link}.",
        "download_template": "Download het lege sjabloon",
        "workbook_label": "Werkmap ({suffixes}; ten hoogste {mb} MB)",
        "drop_hint": "Of sleep de werkmap hierheen.",
        "pick_button": "Kies een werkmap…",
        "picked_none": "Nog geen werkmap gekozen.",
        "pick_first": "Kies eerst de werkmap die je wilt laten controleren.",
        "chosen": "Gekozen:",
        "check_button": "Controleren",
        "busy": "Bezig met controleren… Een grote werkmap kan een minuut duren.",
        "earlier_uploads": "Eerdere uploads",
        "col_uploaded": "Geüpload",
        "col_file": "Bestand",
        "col_check": "Controle",
        "col_accepted": "Werkgevers goed",
        "col_to_asr": "Naar a.s.r.",
        "n_of": "{n} van {rows}",
        "no_uploads": "Nog geen uploads.",
        "your_employers": "Je werkgevers",
        "registrations_lead": "Hoe ver elke werkgever is die a.s.r. van jullie heeft "
        "ontvangen: aangeleverd, aangevuld door a.s.r., in inrichting bij Keylane (Keylane neemt "
        "dan contact met je op), live of afgewezen. De oudste stand staat bovenaan.",
        "col_employer": "Werkgever",
        "col_state": "Stand",
        "col_since": "Sinds",
        "col_days": "Dagen",
        "col_note": "Toelichting",
        "first_exchange": "Eerste uitwisseling van gegevens op {day}",
        "no_registrations": "Nog geen werkgevers aangeleverd. Na de nachtelijke verwerking zie "
        "je hier per werkgever hoe ver de aanmelding is.",
        # what the nightly run did with an upload
        "nightly_done": "Vannacht verwerkt ({when}): {status}",
        "nightly_delivered_one": ", {n} werkgever geleverd",
        "nightly_delivered_many": ", {n} werkgevers geleverd",
        "nightly_conflicts": ", {n} al eerder aangemeld",
        "nightly_waiting": "Klaargezet; wordt vannacht verwerkt",
        "nightly_held": "Niet doorgestuurd: de rijen noemen een ander bureau; bevestig of "
        "upload de juiste werkmap",
        "not_forwarded": "Niet doorgestuurd",
        "not_forwarded_fix": "Niet doorgestuurd: herstel de fouten en upload opnieuw",
        # an upload's check, as the bureau reads it
        "status_checking": "Wordt gecontroleerd",
        "status_accepted": "Goedgekeurd",
        "status_partially accepted": "Deels goedgekeurd",
        "status_rejected": "Afgekeurd",
        "status_unreadable": "Onleesbaar",
        "status_too-large": "Te groot om veilig te lezen",
        "status_timed-out": "Duurde te lang",
        "status_failed": "Niet gecontroleerd",
        # the result page
        "result_title": "Controle {name}",
        "all_uploads": "← Alle uploads",
        "outcome": "{name}: {status}",
        "uploaded": "Geüpload {when} · {size}",
        "other_held": "Let op: deze werkmap noemt een ander bureau",
        "other_confirmed": "Deze werkmap noemt een ander bureau; je hebt bevestigd dat jullie "
        "die werkgevers aanleveren",
        "other_logged_in": "Je bent ingelogd als {bureau}, maar als salarisverwerker noemen de "
        "rijen:",
        "no_name": "(geen naam)",
        "held_why": "Daarom is de werkmap nog niet doorgestuurd naar a.s.r.",
        "held_do": "Heb je de werkmap van een ander bureau geüpload, upload dan de juiste. "
        "Leveren jullie deze werkgevers echt aan (bijvoorbeeld omdat jullie bureau een andere "
        "naam of een ander e-mailadres heeft gekregen), bevestig dat dan hieronder. a.s.r. ziet "
        "je bevestiging.",
        "confirm_tick": "Ja, ons bureau levert deze werkgevers aan als hun salarisverwerker.",
        "confirm_button": "Bevestigen en doorsturen",
        "confirm_button_partial": "Bevestigen en de goedgekeurde werkgevers doorsturen",
        "confirmed_on": "Bevestigd op {when}; a.s.r. ziet je bevestiging.",
        "placed_one": "De werkgever is goedgekeurd. Je hoeft niets meer te doen:",
        "placed_many": "Alle {n} werkgevers zijn goedgekeurd. Je hoeft niets meer te doen:",
        "placed_then": "de werkmap staat klaar en gaat vannacht naar a.s.r.",
        "held_one": "De werkgever is goedgekeurd, maar de werkmap is nog niet doorgestuurd:",
        "held_many": "Alle {n} werkgevers zijn goedgekeurd, maar de werkmap is nog niet "
        "doorgestuurd:",
        "held_then": "de rijen noemen een ander bureau (zie hierboven).",
        "duplicate": "Alle werkgevers zijn goedgekeurd.",
        "duplicate_then": "Precies dit bestand heb je al op {when} geüpload; dat staat al klaar "
        "voor a.s.r. Het wordt niet nog eens verstuurd.",
        "partial_one": "{n} van de {rows} werkgevers is goedgekeurd; de andere hebben fouten.",
        "partial_many": "{n} van de {rows} werkgevers zijn goedgekeurd; de andere hebben "
        "fouten.",
        "partial_then": "Download de feedbackwerkmap{name}: de cellen die moeten worden "
        "aangepast zijn rood, en bij elke cel staat wat er mis is. Herstel ze, sla het bestand "
        "op en upload het hier opnieuw.",
        "rejected": "Geen enkele werkgever is goedgekeurd.",
        "rejected_then": "Download de feedbackwerkmap{name}, herstel de rode cellen, sla het "
        "bestand op en upload het hier opnieuw. Er is niets naar a.s.r. gestuurd.",
        "rejected_unmarked_then": "Herstel in je werkmap wat hieronder bij de fouten staat (het "
        "gaat om de werkmap als geheel, niet om een cel), sla het bestand op en upload het hier "
        "opnieuw. Er is niets naar a.s.r. gestuurd.",
        "unreadable": "Dit bestand kan niet worden gelezen:",
        "not_checked": "Dit bestand is niet gecontroleerd:",
        "not_checked_then": "{error}. Er is niets naar a.s.r. gestuurd.",
        "timed_out": "Het controleren van dit bestand duurde te lang.",
        "timed_out_then": "Splits de werkmap in kleinere delen en upload ze apart; lukt het dan "
        "nog niet, neem contact op met a.s.r. Er is niets naar a.s.r. gestuurd.",
        "download_feedback": "Feedbackwerkmap downloaden",
        "download_feedback_ok": "Feedbackwerkmap downloaden (met controleblad)",
        "report_html": "Rapport (HTML)",
        "report_json": "report.json",
        "forwarded_partial": "Je hebt deze werkmap doorgestuurd: de goedgekeurde werkgevers "
        "gaan vannacht naar a.s.r. Upload de verbeterde feedbackwerkmap later opnieuw; wat al is "
        "aangeleverd wordt niet dubbel aangeleverd.",
        "hurry_one": "Haast? Je kunt de goedgekeurde werkgever nu al doorsturen en de rest "
        "later.",
        "hurry_many": "Haast? Je kunt de goedgekeurde werkgevers nu al doorsturen en de rest "
        "later.",
        "forward_one": "Alleen de goedgekeurde werkgever doorsturen",
        "forward_many": "Alleen de {n} goedgekeurde werkgevers doorsturen",
        "what_next": "Wat gebeurt er nu?",
        "step_nightly": "Vannacht levert de verwerking bij a.s.r. de goedgekeurde werkgevers "
        "aan.",
        "step_keylane": "Keylane, de technische partner van a.s.r., richt de koppeling in en "
        "neemt contact met je op over de autorisaties in Loket.nl.",
        "step_live": "Je krijgt bericht dat de koppeling actief is, met de datum van de eerste "
        "gegevensuitwisseling.",
        "step_one": "Zorg dat de Loket.nl-gebruiker voor de koppeling klaarstaat (stap 1 van de "
        "handleiding): een nieuwe, actieve standaardgebruiker met toegang tot de werkgevers en "
        "de zes rechten.",
        # why an upload was not checked, where the web says it itself
        "error_restarted": "de server werd herstart tijdens het controleren; upload het "
        "bestand opnieuw",
        "error_busy": "de server was te druk; upload het bestand later opnieuw",
        # refusals: a title and what to do
        "not_logged_in_title": "Niet ingelogd",
        "not_logged_in": "Log in met de toegangssleutel van jullie bureau.",
        "no_access_title": "Geen toegang",
        "no_access": "Deze pagina is er niet voor jouw sleutel.",
        "form_expired_title": "Formulier verlopen",
        "form_expired": "Het formulier was verlopen of kwam niet van deze site. Open de pagina "
        "opnieuw en probeer het nog eens.",
        "login_expired_title": "Formulier verlopen",
        "login_expired": "Het inlogformulier was verlopen of kwam niet van deze site. Open de "
        "pagina opnieuw en probeer het nog eens.",
        "too_many_tries_title": "Te veel pogingen",
        "too_many_tries": "Er is te vaak een verkeerde sleutel ingevuld. Probeer het over een "
        "kwartier opnieuw.",
        "no_file_title": "Geen bestand gekozen",
        "no_file": "Kies de werkmap die je wilt laten controleren en klik op '{button}'.",
        "not_a_workbook_title": "Geen werkmap",
        "not_a_workbook": "'{name}' is geen werkmap. Upload een Excel- of LibreOffice-bestand: "
        "{suffixes}.",
        "empty_file_title": "Leeg bestand",
        "empty_file": "'{name}' is leeg (0 bytes). Sla de werkmap opnieuw op en upload die.",
        "disguised_title": "Geen werkmap",
        "disguised": "'{name}' heet {suffix}, maar is geen werkmap (bijvoorbeeld tekst of een "
        "pdf met een andere naam). Open het bestand in Excel of LibreOffice, sla het op als "
        "werkmap (.xlsx) en upload dat.",
        "server_busy_title": "Even geduld",
        "server_busy": "Er worden nu te veel bestanden tegelijk gecontroleerd. Probeer het over "
        "een paar minuten opnieuw.",
        "no_upload_title": "Niet gevonden",
        "no_upload": "Deze upload bestaat niet of is niet van jullie bureau.",
        "cannot_forward_title": "Kan niet doorsturen",
        "cannot_forward": "Alleen een deels goedgekeurde werkmap kan zo worden doorgestuurd.",
        "bureau_forwards_title": "Geen toegang",
        "bureau_forwards": "Alleen het bureau zelf kan doorsturen.",
        "confirm_first_title": "Eerst bevestigen",
        "confirm_first": "De rijen van deze werkmap noemen een ander bureau. Vink aan dat "
        "jullie deze werkgevers aanleveren, of upload de juiste werkmap.",
        "no_feedback_title": "Niet gevonden",
        "no_feedback": "Voor deze upload is geen feedback.",
        "no_such_file_title": "Niet gevonden",
        "no_such_file": "Dit bestand is er niet voor deze upload.",
        "no_page_title": "Niet gevonden",
        "no_page": "Deze pagina bestaat niet.",
        "not_allowed_title": "Niet toegestaan",
        "not_allowed": "Deze actie kan hier niet.",
        "bad_form_title": "Formulier niet te lezen",
        "bad_form": "Wat je verstuurde kon niet als formulier worden gelezen (te groot of "
        "beschadigd). Open de pagina opnieuw en probeer het nog eens.",
        "no_run_title": "Niet gevonden",
        "no_run": "Deze run staat niet in het grootboek.",
        "too_large_title": "Bestand te groot",
        "too_large": "Een upload mag ten hoogste {mb} MB zijn. Splits de werkmap in delen en "
        "upload die apart.",
        # the operator's pages
        "op_title": "Overzicht",
        "op_heading": "Overzicht voor a.s.r.",
        "op_action": "Actie nodig ({n})",
        "op_action_lead": "Uploads die een ander bureau noemen, en uit de laatste {runs} "
        "nachtelijke runs: conflicten met een eerdere aanmelding en bestanden die niet konden "
        "worden gecontroleerd.",
        "op_severity": "Ernst",
        "op_what": "Wat",
        "op_where": "Waar",
        "op_file": "Bestand",
        "op_explained": "Toelichting",
        "op_error": "Fout",
        "op_warning": "Waarschuwing",
        "op_held_what": "upload noemt een ander bureau",
        "op_upload_by": "upload van {bureau}, {when}",
        "op_held_note": "Niet doorgestuurd; wacht op bevestiging van het bureau. De rijen "
        "noemen: {names}.",
        "op_conflict": "conflict met een eerdere aanmelding",
        "op_not_checked": "bestand niet gecontroleerd",
        "op_run": "run {id}",
        "op_redeliver": "Kloppen de nieuwe gegevens, lever dan opnieuw aan met intake batch "
        "--redeliver {value}.",
        "op_confirmed_what": "bureau bevestigde rijen van een ander bureau",
        "op_confirmed_by": "upload van {bureau}, bevestigd {when}",
        "op_confirmed_note": "Doorgestuurd op bevestiging van het bureau; ga na of het klopt. "
        "De rijen noemen: {names}.",
        "op_nothing": "Geen actie nodig: geen conflicten en geen onleesbare bestanden in de "
        "laatste {runs} runs, geen uploads die een ander bureau noemen.",
        "op_funnel": "Aanmeldingen na aanlevering",
        "op_waiting": "Langer dan de grens in hun stand ({bounds}), oudste eerst",
        "op_bound": "{state} {days} dagen",
        "op_first_50": "De eerste 50 van {n}; alle met {command}.",
        "op_history_command": "intake history --json",
        "op_none": "Geen.",
        "op_runs": "Nachtelijke runs",
        "op_col_run": "Run",
        "op_started": "Gestart",
        "op_status": "Status",
        "op_files": "Bestanden",
        "op_delivered": "Werkgevers geleverd",
        "op_conflicts": "Conflicten",
        "op_n_errors_one": "{n} fout",
        "op_n_errors_many": "{n} fout",
        "op_conflicts_note": "Conflicten: werkgevers die al met andere gegevens waren aangemeld "
        "(niet aangeleverd). Een werkgever die met dezelfde gegevens opnieuw wordt aangemeld, "
        "telt niet mee; die staat als melding op de pagina van de run.",
        "op_no_runs": "Nog geen runs in het grootboek.",
        "op_per_bureau": "Per bureau (map in de inbox)",
        "op_bureau": "Bureau",
        "op_outcome": "Uitkomst",
        "op_last": "Laatst verwerkt",
        "op_nothing_yet": "Nog niets verwerkt.",
        "op_recent": "Recente uploads",
        "op_to_night": "Naar de nacht",
        "op_placed": "klaargezet, nog niet verwerkt",
        "op_held_short": "wacht op bevestiging (ander bureau)",
        "op_run_title": "Run {id}",
        "op_back": "← Overzicht",
        "op_run_started": "Gestart {when}",
        "op_run_finished": "klaar {when}",
        "op_run_inbox": "gelezen uit {inbox}",
        "op_notes": "Meldingen",
        "op_conflicts_n": "Conflicten ({n})",
        "op_cell": "Cel",
        "op_value": "Waarde",
        "op_no_conflicts": "Geen werkgevers die al met andere gegevens waren aangemeld.",
        "op_file_error": "Fout",
        "op_accepted": "Werkgevers goed",
        "op_delivered_short": "Geleverd",
        "op_its_upload": "de upload van dit bestand",
        "op_skipped_one": "{n} bestand al eerder verwerkt (zelfde inhoud), overgeslagen",
        "op_skipped_many": "{n} bestanden al eerder verwerkt (zelfde inhoud), overgeslagen",
        "op_notes_n": "Meldingen ({n})",
        "op_notes_lead": "Geen actie nodig: bijvoorbeeld een werkgever die met dezelfde "
        "gegevens al was aangemeld en niet nog eens is aangeleverd.",
        "op_run_running": "bezig",
        "op_run_finished_status": "klaar",
        "op_run_interrupted": "onderbroken, afgemaakt door de volgende run",
    },
    "en": {
        "site": "Registering employers with a.s.r.",
        "brand": "Register employers",
        "brand_sub": "a.s.r. payroll link with Loket.nl",
        "switch": "Nederlands",
        "nav_overview": "Overview",
        "nav_uploads": "Uploads",
        "logged_in_as": "Logged in as {name}",
        "logout": "Log out",
        "back_to_start": "Back to the start",
        "login_title": "Log in",
        "login_lead": "Here you have the workbook with your employers checked and registered "
        "for the a.s.r. payroll link. Log in with the access key your bureau received from "
        "a.s.r.",
        "key_label": "Access key",
        "login_button": "Log in",
        "no_key": "No key, or lost it? Ask your contact at a.s.r. for a new one.",
        "login_wrong": "This key is unknown or revoked. Check the key you received from a.s.r.",
        "upload_title": "Upload a workbook",
        "upload_lead": "Upload the completed workbook (the template {template}, or the "
        "feedback workbook of an earlier upload once corrected). Within seconds you see what is "
        "right and what is not. If everything is right, the workbook goes to a.s.r. by itself "
        "tonight. No template yet? {link}.",
        "download_template": "Download the blank template",
        "workbook_label": "Workbook ({suffixes}; at most {mb} MB)",
        "drop_hint": "Or drag the workbook here.",
        "pick_button": "Choose a workbook…",
        "picked_none": "No workbook chosen yet.",
        "pick_first": "First choose the workbook you want checked.",
        "chosen": "Chosen:",
        "check_button": "Check",
        "busy": "Checking… A large workbook can take a minute.",
        "earlier_uploads": "Earlier uploads",
        "col_uploaded": "Uploaded",
        "col_file": "File",
        "col_check": "Check",
        "col_accepted": "Employers accepted",
        "col_to_asr": "To a.s.r.",
        "n_of": "{n} of {rows}",
        "no_uploads": "No uploads yet.",
        "your_employers": "Your employers",
        "registrations_lead": "How far each employer a.s.r. received from you has got: "
        "delivered, completed by a.s.r., in set-up at Keylane (Keylane then contacts you), live "
        "or refused. The oldest state is at the top.",
        "col_employer": "Employer",
        "col_state": "State",
        "col_since": "Since",
        "col_days": "Days",
        "col_note": "Note",
        "first_exchange": "First exchange of data on {day}",
        "no_registrations": "No employers delivered yet. After the nightly run you see here how "
        "far each employer's registration has got.",
        "nightly_done": "Processed overnight ({when}): {status}",
        "nightly_delivered_one": ", {n} employer delivered",
        "nightly_delivered_many": ", {n} employers delivered",
        "nightly_conflicts": ", {n} registered before",
        "nightly_waiting": "Ready; processed tonight",
        "nightly_held": "Not forwarded: the rows name another bureau; confirm, or upload the "
        "right workbook",
        "not_forwarded": "Not forwarded",
        "not_forwarded_fix": "Not forwarded: correct the errors and upload again",
        "status_checking": "Being checked",
        "status_accepted": "Accepted",
        "status_partially accepted": "Partially accepted",
        "status_rejected": "Rejected",
        "status_unreadable": "Unreadable",
        "status_too-large": "Too large to read safely",
        "status_timed-out": "Took too long",
        "status_failed": "Not checked",
        "result_title": "Check of {name}",
        "all_uploads": "← All uploads",
        "outcome": "{name}: {status}",
        "uploaded": "Uploaded {when} · {size}",
        "other_held": "Note: this workbook names another bureau",
        "other_confirmed": "This workbook names another bureau; you confirmed that you deliver "
        "these employers",
        "other_logged_in": "You are logged in as {bureau}, but as payroll processor the rows "
        "name:",
        "no_name": "(no name)",
        "held_why": "That is why the workbook has not been forwarded to a.s.r. yet.",
        "held_do": "If you uploaded another bureau's workbook, upload the right one. If you "
        "really do deliver these employers (for instance because your bureau has a new name or "
        "e-mail address), confirm that below. a.s.r. sees your confirmation.",
        "confirm_tick": "Yes, our bureau delivers these employers as their payroll processor.",
        "confirm_button": "Confirm and forward",
        "confirm_button_partial": "Confirm and forward the accepted employers",
        "confirmed_on": "Confirmed on {when}; a.s.r. sees your confirmation.",
        "placed_one": "The employer is accepted. Nothing more to do:",
        "placed_many": "All {n} employers are accepted. Nothing more to do:",
        "placed_then": "the workbook is ready and goes to a.s.r. tonight.",
        "held_one": "The employer is accepted, but the workbook has not been forwarded yet:",
        "held_many": "All {n} employers are accepted, but the workbook has not been forwarded "
        "yet:",
        "held_then": "the rows name another bureau (see above).",
        "duplicate": "All employers are accepted.",
        "duplicate_then": "You uploaded exactly this file on {when}; it is ready for a.s.r. "
        "already. It is not sent again.",
        "partial_one": "{n} of the {rows} employers is accepted; the others have errors.",
        "partial_many": "{n} of the {rows} employers are accepted; the others have errors.",
        "partial_then": "Download the feedback workbook{name}: the cells to correct are red, "
        "and each says what is wrong. Correct them, save the file and upload it here again.",
        "rejected": "No employer is accepted.",
        "rejected_then": "Download the feedback workbook{name}, correct the red cells, save the "
        "file and upload it here again. Nothing was sent to a.s.r.",
        "rejected_unmarked_then": "Correct in your workbook what the errors below say (they "
        "are about the workbook as a whole, not a cell), save the file and upload it here "
        "again. Nothing was sent to a.s.r.",
        "unreadable": "This file cannot be read:",
        "not_checked": "This file was not checked:",
        "not_checked_then": "{error}. Nothing was sent to a.s.r.",
        "timed_out": "Checking this file took too long.",
        "timed_out_then": "Split the workbook into smaller parts and upload them separately; "
        "if that does not work either, contact a.s.r. Nothing was sent to a.s.r.",
        "download_feedback": "Download the feedback workbook",
        "download_feedback_ok": "Download the feedback workbook (with its check sheet)",
        "report_html": "Report (HTML)",
        "report_json": "report.json",
        "forwarded_partial": "You forwarded this workbook: the accepted employers go to a.s.r. "
        "tonight. Upload the corrected feedback workbook later; what was delivered is not "
        "delivered twice.",
        "hurry_one": "In a hurry? You can forward the accepted employer now and the rest later.",
        "hurry_many": "In a hurry? You can forward the accepted employers now and the rest "
        "later.",
        "forward_one": "Forward only the accepted employer",
        "forward_many": "Forward only the {n} accepted employers",
        "what_next": "What happens now?",
        "step_nightly": "Tonight a.s.r.'s processing delivers the accepted employers.",
        "step_keylane": "Keylane, a.s.r.'s technical partner, sets up the link and contacts you "
        "about the authorisations in Loket.nl.",
        "step_live": "You are told when the link is live, with the date of the first exchange "
        "of data.",
        "step_one": "Make sure the Loket.nl user for the link is ready (step 1 of the manual): "
        "a new, active standard user with access to the employers and the six rights.",
        "error_restarted": "the server was restarted during the check; upload the file again",
        "error_busy": "the server was too busy; upload the file again later",
        "not_logged_in_title": "Not logged in",
        "not_logged_in": "Log in with your bureau's access key.",
        "no_access_title": "No access",
        "no_access": "This page is not for your key.",
        "form_expired_title": "Form expired",
        "form_expired": "The form had expired or did not come from this site. Open the page "
        "again and try once more.",
        "login_expired_title": "Form expired",
        "login_expired": "The login form had expired or did not come from this site. Open the "
        "page again and try once more.",
        "too_many_tries_title": "Too many attempts",
        "too_many_tries": "A wrong key was entered too often. Try again in a quarter of an "
        "hour.",
        "no_file_title": "No file chosen",
        "no_file": "Choose the workbook you want checked and click '{button}'.",
        "not_a_workbook_title": "Not a workbook",
        "not_a_workbook": "'{name}' is not a workbook. Upload an Excel or LibreOffice file: "
        "{suffixes}.",
        "empty_file_title": "Empty file",
        "empty_file": "'{name}' is empty (0 bytes). Save the workbook again and upload that.",
        "disguised_title": "Not a workbook",
        "disguised": "'{name}' is called {suffix}, but is not a workbook (for instance text or "
        "a PDF with another name). Open the file in Excel or LibreOffice, save it as a workbook "
        "(.xlsx) and upload that.",
        "server_busy_title": "Please wait",
        "server_busy": "Too many files are being checked at once. Try again in a few minutes.",
        "no_upload_title": "Not found",
        "no_upload": "This upload does not exist or is not your bureau's.",
        "cannot_forward_title": "Cannot forward",
        "cannot_forward": "Only a partially accepted workbook can be forwarded this way.",
        "bureau_forwards_title": "No access",
        "bureau_forwards": "Only the bureau itself can forward.",
        "confirm_first_title": "Confirm first",
        "confirm_first": "The rows of this workbook name another bureau. Tick the box to say "
        "that you deliver these employers, or upload the right workbook.",
        "no_feedback_title": "Not found",
        "no_feedback": "There is no feedback for this upload.",
        "no_such_file_title": "Not found",
        "no_such_file": "This file does not exist for this upload.",
        "no_page_title": "Not found",
        "no_page": "This page does not exist.",
        "not_allowed_title": "Not allowed",
        "not_allowed": "This action is not possible here.",
        "bad_form_title": "Form cannot be read",
        "bad_form": "What you sent could not be read as a form (too large or damaged). Open the "
        "page again and try once more.",
        "no_run_title": "Not found",
        "no_run": "This run is not in the ledger.",
        "too_large_title": "File too large",
        "too_large": "An upload may be at most {mb} MB. Split the workbook into parts and "
        "upload them separately.",
        "op_title": "Overview",
        "op_heading": "Overview for a.s.r.",
        "op_action": "Action needed ({n})",
        "op_action_lead": "Uploads that name another bureau, and from the latest {runs} nightly "
        "runs: conflicts with an earlier registration and files that could not be checked.",
        "op_severity": "Severity",
        "op_what": "What",
        "op_where": "Where",
        "op_file": "File",
        "op_explained": "Explanation",
        "op_error": "Error",
        "op_warning": "Warning",
        "op_held_what": "upload names another bureau",
        "op_upload_by": "upload by {bureau}, {when}",
        "op_held_note": "Not forwarded; waiting for the bureau's confirmation. The rows name: "
        "{names}.",
        "op_conflict": "conflict with an earlier registration",
        "op_not_checked": "file not checked",
        "op_run": "run {id}",
        "op_redeliver": "If the new data are right, deliver them again with intake batch "
        "--redeliver {value}.",
        "op_confirmed_what": "bureau confirmed rows of another bureau",
        "op_confirmed_by": "upload by {bureau}, confirmed {when}",
        "op_confirmed_note": "Forwarded on the bureau's confirmation; check that it is right. "
        "The rows name: {names}.",
        "op_nothing": "No action needed: no conflicts and no unreadable files in the latest "
        "{runs} runs, no uploads that name another bureau.",
        "op_funnel": "Registrations after delivery",
        "op_waiting": "Longer than the bound of their state ({bounds}), oldest first",
        "op_bound": "{state} {days} days",
        "op_first_50": "The first 50 of {n}; all with {command}.",
        "op_history_command": "intake history --json",
        "op_none": "None.",
        "op_runs": "Nightly runs",
        "op_col_run": "Run",
        "op_started": "Started",
        "op_status": "Status",
        "op_files": "Files",
        "op_delivered": "Employers delivered",
        "op_conflicts": "Conflicts",
        "op_n_errors_one": "{n} error",
        "op_n_errors_many": "{n} errors",
        "op_conflicts_note": "Conflicts: employers that were registered before with other data "
        "(not delivered). An employer registered again with the same data does not count; it "
        "is a note on the run's page.",
        "op_no_runs": "No runs in the ledger yet.",
        "op_per_bureau": "Per bureau (folder in the inbox)",
        "op_bureau": "Bureau",
        "op_outcome": "Outcome",
        "op_last": "Last processed",
        "op_nothing_yet": "Nothing processed yet.",
        "op_recent": "Recent uploads",
        "op_to_night": "To the nightly run",
        "op_placed": "placed, not processed yet",
        "op_held_short": "waiting for confirmation (other bureau)",
        "op_run_title": "Run {id}",
        "op_back": "← Overview",
        "op_run_started": "Started {when}",
        "op_run_finished": "finished {when}",
        "op_run_inbox": "read from {inbox}",
        "op_notes": "Notes",
        "op_conflicts_n": "Conflicts ({n})",
        "op_cell": "Cell",
        "op_value": "Value",
        "op_no_conflicts": "No employers that were registered before with other data.",
        "op_file_error": "Error",
        "op_accepted": "Employers accepted",
        "op_delivered_short": "Delivered",
        "op_its_upload": "this file's upload",
        "op_skipped_one": "{n} file processed before (same content), skipped",
        "op_skipped_many": "{n} files processed before (same content), skipped",
        "op_notes_n": "Notes ({n})",
        "op_notes_lead": "No action needed: for instance an employer registered before with "
        "the same data and not delivered again.",
        "op_run_running": "running",
        "op_run_finished_status": "finished",
        "op_run_interrupted": "interrupted, completed by the next run",
    },
}

#: A run's status (the ledger's word) -> the key of its words.
_RUN_STATUS = {"running": "op_run_running", "finished": "op_run_finished_status",
               "interrupted": "op_run_interrupted"}
#: Why an upload was not checked, as the web's store keeps it (a sentence in the language of
#: the check): every sentence it can be, per language, to show it in the reader's.
_UPLOAD_ERRORS: tuple[Mapping[str, str], ...] = (
    *FILE_ERRORS.values(),
    *({str(lang): WORDS[lang][key] for lang in LANGS}
      for key in ("error_restarted", "error_busy")),
)


def chosen(cookie: str | None, default: Lang) -> Lang:
    """The language of a request: the one chosen with the switch (its cookie), else `default`."""
    for lang in LANGS:
        if cookie == lang:
            return lang
    return default


def other(lang: Lang) -> Lang:
    """The language the switch offers on a page in `lang`."""
    return "en" if lang == "nl" else "nl"


def upload_error(text: str | None, lang: Lang) -> str:
    """Why an upload was not checked, in `lang`: the stored sentence (in the language of its
    check) as its counterpart in `lang`; a sentence not known here as it is."""
    if not text:
        return ""
    for texts in _UPLOAD_ERRORS:
        if text in texts.values():
            return texts[lang]
    return text


@dataclass(frozen=True)
class Words:
    """The words of one page in one language: `t("key", n=3)` in a template."""

    lang: Lang

    def __call__(self, key: str, **values: object) -> str:
        """The text of `key`, its `{fields}` filled with `values`."""
        text = WORDS[self.lang][key]
        return text.format(**values) if values else text

    def count(self, key: str, n: int, **values: object) -> str:
        """`key_one` for one, `key_many` for any other number, with `n` filled in."""
        return self(f"{key}_{'one' if n == 1 else 'many'}", n=n, **values)

    def html(self, key: str, **values: object) -> Markup:
        """The text of `key` as HTML: the words escaped, a value that is Markup (a link, a
        name in bold, made by the template) kept, any other value escaped."""
        return Markup(escape(WORDS[self.lang][key])).format(**values)

    def size(self, size: int) -> str:
        """A file's size as the upload page's picker says it (upload.js, Intl.NumberFormat):
        kB, or MB from 1 MB on, at most one decimal, in the reader's way of writing numbers
        (1.023,5 kB in Dutch, 1,023.5 kB in English)."""
        amount, unit = (size / 1024 / 1024, "MB") if size >= 1024 * 1024 else (size / 1024, "kB")
        text = f"{round(amount, 1):,.1f}".removesuffix(".0")
        if self.lang == "nl":
            text = text.translate(str.maketrans(",.", ".,"))
        return f"{text} {unit}"

    def status(self, status: Status | str) -> str:
        """An upload's check, as the bureau reads it (`Goedgekeurd`)."""
        return WORDS[self.lang].get(f"status_{status}", str(status))

    def ledger_status(self, status: str) -> str:
        """A file's status in the ledger, as the batch's pages say it (`goedgekeurd`)."""
        return UI[self.lang].get(f"st_{status}", status)

    def run_status(self, status: str) -> str:
        """A run's status (`bezig`, `klaar`, …)."""
        key = _RUN_STATUS.get(status)
        return WORDS[self.lang][key] if key else status

    def state(self, state: str) -> str:
        """A registration's state (`in inrichting bij Keylane`)."""
        return {str(k): v for k, v in STATE_WORDS[self.lang].items()}.get(state, state)

    def day(self, iso: object) -> str:
        """A date as the reader writes it: 15-01-2027, or 15 January 2027."""
        return shown_day(str(iso), self.lang)

    def label(self, field: str) -> str:
        """The column label of a field of the Werkgevers sheet (`Werkgever ID`, `Employer
        ID`): the template's own names."""
        spec = WERKGEVERS.field(field)
        return spec.label if self.lang == "nl" else spec.label_en

    def error(self, text: str | None) -> str:
        """Why an upload was not checked, in this language."""
        return upload_error(text, self.lang)
