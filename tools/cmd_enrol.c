/*
 * cmd_enrol.c: `fenghuo enrol request|grant|install`: a new node joins a county's mesh with
 * one file carried each way (docs/OPERATIONS.md, *Enrol a village laptop*).
 *
 * request, on the new node: its public keys (made here if missing), name, region and the
 * roles it asks for, in a JSON file. Nothing secret leaves the machine.
 * grant, at the county office: the node's certificate, signed with the admin key exactly
 * as `fenghuo cert` signs one (cli_cert_sign), and everything the node needs to join: the
 * anchors, its peers' addresses and keys (from their certificates), and the county's
 * certificates and revocations, in a JSON file the admin key signs.
 * install, on the node: checks the grant's signature and that it was made for this node's
 * keys, then writes the anchors, imports the certificates and writes fenghuod.conf.
 *
 * The file formats are in docs/CLI.md, *enrol*. The grant's signature covers the exact
 * bytes of its "grant" string, so no canonical JSON is needed to check it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "crypto.h"
#include "ingest.h"
#include "store.h"
#include "fenghuo.h"

static int	cmd_enrol_exec(struct cli *, int, char **);

const struct cmd_entry cmd_enrol_entry = {
	"enrol",
	"enrol request|grant|install ...",
	"Enrol a new node in three steps, one file carried each way (USB stick):\n"
	"  enrol request --name N --region R [--roles R1,R2] -o REQ\n"
	"  enrol grant REQ --peer NAME=ADDRESS... [--roles R1,R2] [--days N] -o GRANT\n"
	"  enrol install GRANT [-c CONF] [--listen ENDPOINT] [--force]\n"
	"\n"
	"enrol request, on the new node: write REQ with its node and transport public keys\n"
	"(created in the state directory if missing), its name, region and requested roles.\n"
	"  --name N        the node's name (as in [node] name: no blanks, quotes, brackets)\n"
	"  --region R      its region code (6, 9 or 12 digits)\n"
	"  --roles R1,R2   roles asked for (default node,reporter)\n"
	"  -o REQ          the request file to write\n"
	"\n"
	"enrol grant REQ, at the county office, with --key the admin key: certify the node's\n"
	"keys (as 'fenghuo cert' does) and write GRANT: the certificate, the anchors, each\n"
	"peer's address and keys, and the county's certificates and revocations, signed.\n"
	"  --peer NAME=ADDRESS  a node the new one dials: NAME is the name on that node's\n"
	"                  certificate (cert --name), ADDRESS its tcp:// endpoint; repeatable\n"
	"  --roles R1,R2   roles granted (default: those requested)\n"
	"  --days N        validity of the certificate (default 365)\n"
	"  -o GRANT        the grant file to write\n"
	"\n"
	"enrol install GRANT, on the new node: check that GRANT is intact and made for this\n"
	"node's keys, add its anchors to <state>/anchors, import its certificates, and write\n"
	"fenghuod.conf; then 'fenghuod -c CONF --check' passes.\n"
	"  -c CONF          where to write the configuration (default <state>/fenghuod.conf)\n"
	"  --listen ENDPOINT  [node] listen (default: none, the node only dials out)\n"
	"  --force          replace an existing CONF (kept as CONF.bak)\n"
	"\n"
	"Exit status: 0; 64 bad arguments; 65 a bad request or grant (tampered, made for\n"
	"another node's keys, a bad region, a certificate refused); 66 a file or key missing;\n"
	"73 a file cannot be written or CONF exists.\n",
	cmd_enrol_exec,
};

#define ENROL_VERSION		1
#define ENROL_DAYS_DEFAULT	365
#define ENROL_DAYS_MAX		3650
#define ENROL_PEERS_MAX		16
/* What the admin key signs: this context, then the bytes of the grant string. */
static const char enrol_context[] = "fenghuo enrol grant v1\n";

/* A node's region: a region code of a county, township or village. */
static int
region_ok(const char *s)
{
	size_t len = strlen(s);

	return (len == 6 || len == 9 || len == 12) && fc_region_valid(s);
}

