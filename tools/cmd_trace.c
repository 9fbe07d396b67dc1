/*
 * cmd_trace.c: `fenghuo trace ID`: which way a message went. The running fenghuod sends a
 * TRACE query through the mesh (PROTOCOL.md §5, Trace); every node it reaches answers with
 * when it first stored the message, from which neighbour, over which link and after how many
 * hops. The answers draw the delivery tree: each node under the neighbour it got the
 * message from. Nodes this node knows of (its peers, the known-node table, node
 * certificates) that did not answer within the timeout are listed as unanswered: down,
 * cut off, or beyond the hop limit.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "crypto.h"
#include "store.h"
#include "fenghuo.h"

static int	cmd_trace_exec(struct cli *, int, char **);

const struct cmd_entry cmd_trace_entry = {
	"trace",
	"trace ID [--timeout S] [--json]",
	"The delivery tree of message ID (64 hex digits, or an id prefix of 8+ hex digits of\n"
	"a message stored here): the running fenghuod asks the mesh (a TRACE query, at most\n"
	"16 hops), and every node that answers says when it first stored the message, from\n"
	"which neighbour, over which link (zeromq, udp, serial or stdio) and after how many\n"
	"hops. Each node is printed under the neighbour it got the message from; nodes that\n"
	"answered that they do not have it are listed apart, and so are the nodes this node\n"
	"knows of (peers, known nodes, node certificates) that did not answer in time.\n"
	"\n"
	"  --timeout S   how long to wait for answers, seconds (0..60, default 5)\n"
	"  --json        one JSON object (fields in docs/CLI.md)\n"
	"\n"
	"Exit status: 0; 64 bad arguments; 65 unknown or ambiguous id prefix;\n"
	"69 fenghuod is not running.\n",
	cmd_trace_exec,
};

#define TRACE_DEFAULT_S		5
#define TRACE_MAX_S		60

/* One node of the answer. */
struct tnode {
	uint8_t		 key[32];
	const json_t	*r;		/* its reply, or NULL: unanswered */
	int		 has_msg;
	int		 has_from;
	uint8_t		 from[32];
	int		 printed;
};

struct tview {
	struct cli	*cli;
	struct cli_trust *ct;
	const json_t	*peers;		/* the daemon's "peers" and "known" arrays */
	const json_t	*known;
	struct tnode	*v;
	size_t		 n, cap;
	int		 self_key_set;
	uint8_t		 self[32];
	int		 status;	/* the message's CAP status when stored here, else 0 */
	char		 mark[96];	/* its marks (" [演练]"), "" when none or not stored */
};

/*
 * The status and marks of the traced message when this node stores it: a drill's trace
 * must not read as a real warning's.
 */
static void
tv_message(struct tview *tv, const char *idhex)
{
	struct store_msg m;
	struct store *st;
	struct fc_msg msg;

	tv->mark[0] = '\0';
	if (cli_store(tv->cli, 0, &st) != EX_OK || store_get_prefix(st, idhex, &m) != 0)
		return;
	if (cli_validate_stored(m.env, m.len, &m.seen, &msg) == FC_R_OK) {
		if (msg.body->kind == FENGHUO__KIND__REPORT ||
		    msg.body->kind == FENGHUO__KIND__WARNING)
			tv->status = wire_status_of(msg.body);
		cli_marks(&msg, tv->mark, sizeof(tv->mark));
		fc_msg_clear(&msg);
	}
	store_msg_clear(&m);
}

static int
key_parse(const json_t *s, uint8_t key[32])
{
	const char *hex = json_string_value(s);

	return hex != NULL && strlen(hex) == 64 && fc_unhex(hex, key, 32) == 0 ? 0 : -1;
}

static struct tnode *
tv_find(struct tview *tv, const uint8_t *key)
{
	size_t i;

	for (i = 0; i < tv->n; i++)
		if (memcmp(tv->v[i].key, key, 32) == 0)
			return &tv->v[i];
	return NULL;
}

static struct tnode *
tv_add(struct tview *tv, const uint8_t *key)
{
	struct tnode *t;

	if ((t = tv_find(tv, key)) != NULL)
		return t;
	if (tv->n == tv->cap) {
		size_t cap = tv->cap ? tv->cap * 2 : 32;

		if ((t = reallocarray(tv->v, cap, sizeof(*t))) == NULL)
			return NULL;
		tv->v = t;
		tv->cap = cap;
	}
	t = &tv->v[tv->n++];
	memset(t, 0, sizeof(*t));
	memcpy(t->key, key, 32);
	return t;
}

