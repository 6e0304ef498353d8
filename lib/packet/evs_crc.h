/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_CRC_H
#define EVS_CRC_H

/*
 * CRC32C steps for hashes on the fast path (megaflow keys, a tunnel's
 * inner flow): the instruction itself where the build has SSE4.2 (DPDK's
 * x86 baseline), without rte_hash_crc's per-call dispatch. Header-only:
 * libraries that need no code of lib/packet include it too.
 */

#include <stdint.h>

#include <rte_hash_crc.h>
#ifdef __SSE4_2__
#include <nmmintrin.h>
#endif

static inline uint32_t evs_crc32c_u64(uint32_t h, uint64_t v)
{
#ifdef __SSE4_2__
	return (uint32_t)_mm_crc32_u64(h, v);
#else
	return rte_hash_crc_8byte(v, h);
#endif
}

static inline uint32_t evs_crc32c_u32(uint32_t h, uint32_t v)
{
#ifdef __SSE4_2__
	return _mm_crc32_u32(h, v);
#else
	return rte_hash_crc_4byte(v, h);
#endif
}

#endif /* EVS_CRC_H */
