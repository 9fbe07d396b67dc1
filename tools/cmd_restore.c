/*
 * cmd_restore.c: `fenghuo restore FILE`, the store of an empty state directory made from a
 * backup (cmd_backup.c; store_restore). Refuses a directory that holds anything, so that no
 * node's store, keys or held messages are ever overwritten or mixed with another's.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "store.h"
#include "fenghuo.h"

static int	cmd_restore_exec(struct cli *, int, char **);

const struct cmd_entry cmd_restore_entry = {
	"restore",
	"restore [--json] FILE",
	"Make the store of the state directory from the backup FILE (`fenghuo backup`):\n"
	"every message with its first-seen time, hops and the peer it came from. The\n"
	"state directory must be empty or absent (it is created); fenghuod must not run on\n"
	"it. The restored store is checked to hold what FILE holds; run as root, its files\n"
	"take the owner and group of the state directory (the fenghuo user's). Then put the\n"
	"node's keys back and start fenghuod: its peers send what came since the backup.\n"
	"\n"
	"  --json   one JSON object: file, messages, digest\n"
	"\n"
	"Exit status: 0; 64 bad arguments; 65 FILE is no fenghuo store, or the copy differs;\n"
	"66 FILE missing; 73 the state directory is not empty or cannot be created;\n"
	"74 read or write error; 78 FILE is of a newer schema.\n",
	cmd_restore_exec,
};

/* The first entry of dir but . and .., copied into name; 0 if none, -1 (errno) on error. */
static int
first_entry(const char *dir, char *name, size_t size)
{
	struct dirent *de;
	DIR *d;
	int found = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(name, size, "%s", de->d_name);
		found = 1;
		break;
	}
	closedir(d);
	return found;
}

/* Run as root: give the store's files the owner and group of the state directory. */
static int
restore_chown(struct cli *cli)
{
	static const char *const files[] = { "data.mdb", "lock.mdb" };
	char path[4096];
	struct stat sb;
	size_t i;

	if (geteuid() != 0 || stat(cli->state, &sb) != 0 || sb.st_uid == 0)
		return EX_OK;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", cli->state, files[i]);
		if (chown(path, sb.st_uid, sb.st_gid) != 0 && errno != ENOENT) {
			cli_warn(cli, "chown %s", path);
			return EX_IOERR;
		}
	}
	return EX_OK;
}

static int
cmd_restore_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_backup_info info;
	const char *path;
	char name[256];
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			cli->json = 1;
			break;
		default:
			return cli_usage(&cmd_restore_entry);
		}
	}
	if (optind + 1 != argc || argv[optind][0] == '\0') {
		cli_warnx(cli, "FILE is required");
		return cli_usage(&cmd_restore_entry);
	}
	path = argv[optind];
	if (access(path, R_OK) != 0) {
		cli_warn(cli, "%s", path);
		return errno == ENOENT ? EX_NOINPUT : EX_NOPERM;
	}
	/* FILE first: a wrong file changes nothing, not even the directory. */
	if ((rc = store_backup_info(path, &info)) != 0) {
		cli_warnx(cli, "cannot restore %s: %s", path, store_strerror(rc));
		return rc == STORE_ENOTSTORE ? EX_DATAERR : cli_store_exit(rc);
	}
	if ((rc = first_entry(cli->state, name, sizeof(name))) == 1) {
		cli_warnx(cli, "refusing to restore into %s: the directory is not empty (it holds "
		    "%s); restore into an empty state directory, with fenghuod stopped",
		    cli->state, name);
		return EX_CANTCREAT;
	}
	if (rc == -1 && errno != ENOENT) {
		cli_warn(cli, "%s", cli->state);
		return errno == EACCES ? EX_NOPERM : EX_CANTCREAT;
	}
	if ((rc = cli_state_mkdir(cli)) != EX_OK)
		return rc;
	if ((rc = store_restore(path, cli->state, &info)) != 0) {
		cli_warnx(cli, "cannot restore %s into %s: %s", path, cli->state,
		    store_strerror(rc));
		return rc == STORE_ENOTSTORE ? EX_DATAERR : cli_store_exit(rc);
	}
	if ((rc = restore_chown(cli)) != EX_OK)
		return rc;
	cli_backup_print(cli, "restored", cli->state, &info);
	return EX_OK;
}
