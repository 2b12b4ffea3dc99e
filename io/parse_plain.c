/* SPDX-License-Identifier: MIT */
/*
 * parse_plain.c - sparsemm's own plain format, one range per line:
 *
 *   # comment (also after a range)
 *   START END [TYPE] [node=N]
 *   0x0         0x9fc00      ram
 *   0x100000    0x80000000   ram node=0
 *   0xfec00000  0xfec01000   reserved
 *
 * START and END are hex with a 0x prefix, END exclusive; TYPE is one of
 * smm_mem_type_name()'s names in any case ("ram" when absent); node=N is
 * decimal.
 */
#include "io_internal.h"

#include <string.h>
#include <strings.h>

/* A whole word holding one 0x-prefixed hex number. */
static int parse_hex_word(const struct smm_text_ *t, struct smm_cur_ *c, const char *what,
                          uint64_t *v)
{
    struct smm_cur_ w = smm_cur_word_(c);
    if (smm_cur_eof_(&w))
        return smm_text_error_(t, "missing %s", what);
    int rc = smm_text_hex_(t, &w, SMM_HEX_0X, what, v);
    if (!rc && !smm_cur_eof_(&w))
        rc = smm_text_error_(t, "%s: bad hex number (want 0x followed by hex digits)", what);
    return rc;
}

/* A type name, in any case ("ram", "RAM", "Reserved"). */
static bool lookup_type(const struct smm_cur_ *w, uint32_t *type)
{
    size_t len = (size_t)(w->end - w->p);
    for (uint32_t i = 0; i < SMM_MEM_TYPE_COUNT; i++) {
        const char *name = smm_mem_type_name(i);
        if (strlen(name) == len && strncasecmp(w->p, name, len) == 0) {
            *type = i;
            return true;
        }
    }
    return false;
}

/* Optional "TYPE" and "node=N" words after the two addresses. */
static int parse_attrs(const struct smm_text_ *t, struct smm_cur_ *c, uint32_t *type, int32_t *node)
{
    bool have_type = false, have_node = false;
    for (struct smm_cur_ w = smm_cur_word_(c); !smm_cur_eof_(&w); w = smm_cur_word_(c)) {
        uint64_t n;
        const char *word = w.p;
        int len = (int)(w.end - w.p);
        if (!have_node && smm_cur_eat_(&w, "node=")) {
            if (smm_cur_dec_(&w, &n) != SMM_NUM_OK || !smm_cur_eof_(&w) || n > INT32_MAX)
                return smm_text_error_(t, "bad node '%.*s' (want node=N)", len, word);
            *node = (int32_t)n;
            have_node = true;
        } else if (!have_type && !have_node && lookup_type(&w, type)) {
            have_type = true;
        } else {
            return smm_text_error_(t,
                                   "unexpected '%.*s' (want a type: ram, reserved, acpi-data, "
                                   "acpi-nvs, persistent, soft-reserved, unusable, other; then "
                                   "node=N)",
                                   len, w.p);
        }
    }
    return 0;
}

int smm_parse_plain_(struct smm_text_ *t, struct smm_rangelist *out)
{
    struct smm_cur_ line;
    int rc;
    while ((rc = smm_text_next_(t, &line)) > 0) {
        const char *hash = memchr(line.p, '#', (size_t)(line.end - line.p));
        if (hash)
            line.end = hash;
        smm_cur_skip_ws_(&line);
        if (smm_cur_eof_(&line))
            continue;
        uint64_t start, end;
        uint32_t type = SMM_MEM_RAM;
        int32_t node = SMM_NODE_NONE;
        rc = parse_hex_word(t, &line, "start address (0x...)", &start);
        if (!rc)
            rc = parse_hex_word(t, &line, "end address (0x...)", &end);
        if (!rc)
            rc = parse_attrs(t, &line, &type, &node);
        if (!rc)
            rc = smm_text_range_(t, out, start, end, false, type, node);
        if (rc)
            return rc;
    }
    return rc;
}
