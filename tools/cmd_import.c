/*
 * cmd_import.c: `fenghuo import FILE`: store the messages of a bundle (docs/BUNDLE.md).
 *
 * Each entry is judged exactly like a message from a peer (store_put_batch validates every
 * new id), in batches of IMPORT_BATCH per write transaction. The file is read one entry at
 * a time (bundle_read), so a bundle of any size imports in a few megabytes. A damaged file is reported,
 * and the entries found before the damage are still judged one by one: their signatures,
 * not the file's checksum, are what make them safe to store.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "crypto.h"
#include "store.h"
#include "fenghuo.h"

#define IMPORT_BATCH	256

static int	cmd_import_exec(struct cli *, int, char **);

const struct cmd_entry cmd_import_entry = {
	"import",
	"import FILE",
	"Read the bundle FILE (written by `fenghuo export`) and store every message in it\n"
	"that validates, exactly as if a peer had sent it. Prints how many were new,\n"
	"duplicates, and rejected (by reason); each rejected entry is also reported on\n"
	"standard error. A damaged file (truncated, bad checksum) is reported; the entries\n"
	"before the damage are still judged one by one.\n"
	"\n"
	"Exit status: 0 nothing rejected and the file intact; 65 some entries were\n"
	"rejected or the file is damaged (the valid entries are stored); 66 FILE missing;\n"
	"74 the file could not be read to its end (the entries before are stored) or the\n"
	"store cannot be written; 64 bad arguments.\n",
	cmd_import_exec,
};

/*
 * Entries wait for their batch in one arena, copied out of the reader (which holds one
 * entry at a time): memory is bounded by IMPORT_BATCH_BYTES plus one envelope, whatever the
 * size of the file on the stick.
 */
#define IMPORT_BATCH_BYTES	(4u * 1024 * 1024)

struct import_ctx {
	struct cli		*cli;
	struct store_put	 batch[IMPORT_BATCH];
	size_t			 at[IMPORT_BATCH];	/* arena offset of each entry */
	size_t			 off[IMPORT_BATCH];	/* file offset of each entry */
	uint8_t			*arena;
	size_t			 used, cap;
	size_t			 n;
	uint32_t		 first;		/* entry number of batch[0] */
	uint64_t		 n_new, n_dup, n_rej;
	uint64_t		 by_reason[FC_R_MAX + 1];
	int			 rc;		/* first submit error */
};

static int
import_flush(struct import_ctx *ctx)
{
	struct store_put *p;
	char hex[FC_IDHEX];
	size_t i;
	int rc;

	if (ctx->n == 0)
		return 0;
	for (i = 0; i < ctx->n; i++)
		ctx->batch[i].env = ctx->arena + ctx->at[i];	/* the arena no longer moves */
	if ((rc = cli_submit_batch(ctx->cli, ctx->batch, ctx->n)) != EX_OK) {
		ctx->rc = rc;
		return 1;
	}
	for (i = 0; i < ctx->n; i++) {
		p = &ctx->batch[i];
		switch (p->status) {
		case STORE_NEW:
			ctx->n_new++;
			break;
		case STORE_DUP:
			ctx->n_dup++;
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
	return 0;
}

static int
import_one(void *arg, const uint8_t *env, size_t len, size_t off)
{
	struct import_ctx *ctx = arg;
	struct store_put *p;
	uint8_t *a;
	size_t cap;

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
	p->from = NULL;
	ctx->at[ctx->n] = ctx->used;
	ctx->off[ctx->n] = off;
	ctx->used += len;
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

static int
cmd_import_exec(struct cli *cli, int argc, char **argv)
{
	struct import_ctx *ctx;
	struct bundle_info info;
	struct stat sb;
	const char *path;
	int ch, rc, i, fd;

	if ((ch = getopt(argc, argv, "")) != -1)
		return cli_usage(&cmd_import_entry);
	if (optind + 1 != argc) {
		cli_warnx(cli, "one bundle FILE is required");
		return cli_usage(&cmd_import_entry);
	}
	path = argv[optind];
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		cli_warn(cli, "%s", path);
		return errno == ENOENT ? EX_NOINPUT : errno == EACCES ? EX_NOPERM : EX_IOERR;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		cli_warnx(cli, "%s: not a regular file", path);
		close(fd);
		return EX_NOINPUT;
	}
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL) {
		cli_warn(cli, "calloc");
		close(fd);
		return EX_OSERR;
	}
	ctx->cli = cli;
	rc = bundle_read(fd_read, &fd, import_one, ctx, &info);
	if (rc == 0)
		import_flush(ctx);
	if (ctx->rc != EX_OK) {
		/* The store could not be written: batches committed so far are counted. */
		rc = ctx->rc;
		goto out;
	}
	if (rc == -1) {
		/* A stick pulled out mid-read: what was read before is judged, the rest is not. */
		cli_warn(cli, "%s: cannot read at offset %zu; the %u entries before it are "
		    "judged one by one", path, info.error_off, info.entries);
		if (import_flush(ctx) != 0) {
			rc = ctx->rc;
			goto out;
		}
	}
	if (info.error == BUNDLE_E_MAGIC || info.error == BUNDLE_E_VERSION) {
		cli_warnx(cli, "%s: %s; nothing imported", path, bundle_strerror(info.error));
		rc = EX_DATAERR;
		goto out;
	}
	printf("new: %llu\nduplicate: %llu\nrejected: %llu\n",
	    (unsigned long long)ctx->n_new, (unsigned long long)ctx->n_dup,
	    (unsigned long long)ctx->n_rej);
	for (i = 0; i <= FC_R_MAX; i++) {
		if (ctx->by_reason[i] > 0)
			printf("rejected %s: %llu\n", i < FC_R_MAX ? fc_reason_name(i) : "unknown",
			    (unsigned long long)ctx->by_reason[i]);
	}
	if (rc == -1) {
		rc = EX_IOERR;
		goto out;
	}
	rc = ctx->n_rej > 0 ? EX_DATAERR : EX_OK;
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
	close(fd);
	free(ctx->arena);
	free(ctx);
	return rc;
}
