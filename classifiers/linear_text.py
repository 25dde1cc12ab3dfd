"""The domain model compiled to plain arrays: same margins as the scikit-learn pipeline, far cheaper.

Training builds a scikit-learn pipeline (word 1-2-gram TF-IDF + character 2-5-gram TF-IDF of the
head + mean word vectors + TF-IDF of word clusters, then a linear SVM). Scoring does not need
scikit-learn: ``compile_pipeline`` turns the fitted pipeline into one token table and numpy arrays,
and ``LinearText.margins`` rebuilds the same rows for a whole batch:

- one regex pass per text, then *one* dict lookup per token (``map(dict.get)``, in C) gives the
  token's row in the table; every per-block id (word column, vector row, cluster) is then a numpy
  gather, not Python work;
- a bigram is in the vocabulary only if both its words are (training keeps every word), so
  bigrams are found with numpy on pairs of word ids (a sorted code array + ``searchsorted``)
  instead of building and hashing a string per token pair;
- TF-IDF per block from one sort of (row, column) codes: counts, sublinear tf x idf, L2;
- character n-grams of the head are cached per word (they never cross words), as int32 bytes
  joined once per batch.

The shipped file holds only one dict and numpy arrays, so loading imports neither scikit-learn
nor its pickles.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise, repeat
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

from classifiers import _fast

__all__ = ["WORD_PATTERN", "LinearText", "compile_pipeline"]

# The one tokeniser of every word block (lower-cased text), for training (``features``) and here.
# Defined here, not in ``features``: importing that module would import scikit-learn at run time.
WORD_PATTERN = r"[a-z0-9]+(?:'[a-z]+)?"
_TOKEN = re.compile(WORD_PATTERN)


def _py_word_tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


_word_tokens = _fast.pick("plain_tokens", _py_word_tokens)  # the compiled core's, when built: same tokens


def _py_word_grams(w: str, vocab: dict[str, int], lo: int, hi: int, table: Any = None) -> bytes:
    """The ``vocab`` ids of the char_wb n-grams of one word (padded with a space each side, as
    scikit-learn does; ``lo``..``hi`` characters, by length then position), as int32 bytes.
    ``table`` (``_gram_table(vocab)``) only serves the compiled core's same function."""
    if lo < 0:
        raise ValueError("n-gram lengths start at 0")
    s = f" {w} "
    ids = [i for i in map(vocab.get, [s[i:i + n] for n in range(lo, hi + 1) for i in range(len(s) - n + 1)])
           if i is not None]
    return np.asarray(ids, dtype=np.int32).tobytes()


def _py_gram_table(vocab: dict[str, int]) -> None:
    """Nothing: the pure-Python ``_py_word_grams`` looks ``vocab`` up itself. The compiled core's
    ``gram_table`` snapshots the vocabulary so that its ``word_grams`` builds no str per n-gram."""
    return None


# ``_py_word_grams`` or the compiled core's same function (``_fast`` decides): called once per head
# word the cache has not seen; ``_gram_table`` is built once per model (``LinearText.char_table``)
_word_grams = _fast.pick("word_grams", _py_word_grams)
_gram_table = _fast.pick("gram_table", _py_gram_table)


