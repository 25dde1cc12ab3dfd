/* Optional compiled core of the per-token hot paths (see classifiers/_fast.py, which picks it or
 * the pure-Python code it mirrors; both give identical outputs, pinned by the tests).
 *
 * Why C here: after the pure-Python work, what was left of ``signals classify``'s cost was Python
 * work per token: cutting lines into tokens (a translate + split + per-line list per text) and the
 * summary's per-sentence word sets. Doing those loops in C removes the per-token interpreter work
 * without changing a single output.
 *
 * line_tokens(text) -> list[list[str]]
 *     == [re.findall(r"[a-z0-9]+(?:['’][a-z]+)?", line) for line in text.lower().split("\n")]
 * tokens(text) -> list[str]: the same tokens, not split by line.
 * plain_tokens(text) -> list[str]: the same with "'" as the only apostrophe (the domain model's
 *     WORD_PATTERN, r"[a-z0-9]+(?:'[a-z]+)?").
 * mark_ends(text) -> str: the sentence ends marked for ``split_sentences`` (``sentences._py_mark_ends``).
 * split_text(text, with_tokens, is_abbrev) -> (list[str], list[bool], list[list[str]]): the sentences
 *     of a text (``sentences._py_split_text``).
 * sentence_marks(sents) -> bytes: the summary's per-sentence length, quote, digit and question
 *     marks as n x 4 float64 (``summary._py_sentence_marks``).
 * word_stats(words, stop, title_words) -> (list[float], list[float]): the summary's centroid and
 *     title-overlap features (``summary._py_word_stats``).
 * stem_count(title_tokens, lines, counts, cache, stem) -> (list[str], list[str]): a document's stems,
 *     counted (``text._py_stem_count``).
 * cold_features(counts, title, lead, joined, title_joined, n, keys, excl, expansion, rank) -> dict: a
 *     topic's cold-start features of a document (``relevance._py_cold_features``).
 * name_tags(title, head, k, cache, phrase) -> list[str]: the capitalised names an article is
 *     tagged with (``tags._py_name_tags``).
 * stem(word) -> str: the light plural folder (``text._py_stem``), for the words the stem cache has not seen.
 * word_grams(word, vocab, lo, hi, table) -> bytes: the ids (int32) of a word's char_wb n-grams in ``vocab``
 *     (``linear_text._py_word_grams``), for the head words the domain model's cache has not seen;
 *     ``table`` is gram_table(vocab), a snapshot looked up without building a str per n-gram.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* Mapped byte of a lower-cased code point: a token character (a-z, 0-9), "'" , CURLY for U+2019,
 * '\n', or ' ' for anything else. Only three code points above 127 lower-case to something the
 * token pattern can read: U+2019 (itself), U+0130 ("i" + U+0307) and U+212A (KELVIN SIGN -> "k");
 * tests/unit/classifiers check this over all of Unicode for the running Python. */
#define CURLY 1

static unsigned char ascii_map[256];  /* Latin-1 byte -> mapped byte (>= 128: not a token character) */
static unsigned char char_class[256];  /* mapped byte -> TOK | LETTER bits */
#define TOK 1
#define LETTER 2

static void init_map(void) {
    for (int i = 0; i < 256; i++) {
        unsigned char c = (unsigned char)i;
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
        if (i < 128 && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '\'' || c == '\n'))
            ascii_map[i] = c;
        else
            ascii_map[i] = ' ';
        char_class[i] = (unsigned char)((i >= 'a' && i <= 'z') ? (TOK | LETTER) : (i >= '0' && i <= '9') ? TOK : 0);
    }
}

static inline int is_tok(unsigned char c) { return char_class[c] & TOK; }
static inline int is_letter(unsigned char c) { return char_class[c] & LETTER; }

/* The text mapped to one byte per lower-cased code point (U+0130 becomes two: "i", " ").
 * Returns a PyMem buffer (caller frees) and its length, or NULL with an exception set. */
static unsigned char *map_text(PyObject *text, int curly, Py_ssize_t *out_len) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    unsigned char *buf = PyMem_Malloc((size_t)(2 * n + 1));
    if (buf == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    Py_ssize_t j = 0;
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *s = (const Py_UCS1 *)data;
        for (Py_ssize_t i = 0; i < n; i++) buf[i] = ascii_map[s[i]];
        j = n;
    } else {
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if (c < 128) {
                buf[j++] = ascii_map[c];
            } else if (c == 0x2019) {
                buf[j++] = curly ? CURLY : ' ';
            } else if (c == 0x130) {
                buf[j++] = 'i';
                buf[j++] = ' ';
            } else if (c == 0x212A) {
                buf[j++] = 'k';
            } else {
                buf[j++] = ' ';
            }
        }
    }
    *out_len = j;
    return buf;
}

/* Token strings are shared: one ``str`` per distinct short ASCII token, kept in an open-addressing
 * table (like ``sys.intern``, bounded: emptied when half full). Most tokens of a news text were
 * seen before, so a token costs a lookup instead of an allocation, and the string arrives with
 * its hash computed: the stem cache, vocabulary and set lookups downstream skip hashing it, and
 * dict lookups find it by identity. Strings are immutable, so sharing changes no result. */
#define TAB_BITS 17
#define TAB_SIZE ((size_t)1 << TAB_BITS)
#define TAB_LIMIT (TAB_SIZE / 2)
#define MAX_SHARED 40
static PyObject **tab = NULL;
static size_t tab_used = 0;

static PyObject *new_ascii(const unsigned char *s, Py_ssize_t len) {
    PyObject *u = PyUnicode_New(len, 127);
    if (u != NULL) memcpy(PyUnicode_1BYTE_DATA(u), s, (size_t)len);
    return u;
}

static void tab_clear(void) {
    for (size_t i = 0; i < TAB_SIZE; i++) Py_CLEAR(tab[i]);
    tab_used = 0;
}

static PyObject *shared_token(const unsigned char *s, Py_ssize_t len) {
    if (len > MAX_SHARED) return new_ascii(s, len);
    if (tab == NULL) {
        tab = PyMem_Calloc(TAB_SIZE, sizeof(PyObject *));
        if (tab == NULL) return PyErr_NoMemory();
    }
    uint64_t h = 1469598103934665603ULL;  /* FNV-1a */
    for (Py_ssize_t k = 0; k < len; k++) h = (h ^ s[k]) * 1099511628211ULL;
    size_t i = (size_t)(h ^ (h >> 29)) & (TAB_SIZE - 1);
    PyObject *o;
    while ((o = tab[i]) != NULL) {
        if (PyUnicode_GET_LENGTH(o) == len && memcmp(PyUnicode_1BYTE_DATA(o), s, (size_t)len) == 0) {
            Py_INCREF(o);
            return o;
        }
        i = (i + 1) & (TAB_SIZE - 1);
    }
    if (tab_used >= TAB_LIMIT) {  /* a long-running bot sees endless new words: start over */
        tab_clear();
        i = (size_t)(h ^ (h >> 29)) & (TAB_SIZE - 1);
    }
    o = new_ascii(s, len);
    if (o == NULL || PyObject_Hash(o) == -1) {
        Py_XDECREF(o);
        return NULL;
    }
    Py_INCREF(o);
    tab[i] = o;
    tab_used++;
    return o;
}

static PyObject *make_token(const unsigned char *s, Py_ssize_t len, int has_curly) {
    if (!has_curly) return shared_token(s, len);
    PyObject *u = PyUnicode_New(len, 0x2019);
    if (u == NULL) return NULL;
    for (Py_ssize_t i = 0; i < len; i++) PyUnicode_WRITE(PyUnicode_2BYTE_KIND, PyUnicode_DATA(u), i, s[i] == CURLY ? 0x2019 : s[i]);
    return u;
}

/* Tokens of buf[a:b] (no '\n' inside) appended to ``out``; -1 on error. The regex, by hand:
 * [a-z0-9]+ greedy, then an apostrophe and [a-z]+ if a letter follows it. */
static int scan(const unsigned char *buf, Py_ssize_t a, Py_ssize_t b, PyObject *out) {
    Py_ssize_t i = a;
    while (i < b) {
        if (!is_tok(buf[i])) {
            i++;
            continue;
        }
        Py_ssize_t start = i;
        while (i < b && is_tok(buf[i])) i++;
        int has_curly = 0;
        if (i + 1 < b && (buf[i] == '\'' || buf[i] == CURLY) && is_letter(buf[i + 1])) {
            has_curly = buf[i] == CURLY;
            i += 2;
            while (i < b && is_letter(buf[i])) i++;
        }
        PyObject *t = make_token(buf + start, i - start, has_curly);
        if (t == NULL) return -1;
        int rc = PyList_Append(out, t);
        Py_DECREF(t);
        if (rc < 0) return -1;
    }
    return 0;
}

static int check_str(PyObject *text) {
    if (PyUnicode_Check(text)) return 1;
    PyErr_SetString(PyExc_TypeError, "expected a str");
    return 0;
}

