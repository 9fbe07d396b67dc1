/*
 * reload.c: SIGHUP, reading the configuration again while running (as sshd and nginx do).
 *
 * The file is parsed into a fresh struct conf by conf_load(), exactly as at start-up; with
 * any error nothing changes: every error is logged and the running configuration stays. A
 * valid file replaces n->conf as a whole, after two adjustments:
 *   - what the running node was built from and cannot follow without a restart (the node's
 *     name, region, key, state directory, listen endpoints, transport key, [link] sections
 *     and [trust]) keeps its running value: each such change is logged, and the new struct
 *     takes over the running values (pointers and all, so that whatever points into them,
 *     e.g. a stream link's conf_link, stays valid) while the old struct, freed at the end,
 *     carries off the new ones;
 *   - what the running node holds copies of is updated: the log level, the bootstrap keys of
 *     the ZAP handler ([peer] transport, [node] allow), the author rate limit table, every
 *     peer's send queue bound, and the configured peers themselves: a [peer] that is new (by
 *     name) is created and dialled, one that is gone is marked and freed at the end of the
 *     loop pass (never inside its own handlers), and one whose address, key or transport key
 *     changed is replaced by a new one.
 * Everything else (sync_interval, push, confirm_warnings, announce, max_discovered,
 * reroute_after, the frame rate limit, store_max_bytes) is read from n->conf where it is
 * used, so the swap is all it needs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

static int
str_differ(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

static int
listen_differ(const struct conf *a, const struct conf *b)
{
	size_t i;

	if (a->nlisten != b->nlisten)
		return 1;
	for (i = 0; i < a->nlisten; i++)
		if (strcmp(a->listen[i], b->listen[i]) != 0)
			return 1;
	return 0;
}

static int
links_differ(const struct conf *a, const struct conf *b)
{
	const struct conf_link *x, *y;
	size_t i;

	if (a->nlinks != b->nlinks)
		return 1;
	for (i = 0; i < a->nlinks; i++) {
		x = &a->links[i];
		y = &b->links[i];
		if (str_differ(x->name, y->name) || x->type != y->type ||
		    memcmp(x->key, y->key, sizeof(x->key)) != 0 || x->mtu != y->mtu ||
		    x->bitrate != y->bitrate || x->bitrate_set != y->bitrate_set ||
		    str_differ(x->local, y->local) || str_differ(x->remote, y->remote) ||
		    str_differ(x->device, y->device) || x->baud != y->baud)
			return 1;
	}
	return 0;
}

static int
hooks_differ(const struct conf *a, const struct conf *b)
{
	const struct conf_hook *x, *y;
	size_t i;

	if (a->nhooks != b->nhooks)
		return 1;
	for (i = 0; i < a->nhooks; i++) {
		x = &a->hooks[i];
		y = &b->hooks[i];
		if (str_differ(x->name, y->name) || x->on != y->on ||
		    str_differ(x->command, y->command) || str_differ(x->region, y->region) ||
		    x->min_level != y->min_level || x->status != y->status ||
		    x->format != y->format || x->timeout != y->timeout ||
		    x->max_running != y->max_running || x->overdue_after != y->overdue_after)
			return 1;
	}
	return 0;
}

static int
trust_differ(const struct conf *a, const struct conf *b)
{
	return a->nanchors != b->nanchors || (a->nanchors > 0 && memcmp(a->anchors,
	    b->anchors, a->nanchors * sizeof(*a->anchors)) != 0) ||
	    a->trust_open != b->trust_open || a->held_max != b->held_max ||
	    a->held_bytes != b->held_bytes;
}

#define SWAP(type, a, b) do {						\
	type swap_tmp_ = (a);						\
	(a) = (b);							\
	(b) = swap_tmp_;						\
} while (0)

typedef uint8_t	anchor_key[FC_PUBLICKEYBYTES];

static void
restart_only(const char *what, const char *path)
{
	log_warnx("reload: %s: %s changed; that takes a restart, the running value is kept",
	    path, what);
}

/*
 * Give nc the running values of oc for everything that takes a restart, logging each one
 * that changed; oc gets nc's (it is freed afterwards). Returns how many changed.
 */
static int
keep_restart_only(struct conf *oc, struct conf *nc)
{
	int changed = 0;

	if (str_differ(oc->name, nc->name) && ++changed)
		restart_only("[node] name", nc->path);
	SWAP(char *, oc->name, nc->name);
	if (str_differ(oc->region, nc->region) && ++changed)
		restart_only("[node] region", nc->path);
	SWAP(char *, oc->region, nc->region);
	if (str_differ(oc->keypath, nc->keypath) && ++changed)
		restart_only("[node] key", nc->path);
	SWAP(char *, oc->keypath, nc->keypath);
	if (str_differ(oc->state, nc->state) && ++changed)
		restart_only("[node] state", nc->path);
	SWAP(char *, oc->state, nc->state);
	if (listen_differ(oc, nc) && ++changed)
		restart_only("[node] listen", nc->path);
	SWAP(char **, oc->listen, nc->listen);
	SWAP(size_t, oc->nlisten, nc->nlisten);
	if (str_differ(oc->tkeypath, nc->tkeypath) && ++changed)
		restart_only("[node] transport_key", nc->path);
	SWAP(char *, oc->tkeypath, nc->tkeypath);
	if (links_differ(oc, nc) && ++changed)
		restart_only("a [link] section", nc->path);
	SWAP(struct conf_link *, oc->links, nc->links);
	SWAP(size_t, oc->nlinks, nc->nlinks);
	/* hook.c copied its sections at start: the running hooks are those. */
	if (hooks_differ(oc, nc) && ++changed)
		restart_only("a [hook] section", nc->path);
	SWAP(struct conf_hook *, oc->hooks, nc->hooks);
	SWAP(size_t, oc->nhooks, nc->nhooks);
	if (trust_differ(oc, nc) && ++changed)
		restart_only("[trust]", nc->path);
	SWAP(anchor_key *, oc->anchors, nc->anchors);
	SWAP(size_t, oc->nanchors, nc->nanchors);
	SWAP(int, oc->trust_open, nc->trust_open);
	SWAP(size_t, oc->held_max, nc->held_max);
	SWAP(size_t, oc->held_bytes, nc->held_bytes);
	return changed;
}

