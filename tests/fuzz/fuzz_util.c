/*
 * fuzz_util.c: what several fuzz targets share: the fixed keys, a private temporary
 * directory, the process's one store, and sealing arbitrary bytes as a signed body.
 */
#define _XOPEN_SOURCE 700	/* nftw */

#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

static struct fc_key	*key_author;
static struct fc_key	*key_peer;
static struct fc_key	*key_trust[FUZZ_TRUST_KEYS];
static char		*tmpdir;
static char		*storedir;
static struct store	*store;
static size_t		 store_msgs;

void
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: fuzz invariant broken: %s\n", file, line, what);
	abort();
}

static void
keys_free(void)
{
	size_t i;

	fc_key_free(&key_author);
	fc_key_free(&key_peer);
	for (i = 0; i < FUZZ_TRUST_KEYS; i++)
		fc_key_free(&key_trust[i]);
}

static struct fc_key *
key_of(uint8_t fill)
{
	static int registered;
	uint8_t seed[FC_SEEDBYTES];
	struct fc_key *k;

	if (fc_init() != 0)
		fuzz_fail(__FILE__, __LINE__, "fc_init");
	memset(seed, fill, sizeof(seed));
	if (fc_key_from_seed(seed, &k) != 0)
		fuzz_fail(__FILE__, __LINE__, "fc_key_from_seed");
	if (!registered) {
		registered = 1;
		atexit(keys_free);
	}
	return k;
}

const struct fc_key *
fuzz_key(void)
{
	if (key_author == NULL)
		key_author = key_of(0x46);
	return key_author;
}

const struct fc_key *
fuzz_peer_key(void)
{
	if (key_peer == NULL)
		key_peer = key_of(0x50);
	return key_peer;
}

static int
rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path) == -1 && errno != ENOENT ? -1 : 0;
}

void
fuzz_rmtree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
tmpdir_free(void)
{
	store_close(&store);
	if (tmpdir != NULL)
		fuzz_rmtree(tmpdir);
	free(storedir);
	free(tmpdir);
	storedir = tmpdir = NULL;
}

const char *
fuzz_tmpdir(void)
{
	const char *base;
	size_t len;

	if (tmpdir != NULL)
		return tmpdir;
	if ((base = getenv("FH_FUZZ_TMP")) == NULL || *base == '\0') {
		if (access("/dev/shm", W_OK) == 0)
			base = "/dev/shm";
		else if ((base = getenv("TMPDIR")) == NULL || *base == '\0')
			base = "/tmp";
	}
	len = strlen(base) + sizeof("/fh-fuzz.XXXXXX");
	if ((tmpdir = malloc(len)) == NULL)
		fuzz_fail(__FILE__, __LINE__, "malloc");
	snprintf(tmpdir, len, "%s/fh-fuzz.XXXXXX", base);
	if (mkdtemp(tmpdir) == NULL) {
		perror(tmpdir);
		fuzz_fail(__FILE__, __LINE__, "mkdtemp");
	}
	atexit(tmpdir_free);
	return tmpdir;
}

struct store *
fuzz_store(void)
{
	const char *dir;
	size_t len;
	int rc;

	if (store != NULL)
		return store;
	dir = fuzz_tmpdir();
	if (storedir == NULL) {
		len = strlen(dir) + sizeof("/store");
		if ((storedir = malloc(len)) == NULL)
			fuzz_fail(__FILE__, __LINE__, "malloc");
		snprintf(storedir, len, "%s/store", dir);
	}
	if (mkdir(storedir, 0700) == -1 && errno != EEXIST)
		fuzz_fail(__FILE__, __LINE__, "mkdir store");
	if ((rc = store_open(storedir, 0, &store)) != 0) {
		fprintf(stderr, "store_open %s: %s\n", storedir, store_strerror(rc));
		fuzz_fail(__FILE__, __LINE__, "store_open");
	}
	store_msgs = 0;
	return store;
}

