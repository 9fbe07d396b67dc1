/*
 * format.c: the machine-readable outputs of the read commands: JSON Lines, CSV and GeoJSON.
 *
 * A verb builds one JSON object per row (the same object --json prints) and hands it to
 * cli_emit(); the chosen format decides how it is written. So the three formats always
 * hold the same values, and a verb gains CSV and GeoJSON by naming its columns.
 *
 * CSV is what a spreadsheet opens correctly with Chinese text: UTF-8 with a byte order
 * mark (without it, Excel reads the bytes as the local ANSI code page), RFC 4180 quoting
 * (every cell in double quotes, a quote doubled, commas and line breaks kept inside) and
 * CRLF line ends. A text cell that begins with = + - @ or a tab or carriage return gets a
 * leading apostrophe: a spreadsheet would otherwise run a title from another key as a
 * formula.
 *
 * GeoJSON is one RFC 7946 FeatureCollection: every row a Feature whose properties are the
 * row's object. A report with a position is a Point ([lon, lat], WGS-84, as RFC 7946 has
 * it); a warning's geometry is its area's shape (cli_warning_geometry), and a row without a
 * place has a null geometry, which RFC 7946 allows.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "crypto.h"
#include "fenghuo.h"

static const char *const format_names[] = {
	[CLI_FMT_TEXT] = "text",
	[CLI_FMT_JSON] = "json",
	[CLI_FMT_CSV] = "csv",
	[CLI_FMT_GEOJSON] = "geojson",
};

int
cli_set_format(struct cli *cli, const char *name, int max)
{
	int i;

	for (i = CLI_FMT_TEXT; i <= max; i++) {
		if (strcmp(name, format_names[i]) == 0) {
			cli->format = i;
			/* Every machine format is built from the objects --json prints. */
			cli->json = i != CLI_FMT_TEXT;
			return EX_OK;
		}
	}
	cli_warnx(cli, "--format %s: one of text, json%s%s", name,
	    max >= CLI_FMT_CSV ? ", csv" : "", max >= CLI_FMT_GEOJSON ? ", geojson" : "");
	return EX_USAGE;
}

void
cli_format_columns(struct cli *cli, const struct cli_column *cols)
{
	cli->columns = cols;
}

/* The value at a dotted path ("coverage.confirmed") of o, or NULL. */
static json_t *
json_path(json_t *o, const char *path)
{
	char key[64];
	const char *dot;
	size_t len;

	while (o != NULL && (dot = strchr(path, '.')) != NULL) {
		len = (size_t)(dot - path);
		if (len >= sizeof(key))
			return NULL;
		memcpy(key, path, len);
		key[len] = '\0';
		o = json_object_get(o, key);
		path = dot + 1;
	}
	return o != NULL ? json_object_get(o, path) : NULL;
}

