/* The scan's hot loop in C: `Tokenizer.batch` (tokens.py) for a batch of records.
 *
 * It does what `Tokenizer._batch_python` does, token for token, so that the Python version stays
 * the reference (tests/fingerprint/test_native.py compares the two; the records' tokens interleave
 * differently, see Batcher_batch):
 *   - NIR, e-mail and phone columns are normalized here when the value is ASCII; anything else
 *     goes to the Python normalizer, so Unicode digits and no-break spaces behave as in Python;
 *   - other cells are classified by Python (`Tokenizer.classify`, cached) and their kinds are
 *     read here;
 *   - every token is a keyed BLAKE2b-64, as keyed.py: a batch's token messages are made first, then
 *     hashed four at a time (_blake2b_lanes.h) where that gives libb2's digests, else by libb2.
 * The records come as lists of str (`batch`) or as the spans of their cells in a block's bytes
 * or text (`batch_spans`, extract/readers/spans.py): those cells are looked up by their bytes
 * and made str only when not seen before. Tokenizer.classify is here too (`classify`).
 * No raw value leaves this file except as a keyed hash.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <blake2.h>
#include <stdint.h>
#include <string.h>

#include "_blake2b_lanes.h"

enum { K_OTHER, K_NIR, K_EMAIL, K_PHONE, K_DATE, K_POSTCODE, K_NAME, K_DOCTOR, K_BLOOD, K_HEALTH, K_TEXT, N_KINDS };
enum { T_NIR = 1, T_EMAIL = 2, T_PHONE = 3, T_NAME_DOB = 4, T_DOB_POSTCODE = 5 };
enum { COL_CELLS = 0, COL_EVENT = 8, COL_TEXT = 9 };
static PyObject *EMPTY;  /* "" */  /* column plans besides the strong codes 1..3 */
#define MAX_WORDS 12
#define MAX_DATES 3
#define DIGEST 8
#define BLOCK_ROWS 128

_Static_assert(sizeof(blake2b_param) == 64, "blake2b_param must be the 64-byte parameter block");

typedef struct {
    char *data;
    size_t len, cap;
} Buf;

static int buf_reserve(Buf *b, size_t more) {
    if (b->len + more <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more) cap *= 2;
    char *data = PyMem_Realloc(b->data, cap);
    if (!data) { PyErr_NoMemory(); return -1; }
    b->data = data;
    b->cap = cap;
    return 0;
}

static int buf_put(Buf *b, const void *src, size_t n) {
    if (buf_reserve(b, n) < 0) return -1;
    memcpy(b->data + b->len, src, n);
    b->len += n;
    return 0;
}

typedef struct {
    PyObject_HEAD
    blake2b_state base;        /* keyed with the deployment key: copied for every token */
    int lanes;                 /* b2_lanes gives base's digests here: tokens of a block or less are hashed four at a time */
    PyObject *kinds[N_KINDS];  /* the Cell kind strings of cells.py, in enum order */
    uint16_t bits[N_KINDS];    /* FIELD_BIT of each kind */
    PyObject *classify_text;   /* cells.classify: a free-text cell that may hold an identifier */
    PyObject *may_hold_id;     /* the regex test of tokens._MAY_HOLD_ID, for non-ASCII text */
    PyObject *plain_text, *nothing;  /* Cell(TEXT), Cell(OTHER) */
    PyObject *normalizers[4];  /* Python normalize_nir / _email / _phone, by token code */
    PyObject *cell_type;       /* cells.Cell */
    PyObject *empty_found;     /* (): a Cell's `found` when nothing was found inside it */
    /* For names and text (set_names): normalize.names.PARTICLES, and cells.HEALTH_STEMS and
     * cells.TITLES as one buffer each (word_list). particles NULL until set:
     * then every name is classified by Python. */
    PyObject *particles;
    char *health_stems, *titles;
    PyObject *piece_numbers[4];  /* the ints 0..3 of a name word's piece number */
    /* The Cells of cells read as bytes (batch_spans), by their bytes: see SpanCache below. */
    struct SpanCache *spans;
    /* classify's cache (Tokenizer._cache, set_cache): str -> Cell, values of at most
     * cache_max_chars characters, emptied at cache_limit. NULL until set. */
    PyObject *cache;
    Py_ssize_t cache_max_chars, cache_limit;
} Batcher;

/* ---------- normalizers (ASCII only; the Python ones are the reference) ---------- */

static inline int is_digit(char c) { return c >= '0' && c <= '9'; }

static int all_digits(const char *s, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++)
        if (!is_digit(s[i])) return 0;
    return 1;
}

static int month_ok(int m) { return (1 <= m && m <= 12) || (20 <= m && m <= 42) || (50 <= m && m <= 99); }

static int first_ok(char c) { return c == '1' || c == '2' || c == '3' || c == '4' || c == '7' || c == '8'; }

static int plausible_body(const char *b) {
    if (!first_ok(b[0]) || !all_digits(b + 1, 4) || !all_digits(b + 7, 6)) return 0;
    if (!(all_digits(b + 5, 2) || (b[5] == '2' && (b[6] == 'A' || b[6] == 'B')))) return 0;
    return month_ok((b[3] - '0') * 10 + (b[4] - '0'));
}

static int nir_key(const char *b) {
    uint64_t v = 0;
    for (int i = 0; i < 13; i++) {
        int d;
        if (i == 5 && b[5] == '2' && b[6] == 'A') d = 1;          /* 2A counts as 19 */
        else if (i == 6 && b[5] == '2' && b[6] == 'A') d = 9;
        else if (i == 5 && b[5] == '2' && b[6] == 'B') d = 1;     /* 2B counts as 18 */
        else if (i == 6 && b[5] == '2' && b[6] == 'B') d = 8;
        else d = b[i] - '0';
        v = v * 10 + (uint64_t)d;
    }
    return (int)(97 - v % 97);
}

/* Returns the normalized length written to out, or -1 for "not a NIR". */
static Py_ssize_t norm_nir(const char *s, Py_ssize_t n, char *out) {
    if (n == 15 && all_digits(s, 15)) {
        if (!first_ok(s[0]) || !month_ok((s[3] - '0') * 10 + (s[4] - '0'))) return -1;
        if (nir_key(s) != (s[13] - '0') * 10 + (s[14] - '0')) return -1;
        memcpy(out, s, 13);
        return 13;
    }
    char c[16];
    Py_ssize_t m = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == ' ' || ch == '.' || ch == '-' || ch == '_' || ch == '/') continue;
        if (m == 16) return -1;  /* longer than any NIR */
        c[m++] = (ch >= 'a' && ch <= 'z') ? (char)(ch - 32) : ch;
    }
    if (m == 15) {
        if (!is_digit(c[13]) || !is_digit(c[14]) || !plausible_body(c)) return -1;
        if (nir_key(c) != (c[13] - '0') * 10 + (c[14] - '0')) return -1;
        memcpy(out, c, 13);
        return 13;
    }
    if (m == 13 && plausible_body(c)) {
        memcpy(out, c, 13);
        return 13;
    }
    return -1;
}

static Py_ssize_t norm_phone(const char *s, Py_ssize_t n, char *out) {
    char c[64];
    Py_ssize_t m = 0;
    if (n == 14 && s[2] == ' ' && s[0] == '0' && s[1] != '0') {
        for (Py_ssize_t i = 0; i < n; i++)
            if (s[i] != ' ') c[m++] = s[i];
        if (m != 10 || !all_digits(c, 10)) return -1;
        out[0] = '+'; out[1] = '3'; out[2] = '3';
        memcpy(out + 3, c + 1, 9);
        return 12;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == ' ' || ch == '.' || ch == '-' || ch == '(' || ch == ')' || ch == '/') continue;
        if (m == 40) return -1;  /* no valid number has this many characters left */
        c[m++] = ch;
    }
    char d[64];
    Py_ssize_t k;
    if (m >= 1 && c[0] == '+') {
        k = m - 1; memcpy(d, c + 1, k);
    } else if (m >= 2 && c[0] == '0' && c[1] == '0') {
        k = m - 2; memcpy(d, c + 2, k);
    } else if (m == 10 && c[0] == '0' && c[1] != '0') {
        d[0] = '3'; d[1] = '3'; memcpy(d + 2, c + 1, 9); k = 11;
    } else {
        return -1;
    }
    if (k == 0 || !all_digits(d, k)) return -1;
    if (k == 12 && d[0] == '3' && d[1] == '3' && d[2] == '0') {  /* '+33 (0)6 ...' */
        memmove(d + 2, d + 3, 9);
        k = 11;
    }
    if (k >= 2 && d[0] == '3' && d[1] == '3') {
        if (k != 11 || d[2] == '0') return -1;
    } else if (k < 8 || k > 15) {
        return -1;
    }
    out[0] = '+';
    memcpy(out + 1, d, k);
    return k + 1;
}

