/*
 * fenghuo.c: main() of the fenghuo CLI: global options, the verb table, dispatch and help.
 *
 * Global options come before the verb ("fenghuo --state DIR list"); everything after the
 * verb belongs to it. Each verb lives in its own cmd_<verb>.c and is listed once in cmds[]
 * below; adding a verb is one line here and one in tools/CMakeLists.txt.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "crypto.h"
#include "fenghuo.h"
#include "fh_version.h"

#define FH_SYSTEM_STATE	"/var/lib/fenghuo"	/* the packaged daemon's (tools/systemd) */

/* Every verb, in the order `fenghuo help` lists them. */
static const struct cmd_entry *const cmds[] = {
	&cmd_keygen_entry,
	&cmd_report_entry,
	&cmd_warn_entry,
	&cmd_receipt_entry,
	&cmd_list_entry,
	&cmd_show_entry,
	&cmd_export_entry,
	&cmd_import_entry,
	&cmd_backup_entry,
	&cmd_restore_entry,
	&cmd_status_entry,
	&cmd_peers_entry,
	&cmd_watch_entry,
	&cmd_duty_entry,
	&cmd_coverage_entry,
	&cmd_trace_entry,
	&cmd_cap_entry,
	&cmd_drill_entry,
	&cmd_board_entry,
	&cmd_cert_entry, &cmd_revoke_entry, &cmd_keys_entry, &cmd_init_county_entry,
	&cmd_enrol_entry,
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const char global_usage[] = "usage: fenghuo [--state DIR] [--key FILE] COMMAND [ARGS]\n"
    "       fenghuo --version | --help\n";

int
cli_usage(const struct cmd_entry *entry)
{
	fprintf(stderr, "usage: fenghuo %s\n", entry->usage);
	fprintf(stderr, "Run 'fenghuo %s --help' for details.\n", entry->name);
	return EX_USAGE;
}

int
cli_help(const struct cmd_entry *entry)
{
	printf("usage: fenghuo %s\n\n%s", entry->usage, entry->help);
	if (entry->help[0] != '\0' && entry->help[strlen(entry->help) - 1] != '\n')
		putchar('\n');
	return EX_OK;
}

static void
help_all(FILE *fp)
{
	size_t i;

	fputs(global_usage, fp);
	fputs("\nGlobal options:\n"
	      "  --state DIR   state directory (default $FENGHUO_STATE, else /var/lib/fenghuo\n"
	      "                for root or when this user may read it (group fenghuo), else\n"
	      "                $XDG_STATE_HOME/fenghuo or ~/.local/state/fenghuo)\n"
	      "  --key FILE    node key (default <state>/node.key)\n"
	      "  --version     print the version (and git commit) and exit\n"
	      "  -h, --help    print this help and exit\n"
	      "\nCommands:\n",
	    fp);
	for (i = 0; i < NCMDS; i++)
		fprintf(fp, "  %s\n", cmds[i]->usage);
	fputs("\nRun 'fenghuo COMMAND --help' for the options of one command.\n", fp);
}

static const struct cmd_entry *
cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i]->name, name) == 0)
			return cmds[i];
	return NULL;
}

/* a followed by b, malloc()ed; NULL when out of memory. */
static char *
concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *p;

	if ((p = malloc(la + lb + 1)) == NULL)
		return NULL;
	memcpy(p, a, la);
	memcpy(p + la, b, lb + 1);
	return p;
}

/*
 * The default state directory (see help_all), malloc()ed; NULL if none can be found. The
 * system daemon's directory wins whenever this user can read it: a member of the group
 * fenghuo (the packaged daemon's, mode 0750) then works with the node of the machine, as an
 * officer on a township server expects, without --state.
 */
