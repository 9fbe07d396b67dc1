/*
 * trustfix.h: the fixture test_trust.c and test_hostile.c share (one node under a trust
 * policy, its neighbours, a county's keys, and signed messages built from them).
 *
 * One struct tf_env per test case: a temporary directory holding the node's config and
 * state (a real LMDB store), the node, up to three in-process peers that are "up" without
 * a socket (what the node forwards lands in their send queues), and a fresh key for each
 * role in the county. The helpers fail the running cmocka test on any error.
 */
#ifndef TRUSTFIX_H
#define TRUSTFIX_H

#include <stddef.h>
#include <stdint.h>

#include "node.h"

/* One key per role; a test uses the ones its cases need. */
enum { K_ROOT, K_ADMIN, K_ISSUER, K_REPORTER, K_EXPIRED, K_REVOKED, K_PLAIN, K_OTHER,
    K_LOOP_A, K_LOOP_B, K_MAX };

struct tf_env {
	char		 dir[64];
	const char	*sname;		/* the node's state directory under dir ("n") */
	struct node	*n;
	struct peer	*x, *y, *z;	/* neighbours, in the order tf_start_hub() adds them */
	struct fc_key	*key[K_MAX];
	unsigned	 serial;	/* for a test that needs each title new */
	void		*zctx;		/* a control-socket client a test may open */
	void		*ctl;
};

/* A signed message. */
struct tf_msg {
	uint8_t		*env;
	size_t		 len;
	uint8_t		 id[FC_IDBYTES];
};

/* A new environment in /tmp/fh-<name>-XXXXXX with all keys generated; no node yet. */
struct tf_env	*tf_new(const char *name);
/* Close the control client, free the node and keys, remove the directory. */
void		 tf_free(struct tf_env *);
/* cmocka setup and teardown: *state is a tf_new("node") environment. */
int		 tf_setup(void **state);
int		 tf_teardown(void **state);

/* Write a config with [trust] lines trust and start the node (NULL when it refuses). */
struct node	*tf_start(struct tf_env *, const char *trust);
/*
 * Start e->n with the root as the only anchor (open: "open = yes" instead) plus the
 * [trust] lines extra, and add npeers (1..3) neighbours x, y, z in that order.
 */
void		 tf_start_hub(struct tf_env *, int open, const char *extra, int npeers);

/* Sign body b (version, author, created_ms filled in) as author. */
void		 tf_seal(struct tf_env *, int author, Fenghuo__Body *b, struct tf_msg *);
/* A red rainstorm warning by author for one area, created at created, expiring then. */
void		 tf_warning_at(struct tf_env *, int author, const char *area,
		    const char *title, uint64_t created, uint64_t expires, struct tf_msg *);
/* The same, valid for the next hour; title makes it unique. */
void		 tf_warning(struct tf_env *, int author, const char *area, const char *title,
		    struct tf_msg *);
/* A CERT by author granting subject roles (FC_ROLE_BIT()s) over scope. */
void		 tf_cert(struct tf_env *, int author, int subject, uint32_t roles,
		    const char *scope, uint64_t not_before, uint64_t not_after, struct tf_msg *);
/* A grant valid from a day ago for 30 days. */
void		 tf_grant(struct tf_env *, int author, int subject, uint32_t roles,
		    const char *scope, struct tf_msg *);
/* A REVOKE by author of subject's messages from from_ms on. */
void		 tf_revoke(struct tf_env *, int author, int subject, uint64_t from_ms,
		    struct tf_msg *);
/* The county's first link: root -> admin (admin and issuer over 330110). */
void		 tf_county(struct tf_env *, struct tf_msg *);
/*
 * Certificates by the admin that each policy refusal needs, in m[0..3]: K_REPORTER a
 * reporter over 330110109201, K_EXPIRED an issuer over 330110 whose grant ended 10 days
 * ago, K_REVOKED an issuer over 330110 (for a test to revoke), K_PLAIN a node and reporter
 * over 330110109 (not an admin, so its own certificates are refused).
 */
void		 tf_policy_certs(struct tf_env *, struct tf_msg m[4]);
void		 tf_msg_free(struct tf_msg *);

/* 1 if p's send queue holds the envelope m (the node forwarded it to p), else 0. */
int		 tf_forwarded(const struct peer *p, const struct tf_msg *m);

/* The node's ingest counters (held, released, anchors, the held buffer). */
static inline struct ingest_stats
tf_stats(const struct node *n)
{
	struct ingest_stats s;

	ingest_stats(n->ingest, &s);
	return s;
}

#endif
