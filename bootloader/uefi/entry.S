/*
 * The UEFI loader's assembly: memcpy and memset for the core, and the
 * trampoline that leaves the firmware's world for the kernel's.
 *
 * Called from C with the Microsoft x64 convention (the firmware's, which
 * clang uses for this target): arguments in RCX, RDX, R8; RAX the result;
 * RBX, RBP, RDI, RSI, R12-R15 preserved.
 */
#include "handoff.h"

	.text

/* void *memcpy(void *dst, const void *src, size_t n)
 * in: RCX dst, RDX src, R8 n; out: RAX dst; clobbers: RCX, flags */
	.globl memcpy
memcpy:
	push %rdi
	push %rsi
	mov %rcx, %rax
	mov %rcx, %rdi
	mov %rdx, %rsi
	mov %r8, %rcx
	cld
	rep movsb
	pop %rsi
	pop %rdi
	ret

/* void *memset(void *dst, int c, size_t n)
 * in: RCX dst, EDX c, R8 n; out: RAX dst; clobbers: RCX, R9, flags */
	.globl memset
memset:
	push %rdi
	mov %rcx, %r9
	mov %rcx, %rdi
	mov %edx, %eax
	mov %r8, %rcx
	cld
	rep stosb
	mov %r9, %rax
	pop %rdi
	ret

/*
 * The trampoline: copied to a page below 4 GiB (main.c), where the
 * firmware's page tables and the kernel's both map it to itself, and
 * entered there after ExitBootServices. Position-independent. Its
 * hand-off block (handoff.h) holds the GDT and the values below.
 */
	.globl trampoline_start, trampoline_multiboot, trampoline_end
trampoline_start:

/* Native kernel, and Linux's 64-bit entry. in: RCX = the hand-off block.
 * out, at the kernel's entry: long mode, CR3 = the core's page tables,
 * CS = 64-bit code (H_CODE_SEL: 0x08; Linux 0x10), DS = ES = FS = GS =
 * SS = data (H_DATA_SEL: 0x10; Linux 0x18), a null IDT, interrupts off,
 * CR0.WP, NE, MP set and EM, TS clear, CR4.OSFXSR and OSXMMEXCPT set (the
 * rest of CR4 as the firmware left it: 4-level paging, platform.c refuses
 * LA57), EFER.NXE set when H_NX, x87 reset, no TLB entry left from the
 * firmware's tables (global ones too); RSP = H_STACK_TOP - 8 (a null return
 * address), RBP = 0, RDI = H_INFO, RSI = H_RSI; the other general
 * registers zero. Does not return. */
trampoline_native:
	cli
	lgdt H_GDTR(%rcx)
	lidt H_IDTR(%rcx)
	mov %rcx, %rsi
	lea 1f(%rip), %rax
	pushq H_CODE_SEL(%rcx)
	push %rax
	lretq
1:	mov H_DATA_SEL(%rsi), %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %fs
	mov %eax, %gs
	mov %eax, %ss
	mov %cr4, %rax
	or $((1 << 9) | (1 << 10)), %rax  /* OSFXSR, OSXMMEXCPT */
	mov %rax, %cr4
	mov %cr0, %rax
	and $~((1 << 2) | (1 << 3)), %rax  /* EM, TS: SSE must not trap */
	or $((1 << 16) | (1 << 5) | (1 << 1)), %rax /* WP, NE, MP */
	mov %rax, %cr0
	mov $0xc0000080, %ecx             /* EFER */
	rdmsr
	cmpq $0, H_NX(%rsi)
	je 2f
	or $(1 << 11), %eax               /* NXE, before tables that use NX */
2:	wrmsr
	mov H_PAGE_TABLES(%rsi), %rax
	mov %rax, %cr3
	mov %cr4, %rax                    /* PGE off and on again: global entries go too */
	mov %rax, %rdx
	and $~(1 << 7), %rax
	mov %rax, %cr4
	mov %rdx, %cr4
	fninit
	mov H_STACK_TOP(%rsi), %rsp
	pushq $0                          /* a null return address: RSP + 8 is 16-byte aligned */
	mov H_INFO(%rsi), %rdi
	mov H_ENTRY(%rsi), %rax
	xor %ebx, %ebx
	xor %ecx, %ecx
	xor %edx, %edx
	xor %ebp, %ebp
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d
	xor %r12d, %r12d
	xor %r13d, %r13d
	xor %r14d, %r14d
	xor %r15d, %r15d
	mov H_RSI(%rsi), %rsi             /* last: it held the block */
	jmp *%rax

/* Multiboot kernel, and Linux's 32-bit entry. in: RCX = the hand-off
 * block (below 4 GiB).
 * out, at the kernel's entry, as both Multiboot specifications (and
 * Linux's boot.rst) require: 32-bit protected mode, paging and long mode
 * off, CR4.PAE and PCIDE clear, CS = flat 32-bit code (H_CODE_SEL: 0x18;
 * Linux 0x10), DS = ES = FS = GS = SS = flat data (H_DATA_SEL: 0x10; Linux
 * 0x18), a null IDT, interrupts off, EFLAGS.VM and DF clear, EAX = H_MAGIC,
 * EBX = H_INFO, ESI = H_RSI, ECX = EDI = EBP = 0, ESP = H_STACK_TOP (the
 * top of the trampoline's page). Does not return. */
trampoline_multiboot:
	cli
	lgdt H_GDTR(%rcx)
	lidt H_IDTR(%rcx)
	mov %ecx, %esi
	lea 3f(%rip), %rax
	pushq H_CODE_SEL(%rcx)
	push %rax
	lretq                             /* to compatibility mode */
	.code32
3:	mov H_DATA_SEL(%esi), %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %fs
	mov %eax, %gs
	mov %eax, %ss
	mov %cr4, %eax
	and $~(1 << 17), %eax             /* PCIDE: clearing PG with it set is a #GP */
	mov %eax, %cr4
	mov %cr0, %eax
	and $0x7fffffff, %eax             /* PG off: the CPU leaves long mode */
	mov %eax, %cr0
	mov $0xc0000080, %ecx             /* EFER */
	rdmsr
	and $~(1 << 8), %eax              /* LME */
	wrmsr
	mov %cr4, %eax
	and $~(1 << 5), %eax              /* PAE */
	mov %eax, %cr4
	mov H_STACK_TOP(%esi), %esp
	pushl $2                          /* EFLAGS: only the always-one bit */
	popfl
	mov H_INFO(%esi), %ebx
	mov H_ENTRY(%esi), %edx
	mov H_MAGIC(%esi), %eax
	xor %ecx, %ecx
	xor %edi, %edi
	xor %ebp, %ebp
	mov H_RSI(%esi), %esi             /* last: it held the block */
	jmp *%edx
	.code64
trampoline_end:
	/* The hand-off block follows the code in the trampoline's page: a
	 * trampoline longer than TRAMPOLINE_DATA (handoff.h) stops the build
	 * here ("invalid number of bytes": the comparison's true is -1). The
	 * length is known only once jumps are sized, too late for .if. */
	.space (trampoline_end - trampoline_start) > TRAMPOLINE_DATA

/* The APs' start-up code (smp/trampoline.asm, assembled by the build): data
 * the core copies below 1 MiB when the kernel asks for its APs. */
	.globl smp_trampoline, smp_trampoline_end
smp_trampoline:
	.incbin SMP_TRAMPOLINE_BIN
smp_trampoline_end:
