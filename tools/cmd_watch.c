/*
 * cmd_watch.c: `fenghuo watch`, every message that becomes new on the local node, as it
 * arrives.
 *
 * Subscribes with the control socket's "watch" request. The daemon keeps a subscription
 * for 60 s, so we renew it every 20 s; a renewal that goes unanswered means the daemon is
 * gone. The daemon sends an event only after the message is committed, so each one is read
 * back from the store and printed exactly as `fenghuo list` prints it (with its first-seen
 * record), and as the same JSON object with --json.
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

#define WATCH_RENEW_MS	(20 * 1000)

static int	cmd_watch_exec(struct cli *, int, char **);

const struct cmd_entry cmd_watch_entry = {
	"watch",
	"watch [--json] [--count N] [--timeout S]",
	"Print each message that becomes new on this node as it arrives (needs fenghuod),\n"
	"one line each as `list` prints them; stop with Ctrl-C.\n"
	"  --json        JSON Lines, the same object per message as `list --json`\n"
	"  --count N     exit after N messages\n"
	"  --timeout S   exit after S seconds (a duration: 30, 90s, 5m); with --count,\n"
	"                exit 75 (EX_TEMPFAIL) if fewer than N messages came",
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

/* Print one message event; id from the event, env its envelope bytes. */
static int
watch_print(struct cli *cli, const char *idhex, const uint8_t *env, size_t len)
{
	struct store *st = NULL;
	struct store_msg sm;
	struct fc_msg msg;
	const struct store_seen *seen = NULL;
	uint8_t id[FC_IDBYTES], by[FC_IDBYTES];
	uint64_t now = cli_now_ms();
	int r = FC_R_MAX, rc = 0;

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

static int
cmd_watch_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa, oint, oterm;
	struct cli_ctl *c = NULL;
	json_t *o = NULL;
	uint8_t *env = NULL;
	size_t len;
	uint64_t count = 0, timeout_ms = 0, got = 0;
	int64_t now, deadline = 0, renew, answer_by = 0;
	int ch, rc, wait;

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
			/* Plain seconds for scripts, or any duration `list --since` takes. */
			if (cli_parse_uint(optarg, 86400 * 365, &timeout_ms) == 0)
				timeout_ms *= 1000;
			else if (cli_parse_duration(optarg, &timeout_ms) == -1) {
				cli_warnx(cli, "--timeout: not a duration: %s", optarg);
				return EX_USAGE;
			}
			if (timeout_ms == 0) {
				cli_warnx(cli, "--timeout: must be more than 0");
				return EX_USAGE;
			}
			break;
		case 'h':
			return cli_help(&cmd_watch_entry);
		default:
			return cli_usage(&cmd_watch_entry);
		}
	}
	if (optind != argc)
		return cli_usage(&cmd_watch_entry);

	if ((rc = cli_ctl_open(cli, &c)) != EX_OK) {
		if (rc == EX_UNAVAILABLE)
			cli_warnx(cli, "fenghuod is not running (state %s)", cli->state);
		return rc;
	}
	if ((rc = cli_ctl_call(cli, c, "watch", NULL, 0, &o)) != EX_OK)
		goto out;
	json_decref(o);
	o = NULL;

	/* No SA_RESTART: the signal must interrupt zmq_poll() so that we leave cleanly. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watch_sighandler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &oint);
	sigaction(SIGTERM, &sa, &oterm);

	now = mono_ms();
	renew = now + WATCH_RENEW_MS;
	if (timeout_ms > 0)
		deadline = now + (int64_t)timeout_ms;
	rc = EX_OK;
	while (!watch_stop && (count == 0 || got < count)) {
		now = mono_ms();
		if (deadline != 0 && now >= deadline) {
			if (count != 0)
				rc = EX_TEMPFAIL;
			break;
		}
		if (answer_by != 0 && now >= answer_by) {
			cli_warnx(cli, "fenghuod stopped answering");
			rc = EX_UNAVAILABLE;
			break;
		}
		if (now >= renew) {
			if (cli_ctl_send(c, "watch", NULL, 0) == -1) {
				cli_warnx(cli, "cannot renew the subscription");
				rc = EX_UNAVAILABLE;
				break;
			}
			renew = now + WATCH_RENEW_MS;
			answer_by = now + CLI_CTL_TIMEOUT_MS;
		}
		wait = (int)(renew - now);
		if (deadline != 0 && deadline - now < wait)
			wait = (int)(deadline - now);
		if (answer_by != 0 && answer_by - now < wait)
			wait = (int)(answer_by - now);
		if ((ch = cli_ctl_recv(c, wait, &o, &env, &len)) == 1)
			continue;
		if (ch == -1) {
			if (errno == EINTR)
				continue;
			cli_warnx(cli, "malformed message on the control socket");
			rc = EX_PROTOCOL;
			break;
		}
		if (json_object_get(o, "event") == NULL) {
			/* The answer to a renewal. */
			if (!json_is_true(json_object_get(o, "ok"))) {
				const char *e = json_string_value(json_object_get(o, "error"));

				cli_warnx(cli, "fenghuod refused the subscription: %s",
				    e != NULL ? e : "no reason given");
				rc = EX_SOFTWARE;
				break;
			}
			answer_by = 0;
		} else if (json_is_string(json_object_get(o, "event")) &&
		    strcmp(json_string_value(json_object_get(o, "event")), "message") == 0) {
			if (watch_print(cli, json_string_value(json_object_get(o, "id")), env,
			    len) == -1) {
				rc = EX_IOERR;
				break;
			}
			got++;
		}
		/* Other events are for newer clients; skip them. */
		json_decref(o);
		o = NULL;
		free(env);
		env = NULL;
	}
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGTERM, &oterm, NULL);
out:
	json_decref(o);
	free(env);
	cli_ctl_close(&c);
	return rc;
}
