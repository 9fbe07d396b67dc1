/*
 * cmd_keygen.c: `fenghuo keygen [-o FILE]`: create a node key and print its public half.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "crypto.h"
#include "fenghuo.h"

static int	cmd_keygen_exec(struct cli *, int, char **);

const struct cmd_entry cmd_keygen_entry = {
	"keygen",
	"keygen [-o FILE]",
	"Generate a new Ed25519 key pair, write it to FILE (default: the --key path,\n"
	"<state>/node.key) with mode 0600, and print the public key in hex.\n"
	"An existing file is never overwritten.\n"
	"\n"
	"  -o, --output FILE   where to write the key\n"
	"\n"
	"Exit status: 0; 73 (EX_CANTCREAT) if FILE exists or cannot be created.\n",
	cmd_keygen_exec,
};

static int
cmd_keygen_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct fc_key *key = NULL;
	const char *path = NULL;
	char hex[2 * FC_PUBLICKEYBYTES + 1];
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			path = optarg;
			break;
		default:
			return cli_usage(&cmd_keygen_entry);
		}
	}
	if (optind != argc)
		return cli_usage(&cmd_keygen_entry);
	if (path == NULL) {
		/*
		 * A key in the state directory (the default one): create that (0700) first.
		 * A --key elsewhere creates no state directory, least of all the default
		 * one (/var/lib/fenghuo for root), which may be the packaged daemon's.
		 */
		path = cli->keypath;
		if (strncmp(path, cli->state, strlen(cli->state)) == 0 &&
		    path[strlen(cli->state)] == '/' && (rc = cli_state_mkdir(cli)) != EX_OK)
			return rc;
	}
	if ((rc = fc_key_generate(&key)) != 0) {
		cli_warnx(cli, "cannot generate a key: %s", fc_strerror(rc));
		return EX_SOFTWARE;
	}
	rc = fc_key_save(key, path);
	if (rc != 0) {
		cli_warnx(cli, "%s: %s%s", path, fc_strerror(rc),
		    rc == EEXIST ? " (refusing to overwrite a key)" : "");
		fc_key_free(&key);
		return rc == EACCES || rc == EPERM ? EX_NOPERM : EX_CANTCREAT;
	}
	printf("%s\n", fc_hex(fc_key_public(key), FC_PUBLICKEYBYTES, hex));
	fc_key_free(&key);
	return EX_OK;
}
