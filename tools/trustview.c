/*
 * trustview.c: the trust state as the fenghuo CLI sees it, and its display.
 *
 * The CLI has no daemon config to read, so its trust anchors live in <state>/anchors, one
 * hex public key per line ('#' starts a comment; the comment on a key's own line is shown
 * as its name). `fenghuo init-county` appends the county root there. fenghuod reads the same
 * file, with the same reader (crypto/'s fc_anchors_read()), and adds "[trust] anchors =
 * HEX,HEX" of its config; docs/SECURITY.md says to keep the two in step.
 *
 * The trust state itself is crypto/'s struct fc_trust (docs/TRUST.md), fed with the
 * anchors and every CERT and REVOKE in the store. Every verdict shown here is crypto/'s
 * (fc_policy_check(), fc_grant_state(), fc_revocation_counts(), ...): this file decides
 * how to show them, never what they are. fc_grant keeps no names, reasons or transport
 * keys, so this file keeps a note of those per message for display.
 *
 * Used by `keys`, `cert`, `revoke`, `init-county` and `show` (the author's chain).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <jansson.h>

#include "crypto.h"
#include "store.h"
#include "fenghuo.h"

/* "<state>/anchors", malloc()ed. */
static char *
anchors_path(const struct cli *cli)
{
	size_t n = strlen(cli->state) + sizeof(CLI_ANCHORS_FILE) + 1;
	char *p;

	if ((p = malloc(n)) != NULL)
		snprintf(p, n, "%s/%s", cli->state, CLI_ANCHORS_FILE);
	return p;
}

int
cli_anchors_read(struct cli *cli, struct cli_trust *ct)
{
	char err[FC_ANCHORS_ERRMAX], *path;
	int rc;

	if ((path = anchors_path(cli)) == NULL) {
		cli_warn(cli, "malloc");
		return EX_OSERR;
	}
	/* The reader fenghuod uses too (crypto/anchors.c). */
	rc = fc_anchors_read(path, &ct->anchors, &ct->anchor_names, &ct->nanchors, err,
	    sizeof(err));
	free(path);
	if (rc == 0)
		return EX_OK;
	cli_warnx(cli, "%s", err);
	switch (rc) {
	case FC_EANCHORS:
		return EX_CONFIG;
	case FC_ENOMEM:
		return EX_OSERR;
	case EIO:
		return EX_IOERR;
	default:
		return EX_NOINPUT;
	}
}

int
cli_anchors_add(struct cli *cli, const uint8_t *key, const char *name)
{
	struct cli_trust ct;
	char hex[2 * FC_PUBLICKEYBYTES + 1], *path = NULL;
	struct stat sb;
	size_t i;
	int fd = -1, rc, need_nl = 0;
	FILE *fp = NULL;

	memset(&ct, 0, sizeof(ct));
	if ((rc = cli_state_mkdir(cli)) != EX_OK)
		return rc;
	if ((rc = cli_anchors_read(cli, &ct)) != EX_OK)
		goto out;
	for (i = 0; i < ct.nanchors; i++)
		if (memcmp(ct.anchors[i], key, FC_PUBLICKEYBYTES) == 0)
			goto out;	/* listed already */
	rc = EX_OSERR;
	if ((path = anchors_path(cli)) == NULL)
		goto out;
	/* Public keys: readable by all, writable by the owner only. */
	rc = EX_CANTCREAT;
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) == -1 ||
	    fstat(fd, &sb) == -1) {
		cli_warn(cli, "%s", path);
		goto out;
	}
	/* A hand-edited file may lack its final newline. */
	if (sb.st_size > 0) {
		char last;

		if (pread(fd, &last, 1, sb.st_size - 1) == 1 && last != '\n')
			need_nl = 1;
	}
	if ((fp = fdopen(fd, "a")) == NULL) {
		cli_warn(cli, "%s", path);
		goto out;
	}
	fd = -1;
	if (sb.st_size == 0)
		fprintf(fp, "# Trust anchors (county root public keys) of fenghuo; see "
		    "docs/SECURITY.md.\n");
	fprintf(fp, "%s%s", need_nl ? "\n" : "", fc_hex(key, FC_PUBLICKEYBYTES, hex));
	if (name != NULL && name[0] != '\0')
		fprintf(fp, "  # %s", name);
	fputc('\n', fp);
	if (fflush(fp) == EOF || fsync(fileno(fp)) == -1) {
		cli_warn(cli, "%s", path);
		rc = EX_IOERR;
		goto out;
	}
	rc = EX_OK;
