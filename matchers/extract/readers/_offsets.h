/* A growing array of uint32 offsets, given to Python as bytes of native uint32: the cells'
 * offsets that _spans.c and _text.c give for a CellSpans (spans.py). */
#ifndef LEAKWATCH_OFFSETS_H
#define LEAKWATCH_OFFSETS_H

#include <Python.h>
#include <stdint.h>

typedef struct {
    uint32_t *data;
    size_t len, cap;
} Offsets;

static inline int put(Offsets *o, uint32_t value) {
    if (o->len == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 4096;
        uint32_t *data = PyMem_Realloc(o->data, cap * sizeof(uint32_t));
        if (!data) { PyErr_NoMemory(); return -1; }
        o->data = data;
        o->cap = cap;
    }
    o->data[o->len++] = value;
    return 0;
}

static inline PyObject *as_bytes(const Offsets *o) {
    return PyBytes_FromStringAndSize(o->data ? (const char *)o->data : "", (Py_ssize_t)(o->len * sizeof(uint32_t)));
}

#endif
