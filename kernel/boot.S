/* SPDX-License-Identifier: MIT */
/*
 * boot.S - multiboot v1 entry, the switch from 32-bit protected mode to long
 * mode, the exception entry stubs and the fault-probing primitives.
 *
 * QEMU's multiboot loader enters _start in 32-bit protected mode, paging off,
 * eax = 0x2BADB002, ebx = physical address of the multiboot information.
 * The stub zeroes .bss, identity-maps the first 4 GiB with 2 MiB pages
 * (PML4[0] -> one PDPT -> four PDs), enables PAE, long mode, NX and paging,
 * and calls kmain(magic, info) on a 64-bit stack.  Everything above PML4[0]
 * belongs to pt.c.
 *
 * probe_read64 / probe_write64 / probe_rw64 touch one address and return 0,
 * or -1 when the access faulted: each faulting instruction has an entry in
 * the section "fixup" (instruction address, resume address) that trap.c
 * consults before it declares a fault unexpected.
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* page-aligned modules, memory information */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

    .section .text.boot, "ax"
    .code32
    .globl _start
_start:
    cli
    mov %eax, %esi                  /* keep magic and info across the bss clear */
    mov %ebx, %ebp
    mov $__bss_start, %edi
    mov $_end, %ecx
    sub %edi, %ecx
    shr $2, %ecx
    xor %eax, %eax
    rep stosl
    mov %esi, boot_magic
    mov %ebp, boot_info
    mov $boot_stack_top, %esp

    /* PML4[0] -> PDPT, PDPT[0..3] -> PD0..3, 2048 2 MiB leaves over 4 GiB */
    mov $boot_pdpt, %eax
    or $0x3, %eax
    mov %eax, boot_pml4
    mov $boot_pd, %eax
    or $0x3, %eax
    xor %ecx, %ecx
1:  mov %eax, boot_pdpt(,%ecx,8)
    add $4096, %eax
    inc %ecx
    cmp $4, %ecx
    jne 1b
    xor %ecx, %ecx
2:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax                  /* present, writable, 2 MiB */
    mov %eax, boot_pd(,%ecx,8)
    mov %ecx, %eax
    shr $11, %eax                   /* high dword: bits 32+ of the address */
    mov %eax, boot_pd+4(,%ecx,8)
    inc %ecx
    cmp $2048, %ecx
    jne 2b

    mov %cr4, %eax
    or $(1 << 5), %eax              /* PAE */
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx           /* EFER: LME, NXE */
    rdmsr
    or $((1 << 8) | (1 << 11)), %eax
    wrmsr
    mov %cr0, %eax
    or $((1 << 31) | (1 << 16)), %eax /* PG, WP: ring 0 honours read-only PTEs */
    mov %eax, %cr0
    lgdt gdt_ptr
    ljmp $0x08, $long_entry

    .code64
long_entry:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    mov $boot_stack_top, %rsp
    mov boot_magic(%rip), %edi
    mov boot_info(%rip), %esi
    call kmain
3:  cli
    hlt
    jmp 3b

/* ---- exception entry: push a uniform frame and call trap(frame) ---- */
.macro ISR_NOERR n
    .globl isr\n
isr\n:
    push $0
    push $\n
    jmp isr_common
.endm
.macro ISR_ERR n
    .globl isr\n
isr\n:
    push $\n
    jmp isr_common
.endm
    .text
ISR_NOERR 0
ISR_NOERR 1
ISR_NOERR 2
ISR_NOERR 3
ISR_NOERR 4
ISR_NOERR 5
ISR_NOERR 6
ISR_NOERR 7
ISR_ERR 8
ISR_NOERR 9
ISR_ERR 10
ISR_ERR 11
ISR_ERR 12
ISR_ERR 13
ISR_ERR 14
ISR_NOERR 15
ISR_NOERR 16
ISR_ERR 17
ISR_NOERR 18
ISR_NOERR 19
ISR_NOERR 20
ISR_ERR 21

isr_common:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi
    cld
    call trap
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp
    iretq

/* ---- probes: one access, -1 in rax when it faulted ---- */
    .globl probe_read64
probe_read64:                       /* (const void *addr, uint64_t *out) */
10: mov (%rdi), %rax
    mov %rax, (%rsi)
    xor %eax, %eax
    ret
    .globl probe_write64
probe_write64:                      /* (void *addr, uint64_t v) */
11: mov %rsi, (%rdi)
    xor %eax, %eax
    ret
    .globl probe_rw64
probe_rw64:                         /* (void *addr): read, write the same back */
12: mov (%rdi), %rax
13: mov %rax, (%rdi)
    xor %eax, %eax
    ret
probe_failed:
    mov $-1, %rax
    ret

    .section .fixup, "a"
    .quad 10b, probe_failed
    .quad 11b, probe_failed
    .quad 12b, probe_failed
    .quad 13b, probe_failed

    .section .rodata
    .align 16
gdt:
    .quad 0
    .quad 0x00209A0000000000        /* 0x08: 64-bit code */
    .quad 0x0000920000000000        /* 0x10: data */
gdt_ptr:
    .word gdt_ptr - gdt - 1
    .quad gdt

    .data
    .globl boot_magic, boot_info
boot_magic: .long 0
boot_info:  .long 0

    .bss
    .align 4096
    .globl boot_pml4
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd:   .skip 4 * 4096
boot_stack: .skip 65536
boot_stack_top:
    .section .note.GNU-stack, "", @progbits
