/* SPDX-License-Identifier: MIT */
/*
 * parse_dtb.c - memory nodes of a flattened device-tree blob, via libfdt.
 *
 * The blob is checked first (fdt_check_header, version 17 or later,
 * totalsize within the bytes read, then fdt_check_full over the whole
 * structure) so that nothing after it can read out of bounds.  Every node
 * whose device_type is "memory" (and whose status, if any, is "okay")
 * contributes its reg, split into (address, size) pairs with its parent's
 * #address-cells and #size-cells (DT defaults 2 and 1); size 0 is skipped;
 * numa-node-id, when present, becomes the ranges' NUMA node.
 *
 * A blob has no lines: ranges carry line 0 and every message is
 * "source: message" (smm_diag_set() omits line 0).
 */
#include "io_internal.h"

#include <inttypes.h>
#include <libfdt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct dtb {
    const void *fdt;
    const char *source;
    struct smm_diag *diag;
};

static int dtb_error(const struct dtb *d, int node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int dtb_range_error(const struct dtb *d, int node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "source: node NAME: message" (or without the node for node < 0); returns -code. */
static int dtb_verror(const struct dtb *d, int node, int code, const char *fmt, va_list ap)
{
    char msg[400];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    const char *name = node >= 0 ? fdt_get_name(d->fdt, node, NULL) : NULL;
    if (name)
        smm_diag_set(d->diag, -code, d->source, 0, "node '%s': %s", *name ? name : "/", msg);
    else
        smm_diag_set(d->diag, -code, d->source, 0, "%s", msg);
    return -code;
}

/* A malformed blob: -SMM_EINVAL. */
static int dtb_error(const struct dtb *d, int node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = dtb_verror(d, node, SMM_EINVAL, fmt, ap);
    va_end(ap);
    return rc;
}

/* An address the model cannot hold: -SMM_ERANGE. */
static int dtb_range_error(const struct dtb *d, int node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = dtb_verror(d, node, SMM_ERANGE, fmt, ap);
    va_end(ap);
    return rc;
}

/* status absent, "okay" or "ok": the node is in use. */
static bool node_enabled(const void *fdt, int node)
{
    int len;
    const char *s = fdt_getprop(fdt, node, "status", &len);
    return !s || (len == 5 && memcmp(s, "okay", 5) == 0) || (len == 3 && memcmp(s, "ok", 3) == 0);
}

static int read_node_id(const struct dtb *d, int node, int32_t *nid)
{
    int len;
    const fdt32_t *p = fdt_getprop(d->fdt, node, "numa-node-id", &len);
    *nid = SMM_NODE_NONE;
    if (!p)
        return 0;
    if (len != 4 || fdt32_ld(p) > INT32_MAX)
        return dtb_error(d, node, "bad numa-node-id");
    *nid = (int32_t)fdt32_ld(p);
    return 0;
}

static uint64_t read_cells(const fdt32_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 32 | fdt32_ld(&p[i]);
    return v;
}

/* One memory node: its reg, split with the parent's cell sizes. */
static int parse_memory_node(const struct dtb *d, int node, struct smm_rangelist *out)
{
    int parent = fdt_parent_offset(d->fdt, node);
    int ac = parent < 0 ? parent : fdt_address_cells(d->fdt, parent);
    int sc = parent < 0 ? parent : fdt_size_cells(d->fdt, parent);
    int len, rc;
    int32_t nid;

    if (ac < 0 || sc < 0)
        return dtb_error(d, node, "cannot read the parent's cell sizes: %s",
                         fdt_strerror(ac < 0 ? ac : sc));
    if (ac < 1 || ac > 2 || sc < 1 || sc > 2)
        return dtb_error(d, node, "unsupported #address-cells %d / #size-cells %d (1 or 2)", ac,
                         sc);
    if (!node_enabled(d->fdt, node))
        return 0;
    if ((rc = read_node_id(d, node, &nid)) != 0)
        return rc;
    const fdt32_t *reg = fdt_getprop(d->fdt, node, "reg", &len);
    if (!reg)
        return len == -FDT_ERR_NOTFOUND ? 0 : dtb_error(d, node, "reg: %s", fdt_strerror(len));
    size_t per = (size_t)(ac + sc) * sizeof(fdt32_t);
    if ((size_t)len % per != 0)
        return dtb_error(d, node, "reg has %d bytes, not a multiple of %zu", len, per);
    for (size_t i = 0; i < (size_t)len / sizeof(fdt32_t); i += (size_t)(ac + sc)) {
        uint64_t addr = read_cells(&reg[i], ac);
        uint64_t size = read_cells(&reg[i + (size_t)ac], sc);
        if (size == 0)
            continue;
        if (size > UINT64_MAX - addr) {
            return dtb_range_error(d, node, "address past 2^52 (0x%" PRIx64 " + 0x%" PRIx64 ")",
                                   addr, size);
        }
        struct smm_range r = {
            .start = addr, .end = addr + size, .type = SMM_MEM_RAM, .node = nid, .line = 0};
        if ((rc = smm_rangelist_push(out, &r, d->source, d->diag)) != 0)
            return rc;
    }
    return 0;
}

/*
 * A bounded walk of the structure block, instead of fdt_check_full(): on a
 * crafted blob (a property length that wraps the next offset) libfdt 1.6.1's
 * walk never ends.  Here every tag must move strictly forward, so the walk
 * takes at most size/4 steps; nodes must nest and close, properties must
 * name a string.  libfdt's later walks step through the same tags, so they
 * end too.
 */
static int check_structure(const struct dtb *d)
{
    const uint32_t size = fdt_size_dt_struct(d->fdt);
    int offset = 0, next = 0, depth = 0;
    for (uint32_t steps = 0; steps <= size / 4; steps++, offset = next) {
        uint32_t tag = fdt_next_tag(d->fdt, offset, &next);
        if (next < 0)
            return dtb_error(d, -1, "corrupt device-tree blob: %s", fdt_strerror(next));
        if (next <= offset)
            return dtb_error(d, -1, "corrupt device-tree blob: tag at %d does not advance",
                             offset);
        switch (tag) {
        case FDT_BEGIN_NODE:
            depth++;
            break;
        case FDT_END_NODE:
            if (--depth < 0)
                return dtb_error(d, -1, "corrupt device-tree blob: unbalanced node end");
            break;
        case FDT_PROP: {
            const char *name = NULL;
            int plen;
            if (!fdt_getprop_by_offset(d->fdt, offset, &name, &plen) || !name)
                return dtb_error(d, -1, "corrupt device-tree blob: bad property at %d",
                                 offset);
            break;
        }
        case FDT_NOP:
            break;
        case FDT_END:
            if (depth != 0)
                return dtb_error(d, -1, "corrupt device-tree blob: %d nodes left open",
                                 depth);
            return 0;
        default:
            return dtb_error(d, -1, "corrupt device-tree blob: unknown tag 0x%" PRIx32, tag);
        }
    }
    return dtb_error(d, -1, "corrupt device-tree blob: structure block does not end");
}

static int check_blob(const struct dtb *d, size_t len)
{
    int err;
    if (len < sizeof(struct fdt_header))
        return dtb_error(d, -1, "too short for a device-tree blob (%zu bytes)", len);
    if ((err = fdt_check_header(d->fdt)) != 0)
        return dtb_error(d, -1, "bad device-tree blob header: %s", fdt_strerror(err));
    /* fdt_check_full() (libfdt 1.6.1) reads out of bounds on blobs older than 17 */
    if (fdt_version(d->fdt) < 17)
        return dtb_error(d, -1, "device-tree blob version %" PRIu32 " not supported (need 17)",
                         (uint32_t)fdt_version(d->fdt));
    if (fdt_totalsize(d->fdt) > len)
        return dtb_error(d, -1,
                         "truncated device-tree blob: header says %" PRIu32 " bytes, only %zu read",
                         (uint32_t)fdt_totalsize(d->fdt), len);
    return check_structure(d);
}

int smm_parse_dtb_(const char *buf, size_t len, const char *source, struct smm_rangelist *out,
                   struct smm_diag *diag)
{
    /* libfdt wants the blob 8-byte aligned; buffers from the loader are. */
    void *copy = NULL;
    if ((uintptr_t)buf % 8 != 0) {
        if (!(copy = malloc(len ? len : 1))) {
            smm_diag_set(diag, -SMM_ENOMEM, source, 0, "out of memory");
            return -SMM_ENOMEM;
        }
        memcpy(copy, buf, len);
    }
    struct dtb d = {.fdt = copy ? copy : buf, .source = source, .diag = diag};
    int rc = check_blob(&d, len);
    int node = -1;
    while (!rc) {
        node = fdt_node_offset_by_prop_value(d.fdt, node, "device_type", "memory", 7);
        if (node < 0)
            break;
        rc = parse_memory_node(&d, node, out);
    }
    if (!rc && node != -FDT_ERR_NOTFOUND)
        rc = dtb_error(&d, -1, "walking the blob: %s", fdt_strerror(node));
    free(copy);
    return rc;
}