static int py_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f); }
static int quote(char c) { return c == '<' || c == '>' || c == '"' || c == '\''; }
static int local_char(char c) {
    return (c >= 'a' && c <= 'z') || is_digit(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '\'';
}
static int label_char(char c) { return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-'; }

/* out must hold n bytes. */
static Py_ssize_t norm_email(const char *s, Py_ssize_t n, char *out) {
    Py_ssize_t a = 0, b = n;
    while (a < b && py_space(s[a])) a++;
    while (b > a && py_space(s[b - 1])) b--;
    while (a < b && quote(s[a])) a++;
    while (b > a && quote(s[b - 1])) b--;
    Py_ssize_t m = b - a, at = -1;
    for (Py_ssize_t i = 0; i < m; i++) {
        char ch = s[a + i];
        out[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
        if (out[i] == '@') {
            if (at >= 0) return -1;
            at = i;
        }
    }
    if (at < 1) return -1;
    for (Py_ssize_t i = 0; i < at; i++)
        if (!local_char(out[i])) return -1;
    /* domain: two labels or more of [a-z0-9-]+ separated by dots, the last one [a-z]{2,24} */
    Py_ssize_t labels = 0, start = at + 1;
    for (Py_ssize_t i = at + 1; i <= m; i++) {
        if (i == m || out[i] == '.') {
            if (i == start) return -1;
            labels++;
            if (i == m) {
                Py_ssize_t len = i - start;
                if (len < 2 || len > 24) return -1;
                for (Py_ssize_t j = start; j < i; j++)
                    if (!(out[j] >= 'a' && out[j] <= 'z')) return -1;
            }
            start = i + 1;
        } else if (!label_char(out[i])) {
            return -1;
        }
    }
    return labels >= 2 ? m : -1;
}

static int date_sep(char c) { return c == '/' || c == '-' || c == '.' || c == ' '; }

static Py_ssize_t iso_date(int y, int m, int d, char *out) {
    static const int days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!(1 <= m && m <= 12 && 1 <= d && d <= days[m - 1] && 1850 <= y && y <= 2100)) return -1;
    if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) return -1;
    /* "%04d-%02d-%02d" without snprintf, which was a measurable share of a scan */
    const char digits[10] = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9'};
    out[0] = digits[y / 1000]; out[1] = digits[y / 100 % 10]; out[2] = digits[y / 10 % 10]; out[3] = digits[y % 10];
    out[4] = '-'; out[5] = digits[m / 10]; out[6] = digits[m % 10];
    out[7] = '-'; out[8] = digits[d / 10]; out[9] = digits[d % 10];
    out[10] = '\0';
    return 10;
}

static int digits_run(const char *s, Py_ssize_t n, Py_ssize_t *i, int max, int *value) {
    int len = 0;
    *value = 0;
    while (*i < n && is_digit(s[*i]) && len <= max) {
        *value = *value * 10 + (s[*i] - '0');
        len++;
        (*i)++;
    }
    return len;
}

/* normalize_date for the numeric form only (date.py's _NUMERIC: '05/12/1961', '1961-12-05',
 * '5.12.61'), on a stripped ASCII value; -1 for anything else, which Python then reads. */
static Py_ssize_t norm_numeric_date(const char *s, Py_ssize_t n, char *out) {
    Py_ssize_t i = 0;
    int a, b, c;
    int la = digits_run(s, n, &i, 4, &a);
    if (la < 1 || la > 4 || i >= n || !date_sep(s[i++])) return -1;
    int lb = digits_run(s, n, &i, 2, &b);
    if (lb < 1 || lb > 2 || i >= n || !date_sep(s[i++])) return -1;
    int lc = digits_run(s, n, &i, 4, &c);
    if (lc < 1 || lc > 4 || i != n) return -1;
    if (la == 4) return iso_date(a, b, c, out);
    int year = lc == 4 ? c : lc == 2 ? (c <= 30 ? 2000 + c : 1900 + c) : -1;
    if (b > 12 && a <= 12) return iso_date(year, a, b, out);
    return iso_date(year, b, a, out);
}

/* Where date.py's _TIME_SUFFIX (`[t ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(z|[+\-]\d{2}:?\d{2})?$`, on the
 * lower-cased text) starts in s, or n when it matches nowhere: the leftmost start, as re.sub takes. */
static Py_ssize_t time_suffix_at(const char *s, Py_ssize_t n) {
    for (Py_ssize_t p = 0; p < n; p++) {
        if (s[p] != ' ' && s[p] != 't' && s[p] != 'T') continue;
        Py_ssize_t i = p + 1, k = 0;
        while (k < 2 && i < n && is_digit(s[i])) { i++; k++; }
        if (k < 1 || i >= n || s[i] != ':') continue;
        i++;
        if (!(i + 1 < n && is_digit(s[i]) && is_digit(s[i + 1]))) continue;
        i += 2;
        if (i + 2 < n && s[i] == ':' && is_digit(s[i + 1]) && is_digit(s[i + 2])) {
            i += 3;
            if (i + 1 < n && s[i] == '.' && is_digit(s[i + 1])) {
                i += 2;
                while (i < n && is_digit(s[i])) i++;
            }
        }
        if (i < n && (s[i] == 'z' || s[i] == 'Z')) {
            i++;
        } else if (i < n && (s[i] == '+' || s[i] == '-')) {
            Py_ssize_t j = i + 1;
            if (j + 1 < n && is_digit(s[j]) && is_digit(s[j + 1])) {
                j += 2;
                if (j < n && s[j] == ':') j++;
                if (j + 1 < n && is_digit(s[j]) && is_digit(s[j + 1])) i = j + 2;
            }
        }
        if (i == n) return p;
    }
    return n;
}

/* normalize_date for the forms read here: eight digits ('19611205', '05121961') and the numeric
 * form, with or without a time ('18/06/2018 08:25', '2018-06-18T08:25:00Z'); -1 for anything else,
 * which Python then reads. s is stripped ASCII. */
static Py_ssize_t norm_date(const char *s, Py_ssize_t n, char *out) {
    if (n == 8 && all_digits(s, n)) {
        int v[8];
        for (int i = 0; i < 8; i++) v[i] = s[i] - '0';
        Py_ssize_t m = iso_date(v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3], v[4] * 10 + v[5], v[6] * 10 + v[7], out);
        return m >= 0 ? m : iso_date(v[4] * 1000 + v[5] * 100 + v[6] * 10 + v[7], v[2] * 10 + v[3], v[0] * 10 + v[1], out);
    }
    return norm_numeric_date(s, time_suffix_at(s, n), out);
}

/* tokens._MAY_HOLD_ID = re.compile(r"@|\d{4}|\d[\d .\-/]{7,}").search, for one-byte (Latin-1) text */
static int may_hold_id(const char *s, Py_ssize_t n) {
    Py_ssize_t run = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (s[i] == '@') return 1;
        run = is_digit(s[i]) ? run + 1 : 0;
        if (run >= 4) return 1;
    }
    for (Py_ssize_t i = 0; i + 7 < n; i++) {
        if (!is_digit(s[i])) continue;
        Py_ssize_t j = 1;
        while (j <= 7) {
            char c = s[i + j];
            if (!(is_digit(c) || c == ' ' || c == '.' || c == '-' || c == '/')) break;
            j++;
        }
        if (j > 7) return 1;
    }
    return 0;
}

static void digest_of(const blake2b_state *base, const uint8_t *text, size_t len, uint8_t out[DIGEST]);

/* ---------- the cells of cells read as bytes ---------- */

/* classify's cache (tokens.Tokenizer._cache) is a dict of str: a cell read from a block's bytes
 * (batch_spans) would need a str made just to look it up. This one is looked up with the bytes.
 * The bytes stand for the str they decode to under one encoding and error handler: it is
 * emptied when a block comes with others. Bounded like classify's: at most SPAN_CACHE_LIMIT
 * cells of at most SPAN_CACHE_BYTES bytes (names, dates, cities repeat; long text rarely does),
 * then emptied. The hash is seeded from the deployment key and a lookup probes at most
 * SPAN_PROBES slots, so values made to collide cost a few comparisons, not a scan of the table. */
#define SPAN_CACHE_LIMIT 250000
#define SPAN_CACHE_BYTES 48
#define SPAN_PROBES 32
#define SPAN_CACHE_SLOTS (1u << 19)  /* the table's most slots: twice the limit, rounded up */

typedef struct {
    uint64_t hash;
    uint32_t at, len;  /* the key: keys[at:at + len] */
    PyObject *cell;    /* NULL: a free slot */
} SpanSlot;

struct SpanCache {
    uint64_t seed;
    SpanSlot *slots;
    size_t n_slots, used;
    char *keys;
    size_t keys_len, keys_cap;
    char codec[64];  /* encoding NUL errors of the bytes the keys are */
};

static uint64_t mix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

static uint64_t span_hash(uint64_t seed, const char *s, size_t n) {
    uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = mix64(h ^ w);
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    return mix64(h ^ w ^ 0x5bd1e995ULL);
}

static void span_cache_clear(struct SpanCache *c) {
    for (size_t k = 0; k < c->n_slots; k++) Py_CLEAR(c->slots[k].cell);
    c->used = 0;
    c->keys_len = 0;
}

static void span_cache_free(struct SpanCache *c) {
    if (!c) return;
    span_cache_clear(c);
    PyMem_Free(c->slots);
    PyMem_Free(c->keys);
    PyMem_Free(c);
}

/* The cache for bytes of this codec: emptied if its keys were bytes of another. */
static int span_cache_for(struct SpanCache *c, const char *encoding, const char *errors) {
    size_t le = strlen(encoding), lr = strlen(errors);
    char codec[sizeof c->codec] = {0};
    if (le + lr + 2 > sizeof codec) return -1;  /* no such codec among the block encodings: no cache */
    memcpy(codec, encoding, le);
    memcpy(codec + le + 1, errors, lr);
    if (memcmp(codec, c->codec, sizeof codec) != 0) {
        span_cache_clear(c);
        memcpy(c->codec, codec, sizeof codec);
    }
    return 0;
}

/* Borrowed; NULL if not there. *hash: the bytes' hash if `hashed` (cell_column made it to fetch
 * the slot ahead), else made here (for span_cache_put, even when the cache is empty). */
static PyObject *span_cache_get(struct SpanCache *c, const char *s, Py_ssize_t n, uint64_t *hash, int hashed) {
    if (n > SPAN_CACHE_BYTES) return NULL;
    uint64_t h = hashed ? *hash : (*hash = span_hash(c->seed, s, (size_t)n));
    if (!c->n_slots) return NULL;
    size_t mask = c->n_slots - 1;
    for (size_t p = 0; p < SPAN_PROBES; p++) {
        SpanSlot *slot = &c->slots[(h + p) & mask];
        if (!slot->cell) return NULL;
        if (slot->hash == h && slot->len == (uint32_t)n && memcmp(c->keys + slot->at, s, (size_t)n) == 0)
            return slot->cell;
    }
    return NULL;
}

/* A column's lookups hit slots all over a table of megabytes: each one a wait for memory (most
 * of a 16-column scan's lookup time). They are made in three passes over a block of rows, so
 * the waits overlap: hash each cell and fetch its slot; fetch the cell and key the slot holds;
 * then look up (classified), where all three are in the CPU's cache by then. */
static void span_cache_prefetch_slot(const struct SpanCache *c, uint64_t h) {
    __builtin_prefetch(&c->slots[h & (c->n_slots - 1)]);
}

static void span_cache_prefetch_entry(const struct SpanCache *c, uint64_t h) {
    const SpanSlot *slot = &c->slots[h & (c->n_slots - 1)];
    if (slot->cell && slot->hash == h) {
        __builtin_prefetch(slot->cell);
        __builtin_prefetch(c->keys + slot->at);
    }
}

static int span_cache_place(struct SpanCache *c, uint64_t h, uint32_t at, uint32_t len, PyObject *cell) {
    size_t mask = c->n_slots - 1;
    for (size_t p = 0; p < SPAN_PROBES; p++) {
        SpanSlot *slot = &c->slots[(h + p) & mask];
        if (!slot->cell) {
            *slot = (SpanSlot){h, at, len, Py_NewRef(cell)};
            c->used++;
            return 1;
        }
    }
    return 0;  /* a crowded run of slots: left out */
}

/* Remember `cell` for the bytes s[:n] (hash from span_cache_get). Only memory can fail. */
static int span_cache_put(struct SpanCache *c, const char *s, Py_ssize_t n, uint64_t h, PyObject *cell) {
    if (n > SPAN_CACHE_BYTES) return 0;
    if (c->used >= SPAN_CACHE_LIMIT) span_cache_clear(c);
    if (2 * (c->used + 1) > c->n_slots && c->n_slots < SPAN_CACHE_SLOTS) {
        size_t n_slots = c->n_slots ? c->n_slots * 4 : 4096;
        if (n_slots > SPAN_CACHE_SLOTS) n_slots = SPAN_CACHE_SLOTS;
        SpanSlot *old = c->slots, *slots = PyMem_Calloc(n_slots, sizeof(SpanSlot));
        if (!slots) { PyErr_NoMemory(); return -1; }
        size_t old_n = c->n_slots;
        c->slots = slots;
        c->n_slots = n_slots;
        c->used = 0;
        for (size_t k = 0; k < old_n; k++) {
            if (!old[k].cell) continue;
            span_cache_place(c, old[k].hash, old[k].at, old[k].len, old[k].cell);
            Py_DECREF(old[k].cell);  /* placed with a reference of its own, or left out */
        }
        PyMem_Free(old);
    }
    if (c->keys_len + (size_t)n > c->keys_cap) {
        size_t cap = c->keys_cap ? c->keys_cap * 2 : 65536;
        while (cap < c->keys_len + (size_t)n) cap *= 2;
        char *keys = PyMem_Realloc(c->keys, cap);
        if (!keys) { PyErr_NoMemory(); return -1; }
        c->keys = keys;
        c->keys_cap = cap;
    }
    memcpy(c->keys + c->keys_len, s, (size_t)n);
    if (span_cache_place(c, h, (uint32_t)c->keys_len, (uint32_t)n, cell)) c->keys_len += (size_t)n;
    return 0;
}

/* ---------- one batch ---------- */

/* Where a batch's cells are: lists of str (batch), or the byte spans of a block's cells
 * (batch_spans, extract/readers/spans.py). */
typedef struct {
    PyObject *rows;                   /* a list of lists or tuples of str; NULL: spans */
    const char *data;                 /* spans: the block's bytes */
    const uint32_t *row_at, *bounds;  /* spans: each record's first cell (and one past the last), (start, end) per cell */
    const char *encoding, *errors;    /* spans: how a cell's bytes decode */
    int one_byte;                     /* spans: a character per byte (not UTF-8) */
    int cached;                       /* spans: the Batcher's SpanCache holds cells of this codec */
    /* Spans of a str (a block of free text, extract/readers/_text.c), not of bytes: its
     * characters are read as Latin-1 bytes, narrowed where the str is wider. */
    PyObject *text;
    int text_kind;
    const void *text_data;
    PyObject *made;                   /* spans: per record, the list Python made of it, or None; NULL: none */
} Source;

