/*
 * cmd_coverage.c: `fenghuo coverage ID`: how far a warning has got. Of the nodes expected
 * in its areas (the roster: valid node certificates for regions inside them), how many
 * confirmed it with a DELIVERED receipt, by township; every missing node by name, region
 * and when this node last heard from or of it; and how long it took to reach 50, 90 and
 * 100 % of the roster. An update or cancel is a message of its own: its coverage is its
 * own receipts'.
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

static int	cmd_coverage_exec(struct cli *, int, char **);

const struct cmd_entry cmd_coverage_entry = {
	"coverage",
	"coverage ID [--tree] [--json | --format text|json|csv]",
	"How far the warning ID (an id prefix of 8+ hex digits) has got: of the nodes\n"
	"expected in its areas (the roster: every key holding a valid node certificate for a\n"
	"region inside them, the warning's author excepted), how many confirmed its delivery\n"
	"(a DELIVERED receipt stored here), grouped by township; every node that has not,\n"
	"with its name and region and when this node last heard from or of it; and the time\n"
	"from the warning to the first receipts of 50, 90 and 100 % of the roster. For an\n"
	"update or cancel, the coverage of that message itself. Names of counties and\n"
	"townships come from the region table, those of villages from the certificates.\n"
	"\n"
	"  --tree   then the delivery tree the receipts draw: each confirming node under\n"
	"           the neighbour it had the warning from, with hops, delay after issue\n"
	"           and link kind, as its receipt says\n"
	"  --json   one JSON object (fields in docs/CLI.md); each confirmed node carries\n"
	"           its receipt's path (via, hops, delay, link) whether or not --tree\n"
	"  --format F   text (default), json (= --json) or csv: one row per node of the\n"
	"           roster (UTF-8 with BOM, for a spreadsheet)\n"
	"\n"
	"Exit status: 0; 64 bad arguments; 65 unknown or ambiguous id, or not a warning;\n"
	"66 no store yet.\n",
	cmd_coverage_exec,
};

#define COV_GROUP_DIGITS	9	/* a township's code: the group of a village */
#define COV_NAME_COLS		20	/* display columns of a node's name */
#define COV_PLACE_COLS		20	/* ... and of its place ("余杭区 径山镇") */

static const unsigned cov_marks[] = { 50, 90, 100 };

/* The township (or, above it, the region itself) that groups a node of region. */
static void
cov_group(const char *region, char *buf, size_t size)
{
	size_t len = strlen(region);

	if (len > COV_GROUP_DIGITS)
		len = COV_GROUP_DIGITS;
	snprintf(buf, size, "%.*s", (int)len, region);
}

static const char *
cov_key_label(const struct cli_trust *ct, const uint8_t *key, char *buf)
{
	const char *name = ct != NULL ? cli_trust_key_name(ct, key) : NULL;

	return name != NULL ? name : cli_short_key(key, buf);
}

static void
cov_heard_text(const struct cli_trust *ct, const struct cli_cov_node *n)
{
	const char *kind = wire_kind_name(n->heard_kind);
	char when[32], sid[13], sk[2 * CLI_SHORT_KEY_BYTES + 1];

	if (n->heard_ms == 0) {
		fputs("never heard from", stdout);
		return;
	}
	printf("last heard %s (%s %s, ", cli_fmt_time(n->heard_ms, when, sizeof(when)),
	    kind != NULL ? kind : "?", cli_short_id(n->heard_id, sid));
	if (!n->heard_has_from) {
		fputs("written here)", stdout);
		return;
	}
	fputs("from ", stdout);
	cli_cell(stdout, cov_key_label(ct, n->heard_from, sk), 0, 0);
	printf(", %u hop%s)", (unsigned)n->heard_hops, n->heard_hops == 1 ? "" : "s");
}