/* The name of key: anchors and certificates, else what its HELLO or ANNOUNCE said. */
static const char *
tv_name(const struct tview *tv, const uint8_t *key)
{
	const json_t *arrs[2] = { tv->peers, tv->known }, *e;
	const char *name = tv->ct != NULL ? cli_trust_key_name(tv->ct, key) : NULL;
	uint8_t k[32];
	size_t i, j;

	for (j = 0; j < 2 && name == NULL; j++)
		json_array_foreach(arrs[j], i, e)
			if (key_parse(json_object_get(e, "key"), k) == 0 &&
			    memcmp(k, key, 32) == 0) {
				name = json_string_value(json_object_get(e, "name"));
				if (name != NULL && *name == '\0')
					name = NULL;
				break;
			}
	return name;
}

static const char *
tv_label(const struct tview *tv, const uint8_t *key, char *buf, size_t size)
{
	char sk[2 * CLI_SHORT_KEY_BYTES + 1];
	const char *name = tv_name(tv, key);

	cli_short_key(key, sk);
	if (name != NULL)
		snprintf(buf, size, "%s (%s)", name, sk);
	else
		snprintf(buf, size, "%s", sk);
	return buf;
}

/* The answers, one per node (a node answers once; a second answer is ignored). */
static int
tv_replies(struct tview *tv, const json_t *replies)
{
	const json_t *r;
	struct tnode *t;
	uint8_t key[32];
	size_t i;

	json_array_foreach(replies, i, r) {
		if (key_parse(json_object_get(r, "node"), key) != 0 || tv_find(tv, key) != NULL)
			continue;
		if ((t = tv_add(tv, key)) == NULL)
			return -1;
		t->r = r;
		t->has_msg = json_is_true(json_object_get(r, "has_msg"));
		t->has_from = key_parse(json_object_get(r, "from"), t->from) == 0;
		if (i == 0) {
			memcpy(tv->self, key, 32);
			tv->self_key_set = 1;
		}
	}
	return 0;
}

/* Everyone this node knows of who did not answer: peers, known nodes, node certificates. */
static int
tv_known(struct tview *tv, uint64_t now)
{
	const json_t *arrs[2] = { tv->peers, tv->known }, *e;
	static const uint8_t zero[32];
	/* Every region code starts with a digit: these ten areas are all of them. */
	static char d[10][2] = { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9" };
	char *const areas[] = { d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9] };
	struct cli_roster_node *ro = NULL;
	size_t i, j, nro = 0;
	uint8_t k[32];

	for (j = 0; j < 2; j++)
		json_array_foreach(arrs[j], i, e)
			if (key_parse(json_object_get(e, "key"), k) == 0 &&
			    memcmp(k, zero, 32) != 0 && tv_add(tv, k) == NULL)
				return -1;
	if (tv->ct != NULL && cli_roster(tv->cli, tv->ct, areas, 10, NULL, now, &ro, &nro) ==
	    EX_OK) {
		/*
		 * A key that runs a node has its transport key in its certificate; a person's
		 * key (an admin's, with the node role too) answers no query.
		 */
		for (i = 0; i < nro; i++)
			if (ro[i].grant != NULL && ro[i].grant->has_transport_key &&
			    tv_add(tv, ro[i].key) == NULL) {
				free(ro);
				return -1;
			}
		free(ro);
	}
	return 0;
}

static void
tv_print_node(struct tview *tv, struct tnode *t, int depth)
{
	char label[160], from[160], when[32];
	const json_t *r = t->r;
	uint64_t ms;
	size_t i;

	t->printed = 1;
	printf("%*s%s", 2 + 2 * depth, "", tv_label(tv, t->key, label, sizeof(label)));
	ms = (uint64_t)json_integer_value(json_object_get(r, "first_seen_ms"));
	/* Seconds and milliseconds: along a path on fast links they differ by that much. */
	printf("  stored %s:%02u.%03u", cli_fmt_time(ms, when, sizeof(when)),
	    (unsigned)(ms / 1000 % 60), (unsigned)(ms % 1000));
	if (t->has_from)
		printf(", from %s over %s", tv_label(tv, t->from, from, sizeof(from)),
		    json_string_value(json_object_get(r, "link")) != NULL ?
		    json_string_value(json_object_get(r, "link")) : "?");
	else
		printf(", written there");
	printf(", hops %lld", (long long)json_integer_value(json_object_get(r, "hops")));
	if (tv->self_key_set && memcmp(t->key, tv->self, 32) == 0)
		printf("  [this node]");
	putchar('\n');
	for (i = 0; i < tv->n; i++) {
		struct tnode *c = &tv->v[i];

		if (c->r != NULL && c->has_msg && !c->printed && c->has_from &&
		    memcmp(c->from, t->key, 32) == 0)
			tv_print_node(tv, c, depth + 1);
	}
}