/* One cell of a record: a str, or bytes not decoded yet. */
typedef struct {
    PyObject *obj;  /* borrowed; NULL: read s[:n] */
    const char *s;  /* NULL (and obj NULL): characters beyond Latin-1, read as a str */
    Py_ssize_t n;
    int missing;    /* the record is shorter */
    Py_ssize_t a, b;  /* spans: the cell's offsets */
} Value;

#define SCRATCH 256  /* the longest cell of a wide str narrowed to Latin-1 bytes */

static int ascii_bytes(const char *s, Py_ssize_t n) {
    for (Py_ssize_t k = 0; k < n; k++)
        if ((unsigned char)s[k] >= 0x80) return 0;
    return 1;
}

typedef struct {
    PyObject *obj;   /* borrowed from a cell kept alive by Batch.keep */
    int32_t next;
    uint8_t slot;
} Link;

typedef struct {
    Batcher *self;
    const Source *src;
    Py_ssize_t n;
    Buf digests, owners, kinds, slots;
    /* Each token's message (a kind's prefix, then its values), hashed once the batch's are all
     * made (hash_messages): msgs holds them end to end, msg_at (offset, length) per token. */
    Buf msgs, msg_at;
    size_t msg_start;  /* where the token being made starts in msgs */
    uint16_t *field_bits;
    int32_t *word_head, *word_tail, *pc_head, *pc_tail;
    uint8_t *word_count, *date_count;
    PyObject *(*dates)[MAX_DATES];
    Link *links;
    size_t n_links, cap_links;
    PyObject *keep;  /* list: every cell whose strings are referenced above */
    char scratch[SCRATCH];  /* the last cell value_at narrowed */
    uint64_t hashes[BLOCK_ROWS];  /* the span cache hash of each cell of the column block cell_column reads */
    uint8_t hashed[BLOCK_ROWS];   /* ... made (span_cache_prefetch_slot) */
} Batch;

/* Cell j of record i. A cell of a wide str is narrowed into bt->scratch, valid until the next call. */
static Value value_at(Batch *bt, Py_ssize_t i, Py_ssize_t j) {
    const Source *src = bt->src;
    Value v = {NULL, NULL, 0, 0, 0, 0};
    PyObject *row = src->rows ? PyList_GET_ITEM(src->rows, i) : src->made ? PyList_GET_ITEM(src->made, i) : Py_None;
    if (row != Py_None) {
        if (j < PySequence_Fast_GET_SIZE(row)) v.obj = PySequence_Fast_GET_ITEM(row, j);
        else v.missing = 1;
        return v;
    }
    if (j >= (Py_ssize_t)(src->row_at[i + 1] - src->row_at[i])) {
        v.missing = 1;
        return v;
    }
    uint32_t c = src->row_at[i] + (uint32_t)j;
    v.a = src->bounds[2 * c];
    v.b = src->bounds[2 * c + 1];
    v.n = v.b - v.a;
    if (!src->text) {
        v.s = src->data + v.a;
    } else if (src->text_kind == PyUnicode_1BYTE_KIND) {
        v.s = (const char *)src->text_data + v.a;
    } else if (v.n <= SCRATCH) {
        for (Py_ssize_t k = 0; k < v.n; k++) {
            Py_UCS4 ch = PyUnicode_READ(src->text_kind, src->text_data, v.a + k);
            if (ch > 0xFF) return v;  /* s NULL: read as a str */
            bt->scratch[k] = (char)ch;
        }
        v.s = bt->scratch;
    }
    return v;
}

static int value_empty(const Value *v) { return v->missing || (v->obj ? PyUnicode_GET_LENGTH(v->obj) == 0 : v->n == 0); }

/* The cell as a str, decoded from its bytes or cut from the text if need be (kept alive by the
 * batch): borrowed. A missing or empty cell is "" (a short row reads as "" in Python too). */
static PyObject *value_str(Batch *bt, Value *v) {
    if (v->obj) return v->obj;
    if (v->missing || v->n == 0) return v->obj = EMPTY;
    PyObject *text = bt->src->text ? PyUnicode_Substring(bt->src->text, v->a, v->b)
                                   : PyUnicode_Decode(v->s, v->n, bt->src->encoding, bt->src->errors);
    if (!text) return NULL;
    int bad = PyList_Append(bt->keep, text);
    Py_DECREF(text);
    return bad < 0 ? NULL : (v->obj = text);
}

/* A token is made in three steps: token_begin, token_put of each piece of its message, token_end. */
static void token_begin(Batch *bt) { bt->msg_start = bt->msgs.len; }

static int token_put(Batch *bt, const void *piece, size_t n) { return buf_put(&bt->msgs, piece, n); }

static int token_end(Batch *bt, uint32_t owner, uint8_t kind, uint8_t slot) {
    if (bt->msgs.len > UINT32_MAX) {  /* offsets are 32 bits: a batch's records are far fewer */
        PyErr_SetString(PyExc_MemoryError, "a batch too big to tokenize");
        return -1;
    }
    uint32_t at[2] = {(uint32_t)bt->msg_start, (uint32_t)(bt->msgs.len - bt->msg_start)};
    if (buf_put(&bt->msg_at, at, sizeof at) < 0 || buf_put(&bt->owners, &owner, 4) < 0 ||
        buf_put(&bt->kinds, &kind, 1) < 0 || buf_put(&bt->slots, &slot, 1) < 0)
        return -1;
    return 0;
}

/* The tokens in the order of their records: a counting sort by owner, stable (a record's
 * tokens keep their order). Made column by column, a record's tokens were spread over the
 * batch; in record order, the index's hits come grouped by record, which the scan's sort of
 * (record, entry) pairs then finds nearly sorted (scanner.scan_batch). */
static int tokens_by_record(Batch *bt) {
    size_t n = bt->owners.len / sizeof(uint32_t), rows = (size_t)bt->n;
    if (n < 2) return 0;
    const uint32_t *owners = (const uint32_t *)bt->owners.data, *at = (const uint32_t *)bt->msg_at.data;
    const uint8_t *kinds = (const uint8_t *)bt->kinds.data, *slots = (const uint8_t *)bt->slots.data;
    size_t *start = PyMem_Calloc(rows + 1, sizeof(size_t));
    Buf new_owners = {0}, new_at = {0}, new_kinds = {0}, new_slots = {0};
    if (!start || buf_reserve(&new_owners, n * 4) < 0 || buf_reserve(&new_at, n * 8) < 0 ||
        buf_reserve(&new_kinds, n) < 0 || buf_reserve(&new_slots, n) < 0) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        if (owners[i] >= rows) {  /* never: a token's owner is a row of the batch */
            PyErr_SetString(PyExc_SystemError, "a token of no record of the batch");
            goto fail;
        }
        start[owners[i] + 1]++;
    }
    for (size_t r = 0; r < rows; r++) start[r + 1] += start[r];
    uint32_t *o = (uint32_t *)new_owners.data, *a = (uint32_t *)new_at.data;
    uint8_t *k = (uint8_t *)new_kinds.data, *sl = (uint8_t *)new_slots.data;
    for (size_t i = 0; i < n; i++) {
        size_t to = start[owners[i]]++;
        o[to] = owners[i];
        a[2 * to] = at[2 * i];
        a[2 * to + 1] = at[2 * i + 1];
        k[to] = kinds[i];
        sl[to] = slots[i];
    }
    PyMem_Free(start);
    new_owners.len = n * 4; new_at.len = n * 8; new_kinds.len = n; new_slots.len = n;
    PyMem_Free(bt->owners.data); PyMem_Free(bt->msg_at.data); PyMem_Free(bt->kinds.data); PyMem_Free(bt->slots.data);
    bt->owners = new_owners; bt->msg_at = new_at; bt->kinds = new_kinds; bt->slots = new_slots;
    return 0;
fail:
    PyMem_Free(start); PyMem_Free(new_owners.data); PyMem_Free(new_at.data);
    PyMem_Free(new_kinds.data); PyMem_Free(new_slots.data);
    return -1;
}

/* Messages waiting in lanes, hashed together; out + waiting[e] * DIGEST: where lane e's digest goes. */
typedef struct {
    uint8_t blocks[B2_LANES][B2_BLOCK];
    uint32_t lens[B2_LANES];
    size_t waiting[B2_LANES];
    int k;  /* lanes taken */
} Lanes;

static void lanes_flush(Lanes *l, const uint64_t h[8], uint8_t *out) {
    if (!l->k) return;
    for (int e = l->k; e < B2_LANES; e++) {  /* lanes left empty: a message of one byte, not kept */
        memset(l->blocks[e], 0, B2_BLOCK);
        l->lens[e] = 1;
    }
    uint64_t digests[B2_LANES];
    b2_lanes(h, (const uint8_t (*)[B2_BLOCK])l->blocks, l->lens, digests);
    for (int e = 0; e < l->k; e++) memcpy(out + l->waiting[e] * DIGEST, &digests[e], DIGEST);
    l->k = 0;
}

/* The digest of every token's message, in their order: four at a time where b2_lanes gives
 * libb2's digests (a message of at most a block), else one at a time with libb2. */
static int hash_messages(Batch *bt) {
    Batcher *self = bt->self;
    size_t n = bt->msg_at.len / sizeof(uint32_t[2]);
    if (buf_reserve(&bt->digests, n * DIGEST + 1) < 0) return -1;
    uint8_t *out = (uint8_t *)bt->digests.data;
    const uint32_t *at = (const uint32_t *)bt->msg_at.data;
    const uint8_t *msgs = (const uint8_t *)bt->msgs.data;
    Lanes lanes;
    lanes.k = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t a = at[2 * i], len = at[2 * i + 1];
        if (!self->lanes || len == 0 || len > B2_BLOCK) {
            digest_of(&self->base, msgs + a, len, out + i * DIGEST);
            continue;
        }
        memcpy(lanes.blocks[lanes.k], msgs + a, len);
        memset(lanes.blocks[lanes.k] + len, 0, B2_BLOCK - len);
        lanes.lens[lanes.k] = len;
        lanes.waiting[lanes.k++] = i;
        if (lanes.k == B2_LANES) lanes_flush(&lanes, self->base.h, out);
    }
    lanes_flush(&lanes, self->base.h, out);
    bt->digests.len = n * DIGEST;
    return 0;
}

/* prefix ("n\x1f", ...) + text, a token. */
static int emit_strong(Batch *bt, int code, const char *text, Py_ssize_t len, uint32_t owner) {
    static const char *prefixes[4] = {"", "n\x1f", "e\x1f", "p\x1f"};
    token_begin(bt);
    if (token_put(bt, prefixes[code], 2) < 0 || token_put(bt, text, (size_t)len) < 0) return -1;
    return token_end(bt, owner, (uint8_t)code, 0);
}

static int emit_strong_obj(Batch *bt, int code, PyObject *text, uint32_t owner) {
    Py_ssize_t len;
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, &len);
    if (!utf8) return -1;
    return emit_strong(bt, code, utf8, len, owner);
}

static int link_add(Batch *bt, int32_t *head, int32_t *tail, PyObject *obj, uint8_t slot) {
    if (bt->n_links == bt->cap_links) {
        size_t cap = bt->cap_links ? bt->cap_links * 2 : 1024;
        Link *links = PyMem_Realloc(bt->links, cap * sizeof(Link));
        if (!links) { PyErr_NoMemory(); return -1; }
        bt->links = links;
        bt->cap_links = cap;
    }
    int32_t at = (int32_t)bt->n_links++;
    bt->links[at] = (Link){obj, -1, slot};
    if (*head < 0) *head = at;
    else bt->links[*tail].next = at;
    *tail = at;
    return 0;
}

static int kind_of(Batcher *self, PyObject *kind) {
    for (int k = 0; k < N_KINDS; k++)
        if (self->kinds[k] == kind) return k;
    for (int k = 0; k < N_KINDS; k++) {
        int eq = PyObject_RichCompareBool(self->kinds[k], kind, Py_EQ);
        if (eq < 0) return -1;
        if (eq) return k;
    }
    PyErr_SetString(PyExc_ValueError, "a cell of an unknown kind");
    return -1;
}