static void
cov_print(const struct fc_msg *msg, const struct cli_coverage *cov,
    const struct cli_trust *ct)
{
	const Fenghuo__Body *b = msg->body;
	const Fenghuo__Warning *w = b->warning;
	const struct cli_cov_node *n;
	char sid[13], when[32], place[CLI_REGION_PLACE_MAX], grp[16], age[32], mk[96];
	size_t i, j, k, gn, gc;
	uint64_t t;

	printf("%s %s %s  %s  ", wire_level_name(w->level) != NULL ?
	    wire_level_name(w->level) : "?", w->msg_type == FENGHUO__MSG_TYPE__ALERT ?
	    "warning" : wire_msgtype_name(w->msg_type), cli_short_id(msg->id, sid),
	    cli_fmt_time(cov->t0, when, sizeof(when)));
	cli_cell(stdout, b->title, 0, 0);
	fputs(cli_marks(msg, mk, sizeof(mk)), stdout);
	putchar('\n');
	for (i = 0; i < w->n_area; i++) {
		printf("%-14s %s", i == 0 ? "area" : "", w->area[i]);
		if (cli_region_place(w->area[i], place, sizeof(place))[0] != '\0') {
			putchar(' ');
			cli_cell(stdout, place, 0, 0);
		}
		putchar('\n');
	}
	if (!cov->anchors) {
		printf("no roster: no trust anchors here, so no node certificates to count (see "
		    "'fenghuo init-county')\n");
	} else {
		printf("confirmed %zu/%zu", cov->confirmed, cov->n);
		if (cov->n > 0)
			printf(" (%zu%%)", cov->confirmed * 100 / cov->n);
		printf(", %zu missing\n", cov->n - cov->confirmed);
	}
	for (i = 0; i < sizeof(cov_marks) / sizeof(cov_marks[0]); i++) {
		t = cli_coverage_time_to(cov, cov_marks[i]);
		printf("%s%u%%: %s", i == 0 ? "time to " : "   ", cov_marks[i],
		    t == UINT64_MAX ? "-" : cli_fmt_age(t, 1, age, sizeof(age)));
	}
	putchar('\n');
	/* Township by township: nodes are sorted by region, so a group is a run. */
	for (i = 0; i < cov->n; i = j) {
		cov_group(cov->nodes[i].r.region, grp, sizeof(grp));
		gn = gc = 0;
		for (j = i; j < cov->n; j++) {
			cov_group(cov->nodes[j].r.region, place, sizeof(place));
			if (strcmp(place, grp) != 0)
				break;
			gn++;
			gc += cov->nodes[j].confirmed_ms != 0;
		}
		putchar('\n');
		cli_cell(stdout, grp, COV_GROUP_DIGITS + 3, 0);
		cli_cell(stdout, cli_region_place(grp, place, sizeof(place)), COV_PLACE_COLS + 2,
		    1);
		printf("confirmed %zu/%zu\n", gc, gn);
		for (k = i; k < j; k++) {
			n = &cov->nodes[k];
			if (n->confirmed_ms != 0)
				continue;
			fputs("  MISSING  ", stdout);
			cli_cell(stdout, n->r.name != NULL ? n->r.name : "(no name)",
			    COV_NAME_COLS, 1);
			putchar(' ');
			cli_cell(stdout, n->r.region, 12, 0);
			putchar(' ');
			cli_cell(stdout, cli_region_place(n->r.region, place, sizeof(place)),
			    COV_PLACE_COLS, 1);
			putchar(' ');
			cov_heard_text(ct, n);
			putchar('\n');
		}
	}
	if (cov->nothers > 0)
		printf("\nalso confirmed by %zu key%s not on the roster\n", cov->nothers,
		    cov->nothers == 1 ? "" : "s");
}

/* ---- the delivery tree ---------------------------------------------------------------- */

/* A delay after issue: milliseconds under a minute, else as an age. */
static char *
cov_fmt_delay(uint64_t ms, char *buf, size_t size)
{
	if (ms < 60000)
		snprintf(buf, size, "%u.%03us", (unsigned)(ms / 1000), (unsigned)(ms % 1000));
	else
		cli_fmt_age(ms, 1, buf, size);
	return buf;
}

