/* Optional compiled core of the story clusterer (see bot/stories/_fast.py, which picks it or the
 * pure-Python code it mirrors; both give identical outputs, pinned by tests/unit/stories).
 *
 * Why C here: after the pure-Python work the clusterer spent its time in per-token and per-term
 * interpreter steps (the extractor's token loop, term ids, window document frequencies, story
 * profiles, postings, candidate overlaps), each too small for numpy to help. Doing those loops in
 * C keeps every dict the scoring code reads (``df``, story ``profile`` and ``core``) and every
 * float operation the same, in the same order, so no output changes.
 *
 * tokens(s) -> list[str]: ``text._TOKEN.findall(s)`` by the tokeniser ``scan`` reads with (the tests
 *     check the two against each other).
 * scan(s, cache, fill) -> (terms, numbers, names, lead): ``text._py_scan`` (token kinds through
 *     the cache, name runs, the term Counter).
 * Index(background, sids, slots): ``index.WindowIndex``'s per-term work (``index.CompiledIndex``
 *     wraps it); term ids are returned as bytes of int64.
 *
 * Exactness: sums that the Python code does with ``math.fsum`` use the same algorithm (exactly
 * rounded, so order-free); ``sum`` of the query weights is Python's own builtin; log1p values come
 * from ``math.log1p``; setup.py builds with -ffp-contract=off so no multiply-add is fused.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LEAD_TOKENS 60 /* text._LEAD_TOKENS */
#define KIND_BREAK 3

static PyObject *counter_type;  /* collections.Counter */
static PyObject *log1p_fn;      /* math.log1p */
static PyObject *sum_fn;        /* builtins.sum */
static PyObject *tilde;         /* "~" */
static PyObject *empty_tuple;   /* () */
static PyObject *s_names, *s_numbers, *s_lead, *s_terms;
static PyObject *s_profile, *s_core, *s_slot, *s_vec, *s_query_terms, *s_candidates, *s_min_overlap, *s_min_relative,
    *s_common_df, *s_common_floor, *s_base, *s_logs, *s_df;

/* ---- tokens ------------------------------------------------------------------------------------ */

/* Classes of the code points below 128, from the same macros the regex engine uses. */
#define C_BLANK 1   /* [^\S\n] */
#define C_ALNUM 2   /* [^\W_] */
#define C_DEC 4     /* \d */
#define C_BREAK 8   /* [.!?:;\n"“”(] */
static unsigned char ascii_class[128];

static void init_classes(void) {
    for (Py_UCS4 c = 0; c < 128; c++) {
        unsigned char k = 0;
        if (Py_UNICODE_ISSPACE(c) && c != '\n') k |= C_BLANK;
        if (Py_UNICODE_ISALNUM(c)) k |= C_ALNUM;
        if (Py_UNICODE_ISDECIMAL(c)) k |= C_DEC;
        if (strchr(".!?:;\n\"(", (int)c) != NULL && c != 0) k |= C_BREAK;
        ascii_class[c] = k;
    }
}

static inline unsigned char char_class(Py_UCS4 c) {
    if (c < 128) return ascii_class[c];
    unsigned char k = 0;
    if (Py_UNICODE_ISSPACE(c)) k |= C_BLANK;
    if (Py_UNICODE_ISALNUM(c)) k |= C_ALNUM;
    if (Py_UNICODE_ISDECIMAL(c)) k |= C_DEC;
    if (c == 0x201C || c == 0x201D) k |= C_BREAK;
    return k;
}

#define READ(i) PyUnicode_READ(kind, data, (i))
#define IS(c, k) (char_class(c) & (k))
#define IS_LETTER(c) ((char_class(c) & (C_ALNUM | C_DEC)) == C_ALNUM) /* [^\W\d_] */

/* The next match of text._TOKEN at or after *pos:
 *   [^\S\n]*+(\d++(?:[.,]\d+)*+|[^\W_]++(?:['’][^\W\d_]+|-[^\W_]+)*+|[.!?:;\n"“”(])
 * Sets [*start, *end) and moves *pos past it; 0 when there is none. A failed match after blanks
 * fails at every start up to the character that stopped it, so the search resumes after that. */
static int next_token(int kind, const void *data, Py_ssize_t n, Py_ssize_t *pos, Py_ssize_t *start,
                      Py_ssize_t *end) {
    Py_ssize_t i = *pos, j;
    while (i < n) {
        Py_UCS4 c = READ(i);
        unsigned char k = char_class(c);
        if (k & C_BLANK) {
            i++;
            continue;
        }
        if (k & C_DEC) {
            for (j = i + 1; j < n && IS(READ(j), C_DEC); j++) {
            }
            while (j + 1 < n && (READ(j) == '.' || READ(j) == ',') && IS(READ(j + 1), C_DEC)) {
                for (j += 2; j < n && IS(READ(j), C_DEC); j++) {
                }
            }
        } else if (k & C_ALNUM) {
            for (j = i + 1; j < n && IS(READ(j), C_ALNUM); j++) {
            }
            while (j + 1 < n) {
                Py_UCS4 d = READ(j), e = READ(j + 1);
                if ((d == '\'' || d == 0x2019) && IS_LETTER(e)) {
                    for (j += 2; j < n && IS_LETTER(READ(j)); j++) {
                    }
                } else if (d == '-' && IS(e, C_ALNUM)) {
                    for (j += 2; j < n && IS(READ(j), C_ALNUM); j++) {
                    }
                } else {
                    break;
                }
            }
        } else if (k & C_BREAK) {
            j = i + 1;
        } else {
            i++;
            continue;
        }
        *start = i;
        *end = j;
        *pos = j;
        return 1;
    }
    *pos = n;
    return 0;
}

static PyObject *tokens(PyObject *self, PyObject *s) {
    if (!PyUnicode_Check(s)) {
        PyErr_SetString(PyExc_TypeError, "tokens() expects a str");
        return NULL;
    }
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    Py_ssize_t n = PyUnicode_GET_LENGTH(s), pos = 0, a, b;
    PyObject *out = PyList_New(0);
    if (out == NULL) return NULL;
    while (next_token(kind, data, n, &pos, &a, &b)) {
        PyObject *tok = PyUnicode_Substring(s, a, b);
        if (tok == NULL || PyList_Append(out, tok) < 0) {
            Py_XDECREF(tok);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(tok);
    }
    return out;
}

/* ---- scan: the extractor's token loop ----------------------------------------------------------- */

static int truthy_str(PyObject *t) { return t != Py_None && (!PyUnicode_Check(t) || PyUnicode_GET_LENGTH(t) > 0); }

static int set_count_ssize(PyObject *d, PyObject *key, Py_ssize_t v) {
    PyObject *o = PyLong_FromSsize_t(v);
    if (o == NULL) return -1;
    int r = PyDict_SetItem(d, key, o);
    Py_DECREF(o);
    return r;
}

static int count_in(PyObject *counts, PyObject *key) {
    PyObject *c = PyDict_GetItemWithError(counts, key);
    if (c == NULL && PyErr_Occurred()) return -1;
    long v = c == NULL ? 0 : PyLong_AsLong(c);
    if (v == -1 && PyErr_Occurred()) return -1;
    PyObject *nv = PyLong_FromLong(v + 1);
    if (nv == NULL) return -1;
    int r = PyDict_SetItem(counts, key, nv);
    Py_DECREF(nv);
    return r;
}

/* Count the tokens' terms (``held[i]``'s term, when truthy) into the empty dict ``terms``, in
 * first-seen order: what ``count_in`` per token gives, with one dict insertion per distinct term.
 * Terms are counted by address first (the cache's terms are interned, so an address is a term);
 * should two distinct objects hold equal strings, the dict ends up with fewer keys than addresses
 * and the count is redone token by token. */
static int count_terms(PyObject *terms, PyObject **held, Py_ssize_t ntok) {
    Py_ssize_t size = 16, nd = 0;
    while (size < 2 * ntok) size *= 2;
    Py_ssize_t *table = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)size);
    Py_ssize_t *counts = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(ntok + 1));
    PyObject **keys = PyMem_Malloc(sizeof(PyObject *) * (size_t)(ntok + 1));
    int r = -1;
    if (table == NULL || counts == NULL || keys == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    memset(table, 0xff, sizeof(Py_ssize_t) * (size_t)size); /* -1: empty */
    for (Py_ssize_t i = 0; i < ntok; i++) {
        if (held[i] == NULL) continue;
        PyObject *t = PyTuple_GET_ITEM(held[i], 1);
        if (!truthy_str(t)) continue;
        size_t h = (size_t)(((uintptr_t)t >> 4) * (uintptr_t)0x9E3779B97F4A7C15ULL) & (size_t)(size - 1);
        while (table[h] >= 0 && keys[table[h]] != t) h = (h + 1) & (size_t)(size - 1);
        if (table[h] < 0) {
            table[h] = nd;
            keys[nd] = t;
            counts[nd++] = 1;
        } else {
            counts[table[h]]++;
        }
    }
    for (Py_ssize_t d = 0; d < nd; d++)
        if (set_count_ssize(terms, keys[d], counts[d]) < 0) goto done;
    if (PyDict_GET_SIZE(terms) != nd) { /* equal strings in distinct objects: count them one by one */
        PyDict_Clear(terms);
        for (Py_ssize_t i = 0; i < ntok; i++)
            if (held[i] != NULL && truthy_str(PyTuple_GET_ITEM(held[i], 1)) &&
                count_in(terms, PyTuple_GET_ITEM(held[i], 1)) < 0)
                goto done;
    }
    r = 0;
done:
    PyMem_Free(table);
    PyMem_Free(counts);
    PyMem_Free(keys);
    return r;
}