void
fuzz_store_grew(size_t added)
{
	store_msgs += added;
	if (store_msgs < FUZZ_STORE_RESET)
		return;
	store_close(&store);
	fuzz_rmtree(storedir);
	(void)fuzz_store();
}

const struct fc_key *
fuzz_trust_key(size_t i)
{
	if (i >= FUZZ_TRUST_KEYS)
		fuzz_fail(__FILE__, __LINE__, "trust key index");
	if (key_trust[i] == NULL)
		key_trust[i] = key_of((uint8_t)(0x60 + i));
	return key_trust[i];
}

int
fuzz_seal_body(const uint8_t *body, size_t len, uint8_t **out, size_t *outlen)
{
	return fuzz_seal_body_by(fuzz_key(), body, len, out, outlen);
}

int
fuzz_seal_body_by(const struct fc_key *k, const uint8_t *body, size_t len, uint8_t **out,
    size_t *outlen)
{
	uint8_t *buf;
	int rc;

	*out = NULL;
	*outlen = 0;
	if (len > WIRE_ENVELOPE_MAX)
		return FC_R_TOO_BIG;
	/* Body.author (field 3, wire type 2): tag 0x1a, length 32. */
	if ((buf = malloc(len + 2 + FC_PUBLICKEYBYTES)) == NULL)
		return FC_ENOMEM;
	if (len > 0)
		memcpy(buf, body, len);
	buf[len] = 0x1a;
	buf[len + 1] = FC_PUBLICKEYBYTES;
	memcpy(buf + len + 2, fc_key_public(k), FC_PUBLICKEYBYTES);
	rc = fc_envelope_seal(k, buf, len + 2 + FC_PUBLICKEYBYTES, out, outlen);
	free(buf);
	return rc;
}

int
fuzz_fill_reports(struct store *st, size_t first, size_t n)
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;
	struct ingest_put *items;
	uint8_t **envs;
	uint8_t *buf;
	char title[64];
	size_t i, len;
	int rc = 0;

	if ((items = calloc(n ? n : 1, sizeof(*items))) == NULL ||
	    (envs = calloc(n ? n : 1, sizeof(*envs))) == NULL) {
		free(items);
		return FC_ENOMEM;
	}
	b.has_version = b.has_kind = b.has_created_ms = 1;
	b.version = WIRE_BODY_VERSION;
	b.kind = FENGHUO__KIND__REPORT;
	b.region = (char *)(uintptr_t)"110101001001";
	b.category = (char *)(uintptr_t)"flood";
	b.title = title;
	for (i = 0; i < n && rc == 0; i++) {
		snprintf(title, sizeof(title), "险情 %zu", first + i);
		b.created_ms = FUZZ_NOW_MS - (uint64_t)(first + i + 1) * 60000;
		len = fenghuo__body__get_packed_size(&b);
		if ((buf = malloc(len)) == NULL) {
			rc = FC_ENOMEM;
			break;
		}
		fenghuo__body__pack(&b, buf);
		rc = fuzz_seal_body(buf, len, &envs[i], &items[i].len);
		items[i].env = envs[i];
		free(buf);
	}
	if (rc == 0 && n > 0)
		rc = ingest_put_open(st, items, n, FUZZ_NOW_MS);
	for (i = 0; i < n; i++) {
		if (rc == 0 && items[i].status != INGEST_NEW && items[i].status != INGEST_DUP)
			rc = STORE_EINVAL;
		free(envs[i]);
	}
	free(envs);
	free(items);
	return rc;
}

/* A body packed by protobuf-c and sealed by k: fenghuod's own form. */
static int
seal_packed(const struct fc_key *k, Fenghuo__Body *b, uint8_t **out, size_t *outlen)
{
	uint8_t *buf;
	size_t len;
	int rc;

	b->has_version = b->has_author = b->has_created_ms = 1;
	b->version = WIRE_BODY_VERSION;
	b->author.data = (uint8_t *)(uintptr_t)fc_key_public(k);
	b->author.len = FC_PUBLICKEYBYTES;
	len = fenghuo__body__get_packed_size(b);
	if ((buf = malloc(len)) == NULL)
		return FC_ENOMEM;
	fenghuo__body__pack(b, buf);
	rc = fc_envelope_seal(k, buf, len, out, outlen);
	free(buf);
	return rc;
}