static PyObject *line_tokens(PyObject *self, PyObject *text) {
    if (!check_str(text)) return NULL;
    Py_ssize_t n;
    unsigned char *buf = map_text(text, 1, &n);
    if (buf == NULL) return NULL;
    PyObject *out = PyList_New(0);
    if (out == NULL) goto fail;
    Py_ssize_t a = 0;
    for (;;) {
        const unsigned char *nl = memchr(buf + a, '\n', (size_t)(n - a));
        Py_ssize_t b = nl ? (Py_ssize_t)(nl - buf) : n;
        PyObject *line = PyList_New(0);
        if (line == NULL) goto fail;
        int rc = PyList_Append(out, line);
        Py_DECREF(line);
        if (rc < 0 || scan(buf, a, b, line) < 0) goto fail;
        if (nl == NULL) break;
        a = b + 1;
    }
    PyMem_Free(buf);
    return out;
fail:
    PyMem_Free(buf);
    Py_XDECREF(out);
    return NULL;
}

static PyObject *all_tokens(PyObject *text, int curly) {
    Py_ssize_t n;
    unsigned char *buf = map_text(text, curly, &n);
    if (buf == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++)
        if (buf[i] == '\n') buf[i] = ' ';
    PyObject *out = PyList_New(0);
    if (out == NULL || scan(buf, 0, n, out) < 0) {
        PyMem_Free(buf);
        Py_XDECREF(out);
        return NULL;
    }
    PyMem_Free(buf);
    return out;
}

static PyObject *tokens(PyObject *self, PyObject *text) {
    return check_str(text) ? all_tokens(text, 1) : NULL;
}

static PyObject *plain_tokens(PyObject *self, PyObject *text) {
    return check_str(text) ? all_tokens(text, 0) : NULL;
}

/* A set of str for the length of one call: open addressing on the strings' own (cached) hashes,
 * equal strings found by identity first (tokens from the shared table are one object per word),
 * then by content. Each distinct string gets an id (0, 1, ...) in order of first sight: the
 * per-word facts live in plain arrays indexed by it, not in Python objects. Holds a reference to
 * every key (a list the caller passed could lose its items while Python code runs). One table
 * is kept between calls and emptied slot by slot (allocating and zeroing a fresh one per call
 * cost more than the lookups); a nested call (only possible if a set lookup ran Python code)
 * gets a table of its own. */
typedef struct {
    PyObject *key;
    Py_hash_t hash;
    Py_ssize_t id;
} StrSlot;

typedef struct {
    StrSlot *slots;
    size_t mask;
    Py_ssize_t used;
    size_t *filled;  /* slot index of each id */
} StrTable;

#define STRTAB_KEEP ((size_t)1 << 16)  /* a kept table larger than this (hostile text) is freed after use */
static StrTable scratch = {NULL, 0, 0, NULL};
static int scratch_busy = 0;

