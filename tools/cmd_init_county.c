/*
 * cmd_init_county.c: `fenghuo init-county`: set up a county's trust root once: create the
 * root key, certify the county office's admin key with it, and make this node trust the
 * root (docs/SECURITY.md, docs/TRUST.md).
 *
 * The root key is the one secret everything else hangs on, so this verb is careful: it
 * never overwrites a key file, it removes the root key it just created if anything after
 * that fails (nothing signed by it was stored then), and it ends by telling the operator,
 * in plain words, to take the root key offline.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "crypto.h"
#include "store.h"
#include "fenghuo.h"

static int	cmd_init_county_exec(struct cli *, int, char **);

const struct cmd_entry cmd_init_county_entry = {
	"init-county",
	"init-county --region COUNTYCODE --root-key FILE --admin-key FILE [--days N] "
	"[--name T]",
	"Create the trust root of a county, once, on the machine of the county emergency\n"
	"office:\n"
	"  1. a new county root key in FILE (--root-key; never overwritten);\n"
	"  2. the admin key in --admin-key FILE, unless that file exists already;\n"
	"  3. the first admin certificate: roles admin, issuer, verifier, reporter and node\n"
	"     for the county's region, valid N days, signed by the root key and stored;\n"
	"  4. the root public key appended to <state>/anchors, so that this node trusts it.\n"
	"Then it explains how to keep the root key offline. Every other node needs the root\n"
	"public key in its fenghuod.conf ([trust] anchors = HEX) or <state>/anchors.\n"
	"\n"
	"  --region COUNTYCODE   the county's 6-digit division code (any region prefix is\n"
	"                        accepted: a city or province may run its own root)\n"
	"  --root-key FILE       where to create the root key (must not exist)\n"
	"  --admin-key FILE      the admin's key: created if missing, else used as is\n"
	"  --days N              validity of the admin certificate (default 365, 1..3650)\n"
	"  --name T              the admin's name in the certificate (default \"county\n"
	"                        office admin COUNTYCODE\")\n"
	"\n"
	"Exit status: 0; 64 bad arguments; 73 the root key file exists or cannot be\n"
	"created; 77 the admin key file is readable by others.\n",
	cmd_init_county_exec,
};

#define DAY_MS		(24ULL * 3600 * 1000)
#define DAYS_MAX	3650

static int
key_save(struct cli *cli, const struct fc_key *key, const char *path, const char *what)
{
	int rc;

	if ((rc = fc_key_save(key, path)) == 0)
		return EX_OK;
	cli_warnx(cli, "%s %s: %s%s", what, path, fc_strerror(rc),
	    rc == EEXIST ? " (refusing to overwrite a key)" : "");
	return rc == EACCES || rc == EPERM ? EX_NOPERM : EX_CANTCREAT;
}

static int
key_load(struct cli *cli, const char *path, struct fc_key **out)
{
	int rc;

	switch ((rc = fc_key_load(path, out))) {
	case 0:
		return EX_OK;
	case FC_EKEYPERM:
		cli_warnx(cli, "admin key %s is readable by group or others; refusing to use "
		    "it (chmod 600 %s)", path, path);
		return EX_NOPERM;
	case FC_EKEYFMT:
		cli_warnx(cli, "%s is not a fenghuo key file: %s", path, fc_strerror(rc));
		return EX_DATAERR;
	default:
		cli_warnx(cli, "cannot load admin key %s: %s", path, fc_strerror(rc));
		return rc == EACCES || rc == EPERM ? EX_NOPERM : EX_NOINPUT;
	}
}

static void
explain(struct cli *cli, const char *region, const uint8_t *root, const char *rootpath,
    const uint8_t *admin, const char *adminpath, int admin_new, const uint8_t *certid,
    uint64_t not_after)
{
	char rh[2 * FC_PUBLICKEYBYTES + 1], ah[2 * FC_PUBLICKEYBYTES + 1], id[FC_IDHEX];
	char until[32];

	fc_hex(root, FC_PUBLICKEYBYTES, rh);
	fc_hex(admin, FC_PUBLICKEYBYTES, ah);
	printf("County %s: trust root created.\n"
	    "\n"
	    "root key:          %s\n"
	    "root key file:     %s\n"
	    "admin key:         %s\n"
	    "admin key file:    %s (%s)\n"
	    "admin certificate: %s\n"
	    "                   admin, issuer, verifier, reporter, node for %s, until %s\n"
	    "anchors file:      %s/%s (this node now trusts the root key)\n"
	    "\n",
	    region, rh, rootpath, ah, adminpath, admin_new ? "new" : "existing",
	    fc_hex(certid, FC_IDBYTES, id), region, cli_fmt_time(not_after, until,
	    sizeof(until)), cli->state, CLI_ANCHORS_FILE);
	printf("Every node of the county must trust this root key. In each fenghuod.conf:\n"
	    "\n"
	    "    [trust]\n"
	    "    anchors = %s\n"
	    "\n"
	    "(the CLI of a node reads <state>/%s: one key per line). Restart fenghuod\n"
	    "after changing it. The admin certificate spreads to every node like any message.\n"
	    "\n", rh, CLI_ANCHORS_FILE);
	printf("TAKE THE ROOT KEY OFFLINE NOW.\n"
	    "  Whoever holds %s can certify anyone as anything in the county,\n"
	    "  including issuing warnings (不得多头发布 depends on it), and nothing can\n"
	    "  revoke the root key except changing the configuration of every node.\n"
	    "  - Copy it to two USB sticks, kept in the office safe (and a second, sealed,\n"
	    "    location); then delete it from this machine (shred -u %s).\n"
	    "  - Never put it on a networked machine again. Use it on an offline laptop\n"
	    "    only, and carry the resulting message over with 'fenghuo export/import'.\n"
	    "  - It is needed only to create or replace admin certificates, and to revoke\n"
	    "    an admin key.\n"
	    "\n"
	    "Day-to-day work uses the admin key (--key %s):\n"
	    "  fenghuo --key %s cert --subject PUBKEY --roles reporter,node \\\n"
	    "      --region VILLAGECODE --days 365 --name \"...\"\n"
	    "\n"
	    "If the admin key is lost or stolen, on the offline machine with the root key:\n"
	    "  fenghuo --key ROOTKEYFILE revoke %s \\\n"
	    "      --reason \"admin key lost\" --from WHEN-IT-WAS-LAST-SAFE\n"
	    "  fenghuo keygen -o NEW-ADMIN-KEY     (on the office machine)\n"
	    "  fenghuo --key ROOTKEYFILE cert --subject NEWPUBKEY \\\n"
	    "      --roles admin,issuer,verifier,reporter,node --region %s --days 365\n"
	    "then carry both messages to a node (export/import). See docs/SECURITY.md.\n",
	    rootpath, rootpath, adminpath, adminpath, ah, region);
}

static int
cmd_init_county_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "region", required_argument, NULL, 'r' },
		{ "root-key", required_argument, NULL, 'R' },
		{ "admin-key", required_argument, NULL, 'A' },
		{ "days", required_argument, NULL, 'd' },
		{ "name", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	static const Fenghuo__Role roles[] = {
		FENGHUO__ROLE__ADMIN, FENGHUO__ROLE__ISSUER, FENGHUO__ROLE__VERIFIER,
		FENGHUO__ROLE__REPORTER, FENGHUO__ROLE__NODE,
	};
	Fenghuo__Body body = FENGHUO__BODY__INIT;
	Fenghuo__Cert cert = FENGHUO__CERT__INIT;
	Fenghuo__Role certroles[sizeof(roles) / sizeof(roles[0])];
	struct fc_key *root = NULL, *admin = NULL;
	const char *rootpath = NULL, *adminpath = NULL, *days = NULL;
	char *region = NULL, *name = NULL, defname[64], anchorname[128], date[32];
	char rhex[2 * FC_PUBLICKEYBYTES + 1];
	uint8_t rootpub[FC_PUBLICKEYBYTES], adminpub[FC_PUBLICKEYBYTES], id[FC_IDBYTES];
	uint64_t now = cli_now_ms(), ndays = 365;
	struct stat sb;
	int ch, rc, admin_new = 0, root_saved = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			region = optarg;
			break;
		case 'R':
			rootpath = optarg;
			break;
		case 'A':
			adminpath = optarg;
			break;
		case 'd':
			days = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		default:
			return cli_usage(&cmd_init_county_entry);
		}
	}
	if (optind != argc) {
		cli_warnx(cli, "unexpected argument '%s'", argv[optind]);
		return cli_usage(&cmd_init_county_entry);
	}
	if (region == NULL || rootpath == NULL || adminpath == NULL) {
		cli_warnx(cli, "--region, --root-key and --admin-key are required");
		return cli_usage(&cmd_init_county_entry);
	}
	if (!fc_region_valid(region)) {
		cli_warnx(cli, "--region %s: not a region code (a county has 6 digits)", region);
		return EX_USAGE;
	}
	if (days != NULL && (cli_parse_uint(days, DAYS_MAX, &ndays) == -1 || ndays == 0)) {
		cli_warnx(cli, "--days %s: not a number of days from 1 to %d", days, DAYS_MAX);
		return EX_USAGE;
	}
	if (name != NULL && (name[0] == '\0' || !fc_utf8_valid(name, strlen(name)))) {
		cli_warnx(cli, "--name must be non-empty UTF-8");
		return EX_USAGE;
	}
	if (strcmp(rootpath, adminpath) == 0) {
		cli_warnx(cli, "the root key and the admin key must be different files");
		return EX_USAGE;
	}
	/* Check before creating anything: an existing root key is never touched. */
	if (lstat(rootpath, &sb) == 0) {
		cli_warnx(cli, "root key %s exists; refusing to overwrite it (a county has "
		    "one root: see docs/SECURITY.md)", rootpath);
		return EX_CANTCREAT;
	}
	if (lstat(adminpath, &sb) == 0) {
		if ((rc = key_load(cli, adminpath, &admin)) != EX_OK)
			return rc;
	} else if (errno != ENOENT) {
		cli_warn(cli, "admin key %s", adminpath);
		return EX_NOINPUT;
	}

	if ((rc = fc_key_generate(&root)) != 0) {
		cli_warnx(cli, "cannot generate a key: %s", fc_strerror(rc));
		rc = EX_SOFTWARE;
		goto out;
	}
	if ((rc = key_save(cli, root, rootpath, "root key")) != EX_OK)
		goto out;
	root_saved = 1;
	memcpy(rootpub, fc_key_public(root), sizeof(rootpub));
	if (admin == NULL) {
		if ((rc = fc_key_generate(&admin)) != 0) {
			cli_warnx(cli, "cannot generate a key: %s", fc_strerror(rc));
			rc = EX_SOFTWARE;
			goto out;
		}
		if ((rc = key_save(cli, admin, adminpath, "admin key")) != EX_OK)
			goto out;
		admin_new = 1;
	}

	memcpy(adminpub, fc_key_public(admin), sizeof(adminpub));
	memcpy(certroles, roles, sizeof(roles));
	if (name == NULL) {
		snprintf(defname, sizeof(defname), "county office admin %s", region);
		name = defname;
	}
	cert.has_subject = 1;
	cert.subject.data = adminpub;
	cert.subject.len = FC_PUBLICKEYBYTES;
	cert.n_roles = sizeof(certroles) / sizeof(certroles[0]);
	cert.roles = certroles;
	cert.scope = region;
	cert.has_not_before_ms = 1;
	cert.not_before_ms = now - CLI_CERT_SLACK_MS;
	cert.has_not_after_ms = 1;
	cert.not_after_ms = now + ndays * DAY_MS;
	cert.name = name;
	body.has_kind = 1;
	body.kind = FENGHUO__KIND__CERT;
	body.region = region;
	body.cert = &cert;
	if ((rc = cli_publish_as(cli, root, &body, now, id)) != EX_OK)
		goto out;
	root_saved = 0;	/* it has signed a stored certificate: it is the county's root now */
	snprintf(anchorname, sizeof(anchorname), "county root %s, created %s",
	    region, cli_fmt_time(now, date, sizeof(date)));
	if ((rc = cli_anchors_add(cli, rootpub, anchorname)) != EX_OK) {
		cli_warnx(cli, "the admin certificate is stored; add the root key %s to %s/%s "
		    "by hand", fc_hex(rootpub, FC_PUBLICKEYBYTES, rhex), cli->state,
		    CLI_ANCHORS_FILE);
		goto out;
	}
	explain(cli, region, rootpub, rootpath, adminpub, adminpath, admin_new, id,
	    cert.not_after_ms);
out:
	if (root_saved && unlink(rootpath) == 0)
		cli_warnx(cli, "removed the new root key %s again; nothing was set up",
		    rootpath);
	fc_key_free(&root);
	fc_key_free(&admin);
	return rc;
}