out:
	if (fp != NULL && fclose(fp) == EOF && rc == EX_OK) {
		cli_warn(cli, "%s", path);
		rc = EX_IOERR;
	}
	if (fd != -1)
		close(fd);
	free(path);
	cli_trust_clear(&ct);
	return rc;
}

/* ---- the trust state ------------------------------------------------------------------ */

static int
note_add(struct cli_trust *ct, const struct fc_msg *msg)
{
	const Fenghuo__Body *b = msg->body;
	struct cli_trust_note *n;
	const char *text = NULL;
	size_t ncap;

	if (ct->nnotes == ct->capnotes) {
		ncap = ct->capnotes ? 2 * ct->capnotes : 32;
		if ((n = reallocarray(ct->notes, ncap, sizeof(*n))) == NULL)
			return -1;
		ct->notes = n;
		ct->capnotes = ncap;
	}
	n = &ct->notes[ct->nnotes];
	memset(n, 0, sizeof(*n));
	memcpy(n->id, msg->id, FC_IDBYTES);
	if (b->cert != NULL) {
		text = b->cert->name;
		if (b->cert->has_transport_key && b->cert->transport_key.len == 32) {
			memcpy(n->transport_key, b->cert->transport_key.data, 32);
			n->has_transport_key = 1;
		}
	} else if (b->revoke != NULL) {
		text = b->revoke->reason;
	}
	if (text != NULL && text[0] != '\0' && (n->text = strdup(text)) == NULL)
		return -1;
	ct->nnotes++;
	return 0;
}

const struct cli_trust_note *
cli_trust_note_find(const struct cli_trust *ct, const uint8_t *id)
{
	size_t i;

	for (i = 0; i < ct->nnotes; i++)
		if (memcmp(ct->notes[i].id, id, FC_IDBYTES) == 0)
			return &ct->notes[i];
	return NULL;
}

struct load_ctx {
	struct cli		*cli;
	struct cli_trust	*ct;
	int			 err;
};

static int
load_one(void *arg, const struct store_view *v)
{
	struct load_ctx *ctx = arg;
	struct fc_msg msg;
	char hex[FC_IDHEX];

	/* Read back as if a peer had sent it (STYLE 8): only what validates counts. */
	if (cli_validate_stored(v->env, v->len, v->seen, &msg) != FC_R_OK) {
		if (ctx->ct->bad++ == 0)
			cli_warnx(ctx->cli, "stored message %s does not validate; ignored",
			    fc_hex(v->id, FC_IDBYTES, hex));
		return 0;
	}
	if (fc_trust_add(ctx->ct->trust, &msg) == FC_ENOMEM || note_add(ctx->ct, &msg) == -1)
		ctx->err = ENOMEM;
	fc_msg_clear(&msg);
	return ctx->err;
}

int
cli_trust_load(struct cli *cli, struct cli_trust *ct)
{
	struct load_ctx ctx;
	struct store *st;
	int rc;

	memset(ct, 0, sizeof(*ct));
	if ((rc = cli_anchors_read(cli, ct)) != EX_OK)
		goto err;
	if ((ct->trust = fc_trust_new((const uint8_t (*)[FC_PUBLICKEYBYTES])ct->anchors,
	    ct->nanchors)) == NULL) {
		cli_warnx(cli, "out of memory");
		rc = EX_OSERR;
		goto err;
	}
	/* No store yet: the anchors are all there is to know. */
	if (store_exists(cli->state) != 0)
		return EX_OK;
	if ((rc = cli_store(cli, 0, &st)) != EX_OK)
		goto err;
	memset(&ctx, 0, sizeof(ctx));
	ctx.cli = cli;
	ctx.ct = ct;
	rc = store_iter_time(st, 0, 0, FENGHUO__KIND__CERT, 0, load_one, &ctx);
	if (rc == 0)
		rc = store_iter_time(st, 0, 0, FENGHUO__KIND__REVOKE, 0, load_one, &ctx);
	if (ctx.err == ENOMEM) {
		cli_warnx(cli, "out of memory");
		rc = EX_OSERR;
		goto err;
	}
	if (rc != 0) {
		rc = cli_store_failed(cli, rc);
		goto err;
	}
	return EX_OK;
err:
	cli_trust_clear(ct);
	return rc;
}

