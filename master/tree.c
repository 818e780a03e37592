/*
 * tree.c - the shape of the namespace: each directory's entries kept as a
 * treap ordered by name (lookup, insertion, removal and "the first entry
 * after this name" in O(log n), so listing a huge directory page by page
 * costs no more per page than a small one's), walking a path down from the
 * root, spelling a node's path back up, and the path keys: two small hash
 * tables from (the first 32 bits of) the identifiers of a file's current path (nspath_id, with
 * and without the leading '/') to the file, kept true across renames.
 * A treap needs no stored priority: a node's is a hash of its address.
 * Everything here runs under the namespace's lock (namespace_impl.h says
 * which); must never allocate a node, log, or journal: namespace.c decides
 * what changes, this file keeps the structures straight.
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

static void tree_keys_grow(ns_table *ns)
{
    size_t n = ns->nkb * 2;
    ns_file **b[2] = { calloc(n, sizeof(ns_file *)), calloc(n, sizeof(ns_file *)) };
    if (!b[0] || !b[1]) {
        free(b[0]);
        free(b[1]);
        return;   /* longer chains; still correct */
    }
    for (int t = 0; t < 2; t++) {
        for (size_t i = 0; i < ns->nkb; i++) {
            ns_file *f = ns->kb[t][i];
            while (f) {
                ns_file *next = f->knext[t];
                size_t j = f->key[t] & (n - 1);
                f->knext[t] = b[t][j];
                b[t][j] = f;
                f = next;
            }
        }
        free(ns->kb[t]);
        ns->kb[t] = b[t];
    }
    ns->nkb = n;
}

bool namespace_pathids(const char *path, ns_pathids *out)
{
    return nspath_id(path, out->id[0]) && nspath_id_slashed(path, out->id[1]);
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
    for (int t = 0; t < 2; t++) {
        f->key[t] = tree_key_of(ids->id[t]);
        ns_file **slot = &ns->kb[t][f->key[t] & (ns->nkb - 1)];
        f->knext[t] = *slot;
        *slot = f;
    }
    if (++ns->nkeyed > ns->nkb * NS_CHAIN_LOAD)
        tree_keys_grow(ns);
    return true;
}

void tree_keys_drop(ns_table *ns, ns_file *f)
{
    bool found = false;
    for (int t = 0; t < 2; t++) {
        ns_file **p = &ns->kb[t][f->key[t] & (ns->nkb - 1)];
        while (*p && *p != f)
            p = &(*p)->knext[t];
        if (*p) {
            *p = f->knext[t];
            found = true;
        }
        f->knext[t] = NULL;
    }
    if (found)
        ns->nkeyed--;
}

ns_file *tree_keys_find(const ns_table *ns, const char *id)
{
    uint32_t k = tree_key_of(id);
    for (int t = 0; t < 2; t++)
        for (ns_file *f = ns->kb[t][k & (ns->nkb - 1)]; f; f = f->knext[t]) {
            if (f->key[t] != k)
                continue;
            /* 32 bits matched: make sure of the other 224. */
            char path[NSPATH_MAX + 1], full[NSPATH_ID_LEN + 1];
            tree_path(&f->node, path, sizeof path);
            if ((t == 0 ? nspath_id(path, full) : nspath_id_slashed(path, full)) &&
                memcmp(full, id, NSPATH_ID_LEN) == 0)
                return f;
        }
    return NULL;
}