/* One node of the tree at depth, then the nodes whose receipts name it, each once. */
static void
cov_tree_node(const struct cli_coverage *cov, size_t i, unsigned depth, unsigned char *done)
{
	const struct cli_cov_node *n = &cov->nodes[i];
	const struct cli_cov_path *p = &n->path;
	char delay[32];
	size_t j;

	done[i] = 1;
	printf("%*s", (int)(2 * (depth < 32 ? depth : 32)), "");
	cli_cell(stdout, n->r.name != NULL ? n->r.name : "(no name)", 0, 0);
	printf("  %s  ", n->r.region);
	if (p->has_hops)
		printf("%u hop%s", (unsigned)p->hops, p->hops == 1 ? "" : "s");
	else
		fputs("hops ?", stdout);
	printf("  +%s  %s\n", p->has_delay ? cov_fmt_delay(p->delay_ms, delay, sizeof(delay)) :
	    "?", !p->has_via && p->has_hops ? "entered here" :
	    p->has_link ? cli_link_name(p->link) : "link ?");
	for (j = 0; j < cov->n; j++)
		if (cov->nodes[j].confirmed_ms != 0 && cov->nodes[j].parent == (long)i && !done[j])
			cov_tree_node(cov, j, depth + 1, done);
}

/* Every confirmed node with this parent, and their subtrees. */
static void
cov_tree_children(const struct cli_coverage *cov, long parent, unsigned depth,
    unsigned char *done)
{
	size_t i;

	for (i = 0; i < cov->n; i++)
		if (cov->nodes[i].confirmed_ms != 0 && cov->nodes[i].parent == parent && !done[i])
			cov_tree_node(cov, i, depth, done);
}

/*
 * The delivery tree as the receipts tell it: under the warning's author, each confirming
 * node under the neighbour its receipt names (via). Receipts that name a key off the
 * roster are grouped under that key; a node that had it from no neighbour (it was submitted
 * there) is under the author; receipts that say nothing of the path come last.
 */
static int
cov_print_tree(const struct cli_coverage *cov, const struct cli_trust *ct)
{
	unsigned char *done;
	const char *name;
	const uint8_t *key;
	char hex[2 * WIRE_VIA_BYTES + 1], sk[2 * CLI_SHORT_KEY_BYTES + 1];
	size_t i, j, k;
	int header;

	if ((done = calloc(cov->n + 1, 1)) == NULL)
		return -1;
	printf("\ndelivery tree (from the receipts: via, hops, delay after issue, link)\n");
	name = ct != NULL ? cli_trust_key_name(ct, cov->author) : NULL;
	cli_cell(stdout, name != NULL ? name : cli_short_key(cov->author, sk), 0, 0);
	fputs("  (issued it)\n", stdout);
	cov_tree_children(cov, CLI_COV_PARENT_ENTRY, 1, done);
	cov_tree_children(cov, CLI_COV_PARENT_AUTHOR, 1, done);
	for (i = 0; i < cov->n; i++) {
		if (cov->nodes[i].confirmed_ms == 0 || cov->nodes[i].parent != CLI_COV_PARENT_OFF ||
		    done[i])
			continue;
		name = cli_coverage_via_name(cov, ct, cov->nodes[i].path.via, &key);
		printf("via %s (", fc_hex(cov->nodes[i].path.via, WIRE_VIA_BYTES, hex));
		if (name != NULL)
			cli_cell(stdout, name, 0, 0);
		fputs(name != NULL ? ", not on the roster)\n" : key != NULL ?
		    "not on the roster)\n" : "a key not known here)\n", stdout);
		for (j = i; j < cov->n; j++)
			if (cov->nodes[j].confirmed_ms != 0 &&
			    cov->nodes[j].parent == CLI_COV_PARENT_OFF && !done[j] &&
			    memcmp(cov->nodes[j].path.via, cov->nodes[i].path.via,
			    WIRE_VIA_BYTES) == 0)
				cov_tree_node(cov, j, 1, done);
	}
	for (i = 0, header = 0; i < cov->n; i++) {
		if (cov->nodes[i].confirmed_ms == 0 || cov->nodes[i].parent != CLI_COV_PARENT_NONE ||
		    done[i])
			continue;
		if (!header++)
			fputs("no path given (receipts older than their path fields)\n", stdout);
		cov_tree_node(cov, i, 1, done);
	}
	/* Receipts whose via claims go round in a circle reach no one above. */
	for (k = 0, header = 0; k < cov->n; k++) {
		if (cov->nodes[k].confirmed_ms == 0 || done[k])
			continue;
		if (!header++)
			fputs("in a circle of via claims\n", stdout);
		cov_tree_node(cov, k, 1, done);
	}
	free(done);
	return 0;
}

