/* SPDX-License-Identifier: MIT */
/*
 * pt.c - x86-64 4-level page tables above the identity map.
 *
 * PML4 slot 0 is boot.S's identity map of the first 4 GiB (every table page
 * lives there, so a table is edited through its physical address).  Slot 1
 * holds a one-page window onto any physical frame.  Slots 2..511 (512 GiB
 * each) are handed out whole to reservations, so no two reservations share
 * a page-table page and the tables under a reservation are its own.
 *
 * One recursive walk applies an operation to [va, end):
 *
 *   POPULATE  a fresh zeroed frame per 4 KiB, writable, owned (PTE bit 9:
 *             freed when replaced or unmapped)
 *   SHARE     one frame read-only over the range, through shared tables:
 *             per shared frame F one L1 page of 512 PTEs -> F, one L2 page of
 *             512 entries -> that L1, one L3 page -> that L2.  A 2 MiB / 1 GiB /
 *             512 GiB aligned piece costs one entry pointing at the shared
 *             table (Linux maps p2m_missing this way: p2m_missing_pte)
 *   MACHINE   machine RAM at pa + (va - start): a 1 GiB leaf where va and pa
 *             are 1 GiB aligned and the piece is whole, else 2 MiB, else
 *             4 KiB - the greedy rule of docs/OVERHEAD.md; nothing owned
 *   PROTECT   present/writable bits of leaves
 *   UNMAP     clear entries, free owned frames and private tables
 *
 * Where an operation covers part of an entry, the entry gets a private table
 * first: a fresh one, a copy of a shared table (copy-on-write of page
 * tables: the copy points at the same shared tables or frame below), or a
 * large leaf split into 512 smaller ones.  After an operation the TLB
 * entries of a small range are invalidated page by page (INVLPG also drops
 * the paging-structure caches), of a large one by reloading CR3.
 */
#include "kernel.h"

#define PTE_OWNED (UINT64_C(1) << 9)
#define SLOT_SHIFT 39
#define SLOTS 512
#define WINDOW_SLOT 1
#define FIRST_FREE_SLOT 2
#define SHARED_MAX 4
#define FLUSH_PAGES_MAX 64 /* up to this many pages: INVLPG each, else reload CR3 */

extern uint64_t boot_pml4[512];

enum pt_op { OP_POPULATE, OP_SHARE, OP_MACHINE, OP_PROTECT, OP_UNMAP };

struct op {
    enum pt_op kind;
    uint64_t start, pa;  /* MACHINE: pa of start */
    uint64_t leaf_flags; /* PROTECT: PTE_P | PTE_W wanted */
    const struct shared *sh;
};

struct shared {
    uint64_t frame;
    uint64_t table[4]; /* [1] L1, [2] L2, [3] L3 */
};

static struct shared shared[SHARED_MAX];
static unsigned nr_shared;
static bool slot_used[SLOTS];
static uint64_t window_pte_va;

static unsigned shift_of(unsigned level)
{
    return SMM_PAGE_SHIFT + 9 * (level - 1);
}

static uint64_t *table_at(uint64_t e)
{
    return (uint64_t *)(uintptr_t)(e & PTE_ADDR);
}

static uint64_t slot_va(unsigned slot)
{
    uint64_t va = (uint64_t)slot << SLOT_SHIFT;
    return slot >= 256 ? va | UINT64_C(0xffff000000000000) : va;
}

static void flush_tlb(void)
{
    uint64_t cr3;
    __asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
}

static bool is_shared_table(uint64_t pa)
{
    for (unsigned i = 0; i < nr_shared; i++)
        for (unsigned l = 1; l <= 3; l++)
            if (shared[i].table[l] == pa)
                return true;
    return false;
}

static void free_entry(uint64_t e, unsigned level)
{
    if (!(e & PTE_ADDR))
        return;
    if (level == 1 || (e & PTE_PS)) {
        if (e & PTE_OWNED)
            frame_free(e & PTE_ADDR);
        return;
    }
    if (is_shared_table(e & PTE_ADDR))
        return;
    uint64_t *t = table_at(e);
    for (unsigned i = 0; i < 512; i++)
        free_entry(t[i], level - 1);
    frame_free(e & PTE_ADDR);
}

/* Give entry *e (at level, > 1) a private table; split a leaf, copy a shared table. */
static int make_private(uint64_t *e, unsigned level)
{
    uint64_t old = *e, pa;
    if ((old & PTE_P) && !(old & PTE_PS) && !is_shared_table(old & PTE_ADDR))
        return 0;
    int rc = frame_alloc(&pa);
    if (rc != 0)
        return rc;
    uint64_t *t = table_at(pa);
    if (old & PTE_PS) { /* split a large leaf: same flags, 512 smaller pieces */
        uint64_t step = UINT64_C(1) << shift_of(level - 1);
        uint64_t flags = old & ~PTE_ADDR & (level - 1 == 1 ? ~PTE_PS : ~UINT64_C(0));
        uint64_t base = old & PTE_ADDR & ~((UINT64_C(1) << shift_of(level)) - 1);
        for (unsigned i = 0; i < 512; i++)
            t[i] = (base + i * step) | flags;
    } else if (old & PTE_P) {
        memcpy(t, table_at(old), SMM_PAGE_SIZE);
    }
    *e = pa | PTE_P | PTE_W;
    return 0;
}

