/*
 * cmd_import.c: `fenghuo import FILE`: store the messages of a bundle (docs/BUNDLE.md).
 *
 * Each entry is judged exactly like a message from a peer: validated, then judged by the
 * trust policy, in batches of up to IMPORT_BATCH entries per write transaction. One whose
 * author's certificate chain is not known here is held, not stored (store/held.c), until the
 * chain arrives. With fenghuod running, each batch is one "import" request on its control
 * socket and one commit there; without, the CLI writes the batch itself. The file is read
 * one entry at a time (bundle_read), so a bundle of any size imports in a few megabytes. A
 * damaged file is reported, and the entries found before the damage are still judged one by
 * one: their signatures, not the file's checksum, are what make them safe to store.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "crypto.h"
#include "store.h"
#include "ingest.h"
#include "fenghuo.h"

#define IMPORT_BATCH	CLI_CTL_IMPORT_MAX

static int	cmd_import_exec(struct cli *, int, char **);

const struct cmd_entry cmd_import_entry = {
	"import",
	"import [--progress] FILE|-",
	"Read the bundle FILE (written by `fenghuo export`; - reads standard input) and\n"
	"judge every message in it exactly as if a peer had sent it. Prints how many were\n"
	"new, duplicates, held and rejected (by reason); each rejected entry is also\n"
	"reported on standard error. A message whose author's certificate chain is not known\n"
	"here yet is held, not stored: kept in <state>/held (`fenghuo list --held`), stored\n"
	"when the certificate arrives (by a later import, or by fenghuod), never shown as in\n"
	"force. A damaged file (truncated, bad checksum) is reported; the entries before the\n"
	"damage are still judged one by one.\n"
	"\n"
	"With fenghuod running, the entries go through it, up to 1024 per request and\n"
	"commit. If it stops part-way, the entries stored until then are counted and the\n"
	"rest is not imported (run the import again: stored entries count as duplicates).\n"
	"\n"
	"  --progress   show progress (entries, rate, ETA) on standard error even when it is\n"
	"               not a terminal (on a terminal it is shown anyway)\n"
	"\n"
	"Exit status: 0 nothing rejected and the file intact (held entries are not errors);\n"
	"65 some entries were rejected or the file is damaged (the valid entries are stored\n"
	"or held); 66 FILE missing; 74 the file could not be read to its end (the entries\n"
	"before are judged) or the store cannot be written; 75 fenghuod stopped part-way;\n"
	"64 bad arguments.\n",
	cmd_import_exec,
};

/*
 * Entries wait for their batch in one arena, copied out of the reader (which holds one
 * entry at a time): memory is bounded by IMPORT_BATCH_BYTES plus one envelope, whatever the
 * size of the file on the stick.
 */
#define IMPORT_BATCH_BYTES	CLI_CTL_IMPORT_BYTES