/* scan(s, cache, fill): what text._py_scan returns, token kinds looked up in ``cache`` (a dict
 * token -> (kind, term)) and computed by ``fill(token)`` when missing. Break tokens skip the cache
 * (their kind is fixed). */
static PyObject *scan(PyObject *self, PyObject *args) {
    PyObject *s, *cache, *fill;
    if (!PyArg_ParseTuple(args, "UO!O:scan", &s, &PyDict_Type, &cache, &fill)) return NULL;
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    Py_ssize_t n = PyUnicode_GET_LENGTH(s), pos = 0, a, b, ntok = 0, cap = 256;
    PyObject *terms = NULL, *numbers = NULL, *names = NULL, *lead = NULL, *result = NULL;
    int *kinds = PyMem_Malloc(sizeof(int) * (size_t)cap);
    PyObject **held = PyMem_Malloc(sizeof(PyObject *) * (size_t)cap); /* (kind, term) per token, owned */
    Py_ssize_t *caps = NULL;
    if (kinds == NULL || held == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    while (next_token(kind, data, n, &pos, &a, &b)) {
        if (ntok == cap) {
            cap *= 2;
            int *k2 = PyMem_Realloc(kinds, sizeof(int) * (size_t)cap);
            if (k2 == NULL) {
                PyErr_NoMemory();
                goto done;
            }
            kinds = k2;
            PyObject **h2 = PyMem_Realloc(held, sizeof(PyObject *) * (size_t)cap);
            if (h2 == NULL) {
                PyErr_NoMemory();
                goto done;
            }
            held = h2;
        }
        if (b == a + 1 && IS(READ(a), C_BREAK)) {
            kinds[ntok] = KIND_BREAK;
            held[ntok++] = NULL;
            continue;
        }
        PyObject *tok = PyUnicode_Substring(s, a, b);
        if (tok == NULL) goto done;
        PyObject *kt = PyDict_GetItemWithError(cache, tok);
        if (kt != NULL) {
            Py_INCREF(kt);
        } else if (!PyErr_Occurred()) {
            kt = PyObject_CallOneArg(fill, tok);
        }
        Py_DECREF(tok);
        if (kt == NULL) goto done;
        if (!PyTuple_Check(kt) || PyTuple_GET_SIZE(kt) != 2) {
            Py_DECREF(kt);
            PyErr_SetString(PyExc_TypeError, "scan(): the cache must hold (kind, term) tuples");
            goto done;
        }
        long k = PyLong_AsLong(PyTuple_GET_ITEM(kt, 0));
        if (k == -1 && PyErr_Occurred()) {
            Py_DECREF(kt);
            goto done;
        }
        kinds[ntok] = (int)k;
        held[ntok++] = kt;
    }
    /* terms: a Counter of the token terms in first-seen order, then the phrases. Made by its
     * type's tp_new: Counter() would also run Counter.__init__ and update() in Python, which do
     * nothing without arguments */
    terms = ((PyTypeObject *)counter_type)->tp_new((PyTypeObject *)counter_type, empty_tuple, NULL);
    numbers = PyFrozenSet_New(NULL);
    names = PyFrozenSet_New(NULL);
    lead = PyFrozenSet_New(NULL);
    caps = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(ntok + 1));
    if (terms == NULL || numbers == NULL || names == NULL || lead == NULL || caps == NULL) {
        if (caps == NULL) PyErr_NoMemory();
        goto done;
    }
    if (!PyDict_Check(terms)) {
        PyErr_SetString(PyExc_TypeError, "scan(): Counter is not a dict");
        goto done;
    }
    Py_ssize_t ncaps = 0;
    if (count_terms(terms, held, ntok) < 0) goto done;
    for (Py_ssize_t i = 0; i < ntok; i++) {
        if (held[i] == NULL) continue;
        PyObject *t = PyTuple_GET_ITEM(held[i], 1);
        if (kinds[i] == 0 && truthy_str(t) && PySet_Add(numbers, t) < 0) goto done;
        if (kinds[i] == 1) caps[ncaps++] = i;
    }
    /* names: runs of consecutive capitalised tokens, cut at the lead's end (text._py_scan) */
    for (Py_ssize_t j = 0; j < ncaps;) {
        Py_ssize_t first = caps[j], end = j + 1;
        while (end < ncaps && caps[end] == caps[end - 1] + 1 && caps[end] != LEAD_TOKENS) end++;
        PyObject *found = NULL;
        if (end - j > 1) {
            found = PyList_New(end - j + 1);
            if (found == NULL) goto done;
            for (Py_ssize_t r = j; r < end; r++) {
                PyObject *t = PyTuple_GET_ITEM(held[caps[r]], 1);
                Py_INCREF(t);
                PyList_SET_ITEM(found, r - j + 1, t);
            }
            PyObject *phrase = PyList_GetSlice(found, 1, end - j + 1);
            PyObject *p = phrase == NULL ? NULL : PyUnicode_Join(tilde, phrase);
            Py_XDECREF(phrase);
            if (p == NULL) {
                Py_DECREF(found);
                goto done;
            }
            PyUnicode_InternInPlace(&p);
            PyList_SET_ITEM(found, 0, p);
            if (count_in(terms, p) < 0) {
                Py_DECREF(found);
                goto done;
            }
        } else if (first && kinds[first - 1] != KIND_BREAK) {
            found = PyList_New(1);
            if (found == NULL) goto done;
            PyObject *t = PyTuple_GET_ITEM(held[first], 1);
            Py_INCREF(t);
            PyList_SET_ITEM(found, 0, t);
        }
        if (found != NULL) {
            for (Py_ssize_t r = 0; r < PyList_GET_SIZE(found); r++) {
                PyObject *t = PyList_GET_ITEM(found, r);
                if (PySet_Add(names, t) < 0 || (first < LEAD_TOKENS && PySet_Add(lead, t) < 0)) {
                    Py_DECREF(found);
                    goto done;
                }
            }
            Py_DECREF(found);
        }
        j = end;
    }
    result = PyTuple_Pack(4, terms, numbers, names, lead);
done:
    if (held != NULL)
        for (Py_ssize_t i = 0; i < ntok; i++) Py_XDECREF(held[i]);
    PyMem_Free(held);
    PyMem_Free(kinds);
    PyMem_Free(caps);
    Py_XDECREF(terms);
    Py_XDECREF(numbers);
    Py_XDECREF(names);
    Py_XDECREF(lead);
    return result;
}

/* ---- fsum ---------------------------------------------------------------------------------------- */

/* math.fsum of finite values, CPython's algorithm (Shewchuk's exact partials, then one correctly
 * rounded result), so the same double whatever the order of the values. */
typedef struct {
    double *p;
    Py_ssize_t n, m;
    double small[32];
    int overflow;
} Fsum;

static void fsum_init(Fsum *f) {
    f->p = f->small;
    f->n = 0;
    f->m = 32;
    f->overflow = 0;
}

static int fsum_add(Fsum *f, double x) {
    double y, t, hi, yr, lo;
    Py_ssize_t i, j;
    double *p = f->p;
    for (i = j = 0; j < f->n; j++) {
        y = p[j];
        if (fabs(x) < fabs(y)) {
            t = x;
            x = y;
            y = t;
        }
        hi = x + y;
        yr = hi - x;
        lo = y - yr;
        if (lo != 0.0) p[i++] = lo;
        x = hi;
    }
    f->n = i;
    if (x != 0.0) {
        if (!isfinite(x)) {
            f->overflow = 1; /* inputs are finite here: an intermediate overflow */
            f->n = 0;
            return 0;
        }
        if (f->n >= f->m) {
            Py_ssize_t m = 2 * f->m;
            double *q = PyMem_Malloc(sizeof(double) * (size_t)m);
            if (q == NULL) {
                PyErr_NoMemory();
                return -1;
            }
            memcpy(q, f->p, sizeof(double) * (size_t)f->n);
            if (f->p != f->small) PyMem_Free(f->p);
            f->p = q;
            f->m = m;
        }
        f->p[f->n++] = x;
    }
    return 0;
}