static void
tv_print(struct tview *tv, const char *idhex, int timeout_s)
{
	size_t i, have = 0, nothave = 0, unanswered = 0;
	char label[160];

	for (i = 0; i < tv->n; i++) {
		if (tv->v[i].r == NULL)
			unanswered++;
		else if (tv->v[i].has_msg)
			have++;
		else
			nothave++;
	}
	printf("trace %.12s%s: %zu nodes have it, %zu do not, %zu unanswered within %d s\n",
	    idhex, tv->mark, have, nothave, unanswered, timeout_s);
	/*
	 * Roots first: nodes that wrote it, or got it from a node that did not answer; then
	 * whatever a loop of answers left (each node is printed once).
	 */
	for (i = 0; i < tv->n; i++) {
		struct tnode *t = &tv->v[i], *parent;

		if (t->r == NULL || !t->has_msg || t->printed)
			continue;
		parent = t->has_from ? tv_find(tv, t->from) : NULL;
		if (parent == NULL || parent->r == NULL || !parent->has_msg)
			tv_print_node(tv, t, 0);
	}
	for (i = 0; i < tv->n; i++)
		if (tv->v[i].r != NULL && tv->v[i].has_msg && !tv->v[i].printed)
			tv_print_node(tv, &tv->v[i], 0);
	if (nothave > 0) {
		printf("do not have it:\n");
		for (i = 0; i < tv->n; i++)
			if (tv->v[i].r != NULL && !tv->v[i].has_msg)
				printf("  %s\n", tv_label(tv, tv->v[i].key, label, sizeof(label)));
	}
	if (unanswered > 0) {
		printf("unanswered:\n");
		for (i = 0; i < tv->n; i++)
			if (tv->v[i].r == NULL)
				printf("  %s\n", tv_label(tv, tv->v[i].key, label, sizeof(label)));
	}
}

static json_t *
tv_json(struct tview *tv, const char *idhex, const json_t *reply, int timeout_s)
{
	json_t *o, *nodes, *un, *e;
	char hex[65];
	size_t i;

	o = json_pack("{s:s, s:O, s:I, s:[], s:[]}", "id", idhex, "trace_id",
	    json_object_get(reply, "trace_id"), "timeout_ms", (json_int_t)timeout_s * 1000,
	    "nodes", "unanswered");
	if (o == NULL)
		return NULL;
	if (tv->status != 0)
		json_object_set_new(o, "status", json_string(wire_status_name(tv->status)));
	nodes = json_object_get(o, "nodes");
	un = json_object_get(o, "unanswered");
	for (i = 0; i < tv->n; i++) {
		const char *name = tv_name(tv, tv->v[i].key);

		if (tv->v[i].r != NULL) {
			e = json_deep_copy(tv->v[i].r);
			if (e == NULL)
				continue;
			json_object_set_new(e, "self", json_boolean(tv->self_key_set &&
			    memcmp(tv->v[i].key, tv->self, 32) == 0));
		} else {
			e = json_pack("{s:s}", "node", fc_hex(tv->v[i].key, 32, hex));
		}
		if (e == NULL)
			continue;
		json_object_set_new(e, "name", name != NULL ? json_string(name) : json_null());
		json_array_append_new(tv->v[i].r != NULL ? nodes : un, e);
	}
	return o;
}

/*
 * Ask the running daemon to trace idhex and gather the answers into *tv (free tv->v), with
 * the daemon's trace reply and peers reply (caller releases both). EX_OK or an error
 * (printed).
 */