static int add_date(Batch *bt, Py_ssize_t i, PyObject *date) {
    uint8_t count = bt->date_count[i];
    for (uint8_t d = 0; d < count; d++) {
        int eq = PyUnicode_Compare(bt->dates[i][d], date);
        if (eq == -1 && PyErr_Occurred()) return -1;
        if (eq == 0) return 0;
    }
    if (count < MAX_DATES) {
        bt->dates[i][count] = date;
        bt->date_count[i] = count + 1;
    }
    return 0;
}

static int strong_code(int kind) { return kind == K_NIR ? T_NIR : kind == K_EMAIL ? T_EMAIL : kind == K_PHONE ? T_PHONE : 0; }

/* The work on one classified cell (the `for i, cell in work` loop of tokens.py). */
static int work_cell(Batch *bt, Py_ssize_t i, PyObject *cell, int kind, long base) {
    PyObject *value = PyTuple_GET_ITEM(cell, 1);
    PyObject *found = PyTuple_GET_ITEM(cell, 2);
    if (kind == K_NAME) {
        if (base >= 0 && PyTuple_Check(value)) {
            Py_ssize_t nw = PyTuple_GET_SIZE(value);
            for (Py_ssize_t w = 0; w < nw && bt->word_count[i] < MAX_WORDS; w++) {
                PyObject *pair = PyTuple_GET_ITEM(value, w);
                long piece = PyLong_AsLong(PyTuple_GET_ITEM(pair, 1));
                if (piece == -1 && PyErr_Occurred()) return -1;
                if (link_add(bt, &bt->word_head[i], &bt->word_tail[i], PyTuple_GET_ITEM(pair, 0),
                             (uint8_t)(base + piece)) < 0)
                    return -1;
                bt->word_count[i]++;
            }
        }
    } else if (kind == K_DATE) {
        if (add_date(bt, i, value) < 0) return -1;
    } else if (kind == K_POSTCODE) {
        if (link_add(bt, &bt->pc_head[i], &bt->pc_tail[i], value, 0) < 0) return -1;
    } else if (strong_code(kind)) {
        bt->field_bits[i] |= bt->self->bits[kind];
        if (emit_strong_obj(bt, strong_code(kind), value, (uint32_t)i) < 0) return -1;
    }
    if (PyTuple_Check(found)) {
        Py_ssize_t nf = PyTuple_GET_SIZE(found);
        for (Py_ssize_t f = 0; f < nf; f++) {
            PyObject *pair = PyTuple_GET_ITEM(found, f);
            int fk = kind_of(bt->self, PyTuple_GET_ITEM(pair, 0));
            if (fk < 0) return -1;
            PyObject *fv = PyTuple_GET_ITEM(pair, 1);
            bt->field_bits[i] |= bt->self->bits[fk];
            if (fk == K_DATE) {
                if (add_date(bt, i, fv) < 0) return -1;
            } else if (!strong_code(fk)) {
                PyErr_SetString(PyExc_ValueError, "an identifier found in text of an unknown kind");
                return -1;
            } else if (emit_strong_obj(bt, strong_code(fk), fv, (uint32_t)i) < 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* cells.Cell(kind, value) (a NamedTuple: a tuple subclass without a __dict__, checked in init), made
 * the way tuple.__new__ makes one, without calling its Python-level __new__. Steals `value`. */
static PyObject *new_cell(Batcher *self, PyObject *kind, PyObject *value) {
    PyTypeObject *type = (PyTypeObject *)self->cell_type;
    PyObject *cell = type->tp_alloc(type, 3);
    if (!cell) {
        Py_DECREF(value);
        return NULL;
    }
    PyTuple_SET_ITEM(cell, 0, Py_NewRef(kind));
    PyTuple_SET_ITEM(cell, 1, value);
    PyTuple_SET_ITEM(cell, 2, Py_NewRef(self->empty_found));
    return cell;
}

static int word_char(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_'; }

/* cells._HEALTH.search (`\b(?:stem|...)`) on folded ASCII text: a stem at a word's start. Every
 * stem starts with a letter, so the boundary is the start of the text or a non-word character. */
static int has_health_word(const char *stems, const char *s, Py_ssize_t n) {
    for (Py_ssize_t p = 0; p < n; p++) {
        if (p > 0 && word_char(s[p - 1])) continue;
        for (const unsigned char *stem = (const unsigned char *)stems; *stem; stem += *stem + 1) {
            Py_ssize_t len = *stem;
            if (n - p >= len && s[p] == (char)stem[1] && memcmp(s + p, stem + 1, (size_t)len) == 0) return 1;
        }
    }
    return 0;
}

/* cells._TITLE.match (`(?:title|...)\b\.?`) on folded ASCII text: a title, then the end or a non-word character. */
static int starts_with_title(const char *titles, const char *s, Py_ssize_t n) {
    for (const unsigned char *title = (const unsigned char *)titles; *title; title += *title + 1) {
        Py_ssize_t len = *title;
        if (n >= len && memcmp(s, title + 1, (size_t)len) == 0 && (n == len || !word_char(s[len]))) return 1;
    }
    return 0;
}

/* text.fold of the Latin-1 letters U+00C0-U+00FF that NFKD turns into ASCII letters (lower-cased,
 * accent dropped; 'ß', 'æ', 'ø' as its _SPECIAL table writes them); NULL for the others (Ð, ×, Þ,
 * ð, ÷, þ), which Python reads. Every one of them is a letter to str.isalpha. */
static const char *const LATIN1_FOLD[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    NULL, "n", "o", "o", "o", "o", "o", NULL, "o", "u", "u", "u", "u", "y", NULL, "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    NULL, "n", "o", "o", "o", "o", "o", NULL, "o", "u", "u", "u", "u", "y", NULL, "y",
};

/* The folded form of a non-ASCII letter, or NULL when it is not one this file folds. */
static const char *latin1_fold(unsigned char c) { return c >= 0xC0 ? LATIN1_FOLD[c - 0xC0] : NULL; }

/* cells.classify of a Latin-1 name cell ('DESMARTEINE', 'Jean-Paul', "N'Diaye Le Gall", 'Hélène'): letters,
 * spaces, hyphens and apostrophes only, 5 to 60 characters once stripped. What classify does with
 * it, step by step: no '@', no digit, too long for a blood group (those stay with Python), then
 * normalize.looks_like_name, fold, the health and title tests (has_health_word and
 * starts_with_title: cells' regexes, for folded ASCII text), and name_pieces' words with their piece numbers. NULL without an error: not sure (a
 * health word, a title, no word left), ask Python. A surname column of a big dump is mostly
 * values seen once: classifying them in Python was most of a 16-column scan. */
static PyObject *quick_name(Batcher *self, const unsigned char *s, Py_ssize_t n) {
    if (!self->particles || n < 5 || n > 60) return NULL;
    char folded[128];  /* 60 characters, each folded to at most two */
    Py_ssize_t m = 0, letters = 0, spaces = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        char c = (char)s[i];
        if (s[i] >= 0x80) {  /* an accented letter ('Hélène', 'Lefèvre'), folded as text.fold does */
            const char *f = latin1_fold(s[i]);
            if (!f) return NULL;
            letters++;
            while (*f) folded[m++] = *f++;
            continue;
        }
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c >= 'a' && c <= 'z') letters++;
        else if (c == ' ') {
            spaces++;
            if (m > 0 && folded[m - 1] == ' ') continue;  /* fold collapses runs of spaces (none lead: stripped) */
        } else if (c != '-' && c != '\'') return NULL;
        folded[m++] = c;
    }
    /* looks_like_name, with the same float arithmetic */
    if (spaces > 4 || letters < 2 || !((double)letters >= 0.8 * (double)(n - spaces))) return NULL;
    /* a health note or a doctor: Python makes that cell */
    if (has_health_word(self->health_stems, folded, m) || starts_with_title(self->titles, folded, m)) return NULL;
    PyObject *words = PyList_New(0);
    if (!words) return NULL;
    Py_ssize_t piece = 0, i = 0;
    while (i < m) {
        Py_ssize_t end = i;
        while (end < m && folded[end] != ' ') end++;
        int found = 0;
        for (Py_ssize_t a = i; a < end;) {  /* words: runs of a-z (name_pieces' _NON_LETTER split) */
            while (a < end && !(folded[a] >= 'a' && folded[a] <= 'z')) a++;
            Py_ssize_t b = a;
            while (b < end && folded[b] >= 'a' && folded[b] <= 'z') b++;
            if (b - a > 1) {
                PyObject *word = PyUnicode_FromStringAndSize(folded + a, b - a);
                int particle = word ? PySet_Contains(self->particles, word) : -1;
                if (particle == 0) {
                    PyObject *pair = PyTuple_Pack(2, word, self->piece_numbers[piece < 3 ? piece : 3]);
                    if (!pair || PyList_Append(words, pair) < 0) particle = -1;
                    Py_XDECREF(pair);
                    found = 1;
                }
                Py_XDECREF(word);
                if (particle < 0) {
                    Py_DECREF(words);
                    return NULL;
                }
            }
            a = b;
        }
        piece += found;  /* a piece without a word is no piece (name_pieces drops it) */
        i = end + 1;
    }
    if (PyList_GET_SIZE(words) == 0) {  /* no word: Python gives its empty cell */
        Py_DECREF(words);
        return NULL;
    }
    PyObject *value = PyList_AsTuple(words);
    Py_DECREF(words);
    return value ? new_cell(self, self->kinds[K_NAME], value) : NULL;
}

/* postcode.normalize_postcode on stripped ASCII: five digits, 01000 to 98999 */
static Py_ssize_t norm_postcode(const char *s, Py_ssize_t n, char *out) {
    if (n != 5 || !all_digits(s, n) || memcmp(s, "01000", 5) < 0 || memcmp(s, "98999", 5) > 0) return -1;
    memcpy(out, s, 5);
    return 5;
}

/* cells._free_text of stripped Latin-1 text without '@' that holds fewer than five digits (an
 * address: '142 rue Voltaire'): no identifier can be in it, so it is a text cell unless its
 * folded form holds a health word (has_health_word). NULL without an error: not
 * sure, ask Python. Addresses are mostly values seen once: in Python they were most of the
 * cells a lab table sent back to classify. */
static PyObject *quick_text(Batcher *self, const unsigned char *s, Py_ssize_t n) {
    if (!self->particles || n > 200) return NULL;
    char folded[512];  /* 200 characters, each folded to at most two */
    Py_ssize_t m = 0, digits = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        char c = (char)s[i];
        if (s[i] >= 0x80) {  /* '12 allée des Lilas' */
            const char *f = latin1_fold(s[i]);
            if (!f) return NULL;
            while (*f) folded[m++] = *f++;
            continue;
        }
        if (is_digit(c) && ++digits >= 5) return NULL;  /* a date may be in it: Python searches */
        if (py_space(c)) {
            if (m > 0 && folded[m - 1] == ' ') continue;  /* fold collapses white space (none leads: stripped) */
            c = ' ';
        } else if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
        }
        folded[m++] = c;
    }
    /* Cell(TEXT), the one Cell every such address is: no tuple made per address, nor freed */
    return has_health_word(self->health_stems, folded, m) ? NULL : Py_NewRef(self->plain_text);
}

/* Letters to str.isalpha among Latin-1 characters, counting only those this file folds (a lower
 * bound: the tests it feeds send text with fewer letters to Python, which is never wrong). */
static Py_ssize_t letters_in(const unsigned char *s, Py_ssize_t n) {
    Py_ssize_t letters = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        letters += (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || latin1_fold(s[i]) != NULL;
    return letters;
}

/* A date with its month in words between its day and year ('05-DEC-61', '5 févr. 1961'), which
 * starts and ends with a digit; an address ('12 rue des Lilas') ends with a letter. Python reads it. */
static int may_be_worded_date(const unsigned char *s, Py_ssize_t n) {
    return n > 0 && is_digit((char)s[0]) && is_digit((char)s[n - 1]);
}

/* cells.classify for the Latin-1 cells it is sure of: an e-mail address, a NIR, a phone number, a
 * date, a postcode (those ASCII only), text that starts with a digit (in that order, as classify
 * tries them) or a name. NULL without an error: not sure, ask Python. */
static PyObject *quick_cell(Batcher *self, PyObject *value) {
    if (PyUnicode_KIND(value) != PyUnicode_1BYTE_KIND) return NULL;
    const char *s = (const char *)PyUnicode_1BYTE_DATA(value);
    const unsigned char *u = (const unsigned char *)s;
    Py_ssize_t a = 0, b = PyUnicode_GET_LENGTH(value);
    int ascii = PyUnicode_IS_ASCII(value);
    /* NEL and no-break space are white space to str.strip and str.split: Python reads those */
    if (!ascii && (memchr(s, 0x85, (size_t)b) || memchr(s, 0xA0, (size_t)b))) return NULL;
    while (a < b && py_space(s[a])) a++;
    while (b > a && py_space(s[b - 1])) b--;
    Py_ssize_t n = b - a, m = -1;
    if (n == 0 || n > 200) return NULL;
    char out[256];
    int kind;
    if (memchr(s + a, '@', (size_t)n)) {
        if (!ascii) return NULL;
        m = norm_email(s + a, n, out);
        kind = K_EMAIL;
    } else if (!ascii && (is_digit(s[a]) || s[a] == '+' || s[a] == '(')) {
        /* Text with a letter beyond ASCII and fewer than five digits (quick_text's own test) is
         * no NIR, phone, date or postcode: each needs five digits or more, or ASCII only. */
        return n > 24 || (letters_in(u + a, n) > 3 && !may_be_worded_date(u + a, n)) ? quick_text(self, u + a, n) : NULL;
    } else if ((is_digit(s[a]) || s[a] == '+' || s[a] == '(') && n <= 24) {
        m = norm_nir(s + a, n, out);
        kind = K_NIR;
        if (m < 0) {
            m = norm_phone(s + a, n, out);
            kind = K_PHONE;
        }
        if (m < 0) {
            m = norm_date(s + a, n, out);
            kind = K_DATE;
        }
        if (m < 0) {
            m = norm_postcode(s + a, n, out);
            kind = K_POSTCODE;
        }
        if (m < 0) {  /* classify: free text if it has more than three letters, else an empty cell (Python's) */
            return letters_in(u + a, n) > 3 && !may_be_worded_date(u + a, n) ? quick_text(self, u + a, n) : NULL;
        }
    } else if (is_digit(s[a]) || s[a] == '+' || s[a] == '(') {
        return quick_text(self, u + a, n);  /* longer than 24: free text */
    } else {
        return quick_name(self, u + a, n);
    }
    if (m < 0) return NULL;
    PyObject *normalized = PyUnicode_FromStringAndSize(out, m);
    if (!normalized) return NULL;
    return new_cell(self, self->kinds[kind], normalized);
}

static int needs_work(PyObject *cell, int kind) {
    if (kind == K_NAME || kind == K_DATE || kind == K_POSTCODE || kind == K_NIR || kind == K_EMAIL || kind == K_PHONE)
        return 1;
    PyObject *found = PyTuple_GET_ITEM(cell, 2);
    return PyTuple_Check(found) && PyTuple_GET_SIZE(found) > 0;
}

static int check_cell(PyObject *cell) {
    if (!PyTuple_Check(cell) || PyTuple_GET_SIZE(cell) < 3) {
        PyErr_SetString(PyExc_TypeError, "classify must return a Cell");
        return -1;
    }
    return 0;
}

/* A strong column: normalize each value (here if ASCII, else in Python) and hash it. */
static int strong_column(Batch *bt, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t j, int code,
                         PyObject *cache, PyObject *classify, long base) {
    Batcher *self = bt->self;
    Py_ssize_t *strays = PyMem_Malloc(sizeof(Py_ssize_t) * (hi > lo ? hi - lo : 1));
    if (!strays) { PyErr_NoMemory(); return -1; }
    Py_ssize_t n_strays = 0;
    int rc = -1;
    char small[256];
    for (Py_ssize_t i = lo; i < hi; i++) {
        Value v = value_at(bt, i, j);
        if (value_empty(&v)) continue;
        const char *s = NULL;
        Py_ssize_t len, norm = -1;
        if (v.obj) {
            len = PyUnicode_GET_LENGTH(v.obj);
            if (PyUnicode_IS_ASCII(v.obj)) s = (const char *)PyUnicode_1BYTE_DATA(v.obj);
        } else {
            len = v.n;
            if (v.s && ascii_bytes(v.s, v.n)) s = v.s;
        }
        if (s && len < (Py_ssize_t)sizeof(small)) {
            norm = code == T_NIR ? norm_nir(s, len, small) : code == T_PHONE ? norm_phone(s, len, small)
                                                                             : norm_email(s, len, small);
            if (norm >= 0 && emit_strong(bt, code, small, norm, (uint32_t)i) < 0) goto done;
        } else {
            PyObject *value = value_str(bt, &v);
            if (!value) goto done;
            PyObject *normalized = PyObject_CallOneArg(self->normalizers[code], value);
            if (!normalized) goto done;
            if (normalized != Py_None) {
                norm = 0;
                int bad = emit_strong_obj(bt, code, normalized, (uint32_t)i);
                Py_DECREF(normalized);
                if (bad < 0) goto done;
            } else {
                Py_DECREF(normalized);
            }
        }
        if (norm >= 0) bt->field_bits[i] |= self->bits[code == T_NIR ? K_NIR : code == T_EMAIL ? K_EMAIL : K_PHONE];
        else strays[n_strays++] = i;  /* a typo, or a stray value of another kind */
    }
    for (Py_ssize_t k = 0; k < n_strays; k++) {
        Py_ssize_t i = strays[k];
        Value v = value_at(bt, i, j);
        PyObject *value = value_str(bt, &v);
        if (!value) goto done;
        /* classify's own cache, looked up here: in a mixed block most strays are another table's
         * values (a date under a phone column), seen before. */
        PyObject *cell = PyDict_GetItemWithError(cache, value);
        if (cell) Py_INCREF(cell);
        else if (PyErr_Occurred()) goto done;
        else cell = PyObject_CallOneArg(classify, value);
        if (!cell) goto done;
        int bad = check_cell(cell) < 0 || PyList_Append(bt->keep, cell) < 0;
        int kind = bad ? -1 : kind_of(self, PyTuple_GET_ITEM(cell, 0));
        Py_DECREF(cell);
        if (kind < 0) goto done;
        if (needs_work(cell, kind) && work_cell(bt, i, cell, kind, base) < 0) goto done;
    }
    rc = 0;
done:
    PyMem_Free(strays);
    return rc;
}

/* The Cell of a cell of a column classified cell by cell: from a cache, C or Python. New reference. */
static PyObject *classified(Batch *bt, Value *v, PyObject *cache, PyObject *classify, const uint64_t *hashed) {
    Batcher *self = bt->self;
    uint64_t hash = hashed ? *hashed : 0;
    int spans = !v->obj && !value_empty(v) && v->s && bt->src->cached;
    if (spans) {
        PyObject *cell = span_cache_get(self->spans, v->s, v->n, &hash, hashed != NULL);
        if (cell) return Py_NewRef(cell);
    }
    PyObject *value = value_str(bt, v);
    if (!value) return NULL;
    PyObject *cell = NULL;
    if (spans) {
        /* Missed by the span cache: mostly a value not seen yet, which the dict would miss too
         * (a lookup, a hash of the str, 5 % of a scan's workers); what C reads it reads again. */
        cell = quick_cell(self, value);
        if (!cell && PyErr_Occurred()) return NULL;
    }
    if (!cell) {
        cell = PyDict_GetItemWithError(cache, value);
        if (cell) Py_INCREF(cell);
        else if (PyErr_Occurred()) return NULL;
        else if (!spans && !(cell = quick_cell(self, value)) && PyErr_Occurred()) return NULL;
        if (!cell) cell = PyObject_CallOneArg(classify, value);
    }
    if (cell && spans && span_cache_put(self->spans, v->s, v->n, hash, cell) < 0) Py_CLEAR(cell);
    return cell;
}

/* Any other column: each cell classified (cached), its kind's bit noted, its tokens taken. */
static int cell_column(Batch *bt, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t j, int text,
                       int event, PyObject *cache, PyObject *classify, long base) {
    Batcher *self = bt->self;
    struct SpanCache *spans = self->spans;
    /* The cells classified below look the cache up: their slots, then their entries, fetched first. */
    int prefetch = !text && bt->src->cached && spans && spans->n_slots && !bt->src->rows;
    if (prefetch) {
        for (Py_ssize_t i = lo; i < hi; i++) {
            Value v = value_at(bt, i, j);
            uint8_t ok = !bt->src->made || PyList_GET_ITEM(bt->src->made, i) == Py_None;
            ok = ok && !v.missing && v.s && v.n > 0 && v.n <= SPAN_CACHE_BYTES;
            bt->hashed[i - lo] = ok;
            if (ok) span_cache_prefetch_slot(spans, bt->hashes[i - lo] = span_hash(spans->seed, v.s, (size_t)v.n));
        }
        for (Py_ssize_t i = lo; i < hi; i++)
            if (bt->hashed[i - lo]) span_cache_prefetch_entry(spans, bt->hashes[i - lo]);
    }
    for (Py_ssize_t i = lo; i < hi; i++) {
        Value v = value_at(bt, i, j);
        PyObject *cell;
        if (text) {
            /* Free text of its own per record: not cached, read only when it could hold an identifier. */
            int may;
            if (value_empty(&v)) {
                cell = Py_NewRef(self->nothing);
                goto classified;
            }
            if (!v.obj && v.s && (bt->src->one_byte || ascii_bytes(v.s, v.n))) {
                /* Bytes of ASCII, Latin-1 or cp1252: no character above 127 there is a digit, '@' or a separator */
                may = may_hold_id(v.s, v.n);
            } else {
                PyObject *value = value_str(bt, &v);
                if (!value) return -1;
                if (PyUnicode_KIND(value) == PyUnicode_1BYTE_KIND) {
                    /* ASCII or Latin-1: no character above 127 there is a digit (Unicode Nd), '@' or a separator */
                    may = may_hold_id((const char *)PyUnicode_1BYTE_DATA(value), PyUnicode_GET_LENGTH(value));
                } else {
                    PyObject *hit = PyObject_CallOneArg(self->may_hold_id, value);
                    if (!hit) return -1;
                    may = hit != Py_None;
                    Py_DECREF(hit);
                }
            }
            /* An e-mail in a column sampled as text (a mixed block's other table) is read here, as
             * classify would: in Python it was a full classify for every row. */
            if (!may) {
                cell = Py_NewRef(self->plain_text);
            } else if ((v.obj ? PyUnicode_GET_LENGTH(v.obj) : v.n) <= self->cache_max_chars) {
                /* Short text repeats: a combo list's passwords ('123456', 'azerty1'), codes, notes
                 * like 'RDV 12/03'. Looked up in the caches as any cell (the same Cell). */
                cell = classified(bt, &v, cache, classify, NULL);
            } else {
                PyObject *value = value_str(bt, &v);
                if (!value) return -1;
                cell = quick_cell(self, value);
                if (!cell && !PyErr_Occurred()) cell = PyObject_CallOneArg(self->classify_text, value);
            }
        } else {
            cell = classified(bt, &v, cache, classify, prefetch && bt->hashed[i - lo] ? &bt->hashes[i - lo] : NULL);
        }
    classified:
        if (!cell) return -1;
        if (check_cell(cell) < 0) { Py_DECREF(cell); return -1; }
        int kind = kind_of(self, PyTuple_GET_ITEM(cell, 0));
        if (kind < 0) { Py_DECREF(cell); return -1; }
        bt->field_bits[i] |= self->bits[kind];
        /* A date of an event column (a sampling day) is nobody's birth date: no combination. */
        if (needs_work(cell, kind) && !(event && kind == K_DATE)) {
            if (PyList_Append(bt->keep, cell) < 0 || work_cell(bt, i, cell, kind, base) < 0) {
                Py_DECREF(cell);
                return -1;
            }
        }
        Py_DECREF(cell);
    }
    return 0;
}

/* The token prefix + date + "\x1f" + the str `with` (a name word, a postcode) of record i. */
static int date_token(Batch *bt, const char *prefix, const char *date, Py_ssize_t dlen, PyObject *with,
                      Py_ssize_t i, uint8_t kind, uint8_t slot) {
    Py_ssize_t len;
    const char *text = PyUnicode_AsUTF8AndSize(with, &len);
    if (!text) return -1;
    token_begin(bt);
    if (token_put(bt, prefix, 2) < 0 || token_put(bt, date, (size_t)dlen) < 0 || token_put(bt, "\x1f", 1) < 0 ||
        token_put(bt, text, (size_t)len) < 0)
        return -1;
    return token_end(bt, (uint32_t)i, kind, slot);
}

/* Combinations with the birth date: name word + date, date + postcode. */
static int combinations(Batch *bt) {
    for (Py_ssize_t i = 0; i < bt->n; i++) {
        for (uint8_t d = 0; d < bt->date_count[i]; d++) {
            Py_ssize_t dlen;
            const char *date = PyUnicode_AsUTF8AndSize(bt->dates[i][d], &dlen);
            if (!date) return -1;
            for (int32_t at = bt->word_head[i]; at >= 0; at = bt->links[at].next)
                if (date_token(bt, "w\x1f", date, dlen, bt->links[at].obj, i, T_NAME_DOB, bt->links[at].slot) < 0)
                    return -1;
            for (int32_t at = bt->pc_head[i]; at >= 0; at = bt->links[at].next)
                if (date_token(bt, "d\x1f", date, dlen, bt->links[at].obj, i, T_DOB_POSTCODE, 0) < 0) return -1;
        }
    }
    return 0;
}

static void batch_free(Batch *bt) {
    PyMem_Free(bt->digests.data); PyMem_Free(bt->owners.data);
    PyMem_Free(bt->msgs.data); PyMem_Free(bt->msg_at.data);
    PyMem_Free(bt->kinds.data); PyMem_Free(bt->slots.data);
    PyMem_Free(bt->field_bits); PyMem_Free(bt->word_head); PyMem_Free(bt->word_tail);
    PyMem_Free(bt->pc_head); PyMem_Free(bt->pc_tail); PyMem_Free(bt->word_count);
    PyMem_Free(bt->date_count); PyMem_Free(bt->dates); PyMem_Free(bt->links);
    Py_XDECREF(bt->keep);
}

static PyObject *bytes_of(Buf *b) { return PyBytes_FromStringAndSize(b->data ? b->data : "", (Py_ssize_t)b->len); }

PyDoc_STRVAR(batch_doc,
"batch(rows, plans, name_slots, cache, classify)\n--\n\n"
"Tokens of a batch. rows: list of lists of str; plans: per column 1/2/3 (a NIR, e-mail or phone column),\n"
"9 (free text), 8 (event dates: classified, no date combinations) or 0 (classify each cell); name_slots: per column base slot, -1 for none; cache: the\n"
"tokenizer's dict of str -> Cell; classify: its cached classify. Returns bytes, tokens in record order (digests, owners as\n"
"uint32, kinds, slots, has_postcode, field_bits as uint16).");

PyDoc_STRVAR(batch_spans_doc,
"batch_spans(data, encoding, errors, rows, bounds, made, plans, name_slots, cache, classify)\n--\n\n"
"batch() of the records of a block cut into cells (extract/readers/spans.py): data is its bytes (decoded\n"
"with encoding, errors) or its str; rows holds each record's first cell and one past the last record's,\n"
"bounds a (start, end) offset pair per cell (native uint32); made is None, or per record None or the list\n"
"of str Python made of it. A cell is made a str only if it is not in the cache of cells by bytes.");

/* The tokens of the records of `src` (n of them, at most `width` cells each). */
static PyObject *run_batch(Batcher *self, const Source *src, Py_ssize_t n_rows, Py_ssize_t width, PyObject *plans,
                           PyObject *name_slots, PyObject *cache, PyObject *classify) {
    Batch bt = {0};
    bt.self = self;
    bt.src = src;
    bt.n = n_rows;
    Py_ssize_t n = bt.n ? bt.n : 1;
    if (PyList_GET_SIZE(plans) < width) { PyErr_SetString(PyExc_ValueError, "a plan per column"); return NULL; }
    PyObject *result = NULL;
    bt.keep = PyList_New(0);
    bt.field_bits = PyMem_Calloc(n, sizeof(uint16_t));
    bt.word_head = PyMem_Malloc(n * sizeof(int32_t)); bt.word_tail = PyMem_Malloc(n * sizeof(int32_t));
    bt.pc_head = PyMem_Malloc(n * sizeof(int32_t)); bt.pc_tail = PyMem_Malloc(n * sizeof(int32_t));
    bt.word_count = PyMem_Calloc(n, 1); bt.date_count = PyMem_Calloc(n, 1);
    bt.dates = PyMem_Calloc(n, sizeof(*bt.dates));
    if (!bt.keep || !bt.field_bits || !bt.word_head || !bt.word_tail || !bt.pc_head || !bt.pc_tail ||
        !bt.word_count || !bt.date_count || !bt.dates) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) bt.word_head[i] = bt.word_tail[i] = bt.pc_head[i] = bt.pc_tail[i] = -1;
    /* Column by column (a column's plan holds for all its cells), a block of rows at a time: the
     * block's rows and cells stay in the CPU's cache while its columns are read. A record's tokens
     * come out in the same order as in Python; only records of different blocks interleave. */
    for (Py_ssize_t lo = 0; lo < bt.n; lo += BLOCK_ROWS) {
        Py_ssize_t hi = lo + BLOCK_ROWS < bt.n ? lo + BLOCK_ROWS : bt.n;
        for (Py_ssize_t j = 0; j < width; j++) {
            long plan = PyLong_AsLong(PyList_GET_ITEM(plans, j));
            long base = j < PyList_GET_SIZE(name_slots) ? PyLong_AsLong(PyList_GET_ITEM(name_slots, j)) : -1;
            if (PyErr_Occurred()) goto done;
            int rc = (plan >= T_NIR && plan <= T_PHONE)
                         ? strong_column(&bt, lo, hi, j, (int)plan, cache, classify, base)
                         : cell_column(&bt, lo, hi, j, plan == COL_TEXT, plan == COL_EVENT, cache, classify, base);
            if (rc < 0) goto done;
        }
    }
    if (combinations(&bt) < 0 || tokens_by_record(&bt) < 0 || hash_messages(&bt) < 0) goto done;
    PyObject *has_postcode = PyBytes_FromStringAndSize(NULL, bt.n);
    if (!has_postcode) goto done;
    for (Py_ssize_t i = 0; i < bt.n; i++) PyBytes_AS_STRING(has_postcode)[i] = bt.pc_head[i] >= 0;
    result = Py_BuildValue("(NNNNNN)", bytes_of(&bt.digests), bytes_of(&bt.owners), bytes_of(&bt.kinds),
                           bytes_of(&bt.slots), has_postcode,
                           PyBytes_FromStringAndSize((const char *)bt.field_bits, bt.n * (Py_ssize_t)sizeof(uint16_t)));
done:
    batch_free(&bt);
    return result;
}

static PyObject *Batcher_batch(Batcher *self, PyObject *args) {
    PyObject *rows, *plans, *name_slots, *cache, *classify;
    if (!PyArg_ParseTuple(args, "O!O!O!O!O:batch", &PyList_Type, &rows, &PyList_Type, &plans,
                          &PyList_Type, &name_slots, &PyDict_Type, &cache, &classify))
        return NULL;
    Py_ssize_t width = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(rows); i++) {
        PyObject *row = PyList_GET_ITEM(rows, i);
        if (!PyList_Check(row) && !PyTuple_Check(row)) { PyErr_SetString(PyExc_TypeError, "rows must be lists"); return NULL; }
        for (Py_ssize_t j = 0; j < PySequence_Fast_GET_SIZE(row); j++)
            if (!PyUnicode_Check(PySequence_Fast_GET_ITEM(row, j))) { PyErr_SetString(PyExc_TypeError, "cells must be str"); return NULL; }
        if (PySequence_Fast_GET_SIZE(row) > width) width = PySequence_Fast_GET_SIZE(row);
    }
    Source src = {.rows = rows};
    return run_batch(self, &src, PyList_GET_SIZE(rows), width, plans, name_slots, cache, classify);
}

