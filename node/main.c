/*
 * main.c: fenghuod, the fenghuo node daemon.
 *
 *   fenghuod [-d] [-c FILE]        run in the foreground (systemd/journald style)
 *   fenghuod -c FILE --check       check the configuration only
 *   fenghuod --keygen FILE         create a node key, print its public half in hex
 *   fenghuod --pubkey FILE         print the public half of a node key
 *   fenghuod -c FILE --show-keys   print the node's public key and transport public key
 *   fenghuod --version | --help    print the version (and git commit) or the options
 *
 * Logs go to stderr. SIGINT and SIGTERM stop the daemon cleanly, SIGHUP has it read its
 * configuration again (reload.c): the handler sets a flag and writes a byte to a self-pipe
 * that the poll loop watches, so a signal that arrives just before zmq_poll still wakes it.
 * The signals are blocked in ZeroMQ's own threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "node.h"
#include "fh_version.h"

#define CONF_DEFAULT	"/etc/fenghuo/fenghuod.conf"

static volatile sig_atomic_t got_signal;
static volatile sig_atomic_t got_hup;
static int sigpipe_wr = -1;	/* the self-pipe's write end, for the handler */

/* Only set the flag, and wake the poll loop through the self-pipe. */
static void
on_signal(int sig)
{
	int saved = errno;

	/* SIGCHLD: a hook program ended; the loop's pass reaps it (hook.c). */
	if (sig == SIGHUP)
		got_hup = 1;
	else if (sig != SIGCHLD)
		got_signal = 1;
	if (sigpipe_wr >= 0 && write(sigpipe_wr, "", 1) == -1) {
		/* A full pipe has woken the loop already. */
	}
	errno = saved;
}

/* Usage on fp; exits with code (0 for --help, EX_USAGE for a mistake). */
static void
usage(FILE *fp, int code)
{
	fprintf(fp,
	    "usage: fenghuod [-d] [-c FILE] [--check | --show-keys]\n"
	    "       fenghuod --keygen FILE | --pubkey FILE | --version | --help\n"
	    "  -c, --config FILE  configuration (default " CONF_DEFAULT ")\n"
	    "      --check        check the configuration, print \"configuration OK\" or the "
	    "errors\n"
	    "  -d, --debug        log at debug level, whatever log_level says\n"
	    "      --show-keys    print the node key and the transport (CurveZMQ) public key in\n"
	    "                     hex, creating either key if missing\n"
	    "      --keygen FILE  create a node key (mode 0600), print its public key in hex\n"
	    "      --pubkey FILE  print the public key of a node key in hex\n"
	    "      --version      print the version (and git commit) and exit\n"
	    "  -h, --help         print this help and exit\n");
	exit(code);
}

static int
keytool(const char *path, int create)
{
	struct fc_key *key = NULL;
	char hex[2 * FC_PUBLICKEYBYTES + 1];
	int rc;

	if (create) {
		if ((rc = fc_key_generate(&key)) == 0)
			rc = fc_key_save(key, path);
	} else {
		rc = fc_key_load(path, &key);
	}
	if (rc != 0) {
		fprintf(stderr, "fenghuod: %s: %s\n", path, fc_strerror(rc));
		fc_key_free(&key);
		return rc == FC_EKEYPERM ? EX_NOPERM : rc == FC_EKEYFMT ? EX_DATAERR :
		    create ? EX_CANTCREAT : EX_NOINPUT;
	}
	printf("%s\n", fc_hex(fc_key_public(key), FC_PUBLICKEYBYTES, hex));
	fc_key_free(&key);
	return EX_OK;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "debug", no_argument, NULL, 'd' },
		{ "keygen", required_argument, NULL, 'K' },
		{ "pubkey", required_argument, NULL, 'P' },
		{ "show-keys", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CONF_DEFAULT;
	struct conf *conf = NULL;
	struct node *n;
	struct sigaction sa;
	sigset_t set, old;
	int ch, check = 0, debug = 0, nerr, sigpipe[2], showkeys = 0;

	while ((ch = getopt_long(argc, argv, "c:dnh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'S':
			showkeys = 1;
			break;
		case 'd':
			debug = 1;
			break;
		case 'K':
		case 'P':
			if (fc_init() != 0) {
				fprintf(stderr, "fenghuod: cannot initialise libsodium\n");
				return EX_SOFTWARE;
			}
			return keytool(optarg, ch == 'K');
		case 'V':
			printf("fenghuod %s%s%s%s\n", FH_VERSION, FH_GIT_COMMIT[0] != '\0' ?
			    " (git " : "", FH_GIT_COMMIT, FH_GIT_COMMIT[0] != '\0' ? ")" : "");
			return EX_OK;
		case 'h':
			usage(stdout, EX_OK);
			break;
		default:
			usage(stderr, EX_USAGE);
		}
	}
	if (optind != argc)
		usage(stderr, EX_USAGE);
	if (fc_init() != 0) {
		fprintf(stderr, "fenghuod: cannot initialise libsodium\n");
		return EX_SOFTWARE;
	}

	if ((nerr = conf_load(path, stderr, &conf)) != 0) {
		fprintf(stderr, "fenghuod: %s: %d error%s\n", path, nerr, nerr == 1 ? "" : "s");
		return EX_CONFIG;
	}
	if (check) {
		printf("configuration OK\n");
		conf_free(&conf);
		return EX_OK;
	}
	if (showkeys) {
		log_init(conf->log_level);
		nerr = curve_show_keys(conf, stdout);
		conf_free(&conf);
		return nerr == 0 ? EX_OK : EX_CANTCREAT;
	}
	log_init(debug ? LOG_LEVEL_DEBUG : conf->log_level);

	if (pipe(sigpipe) != 0)
		fatal("pipe");
	for (ch = 0; ch < 2; ch++)
		if (fcntl(sigpipe[ch], F_SETFL, O_NONBLOCK) != 0 ||
		    fcntl(sigpipe[ch], F_SETFD, FD_CLOEXEC) != 0)
			fatal("fcntl");
	sigpipe_wr = sigpipe[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: zmq_poll must return EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/*
	 * A hook program's end: the self-pipe wakes the poll, so nothing else need be
	 * interrupted (SA_RESTART), and a stopped child is no news (SA_NOCLDSTOP).
	 */
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_flags = 0;
	signal(SIGPIPE, SIG_IGN);
	/*
	 * A file-size limit (ulimit -f, systemd LimitFSIZE) is then a failed write, handled like
	 * a full disk (the batch is not committed, nothing is acknowledged), not a crash.
	 */
	signal(SIGXFSZ, SIG_IGN);
	/* ZeroMQ's threads start inside node_new and inherit this mask: signals come to us. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	n = node_new(conf);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (n == NULL)
		fatalx("cannot start");
	n->sigflag = &got_signal;
	n->hupflag = &got_hup;
	n->sigfd = sigpipe[0];
	node_run(n);
	node_free(&n);
	return EX_OK;
}