@dataclass(slots=True)
class LinearText:
    """A linear classifier over (word TF-IDF | char_wb TF-IDF of the head | mean word vectors |
    word-cluster TF-IDF). ``vocab`` maps a token to its row in the ``tok_*`` tables; each table
    has one extra last entry, -1, so that unknown tokens (-1) gather "absent" for free."""

    classes: list[str]
    intercept: np.ndarray  # (C,)
    vocab: dict[str, int]  # token -> row
    tok_word: np.ndarray  # (T+1,) int32: word-block column of the unigram, or -1
    tok_emb: np.ndarray  # (T+1,) int32: row in emb_table, or -1
    tok_cluster: np.ndarray  # (T+1,) int32: cluster id, or -1
    bigram_codes: np.ndarray  # (B,) int64, sorted: first word column * n_word + second word column
    bigram_cols: np.ndarray  # (B,) int32: the bigram's word-block column
    word_idf: np.ndarray
    word_coef: np.ndarray  # (Vw, C)
    char_vocab: dict[str, int]
    char_idf: np.ndarray
    char_coef: np.ndarray  # (Vc, C)
    emb_table: np.ndarray  # (E, dim) float16, rank weights folded in (int8 once ``shrink``-ed)
    emb_coef: np.ndarray  # (dim, C), block weight and emb_scale folded in
    cluster_idf: np.ndarray  # (K,)
    cluster_coef: np.ndarray  # (K, C), block weight folded in
    lead_chars: int = 600  # what DomainModel feeds it: the title twice and this much of the text
    head_chars: int = 160
    char_range: tuple[int, int] = (2, 5)
    emb_row_scale: np.ndarray | None = None  # (E,) float32 when emb_table is int8 (see ``shrink``)
    char_cache: dict[str, bytes] = field(default_factory=dict, repr=False)  # word -> its n-gram ids (int32)
    char_table: Any = field(default=None, repr=False, compare=False)  # _gram_table(char_vocab), built at first use
    names: list[str] | None = field(default=None, repr=False)

    def to_state(self) -> dict[str, Any]:
        skip = ("char_cache", "char_table", "names")
        return {k: getattr(self, k) for k in self.__slots__ if k not in skip}  # type: ignore[attr-defined]

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> LinearText:
        if "vocab" not in state:
            raise ValueError("domain model in an older compiled format: retrain (signals train)")
        model = cls(**state)
        # In memory, the types the products want (no conversion per batch): float32 weights, int64
        # token tables. The vectors stay int8 (a quarter of the memory; converted per gathered row).
        model.word_coef = model.word_coef.astype(np.float32)
        model.char_coef = model.char_coef.astype(np.float32)
        for name in ("tok_word", "tok_emb", "tok_cluster"):
            setattr(model, name, getattr(model, name).astype(np.int64))
        return model

    def shrink(self) -> LinearText:
        """The shipped form, a third smaller: word vectors as int8 with one scale per word (each
        text's vector is L2-normalised anyway, so only directions matter) and the word/char
        weights as float16. Margins move by a few thousandths, far below the gaps that decide a label."""
        if self.emb_row_scale is None:
            t = self.emb_table.astype(np.float32)
            scale = np.abs(t).max(axis=1) / 127.0
            scale[scale == 0] = 1.0
            self.emb_table = np.round(t / scale[:, None]).astype(np.int8)
            self.emb_row_scale = scale.astype(np.float32)
        self.word_coef = self.word_coef.astype(np.float16)
        self.char_coef = self.char_coef.astype(np.float16)
        return self

    def word_names(self) -> list[str]:
        """The word block's column names (unigrams, and bigrams rebuilt from their two words)."""
        if self.names is None:
            n_word = len(self.word_idf)
            names = [""] * n_word
            for tok, row in self.vocab.items():
                col = int(self.tok_word[row])
                if col >= 0:
                    names[col] = tok
            for code, col in zip(self.bigram_codes.tolist(), self.bigram_cols.tolist(), strict=True):
                a, b = divmod(code, n_word)
                names[col] = f"{names[a]} {names[b]}"
            self.names = names
        return self.names

    def lettered(self) -> np.ndarray:
        """Per word column, whether its name (``word_names``) holds a letter, without building the
        names: a bigram's name is its two words' with a space between, so it holds one when either
        word does. Building the 156k names and testing them character by character was 0.21 s of
        every ``signals classify``'s start (the domain model's first batch)."""
        n_word = len(self.word_idf)
        out = np.zeros(n_word, dtype=bool)
        toks = list(self.vocab)
        rows = np.fromiter(self.vocab.values(), dtype=np.int64, count=len(toks))
        alpha = np.fromiter(map(any, map(map, repeat(str.isalpha), toks)), dtype=bool, count=len(toks))
        cols = self.tok_word[rows]
        uni = cols >= 0
        out[cols[uni]] = alpha[uni]
        a, b = np.divmod(self.bigram_codes, n_word)
        out[self.bigram_cols] = out[a] | out[b]
        return out

    def margins(self, texts: Sequence[str]) -> tuple[np.ndarray, csr_matrix]:
        """Class margins (n, C) and the word block's TF-IDF rows (for explanations)."""
        cache = self._char_cache()
        cget = cache.get
        toks: list[str] = []
        ptr = [0]
        grams: list[bytes] = []  # per head word, its char n-gram ids (int32 bytes): one join per batch
        c_len: list[int] = []
        for t in texts:
            toks += _word_tokens(t)
            ptr.append(len(toks))
            head = t[: self.head_chars].lower().split()  # char n-grams never cross words: cache per word
            part = list(map(cget, head))
            if None in part:
                part = [b if b is not None else self._word_grams(w, cache) for b, w in zip(part, head, strict=True)]
            grams += part
            c_len.append(sum(map(len, part)) // 4)
        n = len(texts)
        c_ids = np.frombuffer(b"".join(grams), dtype=np.int32).astype(np.int64)
        tok = np.fromiter(map(self.vocab.get, toks, repeat(-1)), dtype=np.int64, count=len(toks))
        row = np.repeat(np.arange(n, dtype=np.int64), np.diff(ptr))
        n_word = len(self.word_idf)

        wcol = self.tok_word[tok]
        both = (wcol[:-1] >= 0) & (wcol[1:] >= 0) & (row[:-1] == row[1:])
        code = wcol[:-1][both] * n_word + wcol[1:][both]
        pos = np.searchsorted(self.bigram_codes, code)
        pos[pos == len(self.bigram_codes)] = 0
        hit = self.bigram_codes[pos] == code if len(self.bigram_codes) else np.zeros(len(code), dtype=bool)
        uni = wcol >= 0
        w_rows = np.concatenate([row[uni], row[:-1][both][hit]])
        order = np.argsort(w_rows, kind="stable")  # (two ascending runs: one merge) each row's words together
        w_cols = np.concatenate([wcol[uni], self.bigram_cols[pos[hit]].astype(np.int64)])[order]
        Xw = _tfidf(w_rows[order], w_cols, n, self.word_idf, grouped=True)
        Xc = _tfidf(np.repeat(np.arange(n, dtype=np.int64), c_len), c_ids, n, self.char_idf, grouped=True)
        ecl = self.tok_cluster[tok]
        has = ecl >= 0
        Xk = _tfidf(row[has], ecl[has], n, self.cluster_idf, grouped=True)
        m = (Xw @ self.word_coef + Xc @ self.char_coef + Xk @ self.cluster_coef
             + self._embed(self.tok_emb[tok], row, n) @ self.emb_coef + self.intercept)
        return np.asarray(m, dtype=np.float64), Xw

    def _char_cache(self) -> dict[str, bytes]:
        if len(self.char_cache) > 300_000:  # bounded: a long-running bot sees endless new words
            self.char_cache.clear()
        return self.char_cache

    def _word_grams(self, w: str, cache: dict[str, bytes]) -> bytes:
        """char_wb n-gram ids of one word (``_word_grams``), remembered in ``cache``."""
        lo, hi = self.char_range
        if self.char_table is None:
            self.char_table = _gram_table(self.char_vocab)
        cache[w] = b = _word_grams(w, self.char_vocab, lo, hi, self.char_table)
        return b

    def _embed(self, erow: np.ndarray, row: np.ndarray, n: int) -> np.ndarray:
        """Per text, the L2-normalised sum of its words' (rank-weighted) vectors."""
        out = np.zeros((n, self.emb_table.shape[1]), dtype=np.float64)
        has = erow >= 0
        if has.any():
            r = row[has]
            starts = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])  # rows are ascending: segments
            ids = erow[has]
            vecs = self.emb_table[ids].astype(np.float32, copy=False)
            if self.emb_row_scale is not None:
                vecs *= self.emb_row_scale[ids][:, None]
            out[r[starts]] = np.add.reduceat(vecs, starts, axis=0)
            norms = np.linalg.norm(out, axis=1)
            ok = norms > 0
            out[ok] /= norms[ok][:, None]
        return out


