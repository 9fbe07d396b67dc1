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
 * it); a warning's geometry is the shape of its CAP areas (geo_warning: polygons as they
 * are, circles as polygons approximating them), and a row without a place has a null
 * geometry, which RFC 7946 allows.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "cap.h"
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

#define GEO_CIRCLE_POINTS	64		/* corners of the polygon standing for a circle */
#define GEO_EARTH_KM		6371.0088	/* the mean radius of the Earth (IUGG) */

/* [lon, lat]: RFC 7946's order, the reverse of CAP's. */
static json_t *
geo_position(double lat, double lon)
{
	return json_pack("[ff]", lon, lat);
}

/*
 * A CAP polygon as a GeoJSON Polygon's coordinates (one exterior ring): its points in
 * order, closed if CAP did not repeat the first, reversed if they run clockwise (RFC 7946
 * 3.1.6: exterior rings are counterclockwise).
 */
static json_t *
geo_ring(const struct cap_shape *s)
{
	const struct cap_point *p = s->points;
	size_t i, n = s->n_points, k;
	double area = 0;
	json_t *ring;
	int closed = p[0].lat == p[n - 1].lat && p[0].lon == p[n - 1].lon;

	/* Twice the signed area in the plane of (lon, lat): negative when clockwise. */
	for (i = 0; i + 1 < n; i++)
		area += p[i].lon * p[i + 1].lat - p[i + 1].lon * p[i].lat;
	if (!closed)
		area += p[n - 1].lon * p[0].lat - p[0].lon * p[n - 1].lat;
	ring = json_array();
	for (i = 0; i < n; i++) {
		k = area < 0 ? n - 1 - i : i;
		json_array_append_new(ring, geo_position(p[k].lat, p[k].lon));
	}
	if (!closed)
		json_array_append_new(ring, geo_position(p[area < 0 ? n - 1 : 0].lat,
		    p[area < 0 ? n - 1 : 0].lon));
	return json_pack("[o]", ring);
}

/*
 * A CAP circle (centre, radius in km) as a Polygon's coordinates: GEO_CIRCLE_POINTS points
 * at that great-circle distance from the centre, counterclockwise from north, closed.
 */
static json_t *
geo_circle(const struct cap_shape *s)
{
	double lat1 = s->points[0].lat * M_PI / 180, lon1 = s->points[0].lon * M_PI / 180;
	double d = s->radius_km / GEO_EARTH_KM, b, lat, lon;
	json_t *ring = json_array();
	int i;

	for (i = 0; i <= GEO_CIRCLE_POINTS; i++) {
		/* Bearings decreasing from north: counterclockwise on a map. */
		b = -2 * M_PI * (i % GEO_CIRCLE_POINTS) / GEO_CIRCLE_POINTS;
		lat = asin(sin(lat1) * cos(d) + cos(lat1) * sin(d) * cos(b));
		lon = lon1 + atan2(sin(b) * sin(d) * cos(lat1), cos(d) - sin(lat1) * sin(lat));
		lon = fmod(lon * 180 / M_PI + 540, 360) - 180;
		json_array_append_new(ring, geo_position(lat * 180 / M_PI, lon));
	}
	return json_pack("[o]", ring);
}

/*
 * The geometry of a warning's CAP areas (cap_areas), or NULL when it has none: one shape
 * is a Polygon (a circle of radius 0, CAP's way of giving a point, a Point); several are a
 * MultiPolygon, or a GeometryCollection when a Point is among them. Every circle also goes
 * into *circles as {lat, lon, radius_km}, since a polygon only approximates it (an array,
 * or NULL without circles). Caller owns both.
 */
static json_t *
geo_warning(const struct fc_msg *msg, json_t **circles)
{
	struct cap_shape *shapes;
	size_t i, n;
	json_t *parts, *g;
	int points = 0;

	*circles = NULL;
	if (cap_areas(msg->body, &shapes, &n) != CAP_OK || n == 0)
		return NULL;
	parts = json_array();
	for (i = 0; i < n; i++) {
		const struct cap_shape *s = &shapes[i];

		if (!s->circle)
			g = json_pack("{s:s, s:o}", "type", "Polygon", "coordinates", geo_ring(s));
		else {
			if (*circles == NULL)
				*circles = json_array();
			json_array_append_new(*circles, json_pack("{s:f, s:f, s:f}", "lat",
			    s->points[0].lat, "lon", s->points[0].lon, "radius_km", s->radius_km));
			if (s->radius_km > 0)
				g = json_pack("{s:s, s:o}", "type", "Polygon", "coordinates",
				    geo_circle(s));
			else {
				g = json_pack("{s:s, s:o}", "type", "Point", "coordinates",
				    geo_position(s->points[0].lat, s->points[0].lon));
				points++;
			}
		}
		json_array_append_new(parts, g);
	}
	cap_shapes_free(shapes, n);
	if (n == 1) {
		g = json_incref(json_array_get(parts, 0));
		json_decref(parts);
		return g;
	}
	if (points > 0)
		return json_pack("{s:s, s:o}", "type", "GeometryCollection", "geometries", parts);
	g = json_array();
	for (i = 0; i < n; i++)
		json_array_append(g, json_object_get(json_array_get(parts, i), "coordinates"));
	json_decref(parts);
	return json_pack("{s:s, s:o}", "type", "MultiPolygon", "coordinates", g);
}

/*
 * The geometry of a row: its message's position or its warning's areas, else null. Caller
 * owns it; *circles as geo_warning's.
 */
static json_t *
geo_geometry(json_t *o, const struct fc_msg *msg, json_t **circles)
{
	json_t *lat = json_object_get(o, "lat"), *lon = json_object_get(o, "lon"), *g;

	*circles = NULL;
	if (json_is_number(lat) && json_is_number(lon)) {
		g = json_object();
		json_object_set_new(g, "type", json_string("Point"));
		json_object_set_new(g, "coordinates", json_pack("[ff]", json_number_value(lon),
		    json_number_value(lat)));
		return g;
	}
	if (msg != NULL && msg->body != NULL && msg->body->kind == FENGHUO__KIND__WARNING &&
	    (g = geo_warning(msg, circles)) != NULL)
		return g;
	return json_null();
}

int
cli_emit(struct cli *cli, json_t *o, const struct fc_msg *msg)
{
	json_t *f, *circles;
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
		json_object_set_new(f, "geometry", geo_geometry(o, msg, &circles));
		if (circles != NULL) {
			/* The caller's object stays as it gave it: a copy gains the circles. */
			json_object_set_new(f, "properties", json_copy(o));
			json_object_set_new(json_object_get(f, "properties"), "circles", circles);
		} else
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
			json_object_set_new(f, "geometry", geo_geometry(o, msg, &circles));
			if (circles != NULL)
				json_object_set_new(f, "circles", circles);
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
