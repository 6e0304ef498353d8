/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP: a state machine over the flag class of each segment and its
 * direction, plus sequence/window tracking per direction (the bounds of
 * Rooij's "Real stateful TCP packet filtering", as Linux and OVS use them).
 *
 * Verdicts follow Linux so that the differential test can compare: a
 * segment starting beyond what the receiver allowed, or acknowledging data
 * never sent, is invalid; one that is merely old (a retransmission, a late
 * ACK) passes without updating anything. A zone's tcp_liberal, or a
 * connection picked up mid-stream, skips the window checks.
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>

#include "ct_private.h"

enum tcp_fl {
	F_FIN = 0x01,
	F_SYN = 0x02,
	F_RST = 0x04,
	F_PSH = 0x08,
	F_ACK = 0x10,
	F_URG = 0x20,
	F_ECE = 0x40,
	F_CWR = 0x80,
};

/* What a segment means to the state machine. */
enum tcp_class { C_SYN, C_SYNACK, C_FIN, C_ACK, C_RST, C_NONE };

/* Transition outcomes beyond a plain next state. */
enum {
	S_INVALID = EVS_CT_TCP_MAX, /* refuse the segment */
	S_IGNORE,		    /* accept it, change nothing */
	S_REOPEN,		    /* SYN on a closed connection: start over */
};

#define MAX_ACK_WINDOW 66000 /* an ACK may lag this far behind (Linux's MAXACKWINCONST) */
#define MAX_WSCALE 14	     /* RFC 7323 */

struct tcp_seg {
	uint32_t seq;
	uint32_t ack;
	uint32_t end; /* seq + data + SYN + FIN */
	uint32_t win;
	uint8_t flags;
	int8_t wscale; /* option on a SYN, -1 if absent */
};

static bool flags_valid(uint8_t f)
{
	f &= (uint8_t) ~(F_ECE | F_CWR | F_PSH);
	switch (f) {
	case F_SYN:
	case F_SYN | F_URG:
	case F_SYN | F_ACK:
	case F_RST:
	case F_RST | F_ACK:
	case F_FIN | F_ACK:
	case F_FIN | F_ACK | F_URG:
	case F_ACK:
	case F_ACK | F_URG:
		return true;
	default:
		return false;
	}
}

static enum tcp_class class_of(uint8_t f)
{
	if (f & F_RST)
		return C_RST;
	if (f & F_SYN)
		return (f & F_ACK) ? C_SYNACK : C_SYN;
	if (f & F_FIN)
		return C_FIN;
	return (f & F_ACK) ? C_ACK : C_NONE;
}

/* Segment fields; false if the header does not fit (the parser checked it).
 * @ack: the caller knows the flags are the ACK class (no SYN or FIN in
 * sequence space, no options to read): a constant, folded. */
static __rte_always_inline bool seg_read_as(const struct ct_pkt *p, struct tcp_seg *s, bool ack)
{
	const struct rte_mbuf *m = p->m;
	const uint8_t *h = rte_pktmbuf_mtod_offset(m, const uint8_t *, p->l4_off);
	uint32_t hl, ip_payload, data, i;
	rte_be32_t v;

	if (m->l4_len < 20 || p->l4_off + m->l4_len > rte_pktmbuf_data_len(m))
		return false;
	hl = (uint32_t)(h[12] >> 4) * 4;
	if (p->key->ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
		const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, m->l2_len);

		ip_payload = rte_be_to_cpu_16(*(const rte_be16_t *)(ip + 2)) - m->l3_len;
	} else {
		const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, m->l2_len);

		ip_payload = rte_be_to_cpu_16(*(const rte_be16_t *)(ip + 4)) + 40u - m->l3_len;
	}
	if (ip_payload < hl)
		return false;
	data = ip_payload - hl;
	memcpy(&v, h + 4, 4);
	s->seq = rte_be_to_cpu_32(v);
	memcpy(&v, h + 8, 4);
	s->ack = rte_be_to_cpu_32(v);
	s->win = rte_be_to_cpu_16(*(const rte_be16_t *)(h + 14));
	s->flags = ack ? F_ACK : h[13];
	s->end = s->seq + data + ((s->flags & F_SYN) ? 1 : 0) + ((s->flags & F_FIN) ? 1 : 0);
	s->wscale = -1;
	if (!(s->flags & F_SYN))
		return true;
	/* options: only window scale matters here */
	for (i = 20; i < hl;) {
		uint8_t kind = h[i], len;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= hl)
			break;
		len = h[i + 1];
		if (len < 2 || i + len > hl)
			break;
		if (kind == 3 && len == 3)
			s->wscale = (int8_t)RTE_MIN(h[i + 2], MAX_WSCALE);
		i += len;
	}
	return true;
}

