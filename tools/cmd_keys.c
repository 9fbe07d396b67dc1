/*
 * cmd_keys.c: `fenghuo keys`: every key this node knows of, from the trust anchors in
 * <state>/anchors and the CERT and REVOKE messages in the store, with its certificates
 * (roles, region, validity, who granted them), its revocations and what it may do now.
 *
 * The verdicts are those of crypto/'s trust state (docs/TRUST.md), so what `keys` calls
 * valid is what this node's policy accepts.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "crypto.h"
#include "store.h"
#include "fenghuo.h"

static int	cmd_keys_exec(struct cli *, int, char **);

const struct cmd_entry cmd_keys_entry = {
	"keys",
	"keys [--json]",
	"List every key this node knows: the trust anchors (county root keys, from\n"
	"<state>/anchors) and every key named in a stored certificate or revocation. For\n"
	"each: its name, what it may do now, and each certificate: roles, region, validity\n"
	"window, who granted it and its state now:\n"
	"  valid           its chain reaches an anchor and it is in force\n"
	"  not-yet-valid   its window has not started\n"
	"  expired         its window has ended\n"
	"  revoked         withdrawn (from when, by whom, why)\n"
	"  unverified      the issuer's own certificate has not reached this node (yet)\n"
	"  invalid         the issuer was not an admin for that region, or was revoked\n"
	"A key's status is \"anchor\", \"valid\" when any certificate is, else that of its\n"
	"most telling certificate, or \"unknown\" when it has none.\n"
	"\n"
	"  --json   JSON Lines: one object per key (key, name, anchor, status, roles,\n"
	"           certs[], revocations[])\n"
	"\n"
	"Exit status: 0; 64 bad arguments; 78 a malformed anchors file.\n",
	cmd_keys_exec,
};

/* One known key and what the listing needs about it. */
struct known {
	uint8_t		 key[FC_PUBLICKEYBYTES];
	int		 anchor;
};

struct keyset {
	struct known	*k;
	size_t		 n, cap;
};

static int
keyset_add(struct keyset *ks, const uint8_t *key, int anchor)
{
	struct known *nk;
	size_t i, ncap;

	for (i = 0; i < ks->n; i++)
		if (memcmp(ks->k[i].key, key, FC_PUBLICKEYBYTES) == 0)
			return 0;
	if (ks->n == ks->cap) {
		ncap = ks->cap ? 2 * ks->cap : 32;
		if ((nk = reallocarray(ks->k, ncap, sizeof(*nk))) == NULL)
			return -1;
		ks->k = nk;
		ks->cap = ncap;
	}
	memcpy(ks->k[ks->n].key, key, FC_PUBLICKEYBYTES);
	ks->k[ks->n].anchor = anchor;
	ks->n++;
	return 0;
}

/* Anchors first, then certified keys, then keys known only as revoked or as issuers. */
static int
keyset_fill(const struct cli_trust *ct, struct keyset *ks)
{
	size_t i, n;

	for (i = 0; i < ct->nanchors; i++)
		if (keyset_add(ks, ct->anchors[i], 1) == -1)
			return -1;
	n = fc_trust_grant_count(ct->trust);
	for (i = 0; i < n; i++)
		if (keyset_add(ks, fc_trust_grant(ct->trust, i)->subject, 0) == -1)
			return -1;
	for (i = 0; i < fc_trust_revocation_count(ct->trust); i++)
		if (keyset_add(ks, fc_trust_revocation(ct->trust, i)->subject, 0) == -1)
			return -1;
	for (i = 0; i < n; i++)
		if (keyset_add(ks, fc_trust_grant(ct->trust, i)->author, 0) == -1)
			return -1;
	return 0;
}

/* How telling a grant state is for the key's summary, when none is valid. */
static int
state_rank(int state)
{
	switch (state) {
	case FC_GRANT_REVOKED:
		return 5;
	case FC_GRANT_EXPIRED:
		return 4;
	case FC_GRANT_NOT_YET:
		return 3;
	case FC_GRANT_UNVERIFIED:
		return 2;
	case FC_GRANT_INVALID:
		return 1;
	default:
		return 6;
	}
}

