/* read_text (text.py) over a whole block of free text, in C: the loop over its lines.
 *
 * A big paste is mostly table rows; in Python each cost more than tokenizing it. This is the
 * same state machine, step for step, on one str: lines cut where StringIO(newline="") cuts
 * them, stripped as str.strip does, borders skipped, pipe rows and delimited lines split
 * here. The rare decisions stay in Python and are called from here: a table's first row
 * (is it a header?), a line with a quote (the csv module splits it), and lines with neither
 * pipes nor delimiters (WhitespaceTable, fields.py).
 *
 * With `spans`, a record split here is given as the offsets of its cells in the text instead of
 * a list of str (for the tokenizer, extract/readers/spans.py); records made in Python stay lists.
 *
 * What read_text does that this does not (NULs, box-drawing characters, a line long enough to
 * be read in windows or to hold a cell cut in windows) makes `rows` return None: the caller
 * then reads the block with read_text. tests/extract/test_text_native.py compares the two.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_offsets.h"

typedef struct {
    int kind;
    const void *data;
} Text;

#define CH(t, i) PyUnicode_READ((t)->kind, (t)->data, (i))
/* The loop is compiled once per kind of str (1, 2 or 4 bytes a character, see `rows`): inlined
 * where the kind is a constant, reading a character is a load, not a switch on the kind. */
#define INLINE static inline __attribute__((always_inline))

/* The kind of a pipe row: not '|', which is the kind of a line delimited by pipes ("a|b|c"). */
#define PIPE 0x110000

/* The delimiters of text._DELIMITERS, in its order. */
static const Py_UCS4 DELIMITERS[4] = {';', '\t', '|', ','};

typedef struct {
    Py_ssize_t a, b;         /* the stripped line: [a, b) */
    Py_ssize_t counts[4];    /* of each of DELIMITERS */
    int comma_space, quote;  /* holds ", ", holds '"' */
} Line;

static int delimiter_index(Py_UCS4 d) { return d == ';' ? 0 : d == '\t' ? 1 : d == '|' ? 2 : 3; }

INLINE int is_space(Py_UCS4 c) { return Py_UNICODE_ISSPACE(c); }

/* Counted once per line: a line is compared with both its neighbours. */
INLINE void count_line(const Text *t, Line *l) {
    memset(l->counts, 0, sizeof l->counts);
    l->comma_space = l->quote = 0;
    for (Py_ssize_t i = l->a; i < l->b; i++) {
        switch (CH(t, i)) {
        case ';': l->counts[0]++; break;
        case '\t': l->counts[1]++; break;
        case '|': l->counts[2]++; break;
        case ',':
            l->counts[3]++;
            if (i + 1 < l->b && CH(t, i + 1) == ' ') l->comma_space = 1;
            break;
        case '"': l->quote = 1; break;
        }
    }
}

INLINE int border_char(Py_UCS4 c) { return c == '-' || c == '+' || c == '|' || c == ':' || c == '=' || c == ' '; }

/* is_border: only "-+|:= " and a run of three '-' or '=' ("+---+", "|:--|", "====") */
INLINE int is_border(const Text *t, Line l) {
    if (l.b <= l.a) return 0;
    int run = 0, runs = 0;
    for (Py_ssize_t i = l.a; i < l.b; i++) {
        Py_UCS4 c = CH(t, i);
        if (!border_char(c)) return 0;
        run = (c == '-' || c == '=') ? run + 1 : 0;
        if (run >= 3) runs = 1;
    }
    return runs;
}

/* text._delimiter: ';', tab, '|', ',' in that order; 0 for none */
static Py_UCS4 delimiter(const Line *line, const Line *previous, const Line *after) {
    for (int k = 0; k < 4; k++) {
        Py_ssize_t n = line->counts[k];
        if (!n || (k == 3 && line->comma_space)) continue;
        if ((previous->b > previous->a && previous->counts[k] == n) || (after->b > after->a && after->counts[k] == n))
            return DELIMITERS[k];
        if (k < 2 && n >= 2) return DELIMITERS[k];
    }
    return 0;
}

