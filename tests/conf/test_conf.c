/*
 * test_conf.c: the config parser's table (node/config.c), key by key.
 *
 * A sample file sets every key of every section to a value of its own; the test knows, by
 * itself, which field of struct conf each one must land in, which keys may repeat and the
 * range of every number (as docs/CONFIG.md gives them), so a table entry with a wrong
 * field, type, range, default or repeat flag fails here. Variants of the same file give
 * each key twice, an unknown key in each section, an unknown or repeated section, and each
 * number just outside and at the ends of its range. Every key of the table must be in the
 * sample and in docs/CONFIG.md (argv[1]).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "node.h"

#define K1	"0da0880ef20a0b933554d7ccb63f2ce01bb52c9431d130b2d75b84131ade97fe"
#define K2	"fa309b4a0e462ca7c7f9068c34a30f8394aa2e4cd6407801f937ef1c248b8f84"
#define K3	"1111111111111111111111111111111111111111111111111111111111111111"
#define KA	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define T1	"3f7a0c1e3f7a0c1e3f7a0c1e3f7a0c1e3f7a0c1e3f7a0c1e3f7a0c1e3f7a0c1e"
#define T2	"5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e"
#define T3	"4d2e9a0b4d2e9a0b4d2e9a0b4d2e9a0b4d2e9a0b4d2e9a0b4d2e9a0b4d2e9a0b"

/* One key of the sample file, in the order written (sections in the order they appear). */
struct sample {
	const char	*header;	/* of its section */
	const char	*key;
	const char	*value;
	const char	*again;		/* may repeat: the value of a second line; else NULL */
	int		 number;	/* a number from lo to hi */
	unsigned long long lo, hi;
};

static const struct sample samples[] = {
	{ "node", "name", "n1", NULL, 0, 0, 0 },
	{ "node", "region", "330110101", NULL, 0, 0, 0 },
	{ "node", "key", "/k/node.key", NULL, 0, 0, 0 },
	{ "node", "state", "/tmp/fh-state", NULL, 0, 0, 0 },
	{ "node", "listen", "tcp://127.0.0.1:7401", "ipc:///tmp/fh.sock", 0, 0, 0 },
	{ "node", "sync_interval", "1234", NULL, 1, 1, 86400 },
	{ "node", "log_level", "warn", NULL, 0, 0, 0 },
	{ "node", "push", "plumtree", NULL, 0, 0, 0 },
	{ "node", "confirm_warnings", "no", NULL, 0, 0, 0 },
	{ "node", "announce", "tcp://10.0.0.1:7400", NULL, 0, 0, 0 },
	{ "node", "max_discovered", "7", NULL, 1, 0, 32 },
	{ "node", "reroute_after", "321", NULL, 1, 1, 86400 },
	{ "node", "transport_key", "/k/transport.key", NULL, 0, 0, 0 },
	{ "node", "allow", T1, T2, 0, 0, 0 },
	{ "trust", "anchors", KA, NULL, 0, 0, 0 },
	{ "trust", "open", "yes", NULL, 0, 0, 0 },
	{ "trust", "held_max", "77", NULL, 1, 1, 1000000 },
	{ "trust", "held_max_bytes", "7777", NULL, 1, 1, 4294967296ULL },
	{ "limits", "peer_frames_per_sec", "11", NULL, 1, 0, 1000000 },
	{ "limits", "peer_frames_burst", "12", NULL, 1, 1, 10000000 },
	{ "limits", "author_msgs_per_sec", "13", NULL, 1, 0, 1000000 },
	{ "limits", "author_msgs_burst", "14", NULL, 1, 1, 10000000 },
	{ "limits", "authors_tracked", "15", NULL, 1, 1, 16777216 },
	{ "limits", "queue_items", "16000", NULL, 1, 16, 10000000 },
	{ "limits", "queue_bytes", "70000", NULL, 1, 65536, 1ULL << 34 },
	{ "limits", "store_max_bytes", "123456789", NULL, 1, 0, 1ULL << 50 },
	{ "peer p1", "address", "tcp://10.0.0.2:7400", NULL, 0, 0, 0 },
	{ "peer p1", "key", K1, NULL, 0, 0, 0 },
	{ "peer p1", "transport", T3, NULL, 0, 0, 0 },
	{ "link u", "type", "udp", NULL, 0, 0, 0 },
	{ "link u", "key", K2, NULL, 0, 0, 0 },
	{ "link u", "mtu", "999", NULL, 1, 64, 65000 },
	{ "link u", "bitrate", "4800", NULL, 1, 0, 1000000000 },
	{ "link u", "local", "*:7410", NULL, 0, 0, 0 },
	{ "link u", "remote", "192.0.2.9:7410", NULL, 0, 0, 0 },
	{ "link s", "type", "serial", NULL, 0, 0, 0 },
	{ "link s", "key", K3, NULL, 0, 0, 0 },
	{ "link s", "device", "/dev/ttyUSB9", NULL, 0, 0, 0 },
	{ "link s", "baud", "19200", NULL, 0, 0, 0 },
	{ "hook w", "on", "warning", NULL, 0, 0, 0 },
	{ "hook w", "command", "/bin/true --area 3301 \"two words\"", NULL, 0, 0, 0 },
	{ "hook w", "region", "3301", NULL, 0, 0, 0 },
	{ "hook w", "min_level", "orange", NULL, 0, 0, 0 },
	{ "hook w", "status", "any", NULL, 0, 0, 0 },
	{ "hook w", "format", "cap-cn", NULL, 0, 0, 0 },
	{ "hook w", "timeout", "45", NULL, 1, 1, 3600 },
	{ "hook w", "max_running", "3", NULL, 1, 1, 16 },
	{ "hook o", "on", "overdue", NULL, 0, 0, 0 },
	{ "hook o", "command", "/bin/true", NULL, 0, 0, 0 },
	{ "hook o", "overdue_after", "600", NULL, 1, 60, 604800 },
};
#define NSAMPLES	(sizeof(samples) / sizeof(samples[0]))
#define NONE		NSAMPLES

