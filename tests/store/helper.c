/*
 * helper.c: signed test messages and temporary directories for the store tests.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper.h"

int
th_seal(const struct fc_key *key, Fenghuo__Body *body, struct th_msg *out)
{
	uint8_t		*buf;
	size_t		 len;
	int		 rc;

	memset(out, 0, sizeof(*out));
	body->has_version = 1;
	body->version = WIRE_BODY_VERSION;
	body->has_author = 1;
	body->author.data = (uint8_t *)(uintptr_t)fc_key_public(key);
	body->author.len = FC_PUBLICKEYBYTES;
	len = fenghuo__body__get_packed_size(body);
	if ((buf = malloc(len)) == NULL)
		return FC_ENOMEM;
	fenghuo__body__pack(body, buf);
	rc = fc_envelope_seal(key, buf, len, &out->env, &out->len);
	free(buf);
	if (rc != 0)
		return rc;
	return fc_envelope_id(out->env, out->len, out->id);
}

int
th_report(const struct fc_key *key, uint64_t created_ms, const char *title, const char *text,
    struct th_msg *out)
{
	Fenghuo__Body	 b = FENGHUO__BODY__INIT;

	b.has_kind = 1;
	b.kind = FENGHUO__KIND__REPORT;
	b.has_created_ms = 1;
	b.created_ms = created_ms;
	b.region = (char *)(uintptr_t)"110101001001";
	b.category = (char *)(uintptr_t)"flood";
	b.title = (char *)(uintptr_t)title;
	b.text = (char *)(uintptr_t)text;
	return th_seal(key, &b, out);
}

int
th_receipt(const struct fc_key *key, uint64_t created_ms, const uint8_t ref[FC_IDBYTES],
    struct th_msg *out)
{
	return th_receipt_stage(key, created_ms, ref, FENGHUO__STAGE__REGISTERED, out);
}

int
th_receipt_stage(const struct fc_key *key, uint64_t created_ms, const uint8_t ref[FC_IDBYTES],
    int stage, struct th_msg *out)
{
	Fenghuo__Body		 b = FENGHUO__BODY__INIT;
	Fenghuo__Receipt	 r = FENGHUO__RECEIPT__INIT;
	ProtobufCBinaryData	 refs[1];

	r.has_stage = 1;
	r.stage = (Fenghuo__Stage)stage;
	r.note = (char *)(uintptr_t)"已登记";
	refs[0].data = (uint8_t *)(uintptr_t)ref;
	refs[0].len = FC_IDBYTES;
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__RECEIPT;
	b.has_created_ms = 1;
	b.created_ms = created_ms;
	b.n_refs = 1;
	b.refs = refs;
	b.receipt = &r;
	return th_seal(key, &b, out);
}

int
th_warning(const struct fc_key *key, uint64_t created_ms, uint64_t expires_ms,
    struct th_msg *out)
{
	Fenghuo__Body		 b = FENGHUO__BODY__INIT;
	Fenghuo__Warning	 w = FENGHUO__WARNING__INIT;
	static char		*area[] = { (char *)(uintptr_t)"110101" };

	w.has_msg_type = w.has_urgency = w.has_severity = w.has_certainty = 1;
	w.msg_type = FENGHUO__MSG_TYPE__ALERT;
	w.urgency = FENGHUO__URGENCY__IMMEDIATE;
	w.severity = (Fenghuo__Severity)wire_level_severity(FENGHUO__LEVEL__RED);
	w.certainty = FENGHUO__CERTAINTY__OBSERVED;
	w.n_area = 1;
	w.area = area;
	w.has_level = 1;
	w.level = FENGHUO__LEVEL__RED;
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__WARNING;
	b.has_created_ms = 1;
	b.created_ms = created_ms;
	b.has_expires_ms = 1;
	b.expires_ms = expires_ms;
	b.region = (char *)(uintptr_t)"110101001001";
	b.category = (char *)(uintptr_t)"flood";
	b.title = (char *)(uintptr_t)"红色预警";
	b.event = (char *)(uintptr_t)"flood";
	b.warning = &w;
	return th_seal(key, &b, out);
}

void
th_msg_clear(struct th_msg *m)
{
	free(m->env);
	memset(m, 0, sizeof(*m));
}

char *
th_tmpdir(void)
{
	const char	*base = getenv("TMPDIR");
	char		*dir;
	size_t		 len;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	len = strlen(base) + sizeof("/fh-store-test.XXXXXX");
	if ((dir = malloc(len)) == NULL)
		return NULL;
	snprintf(dir, len, "%s/fh-store-test.XXXXXX", base);
	if (mkdtemp(dir) == NULL) {
		free(dir);
		return NULL;
	}
	return dir;
}

/* The store directory holds only files (data.mdb, lock.mdb): one level is enough. */
void
th_rmdir(char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		*path;
	size_t		 len;

	if (dir == NULL)
		return;
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			len = strlen(dir) + strlen(de->d_name) + 2;
			if ((path = malloc(len)) != NULL) {
				snprintf(path, len, "%s/%s", dir, de->d_name);
				unlink(path);
				free(path);
			}
		}
		closedir(d);
	}
	rmdir(dir);
	free(dir);
}
