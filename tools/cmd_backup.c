/*
 * cmd_backup.c: `fenghuo backup FILE`, a consistent compacted copy of the node's store,
 * taken while fenghuod runs (store_backup: LMDB's own copy inside one read transaction).
 * `fenghuo restore FILE` (cmd_restore.c) makes a store from it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <sysexits.h>

#include <jansson.h>

#include "crypto.h"
#include "store.h"
#include "fenghuo.h"

static int	cmd_backup_exec(struct cli *, int, char **);

const struct cmd_entry cmd_backup_entry = {
	"backup",
	"backup [--json] FILE",
	"Write a consistent, compacted copy of the store to FILE while fenghuod runs:\n"
	"every message as signed, with its first-seen time, hops and the peer it came\n"
	"from, as of one commit of the daemon (LMDB's own copy, never a file copy).\n"
	"FILE is written as FILE.tmp, synced, then renamed (an existing FILE is replaced).\n"
	"Prints the messages and the store digest the copy holds. The keys are not in it:\n"
	"keep node.key and transport.key apart (docs/OPERATIONS.md).\n"
	"\n"
	"  --json   one JSON object: file, messages, digest\n"
	"\n"
	"Exit status: 0; 64 bad arguments; 66 no store yet; 73 FILE cannot be created;\n"
	"74 read or write error.\n",
	cmd_backup_exec,
};

/* One line, or a JSON object, saying what a backup holds (restore prints the same). */
void
cli_backup_print(struct cli *cli, const char *what, const char *path,
    const struct store_backup_info *info)
{
	char hex[2 * sizeof(info->digest) + 1];
	json_t *o;

	fc_hex(info->digest, sizeof(info->digest), hex);
	if (cli->json) {
		o = json_pack("{s:s,s:I,s:s}", "file", path, "messages",
		    (json_int_t)info->messages, "digest", hex);
		if (o != NULL)
			(void)cli_json_out(cli, o);
		json_decref(o);
		return;
	}
	printf("%s %llu message%s, digest %s: %s\n", what,
	    (unsigned long long)info->messages, info->messages == 1 ? "" : "s", hex, path);
}

static int
cmd_backup_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_backup_info info;
	struct store *st;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			cli->json = 1;
			break;
		default:
			return cli_usage(&cmd_backup_entry);
		}
	}
	if (optind + 1 != argc || argv[optind][0] == '\0') {
		cli_warnx(cli, "FILE is required");
		return cli_usage(&cmd_backup_entry);
	}
	if ((rc = cli_store(cli, 0, &st)) != EX_OK)
		return rc;
	if ((rc = store_backup(st, argv[optind], &info)) != 0) {
		cli_warnx(cli, "%s: %s", argv[optind], store_strerror(rc));
		return rc == EACCES ? EX_NOPERM : rc == ENOENT || rc == EROFS || rc == ENOSPC ||
		    rc == EISDIR || rc == ENOTDIR ? EX_CANTCREAT : EX_IOERR;
	}
	cli_backup_print(cli, "backup of", argv[optind], &info);
	return EX_OK;
}
