/* SPDX-License-Identifier: MIT */
/*
 * memmap.c - normalization of raw memory-map ranges and the page view.
 *
 * Normalization is a sweep over range boundaries: every raw range gives a
 * start and an end event; the events are heap-sorted (no allocation, no
 * recursion, O(n log n) on any input), and between two consecutive
 * boundaries the covering type of highest precedence wins.  Ends sort
 * before starts at the same address so touching ranges never "overlap".
 */
#include <sparsemm/memmap.h>

struct sweep_event {
    uint64_t pos;
    uint32_t idx;  /* index into the raw ranges */
    uint32_t kind; /* 0 = end, 1 = start: ends first at equal pos */
};

static const char *const type_names[SMM_MEM_TYPE_COUNT] = {
    [SMM_MEM_RAM] = "ram",
    [SMM_MEM_OTHER] = "other",
    [SMM_MEM_SOFT_RESERVED] = "soft-reserved",
    [SMM_MEM_PMEM] = "persistent",
    [SMM_MEM_ACPI] = "acpi-data",
    [SMM_MEM_NVS] = "acpi-nvs",
    [SMM_MEM_RESERVED] = "reserved",
    [SMM_MEM_UNUSABLE] = "unusable",
};

const char *smm_mem_type_name(uint32_t type)
{
    return type < SMM_MEM_TYPE_COUNT ? type_names[type] : "invalid";
}

int smm_range_check(const struct smm_range *r)
{
    if (r->type >= SMM_MEM_TYPE_COUNT || r->start >= r->end)
        return -SMM_EINVAL;
    if (r->end > SMM_MADDR_LIMIT)
        return -SMM_ERANGE;
    return 0;
}

size_t smm_memmap_normalize_scratch_bytes(size_t n)
{
    return 2 * n * sizeof(struct sweep_event);
}

static bool event_less(const struct sweep_event *a, const struct sweep_event *b)
{
    if (a->pos != b->pos)
        return a->pos < b->pos;
    if (a->kind != b->kind)
        return a->kind < b->kind;
    return a->idx < b->idx;
}

static void sift_down(struct sweep_event *v, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && event_less(&v[child], &v[child + 1]))
            child++;
        if (!event_less(&v[root], &v[child]))
            return;
        struct sweep_event t = v[root];
        v[root] = v[child];
        v[child] = t;
        root = child;
    }
}

static void heap_sort(struct sweep_event *v, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(v, i, n);
    for (size_t end = n; end-- > 1;) {
        struct sweep_event t = v[0];
        v[0] = v[end];
        v[end] = t;
        sift_down(v, 0, end);
    }
}

/* Append [start, end) of one type, extending the last range when it touches. */
static int emit(struct smm_memmap *out, uint64_t start, uint64_t end, uint32_t type,
                int32_t node, uint32_t line)
{
    /* the sweep emits stretches in address order, never overlapping */
    SMM_ASSERT(start < end);
    SMM_ASSERT(out->nr == 0 || out->ranges[out->nr - 1].end <= start);
    if (out->nr > 0) {
        struct smm_range *last = &out->ranges[out->nr - 1];
        if (last->end == start && last->type == type && last->node == node) {
            last->end = end;
            return 0;
        }
    }
    if (out->nr == out->cap)
        return -SMM_ENOSPC;
    out->ranges[out->nr++] =
        (struct smm_range){.start = start, .end = end, .type = type, .node = node, .line = line};
    return 0;
}

/* The reason of a failed normalization, about range r (and the RAM range at other_line). */
static int refuse(struct smm_diag *d, int rc, const struct smm_range *r, uint32_t other_line)
{
    if (!smm_diag_begin(d, rc))
        return rc;
    d->line = r->line;
    d->other_line = other_line;
    switch (rc) {
    case -SMM_EOVERLAP:
        smm_diag_str(d, "RAM range overlaps RAM at line ");
        smm_diag_u64(d, other_line);
        smm_diag_str(d, " with a different NUMA node");
        break;
    case -SMM_ENOSPC:
        smm_diag_str(d, "more ranges than the output holds, at [");
        break;
    default:
        smm_diag_str(d, "invalid range [");
        break;
    }
    if (rc != -SMM_EOVERLAP) {
        smm_diag_hex(d, r->start);
        smm_diag_str(d, ", ");
        smm_diag_hex(d, r->end);
        smm_diag_str(d, rc == -SMM_ENOSPC ? ")" : ") (empty, past 2^52 or of an unknown type)");
    }
    return rc;
}

int smm_memmap_normalize(const struct smm_range *in, size_t n, void *scratch,
                         struct smm_memmap *out, struct smm_diag *d)
{
    struct sweep_event *ev = scratch;
    size_t active[SMM_MEM_TYPE_COUNT] = {0};
    uint32_t active_line[SMM_MEM_TYPE_COUNT] = {0};
    int32_t ram_node = SMM_NODE_NONE;
    int rc = 0;

