/* rng.h - the one random generator of aniso: xoshiro256** (Blackman and
 * Vigna 2018) seeded through splitmix64, so that a seed (a 64-bit integer)
 * gives the same stream on every machine and compiler. Used by the
 * bootstrap, the null baselines and the shape test; documented in
 * docs/METRICS.md ("Random numbers") so that other implementations can
 * reproduce every draw.
 *
 *   state:    s[0..3] = four successive splitmix64 outputs from the seed
 *   next:     xoshiro256** (rotl(s1 * 5, 7) * 9, then the state update)
 *   uniform:  (next >> 11) * 2^-53, in [0, 1)
 *   below(n): an integer in [0, n) by rejection: draws r = next until
 *             r >= 2^64 mod n, then r mod n (no bias)
 *   normal:   Box-Muller on two uniforms u1, u2 (u1 replaced by 1 - u1 so
 *             that it is in (0, 1]): sqrt(-2 ln u1) cos(2 pi u2); one
 *             normal per two uniforms (the sine is not kept) */
#ifndef ANISO_RNG_H
#define ANISO_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct arng {
    uint64_t s[4];
} arng;

static inline uint64_t arng_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline void arng_seed(arng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = arng_splitmix(&seed);
}

static inline uint64_t arng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t arng_next(arng *r)
{
    uint64_t *s = r->s, out = arng_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = arng_rotl(s[3], 45);
    return out;
}

static inline double arng_uniform(arng *r)
{
    return (double)(arng_next(r) >> 11) * 0x1.0p-53;
}

/* n >= 1 */
static inline uint64_t arng_below(arng *r, uint64_t n)
{
    uint64_t lim = -n % n; /* 2^64 mod n */
    uint64_t x;
    do x = arng_next(r);
    while (x < lim);
    return x % n;
}

static inline double arng_normal(arng *r)
{
    double u1 = 1.0 - arng_uniform(r), u2 = arng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

#endif
