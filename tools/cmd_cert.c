/*
 * cmd_cert.c: `fenghuo cert`: an admin grants a key roles within a region for N days
 * (a CERT message, docs/TRUST.md), signed with the admin's --key and submitted like any
 * message.
 *
 * The CLI does not refuse a certificate that this node's trust state says nodes will not
 * accept: the admin's own certificate may simply not have reached this machine yet, and
 * gossip does not preserve order. It says so on stderr instead, before signing.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "crypto.h"
#include "store.h"
#include "fenghuo.h"

static int	cmd_cert_exec(struct cli *, int, char **);

const struct cmd_entry cmd_cert_entry = {
	"cert",
	"cert --subject PUBKEY --roles R1,R2 --region PREFIX --days N [--name T] "
	"[--transport-key HEX] [--clock-ok]",
	"Grant the key PUBKEY the given roles within region PREFIX, valid from an hour ago\n"
	"(clocks differ) to N days from now: sign a CERT message with the --key key (an\n"
	"admin's) and submit it; print its id. The certificate spreads to every node like\n"
	"any message. The signing key must itself hold admin over a region containing\n"
	"PREFIX (docs/TRUST.md): if this node knows that it does not, the certificate is\n"
	"refused; if it does not know the key's chain yet, it is stored with a note (the\n"
	"admin's own certificate may still be on its way; nodes hold it until it arrives).\n"
	"\n"
	"  --subject PUBKEY       the key to certify, 64 hex digits ('fenghuo keygen'\n"
	"                         prints it on the machine that holds the key)\n"
	"  --roles R1,R2          any of node, reporter, verifier, issuer, admin\n"
	"  --region PREFIX        region code prefix the grant covers (2, 4, 6, 9 or 12\n"
	"                         digits), e.g. a township 330110101 or a village\n"
	"  --days N               validity in days from now (1..3650)\n"
	"  --name T               who or what the key belongs to (shown by 'fenghuo keys')\n"
	"  --transport-key HEX    the node's Curve25519 transport public key (64 hex\n"
	"                         digits), for a certificate with role node (CurveZMQ)\n"
	"  --clock-ok             sign even though fenghuod finds this computer's clock\n"
	"                         off its peers' by more than validation tolerates\n"
	"\n"
	"Exit status: 0; 64 bad arguments (e.g. an unknown role); 65 the message was\n"
	"rejected; 66 no key; 75 not signed: this computer's clock is off (see\n"
	"--clock-ok); 77 the key file is readable by others.\n",
	cmd_cert_exec,
};

#define CERT_DAYS_MAX	3650
#define DAY_MS		(24ULL * 3600 * 1000)

int
cli_roles_parse(struct cli *cli, const char *arg, Fenghuo__Role *roles, size_t *n)
{
	char *copy, *tok, *save = NULL;
	size_t i;
	int r, rc = 0;

	*n = 0;
	if ((copy = strdup(arg)) == NULL) {
		cli_warn(cli, "strdup");
		return -1;
	}
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if ((r = wire_role_parse(tok)) < FENGHUO__ROLE__NODE) {
			cli_warnx(cli, "--roles: unknown role '%s' (node, reporter, verifier, "
			    "issuer, admin)", tok);
			rc = -1;
			break;
		}
		for (i = 0; i < *n; i++)
			if ((int)roles[i] == r)
				break;
		if (i == *n)
			roles[(*n)++] = (Fenghuo__Role)r;
	}
	if (rc == 0 && *n == 0) {
		cli_warnx(cli, "--roles: at least one role is needed");
		rc = -1;
	}
	free(copy);
	return rc;
}

/*
 * Say when nothing here can check the grant. (Whether the key may make it is judged when it
 * is submitted, by fenghuod or by the direct write: the same policy, one message.)
 */
static void
advise(struct cli *cli)
{
	struct cli_trust ct;

	if (cli_trust_load(cli, &ct) != EX_OK)
		return;
	if (ct.nanchors == 0)
		cli_warnx(cli, "note: no trust anchors in %s/%s; cannot check that your key "
		    "may issue this certificate", cli->state, CLI_ANCHORS_FILE);
	cli_trust_clear(&ct);
}