/* How the sample file is written this time, and where its lines ended up. */
struct variant {
	size_t		 twice;		/* this sample's line is written twice; NONE: none */
	size_t		 subst;		/* this sample gets value instead; NONE: none */
	const char	*value;
	const char	*header;	/* at the end of this section ... */
	const char	*line;		/* ... this line is added */
	const char	*tail;		/* a line added at the end of the file */
	/* out */
	int		 lines[NSAMPLES][2];	/* each sample's line (and its second copy's) */
	int		 added, tail_line;
};

static char	 dir[] = "/tmp/fh-test-conf.XXXXXX";
static char	 path[sizeof(dir) + 16];
static char	*errs;
static size_t	 errlen;

static int
same_header(size_t i, const char *h)
{
	return h != NULL && strcmp(samples[i].header, h) == 0;
}

/* Write the sample file as v says and load it: conf_load()'s result, errors in errs. */
static int
load(struct variant *v, struct conf **c)
{
	FILE *fp, *errf;
	int line = 0, rc;
	size_t i;

	assert_non_null(fp = fopen(path, "w"));
	for (i = 0; i < NSAMPLES; i++) {
		if (i == 0 || strcmp(samples[i].header, samples[i - 1].header) != 0) {
			fprintf(fp, "[%s]\n", samples[i].header);
			line++;
		}
		fprintf(fp, "%s = %s\n", samples[i].key, i == v->subst ? v->value :
		    samples[i].value);
		v->lines[i][0] = ++line;
		if (i == v->twice) {
			fprintf(fp, "%s = %s\n", samples[i].key, samples[i].again != NULL ?
			    samples[i].again : samples[i].value);
			v->lines[i][1] = ++line;
		}
		if (v->line != NULL && same_header(i, v->header) &&
		    (i + 1 == NSAMPLES || !same_header(i + 1, v->header))) {
			fprintf(fp, "%s\n", v->line);
			v->added = ++line;
		}
	}
	if (v->tail != NULL) {
		fprintf(fp, "%s\n", v->tail);
		v->tail_line = ++line;
	}
	assert_int_equal(fclose(fp), 0);
	free(errs);
	errs = NULL;
	assert_non_null(errf = open_memstream(&errs, &errlen));
	rc = conf_load(path, errf, c);
	assert_int_equal(fclose(errf), 0);
	assert_true(rc == 0 ? *c != NULL : *c == NULL);
	return rc;
}

