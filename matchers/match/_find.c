/* The index lookup's inner loop in C: `index._find` for sorted queries.
 *
 * Both arrays are sorted, so the walk only goes forward: from where the last query ended, it
 * gallops (1, 2, 4... entries ahead) past the smaller tokens, then bisects the last step. With
 * n tokens and q queries that is about 2 log2(n/q) steps a query, all near the last one, against
 * log2(n) steps over the whole array for numpy's searchsorted (20 for a million tokens).
 * `index._find_numpy` is the reference it must agree with (tests/match/test_find.py).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "_uint64_buffer.h"

typedef struct {
    int64_t *data;
    Py_ssize_t len, cap;
} Out;

/* Runs without the GIL: plain realloc, and -1 for the caller to raise MemoryError. */
static int out_put(Out *o, int64_t value) {
    if (o->len == o->cap) {
        Py_ssize_t cap = o->cap ? o->cap * 2 : 1024;
        int64_t *data = realloc(o->data, (size_t)cap * sizeof(int64_t));
        if (!data) return -1;
        o->data = data;
        o->cap = cap;
    }
    o->data[o->len++] = value;
    return 0;
}

static PyObject *bytes_of(Out *o) {
    return PyBytes_FromStringAndSize(o->data ? (const char *)o->data : "", o->len * (Py_ssize_t)sizeof(int64_t));
}

/* Every entry from `e` on equal to query `x` (the i-th), as (i, entry) pairs; -1: out of memory. */
static int put_equal(Out *hits, Out *entries, const uint64_t *tokens, Py_ssize_t n, Py_ssize_t e, uint64_t x,
                     Py_ssize_t i) {
    for (; e < n && tokens[e] == x; e++)
        if (out_put(hits, i) < 0 || out_put(entries, e) < 0) return -1;
    return 0;
}

/* The (hits, entries) pair of bytes objects, or MemoryError; frees both either way. */
static PyObject *pairs_of(Out *hits, Out *entries, int no_memory) {
    PyObject *result = no_memory ? PyErr_NoMemory() : Py_BuildValue("(NN)", bytes_of(hits), bytes_of(entries));
    free(hits->data);
    free(entries->data);
    return result;
}

PyDoc_STRVAR(find_doc,
"find(tokens, ordered)\n--\n\n"
"Every equal pair of the sorted uint64 arrays `tokens` and `ordered`: (position in ordered,\n"
"position in tokens), as two bytes objects of int64, by query then entry.");

static PyObject *find(PyObject *module, PyObject *args) {
    PyObject *tokens_obj, *ordered_obj;
    if (!PyArg_ParseTuple(args, "OO:find", &tokens_obj, &ordered_obj)) return NULL;
    Py_buffer tv, qv;
    if (uint64_buffer(tokens_obj, &tv, 0, "tokens") < 0) return NULL;
    if (uint64_buffer(ordered_obj, &qv, 0, "ordered") < 0) {
        PyBuffer_Release(&tv);
        return NULL;
    }
    const uint64_t *tokens = tv.buf, *ordered = qv.buf;
    Py_ssize_t n = tv.len / 8, q = qv.len / 8, p = 0;
    Out hits = {0}, entries = {0};
    PyObject *result = NULL;
    int no_memory = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < q && p < n; i++) {
        uint64_t x = ordered[i];
        if (tokens[p] < x) {
            /* tokens[lo] < x; gallop until tokens[hi] >= x or hi == n, then bisect (lo, hi]. */
            Py_ssize_t lo = p, step = 1, hi = p + 1;
            while (hi < n && tokens[hi] < x) {
                lo = hi;
                step <<= 1;
                hi = p + step;
            }
            if (hi > n) hi = n;
            while (hi - lo > 1) {
                Py_ssize_t mid = lo + (hi - lo) / 2;
                if (tokens[mid] < x) lo = mid;
                else hi = mid;
            }
            p = hi;
        }
        if (put_equal(&hits, &entries, tokens, n, p, x, i) < 0) {
            no_memory = 1;  /* stop; MemoryError is raised below */
            break;
        }
    }
    Py_END_ALLOW_THREADS
    result = pairs_of(&hits, &entries, no_memory);
    PyBuffer_Release(&tv);
    PyBuffer_Release(&qv);
    return result;
}

/* ------------------------------------------------------------------ probe
 *
 * The same pairs for queries in any order, without sorting them: the tokens are keyed hashes,
 * spread evenly over 64 bits, so a directory of where each value of their top `bits` bits starts
 * sends a query to the few entries that can hold it. Each query then costs a read of the
 * directory and one of the tokens, both at random places: the loop asks for those of the
 * queries a few steps ahead (prefetch) so that the memory answers many at once.
 */

PyDoc_STRVAR(directory_doc,
"directory(tokens, bits)\n--\n\n"
"For the sorted uint64 array `tokens`: (2**bits + 1) int64 positions as bytes, the k-th the first\n"
"token whose top `bits` bits are k or more (the last one len(tokens)).");

