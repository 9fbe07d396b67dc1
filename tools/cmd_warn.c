/*
 * cmd_warn.c: `fenghuo warn`: sign and submit an official warning (CAP 1.2 <info>).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "crypto.h"
#include "store.h"
#include "fenghuo.h"

#define WARN_MAX_AREAS		64
#define WARN_MAX_REFS		16
#define WARN_MAX_RESPONSES	16

static int	cmd_warn_exec(struct cli *, int, char **);

const struct cmd_entry cmd_warn_entry = {
	"warn",
	"warn --area PREFIX[,PREFIX...] --level blue|yellow|orange|red --event E --title T "
	"[--text T] [--expires WHEN] [--onset WHEN] [--instruction T] [--urgency U] "
	"[--certainty C] [--msg-type alert|update|cancel --ref ID] [--response R[,R...]] "
	"[--category C] [--status S] [--clock-ok]",
	"Sign an official warning with the node key and submit it; print its id.\n"
	"\n"
	"  --area PREFIXES   region-code prefixes the warning covers, comma-separated;\n"
	"                    the first is also the warning's region\n"
	"  --level L         blue, yellow, orange or red; sets the CAP severity\n"
	"                    (minor, moderate, severe, extreme)\n"
	"  --event E         CAP event, e.g. 暴雨 or flood\n"
	"  --title T         headline, one line (at most 256 bytes: about 85 Chinese\n"
	"                    characters)\n"
	"  --text T          description (at most 16 KiB)\n"
	"  --expires WHEN    duration from now or a time (default 6h)\n"
	"  --onset WHEN      when it takes effect (default now)\n"
	"  --instruction T   what people should do\n"
	"  --urgency U       immediate (default), expected, future, past, unknown\n"
	"  --certainty C     observed, likely (default), possible, unlikely, unknown\n"
	"  --msg-type T      alert (default), update or cancel; update and cancel need --ref\n"
	"                    and take --area, --level and --event from the (first) warning\n"
	"                    they refer to unless given\n"
	"  --ref ID          the warning updated or cancelled (id prefix); repeatable\n"
	"  --response R,...  shelter, evacuate, prepare, execute, avoid, monitor, assess,\n"
	"                    allclear, none\n"
	"  --category C      CAP category (default Met)\n"
	"  --status S        actual (default), exercise (a drill: 演练), test (测试),\n"
	"                    system or draft; only an actual warning is ever in force;\n"
	"                    an update or cancel takes its --ref's status unless given\n"
	"  --clock-ok        sign even though fenghuod finds this computer's clock off\n"
	"                    its peers' by more than validation tolerates\n"
	"\n"
	"Exit status: 0; 64 bad arguments; 65 rejected (reason printed) or unknown --ref;\n"
	"66 no key; 75 not signed: this computer's clock is off (see --clock-ok);\n"
	"77 the key file is readable by others.\n",
	cmd_warn_exec,
};

/* Split s (modified in place) at commas into at most max non-empty items. -1 if bad. */
static int
split_list(char *s, char **items, size_t max, size_t *n)
{
	char *p;

	*n = 0;
	while ((p = strsep(&s, ",")) != NULL) {
		if (*p == '\0' || *n == max)
			return -1;
		items[(*n)++] = p;
	}
	return *n > 0 ? 0 : -1;
}

struct warn_args {
	char		*areas_arg, *responses_arg;
	char		*areas[WARN_MAX_AREAS];
	size_t		 n_areas;
	char		*responses[WARN_MAX_RESPONSES];
	Fenghuo__ResponseType rtypes[WARN_MAX_RESPONSES];
	size_t		 n_responses;
	const char	*refs[WARN_MAX_REFS];
	size_t		 n_refs;
	uint8_t		 ref_ids[WARN_MAX_REFS][FC_IDBYTES];
	ProtobufCBinaryData ref_data[WARN_MAX_REFS];
	struct fc_msg	 ref0;		/* the first --ref's warning (update, cancel) */
	char		*ref0_event;	/* what of it an update or cancel takes over */
};

/*
 * What an update or cancel does not say it takes from the warning it refers to (the first
 * --ref): its areas, level and event. 0, or EX_OSERR.
 */
static int
inherit_ref(struct warn_args *wa, const char **level, char **event)
{
	const Fenghuo__Warning *w = wa->ref0.body != NULL ? wa->ref0.body->warning : NULL;
	size_t i, len = 0;

	if (w == NULL)
		return EX_OK;
	if (wa->areas_arg == NULL && w->n_area > 0) {
		for (i = 0; i < w->n_area; i++)
			len += strlen(w->area[i]) + 1;
		if ((wa->areas_arg = malloc(len)) == NULL)
			return EX_OSERR;
		wa->areas_arg[0] = '\0';
		for (i = 0; i < w->n_area; i++) {
			if (i > 0)
				strcat(wa->areas_arg, ",");
			strcat(wa->areas_arg, w->area[i]);
		}
	}
	if (*level == NULL)
		*level = wire_level_name(w->level);
	if (*event == NULL && wa->ref0.body->event != NULL) {
		if ((wa->ref0_event = strdup(wa->ref0.body->event)) == NULL)
			return EX_OSERR;
		*event = wa->ref0_event;
	}
	return EX_OK;
}

