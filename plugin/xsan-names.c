/* xsan-names.c
 * Name snooping, like NFS's: inode -> (parent, name) learnt per volume from
 * LOOKUP and CREATE responses, READDIR entries and OK'd RENAMEs, so that
 * messages naming an inode show its path. Paths are built from parent links
 * up to the volume's ROOT_INODE, so renaming a directory moves everything
 * below it. Each frame keeps the path it had on the first pass.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "xsan-analysis.h"

static int hf_path;
static int hf_new_path;

typedef struct xsan_dentry {
    uint64_t    inode;          /* its key in by_inode, its value in by_name */
    uint64_t    parent;
    const char *name;           /* points into child_key, after the '/' */
    char       *child_key;      /* "parent/name": its key in by_name */
    struct xsan_dentry *up;     /* parent's dentry as last looked up, or NULL */
    const char *path;           /* its path when the volume's clock read path_at, or NULL */
    uint32_t    path_at;
    uint32_t    moved;          /* the clock when it got this parent and name */
    uint32_t    walk;           /* last path walk that passed here */
    bool        gone;           /* forgotten: no longer in by_inode (never freed) */
} xsan_dentry_t;

struct xsan_volume {
    const char *name;
    bool        has_root;
    uint64_t    root;
    wmem_map_t *by_inode;       /* uint64_t inode -> xsan_dentry_t */
    wmem_map_t *by_name;        /* "parent/name" -> uint64_t inode */
    unsigned    n_names;
    bool        full;
    uint32_t    clock;          /* ticks when a known name moves or goes */
    uint32_t    root_moved;     /* the clock when ROOT_INODE changed */
};

/* Volumes by name, reset with each file. Inode numbers are per volume. */
static wmem_map_t *volumes;

xsan_volume_t *
xsan_volume_get(const char *name)
{
    xsan_volume_t *vol = (xsan_volume_t *)wmem_map_lookup(volumes, name);
    if (!vol) {
        vol = wmem_new0(wmem_file_scope(), xsan_volume_t);
        vol->name = wmem_strdup(wmem_file_scope(), name);
        vol->by_inode = wmem_map_new(wmem_file_scope(), xsan_u64_hash, g_int64_equal);
        vol->by_name = wmem_map_new(wmem_file_scope(), g_str_hash, g_str_equal);
        wmem_map_insert(volumes, vol->name, vol);
    }
    return vol;
}

const char *
xsan_volume_name(const xsan_volume_t *vol)
{
    return vol->name;
}

void
xsan_volume_set_root(xsan_volume_t *vol, uint64_t root)
{
    if (!vol->has_root || vol->root != root)
        vol->root_moved = ++vol->clock;
    vol->has_root = true;
    vol->root = root;
}

/* "parent/name", as "%" PRIu64 "/%s" prints it (without printf: one of
 * these is made for every name learnt). */
static char *
child_key(wmem_allocator_t *scope, uint64_t parent, const char *name)
{
    char digits[20];
    size_t n = 0, len = strlen(name);
    do {
        digits[n++] = (char)('0' + parent % 10);
        parent /= 10;
    } while (parent);
    char *key = (char *)wmem_alloc(scope, n + 1 + len + 1);
    for (size_t i = 0; i < n; i++)
        key[i] = digits[n - 1 - i];
    key[n] = '/';
    memcpy(key + n + 1, name, len + 1);
    return key;
}

/* "." and ".." would make loops of the parent links. */
static bool
usable_name(const char *name)
{
    return name && *name && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 && !strchr(name, '/');
}

static void
forget(xsan_volume_t *vol, uint64_t parent, const char *name, packet_info *pinfo)
{
    char *key = child_key(pinfo->pool, parent, name);
    uint64_t *inode = (uint64_t *)wmem_map_remove(vol->by_name, key);
    if (inode) {
        xsan_dentry_t *d = (xsan_dentry_t *)wmem_map_lookup(vol->by_inode, inode);
        if (d && strcmp(d->child_key, key) == 0) {
            wmem_map_remove(vol->by_inode, inode);
            d->gone = true;
            d->moved = ++vol->clock;
        }
    }
}