static struct variant
plain(void)
{
	struct variant v;

	memset(&v, 0, sizeof(v));
	v.twice = v.subst = NONE;
	return v;
}

/* errs has "path:line: ...text..."; else fail, showing them. */
static void
expect_error(int line, const char *text)
{
	char want[sizeof(path) + 32], *p, *nl;
	int found;

	snprintf(want, sizeof(want), "%s:%d: ", path, line);
	for (p = errs; p != NULL && (p = strstr(p, want)) != NULL; p = nl) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		*nl = '\0';
		found = strstr(p, text) != NULL;
		*nl++ = '\n';
		if (found)
			return;
	}
	fail_msg("no error '%s...%s' in:\n%s", want, text, errs != NULL ? errs : "");
}

static void
expect_ok(struct variant *v)
{
	struct conf *c;

	if (load(v, &c) != 0)
		fail_msg("refused:\n%s", errs);
	conf_free(&c);
}

static void
key_known(void *arg, const char *section, const char *key)
{
	size_t i, *n = arg;

	for (i = 0; i < NSAMPLES; i++)
		if (strncmp(samples[i].header, section, strlen(section)) == 0 &&
		    strcmp(samples[i].key, key) == 0)
			break;
	if (i == NSAMPLES)
		fail_msg("[%s] %s is not in the sample", section, key);
	(*n)++;
}

/* Every key of the table is in the sample file, and every key of it in the table. */
static void
test_table_covered(void **state)
{
	size_t n = 0, i, j, distinct = 0;

	(void)state;
	conf_keys(key_known, &n);
	for (i = 0; i < NSAMPLES; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(samples[i].key, samples[j].key) == 0 &&
			    strncmp(samples[i].header, samples[j].header, 4) == 0)
				break;
		distinct += j == i;
	}
	assert_int_equal(n, distinct);
}

/* Every key of the table is documented, as `key`, in docs/CONFIG.md. */
static void
key_documented(void *arg, const char *section, const char *key)
{
	char want[80];

	snprintf(want, sizeof(want), "`%s`", key);
	if (strstr(arg, want) == NULL)
		fail_msg("[%s] %s is not in docs/CONFIG.md", section, key);
}

static const char *docs_path;

static void
test_table_documented(void **state)
{
	char *doc = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	assert_non_null(fp = fopen(docs_path, "r"));
	assert_int_not_equal(getdelim(&doc, &len, '\0', fp), -1);
	fclose(fp);
	conf_keys(key_documented, doc);
	free(doc);
}

static void
assert_hex(const uint8_t *key, const char *hex)
{
	uint8_t want[32];

	assert_int_equal(fc_unhex(hex, want, sizeof(want)), 0);
	assert_memory_equal(key, want, sizeof(want));
}

