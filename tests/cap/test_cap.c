/*
 * test_cap.c: cap/ without the CLI: geocodes to region prefixes, CAP times, references,
 * the shapes of areas, reading (hardening and profiles) and writing (a warning that was
 * not imported, in both profiles, read back by cap_read).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cap.h"

static void
test_geocode(void **state)
{
	char buf[13];

	(void)state;
	assert_int_equal(cap_cn_geocode_prefix("330110109000", 12, buf), 0);
	assert_string_equal(buf, "330110109");
	assert_int_equal(cap_cn_geocode_prefix("410000000000", 12, buf), 0);
	assert_string_equal(buf, "41");
	assert_int_equal(cap_cn_geocode_prefix("330100000000", 12, buf), 0);
	assert_string_equal(buf, "3301");
	assert_int_equal(cap_cn_geocode_prefix("330110000000", 12, buf), 0);
	assert_string_equal(buf, "330110");
	assert_int_equal(cap_cn_geocode_prefix("330110109001", 12, buf), 0);
	assert_string_equal(buf, "330110109001");
	assert_int_equal(cap_cn_geocode_prefix("330110", 6, buf), 0);
	assert_string_equal(buf, "330110");
	assert_int_equal(cap_cn_geocode_prefix("000000000000", 12, buf), -1);
	assert_int_equal(cap_cn_geocode_prefix("33011010900x", 12, buf), -1);
	assert_int_equal(cap_cn_geocode_prefix("3301101090", 10, buf), -1);
}

static void
test_time(void **state)
{
	uint64_t ms;
	int off;

	(void)state;
	assert_int_equal(cap_time_parse("2003-06-11T20:56:00-07:00", &ms, &off), 0);
	assert_int_equal(ms, 1055390160000ULL);
	assert_int_equal(off, -420);
	assert_int_equal(cap_time_parse("2020-02-05 10:45:00+08:00", &ms, &off), 0);
	assert_int_equal(ms, 1580870700000ULL);
	assert_int_equal(off, 480);
	assert_int_equal(cap_time_parse("2020-02-05T10:45:00Z", &ms, &off), -1);
	assert_int_equal(cap_time_parse("2020-13-05T10:45:00+08:00", &ms, &off), -1);
	assert_int_equal(cap_time_parse("", &ms, &off), -1);
	assert_string_equal(cap_cn_event_name("11B03"), "暴雨");
	assert_string_equal(cap_cn_event_code("大风"), "11B06");
	assert_null(cap_cn_event_name("99Z99"));
}

static void
test_refs(void **state)
{
	Fenghuo__Cap c = FENGHUO__CAP__INIT;
	struct cap_ref *r;
	size_t n;
	char oasis[] = "a@b,ID.1,2003-06-11T20:30:00-07:00  c@d,ID.2,2003-06-11T20:31:00-07:00";
	char cn[] = "41000041600000_20200204121842";

	(void)state;
	c.references = oasis;
	assert_int_equal(cap_refs(&c, &r, &n), CAP_OK);
	assert_int_equal(n, 2);
	assert_string_equal(r[0].sender, "a@b");
	assert_string_equal(r[0].identifier, "ID.1");
	assert_string_equal(r[1].sender, "c@d");
	assert_string_equal(r[1].identifier, "ID.2");
	cap_refs_free(r, n);
	c.references = cn;
	assert_int_equal(cap_refs(&c, &r, &n), CAP_OK);
	assert_int_equal(n, 1);
	assert_null(r[0].sender);
	assert_string_equal(r[0].identifier, cn);
	cap_refs_free(r, n);
}

static const char oasis_alert[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">"
    "<identifier>T1</identifier><sender>s@x</sender>"
    "<sent>2026-07-05T14:30:00+08:00</sent><status>Exercise</status>"
    "<msgType>Alert</msgType><scope>Public</scope>"
    "<info><category>Met</category><event>暴雨</event><urgency>Immediate</urgency>"
    "<severity>Severe</severity><certainty>Likely</certainty>"
    "<headline>演练：暴雨橙色预警</headline>"
    "<area><areaDesc>径山镇</areaDesc>"
    "<polygon>30.1,119.1 30.2,119.1 30.2,119.2 30.1,119.1</polygon>"
    "<circle>30.386,119.879 12.5</circle><circle>bad</circle></area></info></alert>";

static void
test_read_areas(void **state)
{
	struct cap_doc doc;
	struct cap_warning w;
	struct cap_err err;
	struct cap_opts o = { 0 };
	struct cap_shape *s;
	char area[] = "330110109", *areas[1] = { area };
	size_t n;

	(void)state;
	assert_int_equal(cap_read(oasis_alert, sizeof(oasis_alert) - 1, &doc, &err), CAP_OK);
	assert_int_equal(doc.status, FENGHUO__STATUS__EXERCISE);
	assert_int_equal(doc.msg_type, FENGHUO__MSG_TYPE__ALERT);
	o.areas = areas;
	o.n_areas = 1;
	o.now_ms = 1796452283324ULL;
	assert_int_equal(cap_warning(&doc, &o, &w, &err), CAP_OK);
	assert_null(doc.cap);
	assert_int_equal(w.warning.level, FENGHUO__LEVEL__ORANGE);
	assert_true(w.body.has_status);
	assert_int_equal(w.body.status, FENGHUO__STATUS__EXERCISE);
	assert_string_equal(w.body.title, "演练：暴雨橙色预警");
	assert_string_equal(w.body.region, "330110109");
	assert_int_equal(w.body.expires_ms, o.now_ms + 24ULL * 3600 * 1000);
	assert_int_equal(cap_areas(&w.body, &s, &n), CAP_OK);
	assert_int_equal(n, 2);	/* the bad circle is skipped */
	assert_false(s[0].circle);
	assert_int_equal(s[0].n_points, 4);
	assert_true(s[0].points[1].lat > 30.19 && s[0].points[1].lat < 30.21);
	assert_true(s[1].circle);
	assert_true(s[1].radius_km > 12.4 && s[1].radius_km < 12.6);
	assert_string_equal(s[1].area_desc, "径山镇");
	cap_shapes_free(s, n);
	cap_warning_clear(&w);
	cap_doc_clear(&doc);
}