static void
learn(xsan_ctx_t *c, uint64_t parent, const char *name, uint64_t inode)
{
    xsan_volume_t *vol = c->vol;
    if (!usable_name(name) || (vol->has_root && inode == vol->root) || inode == parent)
        return;
    xsan_dentry_t *d = (xsan_dentry_t *)wmem_map_lookup(vol->by_inode, &inode);
    if (d && d->parent == parent && strcmp(d->name, name) == 0)
        return;
    if (d) {
        /* The inode has a new name; its old key goes unless another inode took it.
         * Either way the map no longer uses the old key string (by_name keys
         * are always their owner's child_key, see below): it is freed. */
        uint64_t *old = (uint64_t *)wmem_map_lookup(vol->by_name, d->child_key);
        if (old && *old == inode)
            wmem_map_remove(vol->by_name, d->child_key);
        wmem_free(wmem_file_scope(), d->child_key);
        d->moved = ++vol->clock;    /* its path and those below it change */
        d->path = NULL;
    } else {
        if (vol->n_names >= XSAN_MAX_NAMES) {
            if (!vol->full) {
                vol->full = true;
                c->fr->caps |= XSAN_CAP_NAMES;
            }
            return;
        }
        d = wmem_new0(wmem_file_scope(), xsan_dentry_t);
        d->inode = inode;
        d->moved = vol->clock;      /* no path could name it yet: nothing expires */
        wmem_map_insert(vol->by_inode, &d->inode, d);
        vol->n_names++;
    }
    d->parent = parent;
    d->up = NULL;
    d->child_key = child_key(wmem_file_scope(), parent, name);
    d->name = strchr(d->child_key, '/') + 1;
    /* Replacing a key keeps the map's old key string, which its owner may
     * free later: put the entry in again so that the key is d's own. */
    if (wmem_map_insert(vol->by_name, d->child_key, &d->inode)) {
        wmem_map_remove(vol->by_name, d->child_key);
        wmem_map_insert(vol->by_name, d->child_key, &d->inode);
    }
}

/* The dentry of a dentry's parent: the one remembered while it is still
 * the parent's (dentries are never freed; a forgotten one says so), else a
 * lookup. */
static xsan_dentry_t *
parent_of(const xsan_volume_t *vol, xsan_dentry_t *d)
{
    xsan_dentry_t *up = d->up;
    if (!up || up->gone || up->inode != d->parent) {
        up = (xsan_dentry_t *)wmem_map_lookup(vol->by_inode, &d->parent);
        d->up = up;
    }
    return up;
}

static void
clear_mark(void *key _U_, void *value, void *user_data _U_)
{
    ((xsan_dentry_t *)value)->walk = 0;
}

static void
clear_marks(void *key _U_, void *value, void *user_data _U_)
{
    wmem_map_foreach(((xsan_volume_t *)value)->by_inode, clear_mark, NULL);
}

/* A kept path still holds while neither the dentry nor any ancestor has
 * moved or gone since it was made (nor the root): a walk up the remembered
 * parent links, no string work. */
static bool
path_still_good(const xsan_volume_t *vol, xsan_dentry_t *d)
{
    uint32_t made = d->path_at;
    if (vol->root_moved > made)
        return false;
    for (unsigned steps = 0; d && steps < XSAN_MAX_PATH_DEPTH; steps++) {
        if (d->moved > made || d->gone)
            return false;
        if (d->parent == vol->root)
            return true;
        d = parent_of(vol, d);
    }
    return false;
}

/* "/" and the components from the root; NULL when a link is unknown or
 * the links loop. The dentry keeps the path it gets until it or an
 * ancestor moves or goes, so messages about it share one string (time
 * and memory). */
static const char *
path_of(xsan_volume_t *vol, uint64_t inode)
{
    static uint32_t walks;
    const char *parts[XSAN_MAX_PATH_DEPTH];
    unsigned n = 0;

    if (!vol || !vol->has_root || inode == vol->root) {
        if (vol && vol->has_root)
            return "/";
        return NULL;
    }
    xsan_dentry_t *first = (xsan_dentry_t *)wmem_map_lookup(vol->by_inode, &inode);
    if (!first)
        return NULL;
    if (first->path && path_still_good(vol, first))
        return first->path;
    if (walks == UINT32_MAX) {
        /* The marks would wrap: clear them all so that none looks like this walk's. */
        wmem_map_foreach(volumes, clear_marks, NULL);
        walks = 0;
    }
    walks++;
    /* A dentry passed twice in one walk means the links loop for ever
     * without reaching the root: NULL, as the depth limit would say later. */
    xsan_dentry_t *d = first;
    while (d) {
        if (n == XSAN_MAX_PATH_DEPTH || d->walk == walks)
            return NULL;
        d->walk = walks;
        parts[n++] = d->name;
        if (d->parent == vol->root)
            break;
        d = parent_of(vol, d);
    }
    if (!d)
        return NULL;
    wmem_strbuf_t *buf = wmem_strbuf_new(wmem_file_scope(), "");
    while (n > 0) {
        wmem_strbuf_append_c(buf, '/');
        wmem_strbuf_append(buf, parts[--n]);
    }
    first->path = wmem_strbuf_finalize(buf);
    first->path_at = vol->clock;
    return first->path;
}

