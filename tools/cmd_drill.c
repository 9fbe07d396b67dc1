/*
 * cmd_drill.c: `fenghuo drill`: an unannounced exercise and its evaluation.
 *
 * `drill start` issues a warning with CAP status Exercise through `fenghuo warn` itself, so a
 * drill travels, is confirmed and is marked 演练 exactly as any exercise warning is. Nothing
 * is sent ahead: the villages learn of the drill when the warning arrives.
 *
 * `drill report ID` evaluates a drill from what this node holds: the warning's roster and
 * DELIVERED receipts (coverage.c), the receipts of people certified for each node's region,
 * the daemon's TRACE of the warning (cmd_trace.c) for nodes whose receipt has not come back,
 * the daemon's byte counters per link kind, and the exercise reports raised in the area after
 * the warning with their closed-loop receipts. The evaluation is built once as a JSON object;
 * the Markdown and the pictures (gnuplot, graphviz) are drawn from it.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <jansson.h>

#include "crypto.h"
#include "store.h"
#include "fenghuo.h"

static int	cmd_drill_exec(struct cli *, int, char **);

const struct cmd_entry cmd_drill_entry = {
	"drill",
	"drill start --area PREFIX[,PREFIX...] [--level L] [--title T] [--event E] | "
	"drill report ID [-o DIR] [--json] [--timeout S]",
	"An unannounced drill and its evaluation (docs/DRILLS.md).\n"
	"\n"
	"drill start: sign an exercise warning (status exercise, marked 演练 everywhere) with\n"
	"the node key as `fenghuo warn --status exercise` does, and print its id. Villages\n"
	"confirm it as a real one; nothing tells them in advance.\n"
	"  --area PREFIXES   region-code prefixes the drill covers (required)\n"
	"  --level L         blue, yellow, orange or red (default red)\n"
	"  --title T         headline (default 演练 unannounced drill)\n"
	"  --event E         CAP event (default 演练)\n"
	"\n"
	"drill report ID: the evaluation of the drill warning ID: per node when it was\n"
	"delivered, confirmed by a person, hops and link; the nodes missing; time to 50/90/100 %\n"
	"coverage; bytes per link kind; the exercise reports raised in the area since, against\n"
	"the 30-minute rule. Markdown on stdout, or with -o DIR into DIR/report.md with\n"
	"report.json and pictures (PNG and SVG, made with gnuplot and graphviz).\n"
	"  -o DIR       write the report and pictures into DIR (created if missing)\n"
	"  --json       print the evaluation as one JSON object instead\n"
	"  --timeout S  how long the trace waits for answers, seconds (0..60, default 5;\n"
	"               0: no trace)\n"
	"\n"
	"Exit status: 0; 64 bad arguments; 65 unknown id, or not a drill warning;\n"
	"66 no store or key; 73 DIR cannot be written.\n",
	cmd_drill_exec,
};

#define DRILL_RULE_MS		(30ULL * 60 * 1000)	/* the county's 30-minute rule */
#define DRILL_TRACE_DEFAULT_S	5
#define DRILL_TRACE_MAX_S	60
#define DRILL_REPORTS_MAX	10000	/* exercise reports evaluated, at most */

/* ---- drill start ----------------------------------------------------------------------- */

static int
drill_start(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "area", required_argument, NULL, 'a' },
		{ "level", required_argument, NULL, 'l' },
		{ "title", required_argument, NULL, 't' },
		{ "event", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *area = NULL, *level = "red", *title = "演练 unannounced drill";
	const char *event = "演练";
	char *wargv[16];
	int ch, wargc = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			area = optarg;
			break;
		case 'l':
			level = optarg;
			break;
		case 't':
			title = optarg;
			break;
		case 'e':
			event = optarg;
			break;
		case 'h':
			return cli_help(&cmd_drill_entry);
		default:
			return cli_usage(&cmd_drill_entry);
		}
	}
	if (optind != argc) {
		cli_warnx(cli, "start: unexpected argument %s", argv[optind]);
		return EX_USAGE;
	}
	if (area == NULL) {
		cli_warnx(cli, "start: --area is required");
		return EX_USAGE;
	}
	/* The warning's own path: one place signs warnings and checks their fields. */
	wargv[wargc++] = (char *)(uintptr_t)"warn";
	wargv[wargc++] = (char *)(uintptr_t)"--area";
	wargv[wargc++] = (char *)(uintptr_t)area;
	wargv[wargc++] = (char *)(uintptr_t)"--level";
	wargv[wargc++] = (char *)(uintptr_t)level;
	wargv[wargc++] = (char *)(uintptr_t)"--event";
	wargv[wargc++] = (char *)(uintptr_t)event;
	wargv[wargc++] = (char *)(uintptr_t)"--title";
	wargv[wargc++] = (char *)(uintptr_t)title;
	wargv[wargc++] = (char *)(uintptr_t)"--status";
	wargv[wargc++] = (char *)(uintptr_t)"exercise";
	wargv[wargc] = NULL;
	optind = 0;
	return cmd_warn_entry.exec(cli, wargc, wargv);
}

static const char *jstr(const json_t *o, const char *key, const char *dflt);

/* ---- drill report: the evaluation ------------------------------------------------------- */

struct drill {
	struct cli	*cli;
	struct store	*st;
	struct fc_msg	 msg;		/* the drill warning */
	struct store_msg m;
	char		 idhex[FC_IDHEX];
	struct cli_coverage cov;
	uint64_t	*person_ms;	/* per roster node: a person's first receipt, 0: none */
	uint8_t		(*person_key)[32];
	json_t		*trace;		/* `trace --json` object, or NULL */
	json_t		*reports;	/* array */
	int		 nomem;
	int		 stopped;	/* the report walk stopped itself (full, or nomem) */
};

static json_t *
hex_json(const uint8_t *b, size_t n)
{
	char hex[2 * 32 + 1];

	return json_string(fc_hex(b, n, hex));
}

static json_t *
ms_json(uint64_t ms)
{
	return ms == 0 || ms == UINT64_MAX ? json_null() : json_integer((json_int_t)ms);
}

/* A span that may be 0 (at once); UINT64_MAX (never) is null. */
static json_t *
ms_json_zero(uint64_t ms)
{
	return ms == UINT64_MAX ? json_null() : json_integer((json_int_t)ms);
}

/*
 * Does key hold a valid certificate for exactly region at at_ms? A person's confirmation
 * counts for the node whose region their certificate names.
 */
static int
certified_for(const struct cli_trust *ct, const uint8_t *key, const char *region,
    uint64_t at_ms)
{
	const struct fc_grant *g;
	struct fc_grant_status gs;
	size_t i, n = fc_trust_grant_count(ct->trust);

	for (i = 0; i < n; i++) {
		g = fc_trust_grant(ct->trust, i);
		if (memcmp(g->subject, key, 32) != 0 || strcmp(g->scope, region) != 0)
			continue;
		if (fc_grant_state(ct->trust, g, at_ms, &gs) == FC_GRANT_VALID)
			return 1;
	}
	return 0;
}

