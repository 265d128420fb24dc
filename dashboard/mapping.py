"""Mappings: what a file's columns and answers mean in Ridealong's terms.

A form export (Google Forms, Microsoft Forms, a hand-made spreadsheet) has question text for
headers and sentences for answers. `suggest()` proposes a header mapping and a value mapping
from their words (English, Spanish, German) and from the values in each column, each guess with
how sure it is; the Upload page starts from it and `ridealong map` prints it. A mapping travels
as a small JSON file (`document()` / `parse()`), applied by the Upload page and by
`ridealong ingest|metrics --mapping`; the imports log records its `digest()`.

No Streamlit here: the page only draws what these functions return.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dashboard import importer

VERSION = 1
SURE = 0.75  # a guess at least this sure is applied without asking for a look
SUGGEST = 0.45  # below this a column is left unused
PROFILE_ROWS = 5000  # rows read to suggest (a form export is far smaller)

# Fields whose answers a mapping can translate, and the values each accepts.
VALUE_FIELDS: dict[str, list[str]] = {
    "manager_action": ["observed", "assisted", "took_over"],
    "polarity": ["praise", "criticism"],
    "debrief": ["yes", "no"],
    "planned_role": ["observer", "participant"],
    "severity": ["minor", "major"],
}
_VOCABULARY: dict[str, dict[str, object]] = {
    "manager_action": importer.ACTION_VALUES,
    "polarity": importer.POLARITY_VALUES,
    "debrief": importer.DEBRIEF_VALUES,
    "planned_role": importer.ROLE_VALUES,
    "severity": importer.SEVERITY_VALUES,
}


def fold(text: str) -> str:
    """Lower case, accents dropped, anything but letters and digits a single space."""
    text = unicodedata.normalize("NFKD", text.replace("ß", "ss"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.findall(r"[a-z0-9]+|[+\-]", text))


def known(fld: str, value: str) -> bool:
    """True when the importer reads `value` for `fld` with no mapping."""
    folded = importer.fold_value(value)
    vocab = _VOCABULARY[fld]
    return folded in vocab or folded in {str(v).lower() for v in vocab.values()}


# ---- the words: (pattern over fold(text), score, why) ------------------------------------------
# Patterns match whole words of the folded text (accents dropped): "acompanaste", "gesprach".

NOT_USED = [
    (r"\b(timestamp|marca temporal|zeitstempel|horodatage)\b", 0.95, "when the form was sent"),
    (r"\b(start|completion|last modified) time\b", 0.95, "when the form was filled in"),
    (r"\b(hora de (inicio|finalizacion)|startzeit|fertigstellungszeit)\b", 0.95, "form time"),
    (r"\b(e ?mail|email address|correo|e mail adresse)\b", 0.9, "the form's e-mail address"),
]

HEADER_WORDS: dict[str, list[tuple[str, float, str]]] = {
    "observation_id": [
        (r"\b(call|meeting|observation|ride|visit) (id|number|no|ref)\b", 0.9, "an id"),
        (r"^(id|nr|no|numero|nummer)$", 0.7, "an id"),
    ],
    "observed_on": [
        (r"\bdate of the (call|ride along|meeting|visit)\b", 0.95, "the call's date"),
        (r"\b(call|meeting|visit|ride along) date\b", 0.95, "the call's date"),
        (r"\b(fecha|datum)\b", 0.85, "a date"),
        (r"\b(date|day|when|dia|tag|wann)\b", 0.75, "a date"),
    ],
    "manager": [
        (r"\b(your name|tu nombre|su nombre|ihr name|dein name)\b", 0.9, "who filled it in"),
        (r"\b(manager|sales leader|leader|coach|observer|reviewer|rode along)\b", 0.85, "leader"),
        (
            r"\b(gerente|jefe|lider|responsable|fuhrungskraft|vorgesetzte|beobachter)\b",
            0.85,
            "leader",
        ),
        (r"^(name|nombre)$", 0.6, "the person who filled in the form"),
    ],
    "rep": [
        (r"\b(ride along with|rode along with|rep you|which rep|who did you)\b", 0.95, "who"),
        (r"\b(a quien acompanaste|wen haben sie begleitet|wen hast du begleitet)\b", 0.95, "who"),
        (r"\b(rep|reps|salesperson|seller|sales rep|account executive|ae)\b", 0.85, "the rep"),
        (r"\b(vendedor|vendedora|comercial|verkaufer|verkauferin|vertriebler)\b", 0.85, "the rep"),
        (r"\b(acompan|begleit|coached|mitarbeiter)\w*", 0.7, "the person coached"),
    ],
    "team": [(r"\b(team|equipo|squad|region|region)\b", 0.85, "a team")],
    "planned_role": [
        (r"\b(planned role|your role|role|rol|rolle|planned)\b", 0.85, "the role agreed before"),
    ],
    "manager_action": [
        (r"\bwhat did you do\b", 0.95, "what the manager did"),
        (r"\bwhat (the )?(leader|manager|coach|you|i) did\b", 0.9, "what the manager did"),
        (r"\b(take part|part did you|intervene|intervened|step in|stepped in)\b", 0.85, "action"),
        (r"\b(que hiciste|que hizo|was haben sie|was hast du)\b", 0.9, "what the manager did"),
        (r"\b(action|what i did|accion|handlung|getan|hiciste)\b", 0.8, "what the manager did"),
    ],
    "debrief": [
        (r"\b(debrief|debriefed|debriefing|nachbesprechung|retroalimentacion)\b", 0.9, "debrief"),
        (r"\b(follow up talk|feedback session|reunion posterior|besprechung)\b", 0.75, "debrief"),
    ],
    "behavior": [
        (r"\b(what did you notice|what did you see|what did you observe)\b", 0.95, "a note"),
        (r"\b(que observaste|que notaste|was ist ihnen aufgefallen|was ist dir)\b", 0.95, "note"),
        (
            r"\b(behaviou?r|observation|note|notes|comment|comments|feedback|noticed)\b",
            0.8,
            "a note",
        ),
        (
            r"\b(comportamiento|conducta|observacion|comentario|verhalten|beobachtung)\b",
            0.8,
            "note",
        ),
        (r"\b(anmerkung|notiz|aufgefallen)\b", 0.8, "a note"),
    ],
    "polarity": [
        (r"\b(well done or|went well or|praise or|positive or|good or)\b", 0.95, "praise or not"),
        (r"\b(bien hecho o|a mejorar|gut gemacht oder|zu verbessern)\b", 0.95, "praise or not"),
        (r"(^| )\+ -$", 0.9, "+ or -"),
        (
            r"\b(polarity|praise|criticism|tone|sentiment|feedback type|kind)\b",
            0.8,
            "praise or not",
        ),
        (r"\b(elogio|critica|tipo|lob|kritik|art)\b", 0.7, "praise or not"),
    ],
    # a question of its own for what went well and one for what to fix ("Well done or to
    # improve?" asks for a polarity: see _ONE_OF)
    "went_well": [
        (
            r"\b(went well|go well|well done|what worked|strengths?|salio bien|lo bueno"
            r"|lief gut|gut gelaufen|gut gemacht)\b",
            0.9,
            "what went well",
        ),
    ],
    "to_fix": [
        (
            r"\b(to fix|fix|to improve|improve|work on|improvement|mejorar|corregir"
            r"|verbessern|verbesserung)\b",
            0.9,
            "what to fix",
        ),
    ],
    "severity": [(r"\b(severity|how serious|gravedad|schwere|schweregrad)\b", 0.85, "severity")],
    "category": [(r"\b(category|area|topic|skill|categoria|kategorie|bereich)\b", 0.8, "category")],
    "deal": [(r"\b(deal|opportunity|account|oportunidad|kunde|cliente)\b", 0.75, "the deal")],
    "deal_value": [
        (r"\b(deal value|amount|value|valor|importe|wert|betrag)\b", 0.8, "an amount"),
    ],
    "outcome": [(r"\b(outcome|result|won|resultado|ergebnis)\b", 0.8, "the outcome")],
}

VALUE_WORDS: dict[str, list[tuple[str, str]]] = {
    # order matters: the first value whose words match wins ("observed, then took over")
    "manager_action": [
        (
            "took_over",
            r"\b(took over|take over|taken over|stepped in|jumped in|led the call|ran the call"
            r"|tome el control|me hice cargo|intervine|ubernommen|ubernahm|eingegriffen)\b",
        ),
        (
            "assisted",
            r"\b(answered|handed back|helped|help|assisted|chimed in|added|supported|joined"
            r"|respondi|ayude|apoye|devolvi|unterstutzt|geholfen|beantwortet|zuruckgegeben)\b",
        ),
        (
            "observed",
            r"\b(observed|observe|watched|watch|shadowed|shadow|listened|listen|silent|only|just"
            r"|observe|solo|mire|escuche|beobachtet|zugehort|zugeschaut|nur)\b",
        ),
    ],
    "polarity": [
        (
            "criticism",
            r"\b(to improve|improve|to fix|fix|work on|mistake|wrong|could be better|negative"
            r"|mejorar|corregir|error|verbessern|verbesserung|fehler|kritik|negativ)\b|^-$",
        ),
        (
            "praise",
            r"\b(well done|went well|good|great|praise|strength|positive|keep doing|kudos"
            r"|bien|bueno|fortaleza|elogio|gut|lob|starke|positiv)\b|^\+$",
        ),
    ],
    "debrief": [
        ("yes", r"^(yes|y|si|ja|j|true|x|done|hecho|erledigt)$"),
        ("no", r"^(no|n|nein|false|not yet|todavia no|noch nicht)$"),
    ],
    "planned_role": [
        ("observer", r"\b(observer|observe|watch|only|observador|beobachter|beobachten)\b"),
        ("participant", r"\b(participant|particip\w*|join|co sell|teilnehm\w*|mitwirk\w*)\b"),
    ],
    "severity": [
        ("major", r"\b(major|serious|big|grave|mayor|schwer|gross)\b"),
        ("minor", r"\b(minor|small|slight|leve|menor|leicht|klein)\b"),
    ],
}

# A header that asks to choose ("Well done or to improve?") is a polarity, never one of the two
# free-text questions.
_ONE_OF = re.compile(r"\b(or|o|oder|ou)\b")

# What a column's values say, whatever its header: (test over the column, field, score, why)
_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$|^\d{1,2}/\d{1,2}/\d{4}$|^\d{1,2}\.\d{1,2}\.\d{4}$")
_STAMP = re.compile(
    r"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}\.\d{1,2}\.\d{2,4})[ T]\d{1,2}:\d{2}"
)
_MONEY = re.compile(r"^\s*[$€£]?\s*-?\d[\d,]*(\.\d+)?\s*$")


# ---- what a file holds ------------------------------------------------------------------------


@dataclass
class Column:
    """One column of a file: its header and how often each value (trimmed) occurs."""

    header: str
    values: Counter = field(default_factory=Counter)

    def share(self, test) -> float:
        total = sum(self.values.values())
        return sum(c for v, c in self.values.items() if test(v)) / total if total else 0.0


def columns_of(headers: Sequence[str], rows: Iterable[Sequence[str | None]]) -> list[Column]:
    """Columns of a file from its headers and (the first) rows."""
    cols = [Column(h) for h in headers]
    for row in rows:
        for col, cell in zip(cols, row, strict=False):
            if cell is not None and cell.strip():
                col.values[cell.strip()] += 1
    return cols


def read_columns(path: str | Path, display_name: str | None = None) -> list[Column]:
    """A file's columns and the values of its first PROFILE_ROWS rows.

    Raises importer.ImportFailed when the file cannot be read at all."""
    pv = importer.preview(path, PROFILE_ROWS, display_name=display_name)
    return columns_of(pv.headers, pv.first)


# ---- guesses ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Guess:
    """What one header (or one value as written) means: a field (or value), "" for none."""

    key: str
    target: str
    score: float
    reason: str

    @property
    def sure(self) -> bool:
        return self.score >= SURE


@dataclass
class Suggestion:
    """Guesses for every column, and for every value the importer would not read as is."""

    headers: list[Guess]
    values: dict[str, list[Guess]]
    dayfirst: bool = False

    def mapping(self) -> Mapping:
        return Mapping(
            {g.key: g.target for g in self.headers},
            {f: {g.key: g.target for g in gs if g.target} for f, gs in self.values.items() if gs},
            self.dayfirst,
        )

    def unsure(self) -> list[tuple[str, Guess]]:
        """("header" or a field, guess) for every guess that wants a look."""
        out = [("header", g) for g in self.headers if not g.sure]
        out += [(f, g) for f, gs in self.values.items() for g in gs if not g.sure]
        return out


def _header_scores(col: Column) -> dict[str, tuple[float, str]]:
    """{field or "": (score, why)} for one column, from its header's words and its values."""
    words = fold(col.header)
    scores: dict[str, tuple[float, str]] = {}

    def offer(target: str, score: float, why: str) -> None:
        if score > scores.get(target, (0.0, ""))[0]:
            scores[target] = (score, why)

    if not words:
        return {"": (1.0, "no header")}
    for fld in importer.map_headers([col.header])[0]:
        offer(fld, 1.0, "its name")
    for pattern, score, why in NOT_USED:
        if re.search(pattern, words):
            offer("", score, why)
    for fld, rules in HEADER_WORDS.items():
        if fld in ("went_well", "to_fix") and _ONE_OF.search(words):
            continue
        for pattern, score, why in rules:
            if re.search(pattern, words):
                offer(fld, score, f"the header says {why}")
                break
    # the values: they confirm a header's guess, or make one
    if col.values:
        dates = col.share(lambda value: bool(_DATE.match(value)))
        stamps = col.share(lambda value: bool(_STAMP.match(value)))
        money = col.share(lambda value: bool(_MONEY.match(value)) and not _DATE.match(value))
        if stamps > 0.9 and "" in scores:
            offer("", 0.98, scores[""][1] + ", with a time of day")
        if dates > 0.9:
            base = scores.get("observed_on", (0.5, "its values are dates"))
            offer("observed_on", min(base[0] + 0.15, 0.99), base[1] + "; values are dates")
        for fld, rules in VALUE_WORDS.items():
            share = col.share(
                lambda value, fld=fld, rules=rules: _value_guess(fld, value, rules) is not None
            )
            if share > 0.8 and len(col.values) <= 12:
                base = scores.get(fld, (0.4, f"its values read as {fld}"))
                offer(fld, min(base[0] + 0.2, 0.99), base[1] + "; the answers fit")
        if money > 0.9 and "deal_value" in scores:
            offer("deal_value", 0.95, scores["deal_value"][1] + "; values are amounts")
        if dates < 0.5 and "observed_on" in scores and stamps < 0.5:
            score, why = scores["observed_on"]
            scores["observed_on"] = (score - 0.3, why + ", but the values are not dates")
    return scores


