/*
 * protocol.h - every name that crosses the wire, defined once.
 *
 * The master, the chunkservers and the client all speak HTTP with JSON
 * bodies (but for chunk bytes, and a full report's packed pages, which a
 * master offers and a chunkserver sends only then). The paths and field
 * names below are the Go minidfs's, kept byte-for-byte so that its clients
 * and chunkservers keep working against ours; the few additions (marked
 * "extension") are fields older peers ignore. docs/PROTOCOL.md is the prose twin of this file: change both or
 * neither.
 */
#ifndef MINIDFS_PROTOCOL_H
#define MINIDFS_PROTOCOL_H

/* ---- master endpoints ---- */
#define PROTO_PATH_REGISTER      "/chunkserver"      /* POST: a chunkserver registers (and re-registers as a heartbeat) */
#define PROTO_PATH_UPLOAD        "/upload"           /* POST: plan a new file */
#define PROTO_PATH_UPLOAD_OK     "/uploadSuccessful" /* POST: a chunkserver reports a stored chunk */
#define PROTO_PATH_GET           "/get"              /* GET ?id=<identifier>: where a file's chunks live */
#define PROTO_PATH_FILES         "/files"            /* GET: list; DELETE ?name=: remove */
#define PROTO_PATH_CHUNKSERVERS  "/chunkservers"     /* GET: registered chunkservers (extension) */
#define PROTO_PATH_ALLOCATE      "/allocate"         /* POST: a chunk handle, its replicas and lease */
#define PROTO_PATH_CHUNK_REPORT  "/chunkreport"      /* POST: a chunkserver lists the chunks it holds (extension) */
#define PROTO_PATH_BAD_CHUNK     "/badChunk"         /* POST: a replica read back wrong (extension) */
#define PROTO_PATH_UNREACHABLE   "/unreachable"      /* POST: a client could not connect to a chunkserver (extension) */
#define PROTO_PATH_APPEND        "/append"           /* POST: begin appending to a file (extension) */
#define PROTO_PATH_APPEND_DONE   "/appendDone"       /* POST: commit or abandon an append (extension) */
#define PROTO_PATH_PLAN          "/plan"             /* GET ?id=&generation=&from=: more of a plan (extension) */
#define PROTO_PATH_TOKENS        "/admin/tokens"     /* POST: a new user; GET: list; DELETE ?name=: revoke (extension) */
#define PROTO_PATH_WHOAMI        "/whoami"           /* GET: who the bearer token says the caller is (extension) */
#define PROTO_PATH_CHMOD         "/chmod"            /* POST {name, mode}: a file's mode bits (extension) */
#define PROTO_PATH_CHOWN         "/chown"            /* POST {name, owner?, group?}: a file's owner and group (extension) */
#define PROTO_PATH_LS            "/ls"               /* GET ?path=&after=&limit=: a page of a directory (extension) */
#define PROTO_PATH_STAT          "/stat"             /* GET ?path=: one entry (extension) */
#define PROTO_PATH_MKDIR         "/mkdir"            /* POST {path, parents?, mode?}: a directory (extension) */
#define PROTO_PATH_RENAME        "/rename"           /* POST {from, to, replace?}: move an entry (extension) */
#define PROTO_PATH_DU            "/du"               /* GET ?path=: what a subtree holds (extension) */
#define PROTO_PATH_HA_STATUS     "/ha/status"        /* GET: this master's role, the active one, its place in the log (extension) */
#define PROTO_PATH_HA_CHECKPOINT "/ha/checkpoint"    /* GET: the newest checkpoint, for a master that joins (extension) */
#define PROTO_PATH_METRICS       "/metrics"          /* GET: Prometheus text format 0.0.4, master and chunkserver (extension) */
#define PROTO_PATH_HEALTHZ       "/healthz"          /* GET: up or not, no token needed, master and chunkserver (extension) */
#define PROTO_PATH_REPORT        "/admin/report"     /* GET: totals and every chunkserver (extension) */
#define PROTO_PATH_FSCK          "/fsck"             /* GET ?path=&limit=: every chunk under path checked (extension) */
#define PROTO_PATH_DECOMMISSION  "/admin/decommission" /* POST {server}: drain a chunkserver (extension) */
#define PROTO_PATH_RECOMMISSION  "/admin/recommission" /* POST {server}: undo a decommission (extension) */

