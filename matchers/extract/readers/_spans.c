/* Delimited lines (a RawBlock, blocks.py) cut into cells without making a str of each: the
 * byte offsets of every record's cells. The tokenizer (fingerprint/_tokenize.c) reads the
 * cells where they are and decodes only those it has not seen before.
 *
 * `cut` gives the records `RawBlock.records` gives (the csv module's, or `_split_plain`'s for
 * lines without quotes), or None wherever that could differ: a NUL, a CR that is not part of
 * CRLF, a line longer than `longest` bytes (the limits count characters: a byte count over
 * the limit may still be read by Python), a record of more than `max_cells` cells (the
 * document splits those), a quoted field running on past its line. Cutting at ASCII bytes
 * (the delimiter, the quote, LF) is cutting at characters in every encoding blocks are made
 * for (blocks.BLOCK_ENCODINGS): in UTF-8 no byte of a multi-byte character is ASCII.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_offsets.h"

/* No NUL (bounded_lines removes them) and no CR but in CRLF (a line end to Python): lines that
 * Python reads as the C cut reads them. */
static int plain_bytes(const char *s, Py_ssize_t n) {
    if (memchr(s, '\0', (size_t)n)) return 0;
    for (const char *cr = s; (cr = memchr(cr, '\r', (size_t)(s + n - cr))); cr++)
        if (cr + 1 == s + n || cr[1] != '\n') return 0;
    return 1;
}

/* cut's and cut_combo's answer: (rows, bounds, odd), rows closed by one past the last cell; or None. */
static PyObject *spans_result(int plain, Offsets *rows, Offsets *bounds, Offsets *odd) {
    if (!plain) return Py_NewRef(Py_None);
    if (put(rows, (uint32_t)(bounds->len / 2)) < 0) return NULL;
    return Py_BuildValue("(NNN)", as_bytes(rows), as_bytes(bounds), as_bytes(odd));
}

/* A line is cut by the csv module's rules (strict=False, doublequote, no
 * escape character): a quote opens a quoted field only where a field starts; inside one, two
 * quotes are a quote, and a quote followed by anything but the delimiter or the line's end
 * closes the quotes and the field goes on unquoted. A quoted field closed by a quote just
 * before the delimiter or the line's end is a span (the bytes between the quotes); a record
 * with any other quoted field is "odd": its line is read by the csv module (spans.py). A line
 * that ends inside quotes (a field running on into the next line) makes the whole block
 * Python's.
 *
 * Returns the line's state: 0 a record cut into spans, 1 an odd record (its spans put are to
 * be taken back), 2 a line ending inside quotes, 3 more than max_cells cells; -1 on error. */
enum { LINE_CUT, LINE_ODD, LINE_OPEN, LINE_WIDE };

static int cut_line(const char *s, Py_ssize_t start, Py_ssize_t stop, int delimiter, Py_ssize_t max_cells,
                           Offsets *bounds) {
    Py_ssize_t a = start, cells = 0;
    int odd = 0;
    for (;;) {
        if (++cells > max_cells) return LINE_WIDE;
        if (a < stop && s[a] == '"') {
            Py_ssize_t i = a + 1;
            int escaped = 0;  /* a doubled quote, or a quote followed by another byte */
            for (;;) {
                const char *q = memchr(s + i, '"', (size_t)(stop - i));
                if (!q) return LINE_OPEN;
                i = q - s + 1;
                if (i == stop || s[i] == delimiter) break;  /* the closing quote */
                escaped = 1;
                if (s[i] == '"') {
                    i++;  /* a quote inside: the field stays quoted */
                    continue;
                }
                /* Quotes closed, the field goes on unquoted: to the delimiter, quotes and all. */
                const char *d = memchr(s + i, delimiter, (size_t)(stop - i));
                i = d ? d - s : stop;
                break;
            }
            if (escaped) {
                odd = 1;
            } else if (put(bounds, (uint32_t)(a + 1)) < 0 || put(bounds, (uint32_t)(i - 1)) < 0) {
                return -1;
            }
            if (i == stop) break;
            a = i + 1;  /* past the delimiter */
            continue;
        }
        const char *d = memchr(s + a, delimiter, (size_t)(stop - a));
        Py_ssize_t b = d ? d - s : stop;
        if (put(bounds, (uint32_t)a) < 0 || put(bounds, (uint32_t)b) < 0) return -1;
        if (!d) break;
        a = b + 1;
    }
    return odd ? LINE_ODD : LINE_CUT;
}

