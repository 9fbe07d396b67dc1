/*
 * mkbundle.c: test helper for tests/cli: writes bundles of signed messages that the CLI
 * itself cannot produce, and prints their ids.
 *
 *   fh_mkbundle collide FILE   two reports whose ids share their first 8 hex digits, so
 *                              that an 8-digit id prefix is ambiguous. Ids are BLAKE2b-256
 *                              of the body, so a 32-bit collision is found by varying the
 *                              title and hashing (about 2^16 tries, birthday bound); only
 *                              the two winners are signed.
 *   fh_mkbundle skew FILE      one report whose author's clock runs a day ahead
 *   fh_mkbundle late FILE      one report written 45 minutes ago (arrives late)
 *   fh_mkbundle many N FILE    N reports in the last hours, three to each millisecond
 *                              (so that listing chunks end inside runs of equal times)
 *   fh_mkbundle report KEY REGION AGE FILE
 *                              a report by the key in file KEY written AGE seconds ago
 *                              by its own clock (a laptop that runs behind)
 *   fh_mkbundle titled KEY REGION TITLE TEXT FILE
 *                              a report by the key in file KEY with this title and text
 *                              (controls and all: the CLI refuses such a title)
 *   fh_mkbundle status KEY REGION N FILE
 *                              a report by the key in file KEY whose Body.status is the
 *                              number N, known or not (the CLI writes only known ones)
 *   fh_mkbundle receipt KEY ID REGION STAGE FILE
 *                              a receipt (stage 1..5) by the key in file KEY for message
 *                              ID (64 hex digits) that names REGION, whatever the message's
 *                              own region is (the CLI's `receipt` always copies it)
 *   fh_mkbundle receipt KEY ID REGION STAGE FILE VIA HOPS DELAY LINK
 *                              the same with the path fields of a DELIVERED receipt: VIA
 *                              16 hex digits (or - for none), HOPS, DELAY ms and LINK
 *                              numbers (the daemon's own receipts carry them)
 *   fh_mkbundle cert KEY SUBJECT REGION NAME FILE
 *                              a node certificate by the key in file KEY for SUBJECT (64
 *                              hex digits) in REGION, made three days ago and valid for
 *                              two: expired a day ago (the CLI certifies from now on)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "fenghuo.h"

#define TABLE_BITS	22
#define TABLE_SIZE	(1u << TABLE_BITS)
#define MAX_TRIES	2000000u

static uint8_t pubkey[FC_PUBLICKEYBYTES];

/* Pack the report number i into buf (at least 512 bytes); returns its length. */
static size_t
make_body(uint32_t i, uint64_t now, uint8_t *buf)
{
	Fenghuo__Body body = FENGHUO__BODY__INIT;
	char title[32], region[] = "330110", category[] = "test";

	snprintf(title, sizeof(title), "collide %u", i);
	body.has_version = 1;
	body.version = WIRE_BODY_VERSION;
	body.has_kind = 1;
	body.kind = FENGHUO__KIND__REPORT;
	body.has_author = 1;
	body.author.data = pubkey;
	body.author.len = sizeof(pubkey);
	body.has_created_ms = 1;
	body.created_ms = now;
	body.region = region;
	body.category = category;
	body.title = title;
	return fenghuo__body__pack(&body, buf);
}

