/*
 * board.h: `fenghuo board`, the duty room's web board (docs/BOARD.md).
 *
 * The board is a verb of the CLI, so that it reads the store and the daemon exactly as
 * `fenghuo duty`, `coverage`, `trace` and `peers` do: it runs those verbs' readers with a
 * JSON sink (cli->json_sink) instead of standard output, and serves what they produce.
 */
#ifndef FH_BOARD_H
#define FH_BOARD_H

#include <stddef.h>

/* A file of the pages, built into the binary (board_assets.c, generated from board/static). */
struct board_asset {
	const char		*path;	/* "/board.js" */
	const unsigned char	*data;
	size_t			 len;
};
extern const struct board_asset board_assets[];
extern const size_t board_nassets;

#endif