def _value_guess(fld: str, value: str, rules=None) -> str | None:
    """The value `value` most likely means for `fld`, from its words; None if nothing fits."""
    words = fold(value) if value.strip() not in ("+", "-") else value.strip()
    for target, pattern in rules or VALUE_WORDS[fld]:
        if re.search(pattern, words):
            return target
    if known(fld, value):
        return str(_VOCABULARY[fld].get(importer.fold_value(value), value))
    return None


def guess_value(fld: str, value: str) -> Guess:
    """What one answer means for `fld`, with how sure: sure when exactly one value's words
    match."""
    words = fold(value) if value.strip() not in ("+", "-") else value.strip()
    hits = [t for t, pattern in VALUE_WORDS[fld] if re.search(pattern, words)]
    if not hits:
        return Guess(value, "", 0.0, "no word of it says which")
    first = hits[0]
    if len(set(hits)) == 1:
        return Guess(value, first, 0.9, f"it says {first.replace('_', ' ')}")
    return Guess(value, first, 0.6, f"it says {' and '.join(hits)}: the first wins")


def suggest(columns: Sequence[Column]) -> Suggestion:
    """A header mapping and a value mapping for `columns`, each guess with how sure it is.

    Each field goes to the one column most likely to hold it; a column whose best guess is
    weaker than SUGGEST is left unused."""
    scored = [_header_scores(c) for c in columns]
    candidates = sorted(
        (
            (score, -i, fld, why)
            for i, scores in enumerate(scored)
            for fld, (score, why) in scores.items()
            if fld and score >= SUGGEST
        ),
        reverse=True,
    )
    taken: dict[int, tuple[str, float, str]] = {}
    used: set[str] = set()
    for score, neg_i, fld, why in candidates:
        index = -neg_i
        if index in taken or fld in used:
            continue
        not_used = scored[index].get("", (0.0, ""))[0]
        if not_used >= score:
            continue
        # a close second guess for the same column lowers how sure this one is
        others = [s for f, (s, _w) in scored[index].items() if f and f != fld and f not in used]
        runner_up = max(others, default=0.0)
        if runner_up >= score - 0.1:
            score = min(score, SURE - 0.05)
            why += " (it could also be another field)"
        taken[index] = (fld, score, why)
        used.add(fld)
    headers: list[Guess] = []
    for index, col in enumerate(columns):
        if not col.header.strip():
            continue
        if index in taken:
            fld, score, why = taken[index]
            headers.append(Guess(col.header, fld, score, why))
            continue
        not_used, why = scored[index].get("", (0.0, ""))
        if not_used:
            headers.append(Guess(col.header, "", not_used, why))
        else:
            best = max(((s, f) for f, (s, _w) in scored[index].items() if f), default=(0.0, ""))
            owner = next(((j, t) for j, t in taken.items() if t[0] == best[1]), None)
            if best[0] < SUGGEST:
                headers.append(Guess(col.header, "", 0.8, "no field fits its words"))
            elif owner is not None and owner[1][1] >= 0.95 > best[0]:
                # e.g. Microsoft Forms' "Name" beside a question titled "Manager"
                why = f"{best[1]} is read from “{columns[owner[0]].header}”"
                headers.append(Guess(col.header, "", 0.8, why))
            else:
                why = f"it could be {best[1]}, which another column has"
                headers.append(Guess(col.header, "", 0.5, why))
    field_of = {g.key: g.target for g in headers}
    values: dict[str, list[Guess]] = {}
    for col in columns:
        fld = field_of.get(col.header, "")
        if fld not in VALUE_FIELDS:
            continue
        guesses: dict[str, Guess] = {}  # one per answer, however it is capitalised or spaced
        for answer in sorted(col.values, key=lambda spelling: (spelling.lower(), spelling)):
            if not known(fld, answer):
                guesses.setdefault(importer.fold_value(answer), guess_value(fld, answer))
        if guesses:
            values[fld] = list(guesses.values())
    dates = next((c for c in columns if field_of.get(c.header) == "observed_on"), None)
    return Suggestion(headers, values, dayfirst=dates is not None and _dayfirst(dates))


