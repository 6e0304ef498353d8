/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_JOURNAL_PRIVATE_H
#define EVS_JOURNAL_PRIVATE_H

/* Shared by persist_journal.c (writing) and journal_load.c (reading). */

#include <stddef.h>
#include <stdint.h>

/* 64-bit FNV-1a: a line's and the document's checksum. */
uint64_t journal_hash(const void *data, size_t len);
/* The header line for a journal after a document of hash @doc_hash at
 * generation @base. Its length, or -ENOBUFS. */
int journal_header(char *buf, size_t size, uint64_t base, uint64_t doc_hash);

#endif