static void
test_read_refused(void **state)
{
	static const char *const bad[] = {
		"<!DOCTYPE alert><alert/>",
		"<alert><!ENTITY x \"y\"></alert>",
		"<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.1\"/>",
		"<alarm/>",
		"<alert><identifier>x</identifier>",
		"<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>x</identifier></alert>",
		/* one string: a sendTime that is not national-profile time */
		"<alert><identifier>x</identifier><sender>y</sender><sendTime>2020-02-05T10:45</sendTime><status>Actual</status><msgType>Alert</msgType></alert>",
		"<alert><identifier>x</identifier><identifier>x</identifier></alert>",
		"<alert>\xff</alert>",
	};
	static const int want[] = { CAP_EDTD, CAP_EDTD, CAP_EUNSUPPORTED, CAP_ESCHEMA,
		CAP_ESYNTAX, CAP_ESCHEMA, CAP_ESCHEMA, CAP_ESCHEMA, CAP_EUTF8 };
	struct cap_doc doc;
	struct cap_err err;
	size_t i;
	char *big;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = '\0';
		if (cap_read(bad[i], strlen(bad[i]), &doc, &err) != want[i])
			fail_msg("input %zu: %s", i, err.msg);
		assert_null(doc.cap);
		assert_true(err.msg[0] != '\0');
	}
	big = calloc(1, CAP_XML_MAX + 1);
	assert_non_null(big);
	assert_int_equal(cap_read(big, CAP_XML_MAX + 1, &doc, &err), CAP_ETOOBIG);
	free(big);
}

/* A warning made by `fenghuo warn`: written from its fields, and read back. */
static void
test_render_native(void **state)
{
	Fenghuo__Body b = FENGHUO__BODY__INIT;
	Fenghuo__Warning w = FENGHUO__WARNING__INIT;
	char a1[] = "330110109", a2[] = "330110", *areas[2] = { a1, a2 };
	char title[] = "暴雨红色预警 <&>", event[] = "暴雨";
	uint8_t id[32] = { 0xab }, author[32] = { 0x01 };
	struct cap_doc doc;
	struct cap_err err;
	char *xml;
	size_t len;
	int p;

	(void)state;
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__WARNING;
	b.has_author = 1;
	b.author.data = author;
	b.author.len = 32;
	b.has_created_ms = 1;
	b.created_ms = 1796452283000ULL;
	b.has_expires_ms = 1;
	b.expires_ms = 1796452283000ULL + 3600000;
	b.title = title;
	b.event = event;
	b.region = a1;
	w.has_msg_type = 1;
	w.msg_type = FENGHUO__MSG_TYPE__ALERT;
	w.has_level = 1;
	w.level = FENGHUO__LEVEL__RED;
	w.has_severity = 1;
	w.severity = FENGHUO__SEVERITY__EXTREME;
	w.has_urgency = 1;
	w.urgency = FENGHUO__URGENCY__IMMEDIATE;
	w.has_certainty = 1;
	w.certainty = FENGHUO__CERTAINTY__LIKELY;
	w.n_area = 2;
	w.area = areas;
	b.warning = &w;
	for (p = CAP_PROFILE_OASIS; p <= CAP_PROFILE_CN; p++) {
		assert_int_equal(cap_render(id, &b, p, NULL, NULL, &xml, &len, &err), CAP_OK);
		assert_int_equal(strlen(xml), len);
		assert_non_null(strstr(xml, "暴雨红色预警 &lt;&amp;&gt;"));
		assert_non_null(strstr(xml, p == CAP_PROFILE_CN ?
		    "<sendTime>2026-12-05 14:31:23+08:00</sendTime>" :
		    "<sent>2026-12-05T14:31:23+08:00</sent>"));
		assert_non_null(strstr(xml, p == CAP_PROFILE_CN ? "<severity>Red</severity>" :
		    "<severity>Extreme</severity>"));
		assert_non_null(strstr(xml, p == CAP_PROFILE_CN ?
		    "<geocode>330110109000,330110000000</geocode>" :
		    "<value>330110109000</value>"));
		/* What fenghuo writes, it reads (the OASIS one against the schema). */
		if (cap_read(xml, len, &doc, &err) != CAP_OK)
			fail_msg("profile %d: %s\n%s", p, err.msg, xml);
		cap_doc_clear(&doc);
		free(xml);
	}
	b.kind = FENGHUO__KIND__REPORT;
	assert_int_equal(cap_render(id, &b, CAP_PROFILE_OASIS, NULL, NULL, &xml, &len, &err),
	    CAP_EINVAL);
	assert_null(xml);
	assert_int_equal(cap_profile_parse("cn"), CAP_PROFILE_CN);
	assert_int_equal(cap_profile_parse("OASIS"), CAP_PROFILE_OASIS);
	assert_int_equal(cap_profile_parse("x"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_geocode),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_refs),
		cmocka_unit_test(test_read_areas),
		cmocka_unit_test(test_read_refused),
		cmocka_unit_test(test_render_native),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