/* store_iter_refs callback: receipts for the drill signed by a person of a node's region. */
static int
drill_person(void *arg, const struct store_view *v)
{
	struct drill *d = arg;
	struct cli_trust *ct = cli_trust_get(d->cli);
	const Fenghuo__Body *b;
	struct fc_msg m;
	uint64_t at;
	size_t i;

	if (ct == NULL || cli_validate_stored(v->env, v->len, v->seen, &m) != FC_R_OK)
		return 0;
	b = m.body;
	if (b->receipt != NULL && b->has_author && b->author.len == 32) {
		at = b->created_ms > 0 ? b->created_ms : v->seen->first_seen_ms;
		for (i = 0; i < d->cov.n; i++) {
			struct cli_cov_node *n = &d->cov.nodes[i];

			/* A node's own receipt is the machine's, not a person's. */
			if (memcmp(n->r.key, b->author.data, 32) == 0 ||
			    !certified_for(ct, b->author.data, n->r.region, at))
				continue;
			if (d->person_ms[i] == 0 || at < d->person_ms[i]) {
				d->person_ms[i] = at;
				memcpy(d->person_key[i], b->author.data, 32);
			}
		}
	}
	fc_msg_clear(&m);
	return 0;
}

/* The trace's answer of key, or NULL. */
static const json_t *
trace_node(const struct drill *d, const uint8_t *key)
{
	const json_t *e;
	char hex[65];
	size_t i;

	if (d->trace == NULL)
		return NULL;
	fc_hex(key, 32, hex);
	json_array_foreach(json_object_get(d->trace, "nodes"), i, e)
		if (json_is_string(json_object_get(e, "node")) &&
		    strcmp(json_string_value(json_object_get(e, "node")), hex) == 0)
			return e;
	return NULL;
}

/* A report's closed-loop stages, from its receipts that count (cli_receipt_counts). */
struct stages {
	struct drill	*d;
	const char	*region;
	uint64_t	 at[6];		/* by Fenghuo__Stage: the earliest receipt's created time */
};

static int
drill_stage(void *arg, const struct store_view *v)
{
	struct stages *s = arg;
	struct fc_msg m;
	const Fenghuo__Body *b;
	uint64_t at;

	if (cli_validate_stored(v->env, v->len, v->seen, &m) != FC_R_OK)
		return 0;
	b = m.body;
	if (b->receipt != NULL && b->receipt->stage >= FENGHUO__STAGE__REGISTERED &&
	    b->receipt->stage <= FENGHUO__STAGE__CLOSED &&
	    cli_receipt_counts(s->d->cli, b, s->region)) {
		at = b->created_ms > 0 ? b->created_ms : v->seen->first_seen_ms;
		if (s->at[b->receipt->stage] == 0 || at < s->at[b->receipt->stage])
			s->at[b->receipt->stage] = at;
	}
	fc_msg_clear(&m);
	return 0;
}

static int
in_areas(const struct drill *d, const struct fc_msg *m)
{
	const Fenghuo__Warning *w = d->msg.body->warning;
	size_t i;

	for (i = 0; i < w->n_area; i++)
		if (cli_msg_in_region(m, w->area[i]))
			return 1;
	return 0;
}

/* store_iter_time callback: the exercise reports raised in the drill's area since it. */
static int
drill_report_msg(void *arg, const struct store_view *v)
{
	static const char *const names[] = { NULL, NULL, "registered", "verified", "handling",
	    "closed" };
	struct drill *d = arg;
	struct stages s;
	struct fc_msg m;
	json_t *o, *st;
	uint64_t created, to_county, reg;
	int i, ok;

	if (json_array_size(d->reports) >= DRILL_REPORTS_MAX) {
		d->stopped = 1;
		return 1;
	}
	if (cli_validate_stored(v->env, v->len, v->seen, &m) != FC_R_OK)
		return 0;
	if (m.body->kind != FENGHUO__KIND__REPORT ||
	    wire_status_of(m.body) != FENGHUO__STATUS__EXERCISE || !in_areas(d, &m) ||
	    m.body->region == NULL) {
		fc_msg_clear(&m);
		return 0;
	}
	memset(&s, 0, sizeof(s));
	s.d = d;
	s.region = m.body->region;
	(void)store_iter_refs(d->st, v->id, drill_stage, &s);
	created = v->seen->created_ms;
	/* This node writing it down is the report reaching the county. */
	to_county = v->seen->first_seen_ms > created ? v->seen->first_seen_ms - created : 0;
	o = json_pack("{s:o, s:s, s:s?, s:I, s:I, s:I, s:{}}", "id", hex_json(v->id, 32),
	    "region", m.body->region, "title", m.body->title, "created_ms", (json_int_t)created,
	    "first_seen_ms", (json_int_t)v->seen->first_seen_ms,
	    "to_county_ms", (json_int_t)to_county, "stages_ms");
	if (o == NULL) {
		d->nomem = d->stopped = 1;
		fc_msg_clear(&m);
		return 1;
	}
	st = json_object_get(o, "stages_ms");
	/* The rule: it reached the county and was registered within 30 minutes. */
	reg = s.at[FENGHUO__STAGE__REGISTERED];
	ok = to_county <= DRILL_RULE_MS && reg != 0 &&
	    (reg > created ? reg - created : 0) <= DRILL_RULE_MS;
	for (i = FENGHUO__STAGE__REGISTERED; i <= FENGHUO__STAGE__CLOSED; i++)
		json_object_set_new(st, names[i], s.at[i] == 0 ? json_null() :
		    json_integer((json_int_t)(s.at[i] > created ? s.at[i] - created : 0)));
	json_object_set_new(o, "within_30m", json_boolean(ok));
	json_array_append_new(d->reports, o);
	fc_msg_clear(&m);
	return 0;
}