static __rte_always_inline bool seg_read(const struct ct_pkt *p, struct tcp_seg *s)
{
	return seg_read_as(p, s, false);
}

/* Next state of a connection in @st for a segment of class @c from @dir. */
static int next_state(const struct ct_entry *e, int st, enum tcp_class c, int dir)
{
	bool orig = dir == 0;
	int closer = (e->flags & CT_FL_CLOSER_REPLY) ? 1 : 0; /* who sent the first FIN */

	switch (c) {
	case C_SYN:
		if (orig) {
			if (st == EVS_CT_TCP_SYN_SENT || st == EVS_CT_TCP_SYN_SENT2)
				return st; /* retransmission */
			if (st == EVS_CT_TCP_TIME_WAIT || st == EVS_CT_TCP_CLOSE)
				return S_REOPEN;
			return S_IGNORE; /* a SYN inside a live connection: let the peer answer it
					  */
		}
		if (st == EVS_CT_TCP_SYN_SENT || st == EVS_CT_TCP_SYN_SENT2)
			return EVS_CT_TCP_SYN_SENT2; /* simultaneous open */
		return S_INVALID;
	case C_SYNACK:
		if (orig)
			return (st == EVS_CT_TCP_SYN_SENT2 || st == EVS_CT_TCP_SYN_RECV)
				   ? EVS_CT_TCP_SYN_RECV
				   : S_INVALID;
		if (st == EVS_CT_TCP_SYN_SENT || st == EVS_CT_TCP_SYN_SENT2)
			return EVS_CT_TCP_SYN_RECV;
		return st == EVS_CT_TCP_NONE ? S_INVALID : S_IGNORE; /* retransmitted SYN-ACK */
	case C_FIN:
		switch (st) {
		case EVS_CT_TCP_SYN_RECV:
		case EVS_CT_TCP_ESTABLISHED:
			return EVS_CT_TCP_FIN_WAIT;
		case EVS_CT_TCP_FIN_WAIT:
		case EVS_CT_TCP_CLOSE_WAIT:
			return dir == closer ? st : EVS_CT_TCP_LAST_ACK;
		case EVS_CT_TCP_LAST_ACK:
		case EVS_CT_TCP_TIME_WAIT:
		case EVS_CT_TCP_CLOSE:
			return st;
		default:
			return S_INVALID;
		}
	case C_ACK:
		switch (st) {
		case EVS_CT_TCP_SYN_SENT:
			return orig ? S_INVALID : S_IGNORE;
		case EVS_CT_TCP_SYN_SENT2:
			return orig ? S_INVALID : S_IGNORE;
		case EVS_CT_TCP_SYN_RECV:
			return orig ? EVS_CT_TCP_ESTABLISHED : EVS_CT_TCP_SYN_RECV;
		case EVS_CT_TCP_FIN_WAIT:
			/* the peer acknowledging the first FIN */
			return dir == closer ? st : EVS_CT_TCP_CLOSE_WAIT;
		case EVS_CT_TCP_LAST_ACK:
			/* the first closer acknowledging the second FIN */
			return dir == closer ? EVS_CT_TCP_TIME_WAIT : st;
		case EVS_CT_TCP_ESTABLISHED:
		case EVS_CT_TCP_CLOSE_WAIT:
		case EVS_CT_TCP_TIME_WAIT:
		case EVS_CT_TCP_CLOSE:
			return st;
		default:
			return S_INVALID;
		}
	case C_RST:
		return st == EVS_CT_TCP_NONE ? S_INVALID : EVS_CT_TCP_CLOSE;
	default:
		return S_INVALID;
	}
}

static void dir_init(struct ct_tcp_dir *d, const struct tcp_seg *s)
{
	d->end = s->end;
	d->maxwin = s->win == 0 ? 1 : s->win;
	if (s->flags & F_SYN) {
		d->maxend = s->end;
		d->wscale_ok = s->wscale >= 0;
		d->scale = s->wscale >= 0 ? (uint8_t)s->wscale : 0;
	} else {
		d->maxend = s->end + d->maxwin;
	}
}

enum win_verdict { W_OK, W_IGNORE, W_INVALID };

/* Check and learn a segment from @dir against the bounds of both sides.
 * Inline: ct_tcp_established_ack() gets it with the flags it knows. */