static json_t *
json_ms_or_null(uint64_t t)
{
	return t == UINT64_MAX ? json_null() : json_integer((json_int_t)t);
}

/* What a node's receipt says of the way the warning came (null for absent fields). */
static json_t *
cov_path_json(const struct cli_coverage *cov, const struct cli_trust *ct,
    const struct cli_cov_node *n)
{
	const struct cli_cov_path *p = &n->path;
	const uint8_t *key = NULL;
	const char *name = NULL;
	char hex[FC_IDHEX];
	json_t *o = json_object();

	if (p->has_via)
		name = cli_coverage_via_name(cov, ct, p->via, &key);
	json_object_set_new(o, "via", p->has_via ? json_string(fc_hex(p->via, WIRE_VIA_BYTES,
	    hex)) : json_null());
	json_object_set_new(o, "via_key", key != NULL ? json_string(fc_hex(key,
	    FC_PUBLICKEYBYTES, hex)) : json_null());
	json_object_set_new(o, "via_name", name != NULL ? json_string(name) : json_null());
	json_object_set_new(o, "via_issuer", json_boolean(n->parent == CLI_COV_PARENT_AUTHOR));
	json_object_set_new(o, "hops", p->has_hops ? json_integer(p->hops) : json_null());
	json_object_set_new(o, "delay_ms", p->has_delay ? json_integer((json_int_t)p->delay_ms) :
	    json_null());
	json_object_set_new(o, "link", p->has_link ? json_string(cli_link_name(p->link)) :
	    json_null());
	return o;
}