def _tfidf(rows: np.ndarray, cols: np.ndarray, n: int, idf: np.ndarray, grouped: bool = False) -> csr_matrix:
    """(row, column) occurrences -> rows of (1 + log tf) * idf, L2-normalised (scikit-learn's
    sublinear TF-IDF). Sorting one int64 code per occurrence counts and orders them in one go.
    ``grouped``: ``rows`` is ascending (each row's occurrences together), so each row's codes
    are sorted on their own: a batch's rows of a few hundred codes each sort about 4x faster one
    by one than as one array, into the same order (a row's codes all lie below the next row's)."""
    v = len(idf)
    # (numpy's default sort: SIMD-accelerated for int64, ~3x cheaper than the stable timsort this
    # used; equal codes are equal integers, so stability changes nothing)
    codes = rows * v + cols
    if not grouped:
        codes.sort()
    else:
        bounds = np.searchsorted(rows, np.arange(n + 1)).tolist()
        for a, b in pairwise(bounds):
            if b - a > 1:
                codes[a:b].sort()
    first = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else np.zeros(0, dtype=np.int64)
    counts = np.diff(np.r_[first, len(codes)])
    r, c = np.divmod(codes[first], v)
    data = (np.log(counts) + 1.0) * idf[c]
    norms = np.sqrt(np.bincount(r, weights=data * data, minlength=n))
    norms[norms == 0] = 1.0
    data = (data / norms[r]).astype(np.float32)  # float32 x float32 coefficients: no upcast copy
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=n), out=indptr[1:])
    return csr_matrix((data, c.astype(np.int32), indptr), shape=(n, v))