def _dayfirst(col: Column) -> bool:
    """Slashed dates whose first number is above 12 in some row are day first. (Dotted dates,
    14.03.2026, need no switch: the importer always reads them day first.)"""
    pairs = [
        (int(found.group(1)), int(found.group(2)))
        for v in col.values
        if (found := re.match(r"^(\d{1,2})/(\d{1,2})/", v))
    ]
    return any(a > 12 for a, _b in pairs) and not any(b > 12 for _a, b in pairs)


def titles_below(headers: Sequence[str], rows: Sequence[Sequence[str | None]]) -> str | None:
    """What to do when the header line holds group titles over merged cells and the next line
    the column titles (a spreadsheet's two-row header saved as CSV), else None.

    Told apart by the words: the second line names at least three fields for sure, more than
    the first does, and holds no date (a data row would)."""
    if not rows:
        return None
    second = ["" if c is None else c.strip() for c in rows[0]]
    titles = [h.strip() for h in headers if h.strip()]
    if not titles or len(titles) == len(headers):
        return None  # merged group titles leave blank cells beside them
    if any(_DATE.match(c) or _STAMP.match(c) for c in second):
        return None

    def sure_fields(cells: Sequence[str]) -> set[str]:
        out = set()
        for cell in cells:
            scores = _header_scores(Column(cell)) if cell else {}
            best = max(((s, f) for f, (s, _w) in scores.items() if f), default=(0.0, ""))
            if best[0] >= SURE:
                out.add(best[1])
        return out

    below, above = sure_fields(second), sure_fields(titles)
    if len(below) < 3 or len(below) <= len(above):
        return None
    shown = [c for c in second if c]
    more = ", …" if len(shown) > 4 else ""
    return (
        "holds group titles over merged cells ("
        + ", ".join(repr(t) for t in titles)
        + ") and line 2 the column titles ("
        + ", ".join(repr(c) for c in shown[:4])
        + f"{more}): delete line 1 (in the spreadsheet, delete row 1 so that the column titles "
        "are the first row), then upload or import it again"
    )


