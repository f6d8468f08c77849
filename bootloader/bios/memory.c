/* The BIOS's memory map: int 15h E820, or without it E801 and 88h. */
#include <mkbootimg/protocol.h>

#include "bios.h"

#define SMAP 0x534d4150u
#define BDA_EBDA_SEGMENT 0x40eu /* the BIOS data area's word: the EBDA's segment, 0 when none */

/* kib KiB of usable memory from mib MiB on (BIOSes count in KiB). */
static CORE_NOINLINE size_t add_usable(struct mm_range *out, size_t n, uint32_t mib, uint32_t kib)
{
	if (kib) {
		out[n].base = (uint64_t)mib << 20;
		out[n].end = out[n].base + ((uint64_t)kib << 10);
		out[n].type = MKBOOTIMG_MEM_USABLE;
		n++;
	}
	return n;
}

uint32_t conventional_end(void)
{
	struct bios_regs r = { 0 };
	uint32_t end, ebda = (uint32_t)*(const uint16_t *)flat(BDA_EBDA_SEGMENT) << 4;

	bios_call(0x12, &r);
	end = (r.eax & 0xffff) << 10;
	return ebda && ebda < end ? ebda : end;
}

/* BIOSes without E820: int 12h for conventional memory, then E801 (memory
 * up to 16 MiB and above it), then 88h (memory above 1 MiB, at most 64 MiB). */
static size_t read_old_memory_size(struct mm_range *out)
{
	struct bios_regs r = { 0 };
	size_t n;

	bios_call(0x12, &r);
	n = add_usable(out, 0, 0, r.eax & 0xffff);

	r = (struct bios_regs){ .eax = 0xe801 };
	bios_call(0x15, &r);
	if (!(r.eflags & EFLAGS_CF)) {
		/* Some BIOSes answer in AX/BX, others in CX/DX. */
		uint32_t below16 = r.ecx & 0xffff, above16 = r.edx & 0xffff;
		if (!below16 && !above16)
			below16 = r.eax & 0xffff, above16 = r.ebx & 0xffff;
		n = add_usable(out, n, 1, below16);
		n = add_usable(out, n, 16, above16 * 64); /* 64 KiB blocks */
	} else {
		r = (struct bios_regs){ .eax = 0x8800 };
		bios_call(0x15, &r);
		if (!(r.eflags & EFLAGS_CF))
			n = add_usable(out, n, 1, r.eax & 0xffff);
	}
	if (n < 2)
		fatal("the BIOS gave no memory map (E820, E801 and 88h all failed).\n%s",
		      firmware_unsupported);
	return n;
}

size_t read_memory_map(struct mm_range *out, size_t cap)
{
	struct {
		uint64_t base, length;
		uint32_t type, attributes;
	} e; /* on the stack: the BIOS needs it below 64 KiB */
	uint32_t next = 0;
	size_t n = 0;

	do {
		e.attributes = 1; /* stays "valid" when the BIOS returns 20 bytes */
		struct bios_regs r = {
			.eax = 0xe820, .ebx = next, .ecx = sizeof(e), .edx = SMAP,
			.edi = (uint32_t)(uintptr_t)&e,
		};
		bios_call(0x15, &r);
		if ((r.eflags & EFLAGS_CF) || r.eax != SMAP)
			break;
		/* ACPI 3.0: an entry with bit 0 of its attributes clear is to be ignored. */
		if (e.length && (e.attributes & 1)) {
			out[n].base = e.base;
			out[n].end = e.base + e.length < e.base ? UINT64_MAX : e.base + e.length;
			out[n].type = e.type;
			n++;
		}
		next = r.ebx;
	} while (next && n < cap);

	return n ? n : read_old_memory_size(out);
}