static json_t *
cov_json(const struct fc_msg *msg, const struct cli_coverage *cov, const struct cli_trust *ct)
{
	const Fenghuo__Body *b = msg->body;
	const Fenghuo__Warning *w = b->warning;
	const struct cli_cov_node *n;
	char hex[FC_IDHEX], place[CLI_REGION_PLACE_MAX], grp[16], prev[16] = "", pct[8];
	json_t *o, *a, *nodes, *groups, *g = NULL, *h, *t, *miss = NULL;
	const char *name;
	size_t i;

	o = json_object();
	json_object_set_new(o, "id", json_string(fc_hex(msg->id, FC_IDBYTES, hex)));
	json_object_set_new(o, "msg_type", json_string(wire_msgtype_name(w->msg_type)));
	json_object_set_new(o, "level", wire_level_name(w->level) != NULL ?
	    json_string(wire_level_name(w->level)) : json_null());
	json_object_set_new(o, "title", json_string(b->title != NULL ? b->title : ""));
	json_object_set_new(o, "status", json_string(wire_status_name(wire_status_of(b))));
	if (cli_status_mark(b) != NULL)
		json_object_set_new(o, "status_mark", json_string(cli_status_mark(b)));
	json_object_set_new(o, "time_ms", json_integer((json_int_t)cov->t0));
	a = json_array();
	for (i = 0; i < w->n_area; i++) {
		h = json_object();
		json_object_set_new(h, "code", json_string(w->area[i]));
		cli_region_place(w->area[i], place, sizeof(place));
		json_object_set_new(h, "name", place[0] != '\0' ? json_string(place) :
		    json_null());
		json_array_append_new(a, h);
	}
	json_object_set_new(o, "area", a);
	json_object_set_new(o, "roster_known", json_boolean(cov->anchors));
	json_object_set_new(o, "roster", json_integer((json_int_t)cov->n));
	json_object_set_new(o, "confirmed", json_integer((json_int_t)cov->confirmed));
	json_object_set_new(o, "missing", json_integer((json_int_t)(cov->n - cov->confirmed)));
	t = json_object();
	for (i = 0; i < sizeof(cov_marks) / sizeof(cov_marks[0]); i++) {
		snprintf(pct, sizeof(pct), "%u", cov_marks[i]);
		json_object_set_new(t, pct, json_ms_or_null(cli_coverage_time_to(cov,
		    cov_marks[i])));
	}
	json_object_set_new(o, "time_to_ms", t);
	groups = json_array();
	nodes = json_array();
	for (i = 0; i < cov->n; i++) {
		n = &cov->nodes[i];
		cov_group(n->r.region, grp, sizeof(grp));
		if (g == NULL || strcmp(grp, prev) != 0) {
			g = json_object();
			json_object_set_new(g, "code", json_string(grp));
			name = cli_region_name(grp);
			json_object_set_new(g, "name", name != NULL ? json_string(name) :
			    json_null());
			json_object_set_new(g, "roster", json_integer(0));
			json_object_set_new(g, "confirmed", json_integer(0));
			miss = json_array();
			json_object_set_new(g, "missing", miss);
			json_array_append_new(groups, g);
			snprintf(prev, sizeof(prev), "%s", grp);
		}
		json_object_set_new(g, "roster", json_integer(
		    json_integer_value(json_object_get(g, "roster")) + 1));
		if (n->confirmed_ms != 0)
			json_object_set_new(g, "confirmed", json_integer(
			    json_integer_value(json_object_get(g, "confirmed")) + 1));
		else
			json_array_append_new(miss, json_string(fc_hex(n->r.key,
			    FC_PUBLICKEYBYTES, hex)));
		h = json_object();
		json_object_set_new(h, "key", json_string(fc_hex(n->r.key, FC_PUBLICKEYBYTES,
		    hex)));
		json_object_set_new(h, "name", n->r.name != NULL ? json_string(n->r.name) :
		    json_null());
		json_object_set_new(h, "region", json_string(n->r.region));
		cli_region_place(n->r.region, place, sizeof(place));
		json_object_set_new(h, "region_name", place[0] != '\0' ? json_string(place) :
		    json_null());
		json_object_set_new(h, "township", json_string(grp));
		json_object_set_new(h, "certificate", json_string(fc_hex(n->r.grant->id,
		    FC_IDBYTES, hex)));
		json_object_set_new(h, "confirmed", json_boolean(n->confirmed_ms != 0));
		if (n->confirmed_ms != 0) {
			json_object_set_new(h, "confirmed_ms",
			    json_integer((json_int_t)n->confirmed_ms));
			json_object_set_new(h, "receipt", json_string(fc_hex(n->receipt,
			    FC_IDBYTES, hex)));
			json_object_set_new(h, "path", cov_path_json(cov, ct, n));
		} else if (n->heard_ms != 0) {
			t = json_object();
			json_object_set_new(t, "ms", json_integer((json_int_t)n->heard_ms));
			json_object_set_new(t, "id", json_string(fc_hex(n->heard_id, FC_IDBYTES,
			    hex)));
			json_object_set_new(t, "kind", wire_kind_name(n->heard_kind) != NULL ?
			    json_string(wire_kind_name(n->heard_kind)) : json_null());
			json_object_set_new(t, "from", n->heard_has_from ?
			    json_string(fc_hex(n->heard_from, FC_PUBLICKEYBYTES, hex)) :
			    json_null());
			json_object_set_new(t, "hops", json_integer(n->heard_hops));
			json_object_set_new(h, "last_heard", t);
		} else {
			json_object_set_new(h, "last_heard", json_null());
		}
		json_array_append_new(nodes, h);
	}
	json_object_set_new(o, "townships", groups);
	json_object_set_new(o, "nodes", nodes);
	a = json_array();
	for (i = 0; i < cov->nothers; i++)
		json_array_append_new(a, json_string(fc_hex(cov->others[i], FC_PUBLICKEYBYTES,
		    hex)));
	json_object_set_new(o, "others", a);
	return o;
}

