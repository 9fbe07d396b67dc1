/*
 * cmd_report.c: `fenghuo report`: sign and submit an incident report from the field.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "crypto.h"
#include "fenghuo.h"

static int	cmd_report_exec(struct cli *, int, char **);

const struct cmd_entry cmd_report_entry = {
	"report",
	"report --region CODE --category CAT --title T [--text T] [--lat X --lon Y] "
	"[--expires WHEN] [--status S]",
	"Sign a report of an incident with the node key and submit it; print its id.\n"
	"\n"
	"  --region CODE     administrative division code (6, 9 or 12 digits)\n"
	"  --category CAT    what happened, e.g. flood, fire, landslide\n"
	"  --title T         one line (at most 256 bytes: about 85 Chinese characters)\n"
	"  --text T          details (at most 16 KiB)\n"
	"  --lat X --lon Y   position in decimal degrees (WGS-84), both or neither\n"
	"  --expires WHEN    when the report stops applying: a duration from now (6h, 2d)\n"
	"                    or a time (2026-11-23T18:00, epoch ms); default never\n"
	"  --status S        actual (default), exercise (a drill: 演练), test (测试),\n"
	"                    system or draft\n"
	"\n"
	"Exit status: 0; 64 bad arguments; 65 the message was rejected (reason printed);\n"
	"66 no key; 77 the key file is readable by others.\n",
	cmd_report_exec,
};

/* Decimal degrees within [-limit, limit] to degrees * 10^7. */
static int
parse_degrees(const char *s, double limit, int32_t *out)
{
	char *end;
	double v;

	v = strtod(s, &end);
	if (end == s || *end != '\0' || !isfinite(v) || v < -limit || v > limit)
		return -1;
	*out = (int32_t)(v * 1e7 + (v >= 0 ? 0.5 : -0.5));
	return 0;
}

static int
cmd_report_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "region", required_argument, NULL, 'r' },
		{ "category", required_argument, NULL, 'c' },
		{ "title", required_argument, NULL, 't' },
		{ "text", required_argument, NULL, 'x' },
		{ "lat", required_argument, NULL, 'a' },
		{ "lon", required_argument, NULL, 'o' },
		{ "expires", required_argument, NULL, 'e' },
		{ "status", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	Fenghuo__Body body = FENGHUO__BODY__INIT;
	const char *lat = NULL, *lon = NULL, *expires = NULL;
	uint64_t now = cli_now_ms();
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			body.region = optarg;
			break;
		case 'c':
			body.category = optarg;
			break;
		case 't':
			body.title = optarg;
			break;
		case 'x':
			body.text = optarg;
			break;
		case 'a':
			lat = optarg;
			break;
		case 'o':
			lon = optarg;
			break;
		case 'e':
			expires = optarg;
			break;
		case 'S':
			if ((rc = cli_set_status(cli, optarg, &body)) != EX_OK)
				return rc;
			break;
		default:
			return cli_usage(&cmd_report_entry);
		}
	}
	if (optind != argc) {
		cli_warnx(cli, "unexpected argument '%s'", argv[optind]);
		return cli_usage(&cmd_report_entry);
	}
	if (body.region == NULL || body.category == NULL || body.title == NULL) {
		cli_warnx(cli, "--region, --category and --title are required");
		return cli_usage(&cmd_report_entry);
	}
	if (!fc_region_valid(body.region)) {
		cli_warnx(cli, "--region %s: not a region code (6, 9 or 12 digits)", body.region);
		return EX_USAGE;
	}
	if (body.category[0] == '\0' || body.title[0] == '\0') {
		cli_warnx(cli, "--category and --title must not be empty");
		return EX_USAGE;
	}
	if ((rc = cli_check_title(cli, body.title)) != EX_OK)
		return rc;
	if ((lat == NULL) != (lon == NULL)) {
		cli_warnx(cli, "--lat and --lon go together");
		return EX_USAGE;
	}
	if (lat != NULL) {
		if (parse_degrees(lat, 90, &body.lat_e7) == -1) {
			cli_warnx(cli, "--lat %s: not a latitude in degrees", lat);
			return EX_USAGE;
		}
		if (parse_degrees(lon, 180, &body.lon_e7) == -1) {
			cli_warnx(cli, "--lon %s: not a longitude in degrees", lon);
			return EX_USAGE;
		}
		body.has_lat_e7 = body.has_lon_e7 = 1;
	}
	if (expires != NULL) {
		if (cli_parse_when(expires, now, &body.expires_ms) == -1 ||
		    body.expires_ms <= now) {
			cli_warnx(cli, "--expires %s: not a duration or a future time", expires);
			return EX_USAGE;
		}
		body.has_expires_ms = 1;
	}
	body.has_kind = 1;
	body.kind = FENGHUO__KIND__REPORT;
	return cli_publish(cli, &body, now);
}