static int one_byte_codec(const char *encoding) {
    return !strcmp(encoding, "latin-1") || !strcmp(encoding, "cp1252") || !strcmp(encoding, "ascii");
}

/* The records of a block as a Source (batch_spans' arguments, see its doc), checked before any
 * offset is followed: each record's cells after the one before's, every cell inside the data; a
 * record made in Python is a list of str. data is filled when the source is bytes (to release).
 * Sets *n_rows and *width (the most cells a record has). 0, or -1 with an error. */
static int spans_source(Batcher *self, Source *src, PyObject *source, const char *encoding, const char *errors,
                        Py_buffer *data, const Py_buffer *rows, const Py_buffer *bounds, PyObject *made,
                        Py_ssize_t *n_rows_out, Py_ssize_t *width_out) {
    *src = (Source){.encoding = encoding, .errors = errors};
    Py_ssize_t length;
    if (PyUnicode_Check(source)) {
        src->text = source;
        src->text_kind = PyUnicode_KIND(source);
        src->text_data = PyUnicode_DATA(source);
        src->one_byte = 1;
        length = PyUnicode_GET_LENGTH(source);
    } else if (PyObject_GetBuffer(source, data, PyBUF_SIMPLE) == 0) {
        src->data = data->buf;
        src->one_byte = one_byte_codec(encoding);
        length = data->len;
    } else {
        return -1;
    }
    const uint32_t *row_at = rows->buf, *bound = bounds->buf;
    Py_ssize_t n_rows = rows->len / 4 - 1, n_cells = bounds->len / 8, width = 0;
    int ok = rows->len % 4 == 0 && bounds->len % 8 == 0 && n_rows >= 0 && row_at[0] == 0 &&
             row_at[n_rows] == (uint64_t)n_cells &&
             (made == Py_None || (PyList_Check(made) && PyList_GET_SIZE(made) == n_rows));
    for (Py_ssize_t i = 0; ok && i < n_rows; i++) {
        ok = row_at[i] <= row_at[i + 1];
        Py_ssize_t w = row_at[i + 1] - row_at[i];
        PyObject *row = made == Py_None ? Py_None : PyList_GET_ITEM(made, i);
        if (ok && row != Py_None) {
            ok = (PyList_Check(row) || PyTuple_Check(row)) && w == 0;
            w = ok ? PySequence_Fast_GET_SIZE(row) : 0;
            for (Py_ssize_t j = 0; ok && j < w; j++) ok = PyUnicode_Check(PySequence_Fast_GET_ITEM(row, j));
        }
        if (w > width) width = w;
    }
    for (Py_ssize_t c = 0; ok && c < n_cells; c++)
        ok = bound[2 * c] <= bound[2 * c + 1] && bound[2 * c + 1] <= (uint64_t)length;
    if (!ok) {
        PyErr_SetString(PyExc_ValueError, "batch_spans: offsets that are not a block's cells");
        return -1;
    }
    if (!self->spans) {
        self->spans = PyMem_Calloc(1, sizeof(struct SpanCache));
        if (!self->spans) { PyErr_NoMemory(); return -1; }
        uint8_t seed[DIGEST];
        digest_of(&self->base, (const uint8_t *)"span cache seed", 15, seed);
        memcpy(&self->spans->seed, seed, sizeof seed);
    }
    src->row_at = row_at;
    src->bounds = bound;
    src->made = made == Py_None ? NULL : made;
    /* A str's characters are read as Latin-1 bytes: their own codec, apart from any file's. */
    src->cached = span_cache_for(self->spans, src->text ? "latin-1" : encoding, src->text ? "str" : errors) == 0;
    *n_rows_out = n_rows;
    *width_out = width;
    return 0;
}