PyDoc_STRVAR(cut_doc,
"cut(data, delimiter, longest, max_cells)\n--\n\n"
"The cells of delimited lines: (rows, bounds, odd) as bytes of native uint32, rows holding the\n"
"index of each record's first cell and one past the last record's, bounds a (start, end)\n"
"byte offset pair per cell, odd a (record, start, end) triple per record the csv module must\n"
"read from its line (a quote escaped; it has no cells in bounds); None where the records read\n"
"in Python could differ (see the file).");

static PyObject *cut(PyObject *module, PyObject *args) {
    Py_buffer view;
    int delimiter;
    Py_ssize_t longest, max_cells;
    if (!PyArg_ParseTuple(args, "y*Cnn:cut", &view, &delimiter, &longest, &max_cells)) return NULL;
    const char *s = view.buf;
    Py_ssize_t n = view.len;
    Offsets rows = {0}, bounds = {0}, odd = {0};
    PyObject *result = NULL;
    int plain = delimiter > 0 && delimiter < 0x80 && delimiter != '\n' && delimiter != '\r' && delimiter != '"' &&
                n < (Py_ssize_t)UINT32_MAX && plain_bytes(s, n);
    Py_ssize_t start = 0;
    while (plain && start < n) {
        const char *lf = memchr(s + start, '\n', (size_t)(n - start));
        Py_ssize_t stop = lf ? lf - s : n, next = stop + 1;
        if (stop > start && s[stop - 1] == '\r') stop--;
        if (stop - start > longest) {
            plain = 0;
            break;
        }
        if (stop > start) {  /* an empty line is no record */
            size_t first = bounds.len;
            if (put(&rows, (uint32_t)(first / 2)) < 0) goto done;
            int line = cut_line(s, start, stop, delimiter, max_cells, &bounds);
            if (line < 0) goto done;
            if (line == LINE_OPEN || line == LINE_WIDE) {
                plain = 0;
                break;
            }
            if (line == LINE_ODD) {
                bounds.len = first;
                if (put(&odd, (uint32_t)(rows.len - 1)) < 0 || put(&odd, (uint32_t)start) < 0 ||
                    put(&odd, (uint32_t)stop) < 0)
                    goto done;
            }
        }
        start = next;
    }
    result = spans_result(plain, &rows, &bounds, &odd);
done:
    PyMem_Free(rows.data);
    PyMem_Free(bounds.data);
    PyMem_Free(odd.data);
    PyBuffer_Release(&view);
    return result;
}

PyDoc_STRVAR(closed_doc,
"closed(data, delimiter, longest)\n--\n\n"
"True when every line of data ends outside quotes, as the csv module reads it, and Python would\n"
"read the lines alone as cut does: no NUL, no lone CR, no line longer than longest bytes.\n"
"Lines that end at record boundaries can be parsed by another process (blocks.py).");

static PyObject *closed(PyObject *module, PyObject *args) {
    Py_buffer view;
    int delimiter;
    Py_ssize_t longest;
    if (!PyArg_ParseTuple(args, "y*Cn:closed", &view, &delimiter, &longest)) return NULL;
    const char *s = view.buf;
    Py_ssize_t n = view.len;
    Offsets scratch = {0};
    int ok = delimiter > 0 && delimiter < 0x80 && delimiter != '\n' && delimiter != '\r' && delimiter != '"' &&
             plain_bytes(s, n);
    Py_ssize_t start = 0;
    while (ok && start < n) {
        const char *lf = memchr(s + start, '\n', (size_t)(n - start));
        Py_ssize_t stop = lf ? lf - s : n, next = stop + 1;
        if (stop > start && s[stop - 1] == '\r') stop--;
        if (stop - start > longest) {
            ok = 0;
            break;
        }
        if (memchr(s + start, '"', (size_t)(stop - start))) {
            scratch.len = 0;
            int line = cut_line(s, start, stop, delimiter, PY_SSIZE_T_MAX, &scratch);
            if (line < 0) {
                PyMem_Free(scratch.data);
                PyBuffer_Release(&view);
                return NULL;
            }
            ok = line != LINE_OPEN;
        }
        start = next;
    }
    PyMem_Free(scratch.data);
    PyBuffer_Release(&view);
    return PyBool_FromLong(ok);
}

