/*
 * trustfix.c: the fixture of the trust-policy tests (see trustfix.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zmq.h>

#include "node.h"
#include "trustfix.h"

#define DAY_MS		(24ULL * 3600 * 1000)
#define HOUR_MS		(3600ULL * 1000)

struct tf_env *
tf_new(const char *name)
{
	struct tf_env *e = calloc(1, sizeof(*e));
	int i;

	assert_non_null(e);
	snprintf(e->dir, sizeof(e->dir), "/tmp/fh-%s-XXXXXX", name);
	assert_non_null(mkdtemp(e->dir));
	e->sname = "n";
	for (i = 0; i < K_MAX; i++)
		assert_int_equal(fc_key_generate(&e->key[i]), 0);
	return e;
}

int
tf_setup(void **state)
{
	*state = tf_new("node");
	return 0;
}

int
tf_teardown(void **state)
{
	tf_free(*state);
	return 0;
}

void
tf_free(struct tf_env *e)
{
	char cmd[128];
	int i;

	/* The client goes before the node and the context after it, as zmq_ctx_term needs. */
	if (e->ctl != NULL)
		zmq_close(e->ctl);
	node_free(&e->n);
	if (e->zctx != NULL)
		zmq_ctx_term(e->zctx);
	for (i = 0; i < K_MAX; i++)
		fc_key_free(&e->key[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	assert_int_equal(system(cmd), 0);
	free(e);
}

struct node *
tf_start(struct tf_env *e, const char *trust)
{
	char path[128], state[128];
	struct conf *conf;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/n.conf", e->dir);
	snprintf(state, sizeof(state), "%s/%s", e->dir, e->sname);
	assert_non_null(fp = fopen(path, "w"));
	fprintf(fp, "[trust]\n%s\n[node]\nname = hub\nregion = 330110\nkey = %s/node.key\n"
	    "state = %s\n", trust, state, state);
	fclose(fp);
	assert_int_equal(conf_load(path, stderr, &conf), 0);
	return node_new(conf);
}

/* A neighbour whose key is fill repeated, its inbound link up without a socket. */
static struct peer *
neighbour(struct tf_env *e, const char *name, int fill)
{
	uint8_t k[FC_PUBLICKEYBYTES];
	struct peer *p;

	memset(k, fill, sizeof(k));
	assert_non_null(p = peer_new(e->n, name, "", k, 0));
	p->in.state = LINK_UP;
	assert_int_equal(node_add_peer(e->n, p), 0);
	return p;
}

void
tf_start_hub(struct tf_env *e, int open, const char *extra, int npeers)
{
	char trust[512], hex[2 * FC_PUBLICKEYBYTES + 1];

	assert_true(npeers >= 1 && npeers <= 3);
	if (open)
		snprintf(trust, sizeof(trust), "open = yes\n%s", extra);
	else
		snprintf(trust, sizeof(trust), "anchors = %s\n%s",
		    fc_hex(fc_key_public(e->key[K_ROOT]), FC_PUBLICKEYBYTES, hex), extra);
	assert_non_null(e->n = tf_start(e, trust));
	e->x = neighbour(e, "x", 'x');
	if (npeers >= 2)
		e->y = neighbour(e, "y", 'y');
	if (npeers >= 3)
		e->z = neighbour(e, "z", 'z');
}

void
tf_seal(struct tf_env *e, int author, Fenghuo__Body *b, struct tf_msg *m)
{
	uint8_t *buf;
	size_t blen;

	b->has_version = 1;
	b->version = WIRE_BODY_VERSION;
	b->has_author = 1;
	b->author.data = (uint8_t *)(uintptr_t)fc_key_public(e->key[author]);
	b->author.len = FC_PUBLICKEYBYTES;
	b->has_created_ms = 1;
	if (b->created_ms == 0)
		b->created_ms = now_wall();
	blen = fenghuo__body__get_packed_size(b);
	assert_non_null(buf = malloc(blen));
	fenghuo__body__pack(b, buf);
	assert_int_equal(fc_envelope_seal(e->key[author], buf, blen, &m->env, &m->len), 0);
	free(buf);
	assert_int_equal(fc_envelope_id(m->env, m->len, m->id), 0);
}

void
tf_warning_at(struct tf_env *e, int author, const char *area, const char *title,
    uint64_t created, uint64_t expires, struct tf_msg *m)
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;
	Fenghuo__Warning w = FENGHUO__WARNING__INIT;
	char *areas[1];

	areas[0] = (char *)(uintptr_t)area;
	w.has_msg_type = w.has_urgency = w.has_severity = w.has_certainty = w.has_level = 1;
	w.msg_type = FENGHUO__MSG_TYPE__ALERT;
	w.urgency = FENGHUO__URGENCY__IMMEDIATE;
	w.level = FENGHUO__LEVEL__RED;
	w.severity = (Fenghuo__Severity)wire_level_severity(FENGHUO__LEVEL__RED);
	w.certainty = FENGHUO__CERTAINTY__OBSERVED;
	w.n_area = 1;
	w.area = areas;
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__WARNING;
	b.warning = &w;
	b.region = (char *)(uintptr_t)area;
	b.event = (char *)(uintptr_t)"rainstorm";
	b.title = (char *)(uintptr_t)title;
	b.created_ms = created;
	b.has_expires_ms = 1;
	b.expires_ms = expires;
	tf_seal(e, author, &b, m);
}

