/* Error sentences: a small printf into a buffer (see core.h for the format). */
#include "core.h"

struct out {
	char *buf;
	size_t cap, n;
};

static void put(struct out *o, char c)
{
	if (o->n + 1 < o->cap)
		o->buf[o->n] = c;
	o->n++;
}

static void put_number(struct out *o, uint64_t v, unsigned base, int min_digits)
{
	char digits[20];
	int n = 0;

	do {
		unsigned digit;
		if (base == 16) {
			digit = (unsigned)(v & 15);
			v >>= 4;
		} else {
			/* 64-bit division needs libgcc in the -m16 build: decimal is 32-bit. */
			digit = (uint32_t)v % 10;
			v = (uint32_t)v / 10;
		}
		digits[n++] = (char)(digit < 10 ? '0' + digit : 'a' + digit - 10);
	} while (v || n < min_digits);
	while (n)
		put(o, digits[--n]);
}

size_t core_vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
	struct out o = { buf, cap, 0 };

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		int width = 0;
		if (*fmt == '0') {
			width = fmt[1] - '0';
			fmt += 2;
		}
		switch (*fmt) {
		case 's':
			for (const char *s = va_arg(ap, const char *); *s; s++)
				put(&o, *s);
			break;
		case 'u':
			put_number(&o, va_arg(ap, uint32_t), 10, 1);
			break;
		case 'x':
			put_number(&o, va_arg(ap, uint32_t), 16, width);
			break;
		case 'l':
			fmt++;
			put_number(&o, va_arg(ap, uint64_t), 16, 1);
			break;
		default:
			put(&o, *fmt);
		}
	}
	if (cap)
		buf[o.n < cap ? o.n : cap - 1] = 0;
	return o.n;
}

enum core_status core_fail(struct core_error *e, enum core_status code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	core_vformat(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
	e->code = code;
	return code;
}

size_t core_format(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = core_vformat(buf, cap, fmt, ap);
	va_end(ap);
	return n;
}