static __rte_always_inline enum win_verdict in_window(struct ct_entry *e, int dir,
						      struct tcp_seg *s, bool liberal)
{
	struct ct_tcp_dir *snd = &e->tcp[dir], *rcv = &e->tcp[!dir];
	uint32_t seq = s->seq, end = s->end, ack, win = s->win;
	bool ok_seq_hi, ok_seq_lo, ok_ack_hi, ok_ack_lo;

	if (snd->maxwin == 0 || (dir == 0 && e->proto_state == EVS_CT_TCP_SYN_SENT &&
				 (s->flags & (F_SYN | F_ACK)) == F_SYN)) {
		/* first segment of this side, or a SYN sent again (maybe anew) */
		dir_init(snd, s);
		if (!(s->flags & F_SYN) && rcv->maxwin == 0)
			rcv->end = rcv->maxend = s->ack;
	}
	if ((s->flags & (F_SYN | F_ACK)) == (F_SYN | F_ACK) && !(snd->wscale_ok && rcv->wscale_ok))
		snd->scale = rcv->scale = 0; /* scaling needs both SYNs to offer it */
	ack = (s->flags & F_ACK) ? s->ack : rcv->end;
	if (!(s->flags & F_SYN))
		win <<= snd->scale;
	/* a segment with nothing in sequence space is checked by its ACK only */
	if (seq == end && !(s->flags & F_RST))
		seq = end = snd->end;

	ok_seq_hi = seq_before(seq, snd->maxend + 1);
	ok_seq_lo = rcv->maxwin == 0 || seq_after(end, snd->end - rcv->maxwin - 1);
	ok_ack_hi = seq_before(ack, rcv->end + 1);
	ok_ack_lo = seq_after(ack, rcv->end - RTE_MAX(snd->maxwin, (uint32_t)MAX_ACK_WINDOW) - 1);
	if (!(ok_seq_hi && ok_seq_lo && ok_ack_hi && ok_ack_lo) && !liberal) {
		if (!ok_seq_hi) {
			/* Senders overshoot the window now and then; by less than
			 * a window, and acceptable otherwise, the segment passes and
			 * only its end is learnt, so that the ACK of it is in range
			 * (Linux does the same since 6.0). */
			if (rcv->maxwin != 0 && ok_seq_lo && ok_ack_lo && ok_ack_hi &&
			    end - snd->maxend + 1 <= rcv->maxwin) {
				snd->end = end;
				return W_OK;
			}
			return W_INVALID;
		}
		if (!ok_ack_hi)
			return W_INVALID;
		return W_IGNORE; /* old data or a late ACK: harmless */
	}
	if (snd->maxwin < win)
		snd->maxwin = win;
	if ((s->flags & F_ACK) && (!snd->maxack_set || seq_after(ack, snd->maxack))) {
		snd->maxack = ack;
		snd->maxack_set = 1;
	}
	if (seq_after(end, snd->end))
		snd->end = end;
	if (rcv->maxwin != 0 && seq_after(end, snd->maxend))
		rcv->maxwin += end - snd->maxend;
	if (seq_after(ack + win, rcv->maxend - 1)) {
		rcv->maxend = ack + win;
		if (win == 0)
			rcv->maxend++;
	}
	return W_OK;
}

static bool tcp_valid_new(const struct ct_pkt *p)
{
	uint8_t f = p->key->tcp_flags;
	enum tcp_class c = class_of(f);

	return flags_valid(f) && (c == C_SYN || c == C_ACK);
}

static void tcp_dirs_clear(struct ct_entry *e)
{
	memset(&e->tcp[0], 0, sizeof(e->tcp[0]));
	memset(&e->tcp[1], 0, sizeof(e->tcp[1]));
}

static void tcp_init(struct ct_entry *e, const struct ct_pkt *p, const struct evs_ct_zone_conf *zc)
{
	struct tcp_seg s;

	RTE_SET_USED(zc);
	tcp_dirs_clear(e);
	e->tcp_last = C_NONE;
	e->tcp_last_wscale = -1;
	if (!seg_read(p, &s))
		return;
	e->tcp_last = (uint8_t)class_of(s.flags);
	if (class_of(s.flags) == C_SYN) {
		e->proto_state = EVS_CT_TCP_SYN_SENT;
		dir_init(&e->tcp[0], &s);
	} else {
		/* picked up mid-stream: we missed the window scales, so trust it */
		e->proto_state = EVS_CT_TCP_ESTABLISHED;
		e->flags |= CT_FL_LIBERAL;
		dir_init(&e->tcp[0], &s);
		e->tcp[1].end = e->tcp[1].maxend = s.ack;
	}
}

