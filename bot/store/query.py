"""The search query language, read the same way on SQLite (FTS5) and PostgreSQL (tsquery).

What a user types into ``/signals search`` or ``signals search``:

- words, all of which must occur (``nvidia earnings``); a plural also finds its singular;
- ``"quoted phrases"`` (straight or typographic quotes): the words in that order;
- ``OR`` (any case, or ``|``) between two words or phrases: either (``nvidia OR tsmc``);
- ``-word`` / ``-"a phrase"``: articles holding it are left out;
- accents do not matter (``cafe`` finds "café", ``café`` finds "cafe");
- common English words (PostgreSQL's ``english`` stop words: the, of, and, or...) are not
  indexed by PostgreSQL and are ignored outside phrases on both databases, so a query of only
  such words matches nothing (the reply says so) instead of everything on SQLite alone.

Why one parser: before, SQLite quoted every word and ANDed them while PostgreSQL ran
``to_tsquery`` per word, so ``the`` found articles on SQLite only, ``cafe`` found "café" on SQLite
only (FTS5 folds accents; ``to_tsvector`` does not) and ``nvidia OR tsmc`` gave 0 results on
SQLite (``or`` was a required word) and 1 on PostgreSQL. Accents are folded without an extension
(``unaccent`` is not in every PostgreSQL): :data:`FOLD_FROM` → :data:`FOLD_TO` is applied with
the built-in, immutable ``translate()`` in the indexed expression (:data:`PG_TSV`, migration
0005) and with ``str.translate`` to the query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["FOLD_FROM", "FOLD_TO", "PG_TSV", "STOP_WORDS", "Query", "Term", "fold", "parse_query", "pg_tsv"]

# Latin letters U+00C0-U+024F whose canonical decomposition is an ASCII letter plus combining
# marks, and that letter (generated once with unicodedata; frozen: the PostgreSQL index holds it).
FOLD_FROM = ("ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮį"
             "İĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻ"
             "ȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳ")
FOLD_TO = ("AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGgHhIiIiIiIi"
           "IJjKkLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzOoUuAaIiOoUuUuUuUuUuAaAaGgKkOoOoj"
           "GgNnAaAaAaEeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOoOoYy")
_FOLD = str.maketrans(FOLD_FROM, FOLD_TO)


def _folded(column: str) -> str:
    return f"translate({column}, '{FOLD_FROM}', '{FOLD_TO}')"


def pg_tsv(prefix: str = "a.") -> str:
    """The expression the PostgreSQL GIN index is built on (migration 0005, ``prefix=""``) and
    that searches query (``a.``): the planner uses the index only while they are identical."""
    return (f"(setweight(to_tsvector('english', {_folded(prefix + 'title')}), 'A') || "
            f"setweight(to_tsvector('english', {_folded(prefix + 'text')}), 'B'))")


PG_TSV = pg_tsv()

# PostgreSQL 15's tsearch_data/english.stop: words its ``english`` configuration never indexes.
_STOP = """
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers
herself it its itself they them their theirs themselves what which who whom this that these those am is
are was were be been being have has had having do does did doing a an the and but if or because as until
while of at by for with about against between into through during before after above below to from up
down in out on off over under again further then once here there when where why how all any both each
few more most other some such no nor not only own same so than too very s t can will just don should now
"""
STOP_WORDS = frozenset(_STOP.split())

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b")


def fold(value: str) -> str:
    """Lower case, accents off (``Café`` → ``cafe``), as the PostgreSQL index reads text."""
    return value.translate(_FOLD).lower()


@dataclass(frozen=True, slots=True)
class Term:
    """One word (``phrase`` False), a quoted phrase, or a word written with ``-``/``.`` (GPT-4,
    U.S.: ``raw`` keeps it for PostgreSQL's parser, which indexed it whole)."""

    words: tuple[str, ...]
    phrase: bool = False
    raw: str = ""

    def fts5(self) -> str:
        return '"' + " ".join(self.words) + '"'


@dataclass(slots=True)
class Query:
    """``groups``: all must match, each by any of its terms; ``exclude``: none may match."""

    groups: list[list[Term]] = field(default_factory=list)
    exclude: list[Term] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.groups

    def fts5(self) -> str:
        """The FTS5 MATCH expression (every term quoted: no user text is FTS5 syntax)."""
        pos = " AND ".join(g[0].fts5() if len(g) == 1 else "(" + " OR ".join(t.fts5() for t in g) + ")"
                           for g in self.groups)
        return "(" + pos + ")" + "".join(f" NOT {t.fts5()}" for t in self.exclude)

    def tsquery(self) -> tuple[str, dict[str, str]]:
        """The PostgreSQL tsquery SQL and its parameters."""
        params: dict[str, str] = {}

        def one(term: Term) -> str:
            key = f"w{len(params)}"
            if term.raw:
                params[key] = " ".join(re.findall(r"[\w.-]+", term.raw))
                return f"plainto_tsquery('english', :{key})"
            if term.phrase:
                params[key] = " ".join(term.words)
                return f"phraseto_tsquery('english', :{key})"
            params[key] = _pg_term(term.words[0])
            return f"to_tsquery('english', :{key})"

        pos = " && ".join("(" + " || ".join(one(t) for t in g) + ")" for g in self.groups)
        neg = "".join(f" && !!{one(t)}" for t in self.exclude)
        return "(" + pos + neg + ")", params


def _pg_term(word: str) -> str:
    """One tsquery term; a plural also matches its singular, as Porter's step 1a does on SQLite.

    PostgreSQL's Snowball stemmer keeps "gpus" whole (vowel right before the s), FTS5's
    porter tokenizer makes it "gpu"; searching for both keeps the backends' answers alike.
    """
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return f"({word} | {word[:-1]})"
    return word


def _term(text: str, quoted: bool) -> Term | None:
    words = tuple(re.findall(r"\w+", text))
    if quoted:
        return Term(words, phrase=len(words) > 1) if words and not set(words) <= STOP_WORDS else None
    text = re.sub(r"^\W+|\W+$", "", text)
    if re.fullmatch(r"\w+", text):
        return None if text in STOP_WORDS else Term((text,))
    if not words or set(words) <= STOP_WORDS:
        return None
    return Term(words, phrase=True, raw=text)  # GPT-4, U.S., covid-19: the words in order


def parse_query(query: str, limit: int = 12) -> Query:
    """Read ``query`` into terms (at most ``limit``); see the module docstring for the language."""
    text = _POSSESSIVE.sub("", fold(query.translate(_QUOTES)))
    out = Query()
    join_next = False
    n = 0
    for m in _TOKEN.finditer(text):
        minus, quoted, bare = m.group(1), m.group(2), m.group(3)
        if bare is not None and bare in ("or", "|"):
            join_next = bool(out.groups)
            continue
        exclude = bool(minus) or (bare is not None and bare.startswith("-") and len(bare) > 1)
        if bare is not None and exclude:
            bare = bare[1:]
        term = _term(quoted if quoted is not None else bare or "", quoted is not None)
        if term is None or n >= limit:
            join_next = False
            continue
        n += 1
        if exclude:
            out.exclude.append(term)
        elif join_next:
            out.groups[-1].append(term)
        else:
            out.groups.append([term])
        join_next = False
    return out