/* --format csv: one row per node of the roster, from the "nodes" of the JSON object. */
static const struct cli_column cov_columns[] = {
	{ "warning", "warning", CLI_COL_TEXT },
	{ "status", "status", CLI_COL_TEXT },
	{ "township", "township", CLI_COL_TEXT },
	{ "region", "region", CLI_COL_TEXT },
	{ "region_name", "region_name", CLI_COL_TEXT },
	{ "name", "name", CLI_COL_TEXT },
	{ "key", "key", CLI_COL_TEXT },
	{ "confirmed", "confirmed", CLI_COL_TEXT },
	{ "confirmed_at", "confirmed_ms", CLI_COL_TIME },
	{ "hops", "path.hops", CLI_COL_TEXT },
	{ "delay_ms", "path.delay_ms", CLI_COL_TEXT },
	{ "via", "path.via_name", CLI_COL_TEXT },
	{ "link", "path.link", CLI_COL_TEXT },
	{ "last_heard", "last_heard.ms", CLI_COL_TIME },
	{ NULL, NULL, 0 },
};

/* The roster as CSV rows, each naming the warning. 0, or -1 on an output error. */
static int
cov_csv(struct cli *cli, json_t *o)
{
	json_t *nodes = json_object_get(o, "nodes"), *n;
	size_t i;

	cli_format_columns(cli, cov_columns);
	json_array_foreach(nodes, i, n) {
		json_object_set(n, "warning", json_object_get(o, "id"));
		json_object_set(n, "status", json_object_get(o, "status"));
		if (cli_emit(cli, n, NULL) == -1)
			return -1;
	}
	return cli_emit_end(cli);
}

static int
cmd_coverage_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "tree", no_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_coverage cov;
	struct store_msg m;
	struct fc_msg msg;
	struct store *st;
	uint64_t now = cli_now_ms();
	char hex[FC_IDHEX];
	json_t *o;
	int ch, rc, ioerr = 0, tree = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			cli->json = 1;
			break;
		case 't':
			tree = 1;
			break;
		case 'F':
			if ((rc = cli_set_format(cli, optarg, CLI_FMT_CSV)) != EX_OK)
				return rc;
			break;
		default:
			return cli_usage(&cmd_coverage_entry);
		}
	}
	if (optind + 1 != argc) {
		cli_warnx(cli, "one message ID is required");
		return cli_usage(&cmd_coverage_entry);
	}
	if ((rc = cli_resolve(cli, argv[optind], &m)) != EX_OK)
		return rc;
	if (cli_validate_stored(m.env, m.len, &m.seen, &msg) != FC_R_OK) {
		cli_warnx(cli, "stored message %s does not validate (see 'fenghuo show')",
		    fc_hex(m.id, FC_IDBYTES, hex));
		store_msg_clear(&m);
		return EX_DATAERR;
	}
	if (msg.body->warning == NULL) {
		cli_warnx(cli, "%s is a %s, not a warning: coverage is of warnings",
		    argv[optind], wire_kind_name(msg.body->kind) != NULL ?
		    wire_kind_name(msg.body->kind) : "message");
		rc = EX_DATAERR;
		goto out;
	}
	if ((rc = cli_store(cli, 0, &st)) != EX_OK ||
	    (rc = cli_coverage_read(cli, st, &msg, &m.seen, now, &cov)) != EX_OK)
		goto out;
	cli_coverage_tree(&cov);
	if ((rc = cli_coverage_heard(cli, st, &cov)) == EX_OK) {
		if (cli->json) {
			o = cov_json(&msg, &cov, cli_trust_get(cli));
			if (o == NULL || (cli->format == CLI_FMT_CSV ? cov_csv(cli, o) :
			    cli_json_out(cli, o)) == -1)
				ioerr = 1;
			json_decref(o);
		} else {
			cov_print(&msg, &cov, cli_trust_get(cli));
			if (tree && cov_print_tree(&cov, cli_trust_get(cli)) != 0)
				ioerr = 1;
		}
		if (ioerr || fflush(stdout) == EOF || ferror(stdout)) {
			cli_warn(cli, "standard output");
			rc = EX_IOERR;
		}
	}
	cli_coverage_clear(&cov);
out:
	fc_msg_clear(&msg);
	store_msg_clear(&m);
	return rc;
}