INLINE PyObject *stripped(PyObject *text, const Text *t, Py_ssize_t a, Py_ssize_t b) {
    while (a < b && is_space(CH(t, a))) a++;
    while (b > a && is_space(CH(t, b - 1))) b--;
    return PyUnicode_Substring(text, a, b);
}

/* [c.strip() for c in text[a:b].split(d)] */
INLINE PyObject *split_strip(PyObject *text, const Text *t, Py_ssize_t a, Py_ssize_t b, Py_UCS4 d) {
    PyObject *cells = PyList_New(0);
    if (!cells) return NULL;
    Py_ssize_t start = a;
    for (Py_ssize_t i = a; i <= b; i++) {
        if (i < b && CH(t, i) != d) continue;
        PyObject *cell = stripped(text, t, start, i);
        if (!cell || PyList_Append(cells, cell) < 0) {
            Py_XDECREF(cell);
            Py_DECREF(cells);
            return NULL;
        }
        Py_DECREF(cell);
        start = i + 1;
    }
    return cells;
}

/* Where the records go: a list of lists of str; or, with `spans`, the offsets of each record's
 * cells in the text (rows: each record's first cell, bounds: (start, end) per cell) and, for a
 * record made in Python (a hook's, a header candidate's), the record itself in `made` (None
 * for the others). See spans.py. */
typedef struct {
    PyObject *list;  /* without spans */
    Offsets rows, bounds;
    PyObject *made;  /* with spans: per record, its list, or None */
} Out;

static int out_row(Out *out, PyObject *row) {
    if (out->list) return PyList_Append(out->list, row);
    if (put(&out->rows, (uint32_t)(out->bounds.len / 2)) < 0) return -1;
    return PyList_Append(out->made, row);
}

/* A record of cells [c.strip() for c in text[a:b].split(d)], as offsets (spans only). */
INLINE int out_split(Out *out, const Text *t, Py_ssize_t a, Py_ssize_t b, Py_UCS4 d) {
    if (put(&out->rows, (uint32_t)(out->bounds.len / 2)) < 0 || PyList_Append(out->made, Py_None) < 0) return -1;
    Py_ssize_t start = a;
    for (Py_ssize_t i = a; i <= b; i++) {
        if (i < b && CH(t, i) != d) continue;
        Py_ssize_t x = start, y = i;
        while (x < y && is_space(CH(t, x))) x++;
        while (y > x && is_space(CH(t, y - 1))) y--;
        if (put(&out->bounds, (uint32_t)x) < 0 || put(&out->bounds, (uint32_t)y) < 0) return -1;
        start = i + 1;
    }
    return 0;
}

static int extend(Out *out, PyObject *rows) {
    if (!rows) return -1;
    int rc = -1;
    if (!PyList_Check(rows)) {
        PyErr_SetString(PyExc_TypeError, "a hook must return a list of records");
    } else if (out->list) {
        rc = PyList_SetSlice(out->list, PY_SSIZE_T_MAX, PY_SSIZE_T_MAX, rows);
    } else {
        rc = 0;
        for (Py_ssize_t i = 0; rc == 0 && i < PyList_GET_SIZE(rows); i++) rc = out_row(out, PyList_GET_ITEM(rows, i));
    }
    Py_DECREF(rows);
    return rc;
}

static int truth(PyObject *result) {
    if (!result) return -1;
    int yes = PyObject_IsTrue(result);
    Py_DECREF(result);
    return yes;
}

PyDoc_STRVAR(rows_doc,
"rows(text, longest, pipe_header, delimited_header, split_quoted, add_spaced, flush_spaced, on_header, spans=False)\n--\n\n"
"The records read_text gives for the str `text`, or None where it alone can read it (see the module).\n"
"spans: (rows, bounds, made) instead of a list: offsets of the records' cells in `text` (native uint32: each\n"
"record's first cell, then (start, end) per cell), and per record the list a hook made, or None.\n"
"longest: the longest line, in characters, read here. pipe_header(cells) and delimited_header(cells, after, d):\n"
"is a table's first row its header; split_quoted(line, d): a line with a quote, split; add_spaced(line),\n"
"flush_spaced(): a WhitespaceTable's add and flush; on_header(cells): where a header goes.");

