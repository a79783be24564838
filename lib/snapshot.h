/* Snapshots: the byte format, its encoder and decoder, and the file
 * operations behind rfm_save()/rfm_load().
 *
 * Format (version 1). Every integer is little-endian, written byte by byte,
 * so files move between machines of any byte order; doubles are their IEEE
 * 754 bit patterns as u64; strings are a u32 length then the bytes (no NUL).
 *
 *   header   "RFMSNAP\0", u32 format version, u64 total file length
 *   sections u32 tag, u64 payload length, payload; in this order:
 *     PARM  bins[3], method[3] (u32 each); per dimension u32 n + n i64
 *           thresholds; weights[3] (f64); u32 money scale; u32 frequency
 *           unit; u64 hash seed; u32 key kind (0 none, 1 u64, 2 string)
 *     SCHM  u32 kind (0 rules, 1 callback); u32 map_to_5; u32 n names +
 *           names (the fallback last); u32 n rules + per rule lo[3], hi[3],
 *           segment (u8 each)
 *     HIST  u32 computes (0..2); i64 last as-of day; i64 previous as-of
 *           day; u32 n + names of the last compute; same of the previous
 *     CHAN  u32 channels defined; the names of those past the predefined
 *     CUST  u64 customers; u64 purchase keys; u64 arena bytes they need;
 *           per customer: key (u64, or string), i64 monetary, i64 first and
 *           i64 last purchase (INT64_MAX / INT64_MIN without purchases),
 *           u32 frequency, u32 channels, u8 segment, u8 previous segment
 *           (255 = none), i32 segment since, u32 n keys + per key u8 kind
 *           then u64 (order key or day) or string (byte key)
 *     WIND  format 2 only (contexts with a look-back window, whose PARM
 *           ends with u32 window days and whose CUST holds no purchase
 *           keys): i64 window start (INT64_MIN before the first compute);
 *           u64 n purchase records + per record u32 customer, key (u64
 *           order key or day, or string); u64 rows; u64 n days + per day
 *           (ascending, none empty) i64 day, u32 n rows + per row u32 ref
 *           (customer, or purchase record when keyed), u32 meta (second of
 *           the day, bit 17 keyed), i64 amount. Format 1 files are written
 *           whenever there is no window, so older readers keep loading them.
 *   trailer  u32 CRC-32 (IEEE 802.3, as zlib) of every byte before it
 *
 * A reader checks, before it interprets anything: the magic ("not a
 * librfm snapshot"), that the input is exactly as long as its header says
 * (so every truncation and every appended byte is caught) and the CRC (a
 * CRC-32 detects every error confined to 32 consecutive bits, so every
 * single-byte corruption, the length and version fields included). All of
 * these are RFM_E_CORRUPT; only after them is a version above 1
 * RFM_E_VERSION, which is why every later version must keep these first 20
 * bytes and the trailer. Every value is then validated as if the file were
 * hostile: a crafted file with a valid CRC is refused with RFM_E_CORRUPT,
 * never read out of bounds, and no count in it sizes an allocation before
 * it has been bounded by the bytes that remain.
 *
 * Loading builds a complete new state in a context of its own (same
 * allocator) and only on success swaps it into the caller's, so a failed
 * load changes nothing. Customers are re-inserted, not copied slot by slot.
 * A callback scheme cannot be saved: its names are written (as the
 * informative SCHM content) and a load installs RFM_PRESET_DEFAULT in its
 * place. The names of the last two computes are history (HIST), restored
 * as saved, so once the caller re-installs the callback, the next compute
 * continues segment_since and transitions by name as if never saved.
 * Results of a compute are never saved: a loaded context computes again. */
#ifndef RFM_SNAPSHOT_H
#define RFM_SNAPSHOT_H

#include "ctx.h"

#define RFM__SNAP_MAGIC "RFMSNAP" /* 8 bytes with its NUL */
#define RFM__SNAP_VERSION 2u      /* written only when a 0.2 feature is on */
#define RFM__SNAP_HEADER 20u      /* magic, version, length */
#define RFM__SNAP_TRAILER 4u      /* CRC-32 */
#define RFM__SNAP_LENGTH_AT 12u   /* offset of the total length */

/* The format a context is saved in: 2 when it uses a feature of 0.2 that
 * format 1 cannot hold (a look-back window, whose log is the WIND section;
 * nested scoring, a flag at the end of PARM), else 1, which 0.1 reads. */
static inline uint32_t rfm__snapshot_format(const rfm_ctx *ctx)
{
    return ctx->window.days || ctx->nested.on ? 2u : 1u;
}

/* File operations, POSIX-shaped: -1 and errno on failure. */
typedef struct rfm__io {
    int (*open)(const char *path, int flags, int mode, void *user);
    long (*read)(int fd, void *buf, size_t len, void *user);
    long (*write)(int fd, const void *buf, size_t len, void *user);
    int (*fsync)(int fd, void *user);
    int (*close)(int fd, void *user);
    int (*rename)(const char *from, const char *to, void *user);
    int (*unlink)(const char *path, void *user);
    void *user;
} rfm__io;

/* Makes ctx's rfm_save/rfm_load use io (NULL: the POSIX calls again). The
 * table must outlive its use; a load keeps the loading context's table. */
void rfm__set_io(rfm_ctx *ctx, const rfm__io *io);

/* CRC-32 of len bytes continuing from crc (start with 0). */
uint32_t rfm__crc32(uint32_t crc, const void *data, size_t len);

/* Writes the snapshot through write(), in chunks. RFM_E_IO when write
 * returned non-zero (the message names that value; *write_rc receives it),
 * RFM_E_NOMEM; write runs with re-entry into ctx refused. */
int rfm__snapshot_write(rfm_ctx *ctx, rfm_write_fn write, void *user, int *write_rc);

/* Replaces ctx's state with the snapshot in data[0..len), or fails with
 * ctx unchanged (RFM_E_CORRUPT, RFM_E_VERSION, RFM_E_NOMEM). */
int rfm__snapshot_load(rfm_ctx *ctx, const unsigned char *data, size_t len);

/* Little-endian helpers shared by the encoder, decoder and file reader. */
static inline uint32_t rfm__le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t rfm__le64(const unsigned char *p)
{
    return (uint64_t)rfm__le32(p) | (uint64_t)rfm__le32(p + 4) << 32;
}

#endif