/* Resolve every --ref to the full id of a stored warning. */
static int
resolve_refs(struct cli *cli, struct warn_args *wa)
{
	struct store_msg m;
	size_t i;
	int rc;

	for (i = 0; i < wa->n_refs; i++) {
		if ((rc = cli_resolve(cli, wa->refs[i], &m)) != EX_OK)
			return rc;
		if (m.seen.kind != FENGHUO__KIND__WARNING) {
			cli_warnx(cli, "--ref %s is a %s, not a warning", wa->refs[i],
			    wire_kind_name(m.seen.kind) != NULL ? wire_kind_name(m.seen.kind) :
			    "message");
			store_msg_clear(&m);
			return EX_DATAERR;
		}
		memcpy(wa->ref_ids[i], m.id, FC_IDBYTES);
		if (i == 0 && cli_validate_stored(m.env, m.len, &m.seen, &wa->ref0) != FC_R_OK) {
			cli_warnx(cli, "--ref %s: the stored warning does not validate",
			    wa->refs[i]);
			store_msg_clear(&m);
			return EX_DATAERR;
		}
		store_msg_clear(&m);
		wa->ref_data[i].data = wa->ref_ids[i];
		wa->ref_data[i].len = FC_IDBYTES;
	}
	return EX_OK;
}

