/*
 * append.h - appends to a complete file of the file table: plan, begin,
 * commit or abandon; the filled chunk's reports; the commit's replay.
 */
#ifndef MINIDFS_APPEND_H
#define MINIDFS_APPEND_H

#include "namespace.h"
#include "record.h"

/* What an append begins with. */
typedef struct {
    uint64_t token, version, old_size, new_size, chunk_size, generation;
    int64_t lease_left_ms;
    int64_t fill_index;          /* -1: none */
    uint64_t fill_offset, fill_length;
    unsigned fill_nrep;
    uint16_t fill_rep[PROTO_MAX_REPLICATION];
    uint32_t first_new, nnew;    /* new chunks: indices first_new .. first_new+nnew-1 */
    char fileid[FILEID_LEN + 1]; /* the identifier the file's chunks are named with */
} append_plan;

/* Chunks an append of bytes to name adds (for the caller's placement),
 * and the holders of the chunk it fills. */
ns_status append_needs(ns_table *ns, const char *name, uint64_t bytes, uint32_t *nnew,
                       uint16_t *holders, unsigned *nholders, unsigned *replication);
/* Begins appending bytes to a complete file: takes the file's append lock
 * for lease_ms (NS_BUSY while another holds it), plans the fill of its
 * partial last chunk on that chunk's live holders (fill_live, primary
 * first, from the caller) and adds nnew new chunk slots (the caller places
 * them; NS_BUSY if the file changed so that it needs another number). */
ns_status append_begin(ns_table *ns, const char *name, uint64_t bytes, const uint16_t *fill_live,
                       unsigned nfill_live, uint32_t nnew, int64_t now_ms, int64_t lease_ms,
                       append_plan *out);
/* Commits (abort false) or abandons the append token: on commit the new
 * size, the filled chunk's version, checksum and holders become the
 * file's, journalled as one record; NS_INCOMPLETE while a chunk of it has
 * not been reported. */
ns_status append_end(ns_table *ns, const char *name, uint64_t token, bool abort, int64_t now_ms);

/* A report of the chunk ap fills, from server (size < 0: unknown; sha
 * NULL: none): its new state waits in ap for the commit. On NS_BAD_SIZE
 * *expected holds the right size. The namespace's write lock is held. */
ns_status append_report_fill(ns_append *ap, uint16_t server, long long size,
                             const uint8_t *sha, uint64_t *expected);
/* Replays a commit record (record.c's table; the write lock is held). */
bool append_apply_commit(ns_table *ns, const record *r);

#endif