void
tf_warning(struct tf_env *e, int author, const char *area, const char *title,
    struct tf_msg *m)
{
	uint64_t now = now_wall();

	tf_warning_at(e, author, area, title, now, now + HOUR_MS, m);
}

void
tf_cert(struct tf_env *e, int author, int subject, uint32_t roles, const char *scope,
    uint64_t not_before, uint64_t not_after, struct tf_msg *m)
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;
	Fenghuo__Cert c = FENGHUO__CERT__INIT;
	Fenghuo__Role r[8];
	int i;

	for (i = FENGHUO__ROLE__NODE; i <= FENGHUO__ROLE__ADMIN; i++)
		if (roles & FC_ROLE_BIT(i))
			r[c.n_roles++] = (Fenghuo__Role)i;
	c.roles = r;
	c.has_subject = 1;
	c.subject.data = (uint8_t *)(uintptr_t)fc_key_public(e->key[subject]);
	c.subject.len = FC_PUBLICKEYBYTES;
	c.scope = (char *)(uintptr_t)scope;
	c.has_not_before_ms = 1;
	c.not_before_ms = not_before;
	c.has_not_after_ms = 1;
	c.not_after_ms = not_after;
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__CERT;
	b.cert = &c;
	tf_seal(e, author, &b, m);
}

void
tf_grant(struct tf_env *e, int author, int subject, uint32_t roles, const char *scope,
    struct tf_msg *m)
{
	uint64_t now = now_wall();

	tf_cert(e, author, subject, roles, scope, now - DAY_MS, now + 30 * DAY_MS, m);
}

void
tf_revoke(struct tf_env *e, int author, int subject, uint64_t from_ms, struct tf_msg *m)
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;
	Fenghuo__Revoke r = FENGHUO__REVOKE__INIT;

	r.has_subject = 1;
	r.subject.data = (uint8_t *)(uintptr_t)fc_key_public(e->key[subject]);
	r.subject.len = FC_PUBLICKEYBYTES;
	r.has_from_ms = 1;
	r.from_ms = from_ms;
	r.reason = (char *)(uintptr_t)"laptop lost";
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__REVOKE;
	b.revoke = &r;
	tf_seal(e, author, &b, m);
}

void
tf_county(struct tf_env *e, struct tf_msg *m)
{
	tf_grant(e, K_ROOT, K_ADMIN, FC_ROLE_BIT(FENGHUO__ROLE__ADMIN) |
	    FC_ROLE_BIT(FENGHUO__ROLE__ISSUER), "330110", m);
}

void
tf_policy_certs(struct tf_env *e, struct tf_msg m[4])
{
	uint64_t now = now_wall();

	tf_grant(e, K_ADMIN, K_REPORTER, FC_ROLE_BIT(FENGHUO__ROLE__REPORTER), "330110109201",
	    &m[0]);
	tf_cert(e, K_ADMIN, K_EXPIRED, FC_ROLE_BIT(FENGHUO__ROLE__ISSUER), "330110",
	    now - 20 * DAY_MS, now - 10 * DAY_MS, &m[1]);
	tf_grant(e, K_ADMIN, K_REVOKED, FC_ROLE_BIT(FENGHUO__ROLE__ISSUER), "330110", &m[2]);
	tf_grant(e, K_ADMIN, K_PLAIN, FC_ROLE_BIT(FENGHUO__ROLE__NODE) |
	    FC_ROLE_BIT(FENGHUO__ROLE__REPORTER), "330110109", &m[3]);
}

void
tf_msg_free(struct tf_msg *m)
{
	free(m->env);
	m->env = NULL;
}

int
tf_forwarded(const struct peer *p, const struct tf_msg *m)
{
	const struct pq_item *it;
	int pr;

	for (pr = 0; pr < PRIO_MAX; pr++)
		for (it = p->q.head[pr]; it != NULL; it = it->next)
			if (it->type == PQ_ENVELOPE && it->len == m->len &&
			    memcmp(it->data, m->env, m->len) == 0)
				return 1;
	return 0;
}