static int
hexkey(const json_t *o, const char *key, uint8_t out[32])
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && strlen(s) == 64 && fc_unhex(s, out, 32) == 0 ? 0 : -1;
}

static const char *
str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Write o to path (path.tmp, then renamed). EX_OK or EX_CANTCREAT (printed). */
static int
write_json(struct cli *cli, const char *path, const json_t *o)
{
	char tmp[4096];

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		cli_warnx(cli, "%s: name too long", path);
		return EX_CANTCREAT;
	}
	if (json_dump_file(o, tmp, JSON_INDENT(1) | JSON_SORT_KEYS) != 0 ||
	    rename(tmp, path) == -1) {
		cli_warn(cli, "%s", path);
		(void)unlink(tmp);
		return EX_CANTCREAT;
	}
	return EX_OK;
}

/* Read a request or grant file: the object, whose "fenghuo" must be what. NULL (printed). */
static json_t *
read_json(struct cli *cli, const char *path, const char *what)
{
	json_error_t e;
	json_t *o;
	const char *f;

	if ((o = json_load_file(path, JSON_REJECT_DUPLICATES, &e)) == NULL) {
		if (access(path, R_OK) == -1)
			cli_warn(cli, "%s", path);
		else
			cli_warnx(cli, "%s:%d: not an enrolment file: %s", path, e.line, e.text);
		return NULL;
	}
	f = str(o, "fenghuo");
	if (!json_is_object(o) || f == NULL || strcmp(f, what) != 0 ||
	    json_integer_value(json_object_get(o, "version")) != ENROL_VERSION) {
		cli_warnx(cli, "%s: not a version %d %s file", path, ENROL_VERSION, what);
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The transport key of this state directory (fenghuod's default), created if create. */
static int
tkey_get(struct cli *cli, int create, struct fc_tkey **out)
{
	char path[4096];
	int rc;

	snprintf(path, sizeof(path), "%s/transport.key", cli->state);
	rc = create ? fc_tkey_load_or_create(path, out, NULL) : fc_tkey_load(path, out);
	if (rc != 0) {
		cli_warnx(cli, "%s: %s", path, fc_strerror(rc));
		return rc == ENOENT ? EX_NOINPUT : EX_CANTCREAT;
	}
	return EX_OK;
}

/* The node key (cli->keypath), created first if it does not exist. */
static int
node_key_get(struct cli *cli, const struct fc_key **out)
{
	struct fc_key *key = NULL;
	int rc;

	if (access(cli->keypath, F_OK) == -1 && errno == ENOENT) {
		if (fc_key_generate(&key) != 0)
			return EX_SOFTWARE;
		rc = fc_key_save(key, cli->keypath);
		fc_key_free(&key);
		if (rc != 0) {
			cli_warnx(cli, "%s: %s", cli->keypath, fc_strerror(rc));
			return EX_CANTCREAT;
		}
	}
	return cli_key(cli, out);
}

static int
enrol_request(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "region", required_argument, NULL, 'r' },
		{ "roles", required_argument, NULL, 'R' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	Fenghuo__Role roles[FENGHUO__ROLE__ADMIN];
	const char *name = NULL, *region = NULL, *rolearg = "node,reporter", *out = NULL;
	const struct fc_key *key;
	struct fc_tkey *tk = NULL;
	char hex[2 * FC_PUBLICKEYBYTES + 1], thex[2 * FC_TKEYBYTES + 1];
	json_t *o, *ra;
	size_t nroles, i;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			name = optarg;
			break;
		case 'r':
			region = optarg;
			break;
		case 'R':
			rolearg = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			return cli_usage(&cmd_enrol_entry);
		}
	}
	if (optind != argc || name == NULL || region == NULL || out == NULL) {
		cli_warnx(cli, "enrol request: --name, --region and -o are required");
		return cli_usage(&cmd_enrol_entry);
	}
	if (!fc_node_name_valid(name)) {
		cli_warnx(cli, "--name '%s': 1 to %d printable characters without blanks, "
		    "quotes, backslashes or brackets", name, FC_NODE_NAME_MAX);
		return EX_USAGE;
	}
	if (!region_ok(region)) {
		cli_warnx(cli, "--region %s: not the region code of a county, township or "
		    "village (6, 9 or 12 digits)", region);
		return EX_USAGE;
	}
	if (cli_roles_parse(cli, rolearg, roles, &nroles) == -1)
		return EX_USAGE;
	if ((rc = cli_state_mkdir(cli)) != EX_OK || (rc = node_key_get(cli, &key)) != EX_OK ||
	    (rc = tkey_get(cli, 1, &tk)) != EX_OK)
		return rc;
	ra = json_array();
	for (i = 0; i < nroles; i++)
		json_array_append_new(ra, json_string(wire_role_name(roles[i])));
	o = json_pack("{s:s, s:i, s:s, s:s, s:o, s:s, s:s}", "fenghuo", "enrol-request",
	    "version", ENROL_VERSION, "name", name, "region", region, "roles", ra,
	    "node_key", fc_hex(fc_key_public(key), FC_PUBLICKEYBYTES, hex),
	    "transport_key", fc_hex(fc_tkey_public(tk), FC_TKEYBYTES, thex));
	fc_tkey_free(&tk);
	if (o == NULL)
		return EX_SOFTWARE;
	rc = write_json(cli, out, o);
	json_decref(o);
	if (rc == EX_OK)
		printf("enrolment request of %s (%s), node key %s, transport key %s: %s\n"
		    "carry it to the county office: fenghuo enrol grant %s ...\n", name, region,
		    hex, thex, out, out);
	return rc;
}

/* A peer of the grant, from its certificate: name, node key and transport key. */
struct enrol_peer {
	const char	*name;
	const char	*address;
	uint8_t		 key[FC_PUBLICKEYBYTES];
	uint8_t		 tkey[32];
	int		 found;
};

struct grant_ctx {
	struct enrol_peer	*peers;
	size_t			 npeers;
	json_t			*certs;		/* hex envelopes of every CERT and REVOKE */
};

static int
grant_one(void *arg, const struct store_view *v)
{
	struct grant_ctx *g = arg;
	const Fenghuo__Cert *c;
	struct fc_msg msg;
	char *hex;
	size_t i;

	/* Read back as if a peer had sent it: only what validates travels. */
	if (cli_validate_stored(v->env, v->len, v->seen, &msg) != FC_R_OK)
		return 0;
	if ((hex = malloc(2 * v->len + 1)) == NULL) {
		fc_msg_clear(&msg);
		return ENOMEM;
	}
	json_array_append_new(g->certs, json_string(fc_hex(v->env, v->len, hex)));
	free(hex);
	c = msg.body->cert;
	/* Oldest first: the newest certificate of a name wins. */
	for (i = 0; c != NULL && c->name != NULL && c->has_transport_key &&
	    c->transport_key.len == 32 && c->subject.len == FC_PUBLICKEYBYTES &&
	    i < g->npeers; i++) {
		if (strcmp(c->name, g->peers[i].name) != 0)
			continue;
		memcpy(g->peers[i].key, c->subject.data, FC_PUBLICKEYBYTES);
		memcpy(g->peers[i].tkey, c->transport_key.data, 32);
		g->peers[i].found = 1;
	}
	fc_msg_clear(&msg);
	return 0;
}

/* Every valid CERT and REVOKE of st into a new g->certs, and the peers' keys. */
static int
grant_certs(struct cli *cli, struct store *st, struct grant_ctx *g)
{
	int rc;

	if ((g->certs = json_array()) == NULL)
		return EX_OSERR;
	if ((rc = store_iter_time(st, 0, 0, FENGHUO__KIND__CERT, 0, grant_one, g)) != 0 ||
	    (rc = store_iter_time(st, 0, 0, FENGHUO__KIND__REVOKE, 0, grant_one, g)) != 0) {
		cli_warnx(cli, "reading the certificates: %s", rc == ENOMEM ?
		    "out of memory" : store_strerror(rc));
		json_decref(g->certs);
		g->certs = NULL;
		return EX_IOERR;
	}
	return EX_OK;
}

static int
enrol_grant(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "peer", required_argument, NULL, 'p' },
		{ "roles", required_argument, NULL, 'R' },
		{ "days", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	Fenghuo__Role roles[FENGHUO__ROLE__ADMIN];
	struct enrol_peer peers[ENROL_PEERS_MAX];
	struct grant_ctx g;
	struct cli_trust ct;
	const struct fc_key *admin;
	const char *rolearg = NULL, *days = NULL, *out = NULL, *reqpath, *name, *region;
	uint8_t nkey[FC_PUBLICKEYBYTES], tkey[32], id[FC_IDBYTES], sig[FC_SIGBYTES];
	char hex[2 * FC_SIGBYTES + 1], idhex[FC_IDHEX], *inner = NULL, *signed_buf = NULL;
	json_t *req = NULL, *o = NULL, *a, *pa, *outer = NULL;
	struct store *st;
	uint64_t ndays = ENROL_DAYS_DEFAULT;
	size_t nroles = 0, npeers = 0, i, len;
	int ch, rc;

	memset(peers, 0, sizeof(peers));
	while ((ch = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'p': {
			char *eq = strchr(optarg, '=');

			if (eq == NULL || eq == optarg || eq[1] == '\0') {
				cli_warnx(cli, "--peer %s: NAME=ADDRESS expected", optarg);
				return EX_USAGE;
			}
			if (npeers == ENROL_PEERS_MAX) {
				cli_warnx(cli, "--peer: at most %d", ENROL_PEERS_MAX);
				return EX_USAGE;
			}
			*eq = '\0';
			peers[npeers].name = optarg;
			peers[npeers++].address = eq + 1;
			if (!fc_node_name_valid(optarg)) {
				cli_warnx(cli, "--peer %s: not a node name", optarg);
				return EX_USAGE;
			}
			break;
		}
		case 'R':
			rolearg = optarg;
			break;
		case 'd':
			days = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			return cli_usage(&cmd_enrol_entry);
		}
	}
	if (optind + 1 != argc || out == NULL || npeers == 0) {
		cli_warnx(cli, "enrol grant: REQ, at least one --peer and -o are required");
		return cli_usage(&cmd_enrol_entry);
	}
	reqpath = argv[optind];
	if (days != NULL && (cli_parse_uint(days, ENROL_DAYS_MAX, &ndays) == -1 || ndays == 0)) {
		cli_warnx(cli, "--days %s: not a number of days from 1 to %d", days,
		    ENROL_DAYS_MAX);
		return EX_USAGE;
	}
	if (rolearg != NULL && cli_roles_parse(cli, rolearg, roles, &nroles) == -1)
		return EX_USAGE;

	/* The request: every field checked before anything is signed. */
	if ((req = read_json(cli, reqpath, "enrol-request")) == NULL)
		return EX_DATAERR;
	rc = EX_DATAERR;
	name = str(req, "name");
	region = str(req, "region");
	if (name == NULL || !fc_node_name_valid(name)) {
		cli_warnx(cli, "%s: no valid node name", reqpath);
		goto out;
	}
	if (region == NULL || !region_ok(region)) {
		cli_warnx(cli, "%s: region '%s' is not the code of a county, township or village",
		    reqpath, region != NULL ? region : "");
		goto out;
	}
	if (hexkey(req, "node_key", nkey) != 0 || hexkey(req, "transport_key", tkey) != 0) {
		cli_warnx(cli, "%s: node_key and transport_key must be 64 hex digits each",
		    reqpath);
		goto out;
	}
	if (rolearg == NULL) {
		json_array_foreach(json_object_get(req, "roles"), i, a) {
			int r = json_is_string(a) ? wire_role_parse(json_string_value(a)) : -1;

			if (r < FENGHUO__ROLE__NODE || nroles == FENGHUO__ROLE__ADMIN) {
				cli_warnx(cli, "%s: a requested role is not one", reqpath);
				goto out;
			}
			roles[nroles++] = (Fenghuo__Role)r;
		}
		if (nroles == 0) {
			cli_warnx(cli, "%s: no roles requested; give --roles", reqpath);
			goto out;
		}
	}

	/* The office's anchors: what the node will trust. */
	if ((rc = cli_trust_load(cli, &ct)) != EX_OK)
		goto out;
	if (ct.nanchors == 0) {
		cli_warnx(cli, "no trust anchors in %s/anchors: grant from the county office's "
		    "state directory (fenghuo init-county)", cli->state);
		cli_trust_clear(&ct);
		rc = EX_CONFIG;
		goto out;
	}
	o = json_object();
	a = json_array();
	for (i = 0; i < ct.nanchors; i++)
		json_array_append_new(a, json_string(fc_hex(ct.anchors[i], 32, hex)));
	cli_trust_clear(&ct);
	json_object_set_new(o, "anchors", a);
	if ((rc = cli_key(cli, &admin)) != EX_OK || (rc = cli_store(cli, 0, &st)) != EX_OK)
		goto out;

	/* The peers' keys first: a grant that cannot be complete signs nothing. */
	memset(&g, 0, sizeof(g));
	g.peers = peers;
	g.npeers = npeers;
	if ((rc = grant_certs(cli, st, &g)) != EX_OK)
		goto out;
	json_decref(g.certs);
	for (i = 0; i < npeers; i++)
		if (!peers[i].found) {
			cli_warnx(cli, "--peer %s: no certificate named '%s' with a transport key "
			    "in this store (fenghuo keys lists them)", peers[i].name,
			    peers[i].name);
			rc = EX_DATAERR;
			goto out;
		}
	if ((rc = cli_cert_sign(cli, admin, nkey, roles, nroles, region, ndays, name, tkey,
	    id)) != EX_OK)
		goto out;
	/* The county's certificates, the new one among them (a direct write reopened st). */
	if ((rc = cli_store(cli, 0, &st)) != EX_OK || (rc = grant_certs(cli, st, &g)) != EX_OK)
		goto out;
	json_object_set_new(o, "certs", g.certs);
	pa = json_array();
	json_object_set_new(o, "peers", pa);
	for (i = 0; i < npeers; i++) {
		char khex[65], thex[65];

		json_array_append_new(pa, json_pack("{s:s, s:s, s:s, s:s}", "name",
		    peers[i].name, "address", peers[i].address, "key",
		    fc_hex(peers[i].key, 32, khex), "transport", fc_hex(peers[i].tkey, 32, thex)));
	}
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "region", json_string(region));
	json_object_set_new(o, "node_key", json_string(fc_hex(nkey, 32, hex)));
	json_object_set_new(o, "transport_key", json_string(fc_hex(tkey, 32, hex)));
	json_object_set_new(o, "cert", json_string(fc_hex(id, FC_IDBYTES, idhex)));

	/* Signed: the context, then the exact bytes of the grant string. */
	if ((inner = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		rc = EX_SOFTWARE;
		goto out;
	}
	len = strlen(enrol_context) + strlen(inner);
	if ((signed_buf = malloc(len)) == NULL) {
		rc = EX_OSERR;
		goto out;
	}
	memcpy(signed_buf, enrol_context, strlen(enrol_context));
	memcpy(signed_buf + strlen(enrol_context), inner, strlen(inner));
	fc_sign(admin, (const uint8_t *)signed_buf, len, sig);
	outer = json_pack("{s:s, s:i, s:s, s:s}", "fenghuo", "enrol-grant", "version",
	    ENROL_VERSION, "grant", inner, "signature", fc_hex(sig, sizeof(sig), hex));
	json_object_set_new(outer, "admin",
	    json_string(fc_hex(fc_key_public(admin), FC_PUBLICKEYBYTES, hex)));
	if ((rc = write_json(cli, out, outer)) == EX_OK)
		printf("certificate %s for %s (%s), %zu peer(s), %zu certificate(s): %s\n"
		    "carry it to the node: fenghuo enrol install %s\n", idhex, name, region,
		    npeers, json_array_size(g.certs), out, out);
out:
	free(signed_buf);
	free(inner);
	json_decref(outer);
	json_decref(o);
	json_decref(req);
	return rc;
}

/*
 * The grant inside the file at path, after checking its signature by the admin key it
 * names. NULL (printed) for anything else.
 */
static json_t *
grant_open(struct cli *cli, const char *path)
{
	json_t *outer, *o = NULL;
	json_error_t e;
	const char *inner, *sighex;
	uint8_t admin[FC_PUBLICKEYBYTES], sig[FC_SIGBYTES];
	char *buf = NULL;
	size_t len;

	if ((outer = read_json(cli, path, "enrol-grant")) == NULL)
		return NULL;
	inner = str(outer, "grant");
	sighex = str(outer, "signature");
	if (inner == NULL || sighex == NULL || hexkey(outer, "admin", admin) != 0 ||
	    strlen(sighex) != 2 * FC_SIGBYTES || fc_unhex(sighex, sig, sizeof(sig)) != 0) {
		cli_warnx(cli, "%s: incomplete grant (grant, admin, signature)", path);
		goto out;
	}
	len = strlen(enrol_context) + strlen(inner);
	if ((buf = malloc(len)) == NULL)
		goto out;
	memcpy(buf, enrol_context, strlen(enrol_context));
	memcpy(buf + strlen(enrol_context), inner, strlen(inner));
	if (fc_verify(admin, (const uint8_t *)buf, len, sig) != 0) {
		cli_warnx(cli, "%s: the signature does not match: the grant was altered or "
		    "damaged; nothing installed", path);
		goto out;
	}
	if ((o = json_loads(inner, JSON_REJECT_DUPLICATES, &e)) == NULL || !json_is_object(o)) {
		cli_warnx(cli, "%s: the grant does not parse", path);
		json_decref(o);
		o = NULL;
	}
out:
	free(buf);
	json_decref(outer);
	return o;
}

/* fenghuod.conf for the grant g: written to conf (conf.tmp, renamed). */
static int
write_conf(struct cli *cli, const char *conf, const json_t *g, const char *listen)
{
	char tmp[4096 + 8], date[32], abs_state[4096];
	const json_t *p, *a;
	time_t now = time(NULL);
	size_t i;
	FILE *f;

	if (realpath(cli->state, abs_state) == NULL) {
		cli_warn(cli, "%s", cli->state);
		return EX_CANTCREAT;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", conf);
	if ((f = fopen(tmp, "w")) == NULL) {
		cli_warn(cli, "%s", tmp);
		return EX_CANTCREAT;
	}
	strftime(date, sizeof(date), "%Y-%m-%d", gmtime(&now));
	fprintf(f, "# Written by `fenghuo enrol install` on %s from the county office's grant.\n"
	    "# docs/CONFIG.md describes every key; `fenghuod -c FILE --check` checks it.\n\n"
	    "[node]\nname   = %s\nregion = %s\n", date, str(g, "name"), str(g, "region"));
	if (cli->keypath[0] == '/')
		fprintf(f, "key    = %s\n", cli->keypath);
	else {
		char abs_key[4096];

		fprintf(f, "key    = %s\n", realpath(cli->keypath, abs_key) != NULL ?
		    abs_key : cli->keypath);
	}
	fprintf(f, "transport_key = %s/transport.key\nstate  = %s\n", abs_state, abs_state);
	if (listen != NULL)
		fprintf(f, "listen = %s\n", listen);
	fprintf(f, "\n[trust]\n# the county root key(s), also in %s/anchors for the CLI\n"
	    "anchors = ", abs_state);
	json_array_foreach(json_object_get(g, "anchors"), i, a)
		fprintf(f, "%s%s", i > 0 ? ", " : "", json_string_value(a));
	fputc('\n', f);
	json_array_foreach(json_object_get(g, "peers"), i, p)
		fprintf(f, "\n[peer %s]\naddress   = %s\nkey       = %s\ntransport = %s\n",
		    str(p, "name"), str(p, "address"), str(p, "key"), str(p, "transport"));
	if (fflush(f) == EOF || fsync(fileno(f)) == -1 || ferror(f)) {
		cli_warn(cli, "%s", tmp);
		fclose(f);
		(void)unlink(tmp);
		return EX_IOERR;
	}
	fclose(f);
	if (rename(tmp, conf) == -1) {
		cli_warn(cli, "%s", conf);
		(void)unlink(tmp);
		return EX_CANTCREAT;
	}
	return EX_OK;
}

/* Every field install uses, checked before anything is written. 0, or -1 (printed). */
static int
grant_check(struct cli *cli, const char *path, const json_t *g)
{
	const json_t *p, *a;
	uint8_t k[32];
	size_t i;

	if (str(g, "name") == NULL || !fc_node_name_valid(str(g, "name")) || str(g, "region") == NULL ||
	    !region_ok(str(g, "region")) || !json_is_array(json_object_get(g, "anchors")) ||
	    json_array_size(json_object_get(g, "anchors")) == 0 ||
	    !json_is_array(json_object_get(g, "certs")) || str(g, "cert") == NULL) {
		cli_warnx(cli, "%s: the grant lacks a name, region, anchors or certificates", path);
		return -1;
	}
	json_array_foreach(json_object_get(g, "anchors"), i, a)
		if (!json_is_string(a) || strlen(json_string_value(a)) != 64 ||
		    fc_unhex(json_string_value(a), k, 32) != 0) {
			cli_warnx(cli, "%s: an anchor is not a key", path);
			return -1;
		}
	json_array_foreach(json_object_get(g, "peers"), i, p)
		if (str(p, "name") == NULL || !fc_node_name_valid(str(p, "name")) ||
		    str(p, "address") == NULL || strpbrk(str(p, "address"), "\n\r;#") != NULL ||
		    hexkey(p, "key", k) != 0 || hexkey(p, "transport", k) != 0) {
			cli_warnx(cli, "%s: peer %zu is incomplete", path, i + 1);
			return -1;
		}
	return 0;
}

static int
enrol_install(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf = NULL, *listen = NULL, *path, *hexenv;
	char confbuf[4096], bak[4096 + 8], hex[65];
	const struct fc_key *key;
	struct fc_tkey *tk = NULL;
	struct cli_put *items = NULL;
	uint8_t want[32], cert[FC_IDBYTES];
	const json_t *a;
	struct stat sb;
	json_t *g;
	size_t i, n = 0;
	int ch, rc, force = 0, mine = -1;

	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'l':
			listen = optarg;
			break;
		case 'f':
			force = 1;
			break;
		default:
			return cli_usage(&cmd_enrol_entry);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(&cmd_enrol_entry);
	path = argv[optind];
	if (listen != NULL && (strncmp(listen, "tcp://", 6) != 0 ||
	    strpbrk(listen, "\n\r;#, ") != NULL)) {
		cli_warnx(cli, "--listen %s: one tcp://HOST:PORT endpoint", listen);
		return EX_USAGE;
	}
	if (conf == NULL) {
		snprintf(confbuf, sizeof(confbuf), "%s/fenghuod.conf", cli->state);
		conf = confbuf;
	}
	if (strlen(conf) >= 4096) {
		cli_warnx(cli, "-c: name too long");
		return EX_USAGE;
	}
	if (!force && stat(conf, &sb) == 0) {
		cli_warnx(cli, "%s exists; --force replaces it (keeping it as %s.bak)", conf,
		    conf);
		return EX_CANTCREAT;
	}
	if ((g = grant_open(cli, path)) == NULL)
		return EX_DATAERR;
	rc = EX_DATAERR;
	if (grant_check(cli, path, g) != 0)
		goto out;
	/* Made for this node: its own node and transport keys. */
	if ((rc = cli_key(cli, &key)) != EX_OK || (rc = tkey_get(cli, 0, &tk)) != EX_OK)
		goto out;
	rc = EX_DATAERR;
	if (hexkey(g, "node_key", want) != 0 || memcmp(want, fc_key_public(key), 32) != 0 ||
	    hexkey(g, "transport_key", want) != 0 || memcmp(want, fc_tkey_public(tk), 32) != 0) {
		cli_warnx(cli, "%s was made for another node's keys (this node's key is %s): "
		    "nothing installed", path, fc_hex(fc_key_public(key), 32, hex));
		goto out;
	}
	if (strlen(str(g, "cert")) != 2 * FC_IDBYTES ||
	    fc_unhex(str(g, "cert"), cert, sizeof(cert)) != 0)
		goto out;

	/* The anchors first: the certificates are judged against them. */
	json_array_foreach(json_object_get(g, "anchors"), i, a) {
		uint8_t k[32];

		(void)fc_unhex(json_string_value(a), k, sizeof(k));
		if ((rc = cli_anchors_add(cli, k, "county root, from the enrolment grant")) !=
		    EX_OK)
			goto out;
	}
	rc = EX_DATAERR;
	n = json_array_size(json_object_get(g, "certs"));
	if ((items = calloc(n + 1, sizeof(*items))) == NULL) {
		rc = EX_OSERR;
		goto out;
	}
	json_array_foreach(json_object_get(g, "certs"), i, a) {
		size_t len;
		uint8_t *env;

		hexenv = json_string_value(a);
		len = hexenv != NULL && strlen(hexenv) % 2 == 0 ? strlen(hexenv) / 2 : 0;
		env = len > 0 && len <= WIRE_ENVELOPE_MAX ? malloc(len) : NULL;
		items[i].env = env;	/* freed at out: */
		items[i].len = len;
		if (env == NULL || fc_unhex(hexenv, env, len) != 0) {
			cli_warnx(cli, "%s: certificate %zu is not an envelope", path, i + 1);
			goto out;
		}
	}
	if ((rc = cli_submit_batch(cli, items, n)) != EX_OK)
		goto out;
	for (i = 0; i < n; i++)
		if (memcmp(items[i].id, cert, FC_IDBYTES) == 0)
			mine = (int)i;
	if (mine < 0 || (items[mine].status != INGEST_NEW &&
	    items[mine].status != INGEST_DUP)) {
		cli_warnx(cli, "%s: this node's certificate was not accepted%s%s", path,
		    mine < 0 ? "" : ": ", mine < 0 ? "" : fc_reason_text(items[mine].reason));
		rc = EX_DATAERR;
		goto out;
	}
	if (force && stat(conf, &sb) == 0) {
		snprintf(bak, sizeof(bak), "%s.bak", conf);
		if (rename(conf, bak) == -1) {
			cli_warn(cli, "%s", bak);
			rc = EX_CANTCREAT;
			goto out;
		}
	}
	if ((rc = write_conf(cli, conf, g, listen)) != EX_OK)
		goto out;
	printf("enrolled as %s (%s): %zu certificate(s) imported, %zu anchor(s), %zu peer(s)\n"
	    "configuration: %s\ncheck it: fenghuod -c %s --check\n", str(g, "name"),
	    str(g, "region"), n, json_array_size(json_object_get(g, "anchors")),
	    json_array_size(json_object_get(g, "peers")), conf, conf);
out:
	for (i = 0; items != NULL && i < n; i++)
		free((void *)(uintptr_t)items[i].env);
	free(items);
	fc_tkey_free(&tk);
	json_decref(g);
	return rc;
}

static int
cmd_enrol_exec(struct cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(&cmd_enrol_entry);
	optind = 0;	/* getopt starts again, at argv[1] */
	argc--;
	argv++;
	if (strcmp(argv[0], "request") == 0)
		return enrol_request(cli, argc, argv);
	if (strcmp(argv[0], "grant") == 0)
		return enrol_grant(cli, argc, argv);
	if (strcmp(argv[0], "install") == 0)
		return enrol_install(cli, argc, argv);
	cli_warnx(cli, "enrol %s: request, grant or install", argv[0]);
	return cli_usage(&cmd_enrol_entry);
}