static uint32_t
prefix32(const uint8_t *id)
{
	return (uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 | (uint32_t)id[2] << 8 | id[3];
}

/*
 * One report created at created_ms. A day in the future is implausible (stored with
 * FC_MSG_CLOCK_SKEW); 45 minutes ago is plausible, and late for the 30-minute target.
 */
static int
make_single(struct fc_key *key, const char *path, uint64_t created_ms)
{
	struct bundle_writer *bw;
	uint8_t buf[512], id[FC_IDBYTES], *env;
	size_t len, envlen;
	char hex[FC_IDHEX];

	len = make_body(0, created_ms, buf);
	if ((bw = bundle_create(path)) == NULL) {
		perror(path);
		return 73;
	}
	if (fc_envelope_seal(key, buf, len, &env, &envlen) != 0 ||
	    bundle_add(bw, env, envlen) == -1) {
		bundle_abort(&bw);
		return 70;
	}
	free(env);
	fc_msg_id(buf, len, id);
	printf("%s\n", fc_hex(id, FC_IDBYTES, hex));
	if (bundle_finish(bw, NULL) == -1) {
		perror(path);
		return 74;
	}
	return 0;
}

static int
make_many(struct fc_key *key, uint32_t n, const char *path, uint64_t now)
{
	struct bundle_writer *bw;
	uint8_t buf[512], *env;
	size_t len, envlen;
	uint32_t i;

	if ((bw = bundle_create(path)) == NULL) {
		perror(path);
		return 73;
	}
	for (i = 0; i < n; i++) {
		len = make_body(i, now - (uint64_t)(i / 3) * 1000, buf);
		if (fc_envelope_seal(key, buf, len, &env, &envlen) != 0 ||
		    bundle_add(bw, env, envlen) == -1) {
			bundle_abort(&bw);
			return 70;
		}
		free(env);
	}
	if (bundle_finish(bw, NULL) == -1) {
		perror(path);
		return 74;
	}
	return 0;
}

/* Sign body (author set here) with the key in file keypath into a one-entry bundle at path. */
static int
seal_one(const char *keypath, Fenghuo__Body *body, uint64_t created_ms, const char *path)
{
	struct bundle_writer *bw;
	struct fc_key *key;
	uint8_t buf[512], id[FC_IDBYTES], *env;
	size_t len, envlen;
	char hex[FC_IDHEX];
	int rc = 0;

	if (fc_key_load(keypath, &key) != 0) {
		fprintf(stderr, "fh_mkbundle: cannot load %s\n", keypath);
		return 66;
	}
	body->has_version = 1;
	body->version = WIRE_BODY_VERSION;
	body->has_author = 1;
	body->author.data = (uint8_t *)(uintptr_t)fc_key_public(key);
	body->author.len = FC_PUBLICKEYBYTES;
	body->has_created_ms = 1;
	body->created_ms = created_ms;
	len = fenghuo__body__pack(body, buf);
	if ((bw = bundle_create(path)) == NULL) {
		perror(path);
		rc = 73;
	} else if (fc_envelope_seal(key, buf, len, &env, &envlen) != 0 ||
	    bundle_add(bw, env, envlen) == -1) {
		bundle_abort(&bw);
		rc = 70;
	} else {
		free(env);
		fc_msg_id(buf, len, id);
		printf("%s\n", fc_hex(id, FC_IDBYTES, hex));
		if (bundle_finish(bw, NULL) == -1) {
			perror(path);
			rc = 74;
		}
	}
	fc_key_free(&key);
	return rc;
}

/* argv = receipt KEY ID REGION STAGE FILE [VIA HOPS DELAY LINK]. */
static int
make_receipt(int argc, char **argv, uint64_t now)
{
	Fenghuo__Body body = FENGHUO__BODY__INIT;
	Fenghuo__Receipt r = FENGHUO__RECEIPT__INIT;
	ProtobufCBinaryData ref;
	uint8_t refid[FC_IDBYTES], via[WIRE_VIA_BYTES];

	if (fc_unhex(argv[2], refid, sizeof(refid)) != 0) {
		fprintf(stderr, "fh_mkbundle: bad id %s\n", argv[2]);
		return 64;
	}
	ref.data = refid;
	ref.len = sizeof(refid);
	r.has_stage = 1;
	r.stage = (Fenghuo__Stage)atoi(argv[4]);
	if (argc == 10) {
		if (strcmp(argv[6], "-") != 0) {
			if (fc_unhex(argv[6], via, sizeof(via)) != 0) {
				fprintf(stderr, "fh_mkbundle: bad via %s\n", argv[6]);
				return 64;
			}
			r.has_via = 1;
			r.via.data = via;
			r.via.len = sizeof(via);
		}
		r.has_hops = 1;
		r.hops = (uint32_t)strtoul(argv[7], NULL, 10);
		r.has_delay_ms = 1;
		r.delay_ms = strtoull(argv[8], NULL, 10);
		r.has_link = 1;
		r.link = (uint32_t)strtoul(argv[9], NULL, 10);
	}
	body.has_kind = 1;
	body.kind = FENGHUO__KIND__RECEIPT;
	body.region = argv[3];
	body.n_refs = 1;
	body.refs = &ref;
	body.receipt = &r;
	return seal_one(argv[1], &body, now, argv[5]);
}

/* argv = cert KEY SUBJECT REGION NAME FILE: a node certificate that expired a day ago. */
static int
make_cert(char **argv, uint64_t now)
{
	Fenghuo__Body body = FENGHUO__BODY__INIT;
	Fenghuo__Cert c = FENGHUO__CERT__INIT;
	Fenghuo__Role role = FENGHUO__ROLE__NODE;
	uint8_t subj[FC_PUBLICKEYBYTES];
	uint64_t day = 24ULL * 3600 * 1000, created = now - 3 * day;

	if (fc_unhex(argv[2], subj, sizeof(subj)) != 0) {
		fprintf(stderr, "fh_mkbundle: bad key %s\n", argv[2]);
		return 64;
	}
	c.has_subject = 1;
	c.subject.data = subj;
	c.subject.len = sizeof(subj);
	c.n_roles = 1;
	c.roles = &role;
	c.scope = argv[3];
	c.has_not_before_ms = 1;
	c.not_before_ms = created;
	c.has_not_after_ms = 1;
	c.not_after_ms = created + 2 * day;
	c.name = argv[4];
	body.has_kind = 1;
	body.kind = FENGHUO__KIND__CERT;
	body.region = argv[3];
	body.cert = &c;
	return seal_one(argv[1], &body, created, argv[5]);
}

/* argv = report KEY REGION AGE FILE. */
static int
make_report(char **argv, uint64_t now)
{
	Fenghuo__Body body = FENGHUO__BODY__INIT;
	char category[] = "test", title[] = "written by a clock that runs behind";

	body.has_kind = 1;
	body.kind = FENGHUO__KIND__REPORT;
	body.region = argv[2];
	body.category = category;
	body.title = title;
	return seal_one(argv[1], &body, now - strtoull(argv[3], NULL, 10) * 1000, argv[4]);
}

/* argv = titled KEY REGION TITLE TEXT FILE: a report whose title (and text) the CLI refuses. */
static int
make_titled(char **argv, uint64_t now)
{
	Fenghuo__Body body = FENGHUO__BODY__INIT;
	char category[] = "test";

	if (strlen(argv[3]) + strlen(argv[4]) > 300)
		return 64;	/* seal_one packs into 512 bytes */
	body.has_kind = 1;
	body.kind = FENGHUO__KIND__REPORT;
	body.region = argv[2];
	body.category = category;
	body.title = argv[3];
	body.text = argv[4][0] != '\0' ? argv[4] : NULL;
	return seal_one(argv[1], &body, now, argv[5]);
}

/* argv = status KEY REGION N FILE: a report with any Body.status number. */
static int
make_status(char **argv, uint64_t now)
{
	Fenghuo__Body body = FENGHUO__BODY__INIT;
	char category[] = "test", title[] = "a report with a status number";

	body.has_kind = 1;
	body.kind = FENGHUO__KIND__REPORT;
	body.region = argv[2];
	body.category = category;
	body.title = title;
	body.has_status = 1;
	body.status = (Fenghuo__Status)strtol(argv[3], NULL, 10);
	return seal_one(argv[1], &body, now, argv[4]);
}

int
main(int argc, char **argv)
{
	struct fc_key *key = NULL;
	struct bundle_writer *bw;
	struct timespec ts;
	uint64_t *table, now;
	uint8_t buf[512], id[FC_IDBYTES], *env;
	uint32_t i, j, pair[2], slot;
	size_t len, envlen;
	char hex[FC_IDHEX];
	int found = 0, k;

	if (!(argc == 3 && (strcmp(argv[1], "collide") == 0 || strcmp(argv[1], "skew") == 0 ||
	    strcmp(argv[1], "late") == 0)) &&
	    !(argc == 4 && strcmp(argv[1], "many") == 0) &&
	    !((argc == 7 || argc == 11) && strcmp(argv[1], "receipt") == 0) &&
	    !(argc == 7 && strcmp(argv[1], "cert") == 0) &&
	    !(argc == 7 && strcmp(argv[1], "titled") == 0) &&
	    !(argc == 6 && strcmp(argv[1], "report") == 0) &&
	    !(argc == 6 && strcmp(argv[1], "status") == 0)) {
		fprintf(stderr, "usage: fh_mkbundle collide|skew|late FILE | many N FILE | "
		    "receipt KEY ID REGION STAGE FILE [VIA HOPS DELAY LINK] | report KEY REGION AGE FILE | "
		    "titled KEY REGION TITLE TEXT FILE | cert KEY SUBJECT REGION NAME FILE | "
		    "status KEY REGION N FILE\n");
		return 64;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	if (fc_init() != 0)
		return 70;
	if (strcmp(argv[1], "receipt") == 0)
		return make_receipt(argc - 1, argv + 1, now);
	if (strcmp(argv[1], "report") == 0)
		return make_report(argv + 1, now);
	if (strcmp(argv[1], "cert") == 0)
		return make_cert(argv + 1, now);
	if (strcmp(argv[1], "titled") == 0)
		return make_titled(argv + 1, now);
	if (strcmp(argv[1], "status") == 0)
		return make_status(argv + 1, now);
	if (fc_key_generate(&key) != 0)
		return 70;
	memcpy(pubkey, fc_key_public(key), sizeof(pubkey));
	if (strcmp(argv[1], "skew") == 0) {
		k = make_single(key, argv[2], now + 24ULL * 3600 * 1000);
		fc_key_free(&key);
		return k;
	}
	if (strcmp(argv[1], "late") == 0) {
		k = make_single(key, argv[2], now - 45ULL * 60 * 1000);
		fc_key_free(&key);
		return k;
	}
	if (strcmp(argv[1], "many") == 0) {
		k = make_many(key, (uint32_t)strtoul(argv[2], NULL, 10), argv[3], now);
		fc_key_free(&key);
		return k;
	}
	/* Open addressing: entry = prefix << 32 | (i + 1); 0 is empty. */
	if ((table = calloc(TABLE_SIZE, sizeof(*table))) == NULL)
		return 71;
	for (i = 0; i < MAX_TRIES && !found; i++) {
		len = make_body(i, now, buf);
		fc_msg_id(buf, len, id);
		for (slot = prefix32(id) & (TABLE_SIZE - 1);; slot = (slot + 1) & (TABLE_SIZE - 1)) {
			if (table[slot] == 0) {
				table[slot] = (uint64_t)prefix32(id) << 32 | (i + 1);
				break;
			}
			if ((uint32_t)(table[slot] >> 32) == prefix32(id)) {
				j = (uint32_t)table[slot] - 1;
				pair[0] = j;
				pair[1] = i;
				found = 1;
				break;
			}
		}
	}
	free(table);
	if (!found) {
		fprintf(stderr, "fh_mkbundle: no collision in %u tries\n", MAX_TRIES);
		fc_key_free(&key);
		return 70;
	}
	if ((bw = bundle_create(argv[2])) == NULL) {
		perror(argv[2]);
		return 73;
	}
	for (k = 0; k < 2; k++) {
		len = make_body(pair[k], now, buf);
		if (fc_envelope_seal(key, buf, len, &env, &envlen) != 0 ||
		    bundle_add(bw, env, envlen) == -1) {
			bundle_abort(&bw);
			return 70;
		}
		free(env);
		fc_msg_id(buf, len, id);
		printf("%s\n", fc_hex(id, FC_IDBYTES, hex));
	}
	fc_key_free(&key);
	if (bundle_finish(bw, NULL) == -1) {
		perror(argv[2]);
		return 74;
	}
	return 0;
}
