/*
 * cmd_peers.c: `fenghuo peers [--json]`, the peers of the running fenghuod.
 *
 * Configured peers (from fenghuod.conf) and discovered ones (dialled from announcements,
 * peer exchange) are listed apart: an operator fixes the first kind in the config file and
 * only watches the second. Peers that connected in without being configured here (the
 * other end lists this node) come third, when there are any.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "fenghuo.h"

static int	cmd_peers_exec(struct cli *, int, char **);

const struct cmd_entry cmd_peers_entry = {
	"peers",
	"peers [--json]",
	"List the peers of the running fenghuod, configured ones and discovered ones apart:\n"
	"state, address, key, last contact, messages and bytes in/out, queue, sync rounds;\n"
	"then the known nodes (peer exchange) that a reroute would dial.\n"
	"  --json   one JSON object {\"peers\": [...], \"known\": [...]}, each peer with\n"
	"           \"configured\" and \"discovered\" true/false",
	cmd_peers_exec,
};

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && *s != '\0' ? s : "-";
}

static long long
num(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* "512", "12k", "3.4M": bytes at a glance. */
static const char *
fmt_bytes(long long n, char *buf, size_t size)
{
	if (n < 10000)
		snprintf(buf, size, "%lld", n);
	else if (n < 10000 * 1024LL)
		snprintf(buf, size, "%lldk", n / 1024);
	else
		snprintf(buf, size, "%.1fM", (double)n / (1024.0 * 1024.0));
	return buf;
}

/* How long ago the peer was last heard from; last_seen_ms is the daemon's wall clock. */
static const char *
fmt_seen(const json_t *p, uint64_t now_ms, char *buf, size_t size)
{
	long long seen = num(p, "last_seen_ms");
	long long ago;

	if (seen <= 0)
		return "never";
	ago = (long long)now_ms > seen ? ((long long)now_ms - seen) / 1000 : 0;
	if (ago < 120)
		snprintf(buf, size, "%llds ago", ago);
	else if (ago < 7200)
		snprintf(buf, size, "%lldm ago", ago / 60);
	else
		snprintf(buf, size, "%lldh ago", ago / 3600);
	return buf;
}

enum peer_group {
	GROUP_CONFIGURED,	/* [peer] sections of fenghuod.conf */
	GROUP_DISCOVERED,	/* dialled by this node from announcements (peer exchange) */
	GROUP_INBOUND,		/* connected to this node, configured only at the other end */
};

static int
peer_group(const json_t *p)
{
	const json_t *d = json_object_get(p, "discovered");

	if (json_is_true(json_object_get(p, "configured")))
		return GROUP_CONFIGURED;
	/* A daemon without peer exchange says nothing: every other peer was discovered. */
	if (d == NULL || json_is_true(d))
		return GROUP_DISCOVERED;
	return GROUP_INBOUND;
}

/*
 * The second line of a stream link (radio, serial, satellite): what the operator checks
 * when messages are slow to cross it. Nothing for a ZeroMQ peer.
 */
/* A stream link's session (PROTOCOL.md §11): what was refused as unauthenticated. */
static void
print_session(const json_t *a)
{
	long long refused;

	if (!json_is_object(a))
		return;
	refused = num(a, "hello_bad") + num(a, "bad_tag") + num(a, "replayed") +
	    num(a, "unkeyed") + num(a, "malformed");
	printf("      session %s (%lld keyed so far); %lld messages refused as "
	    "unauthenticated or replayed\n", json_is_true(json_object_get(a, "keyed")) ?
	    "authenticated" : "not established", num(a, "sessions"), refused);
}

static void
print_stream(const json_t *s)
{
	char rate[32], backlog[32];

	if (!json_is_object(s))
		return;
	if (num(s, "bitrate") > 0)
		snprintf(rate, sizeof(rate), "%lld bit/s", num(s, "bitrate"));
	else
		snprintf(rate, sizeof(rate), "unpaced");
	printf("      %s link, mtu %lld, %s, backlog %s; %lld frames, %lld messages; "
	    "%lld CRC errors, %lld resyncs, %lld fragments dropped, %lld foreign\n",
	    str(s, "type"), num(s, "mtu"), rate,
	    fmt_bytes(num(s, "backlog"), backlog, sizeof(backlog)), num(s, "frames"),
	    num(s, "msgs"), num(s, "crc_errors"), num(s, "resyncs"), num(s, "frag_dropped"),
	    num(s, "foreign"));
	if (num(s, "too_long") > 0)
		printf("      %lld frames longer than this end's mtu: is the other end's mtu "
		    "larger?\n", num(s, "too_long"));
	print_session(json_object_get(s, "session"));
}

/* Why a peer is not up (refused, revoked), and its clock when it is off ours. */
static void
print_why(const json_t *p)
{
	const json_t *c = json_object_get(p, "clock_offset_ms");
	const char *why = json_string_value(json_object_get(p, "reason"));
	char b[32];

	if (why != NULL && *why != '\0')
		printf("      %s\n", why);
	if (json_is_integer(c) && (json_integer_value(c) > CLI_CLOCK_SHOW_MS ||
	    json_integer_value(c) < -CLI_CLOCK_SHOW_MS))
		printf("      its clock: ours is %s %s\n", cli_clock_fmt(json_integer_value(c), b,
		    sizeof(b)), json_integer_value(c) > 0 ? "ahead" : "behind");
}