void
cli_trust_clear(struct cli_trust *ct)
{
	size_t i;

	fc_trust_free(&ct->trust);
	for (i = 0; i < ct->nanchors; i++)
		free(ct->anchor_names[i]);
	free(ct->anchor_names);
	free(ct->anchors);
	for (i = 0; i < ct->nnotes; i++)
		free(ct->notes[i].text);
	free(ct->notes);
	memset(ct, 0, sizeof(*ct));
}

const char *
cli_trust_anchor_name(const struct cli_trust *ct, const uint8_t *key)
{
	size_t i;

	for (i = 0; i < ct->nanchors; i++)
		if (memcmp(ct->anchors[i], key, FC_PUBLICKEYBYTES) == 0)
			return ct->anchor_names[i];
	return NULL;
}

/* ---- the roster ------------------------------------------------------------------------ */

static int
roster_cmp(const void *a, const void *b)
{
	const struct cli_roster_node *x = a, *y = b;
	int c;

	if ((c = strcmp(x->region, y->region)) != 0)
		return c;
	return memcmp(x->key, y->key, FC_PUBLICKEYBYTES);
}

/* 1 if scope (a certificate's region) lies inside one of the areas. */
static int
scope_inside(const char *scope, char *const *areas, size_t nareas)
{
	size_t i, alen;

	if (scope[0] == '\0')
		return 0;
	for (i = 0; i < nareas; i++) {
		if (areas[i] == NULL || (alen = strlen(areas[i])) == 0)
			continue;
		if (strncmp(scope, areas[i], alen) == 0)
			return 1;
	}
	return 0;
}

int
cli_roster(struct cli *cli, const struct cli_trust *ct, char *const *areas, size_t nareas,
    const uint8_t *exclude, uint64_t now_ms, struct cli_roster_node **out, size_t *nout)
{
	const struct cli_trust_note *note;
	const struct fc_grant *g;
	struct fc_grant_status gs;
	struct cli_roster_node *r = NULL, *t;
	size_t i, j, n = 0, cap = 0, count = fc_trust_grant_count(ct->trust);

	for (i = 0; i < count; i++) {
		g = fc_trust_grant(ct->trust, i);
		if (!(g->roles & FC_ROLE_BIT(FENGHUO__ROLE__NODE)) ||
		    !scope_inside(g->scope, areas, nareas) ||
		    (exclude != NULL && memcmp(g->subject, exclude, FC_PUBLICKEYBYTES) == 0))
			continue;
		if (fc_grant_state(ct->trust, g, now_ms, &gs) != FC_GRANT_VALID)
			continue;
		/* One entry per key: its newest valid certificate says where it is. */
		for (j = 0; j < n; j++)
			if (memcmp(r[j].key, g->subject, FC_PUBLICKEYBYTES) == 0)
				break;
		if (j < n && r[j].grant->created_ms >= g->created_ms)
			continue;
		if (j == n) {
			if (n == cap) {
				cap = cap == 0 ? 32 : cap * 2;
				if ((t = reallocarray(r, cap, sizeof(*r))) == NULL) {
					free(r);
					cli_warnx(cli, "out of memory");
					return EX_OSERR;
				}
				r = t;
			}
			n++;
		}
		memcpy(r[j].key, g->subject, FC_PUBLICKEYBYTES);
		r[j].region = g->scope;
		note = cli_trust_note_find(ct, g->id);
		r[j].name = note != NULL ? note->text : NULL;
		r[j].grant = g;
	}
	if (n > 0)
		qsort(r, n, sizeof(*r), roster_cmp);
	*out = r;
	*nout = n;
	return EX_OK;
}

void
cli_roles_str(uint32_t roles, char *buf, size_t size)
{
	const char *name;
	size_t len = 0;
	int r;

	buf[0] = '\0';
	/* Strongest first, as operators read them: admin,issuer,verifier,reporter,node. */
	for (r = FENGHUO__ROLE__ADMIN; r >= FENGHUO__ROLE__NODE; r--) {
		if ((roles & FC_ROLE_BIT(r)) == 0 || (name = wire_role_name(r)) == NULL)
			continue;
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s",
		    len > 0 ? "," : "", name);
	}
	if (len == 0)
		snprintf(buf, size, "-");
}

json_t *
cli_roles_json(uint32_t roles)
{
	json_t *a = json_array();
	int r;

	for (r = FENGHUO__ROLE__ADMIN; r >= FENGHUO__ROLE__NODE; r--)
		if (roles & FC_ROLE_BIT(r))
			json_array_append_new(a, json_string(wire_role_name(r)));
	return a;
}