def actions_needed(suggestion: Suggestion, expected: Mapping) -> int:
    """How many choices a user makes to get from `suggestion` to `expected`: every guess that is
    wrong (a correction) and every unsure one that is right (a look and a confirmation)."""
    wanted = {h: expected.headers.get(h, "") for h in [g.key for g in suggestion.headers]}
    count = sum(1 for g in suggestion.headers if g.target != wanted[g.key] or not g.sure)
    suggested = {
        (f, importer.fold_value(g.key)): g for f, gs in suggestion.values.items() for g in gs
    }
    for fld, spellings in expected.values.items():
        for spelling, value in spellings.items():
            guess = suggested.get((fld, importer.fold_value(spelling)))
            if guess is None or guess.target != value or not guess.sure:
                count += 1
    count += suggestion.dayfirst != expected.dayfirst
    return count


def auto_field(header: str) -> str:
    """The field a header means with no mapping (its name or a known alias), or ""."""
    return next(iter(importer.map_headers([header])[0]), "")


def extend(current: Mapping, columns: Sequence[Column], guesses: dict[str, Guess]) -> Mapping:
    """`current` with suggestions added for every column and answer not guessed before: new
    files, or answers of a column just mapped to a field. Choices already made stay.

    `guesses` is updated in place, keyed "h:<header>" and "v:<field>:<folded answer>"."""
    headers = dict(current.headers)
    values = {f: dict(v) for f, v in current.values.items()}
    dayfirst = current.dayfirst
    if any(c.header.strip() and f"h:{c.header}" not in guesses for c in columns):
        first = not guesses
        suggestion = suggest(columns)
        for guess in suggestion.headers:
            key = f"h:{guess.key}"
            if key in guesses:
                continue
            guesses[key] = guess
            if guess.key not in headers and guess.target != auto_field(guess.key):
                headers[guess.key] = guess.target
        dayfirst = dayfirst or (first and suggestion.dayfirst)
    fields, _problems = fields_of([c.header for c in columns], Mapping(headers))
    by_header = {c.header: c for c in columns}
    for fld in VALUE_FIELDS:
        if fld not in fields:
            continue
        chosen = {importer.fold_value(a) for a in values.get(fld, {})}
        for answer in sorted(
            by_header[fields[fld]].values, key=lambda spelling: (spelling.lower(), spelling)
        ):
            key = f"v:{fld}:{importer.fold_value(answer)}"
            if known(fld, answer) or key in guesses:
                continue
            guess = guess_value(fld, answer)
            guesses[key] = guess
            if guess.target and importer.fold_value(answer) not in chosen:
                values.setdefault(fld, {})[answer] = guess.target
    return Mapping(headers, values, dayfirst)


