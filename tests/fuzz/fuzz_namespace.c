/*
 * fuzz_namespace.c - libFuzzer target: any sequence of namespace changes,
 * with any values, must leave a namespace whose checkpoint replays to the
 * same namespace, whatever paths (nested, in several spellings, files and
 * directories colliding) they name. The input is read as a program: each op is one byte
 * followed by its arguments, taken from the bytes after it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "append.h"
#include "lease.h"
#include "namespace.h"
#include "nscheck.h"
#include "perm.h"
#include "users.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    const uint8_t *p;
    size_t left;
} fuzz_in;

static uint64_t fuzz_take(fuzz_in *in, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && in->left; i++, in->left--)
        v = v << 8 | *in->p++;
    return v;
}

/* A size: small ones mostly, then the edges of the limits and beyond. */
static uint64_t fuzz_size(fuzz_in *in, uint64_t cs)
{
    uint64_t max = (uint64_t)PROTO_MAX_CHUNKS * cs;
    switch (fuzz_take(in, 1) % 6) {
    case 0: return fuzz_take(in, 2);
    case 1: return max - fuzz_take(in, 1);
    case 2: return max + fuzz_take(in, 1);
    case 3: return fuzz_take(in, 8);
    case 4: return UINT64_MAX - fuzz_take(in, 1);
    default: return fuzz_take(in, 3);
    }
}

/* Who asks: nobody to check (an open master), two users, a superuser. */
static const ns_who fuzz_users[] = {
    { "alice", "staff", false }, { "bob", "staff", false }, { "root", "root", true } };

static const ns_who *fuzz_who(fuzz_in *in)
{
    unsigned k = (unsigned)fuzz_take(in, 1) % 4;
    return k == 3 ? NULL : &fuzz_users[k];
}