char *
cli_short_key(const uint8_t *key, char *buf)
{
	fc_hex(key, CLI_SHORT_KEY_BYTES, buf);
	return buf;
}

/* The name a key goes by: its anchor comment, else the name in its newest grant. */
const char *
cli_trust_key_name(const struct cli_trust *ct, const uint8_t *key)
{
	const struct cli_trust_note *n;
	const struct fc_grant *g, *best = NULL;
	const char *name;
	size_t i, count;

	if ((name = cli_trust_anchor_name(ct, key)) != NULL)
		return name;
	count = fc_trust_grant_count(ct->trust);
	name = NULL;
	for (i = 0; i < count; i++) {
		g = fc_trust_grant(ct->trust, i);
		if (memcmp(g->subject, key, FC_PUBLICKEYBYTES) != 0)
			continue;
		if ((n = cli_trust_note_find(ct, g->id)) == NULL || n->text == NULL)
			continue;
		if (best == NULL || g->created_ms > best->created_ms) {
			best = g;
			name = n->text;
		}
	}
	return name;
}

const struct fc_grant *
cli_trust_grant_find(const struct cli_trust *ct, const uint8_t *id)
{
	const struct fc_grant *g;
	size_t i, n = fc_trust_grant_count(ct->trust);

	for (i = 0; i < n; i++) {
		g = fc_trust_grant(ct->trust, i);
		if (memcmp(g->id, id, FC_IDBYTES) == 0)
			return g;
	}
	return NULL;
}

/* ---- show: the author's chain --------------------------------------------------------- */

/* "2026-11-23 08:00 .. 2027-11-23 08:00" of a grant. */
static void
fmt_window(const struct fc_grant *g, char *buf, size_t size)
{
	char a[32], b[32];

	snprintf(buf, size, "%s .. %s", cli_fmt_time(g->not_before_ms, a, sizeof(a)),
	    g->not_after_ms != 0 ? cli_fmt_time(g->not_after_ms, b, sizeof(b)) : "never");
}

static void
print_key_line(const struct cli_trust *ct, const uint8_t *key, const char *what)
{
	const char *name = cli_trust_key_name(ct, key);
	char hex[2 * FC_PUBLICKEYBYTES + 1];

	printf("%s%s", fc_hex(key, FC_PUBLICKEYBYTES, hex), name != NULL ? " (" : "");
	if (name != NULL)
		cli_cell(stdout, name, 0, 0);	/* one line, whatever the certificate says */
	printf("%s%s\n", name != NULL ? ")" : "", what);
}

static void
print_grant_line(const struct cli_trust *ct, const struct fc_grant *g, uint64_t now_ms)
{
	struct fc_grant_status gs;
	char roles[64], window[80], sid[13];

	fc_grant_state(ct->trust, g, now_ms, &gs);
	cli_roles_str(g->roles, roles, sizeof(roles));
	fmt_window(g, window, sizeof(window));
	printf("%-14s   <- cert %s: %s in %s, %s, %s now\n", "",
	    cli_short_id(g->id, sid), roles, g->scope[0] != '\0' ? g->scope : "(everywhere)",
	    window, fc_grant_state_name(gs.state));
}

json_t *
cli_grant_json(const struct cli_trust *ct, const struct fc_grant *g, uint64_t now_ms)
{
	const struct cli_trust_note *n;
	struct fc_grant_status gs;
	char hex[FC_IDHEX], place[CLI_REGION_PLACE_MAX];
	json_t *o;

	fc_grant_state(ct->trust, g, now_ms, &gs);
	o = json_object();
	json_object_set_new(o, "id", json_string(fc_hex(g->id, FC_IDBYTES, hex)));
	json_object_set_new(o, "subject", json_string(fc_hex(g->subject, FC_PUBLICKEYBYTES,
	    hex)));
	json_object_set_new(o, "roles", cli_roles_json(g->roles));
	json_object_set_new(o, "scope", json_string(g->scope));
	if (cli_region_place(g->scope, place, sizeof(place))[0] != '\0')
		json_object_set_new(o, "scope_name", json_string(place));
	json_object_set_new(o, "created_ms", json_integer((json_int_t)g->created_ms));
	json_object_set_new(o, "not_before_ms", json_integer((json_int_t)g->not_before_ms));
	json_object_set_new(o, "not_after_ms", json_integer((json_int_t)g->not_after_ms));
	json_object_set_new(o, "granted_by", json_string(fc_hex(g->author, FC_PUBLICKEYBYTES,
	    hex)));
	json_object_set_new(o, "granted_by_anchor",
	    json_boolean(fc_trust_is_anchor(ct->trust, g->author)));
	if ((n = cli_trust_note_find(ct, g->id)) != NULL) {
		json_object_set_new(o, "name", n->text != NULL ? json_string(n->text) :
		    json_null());
		if (n->has_transport_key)
			json_object_set_new(o, "transport_key",
			    json_string(fc_hex(n->transport_key, 32, hex)));
	}
	json_object_set_new(o, "status", json_string(fc_grant_state_name(gs.state)));
	if (gs.state != FC_GRANT_VALID)
		json_object_set_new(o, "reason", json_string(fc_policy_reason_name(gs.reason)));
	if (gs.revoked_from != UINT64_MAX)
		json_object_set_new(o, "revoked_from_ms",
		    json_integer((json_int_t)gs.revoked_from));
	return o;
}

