/*
 * placement.c - the placement policy. Pure: it decides from the list of
 * live servers it is given and never looks at the registry or namespace
 * itself, so it can be tested alone. The only state is the shared cursor,
 * advanced atomically so concurrent uploads interleave without a lock.
 */
#include "placement.h"

unsigned placement_plan(placement *p, const uint16_t *live, size_t nlive, uint32_t nchunks,
                        unsigned replication, uint16_t *out)
{
    if (nlive == 0 || nchunks == 0)
        return 0;
    unsigned r = replication < nlive ? replication : (unsigned)nlive;
    if (r == 0)
        r = 1;
    uint64_t start = atomic_fetch_add(&p->cursor, nchunks);
    for (uint32_t i = 0; i < nchunks; i++)
        for (unsigned k = 0; k < r; k++)
            out[(size_t)i * r + k] = live[(start + i + k) % nlive];
    return r;
}