/* ---- chunkserver endpoints ---- */
#define PROTO_PATH_UPLOAD_CHUNK  "/uploadChunk"      /* POST multipart, field "chunk" (the Go path) */
#define PROTO_PATH_CHUNKS        "/chunks/"          /* PUT/GET/DELETE /chunks/<chunk id> (extension) */
#define PROTO_PATH_CHUNK_BATCH   "/chunks"           /* POST: many small new chunks, each a header line and its bytes (extension) */
#define PROTO_PATH_STATS         "/stats"            /* GET: counters (extension) */
#define PROTO_PATH_REPLICATE     "/replicate"        /* POST: copy a chunk to another chunkserver */
/* GET /get?id=<chunk id> on a chunkserver returns the chunk's bytes (the Go path). */

/* ---- query parameters and form fields ---- */
#define PROTO_QUERY_ID           "id"
#define PROTO_QUERY_NAME         "name"
#define PROTO_QUERY_VERSION      "version"          /* DELETE /chunks/<id>?version=: only a copy no newer */
#define PROTO_QUERY_OFFSET       "offset"           /* PUT /chunks/<id>?offset=: append after that many bytes */
#define PROTO_QUERY_GENERATION   "generation"       /* GET /plan: the file's generation */
#define PROTO_QUERY_FROM         "from"             /* GET /plan, /get: the first chunk of a page */
#define PROTO_QUERY_COUNT        "count"            /* GET /get: chunks in the page (at most PROTO_PAGE_CHUNKS) */
#define PROTO_QUERY_PATH         "path"             /* /ls, /stat, /du: a path, any spelling */
#define PROTO_QUERY_AFTER        "after"            /* GET /ls: entries whose names sort after this */
#define PROTO_QUERY_LAYOUT       "layout"           /* GET /ls: 1, small files' layouts too */
#define PROTO_QUERY_LIMIT        "limit"            /* GET /ls: entries in the page (at most PROTO_PAGE_ENTRIES) */
#define PROTO_QUERY_RECURSIVE    "recursive"        /* DELETE /files: "true": a directory with all beneath it */
#define PROTO_FORM_CHUNK         "chunk"