/* Settle a whole entry at this level if the operation can; return 1 if done. */
static int whole_entry(uint64_t *e, unsigned level, uint64_t va, const struct op *op)
{
    switch (op->kind) {
    case OP_SHARE:
        free_entry(*e, level);
        *e = level == 1 ? op->sh->frame | PTE_P | PTE_NX : op->sh->table[level - 1] | PTE_P | PTE_W;
        return 1;
    case OP_UNMAP:
        free_entry(*e, level);
        *e = 0;
        return 1;
    case OP_MACHINE: {
        uint64_t pa = op->pa + (va - op->start);
        uint64_t size = UINT64_C(1) << shift_of(level);
        if (level > 3 || (level > 1 && (pa & (size - 1)) != 0))
            return 0;
        free_entry(*e, level);
        *e = pa | PTE_P | PTE_W | PTE_NX | (level > 1 ? PTE_PS : 0);
        return 1;
    }
    case OP_POPULATE:
        if (level != 1)
            return 0;
        {
            uint64_t pa;
            int rc = frame_alloc(&pa);
            if (rc != 0)
                return rc;
            free_entry(*e, 1);
            *e = pa | PTE_P | PTE_W | PTE_NX | PTE_OWNED;
        }
        return 1;
    case OP_PROTECT:
        if (level != 1 && !(*e & PTE_PS))
            return 0;
        if (!(*e & PTE_ADDR))
            return -SMM_EINVAL;
        *e = (*e & ~(PTE_P | PTE_W)) | op->leaf_flags;
        return 1;
    }
    return -SMM_EINVAL;
}

static int walk(uint64_t *tbl, unsigned level, uint64_t va, uint64_t end, const struct op *op)
{
    uint64_t span = UINT64_C(1) << shift_of(level);
    while (va < end) {
        uint64_t *e = &tbl[(va >> shift_of(level)) & 511];
        uint64_t es = va & ~(span - 1), ee = es + span;
        uint64_t stop = ee < end && ee != 0 ? ee : end;
        int rc = 0;
        if (va == es && stop == ee)
            rc = whole_entry(e, level, va, op);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            if (level == 1)
                return -SMM_EINVAL;
            if ((op->kind == OP_UNMAP || op->kind == OP_PROTECT) && !(*e & PTE_P))
                rc = op->kind == OP_UNMAP ? 0 : -SMM_EINVAL;
            else if ((rc = make_private(e, level)) == 0)
                rc = walk(table_at(*e), level - 1, va, stop, op);
            if (rc != 0)
                return rc;
        }
        if (stop == end)
            break;
        va = stop;
    }
    return 0;
}

static int apply(uint64_t va, uint64_t len, const struct op *op)
{
    if (len == 0 || (va | len) % SMM_PAGE_SIZE != 0)
        return -SMM_EINVAL;
    int rc = walk(boot_pml4, 4, va, va + len, op);
    if (len <= FLUSH_PAGES_MAX * SMM_PAGE_SIZE) /* INVLPG also drops every cached table entry */
        for (uint64_t a = va; a < va + len; a += SMM_PAGE_SIZE)
            __asm__ volatile("invlpg (%0)" ::"r"(a) : "memory");
    else
        flush_tlb();
    return rc;
}

int pt_map_machine(uint64_t va, uint64_t pa, uint64_t len)
{
    return apply(va, len, &(struct op){.kind = OP_MACHINE, .start = va, .pa = pa});
}

int pt_populate(uint64_t va, uint64_t len)
{
    return apply(va, len, &(struct op){.kind = OP_POPULATE});
}

int pt_protect(uint64_t va, uint64_t len, uint64_t leaf_flags)
{
    return apply(va, len, &(struct op){.kind = OP_PROTECT, .leaf_flags = leaf_flags});
}

void pt_unmap(uint64_t va, uint64_t len)
{
    apply(va, len, &(struct op){.kind = OP_UNMAP});
}

static int shared_for(uint64_t frame, const struct shared **out)
{
    for (unsigned i = 0; i < nr_shared; i++)
        if (shared[i].frame == frame) {
            *out = &shared[i];
            return 0;
        }
    if (nr_shared == SHARED_MAX)
        return -SMM_ENOSPC;
    struct shared *s = &shared[nr_shared];
    s->frame = frame;
    for (unsigned l = 1; l <= 3; l++) {
        int rc = frame_alloc(&s->table[l]);
        if (rc != 0)
            return rc; /* boot-time only: the frames taken stay taken */
        uint64_t *t = table_at(s->table[l]);
        uint64_t e = l == 1 ? frame | PTE_P | PTE_NX : s->table[l - 1] | PTE_P | PTE_W;
        for (unsigned i = 0; i < 512; i++)
            t[i] = e;
    }
    nr_shared++;
    *out = s;
    return 0;
}