/* str.isspace among ASCII bytes, what str.strip removes */
static int ascii_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f); }

static int put_span(Offsets *bounds, Py_ssize_t a, Py_ssize_t b) {
    return put(bounds, (uint32_t)a) < 0 || put(bounds, (uint32_t)b) < 0 ? -1 : 0;
}

/* One combo line, s[a:b] without its line end, as combo.read_combo reads it: no record when it
 * is blank; else split_combo's cells, or the stripped line as one cell of free text. Returns the
 * number of cells put, or -1 on error. */
static Py_ssize_t combo_line(const char *s, Py_ssize_t a, Py_ssize_t b, Offsets *bounds) {
    Py_ssize_t lead = a, trail = b;
    while (lead < trail && ascii_space((unsigned char)s[lead])) lead++;
    while (trail > lead && ascii_space((unsigned char)s[trail - 1])) trail--;
    if (lead == trail) return 0;
    const char *at_p = memchr(s + a, '@', (size_t)(b - a));
    Py_ssize_t at = at_p ? at_p - s - a : -1, cut = -1;
    if (at > 0) {  /* the first of ':', ';', '|' after the '@' */
        for (Py_ssize_t i = a + at + 1; i < b && cut < 0; i++)
            if (s[i] == ':' || s[i] == ';' || s[i] == '|') cut = i;
    }
    if (cut >= 0) {
        /* email = line[:cut].strip(); refused with a space in it or no '.' in email[at:] */
        Py_ssize_t e0 = a, e1 = cut;
        while (e0 < e1 && ascii_space((unsigned char)s[e0])) e0++;
        while (e1 > e0 && ascii_space((unsigned char)s[e1 - 1])) e1--;
        int dot = 0, space = memchr(s + e0, ' ', (size_t)(e1 - e0)) != NULL;
        for (Py_ssize_t i = e0 + at; i < e1; i++) dot |= s[i] == '.';
        if (!space && dot) {
            if (put_span(bounds, e0, e1) < 0) return -1;
            Py_ssize_t cells = 1, f = cut + 1;
            char sep = s[cut];
            for (;;) {
                const char *d = memchr(s + f, sep, (size_t)(b - f));
                Py_ssize_t g = d ? d - s : b;
                if (put_span(bounds, f, g) < 0) return -1;
                cells++;
                if (!d) break;
                f = g + 1;
            }
            return cells;
        }
    }
    return put_span(bounds, lead, trail) < 0 ? -1 : 1;  /* chatter: free text */
}

PyDoc_STRVAR(cut_combo_doc,
"cut_combo(data, longest, max_cells)\n--\n\n"
"The cells of a combo list's lines, as combo.read_combo reads them: (rows, bounds, odd) as cut\n"
"gives them (odd is empty); None where Python must read them: a byte beyond ASCII (str.strip\n"
"knows more white space), a NUL, a CR that is not part of CRLF, a line longer than longest\n"
"bytes, a record of more than max_cells cells.");

static PyObject *cut_combo(PyObject *module, PyObject *args) {
    Py_buffer view;
    Py_ssize_t longest, max_cells;
    if (!PyArg_ParseTuple(args, "y*nn:cut_combo", &view, &longest, &max_cells)) return NULL;
    const char *s = view.buf;
    Py_ssize_t n = view.len;
    Offsets rows = {0}, bounds = {0}, odd = {0};
    PyObject *result = NULL;
    int plain = n < (Py_ssize_t)UINT32_MAX;
    for (Py_ssize_t i = 0; plain && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        plain = c != 0 && c < 0x80 && (c != '\r' || (i + 1 < n && s[i + 1] == '\n'));
    }
    Py_ssize_t start = 0;
    while (plain && start < n) {
        const char *lf = memchr(s + start, '\n', (size_t)(n - start));
        Py_ssize_t stop = lf ? lf - s : n, next = stop + 1;
        if (stop > start && s[stop - 1] == '\r') stop--;
        if (stop - start > longest) {
            plain = 0;
            break;
        }
        size_t first = bounds.len;
        Py_ssize_t cells = combo_line(s, start, stop, &bounds);
        if (cells < 0) goto done;
        if (cells > max_cells) {
            plain = 0;
            break;
        }
        if (cells > 0 && put(&rows, (uint32_t)(first / 2)) < 0) goto done;
        start = next;
    }
    result = spans_result(plain, &rows, &bounds, &odd);
done:
    PyMem_Free(rows.data);
    PyMem_Free(bounds.data);
    PyMem_Free(odd.data);
    PyBuffer_Release(&view);
    return result;
}