/* ms from issue until percent of n nodes had it, from sorted times t[k]; UINT64_MAX: not. */
static uint64_t
time_to(const uint64_t *t, size_t k, size_t n, unsigned percent)
{
	size_t need = (n * percent + 99) / 100;

	if (n == 0)
		return UINT64_MAX;
	if (need == 0)
		need = 1;
	return k >= need ? t[need - 1] : UINT64_MAX;
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
township_of(const char *region, char *buf, size_t size)
{
	snprintf(buf, size, "%.*s", 9, region);
}

/* The evaluation as one JSON object (docs/CLI.md, drill report). NULL when out of memory. */
static json_t *
drill_json(struct drill *d, const char *trace_note, json_t *peers, uint64_t now)
{
	const Fenghuo__Body *b = d->msg.body;
	const Fenghuo__Warning *w = b->warning;
	struct cli_trust *ct = cli_trust_get(d->cli);
	uint64_t issued = d->m.seen.created_ms, *times;
	json_t *o, *nodes, *missing, *towns, *area, *carried, *counters, *e;
	const char *key;
	char place[CLI_REGION_PLACE_MAX], town[16];
	size_t i, k = 0, delivered = 0, persons = 0;

	if ((times = calloc(d->cov.n + 1, sizeof(*times))) == NULL)
		return NULL;
	o = json_pack("{s:s, s:s?, s:s?, s:s, s:s, s:I, s:o, s:I, s:I, s:[], s:[], s:[], "
	    "s:{}, s:{}}", "id", d->idhex, "title", b->title, "event", b->event,
	    "level", wire_level_name(w->level), "status", wire_status_name(wire_status_of(b)),
	    "issued_ms", (json_int_t)issued, "author", hex_json(d->cov.author, 32),
	    "generated_ms", (json_int_t)now, "roster", (json_int_t)d->cov.n, "area", "nodes",
	    "missing", "carried_bytes", "link_counters");
	if (o == NULL) {
		free(times);
		return NULL;
	}
	area = json_object_get(o, "area");
	for (i = 0; i < w->n_area; i++)
		json_array_append_new(area, json_string(w->area[i]));
	nodes = json_object_get(o, "nodes");
	missing = json_object_get(o, "missing");
	carried = json_object_get(o, "carried_bytes");
	for (i = 0; i < d->cov.n; i++) {
		struct cli_cov_node *n = &d->cov.nodes[i];
		const json_t *t = trace_node(d, n->r.key);
		const char *link = NULL, *src = NULL, *via_name = NULL;
		const uint8_t *via_key = NULL;
		uint64_t at = 0;
		json_int_t hops = -1;

		if (n->confirmed_ms != 0) {
			src = "receipt";
			if (n->path.has_delay)
				at = issued + n->path.delay_ms;
			if (n->path.has_hops)
				hops = n->path.hops;
			if (n->path.has_link)
				link = cli_link_name(n->path.link);
			if (n->path.has_via)
				via_name = cli_coverage_via_name(&d->cov, ct, n->path.via,
				    &via_key);
		}
		if (t != NULL && json_is_true(json_object_get(t, "has_msg"))) {
			if (src == NULL)
				src = "trace";
			if (at == 0 && json_is_integer(json_object_get(t, "first_seen_ms")))
				at = (uint64_t)json_integer_value(json_object_get(t,
				    "first_seen_ms"));
			if (hops < 0 && json_is_integer(json_object_get(t, "hops")))
				hops = json_integer_value(json_object_get(t, "hops"));
			if (link == NULL)
				link = json_string_value(json_object_get(t, "link"));
		}
		if (at == 0 && n->confirmed_ms != 0)
			at = n->confirmed_ms;	/* an older receipt: when it came back here */
		if (src != NULL) {
			delivered++;
			times[k++] = at > issued ? at - issued : 0;
			/* The node the warning entered at got it over no link. */
			if (link != NULL && strcmp(link, "local") != 0) {
				json_int_t sum = json_integer_value(json_object_get(carried, link));

				json_object_set_new(carried, link,
				    json_integer(sum + (json_int_t)d->m.len));
			}
		}
		if (d->person_ms[i] != 0)
			persons++;
		township_of(n->r.region, town, sizeof(town));
		e = json_pack("{s:s?, s:o, s:s, s:s, s:s, s:b, s:s?, s:o, s:o, s:o, s:o, s:o, "
		    "s:s?, s:o, s:s?}",
		    "name", n->r.name, "key", hex_json(n->r.key, 32), "region", n->r.region,
		    "region_name", cli_region_place(n->r.region, place, sizeof(place)),
		    "township", town, "missing", src == NULL, "source", src,
		    "delivered_ms", src != NULL ? json_integer((json_int_t)at) : json_null(),
		    "known_here_ms", ms_json(n->confirmed_ms),
		    "person_ms", ms_json(d->person_ms[i]),
		    "person_key", d->person_ms[i] != 0 ? hex_json(d->person_key[i], 32) :
		    json_null(),
		    "hops", hops >= 0 ? json_integer(hops) : json_null(),
		    "link", link,
		    "via_key", via_key != NULL ? hex_json(via_key, 32) : json_null(),
		    "via_name", via_name);
		if (e == NULL)
			continue;
		json_array_append_new(nodes, e);
		if (src == NULL)
			json_array_append_new(missing, json_string(n->r.name != NULL ?
			    n->r.name : n->r.region));
	}
	qsort(times, k, sizeof(*times), u64_cmp);
	json_object_set_new(o, "delivered", json_integer((json_int_t)delivered));
	json_object_set_new(o, "confirmed", json_integer((json_int_t)d->cov.confirmed));
	json_object_set_new(o, "confirmed_by_person", json_integer((json_int_t)persons));
	json_object_set_new(o, "time_to_ms", json_pack("{s:o, s:o, s:o}",
	    "50", ms_json_zero(time_to(times, k, d->cov.n, 50)),
	    "90", ms_json_zero(time_to(times, k, d->cov.n, 90)),
	    "100", ms_json_zero(time_to(times, k, d->cov.n, 100))));
	json_object_set_new(o, "known_time_to_ms", json_pack("{s:o, s:o, s:o}",
	    "50", ms_json_zero(cli_coverage_time_to(&d->cov, 50)),
	    "90", ms_json_zero(cli_coverage_time_to(&d->cov, 90)),
	    "100", ms_json_zero(cli_coverage_time_to(&d->cov, 100))));
	e = json_array();
	for (i = 0; i < k; i++)
		json_array_append_new(e, json_integer((json_int_t)times[i]));
	json_object_set_new(o, "delivery_times_ms", e);
	free(times);

	/* Per township: the roster nodes under each 9-digit code. */
	towns = json_array();
	for (i = 0; i < json_array_size(nodes); i++) {
		const json_t *n = json_array_get(nodes, i), *g = NULL;
		const char *code = json_string_value(json_object_get(n, "township"));
		size_t j;

		json_array_foreach(towns, j, e)
			if (strcmp(json_string_value(json_object_get(e, "code")), code) == 0)
				g = e;
		if (g == NULL) {
			g = json_pack("{s:s, s:s, s:i, s:i, s:i, s:[]}", "code", code, "name",
			    cli_region_place(code, place, sizeof(place)), "roster", 0,
			    "delivered", 0, "confirmed_by_person", 0, "missing");
			if (g == NULL)
				continue;
			json_array_append_new(towns, (json_t *)(uintptr_t)g);
		}
		json_object_set_new((json_t *)(uintptr_t)g, "roster", json_integer(
		    json_integer_value(json_object_get(g, "roster")) + 1));
		if (json_is_true(json_object_get(n, "missing")))
			json_array_append(json_object_get(g, "missing"), json_object_get(n,
			    json_is_string(json_object_get(n, "name")) ? "name" : "region"));
		else
			json_object_set_new((json_t *)(uintptr_t)g, "delivered", json_integer(
			    json_integer_value(json_object_get(g, "delivered")) + 1));
		if (!json_is_null(json_object_get(n, "person_ms")))
			json_object_set_new((json_t *)(uintptr_t)g, "confirmed_by_person",
			    json_integer(json_integer_value(json_object_get(g,
			    "confirmed_by_person")) + 1));
	}
	json_object_set_new(o, "townships", towns);

	/*
	 * This node's frame bytes per link kind since its daemon started (the peers reply's
	 * "link_bytes", which keeps the bytes of peers since gone), and its peers per kind now.
	 */
	counters = json_object_get(o, "link_counters");
	json_object_foreach(json_object_get(peers, "link_bytes"), key, e)
		json_object_set_new(counters, key, json_pack("{s:i, s:O, s:O}", "peers", 0,
		    "bytes_in", json_object_get(e, "bytes_in"), "bytes_out",
		    json_object_get(e, "bytes_out")));
	json_array_foreach(json_object_get(peers, "peers"), i, e) {
		json_t *c = json_object_get(counters, jstr(e, "link", ""));

		if (c != NULL)
			json_object_set_new(c, "peers", json_integer(json_integer_value(
			    json_object_get(c, "peers")) + 1));
	}
	if (peers == NULL)
		json_object_set_new(o, "link_counters", json_null());
	json_object_set_new(o, "warning_bytes", json_integer((json_int_t)d->m.len));
	json_object_set_new(o, "trace", json_pack("{s:b, s:s?, s:I}", "asked",
	    d->trace != NULL, "note", trace_note, "answered", (json_int_t)(d->trace != NULL ?
	    json_array_size(json_object_get(d->trace, "nodes")) : 0)));
	json_object_set(o, "reports", d->reports);
	json_object_set_new(o, "rule_ms", json_integer((json_int_t)DRILL_RULE_MS));
	return o;
}

/* ---- drill report: Markdown ------------------------------------------------------------- */

/*
 * text as one Markdown table cell or line: control characters as spaces, and |, <, >, &
 * escaped so that names and titles from other keys cannot break the table or inject
 * markup. Caller frees; NULL when out of memory.
 */
static char *
md_escape(const char *text)
{
	const unsigned char *p;
	char *out, *q;

	if (text == NULL)
		text = "-";
	if ((out = malloc(strlen(text) * 5 + 1)) == NULL)
		return NULL;
	for (p = (const unsigned char *)text, q = out; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			*q++ = ' ';
		else if (*p == '|')
			q += sprintf(q, "\\|");
		else if (*p == '<')
			q += sprintf(q, "&lt;");
		else if (*p == '>')
			q += sprintf(q, "&gt;");
		else if (*p == '&')
			q += sprintf(q, "&amp;");
		else
			*q++ = (char)*p;
	}
	*q = '\0';
	return out;
}

/* Append a row of n cells (plain text, escaped here) to rows (a JSON array of arrays). */
static void
md_row(json_t *rows, size_t n, ...)
{
	json_t *r = json_array();
	va_list ap;
	size_t i;
	char *c;

	va_start(ap, n);
	for (i = 0; i < n; i++) {
		c = md_escape(va_arg(ap, const char *));
		json_array_append_new(r, json_string(c != NULL ? c : "?"));
		free(c);
	}
	va_end(ap);
	json_array_append_new(rows, r);
}

/* Print rows (the first is the header) as a Markdown table padded to aligned columns. */
static void
md_table(FILE *fp, json_t *rows)
{
	size_t w[16] = { 0 }, i, j, ncol, cw;
	json_t *r;

	ncol = json_array_size(json_array_get(rows, 0));
	if (ncol > 16)
		ncol = 16;
	json_array_foreach(rows, i, r)
		for (j = 0; j < ncol; j++) {
			cw = cli_text_width(json_string_value(json_array_get(r, j)));
			if (cw > w[j])
				w[j] = cw < 3 ? 3 : cw;
			if (w[j] < 3)
				w[j] = 3;
		}
	json_array_foreach(rows, i, r) {
		for (j = 0; j < ncol; j++) {
			const char *c = json_string_value(json_array_get(r, j));

			fprintf(fp, "| %s%*s ", c, (int)(w[j] - cli_text_width(c)), "");
		}
		fprintf(fp, "|\n");
		if (i == 0) {
			for (j = 0; j < ncol; j++) {
				fprintf(fp, "| ");
				for (cw = 0; cw < w[j]; cw++)
					fputc('-', fp);
				fputc(' ', fp);
			}
			fprintf(fp, "|\n");
		}
	}
	fputc('\n', fp);
	json_array_clear(rows);
}

/* A span of ms for the report: "0.153 s" under a minute, else "14m05s"; "-" for null. */
static const char *
fmt_span(const json_t *v, char *buf, size_t size)
{
	uint64_t ms;

	if (!json_is_integer(v))
		return "-";
	ms = (uint64_t)json_integer_value(v);
	if (ms < 60000) {
		snprintf(buf, size, "%llu.%03llu s", (unsigned long long)(ms / 1000),
		    (unsigned long long)(ms % 1000));
		return buf;
	}
	return cli_fmt_age(ms, 1, buf, size);
}

static const char *
fmt_when(const json_t *v, char *buf, size_t size)
{
	char t[32];
	uint64_t ms;

	if (!json_is_integer(v))
		return "-";
	ms = (uint64_t)json_integer_value(v);
	snprintf(buf, size, "%s.%03llu", cli_fmt_time_iso(ms, t, sizeof(t)),
	    (unsigned long long)(ms % 1000));
	return buf;
}

static const char *
jstr(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : dflt;
}

static const char *
jint(const json_t *o, const char *key, char *buf, size_t size)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		return "-";
	snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	return buf;
}