static int strtab_alloc(StrTable *t, size_t size) {
    t->slots = PyMem_Calloc(size, sizeof(StrSlot));
    t->filled = PyMem_Malloc(size / 2 * sizeof(size_t));
    t->mask = size - 1;
    t->used = 0;
    if (t->slots == NULL || t->filled == NULL) {
        PyMem_Free(t->slots);
        PyMem_Free(t->filled);
        t->slots = NULL;
        t->filled = NULL;
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static StrTable *strtab_acquire(void) {
    StrTable *t = &scratch;
    if (scratch_busy) {
        t = PyMem_Malloc(sizeof(StrTable));
        if (t == NULL) return (StrTable *)PyErr_NoMemory();
        t->slots = NULL;
    }
    if (t->slots == NULL && strtab_alloc(t, 1024) < 0) {
        if (t != &scratch) PyMem_Free(t);
        return NULL;
    }
    if (t == &scratch) scratch_busy = 1;
    return t;
}

static void strtab_release(StrTable *t) {
    if (t == NULL) return;
    for (Py_ssize_t i = 0; i < t->used; i++) Py_CLEAR(t->slots[t->filled[i]].key);
    t->used = 0;
    if (t != &scratch || t->mask + 1 > STRTAB_KEEP) {
        PyMem_Free(t->slots);
        PyMem_Free(t->filled);
        t->slots = NULL;
        t->filled = NULL;
    }
    if (t == &scratch)
        scratch_busy = 0;
    else
        PyMem_Free(t);
}

static inline Py_hash_t str_hash(PyObject *s) {
    Py_hash_t h = ((PyASCIIObject *)s)->hash;  /* cached by every earlier use as a key */
    return h != -1 ? h : PyObject_Hash(s);
}

static inline size_t strtab_probe(const StrSlot *slots, size_t mask, PyObject *key, Py_hash_t h) {
    size_t i = (size_t)h & mask;
    for (;;) {
        const StrSlot *s = &slots[i];
        if (s->key == NULL || s->key == key || (s->hash == h && PyUnicode_Compare(s->key, key) == 0)) return i;
        i = (i + 1) & mask;
    }
}

/* The id of ``key`` (a str), adding it with the next id if new (*is_new says which); -1 on error. */
static Py_ssize_t strtab_id(StrTable *t, PyObject *key, int *is_new) {
    if (!PyUnicode_Check(key)) {
        PyErr_SetString(PyExc_TypeError, "expected words of type str");
        return -1;
    }
    Py_hash_t h = str_hash(key);
    if (h == -1) return -1;
    size_t i = strtab_probe(t->slots, t->mask, key, h);
    if (t->slots[i].key != NULL) {
        *is_new = 0;
        return t->slots[i].id;
    }
    if ((size_t)(t->used + 1) * 2 > t->mask + 1) {  /* grow to keep it at most half full */
        StrTable big;
        if (strtab_alloc(&big, 2 * (t->mask + 1)) < 0) return -1;
        for (Py_ssize_t q = 0; q < t->used; q++) {
            const StrSlot *s = &t->slots[t->filled[q]];
            size_t j = strtab_probe(big.slots, big.mask, s->key, s->hash);
            big.slots[j] = *s;
            big.filled[q] = j;
        }
        big.used = t->used;
        PyMem_Free(t->slots);
        PyMem_Free(t->filled);
        *t = big;
        i = strtab_probe(t->slots, t->mask, key, h);
    }
    Py_INCREF(key);
    t->slots[i].key = key;
    t->slots[i].hash = h;
    t->slots[i].id = t->used;
    t->filled[t->used] = i;
    *is_new = 1;
    return t->used++;
}

/* word_stats(words, stop, title_words): per sentence (a list of str tokens), its distinct words not
 * in ``stop``; then the centroid feature ((sum over them of the number of sentences holding each
 * word) - their number) / n / sqrt(their number) (0.0 when none or a single sentence) and the
 * share of ``title_words`` among them (shared / (len(title_words) or 1)). The same floating-point
 * operations, in the same order, as the Python code (``summary._py_word_stats``); the sums are
 * integers, so the order of the words does not matter. Each distinct word is looked up in
 * ``stop`` and ``title_words`` once; every token costs one probe of a local table. */
static PyObject *word_stats(PyObject *self, PyObject *args) {
    PyObject *words, *stop, *title;
    if (!PyArg_ParseTuple(args, "O!OO", &PyList_Type, &words, &stop, &title)) return NULL;
    if (!PyAnySet_Check(stop) || !PyAnySet_Check(title)) {
        PyErr_SetString(PyExc_TypeError, "stop and title_words must be sets");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(words), cap = 0;
    StrTable *tab = NULL;
    PyObject *cent = PyList_New(n), *over = PyList_New(n), *res = NULL;
    Py_ssize_t *counts = NULL, *last = NULL, *seq = NULL, n_seq = 0, seq_cap = 0;
    Py_ssize_t *bounds = PyMem_Malloc((size_t)(n + 1) * sizeof(Py_ssize_t));
    signed char *flag = NULL;  /* per word id: -1 a stopword, else whether it is a title word */
    if (cent == NULL || over == NULL || bounds == NULL || (tab = strtab_acquire()) == NULL) {
        if (bounds == NULL && !PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    /* pass 1: each sentence's distinct non-stop word ids, in ``seq``; counts[id] = sentences holding it */
    for (Py_ssize_t i = 0; i < n; i++) {
        bounds[i] = n_seq;
        PyObject *fast = PySequence_Fast(PyList_GET_ITEM(words, i), "words must be sequences of str");
        if (fast == NULL) goto done;
        Py_ssize_t m = PySequence_Fast_GET_SIZE(fast);
        PyObject **items = PySequence_Fast_ITEMS(fast);
        for (Py_ssize_t k = 0; k < m; k++) {
            int is_new;
            Py_ssize_t id = strtab_id(tab, items[k], &is_new);
            if (id < 0) {
                Py_DECREF(fast);
                goto done;
            }
            if (is_new) {
                if (id >= cap) {
                    cap = cap ? 2 * cap : 256;
                    Py_ssize_t *nc = PyMem_Realloc(counts, (size_t)cap * sizeof(Py_ssize_t));
                    signed char *nf = PyMem_Realloc(flag, (size_t)cap);
                    Py_ssize_t *nl = PyMem_Realloc(last, (size_t)cap * sizeof(Py_ssize_t));
                    if (nc != NULL) counts = nc;
                    if (nf != NULL) flag = nf;
                    if (nl != NULL) last = nl;
                    if (nc == NULL || nf == NULL || nl == NULL) {
                        PyErr_NoMemory();
                        Py_DECREF(fast);
                        goto done;
                    }
                }
                counts[id] = 0;
                last[id] = -1;
                int r = PySet_Contains(stop, items[k]);
                int t = r ? 0 : PySet_Contains(title, items[k]);
                if (r < 0 || t < 0) {
                    Py_DECREF(fast);
                    goto done;
                }
                flag[id] = (signed char)(r ? -1 : t);
            }
            if (flag[id] < 0 || last[id] == i) continue;  /* a stopword, or already counted for this sentence */
            last[id] = i;
            if (n_seq >= seq_cap) {
                seq_cap = seq_cap ? 2 * seq_cap : 1024;
                Py_ssize_t *ns = PyMem_Realloc(seq, (size_t)seq_cap * sizeof(Py_ssize_t));
                if (ns == NULL) {
                    PyErr_NoMemory();
                    Py_DECREF(fast);
                    goto done;
                }
                seq = ns;
            }
            seq[n_seq++] = id;
            counts[id]++;
        }
        Py_DECREF(fast);
    }
    bounds[n] = n_seq;
    Py_ssize_t n_title = PySet_GET_SIZE(title);
    double title_div = (double)(n_title ? n_title : 1), norm = 1.0 / (double)(n ? n : 1);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t len = bounds[i + 1] - bounds[i], sum = 0, shared = 0;
        for (Py_ssize_t q = bounds[i]; q < bounds[i + 1]; q++) {
            sum += counts[seq[q]];
            shared += flag[seq[q]];
        }
        double c = (n > 1 && len) ? ((double)(sum - len) * norm) / sqrt((double)len) : 0.0;
        PyObject *fc = PyFloat_FromDouble(c), *fo = PyFloat_FromDouble((double)shared / title_div);
        if (fc == NULL || fo == NULL) {
            Py_XDECREF(fc);
            Py_XDECREF(fo);
            goto done;
        }
        PyList_SET_ITEM(cent, i, fc);
        PyList_SET_ITEM(over, i, fo);
    }
    res = PyTuple_Pack(2, cent, over);
done:
    strtab_release(tab);
    PyMem_Free(bounds);
    PyMem_Free(counts);
    PyMem_Free(last);
    PyMem_Free(seq);
    PyMem_Free(flag);
    Py_XDECREF(cent);
    Py_XDECREF(over);
    return res;
}

/* stem_count(title_tokens, lines, counts, cache, stem) -> (title_stems, text_stems): the stems of
 * the title's tokens and of the text's (``lines``, lists of tokens) through ``cache`` (``stem(w)``
 * for a word not in it; emptied first past 500,000 words), the text's without a leading repeat of
 * the title's, and every stem counted into ``counts`` (an empty dict or Counter) in order of first
 * occurrence (``text._py_stem_count``). Counting takes one probe of a local table per stem and
 * one dict insertion per distinct stem. */
#define STEM_CACHE_MAX 500000

/* Stems by token identity: a text's tokens are mostly the shared strings of the token table, so a
 * table keyed by the token object's address answers without hashing or comparing strings (it
 * holds a reference to each token, so no address is reused while it is there). It is valid for
 * one (cache, stem) pair, as stems are a function of the word: emptied when the pair changes,
 * and when half full. */
#define MEMO_BITS 16
#define MEMO_SIZE ((size_t)1 << MEMO_BITS)
static PyObject **memo = NULL;  /* pairs: token, its stem */
static size_t memo_used = 0;
static PyObject *memo_cache = NULL, *memo_fn = NULL;

static void memo_clear(void) {
    for (size_t i = 0; i < 2 * MEMO_SIZE; i++) Py_CLEAR(memo[i]);
    memo_used = 0;
}

/* Make the memo serve (cache, stem); -1 on error. */
static int memo_bind(PyObject *cache, PyObject *stem) {
    if (memo == NULL && (memo = PyMem_Calloc(2 * MEMO_SIZE, sizeof(PyObject *))) == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if (cache != memo_cache || stem != memo_fn) {
        memo_clear();
        Py_INCREF(cache);
        Py_INCREF(stem);
        Py_XSETREF(memo_cache, cache);
        Py_XSETREF(memo_fn, stem);
    }
    return 0;
}

static inline size_t memo_slot(PyObject *w) {
    size_t i = (size_t)(((uint64_t)(uintptr_t)w * 0x9E3779B97F4A7C15ULL) >> (64 - MEMO_BITS));
    while (memo[2 * i] != NULL && memo[2 * i] != w) i = (i + 1) & (MEMO_SIZE - 1);
    return i;
}

/* A new reference to the stem of w (memo, else ``cache``, else ``stem(w)`` added to the cache), or NULL. */
static PyObject *stem_of(PyObject *w, PyObject *cache, PyObject *stem) {
    int bound = memo_cache == cache && memo_fn == stem;  /* (a nested call may have rebound it) */
    size_t i = bound ? memo_slot(w) : 0;
    if (bound && memo[2 * i] == w) {
        Py_INCREF(memo[2 * i + 1]);
        return memo[2 * i + 1];
    }
    PyObject *s = PyDict_GetItemWithError(cache, w);
    if (s != NULL) {
        Py_INCREF(s);
    } else {
        if (PyErr_Occurred()) return NULL;
        if (PyDict_GET_SIZE(cache) > STEM_CACHE_MAX) PyDict_Clear(cache);
        s = PyObject_CallOneArg(stem, w);
        if (s == NULL) return NULL;
        if (PyDict_SetItem(cache, w, s) < 0) {
            Py_DECREF(s);
            return NULL;
        }
    }
    if (memo_cache != cache || memo_fn != stem) return s;  /* (rebound by a nested call: leave it) */
    if (memo_used >= MEMO_SIZE / 2) memo_clear();
    i = memo_slot(w);  /* (again: stem(w) may have changed the memo) */
    if (memo[2 * i] == NULL) {
        Py_INCREF(w);
        Py_INCREF(s);
        memo[2 * i] = w;
        memo[2 * i + 1] = s;
        memo_used++;
    }
    return s;
}

/* The stems of the tokens of each of ``seqs[0:n]`` (sequences), one list; NULL on error. */
static PyObject *stems_of(PyObject **seqs, Py_ssize_t n, PyObject *cache, PyObject *stem) {
    Py_ssize_t total = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PyList_Check(seqs[i])) {
            PyErr_SetString(PyExc_TypeError, "tokens must be lists of str");
            return NULL;
        }
        total += PyList_GET_SIZE(seqs[i]);
    }
    PyObject *out = PyList_New(total);
    if (out == NULL) return NULL;
    Py_ssize_t at = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        for (Py_ssize_t k = 0; k < PyList_GET_SIZE(seqs[i]) && at < total; k++) {
            PyObject *s = stem_of(PyList_GET_ITEM(seqs[i], k), cache, stem);
            if (s == NULL) {
                Py_DECREF(out);
                return NULL;
            }
            PyList_SET_ITEM(out, at++, s);
        }
    }
    if (at < total && PyList_SetSlice(out, at, total, NULL) < 0) {  /* (a list shrank under stem(w)) */
        Py_DECREF(out);
        return NULL;
    }
    return out;
}

/* count the stems of list ``stems`` from position ``from`` into tab / *counts; -1 on error */
static int count_stems(PyObject *stems, Py_ssize_t from, StrTable *tab, Py_ssize_t **counts, Py_ssize_t *cap) {
    for (Py_ssize_t k = from; k < PyList_GET_SIZE(stems); k++) {
        int is_new;
        Py_ssize_t id = strtab_id(tab, PyList_GET_ITEM(stems, k), &is_new);
        if (id < 0) return -1;
        if (id >= *cap) {
            Py_ssize_t c = *cap ? 2 * *cap : 512;
            Py_ssize_t *nc = PyMem_Realloc(*counts, (size_t)c * sizeof(Py_ssize_t));
            if (nc == NULL) {
                PyErr_NoMemory();
                return -1;
            }
            *counts = nc;
            *cap = c;
        }
        if (is_new) (*counts)[id] = 0;
        (*counts)[id]++;
    }
    return 0;
}

static PyObject *stem_count(PyObject *self, PyObject *args) {
    PyObject *title, *lines, *counts, *cache, *stem;
    if (!PyArg_ParseTuple(args, "O!O!O!O!O", &PyList_Type, &title, &PyList_Type, &lines, &PyDict_Type, &counts,
                          &PyDict_Type, &cache, &stem))
        return NULL;
    if (memo_bind(cache, stem) < 0) return NULL;
    PyObject *held = PyList_AsTuple(lines);  /* (the lines stay alive while stem(w) runs Python code) */
    if (held == NULL) return NULL;
    PyObject *tt = stems_of(&title, 1, cache, stem), *res = NULL;
    PyObject *bt = tt == NULL ? NULL : stems_of(PySequence_Fast_ITEMS(held), PyTuple_GET_SIZE(held), cache, stem);
    Py_DECREF(held);
    StrTable *tab = NULL;
    Py_ssize_t *n = NULL, cap = 0;
    if (bt == NULL) goto done;
    Py_ssize_t nt = PyList_GET_SIZE(tt), skip = 0;
    if (nt && PyList_GET_SIZE(bt) >= nt) {  /* bt[:len(tt)] == tt: the text repeats the title */
        int same = 1;
        for (Py_ssize_t k = 0; k < nt && same; k++) {
            same = PyObject_RichCompareBool(PyList_GET_ITEM(bt, k), PyList_GET_ITEM(tt, k), Py_EQ);
            if (same < 0) goto done;
        }
        skip = same ? nt : 0;
    }
    if ((tab = strtab_acquire()) == NULL || count_stems(tt, 0, tab, &n, &cap) < 0 ||
        count_stems(bt, skip, tab, &n, &cap) < 0)
        goto done;
    for (Py_ssize_t id = 0; id < tab->used; id++) {
        PyObject *v = PyLong_FromSsize_t(n[id]);
        if (v == NULL || PyDict_SetItem(counts, tab->slots[tab->filled[id]].key, v) < 0) {
            Py_XDECREF(v);
            goto done;
        }
        Py_DECREF(v);
    }
    if (skip) {
        PyObject *rest = PyList_GetSlice(bt, skip, PyList_GET_SIZE(bt));
        if (rest == NULL) goto done;
        Py_SETREF(bt, rest);
    }
    res = PyTuple_Pack(2, tt, bt);
done:
    strtab_release(tab);
    PyMem_Free(n);
    Py_XDECREF(tt);
    Py_XDECREF(bt);
    return res;
}

/* mark_ends(text) -> str: text.mark_ends_reference(text), the sentence ends marked with "\n\x01"
 * (``sentences._py_mark_ends``). After . ! ?: _CUT, [.!?] [closing quote or bracket]? followed (looked
 * ahead) by whitespace other than "\n" (``re``'s \s: Py_UNICODE_ISSPACE), an optional opening
 * quote or bracket and a character that opens a sentence (``text._opens``: 0-9, a currency sign,
 * or a letter that is not lower case). The pattern cannot backtrack into another match: a closer
 * is not whitespace, and whitespace is neither an opener nor a start character. After 。！？।؟۔:
 * _CJK_END, the mark, a closer (possessive: kept once seen) and then anything but whitespace
 * after optional blanks on the same line. */
static inline int is_closer(Py_UCS4 c) {
    return c == '"' || c == '\'' || c == 0x201D || c == 0x2019 || c == ')' || c == ']';
}
static inline int is_opener(Py_UCS4 c) {
    return c == '"' || c == '\'' || c == 0x201C || c == 0x2018 || c == '(' || c == '[';
}
static inline int is_start(Py_UCS4 c) {
    if (c < 128) return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '$';
    return c == 0xA3 || c == 0x20AC || (Py_UNICODE_ISALPHA(c) && !Py_UNICODE_ISLOWER(c));
}
/* 。！？ (CJK), । (danda), ؟ ۔ (Arabic script): end a sentence with no space after them */
static inline int is_cjk_end(Py_UCS4 c) {
    return c == 0x3002 || c == 0xFF01 || c == 0xFF1F || c == 0x0964 || c == 0x061F || c == 0x06D4;
}
static inline int is_end_mark(Py_UCS4 c) {
    return c == '.' || c == '!' || c == '?' || (c >= 0x0600 && is_cjk_end(c));
}

/* The end of the _CUT or _CJK_END match starting at text[i] (the end mark and a closer, if any), or -1. */
static Py_ssize_t mark_at(int kind, const void *data, Py_ssize_t n, Py_ssize_t i) {
    Py_UCS4 c = PyUnicode_READ(kind, data, i);
    if (!is_end_mark(c)) return -1;
    int cjk = c > '?';
    Py_ssize_t e = i + 1;
    if (e < n) {
        Py_UCS4 k = PyUnicode_READ(kind, data, e);
        if (is_closer(k) || (cjk && (k == 0x300D || k == 0x300F || k == 0xFF09))) e++;
    }
    Py_ssize_t j = e;
    while (j < n) {
        Py_UCS4 w = PyUnicode_READ(kind, data, j);
        if (w == '\n' || !Py_UNICODE_ISSPACE(w)) break;
        j++;
    }
    if (j >= n) return -1;  /* nothing after it */
    Py_UCS4 d = PyUnicode_READ(kind, data, j);
    if (cjk) return Py_UNICODE_ISSPACE(d) ? -1 : e;  /* (d is "\n" or not a space) */
    if (j == e) return -1;  /* no whitespace */
    if (is_opener(d) && j + 1 < n && is_start(PyUnicode_READ(kind, data, j + 1))) d = 'A';
    return is_start(d) ? e : -1;
}

static PyObject *mark_ends(PyObject *self, PyObject *text) {
    if (!check_str(text)) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    PyObject *parts = NULL, *sep = NULL, *mark = NULL, *res = NULL;
    Py_ssize_t a = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t e = mark_at(kind, data, n, i);
        if (e < 0) continue;
        if (parts == NULL && (parts = PyList_New(0)) == NULL) goto done;
        if (mark == NULL && (mark = PyUnicode_FromString("\n\x01")) == NULL) goto done;
        PyObject *piece = PyUnicode_Substring(text, a, e);
        if (piece == NULL) goto done;
        int rc = PyList_Append(parts, piece);
        Py_DECREF(piece);
        if (rc < 0 || PyList_Append(parts, mark) < 0) goto done;
        a = e;
        i = e - 1;  /* the next mark can start right after this match */
    }
    if (parts == NULL) {
        Py_INCREF(text);
        return text;
    }
    PyObject *tail = PyUnicode_Substring(text, a, n);
    if (tail == NULL) goto done;
    int rc = PyList_Append(parts, tail);
    Py_DECREF(tail);
    if (rc < 0 || (sep = PyUnicode_New(0, 0)) == NULL) goto done;
    res = PyUnicode_Join(sep, parts);
done:
    Py_XDECREF(parts);
    Py_XDECREF(sep);
    Py_XDECREF(mark);
    return res;
}

/* split_text(text, with_tokens, is_abbrev) -> (sentences, paragraph starts, tokens per sentence):
 * ``split_sentences`` for a text without "\x01" (``sentences._py_split_text``), in one pass: the lines
 * of the marked text (``mark_ends``, then split at "\n") are the text's pieces between line breaks
 * and sentence-end marks, so they are cut from the text itself, tokenised one by one (the same
 * tokens as ``line_tokens`` of the marked text: a token never crosses a mark, which is followed
 * by whitespace) and joined into sentences; ``is_abbrev(sentence)`` is called only where the
 * cheap tests (ends with ".", the four characters before it not all lower case, or "vs.") leave
 * an abbreviation possible. */

/* s without leading (left) and trailing whitespace (str.strip: Py_UNICODE_ISSPACE); a new reference */
static PyObject *strip_ws(PyObject *s, int left) {
    Py_ssize_t a = 0, b = PyUnicode_GET_LENGTH(s);
    int kind = PyUnicode_KIND(s);
    const void *d = PyUnicode_DATA(s);
    while (left && a < b && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, d, a))) a++;
    while (b > a && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, d, b - 1))) b--;
    if (a == 0 && b == PyUnicode_GET_LENGTH(s)) {
        Py_INCREF(s);
        return s;
    }
    return PyUnicode_Substring(s, a, b);
}