static PyObject *directory(PyObject *module, PyObject *args) {
    PyObject *tokens_obj;
    int bits;
    if (!PyArg_ParseTuple(args, "Oi:directory", &tokens_obj, &bits)) return NULL;
    if (bits < 1 || bits > 30) {
        PyErr_SetString(PyExc_ValueError, "bits must be 1 to 30");
        return NULL;
    }
    Py_buffer tv;
    if (uint64_buffer(tokens_obj, &tv, 0, "tokens") < 0) return NULL;
    const uint64_t *tokens = tv.buf;
    Py_ssize_t n = tv.len / 8, size = ((Py_ssize_t)1 << bits) + 1;
    PyObject *out = PyBytes_FromStringAndSize(NULL, size * (Py_ssize_t)sizeof(int64_t));
    if (out) {
        int64_t *dir = (int64_t *)PyBytes_AS_STRING(out);
        int shift = 64 - bits;
        Py_ssize_t k = 0;
        for (Py_ssize_t p = 0; p < n; p++) {
            Py_ssize_t top = (Py_ssize_t)(tokens[p] >> shift);
            while (k <= top) dir[k++] = p;
        }
        while (k < size) dir[k++] = n;
    }
    PyBuffer_Release(&tv);
    return out;
}

#define AHEAD 16  /* queries between asking for a directory entry and reading it */

PyDoc_STRVAR(probe_doc,
"probe(tokens, directory, bits, queries)\n--\n\n"
"Every equal pair of the sorted uint64 array `tokens` (with its `directory`) and the uint64 array\n"
"`queries`, in any order: (position in queries, position in tokens), as two bytes objects of\n"
"int64, by query then entry.");

static PyObject *probe(PyObject *module, PyObject *args) {
    PyObject *tokens_obj, *dir_obj, *queries_obj;
    int bits;
    if (!PyArg_ParseTuple(args, "OOiO:probe", &tokens_obj, &dir_obj, &bits, &queries_obj)) return NULL;
    if (bits < 1 || bits > 30) {
        PyErr_SetString(PyExc_ValueError, "bits must be 1 to 30");
        return NULL;
    }
    Py_buffer tv, dv, qv;
    if (uint64_buffer(tokens_obj, &tv, 0, "tokens") < 0) return NULL;
    if (PyObject_GetBuffer(dir_obj, &dv, PyBUF_C_CONTIGUOUS) < 0) {
        PyBuffer_Release(&tv);
        return NULL;
    }
    if (uint64_buffer(queries_obj, &qv, 0, "queries") < 0) {
        PyBuffer_Release(&dv);
        PyBuffer_Release(&tv);
        return NULL;
    }
    const uint64_t *tokens = tv.buf, *queries = qv.buf;
    const int64_t *dir = dv.buf;
    Py_ssize_t n = tv.len / 8, q = qv.len / 8, size = ((Py_ssize_t)1 << bits) + 1;
    int shift = 64 - bits;
    PyObject *result = NULL;
    if (dv.len != size * (Py_ssize_t)sizeof(int64_t) || (n && dir[size - 1] != n)) {
        PyErr_SetString(PyExc_ValueError, "the directory is not one of these tokens");
        goto done;
    }
    Out hits = {0}, entries = {0};
    int no_memory = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < q && n; i++) {
        if (i + AHEAD < q) __builtin_prefetch(&dir[queries[i + AHEAD] >> shift]);
        if (i + AHEAD / 2 < q) {
            Py_ssize_t at = dir[queries[i + AHEAD / 2] >> shift];
            if (at < n) __builtin_prefetch(&tokens[at]);
        }
        uint64_t x = queries[i];
        Py_ssize_t k = (Py_ssize_t)(x >> shift), lo = dir[k], hi = dir[k + 1];
        /* lo, hi from the directory, checked: a position out of the tokens is never read */
        if (lo < 0 || hi > n || lo > hi) { lo = 0; hi = n; }
        while (hi - lo > 8) {  /* a crowded bucket (a token many records share): bisect */
            Py_ssize_t mid = lo + (hi - lo) / 2;
            if (tokens[mid] < x) lo = mid + 1;
            else hi = mid;
        }
        while (lo < n && tokens[lo] < x) lo++;
        if (put_equal(&hits, &entries, tokens, n, lo, x, i) < 0) {
            no_memory = 1;
            break;
        }
    }
    Py_END_ALLOW_THREADS
    result = pairs_of(&hits, &entries, no_memory);
done:
    PyBuffer_Release(&qv);
    PyBuffer_Release(&dv);
    PyBuffer_Release(&tv);
    return result;
}

static PyMethodDef methods[] = {
    {"find", find, METH_VARARGS, find_doc},
    {"directory", directory, METH_VARARGS, directory_doc},
    {"probe", probe, METH_VARARGS, probe_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_find", "The index lookup's inner loop in C.", -1, methods};

PyMODINIT_FUNC PyInit__find(void) { return PyModule_Create(&module); }