/* The sum; -1.0 with an exception set on overflow (math.fsum raises OverflowError too). */
static int fsum_result(Fsum *f, double *out) {
    double hi = 0.0, x, y, yr, lo = 0.0;
    double *p = f->p;
    Py_ssize_t n = f->n;
    if (f->overflow) {
        if (f->p != f->small) PyMem_Free(f->p);
        PyErr_SetString(PyExc_OverflowError, "intermediate overflow in fsum");
        return -1;
    }
    if (n > 0) {
        hi = p[--n];
        while (n > 0) {
            x = hi;
            y = p[--n];
            hi = x + y;
            yr = hi - x;
            lo = y - yr;
            if (lo != 0.0) break;
        }
        if (n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0))) {
            y = lo * 2.0;
            x = hi + y;
            yr = x - hi;
            if (y == yr) hi = x;
        }
    }
    if (f->p != f->small) PyMem_Free(f->p);
    *out = hi;
    return 0;
}

/* ---- the window index ------------------------------------------------------------------------------ */

typedef struct {
    int64_t *v; /* story slots using the term; NULL: not tracked (index.WindowIndex's None) */
    Py_ssize_t n, cap;
} Post;

typedef struct {
    PyObject_HEAD
    PyObject *bg;    /* dict term -> background df */
    PyObject *df;    /* dict term -> window + background df (what scoring reads) */
    PyObject *tid;   /* dict term -> id, while the window uses the term */
    PyObject *sids;  /* list slot -> story id (shared with index.CompiledIndex) */
    PyObject *slots; /* list slot -> StoryTerms or None (shared) */
    Py_ssize_t cap, used, nfree;
    int64_t *free_ids, *dfa, *bga;
    double *w;
    int32_t *cnt; /* scratch of story_vector, all zero between calls */
    Post *post;
    double *acc; /* scratch of candidates (slot -> overlap), all zero between calls */
    unsigned char *seen; /* scratch of candidates: slot touched, all zero between calls */
    Py_ssize_t nacc;
    double *logs; /* k -> math.log1p(k) */
    Py_ssize_t nlogs;
} Index;

static int index_traverse(Index *self, visitproc visit, void *arg) {
    Py_VISIT(self->bg);
    Py_VISIT(self->df);
    Py_VISIT(self->tid);
    Py_VISIT(self->sids);
    Py_VISIT(self->slots);
    return 0;
}

static int index_clear(Index *self) {
    Py_CLEAR(self->bg);
    Py_CLEAR(self->df);
    Py_CLEAR(self->tid);
    Py_CLEAR(self->sids);
    Py_CLEAR(self->slots);
    return 0;
}

static void index_dealloc(Index *self) {
    PyObject_GC_UnTrack(self);
    index_clear(self);
    if (self->post != NULL)
        for (Py_ssize_t i = 0; i < self->cap; i++) PyMem_Free(self->post[i].v);
    PyMem_Free(self->post);
    PyMem_Free(self->free_ids);
    PyMem_Free(self->dfa);
    PyMem_Free(self->bga);
    PyMem_Free(self->w);
    PyMem_Free(self->cnt);
    PyMem_Free(self->acc);
    PyMem_Free(self->seen);
    PyMem_Free(self->logs);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int grow(Index *self) {
    Py_ssize_t old = self->cap, cap = old ? 2 * old : 4096;
#define GROW(field, type)                                                          \
    do {                                                                           \
        type *q = PyMem_Realloc(self->field, sizeof(type) * (size_t)cap);          \
        if (q == NULL) {                                                           \
            PyErr_NoMemory();                                                      \
            return -1;                                                             \
        }                                                                          \
        memset(q + old, 0, sizeof(type) * (size_t)(cap - old));                    \
        self->field = q;                                                           \
    } while (0)
    GROW(free_ids, int64_t);
    GROW(dfa, int64_t);
    GROW(bga, int64_t);
    GROW(w, double);
    GROW(cnt, int32_t);
    GROW(post, Post);
#undef GROW
    self->cap = cap;
    return 0;
}

static int index_init(Index *self, PyObject *args, PyObject *kwds) {
    PyObject *bg, *sids, *slots;
    static char *kw[] = {"background", "sids", "slots", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!O!:Index", kw, &PyDict_Type, &bg, &PyList_Type, &sids,
                                     &PyList_Type, &slots))
        return -1;
    if (self->df != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Index is initialised once");
        return -1;
    }
    self->df = PyDict_Copy(bg);
    self->tid = PyDict_New();
    if (self->df == NULL || self->tid == NULL || grow(self) < 0) return -1;
    Py_INCREF(bg);
    self->bg = bg;
    Py_INCREF(sids);
    self->sids = sids;
    Py_INCREF(slots);
    self->slots = slots;
    return 0;
}

/* The ids in ``obj`` (bytes of int64, as add_doc returns), checked against the index. */
static const int64_t *ids_of(Index *self, PyObject *obj, Py_ssize_t *n) {
    if (!PyBytes_Check(obj) || PyBytes_GET_SIZE(obj) % 8) {
        PyErr_SetString(PyExc_TypeError, "term ids must be the bytes add_doc returned");
        return NULL;
    }
    const int64_t *ids = (const int64_t *)PyBytes_AS_STRING(obj);
    *n = PyBytes_GET_SIZE(obj) / 8;
    for (Py_ssize_t i = 0; i < *n; i++)
        if (ids[i] < 0 || ids[i] >= self->used) {
            PyErr_SetString(PyExc_ValueError, "term id out of range");
            return NULL;
        }
    return ids;
}

static int check_terms(PyObject *terms, Py_ssize_t n) {
    if (!PyDict_Check(terms)) {
        PyErr_SetString(PyExc_TypeError, "terms must be a dict");
        return -1;
    }
    if (n >= 0 && PyDict_GET_SIZE(terms) != n) {
        PyErr_SetString(PyExc_ValueError, "terms and ids differ in length");
        return -1;
    }
    return 0;
}

/* An empty dict with room for ``n`` keys: filling a new dict key by key resized it several times
 * (a third of building an article's weights). Same dict, same order, as PyDict_New's. */
static PyObject *new_dict(Py_ssize_t n) {
#if PY_VERSION_HEX < 0x030D0000
    return _PyDict_NewPresized(n);
#else
    (void)n;
    return PyDict_New();
#endif
}

static int set_count(PyObject *d, PyObject *key, int64_t v) {
    PyObject *o = PyLong_FromLongLong(v);
    if (o == NULL) return -1;
    int r = PyDict_SetItem(d, key, o);
    Py_DECREF(o);
    return r;
}

