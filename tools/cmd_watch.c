/*
 * cmd_watch.c: `fenghuo watch`, every message that becomes new on the local node, as it
 * arrives.
 *
 * Subscribes with the control socket's "watch" request through a cli_sub (ctl.c), which
 * renews the subscription and, when the daemon goes away, says so and subscribes again
 * once it is back. The daemon sends an event only after the message is committed, so each
 * one is read back from the store and printed exactly as `fenghuo list` prints it (with its
 * first-seen record), and as the same JSON object with --json. --kind and --region filter
 * as `list` does.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <jansson.h>

#include "crypto.h"
#include "fenghuo.h"
#include "store.h"

static int	cmd_watch_exec(struct cli *, int, char **);

const struct cmd_entry cmd_watch_entry = {
	"watch",
	"watch [--kind K] [--region PREFIX] [--json] [--count N] [--timeout S]",
	"Print each message that becomes new on this node as it arrives (needs fenghuod),\n"
	"one line each as `list` prints them; stop with Ctrl-C. When fenghuod stops, say so\n"
	"on stderr and wait for it: subscribe again when it is back (messages that arrived\n"
	"meanwhile are not shown: `list --since` finds them).\n"
	"  --kind K          only messages of kind K (report, warning, receipt, cert,\n"
	"                    revoke, announce)\n"
	"  --region PREFIX   only messages whose region starts with PREFIX, and warnings\n"
	"                    whose areas concern it (as `list --region`)\n"
	"  --json            JSON Lines, the same object per message as `list --json`\n"
	"  --count N         exit after N messages (that pass the filters)\n"
	"  --timeout S       exit after S seconds (a duration: 30, 90s, 5m); with --count,\n"
	"                    exit 75 (EX_TEMPFAIL) if fewer than N messages came",
	cmd_watch_exec,
};

static volatile sig_atomic_t watch_stop;

static void
watch_sighandler(int sig)
{
	(void)sig;
	watch_stop = 1;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What --kind and --region let through. */
struct watch_filter {
	int		 kind;		/* 0: every kind */
	const char	*region;	/* NULL: everywhere */
};

/*
 * Print one message event that passes f; id from the event, env its envelope bytes.
 * 1 when printed, 0 when filtered out (or unreadable: said on stderr), -1 on an output error.
 */
static int
watch_print(struct cli *cli, const struct watch_filter *f, const char *idhex,
    const uint8_t *env, size_t len)
{
	struct store *st = NULL;
	struct store_msg sm;
	struct fc_msg msg;
	const struct store_seen *seen = NULL;
	uint8_t id[FC_IDBYTES], by[FC_IDBYTES];
	uint64_t now = cli_now_ms();
	int r = FC_R_MAX, rc = 1;

	memset(&sm, 0, sizeof(sm));
	memset(&msg, 0, sizeof(msg));
	/* The message was committed before the event was sent: read it back with its record. */
	if (idhex != NULL && fc_unhex(idhex, id, FC_IDBYTES) == 0 &&
	    cli_store(cli, 0, &st) == EX_OK && store_get(st, id, &sm) == 0) {
		seen = &sm.seen;
		r = cli_validate_stored(sm.env, sm.len, seen, &msg);
	}
	if (r != FC_R_OK && env != NULL) {
		seen = NULL;
		r = fc_validate(env, len, now, now, &msg);
	}
	if (r != FC_R_OK) {
		cli_warnx(cli, "message %s: %s", idhex != NULL ? idhex : "?",
		    r == FC_R_MAX ? "not found" : fc_reason_text(r));
		rc = 0;
		goto out;
	}
	if ((f->kind != 0 && (int)msg.body->kind != f->kind) ||
	    (f->region != NULL && !cli_msg_in_region(&msg, f->region))) {
		rc = 0;
		goto out;
	}
	/* A new CERT or REVOKE changes the trust state: read it again for what follows. */
	if (msg.body->kind == FENGHUO__KIND__CERT || msg.body->kind == FENGHUO__KIND__REVOKE)
		cli_trust_forget(cli);
	cli_trust_mark(cli, &msg, now);
	(void)cli_mark_changes(cli, seen != NULL ? st : NULL, &msg, by);
	if (cli->json) {
		json_t *o = cli_msg_json(&msg, seen, now);

		/* The same object as `list --json`, the report's closed-loop stage included. */
		if (o == NULL || cli_json_loop_stage(cli, o, seen != NULL ? st : NULL, &msg) == -1 ||
		    cli_json_changes(o, &msg, by) == -1 || cli_json_print(stdout, o) == -1)
			rc = -1;
		json_decref(o);
	} else
		cli_msg_line(stdout, &msg, seen, now, 0);
	if (fflush(stdout) == EOF)
		rc = -1;
out:
	fc_msg_clear(&msg);
	store_msg_clear(&sm);
	return rc;
}

