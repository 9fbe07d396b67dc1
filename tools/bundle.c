/*
 * bundle.c: the bundle file format (docs/BUNDLE.md): signed envelopes carried between
 * stores by hand (a USB stick, a mail attachment) when no link exists.
 *
 *   "FHBUNDLE" | u32 BE version (1) | entries | trailer
 *   entry:   u32 BE length (1..WIRE_ENVELOPE_MAX) | serialized Envelope
 *   trailer: u32 BE 0 (end mark) | u32 BE entry count | BLAKE2b-256 of all bytes before it
 *
 * The checksum only detects damage in transit; each entry is judged on its own (signature
 * and all) when imported, like a message from a peer. A length field is trusted only after
 * it has been checked against the limit and the bytes that remain.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "wire.h"
#include "fenghuo.h"

#define TRAILER_BYTES	(4 + 4 + BUNDLE_HASHBYTES)

struct bundle_writer {
	FILE				*fp;
	char				*path;
	char				*tmppath;
	crypto_generichash_state	 hash;
	uint32_t			 count;
};

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Write and hash. */
static int
emit(struct bundle_writer *bw, const void *p, size_t len)
{
	if (fwrite(p, 1, len, bw->fp) != len)
		return -1;
	crypto_generichash_update(&bw->hash, p, len);
	return 0;
}

struct bundle_writer *
bundle_create(const char *path)
{
	struct bundle_writer *bw;
	uint8_t hdr[BUNDLE_MAGIC_LEN + 4];
	size_t len = strlen(path);
	int fd, saved;

	if ((bw = calloc(1, sizeof(*bw))) == NULL)
		return NULL;
	if ((bw->path = strdup(path)) == NULL || (bw->tmppath = malloc(len + 5)) == NULL)
		goto err;
	memcpy(bw->tmppath, path, len);
	memcpy(bw->tmppath + len, ".tmp", 5);
	if ((fd = open(bw->tmppath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) == -1)
		goto err;
	if ((bw->fp = fdopen(fd, "w")) == NULL) {
		saved = errno;
		close(fd);
		unlink(bw->tmppath);
		errno = saved;
		goto err;
	}
	crypto_generichash_init(&bw->hash, NULL, 0, BUNDLE_HASHBYTES);
	memcpy(hdr, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN);
	put_be32(hdr + BUNDLE_MAGIC_LEN, BUNDLE_VERSION);
	if (emit(bw, hdr, sizeof(hdr)) == -1) {
		bundle_abort(&bw);
		return NULL;
	}
	return bw;
err:
	saved = errno;
	free(bw->path);
	free(bw->tmppath);
	free(bw);
	errno = saved;
	return NULL;
}

int
bundle_add(struct bundle_writer *bw, const uint8_t *env, size_t len)
{
	uint8_t lenbuf[4];

	if (len == 0 || len > WIRE_ENVELOPE_MAX || bw->count == UINT32_MAX) {
		errno = EINVAL;
		return -1;
	}
	put_be32(lenbuf, (uint32_t)len);
	if (emit(bw, lenbuf, sizeof(lenbuf)) == -1 || emit(bw, env, len) == -1)
		return -1;
	bw->count++;
	return 0;
}

/* fsync the directory holding path, so that the rename itself is durable. */
static int
sync_dir(const char *path)
{
	char *copy, *dir;
	int fd, rc = 0;

	if ((copy = strdup(path)) == NULL)
		return -1;
	dir = dirname(copy);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		free(copy);
		return -1;
	}
	if (fsync(fd) == -1 && errno != EINVAL)
		rc = -1;
	close(fd);
	free(copy);
	return rc;
}