/* One cell, quoted (RFC 4180). formula: guard a text cell against formula injection. */
static void
csv_cell(FILE *fp, const char *s, int formula)
{
	fputc('"', fp);
	if (formula && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
	    s[0] == '\t' || s[0] == '\r'))
		fputc('\'', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

/* The text of a scalar JSON value; "" for null. Writes into buf when it must format. */
static const char *
csv_scalar(json_t *v, int type, char *buf, size_t size)
{
	if (v == NULL || json_is_null(v))
		return "";
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_true(v))
		return "true";
	if (json_is_false(v))
		return "false";
	if (json_is_integer(v)) {
		if (type == CLI_COL_TIME) {
			if (json_integer_value(v) <= 0)
				return "";
			return cli_fmt_time_iso((uint64_t)json_integer_value(v), buf, size);
		}
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	if (json_is_real(v)) {
		snprintf(buf, size, "%.7f", json_real_value(v));
		return buf;
	}
	return "";
}

static void
csv_value(FILE *fp, json_t *v, int type)
{
	char buf[64], *joined;
	const char *s;
	size_t i, len = 0;

	if (json_is_array(v)) {
		/* A list in one cell, separated by semicolons ("330110;330111"). */
		for (i = 0; i < json_array_size(v); i++)
			len += strlen(csv_scalar(json_array_get(v, i), type, buf, sizeof(buf))) + 1;
		if ((joined = malloc(len + 1)) == NULL) {
			csv_cell(fp, "", 0);
			return;
		}
		joined[0] = '\0';
		for (i = 0; i < json_array_size(v); i++) {
			if (i > 0)
				strcat(joined, ";");
			strcat(joined, csv_scalar(json_array_get(v, i), type, buf, sizeof(buf)));
		}
		csv_cell(fp, joined, 1);
		free(joined);
		return;
	}
	s = csv_scalar(v, type, buf, sizeof(buf));
	csv_cell(fp, s, json_is_string(v));
}

static void
csv_header(FILE *fp, const struct cli_column *cols)
{
	size_t i;

	fputs("\xef\xbb\xbf", fp);	/* the byte order mark: UTF-8 for spreadsheets */
	for (i = 0; cols[i].header != NULL; i++) {
		if (i > 0)
			fputc(',', fp);
		csv_cell(fp, cols[i].header, 0);
	}
	fputs("\r\n", fp);
}

static void
csv_row(FILE *fp, const struct cli_column *cols, json_t *o)
{
	size_t i;

	for (i = 0; cols[i].header != NULL; i++) {
		if (i > 0)
			fputc(',', fp);
		csv_value(fp, json_path(o, cols[i].key), cols[i].type);
	}
	fputs("\r\n", fp);
}

/* A CAP point "lat,lon" into the GeoJSON [lon, lat]. 0, or -1 if malformed. */
static int
geo_point(const char *s, double *lat, double *lon)
{
	char *end;

	*lat = strtod(s, &end);
	if (end == s || *end != ',')
		return -1;
	s = end + 1;
	*lon = strtod(s, &end);
	if (end == s || *lat < -90 || *lat > 90 || *lon < -180 || *lon > 180)
		return -1;
	return 0;
}

/* A CAP polygon, "lat,lon lat,lon ..." (closed), as a GeoJSON Polygon; NULL if malformed. */
static json_t *
geo_cap_polygon(const char *s)
{
	json_t *ring = json_array(), *g;
	double lat, lon;

	while (*s != '\0') {
		s += strspn(s, " ");
		if (*s == '\0')
			break;
		if (geo_point(s, &lat, &lon) == -1) {
			json_decref(ring);
			return NULL;
		}
		json_array_append_new(ring, json_pack("[ff]", lon, lat));
		s += strcspn(s, " ");
	}
	if (json_array_size(ring) < 4) {
		json_decref(ring);
		return NULL;
	}
	g = json_pack("{s:s, s:[o]}", "type", "Polygon", "coordinates", ring);
	return g;
}

/*
 * A CAP circle, "lat,lon radius_km", as a GeoJSON Polygon of 36 sides (GeoJSON has no
 * circle; RFC 7946 suggests approximating one), with its centre and radius as foreign
 * members "center" and "radius_km" for a reader that draws true circles. NULL if malformed.
 */
static json_t *
geo_cap_circle(const char *s)
{
	const double pi = 3.14159265358979323846;
	json_t *ring, *g;
	double lat, lon, r, k;
	char *end;
	int i;

	if (geo_point(s, &lat, &lon) == -1 || (s = strchr(s, ' ')) == NULL)
		return NULL;
	r = strtod(s, &end);
	if (end == s || !(r >= 0 && r <= 20000))
		return NULL;
	ring = json_array();
	/* Degrees per km: 1/111.32 of latitude; of longitude that, over cos(latitude). */
	k = cos(lat * pi / 180);
	for (i = 0; i <= 36; i++) {
		double a = 2 * pi * (i % 36) / 36;

		json_array_append_new(ring, json_pack("[ff]",
		    lon + r * sin(a) / 111.32 / (k > 0.01 ? k : 0.01), lat + r * cos(a) / 111.32));
	}
	g = json_pack("{s:s, s:[o], s:[ff], s:f}", "type", "Polygon", "coordinates", ring,
	    "center", lon, lat, "radius_km", r);
	return g;
}

json_t *
cli_warning_geometry(const struct fc_msg *msg)
{
	const Fenghuo__Warning *w = msg->body->warning;
	json_t *gs, *g;
	size_t i, j, k;

	/*
	 * Region codes carry no outline here: only a warning imported from CAP has shapes, the
	 * polygons and circles of its <area>s.
	 */
	if (w == NULL || w->cap == NULL)
		return NULL;
	gs = json_array();
	for (i = 0; i < w->cap->n_info; i++) {
		const Fenghuo__CapInfo *in = w->cap->info[i];

		for (j = 0; j < in->n_area; j++) {
			const Fenghuo__CapArea *a = in->area[j];

			for (k = 0; k < a->n_polygon; k++)
				if ((g = geo_cap_polygon(a->polygon[k])) != NULL)
					json_array_append_new(gs, g);
			for (k = 0; k < a->n_circle; k++)
				if ((g = geo_cap_circle(a->circle[k])) != NULL)
					json_array_append_new(gs, g);
		}
	}
	if (json_array_size(gs) == 0) {
		json_decref(gs);
		return NULL;
	}
	if (json_array_size(gs) == 1) {
		g = json_incref(json_array_get(gs, 0));
		json_decref(gs);
		return g;
	}
	return json_pack("{s:s, s:o}", "type", "GeometryCollection", "geometries", gs);
}

/* The geometry of a row: its message's position or area, else null. Caller owns it. */
static json_t *
geo_geometry(json_t *o, const struct fc_msg *msg)
{
	json_t *lat = json_object_get(o, "lat"), *lon = json_object_get(o, "lon"), *g;

	if (json_is_number(lat) && json_is_number(lon)) {
		g = json_object();
		json_object_set_new(g, "type", json_string("Point"));
		json_object_set_new(g, "coordinates", json_pack("[ff]", json_number_value(lon),
		    json_number_value(lat)));
		return g;
	}
	if (msg != NULL && msg->body != NULL && msg->body->kind == FENGHUO__KIND__WARNING &&
	    (g = cli_warning_geometry(msg)) != NULL)
		return g;
	return json_null();
}

int
cli_emit(struct cli *cli, json_t *o, const struct fc_msg *msg)
{
	json_t *f;
	char *s;
	int rc = 0;

	if (o == NULL)
		return -1;
	switch (cli->format) {
	case CLI_FMT_CSV:
		if (!cli->emitted)
			csv_header(stdout, cli->columns);
		csv_row(stdout, cli->columns, o);
		break;
	case CLI_FMT_GEOJSON:
		f = json_object();
		json_object_set_new(f, "type", json_string("Feature"));
		json_object_set_new(f, "geometry", geo_geometry(o, msg));
		json_object_set(f, "properties", o);
		s = json_dumps(f, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
		json_decref(f);
		if (s == NULL)
			return -1;
		/* One feature per line, so that a long collection still reads line by line. */
		if (fputs(cli->emitted ? ",\n" : "{\"type\":\"FeatureCollection\",\"features\":[\n",
		    stdout) == EOF || fputs(s, stdout) == EOF)
			rc = -1;
		free(s);
		break;
	default:
		if (cli->json_sink != NULL) {
			/* The board draws the row too: its geometry goes with it. */
			f = json_copy(o);
			json_object_set_new(f, "geometry", geo_geometry(o, msg));
			rc = cli_json_out(cli, f);
			json_decref(f);
		} else
			rc = cli_json_out(cli, o);
		break;
	}
	cli->emitted++;
	return ferror(stdout) ? -1 : rc;
}

int
cli_json_out(struct cli *cli, json_t *o)
{
	if (cli->json_sink != NULL)
		return cli->json_sink(cli->json_sink_arg, o);
	return cli_json_print(stdout, o);
}

int
cli_emit_end(struct cli *cli)
{
	if (cli->format == CLI_FMT_CSV && !cli->emitted)
		csv_header(stdout, cli->columns);
	if (cli->format == CLI_FMT_GEOJSON)
		fputs(cli->emitted ? "\n]}\n" : "{\"type\":\"FeatureCollection\",\"features\":[]}\n",
		    stdout);
	return ferror(stdout) ? -1 : 0;
}