/* Every key of every section lands in its own field. */
static void
test_every_key(void **state)
{
	struct variant v = plain();
	struct conf *c;
	const struct conf_link *u, *s;

	(void)state;
	v.twice = 4;	/* listen, twice: the lists add up */
	if (load(&v, &c) != 0)
		fail_msg("the sample is refused:\n%s", errs);
	assert_string_equal(c->name, "n1");
	assert_string_equal(c->region, "330110101");
	assert_string_equal(c->keypath, "/k/node.key");
	assert_string_equal(c->state, "/tmp/fh-state");
	assert_int_equal(c->nlisten, 2);
	assert_string_equal(c->listen[0], "tcp://127.0.0.1:7401");
	assert_string_equal(c->listen[1], "ipc:///tmp/fh.sock");
	assert_int_equal(c->sync_interval, 1234);
	assert_int_equal(c->log_level, LOG_LEVEL_WARN);
	assert_int_equal(c->plumtree, 1);
	assert_int_equal(c->confirm_warnings, 0);
	assert_int_equal(c->nannounce, 1);
	assert_string_equal(c->announce[0], "tcp://10.0.0.1:7400");
	assert_true(c->announce_set);
	assert_int_equal(c->max_discovered, 7);
	assert_true(c->max_discovered_set);
	assert_int_equal(c->reroute_after, 321);
	assert_string_equal(c->tkeypath, "/k/transport.key");
	assert_int_equal(c->nallow, 1);
	assert_hex(c->allow[0], T1);

	assert_int_equal(c->nanchors, 1);
	assert_hex(c->anchors[0], KA);
	assert_int_equal(c->trust_open, 1);
	assert_int_equal(c->held_max, 77);
	assert_int_equal(c->held_bytes, 7777);

	assert_int_equal(c->limits.peer.per_sec, 11);
	assert_int_equal(c->limits.peer.burst, 12);
	assert_int_equal(c->limits.author.per_sec, 13);
	assert_int_equal(c->limits.author.burst, 14);
	assert_int_equal(c->limits.authors_max, 15);
	assert_int_equal(c->limits.queue_items, 16000);
	assert_int_equal(c->limits.queue_bytes, 70000);
	assert_int_equal(c->limits.store_max_bytes, 123456789);

	assert_int_equal(c->npeers, 1);
	assert_string_equal(c->peers[0].name, "p1");
	assert_string_equal(c->peers[0].address, "tcp://10.0.0.2:7400");
	assert_hex(c->peers[0].key, K1);
	assert_true(c->peers[0].has_transport);
	assert_hex(c->peers[0].transport, T3);

	assert_int_equal(c->nlinks, 2);
	u = &c->links[0];
	s = &c->links[1];
	assert_string_equal(u->name, "u");
	assert_int_equal(u->type, STREAM_UDP);
	assert_hex(u->key, K2);
	assert_int_equal(u->mtu, 999);
	assert_int_equal(u->bitrate, 4800);
	assert_true(u->bitrate_set);
	assert_string_equal(u->local, "*:7410");
	assert_string_equal(u->remote, "192.0.2.9:7410");
	assert_string_equal(s->name, "s");
	assert_int_equal(s->type, STREAM_SERIAL);
	assert_hex(s->key, K3);
	assert_string_equal(s->device, "/dev/ttyUSB9");
	assert_int_equal(s->baud, 19200);
	assert_int_equal(s->bitrate, 19200 * 8 / 10);	/* 8N1 at baud */
	assert_int_equal(s->mtu, 256);
	assert_int_equal(c->nhooks, 2);
	assert_string_equal(c->hooks[0].name, "w");
	assert_int_equal(c->hooks[0].on, HOOK_ON_WARNING);
	assert_string_equal(c->hooks[0].command, "/bin/true --area 3301 \"two words\"");
	assert_string_equal(c->hooks[0].region, "3301");
	assert_int_equal(c->hooks[0].min_level, FENGHUO__LEVEL__ORANGE);
	assert_int_equal(c->hooks[0].status, HOOK_STATUS_ANY);
	assert_int_equal(c->hooks[0].format, HOOK_FMT_CAP_CN);
	assert_int_equal(c->hooks[0].timeout, 45);
	assert_int_equal(c->hooks[0].max_running, 3);
	assert_int_equal(c->hooks[1].on, HOOK_ON_OVERDUE);
	assert_int_equal(c->hooks[1].overdue_after, 600);
	/* The defaults of a hook. */
	assert_int_equal(c->hooks[1].status, FENGHUO__STATUS__ACTUAL);
	assert_int_equal(c->hooks[1].format, HOOK_FMT_JSON);
	assert_int_equal(c->hooks[1].timeout, 30);
	assert_int_equal(c->hooks[1].max_running, 2);
	assert_null(c->hooks[1].region);
	assert_int_equal(c->hooks[1].min_level, 0);
	conf_free(&c);
	assert_null(c);
}

