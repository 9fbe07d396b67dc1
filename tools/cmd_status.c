/*
 * cmd_status.c: `fenghuo status [--json | --prometheus]`, what the local fenghuod says
 * about itself.
 *
 * The numbers come from the daemon's "status" control request. Without a running daemon
 * the command still says what the store holds (count and set digest, read directly), and
 * exits EX_UNAVAILABLE so that scripts can tell.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "crypto.h"
#include "store.h"
#include "fenghuo.h"
#include "metrics.h"

static int	cmd_status_exec(struct cli *, int, char **);

const struct cmd_entry cmd_status_entry = {
	"status",
	"status [--json | --prometheus]",
	"Show the running fenghuod: identity, uptime, message counts, store digest,\n"
	"signature checks, rejections by reason, peers and queue.\n"
	"  --json   one JSON object (the daemon's status reply, with \"running\")\n"
	"  --prometheus  the daemon's counters in the Prometheus text format\n"
	"Without a running daemon, shows what the store holds and exits 69 (EX_UNAVAILABLE).",
	cmd_status_exec,
};

static json_int_t
num(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "?";
}

/* "3d04h", "2h05m", "4m10s", "12s" */
static void
fmt_uptime(json_int_t s, char *buf, size_t size)
{
	if (s >= 86400)
		snprintf(buf, size, "%lldd%02lldh", (long long)(s / 86400),
		    (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(buf, size, "%lldh%02lldm", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(buf, size, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, size, "%llds", (long long)s);
}

/* One line "label  name N, name N" of the nonzero integer counters of obj (since start). */
static void
print_counters(const char *label, json_t *obj)
{
	const char *k;
	json_t *v;
	int first = 1;

	if (!json_is_object(obj))
		return;
	printf("%-12s", label);
	json_object_foreach(obj, k, v) {
		if (!json_is_integer(v) || json_integer_value(v) == 0)
			continue;
		printf("%s %s %lld", first ? "" : ",", k, (long long)json_integer_value(v));
		first = 0;
	}
	printf("%s\n", first ? " none" : "");
}

/*
 * One line per [hook]: its runs since start, and its failures with the last error: a
 * loudspeaker that stopped sounding must show here, not only in the log.
 */
static void
print_hooks(json_t *hooks)
{
	json_t *h;
	size_t i;

	json_array_foreach(hooks, i, h) {
		printf("hook         %s (on %s): %lld ok, %lld running, %lld waiting",
		    str(h, "name"), str(h, "on"), (long long)num(h, "ok"),
		    (long long)num(h, "running"), (long long)num(h, "waiting"));
		if (num(h, "failures") > 0) {
			printf(", %lld FAILED", (long long)num(h, "failures"));
			if (num(h, "given_up") > 0)
				printf(" (%lld given up)", (long long)num(h, "given_up"));
			fputs(", last: ", stdout);
			cli_cell(stdout, str(h, "last_error"), 0, 0);
		}
		putchar('\n');
	}
}

static void
print_status(const json_t *st)
{
	json_t *peers, *p;
	char up[32];
	size_t i, nup = 0;

	fmt_uptime(num(st, "uptime_s"), up, sizeof(up));
	if (num(st, "pid") > 0)
		printf("fenghuod     running (pid %lld), up %s\n", (long long)num(st, "pid"), up);
	else
		printf("fenghuod     running, up %s\n", up);
	printf("name         %s\n", str(st, "name"));
	printf("region       %s\n", str(st, "region"));
	printf("key          %s\n", str(st, "key"));
	printf("messages     %lld\n", (long long)num(st, "messages"));
	printf("digest       %s\n", str(st, "digest"));
	printf("verified     %lld signature checks since start\n",
	    (long long)num(st, "verified"));
	printf("received     %lld new, %lld duplicate since start\n", (long long)num(st, "stored"),
	    (long long)num(st, "duplicates"));
	printf("confirmed    %lld warning(s) with a delivery receipt since start\n",
	    (long long)num(st, "delivery_receipts"));
	/* The one line an operator must not miss: messages are being refused for want of disk. */
	if (num(st, "commit_errors") > 0)
		printf("STORE        %lld batch(es) could not be written (disk full?): see the "
		    "daemon's log\n", (long long)num(st, "commit_errors"));
	print_counters("rejected", json_object_get(st, "rejected"));
	print_counters("policy", json_object_get(st, "policy_rejected"));
	print_counters("dropped", json_object_get(st, "drops"));
	print_counters("links", json_object_get(st, "zap"));
	if (json_object_get(st, "held") != NULL)
		printf("held         %lld waiting for their author's certificate\n",
		    (long long)num(st, "held"));
	if (num(st, "held_imported") > 0)
		printf("held imports %lld imported, waiting for their author's certificate "
		    "(fenghuo list --held)\n", (long long)num(st, "held_imported"));
	printf("queue        %lld\n",
	    (long long)num(json_object_get(st, "queue"), "total"));
	cli_clock_print(st);
	print_hooks(json_object_get(st, "hooks"));
	peers = json_object_get(st, "peers");
	json_array_foreach(peers, i, p) {
		const char *state = json_string_value(json_object_get(p, "state"));

		if (state != NULL && strcmp(state, "up") == 0)
			nup++;
	}
	printf("peers        %zu up of %zu", nup, json_array_size(peers));
	json_array_foreach(peers, i, p)
		printf("%s %s (%s)", i == 0 ? ":" : ",", str(p, "name"), str(p, "state"));
	printf("\n");
}

/* No daemon: what the store says, if there is one. */
static int
status_offline(struct cli *cli)
{
	struct store *st;
	uint64_t count = 0;
	uint8_t digest[32];
	char hex[2 * sizeof(digest) + 1];
	int rc, have = 0;

	if (cli_store(cli, 0, &st) == EX_OK && store_count(st, &count) == 0 &&
	    store_digest(st, digest) == 0)
		have = 1;
	if (cli->json) {
		json_t *o = json_pack("{s:b}", "running", 0);

		if (o == NULL)
			return EX_SOFTWARE;
		if (have) {
			json_object_set_new(o, "messages", json_integer((json_int_t)count));
			json_object_set_new(o, "digest",
			    json_string(fc_hex(digest, sizeof(digest), hex)));
			json_object_set_new(o, "held_imported",
			    json_integer((json_int_t)cli_held_count(cli, st)));
		}
		rc = cli_json_print(stdout, o);
		json_decref(o);
		if (rc == -1)
			return EX_IOERR;
	} else {
		printf("fenghuod     not running (state %s)\n", cli->state);
		if (have) {
			size_t held = cli_held_count(cli, st);

			printf("messages     %llu\n", (unsigned long long)count);
			printf("digest       %s\n", fc_hex(digest, sizeof(digest), hex));
			if (held > 0)
				printf("held imports %zu imported, waiting for their author's "
				    "certificate (fenghuo list --held)\n", held);
		}
	}
	return EX_UNAVAILABLE;
}

static int
cmd_status_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store *store;
	json_t *st;
	int ch, rc, prom = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			cli->json = 1;
			break;
		case 'p':
			prom = 1;
			break;
		case 'h':
			return cli_help(&cmd_status_entry);
		default:
			return cli_usage(&cmd_status_entry);
		}
	}
	if (optind != argc || (prom && cli->json))
		return cli_usage(&cmd_status_entry);

	rc = cli_daemon_status(cli, NULL, &st);
	/*
	 * No daemon, no counters: a textfile collector must keep the last file rather than
	 * read an empty one, so nothing is printed (exit 69 as without --prometheus).
	 */
	if (rc == EX_UNAVAILABLE && prom)
		cli_warnx(cli, "fenghuod is not running (state %s)", cli->state);
	if (rc == EX_UNAVAILABLE && !prom)
		return status_offline(cli);
	if (rc != EX_OK)
		return rc;
	/* The held area is on disk: what the daemon does not count (it holds them in memory). */
	if (cli_store(cli, 0, &store) == EX_OK)
		json_object_set_new(st, "held_imported",
		    json_integer((json_int_t)cli_held_count(cli, store)));
	if (prom) {
		rc = metrics_write(stdout, st) == -1 ? EX_IOERR : EX_OK;
	} else if (cli->json) {
		json_object_del(st, "ok");
		json_object_set_new(st, "running", json_true());
		rc = cli_json_print(stdout, st) == -1 ? EX_IOERR : EX_OK;
	} else {
		print_status(st);
		rc = EX_OK;
	}
	json_decref(st);
	return rc;
}