static PyObject *Batcher_batch_spans(Batcher *self, PyObject *args) {
    Py_buffer data = {0}, rows, bounds;
    PyObject *source, *made, *plans, *name_slots, *cache, *classify, *result = NULL;
    const char *encoding, *errors;
    if (!PyArg_ParseTuple(args, "Ossy*y*OO!O!O!O:batch_spans", &source, &encoding, &errors, &rows, &bounds, &made,
                          &PyList_Type, &plans, &PyList_Type, &name_slots, &PyDict_Type, &cache, &classify))
        return NULL;
    Source src;
    Py_ssize_t n_rows, width;
    if (spans_source(self, &src, source, encoding, errors, &data, &rows, &bounds, made, &n_rows, &width) == 0)
        result = run_batch(self, &src, n_rows, width, plans, name_slots, cache, classify);
    if (data.obj) PyBuffer_Release(&data);
    PyBuffer_Release(&rows);
    PyBuffer_Release(&bounds);
    return result;
}

/* Tokenizer._column_kind of each column of a block's records, as batch() plans them: the first
 * `wanted` non-empty cells of the column among the first `first` records (CellSpans.column),
 * classified (the same Cells batch_spans reads, from the same caches); the column's kind is the
 * kind of at least `share` of them, and there must be four. Decoding and classifying the samples
 * in Python, column by column and block by block, was 4 % of a 16-column scan's workers. */