/* The path of NAME in directory PARENT: the entry's own when it is known. */
static const char *
path_in(xsan_volume_t *vol, uint64_t parent, const char *name, packet_info *pinfo)
{
    if (!name)
        return NULL;
    uint64_t *known = (uint64_t *)wmem_map_lookup(vol->by_name, child_key(pinfo->pool, parent, name));
    const char *path = known && *known != vol->root ? path_of(vol, *known) : NULL;
    if (path)
        return path;
    const char *dir = path_of(vol, parent);
    if (!dir)
        return NULL;
    return wmem_strdup_printf(wmem_file_scope(), "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, name);
}

/* The path (and RENAME's new path) a request names. */
static void
request_paths(xsan_ctx_t *c)
{
    const xsan_msg_t *msg = c->msg;
    const char *name = msg->body ? xsan_scope_str(msg->body->top, XSAN_TAG_NAME) : NULL;
    const char *new_name = msg->body ? xsan_scope_str(msg->body->top, XSAN_TAG_NEW_NAME) : NULL;
    uint64_t parent, new_parent, inode;

    if (xsan_body_u64(msg, XSAN_TAG_PARENT_INODE, &parent) && name)
        c->fr->path = path_in(c->vol, parent, name, c->pinfo);
    else if (xsan_body_u64(msg, XSAN_TAG_INODE, &inode))
        c->fr->path = path_of(c->vol, inode);
    if (xsan_body_u64(msg, XSAN_TAG_NEW_PARENT_INODE, &new_parent) && new_name)
        c->fr->new_path = path_in(c->vol, new_parent, new_name, c->pinfo);
    if (c->call && c->fr->role == XSAN_ROLE_REQUEST) {
        c->call->path = c->fr->path;
        c->call->new_path = c->fr->new_path;
    }
}

static void
learn_dirents(xsan_ctx_t *c, uint64_t dir)
{
    const xsan_body_t *body = c->msg->body;
    unsigned n = wmem_array_get_count(body->groups);
    for (unsigned i = 0; i < n; i++) {
        const xsan_group_t *g = (const xsan_group_t *)wmem_array_index(body->groups, i);
        xsan_value_t v;
        if (g->tag == XSAN_TAG_DIRENT && xsan_scope_get(g->scope, XSAN_TAG_INODE, &v))
            learn(c, dir, xsan_scope_str(g->scope, XSAN_TAG_NAME), v.u);
    }
}

/* What an OK response teaches. */
static void
learn_from_response(xsan_ctx_t *c)
{
    const xsan_call_req_t *call = c->call->req;
    uint64_t inode;

    if (!call)
        return;
    switch (c->msg->opcode) {
    case XSAN_OP_LOOKUP:
    case XSAN_OP_CREATE:
        if (call->has_parent && xsan_body_u64(c->msg, XSAN_TAG_INODE, &inode))
            learn(c, call->parent, call->name, inode);
        break;
    case XSAN_OP_READDIR:
        if (call->has_inode)
            learn_dirents(c, call->inode);
        break;
    case XSAN_OP_RENAME:
        if (call->has_parent && call->has_new_parent && call->name && call->new_name) {
            char *key = child_key(c->pinfo->pool, call->parent, call->name);
            uint64_t *moved = (uint64_t *)wmem_map_lookup(c->vol->by_name, key);
            if (moved) {
                uint64_t ino = *moved;
                learn(c, call->new_parent, call->new_name, ino);
            }
        }
        break;
    case XSAN_OP_REMOVE:
        if (call->has_parent && call->name)
            forget(c->vol, call->parent, call->name, c->pinfo);
        break;
    default:
        break;
    }
}

void
xsan_names_analyse(xsan_ctx_t *c)
{
    const xsan_msg_t *msg = c->msg;
    uint64_t inode;

    if (!c->vol)
        return;
    if (!XSAN_IS_RESPONSE(msg)) {
        request_paths(c);
        return;
    }
    if (!c->call)
        return;
    if (c->fr->role == XSAN_ROLE_RESPONSE && msg->has_status && msg->status == XSAN_STATUS_OK)
        learn_from_response(c);
    /* A response is about what its request named, as it was then. */
    c->fr->path = c->call->path;
    c->fr->new_path = c->call->new_path;
    if (!c->fr->path && xsan_body_u64(msg, XSAN_TAG_INODE, &inode))
        c->fr->path = path_of(c->vol, inode);
}

void
xsan_names_show(packet_info *pinfo _U_, const xsan_msg_t *msg, const xsan_frame_t *fr)
{
    proto_item *pi;
    if (fr->path) {
        pi = proto_tree_add_string(msg->tree, hf_path, msg->tvb, 0, 0, fr->path);
        proto_item_set_generated(pi);
    }
    if (fr->new_path) {
        pi = proto_tree_add_string(msg->tree, hf_new_path, msg->tvb, 0, 0, fr->new_path);
        proto_item_set_generated(pi);
    }
}

void
xsan_names_register(int proto)
{
    static hf_register_info hf[] = {
        { &hf_path, { "Path", "xsan.path", FT_STRING, BASE_NONE, NULL, 0x0,
            "Path of the inode (or PARENT_INODE + NAME) this message is about, from the volume's"
            " root as names learnt so far show it when the message was sent (name snooping)", HFILL } },
        { &hf_new_path, { "New path", "xsan.new_path", FT_STRING, BASE_NONE, NULL, 0x0,
            "Path a RENAME moves the entry to (NEW_PARENT_INODE + NEW_NAME)", HFILL } },
    };
    proto_register_field_array(proto, hf, array_length(hf));
    volumes = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_str_hash, g_str_equal);
}
