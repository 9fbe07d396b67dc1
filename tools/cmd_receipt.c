/*
 * cmd_receipt.c: `fenghuo receipt ID --stage S`: one step of the closed loop of a report
 * (registered, verified, handling, closed), or a delivery acknowledgement of a warning.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "crypto.h"
#include "store.h"
#include "fenghuo.h"

static int	cmd_receipt_exec(struct cli *, int, char **);

const struct cmd_entry cmd_receipt_entry = {
	"receipt",
	"receipt ID --stage delivered|registered|verified|handling|closed [--note T] "
	"[--region CODE]",
	"Sign a receipt for the stored message ID (any unique prefix of 8 or more hex\n"
	"digits) and submit it; print its id. The receipt refers to the full id and\n"
	"carries the region of the message it acknowledges.\n"
	"\n"
	"  --stage S   delivered (a warning reached this node), registered, verified,\n"
	"              handling, closed (the steps of handling a report)\n"
	"  --note T    free text, e.g. who is handling it\n"
	"  --region CODE  the region the receipt names instead of the message's: a\n"
	"              village officer confirming a county-wide warning (a drill) names\n"
	"              the village, where their certificate holds\n"
	"\n"
	"Exit status: 0; 64 bad arguments; 65 unknown or ambiguous ID, or rejected;\n"
	"66 no key or no store; 77 the key file is readable by others.\n",
	cmd_receipt_exec,
};

static int
cmd_receipt_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stage", required_argument, NULL, 's' },
		{ "note", required_argument, NULL, 'n' },
		{ "region", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	Fenghuo__Body body = FENGHUO__BODY__INIT;
	Fenghuo__Receipt rcpt = FENGHUO__RECEIPT__INIT;
	Fenghuo__Envelope *env = NULL;
	Fenghuo__Body *target = NULL;
	struct store_msg m;
	ProtobufCBinaryData ref;
	uint8_t id[FC_IDBYTES];
	const char *stage = NULL, *own_region = NULL;
	char *region = NULL;
	int ch, v, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			stage = optarg;
			break;
		case 'n':
			rcpt.note = optarg;
			break;
		case 'r':
			own_region = optarg;
			break;
		default:
			return cli_usage(&cmd_receipt_entry);
		}
	}
	if (optind + 1 != argc || stage == NULL) {
		cli_warnx(cli, "one message ID and --stage are required");
		return cli_usage(&cmd_receipt_entry);
	}
	if ((v = wire_stage_parse(stage)) <= 0) {
		cli_warnx(cli, "--stage %s: one of delivered, registered, verified, handling, "
		    "closed", stage);
		return EX_USAGE;
	}
	if (own_region != NULL && ((strlen(own_region) != 6 && strlen(own_region) != 9 &&
	    strlen(own_region) != 12) ||
	    cli_check_region_prefix(cli, own_region) != EX_OK)) {
		cli_warnx(cli, "--region %s: a region code of 6, 9 or 12 digits", own_region);
		return EX_USAGE;
	}
	rcpt.has_stage = 1;
	rcpt.stage = v;
	if ((rc = cli_resolve(cli, argv[optind], &m)) != EX_OK)
		return rc;
	memcpy(id, m.id, sizeof(id));
	/* The receipt travels where the message did: copy its region, unless told. */
	if (own_region != NULL)
		region = strdup(own_region);
	else if ((env = wire_envelope_unpack(m.env, m.len)) != NULL && env->has_body &&
	    (target = wire_body_unpack(env->body.data, env->body.len)) != NULL &&
	    target->region != NULL && target->region[0] != '\0')
		region = strdup(target->region);
	if (target != NULL)
		fenghuo__body__free_unpacked(target, NULL);
	if (env != NULL)
		fenghuo__envelope__free_unpacked(env, NULL);
	store_msg_clear(&m);

	ref.data = id;
	ref.len = sizeof(id);
	body.n_refs = 1;
	body.refs = &ref;
	body.region = region;
	body.has_kind = 1;
	body.kind = FENGHUO__KIND__RECEIPT;
	body.receipt = &rcpt;
	rc = cli_publish(cli, &body, cli_now_ms());
	free(region);
	return rc;
}
