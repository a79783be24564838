/* Customer ids of digits only, packed into u64 keys.
 *
 * Most files key customers by numbers ("12346", "1000000042"). A context
 * with u64 keys ingests a row in about half the time of one with string
 * keys (no key bytes to hash, compare and keep), so `rfm score` holds such
 * ids as u64 keys while every id it has met packs, and moves to string keys
 * the moment one does not (load.c).
 *
 * The packing keeps everything the string keys would give: an id of 1 to
 * NUMERIC_KEY_DIGITS digits becomes one 4-bit digit + 1 per place from the
 * top, the unused places 0. Distinct ids pack to distinct values ("7",
 * "07" and "007" stay three customers), and the numeric order of packed
 * values is the bytewise order of the ids (a proper prefix first: its next
 * place is 0, below every digit), which is the order of the output and of
 * ntile's ties. */
#ifndef RFM_CLI_NUMERIC_KEY_H
#define RFM_CLI_NUMERIC_KEY_H

#include <stddef.h>
#include <stdint.h>

#define NUMERIC_KEY_DIGITS 16

/* 1 and *key set when s[0..len) is 1..NUMERIC_KEY_DIGITS ASCII digits,
 * else 0. */
int numeric_key_pack(const char *s, size_t len, uint64_t *key);
/* The id a packed key came from, into out (not terminated); its length.
 * All NUMERIC_KEY_DIGITS bytes of out are written. */
size_t numeric_key_unpack(uint64_t key, char out[NUMERIC_KEY_DIGITS]);

#endif