static int post_append(Post *p, int64_t slot) {
    if (p->n == p->cap) {
        Py_ssize_t cap = p->cap ? 2 * p->cap : 4;
        int64_t *q = PyMem_Realloc(p->v, sizeof(int64_t) * (size_t)cap);
        if (q == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        p->v = q;
        p->cap = cap;
    }
    p->v[p->n++] = slot;
    return 0;
}

/* Order within a posting does not matter (overlaps add per slot in query order). */
static int post_remove(Post *p, int64_t slot) {
    for (Py_ssize_t i = 0; i < p->n; i++)
        if (p->v[i] == slot) {
            p->v[i] = p->v[--p->n];
            return 0;
        }
    PyErr_SetString(PyExc_ValueError, "story not in the term's postings");
    return -1;
}

static int track(Post *p) { /* an empty, tracked posting */
    p->v = PyMem_Malloc(sizeof(int64_t) * 4);
    if (p->v == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    p->n = 0;
    p->cap = 4;
    return 0;
}

static void untrack(Post *p) {
    PyMem_Free(p->v);
    p->v = NULL;
    p->n = p->cap = 0;
}

static PyObject *add_doc(Index *self, PyObject *args) {
    PyObject *terms, *key, *val;
    double limit;
    if (!PyArg_ParseTuple(args, "Od:add_doc", &terms, &limit) || check_terms(terms, -1) < 0) return NULL;
    PyObject *out = PyBytes_FromStringAndSize(NULL, 8 * PyDict_GET_SIZE(terms));
    if (out == NULL) return NULL;
    int64_t *ids = (int64_t *)PyBytes_AS_STRING(out);
    Py_ssize_t pos = 0, k = 0;
    while (PyDict_Next(terms, &pos, &key, &val)) {
        PyObject *o = PyDict_GetItemWithError(self->tid, key);
        int64_t i;
        if (o != NULL) {
            i = PyLong_AsLongLong(o);
        } else {
            if (PyErr_Occurred()) goto fail;
            if (self->nfree) {
                i = self->free_ids[--self->nfree];
            } else {
                if (self->used == self->cap && grow(self) < 0) goto fail;
                i = self->used++;
            }
            PyObject *b = PyDict_GetItemWithError(self->bg, key);
            if (b == NULL && PyErr_Occurred()) goto fail;
            int64_t bgv = b == NULL ? 0 : PyLong_AsLongLong(b);
            if ((bgv == -1 && PyErr_Occurred()) || set_count(self->tid, key, i) < 0 || track(&self->post[i]) < 0)
                goto fail;
            self->bga[i] = bgv;
        }
        ids[k++] = i;
        int64_t c = ++self->dfa[i];
        if (set_count(self->df, key, c + self->bga[i]) < 0) goto fail;
        if ((double)c > limit && self->post[i].v != NULL) untrack(&self->post[i]);
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

static PyObject *remove_doc(Index *self, PyObject *args) {
    PyObject *terms, *idb, *key, *val;
    Py_ssize_t n, pos = 0, k = 0;
    if (!PyArg_ParseTuple(args, "OO:remove_doc", &terms, &idb)) return NULL;
    const int64_t *ids = ids_of(self, idb, &n);
    if (ids == NULL || check_terms(terms, n) < 0) return NULL;
    while (PyDict_Next(terms, &pos, &key, &val)) {
        int64_t i = ids[k++];
        int64_t c = --self->dfa[i];
        if (c) {
            if (set_count(self->df, key, c + self->bga[i]) < 0) return NULL;
            continue;
        }
        int in_bg = PyDict_Contains(self->bg, key);
        if (in_bg < 0) return NULL;
        if ((in_bg ? set_count(self->df, key, self->bga[i]) : PyDict_DelItem(self->df, key)) < 0 ||
            PyDict_DelItem(self->tid, key) < 0)
            return NULL;
        self->free_ids[self->nfree++] = i;
        untrack(&self->post[i]);
        self->bga[i] = 0;
    }
    Py_RETURN_NONE;
}

/* The story's profile and core dicts and slot (StoryTerms attributes); borrowed dicts. */
static int story_parts(PyObject *story, PyObject **prof, PyObject **core, int64_t *slot) {
    PyObject *p = PyObject_GetAttr(story, s_profile), *c = PyObject_GetAttr(story, s_core),
             *s = PyObject_GetAttr(story, s_slot);
    int ok = p != NULL && c != NULL && s != NULL && PyDict_Check(p) && PyDict_Check(c);
    if (ok) {
        *slot = PyLong_AsLongLong(s);
        ok = !(*slot == -1 && PyErr_Occurred());
    } else if (!PyErr_Occurred()) {
        PyErr_SetString(PyExc_TypeError, "story profile and core must be dicts");
    }
    *prof = p;
    *core = c;
    Py_XDECREF(p); /* the story keeps them alive */
    Py_XDECREF(c);
    Py_XDECREF(s);
    return ok ? 0 : -1;
}

static PyObject *join(Index *self, PyObject *args) {
    PyObject *story, *terms, *idb, *prof, *core, *key, *val;
    Py_ssize_t n, pos = 0, k = 0;
    int64_t slot;
    if (!PyArg_ParseTuple(args, "OOO:join", &story, &terms, &idb)) return NULL;
    const int64_t *ids = ids_of(self, idb, &n);
    if (ids == NULL || check_terms(terms, n) < 0 || story_parts(story, &prof, &core, &slot) < 0 ||
        PyObject_SetAttr(story, s_vec, Py_None) < 0) /* the kept vector is stale from here */
        return NULL;
    /* the first member: a new profile of ones (as the pure index's dict.fromkeys), no look-ups. Not
     * sized up front: that saved 1.3% of the instructions but cost 15 MB of peak memory in
     * bench_stories (295 vs 280 MB), a window's profiles being kept with their slack */
    if (PyDict_GET_SIZE(prof) == 0) {
        PyObject *fresh = PyDict_New(), *one = PyLong_FromLong(1);
        int r = fresh == NULL || one == NULL ? -1 : 0;
        while (r == 0 && PyDict_Next(terms, &pos, &key, &val)) {
            int64_t i = ids[k++];
            r = PyDict_SetItem(fresh, key, one);
            if (r == 0 && self->post[i].v != NULL) r = post_append(&self->post[i], slot);
        }
        if (r == 0) r = PyObject_SetAttr(story, s_profile, fresh);
        Py_XDECREF(fresh);
        Py_XDECREF(one);
        if (r < 0) return NULL;
        Py_RETURN_NONE;
    }
    while (PyDict_Next(terms, &pos, &key, &val)) {
        int64_t i = ids[k++], old = 0;
        PyObject *o = PyDict_GetItemWithError(prof, key);
        if (o == NULL && PyErr_Occurred()) return NULL;
        if (o != NULL && (old = PyLong_AsLongLong(o)) == -1 && PyErr_Occurred()) return NULL;
        if (set_count(prof, key, old + 1) < 0) return NULL;
        if (old) {
            if (set_count(core, key, old + 1) < 0) return NULL;
        } else if (self->post[i].v != NULL && post_append(&self->post[i], slot) < 0) {
            return NULL;
        }
    }
    Py_RETURN_NONE;
}

static PyObject *leave(Index *self, PyObject *args) {
    PyObject *story, *terms, *idb, *prof, *core, *key, *val;
    Py_ssize_t n, pos = 0, k = 0;
    int64_t slot;
    int last;
    if (!PyArg_ParseTuple(args, "OOOp:leave", &story, &terms, &idb, &last)) return NULL;
    const int64_t *ids = ids_of(self, idb, &n);
    if (ids == NULL || check_terms(terms, n) < 0 || story_parts(story, &prof, &core, &slot) < 0 ||
        PyObject_SetAttr(story, s_vec, Py_None) < 0) /* the kept vector is stale from here */
        return NULL;
    if (last) { /* the story goes: no counts to keep */
        for (Py_ssize_t j = 0; j < n; j++)
            if (self->post[ids[j]].v != NULL && post_remove(&self->post[ids[j]], slot) < 0) return NULL;
        PyObject *empty = PyDict_New();
        if (empty == NULL) return NULL;
        int r = PyObject_SetAttr(story, s_profile, empty);
        Py_DECREF(empty);
        if (r < 0) return NULL;
        Py_RETURN_NONE;
    }
    while (PyDict_Next(terms, &pos, &key, &val)) {
        int64_t i = ids[k++];
        PyObject *o = PyDict_GetItemWithError(prof, key);
        if (o == NULL) {
            if (!PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, key);
            return NULL;
        }
        int64_t c = PyLong_AsLongLong(o) - 1;
        if (c == -2 && PyErr_Occurred()) return NULL;
        if (c >= 2) {
            if (set_count(prof, key, c) < 0 || set_count(core, key, c) < 0) return NULL;
        } else if (c == 1) {
            if (set_count(prof, key, c) < 0 || PyDict_DelItem(core, key) < 0) return NULL;
        } else {
            if (PyDict_DelItem(prof, key) < 0) return NULL;
            if (self->post[i].v != NULL && post_remove(&self->post[i], slot) < 0) return NULL;
        }
    }
    Py_RETURN_NONE;
}

static int ensure_logs(Index *self, Py_ssize_t need) {
    if (need <= self->nlogs) return 0;
    double *q = PyMem_Realloc(self->logs, sizeof(double) * (size_t)need);
    if (q == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->logs = q;
    for (Py_ssize_t k = self->nlogs; k < need; k++) {
        PyObject *x = PyFloat_FromDouble((double)k);
        PyObject *y = x == NULL ? NULL : PyObject_CallOneArg(log1p_fn, x);
        Py_XDECREF(x);
        if (y == NULL) return -1;
        q[k] = PyFloat_AsDouble(y);
        Py_DECREF(y);
        self->nlogs = k + 1;
    }
    return 0;
}

/* base - log1p(window + background df) of term ``i`` */
static inline int idf_of(Index *self, int64_t i, double base, double *out) {
    int64_t d = self->dfa[i] + self->bga[i];
    if (d >= self->nlogs && ensure_logs(self, 2 * d + 64) < 0) return -1;
    *out = base - self->logs[d];
    return 0;
}

static PyObject *idf(Index *self, PyObject *args) {
    PyObject *idb;
    Py_ssize_t n, n_docs;
    double base, x;
    if (!PyArg_ParseTuple(args, "Ond:idf", &idb, &n_docs, &base)) return NULL;
    const int64_t *ids = ids_of(self, idb, &n);
    if (ids == NULL || (n_docs >= self->nlogs && ensure_logs(self, 2 * n_docs + 64) < 0)) return NULL;
    PyObject *out = PyList_New(n);
    if (out == NULL) return NULL;
    for (Py_ssize_t j = 0; j < n; j++) {
        PyObject *f = idf_of(self, ids[j], base, &x) < 0 ? NULL : PyFloat_FromDouble(x);
        if (f == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, j, f);
    }
    return out;
}

static PyObject *start(Index *self, PyObject *args) {
    PyObject *idb, *w, *key, *val;
    Py_ssize_t n, pos = 0, k = 0;
    if (!PyArg_ParseTuple(args, "OO:start", &idb, &w)) return NULL;
    const int64_t *ids = ids_of(self, idb, &n);
    if (ids == NULL || check_terms(w, n) < 0) return NULL;
    while (PyDict_Next(w, &pos, &key, &val)) {
        double x = PyFloat_AsDouble(val);
        if (x == -1.0 && PyErr_Occurred()) return NULL;
        self->w[ids[k++]] = x;
    }
    Py_RETURN_NONE;
}

static PyObject *finish(Index *self, PyObject *idb) {
    Py_ssize_t n;
    const int64_t *ids = ids_of(self, idb, &n);
    if (ids == NULL) return NULL;
    for (Py_ssize_t j = 0; j < n; j++) self->w[ids[j]] = 0.0;
    Py_RETURN_NONE;
}

/* weigh(terms, ids, n_docs, base) -> (w, norm): an article's sub-linear TF-IDF weights (a dict in
 * ``terms`` order) and their norm, spread by term id for the article's matching (``start``): what
 * ``scoring.tf_idf``, ``Scorer.norm`` and ``start`` give. */
static PyObject *weigh(Index *self, PyObject *args) {
    PyObject *terms, *idb, *key, *val, *w = NULL;
    Py_ssize_t n, n_docs, pos = 0, k = 0;
    double base, idfv, norm;
    if (!PyArg_ParseTuple(args, "OOnd:weigh", &terms, &idb, &n_docs, &base)) return NULL;
    const int64_t *ids = ids_of(self, idb, &n);
    if (ids == NULL || check_terms(terms, n) < 0 || (n_docs >= self->nlogs && ensure_logs(self, 2 * n_docs + 64) < 0))
        return NULL;
    Fsum sq;
    fsum_init(&sq);
    w = new_dict(n);
    if (w == NULL) {
        if (sq.p != sq.small) PyMem_Free(sq.p);
        return NULL;
    }
    while (PyDict_Next(terms, &pos, &key, &val)) {
        int64_t i = ids[k++];
        long long c = PyLong_AsLongLong(val);
        if ((c == -1 && PyErr_Occurred()) || idf_of(self, i, base, &idfv) < 0) goto fail;
        double x = c > 1 ? (1.0 + log((double)c)) * idfv : idfv;
        PyObject *f = PyFloat_FromDouble(x);
        if (f == NULL) goto fail;
        int r = PyDict_SetItem(w, key, f);
        Py_DECREF(f);
        if (r < 0 || fsum_add(&sq, x * x) < 0) goto fail;
        self->w[i] = x;
    }
    if (fsum_result(&sq, &norm) < 0) {
        Py_DECREF(w);
        return NULL;
    }
    norm = sqrt(norm);
    PyObject *out = Py_BuildValue("Nd", w, norm != 0.0 ? norm : 1.0);
    return out;
fail:
    for (Py_ssize_t j = 0; j < k; j++) self->w[ids[j]] = 0.0;
    Py_XDECREF(w);
    if (sq.p != sq.small) PyMem_Free(sq.p);
    return NULL;
}

/* A story vector's entry: a term id and how many of the story's members use it (32 bits: ids
 * stay below the number of distinct terms in the window, counts below its articles; half the
 * memory of a story's kept vector). */
typedef struct {
    int32_t id, count;
} VecEntry;

/* The story's vector, counted from its members' ids (``members``: an iterable of add_doc's bytes)
 * with the zeroed scratch ``cnt`` (reset as read): ``core`` from three members on, else
 * ``profile`` (index.WindowIndex.story_vector's rule). A new bytes object of VecEntry, or NULL. */
static PyObject *count_vector(Index *self, PyObject *members, Py_ssize_t n_members) {
    if (self->used > INT32_MAX) { /* not in this world (16 GB of document frequencies), but checked */
        PyErr_SetString(PyExc_OverflowError, "term ids beyond 32 bits");
        return NULL;
    }
    PyObject *seq = PySequence_Fast(members, "member ids must be an iterable"), *out = NULL;
    if (seq == NULL) return NULL;
    Py_ssize_t m = PySequence_Fast_GET_SIZE(seq), n, total = 0, k = 0;
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t a = 0; a < m; a++) {
        const int64_t *ids = ids_of(self, items[a], &n);
        if (ids == NULL) {
            for (Py_ssize_t b = 0; b < a; b++) { /* leave the scratch zeroed */
                Py_ssize_t nd = 0;
                const int64_t *done = ids_of(self, items[b], &nd);
                for (Py_ssize_t j = 0; done != NULL && j < nd; j++) self->cnt[done[j]] = 0;
            }
            PyErr_SetString(PyExc_TypeError, "member ids must be the bytes add_doc returned");
            Py_DECREF(seq);
            return NULL;
        }
        for (Py_ssize_t j = 0; j < n; j++) self->cnt[ids[j]]++;
        total += n;
    }
    out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)sizeof(VecEntry) * total);
    VecEntry *e = out == NULL ? NULL : (VecEntry *)PyBytes_AS_STRING(out);
    for (Py_ssize_t a = 0; a < m; a++) {
        const int64_t *ids = (const int64_t *)PyBytes_AS_STRING(items[a]);
        n = PyBytes_GET_SIZE(items[a]) / 8;
        for (Py_ssize_t j = 0; j < n; j++) {
            int64_t i = ids[j];
            int32_t c = self->cnt[i];
            if (!c) continue;
            self->cnt[i] = 0;
            if ((n_members >= 3 && m != 1 && c < 2) || e == NULL) continue; /* from three members: ``core`` */
            e[k].id = (int32_t)i;
            e[k++].count = c;
        }
    }
    Py_DECREF(seq);
    if (out != NULL && k < total) _PyBytes_Resize(&out, (Py_ssize_t)sizeof(VecEntry) * k);
    return out;
}

/* story_vector(story, member_ids, n_members, base) -> (norm, dot, shared, largest):
 * index.WindowIndex.story_vector (``shared`` and ``largest``: fsum and max of the join guard's
 * scoring.shared_products, ``w * count * idf`` over the terms the article shares with the vector).
 * The vector (VecEntry bytes) is kept in the story's ``_vec`` until a member joins or leaves, as
 * the pure index keeps its arrays: a story is a candidate many times between changes, and
 * counting its members' ids each time was most of this call. ``member_ids`` is read only to
 * count it. */
static PyObject *story_vector(Index *self, PyObject *args) {
    PyObject *story, *members, *vec;
    Py_ssize_t n_members;
    double base, x, idfv, norm, dot, shared, largest = 0.0;
    if (!PyArg_ParseTuple(args, "OOnd:story_vector", &story, &members, &n_members, &base)) return NULL;
    if ((vec = PyObject_GetAttr(story, s_vec)) == NULL) return NULL;
    if (vec == Py_None) {
        Py_DECREF(vec);
        if ((vec = count_vector(self, members, n_members)) == NULL) return NULL;
        if (PyObject_SetAttr(story, s_vec, vec) < 0) {
            Py_DECREF(vec);
            return NULL;
        }
    } else if (!PyBytes_Check(vec) || PyBytes_GET_SIZE(vec) % (Py_ssize_t)sizeof(VecEntry)) {
        Py_DECREF(vec);
        PyErr_SetString(PyExc_TypeError, "story._vec is not a compiled story vector");
        return NULL;
    }
    const VecEntry *e = (const VecEntry *)PyBytes_AS_STRING(vec);
    Py_ssize_t ne = PyBytes_GET_SIZE(vec) / (Py_ssize_t)sizeof(VecEntry);
    Fsum sq, dt, sh;
    fsum_init(&sq);
    fsum_init(&dt);
    fsum_init(&sh);
    int err = 0;
    for (Py_ssize_t j = 0; j < ne && !err; j++) {
        int64_t i = e[j].id;
        if (i < 0 || i >= self->used) {
            PyErr_SetString(PyExc_ValueError, "story vector term id out of range");
            err = 1;
            break;
        }
        if (idf_of(self, i, base, &idfv) < 0) {
            err = 1;
            break;
        }
        double c = (double)e[j].count;
        x = c * idfv;
        if (fsum_add(&sq, x * x) < 0) err = 1;
        /* a shared term (the article's weights are >= 1; the rest add exact zeros to the dot
         * product, which leave an exactly rounded sum as it is) */
        if (self->w[i] != 0.0 && !err) {
            double part = self->w[i] * c * idfv;
            if (fsum_add(&dt, self->w[i] * x) < 0 || fsum_add(&sh, part) < 0) err = 1;
            if (part > largest) largest = part;
        }
    }
    Py_DECREF(vec);
    int r1 = fsum_result(&sq, &norm), r2 = fsum_result(&dt, &dot), r3 = fsum_result(&sh, &shared);
    if (err || r1 < 0 || r2 < 0 || r3 < 0) return NULL;
    norm = sqrt(norm);
    return Py_BuildValue("dddd", norm != 0.0 ? norm : 1.0, dot, shared, largest);
}

typedef struct {
    double w;
    PyObject *term; /* borrowed (from ``w``'s keys) */
    int64_t id;
} Query;

static int query_order(const void *a, const void *b) { /* weight down, then term */
    const Query *x = a, *y = b;
    if (x->w != y->w) return x->w > y->w ? -1 : 1;
    return PyUnicode_Compare(x->term, y->term);
}

typedef struct {
    double acc;
    PyObject *sid; /* borrowed (from ``sids``) */
} Ranked;

static int rank_order(const void *a, const void *b) { /* overlap down, then story id */
    const Ranked *x = a, *y = b;
    if (x->acc != y->acc) return x->acc > y->acc ? -1 : 1;
    return PyUnicode_Compare(x->sid, y->sid);
}

static int param(PyObject *params, PyObject *name, double *out) {
    PyObject *o = PyObject_GetAttr(params, name);
    if (o == NULL) return -1;
    *out = PyFloat_AsDouble(o);
    Py_DECREF(o);
    return *out == -1.0 && PyErr_Occurred() ? -1 : 0;
}

/* Rebuild an untracked term's postings by a scan of the stories (index.WindowIndex._postings). */
static int rebuild(Index *self, PyObject *term, int64_t i) {
    Post *p = &self->post[i];
    if (track(p) < 0) return -1;
    for (Py_ssize_t s = 0; s < PyList_GET_SIZE(self->slots); s++) {
        PyObject *story = PyList_GET_ITEM(self->slots, s), *prof, *core;
        int64_t slot;
        if (story == Py_None) continue;
        Py_INCREF(story);
        int r = story_parts(story, &prof, &core, &slot), in = r < 0 ? -1 : PyDict_Contains(prof, term);
        Py_DECREF(story);
        if (in < 0 || (in && post_append(p, slot) < 0)) return -1;
    }
    return 0;
}

static PyObject *candidates(Index *self, PyObject *args) {
    PyObject *w, *idb, *params, *key, *val, *out = NULL, *qw = NULL, *tot = NULL;
    double base, query_terms, ncand, min_overlap, min_relative, common_df, common_floor;
    Py_ssize_t n, n_bg = 0, pos = 0, k = 0, nq = 0, ntouched = 0, nslots = PyList_GET_SIZE(self->slots);
    if (!PyArg_ParseTuple(args, "OOdO|n:candidates", &w, &idb, &base, &params, &n_bg)) return NULL;
    const int64_t *ids = ids_of(self, idb, &n);
    if (ids == NULL || check_terms(w, n) < 0 || param(params, s_query_terms, &query_terms) < 0 ||
        param(params, s_candidates, &ncand) < 0 || param(params, s_min_overlap, &min_overlap) < 0 ||
        param(params, s_min_relative, &min_relative) < 0 || param(params, s_common_df, &common_df) < 0 ||
        param(params, s_common_floor, &common_floor) < 0)
        return NULL;
    double cap = common_df * (exp(base - 1.0) - 1.0 - (double)n_bg);
    if (!(cap > common_floor)) cap = common_floor;
    Query *q = PyMem_Malloc(sizeof(Query) * (size_t)(n + 1));
    Ranked *ranked = NULL;
    int64_t *touched = NULL;
    if (q == NULL) return PyErr_NoMemory();
    while (PyDict_Next(w, &pos, &key, &val)) {
        int64_t i = ids[k++];
        if ((double)self->dfa[i] > cap) continue;
        double x = PyFloat_AsDouble(val);
        if (x == -1.0 && PyErr_Occurred()) goto done;
        if (!PyUnicode_Check(key)) {
            PyErr_SetString(PyExc_TypeError, "terms must be str");
            goto done;
        }
        q[nq].w = x;
        q[nq].term = key;
        q[nq++].id = i;
    }
    qsort(q, (size_t)nq, sizeof(Query), query_order);
    if (PyErr_Occurred()) goto done;
    if ((double)nq > query_terms) nq = query_terms < 0 ? 0 : (Py_ssize_t)query_terms;
    Py_ssize_t hits = 0;
    for (Py_ssize_t j = 0; j < nq; j++) {
        Post *p = &self->post[q[j].id];
        if (p->v == NULL && rebuild(self, q[j].term, q[j].id) < 0) goto done;
        hits += p->n;
    }
    out = PyList_New(0);
    if (out == NULL || !hits) goto done;
    if (nslots > self->nacc) {
        double *a = PyMem_Realloc(self->acc, sizeof(double) * (size_t)nslots);
        if (a != NULL) self->acc = a;
        unsigned char *f = a == NULL ? NULL : PyMem_Realloc(self->seen, (size_t)nslots);
        if (f == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        self->seen = f;
        memset(a + self->nacc, 0, sizeof(double) * (size_t)(nslots - self->nacc));
        memset(f + self->nacc, 0, (size_t)(nslots - self->nacc));
        self->nacc = nslots;
    }
    touched = PyMem_Malloc(sizeof(int64_t) * (size_t)hits);
    qw = PyList_New(nq);
    if (touched == NULL || qw == NULL) {
        if (touched == NULL) PyErr_NoMemory();
        goto done;
    }
    double best = 0.0;
    for (Py_ssize_t j = 0; j < nq; j++) {
        PyObject *f = PyFloat_FromDouble(q[j].w);
        if (f == NULL) goto done;
        PyList_SET_ITEM(qw, j, f);
        Post *p = &self->post[q[j].id];
        for (Py_ssize_t r = 0; r < p->n; r++) {
            int64_t s = p->v[r];
            if (s < 0 || s >= nslots) {
                PyErr_SetString(PyExc_ValueError, "story slot out of range");
                goto done;
            }
            if (!self->seen[s]) {
                self->seen[s] = 1;
                touched[ntouched++] = s;
            }
            self->acc[s] += q[j].w;
        }
    }
    for (Py_ssize_t t = 0; t < ntouched; t++)
        if (self->acc[touched[t]] > best) best = self->acc[touched[t]];
    tot = PyObject_CallOneArg(sum_fn, qw); /* Python's own sum, as the reference adds them */
    double total = tot == NULL ? -1.0 : PyFloat_AsDouble(tot);
    if (total == -1.0 && PyErr_Occurred()) goto done;
    /* numpy's bincount there also holds 0.0 for every untouched slot, but the floor is positive
     * (the weights are IDFs, at least 1), so only touched slots can qualify */
    double floor = min_overlap * total, rel = min_relative * best;
    if (rel > floor) floor = rel;
    ranked = PyMem_Malloc(sizeof(Ranked) * (size_t)(ntouched + 1));
    if (ranked == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t ngood = 0;
    for (Py_ssize_t t = 0; t < ntouched; t++)
        if (self->acc[touched[t]] >= floor) {
            ranked[ngood].acc = self->acc[touched[t]];
            ranked[ngood++].sid = PyList_GET_ITEM(self->sids, touched[t]);
        }
    qsort(ranked, (size_t)ngood, sizeof(Ranked), rank_order);
    if (PyErr_Occurred()) goto done;
    for (Py_ssize_t t = 0; t < ngood && (double)t < ncand; t++)
        if (PyList_Append(out, ranked[t].sid) < 0) goto done;
done:
    if (touched != NULL)
        for (Py_ssize_t t = 0; t < ntouched; t++) {
            self->acc[touched[t]] = 0.0;
            self->seen[touched[t]] = 0;
        }
    PyMem_Free(touched);
    PyMem_Free(ranked);
    PyMem_Free(q);
    Py_XDECREF(qw);
    Py_XDECREF(tot);
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

static PyObject *get_df(Index *self, void *closure) {
    Py_INCREF(self->df);
    return self->df;
}

static PyMethodDef index_methods[] = {
    {"add_doc", (PyCFunction)add_doc, METH_VARARGS, "Count an article in; return its term ids (bytes of int64)."},
    {"remove_doc", (PyCFunction)remove_doc, METH_VARARGS, "Count an article out (after leave)."},
    {"join", (PyCFunction)join, METH_VARARGS, "A member joins a story."},
    {"leave", (PyCFunction)leave, METH_VARARGS, "A member leaves a story."},
    {"idf", (PyCFunction)idf, METH_VARARGS, "IDF of terms: base - log1p(df)."},
    {"start", (PyCFunction)start, METH_VARARGS, "Spread the article's weights by term id."},
    {"weigh", (PyCFunction)weigh, METH_VARARGS, "(TF-IDF weights, their norm) of an article; also start()."},
    {"finish", (PyCFunction)finish, METH_O, "Clear the article's weights."},
    {"story_vector", (PyCFunction)story_vector, METH_VARARGS, "(norm, dot, shared, largest) of a story's vector."},
    {"candidates", (PyCFunction)candidates, METH_VARARGS, "Candidate stories, best first."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef index_getset[] = {
    {"df", (getter)get_df, NULL, "term -> window + background document frequency", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject IndexType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "bot.stories._core.Index",
    .tp_basicsize = sizeof(Index),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The window index's per-term work (bot.stories.index.CompiledIndex wraps it).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)index_init,
    .tp_dealloc = (destructor)index_dealloc,
    .tp_traverse = (traverseproc)index_traverse,
    .tp_clear = (inquiry)index_clear,
    .tp_methods = index_methods,
    .tp_getset = index_getset,
};

/* ---- scoring ------------------------------------------------------------------------------------- */

/* What a scoring.Idf holds: ``base - logs[df.get(t, 0)]`` is a term's IDF. Borrowed references
 * (the Idf object keeps them alive while it is an argument). */
typedef struct {
    double base;
    PyObject *logs; /* list of float */
    PyObject *df;   /* dict term -> document frequency */
} IdfParts;

static int idf_parts(PyObject *idf, IdfParts *out) {
    PyObject *b = PyObject_GetAttr(idf, s_base), *logs = PyObject_GetAttr(idf, s_logs),
             *df = PyObject_GetAttr(idf, s_df);
    int ok = b != NULL && logs != NULL && df != NULL;
    if (ok && (!PyList_Check(logs) || !PyDict_Check(df))) {
        PyErr_SetString(PyExc_TypeError, "idf.logs must be a list and idf.df a dict");
        ok = 0;
    }
    if (ok) {
        out->base = PyFloat_AsDouble(b);
        ok = !(out->base == -1.0 && PyErr_Occurred());
    }
    out->logs = logs;
    out->df = df;
    Py_XDECREF(b);
    Py_XDECREF(logs); /* the Idf keeps them */
    Py_XDECREF(df);
    return ok ? 0 : -1;
}

static int idf_at(const IdfParts *idf, PyObject *t, double *out) { /* scoring.Idf.__call__ */
    PyObject *d = PyDict_GetItemWithError(idf->df, t);
    if (d == NULL && PyErr_Occurred()) return -1;
    Py_ssize_t di = d == NULL ? 0 : PyLong_AsSsize_t(d);
    if (di == -1 && PyErr_Occurred()) return -1;
    if (di < 0 || di >= PyList_GET_SIZE(idf->logs)) {
        PyErr_SetString(PyExc_IndexError, "document frequency beyond idf.logs");
        return -1;
    }
    double lg = PyFloat_AsDouble(PyList_GET_ITEM(idf->logs, di));
    if (lg == -1.0 && PyErr_Occurred()) return -1;
    *out = idf->base - lg;
    return 0;
}

/* counts.get(t, 0) as a float (counts are ints); -1 with an exception set on error */
static int count_of(PyObject *counts, PyObject *t, double *out) {
    PyObject *c = PyDict_GetItemWithError(counts, t);
    if (c == NULL) {
        *out = 0.0;
        return PyErr_Occurred() ? -1 : 0;
    }
    *out = PyLong_AsDouble(c);
    return *out == -1.0 && PyErr_Occurred() ? -1 : 0;
}

/* scoring._py_share_cover: the IDF-weighted mean over ``terms`` (sorted, as the plain sums there
 * go) of min(1, counts[t] * scale). */
static int cover(PyObject *terms, PyObject *counts, double scale, const IdfParts *idf, double empty, double *out) {
    double tot = 0.0, hit = 0.0, i, c;
    PyObject *sorted = PySequence_List(terms);
    if (sorted == NULL || PyList_Sort(sorted) < 0) goto fail;
    for (Py_ssize_t j = 0; j < PyList_GET_SIZE(sorted); j++) {
        PyObject *t = PyList_GET_ITEM(sorted, j);
        if (idf_at(idf, t, &i) < 0 || count_of(counts, t, &c) < 0) goto fail;
        tot += i;
        if (c != 0.0) {
            double x = c * scale;
            hit += i * (x < 1.0 ? x : 1.0);
        }
    }
    Py_DECREF(sorted);
    *out = tot != 0.0 ? hit / tot : empty;
    return 0;
fail:
    Py_XDECREF(sorted);
    return -1;
}

static PyObject *share_cover(PyObject *self, PyObject *args) {
    PyObject *terms, *counts, *idf;
    double scale, empty = 0.0, out;
    IdfParts parts;
    if (!PyArg_ParseTuple(args, "OO!dO|d:share_cover", &terms, &PyDict_Type, &counts, &scale, &idf, &empty) ||
        idf_parts(idf, &parts) < 0 || cover(terms, counts, scale, &parts, empty, &out) < 0)
        return NULL;
    return PyFloat_FromDouble(out);
}

/* x ** 2 as Python computes it for a float: libm pow (not x * x, which the compiler would make of
 * pow(x, 2.0) with a constant exponent; the two may differ in the last bit). */
static volatile double two = 2.0;

static int weight_of(PyObject *w, PyObject *t, double *out) { /* w[t] */
    PyObject *v = PyDict_GetItemWithError(w, t);
    if (v == NULL) {
        if (!PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, t);
        return -1;
    }
    *out = PyFloat_AsDouble(v);
    return *out == -1.0 && PyErr_Occurred() ? -1 : 0;
}

/* [t for t, c in counts.items() if c >= half]: a new list or NULL */
static PyObject *at_least(PyObject *counts, double half) {
    PyObject *out = PyList_New(0), *t, *c;
    Py_ssize_t pos = 0;
    while (out != NULL && PyDict_Next(counts, &pos, &t, &c)) {
        double v = PyLong_AsDouble(c);
        if ((v == -1.0 && PyErr_Occurred()) || (v >= half && PyList_Append(out, t) < 0)) Py_CLEAR(out);
    }
    return out;
}

/* [t for t in terms if "~" in t] (the phrases): a new list or NULL */
static PyObject *phrases(PyObject *terms) {
    PyObject *it = PyObject_GetIter(terms), *out = PyList_New(0), *t;
    if (it == NULL || out == NULL) goto fail;
    while ((t = PyIter_Next(it)) != NULL) {
        int in = PySequence_Contains(t, tilde);
        if (in < 0 || (in && PyList_Append(out, t) < 0)) {
            Py_DECREF(t);
            goto fail;
        }
        Py_DECREF(t);
    }
    if (PyErr_Occurred()) goto fail;
    Py_DECREF(it);
    return out;
fail:
    Py_XDECREF(it);
    Py_XDECREF(out);
    return NULL;
}

/* scoring.is_year(t) */
static int is_year(PyObject *t) {
    if (!PyUnicode_Check(t) || PyUnicode_GET_LENGTH(t) != 4) return 0;
    Py_UCS4 a = PyUnicode_READ_CHAR(t, 0), b = PyUnicode_READ_CHAR(t, 1);
    if (!((a == '1' && b == '9') || (a == '2' && b == '0'))) return 0;
    for (Py_ssize_t k = 2; k < 4; k++)
        if (!Py_UNICODE_ISDIGIT(PyUnicode_READ_CHAR(t, k))) return 0;
    return 1;
}

/* max(int(t) for t in terms if is_year(t)) (``only_years``) or over all of them; 0: none, -1: error */
static int max_year(PyObject *terms, int only_years, long *out) {
    PyObject *it = PyObject_GetIter(terms), *t;
    int found = 0;
    if (it == NULL) return -1;
    while ((t = PyIter_Next(it)) != NULL) {
        if (!only_years || is_year(t)) {
            PyObject *n = PyUnicode_Check(t) ? PyLong_FromUnicodeObject(t, 10) : PyNumber_Long(t);
            long v = n == NULL ? -1 : PyLong_AsLong(n);
            Py_XDECREF(n);
            if (v == -1 && PyErr_Occurred()) {
                Py_DECREF(t);
                Py_DECREF(it);
                return -1;
            }
            if (!found || v > *out) *out = v;
            found = 1;
        }
        Py_DECREF(t);
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1 : found;
}

/* features(feats, w, dnorm, snorm, dot, profile, core, name_profile, lead_profile, year_profile,
 *          n_members, idf) -> tuple: scoring._py_features, the same float operations in the same
 * order (the fsums are exactly rounded, so their order does not matter). */
static PyObject *features(PyObject *self, PyObject *args) {
    PyObject *feats, *w, *profile, *core, *name_profile, *lead_profile, *year_profile, *idf;
    PyObject *names = NULL, *numbers = NULL, *lead = NULL, *terms = NULL, *list = NULL, *out = NULL;
    double dnorm, snorm, dot, x, c, i, r[11];
    Py_ssize_t n_members;
    IdfParts id;
    Fsum f;
    if (!PyArg_ParseTuple(args, "OO!dddO!O!O!O!O!nO:features", &feats, &PyDict_Type, &w, &dnorm, &snorm, &dot,
                          &PyDict_Type, &profile, &PyDict_Type, &core, &PyDict_Type, &name_profile, &PyDict_Type,
                          &lead_profile, &PyDict_Type, &year_profile, &n_members, &idf) ||
        idf_parts(idf, &id) < 0)
        return NULL;
    if (n_members == 0) {
        PyErr_SetString(PyExc_ZeroDivisionError, "features(): a story without members");
        return NULL;
    }
    names = PyObject_GetAttr(feats, s_names); /* interned names: GetAttrString made a str per call */
    numbers = PyObject_GetAttr(feats, s_numbers);
    lead = PyObject_GetAttr(feats, s_lead);
    terms = PyObject_GetAttr(feats, s_terms);
    if (names == NULL || numbers == NULL || lead == NULL || terms == NULL) goto done;
    if (!PyDict_Check(terms)) {
        PyErr_SetString(PyExc_TypeError, "feats.terms must be a dict");
        goto done;
    }
    double inv = 1.0 / (double)n_members, half = (double)n_members / 2;
    PyObject *vec = n_members >= 3 ? core : profile;
    r[0] = dot / (dnorm * snorm);
    if (cover(names, profile, 2 * inv, &id, 0.0, &r[1]) < 0 || cover(numbers, profile, 2 * inv, &id, 0.0, &r[2]) < 0)
        goto done;
    /* name cosine: nnorm over the article's names, snn over the story's */
    double nnorm, snn, ncos;
    if ((list = PySequence_List(names)) == NULL) goto done;
    fsum_init(&f);
    for (Py_ssize_t j = 0; j < PyList_GET_SIZE(list); j++)
        if (weight_of(w, PyList_GET_ITEM(list, j), &x) < 0 || fsum_add(&f, pow(x, two)) < 0) goto fail_sum;
    if (fsum_result(&f, &nnorm) < 0) goto done;
    nnorm = sqrt(nnorm);
    nnorm = nnorm != 0.0 ? nnorm : 1.0;
    PyObject *t, *v;
    Py_ssize_t pos = 0;
    fsum_init(&f);
    while (PyDict_Next(name_profile, &pos, &t, &v)) {
        if (count_of(vec, t, &c) < 0) goto fail_sum;
        if (c == 0.0) continue;
        if (idf_at(&id, t, &i) < 0 || fsum_add(&f, pow(c * i, two)) < 0) goto fail_sum;
    }
    if (fsum_result(&f, &snn) < 0) goto done;
    snn = sqrt(snn);
    snn = snn != 0.0 ? snn : 1.0;
    fsum_init(&f);
    for (Py_ssize_t j = 0; j < PyList_GET_SIZE(list); j++) {
        PyObject *nm = PyList_GET_ITEM(list, j);
        if (weight_of(w, nm, &x) < 0 || count_of(vec, nm, &c) < 0 || idf_at(&id, nm, &i) < 0 ||
            fsum_add(&f, x * c * i) < 0)
            goto fail_sum;
    }
    if (fsum_result(&f, &ncos) < 0) goto done;
    r[3] = ncos / (nnorm * snn);
    Py_CLEAR(list);
    if ((list = at_least(name_profile, half)) == NULL || cover(list, terms, 1.0, &id, 0.0, &r[4]) < 0) goto done;
    Py_CLEAR(list);
    /* key names: the three heaviest names, ties by name (the order of query_order) */
    if ((list = PySequence_List(names)) == NULL) goto done;
    Py_ssize_t nn = PyList_GET_SIZE(list);
    Query *q = PyMem_Malloc(sizeof(Query) * (size_t)(nn + 1));
    if (q == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t j = 0; j < nn; j++) {
        q[j].term = PyList_GET_ITEM(list, j);
        q[j].id = 0;
        if (!PyUnicode_Check(q[j].term)) PyErr_SetString(PyExc_TypeError, "names must be str");
        if (PyErr_Occurred() || weight_of(w, q[j].term, &q[j].w) < 0) {
            PyMem_Free(q);
            goto done;
        }
    }
    qsort(q, (size_t)nn, sizeof(Query), query_order);
    double tot, kn;
    Fsum g;
    fsum_init(&f);
    fsum_init(&g);
    int err = PyErr_Occurred() != NULL;
    for (Py_ssize_t k = 0; k < nn && k < 3 && !err; k++)
        err = fsum_add(&f, q[k].w) < 0 || count_of(profile, q[k].term, &c) < 0 || fsum_add(&g, q[k].w * c * inv) < 0;
    PyMem_Free(q);
    int r1 = fsum_result(&f, &tot), r2 = fsum_result(&g, &kn);
    if (err || r1 < 0 || r2 < 0) goto done;
    r[5] = tot != 0.0 ? kn / tot : 0.0;
    Py_CLEAR(list);
    if (cover(lead, lead_profile, inv, &id, 0.0, &r[6]) < 0) goto done;
    PyObject *story_lead = at_least(lead_profile, half); /* the story's lead names */
    if (story_lead == NULL || cover(story_lead, terms, 1.0, &id, 0.0, &r[7]) < 0) {
        Py_XDECREF(story_lead);
        goto done;
    }
    long y = 0, yp = 0;
    int has = max_year(numbers, 1, &y);
    int has_p = has > 0 && PyDict_GET_SIZE(year_profile) ? max_year(year_profile, 0, &yp) : 0;
    if (has < 0 || has_p < 0) {
        Py_DECREF(story_lead);
        goto done;
    }
    r[8] = has && has_p && y > yp ? 1.0 : 0.0;
    if ((list = phrases(lead)) == NULL || cover(list, lead_profile, 2 * inv, &id, 0.5, &r[9]) < 0) {
        Py_DECREF(story_lead);
        goto done;
    }
    Py_CLEAR(list);
    list = phrases(story_lead);
    Py_DECREF(story_lead);
    if (list == NULL || cover(list, terms, 1.0, &id, 0.5, &r[10]) < 0) goto done;
    out = PyTuple_New(11);
    for (Py_ssize_t j = 0; out != NULL && j < 11; j++) {
        PyObject *f = PyFloat_FromDouble(r[j]);
        if (f == NULL) Py_CLEAR(out);
        else PyTuple_SET_ITEM(out, j, f);
    }
    goto done;
fail_sum:
    if (f.p != f.small) PyMem_Free(f.p);
done:
    Py_XDECREF(names);
    Py_XDECREF(numbers);
    Py_XDECREF(lead);
    Py_XDECREF(terms);
    Py_XDECREF(list);
    return out;
}

static PyMethodDef module_methods[] = {
    {"tokens", (PyCFunction)tokens, METH_O, "text._TOKEN.findall(s)"},
    {"scan", (PyCFunction)scan, METH_VARARGS, "text._py_scan(s, cache, fill)"},
    {"share_cover", (PyCFunction)share_cover, METH_VARARGS, "scoring._py_share_cover(terms, counts, scale, idf, empty)"},
    {"features", (PyCFunction)features, METH_VARARGS, "scoring._py_features(...) with the story vector given"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "bot.stories._core", NULL, -1, module_methods};

static PyObject *from(const char *mod, const char *name) {
    PyObject *m = PyImport_ImportModule(mod);
    if (m == NULL) return NULL;
    PyObject *o = PyObject_GetAttrString(m, name);
    Py_DECREF(m);
    return o;
}

PyMODINIT_FUNC PyInit__core(void) {
    init_classes();
    if (PyType_Ready(&IndexType) < 0) return NULL;
    counter_type = from("collections", "Counter");
    log1p_fn = from("math", "log1p");
    sum_fn = from("builtins", "sum");
    tilde = PyUnicode_InternFromString("~");
    empty_tuple = PyTuple_New(0);
#define NAME(v, s) ((v = PyUnicode_InternFromString(s)) != NULL)
    if (counter_type != NULL && !PyType_Check(counter_type)) {
        PyErr_SetString(PyExc_TypeError, "collections.Counter is not a type");
        return NULL;
    }
    if (counter_type == NULL || empty_tuple == NULL || log1p_fn == NULL || sum_fn == NULL || tilde == NULL ||
        !NAME(s_names, "names") || !NAME(s_numbers, "numbers") || !NAME(s_lead, "lead") ||
        !NAME(s_terms, "terms") || !NAME(s_profile, "profile") || !NAME(s_vec, "_vec") || !NAME(s_core, "core") ||
        !NAME(s_slot, "slot") ||
        !NAME(s_query_terms, "query_terms") || !NAME(s_candidates, "candidates") ||
        !NAME(s_min_overlap, "min_overlap") || !NAME(s_min_relative, "min_relative") ||
        !NAME(s_common_df, "common_df") || !NAME(s_common_floor, "common_floor") || !NAME(s_base, "base") ||
        !NAME(s_logs, "logs") || !NAME(s_df, "df"))
        return NULL;
#undef NAME
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&IndexType);
    if (PyModule_AddObject(m, "Index", (PyObject *)&IndexType) < 0) {
        Py_DECREF(&IndexType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