static char *
default_state(void)
{
	const char *env, *home;
	struct stat sb;

	if ((env = getenv("FENGHUO_STATE")) != NULL && env[0] != '\0')
		return strdup(env);
	if (geteuid() == 0 || (stat(FH_SYSTEM_STATE, &sb) == 0 && S_ISDIR(sb.st_mode) &&
	    access(FH_SYSTEM_STATE, R_OK | X_OK) == 0))
		return strdup(FH_SYSTEM_STATE);
	if ((env = getenv("XDG_STATE_HOME")) != NULL && env[0] == '/')
		return concat(env, "/fenghuo");
	if ((home = getenv("HOME")) == NULL || home[0] == '\0')
		return NULL;
	return concat(home, "/.local/state/fenghuo");
}

/* 1 if the verb's arguments ask for help: "--help" anywhere before "--", or "-h" first. */
static int
wants_help(int argc, char **argv)
{
	int i;

	if (argc > 1 && strcmp(argv[1], "-h") == 0)
		return 1;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static char prog[] = "fenghuo";
	struct cli cli;
	const struct cmd_entry *entry;
	char verbprog[64];
	const char *state = NULL, *keypath = NULL;
	int ch, rc;

	memset(&cli, 0, sizeof(cli));
	cli_locale_init();	/* display widths of Chinese text in tables */
	/* Text from the network reaches a terminal as text, never as control sequences. */
	cli_tty_guard();
	/* getopt's own messages start with argv[0]: make them "fenghuo: ...". */
	argv[0] = prog;
	/* "+": stop at the verb, whose options are its own. */
	while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			state = optarg;
			break;
		case 'k':
			keypath = optarg;
			break;
		case 'h':
			help_all(stdout);
			return EX_OK;
		case 'V':
			printf("fenghuo %s%s%s%s\n", FH_VERSION, FH_GIT_COMMIT[0] != '\0' ?
			    " (git " : "", FH_GIT_COMMIT, FH_GIT_COMMIT[0] != '\0' ? ")" : "");
			return EX_OK;
		default:
			fputs(global_usage, stderr);
			return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		help_all(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[0], "help") == 0) {
		if (argc == 1) {
			help_all(stdout);
			return EX_OK;
		}
		if ((entry = cmd_find(argv[1])) == NULL) {
			fprintf(stderr, "fenghuo: help: unknown command '%s'\n", argv[1]);
			return EX_USAGE;
		}
		return cli_help(entry);
	}
	if ((entry = cmd_find(argv[0])) == NULL) {
		fprintf(stderr, "fenghuo: unknown command '%s'\n", argv[0]);
		help_all(stderr);
		return EX_USAGE;
	}
	if (wants_help(argc, argv))
		return cli_help(entry);

	cli.verb = entry->name;
	if (state != NULL) {
		if (state[0] == '\0') {
			cli_warnx(&cli, "--state: empty directory name");
			return EX_USAGE;
		}
		cli.state_buf = strdup(state);
	} else if ((cli.state_buf = default_state()) == NULL) {
		cli_warnx(&cli, "no state directory: set --state, FENGHUO_STATE or HOME");
		return EX_CONFIG;
	}
	if (keypath != NULL)
		cli.keypath_buf = strdup(keypath);
	else if (cli.state_buf != NULL)
		cli.keypath_buf = concat(cli.state_buf, "/node.key");
	if (cli.state_buf == NULL || cli.keypath_buf == NULL) {
		cli_warnx(&cli, "out of memory");
		cli_free(&cli);
		return EX_OSERR;
	}
	cli.state = cli.state_buf;
	cli.keypath = cli.keypath_buf;
	if (fc_init() != 0) {
		cli_warnx(&cli, "cannot initialise libsodium");
		cli_free(&cli);
		return EX_SOFTWARE;
	}

	/*
	 * The verb parses its argv with getopt_long from the start (glibc: optind 0); getopt's
	 * messages then read "fenghuo: VERB: unrecognized option ...".
	 */
	snprintf(verbprog, sizeof(verbprog), "fenghuo: %s", entry->name);
	argv[0] = verbprog;
	optind = 0;
	rc = entry->exec(&cli, argc, argv);
	if (fflush(stdout) == EOF && rc == EX_OK) {
		cli_warn(&cli, "standard output");
		rc = EX_IOERR;
	}
	cli_free(&cli);
	return rc;
}