def compile_pipeline(pipeline: Any) -> LinearText:
    """The fitted ``Pipeline([("union", FeatureUnion([words, chars, emb, clusters])), ("clf", LinearSVC)])``
    as plain arrays (see ``train.build_domain_pipeline``); transformer weights are folded into the
    coefficients (a weight scales its block's features, so it may scale their weights instead)."""
    union_step = pipeline.named_steps["union"]
    union = dict(union_step.transformer_list)
    weights = union_step.transformer_weights or {}
    words, chars, emb, clus = union["words"], union["chars"].steps[-1][1], union["emb"], union["clusters"]
    clf = pipeline.named_steps["clf"]
    coef = np.asarray(clf.coef_, dtype=np.float64)
    intercept = np.asarray(clf.intercept_, dtype=np.float64)
    if coef.shape[0] == 1:  # two classes: one margin column per class, as domain.margins_2d
        coef, intercept = np.vstack([-coef[0] / 2, coef[0] / 2]), np.array([-intercept[0] / 2, intercept[0] / 2])
    nw, nc, ne = len(words.vocabulary_), len(chars.vocabulary_), emb.dim_
    head = union["chars"].steps[0][1].kw_args or {}

    def block(a: int, b: int, name: str) -> np.ndarray:
        return np.ascontiguousarray(coef[:, a:b].T * weights.get(name, 1.0), dtype=np.float32)

    vocab: dict[str, int] = {}
    tables: dict[str, dict[int, int]] = {"word": {}, "emb": {}, "cluster": {}}
    bigrams: list[tuple[str, str, int]] = []
    for term, col in sorted(words.vocabulary_.items(), key=lambda kv: kv[1]):
        if " " in term:
            a, b = term.split(" ")
            bigrams.append((a, b, int(col)))
        else:
            tables["word"][vocab.setdefault(str(term), len(vocab))] = int(col)
    for w, i in emb.index_.items():
        tables["emb"][vocab.setdefault(w, len(vocab))] = int(i)
    for w, k in clus.index_.items():
        tables["cluster"][vocab.setdefault(w, len(vocab))] = int(k)

    def table(name: str) -> np.ndarray:
        t = np.full(len(vocab) + 1, -1, dtype=np.int32)
        for r, v in tables[name].items():
            t[r] = v
        return t

    tok_word = table("word")
    codes = np.array([int(tok_word[vocab[a]]) * nw + int(tok_word[vocab[b]]) for a, b, _ in bigrams], dtype=np.int64)
    order = np.argsort(codes)
    return LinearText(
        classes=[str(c) for c in clf.classes_], intercept=intercept, vocab=vocab,
        tok_word=tok_word, tok_emb=table("emb"), tok_cluster=table("cluster"),
        bigram_codes=codes[order], bigram_cols=np.array([c for *_, c in bigrams], dtype=np.int32)[order],
        word_idf=np.asarray(words.idf_, dtype=np.float32), word_coef=block(0, nw, "words"),
        char_vocab={str(k): int(i) for k, i in sorted(chars.vocabulary_.items(), key=lambda kv: kv[1])},
        char_idf=np.asarray(chars.idf_, dtype=np.float32), char_coef=block(nw, nw + nc, "chars"),
        emb_table=emb.table_, emb_coef=block(nw + nc, nw + nc + ne, "emb") * np.float32(emb.scale),
        cluster_idf=np.asarray(clus.idf_, dtype=np.float32), cluster_coef=block(nw + nc + ne, coef.shape[1], "clusters"),
        head_chars=int(head.get("n", 160)), char_range=tuple(chars.ngram_range))