/*
 * The Markdown report of ev. pictures: NULL when none were asked for (stdout), else the
 * note on the pictures ("" when they were all drawn).
 */
static void
md_write(FILE *fp, const json_t *ev, const char *pictures)
{
	static const char *const stages[] = { "registered", "verified", "handling", "closed" };
	json_t *rows = json_array(), *n, *v;
	char b1[64], b2[64], b3[64], b4[64], b5[64], b6[64], pct[32];
	const json_t *tt = json_object_get(ev, "time_to_ms");
	const json_t *kt = json_object_get(ev, "known_time_to_ms");
	json_int_t roster = json_integer_value(json_object_get(ev, "roster"));
	json_int_t delivered = json_integer_value(json_object_get(ev, "delivered"));
	const char *key;
	char *t;
	size_t i;

	if (rows == NULL)
		return;
	t = md_escape(jstr(ev, "title", "-"));
	fprintf(fp, "# 演练评估报告 Drill evaluation: %s\n\n", t != NULL ? t : "?");
	free(t);
	md_row(rows, 2, "项目 Item", "值 Value");
	md_row(rows, 2, "预警 Warning", jstr(ev, "id", "-"));
	md_row(rows, 2, "状态 Status", "exercise 演练");
	md_row(rows, 2, "级别 Level", jstr(ev, "level", "-"));
	md_row(rows, 2, "事件 Event", jstr(ev, "event", "-"));
	snprintf(b6, sizeof(b6), "%s", "");
	json_array_foreach(json_object_get(ev, "area"), i, v) {
		if (i > 0)
			strncat(b6, ",", sizeof(b6) - strlen(b6) - 1);
		strncat(b6, json_string_value(v), sizeof(b6) - strlen(b6) - 1);
	}
	md_row(rows, 2, "范围 Area", b6);
	md_row(rows, 2, "发布时间 Issued", fmt_when(json_object_get(ev, "issued_ms"), b1,
	    sizeof(b1)));
	md_row(rows, 2, "报告生成 Generated", fmt_when(json_object_get(ev, "generated_ms"), b2,
	    sizeof(b2)));
	md_table(fp, rows);

	fprintf(fp, "## 覆盖情况 Coverage\n\n");
	snprintf(pct, sizeof(pct), "%lld/%lld (%lld%%)", (long long)delivered,
	    (long long)roster, roster > 0 ? (long long)(delivered * 100 / roster) : 0LL);
	md_row(rows, 2, "项目 Item", "值 Value");
	md_row(rows, 2, "送达 Delivered", pct);
	md_row(rows, 2, "回执到达本节点 Receipts here", jint(ev, "confirmed", b1, sizeof(b1)));
	md_row(rows, 2, "人员确认 Confirmed by a person", jint(ev, "confirmed_by_person", b2,
	    sizeof(b2)));
	snprintf(b3, sizeof(b3), "%lld", (long long)(roster - delivered));
	md_row(rows, 2, "未送达 Missing", b3);
	md_table(fp, rows);
	md_row(rows, 3, "覆盖率 Coverage", "送达 Delivered", "本节点获知 Known here");
	md_row(rows, 3, "50 %", fmt_span(json_object_get(tt, "50"), b1, sizeof(b1)),
	    fmt_span(json_object_get(kt, "50"), b2, sizeof(b2)));
	md_row(rows, 3, "90 %", fmt_span(json_object_get(tt, "90"), b1, sizeof(b1)),
	    fmt_span(json_object_get(kt, "90"), b2, sizeof(b2)));
	md_row(rows, 3, "100 %", fmt_span(json_object_get(tt, "100"), b1, sizeof(b1)),
	    fmt_span(json_object_get(kt, "100"), b2, sizeof(b2)));
	md_table(fp, rows);
	if (pictures != NULL && pictures[0] == '\0')
		fprintf(fp, "![覆盖曲线 coverage over time](coverage.svg)\n\n"
		    "![送达树 delivery tree](tree.svg)\n\n");

	fprintf(fp, "## 未送达节点 Missing nodes\n\n");
	if (json_array_size(json_object_get(ev, "missing")) == 0)
		fprintf(fp, "无 None.\n");
	json_array_foreach(json_object_get(ev, "nodes"), i, n) {
		if (!json_is_true(json_object_get(n, "missing")))
			continue;
		t = md_escape(jstr(n, "name", "-"));
		fprintf(fp, "- **%s** %s %s\n", t != NULL ? t : "?", jstr(n, "region", "-"),
		    jstr(n, "region_name", ""));
		free(t);
	}
	fprintf(fp, "\n## 各乡镇 Per township\n\n");
	md_row(rows, 5, "乡镇 Township", "名称 Name", "送达 Delivered", "人员确认 By a person",
	    "未送达 Missing");
	json_array_foreach(json_object_get(ev, "townships"), i, n) {
		char miss[512] = "";
		size_t j;

		json_array_foreach(json_object_get(n, "missing"), j, v) {
			if (j > 0)
				strncat(miss, ", ", sizeof(miss) - strlen(miss) - 1);
			strncat(miss, json_string_value(v), sizeof(miss) - strlen(miss) - 1);
		}
		snprintf(b1, sizeof(b1), "%lld/%lld",
		    (long long)json_integer_value(json_object_get(n, "delivered")),
		    (long long)json_integer_value(json_object_get(n, "roster")));
		md_row(rows, 5, jstr(n, "code", "-"), jstr(n, "name", ""), b1,
		    jint(n, "confirmed_by_person", b2, sizeof(b2)), miss[0] ? miss : "-");
	}
	md_table(fp, rows);
	if (pictures != NULL && pictures[0] == '\0')
		fprintf(fp, "![各乡镇 per township](townships.svg)\n\n");

	fprintf(fp, "## 各节点 Per node\n\n");
	md_row(rows, 9, "节点 Node", "区划 Region", "送达 Delivered at", "用时 After",
	    "人员确认 Person at", "跳数 Hops", "链路 Link", "上一跳 Via", "来源 Source");
	json_array_foreach(json_object_get(ev, "nodes"), i, n) {
		json_int_t at = json_integer_value(json_object_get(n, "delivered_ms"));
		json_t *after = json_is_integer(json_object_get(n, "delivered_ms")) ?
		    json_integer(at - json_integer_value(json_object_get(ev, "issued_ms"))) :
		    json_null();

		md_row(rows, 9, jstr(n, "name", "-"), jstr(n, "region", "-"),
		    fmt_when(json_object_get(n, "delivered_ms"), b1, sizeof(b1)),
		    fmt_span(after, b2, sizeof(b2)),
		    fmt_when(json_object_get(n, "person_ms"), b3, sizeof(b3)),
		    jint(n, "hops", b4, sizeof(b4)), jstr(n, "link", "-"),
		    jstr(n, "via_name", "-"),
		    json_is_true(json_object_get(n, "missing")) ? "MISSING 未送达" :
		    jstr(n, "source", "-"));
		json_decref(after);
	}
	md_table(fp, rows);

	fprintf(fp, "## 链路流量 Bytes per link\n\n");
	snprintf(b5, sizeof(b5), "%lld", (long long)json_integer_value(json_object_get(ev,
	    "warning_bytes")));
	fprintf(fp, "预警报文 Warning message: %s bytes.\n\n", b5);
	md_row(rows, 2, "链路类型 Link kind", "预警送达字节 Warning bytes delivered");
	json_object_foreach(json_object_get(ev, "carried_bytes"), key, v)
		md_row(rows, 2, key, jint(json_object_get(ev, "carried_bytes"), key, b1,
		    sizeof(b1)));
	md_table(fp, rows);
	if (json_is_object(json_object_get(ev, "link_counters"))) {
		fprintf(fp, "本节点自守护进程启动以来的计数 This node's counters since its daemon "
		    "started:\n\n");
		md_row(rows, 4, "链路类型 Link kind", "对端 Peers", "收 Bytes in", "发 Bytes out");
		json_object_foreach(json_object_get(ev, "link_counters"), key, v)
			md_row(rows, 4, key, jint(v, "peers", b1, sizeof(b1)),
			    jint(v, "bytes_in", b2, sizeof(b2)), jint(v, "bytes_out", b3,
			    sizeof(b3)));
		md_table(fp, rows);
	} else {
		fprintf(fp, "本节点计数不可用 This node's counters: not available (fenghuod is "
		    "not running).\n\n");
	}

	fprintf(fp, "## 演练期间的报告 Reports during the drill\n\n");
	fprintf(fp, "30 分钟规则 The 30-minute rule: a report reaches the county and is "
	    "registered within 30 minutes of being written.\n\n");
	if (json_array_size(json_object_get(ev, "reports")) == 0)
		fprintf(fp, "无 None.\n\n");
	else {
		md_row(rows, 9, "报告 Report", "区划 Region", "标题 Title", "到达县 To county",
		    stages[0], stages[1], stages[2], stages[3], "30 分钟 30 min");
		json_array_foreach(json_object_get(ev, "reports"), i, n) {
			const json_t *st = json_object_get(n, "stages_ms");
			char idp[13];

			snprintf(idp, sizeof(idp), "%s", jstr(n, "id", ""));
			md_row(rows, 9, idp, jstr(n, "region", "-"), jstr(n, "title", "-"),
			    fmt_span(json_object_get(n, "to_county_ms"), b1, sizeof(b1)),
			    fmt_span(json_object_get(st, stages[0]), b2, sizeof(b2)),
			    fmt_span(json_object_get(st, stages[1]), b3, sizeof(b3)),
			    fmt_span(json_object_get(st, stages[2]), b4, sizeof(b4)),
			    fmt_span(json_object_get(st, stages[3]), b5, sizeof(b5)),
			    json_is_true(json_object_get(n, "within_30m")) ? "met 达标" :
			    "MISSED 未达标");
		}
		md_table(fp, rows);
	}

	fprintf(fp, "## 说明 Notes\n\n");
	fprintf(fp, "- 送达 Delivered at: the node's own first-seen time of the warning (its "
	    "delivery receipt, else its answer to the trace).\n");
	fprintf(fp, "- 追踪 Trace: %s\n", jstr(json_object_get(ev, "trace"), "note", "-"));
	if (pictures != NULL)
		fprintf(fp, "- 图 Pictures: %s\n", pictures[0] == '\0' ? "coverage, tree and "
		    "townships as PNG and SVG" : pictures);
	json_decref(rows);
}

