/* SPDX-License-Identifier: MIT */
/*
 * bytes_text.h - the hosted layer's one byte formatter, for reports and
 * pictures (the CLI's text, the SVG).  Binary units, the largest one the
 * value reaches:
 *
 *   SMM_BYTES_HUNDREDTHS   "64 GiB", "1.02 GiB", "640 KiB": two decimals
 *                          unless the value is whole (the CLI's tables)
 *   SMM_BYTES_3_DIGITS     "1.5 TiB", "123 GiB": three significant digits
 *                          at most, trailing zeros dropped (the SVG's labels)
 *
 * Exact sizes in reasons ("3 GiB" only when it divides) are the core's
 * smm_diag_bytes() (<sparsemm/diag.h>).
 */
#ifndef SPARSEMM_IO_BYTES_TEXT_H
#define SPARSEMM_IO_BYTES_TEXT_H

#include <stddef.h>
#include <stdint.h>

enum smm_bytes_style { SMM_BYTES_HUNDREDTHS, SMM_BYTES_3_DIGITS };

/* Writes bytes as text into buf (len bytes, cut if short); returns buf. */
const char *smm_bytes_text(uint64_t bytes, enum smm_bytes_style style, char *buf, size_t len);

#endif