static const struct conf_peer *
conf_peer_named(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->npeers; i++)
		if (strcmp(c->peers[i].name, name) == 0)
			return &c->peers[i];
	return NULL;
}

static int
peer_differ(const struct conf_peer *a, const struct conf_peer *b)
{
	return strcmp(a->address, b->address) != 0 ||
	    memcmp(a->key, b->key, sizeof(a->key)) != 0 || a->has_transport != b->has_transport ||
	    (a->has_transport && memcmp(a->transport, b->transport, sizeof(a->transport)) != 0);
}

/* Retire a peer: no longer configured, freed by the reap at the end of this pass. */
static void
peer_retire(struct peer *p)
{
	p->configured = 0;
	p->dead = 1;
}

/*
 * Bring the configured peers in line with nc (already n->conf): retire those removed or
 * changed, create and dial those added or changed. Counts what it did.
 */
static void
apply_peers(struct node *n, const struct conf *oc, const struct conf *nc, size_t *added,
    size_t *removed)
{
	const struct conf_peer *was, *cp;
	struct peer *p;
	size_t i, j, npeers = n->npeers;

	*added = *removed = 0;
	for (i = 0; i < npeers; i++) {
		p = n->peers[i];
		if (!p->configured || p->dead || peer_stream(p) != NULL)
			continue;
		was = conf_peer_named(oc, p->name);
		cp = conf_peer_named(nc, p->name);
		if (cp != NULL && was != NULL && !peer_differ(was, cp))
			continue;
		log_info("reload: peer %s %s", peer_label(p), cp == NULL ? "removed" :
		    "changed: reconnecting");
		peer_retire(p);
		(*removed)++;
	}
	for (i = 0; i < nc->npeers; i++) {
		cp = &nc->peers[i];
		if ((was = conf_peer_named(oc, cp->name)) != NULL && !peer_differ(was, cp))
			continue;
		/* A node found by peer exchange that is now configured: the configured one. */
		for (j = 0; j < npeers; j++) {
			p = n->peers[j];
			if (!p->configured && !p->dead && p->has_key &&
			    memcmp(p->key, cp->key, FC_PUBLICKEYBYTES) == 0)
				peer_retire(p);
		}
		p = peer_new(n, cp->name, cp->address, cp->key, 1);
		if (p == NULL || node_add_peer(n, p) != 0) {
			log_warnx("reload: peer %s: cannot add it (out of memory, or %d peers)",
			    cp->name, NODE_PEERS_MAX);
			peer_free(n, &p);
			continue;
		}
		if (peer_connect(n, p) != 0) {
			log_warnx("reload: peer %s: cannot connect to %s; not added", cp->name,
			    cp->address);
			peer_retire(p);
			continue;
		}
		if (was == NULL)
			log_info("reload: peer %s added, connecting to %s", peer_label(p),
			    cp->address);
		(*added)++;
	}
}

/* Log conf_load()'s messages ("file:line: message"), one line each. */
static void
log_errors(char *buf, size_t len)
{
	char *line, *save = NULL;

	if (buf == NULL || len == 0)
		return;
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
		log_warnx("reload: %s", line);
}

int
reload_conf(struct node *n)
{
	struct conf *oc = n->conf, *nc = NULL;
	char *errs = NULL;
	size_t errlen = 0, added, removed;
	FILE *ef;
	int nerr, restart;

	log_info("reload: reading %s (SIGHUP)", oc->path);
	if ((ef = open_memstream(&errs, &errlen)) == NULL) {
		log_warn("reload: open_memstream");
		return -1;
	}
	nerr = conf_load(oc->path, ef, &nc);
	fclose(ef);
	if (nerr != 0) {
		log_errors(errs, errlen);
		log_warnx("reload: %s: %d error%s; the running configuration is kept", oc->path,
		    nerr, nerr == 1 ? "" : "s");
		free(errs);
		return -1;
	}
	free(errs);
	/* What can fail comes first, so that a failure changes nothing. */
	if (curve_admit_set(n, nc) != 0 || limits_reload(n, oc, nc) != 0) {
		log_warnx("reload: out of memory; the running configuration is kept");
		(void)curve_admit_set(n, oc);
		conf_free(&nc);
		return -1;
	}
	restart = keep_restart_only(oc, nc);
	if (nc->log_level != oc->log_level) {
		log_setlevel(nc->log_level);
		log_info("reload: log_level %s", log_level_name(nc->log_level));
	}
	n->conf = nc;
	apply_peers(n, oc, nc, &added, &removed);
	conf_free(&oc);
	log_info("reload: %s loaded: %zu peer(s) configured, %zu connecting anew, %zu retired%s",
	    nc->path, nc->npeers, added, removed,
	    restart ? "; some changes take a restart (see above)" : "");
	return 0;
}