/* ---- drill report: pictures ------------------------------------------------------------- */

/* text as a dot double-quoted string's contents (no quotes), controls as spaces. */
static void
dot_str(FILE *fp, const char *text)
{
	const unsigned char *p;

	for (p = (const unsigned char *)(text != NULL ? text : "-"); *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fputc(' ', fp);
		else if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else
			fputc(*p, fp);
	}
}

/* text inside a graphviz HTML-like label. */
static void
dot_html(FILE *fp, const char *text)
{
	const unsigned char *p;

	for (p = (const unsigned char *)(text != NULL ? text : "-"); *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fputc(' ', fp);
		else if (*p == '&')
			fputs("&amp;", fp);
		else if (*p == '<')
			fputs("&lt;", fp);
		else if (*p == '>')
			fputs("&gt;", fp);
		else if (*p == '"')
			fputs("&quot;", fp);
		else
			fputc(*p, fp);
	}
}

/*
 * Run argv[0] (looked up in PATH, no shell) in dir, its output into dir/pictures.log.
 * 0 on success; 127 when the tool is missing; else its exit status (or 128 + signal).
 */
static int
run_tool(int dirfd, char *const argv[])
{
	pid_t pid;
	int status, fd;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if (fchdir(dirfd) == -1)
			_exit(126);
		if ((fd = open("pictures.log", O_WRONLY | O_CREAT | O_APPEND, 0644)) != -1) {
			(void)dup2(fd, STDOUT_FILENO);
			(void)dup2(fd, STDERR_FILENO);
			close(fd);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static FILE *
open_at(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	FILE *fp;

	if (fd == -1)
		return NULL;
	if ((fp = fdopen(fd, "w")) == NULL)
		close(fd);
	return fp;
}

/* coverage.dat and coverage.gp: the cumulative share of the roster that had the warning. */
static int
write_curve(int dirfd, const json_t *ev)
{
	json_int_t roster = json_integer_value(json_object_get(ev, "roster"));
	const json_t *v;
	FILE *fp;
	size_t i;

	if ((fp = open_at(dirfd, "coverage.dat")) == NULL)
		return -1;
	fprintf(fp, "# seconds after issue, percent of the roster holding the warning\n0 0\n");
	json_array_foreach(json_object_get(ev, "delivery_times_ms"), i, v)
		fprintf(fp, "%.3f %.2f\n", (double)json_integer_value(v) / 1000.0,
		    roster > 0 ? 100.0 * (double)(i + 1) / (double)roster : 0.0);
	if (fclose(fp) == EOF || (fp = open_at(dirfd, "coverage.gp")) == NULL)
		return -1;
	/* Fixed text only: no name or title of a message goes into the script. */
	fprintf(fp,
	    "set xlabel 'seconds after issue'\n"
	    "set ylabel 'nodes holding the warning (%%)'\n"
	    "set yrange [0:105]\n"
	    "set xrange [0:*]\n"
	    "set grid\n"
	    "set key bottom right\n"
	    "set title 'Drill coverage over time'\n"
	    "do for [t in 'png svg'] {\n"
	    "  if (t eq 'png') { set terminal png size 800,480 } "
	    "else { set terminal svg size 800,480 }\n"
	    "  set output 'coverage.'.t\n"
	    "  plot 'coverage.dat' using 1:2 with steps linewidth 2 title 'delivered', "
	    "90 with lines dashtype 2 title '90 %%'\n"
	    "  unset output\n"
	    "}\n");
	return fclose(fp) == EOF ? -1 : 0;
}

/* tree.dot: issuer -> townships -> villages along the receipts' paths, missing in red. */
static int
write_tree(int dirfd, const json_t *ev)
{
	const json_t *nodes = json_object_get(ev, "nodes"), *n, *m;
	const char *author = jstr(ev, "author", "");
	FILE *fp;
	size_t i, j;

	if ((fp = open_at(dirfd, "tree.dot")) == NULL)
		return -1;
	fprintf(fp, "digraph drill {\n  rankdir=TB;\n  node [shape=box, style=filled, "
	    "fillcolor=\"#dff0d8\", fontname=\"sans\"];\n");
	fprintf(fp, "  \"%s\" [label=\"issuer\", fillcolor=\"#d9edf7\"];\n", author);
	json_array_foreach(nodes, i, n) {
		int miss = json_is_true(json_object_get(n, "missing"));

		fprintf(fp, "  \"%s\" [label=\"", jstr(n, "key", ""));
		dot_str(fp, jstr(n, "name", "-"));
		fprintf(fp, "\\n");
		dot_str(fp, jstr(n, "region", "-"));
		if (miss)
			fprintf(fp, "\\nMISSING\", fillcolor=\"#f2dede\", color=red, "
			    "fontcolor=red];\n");
		else if (json_is_integer(json_object_get(n, "hops")))
			fprintf(fp, "\\n%lld hop%s\"];\n",
			    (long long)json_integer_value(json_object_get(n, "hops")),
			    json_integer_value(json_object_get(n, "hops")) == 1 ? "" : "s");
		else
			fprintf(fp, "\"];\n");
	}
	json_array_foreach(nodes, i, n) {
		const char *via = jstr(n, "via_key", NULL), *parent = author;
		int miss = json_is_true(json_object_get(n, "missing"));

		if (miss) {
			/* Under its township's node when it has one on the roster. */
			const char *town = jstr(n, "township", "");

			json_array_foreach(nodes, j, m)
				if (strcmp(jstr(m, "region", ""), town) == 0 && m != n)
					parent = jstr(m, "key", author);
			fprintf(fp, "  \"%s\" -> \"%s\" [color=red, style=dashed];\n", parent,
			    jstr(n, "key", ""));
			continue;
		}
		if (via != NULL)
			parent = via;
		fprintf(fp, "  \"%s\" -> \"%s\" [label=\"", parent, jstr(n, "key", ""));
		dot_str(fp, jstr(n, "link", ""));
		fprintf(fp, "\"];\n");
	}
	fprintf(fp, "}\n");
	return fclose(fp) == EOF ? -1 : 0;
}

/* townships.dot: the per-township table as an HTML-like graphviz label. */
static int
write_townships(int dirfd, const json_t *ev)
{
	const json_t *t, *v;
	FILE *fp;
	size_t i, j;

	if ((fp = open_at(dirfd, "townships.dot")) == NULL)
		return -1;
	fprintf(fp, "digraph townships {\n  node [shape=plaintext, fontname=\"sans\"];\n"
	    "  table [label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" "
	    "CELLPADDING=\"6\">\n    <TR><TD><B>township</B></TD><TD><B>delivered</B></TD>"
	    "<TD><B>by a person</B></TD><TD><B>missing</B></TD></TR>\n");
	json_array_foreach(json_object_get(ev, "townships"), i, t) {
		size_t nmiss = json_array_size(json_object_get(t, "missing"));

		fprintf(fp, "    <TR><TD ALIGN=\"LEFT\">");
		dot_html(fp, jstr(t, "code", "-"));
		fprintf(fp, "</TD><TD>%lld/%lld</TD><TD>%lld</TD><TD BGCOLOR=\"%s\">",
		    (long long)json_integer_value(json_object_get(t, "delivered")),
		    (long long)json_integer_value(json_object_get(t, "roster")),
		    (long long)json_integer_value(json_object_get(t, "confirmed_by_person")),
		    nmiss > 0 ? "#f2dede" : "#dff0d8");
		json_array_foreach(json_object_get(t, "missing"), j, v) {
			if (j > 0)
				fprintf(fp, ", ");
			dot_html(fp, json_string_value(v));
		}
		if (nmiss == 0)
			fprintf(fp, "-");
		fprintf(fp, "</TD></TR>\n");
	}
	fprintf(fp, "  </TABLE>>];\n}\n");
	return fclose(fp) == EOF ? -1 : 0;
}

/* Draw every picture in dirfd; note ("" when all were drawn) says what was skipped. */
static void
draw(int dirfd, const json_t *ev, char *note, size_t size)
{
	static const char *const dots[] = { "tree", "townships" };
	char out[64], in[64], *argv[6];
	int rc;
	size_t i, k;

	note[0] = '\0';
	if (write_curve(dirfd, ev) != 0 || write_tree(dirfd, ev) != 0 ||
	    write_townships(dirfd, ev) != 0) {
		snprintf(note, size, "skipped: the data files could not be written (%s)",
		    strerror(errno));
		return;
	}
	argv[0] = (char *)(uintptr_t)"gnuplot";
	argv[1] = (char *)(uintptr_t)"coverage.gp";
	argv[2] = NULL;
	if ((rc = run_tool(dirfd, argv)) != 0) {
		snprintf(note, size, rc == 127 ? "skipped: gnuplot is not installed "
		    "(apt-get install gnuplot-nox); " : "coverage curve failed: gnuplot "
		    "exited %d (pictures.log); ", rc);
	}
	for (i = 0; i < 2; i++) {
		for (k = 0; k < 2; k++) {
			snprintf(in, sizeof(in), "%s.dot", dots[i]);
			snprintf(out, sizeof(out), "-o%s.%s", dots[i], k == 0 ? "png" : "svg");
			argv[0] = (char *)(uintptr_t)"dot";
			argv[1] = (char *)(uintptr_t)(k == 0 ? "-Tpng" : "-Tsvg");
			argv[2] = out;
			argv[3] = in;
			argv[4] = NULL;
			if ((rc = run_tool(dirfd, argv)) != 0) {
				size_t l = strlen(note);

				snprintf(note + l, size - l, rc == 127 ? "skipped: graphviz is not "
				    "installed (apt-get install graphviz); " : "%s failed: dot "
				    "exited %d (pictures.log); ", dots[i], rc);
				break;
			}
		}
		if (rc == 127)
			break;
	}
}

/* ---- drill report ----------------------------------------------------------------------- */

static int
drill_report(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct drill d;
	json_t *peers = NULL, *ev = NULL;
	struct cli_ctl *c = NULL;
	const char *outdir = NULL;
	char note[512], trace_note[256];
	uint64_t timeout_s = DRILL_TRACE_DEFAULT_S, now = cli_now_ms();
	int ch, rc, dirfd = -1;
	FILE *fp;

	while ((ch = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			outdir = optarg;
			break;
		case 'j':
			cli->json = 1;
			break;
		case 't':
			if (cli_parse_uint(optarg, DRILL_TRACE_MAX_S, &timeout_s) != 0) {
				cli_warnx(cli, "report: --timeout: seconds from 0 to %d",
				    DRILL_TRACE_MAX_S);
				return EX_USAGE;
			}
			break;
		case 'h':
			return cli_help(&cmd_drill_entry);
		default:
			return cli_usage(&cmd_drill_entry);
		}
	}
	if (optind + 1 != argc) {
		cli_warnx(cli, "report: give exactly one drill warning id");
		return EX_USAGE;
	}
	if (outdir != NULL && outdir[0] == '\0') {
		cli_warnx(cli, "report: -o: an empty directory name");
		return EX_USAGE;
	}
	memset(&d, 0, sizeof(d));
	d.cli = cli;
	if ((rc = cli_store(cli, 0, &d.st)) != EX_OK)
		return rc;
	if ((rc = cli_resolve(cli, argv[optind], &d.m)) != EX_OK)
		return rc;
	if (cli_validate_stored(d.m.env, d.m.len, &d.m.seen, &d.msg) != FC_R_OK) {
		cli_warnx(cli, "report: %s does not validate", argv[optind]);
		store_msg_clear(&d.m);
		return EX_DATAERR;
	}
	if (d.msg.body->kind != FENGHUO__KIND__WARNING || d.msg.body->warning == NULL ||
	    wire_status_of(d.msg.body) != FENGHUO__STATUS__EXERCISE) {
		cli_warnx(cli, "report: %s is not a drill warning (a warning with status "
		    "exercise)", argv[optind]);
		rc = EX_DATAERR;
		goto out;
	}
	fc_hex(d.msg.id, FC_IDBYTES, d.idhex);
	if ((rc = cli_coverage_read(cli, d.st, &d.msg, &d.m.seen, now, &d.cov)) != EX_OK)
		goto out;
	cli_coverage_tree(&d.cov);
	d.person_ms = calloc(d.cov.n + 1, sizeof(*d.person_ms));
	d.person_key = calloc(d.cov.n + 1, sizeof(*d.person_key));
	d.reports = json_array();
	if (d.person_ms == NULL || d.person_key == NULL || d.reports == NULL) {
		cli_warnx(cli, "out of memory");
		rc = EX_OSERR;
		goto out;
	}
	if ((rc = store_iter_refs(d.st, d.msg.id, drill_person, &d)) != 0 ||
	    ((rc = store_iter_time(d.st, d.m.seen.created_ms, UINT64_MAX,
	    FENGHUO__KIND__REPORT, 0, drill_report_msg, &d)) != 0 && !d.stopped)) {
		rc = cli_store_failed(cli, rc);
		goto out;
	}
	if (d.nomem) {
		cli_warnx(cli, "out of memory");
		rc = EX_OSERR;
		goto out;
	}

	/* The mesh's own answer and this node's counters, when the daemon runs. */
	if (timeout_s == 0) {
		snprintf(trace_note, sizeof(trace_note), "not asked (--timeout 0)");
	} else if (!cli_daemon_running(cli)) {
		snprintf(trace_note, sizeof(trace_note), "not asked: fenghuod is not running");
	} else if (cli_trace_query(cli, d.idhex, (int)timeout_s, &d.trace) != EX_OK) {
		snprintf(trace_note, sizeof(trace_note), "failed (said above)");
	} else {
		snprintf(trace_note, sizeof(trace_note), "%zu nodes answered within %d s",
		    json_array_size(json_object_get(d.trace, "nodes")), (int)timeout_s);
	}
	if (cli_daemon_running(cli) && cli_ctl_open(cli, &c) == EX_OK) {
		(void)cli_ctl_call(cli, c, "peers", NULL, 0, &peers);
		cli_ctl_close(&c);
	}
	if ((ev = drill_json(&d, trace_note, peers, now)) == NULL) {
		cli_warnx(cli, "out of memory");
		rc = EX_OSERR;
		goto out;
	}

	if (outdir == NULL) {
		if (cli->json)
			rc = cli_json_print(stdout, ev) == -1 ? EX_IOERR : EX_OK;
		else {
			md_write(stdout, ev, NULL);
			rc = fflush(stdout) == EOF ? EX_IOERR : EX_OK;
		}
		goto out;
	}
	if (mkdir(outdir, 0755) == -1 && errno != EEXIST) {
		cli_warn(cli, "report: %s", outdir);
		rc = EX_CANTCREAT;
		goto out;
	}
	if ((dirfd = open(outdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		cli_warn(cli, "report: %s", outdir);
		rc = EX_CANTCREAT;
		goto out;
	}
	draw(dirfd, ev, note, sizeof(note));
	json_object_set_new(ev, "pictures", json_string(note[0] == '\0' ? "drawn" : note));
	rc = EX_OK;
	if ((fp = open_at(dirfd, "report.json")) == NULL || cli_json_print(fp, ev) == -1 ||
	    fclose(fp) == EOF) {
		cli_warn(cli, "report: %s/report.json", outdir);
		rc = EX_CANTCREAT;
		goto out;
	}
	if ((fp = open_at(dirfd, "report.md")) == NULL) {
		cli_warn(cli, "report: %s/report.md", outdir);
		rc = EX_CANTCREAT;
		goto out;
	}
	md_write(fp, ev, note);
	if (fclose(fp) == EOF) {
		cli_warn(cli, "report: %s/report.md", outdir);
		rc = EX_CANTCREAT;
		goto out;
	}
	if (note[0] != '\0')
		cli_warnx(cli, "report: pictures %s", note);
	if (cli->json)
		rc = cli_json_print(stdout, ev) == -1 ? EX_IOERR : EX_OK;
	else
		printf("%s/report.md\n", outdir);
out:
	if (dirfd != -1)
		close(dirfd);
	json_decref(ev);
	json_decref(peers);
	json_decref(d.trace);
	json_decref(d.reports);
	free(d.person_ms);
	free(d.person_key);
	cli_coverage_clear(&d.cov);
	fc_msg_clear(&d.msg);
	store_msg_clear(&d.m);
	return rc;
}

static int
cmd_drill_exec(struct cli *cli, int argc, char **argv)
{
	if (argc < 2) {
		if (argc == 1)
			cli_warnx(cli, "give a subcommand: start or report");
		return cli_usage(&cmd_drill_entry);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cli_help(&cmd_drill_entry);
	if (strcmp(argv[1], "start") == 0)
		return drill_start(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "report") == 0)
		return drill_report(cli, argc - 1, argv + 1);
	cli_warnx(cli, "unknown subcommand %s (start or report)", argv[1]);
	return EX_USAGE;
}