/* Only the three required keys: the documented defaults of everything else. */
static void
test_defaults(void **state)
{
	struct conf *c;
	FILE *fp, *errf;

	(void)state;
	assert_non_null(fp = fopen(path, "w"));
	fprintf(fp, "[node]\nname = a\nregion = 330110\nkey = k\n"
	    "[link s]\ntype = serial\nkey = " K1 "\ndevice = /dev/ttyS0\n"
	    "[link u]\ntype = udp\nkey = " K2 "\nlocal = *:1\nremote = 127.0.0.1:2\n");
	assert_int_equal(fclose(fp), 0);
	assert_non_null(errf = fopen("/dev/null", "w"));
	assert_int_equal(conf_load(path, errf, &c), 0);
	fclose(errf);
	assert_string_equal(c->state, "/var/lib/fenghuo");
	assert_int_equal(c->nlisten, 0);
	assert_int_equal(c->sync_interval, 60);
	assert_int_equal(c->log_level, LOG_LEVEL_INFO);
	assert_int_equal(c->plumtree, 0);
	assert_int_equal(c->confirm_warnings, 1);
	assert_false(c->announce_set);
	assert_false(c->max_discovered_set);
	assert_int_equal(c->reroute_after, 0);
	assert_null(c->tkeypath);
	assert_int_equal(c->nallow + c->nanchors + c->npeers, 0);
	assert_int_equal(c->trust_open, 0);
	assert_int_equal(c->held_max, 10000);
	assert_int_equal(c->held_bytes, 32u << 20);
	assert_int_equal(c->limits.peer.per_sec, 1000);
	assert_int_equal(c->limits.peer.burst, 10000);
	assert_int_equal(c->limits.author.per_sec, 50);
	assert_int_equal(c->limits.author.burst, 5000);
	assert_int_equal(c->limits.authors_max, 65536);
	assert_int_equal(c->limits.queue_items, 32768);
	assert_int_equal(c->limits.queue_bytes, 32u << 20);
	assert_int_equal(c->limits.store_max_bytes, 2ULL << 30);
	assert_int_equal(c->links[0].baud, 9600);
	assert_int_equal(c->links[0].mtu, 256);
	assert_int_equal(c->links[0].bitrate, 7680);
	assert_false(c->links[0].bitrate_set);
	assert_int_equal(c->links[1].mtu, 1200);
	assert_int_equal(c->links[1].bitrate, 0);
	conf_free(&c);
}

/* Each key given twice: refused at the second line, naming the first; lists add up. */
static void
test_duplicate_keys(void **state)
{
	struct variant v;
	struct conf *c;
	char text[96];
	size_t i;

	(void)state;
	for (i = 0; i < NSAMPLES; i++) {
		v = plain();
		v.twice = i;
		if (samples[i].again != NULL) {
			expect_ok(&v);
			continue;
		}
		if (load(&v, &c) != 1)
			fail_msg("[%s] %s twice: not one error:\n%s", samples[i].header,
			    samples[i].key, errs);
		snprintf(text, sizeof(text), "duplicate key '%s' (first at line %d)",
		    samples[i].key, v.lines[i][0]);
		expect_error(v.lines[i][1], text);
	}
}

/* An unknown key in each section, and an unknown section, refused with their lines. */
static void
test_unknown(void **state)
{
	static const char *const headers[] = { "node", "trust", "limits", "peer p1", "link u" };
	struct variant v;
	struct conf *c;
	char text[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		v = plain();
		v.header = headers[i];
		v.line = "colour = red";
		assert_int_equal(load(&v, &c), 1);
		snprintf(text, sizeof(text), "unknown key 'colour' in [%s]", headers[i]);
		expect_error(v.added, text);
	}
	/* Reported once, at its header: its keys are not reported again. */
	v = plain();
	v.tail = "[colours]\nred = 1";
	assert_int_equal(load(&v, &c), 1);
	expect_error(v.tail_line, "unknown section [colours]");
}

/* The sections that come once: a second header is refused. */
static void
test_duplicate_sections(void **state)
{
	static const char *const once[] = { "node", "trust", "limits" };
	struct variant v;
	struct conf *c;
	char tail[16], text[64];
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(once) / sizeof(once[0]); i++) {
		v = plain();
		snprintf(tail, sizeof(tail), "[%s]", once[i]);
		v.tail = tail;
		assert_int_equal(load(&v, &c), 1);
		for (j = 0; !same_header(j, once[i]); j++)
			;
		snprintf(text, sizeof(text), "duplicate section [%s] (first at line %d)",
		    once[i], v.lines[j][0] - 1);
		expect_error(v.tail_line, text);
	}
	v = plain();
	v.tail = "[peer p1]";
	assert_int_equal(load(&v, &c), 1);
	expect_error(v.tail_line, "duplicate peer 'p1'");
}