/* str.islower() of s[a:b] */
static int is_lower_slice(PyObject *s, Py_ssize_t a, Py_ssize_t b) {
    int kind = PyUnicode_KIND(s), cased = 0;
    const void *d = PyUnicode_DATA(s);
    if (b - a == 1) return Py_UNICODE_ISLOWER(PyUnicode_READ(kind, d, a));
    for (Py_ssize_t i = a; i < b; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, d, i);
        if (Py_UNICODE_ISUPPER(c) || Py_UNICODE_ISTITLE(c)) return 0;
        if (!cased && Py_UNICODE_ISLOWER(c)) cased = 1;
    }
    return cased;
}

/* prev[-1] == "." and (not prev[-5:-1].islower() or prev.endswith("vs.")) and is_abbrev(prev); -1 on error */
static int ends_in_abbrev(PyObject *prev, PyObject *is_abbrev) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(prev);
    int kind = PyUnicode_KIND(prev);
    const void *d = PyUnicode_DATA(prev);
    if (n == 0 || PyUnicode_READ(kind, d, n - 1) != '.') return 0;
    int vs = n >= 3 && PyUnicode_READ(kind, d, n - 3) == 'v' && PyUnicode_READ(kind, d, n - 2) == 's';
    if (!vs && is_lower_slice(prev, n >= 5 ? n - 5 : 0, n - 1)) return 0;
    PyObject *r = PyObject_CallOneArg(is_abbrev, prev);
    if (r == NULL) return -1;
    int t = PyObject_IsTrue(r);
    Py_DECREF(r);
    return t;
}

/* The tokens of s (``line_tokens`` of a line), a new list */
static PyObject *str_tokens(PyObject *s) {
    Py_ssize_t n;
    unsigned char *buf = map_text(s, 1, &n);
    if (buf == NULL) return NULL;
    PyObject *out = PyList_New(0);
    if (out != NULL && scan(buf, 0, n, out) < 0) Py_CLEAR(out);
    PyMem_Free(buf);
    return out;
}