def merge_columns(files: Sequence[Sequence[Column]]) -> list[Column]:
    """The columns of several files, one per header (first seen first), their values summed."""
    out: dict[str, Column] = {}
    for cols in files:
        for col in cols:
            if col.header not in out:
                out[col.header] = Column(col.header)
            out[col.header].values.update(col.values)
    return list(out.values())


# ---- the mapping and its file -----------------------------------------------------------------


@dataclass
class Mapping:
    """Header -> field ("" = not read), field -> {answer as written -> value}, and whether
    slashed dates are day first."""

    headers: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    dayfirst: bool = False

    def document(self) -> str:
        """The mapping file: {"version": 1, "headers": {...}, "values": {...}} (+ "dayfirst")."""
        doc: dict = {
            "version": VERSION,
            "headers": dict(self.headers),
            "values": {f: dict(v) for f, v in self.values.items() if v},
        }
        if self.dayfirst:
            doc["dayfirst"] = True
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"

    def digest(self) -> str | None:
        """A short hash of what the mapping changes (None when it changes nothing): a header
        mapped to what Ridealong reads it as anyway does not count, so `ridealong map`'s full
        file and the Upload page's file of changes hash alike."""
        headers = {h: t for h, t in self.headers.items() if t != auto_field(h)}
        if not headers and not any(self.values.values()) and not self.dayfirst:
            return None
        doc = json.dumps(
            [headers, {f: v for f, v in self.values.items() if v}, self.dayfirst],
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(doc.encode()).hexdigest()[:16]

    def empty(self) -> bool:
        return not self.headers and not any(self.values.values()) and not self.dayfirst

    def header_overrides(self) -> dict[str, str] | None:
        return dict(self.headers) or None

    def value_overrides(self) -> dict[str, dict[str, str]] | None:
        """The values as the importer takes them (a debrief's yes/no as true/false)."""
        out = {}
        for fld, spellings in self.values.items():
            if fld == "debrief":
                spellings = {s: "true" if v == "yes" else "false" for s, v in spellings.items()}
            if spellings:
                out[fld] = dict(spellings)
        return out or None

    def missing_headers(self, headers: Sequence[str]) -> list[str]:
        """Headers this mapping names that `headers` does not have."""
        return [h for h in self.headers if h not in headers]


class MappingError(ValueError):
    """A mapping file that cannot be used; the message says what is wrong and what is accepted."""


SHAPE = (
    '{"version": 1, "headers": {"header as written": "field" or ""}, '
    '"values": {"manager_action": {"answer as written": "value"}, ...}, "dayfirst": false}'
)


def parse(data: bytes | str) -> Mapping:
    """A mapping file -> Mapping. Raises MappingError naming what is wrong."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise MappingError("is not a text file (a mapping file is UTF-8 JSON)") from None
    try:
        doc = json.loads(data)
    except json.JSONDecodeError as exc:
        raise MappingError(
            f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(doc, dict):
        raise MappingError(f"must be a JSON object: {SHAPE}")
    unknown = [k for k in doc if k not in ("version", "headers", "values", "dayfirst")]
    if unknown:
        raise MappingError(
            f"has unknown key{'s' if len(unknown) > 1 else ''} "
            + ", ".join(repr(k) for k in unknown)
            + " (accepted keys: version, headers, values, dayfirst)"
        )
    if doc.get("version") != VERSION:
        raise MappingError(f"has version {doc.get('version')!r}; this Ridealong reads version 1")
    headers = doc.get("headers", {})
    if not isinstance(headers, dict):
        raise MappingError(f'"headers" must be an object of header -> field: {SHAPE}')
    bad = {
        h: t
        for h, t in headers.items()
        if not isinstance(t, str) or (t and t not in importer.FIELDS)
    }
    if bad:
        raise MappingError(
            '"headers": '
            + ", ".join(f"{h!r} is mapped to {t!r}" for h, t in bad.items())
            + f', which is not a field (accepted: {", ".join(importer.FIELDS)}, or "" to '
            "leave the column out)"
        )
    values = doc.get("values", {})
    if not isinstance(values, dict):
        raise MappingError(f'"values" must be an object of field -> {{answer: value}}: {SHAPE}')
    unknown = [f for f in values if f not in VALUE_FIELDS]
    if unknown:
        raise MappingError(
            '"values" has unknown field(s) '
            + ", ".join(repr(f) for f in unknown)
            + f" (accepted: {', '.join(VALUE_FIELDS)})"
        )
    out: dict[str, dict[str, str]] = {}
    for fld, spellings in values.items():
        if not isinstance(spellings, dict):
            raise MappingError(f'"values": {fld!r} must be an object of answer -> value')
        wrong = {s: v for s, v in spellings.items() if v not in VALUE_FIELDS[fld]}
        if wrong:
            raise MappingError(
                f'"values": {fld} '
                + ", ".join(f"{s!r} is mapped to {v!r}" for s, v in wrong.items())
                + f" (accepted: {', '.join(VALUE_FIELDS[fld])})"
            )
        out[fld] = dict(spellings)
    dayfirst = doc.get("dayfirst", False)
    if not isinstance(dayfirst, bool):
        raise MappingError(f'"dayfirst" must be true or false, not {dayfirst!r}')
    return Mapping(dict(headers), out, dayfirst)


def load(path: str | Path) -> Mapping:
    """A mapping file from disk. Raises MappingError (with the file's name) or OSError."""
    path = Path(path)
    try:
        return parse(path.read_bytes())
    except MappingError as exc:
        raise MappingError(f"{path.name} {exc}") from None


# ---- checking a mapping against files, as a whole, before any row ------------------------------


@dataclass(frozen=True)
class Choice:
    """Something the mapping still lacks: a required field with no column (and the columns that
    could be it), or an answer with no value."""

    field: str
    key: str  # "" for a missing column; the answer as written for a value
    candidates: tuple[str, ...] = ()
    why: str = "required"  # why a missing column is needed


# A column that needs another: notes need their polarity, a polarity needs the notes.
_NEEDS = {"behavior": "polarity", "polarity": "behavior"}


def fields_of(headers: Sequence[str], mapping: Mapping) -> tuple[dict[str, str], list[str]]:
    """({field: header}, problems with the headers) with the mapping applied."""
    found, _ignored, problems = importer.map_headers(list(headers), mapping.header_overrides())
    return {f: headers[i] for f, i in found.items()}, problems


def open_choices(columns: Sequence[Column], mapping: Mapping) -> list[Choice]:
    """What the mapping lacks for these columns, worked out from the mapping and the values seen,
    before any row is checked: missing required columns (with the columns that could be them,
    best first) — polarity too when a column of notes is read, and behavior when a polarity
    is: each row would be a problem otherwise — then answers of mapped columns that no value
    is chosen for."""
    headers = [c.header for c in columns]
    fields, _problems = fields_of(headers, mapping)
    scored = {c.header: _header_scores(c) for c in columns}
    mapped = set(fields.values())
    out: list[Choice] = []
    by_header = {c.header: c for c in columns}
    needed = {
        other: f"required: “{fields[fld]}” is read as {fld}"
        for fld, other in _NEEDS.items()
        if fld in fields and by_header[fields[fld]].values and other not in fields
    }
    for fld, required in importer.FIELDS.items():
        if (not required and fld not in needed) or fld in fields:
            continue
        ranked = sorted(
            (
                (-scored[h].get(fld, (0.0, ""))[0], i, h)
                for i, h in enumerate(headers)
                if h.strip() and h not in mapped
            ),
        )
        fits = [h for s, _i, h in ranked if -s >= SUGGEST] or [h for _s, _i, h in ranked]
        out.append(Choice(fld, "", tuple(fits[:3]), needed.get(fld, "required")))
    for fld in VALUE_FIELDS:
        if fld not in fields:
            continue
        chosen = {importer.fold_value(s) for s in mapping.values.get(fld, {})}
        seen: set[str] = set()
        for value in sorted(by_header[fields[fld]].values, key=str.lower):
            folded = importer.fold_value(value)
            if known(fld, value) or folded in chosen or folded in seen:
                continue
            seen.add(folded)
            out.append(Choice(fld, value))
    return out


def unrecognized(problems: Iterable[importer.Problem]) -> dict[str, dict[str, int]]:
    """{field: {answer as first written: rows}} for answers the importer does not know, from
    its row problems (answers beyond the rows `open_choices` saw)."""
    out: dict[str, dict[str, int]] = {f: {} for f in VALUE_FIELDS}
    first: dict[tuple[str, str], str] = {}
    for problem in problems:
        if problem.code == "unknown_value" and problem.field in out and problem.value is not None:
            spelling = first.setdefault(
                (problem.field, importer.fold_value(problem.value)), problem.value
            )
            out[problem.field][spelling] = out[problem.field].get(spelling, 0) + 1
    return out


def changes(before: Mapping, after: Mapping) -> list[str]:
    """What was changed from `before` to `after`, in words ("“Team” read as observed_on")."""
    out = []
    for header in dict.fromkeys([*before.headers, *after.headers]):
        was, now = (
            before.headers.get(header, auto_field(header)),
            after.headers.get(header, auto_field(header)),
        )
        if was != now:
            out.append(f"“{header}” read as {now}" if now else f"“{header}” not read")
    for fld in VALUE_FIELDS:
        was_v, now_v = before.values.get(fld, {}), after.values.get(fld, {})
        for answer in dict.fromkeys([*was_v, *now_v]):
            if was_v.get(answer) != now_v.get(answer):
                out.append(f"{fld} “{answer}” read as {now_v.get(answer) or 'nothing'}")
    if before.dayfirst != after.dayfirst:
        out.append(f"slashed dates read {'day' if after.dayfirst else 'month'} first")
    return out


def rise(
    before: Sequence[importer.Problem],
    after: Sequence[importer.Problem],
    was: Mapping,
    now: Mapping,
) -> str | None:
    """Why the problem count went up after a change of mapping, or None when it did not.

    Correcting a guess or mapping an answer never adds problems (the mapping is checked as a
    whole before the rows); choosing a column that fits worse, or dates in the other order,
    can: the file is then read differently, and the page says which change did it."""
    if len(after) <= len(before):
        return None
    changed = changes(was, now)
    if not changed:
        return None
    old = Counter(p.column for p in before)
    new = Counter(p.column for p in after)
    where = [c for c in new if c and new[c] > old.get(c, 0)]
    return (
        f"Up from {len(before):,} to {len(after):,} after your change ("
        + "; ".join(changed)
        + ")"
        + (f": the new problems are in {', '.join(where)}" if where else "")
        + ". It reads the file differently; change it back if it was not meant."
    )


def same_content(names: Sequence[str], digests: Sequence[str]) -> list[importer.Problem]:
    """A problem for every file whose content is the same as an earlier one's in the same go."""
    first: dict[str, str] = {}
    out = []
    for name, digest in zip(names, digests, strict=True):
        if digest in first:
            out.append(
                importer.Problem(
                    name,
                    None,
                    None,
                    None,
                    f"is the same file twice: its content is that of {first[digest]}; "
                    "leave one of them out",
                    "same_file",
                )
            )
        else:
            first[digest] = name
    return out
