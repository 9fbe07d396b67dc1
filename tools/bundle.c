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
	wire_put_be32(hdr + BUNDLE_MAGIC_LEN, BUNDLE_VERSION);
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
	wire_put_be32(lenbuf, (uint32_t)len);
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

	wire_put_be32(tr, 0);
	wire_put_be32(tr + 4, bw->count);
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

/* A bundle being read: where the bytes come from, and the checksum so far. */
struct bundle_reader {
	bundle_src_fn			 rd;
	void				*src;
	crypto_generichash_state	 hash;
	size_t				 off;	/* bytes taken so far */
};

/*
 * Take up to n bytes into buf, fewer only at the end of the input; hash them when they are
 * covered by the checksum. The count, or -1 when the source fails (errno set).
 */
static ssize_t
take(struct bundle_reader *r, uint8_t *buf, size_t n, int hashed)
{
	size_t got = 0;
	ssize_t k;

	while (got < n) {
		if ((k = r->rd(r->src, buf + got, n - got)) < 0)
			return -1;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	if (hashed)
		crypto_generichash_update(&r->hash, buf, got);
	r->off += got;
	return (ssize_t)got;
}

/* The trailer, its end mark already taken: count, checksum, nothing after it. */
static int
read_trailer(struct bundle_reader *r, struct bundle_info *info)
{
	uint8_t cnt[4], sum[BUNDLE_HASHBYTES], digest[BUNDLE_HASHBYTES], extra;
	ssize_t k;

	if ((k = take(r, cnt, sizeof(cnt), 1)) < 0)
		return -1;
	if ((size_t)k < sizeof(cnt)) {
		info->error = BUNDLE_E_TRUNCATED;
		return 0;
	}
	if ((k = take(r, sum, sizeof(sum), 0)) < 0)
		return -1;
	if ((size_t)k < sizeof(sum)) {
		info->error = BUNDLE_E_TRUNCATED;
		return 0;
	}
	info->trailer_count = wire_get_be32(cnt);
	crypto_generichash_final(&r->hash, digest, sizeof(digest));
	if (info->trailer_count != info->entries)
		info->error = BUNDLE_E_COUNT;
	else if (sodium_memcmp(digest, sum, sizeof(digest)) != 0)
		info->error = BUNDLE_E_CHECKSUM;
	else {
		if ((k = take(r, &extra, 1, 0)) < 0)
			return -1;
		if (k > 0) {
			info->error = BUNDLE_E_TRAILING;
			info->error_off = r->off - 1;
		}
	}
	return 0;
}

int
bundle_read(bundle_src_fn rd, void *src, bundle_entry_fn fn, void *ctx,
    struct bundle_info *info)
{
	struct bundle_reader r;
	uint8_t hdr[BUNDLE_MAGIC_LEN + 4], len4[4], *env;
	uint32_t elen;
	size_t at;
	ssize_t k;
	int rc = 0;

	memset(info, 0, sizeof(*info));
	memset(&r, 0, sizeof(r));
	r.rd = rd;
	r.src = src;
	crypto_generichash_init(&r.hash, NULL, 0, BUNDLE_HASHBYTES);
	/* One entry at a time: memory stays at one envelope, whatever the file's size. */
	if ((env = malloc(WIRE_ENVELOPE_MAX)) == NULL)
		return -1;
	if ((k = take(&r, hdr, BUNDLE_MAGIC_LEN, 1)) < 0)
		goto fail;
	if ((size_t)k < BUNDLE_MAGIC_LEN || memcmp(hdr, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN) != 0) {
		info->error = BUNDLE_E_MAGIC;
		goto out;
	}
	info->error_off = r.off;
	if ((k = take(&r, hdr + BUNDLE_MAGIC_LEN, 4, 1)) < 0)
		goto fail;
	if (k < 4) {
		info->error = BUNDLE_E_TRUNCATED;
		goto out;
	}
	if (wire_get_be32(hdr + BUNDLE_MAGIC_LEN) != BUNDLE_VERSION) {
		info->error = BUNDLE_E_VERSION;
		goto out;
	}
	for (;;) {
		at = info->error_off = r.off;
		if ((k = take(&r, len4, sizeof(len4), 1)) < 0)
			goto fail;
		if (k < 4) {
			info->error = BUNDLE_E_TRUNCATED;
			goto out;
		}
		if ((elen = wire_get_be32(len4)) == 0)
			break;	/* the trailer */
		if (elen > WIRE_ENVELOPE_MAX) {
			info->error = BUNDLE_E_LENGTH;
			goto out;
		}
		if ((k = take(&r, env, elen, 1)) < 0)
			goto fail;
		if ((size_t)k < elen) {
			info->error = BUNDLE_E_TRUNCATED;
			goto out;
		}
		info->entries++;
		if ((rc = fn(ctx, env, elen, at)) != 0)
			goto out;
	}
	if (read_trailer(&r, info) == 0)
		goto out;
fail:
	info->error_off = r.off;
	rc = -1;
out:
	free(env);
	return rc;
}

struct mem_src {
	const uint8_t	*p;
	size_t		 left;
};

static ssize_t
mem_read(void *arg, void *buf, size_t n)
{
	struct mem_src *m = arg;

	if (n > m->left)
		n = m->left;
	memcpy(buf, m->p, n);
	m->p += n;
	m->left -= n;
	return (ssize_t)n;
}

int
bundle_parse(const uint8_t *buf, size_t len, bundle_entry_fn fn, void *ctx,
    struct bundle_info *info)
{
	struct mem_src m = { buf, len };

	return bundle_read(mem_read, &m, fn, ctx, info);
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