static int
cmd_cert_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "subject", required_argument, NULL, 's' },
		{ "roles", required_argument, NULL, 'r' },
		{ "region", required_argument, NULL, 'g' },
		{ "days", required_argument, NULL, 'd' },
		{ "name", required_argument, NULL, 'n' },
		{ "transport-key", required_argument, NULL, 't' },
		{ "clock-ok", no_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 },
	};
	Fenghuo__Cert cert = FENGHUO__CERT__INIT;	/* only its name, from --name */
	Fenghuo__Role roles[FENGHUO__ROLE__ADMIN];
	const char *subject = NULL, *rolearg = NULL, *days = NULL, *tkey = NULL;
	char *region = NULL;
	uint8_t subj[FC_PUBLICKEYBYTES], tk[32], id[FC_IDBYTES];
	const struct fc_key *key;
	char hex[FC_IDHEX];
	uint64_t ndays;
	size_t nroles;
	int ch, rc, clock_ok = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			subject = optarg;
			break;
		case 'r':
			rolearg = optarg;
			break;
		case 'g':
			region = optarg;
			break;
		case 'd':
			days = optarg;
			break;
		case 'n':
			cert.name = optarg;
			break;
		case 't':
			tkey = optarg;
			break;
		case 'K':
			clock_ok = 1;
			break;
		default:
			return cli_usage(&cmd_cert_entry);
		}
	}
	if (optind != argc) {
		cli_warnx(cli, "unexpected argument '%s'", argv[optind]);
		return cli_usage(&cmd_cert_entry);
	}
	if (subject == NULL || rolearg == NULL || region == NULL || days == NULL) {
		cli_warnx(cli, "--subject, --roles, --region and --days are required");
		return cli_usage(&cmd_cert_entry);
	}
	if (strlen(subject) != 2 * FC_PUBLICKEYBYTES || fc_unhex(subject, subj,
	    sizeof(subj)) != 0) {
		cli_warnx(cli, "--subject %s: not a public key (64 hex digits)", subject);
		return EX_USAGE;
	}
	if (cli_roles_parse(cli, rolearg, roles, &nroles) == -1)
		return EX_USAGE;
	if (!fc_region_valid(region)) {
		cli_warnx(cli, "--region %s: not a region code prefix (2, 4, 6, 9 or 12 digits)",
		    region);
		return EX_USAGE;
	}
	if (cli_parse_uint(days, CERT_DAYS_MAX, &ndays) == -1 || ndays == 0) {
		cli_warnx(cli, "--days %s: not a number of days from 1 to %d", days,
		    CERT_DAYS_MAX);
		return EX_USAGE;
	}
	if (tkey != NULL && (strlen(tkey) != 2 * sizeof(tk) ||
	    fc_unhex(tkey, tk, sizeof(tk)) != 0)) {
		cli_warnx(cli, "--transport-key %s: not a public key (64 hex digits)", tkey);
		return EX_USAGE;
	}
	if (cert.name != NULL && (cert.name[0] == '\0' ||
	    !fc_utf8_valid(cert.name, strlen(cert.name)))) {
		cli_warnx(cli, "--name must be non-empty UTF-8");
		return EX_USAGE;
	}

	/* The key first: a refused key must leave the store untouched. */
	if ((rc = cli_key(cli, &key)) != EX_OK)
		return rc;
	if (!clock_ok && (rc = cli_clock_check(cli, "certificates")) != EX_OK)
		return rc;
	advise(cli);
	if ((rc = cli_cert_sign(cli, key, subj, roles, nroles, region, ndays, cert.name,
	    tkey != NULL ? tk : NULL, id)) != EX_OK)
		return rc;
	printf("%s\n", fc_hex(id, FC_IDBYTES, hex));
	return EX_OK;
}

int
cli_cert_sign(struct cli *cli, const struct fc_key *key, const uint8_t *subj,
    const Fenghuo__Role *roles, size_t nroles, const char *region, uint64_t ndays,
    const char *name, const uint8_t *tk, uint8_t id[FC_IDBYTES])
{
	Fenghuo__Body body = FENGHUO__BODY__INIT;
	Fenghuo__Cert cert = FENGHUO__CERT__INIT;
	uint64_t now = cli_now_ms();

	cert.name = (char *)(uintptr_t)name;
	cert.has_subject = 1;
	cert.subject.data = (uint8_t *)(uintptr_t)subj;
	cert.subject.len = FC_PUBLICKEYBYTES;
	cert.n_roles = nroles;
	cert.roles = (Fenghuo__Role *)(uintptr_t)roles;
	cert.scope = (char *)(uintptr_t)region;
	cert.has_not_before_ms = 1;
	cert.not_before_ms = now - CLI_CERT_SLACK_MS;
	cert.has_not_after_ms = 1;
	cert.not_after_ms = now + ndays * DAY_MS;
	if (tk != NULL) {
		cert.has_transport_key = 1;
		cert.transport_key.data = (uint8_t *)(uintptr_t)tk;
		cert.transport_key.len = 32;
	}
	body.has_kind = 1;
	body.kind = FENGHUO__KIND__CERT;
	body.region = (char *)(uintptr_t)region;	/* so that `list --region` finds it */
	body.cert = &cert;
	return cli_publish_as(cli, key, &body, now, id);
}