INLINE PyObject *rows_of(int kind, PyObject *text, Py_ssize_t longest, PyObject *pipe_header,
                         PyObject *delimited_header, PyObject *split_quoted, PyObject *add_spaced,
                         PyObject *flush_spaced, PyObject *on_header, int spans) {
    Text t = {kind, PyUnicode_DATA(text)};
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    /* Lines as StringIO(newline="") gives them: ended by "\n", "\r\n" or "\r"; then stripped. */
    Py_ssize_t n_lines = 0, cap = 1024;
    Line *lines = PyMem_Malloc(cap * sizeof(Line));
    if (!lines) return PyErr_NoMemory();
    PyObject *result = NULL;
    Out out = {NULL, {0}, {0}, NULL};
    if (spans && n >= (Py_ssize_t)UINT32_MAX) goto python;
    for (Py_ssize_t at = 0; at < n;) {
        Py_ssize_t end = at;
        while (end < n) {
            Py_UCS4 c = CH(&t, end);
            if (c == '\n' || c == '\r') break;
            if (c == 0 || (c >= 0x2500 && c <= 0x257f)) goto python;  /* NULs and boxes: read_text */
            end++;
        }
        if (end - at > longest) goto python;
        Py_ssize_t next = end;
        if (next < n) next += (CH(&t, next) == '\r' && next + 1 < n && CH(&t, next + 1) == '\n') ? 2 : 1;
        Py_ssize_t a = at, b = end;
        while (a < b && is_space(CH(&t, a))) a++;
        while (b > a && is_space(CH(&t, b - 1))) b--;
        if (n_lines == cap) {
            cap *= 2;
            Line *more = PyMem_Realloc(lines, cap * sizeof(Line));
            if (!more) { PyErr_NoMemory(); goto done; }
            lines = more;
        }
        lines[n_lines] = (Line){.a = a, .b = b};
        count_line(&t, &lines[n_lines++]);
        at = next;
    }
    if (!(spans ? (out.made = PyList_New(0)) : (out.list = PyList_New(0)))) goto done;
    const Line none = {0};
    Line previous = none;     /* the previous non-border line (none after a blank line) */
    Py_UCS4 previous_kind = 0;  /* PIPE, a delimiter, or 0 */
    int held = 0;               /* lines went to add_spaced since its last flush */
    for (Py_ssize_t i = 0; i < n_lines; i++) {
        Line line = lines[i], after = i + 1 < n_lines ? lines[i + 1] : none;
        PyObject *cells = NULL;
        if (line.b == line.a) {
            if (held && extend(&out, PyObject_CallNoArgs(flush_spaced)) < 0) goto fail;
            held = 0;
            previous = none;
            previous_kind = 0;
            continue;
        }
        if (is_border(&t, line)) continue;
        Py_UCS4 d;
        int pipe = CH(&t, line.a) == '|' && line.counts[2] >= 2;
        Py_ssize_t ca = line.a, cb = line.b;  /* the cells' text, split at '|' or d */
        if (pipe) {
            d = PIPE;
            ca = line.a + 1;
            if (cb - line.a >= 2 && CH(&t, cb - 1) == '|') cb--;
            /* A table's first row is handed to pipe_header as a list; any other is offsets. */
            if (spans && !(previous_kind != d && is_border(&t, after))) {
                if (held && extend(&out, PyObject_CallNoArgs(flush_spaced)) < 0) goto fail;
                held = 0;
                previous = line;
                previous_kind = d;
                if (out_split(&out, &t, ca, cb, '|') < 0) goto fail;
                continue;
            }
            cells = split_strip(text, &t, ca, cb, '|');
        } else {
            d = delimiter(&line, &previous, &after);
            if (!d) {
                previous = line;
                previous_kind = 0;
                PyObject *s = PyUnicode_Substring(text, line.a, line.b);
                if (!s) goto fail;
                int rc = extend(&out, PyObject_CallOneArg(add_spaced, s));
                Py_DECREF(s);
                if (rc < 0) goto fail;
                held = 1;
                continue;
            }
            if (line.quote) {
                PyObject *s = PyUnicode_Substring(text, line.a, line.b);
                PyObject *ds = s ? PyUnicode_FromOrdinal(d) : NULL;
                cells = ds ? PyObject_CallFunctionObjArgs(split_quoted, s, ds, NULL) : NULL;
                Py_XDECREF(s);
                Py_XDECREF(ds);
            } else if (spans && !(previous_kind != d &&
                                  after.counts[delimiter_index(d)] == line.counts[delimiter_index(d)])) {
                if (held && extend(&out, PyObject_CallNoArgs(flush_spaced)) < 0) goto fail;
                held = 0;
                previous = line;
                previous_kind = d;
                if (out_split(&out, &t, ca, cb, d) < 0) goto fail;
                continue;
            } else {
                cells = split_strip(text, &t, ca, cb, d);
            }
        }
        if (!cells) goto fail;
        if (held && extend(&out, PyObject_CallNoArgs(flush_spaced)) < 0) { Py_DECREF(cells); goto fail; }
        held = 0;
        int first_row = previous_kind != d;
        previous = line;
        previous_kind = d;
        int header = 0;
        if (first_row && pipe && is_border(&t, after)) {
            header = truth(PyObject_CallOneArg(pipe_header, cells));
        } else if (first_row && !pipe && after.counts[delimiter_index(d)] == line.counts[delimiter_index(d)]) {
            PyObject *s = PyUnicode_Substring(text, after.a, after.b);
            PyObject *ds = s ? PyUnicode_FromOrdinal(d) : NULL;
            header = ds ? truth(PyObject_CallFunctionObjArgs(delimited_header, cells, s, ds, NULL)) : -1;
            Py_XDECREF(s);
            Py_XDECREF(ds);
        }
        if (header > 0) {
            PyObject *r = PyObject_CallOneArg(on_header, cells);
            Py_XDECREF(r);
            if (!r) header = -1;
        }
        if (header < 0 || (!header && out_row(&out, cells) < 0)) { Py_DECREF(cells); goto fail; }
        Py_DECREF(cells);
    }
    if (held && extend(&out, PyObject_CallNoArgs(flush_spaced)) < 0) goto fail;
    if (!spans) {
        result = Py_NewRef(out.list);
    } else if (put(&out.rows, (uint32_t)(out.bounds.len / 2)) == 0) {
        result = Py_BuildValue("(NNO)", as_bytes(&out.rows), as_bytes(&out.bounds), out.made);
    }
    goto done;
fail:
    goto done;
python:
    result = Py_NewRef(Py_None);
done:
    Py_XDECREF(out.list);
    Py_XDECREF(out.made);
    PyMem_Free(out.rows.data);
    PyMem_Free(out.bounds.data);
    PyMem_Free(lines);
    return result;
}