static int
trace_ask(struct cli *cli, const char *idhex, int timeout_s, struct tview *tv,
    json_t **replyp, json_t **peersp)
{
	struct cli_ctl *c = NULL;
	json_t *req = NULL, *reply = NULL, *peers = NULL;
	int rc;

	if ((rc = cli_ctl_open(cli, &c)) != EX_OK) {
		if (rc == EX_UNAVAILABLE)
			cli_warnx(cli, "fenghuod is not running (state %s): a trace asks the "
			    "mesh through it", cli->state);
		return rc;
	}
	if ((req = json_pack("{s:s, s:s, s:I}", "cmd", "trace", "id", idhex, "timeout_ms",
	    (json_int_t)timeout_s * 1000)) == NULL) {
		cli_ctl_close(&c);
		cli_warnx(cli, "out of memory");
		return EX_OSERR;
	}
	rc = cli_ctl_call_req(cli, c, req, timeout_s * 1000 + CLI_CTL_TIMEOUT_MS, &reply);
	json_decref(req);
	if (rc == EX_OK)
		rc = cli_ctl_call(cli, c, "peers", NULL, 0, &peers);
	cli_ctl_close(&c);
	if (rc != EX_OK) {
		json_decref(reply);
		return rc;
	}
	if (!json_is_array(json_object_get(reply, "replies"))) {
		cli_warnx(cli, "fenghuod's trace reply has no replies");
		json_decref(reply);
		json_decref(peers);
		return EX_PROTOCOL;
	}
	memset(tv, 0, sizeof(*tv));
	tv->cli = cli;
	tv->ct = cli_trust_get(cli);
	tv->peers = json_object_get(peers, "peers");
	tv->known = json_object_get(peers, "known");
	tv_message(tv, idhex);
	if (tv_replies(tv, json_object_get(reply, "replies")) != 0 ||
	    tv_known(tv, cli_now_ms()) != 0) {
		cli_warnx(cli, "out of memory");
		free(tv->v);
		json_decref(reply);
		json_decref(peers);
		return EX_OSERR;
	}
	*replyp = reply;
	*peersp = peers;
	return EX_OK;
}

int
cli_trace_query(struct cli *cli, const char *idhex, int timeout_s, json_t **out)
{
	struct tview tv;
	json_t *reply, *peers, *o;
	int rc;

	if ((rc = trace_ask(cli, idhex, timeout_s, &tv, &reply, &peers)) != EX_OK)
		return rc;
	if ((o = tv_json(&tv, idhex, reply, timeout_s)) == NULL) {
		cli_warnx(cli, "out of memory");
		rc = EX_OSERR;
	} else {
		*out = o;
	}
	free(tv.v);
	json_decref(reply);
	json_decref(peers);
	return rc;
}

static int
cmd_trace_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tview tv;
	struct store_msg m;
	json_t *reply = NULL, *peers = NULL, *o;
	char idhex[FC_IDHEX];
	uint64_t timeout_s = TRACE_DEFAULT_S;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			cli->json = 1;
			break;
		case 't':
			if (cli_parse_uint(optarg, TRACE_MAX_S, &timeout_s) != 0) {
				cli_warnx(cli, "--timeout: seconds from 0 to %d", TRACE_MAX_S);
				return EX_USAGE;
			}
			break;
		case 'h':
			return cli_help(&cmd_trace_entry);
		default:
			return cli_usage(&cmd_trace_entry);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(&cmd_trace_entry);
	if (strlen(argv[optind]) == 2 * FC_IDBYTES && fc_is_id_prefix(argv[optind])) {
		/* A whole id: traced even if this node never stored the message. */
		uint8_t id[FC_IDBYTES];

		if (fc_unhex(argv[optind], id, FC_IDBYTES) != 0) {
			cli_warnx(cli, "%s is not a message id", argv[optind]);
			return EX_USAGE;
		}
		fc_hex(id, FC_IDBYTES, idhex);
	} else {
		if ((rc = cli_resolve(cli, argv[optind], &m)) != EX_OK)
			return rc;
		fc_hex(m.id, FC_IDBYTES, idhex);
		store_msg_clear(&m);
	}

	if (cli->json) {
		if ((rc = cli_trace_query(cli, idhex, (int)timeout_s, &o)) != EX_OK)
			return rc;
		rc = cli_json_out(cli, o) == -1 ? EX_IOERR : EX_OK;
		json_decref(o);
		return rc;
	}
	if ((rc = trace_ask(cli, idhex, (int)timeout_s, &tv, &reply, &peers)) != EX_OK)
		return rc;
	tv_print(&tv, idhex, (int)timeout_s);
	rc = fflush(stdout) == EOF ? EX_IOERR : EX_OK;
	free(tv.v);
	json_decref(reply);
	json_decref(peers);
	return rc;
}
