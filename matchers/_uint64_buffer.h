/* The check both the index lookup (match/_find.c) and the sketch (fingerprint/_sketch.c) make of
 * the numpy arrays they are given: C-contiguous, 8-byte unsigned integers in native order. Other
 * arrays are refused with a TypeError, never read as something else. */
#ifndef LEAKWATCH_UINT64_BUFFER_H
#define LEAKWATCH_UINT64_BUFFER_H

#include <Python.h>
#include <string.h>

/* `flags`: PyBUF_WRITABLE for an array written in place, else 0. */
static int uint64_buffer(PyObject *obj, Py_buffer *view, int flags, const char *name) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | flags) < 0) return -1;
    size_t flen = view->format ? strlen(view->format) : 0;
    char code = flen ? view->format[flen - 1] : 0;
    if (view->itemsize != 8 || (code != 'Q' && code != 'L') || (flen == 2 && view->format[0] == '>') || flen > 2) {
        PyErr_Format(PyExc_TypeError, "%s must be a contiguous array of uint64", name);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

#endif