/* The key's summary: status name, and the roles it holds now (valid grants). */
static const char *
key_status(const struct cli_trust *ct, const struct known *k, uint64_t now, uint32_t *roles)
{
	const struct fc_grant *g;
	struct fc_grant_status gs;
	size_t i, n = fc_trust_grant_count(ct->trust);
	int best = -1;

	*roles = 0;
	for (i = 0; i < n; i++) {
		g = fc_trust_grant(ct->trust, i);
		if (memcmp(g->subject, k->key, FC_PUBLICKEYBYTES) != 0)
			continue;
		fc_grant_state(ct->trust, g, now, &gs);
		if (gs.state == FC_GRANT_VALID)
			*roles |= g->roles;
		if (best == -1 || state_rank(gs.state) > state_rank(best))
			best = gs.state;
	}
	if (k->anchor) {
		*roles = FC_ROLES_ALL;
		return "anchor";
	}
	if (best == -1)
		return "unknown";
	return fc_grant_state_name(best);
}

/*
 * Whether revocation r counts against at least one grant of its subject (an admin's voids
 * only what lies inside its own region). With no grant known, whether it would count.
 */
static int
revocation_effective(const struct cli_trust *ct, const struct fc_revocation *r)
{
	const struct fc_grant *g;
	size_t i, n = fc_trust_grant_count(ct->trust);
	int any = 0;

	for (i = 0; i < n; i++) {
		g = fc_trust_grant(ct->trust, i);
		if (memcmp(g->subject, r->subject, FC_PUBLICKEYBYTES) != 0)
			continue;
		any = 1;
		if (fc_revocation_counts(ct->trust, r, g))
			return 1;
	}
	return !any && fc_revocation_counts(ct->trust, r, NULL);
}

static json_t *
key_json(const struct cli_trust *ct, const struct known *k, uint64_t now)
{
	const struct fc_grant *g;
	const struct fc_revocation *r;
	const struct cli_trust_note *note;
	const char *name, *status;
	char hex[FC_IDHEX];
	json_t *o, *a, *ro;
	uint32_t roles;
	size_t i, n;

	status = key_status(ct, k, now, &roles);
	name = cli_trust_key_name(ct, k->key);
	o = json_object();
	json_object_set_new(o, "key", json_string(fc_hex(k->key, FC_PUBLICKEYBYTES, hex)));
	json_object_set_new(o, "name", name != NULL ? json_string(name) : json_null());
	json_object_set_new(o, "anchor", json_boolean(k->anchor));
	json_object_set_new(o, "status", json_string(status));
	json_object_set_new(o, "roles", cli_roles_json(roles));
	a = json_array();
	n = fc_trust_grant_count(ct->trust);
	for (i = 0; i < n; i++) {
		g = fc_trust_grant(ct->trust, i);
		if (memcmp(g->subject, k->key, FC_PUBLICKEYBYTES) == 0)
			json_array_append_new(a, cli_grant_json(ct, g, now));
	}
	json_object_set_new(o, "certs", a);
	a = json_array();
	for (i = 0; i < fc_trust_revocation_count(ct->trust); i++) {
		r = fc_trust_revocation(ct->trust, i);
		if (memcmp(r->subject, k->key, FC_PUBLICKEYBYTES) != 0)
			continue;
		ro = json_object();
		json_object_set_new(ro, "id", json_string(fc_hex(r->id, FC_IDBYTES, hex)));
		json_object_set_new(ro, "by", json_string(fc_hex(r->author, FC_PUBLICKEYBYTES,
		    hex)));
		json_object_set_new(ro, "created_ms", json_integer((json_int_t)r->created_ms));
		json_object_set_new(ro, "from_ms", json_integer((json_int_t)r->from_ms));
		note = cli_trust_note_find(ct, r->id);
		json_object_set_new(ro, "reason", note != NULL && note->text != NULL ?
		    json_string(note->text) : json_null());
		json_object_set_new(ro, "effective", json_boolean(revocation_effective(ct, r)));
		json_array_append_new(a, ro);
	}
	json_object_set_new(o, "revocations", a);
	return o;
}

/* " (name)" of a key, or "". */
static void
print_named_key(const struct cli_trust *ct, const uint8_t *key)
{
	const char *name = cli_trust_key_name(ct, key);
	char sk[2 * CLI_SHORT_KEY_BYTES + 1];

	printf("%s", cli_short_key(key, sk));
	if (fc_trust_is_anchor(ct->trust, key) || name != NULL) {
		fputs(" (", stdout);
		if (name != NULL)
			cli_cell(stdout, name, 0, 0);
		printf("%s)", fc_trust_is_anchor(ct->trust, key) ?
		    name != NULL ? ", anchor" : "anchor" : "");
	}
}

