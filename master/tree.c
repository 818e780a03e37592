/*
 * tree.c - the shape of the namespace: each directory's entries kept as a
 * treap ordered by name (lookup, insertion, removal and "the first entry
 * after this name" in O(log n), so listing a huge directory page by page
 * costs no more per page than a small one's), walking a path down from the
 * root, spelling a node's path back up, and the path keys: which file is
 * at the path whose identifier (nspath_id, with or without the leading
 * '/') a reader names, kept true across renames. A file's own identifier
 * is most often one of its path's, so the identifier table finds it by
 * that one; the keys hold the other (a hash table of the first 32 bits,
 * chained through the file), and both for a file whose identifier is
 * neither (the second in a small table of its own, through its rare part).
 * A treap needs no stored priority: a node's is a hash of its address.
 * Everything here runs under the namespace's lock (namespace_impl.h says
 * which); must never allocate a node (only a file's rare part, for a
 * second key), log, or journal: namespace.c decides what changes, this
 * file keeps the structures straight.
 */
#include "namespace_impl.h"

#include <stdlib.h>
#include <string.h>

#include "nspath.h"

static uint64_t tree_prio(const ns_node *n)
{
    uint64_t x = (uint64_t)(uintptr_t)n;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

/* Compares a name of len bytes (not terminated) with a node's: by the
 * heads first, which settles most comparisons in the node's own memory. */
static int tree_cmp(const char *name, size_t len, uint32_t head, const ns_node *n)
{
    if (head != n->head)
        return head < n->head ? -1 : 1;
    int c = strncmp(name, namespace_node_name(n), len);
    if (c != 0)
        return c;
    return namespace_node_name(n)[len] == '\0' ? 0 : -1;
}

ns_node *tree_find(const ns_dir *d, const char *name, size_t len)
{
    ns_node *n = d->entries;
    uint32_t head = namespace_name_head(name, len);
    while (n) {
        int c = tree_cmp(name, len, head, n);
        if (c == 0)
            return n;
        n = c < 0 ? n->left : n->right;
    }
    return NULL;
}

/* Whether a's name sorts before b's. */
static bool tree_less(const ns_node *a, const ns_node *b)
{
    if (a->head != b->head)
        return a->head < b->head;
    return strcmp(namespace_node_name(a), namespace_node_name(b)) < 0;
}

static ns_node *tree_insert_at(ns_node *root, ns_node *n)
{
    if (!root)
        return n;
    if (tree_less(n, root)) {
        root->left = tree_insert_at(root->left, n);
        if (tree_prio(root->left) > tree_prio(root)) {   /* rotate right */
            ns_node *l = root->left;
            root->left = l->right;
            l->right = root;
            return l;
        }
    } else {
        root->right = tree_insert_at(root->right, n);
        if (tree_prio(root->right) > tree_prio(root)) {   /* rotate left */
            ns_node *r = root->right;
            root->right = r->left;
            r->left = root;
            return r;
        }
    }
    return root;
}

void tree_insert(ns_dir *d, ns_node *n)
{
    n->left = n->right = NULL;
    n->parent = d;
    d->entries = tree_insert_at(d->entries, n);
    d->nentries++;
}

/* Joins two treaps, every name in a before every name in b. */
static ns_node *tree_merge(ns_node *a, ns_node *b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    if (tree_prio(a) > tree_prio(b)) {
        a->right = tree_merge(a->right, b);
        return a;
    }
    b->left = tree_merge(a, b->left);
    return b;
}

static ns_node *tree_remove_at(ns_node *root, ns_node *n)
{
    if (!root)
        return NULL;
    if (root == n)
        return tree_merge(n->left, n->right);
    if (tree_less(n, root))
        root->left = tree_remove_at(root->left, n);
    else
        root->right = tree_remove_at(root->right, n);
    return root;
}

void tree_remove(ns_dir *d, ns_node *n)
{
    d->entries = tree_remove_at(d->entries, n);
    d->nentries--;
    n->left = n->right = NULL;
    n->parent = NULL;
}

ns_node *tree_after(const ns_dir *d, const char *name)
{
    ns_node *best = NULL;
    for (ns_node *n = d->entries; n;) {
        if (strcmp(namespace_node_name(n), name) > 0) {
            best = n;
            n = n->left;
        } else {
            n = n->right;
        }
    }
    return best;
}

/* Pushes the nodes of t whose names sort after name, leftmost last. */
static void tree_iter_descend(tree_iter *it, ns_node *t, const char *name)
{
    while (t) {
        if (!name || strcmp(namespace_node_name(t), name) > 0) {
            if (it->depth == TREE_ITER_DEPTH) {
                it->overflow = true;   /* deeper than any treap should be: go slowly */
                return;
            }
            it->stack[it->depth++] = t;
            t = t->left;
        } else {
            t = t->right;
        }
    }
}

void tree_iter_start(tree_iter *it, const ns_dir *d, const char *after)
{
    it->d = d;
    it->depth = 0;
    it->overflow = false;
    it->last = NULL;
    it->after = after ? after : "";
    tree_iter_descend(it, d->entries, it->after[0] ? it->after : NULL);
}

const ns_node *tree_iter_next(tree_iter *it)
{
    if (it->overflow) {   /* one descent per entry, as tree_after */
        const ns_node *n = tree_after(it->d, it->last ? namespace_node_name(it->last) : it->after);
        it->last = n;
        return n;
    }
    if (it->depth == 0)
        return NULL;
    ns_node *n = it->stack[--it->depth];
    tree_iter_descend(it, n->right, NULL);
    if (it->overflow)
        it->last = n;
    return n;
}

ns_status tree_lookup(const ns_table *ns, const char *path, ns_node **out)
{
    *out = NULL;
    ns_node *n = &ns->root->node;
    const char *p = path;
    while (*p == '/')
        p++;
    while (*p) {
        if (!n->dir)
            return NS_NOT_DIR;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        n = tree_find((const ns_dir *)n, p, len);
        if (!n)
            return NS_NOT_FOUND;
        p += len;
        while (*p == '/')
            p++;
    }
    *out = n;
    return NS_OK;
}

size_t tree_path(const ns_node *n, char *out, size_t cap)
{
    /* Depth is bounded by the path's length: every level is two bytes at least. */
    const ns_node *chain[NSPATH_MAX / 2 + 1];
    size_t depth = 0, len = 0;
    for (const ns_node *x = n; x && x->parent && depth < sizeof chain / sizeof *chain; x = &x->parent->node)
        chain[depth++] = x;
    if (cap == 0)
        return 0;
    if (depth == 0) {
        if (cap > 1)
            out[len++] = '/';
        out[len] = '\0';
        return len;
    }
    while (depth > 0) {
        const char *name = namespace_node_name(chain[--depth]);
        size_t k = strlen(name);
        if (len + 1 + k >= cap)
            break;
        out[len++] = '/';
        memcpy(out + len, name, k);
        len += k;
    }
    out[len] = '\0';
    return len;
}

bool tree_within(const ns_node *n, const ns_node *dir)
{
    for (const ns_node *x = n; x; x = x->parent ? &x->parent->node : NULL)
        if (x == dir)
            return true;
    return false;
}

bool tree_walk(ns_node *n, bool (*fn)(ns_node *n, void *ud), void *ud);

static bool tree_walk_entries(ns_node *t, bool (*fn)(ns_node *n, void *ud), void *ud)
{
    if (!t)
        return true;
    ns_node *l = t->left, *r = t->right;
    return tree_walk_entries(l, fn, ud) && tree_walk(t, fn, ud) && tree_walk_entries(r, fn, ud);
}

bool tree_walk(ns_node *n, bool (*fn)(ns_node *n, void *ud), void *ud)
{
    if (!fn(n, ud))
        return false;
    return !n->dir || tree_walk_entries(((ns_dir *)n)->entries, fn, ud);
}

/* ---- path keys ---- */

static uint32_t tree_key_of(const char *hex)
{
    return (uint32_t)namespace_hex_prefix(hex, 8);
}

/* Rehashes the n buckets of *b into twice as many; chains follow next(f)
 * and hash by key(f). Out of memory: longer chains, still correct. */
static void tree_keys_rehash(ns_file ***b, size_t *n, ns_file **(*next)(ns_file *f),
                             uint32_t (*key)(const ns_file *f))
{
    size_t m = *n * 2;
    ns_file **grown = calloc(m, sizeof *grown);
    if (!grown)
        return;
    for (size_t i = 0; i < *n; i++) {
        ns_file *f = (*b)[i];
        while (f) {
            ns_file *after = *next(f);
            size_t j = key(f) & (m - 1);
            *next(f) = grown[j];
            grown[j] = f;
            f = after;
        }
    }
    free(*b);
    *b = grown;
    *n = m;
}

static ns_file **tree_next1(ns_file *f) { return &f->knext; }
static uint32_t tree_key1(const ns_file *f) { return f->node.key; }
static ns_file **tree_next2(ns_file *f) { return &f->rare->knext2; }
static uint32_t tree_key2(const ns_file *f) { return f->rare->key2; }

bool namespace_pathids(const char *path, ns_pathids *out)
{
    return nspath_id(path, out->id[0]) && nspath_id_slashed(path, out->id[1]);
}

/* Which of ids f's own identifier is (0: the one without '/', 1: with
 * it), or -1: neither. */
static int tree_natural(const ns_file *f, const ns_pathids *ids)
{
    uint8_t b[SHA256_LEN];
    for (int t = 0; t < 2; t++)
        if (sha256_from_hex(ids->id[t], b) && memcmp(b, f->fid, SHA256_LEN) == 0)
            return t;
    return -1;
}

bool tree_keys_add(ns_table *ns, ns_file *f, const ns_pathids *ids)
{
    ns_pathids mine;
    if (!ids) {
        char path[NSPATH_MAX + 1];
        tree_path(&f->node, path, sizeof path);
        if (!namespace_pathids(path, &mine))
            return false;
        ids = &mine;
    }
    /* The identifier table finds f by the spelling that is its own; the
     * keys hold the other, and both when it has none. */
    int natural = tree_natural(f, ids);
    if (natural < 0) {
        ns_rare *r = namespace_rare(f);
        if (!r)
            return false;
        r->keyed2 = true;
        r->key2 = tree_key_of(ids->id[1]);
        ns_file **slot = &ns->kb2[r->key2 & (ns->nkb2 - 1)];
        r->knext2 = *slot;
        *slot = f;
        if (++ns->nkeyed2 > ns->nkb2 * NS_CHAIN_LOAD)
            tree_keys_rehash(&ns->kb2, &ns->nkb2, tree_next2, tree_key2);
    }
    f->node.key = tree_key_of(ids->id[natural == 0 ? 1 : 0]);
    ns_file **slot = &ns->kb[f->node.key & (ns->nkb - 1)];
    f->knext = *slot;
    *slot = f;
    if (++ns->nkeyed > ns->nkb * NS_CHAIN_LOAD)
        tree_keys_rehash(&ns->kb, &ns->nkb, tree_next1, tree_key1);
    return true;
}

/* Unchains f from bucket *p, following next; whether it was there. */
static bool tree_keys_unchain(ns_file **p, ns_file *f, ns_file **(*next)(ns_file *f))
{
    while (*p && *p != f)
        p = next(*p);
    if (!*p)
        return false;
    *p = *next(f);
    *next(f) = NULL;
    return true;
}

void tree_keys_drop(ns_table *ns, ns_file *f)
{
    if (tree_keys_unchain(&ns->kb[f->node.key & (ns->nkb - 1)], f, tree_next1))
        ns->nkeyed--;
    ns_rare *r = f->rare;
    if (r && r->keyed2) {
        if (tree_keys_unchain(&ns->kb2[r->key2 & (ns->nkb2 - 1)], f, tree_next2))
            ns->nkeyed2--;
        r->keyed2 = false;
        namespace_rare_trim(f);
    }
}

/* Whether id (64 hex digits) is an identifier of f's path now. */
static bool tree_is_at(const ns_file *f, const char *id)
{
    char path[NSPATH_MAX + 1], full[NSPATH_ID_LEN + 1];
    tree_path(&f->node, path, sizeof path);
    return (nspath_id(path, full) && memcmp(full, id, NSPATH_ID_LEN) == 0) ||
           (nspath_id_slashed(path, full) && memcmp(full, id, NSPATH_ID_LEN) == 0);
}

ns_file *tree_keys_find(ns_table *ns, const char *id)
{
    /* A file whose identifier id is, still at the path it is of. */
    ns_file *f = *namespace_slot(ns, id);
    if (f && !f->replaces && f->node.parent && tree_is_at(f, id))
        return f;
    /* The keys: 32 bits match, then the path is hashed for the other 224. */
    uint32_t k = tree_key_of(id);
    for (f = ns->kb[k & (ns->nkb - 1)]; f; f = f->knext)
        if (f->node.key == k && tree_is_at(f, id))
            return f;
    for (f = ns->kb2[k & (ns->nkb2 - 1)]; f; f = f->rare->knext2)
        if (f->rare->key2 == k && tree_is_at(f, id))
            return f;
    return NULL;
}