typedef struct {
    PyObject *out, *first, *toks, *is_abbrev;
    int with_tokens;
} Sentences;

/* One line of the marked text: text[a:b], after a sentence-end mark or not; -1 on error. */
static int add_line(Sentences *st, PyObject *text, Py_ssize_t a, Py_ssize_t b, int after_mark) {
    PyObject *line = PyUnicode_Substring(text, a, b), *toks = NULL, *s = NULL;
    int rc = -1;
    if (line == NULL) return -1;
    if (st->with_tokens ? (toks = str_tokens(line)) == NULL : (toks = PyList_New(0)) == NULL) goto done;
    Py_ssize_t n_out = PyList_GET_SIZE(st->out);
    if (after_mark && n_out) {
        PyObject *prev = PyList_GET_ITEM(st->out, n_out - 1);
        int abbrev = ends_in_abbrev(prev, st->is_abbrev);
        if (abbrev < 0) goto done;
        if (abbrev) {  /* "Mr. Smith": not a sentence end after all */
            PyObject *joined = PyUnicode_Concat(prev, line);
            if (joined == NULL) goto done;
            s = strip_ws(joined, 0);
            Py_DECREF(joined);
            if (s == NULL || PyList_SetItem(st->out, n_out - 1, s) < 0) {
                s = NULL;
                goto done;
            }
            s = NULL;  /* (the list holds it) */
            if (st->with_tokens) {
                PyObject *more = PySequence_Concat(PyList_GET_ITEM(st->toks, n_out - 1), toks);
                if (more == NULL || PyList_SetItem(st->toks, n_out - 1, more) < 0) goto done;
            }
            rc = 0;
            goto done;
        }
    }
    if ((s = strip_ws(line, 1)) == NULL) goto done;
    if (!after_mark && PyUnicode_GET_LENGTH(s) == 0) {
        rc = 0;
        goto done;
    }
    if (PyList_Append(st->out, s) < 0 || PyList_Append(st->first, after_mark ? Py_False : Py_True) < 0 ||
        PyList_Append(st->toks, toks) < 0)
        goto done;
    rc = 0;
done:
    Py_DECREF(line);
    Py_XDECREF(toks);
    Py_XDECREF(s);
    return rc;
}

static PyObject *split_text(PyObject *self, PyObject *args) {
    PyObject *text, *is_abbrev;
    int with_tokens;
    if (!PyArg_ParseTuple(args, "UpO", &text, &with_tokens, &is_abbrev)) return NULL;
    Sentences st = {PyList_New(0), PyList_New(0), PyList_New(0), is_abbrev, with_tokens};
    PyObject *res = NULL;
    if (st.out == NULL || st.first == NULL || st.toks == NULL) goto done;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), a = 0;
    int kind = PyUnicode_KIND(text), after_mark = 0;
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == '\n') {
            if (add_line(&st, text, a, i, after_mark) < 0) goto done;
            a = i + 1;
            after_mark = 0;
        } else if (is_end_mark(c)) {
            Py_ssize_t e = mark_at(kind, data, n, i);
            if (e < 0) continue;
            if (add_line(&st, text, a, e, after_mark) < 0) goto done;
            a = e;
            after_mark = 1;
            i = e - 1;
        }
    }
    if (add_line(&st, text, a, n, after_mark) < 0) goto done;
    res = PyTuple_Pack(3, st.out, st.first, st.toks);
done:
    Py_XDECREF(st.out);
    Py_XDECREF(st.first);
    Py_XDECREF(st.toks);
    return res;
}

/* sentence_marks(sents) -> bytes: per sentence four float64s, [len(s), s[:1] in "\"'“‘",
 * \d in s, s.endswith("?")] (``summary._py_sentence_marks``). \d is what ``re`` reads as a digit
 * in a str pattern: a Unicode decimal (Py_UNICODE_ISDECIMAL, the test _sre itself uses). */
static PyObject *sentence_marks(PyObject *self, PyObject *sents) {
    if (!PyList_Check(sents)) {
        PyErr_SetString(PyExc_TypeError, "sentence_marks expects a list of str");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(sents);
    PyObject *out = PyBytes_FromStringAndSize(NULL, n * 4 * (Py_ssize_t)sizeof(double));
    if (out == NULL) return NULL;
    double *row = (double *)PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < n; i++, row += 4) {
        PyObject *s = PyList_GET_ITEM(sents, i);
        if (!PyUnicode_Check(s)) {
            Py_DECREF(out);
            PyErr_SetString(PyExc_TypeError, "sentence_marks expects a list of str");
            return NULL;
        }
        Py_ssize_t len = PyUnicode_GET_LENGTH(s);
        int kind = PyUnicode_KIND(s);
        const void *data = PyUnicode_DATA(s);
        int digit = 0;
        if (kind == PyUnicode_1BYTE_KIND) {  /* Latin-1: the only decimals are 0-9 */
            const Py_UCS1 *p = data;
            for (Py_ssize_t k = 0; k < len && !digit; k++) digit = p[k] >= '0' && p[k] <= '9';
        } else {
            for (Py_ssize_t k = 0; k < len && !digit; k++) digit = Py_UNICODE_ISDECIMAL(PyUnicode_READ(kind, data, k));
        }
        Py_UCS4 first = len ? PyUnicode_READ(kind, data, 0) : 0;
        row[0] = (double)len;
        row[1] = (!len || first == '"' || first == '\'' || first == 0x201C || first == 0x2018) ? 1.0 : 0.0;
        row[2] = digit ? 1.0 : 0.0;
        row[3] = (len && PyUnicode_READ(kind, data, len - 1) == '?') ? 1.0 : 0.0;
    }
    return out;
}

/* name_tags(title, head, k, cache, phrase) -> list[str]: the name tags of an article
 * (``tags._py_name_tags``, which documents the rules). Capitalised runs are found by hand
 * (tags._NAME: (?:(?<![\w&'’-])[a-z](?=[A-Z]))?[A-Z][\w&'’-]*(?:[ \t]+(?:of\s+|&\s+|de\s+|du\s+)?[A-Z][\w&'’-]*){0,3}; each step
 * of the pattern can match in one way only, so no backtracking is needed), normalised through
 * ``cache`` (``phrase(run)`` for a run not in it: None or (key, shown phrase)), counted, merged
 * into the longer names holding them and ranked, with Python dicts for every lookup. */
static inline int is_upper_ascii(Py_UCS4 c) { return c >= 'A' && c <= 'Z'; }

/* \w (``re``: alphanumeric or "_") or one of &'’- */
static inline int is_name_char(Py_UCS4 c) {
    if (c < 128) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                        c == '&' || c == '\'' || c == '-';
    return c == 0x2019 || Py_UNICODE_ISALNUM(c);
}

/* ``re``'s \w for a str pattern, as used by \b */
static inline int is_word(Py_UCS4 c) { return c == '_' || Py_UNICODE_ISALNUM(c); }

static Py_ssize_t name_word_end(int kind, const void *d, Py_ssize_t n, Py_ssize_t i) {
    while (i < n && is_name_char(PyUnicode_READ(kind, d, i))) i++;
    return i;
}

/* End of the capitalised run starting at i (text[i] is A-Z, or a-z before A-Z). */
static Py_ssize_t run_end(int kind, const void *d, Py_ssize_t n, Py_ssize_t i) {
    Py_ssize_t j = name_word_end(kind, d, n, i + 1);
    for (int rep = 0; rep < 3; rep++) {
        Py_ssize_t k = j;
        while (k < n && (PyUnicode_READ(kind, d, k) == ' ' || PyUnicode_READ(kind, d, k) == '\t')) k++;
        if (k == j || k >= n) break;
        Py_UCS4 c = PyUnicode_READ(kind, d, k);
        Py_ssize_t w = -1, m = -1;
        if (is_upper_ascii(c)) {
            w = k;
        } else if (c == '&') {
            m = k + 1;
        } else if (k + 1 < n && (c == 'o' || c == 'd')) {
            Py_UCS4 c2 = PyUnicode_READ(kind, d, k + 1);
            if ((c == 'o' && c2 == 'f') || (c == 'd' && (c2 == 'e' || c2 == 'u'))) m = k + 2;
        }
        if (m >= 0) {  /* a connector: it needs \s+ and then a capital */
            Py_ssize_t s = m;
            while (s < n && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, d, s))) s++;
            if (s > m && s < n && is_upper_ascii(PyUnicode_READ(kind, d, s))) w = s;
        }
        if (w < 0) break;
        j = name_word_end(kind, d, n, w + 1);
    }
    return j;
}

typedef struct {
    PyObject *key, *shown;  /* strong references */
    Py_ssize_t count;
    int in_body, multi, gone;
} NameCand;

typedef struct {
    NameCand *c;
    Py_ssize_t n, cap;
    PyObject *index;  /* key -> its position in c */
} NameCands;