int
bundle_finish(struct bundle_writer *bw, uint32_t *count)
{
	uint8_t tr[8], digest[BUNDLE_HASHBYTES];
	int saved;

	put_be32(tr, 0);
	put_be32(tr + 4, bw->count);
	if (emit(bw, tr, sizeof(tr)) == -1)
		goto err;
	crypto_generichash_final(&bw->hash, digest, sizeof(digest));
	if (fwrite(digest, 1, sizeof(digest), bw->fp) != sizeof(digest))
		goto err;
	if (fflush(bw->fp) == EOF || fsync(fileno(bw->fp)) == -1)
		goto err;
	if (fclose(bw->fp) == EOF) {
		bw->fp = NULL;
		goto err;
	}
	bw->fp = NULL;
	if (rename(bw->tmppath, bw->path) == -1 || sync_dir(bw->path) == -1)
		goto err;
	if (count != NULL)
		*count = bw->count;
	free(bw->path);
	free(bw->tmppath);
	free(bw);
	return 0;
err:
	saved = errno;
	bundle_abort(&bw);
	errno = saved;
	return -1;
}

void
bundle_abort(struct bundle_writer **bwp)
{
	struct bundle_writer *bw = *bwp;
	int saved = errno;

	if (bw == NULL)
		return;
	if (bw->fp != NULL)
		fclose(bw->fp);
	unlink(bw->tmppath);
	free(bw->path);
	free(bw->tmppath);
	free(bw);
	*bwp = NULL;
	errno = saved;
}

int
bundle_parse(const uint8_t *buf, size_t len,
    int (*fn)(void *ctx, const uint8_t *env, size_t len), void *ctx, struct bundle_info *info)
{
	uint8_t digest[BUNDLE_HASHBYTES];
	size_t off;
	uint32_t elen;
	int rc;

	memset(info, 0, sizeof(*info));
	if (len < BUNDLE_MAGIC_LEN || memcmp(buf, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN) != 0) {
		info->error = BUNDLE_E_MAGIC;
		return 0;
	}
	off = BUNDLE_MAGIC_LEN;
	if (len - off < 4) {
		info->error = BUNDLE_E_TRUNCATED;
		info->error_off = off;
		return 0;
	}
	if (get_be32(buf + off) != BUNDLE_VERSION) {
		info->error = BUNDLE_E_VERSION;
		info->error_off = off;
		return 0;
	}
	off += 4;
	for (;;) {
		info->error_off = off;
		if (len - off < 4) {
			info->error = BUNDLE_E_TRUNCATED;
			return 0;
		}
		elen = get_be32(buf + off);
		if (elen == 0)
			break;	/* the trailer */
		if (elen > WIRE_ENVELOPE_MAX) {
			info->error = BUNDLE_E_LENGTH;
			return 0;
		}
		if (elen > len - off - 4) {
			info->error = BUNDLE_E_TRUNCATED;
			return 0;
		}
		info->entries++;
		if ((rc = fn(ctx, buf + off + 4, elen)) != 0)
			return rc;
		off += 4 + (size_t)elen;
	}
	if (len - off < TRAILER_BYTES) {
		info->error = BUNDLE_E_TRUNCATED;
		return 0;
	}
	info->trailer_count = get_be32(buf + off + 4);
	crypto_generichash(digest, sizeof(digest), buf, off + 8, NULL, 0);
	if (info->trailer_count != info->entries)
		info->error = BUNDLE_E_COUNT;
	else if (sodium_memcmp(digest, buf + off + 8, sizeof(digest)) != 0)
		info->error = BUNDLE_E_CHECKSUM;
	else if (len - off != TRAILER_BYTES) {
		info->error = BUNDLE_E_TRAILING;
		info->error_off = off + TRAILER_BYTES;
	}
	return 0;
}

const char *
bundle_strerror(int error)
{
	switch (error) {
	case BUNDLE_OK:
		return "ok";
	case BUNDLE_E_MAGIC:
		return "not a fenghuo bundle (no FHBUNDLE header)";
	case BUNDLE_E_VERSION:
		return "unknown bundle format version";
	case BUNDLE_E_LENGTH:
		return "corrupt entry length (larger than any message can be)";
	case BUNDLE_E_TRUNCATED:
		return "truncated (the file ends inside an entry or before the trailer)";
	case BUNDLE_E_COUNT:
		return "trailer entry count differs from the entries found";
	case BUNDLE_E_CHECKSUM:
		return "checksum mismatch (the file was damaged)";
	case BUNDLE_E_TRAILING:
		return "unexpected bytes after the trailer";
	default:
		return "unknown bundle error";
	}
}