static PyObject *text_rows(PyObject *module, PyObject *args) {
    PyObject *text, *pipe_header, *delimited_header, *split_quoted, *add_spaced, *flush_spaced, *on_header;
    Py_ssize_t longest;
    int spans = 0;
    if (!PyArg_ParseTuple(args, "UnOOOOOO|p:rows", &text, &longest, &pipe_header, &delimited_header, &split_quoted,
                          &add_spaced, &flush_spaced, &on_header, &spans))
        return NULL;
    switch (PyUnicode_KIND(text)) {
    case PyUnicode_1BYTE_KIND:
        return rows_of(PyUnicode_1BYTE_KIND, text, longest, pipe_header, delimited_header, split_quoted, add_spaced,
                       flush_spaced, on_header, spans);
    case PyUnicode_2BYTE_KIND:
        return rows_of(PyUnicode_2BYTE_KIND, text, longest, pipe_header, delimited_header, split_quoted, add_spaced,
                       flush_spaced, on_header, spans);
    default:
        return rows_of(PyUnicode_4BYTE_KIND, text, longest, pipe_header, delimited_header, split_quoted, add_spaced,
                       flush_spaced, on_header, spans);
    }
}

static PyMethodDef methods[] = {
    {"rows", text_rows, METH_VARARGS, rows_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_text", "read_text's loop over a block's lines, in C.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__text(void) { return PyModule_Create(&module); }
