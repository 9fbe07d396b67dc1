/*
 * fuzz_cap.c: the CAP reader (cap_read), the first code an alert from outside meets, and
 * what import and export do with what it accepts.
 *
 * The input is an XML document. An accepted alert becomes a warning body (cap_warning with
 * a fixed area, level and clock), which is packed and unpacked as it would travel, then
 * written in its own profile and in the other (cap_render), which cap_read must accept
 * again: whatever fenghuo exports, it imports, and its OASIS exports pass the CAP 1.2
 * schema. Its shapes (cap_areas) are computed too.
 */
#include <stdlib.h>
#include <string.h>

#include "cap.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char area[] = "330110";
	char *areas[1] = { area };
	struct cap_opts o = { 0 };
	struct cap_doc doc, again;
	struct cap_warning w;
	struct cap_err err;
	struct cap_shape *shapes;
	Fenghuo__Body *b;
	uint8_t id[32] = { 0 }, author[32] = { 0 }, *buf;
	char *xml;
	size_t len, n;
	int rc, profile, p;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	rc = cap_read(data, size, &doc, &err);
	FUZZ_CHECK(rc >= CAP_OK && rc <= CAP_EINVAL);
	if (rc != CAP_OK) {
		FUZZ_CHECK(doc.cap == NULL && err.msg[0] != '\0');
		return 0;
	}
	profile = doc.cap->has_profile ? (int)doc.cap->profile : CAP_PROFILE_OASIS;
	o.areas = areas;
	o.n_areas = 1;
	o.level = FENGHUO__LEVEL__RED;
	o.now_ms = FUZZ_NOW_MS;
	o.expires_ms = FUZZ_NOW_MS + 3600000;
	if (cap_warning(&doc, &o, &w, &err) != CAP_OK) {
		cap_doc_clear(&doc);
		return 0;
	}
	w.body.has_version = 1;
	w.body.version = WIRE_BODY_VERSION;
	w.body.has_author = 1;
	w.body.author.data = author;
	w.body.author.len = sizeof(author);
	w.body.has_created_ms = 1;
	w.body.created_ms = FUZZ_NOW_MS;
	len = fenghuo__body__get_packed_size(&w.body);
	buf = malloc(len + 1);
	FUZZ_CHECK(buf != NULL);
	fenghuo__body__pack(&w.body, buf);
	cap_warning_clear(&w);
	cap_doc_clear(&doc);
	b = wire_body_unpack(buf, len);
	free(buf);
	if (b == NULL)	/* larger than a body may be */
		return 0;
	FUZZ_CHECK(b->warning != NULL && b->warning->cap != NULL);
	/* Both profiles: the OASIS one must pass the schema, the national one the walker. */
	for (p = 0; p < 2; p++) {
		FUZZ_CHECK(cap_render(id, b, p == 0 ? profile : !profile, NULL, NULL, &xml, &len,
		    &err) == CAP_OK);
		rc = cap_read(xml, len, &again, &err);
		if (rc != CAP_OK && rc != CAP_ETOOBIG)
			fuzz_fail(__FILE__, __LINE__, err.msg);
		cap_doc_clear(&again);
		free(xml);
	}
	FUZZ_CHECK(cap_areas(b, &shapes, &n) == CAP_OK);
	cap_shapes_free(shapes, n);
	fenghuo__body__free_unpacked(b, NULL);
	return 0;
}