static const uint64_t fuzz_chunk_sizes[] = { 1, 7, 1000, 65536, 1000000, PROTO_MAX_CHUNK_SIZE,
                                             PROTO_MAX_CHUNK_SIZE + 1, 0 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = { data, size };
    ns_table *ns = namespace_new();
    /* Paths that nest, in several spellings: files and directories collide. */
    static const char *const names[8] = { "a", "/b", "/d/a", "d//b", "/d/e/c", "x", "/d", "d/e" };
    uint64_t tokens[8] = { 0 };
    char dataids[8][FILEID_LEN + 1] = { "", "", "", "", "", "", "", "" };   /* last overwrites */
    static const char sum[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    int64_t now = 0;
    for (int ops = 0; in.left > 0 && ops < 48; ops++) {
        unsigned op = (unsigned)fuzz_take(&in, 1);
        unsigned ni = (unsigned)fuzz_take(&in, 1) % 8;
        const char *name = names[ni];
        const char *other = names[fuzz_take(&in, 1) % 8];
        char id[FILEID_LEN + 1];
        fileid_of_name(name, id);
        if (dataids[ni][0] && (op & 0x80))   /* its overwrite's chunks */
            memcpy(id, dataids[ni], sizeof id);
        uint64_t gen, exp, ver;
        now += (int64_t)fuzz_take(&in, 1) * 100;
        switch (op % 14) {
        case 0: {   /* create */
            uint64_t cs = fuzz_chunk_sizes[fuzz_take(&in, 1) % 8];
            uint64_t sz = fuzz_size(&in, cs ? cs : 1);
            if (cs && sz / cs > 300)
                sz %= 300 * cs;   /* keep a run small and fast; the unit test does the limits */
            namespace_create(ns, name, sz, cs, (unsigned)fuzz_take(&in, 1) % 10, fuzz_who(&in),
                             true, &gen, NULL);
            break;
        }
        case 1: {   /* a chunk reported */
            uint32_t i = (uint32_t)fuzz_take(&in, 2);
            uint64_t v = fuzz_take(&in, 1) % 3 == 0 ? fuzz_take(&in, 8) : fuzz_take(&in, 1);
            long long sz = (long long)(fuzz_take(&in, 3) - 1);
            namespace_report(ns, id, i, (uint16_t)fuzz_take(&in, 1), sz, v,
                             fuzz_take(&in, 1) & 1 ? sum : NULL, &exp, &ver);
            break;
        }
        case 2: {   /* an allocation */
            uint16_t plan[3] = { 0, 1, 2 };
            lease_allocation a;
            lease_allocate(ns, name, (uint32_t)fuzz_take(&in, 1),
                           fuzz_chunk_sizes[fuzz_take(&in, 1) % 6], 3, fuzz_who(&in), plan,
                           (unsigned)fuzz_take(&in, 1) % 4, now, 1000, &a);
            break;
        }
        case 3: {   /* an append begun */
            uint64_t bytes = fuzz_size(&in, 1000);
            uint32_t nnew;
            uint16_t holders[PROTO_MAX_REPLICATION], live[1] = { 0 };
            unsigned nh, rep;
            append_plan ap;
            if (append_needs(ns, name, bytes, &nnew, holders, &nh, &rep) == NS_OK &&
                nnew < 300 &&
                append_begin(ns, name, bytes, live, 1, nnew, now, 1000, &ap) == NS_OK)
                tokens[ni] = ap.token;
            break;
        }
        case 4:   /* an append ended */
            append_end(ns, name, tokens[ni], fuzz_take(&in, 1) & 1, now);
            break;
        case 5: {
            ns_doomed d;
            namespace_remove(ns, name, fuzz_who(&in), &d);
            namespace_doomed_free(&d);
            break;
        }
        case 6:   /* a full report's entry */
            namespace_check_replica(ns, id, (uint32_t)fuzz_take(&in, 2),
                                    (uint16_t)fuzz_take(&in, 1), fuzz_take(&in, 3),
                                    fuzz_take(&in, 1), fuzz_take(&in, 1) & 1 ? sum : NULL);
            break;
        case 8: {   /* an overwrite */
            uint64_t cs = fuzz_chunk_sizes[fuzz_take(&in, 1) % 8];
            uint64_t sz = fuzz_size(&in, cs ? cs : 1);
            if (cs && sz / cs > 300)
                sz %= 300 * cs;
            namespace_overwrite(ns, name, sz, cs, (unsigned)fuzz_take(&in, 1) % 10,
                                fuzz_who(&in), &gen, dataids[ni]);
            break;
        }
        case 9: {   /* chmod, chown */
            unsigned what = (unsigned)fuzz_take(&in, 1);
            const ns_who *to = &fuzz_users[what % 3];
            perm_set(ns, name, fuzz_who(&in), what & 4 ? to->user : NULL,
                     what & 8 ? to->group : NULL,
                     what & 16 ? (int)(fuzz_take(&in, 2) % 01000) : -1);
            break;
        }
        case 10: {   /* a user made or revoked */
            char token[USERS_TOKEN_LEN + 1];
            const ns_who *u = &fuzz_users[fuzz_take(&in, 1) % 3];
            if (fuzz_take(&in, 1) & 1)
                users_add(ns, u->user, u->group, u->super, now, (int64_t)fuzz_take(&in, 2), token);
            else
                users_revoke(ns, u->user);
            break;
        }
        case 11:   /* mkdir, -p or not */
            namespace_mkdir(ns, name, fuzz_take(&in, 1) & 1, (unsigned)fuzz_take(&in, 2) % 02000,
                            fuzz_who(&in));
            break;
        case 12:   /* a rename, replacing or not */
            namespace_rename(ns, name, other, fuzz_take(&in, 1) & 1, fuzz_who(&in));
            break;
        case 13: {   /* a removal, recursive or not */
            size_t n;
            namespace_remove_path(ns, name, fuzz_take(&in, 1) & 1, fuzz_who(&in), &n);
            break;
        }
        default:
            namespace_drop_replica(ns, id, (uint32_t)fuzz_take(&in, 1), (uint16_t)fuzz_take(&in, 1));
            break;
        }
        char err[1024];
        if (!nscheck_roundtrip(ns, err, sizeof err)) {
            fprintf(stderr, "after op %u: %s\n", op % 14, err);
            abort();
        }
        ns_doomed d;
        while (namespace_take_doomed(ns, &d))
            namespace_doomed_free(&d);
    }
    namespace_free(ns);
    return 0;
}
