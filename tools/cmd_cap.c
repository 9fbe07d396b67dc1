/*
 * cmd_cap.c: `fenghuo cap import` and `fenghuo cap export`: CAP 1.2 alerts (OASIS, or
 * China's national profile) in as signed warnings, and warnings out as CAP (docs/CAP.md).
 *
 * Import reads the alert (cap/, hardened), turns it into a warning, finds the warnings an
 * Update or Cancel refers to by their CAP identifiers, and publishes it with the office's
 * key exactly as `fenghuo warn` does (cli_publish: the daemon's control socket, or the
 * store through ingest/ when no daemon runs), so the same validation and trust policy
 * judge it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cap.h"
#include "crypto.h"
#include "store.h"
#include "fenghuo.h"

static int	cmd_cap_exec(struct cli *, int, char **);

const struct cmd_entry cmd_cap_entry = {
	"cap",
	"cap import [--area PREFIX[,PREFIX...]] [--level L] [--expires WHEN] [--clock-ok] "
	"FILE|- | cap export ID [--profile oasis|cn] [-o FILE]",
	"CAP 1.2 alerts in and out (docs/CAP.md).\n"
	"\n"
	"cap import FILE|-\n"
	"  Read a CAP alert (OASIS CAP 1.2, or China's national profile GB/T 35965.1) and\n"
	"  sign it with the node key as one warning (all its <info> blocks); print its id.\n"
	"  OASIS alerts must be valid against the CAP 1.2 schema. An Update or Cancel must\n"
	"  refer (<references>) to alerts this node stores. XML signatures are not kept.\n"
	"  --area PREFIXES   region prefixes the warning is delivered to, comma-separated\n"
	"                    (default: the alert's 12-digit <geocode>s; required for an\n"
	"                    alert without them)\n"
	"  --level L         blue, yellow, orange or red (default: from <severity>)\n"
	"  --expires WHEN    fenghuo's expiry of the warning (default: <expires>, else 24h)\n"
	"  --clock-ok        sign even though fenghuod finds this computer's clock off\n"
	"\n"
	"cap export ID\n"
	"  Write the warning ID as a CAP alert: an imported one as it came in.\n"
	"  --profile P       oasis or cn (default: the profile it came in; oasis for a\n"
	"                    warning made with `fenghuo warn`)\n"
	"  -o, --output FILE write there (replaced) instead of standard output\n"
	"\n"
	"Exit status: 0; 64 bad arguments; 65 alert refused (reason printed), or ID not a\n"
	"warning; 66 FILE missing or no key; 73 the output cannot be created;\n"
	"75 not signed: this computer's clock is off (see --clock-ok).\n",
	cmd_cap_exec,
};

/* The whole of fd, at most CAP_XML_MAX + 1 bytes (so that too big shows). -1 on error. */
static int
read_all(int fd, char **out, size_t *len)
{
	size_t cap = 64 * 1024, n = 0;
	char *buf, *nb;
	ssize_t r;

	if ((buf = malloc(cap)) == NULL)
		return -1;
	for (;;) {
		if (n == cap) {
			if (cap > CAP_XML_MAX)
				break;
			cap *= 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				return -1;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			free(buf);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	return 0;
}

struct find_ctx {
	struct cli		*cli;
	const struct cap_ref	*ref;
	const uint8_t		*author;	/* only warnings signed by this key; NULL: any */
	uint8_t			 id[FC_IDBYTES];
	int			 found;
};

/* store_iter_time callback: the newest warning imported from ref's alert. */
static int
find_one(void *arg, const struct store_view *v)
{
	struct find_ctx *f = arg;
	struct fc_msg m;
	int hit;

	if (cli_validate_stored(v->env, v->len, v->seen, &m) != FC_R_OK)
		return 0;
	hit = cap_ref_matches(m.body, f->ref) && (f->author == NULL ||
	    (m.body->author.len == FC_PUBLICKEYBYTES &&
	    memcmp(m.body->author.data, f->author, FC_PUBLICKEYBYTES) == 0));
	fc_msg_clear(&m);
	if (!hit)
		return 0;
	memcpy(f->id, v->id, FC_IDBYTES);
	f->found = 1;
	return 1;
}

/* Body.refs of an Update or Cancel: every alert it names, found here. */
static int
find_refs(struct cli *cli, const Fenghuo__Cap *c, uint8_t (**ids)[FC_IDBYTES],
    ProtobufCBinaryData **data, size_t *n)
{
	const struct fc_key *key;
	const uint8_t *own;
	struct cap_ref *refs;
	struct find_ctx f;
	struct store *st = NULL;
	size_t nrefs, i;
	int rc;

	*n = 0;
	if ((rc = cli_key(cli, &key)) != EX_OK)
		return rc;
	own = fc_key_public(key);
	if (cap_refs(c, &refs, &nrefs) != CAP_OK) {
		cli_warn(cli, "malloc");
		return EX_OSERR;
	}
	if (nrefs == 0) {
		cli_warnx(cli, "refused: an Update or Cancel must name in <references> the "
		    "alert it changes");
		return EX_DATAERR;
	}
	*ids = calloc(nrefs, sizeof(**ids));
	*data = calloc(nrefs, sizeof(**data));
	if (*ids == NULL || *data == NULL) {
		cap_refs_free(refs, nrefs);
		cli_warn(cli, "calloc");
		return EX_OSERR;
	}
	rc = EX_OK;
	for (i = 0; i < nrefs && rc == EX_OK; i++) {
		memset(&f, 0, sizeof(f));
		f.cli = cli;
		f.ref = &refs[i];
		if (st == NULL && (rc = cli_store(cli, 0, &st)) != EX_OK) {
			if (rc == EX_NOINPUT)
				rc = EX_DATAERR;
			break;
		}
		/* This office's own import of it first, else anyone's (it came over the mesh). */
		f.author = own;
		store_iter_time(st, 0, 0, FENGHUO__KIND__WARNING, 1, find_one, &f);
		f.author = NULL;
		if (!f.found)
			store_iter_time(st, 0, 0, FENGHUO__KIND__WARNING, 1, find_one, &f);
		if (!f.found) {
			cli_warnx(cli, "refused: <references> names the alert %s%s%s, which this "
			    "node does not store: import it first", refs[i].sender != NULL ?
			    refs[i].sender : "", refs[i].sender != NULL ? "," : "",
			    refs[i].identifier);
			rc = EX_DATAERR;
			break;
		}
		memcpy((*ids)[i], f.id, FC_IDBYTES);
		(*data)[i].data = (*ids)[i];
		(*data)[i].len = FC_IDBYTES;
		*n = i + 1;
	}
	cap_refs_free(refs, nrefs);
	return rc;
}

/*
 * An alert with this sender and identifier already imported with this node's key: its id
 * is printed and EX_OK returned, so that importing a feed twice warns once. Another key's
 * warning with the same identifier does not count: whoever can sign some warning must not
 * be able to keep this office from signing the real alert. EX_DATAERR: not imported yet
 * (nothing printed); another code: an error (printed).
 */
static int
find_imported(struct cli *cli, const Fenghuo__Cap *c)
{
	const struct fc_key *key;
	struct cap_ref ref;
	struct find_ctx f;
	struct store *st;
	char hex[FC_IDHEX];
	int rc;

	if ((rc = cli_key(cli, &key)) != EX_OK)
		return rc;

	if ((rc = cli_store(cli, 0, &st)) != EX_OK) {
		/* No store yet: nothing imported; the publish creates it. */
		return rc == EX_NOINPUT ? EX_DATAERR : rc;
	}
	memset(&f, 0, sizeof(f));
	ref.sender = c->sender;
	ref.identifier = c->identifier;
	f.cli = cli;
	f.ref = &ref;
	f.author = fc_key_public(key);
	store_iter_time(st, 0, 0, FENGHUO__KIND__WARNING, 1, find_one, &f);
	if (!f.found)
		return EX_DATAERR;
	cli_warnx(cli, "note: this alert (%s, %s) was already imported: not signed again",
	    c->sender, c->identifier);
	printf("%s\n", fc_hex(f.id, FC_IDBYTES, hex));
	return EX_OK;
}

static int
split_areas(struct cli *cli, char *s, char **areas, size_t *n)
{
	char *p;

	*n = 0;
	while ((p = strsep(&s, ",")) != NULL) {
		if (*n == CAP_AREAS_MAX || !fc_region_valid(p)) {
			cli_warnx(cli, "--area: a comma-separated list of 1 to %d region prefixes "
			    "(2, 4, 6, 9 or 12 digits)", CAP_AREAS_MAX);
			return EX_USAGE;
		}
		areas[(*n)++] = p;
	}
	return EX_OK;
}

static int
cap_import(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "area", required_argument, NULL, 'A' },
		{ "level", required_argument, NULL, 'L' },
		{ "expires", required_argument, NULL, 'e' },
		{ "clock-ok", no_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 },
	};
	struct cap_opts o = { 0 };
	struct cap_doc doc = { 0 };
	struct cap_warning w;
	struct cap_err err = { "" };
	char *areas[CAP_AREAS_MAX], *area_arg = NULL, *xml = NULL;
	uint8_t (*ids)[FC_IDBYTES] = NULL;
	ProtobufCBinaryData *refdata = NULL;
	const char *path;
	size_t len, nrefs = 0;
	int ch, fd, rc, clock_ok = 0;

	memset(&w, 0, sizeof(w));
	o.now_ms = cli_now_ms();
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'A':
			free(area_arg);
			if ((area_arg = strdup(optarg)) == NULL)
				return EX_OSERR;
			break;
		case 'L':
			if ((o.level = wire_level_parse(optarg)) <= 0) {
				cli_warnx(cli, "--level %s: one of blue, yellow, orange, red", optarg);
				rc = EX_USAGE;
				goto out;
			}
			break;
		case 'e':
			if (cli_parse_when(optarg, o.now_ms, &o.expires_ms) == -1 ||
			    o.expires_ms <= o.now_ms) {
				cli_warnx(cli, "--expires %s: not a duration or a future time",
				    optarg);
				rc = EX_USAGE;
				goto out;
			}
			break;
		case 'K':
			clock_ok = 1;
			break;
		default:
			rc = cli_usage(&cmd_cap_entry);
			goto out;
		}
	}
	if (optind + 1 != argc) {
		rc = cli_usage(&cmd_cap_entry);
		goto out;
	}
	if (area_arg != NULL) {
		if ((rc = split_areas(cli, area_arg, areas, &o.n_areas)) != EX_OK)
			goto out;
		o.areas = areas;
	}
	path = argv[optind];
	if (strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
	} else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		cli_warn(cli, "%s", path);
		rc = EX_NOINPUT;
		goto out;
	}
	rc = read_all(fd, &xml, &len);
	if (fd != STDIN_FILENO)
		close(fd);
	if (rc == -1) {
		cli_warn(cli, "%s", path);
		rc = EX_IOERR;
		goto out;
	}
	if ((rc = cap_read(xml, len, &doc, &err)) != CAP_OK ||
	    (rc = cap_warning(&doc, &o, &w, &err)) != CAP_OK) {
		cli_warnx(cli, "refused: %s: %s", path, err.msg);
		rc = rc == CAP_ENOMEM ? EX_OSERR : EX_DATAERR;
		goto out;
	}
	if (doc.signatures > 0)
		cli_warnx(cli, "note: the alert's XML signature%s %s not kept: fenghuo signs "
		    "the warning with this node's key, and exports carry its values, not its "
		    "original bytes", doc.signatures > 1 ? "s" : "", doc.signatures > 1 ? "are" :
		    "is");
	/* The same alert again (a feed polled twice): the warning it already is. */
	if ((rc = find_imported(cli, w.warning.cap)) != EX_DATAERR)
		goto out;
	if (w.warning.msg_type != FENGHUO__MSG_TYPE__ALERT) {
		if ((rc = find_refs(cli, w.warning.cap, &ids, &refdata, &nrefs)) != EX_OK)
			goto out;
		w.body.n_refs = nrefs;
		w.body.refs = refdata;
	}
	if (!clock_ok && (rc = cli_clock_check(cli, "warnings")) != EX_OK)
		goto out;
	rc = cli_publish(cli, &w.body, o.now_ms);
