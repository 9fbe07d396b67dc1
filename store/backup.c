/*
 * backup.c: a copy of the store taken while the daemon writes it, and a store made from
 * such a copy.
 *
 * The copy is LMDB's own (mdb_env_copyfd2 with MDB_CP_COMPACT): it walks the trees inside
 * one read transaction, so it holds exactly what one commit left, whatever the daemon
 * commits meanwhile (readers never block the writer), and it leaves out free pages. Every
 * record goes byte for byte: the envelopes as signed, and each message's seen record (first
 * seen time, hops, the peer it came from). A plain file copy of data.mdb under a running
 * writer could mix pages of two commits. The backup is one LMDB data file; a restore copies
 * it the same way into a state directory and checks that the result holds the same set.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_int.h"

#define BACKUP_TRIES	3	/* copies started again after another process grew the map */

/* count and digest of an open store, into info */
static int
set_info(struct store *st, struct store_backup_info *info)
{
	int	 rc;

	if ((rc = store_count(st, &info->messages)) != 0)
		return rc;
	return store_digest(st, info->digest);
}

/* Copy env into the new file tmp, fsync it and rename it to path. */
static int
copy_to(MDB_env *env, struct store *st, const char *tmp, const char *path, mode_t mode)
{
	MDB_txn	*txn;
	int	 fd, rc = 0, i;

	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)) == -1)
		return errno;
	for (i = 0; i < BACKUP_TRIES; i++) {
		/* Adopt a map the daemon grew since this process opened the store. */
		if (st != NULL) {
			if ((rc = store_int_txn_begin(st, MDB_RDONLY, &txn)) != 0)
				break;
			mdb_txn_abort(txn);
		}
		if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
			rc = errno;
			break;
		}
		rc = mdb_env_copyfd2(env, fd, MDB_CP_COMPACT);
		if (rc != MDB_MAP_RESIZED || st == NULL)
			break;
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = errno;
	if (close(fd) != 0 && rc == 0)
		rc = errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = errno;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

int
store_backup(struct store *st, const char *path, struct store_backup_info *info)
{
	struct store_int si;
	struct store	*copy = NULL;
	char		 tmp[PATH_MAX];
	int		 rc;

	if (st == NULL || path == NULL || info == NULL)
		return STORE_EINVAL;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return ENAMETOOLONG;
	store_int_get(st, &si);
	if ((rc = copy_to(si.env, st, tmp, path, 0600)) != 0)
		return rc;
	/* What the copy holds, read from the copy itself. */
	if ((rc = store_int_open_file(path, &copy)) == 0)
		rc = set_info(copy, info);
	store_close(&copy);
	return rc;
}

int
store_backup_info(const char *path, struct store_backup_info *info)
{
	struct store	*copy = NULL;
	int		 rc;

	if (path == NULL || info == NULL)
		return STORE_EINVAL;
	if ((rc = store_int_open_file(path, &copy)) == 0)
		rc = set_info(copy, info);
	store_close(&copy);
	return rc;
}

int
store_restore(const char *path, const char *dir, struct store_backup_info *info)
{
	struct store_backup_info got;
	struct store_int si;
	struct store	*from = NULL, *to = NULL;
	char		 tmp[PATH_MAX], data[PATH_MAX];
	int		 rc;

	if (path == NULL || dir == NULL || info == NULL)
		return STORE_EINVAL;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/data.mdb.restore", dir) >= sizeof(tmp) ||
	    (size_t)snprintf(data, sizeof(data), "%s/data.mdb", dir) >= sizeof(data))
		return ENAMETOOLONG;
	if (access(data, F_OK) == 0)
		return EEXIST;
	/* Opening it checks that it is a store, and of a schema this release reads. */
	if ((rc = store_int_open_file(path, &from)) != 0)
		return rc;
	if ((rc = set_info(from, info)) != 0)
		goto out;
	store_int_get(from, &si);
	if ((rc = copy_to(si.env, NULL, tmp, data, 0660)) != 0)
		goto out;
	/* The restored store must hold what the backup holds. */
	if ((rc = store_open(dir, STORE_RDONLY, &to)) == 0 && (rc = set_info(to, &got)) == 0 &&
	    (got.messages != info->messages ||
	    memcmp(got.digest, info->digest, sizeof(got.digest)) != 0))
		rc = STORE_ECORRUPT;
out:
	store_close(&to);
	store_close(&from);
	return rc;
}
