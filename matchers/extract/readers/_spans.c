/* Quote-free delimited lines (a RawBlock, blocks.py) cut into cells without making a str of
 * each: the byte offsets of every record's cells. The tokenizer (fingerprint/_tokenize.c)
 * reads the cells where they are and decodes only those it has not seen before.
 *
 * `cut` gives the records `_split_plain` gives, or None wherever that could differ or the
 * block is not plain: a NUL, a CR that is not part of CRLF, a line longer than `longest`
 * bytes (the limits count characters: a byte count over the limit may still be read by
 * Python), a record of more than `max_cells` cells (the document splits those). Cutting at
 * ASCII bytes (the delimiter, LF) is cutting at characters in every encoding blocks are made
 * for (blocks.BLOCK_ENCODINGS): in UTF-8 no byte of a multi-byte character is ASCII.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_offsets.h"

PyDoc_STRVAR(cut_doc,
"cut(data, delimiter, longest, max_cells)\n--\n\n"
"The cells of quote-free lines: (rows, bounds) as bytes of native uint32, rows holding the\n"
"index of each record's first cell and one past the last record's, bounds a (start, end)\n"
"byte offset pair per cell; None where split_plain's records could differ (see the file).");

static PyObject *cut(PyObject *module, PyObject *args) {
    Py_buffer view;
    int delimiter;
    Py_ssize_t longest, max_cells;
    if (!PyArg_ParseTuple(args, "y*Cnn:cut", &view, &delimiter, &longest, &max_cells)) return NULL;
    const char *s = view.buf;
    Py_ssize_t n = view.len;
    Offsets rows = {0}, bounds = {0};
    PyObject *result = NULL;
    int plain = delimiter > 0 && delimiter < 0x80 && delimiter != '\n' && delimiter != '\r' &&
                n < (Py_ssize_t)UINT32_MAX && !memchr(s, '\0', (size_t)n);
    for (const char *cr = s; plain && (cr = memchr(cr, '\r', (size_t)(s + n - cr))); cr++)
        plain = cr + 1 < s + n && cr[1] == '\n';
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
            if (put(&rows, (uint32_t)(bounds.len / 2)) < 0) goto done;
            Py_ssize_t cells = 0, a = start;
            for (;;) {
                const char *d = memchr(s + a, delimiter, (size_t)(stop - a));
                Py_ssize_t b = d ? d - s : stop;
                if (++cells > max_cells) {
                    plain = 0;
                    break;
                }
                if (put(&bounds, (uint32_t)a) < 0 || put(&bounds, (uint32_t)b) < 0) goto done;
                if (!d) break;
                a = b + 1;
            }
        }
        start = next;
    }
    if (!plain) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    if (put(&rows, (uint32_t)(bounds.len / 2)) < 0) goto done;
    result = Py_BuildValue("(NN)", as_bytes(&rows), as_bytes(&bounds));
done:
    PyMem_Free(rows.data);
    PyMem_Free(bounds.data);
    PyBuffer_Release(&view);
    return result;
}

static PyMethodDef methods[] = {
    {"cut", cut, METH_VARARGS, cut_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_spans", "Quote-free delimited lines cut into cell spans.",
                                    -1, methods};

PyMODINIT_FUNC PyInit__spans(void) { return PyModule_Create(&module); }
