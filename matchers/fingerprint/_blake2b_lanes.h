/* Keyed BLAKE2b-64 of four short messages at once, one in each 64-bit lane of AVX2 registers.
 *
 * A token is the digest of a message of a few dozen bytes: with the key block compressed once
 * (_tokenize.c, key_block_compressed), one compression of one block. libb2 spreads a single
 * block's compression over SIMD lanes as well as the one message allows; here each lane holds
 * a message of its own, so four compressions cost a little more than one. That was a sixth of a
 * scan's workers. No library offers BLAKE2b over several messages (libb2, libsodium, OpenSSL and
 * hashlib hash one message at a time; blake2bp is another hash): this is RFC 7693's compression
 * function, written out for four lanes, and _tokenize.c uses it only where it gives libb2's
 * digests (compared at start, on messages of every length it hashes; else libb2 does them all).
 */
#ifndef LEAKWATCH_BLAKE2B_LANES_H
#define LEAKWATCH_BLAKE2B_LANES_H

#include <stdint.h>
#include <string.h>

#define B2_BLOCK 128  /* the longest message hashed in lanes: one block after the key's */
#define B2_LANES 4

#if defined(__x86_64__) && defined(__GNUC__)
#define B2_LANES_BUILT 1
#include <immintrin.h>

static const uint64_t B2_IV[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};

static const uint8_t B2_SIGMA[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4}, {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13}, {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11}, {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5}, {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
};

#define B2_TARGET __attribute__((target("avx2")))

B2_TARGET static inline __m256i b2_ror32(__m256i x) { return _mm256_shuffle_epi32(x, _MM_SHUFFLE(2, 3, 0, 1)); }

B2_TARGET static inline __m256i b2_ror24(__m256i x) {
    const __m256i r24 = _mm256_setr_epi8(3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10,
                                         3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10);
    return _mm256_shuffle_epi8(x, r24);
}

B2_TARGET static inline __m256i b2_ror16(__m256i x) {
    const __m256i r16 = _mm256_setr_epi8(2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9,
                                         2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9);
    return _mm256_shuffle_epi8(x, r16);
}

B2_TARGET static inline __m256i b2_ror63(__m256i x) {
    return _mm256_or_si256(_mm256_srli_epi64(x, 63), _mm256_add_epi64(x, x));
}

#define B2_G(a, b, c, d, x, y)                                               \
    do {                                                                     \
        a = _mm256_add_epi64(_mm256_add_epi64(a, b), x);                     \
        d = b2_ror32(_mm256_xor_si256(d, a));                                \
        c = _mm256_add_epi64(c, d);                                          \
        b = b2_ror24(_mm256_xor_si256(b, c));                                \
        a = _mm256_add_epi64(_mm256_add_epi64(a, b), y);                     \
        d = b2_ror16(_mm256_xor_si256(d, a));                                \
        c = _mm256_add_epi64(c, d);                                          \
        b = b2_ror63(_mm256_xor_si256(b, c));                                \
    } while (0)

/* The first 64 bits of the digests of the four messages blocks[k][:lens[k]] (each zero-padded
 * to a block, 1 to B2_BLOCK bytes), from h: the chain value after the key block (128 bytes
 * counted). out[k] is the digest of lane k as the little-endian integer of its first 8 bytes. */
B2_TARGET static void b2_lanes(const uint64_t h[8], const uint8_t blocks[B2_LANES][B2_BLOCK],
                               const uint32_t lens[B2_LANES], uint64_t out[B2_LANES]) {
    __m256i m[16];
    for (int i = 0; i < 16; i += 4) {  /* word i of each lane's block: a 4x4 transpose */
        __m256i r0 = _mm256_loadu_si256((const __m256i *)(blocks[0] + 8 * i));
        __m256i r1 = _mm256_loadu_si256((const __m256i *)(blocks[1] + 8 * i));
        __m256i r2 = _mm256_loadu_si256((const __m256i *)(blocks[2] + 8 * i));
        __m256i r3 = _mm256_loadu_si256((const __m256i *)(blocks[3] + 8 * i));
        __m256i t0 = _mm256_unpacklo_epi64(r0, r1), t1 = _mm256_unpackhi_epi64(r0, r1);
        __m256i t2 = _mm256_unpacklo_epi64(r2, r3), t3 = _mm256_unpackhi_epi64(r2, r3);
        m[i] = _mm256_permute2x128_si256(t0, t2, 0x20);
        m[i + 1] = _mm256_permute2x128_si256(t1, t3, 0x20);
        m[i + 2] = _mm256_permute2x128_si256(t0, t2, 0x31);
        m[i + 3] = _mm256_permute2x128_si256(t1, t3, 0x31);
    }
    __m256i v0 = _mm256_set1_epi64x((long long)h[0]), v1 = _mm256_set1_epi64x((long long)h[1]);
    __m256i v2 = _mm256_set1_epi64x((long long)h[2]), v3 = _mm256_set1_epi64x((long long)h[3]);
    __m256i v4 = _mm256_set1_epi64x((long long)h[4]), v5 = _mm256_set1_epi64x((long long)h[5]);
    __m256i v6 = _mm256_set1_epi64x((long long)h[6]), v7 = _mm256_set1_epi64x((long long)h[7]);
    __m256i v8 = _mm256_set1_epi64x((long long)B2_IV[0]), v9 = _mm256_set1_epi64x((long long)B2_IV[1]);
    __m256i v10 = _mm256_set1_epi64x((long long)B2_IV[2]), v11 = _mm256_set1_epi64x((long long)B2_IV[3]);
    /* t: the key block's 128 bytes and the message's; the last block (f0 all ones) */
    __m256i v12 = _mm256_xor_si256(_mm256_set1_epi64x((long long)B2_IV[4]),
                                   _mm256_setr_epi64x(B2_BLOCK + lens[0], B2_BLOCK + lens[1],
                                                      B2_BLOCK + lens[2], B2_BLOCK + lens[3]));
    __m256i v13 = _mm256_set1_epi64x((long long)B2_IV[5]);
    __m256i v14 = _mm256_set1_epi64x((long long)~B2_IV[6]);
    __m256i v15 = _mm256_set1_epi64x((long long)B2_IV[7]);
    for (int r = 0; r < 12; r++) {
        const uint8_t *s = B2_SIGMA[r];
        B2_G(v0, v4, v8, v12, m[s[0]], m[s[1]]);
        B2_G(v1, v5, v9, v13, m[s[2]], m[s[3]]);
        B2_G(v2, v6, v10, v14, m[s[4]], m[s[5]]);
        B2_G(v3, v7, v11, v15, m[s[6]], m[s[7]]);
        B2_G(v0, v5, v10, v15, m[s[8]], m[s[9]]);
        B2_G(v1, v6, v11, v12, m[s[10]], m[s[11]]);
        B2_G(v2, v7, v8, v13, m[s[12]], m[s[13]]);
        B2_G(v3, v4, v9, v14, m[s[14]], m[s[15]]);
    }
    __m256i first = _mm256_xor_si256(_mm256_set1_epi64x((long long)h[0]), _mm256_xor_si256(v0, v8));
    _mm256_storeu_si256((__m256i *)out, first);
}

/* Whether this CPU runs b2_lanes. */
static int b2_lanes_supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}

#else
#define B2_LANES_BUILT 0
static int b2_lanes_supported(void) { return 0; }
static void b2_lanes(const uint64_t h[8], const uint8_t blocks[B2_LANES][B2_BLOCK], const uint32_t lens[B2_LANES],
                     uint64_t out[B2_LANES]) {
    (void)h; (void)blocks; (void)lens; (void)out;
}
#endif

#endif