static void
key_print(const struct cli_trust *ct, const struct known *k, uint64_t now)
{
	const struct fc_grant *g;
	const struct fc_revocation *r;
	const struct cli_trust_note *note;
	struct fc_grant_status gs;
	const char *name, *status;
	char sk[2 * CLI_SHORT_KEY_BYTES + 1], sid[13], rs[64], a[32], b[32];
	char place[CLI_REGION_PLACE_MAX];
	uint32_t roles;
	size_t i, n;

	status = key_status(ct, k, now, &roles);
	name = cli_trust_key_name(ct, k->key);
	cli_roles_str(roles, rs, sizeof(rs));
	printf("%s  %-13s %-36s", cli_short_key(k->key, sk), status,
	    k->anchor ? "(all roles, everywhere)" : rs);
	if (name != NULL) {
		putchar(' ');
		cli_cell(stdout, name, 0, 0);	/* one line, whatever the certificate says */
	}
	putchar('\n');
	n = fc_trust_grant_count(ct->trust);
	for (i = 0; i < n; i++) {
		g = fc_trust_grant(ct->trust, i);
		if (memcmp(g->subject, k->key, FC_PUBLICKEYBYTES) != 0)
			continue;
		fc_grant_state(ct->trust, g, now, &gs);
		cli_roles_str(g->roles, rs, sizeof(rs));
		printf("    cert %s  %-13s %s in %s", cli_short_id(g->id, sid),
		    fc_grant_state_name(gs.state), rs,
		    g->scope[0] != '\0' ? g->scope : "(everywhere)");
		if (cli_region_place(g->scope, place, sizeof(place))[0] != '\0') {
			putchar(' ');
			cli_cell(stdout, place, 0, 0);
		}
		printf(", %s .. %s, by ",
		    cli_fmt_time(g->not_before_ms, a, sizeof(a)),
		    g->not_after_ms != 0 ? cli_fmt_time(g->not_after_ms, b, sizeof(b)) :
		    "never");
		print_named_key(ct, g->author);
		if (gs.state == FC_GRANT_INVALID || gs.state == FC_GRANT_UNVERIFIED)
			printf(": %s", fc_policy_reason_name(gs.reason));
		putchar('\n');
	}
	for (i = 0; i < fc_trust_revocation_count(ct->trust); i++) {
		r = fc_trust_revocation(ct->trust, i);
		if (memcmp(r->subject, k->key, FC_PUBLICKEYBYTES) != 0)
			continue;
		note = cli_trust_note_find(ct, r->id);
		printf("    revoked from %s by ", cli_fmt_time(r->from_ms, a, sizeof(a)));
		print_named_key(ct, r->author);
		fputs(": ", stdout);
		cli_cell(stdout, note != NULL ? note->text : NULL, 0, 0);
		printf("%s\n", revocation_effective(ct, r) ? "" :
		    " (not effective: the revoker may not revoke these certificates)");
	}
}

static int
cmd_keys_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_trust ct;
	struct keyset ks;
	uint64_t now = cli_now_ms();
	json_t *o;
	size_t i;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			cli->json = 1;
			break;
		default:
			return cli_usage(&cmd_keys_entry);
		}
	}
	if (optind != argc) {
		cli_warnx(cli, "unexpected argument '%s'", argv[optind]);
		return cli_usage(&cmd_keys_entry);
	}
	if ((rc = cli_trust_load(cli, &ct)) != EX_OK)
		return rc;
	memset(&ks, 0, sizeof(ks));
	if (keyset_fill(&ct, &ks) == -1) {
		cli_warnx(cli, "out of memory");
		rc = EX_OSERR;
		goto out;
	}
	if (ct.nanchors == 0)
		cli_warnx(cli, "note: no trust anchors in %s/%s, so no key is trusted (see "
		    "'fenghuo init-county')", cli->state, CLI_ANCHORS_FILE);
	if (!cli->json && ks.n > 0)
		printf("%-*s  %-13s %-36s %s\n", 2 * CLI_SHORT_KEY_BYTES, "KEY", "STATUS",
		    "ROLES NOW", "NAME");
	for (i = 0; i < ks.n; i++) {
		if (cli->json) {
			o = key_json(&ct, &ks.k[i], now);
			if (o == NULL || cli_json_print(stdout, o) == -1) {
				json_decref(o);
				cli_warn(cli, "standard output");
				rc = EX_IOERR;
				goto out;
			}
			json_decref(o);
		} else {
			key_print(&ct, &ks.k[i], now);
		}
	}
	if (ct.bad > 0)
		cli_warnx(cli, "%d stored certificate%s or revocation%s did not validate and "
		    "%s left out", ct.bad, ct.bad == 1 ? "" : "s", ct.bad == 1 ? "" : "s",
		    ct.bad == 1 ? "was" : "were");
out:
	free(ks.k);
	cli_trust_clear(&ct);
	return rc;
}