/* tcp_last: the last segment's class (bits 0-2), its direction (bit 3). */
#define LAST_DIR 0x08
#define LAST_CLASS 0x07

static void remember(struct ct_entry *e, enum tcp_class c, int dir)
{
	e->tcp_last = (uint8_t)(c | (dir ? LAST_DIR : 0));
}

static bool last_was(const struct ct_entry *e, enum tcp_class c, int dir)
{
	return (e->tcp_last & LAST_CLASS) == c && !!(e->tcp_last & LAST_DIR) == !!dir;
}

/* A segment the state machine does not expect but that may be right (our
 * view can be out of sync with the hosts'): pass it unchanged, keeping a
 * SYN's parameters; a SYN-ACK answering that SYN puts us back in sync.
 * True when it did (the segment then goes on to the window check). */
static bool ignore(struct ct_entry *e, const struct tcp_seg *s, enum tcp_class c, int dir,
		   int *next)
{
	if (c == C_SYNACK && last_was(e, C_SYN, !dir) && s->ack == e->tcp_last_end) {
		struct ct_tcp_dir *d = &e->tcp[!dir];

		/* the SYN we let pass was real: restart from it */
		tcp_dirs_clear(e);
		d->end = d->maxend = e->tcp_last_end;
		d->maxwin = e->tcp_last_win == 0 ? 1 : e->tcp_last_win;
		d->wscale_ok = e->tcp_last_wscale >= 0;
		d->scale = e->tcp_last_wscale >= 0 ? (uint8_t)e->tcp_last_wscale : 0;
		e->proto_state = EVS_CT_TCP_SYN_SENT;
		*next = EVS_CT_TCP_SYN_RECV;
		return true;
	}
	remember(e, c, dir);
	e->tcp_last_end = s->end;
	e->tcp_last_win = (uint16_t)s->win;
	e->tcp_last_wscale = (c == C_SYN && dir == 0) ? s->wscale : -1;
	return false;
}

/* One direction only: the peer's segments never pass here, so there is no
 * handshake to follow nor windows to check; the originator's flags tell
 * the state (and so the timeout). */
static enum ct_verdict tcp_oneway(struct ct_entry *e, enum tcp_class c)
{
	switch (c) {
	case C_RST:
		return CT_V_KILL;
	case C_SYN:
		if (e->proto_state == EVS_CT_TCP_SYN_SENT)
			return CT_V_OK; /* retransmission */
		/* a new connection on the port after the end of this one */
		return e->proto_state == EVS_CT_TCP_FIN_WAIT ? CT_V_RESTART : CT_V_OK;
	case C_FIN:
		e->proto_state = EVS_CT_TCP_FIN_WAIT;
		return CT_V_OK;
	default:
		if (e->proto_state == EVS_CT_TCP_SYN_SENT)
			e->proto_state = EVS_CT_TCP_ESTABLISHED;
		return CT_V_OK;
	}
}

/* in_window()'s verdict as tcp_update() returns it */
static enum ct_verdict window_verdict(enum win_verdict w, struct ct_pkt *p)
{
	if (w != W_INVALID)
		return CT_V_OK; /* W_IGNORE: old data or a late ACK, nothing learnt */
	p->counter = EVS_CT_C_INV_TCP_WINDOW;
	return CT_V_INVALID;
}

int ct_tcp_established_ack(struct ct_entry *e, struct ct_pkt *p, int dir, bool liberal)
{
	struct tcp_seg s;
	enum win_verdict w;

	/* an ACK in ESTABLISHED stays there: no transition, no FIN or RST
	 * to note; the state machine would only confirm it */
	if (e->proto_state != EVS_CT_TCP_ESTABLISHED || (e->flags & CT_FL_ONEWAY) ||
	    (p->key->tcp_flags & ~(F_PSH | F_ECE | F_CWR)) != F_ACK)
		return -1;
	/* the key's flags are the header's: the ACK class, as read */
	if (!seg_read_as(p, &s, true)) {
		p->counter = EVS_CT_C_INV_TCP_FLAGS;
		return CT_V_INVALID;
	}
	w = in_window(e, dir, &s, liberal || (e->flags & CT_FL_LIBERAL));
	if (w == W_OK)
		remember(e, C_ACK, dir);
	return window_verdict(w, p);
}