out:
	cap_warning_clear(&w);
	cap_doc_clear(&doc);
	free(ids);
	free(refdata);
	free(xml);
	free(area_arg);
	return rc;
}

static const char *
region_name(void *arg, const char *code)
{
	(void)arg;
	return cli_region_deepest(code);
}

/* Write len bytes to path through path.tmp and a rename: complete or absent. */
static int
write_file(struct cli *cli, const char *path, const char *buf, size_t len)
{
	char tmp[4096];
	FILE *fp;
	int ok;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		cli_warnx(cli, "%s: name too long", path);
		return EX_USAGE;
	}
	if ((fp = fopen(tmp, "w")) == NULL) {
		cli_warn(cli, "%s", tmp);
		return EX_CANTCREAT;
	}
	ok = fwrite(buf, 1, len, fp) == len;
	ok = fflush(fp) == 0 && ok;
	ok = fsync(fileno(fp)) == 0 && ok;
	ok = fclose(fp) == 0 && ok;
	if (!ok || rename(tmp, path) == -1) {
		cli_warn(cli, "%s", path);
		unlink(tmp);
		return EX_IOERR;
	}
	return EX_OK;
}

static int
cap_export(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_msg sm;
	struct fc_msg m;
	struct cap_err err = { "" };
	const char *output = NULL;
	char *xml = NULL;
	size_t len;
	int ch, rc, profile = -1;

	while ((ch = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if ((profile = cap_profile_parse(optarg)) < 0) {
				cli_warnx(cli, "--profile %s: oasis or cn", optarg);
				return EX_USAGE;
			}
			break;
		case 'o':
			output = optarg;
			break;
		default:
			return cli_usage(&cmd_cap_entry);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(&cmd_cap_entry);
	if ((rc = cli_resolve(cli, argv[optind], &sm)) != EX_OK)
		return rc;
	rc = cli_validate_stored(sm.env, sm.len, &sm.seen, &m);
	store_msg_clear(&sm);
	if (rc != FC_R_OK) {
		cli_warnx(cli, "%s: the stored message does not validate (%s)", argv[optind],
		    fc_reason_name(rc));
		return EX_DATAERR;
	}
	if (m.body->kind != FENGHUO__KIND__WARNING) {
		cli_warnx(cli, "%s is a %s: only warnings are CAP alerts", argv[optind],
		    wire_kind_name(m.body->kind));
		fc_msg_clear(&m);
		return EX_DATAERR;
	}
	if (profile < 0)
		profile = m.body->warning->cap != NULL && m.body->warning->cap->has_profile ?
		    (int)m.body->warning->cap->profile : CAP_PROFILE_OASIS;
	rc = cap_render(m.id, m.body, profile, region_name, NULL, &xml, &len, &err);
	fc_msg_clear(&m);
	if (rc != CAP_OK) {
		cli_warnx(cli, "%s", err.msg);
		return rc == CAP_ENOMEM ? EX_OSERR : EX_DATAERR;
	}
	if (output != NULL) {
		rc = write_file(cli, output, xml, len);
	} else {
		rc = fwrite(xml, 1, len, stdout) == len && fflush(stdout) == 0 ? EX_OK :
		    EX_IOERR;
		if (rc != EX_OK)
			cli_warn(cli, "standard output");
	}
	free(xml);
	return rc;
}

static int
cmd_cap_exec(struct cli *cli, int argc, char **argv)
{
	char *sub = argc >= 2 ? argv[1] : NULL;

	/* The sub-verb's getopt sees "fenghuo: cap" as its program name, for its messages. */
	if (sub != NULL && strcmp(sub, "import") == 0) {
		argv[1] = argv[0];
		return cap_import(cli, argc - 1, argv + 1);
	}
	if (sub != NULL && strcmp(sub, "export") == 0) {
		argv[1] = argv[0];
		return cap_export(cli, argc - 1, argv + 1);
	}
	if (argc >= 2)
		cli_warnx(cli, "'%s': import or export", argv[1]);
	return cli_usage(&cmd_cap_entry);
}