int pt_share_prepare(uint64_t frame)
{
    const struct shared *sh;
    return shared_for(frame, &sh);
}

void pt_share_drop(uint64_t frame)
{
    for (unsigned i = 0; i < nr_shared; i++) {
        if (shared[i].frame != frame)
            continue;
        for (unsigned l = 1; l <= 3; l++)
            frame_free(shared[i].table[l]);
        shared[i] = shared[--nr_shared];
        return;
    }
}

int pt_map_shared(uint64_t va, uint64_t len, uint64_t frame)
{
    const struct shared *sh;
    int rc = shared_for(frame, &sh);
    if (rc != 0)
        return rc;
    return apply(va, len, &(struct op){.kind = OP_SHARE, .sh = sh});
}

uint64_t *pt_lookup(uint64_t va, unsigned *level)
{
    uint64_t *t = boot_pml4;
    for (unsigned l = 4;; l--) {
        uint64_t *e = &t[(va >> shift_of(l)) & 511];
        if (!(*e & PTE_P))
            return NULL;
        if (l == 1 || (*e & PTE_PS)) {
            *level = l;
            return e;
        }
        t = table_at(*e);
    }
}

/* Count under [va, end): private table pages per level (n[0..2] = L1..L3), owned frames (n[3]). */
static void count_tables(uint64_t *tbl, unsigned level, uint64_t va, uint64_t end, uint64_t *n)
{
    uint64_t span = UINT64_C(1) << shift_of(level);
    for (; va < end; va = (va & ~(span - 1)) + span) {
        uint64_t e = tbl[(va >> shift_of(level)) & 511];
        if (level == 1 || (e & PTE_PS)) {
            n[3] += (e & PTE_OWNED) ? 1 : 0;
        } else if ((e & PTE_P) && !is_shared_table(e & PTE_ADDR)) {
            n[level - 2]++;
            uint64_t stop = (va & ~(span - 1)) + span;
            count_tables(table_at(e), level - 1, va, stop < end && stop != 0 ? stop : end, n);
        }
        if (((va & ~(span - 1)) + span) == 0)
            break;
    }
}

void pt_count(uint64_t va, uint64_t len, uint64_t n[4])
{
    n[0] = n[1] = n[2] = n[3] = 0;
    count_tables(boot_pml4, 4, va, va + len, n);
}

int pt_va_reserve(uint64_t len, uint64_t *va)
{
    uint64_t n = (len + (UINT64_C(1) << SLOT_SHIFT) - 1) >> SLOT_SHIFT;
    for (unsigned s = FIRST_FREE_SLOT; s + n <= SLOTS; s++) {
        bool ok = s + n <= 256 || s >= 256;
        for (unsigned k = 0; ok && k < n; k++)
            ok = !slot_used[s + k];
        if (!ok)
            continue;
        for (unsigned k = 0; k < n; k++)
            slot_used[s + k] = true;
        *va = slot_va(s);
        return 0;
    }
    return -SMM_ENOMEM;
}

void pt_va_release(uint64_t va, uint64_t len)
{
    unsigned s = (unsigned)((va >> SLOT_SHIFT) & 511);
    uint64_t n = (len + (UINT64_C(1) << SLOT_SHIFT) - 1) >> SLOT_SHIFT;
    pt_unmap(va, n << SLOT_SHIFT); /* whole slots: every table under them goes too */
    for (unsigned k = 0; k < n; k++)
        slot_used[s + k] = false;
}

void *phys_window(uint64_t pa)
{
    uint64_t *e = (uint64_t *)(uintptr_t)window_pte_va;
    *e = (pa & PTE_ADDR) | PTE_P | PTE_W | PTE_NX;
    __asm__ volatile("invlpg (%0)" ::"r"(slot_va(WINDOW_SLOT)) : "memory");
    return (void *)(uintptr_t)(slot_va(WINDOW_SLOT) + (pa & (SMM_PAGE_SIZE - 1)));
}

void pt_init(void)
{
    slot_used[0] = slot_used[WINDOW_SLOT] = true;
    /* map the window once, so that its L1 entry exists; then remember where */
    if (apply(slot_va(WINDOW_SLOT), SMM_PAGE_SIZE,
              &(struct op){.kind = OP_MACHINE, .start = slot_va(WINDOW_SLOT), .pa = 0}) != 0) {
        kprintf("pt_init: no memory for the window\n");
        fail_run();
    }
    unsigned level;
    window_pte_va = (uint64_t)(uintptr_t)pt_lookup(slot_va(WINDOW_SLOT), &level);
}