/* ---- JSON fields ---- */
#define PROTO_F_URL              "url"
#define PROTO_F_FILE_NAME        "fileName"
#define PROTO_F_FILE_SIZE        "fileSize"
#define PROTO_F_OVERWRITE        "overwrite"        /* extension */
#define PROTO_F_IDENTIFIER       "identifier"
#define PROTO_F_CHUNK_SIZE       "chunkSize"
#define PROTO_F_NUM_CHUNKS       "numberOfChunks"
#define PROTO_F_CHUNKSERVERS     "chunkservers"
#define PROTO_F_CHUNKS           "chunks"           /* extension */
#define PROTO_F_INDEX            "index"
#define PROTO_F_CHUNK_ID         "chunkIdentifier"
#define PROTO_F_REPLICAS         "replicas"
#define PROTO_F_CHUNKSERVER      "chunkserver"
#define PROTO_F_SIZE             "size"             /* extension: bytes a chunkserver stored */
#define PROTO_F_GENERATION       "generation"       /* extension: which incarnation of a file */
#define PROTO_F_REPLICATION      "replication"      /* extension: copies wanted per chunk */
#define PROTO_F_RACK             "rack"             /* extension: a chunkserver's rack */
#define PROTO_F_CAPACITY         "capacity"         /* extension: bytes of its file system */
#define PROTO_F_USED             "used"             /* extension: bytes used there */
#define PROTO_F_LOAD             "load"             /* extension: chunk transfers in progress */
#define PROTO_F_CHAIN_ERROR      "chainError"       /* extension: why a pipeline hop failed */
#define PROTO_F_UNDER_REPLICATED "underReplicated"  /* extension: chunks short of copies */
#define PROTO_F_UNAVAILABLE      "unavailableChunks" /* extension: stored chunks with no live copy */
#define PROTO_F_CORRUPT_CHUNKS   "corruptChunks"    /* extension: of those, ones with only rotten copies */
#define PROTO_F_TARGET           "target"           /* /replicate: where the copy goes */
#define PROTO_F_LOCATIONS        "locations"
#define PROTO_F_FILES            "files"
#define PROTO_F_COMPLETE         "complete"
#define PROTO_F_LIVE             "live"
#define PROTO_F_LAST_SEEN_MS     "lastSeenMs"
#define PROTO_F_ERROR            "error"
#define PROTO_F_SHA256           "sha256"           /* extension: a chunk's SHA-256, 64 hex digits */
#define PROTO_F_CHECKSUMS        "checksums"        /* extension: /get, each chunk's SHA-256 or null */
#define PROTO_F_EPOCH            "epoch"            /* extension: changes when the master restarts */
#define PROTO_F_ROLE             "role"             /* extension: an HA master's role, "active", "standby" or "catching-up" */
#define PROTO_F_LEADER           "leader"           /* extension: the active master's base URL ("" when none is known) */
#define PROTO_F_DELETE           "delete"           /* extension: [[chunk id, version], ...] to delete */
#define PROTO_F_VERIFY           "verify"           /* extension: [chunk id, ...] to check now */
#define PROTO_F_COPY             "replicate"        /* extension: [[chunk id, target], ...] to copy */
#define PROTO_F_CORRUPT          "corrupt"          /* extension: /badChunk from the holder itself */
#define PROTO_F_LOST             "lost"             /* extension: /badChunk, the holder's copy vanished */
#define PROTO_F_INCARNATION      "incarnation"      /* extension: registration, drawn at each chunkserver start */
#define PROTO_F_MEMBERS_VERSION  "chunkserversVersion" /* extension: the live list's digest; echoed, the list is left out while unchanged */
#define PROTO_F_PACKED_REPORTS   "packedReports"    /* extension: registration's answer, the record layout the master reads (1) */
#define PROTO_PACKED_LAYOUT      1
#define PROTO_F_UNREACHABLE      "unreachable"      /* extension: /chunkservers, shunned: clients cannot reach it */
#define PROTO_F_SHUNNED          "shunned"          /* extension: /unreachable's answer */
#define PROTO_F_TOKEN            "token"            /* extension: an append in progress */
#define PROTO_F_ABORT            "abort"            /* extension: /appendDone gives the append up */
#define PROTO_F_FILL             "fill"             /* extension: /append's partial last chunk */
#define PROTO_F_OFFSET           "offset"
#define PROTO_F_LENGTH           "length"
#define PROTO_F_NEW_SIZE         "newSize"
#define PROTO_F_RETRY_MS         "retryAfterMs"     /* extension: busy; try again after this */
#define PROTO_F_ACTIVE           "active"           /* extension: chunks a heartbeat says are being written */
#define PROTO_F_CLUSTER_ID       "clusterId"        /* extension: the cluster a master leads / a chunkserver joined */
#define PROTO_F_CHUNK_COUNT      "chunkCount"       /* extension: chunks held by a chunkserver of no cluster yet */
#define PROTO_F_FROM             "from"             /* extension: a paged /get, its first chunk */
#define PROTO_F_FIRST_NEW        "firstNewChunk"    /* extension: /append, the index of its first new chunk */
#define PROTO_F_NEW_CHUNKS       "newChunks"        /* extension: /append, how many new chunks it adds */