static enum ct_verdict tcp_update(struct ct_entry *e, struct ct_pkt *p, int dir,
				  const struct evs_ct_zone_conf *zc)
{
	struct tcp_seg s;
	enum tcp_class c;
	int next = ct_tcp_established_ack(e, p, dir, zc->tcp_liberal);

	if (next >= 0)
		return (enum ct_verdict)next; /* the usual segment, the same way */
	if (!flags_valid(p->key->tcp_flags) || !seg_read(p, &s)) {
		p->counter = EVS_CT_C_INV_TCP_FLAGS;
		return CT_V_INVALID;
	}
	c = class_of(s.flags);
	if (e->flags & CT_FL_ONEWAY)
		return tcp_oneway(e, c);
	next = next_state(e, e->proto_state, c, dir);
	if (next == S_REOPEN) {
		/* only a connection that was closing, or that this side just
		 * reset, is over for sure; otherwise the SYN may be stray */
		if ((e->flags & CT_FL_FIN_SEEN) || last_was(e, C_RST, dir))
			return CT_V_RESTART;
		next = S_IGNORE;
	}
	if (next == S_INVALID) {
		p->counter = EVS_CT_C_INV_TCP_STATE;
		return CT_V_INVALID;
	}
	if (next == S_IGNORE && !ignore(e, &s, c, dir, &next))
		return CT_V_OK;
	if (c == C_RST && e->proto_state == EVS_CT_TCP_SYN_SENT && dir == 1 &&
	    (!(s.flags & F_ACK) || s.ack != e->tcp[0].end)) {
		/* a refusal must acknowledge our SYN, else anyone could reset it */
		p->counter = EVS_CT_C_INV_TCP_WINDOW;
		return CT_V_INVALID;
	}
	if (c == C_RST && e->tcp[!dir].maxack_set && seq_before(s.seq, e->tcp[!dir].maxack) &&
	    !zc->tcp_liberal) {
		/* a reset for data the peer already acknowledged: stale or forged */
		p->counter = EVS_CT_C_INV_TCP_WINDOW;
		return CT_V_INVALID;
	}
	switch (in_window(e, dir, &s, zc->tcp_liberal || (e->flags & CT_FL_LIBERAL))) {
	case W_OK:
		break;
	case W_INVALID:
		return window_verdict(W_INVALID, p);
	default:
		return CT_V_OK; /* W_IGNORE */
	}
	if (next == EVS_CT_TCP_FIN_WAIT && e->proto_state != EVS_CT_TCP_FIN_WAIT)
		e->flags = (uint8_t)((e->flags & ~CT_FL_CLOSER_REPLY) | CT_FL_FIN_SEEN |
				     (dir ? CT_FL_CLOSER_REPLY : 0));
	if (e->proto_state == EVS_CT_TCP_SYN_RECV && next == EVS_CT_TCP_ESTABLISHED)
		e->flags |= CT_FL_ASSURED;
	e->proto_state = (uint8_t)next;
	remember(e, c, dir);
	/* reset before any reply: nothing was established, forget it now
	 * so that the next SYN starts afresh */
	if (c == C_RST && !(e->flags & CT_FL_SEEN_REPLY))
		return CT_V_KILL;
	return CT_V_OK;
}

static uint32_t tcp_timeout(const struct ct_entry *e, const struct evs_ct_timeouts *t)
{
	switch (e->proto_state) {
	case EVS_CT_TCP_SYN_SENT:
	case EVS_CT_TCP_SYN_SENT2:
		return t->tcp_syn_sent;
	case EVS_CT_TCP_SYN_RECV:
		return t->tcp_syn_recv;
	case EVS_CT_TCP_ESTABLISHED:
		return t->tcp_established;
	case EVS_CT_TCP_FIN_WAIT:
		return t->tcp_fin_wait;
	case EVS_CT_TCP_CLOSE_WAIT:
		return t->tcp_close_wait;
	case EVS_CT_TCP_LAST_ACK:
		return t->tcp_last_ack;
	case EVS_CT_TCP_TIME_WAIT:
		return t->tcp_time_wait;
	default:
		return t->tcp_close;
	}
}

const struct ct_proto_ops ct_proto_tcp = {
    .valid_new = tcp_valid_new,
    .init = tcp_init,
    .update = tcp_update,
    .timeout = tcp_timeout,
};

static const char *const tcp_state_names[EVS_CT_TCP_MAX] = {
    "NONE",	  "SYN_SENT", "SYN_RECV",  "ESTABLISHED", "FIN_WAIT",
    "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE",	  "SYN_SENT2",
};

const char *evs_ct_tcp_state_name(enum evs_ct_tcp_state s)
{
	return (unsigned int)s < EVS_CT_TCP_MAX ? tcp_state_names[s] : "unknown";
}