static const char *
verdict_name(int verdict)
{
	switch (verdict) {
	case FC_POLICY_ACCEPT:
		return "accept";
	case FC_POLICY_HOLD:
		return "hold";
	default:
		return "reject";
	}
}

void
cli_trust_show(struct cli *cli, const struct fc_msg *msg, uint64_t now_ms, json_t *obj)
{
	const Fenghuo__Body *b = msg->body;
	struct fc_policy_verdict v;
	struct cli_trust ct;
	const struct fc_grant *g;
	const uint8_t *key;
	char hex[2 * FC_PUBLICKEYBYTES + 1];
	json_t *t, *chain;
	size_t i;

	if (b == NULL || !b->has_author || b->author.len != FC_PUBLICKEYBYTES)
		return;
	if (cli_trust_load(cli, &ct) != EX_OK)
		return;	/* printed */
	t = obj != NULL ? json_object() : NULL;
	if (ct.nanchors == 0) {
		if (t != NULL) {
			json_object_set_new(t, "verdict", json_string("unchecked"));
			json_object_set_new(t, "reason", json_string("no-anchors"));
		} else {
			printf("%-14s not checked: no trust anchors in %s/%s (see "
			    "'fenghuo init-county')\n", "trust", cli->state, CLI_ANCHORS_FILE);
		}
		goto out;
	}
	fc_policy_check(ct.trust, msg, now_ms, &v);
	if (t != NULL) {
		json_object_set_new(t, "verdict", json_string(verdict_name(v.verdict)));
		json_object_set_new(t, "reason", json_string(fc_policy_reason_name(v.reason)));
		json_object_set_new(t, "anchor_author",
		    json_boolean((v.flags & FC_POLICY_F_ANCHOR) ||
		    fc_trust_is_anchor(ct.trust, b->author.data)));
		json_object_set_new(t, "revoked_later",
		    json_boolean((v.flags & FC_POLICY_F_REVOKED_LATER) != 0));
		if (v.verdict == FC_POLICY_HOLD)
			json_object_set_new(t, "missing", json_string(fc_hex(v.missing,
			    FC_PUBLICKEYBYTES, hex)));
		chain = json_array();
		if (v.verdict == FC_POLICY_ACCEPT) {
			for (i = 0; i < v.chain_len; i++)
				if ((g = cli_trust_grant_find(&ct, v.chain[i])) != NULL)
					json_array_append_new(chain, cli_grant_json(&ct, g, now_ms));
		}
		json_object_set_new(t, "chain", chain);
		goto out;
	}

	switch (v.verdict) {
	case FC_POLICY_ACCEPT:
		printf("%-14s accepted: the author may send this message%s\n", "trust",
		    (v.flags & FC_POLICY_F_REVOKED_LATER) ?
		    " (but its key was revoked after it was sent)" : "");
		break;
	case FC_POLICY_HOLD:
		if (memcmp(v.missing, b->author.data, FC_PUBLICKEYBYTES) == 0)
			printf("%-14s unknown author: held until its certificate arrives\n",
			    "trust");
		else
			printf("%-14s held until the certificate of %s (up the author's chain) "
			    "arrives\n", "trust", fc_hex(v.missing, FC_PUBLICKEYBYTES, hex));
		break;
	default:
		printf("%-14s rejected: %s: %s\n", "trust", fc_policy_reason_name(v.reason),
		    fc_policy_reason_text(v.reason));
		break;
	}
	printf("%-14s ", "chain");
	print_key_line(&ct, b->author.data,
	    fc_trust_is_anchor(ct.trust, b->author.data) ? ": trust anchor" : "");
	if (v.verdict != FC_POLICY_ACCEPT)
		goto out;
	/* chain[0] is the author's grant; each grant's author is the next key up. */
	for (i = 0; i < v.chain_len; i++) {
		if ((g = cli_trust_grant_find(&ct, v.chain[i])) == NULL)
			break;
		print_grant_line(&ct, g, now_ms);
		key = g->author;
		printf("%-14s ", "");
		print_key_line(&ct, key, fc_trust_is_anchor(ct.trust, key) ?
		    ": trust anchor" : "");
	}
out:
	if (t != NULL)
		json_object_set_new(obj, "trust", t);
	cli_trust_clear(&ct);
}