/* allocation (snake_case, as the node protocol spells them) */
#define PROTO_F_FILE             "file"
#define PROTO_F_CHUNK_INDEX      "chunk_index"
#define PROTO_F_CHUNK_HANDLE     "chunk_handle"
#define PROTO_F_PRIMARY          "primary"
#define PROTO_F_SECONDARIES      "secondaries"
#define PROTO_F_LEASE_MS         "lease_expires_ms"
#define PROTO_F_VERSION          "version"
#define PROTO_F_CAPABILITY       "capability"     /* a chunk's capability (secure clusters) */
#define PROTO_F_CAPABILITIES     "capabilities"   /* /get: one per chunk, as "checksums" */

/* users and permissions (extension; secure clusters) */
#define PROTO_F_MODE             "mode"           /* a file's permission bits, 0 to 0777 (an integer) */
#define PROTO_F_OWNER            "owner"
#define PROTO_F_GROUP            "group"
#define PROTO_F_NAME             "name"           /* /admin/tokens, /chmod, /chown; /ls: an entry's */
#define PROTO_F_PATH             "path"           /* /mkdir, /stat, /ls, /du: a normalised path */
#define PROTO_F_PARENTS          "parents"        /* /mkdir: make the missing ones above it too */
#define PROTO_F_RENAME_FROM      "from"           /* /rename */
#define PROTO_F_RENAME_TO        "to"
#define PROTO_F_REPLACE          "replace"        /* /rename: an entry at "to" may go */
#define PROTO_F_ENTRIES          "entries"        /* /ls */
#define PROTO_F_MORE             "more"           /* /ls: ask again with after=<the last name> */
#define PROTO_F_LAYOUT           "layout"         /* /ls?layout=1: a file's /get answer (paged, from 0) */
#define PROTO_F_TYPE             "type"           /* "file" or "directory" */
#define PROTO_F_CREATED          "created"        /* wall-clock ms */
#define PROTO_F_MODIFIED         "modified"
#define PROTO_F_STATE            "state"          /* a file's: "writing", "complete", "degraded", "missing" or "corrupt" */
#define PROTO_F_ENTRY_COUNT      "entryCount"     /* a directory's */
/* Batches: many files' plans in one POST /upload ({"files": [...]}),
 * many chunks' reports in one POST /uploadSuccessful ({"reports": [...]}),
 * answered item by item; an item's answer that is not a success carries
 * the status it would have had alone. */
#define PROTO_F_REPORTS          "reports"
#define PROTO_F_STATUS           "status"
#define PROTO_F_HEADERS          "headers"          /* POST /chunks: an item's request headers (extension) */
#define PROTO_F_FILES_REMOVED    "filesRemoved"   /* DELETE /files */
#define PROTO_F_DIRECTORIES      "directories"    /* /du */
#define PROTO_F_BYTES            "bytes"
#define PROTO_F_CHUNK_COUNT      "chunkCount"
#define PROTO_F_STORED_BYTES     "storedBytes"
#define PROTO_F_USER             "user"
#define PROTO_F_USERS            "users"
#define PROTO_F_SUPERUSER        "superuser"
#define PROTO_F_SECURE           "secure"
#define PROTO_F_BEARER           "token"          /* /admin/tokens: the new user's bearer token */
#define PROTO_F_EXPIRES_IN_MS    "expiresInMs"
#define PROTO_F_CREATED_MS       "createdMs"      /* wall clock */
#define PROTO_F_EXPIRES_MS       "expiresMs"      /* wall clock; 0: never */

/* ---- headers ---- */
#define PROTO_CONTENT_JSON       "application/json"
#define PROTO_CONTENT_OCTETS     "application/octet-stream"
/* A packed page of a full report (chunkpack.h): its envelope's line of
 * JSON, then fixed records. */