struct import_ctx {
	struct cli		*cli;
	struct cli_ctl		*ctl;		/* the daemon's control socket, or NULL: direct */
	struct cli_put	 batch[IMPORT_BATCH];
	size_t			 at[IMPORT_BATCH];	/* arena offset of each entry */
	size_t			 off[IMPORT_BATCH];	/* file offset of each entry */
	uint8_t			*arena;
	size_t			 used, cap;
	size_t			 n;
	uint32_t		 first;		/* entry number of batch[0] */
	uint64_t		 n_new, n_dup, n_rej, n_held;
	uint64_t		 by_reason[FC_R_MAX + 1];
	int			 rc;		/* first submit error */
	int			 inflight;	/* ... and the failed batch had been sent */
	size_t			 lost;		/* entries of the batch that failed */
	/* progress on stderr */
	int			 progress;	/* 0 off, 1 terminal (one line, \r), 2 lines */
	uint64_t		 t0, last;	/* monotonic ms: start, last progress line */
	size_t			 size;		/* the file's size, 0 when unknown (a pipe) */
	size_t			 pos;		/* file offset after the last entry judged */
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* "N entries, R/s[, P%, ETA T]" on stderr, at most twice a second unless final. */
static void
import_progress(struct import_ctx *ctx, int final)
{
	uint64_t now = mono_ms(), el, done, rate, eta;
	char tail[64] = "";

	if (!ctx->progress || (!final && now - ctx->last < 500))
		return;
	ctx->last = now;
	el = now > ctx->t0 ? now - ctx->t0 : 1;
	done = ctx->n_new + ctx->n_dup + ctx->n_rej + ctx->n_held;
	rate = done * 1000 / el;
	if (final)
		snprintf(tail, sizeof(tail), " in %.1f s", (double)el / 1000);
	else if (ctx->size > 0 && ctx->pos > 0 && ctx->pos <= ctx->size) {
		eta = (uint64_t)((double)el * (double)(ctx->size - ctx->pos) / (double)ctx->pos /
		    1000);
		snprintf(tail, sizeof(tail), ", %d%%, ETA %llu:%02llu",
		    (int)(100.0 * (double)ctx->pos / (double)ctx->size),
		    (unsigned long long)(eta / 60), (unsigned long long)(eta % 60));
	}
	fprintf(stderr, "%simport: %llu entries, %llu/s%s%s", ctx->progress == 1 ? "\r" : "",
	    (unsigned long long)done, (unsigned long long)rate, tail,
	    ctx->progress == 1 && !final ? "   " : "\n");
	fflush(stderr);
}

static int
import_flush(struct import_ctx *ctx)
{
	struct cli_put *p;
	char hex[FC_IDHEX];
	size_t i;
	int rc;

	if (ctx->n == 0)
		return 0;
	for (i = 0; i < ctx->n; i++)
		ctx->batch[i].env = ctx->arena + ctx->at[i];	/* the arena no longer moves */
	if (ctx->ctl != NULL)
		rc = cli_ctl_import(ctx->cli, ctx->ctl, ctx->batch, ctx->n, &ctx->inflight);
	else
		rc = cli_store_batch(ctx->cli, ctx->batch, ctx->n, 1);
	if (rc != EX_OK) {
		ctx->rc = rc;
		ctx->lost = ctx->n;
		return 1;
	}
	for (i = 0; i < ctx->n; i++) {
		p = &ctx->batch[i];
		switch (p->status) {
		case INGEST_NEW:
			ctx->n_new++;
			break;
		case INGEST_DUP:
			ctx->n_dup++;
			break;
		case INGEST_HELD:
			ctx->n_held++;
			break;
		case 0:
			/* fenghuod could not take it (out of memory): counted as not imported. */
			ctx->lost++;
			break;
		default:
			ctx->n_rej++;
			ctx->by_reason[p->reason >= 0 && p->reason < FC_R_MAX ? p->reason :
			    FC_R_MAX]++;
			if (p->reason == FC_R_DECODE || p->reason == FC_R_TOO_BIG)
				strcpy(hex, "?");
			else
				fc_hex(p->id, FC_IDBYTES, hex);
			if (p->reason == FC_R_POLICY && p->policy_reason != 0)
				cli_warnx(ctx->cli, "entry %u at offset %zu (id %s): rejected by "
				    "the trust policy: %s: %s", ctx->first + (uint32_t)i + 1,
				    ctx->off[i], hex, fc_policy_reason_name(p->policy_reason),
				    fc_policy_reason_text(p->policy_reason));
			else
				cli_warnx(ctx->cli, "entry %u at offset %zu (id %s): rejected: "
				    "%s: %s", ctx->first + (uint32_t)i + 1, ctx->off[i], hex,
				    fc_reason_name(p->reason), fc_reason_text(p->reason));
			break;
		}
	}
	ctx->first += (uint32_t)ctx->n;
	ctx->n = 0;
	ctx->used = 0;
	import_progress(ctx, 0);
	return 0;
}

static int
import_one(void *arg, const uint8_t *env, size_t len, size_t off)
{
	struct import_ctx *ctx = arg;
	struct cli_put *p;
	uint8_t *a;
	size_t cap;

	/* A control request carries at most CLI_CTL_IMPORT_BYTES of length-prefixed entries. */
	if (ctx->n > 0 && ctx->used + 4 * (ctx->n + 1) + len > CLI_CTL_IMPORT_BYTES &&
	    import_flush(ctx) != 0)
		return 1;
	if (ctx->cap - ctx->used < len) {
		for (cap = ctx->cap > 0 ? ctx->cap : 65536; cap - ctx->used < len; cap *= 2)
			;
		if ((a = realloc(ctx->arena, cap)) == NULL) {
			cli_warn(ctx->cli, "realloc");
			ctx->rc = EX_OSERR;
			return 1;
		}
		ctx->arena = a;
		ctx->cap = cap;
	}
	memcpy(ctx->arena + ctx->used, env, len);
	p = &ctx->batch[ctx->n];
	memset(p, 0, sizeof(*p));
	p->len = len;
	ctx->at[ctx->n] = ctx->used;
	ctx->off[ctx->n] = off;
	ctx->used += len;
	ctx->pos = off + 4 + len;
	if (++ctx->n == IMPORT_BATCH || ctx->used >= IMPORT_BATCH_BYTES)
		return import_flush(ctx);
	return 0;
}

static ssize_t
fd_read(void *arg, void *buf, size_t n)
{
	ssize_t k;

	while ((k = read(*(int *)arg, buf, n)) == -1 && errno == EINTR)
		;
	return k;
}

/* The counts on stdout (also after fenghuod stopped part-way: what it did store). */
static void
import_report(struct import_ctx *ctx)
{
	int i;

	printf("new: %llu\nduplicate: %llu\n", (unsigned long long)ctx->n_new,
	    (unsigned long long)ctx->n_dup);
	if (ctx->n_held > 0)
		printf("held: %llu (author's certificate not here yet; `fenghuo list --held`)\n",
		    (unsigned long long)ctx->n_held);
	else
		printf("held: 0\n");
	if (ctx->cli->held_unkept > 0)
		printf("held, not kept: %zu (the held area is full)\n", ctx->cli->held_unkept);
	printf("rejected: %llu\n", (unsigned long long)ctx->n_rej);
	for (i = 0; i <= FC_R_MAX; i++) {
		if (ctx->by_reason[i] > 0)
			printf("rejected %s: %llu\n", i < FC_R_MAX ? fc_reason_name(i) : "unknown",
			    (unsigned long long)ctx->by_reason[i]);
	}
}

/* fenghuod stopped (or failed) part-way: say what it stored and what it did not. */
static void
import_stopped(struct import_ctx *ctx, const char *path)
{
	uint64_t done = ctx->n_new + ctx->n_dup + ctx->n_held + ctx->n_rej;

	import_report(ctx);
	cli_warnx(ctx->cli, "%s: import stopped after %llu entries: %llu stored (%llu new, "
	    "%llu already there), %llu held, %llu rejected%s; the rest was not imported: run "
	    "the import again when fenghuod runs (stored entries then count as duplicates)",
	    path, (unsigned long long)done,
	    (unsigned long long)(ctx->n_new + ctx->n_dup), (unsigned long long)ctx->n_new,
	    (unsigned long long)ctx->n_dup, (unsigned long long)ctx->n_held,
	    (unsigned long long)ctx->n_rej,
	    ctx->inflight ? "; the last batch sent may or may not have been stored" : "");
}

static int
cmd_import_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "progress", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct import_ctx *ctx;
	struct bundle_info info;
	struct stat sb;
	json_t *status;
	const char *path;
	int ch, rc, fd, progress = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			progress = 1;
			break;
		default:
			return cli_usage(&cmd_import_entry);
		}
	}
	if (optind + 1 != argc) {
		cli_warnx(cli, "one bundle FILE is required");
		return cli_usage(&cmd_import_entry);
	}
	path = argv[optind];
	if (strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
		path = "standard input";
	} else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		cli_warn(cli, "%s", path);
		return errno == ENOENT ? EX_NOINPUT : errno == EACCES ? EX_NOPERM : EX_IOERR;
	}
	/* A file, or a pipe or socket (another fenghuo's export): not a directory or device. */
	if (fstat(fd, &sb) == -1 ||
	    !(S_ISREG(sb.st_mode) || S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode))) {
		cli_warnx(cli, "%s: not a regular file or pipe", path);
		if (fd != STDIN_FILENO)
			close(fd);
		return EX_NOINPUT;
	}
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL) {
		cli_warn(cli, "calloc");
		if (fd != STDIN_FILENO)
			close(fd);
		return EX_OSERR;
	}
	ctx->cli = cli;
	ctx->size = S_ISREG(sb.st_mode) ? (size_t)sb.st_size : 0;
	ctx->progress = isatty(STDERR_FILENO) ? 1 : progress ? 2 : 0;
	ctx->t0 = ctx->last = mono_ms();
	/* One decision for the whole file: through the daemon, or (none running) directly. */
	rc = cli_daemon_status(cli, &ctx->ctl, &status);
	if (rc == EX_OK)
		json_decref(status);
	else if (rc != EX_UNAVAILABLE)
		goto out;	/* one may run that we cannot reach: do not write around it */
	rc = bundle_read(fd_read, &fd, import_one, ctx, &info);
	if (rc == 0)
		import_flush(ctx);
	if (ctx->rc != EX_OK) {
		if (ctx->progress == 1)
			fputc('\n', stderr);
		/* Batches committed so far are counted. */
		if (ctx->ctl != NULL)
			import_stopped(ctx, path);
		rc = ctx->ctl != NULL ? EX_TEMPFAIL : ctx->rc;
		goto out;
	}
	if (rc == -1) {
		/* A stick pulled out mid-read: what was read before is judged, the rest is not. */
		cli_warn(cli, "%s: cannot read at offset %zu; the %u entries before it are "
		    "judged one by one", path, info.error_off, info.entries);
		if (import_flush(ctx) != 0) {
			if (ctx->ctl != NULL)
				import_stopped(ctx, path);
			rc = ctx->ctl != NULL ? EX_TEMPFAIL : ctx->rc;
			goto out;
		}
	}
	import_progress(ctx, 1);
	if (info.error == BUNDLE_E_MAGIC || info.error == BUNDLE_E_VERSION) {
		cli_warnx(cli, "%s: %s; nothing imported", path, bundle_strerror(info.error));
		rc = EX_DATAERR;
		goto out;
	}
	import_report(ctx);
	/*
	 * Without a daemon, what was held before may be storable now (this bundle brought
	 * certificates). fenghuod does the same by itself when a certificate arrives.
	 */
	if (ctx->ctl == NULL && cli_held_release(cli) == EX_OK &&
	    cli->released + cli->held_dropped > 0)
		printf("released: %llu (held before; their certificate chain is known now)\n"
		    "dropped: %llu (held before; refused by the trust policy now)\n",
		    (unsigned long long)cli->released, (unsigned long long)cli->held_dropped);
	if (rc == -1) {
		rc = EX_IOERR;
		goto out;
	}
	rc = ctx->n_rej > 0 ? EX_DATAERR : EX_OK;
	if (cli->held_unkept > 0) {
		cli_warnx(cli, "%s: %zu entries waiting for a certificate were not kept: %s; "
		    "%s", path, cli->held_unkept, store_strerror(STORE_EHELDFULL),
		    ctx->ctl != NULL ? "fenghuod holds them in memory until it stops" :
		    "see fenghuo list --held");
		rc = EX_CANTCREAT;
	}
	if (ctx->lost > 0) {
		cli_warnx(cli, "%s: fenghuod could not take %zu entries (out of memory); they were "
		    "not imported: run the import again", path, ctx->lost);
		rc = EX_TEMPFAIL;
	}
	if (info.error != BUNDLE_OK) {
		if (info.error == BUNDLE_E_COUNT)
			cli_warnx(cli, "%s: %s (trailer says %u, found %u); the %u entries found "
			    "were judged one by one", path, bundle_strerror(info.error),
			    info.trailer_count, info.entries, info.entries);
		else
			cli_warnx(cli, "%s: %s at offset %zu; the %u entries before it were "
			    "judged one by one", path, bundle_strerror(info.error),
			    info.error_off, info.entries);
		rc = EX_DATAERR;
	}
out:
	cli_ctl_close(&ctx->ctl);
	if (fd != STDIN_FILENO)
		close(fd);
	free(ctx->arena);
	free(ctx);
	return rc;
}
