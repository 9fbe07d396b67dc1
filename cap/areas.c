/*
 * areas.c: the circles and polygons of a warning's CAP areas, as numbers, for maps.
 *
 * CAP writes a polygon as "lat,lon lat,lon ..." (the first point repeated last) and a
 * circle as "lat,lon radius" with the radius in kilometres. Values that do not parse, or
 * lie outside WGS-84's ranges, are skipped: a map draws what it can.
 */
#include <stdlib.h>
#include <string.h>

#include "cap.h"

/* One "lat,lon" at *s; advances *s past it. 0, or -1. */
static int
point(const char **s, struct cap_point *p)
{
	char *end;

	p->lat = strtod(*s, &end);
	if (end == *s || *end != ',')
		return -1;
	*s = end + 1;
	p->lon = strtod(*s, &end);
	if (end == *s)
		return -1;
	*s = end;
	if (p->lat < -90 || p->lat > 90 || p->lon < -180 || p->lon > 180)
		return -1;
	return 0;
}

static int
add(struct cap_shape **out, size_t *n, const struct cap_shape *s)
{
	struct cap_shape *a;

	if ((a = realloc(*out, (*n + 1) * sizeof(*a))) == NULL)
		return -1;
	a[(*n)++] = *s;
	*out = a;
	return 0;
}

static int
polygon(const char *v, const char *desc, struct cap_shape **out, size_t *n)
{
	struct cap_shape s = { 0 };
	struct cap_point *pts;
	const char *p = v;

	s.area_desc = desc;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p == '\0')
			break;
		if ((pts = realloc(s.points, (s.n_points + 1) * sizeof(*pts))) == NULL)
			goto nomem;
		s.points = pts;
		if (point(&p, &s.points[s.n_points]) != 0) {
			free(s.points);
			return CAP_OK;	/* skipped */
		}
		s.n_points++;
	}
	if (s.n_points < 4) {
		free(s.points);
		return CAP_OK;
	}
	if (add(out, n, &s) != 0)
		goto nomem;
	return CAP_OK;
nomem:
	free(s.points);
	return CAP_ENOMEM;
}

static int
circle(const char *v, const char *desc, struct cap_shape **out, size_t *n)
{
	struct cap_shape s = { 0 };
	struct cap_point c;
	const char *p = v;
	char *end;

	while (*p == ' ')
		p++;
	if (point(&p, &c) != 0 || *p != ' ')
		return CAP_OK;
	s.radius_km = strtod(p, &end);
	if (end == p || s.radius_km < 0)
		return CAP_OK;
	s.circle = 1;
	s.area_desc = desc;
	if ((s.points = malloc(sizeof(*s.points))) == NULL)
		return CAP_ENOMEM;
	s.points[0] = c;
	s.n_points = 1;
	if (add(out, n, &s) != 0) {
		free(s.points);
		return CAP_ENOMEM;
	}
	return CAP_OK;
}

int
cap_areas(const Fenghuo__Body *body, struct cap_shape **out, size_t *n)
{
	const Fenghuo__Cap *c;
	size_t i, j, k;
	int rc = CAP_OK;

	*out = NULL;
	*n = 0;
	if (body == NULL || body->warning == NULL || (c = body->warning->cap) == NULL)
		return CAP_OK;
	for (i = 0; i < c->n_info && rc == CAP_OK; i++) {
		for (j = 0; j < c->info[i]->n_area && rc == CAP_OK; j++) {
			const Fenghuo__CapArea *a = c->info[i]->area[j];

			for (k = 0; k < a->n_polygon && rc == CAP_OK; k++)
				rc = polygon(a->polygon[k], a->desc, out, n);
			for (k = 0; k < a->n_circle && rc == CAP_OK; k++)
				rc = circle(a->circle[k], a->desc, out, n);
		}
	}
	if (rc != CAP_OK) {
		cap_shapes_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

void
cap_shapes_free(struct cap_shape *shapes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(shapes[i].points);
	free(shapes);
}
