/*
 * layout.c - where the seeded chunks start out: the copies of chunk g on
 * distinct servers drawn by a hash of (g, r), as a real master's
 * placement spreads them: when a server dies, the surviving copies of
 * its chunks are all over the cluster, and so are the sources of its
 * repair. Pure arithmetic: seeding and running agree without sharing
 * anything but the shape. Must stay deterministic. Also the simulator's
 * small shared helpers: its pseudo-random numbers (sim_rand) and its
 * growing arrays (sim_grow).
 */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>

uint64_t sim_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

void *sim_grow(void *items, size_t n, size_t *cap, size_t elem, size_t first)
{
    if (n < *cap)
        return items;
    size_t c = *cap ? *cap * 2 : first;
    void *p = realloc(items, c * elem);
    if (p)
        *cap = c;
    return p;
}

uint64_t sim_layout_chunks(const sim_shape *s)
{
    return s->files * s->chunks_per_file;
}

static uint64_t sim_layout_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

unsigned sim_layout_holder(const sim_shape *s, uint64_t g, unsigned r)
{
    unsigned pick[SIM_MAX_HOLDERS];
    for (unsigned k = 0; k <= r; k++) {
        unsigned c = (unsigned)(sim_layout_mix(g * SIM_MAX_HOLDERS + k) % s->servers);
        for (bool clash = true; clash;) {   /* the next server not taken yet */
            clash = false;
            for (unsigned q = 0; q < k; q++)
                if (pick[q] == c) {
                    clash = true;
                    c = (c + 1) % s->servers;
                }
        }
        pick[k] = c;
    }
    return pick[r];
}

void sim_layout_path(uint64_t i, char *out, size_t outlen)
{
    snprintf(out, outlen, "/sim/d%04llu/f%07llu", (unsigned long long)(i / 1000),
             (unsigned long long)i);
}

void sim_layout_addr(unsigned s, char *addr, size_t addrlen, char *iface, size_t ifacelen)
{
    /* 127.1.0.1 upwards: every server its own source address, so each
     * has its own connection and the master's per-address limit sees a
     * thousand hosts, as it would in a real cluster */
    unsigned host = s + 1;
    snprintf(iface, ifacelen, "127.1.%u.%u", host / 250, host % 250 + 1);
    snprintf(addr, addrlen, "%s:9000/", iface);
}

void sim_layout_rack(const sim_shape *s, unsigned server, char *out, size_t outlen)
{
    snprintf(out, outlen, "r%u", s->racks ? server % s->racks : 0);
}
