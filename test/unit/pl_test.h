/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PL_TEST_H
#define PL_TEST_H

/*
 * "tmod", a module that exists to prove the engine: its stage (order 50)
 * takes UDP packets to ports TMOD_PORT_BASE..+8 and uses every kind of
 * opcode on them; everything else goes on to later stages (L2).
 *
 *  l4_dst  program
 *  +0      output(port_of[dst_ip[3] % 16])    depends on that table entry
 *  +1      output_in_port
 *  +2      set_field(dst_mac=TMOD_MAC) output(1)
 *  +3      set_vlan(vid 100) output(2)
 *  +4      punt(code 7)
 *  +5      set_field(ct_mark=5) recirculate(1); pass 1: output(3)
 *  +6      recirculate(2) on every pass: dropped at the depth limit
 *  +7      goto_ldp(2), then in ldp 2: select (tmod opcode: port 4 + the
 *          parity of the source address, per packet)
 *  +8      output(port_of[dst_ip[3] % 16])    depends on all 16 entries
 * A packet that is not IPv4 UDP with such a port is left to later stages.
 */

#include <stdint.h>

#include "evs_pipeline.h"

#define TMOD_PORT_BASE 5000
#define TMOD_TABLE 16

extern const struct evs_module tmod_module;

/** What tmod's stage reads. */
struct tmod_state {
	uint16_t port_of[TMOD_TABLE];
};

/** tmod's drop reasons. */
enum tmod_drop {
	TMOD_DROP_NONE_LEFT, /* reserved: never used by the stage */
	TMOD_DROP_MAX,
};

/** Packets tmod's punt handler received, and the last code. */
extern unsigned int tmod_punted;
extern unsigned int tmod_last_code;

#endif