/* Count the runs of ``text`` (weight per occurrence) into ``cs``; -1 on error. */
static int count_runs(PyObject *text, Py_ssize_t weight, int body, PyObject *cache, PyObject *phrase, NameCands *cs) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *d = PyUnicode_DATA(text);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, d, i);
        /* a capital, or one lower-case letter opening a word before its capital ("iPhone") */
        if (!is_upper_ascii(c) && !(c >= 'a' && c <= 'z' && i + 1 < n && is_upper_ascii(PyUnicode_READ(kind, d, i + 1)) &&
                                    (i == 0 || !is_name_char(PyUnicode_READ(kind, d, i - 1)))))
            continue;
        Py_ssize_t e = run_end(kind, d, n, i);
        PyObject *run = PyUnicode_Substring(text, i, e);
        if (run == NULL) return -1;
        i = e - 1;
        PyObject *val = PyDict_GetItemWithError(cache, run);  /* borrowed */
        if (val == NULL) {
            if (PyErr_Occurred()) {
                Py_DECREF(run);
                return -1;
            }
            val = PyObject_CallOneArg(phrase, run);
            if (val == NULL || PyDict_SetItem(cache, run, val) < 0) {
                Py_XDECREF(val);
                Py_DECREF(run);
                return -1;
            }
            Py_DECREF(val);  /* the cache holds it */
        }
        Py_DECREF(run);
        if (val == Py_None) continue;
        if (!PyTuple_Check(val) || PyTuple_GET_SIZE(val) != 2 || !PyUnicode_Check(PyTuple_GET_ITEM(val, 0)) ||
            !PyUnicode_Check(PyTuple_GET_ITEM(val, 1))) {
            PyErr_SetString(PyExc_TypeError, "phrase must give None or a (key, phrase) pair of str");
            return -1;
        }
        PyObject *key = PyTuple_GET_ITEM(val, 0);
        PyObject *pos = PyDict_GetItemWithError(cs->index, key);
        Py_ssize_t at;
        if (pos == NULL) {
            if (PyErr_Occurred()) return -1;
            if (cs->n >= cs->cap) {
                Py_ssize_t cap = cs->cap ? 2 * cs->cap : 64;
                NameCand *nc = PyMem_Realloc(cs->c, (size_t)cap * sizeof(NameCand));
                if (nc == NULL) {
                    PyErr_NoMemory();
                    return -1;
                }
                cs->c = nc;
                cs->cap = cap;
            }
            at = cs->n;
            PyObject *v = PyLong_FromSsize_t(at);
            if (v == NULL || PyDict_SetItem(cs->index, key, v) < 0) {
                Py_XDECREF(v);
                return -1;
            }
            Py_DECREF(v);
            NameCand *c = &cs->c[cs->n++];
            Py_INCREF(key);
            Py_INCREF(PyTuple_GET_ITEM(val, 1));
            c->key = key;
            c->shown = PyTuple_GET_ITEM(val, 1);
            c->count = 0;
            c->in_body = 0;
            c->gone = 0;
            Py_UCS4 space = ' ';
            c->multi = PyUnicode_FindChar(key, space, 0, PyUnicode_GET_LENGTH(key), 1) >= 0;
        } else {
            at = PyLong_AsSsize_t(pos);
        }
        cs->c[at].count += weight;
        if (body) cs->c[at].in_body = 1;
    }
    return 0;
}

/* The index of the multi-word name a single word counts towards (the first of the most frequent
 * holding it as a word, else the last written the same without spaces), -1 if none, -2 on error. */
static Py_ssize_t host_of(NameCands *cs, PyObject *longer, PyObject *squashed, PyObject *key) {
    PyObject *hosts = PyDict_GetItemWithError(longer, key);
    if (hosts == NULL) {
        if (PyErr_Occurred()) return -2;
        PyObject *h = PyDict_GetItemWithError(squashed, key);
        if (h == NULL) return PyErr_Occurred() ? -2 : -1;
        return PyLong_AsSsize_t(h);
    }
    Py_ssize_t best = -1;
    for (Py_ssize_t q = 0; q < PyList_GET_SIZE(hosts); q++) {
        Py_ssize_t h = PyLong_AsSsize_t(PyList_GET_ITEM(hosts, q));
        if (best < 0 || cs->c[h].count > cs->c[best].count) best = h;
    }
    return best;
}

/* Index the multi-word names by their words and by their spelling without spaces; -1 on error. */
static int index_hosts(NameCands *cs, PyObject *longer, PyObject *squashed) {
    PyObject *space = PyUnicode_FromString(" "), *empty = PyUnicode_New(0, 0);
    int rc = -1;
    if (space == NULL || empty == NULL) goto done;
    for (Py_ssize_t i = 0; i < cs->n; i++) {
        if (!cs->c[i].multi) continue;
        PyObject *key = cs->c[i].key;
        PyObject *sq = PyUnicode_Replace(key, space, empty, -1);
        PyObject *v = PyLong_FromSsize_t(i);
        PyObject *words = PyUnicode_Split(key, NULL, -1);
        if (sq == NULL || v == NULL || words == NULL || PyDict_SetItem(squashed, sq, v) < 0) {
            Py_XDECREF(sq);
            Py_XDECREF(v);
            Py_XDECREF(words);
            goto done;
        }
        Py_DECREF(sq);
        for (Py_ssize_t w = 0; w < PyList_GET_SIZE(words); w++) {
            PyObject *word = PyList_GET_ITEM(words, w);
            int dup = 0;
            for (Py_ssize_t u = 0; u < w && !dup; u++) {
                dup = PyUnicode_Compare(word, PyList_GET_ITEM(words, u)) == 0;
            }
            if (dup) continue;
            PyObject *hosts = PyDict_GetItemWithError(longer, word);
            if (hosts == NULL) {
                if (PyErr_Occurred() || (hosts = PyList_New(0)) == NULL) goto fail_word;
                int r = PyDict_SetItem(longer, word, hosts);
                Py_DECREF(hosts);  /* the dict holds it */
                if (r < 0) goto fail_word;
            }
            if (PyList_Append(hosts, v) < 0) goto fail_word;
        }
        Py_DECREF(v);
        Py_DECREF(words);
        continue;
    fail_word:
        Py_DECREF(v);
        Py_DECREF(words);
        goto done;
    }
    rc = 0;
done:
    Py_XDECREF(space);
    Py_XDECREF(empty);
    return rc;
}

/* \bkey\b somewhere in text (``re`` semantics: word characters on exactly one side of each end); -1 on error. */
static int has_word(PyObject *text, PyObject *key) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), m = PyUnicode_GET_LENGTH(key);
    int kind = PyUnicode_KIND(text), kkind = PyUnicode_KIND(key);
    const void *d = PyUnicode_DATA(text), *kd = PyUnicode_DATA(key);
    if (m == 0 || n == 0) return 0;
    int first = is_word(PyUnicode_READ(kkind, kd, 0)), last = is_word(PyUnicode_READ(kkind, kd, m - 1));
    Py_ssize_t i = PyUnicode_Find(text, key, 0, n, 1);
    while (i >= 0) {
        int before = i > 0 && is_word(PyUnicode_READ(kind, d, i - 1));
        int after = i + m < n && is_word(PyUnicode_READ(kind, d, i + m));
        if (before != first && after != last) return 1;
        i = PyUnicode_Find(text, key, i + 1, n, 1);
    }
    return i == -1 ? 0 : -1;
}

static int by_count(const void *a, const void *b) {
    const Py_ssize_t *x = a, *y = b;
    return x[0] != y[0] ? (x[0] < y[0] ? 1 : -1) : (x[1] > y[1]) - (x[1] < y[1]);  /* count down, then order */
}