static void
print_group(json_t *peers, int group, uint64_t now_ms)
{
	static const char *const title[] = {
		"configured peers",
		"discovered peers",
		"inbound peers (configured at their end only)",
	};
	json_t *p;
	size_t i;
	int n = 0;
	char kshort[13], seen[32], bin[32], bout[32];

	if (group == GROUP_INBOUND) {
		/* Shown only when there are some: they are unusual. */
		json_array_foreach(peers, i, p)
			if (peer_group(p) == group)
				n++;
		if (n == 0)
			return;
		n = 0;
	}
	printf("%s\n", title[group]);
	json_array_foreach(peers, i, p) {
		if (peer_group(p) != group)
			continue;
		if (n++ == 0)
			printf("  %-20s %-10s %-24s %-12s %-9s %11s %13s %5s %5s\n", "NAME",
			    "STATE", "ADDRESS", "KEY", "SEEN", "MSGS IN/OUT", "BYTES IN/OUT",
			    "QUEUE", "SYNCS");
		snprintf(kshort, sizeof(kshort), "%s", str(p, "key"));
		fputs("  ", stdout);
		cli_cell(stdout, str(p, "name"), 20, 1);	/* by display width: Chinese names */
		printf(" %-10s %-24s %-12s %-9s %5lld/%-5lld %6s/%-6s %5lld %5lld\n",
		    str(p, "state"), str(p, "address"), kshort,
		    fmt_seen(p, now_ms, seen, sizeof(seen)), num(p, "msgs_in"), num(p, "msgs_out"),
		    fmt_bytes(num(p, "bytes_in"), bin, sizeof(bin)),
		    fmt_bytes(num(p, "bytes_out"), bout, sizeof(bout)), num(p, "queue"),
		    num(p, "sync_rounds"));
		print_stream(json_object_get(p, "stream"));
		print_why(p);
	}
	if (n == 0)
		printf("  (none)\n");
}

/* The known-node table (peer exchange): who could be dialled when the configured peers fail. */
static void
print_known(json_t *known, uint64_t now_ms)
{
	json_t *k, *eps;
	size_t i;
	long long ago;
	char kshort[13], when[32];

	printf("known nodes (announced; dialled when every configured peer is down)\n");
	if (!json_is_array(known) || json_array_size(known) == 0) {
		printf("  (none)\n");
		return;
	}
	printf("  %-20s %-12s %-12s %-9s %s\n", "NAME", "REGION", "KEY", "ANNOUNCED",
	    "ENDPOINTS");
	json_array_foreach(known, i, k) {
		snprintf(kshort, sizeof(kshort), "%s", str(k, "key"));
		ago = (long long)now_ms - num(k, "announced_ms");
		if (ago < 0)
			ago = 0;
		ago /= 1000;
		if (ago < 7200)
			snprintf(when, sizeof(when), "%lldm ago", ago / 60);
		else if (ago < 172800)
			snprintf(when, sizeof(when), "%lldh ago", ago / 3600);
		else
			snprintf(when, sizeof(when), "%lldd ago", ago / 86400);
		eps = json_object_get(k, "endpoints");
		fputs("  ", stdout);
		cli_cell(stdout, str(k, "name"), 20, 1);
		printf(" %-12s %-12s %-9s %s%s\n", str(k, "region"), kshort,
		    when, json_is_array(eps) && json_array_size(eps) > 0 ?
		    json_string_value(json_array_get(eps, 0)) : "-",
		    json_is_array(eps) && json_array_size(eps) > 1 ? " ..." : "");
	}
}

static int
cmd_peers_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_ctl *c;
	json_t *r, *peers;
	int ch, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			cli->json = 1;
			break;
		case 'h':
			return cli_help(&cmd_peers_entry);
		default:
			return cli_usage(&cmd_peers_entry);
		}
	}
	if (optind != argc)
		return cli_usage(&cmd_peers_entry);

	if ((rc = cli_ctl_open(cli, &c)) != EX_OK) {
		if (rc == EX_UNAVAILABLE)
			cli_warnx(cli, "fenghuod is not running (state %s)", cli->state);
		return rc;
	}
	rc = cli_ctl_call(cli, c, "peers", NULL, 0, &r);
	cli_ctl_close(&c);
	if (rc != EX_OK)
		return rc;
	peers = json_object_get(r, "peers");
	if (!json_is_array(peers)) {
		cli_warnx(cli, "fenghuod's reply has no peer list");
		json_decref(r);
		return EX_PROTOCOL;
	}
	if (cli->json) {
		json_object_del(r, "ok");
		rc = cli_json_out(cli, r) == -1 ? EX_IOERR : EX_OK;
	} else {
		print_group(peers, GROUP_CONFIGURED, cli_now_ms());
		print_group(peers, GROUP_DISCOVERED, cli_now_ms());
		print_group(peers, GROUP_INBOUND, cli_now_ms());
		print_known(json_object_get(r, "known"), cli_now_ms());
		rc = EX_OK;
	}
	json_decref(r);
	return rc;
}