static PyObject *Batcher_column_kinds(Batcher *self, PyObject *args) {
    Py_buffer data = {0}, rows, bounds;
    PyObject *source, *made, *cache, *classify, *result = NULL;
    const char *encoding, *errors;
    Py_ssize_t first, wanted;
    double share;
    if (!PyArg_ParseTuple(args, "Ossy*y*OnndO!O:column_kinds", &source, &encoding, &errors, &rows, &bounds, &made,
                          &first, &wanted, &share, &PyDict_Type, &cache, &classify))
        return NULL;
    Source src;
    Py_ssize_t n_rows, width;
    Batch bt = {0};
    if (spans_source(self, &src, source, encoding, errors, &data, &rows, &bounds, made, &n_rows, &width) < 0)
        goto out;
    bt.self = self;
    bt.src = &src;
    bt.n = n_rows;
    if (!(bt.keep = PyList_New(0)) || !(result = PyList_New(width))) goto out;
    for (Py_ssize_t j = 0; j < width; j++) {
        Py_ssize_t tally[N_KINDS] = {0}, n = 0;
        int order[N_KINDS], n_order = 0;  /* kinds in the order first seen: Counter.most_common's ties */
        for (Py_ssize_t i = 0; i < n_rows && i < first && n < wanted; i++) {
            Value v = value_at(&bt, i, j);
            if (value_empty(&v)) continue;
            /* Bytes beyond ASCII could decode to nothing (an 'ignore' handler): not a sample then */
            if (!v.obj && !(v.s && ascii_bytes(v.s, v.n))) {
                PyObject *text = value_str(&bt, &v);
                if (!text) goto fail;
                if (PyUnicode_GET_LENGTH(text) == 0) continue;
            }
            PyObject *cell = classified(&bt, &v, cache, classify, NULL);
            if (!cell) goto fail;
            int kind = check_cell(cell) < 0 ? -1 : kind_of(self, PyTuple_GET_ITEM(cell, 0));
            Py_DECREF(cell);
            if (kind < 0) goto fail;
            if (!tally[kind]++) order[n_order++] = kind;
            n++;
        }
        int commonest = -1;
        for (int o = 0; o < n_order; o++)
            if (commonest < 0 || tally[order[o]] > tally[commonest]) commonest = order[o];
        PyObject *typed = n >= 4 && (double)tally[commonest] >= share * (double)n ? self->kinds[commonest] : Py_None;
        PyList_SET_ITEM(result, j, Py_NewRef(typed));
    }
    goto out;
fail:
    Py_CLEAR(result);
out:
    batch_free(&bt);
    if (data.obj) PyBuffer_Release(&data);
    PyBuffer_Release(&rows);
    PyBuffer_Release(&bounds);
    return result;
}

/* ---------- the type ---------- */

static void digest_of(const blake2b_state *base, const uint8_t *text, size_t len, uint8_t out[DIGEST]) {
    blake2b_state state = *base;
    blake2b_update(&state, text, len);
    blake2b_final(&state, out, DIGEST);
}

/* The keyed state with its key block compressed, when that gives the same digests.
 *
 * libb2 keeps the last block it was given uncompressed (it could be the final one): keyed,
 * the state holds its key block, and each token then cost two compressions, the key block's
 * always the same. Compressed once here (an update of one block and a byte makes libb2
 * compress it; the byte is then dropped from the buffer), a token of up to a block costs one.
 * Every token is 2 bytes or more (a kind's prefix), so no token is the empty message, the
 * one case where the two states differ. The digests are compared on tokens of every length
 * up to three blocks; were they to differ (another libb2's buffering), the state stays as it was. */
static void key_block_compressed(blake2b_state *base) {
    blake2b_state fast = *base;
    uint8_t pad[BLAKE2B_BLOCKBYTES + 1] = {0};
    int same = fast.buflen == BLAKE2B_BLOCKBYTES && blake2b_update(&fast, pad, sizeof pad) == 0 &&
               fast.buflen == BLAKE2B_BLOCKBYTES + 1;
    fast.buflen = 0;
    uint8_t text[3 * BLAKE2B_BLOCKBYTES], a[DIGEST], b[DIGEST];
    for (size_t i = 0; i < sizeof text; i++) text[i] = (uint8_t)(i * 131 + 7);
    for (size_t len = 2; same && len <= sizeof text; len++) {
        digest_of(base, text, len, a);
        digest_of(&fast, text, len, b);
        same = memcmp(a, b, DIGEST) == 0;
    }
    if (same) *base = fast;
    memset(&fast, 0, sizeof fast);  /* a copy of the keyed state stands for the key too */
}

/* Whether b2_lanes gives libb2's digests from this keyed state: on a CPU that runs it, from a
 * state whose key block is compressed (128 bytes counted, nothing buffered), compared on
 * messages of every length it takes. */
static int lanes_agree(const blake2b_state *base) {
    if (!B2_LANES_BUILT || !b2_lanes_supported()) return 0;
    if (base->t[0] != B2_BLOCK || base->t[1] || base->f[0] || base->f[1] || base->buflen) return 0;
    uint8_t blocks[B2_LANES][B2_BLOCK];
    uint32_t lens[B2_LANES];
    uint64_t got[B2_LANES];
    for (uint32_t first = 1; first <= B2_BLOCK; first += B2_LANES) {
        for (int k = 0; k < B2_LANES; k++) {
            lens[k] = first + k <= B2_BLOCK ? first + k : B2_BLOCK;
            memset(blocks[k], 0, B2_BLOCK);
            for (uint32_t i = 0; i < lens[k]; i++) blocks[k][i] = (uint8_t)(i * 131 + k * 17 + first);
        }
        b2_lanes(base->h, (const uint8_t (*)[B2_BLOCK])blocks, lens, got);
        for (int k = 0; k < B2_LANES; k++) {
            uint8_t expected[DIGEST];
            digest_of(base, blocks[k], lens[k], expected);
            if (memcmp(expected, &got[k], DIGEST) != 0) return 0;
        }
    }
    return 1;
}

static int Batcher_init(Batcher *self, PyObject *args, PyObject *kwds) {
    static char *names[] = {"secret", "person", "kinds", "bits", "classify_text", "may_hold_id", "plain_text",
                            "nothing", "normalizers", "cell_type", NULL};
    Py_buffer secret, person;
    PyObject *kinds, *bits, *classify_text, *may, *plain, *nothing, *normalizers, *cell_type;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "y*y*O!O!OOOOO!O:Batcher", names, &secret, &person, &PyTuple_Type,
                                     &kinds, &PyTuple_Type, &bits, &classify_text, &may, &plain, &nothing,
                                     &PyTuple_Type, &normalizers, &cell_type))
        return -1;
    int rc = -1;
    if (secret.len < 1 || secret.len > BLAKE2B_KEYBYTES || person.len > BLAKE2B_PERSONALBYTES ||
        PyTuple_GET_SIZE(kinds) != N_KINDS || PyTuple_GET_SIZE(bits) != N_KINDS || PyTuple_GET_SIZE(normalizers) != 3) {
        PyErr_SetString(PyExc_ValueError, "Batcher: bad key, person, kinds, bits or normalizers");
        goto out;
    }
    blake2b_param p;
    memset(&p, 0, sizeof p);
    p.digest_length = DIGEST;
    p.key_length = (uint8_t)secret.len;
    p.fanout = 1;
    p.depth = 1;
    memcpy(p.personal, person.buf, (size_t)person.len);
    uint8_t block[BLAKE2B_BLOCKBYTES] = {0};
    memcpy(block, secret.buf, (size_t)secret.len);
    if (blake2b_init_param(&self->base, &p) < 0 || blake2b_update(&self->base, block, sizeof block) < 0) {
        PyErr_SetString(PyExc_RuntimeError, "BLAKE2b would not initialise");
        goto out;
    }
    memset(block, 0, sizeof block);
    key_block_compressed(&self->base);
    self->lanes = lanes_agree(&self->base);
    for (int k = 0; k < N_KINDS; k++) {
        Py_XSETREF(self->kinds[k], Py_NewRef(PyTuple_GET_ITEM(kinds, k)));
        self->bits[k] = (uint16_t)PyLong_AsLong(PyTuple_GET_ITEM(bits, k));
    }
    Py_XSETREF(self->classify_text, Py_NewRef(classify_text));
    Py_XSETREF(self->may_hold_id, Py_NewRef(may));
    Py_XSETREF(self->plain_text, Py_NewRef(plain));
    Py_XSETREF(self->nothing, Py_NewRef(nothing));
    if (!PyType_Check(cell_type) || !PyType_IsSubtype((PyTypeObject *)cell_type, &PyTuple_Type) ||
        ((PyTypeObject *)cell_type)->tp_dictoffset != 0 || ((PyTypeObject *)cell_type)->tp_itemsize != sizeof(PyObject *)) {
        PyErr_SetString(PyExc_TypeError, "Batcher: cell_type must be a NamedTuple class");
        goto out;
    }
    Py_XSETREF(self->cell_type, Py_NewRef(cell_type));
    Py_XSETREF(self->empty_found, PyTuple_New(0));
    Py_XSETREF(self->normalizers[0], Py_NewRef(Py_None));
    for (int c = 0; c < 3; c++) Py_XSETREF(self->normalizers[c + 1], Py_NewRef(PyTuple_GET_ITEM(normalizers, c)));
    rc = PyErr_Occurred() ? -1 : 0;
out:
    PyBuffer_Release(&secret);
    PyBuffer_Release(&person);
    return rc;
}

static void Batcher_dealloc(Batcher *self) {
    for (int k = 0; k < N_KINDS; k++) Py_XDECREF(self->kinds[k]);
    for (int c = 0; c < 4; c++) Py_XDECREF(self->normalizers[c]);
    Py_XDECREF(self->classify_text); Py_XDECREF(self->may_hold_id);
    Py_XDECREF(self->plain_text); Py_XDECREF(self->nothing); Py_XDECREF(self->cell_type); Py_XDECREF(self->empty_found);
    Py_XDECREF(self->particles); PyMem_Free(self->health_stems); PyMem_Free(self->titles);
    for (int p = 0; p < 4; p++) Py_XDECREF(self->piece_numbers[p]);
    span_cache_free(self->spans);
    Py_XDECREF(self->cache);
    memset(&self->base, 0, sizeof self->base);  /* the keyed state stands for the key */
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Batcher_normalize(Batcher *self, PyObject *args) {
    int code;
    const char *s;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "is#:normalize", &code, &s, &n)) return NULL;
    char *out = PyMem_Malloc(n + 64);
    if (!out) return PyErr_NoMemory();
    Py_ssize_t m = code == T_NIR ? norm_nir(s, n, out) : code == T_PHONE ? norm_phone(s, n, out)
                 : code == T_EMAIL ? norm_email(s, n, out) : n <= 40 ? norm_date(s, n, out) : -1;
    PyObject *result = m < 0 ? Py_NewRef(Py_None) : PyUnicode_FromStringAndSize(out, m);
    PyMem_Free(out);
    return result;
}