#define PROTO_CONTENT_CHUNKPACK  "application/x-minidfs-chunkpack"
/* On a chunk PUT: the chunk's version (a new file's chunks are born with
 * the file's generation, which /upload hands out: hence the wire name),
 * so a chunk of an overwritten file's earlier upload, or a stale copy, is
 * never counted. Decimal digits. */
#define PROTO_HDR_CHUNK_VERSION  "X-Minidfs-Generation"
/* On a chunk PUT: the rest of the replication chain, "HOST:PORT/,HOST:PORT/";
 * the receiver streams the chunk on to the first of them (the pipeline). */
#define PROTO_HDR_CHAIN          "X-Minidfs-Chain"
/* On a chunk PUT: the SHA-256 the uploader computed, 64 hex digits; the
 * chunk is refused unless its bytes match. The value "trailing" says the
 * uploader hashed while sending: the body's last 64 bytes are the hex
 * digest, not chunk bytes (and Content-Length counts them). */
#define PROTO_HDR_SHA256         "X-Minidfs-Sha256"
#define PROTO_SHA256_TRAILING    "trailing"
/* On a chunk PUT or GET to a secure chunkserver: the capability the master
 * handed out for it (auth.h). */
#define PROTO_HDR_CAPABILITY     "X-Minidfs-Capability"
/* On every answer of a standby master of an HA cluster that knows the
 * active one: the active master's base URL, "http://host:port". A client
 * sends what must be current (every write, and a minidfs client's reads)
 * there; a standby still answers reads from its copy. */
#define PROTO_HDR_LEADER         "X-Minidfs-Leader"
/* On a chunk PUT that a repair order sends ("repair"): counted apart in
 * the receiver's metrics; nothing else changes. */
#define PROTO_HDR_PURPOSE        "X-Minidfs-Purpose"
/* A chunk PUT's body length; in a POST /chunks item, one of its headers. */
#define PROTO_HDR_CONTENT_LENGTH "Content-Length"

/* ---- limits ---- */
#define PROTO_MAX_JSON_BODY      (1u << 20)    /* a control-plane request body is never larger */
#define PROTO_REPORT_PAGE        4000          /* chunks per /chunkreport request, at most (packed: 384,000
                                                  * bytes of records, inside the body's bound) */
#define PROTO_REPORT_PAGE_SENT   1000          /* what a chunkserver sends per request: a page is judged whole on one
                                                  * of the master's threads, and a client's request behind it waits */
#define PROTO_MAX_FILE_NAME      4096          /* bytes in a file name */
#define PROTO_MAX_CHUNKS         1000000u      /* chunks in one file */
#define PROTO_PAGE_ENTRIES       1000u         /* entries in one answer of /ls */
#define PROTO_LS_LAYOUT_CHUNKS   1u            /* /ls?layout=1 lays out files of at most this many chunks */
#define PROTO_MAX_BATCH          64u           /* items in one batch request */
#define PROTO_MAX_BATCH_CHUNK    (1u << 20)    /* bytes of one chunk in a POST /chunks batch */
#define PROTO_MAX_BATCH_LINE     8192u         /* bytes of one item's header line there */
#define PROTO_BATCH_PAGE_CHUNKS  1u            /* chunks in a batched /upload item's plan (GET /plan: more) */
#define PROTO_PAGE_CHUNKS        4096u         /* chunks in one answer of /upload, /append, /plan, paged /get */
#define PROTO_MAX_SERVER_ADDR    256           /* bytes in "HOST:PORT/" */
#define PROTO_DEFAULT_CHUNK_SIZE (64ull << 20)
#define PROTO_MAX_CHUNK_SIZE     (1ull << 30)
#define PROTO_MAX_REPLICATION    8             /* replicas of a chunk: the one bound, everywhere */
#define PROTO_MAX_CHUNKSERVERS   4096          /* registered with one master */
#define PROTO_MAX_RACK_NAME      63

#endif