    out->nr = 0;
    for (size_t i = 0; i < n; i++) {
        if (smm_range_check(&in[i]) != 0)
            return refuse(d, -SMM_EINVAL, &in[i], 0);
        ev[2 * i] = (struct sweep_event){.pos = in[i].start, .idx = (uint32_t)i, .kind = 1};
        ev[2 * i + 1] = (struct sweep_event){.pos = in[i].end, .idx = (uint32_t)i, .kind = 0};
    }
    heap_sort(ev, 2 * n);
    for (size_t e = 1; e < 2 * n; e++)
        SMM_ASSERT_EXPENSIVE(!event_less(&ev[e], &ev[e - 1]));

    for (size_t e = 0; e < 2 * n; e++) {
        const struct smm_range *r = &in[ev[e].idx];
        if (ev[e].kind == 1) {
            if (r->type == SMM_MEM_RAM && active[SMM_MEM_RAM] > 0 && r->node != ram_node) {
                rc = refuse(d, -SMM_EOVERLAP, r, active_line[SMM_MEM_RAM]);
                break;
            }
            if (r->type == SMM_MEM_RAM)
                ram_node = r->node;
            active[r->type]++;
            active_line[r->type] = r->line;
        } else {
            active[r->type]--;
        }
        if (e + 1 == 2 * n || ev[e + 1].pos == ev[e].pos)
            continue;
        /* The stretch [ev[e].pos, ev[e + 1].pos) is covered by the winner. */
        for (int t = SMM_MEM_TYPE_COUNT - 1; t >= 0; t--) {
            if (active[t] == 0)
                continue;
            struct smm_range at = {.start = ev[e].pos, .end = ev[e + 1].pos, .type = (uint32_t)t,
                                   .node = t == SMM_MEM_RAM ? ram_node : SMM_NODE_NONE,
                                   .line = active_line[t]};
            rc = emit(out, at.start, at.end, at.type, at.node, at.line);
            if (rc != 0)
                refuse(d, rc, &at, 0);
            break;
        }
        if (rc != 0)
            break;
    }
    /* a completed sweep has closed every range it opened */
    for (int t = 0; t < SMM_MEM_TYPE_COUNT; t++)
        SMM_ASSERT(rc != 0 || active[t] == 0);
    if (rc != 0)
        out->nr = 0;
    return rc;
}

uint64_t smm_memmap_ram_bytes(const struct smm_memmap *m)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < m->nr; i++)
        if (m->ranges[i].type == SMM_MEM_RAM)
            sum += m->ranges[i].end - m->ranges[i].start;
    return sum;
}

/*
 * Walk RAM extents (touching RAM ranges joined whatever their node) and
 * call back with each one.  Returns the number of extents.
 */
struct extent_walk {
    size_t i;
    const struct smm_memmap *m;
};

static bool next_extent(struct extent_walk *w, uint64_t *start, uint64_t *end)
{
    const struct smm_memmap *m = w->m;
    while (w->i < m->nr && m->ranges[w->i].type != SMM_MEM_RAM)
        w->i++;
    if (w->i == m->nr)
        return false;
    *start = m->ranges[w->i].start;
    *end = m->ranges[w->i].end;
    w->i++;
    while (w->i < m->nr && m->ranges[w->i].type == SMM_MEM_RAM && m->ranges[w->i].start == *end)
        *end = m->ranges[w->i++].end;
    return true;
}

size_t smm_memmap_ram_extents(const struct smm_memmap *m)
{
    struct extent_walk w = {.i = 0, .m = m};
    uint64_t s, e;
    size_t count = 0;
    while (next_extent(&w, &s, &e))
        count++;
    return count;
}

size_t smm_memmap_frames(const struct smm_memmap *m, struct smm_frame_range *out, size_t cap)
{
    struct extent_walk w = {.i = 0, .m = m};
    uint64_t s, e;
    size_t count = 0;
    while (next_extent(&w, &s, &e)) {
        uint64_t first = (s + SMM_PAGE_SIZE - 1) >> SMM_PAGE_SHIFT;
        uint64_t last = e >> SMM_PAGE_SHIFT;
        if (first >= last)
            continue;
        if (count < cap)
            out[count] = (struct smm_frame_range){.start = first, .end = last};
        count++;
    }
    return count;
}

uint64_t smm_memmap_ram_pages(const struct smm_memmap *m)
{
    struct extent_walk w = {.i = 0, .m = m};
    uint64_t s, e, pages = 0;
    while (next_extent(&w, &s, &e)) {
        uint64_t first = (s + SMM_PAGE_SIZE - 1) >> SMM_PAGE_SHIFT;
        uint64_t last = e >> SMM_PAGE_SHIFT;
        if (first < last)
            pages += last - first;
    }
    return pages;
}
