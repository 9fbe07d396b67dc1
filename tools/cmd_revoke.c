/*
 * cmd_revoke.c: `fenghuo revoke PUBKEY --reason T [--from TIME]`: withdraw a key (a REVOKE
 * message, docs/TRUST.md), signed with the --key key and submitted like any message.
 *
 * PUBKEY may be the full key or, as with message ids, a unique prefix of 8 or more hex
 * digits of a key this node knows (`fenghuo keys` shows 16).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "crypto.h"
#include "store.h"
#include "fenghuo.h"

static int	cmd_revoke_exec(struct cli *, int, char **);

const struct cmd_entry cmd_revoke_entry = {
	"revoke",
	"revoke PUBKEY --reason T [--from TIME]",
	"Withdraw the key PUBKEY: sign a REVOKE message with the --key key and submit it;\n"
	"print its id. It spreads to every node like any message, ahead of everything\n"
	"else. Nodes then reject every message PUBKEY created from TIME on, and every\n"
	"certificate it issued from then on; what it did before stays valid.\n"
	"An anchor (county root) may revoke any key; an admin only the certificates inside\n"
	"its own region; any key may revoke itself.\n"
	"\n"
	"  PUBKEY         64 hex digits, or a unique prefix (8+ digits) of a known key\n"
	"  --reason T     why, e.g. \"laptop stolen 2026-11-20\" (shown by 'fenghuo keys')\n"
	"  --from TIME    void from then on (default: now). Set it to when the key may have\n"
	"                 been lost: a duration ago (2d), a date or time (2026-11-20,\n"
	"                 2026-11-20T08:00, ...Z for UTC), or epoch ms\n"
	"\n"
	"Exit status: 0; 64 bad arguments; 65 the message was rejected, or PUBKEY is an\n"
	"unknown or ambiguous prefix; 66 no key; 77 the key file is readable by others.\n",
	cmd_revoke_exec,
};

/* Does prefix match key (case-insensitive hex)? */
static int
key_matches(const uint8_t *key, const char *prefix)
{
	char hex[2 * FC_PUBLICKEYBYTES + 1];

	fc_hex(key, FC_PUBLICKEYBYTES, hex);
	return strncasecmp(hex, prefix, strlen(prefix)) == 0;
}

/* Note key as a match of the prefix; count distinct matches. */
static void
match(const uint8_t *key, const char *prefix, uint8_t *found, int *n)
{
	if (!key_matches(key, prefix))
		return;
	if (*n > 0 && memcmp(found, key, FC_PUBLICKEYBYTES) == 0)
		return;
	if (*n == 0)
		memcpy(found, key, FC_PUBLICKEYBYTES);
	(*n)++;
}

/* A full key, or a unique prefix of a key known from the anchors, grants or revocations. */
static int
resolve_key(struct cli *cli, const char *arg, uint8_t key[FC_PUBLICKEYBYTES])
{
	struct cli_trust ct;
	const struct fc_grant *g;
	const struct fc_revocation *r;
	size_t i, len = strlen(arg);
	int n = 0, rc;

	if (len == 2 * FC_PUBLICKEYBYTES && fc_unhex(arg, key, FC_PUBLICKEYBYTES) == 0)
		return EX_OK;
	if (len < 8 || len > 2 * FC_PUBLICKEYBYTES || strspn(arg,
	    "0123456789abcdefABCDEF") != len) {
		cli_warnx(cli, "'%s' is not a public key (64 hex digits, or a prefix of 8 or "
		    "more)", arg);
		return EX_USAGE;
	}
	if ((rc = cli_trust_load(cli, &ct)) != EX_OK)
		return rc;
	for (i = 0; i < ct.nanchors; i++)
		match(ct.anchors[i], arg, key, &n);
	for (i = 0; i < fc_trust_grant_count(ct.trust); i++) {
		g = fc_trust_grant(ct.trust, i);
		match(g->subject, arg, key, &n);
		match(g->author, arg, key, &n);
	}
	for (i = 0; i < fc_trust_revocation_count(ct.trust); i++) {
		r = fc_trust_revocation(ct.trust, i);
		match(r->subject, arg, key, &n);
	}
	cli_trust_clear(&ct);
	if (n == 0) {
		cli_warnx(cli, "no known key starts with %s (give all 64 hex digits)", arg);
		return EX_DATAERR;
	}
	/* match() counts a key only when it differs from the first match. */
	if (n > 1) {
		cli_warnx(cli, "key prefix %s matches more than one key; give more digits", arg);
		return EX_DATAERR;
	}
	return EX_OK;
}

static int
cmd_revoke_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "from", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	Fenghuo__Body body = FENGHUO__BODY__INIT;
	Fenghuo__Revoke rev = FENGHUO__REVOKE__INIT;
	struct fc_policy_verdict v;
	struct cli_trust ct;
	const struct fc_key *key;
	const char *from = NULL;
	uint8_t subj[FC_PUBLICKEYBYTES], id[FC_IDBYTES];
	char hex[FC_IDHEX];
	uint64_t now = cli_now_ms();
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			rev.reason = optarg;
			break;
		case 'f':
			from = optarg;
			break;
		default:
			return cli_usage(&cmd_revoke_entry);
		}
	}
	if (optind + 1 != argc) {
		cli_warnx(cli, "one PUBKEY is required");
		return cli_usage(&cmd_revoke_entry);
	}
	if (rev.reason == NULL || rev.reason[0] == '\0' ||
	    !fc_utf8_valid(rev.reason, strlen(rev.reason))) {
		cli_warnx(cli, "--reason is required (non-empty UTF-8)");
		return cli_usage(&cmd_revoke_entry);
	}
	if (from != NULL) {
		if (cli_parse_time(from, now, &rev.from_ms) == -1 || rev.from_ms == 0) {
			cli_warnx(cli, "--from %s: not a time", from);
			return EX_USAGE;
		}
		rev.has_from_ms = 1;
	}
	/* The key first: a refused key must leave the store untouched. */
	if ((rc = cli_key(cli, &key)) != EX_OK)
		return rc;
	if ((rc = resolve_key(cli, argv[optind], subj)) != EX_OK)
		return rc;
	rev.has_subject = 1;
	rev.subject.data = subj;
	rev.subject.len = sizeof(subj);
	body.has_kind = 1;
	body.kind = FENGHUO__KIND__REVOKE;
	body.revoke = &rev;

	/* Advice only, as for `cert`: the revoker's chain may not have arrived here yet. */
	if (cli_trust_load(cli, &ct) == EX_OK) {
		if (ct.nanchors > 0) {
			fc_policy_may_revoke(ct.trust, fc_key_public(key), subj, now, &v);
			if (v.verdict == FC_POLICY_HOLD)
				cli_warnx(cli, "note: this node knows no certificate chain for your "
				    "key yet; nodes will hold the revocation until it arrives");
			else if (v.verdict == FC_POLICY_REJECT)
				cli_warnx(cli, "warning: your key is not an admin here (%s); nodes "
				    "will not accept this revocation",
				    fc_policy_reason_name(v.reason));
		}
		cli_trust_clear(&ct);
	}
	if ((rc = cli_publish_as(cli, key, &body, now, id)) != EX_OK)
		return rc;
	printf("%s\n", fc_hex(id, FC_IDBYTES, hex));
	return EX_OK;
}