static PyObject *name_tags(PyObject *self, PyObject *args) {
    PyObject *title, *head, *cache, *phrase;
    Py_ssize_t k;
    if (!PyArg_ParseTuple(args, "UUnO!O", &title, &head, &k, &PyDict_Type, &cache, &phrase)) return NULL;
    NameCands cs = {NULL, 0, 0, PyDict_New()};
    PyObject *longer = PyDict_New(), *squashed = PyDict_New(), *tags = NULL;
    Py_ssize_t *order = NULL;
    if (cs.index == NULL || longer == NULL || squashed == NULL) goto fail;
    if (count_runs(title, 3, 0, cache, phrase, &cs) < 0 || count_runs(head, 1, 1, cache, phrase, &cs) < 0) goto fail;
    if (index_hosts(&cs, longer, squashed) < 0) goto fail;
    for (Py_ssize_t i = 0; i < cs.n; i++) {  /* single words count towards a longer name holding them */
        if (cs.c[i].multi) continue;
        Py_ssize_t h = host_of(&cs, longer, squashed, cs.c[i].key);
        if (h == -2) goto fail;
        if (h >= 0) {
            cs.c[h].count += cs.c[i].count;
            cs.c[i].gone = 1;
        }
    }
    order = PyMem_Malloc((size_t)(2 * cs.n + 1) * sizeof(Py_ssize_t));  /* (count, position) pairs */
    if (order == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    Py_ssize_t m = 0;
    for (Py_ssize_t i = 0; i < cs.n; i++) {
        if (cs.c[i].gone) continue;
        order[2 * m] = cs.c[i].count;
        order[2 * m + 1] = i;
        m++;
    }
    qsort(order, (size_t)m, 2 * sizeof(Py_ssize_t), by_count);
    if ((tags = PyList_New(0)) == NULL) goto fail;
    for (Py_ssize_t q = 0; q < m; q++) {
        NameCand *c = &cs.c[order[2 * q + 1]];
        if (c->count < 2) break;
        if (!c->multi) {  /* a single word only in the title, or also written in lower case: not a name */
            if (!c->in_body) continue;
            int r = has_word(head, c->key);
            if (r < 0) goto fail;
            if (r) continue;
        }
        if (PyList_Append(tags, c->shown) < 0) goto fail;
        if (PyList_GET_SIZE(tags) >= k) break;
    }
    goto done;
fail:
    Py_CLEAR(tags);
done:
    for (Py_ssize_t i = 0; i < cs.n; i++) {
        Py_DECREF(cs.c[i].key);
        Py_DECREF(cs.c[i].shown);
    }
    PyMem_Free(cs.c);
    PyMem_Free(order);
    Py_XDECREF(cs.index);
    Py_XDECREF(longer);
    Py_XDECREF(squashed);
    return tags;
}

/* cold_features(counts, title, lead, joined, title_joined, n, keys, excl, expansion, rank) -> dict: a
 * topic's cold-start features of one document (``relevance._py_cold_features``, which says what
 * each is), the same floats in the same order; ``rank`` is not needed here (the expansion is read
 * in its own order). */
static const char *const FEATURE_NAMES[] = {"keyword_density", "keywords_distinct", "keyword_in_title",
                                            "keyword_in_lead", "associated_terms", "example_similarity",
                                            "excluded_terms"};
#define N_FEATURES 7
static PyObject *feature_names[N_FEATURES];

/* How often ``key`` (stems, a phrase when it holds a space) occurs in the document, and whether in
 * its title and its lead; -1 on error. */
static int key_hits(PyObject *key, PyObject *counts, PyObject *title, PyObject *lead, PyObject *joined,
                    PyObject *title_joined, Py_ssize_t *count, int *in_title, int *in_lead) {
    if (!PyUnicode_Check(key)) {
        PyErr_SetString(PyExc_TypeError, "keys must be str");
        return -1;
    }
    if (PyUnicode_FindChar(key, ' ', 0, PyUnicode_GET_LENGTH(key), 1) >= 0) {  /* a phrase: " key " in the joined stems */
        PyObject *pat = PyUnicode_FromFormat(" %U ", key);
        if (pat == NULL) return -1;
        *count = PyUnicode_Count(joined, pat, 0, PY_SSIZE_T_MAX);
        *in_title = PyUnicode_Contains(title_joined, pat);
        Py_ssize_t at = *count < 0 || *in_title < 0 ? -1 : PyUnicode_Find(joined, pat, 0, 400, 1);
        Py_DECREF(pat);
        if (*count < 0 || *in_title < 0 || at == -2) return -1;
        *in_lead = at >= 0;
        return 0;
    }
    PyObject *v = PyDict_GetItemWithError(counts, key);
    if (v == NULL && PyErr_Occurred()) return -1;
    *count = v == NULL ? 0 : PyLong_AsSsize_t(v);
    if (*count == -1 && PyErr_Occurred()) return -1;
    *in_title = PySet_Contains(title, key);
    *in_lead = *in_title < 0 ? -1 : PySet_Contains(lead, key);
    return *in_title < 0 || *in_lead < 0 ? -1 : 0;
}

static PyObject *cold_features(PyObject *self, PyObject *args) {
    PyObject *counts, *title, *lead, *joined, *title_joined, *keys, *excl, *expansion, *rank;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "O!O!O!UUnO!O!O!O", &PyDict_Type, &counts, &PyFrozenSet_Type, &title,
                          &PyFrozenSet_Type, &lead, &joined, &title_joined, &n, &PyList_Type, &keys, &PyList_Type,
                          &excl, &PyDict_Type, &expansion, &rank))
        return NULL;
    if (n <= 0) {
        PyErr_SetString(PyExc_ValueError, "n must be positive");
        return NULL;
    }
    Py_ssize_t total = 0, distinct = 0, in_title = 0, in_lead = 0, veto = 0, c;
    int t, l;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(keys); i++) {
        if (key_hits(PyList_GET_ITEM(keys, i), counts, title, lead, joined, title_joined, &c, &t, &l) < 0) return NULL;
        total += c;
        distinct += c > 0;
        in_title += t;
        in_lead += l;
    }
    double assoc = 0.0;
    if (PyDict_GET_SIZE(expansion)) {  /* the associated terms present, in the expansion's order */
        Py_ssize_t pos = 0;
        PyObject *term, *w;
        while (PyDict_Next(expansion, &pos, &term, &w)) {
            PyObject *v = PyDict_GetItemWithError(counts, term);
            if (v == NULL) {
                if (PyErr_Occurred()) return NULL;
                continue;
            }
            double wf = PyFloat_AsDouble(w), cf = PyLong_AsDouble(v);
            if ((wf == -1.0 || cf == -1.0) && PyErr_Occurred()) return NULL;
            if (!(cf > 0.0)) {
                PyErr_SetString(PyExc_ValueError, "math domain error");
                return NULL;
            }
            assoc += wf * (1.0 + log(cf));
        }
        assoc /= sqrt((double)n / 100.0 + 1.0);
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(excl); i++) {
        if (key_hits(PyList_GET_ITEM(excl, i), counts, title, lead, joined, title_joined, &c, &t, &l) < 0) return NULL;
        veto += c > 0;
    }
    double values[N_FEATURES] = {(double)total / sqrt((double)n), (double)distinct, in_title > 0 ? 1.0 : 0.0,
                                 in_lead > 0 ? 1.0 : 0.0, assoc, 0.0, (double)veto};
    PyObject *out = PyDict_New();
    if (out == NULL) return NULL;
    for (int i = 0; i < N_FEATURES; i++) {
        PyObject *v = PyFloat_FromDouble(values[i]);
        if (v == NULL || PyDict_SetItem(out, feature_names[i], v) < 0) {
            Py_XDECREF(v);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(v);
    }
    return out;
}

/* stem(word) -> str: ``text._py_stem``. Why in C: a stream keeps meeting words its stem cache has not
 * seen (tens per BBC article), and the Python function call was most of their cost. Lengths and
 * suffixes are in code points, as the Python slices are. */
static int ends_with(int kind, const void *d, Py_ssize_t end, const char *suffix) {
    Py_ssize_t k = (Py_ssize_t)strlen(suffix);
    if (end < k) return 0;
    for (Py_ssize_t j = 0; j < k; j++)
        if (PyUnicode_READ(kind, d, end - k + j) != (Py_UCS4)(unsigned char)suffix[j]) return 0;
    return 1;
}