static PyObject *Batcher_quick_cell(Batcher *self, PyObject *value) {
    if (!PyUnicode_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "quick_cell takes a str");
        return NULL;
    }
    PyObject *cell = quick_cell(self, value);
    return cell || PyErr_Occurred() ? cell : Py_NewRef(Py_None);
}

/* Tokenizer.classify (tokens.py), here: a call from Python costs a tenth of the Python method's,
 * and registration's profile and weights classify every distinct value of a table's sample. */
static PyObject *Batcher_classify(Batcher *self, PyObject *raw) {
    if (!self->cache) {
        PyErr_SetString(PyExc_RuntimeError, "classify: no cache set (set_cache)");
        return NULL;
    }
    PyObject *cell = PyDict_GetItemWithError(self->cache, raw);
    if (cell) return Py_NewRef(cell);
    if (PyErr_Occurred()) return NULL;
    if (PyUnicode_CheckExact(raw)) {
        cell = quick_cell(self, raw);
        if (!cell && PyErr_Occurred()) return NULL;
    }
    if (!cell && !(cell = PyObject_CallOneArg(self->classify_text, raw))) return NULL;
    Py_ssize_t len = PyObject_Length(raw);
    if (len < 0) {
        Py_DECREF(cell);
        return NULL;
    }
    if (len <= self->cache_max_chars) {
        /* Bounded: a 2 GB dump of unique values must not grow the cache without end. */
        if (PyDict_GET_SIZE(self->cache) >= self->cache_limit) PyDict_Clear(self->cache);
        if (PyDict_SetItem(self->cache, raw, cell) < 0) {
            Py_DECREF(cell);
            return NULL;
        }
    }
    return cell;
}

/* profile._commonest_kind (profile.py, its reference), here: registration profiles every column
 * of a table's first 5,000 rows, and the Python loop over each column's distinct values was a
 * tenth of registering a table. counts: a dict of value -> count (a Counter), in the order the
 * values first appeared. Returns (kind, dates): the commonest kind of the column's cells (ties
 * to the kind seen first), and when it is a date the ISO dates of its cells, else None. The
 * scan stops once no other kind can catch up with the leader, except past a date. */
static PyObject *Batcher_commonest_kind(Batcher *self, PyObject *counts) {
    if (!PyDict_Check(counts)) {
        PyErr_SetString(PyExc_TypeError, "commonest_kind: counts must be a dict");
        return NULL;
    }
    long long remaining = 0, tally[N_KINDS] = {0};
    int order[N_KINDS], n_order = 0;
    Py_ssize_t pos = 0;
    PyObject *value, *count;
    while (PyDict_Next(counts, &pos, &value, &count)) {
        long long c = PyLong_AsLongLong(count);
        if (c == -1 && PyErr_Occurred()) return NULL;
        remaining += c;
    }
    PyObject *dated = PyList_New(0), *result = NULL;
    if (!dated) return NULL;
    pos = 0;
    while (PyDict_Next(counts, &pos, &value, &count)) {
        long long c = PyLong_AsLongLong(count);
        remaining -= c;
        PyObject *cell = Batcher_classify(self, value);
        if (!cell) goto done;
        if (!PyTuple_Check(cell) || PyTuple_GET_SIZE(cell) < 2) {
            Py_DECREF(cell);
            PyErr_SetString(PyExc_TypeError, "classify must return a Cell");
            goto done;
        }
        int k = kind_of(self, PyTuple_GET_ITEM(cell, 0));
        if (k < 0) {
            Py_DECREF(cell);
            goto done;
        }
        if (k == K_OTHER) {
            Py_DECREF(cell);
            continue;
        }
        int seen = 0;
        for (int i = 0; i < n_order; i++) seen |= order[i] == k;
        if (!seen) order[n_order++] = k;
        long long leading = tally[k] += c;
        if (k == K_DATE) {
            PyObject *date = PyTuple_GET_ITEM(cell, 1);
            for (long long i = 0; i < c; i++)
                if (PyList_Append(dated, date) < 0) {
                    Py_DECREF(cell);
                    goto done;
                }
            Py_DECREF(cell);
            continue;
        }
        Py_DECREF(cell);
        if (leading > remaining) {
            long long runner_up = 0;
            for (int i = 0; i < n_order; i++)
                if (order[i] != k && tally[order[i]] > runner_up) runner_up = tally[order[i]];
            if (leading > runner_up + remaining) {
                result = Py_BuildValue("(OO)", self->kinds[k], Py_None);
                goto done;
            }
        }
    }
    int best = K_OTHER;
    for (int i = 0; i < n_order; i++)
        if (best == K_OTHER || tally[order[i]] > tally[best]) best = order[i];
    result = Py_BuildValue("(OO)", self->kinds[best], dated);
done:
    Py_DECREF(dated);
    return result;
}

static PyObject *Batcher_set_cache(Batcher *self, PyObject *args) {
    PyObject *cache;
    Py_ssize_t max_chars, limit;
    if (!PyArg_ParseTuple(args, "O!nn:set_cache", &PyDict_Type, &cache, &max_chars, &limit)) return NULL;
    Py_XSETREF(self->cache, Py_NewRef(cache));
    self->cache_max_chars = max_chars;
    self->cache_limit = limit;
    Py_RETURN_NONE;
}

/* A tuple of lower-case ASCII words of 1 to 255 characters as one buffer: each word's length in a
 * byte, then the word; a zero length ends it. */
static char *word_list(PyObject *words) {
    size_t size = 1;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(words); i++) {
        PyObject *word = PyTuple_GET_ITEM(words, i);
        if (!PyUnicode_Check(word) || !PyUnicode_IS_ASCII(word) || PyUnicode_GET_LENGTH(word) == 0 ||
            PyUnicode_GET_LENGTH(word) > 255) {
            PyErr_SetString(PyExc_ValueError, "set_names: words must be ASCII str of 1 to 255 characters");
            return NULL;
        }
        size += (size_t)PyUnicode_GET_LENGTH(word) + 1;
    }
    char *list = PyMem_Malloc(size), *at = list;
    if (!list) return (char *)PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(words); i++) {
        PyObject *word = PyTuple_GET_ITEM(words, i);
        *at++ = (char)PyUnicode_GET_LENGTH(word);
        memcpy(at, PyUnicode_1BYTE_DATA(word), (size_t)PyUnicode_GET_LENGTH(word));
        at += PyUnicode_GET_LENGTH(word);
    }
    *at = '\0';
    return list;
}

static PyObject *Batcher_set_names(Batcher *self, PyObject *args) {
    PyObject *particles, *health, *title;
    if (!PyArg_ParseTuple(args, "O!O!O!:set_names", &PyFrozenSet_Type, &particles, &PyTuple_Type, &health,
                          &PyTuple_Type, &title))
        return NULL;
    char *health_stems = word_list(health), *titles = health_stems ? word_list(title) : NULL;
    if (!titles) {
        PyMem_Free(health_stems);
        return NULL;
    }
    for (int p = 0; p < 4; p++) {
        PyObject *number = PyLong_FromLong(p);
        if (!number) {
            PyMem_Free(health_stems);
            PyMem_Free(titles);
            return NULL;
        }
        Py_XSETREF(self->piece_numbers[p], number);
    }
    Py_XSETREF(self->particles, Py_NewRef(particles));
    PyMem_Free(self->health_stems);
    PyMem_Free(self->titles);
    self->health_stems = health_stems;
    self->titles = titles;
    Py_RETURN_NONE;
}

/* hash_messages on a list of bytes: the tokens' hashing alone, for tests. */
static PyObject *Batcher_digests(Batcher *self, PyObject *messages) {
    if (!PyList_Check(messages)) {
        PyErr_SetString(PyExc_TypeError, "digests: a list of bytes");
        return NULL;
    }
    Batch bt = {0};
    bt.self = self;
    PyObject *result = NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(messages); i++) {
        PyObject *message = PyList_GET_ITEM(messages, i);
        if (!PyBytes_Check(message)) {
            PyErr_SetString(PyExc_TypeError, "digests: a list of bytes");
            goto done;
        }
        token_begin(&bt);
        if (token_put(&bt, PyBytes_AS_STRING(message), (size_t)PyBytes_GET_SIZE(message)) < 0 ||
            token_end(&bt, 0, 0, 0) < 0)
            goto done;
    }
    if (hash_messages(&bt) == 0) result = bytes_of(&bt.digests);
done:
    batch_free(&bt);
    return result;
}

static PyObject *Batcher_get_lanes(Batcher *self, void *closure) { return PyBool_FromLong(self->lanes); }

static PyGetSetDef Batcher_getset[] = {
    {"lanes", (getter)Batcher_get_lanes, NULL, "whether tokens are hashed four at a time (_blake2b_lanes.h)", NULL},
    {NULL},
};

static PyMethodDef Batcher_methods[] = {
    {"digests", (PyCFunction)Batcher_digests, METH_O,
     "digests(messages): the keyed BLAKE2b-64 of each bytes of the list, hashed as tokens are; for tests."},
    {"set_names", (PyCFunction)Batcher_set_names, METH_VARARGS,
     "set_names(particles, health_stems, titles): classify Latin-1 names and text here too (quick_cell)."},
    {"batch", (PyCFunction)Batcher_batch, METH_VARARGS, batch_doc},
    {"batch_spans", (PyCFunction)Batcher_batch_spans, METH_VARARGS, batch_spans_doc},
    {"column_kinds", (PyCFunction)Batcher_column_kinds, METH_VARARGS,
     "column_kinds(data, encoding, errors, rows, bounds, made, first, wanted, share, cache, classify): per column of a\n"
     "block's records (batch_spans' arguments), the kind of at least `share` of its first `wanted` non-empty cells among\n"
     "the first `first` records (at least four of them), or None: Tokenizer._column_kind of CellSpans.column."},
    {"set_cache", (PyCFunction)Batcher_set_cache, METH_VARARGS,
     "set_cache(cache, max_chars, limit): the dict `classify` keeps cells in, and its bounds."},
    {"commonest_kind", (PyCFunction)Batcher_commonest_kind, METH_O,
     "commonest_kind(counts): profile._commonest_kind of a column's Counter of values: (kind, dates or None)."},
    {"classify", (PyCFunction)Batcher_classify, METH_O,
     "classify(value): the value's Cell from the cache, quick_cell or cells.classify (cached if short): Tokenizer.classify."},
    {"quick_cell", (PyCFunction)Batcher_quick_cell, METH_O,
     "quick_cell(value): the Cell of an ASCII e-mail, NIR, phone, numeric date or name, as cells.classify gives it; "
     "None when not sure (ask cells.classify)."},
    {"normalize", (PyCFunction)Batcher_normalize, METH_VARARGS,
     "normalize(code, ascii_text): the C normalizer of a NIR (1), e-mail (2), phone (3) or numeric date (0); for tests."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject BatcherType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "leakwatch.matchers.fingerprint._tokenize.Batcher",
    .tp_basicsize = sizeof(Batcher),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Tokenizes batches of records under one deployment key.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Batcher_init,
    .tp_dealloc = (destructor)Batcher_dealloc,
    .tp_methods = Batcher_methods,
    .tp_getset = Batcher_getset,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_tokenize", "The tokenizer's hot loop in C.", -1, NULL};

PyMODINIT_FUNC PyInit__tokenize(void) {
    if (PyType_Ready(&BatcherType) < 0) return NULL;
    if (!EMPTY && !(EMPTY = PyUnicode_FromString(""))) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    if (PyModule_AddObjectRef(m, "Batcher", (PyObject *)&BatcherType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