/* The trust state kept in cli, loaded on first use; NULL when it cannot be (said once). */
static struct cli_trust *
trust_cached(struct cli *cli)
{
	if (cli->trust == NULL && !cli->trust_failed) {
		if ((cli->trust = calloc(1, sizeof(*cli->trust))) == NULL ||
		    cli_trust_load(cli, cli->trust) != EX_OK) {
			/* Printed by cli_trust_load; messages are shown unjudged. */
			free(cli->trust);
			cli->trust = NULL;
			cli->trust_failed = 1;
		}
	}
	return cli->trust;
}

struct cli_trust *
cli_trust_get(struct cli *cli)
{
	return trust_cached(cli);
}

int
cli_receipt_counts(struct cli *cli, const Fenghuo__Body *receipt, const char *report_region)
{
	struct cli_trust *ct = trust_cached(cli);

	if (ct == NULL || ct->nanchors == 0 || report_region == NULL ||
	    report_region[0] == '\0')
		return 1;	/* open mode: nothing to judge by */
	return fc_policy_receipt_counts(ct->trust, receipt, report_region);
}

int
cli_change_counts(struct cli *cli, const Fenghuo__Body *change, const Fenghuo__Body *target)
{
	struct cli_trust *ct = trust_cached(cli);

	return fc_policy_may_change(ct != NULL && ct->nanchors > 0 ? ct->trust : NULL, change,
	    target);
}

void
cli_trust_mark(struct cli *cli, struct fc_msg *msg, uint64_t now_ms)
{
	struct fc_policy_verdict v;

	(void)trust_cached(cli);
	if (cli->trust == NULL || cli->trust->nanchors == 0 || msg->body == NULL)
		return;
	fc_policy_check(cli->trust->trust, msg, now_ms, &v);
	if (v.verdict == FC_POLICY_ACCEPT && (v.flags & FC_POLICY_F_REVOKED_LATER))
		msg->flags |= CLI_MSG_REVOKED_AUTHOR;
	else if (v.verdict == FC_POLICY_HOLD)
		msg->flags |= CLI_MSG_NO_CHAIN;
	else if (v.verdict == FC_POLICY_REJECT)
		msg->flags |= CLI_MSG_NOT_AUTHORISED;
}

static const struct {
	uint32_t	 flag;
	const char	*name;
} marks[] = {
	{ CLI_MSG_REVOKED_AUTHOR, "revoked-author" },
	{ CLI_MSG_NO_CHAIN, "no-chain" },
	{ CLI_MSG_NOT_AUTHORISED, "not-authorised" },
	{ CLI_MSG_HELD, "held" },
	{ CLI_MSG_CANCELLED, "cancelled" },
	{ CLI_MSG_SUPERSEDED, "superseded" },
};

const char *
cli_marks(const struct fc_msg *msg, char *buf, size_t size)
{
	size_t i, off = 0;
	int k;

	buf[0] = '\0';
	/* A drill first: whatever else is said of it, it is not a real message. */
	if (cli_status_mark(msg->body) != NULL && (k = snprintf(buf, size, " [%s]",
	    cli_status_mark(msg->body))) > 0 && (size_t)k < size)
		off = (size_t)k;
	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		if (!(msg->flags & marks[i].flag))
			continue;
		k = snprintf(buf + off, size - off, " [%s]", marks[i].name);
		if (k < 0 || (size_t)k >= size - off)
			break;
		off += (size_t)k;
	}
	return buf;
}

void
cli_marks_json(const struct fc_msg *msg, json_t *a)
{
	size_t i;

	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (msg->flags & marks[i].flag)
			json_array_append_new(a, json_string(marks[i].name));
}

void
cli_trust_forget(struct cli *cli)
{
	if (cli->trust != NULL) {
		cli_trust_clear(cli->trust);
		free(cli->trust);
		cli->trust = NULL;
	}
	cli->trust_failed = 0;
}