static PyObject *stem_word(PyObject *self, PyObject *w) {
    if (!PyUnicode_Check(w)) {
        PyErr_SetString(PyExc_TypeError, "stem() needs a str");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(w), end = n;
    int kind = PyUnicode_KIND(w);
    const void *d = PyUnicode_DATA(w);
    if (n >= 2 && PyUnicode_READ(kind, d, n - 1) == 's' &&
        (PyUnicode_READ(kind, d, n - 2) == '\'' || PyUnicode_READ(kind, d, n - 2) == 0x2019))
        end = n - 2;  /* "sony's" -> "sony", then the plural rules on what is left */
    if (end > 4 && ends_with(kind, d, end, "ies")) {
        PyObject *head = PyUnicode_Substring(w, 0, end - 3);
        if (head == NULL) return NULL;
        PyObject *y = PyUnicode_FromStringAndSize("y", 1);
        PyObject *out = y == NULL ? NULL : PyUnicode_Concat(head, y);
        Py_DECREF(head);
        Py_XDECREF(y);
        return out;
    }
    if (end > 4 && (ends_with(kind, d, end, "ches") || ends_with(kind, d, end, "shes") ||
                    ends_with(kind, d, end, "sses") || ends_with(kind, d, end, "xes")))
        return PyUnicode_Substring(w, 0, end - 2);
    if (end > 3 && ends_with(kind, d, end, "s") && !ends_with(kind, d, end, "ss") && !ends_with(kind, d, end, "us") &&
        !ends_with(kind, d, end, "is"))
        return PyUnicode_Substring(w, 0, end - 1);
    if (end == n) {
        Py_INCREF(w);
        return w;
    }
    return PyUnicode_Substring(w, 0, end);
}

/* gram_table(vocab) -> capsule: a read-only snapshot of a char n-gram vocabulary (str -> int) for
 * ``word_grams``: each n-gram stored as its code points, an FNV-1a hash of them and its id, in an
 * open-addressing table. Why: looking an n-gram up in the dict needs a new str (allocated, hashed,
 * freed) per n-gram, ~30 per word; the table compares code points in place. The snapshot holds a
 * reference to the dict and its size; ``word_grams`` uses it only for that dict at that size (the
 * domain model never changes its vocabulary after loading), else it looks up the dict itself.
 * A vocabulary with a key that is not a str or an id outside int32 gets no usable table. */
#define GRAM_CAPSULE "classifiers._core.gram_table"

typedef struct {
    uint64_t h;
    Py_ssize_t off;  /* into pool */
    Py_ssize_t len;  /* -1: empty slot */
    int32_t id;
} GramSlot;

typedef struct {
    PyObject *vocab;  /* strong reference */
    Py_ssize_t n;     /* len(vocab) when built */
    int ok;           /* every key a str and every id in int32 */
    size_t mask;
    GramSlot *slots;
    Py_UCS4 *pool;
} GramTable;

static inline uint64_t gram_hash(const Py_UCS4 *s, Py_ssize_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (Py_ssize_t k = 0; k < n; k++) h = (h ^ s[k]) * 1099511628211ULL;
    return h ^ (h >> 29);
}

static void gram_table_free(PyObject *capsule) {
    GramTable *t = PyCapsule_GetPointer(capsule, GRAM_CAPSULE);
    if (t == NULL) return;
    Py_XDECREF(t->vocab);
    PyMem_Free(t->slots);
    PyMem_Free(t->pool);
    PyMem_Free(t);
}

static PyObject *gram_table(PyObject *self, PyObject *vocab) {
    if (!PyDict_Check(vocab)) {
        PyErr_SetString(PyExc_TypeError, "gram_table() needs a dict");
        return NULL;
    }
    GramTable *t = PyMem_Calloc(1, sizeof(GramTable));
    if (t == NULL) return PyErr_NoMemory();
    Py_INCREF(vocab);
    t->vocab = vocab;
    t->n = PyDict_GET_SIZE(vocab);
    PyObject *capsule = PyCapsule_New(t, GRAM_CAPSULE, gram_table_free);
    if (capsule == NULL) {
        Py_DECREF(vocab);
        PyMem_Free(t);
        return NULL;
    }
    size_t size = 8;
    while (size < 2 * (size_t)t->n) size *= 2;
    Py_ssize_t total = 0, pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(vocab, &pos, &key, &value)) {
        if (!PyUnicode_Check(key) || !PyLong_Check(value)) return capsule;  /* ok = 0: the dict serves */
        total += PyUnicode_GET_LENGTH(key);
    }
    t->slots = PyMem_Malloc(size * sizeof(GramSlot));
    t->pool = PyMem_Malloc((size_t)(total > 0 ? total : 1) * sizeof(Py_UCS4));
    if (t->slots == NULL || t->pool == NULL) {
        Py_DECREF(capsule);
        return PyErr_NoMemory();
    }
    t->mask = size - 1;
    for (size_t i = 0; i < size; i++) t->slots[i].len = -1;
    Py_ssize_t off = 0;
    pos = 0;
    while (PyDict_Next(vocab, &pos, &key, &value)) {
        int overflow = 0;
        long long id = PyLong_AsLongLongAndOverflow(value, &overflow);
        if (id == -1 && PyErr_Occurred()) {
            Py_DECREF(capsule);
            return NULL;
        }
        if (overflow || id < INT32_MIN || id > INT32_MAX) return capsule;  /* ok = 0 */
        Py_ssize_t len = PyUnicode_GET_LENGTH(key);
        if (PyUnicode_AsUCS4(key, t->pool + off, len, 0) == NULL) {
            Py_DECREF(capsule);
            return NULL;
        }
        uint64_t h = gram_hash(t->pool + off, len);
        size_t i = (size_t)h & t->mask;
        while (t->slots[i].len >= 0) i = (i + 1) & t->mask;
        t->slots[i] = (GramSlot){h, off, len, (int32_t)id};
        off += len;
    }
    t->ok = 1;
    return capsule;
}

/* word_grams(word, vocab, lo, hi, table) -> bytes: ``linear_text._py_word_grams``: the vocab ids of
 * the n-grams (lo <= n <= hi, by n then position) of " word " that are in ``vocab``, as int32 bytes.
 * ``table`` is ``gram_table(vocab)`` (or None: the dict is looked up). Why in C: each new head word
 * costs ~30 substrings and lookups, and numpy's list conversion. */
static PyObject *word_grams(PyObject *self, PyObject *args) {
    PyObject *w, *vocab, *table = Py_None;
    Py_ssize_t lo, hi;
    if (!PyArg_ParseTuple(args, "UO!nn|O", &w, &PyDict_Type, &vocab, &lo, &hi, &table)) return NULL;
    if (lo < 0) {
        PyErr_SetString(PyExc_ValueError, "n-gram lengths start at 0");
        return NULL;
    }
    GramTable *t = NULL;
    if (table != Py_None) {
        if (!PyCapsule_IsValid(table, GRAM_CAPSULE)) {
            PyErr_SetString(PyExc_TypeError, "table must be gram_table(vocab) or None");
            return NULL;
        }
        t = PyCapsule_GetPointer(table, GRAM_CAPSULE);
        if (!t->ok || t->vocab != vocab || PyDict_GET_SIZE(vocab) != t->n) t = NULL;  /* not this dict's */
    }
    PyObject *s = PyUnicode_FromFormat(" %U ", w);
    if (s == NULL) return NULL;
    Py_ssize_t len = PyUnicode_GET_LENGTH(s), cap = 0, used = 0;
    for (Py_ssize_t k = lo; k <= hi; k++)
        if (len - k + 1 > 0) cap += len - k + 1;
    int32_t *ids = PyMem_Malloc((size_t)(cap > 0 ? cap : 1) * sizeof(int32_t));
    Py_UCS4 *cps = t != NULL ? PyUnicode_AsUCS4Copy(s) : NULL;
    PyObject *out = NULL;
    if (ids == NULL || (t != NULL && cps == NULL)) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = lo; k <= hi; k++) {
        for (Py_ssize_t i = 0; i + k <= len; i++) {
            if (t != NULL) {  /* the snapshot: code points compared in place */
                const Py_UCS4 *g = cps + i;
                uint64_t h = gram_hash(g, k);
                for (size_t j = (size_t)h & t->mask; t->slots[j].len >= 0; j = (j + 1) & t->mask) {
                    const GramSlot *e = &t->slots[j];
                    if (e->h == h && e->len == k && memcmp(t->pool + e->off, g, (size_t)k * sizeof(Py_UCS4)) == 0) {
                        ids[used++] = e->id;
                        break;
                    }
                }
                continue;
            }
            PyObject *g = PyUnicode_Substring(s, i, i + k);
            if (g == NULL) goto done;
            PyObject *v = PyDict_GetItemWithError(vocab, g);  /* borrowed */
            Py_DECREF(g);
            if (v == NULL) {
                if (PyErr_Occurred()) goto done;
                continue;
            }
            long id = PyLong_AsLong(v);
            if (id == -1 && PyErr_Occurred()) goto done;
            if (id < INT32_MIN || id > INT32_MAX) {
                PyErr_SetString(PyExc_OverflowError, "n-gram id out of int32 range");
                goto done;
            }
            ids[used++] = (int32_t)id;
        }
    }
    out = PyBytes_FromStringAndSize((const char *)ids, (Py_ssize_t)(used * sizeof(int32_t)));
done:
    PyMem_Free(ids);
    PyMem_Free(cps);
    Py_DECREF(s);
    return out;
}

static PyMethodDef methods[] = {
    {"line_tokens", line_tokens, METH_O, "line_tokens(text): text.TOKEN's matches per line of text.lower()."},
    {"tokens", tokens, METH_O, "tokens(text): text.TOKEN's matches in text.lower()."},
    {"plain_tokens", plain_tokens, METH_O, "plain_tokens(text): linear_text.WORD_PATTERN's matches in text.lower()."},
    {"mark_ends", mark_ends, METH_O, "mark_ends(text): text._CUT.sub(lambda m: m.group() + '\\n\\x01', text)."},
    {"split_text", split_text, METH_VARARGS,
     "split_text(text, with_tokens, is_abbrev): split_sentences of a text without \\x01 (sentences._py_split_text)."},
    {"sentence_marks", sentence_marks, METH_O,
     "sentence_marks(sents): per sentence [length, opens with a quote, has a digit, ends with '?'] as float64 bytes."},
    {"word_stats", word_stats, METH_VARARGS,
     "word_stats(words, stop, title_words): the summary's centroid and title-overlap features."},
    {"stem_count", stem_count, METH_VARARGS,
     "stem_count(title_tokens, lines, counts, cache, stem): the stems of a document, counted (text._py_stem_count)."},
    {"cold_features", cold_features, METH_VARARGS,
     "cold_features(counts, title, lead, joined, title_joined, n, keys, excl, expansion, rank): a topic's "
     "cold-start features (relevance._py_cold_features)."},
    {"name_tags", name_tags, METH_VARARGS,
     "name_tags(title, head, k, cache, phrase): the name tags of an article (tags._py_name_tags)."},
    {"stem", stem_word, METH_O, "stem(word): the light plural folder (text._py_stem)."},
    {"word_grams", word_grams, METH_VARARGS,
     "word_grams(word, vocab, lo, hi, table=None): a word's char_wb n-gram ids as int32 bytes "
     "(linear_text._py_word_grams)."},
    {"gram_table", gram_table, METH_O, "gram_table(vocab): a read-only snapshot of vocab for word_grams."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_core", "Compiled per-token hot paths.", -1, methods};

PyMODINIT_FUNC PyInit__core(void) {
    init_map();
    for (int i = 0; i < N_FEATURES; i++)
        if (feature_names[i] == NULL && (feature_names[i] = PyUnicode_InternFromString(FEATURE_NAMES[i])) == NULL)
            return NULL;
    return PyModule_Create(&module);
}