int
fuzz_warning(uint8_t **out, size_t *outlen, uint8_t id[FC_IDBYTES])
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;
	Fenghuo__Warning w = FENGHUO__WARNING__INIT;
	char *area = (char *)(uintptr_t)"330110";
	int rc;

	w.has_msg_type = w.has_urgency = w.has_severity = w.has_certainty = w.has_level = 1;
	w.msg_type = FENGHUO__MSG_TYPE__ALERT;
	w.urgency = FENGHUO__URGENCY__IMMEDIATE;
	w.severity = FENGHUO__SEVERITY__EXTREME;
	w.certainty = FENGHUO__CERTAINTY__OBSERVED;
	w.level = FENGHUO__LEVEL__RED;
	w.n_area = 1;
	w.area = &area;
	b.has_kind = b.has_expires_ms = 1;
	b.kind = FENGHUO__KIND__WARNING;
	b.created_ms = FUZZ_CRECEIPT_WARNED_MS;
	b.expires_ms = FUZZ_NOW_MS + 24ULL * 3600 * 1000;
	b.region = area;
	b.title = (char *)(uintptr_t)"暴雨红色预警";
	b.warning = &w;
	if ((rc = seal_packed(fuzz_key(), &b, out, outlen)) == 0)
		rc = fc_envelope_id(*out, *outlen, id);
	return rc;
}

int
fuzz_receipt_record(const uint8_t wid[FC_IDBYTES], const char *region, uint8_t *rec,
    size_t *reclen)
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;
	Fenghuo__Receipt r = FENGHUO__RECEIPT__INIT;
	struct wire_creceipt_keys k;
	struct wire_creceipt cr;
	ProtobufCBinaryData ref;
	const uint8_t *body, *sig;
	size_t bodylen, siglen, envlen;
	Fenghuo__Body *back;
	uint8_t *env;
	int rc;

	r.has_stage = r.has_via = r.has_hops = r.has_delay_ms = r.has_link = 1;
	r.stage = FENGHUO__STAGE__DELIVERED;
	r.via.data = (uint8_t *)(uintptr_t)fc_key_public(fuzz_key());
	r.via.len = WIRE_VIA_BYTES;
	r.hops = 1;
	r.delay_ms = 1000;
	r.link = WIRE_LINK_UDP;
	ref.data = (uint8_t *)(uintptr_t)wid;
	ref.len = FC_IDBYTES;
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__RECEIPT;
	b.created_ms = FUZZ_CRECEIPT_WARNED_MS + 1004;
	b.region = (char *)(uintptr_t)region;
	b.n_refs = 1;
	b.refs = &ref;
	b.receipt = &r;
	if ((rc = seal_packed(fuzz_peer_key(), &b, &env, &envlen)) != 0)
		return rc;
	if (fc_envelope_split(env, envlen, &body, &bodylen, &sig, &siglen) != 0 ||
	    (back = wire_body_unpack(body, bodylen)) == NULL) {
		free(env);
		return FC_R_DECODE;
	}
	memset(&k, 0, sizeof(k));
	k.ref_created_ms = FUZZ_CRECEIPT_WARNED_MS;
	k.sender = fc_key_public(fuzz_peer_key());
	k.receiver = fc_key_public(fuzz_key());
	k.scope = FUZZ_CRECEIPT_SCOPE;
	rc = wire_creceipt_make(env, envlen, back, sig, siglen, 0, &k, &cr) == 0 ? 0 :
	    FC_R_FIELDS;
	if (rc == 0)
		*reclen = wire_creceipt_write(&cr, rec);
	fenghuo__body__free_unpacked(back, NULL);
	free(env);
	return rc;
}
