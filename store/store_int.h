/*
 * store_int.h: store/'s internals for its other source files (evict.c). Not a public
 * header: nothing outside store/ includes it (STYLE: one public header per module, store.h).
 */
#ifndef FH_STORE_INT_H
#define FH_STORE_INT_H

#include <lmdb.h>

#include "store.h"

/* The environment and the named databases of an open store (see store.h for each). */
struct store_int {
	MDB_env		*env;
	MDB_dbi		 ids, msgs, order, time, refs, kinds, loops;
	unsigned	 flags;		/* STORE_RDONLY */
	int		 in_callback;	/* an iteration callback is running */
};

void		 store_int_get(struct store *st, struct store_int *out);
/*
 * Open the lone LMDB data file path (a backup: no lock file, no subdirectory) read-only, as
 * store_open does a directory. WARNING: nothing may write the file meanwhile (MDB_NOLOCK).
 */
int		 store_int_open_file(const char *path, struct store **out);
/* txn_begin() of store.c: adopts a map another process grew. */
int		 store_int_txn_begin(struct store *st, unsigned flags, MDB_txn **txn);
/* map_grow() of store.c: double the map; only with no transaction open. */
int		 store_int_map_grow(struct store *st);
/*
 * The refs key of a message (id, of kind and author) referring to ref: ref || kind (4 bytes
 * BE) || author || id (store.c, schema 3).
 */
#define STORE_INT_REFS_KEYBYTES	(2 * FC_IDBYTES + 4 + FC_PUBLICKEYBYTES)
void		 store_int_ref_key(const uint8_t *ref, int kind, const uint8_t *author,
		    const uint8_t *id, uint8_t key[STORE_INT_REFS_KEYBYTES]);
/* Remove a message's entry from the kind index (tkey: its time key). A missing one is fine. */
int		 store_int_del_kind(const struct store_int *si, MDB_txn *txn, int kind,
		    const uint8_t tkey[STORE_KEYBYTES]);
/* Remove a report's entry from the loops tree (tkey: its time key). A missing one is fine. */
int		 store_int_del_loop(const struct store_int *si, MDB_txn *txn,
		    const uint8_t tkey[STORE_KEYBYTES]);
/*
 * Decode a msgs value (seen record || envelope): 0 with *seen and env/envlen pointing into
 * the value, or STORE_ECORRUPT.
 */
int		 store_int_msgs_value(const MDB_val *v, struct store_seen *seen,
		    const uint8_t **env, size_t *envlen);

#endif /* FH_STORE_INT_H */
