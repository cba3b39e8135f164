/* fuzz.h - checks shared by the fuzz targets. */
#ifndef ANISO_FUZZ_H
#define ANISO_FUZZ_H

#include <stdint.h>
#include <stdlib.h>

#include "aniso/aniso.h"

/* Aborts unless tensor t lies wholly inside [buf, buf + size); touches its
 * first and last bytes so ASan sees any read past the input. */
static inline void fuzz_check_tensor(const aniso_tensor *t, const uint8_t *buf, size_t size)
{
    const uint8_t *p = t->data;
    if (p < buf || t->nbytes > size || p + t->nbytes > buf + size) abort();
    if (t->nbytes) {
        volatile uint8_t sink = p[0] ^ p[t->nbytes - 1];
        (void)sink;
    }
}

#endif