/* Parse --timeout: plain seconds for scripts, or any duration `list --since` takes. */
static int
watch_timeout(struct cli *cli, const char *arg, uint64_t *ms)
{
	if (cli_parse_uint(arg, 86400 * 365, ms) == 0)
		*ms *= 1000;
	else if (cli_parse_duration(arg, ms) == -1) {
		cli_warnx(cli, "--timeout: not a duration: %s", arg);
		return -1;
	}
	if (*ms == 0) {
		cli_warnx(cli, "--timeout: must be more than 0");
		return -1;
	}
	return 0;
}

static int
cmd_watch_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "kind", required_argument, NULL, 'k' },
		{ "region", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa, oint, oterm;
	struct watch_filter f = { 0, NULL };
	struct cli_sub *sub = NULL;
	struct cli_sub_event ev;
	uint64_t count = 0, timeout_ms = 0, got = 0;
	int64_t deadline = 0;
	int ch, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			cli->json = 1;
			break;
		case 'n':
			if (cli_parse_uint(optarg, UINT32_MAX, &count) == -1 || count == 0) {
				cli_warnx(cli, "--count: not a positive number: %s", optarg);
				return EX_USAGE;
			}
			break;
		case 't':
			if (watch_timeout(cli, optarg, &timeout_ms) == -1)
				return EX_USAGE;
			break;
		case 'k':
			if ((f.kind = wire_kind_parse(optarg)) <= 0) {
				cli_warnx(cli, "--kind %s: one of report, warning, receipt, cert, "
				    "revoke, announce", optarg);
				return EX_USAGE;
			}
			break;
		case 'r':
			if (cli_check_region_prefix(cli, optarg) != EX_OK)
				return EX_USAGE;
			f.region = optarg;
			break;
		case 'h':
			return cli_help(&cmd_watch_entry);
		default:
			return cli_usage(&cmd_watch_entry);
		}
	}
	if (optind != argc)
		return cli_usage(&cmd_watch_entry);

	if ((rc = cli_sub_open(cli, &sub)) != EX_OK)
		return rc;

	/* No SA_RESTART: the signal must interrupt the wait so that we leave cleanly. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watch_sighandler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &oint);
	sigaction(SIGTERM, &sa, &oterm);

	if (timeout_ms > 0)
		deadline = mono_ms() + (int64_t)timeout_ms;
	rc = EX_OK;
	while (!watch_stop && (count == 0 || got < count)) {
		if (deadline != 0 && mono_ms() >= deadline) {
			if (count != 0)
				rc = EX_TEMPFAIL;
			break;
		}
		if ((rc = cli_sub_next(sub, deadline, &ev)) != EX_OK)
			break;
		switch (ev.type) {
		case CLI_SUB_MESSAGE:
			if ((ch = watch_print(cli, &f, ev.id, ev.env, ev.len)) == -1) {
				rc = EX_IOERR;
				goto done;
			}
			got += (uint64_t)ch;
			break;
		case CLI_SUB_LOST:
			cli_warnx(cli, "fenghuod has gone away; waiting for it to come back");
			break;
		case CLI_SUB_BACK:
			cli_warnx(cli, "fenghuod is back; watching again (messages that arrived "
			    "meanwhile are not shown)");
			break;
		default:
			break;
		}
	}
done:
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGTERM, &oterm, NULL);
	cli_sub_close(&sub);
	return rc;
}
