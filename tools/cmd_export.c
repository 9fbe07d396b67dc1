/*
 * cmd_export.c: `fenghuo export -o FILE`: write stored messages to a bundle file
 * (docs/BUNDLE.md), for carrying them where no link reaches.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "crypto.h"
#include "store.h"
#include "fenghuo.h"

static int	cmd_export_exec(struct cli *, int, char **);

const struct cmd_entry cmd_export_entry = {
	"export",
	"export [--since WHEN] [--kind K] -o FILE",
	"Write stored messages, oldest first, to the bundle FILE (format: docs/BUNDLE.md),\n"
	"exactly as signed. The file is written as FILE.tmp, synced, then renamed, so FILE\n"
	"is either complete or absent. `fenghuo import FILE` reads it on another node.\n"
	"\n"
	"  -o, --output FILE   the bundle to write (replaced if it exists)\n"
	"  --since WHEN        only messages from then on (2h, 7d, 2026-11-23, epoch ms)\n"
	"  --kind K            only messages of kind K\n"
	"\n"
	"Exit status: 0; 64 bad arguments; 66 no store yet; 73 FILE cannot be created;\n"
	"74 write error.\n",
	cmd_export_exec,
};

struct export_ctx {
	struct bundle_writer	*bw;
	int			 err;	/* errno of a failed write */
};

static int
export_one(void *arg, const struct store_view *v)
{
	struct export_ctx *ctx = arg;

	if (bundle_add(ctx->bw, v->env, v->len) == -1) {
		ctx->err = errno != 0 ? errno : EIO;
		return 1;
	}
	return 0;
}

static int
cmd_export_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "since", required_argument, NULL, 's' },
		{ "kind", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct export_ctx ctx;
	struct store *st;
	const char *path = NULL;
	uint64_t since = 0;
	uint32_t count;
	int ch, kind = 0, rc;

	memset(&ctx, 0, sizeof(ctx));
	while ((ch = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			path = optarg;
			break;
		case 's':
			if (cli_parse_time(optarg, cli_now_ms(), &since) == -1) {
				cli_warnx(cli, "--since %s: not a duration, date or time", optarg);
				return EX_USAGE;
			}
			break;
		case 'k':
			if ((kind = wire_kind_parse(optarg)) <= 0) {
				cli_warnx(cli, "--kind %s: one of report, warning, receipt, cert, "
				    "revoke, announce", optarg);
				return EX_USAGE;
			}
			break;
		default:
			return cli_usage(&cmd_export_entry);
		}
	}
	if (optind != argc || path == NULL || path[0] == '\0') {
		cli_warnx(cli, "-o FILE is required");
		return cli_usage(&cmd_export_entry);
	}
	if ((rc = cli_store(cli, 0, &st)) != EX_OK)
		return rc;
	if ((ctx.bw = bundle_create(path)) == NULL) {
		cli_warn(cli, "cannot create %s.tmp", path);
		return errno == EACCES ? EX_NOPERM : EX_CANTCREAT;
	}
	rc = store_iter_time(st, since, 0, kind, 0, export_one, &ctx);
	if (ctx.err != 0) {
		errno = ctx.err;
		cli_warn(cli, "%s.tmp: write", path);
		bundle_abort(&ctx.bw);
		return EX_IOERR;
	}
	if (rc != 0) {
		bundle_abort(&ctx.bw);
		return cli_store_failed(cli, rc);
	}
	if (bundle_finish(ctx.bw, &count) == -1) {
		cli_warn(cli, "%s", path);
		return EX_IOERR;
	}
	printf("exported %u message%s to %s\n", count, count == 1 ? "" : "s", path);
	return EX_OK;
}