static int
warn_build(struct cli *cli, int argc, char **argv, struct warn_args *wa)
{
	static const struct option opts[] = {
		{ "area", required_argument, NULL, 'A' },
		{ "level", required_argument, NULL, 'L' },
		{ "event", required_argument, NULL, 'E' },
		{ "title", required_argument, NULL, 't' },
		{ "text", required_argument, NULL, 'x' },
		{ "expires", required_argument, NULL, 'e' },
		{ "onset", required_argument, NULL, 'O' },
		{ "instruction", required_argument, NULL, 'I' },
		{ "urgency", required_argument, NULL, 'U' },
		{ "certainty", required_argument, NULL, 'C' },
		{ "msg-type", required_argument, NULL, 'M' },
		{ "ref", required_argument, NULL, 'R' },
		{ "response", required_argument, NULL, 'P' },
		{ "category", required_argument, NULL, 'c' },
		{ "clock-ok", no_argument, NULL, 'K' },
		{ "status", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	Fenghuo__Body body = FENGHUO__BODY__INIT;
	Fenghuo__Warning w = FENGHUO__WARNING__INIT;
	const char *level = NULL, *expires = "6h", *onset = NULL, *status = NULL;
	const char *urgency = "immediate", *certainty = "likely", *msgtype = "alert";
	uint64_t now = cli_now_ms();
	size_t i;
	static char met[] = "Met";
	int ch, v, rc, clock_ok = 0;

	body.category = met;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'A':
			free(wa->areas_arg);
			if ((wa->areas_arg = strdup(optarg)) == NULL)
				return EX_OSERR;
			break;
		case 'L':
			level = optarg;
			break;
		case 'E':
			body.event = optarg;
			break;
		case 't':
			body.title = optarg;
			break;
		case 'x':
			body.text = optarg;
			break;
		case 'e':
			expires = optarg;
			break;
		case 'O':
			onset = optarg;
			break;
		case 'I':
			w.instruction = optarg;
			break;
		case 'U':
			urgency = optarg;
			break;
		case 'C':
			certainty = optarg;
			break;
		case 'M':
			msgtype = optarg;
			break;
		case 'R':
			if (wa->n_refs == WARN_MAX_REFS) {
				cli_warnx(cli, "at most %d --ref", WARN_MAX_REFS);
				return EX_USAGE;
			}
			wa->refs[wa->n_refs++] = optarg;
			break;
		case 'P':
			free(wa->responses_arg);
			if ((wa->responses_arg = strdup(optarg)) == NULL)
				return EX_OSERR;
			break;
		case 'c':
			body.category = optarg;
			break;
		case 'K':
			clock_ok = 1;
			break;
		case 'S':
			status = optarg;
			break;
		default:
			return cli_usage(&cmd_warn_entry);
		}
	}
	if (optind != argc) {
		cli_warnx(cli, "unexpected argument '%s'", argv[optind]);
		return cli_usage(&cmd_warn_entry);
	}
	if ((v = wire_msgtype_parse(msgtype)) <= 0) {
		cli_warnx(cli, "--msg-type %s: one of alert, update, cancel", msgtype);
		return EX_USAGE;
	}
	w.has_msg_type = 1;
	w.msg_type = v;
	if (v == FENGHUO__MSG_TYPE__ALERT && wa->n_refs > 0) {
		cli_warnx(cli, "--ref goes with --msg-type update or cancel");
		return EX_USAGE;
	}
	if (v != FENGHUO__MSG_TYPE__ALERT && wa->n_refs == 0) {
		cli_warnx(cli, "--msg-type %s needs --ref ID of the warning it %ss", msgtype,
		    msgtype);
		return EX_USAGE;
	}
	/* An update or cancel concerns what its warning concerned, unless it says otherwise. */
	if ((rc = resolve_refs(cli, wa)) != EX_OK)
		return rc;
	if (inherit_ref(wa, &level, &body.event) != EX_OK) {
		cli_warn(cli, "malloc");
		return EX_OSERR;
	}
	if (wa->areas_arg == NULL || level == NULL || body.event == NULL || body.title == NULL) {
		cli_warnx(cli, "--area, --level, --event and --title are required (an update or "
		    "cancel takes area, level and event from its --ref)");
		return cli_usage(&cmd_warn_entry);
	}
	if ((rc = cli_check_title(cli, body.title)) != EX_OK)
		return rc;
	/* A drill's update or cancel is part of the drill. */
	if (status != NULL) {
		if ((rc = cli_set_status(cli, status, &body)) != EX_OK)
			return rc;
	} else if (wa->ref0.body != NULL &&
	    wire_status_of(wa->ref0.body) != FENGHUO__STATUS__ACTUAL) {
		body.has_status = 1;
		body.status = (Fenghuo__Status)wire_status_of(wa->ref0.body);
	}
	if (body.event[0] == '\0' || body.title[0] == '\0') {
		cli_warnx(cli, "--event and --title must not be empty");
		return EX_USAGE;
	}
	if (split_list(wa->areas_arg, wa->areas, WARN_MAX_AREAS, &wa->n_areas) == -1) {
		cli_warnx(cli, "--area: a comma-separated list of 1 to %d region prefixes",
		    WARN_MAX_AREAS);
		return EX_USAGE;
	}
	for (i = 0; i < wa->n_areas; i++) {
		if (!fc_region_valid(wa->areas[i])) {
			cli_warnx(cli, "--area %s: not a region code prefix (2, 4, 6, 9 or 12 "
			    "digits)", wa->areas[i]);
			return EX_USAGE;
		}
	}
	if ((v = wire_level_parse(level)) <= 0) {
		cli_warnx(cli, "--level %s: one of blue, yellow, orange, red", level);
		return EX_USAGE;
	}
	w.has_level = 1;
	w.level = v;
	w.has_severity = 1;
	w.severity = wire_level_severity(v);
	if ((v = wire_urgency_parse(urgency)) <= 0) {
		cli_warnx(cli, "--urgency %s: one of immediate, expected, future, past, unknown",
		    urgency);
		return EX_USAGE;
	}
	w.has_urgency = 1;
	w.urgency = v;
	if ((v = wire_certainty_parse(certainty)) <= 0) {
		cli_warnx(cli, "--certainty %s: one of observed, likely, possible, unlikely, "
		    "unknown", certainty);
		return EX_USAGE;
	}
	w.has_certainty = 1;
	w.certainty = v;
	if (wa->responses_arg != NULL) {
		if (split_list(wa->responses_arg, wa->responses, WARN_MAX_RESPONSES,
		    &wa->n_responses) == -1) {
			cli_warnx(cli, "--response: a comma-separated list of 1 to %d responses",
			    WARN_MAX_RESPONSES);
			return EX_USAGE;
		}
		for (i = 0; i < wa->n_responses; i++) {
			if ((v = wire_response_parse(wa->responses[i])) <= 0) {
				cli_warnx(cli, "--response %s: one of shelter, evacuate, prepare, "
				    "execute, avoid, monitor, assess, allclear, none",
				    wa->responses[i]);
				return EX_USAGE;
			}
			wa->rtypes[i] = v;
		}
		w.n_response_type = wa->n_responses;
		w.response_type = wa->rtypes;
	}
	if (cli_parse_when(expires, now, &body.expires_ms) == -1 || body.expires_ms <= now) {
		cli_warnx(cli, "--expires %s: not a duration or a future time", expires);
		return EX_USAGE;
	}
	body.has_expires_ms = 1;
	if (onset != NULL) {
		if (cli_parse_when(onset, now, &w.onset_ms) == -1) {
			cli_warnx(cli, "--onset %s: not a duration or a time", onset);
			return EX_USAGE;
		}
		w.has_onset_ms = 1;
	}
	body.n_refs = wa->n_refs;
	body.refs = wa->ref_data;
	w.n_area = wa->n_areas;
	w.area = wa->areas;
	body.region = wa->areas[0];
	body.has_kind = 1;
	body.kind = FENGHUO__KIND__WARNING;
	body.warning = &w;
	if (!clock_ok && (rc = cli_clock_check(cli, "warnings")) != EX_OK)
		return rc;
	return cli_publish(cli, &body, now);
}

static int
cmd_warn_exec(struct cli *cli, int argc, char **argv)
{
	struct warn_args *wa;
	int rc;

	if ((wa = calloc(1, sizeof(*wa))) == NULL) {
		cli_warn(cli, "calloc");
		return EX_OSERR;
	}
	rc = warn_build(cli, argc, argv, wa);
	free(wa->areas_arg);
	free(wa->responses_arg);
	free(wa->ref0_event);
	fc_msg_clear(&wa->ref0);
	free(wa);
	return rc;
}