/* Every number: refused just outside its range, with the range; taken at both ends. */
static void
test_ranges(void **state)
{
	struct variant v;
	struct conf *c;
	char value[32], text[128];
	size_t i;
	int end;

	(void)state;
	for (i = 0; i < NSAMPLES; i++) {
		if (!samples[i].number)
			continue;
		for (end = 0; end < 2; end++) {
			if (end == 0 && samples[i].lo == 0) {
				snprintf(value, sizeof(value), "-1");
			} else {
				snprintf(value, sizeof(value), "%llu", end == 0 ?
				    samples[i].lo - 1 : samples[i].hi + 1);
			}
			v = plain();
			v.subst = i;
			v.value = value;
			if (load(&v, &c) != 1)
				fail_msg("%s = %s: not one error:\n%s", samples[i].key, value, errs);
			snprintf(text, sizeof(text), "%s: '%s' is not a number", samples[i].key,
			    value);
			expect_error(v.lines[i][0], text);
			snprintf(text, sizeof(text), "from %llu to %llu", samples[i].lo,
			    samples[i].hi);
			expect_error(v.lines[i][0], text);

			snprintf(value, sizeof(value), "%llu", end == 0 ? samples[i].lo :
			    samples[i].hi);
			expect_ok(&v);
		}
	}
	/* baud: a number, and then a rate a serial port has. */
	for (i = 0; strcmp(samples[i].key, "baud") != 0; i++)
		;
	v = plain();
	v.subst = i;
	v.value = "4000001";
	assert_int_equal(load(&v, &c), 1);
	expect_error(v.lines[i][0], "baud: '4000001' is not a number from 1 to 4000000");
	v.value = "9601";
	assert_int_equal(load(&v, &c), 1);
	expect_error(v.lines[i][0], "baud: 9601 is not a standard rate");
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/f.conf", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	free(errs);
	return 0;
}

/* A hook's command line: split at blanks, quotes group, nothing else is special. */
static void
test_hook_argv(void **state)
{
	const char *why;
	char **argv;

	(void)state;
	argv = hook_argv_split("  /usr/bin/say\t\"two words\" $(rm -rf ~) `id` ; a|b >f  ", &why);
	assert_non_null(argv);
	assert_string_equal(argv[0], "/usr/bin/say");
	assert_string_equal(argv[1], "two words");
	assert_string_equal(argv[2], "$(rm");
	assert_string_equal(argv[3], "-rf");
	assert_string_equal(argv[4], "~)");
	assert_string_equal(argv[5], "`id`");
	assert_string_equal(argv[6], ";");
	assert_string_equal(argv[7], "a|b");
	assert_string_equal(argv[8], ">f");
	assert_null(argv[9]);
	free(argv);
	argv = hook_argv_split("/bin/x a\"b c\"d", &why);
	assert_non_null(argv);
	assert_string_equal(argv[1], "ab cd");
	free(argv);
	assert_null(hook_argv_split("say hello", &why));
	assert_string_equal(why, "the program must be an absolute path");
	assert_null(hook_argv_split("   ", &why));
	assert_string_equal(why, "no command");
	assert_null(hook_argv_split("/bin/x \"open", &why));
	assert_string_equal(why, "a quote is not closed");
	assert_null(hook_argv_split("/bin/x 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 "
	    "22 23 24 25 26 27 28 29 30 31 32", &why));
	assert_string_equal(why, "more than 32 words");
	assert_true(hook_format_ready(HOOK_FMT_JSON));
	assert_true(hook_format_ready(HOOK_FMT_CAP));
	assert_true(hook_format_ready(HOOK_FMT_CAP_CN));
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_covered),
		cmocka_unit_test(test_table_documented),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_duplicate_sections),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_hook_argv),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: test_conf docs/CONFIG.md\n");
		return 64;
	}
	docs_path = argv[1];
	return cmocka_run_group_tests(tests, setup, teardown);
}
