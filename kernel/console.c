/* SPDX-License-Identifier: MIT */
/*
 * console.c - COM1 (0x3f8, 115200 8N1, polled) and kprintf, the only output
 * of the kernel; QEMU's -serial stdio hands it to the host runner.
 */
#include "kernel.h"

#define COM1 0x3f8

void console_init(void)
{
    outb(COM1 + 1, 0x00); /* no interrupts */
    outb(COM1 + 3, 0x80); /* DLAB */
    outb(COM1 + 0, 0x01); /* divisor 1: 115200 */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); /* 8N1 */
    outb(COM1 + 2, 0xC7); /* FIFO */
}

static void putc_serial(char c)
{
    if (c == '\n')
        putc_serial('\r');
    while (!(inb(COM1 + 5) & 0x20))
        ;
    outb(COM1, (uint8_t)c);
}

/* Where output goes: the serial line (buf NULL) or a buffer. */
struct sink {
    char *buf;
    size_t len, pos;
};
static struct sink *sink;

static void emit(char c)
{
    if (!sink) {
        putc_serial(c);
    } else if (sink->pos + 1 < sink->len) {
        sink->buf[sink->pos++] = c;
        sink->buf[sink->pos] = 0;
    }
}

static void put_num(uint64_t v, unsigned base, int width, char pad, bool neg)
{
    char buf[24];
    int n = 0;
    do {
        buf[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (neg)
        buf[n++] = '-';
    for (int i = n; i < width; i++)
        emit(pad);
    while (n)
        emit(buf[--n]);
}

void kvprintf(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            emit(*fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0, lng = 0;
        bool left = false;
        if (*fmt == '-')
            left = true, fmt++;
        if (*fmt == '0')
            pad = '0', fmt++;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l' || *fmt == 'z')
            lng++, fmt++;
        switch (*fmt) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            int len = 0;
            while (s[len])
                len++;
            for (int i = len; i < width && !left; i++)
                emit(' ');
            while (*s)
                emit(*s++);
            for (int i = len; i < width && left; i++)
                emit(' ');
            break;
        }
        case 'c':
            emit((char)va_arg(ap, int));
            break;
        case 'd': {
            int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
            put_num(v < 0 ? -(uint64_t)v : (uint64_t)v, 10, width, pad, v < 0);
            break;
        }
        case 'u':
            put_num(lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width, pad, false);
            break;
        case 'x':
            put_num(lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width, pad, false);
            break;
        case 'p':
            emit('0');
            emit('x');
            put_num((uint64_t)(uintptr_t)va_arg(ap, void *), 16, width, pad, false);
            break;
        default:
            emit(*fmt);
            break;
        }
    }
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
}

void ksnprintf(char *buf, size_t len, const char *fmt, ...)
{
    struct sink sk = {buf, len, 0};
    va_list ap;
    if (len)
        buf[0] = 0;
    sink = &sk;
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    sink = NULL;
}
