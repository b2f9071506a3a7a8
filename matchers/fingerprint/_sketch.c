/* The MinHash update of a scan's sampled tokens in C: `sketch.update` (see sketch.py).
 *
 * datasketch's affine64 scheme: each token is mixed with MurmurHash3's 64-bit finalizer, then
 * every permutation p maps it to a[p] * h + b[p] (modulo 2**64) and keeps the smallest. numpy did
 * it by making a (tokens x 128) matrix and reducing it: three passes over memory for what is one
 * multiply-add-min in registers here. `sketch._update_numpy` is the reference it must agree with
 * (tests/fingerprint/test_sketch.py), and datasketch's update_batch that one's.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_uint64_buffer.h"

static inline uint64_t fmix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 33;
    return h;
}

/* Several clones, one chosen when the module loads: a CPU with AVX-512 multiplies eight 64-bit
 * lanes at once, any other runs the plain loop. Results are the same: integer arithmetic. */
__attribute__((target_clones("arch=x86-64-v4", "default")))
static void min_of_permutations(uint64_t *restrict values, const uint64_t *restrict a, const uint64_t *restrict b,
                                Py_ssize_t perms, const uint64_t *restrict tokens, Py_ssize_t n) {
    for (Py_ssize_t t = 0; t < n; t++) {
        uint64_t h = fmix64(tokens[t]);
        for (Py_ssize_t p = 0; p < perms; p++) {
            uint64_t v = a[p] * h + b[p];
            values[p] = v < values[p] ? v : values[p];
        }
    }
}

PyDoc_STRVAR(update_doc,
"update(values, a, b, tokens)\n--\n\n"
"Lower each of the uint64 array `values` to the least a[p] * fmix64(t) + b[p] over the uint64\n"
"array `tokens`, in place. a, b: the permutations, as many as values.");

static PyObject *update(PyObject *module, PyObject *args) {
    PyObject *values_obj, *a_obj, *b_obj, *tokens_obj;
    if (!PyArg_ParseTuple(args, "OOOO:update", &values_obj, &a_obj, &b_obj, &tokens_obj)) return NULL;
    Py_buffer vv, av, bv, tv;
    if (uint64_buffer(values_obj, &vv, PyBUF_WRITABLE, "values") < 0) return NULL;
    if (uint64_buffer(a_obj, &av, 0, "a") < 0) goto no_a;
    if (uint64_buffer(b_obj, &bv, 0, "b") < 0) goto no_b;
    if (uint64_buffer(tokens_obj, &tv, 0, "tokens") < 0) goto no_tokens;
    PyObject *result = NULL;
    Py_ssize_t perms = vv.len / 8;
    if (av.len / 8 != perms || bv.len / 8 != perms) {
        PyErr_SetString(PyExc_ValueError, "a and b must have one value per permutation");
    } else {
        Py_BEGIN_ALLOW_THREADS
        min_of_permutations(vv.buf, av.buf, bv.buf, perms, tv.buf, tv.len / 8);
        Py_END_ALLOW_THREADS
        result = Py_NewRef(Py_None);
    }
    PyBuffer_Release(&tv);
    PyBuffer_Release(&bv);
    PyBuffer_Release(&av);
    PyBuffer_Release(&vv);
    return result;
no_tokens:
    PyBuffer_Release(&bv);
no_b:
    PyBuffer_Release(&av);
no_a:
    PyBuffer_Release(&vv);
    return NULL;
}

static PyMethodDef methods[] = {
    {"update", update, METH_VARARGS, update_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_sketch", "The MinHash update in C.", -1, methods};

PyMODINIT_FUNC PyInit__sketch(void) { return PyModule_Create(&module); }