/* The end of a quoted token ('...' and "..." with backslash escapes and doubled quotes, `...`
 * with doubled backquotes) starting at s[i], as sql.py's regexes take it: the index after its
 * closing quote, or -1 when it does not end within the data. */
static Py_ssize_t sql_quoted_end(const char *s, Py_ssize_t n, Py_ssize_t i) {
    char q = s[i];
    int backslash = q != '`';
    for (Py_ssize_t k = i + 1; k < n; k++) {
        if (backslash && s[k] == '\\') {
            k++;  /* the escaped character, whatever it is */
            continue;
        }
        if (s[k] == q) {
            if (k + 1 < n && s[k + 1] == q) {
                k++;  /* a doubled quote: still inside */
                continue;
            }
            if (k + 1 == n) return -1;  /* a quote last: the next data could double it */
            return k + 1;
        }
    }
    return -1;
}

PyDoc_STRVAR(sql_cut_doc,
"sql_cut(data, longest)\n--\n\n"
"(cut, stop): where the last statement of data ends, after the line end that follows its ';'\n"
"outside strings, quoted names and comments, as readers/sql.py's tokenizer reads them (0: none\n"
"yet); stop is True when no block may be cut from here on: a COPY (its data lines follow), or a\n"
"string, name or comment longer than longest bytes (sql.py gives those out in pieces cut where\n"
"its buffer ends).");

static PyObject *sql_cut(PyObject *module, PyObject *args) {
    Py_buffer view;
    Py_ssize_t longest;
    if (!PyArg_ParseTuple(args, "y*n:sql_cut", &view, &longest)) return NULL;
    const char *s = view.buf;
    Py_ssize_t n = view.len, cut = 0, i = 0, depth = 0;
    /* ended: the last token was a ';' outside parentheses. Inside them sql.py's reader is still in
     * a tuple, a column list or a CREATE TABLE (one left open swallows the statements after it). */
    int ended = 0, stop = 0;
    while (i < n && !stop) {
        char c = s[i];
        if (c == '\'' || c == '"' || c == '`') {
            Py_ssize_t end = sql_quoted_end(s, n, i);
            if (end < 0) break;  /* runs on past the data */
            stop = end - i > longest;
            i = end;
            ended = 0;
        } else if (c == '#' || (c == '-' && i + 1 < n && s[i + 1] == '-')) {
            const char *lf = memchr(s + i, '\n', (size_t)(n - i));
            if (!lf) break;
            stop = lf - (s + i) > longest;
            i = lf - s + 1;  /* the comment takes its line end */
            if (ended) cut = i;
        } else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
            Py_ssize_t k = i + 2;
            while (k + 1 < n && !(s[k] == '*' && s[k + 1] == '/')) k++;
            if (k + 1 >= n) break;  /* not closed within the data: maybe later */
            stop = k + 2 - i > longest;
            i = k + 2;
        } else if (c == ';') {
            ended = depth == 0;
            i++;
        } else if (c == '\n') {
            if (ended) cut = i + 1;
            i++;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            i++;
        } else {
            /* COPY, in any case, wherever it stands outside quotes: its data lines are no SQL */
            if ((c == 'c' || c == 'C') && i + 3 < n && (s[i + 1] | 0x20) == 'o' && (s[i + 2] | 0x20) == 'p' &&
                (s[i + 3] | 0x20) == 'y')
                stop = 1;
            if (c == '(') depth++;
            else if (c == ')' && depth > 0) depth--;  /* a stray one at the top is junk to the reader */
            ended = 0;
            i++;
        }
    }
    PyBuffer_Release(&view);
    return Py_BuildValue("(nO)", cut, stop ? Py_True : Py_False);
}

static PyMethodDef methods[] = {
    {"cut", cut, METH_VARARGS, cut_doc},
    {"closed", closed, METH_VARARGS, closed_doc},
    {"cut_combo", cut_combo, METH_VARARGS, cut_combo_doc},
    {"sql_cut", sql_cut, METH_VARARGS, sql_cut_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_spans", "Delimited lines cut into cell spans.",
                                    -1, methods};

PyMODINIT_FUNC PyInit__spans(void) { return PyModule_Create(&module); }
