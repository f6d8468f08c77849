; mkbootimg stage 2: what must be assembly. Real-mode entry, unreal mode,
; the BIOS call thunk, string helpers and the jump to the kernel.
;
; The C part of stage 2 is built with gcc -m16 -mregparm=3: it runs in real
; mode with 32-bit operands and addresses. Functions here follow that ABI:
; arguments in EAX, EDX, ECX; result in EAX; EBX, ESI, EDI, EBP preserved;
; 32-bit return address (o32 call / o32 ret).
;
; Memory: CS = DS = ES = SS = 0 throughout. DS, ES, FS and GS carry a 4 GiB
; limit (unreal mode), so C pointers reach all memory below 4 GiB.

; Offsets and constants shared with C: generated from the headers (layout.c).
%include "layout.inc"

CODE64_SEL    equ 0x08
DATA_SEL      equ 0x10
CODE32_SEL    equ 0x18
LINUX_CODE_SEL equ 0x10                 ; in linux_gdt: boot.rst's __BOOT_CS
LINUX_DATA_SEL equ 0x18                 ; ... and __BOOT_DS

extern loader_main
extern __bss_start, __bss_end

bits 16

section .loader_version progbits alloc noexec nowrite
	db LOADER_NAME
%if ($ - $$) > LOADER_NAME_MAX
%error "the loader's name is longer than MKB_LOADER_NAME_MAX"
%endif
	times LOADER_NAME_MAX - ($ - $$) db 0

section .text16 progbits alloc exec nowrite align=1

; Entered from stage 1 at 0000:8020 with DL = boot drive.
global _start
_start:
	cli
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	; Not 0x7c00: under QEMU's TCG every write to a page holding translated
	; code (stage 1 lives at 0x7c00) takes a slow path, which made a stack in
	; that page cost seconds per 64 MiB loaded.
	mov esp, LOW_STACK_TOP
	sti
	cld
	movzx ebx, dl
	call enter_unreal

	; Clear .bss: memory is not guaranteed to be zero.
	mov edi, __bss_start
	mov ecx, __bss_end
	sub ecx, edi
	xor eax, eax
	a32 rep stosb

	mov eax, ebx
	call dword loader_main          ; does not return
.halt:
	cli
	hlt
	jmp .halt

; Give DS, ES, FS, GS a 4 GiB limit, keeping base 0.
; BIOSes that enter protected mode inside a call (USB stacks on real PCs) may
; reset the limits, so this runs again after every BIOS call.
; in: nothing; out: DS = ES = FS = GS = 0 with 4 GiB limits; clobbers: nothing
enter_unreal:
	pushfd
	push eax
	cli
	o32 lgdt [gdt_descriptor]
	mov eax, cr0
	or al, 1
	mov cr0, eax
	mov ax, DATA_SEL
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov eax, cr0
	and al, 0xfe
	mov cr0, eax
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	pop eax
	popfd
	ret

; void bios_call(uint32_t intno, struct bios_regs *regs)
; in: EAX = interrupt number (0x10, 0x12, 0x13 or 0x15), EDX = regs (below
; 64 KiB: on the stack); the registers of *regs are loaded, the interrupt is
; raised, and the registers it returns (and EFLAGS) are stored back.
; clobbers: EAX, ECX, EDX (per the ABI)
; struct bios_regs: eax ebx ecx edx esi edi ebp eflags (dwords), ds es (words)
; The interrupt number picks one of four fixed int instructions: patching
; the number into the code would make the emulator retranslate the page.
global bios_call
bios_call:
	pushad
	push ds
	push es
	mov word [int_target], .int15
	cmp al, 0x10
	jne .not10
	mov word [int_target], .int10
.not10:
	cmp al, 0x12
	jne .not12
	mov word [int_target], .int12
.not12:
	cmp al, 0x13
	jne .not13
	mov word [int_target], .int13
.not13:
	mov [regs_ptr], edx
	mov ebx, [edx + REGS_EBX]
	mov ecx, [edx + REGS_ECX]
	mov esi, [edx + REGS_ESI]
	mov edi, [edx + REGS_EDI]
	mov ebp, [edx + REGS_EBP]
	push word [edx + REGS_DS]
	push word [edx + REGS_ES]
	mov eax, [edx + REGS_EAX]
	mov edx, [edx + REGS_EDX]
	pop es
	pop ds
	jmp [cs:int_target]
.int13:
	int 0x13
	jmp .returned
.int10:
	int 0x10
	jmp .returned
.int12:
	int 0x12
	jmp .returned
.int15:
	int 0x15
.returned:
	push ds
	push es
	pushfd
	push edx
	xor dx, dx
	mov ds, dx
	mov edx, [regs_ptr]
	mov [edx + REGS_EAX], eax
	mov [edx + REGS_EBX], ebx
	mov [edx + REGS_ECX], ecx
	pop dword [edx + REGS_EDX]
	mov [edx + REGS_ESI], esi
	mov [edx + REGS_EDI], edi
	mov [edx + REGS_EBP], ebp
	pop dword [edx + REGS_EFLAGS]
	pop word [edx + REGS_ES]
	pop word [edx + REGS_DS]
	pop es
	pop ds
	call enter_unreal
	popad
	; The C code addresses its stack through all of ESP; a BIOS that
	; switches stacks may hand back SP with garbage in ESP's upper half.
	and esp, 0xffff
	o32 ret

; void *memcpy(void *dst, const void *src, uint32_t n)
global memcpy
memcpy:
	push esi
	push edi
	mov edi, eax
	mov esi, edx
	push ecx
	shr ecx, 2
	a32 rep movsd
	pop ecx
	and ecx, 3
	a32 rep movsb
	pop edi
	pop esi
	o32 ret

; void *memset(void *dst, int c, uint32_t n)
global memset
memset:
	push edi
	push eax
	mov edi, eax
	movzx eax, dl
	imul eax, eax, 0x01010101
	push ecx
	shr ecx, 2
	a32 rep stosd
	pop ecx
	and ecx, 3
	a32 rep stosb
	pop eax
	pop edi
	o32 ret

; void enter_kernel(const struct core_handoff *h)  -- does not return
; in: EAX = the hand-off, below 64 KiB: CR3 (page_tables, below 4 GiB),
;     entry, stack_top and info (RDI) as uint64_t, nx (set EFER.NXE).
; Goes straight from real mode to long mode: PAE, CR3 and EFER.LME first,
; then PE and PG together.
global enter_kernel
enter_kernel:
	cli
	mov esi, eax
	o32 lidt [idt_null]             ; a fault now is a clean triple fault
	mov eax, cr4
	or eax, (1 << 5) | (1 << 9) | (1 << 10) ; PAE, OSFXSR, OSXMMEXCPT
	mov cr4, eax
	mov eax, [esi + HANDOFF_PAGE_TABLES]
	mov cr3, eax
	mov ecx, 0xc0000080             ; EFER
	rdmsr
	or ax, 1 << 8                   ; LME
	cmp dword [esi + HANDOFF_NX], 0
	je .no_nx
	or ax, 1 << 11                  ; NXE
.no_nx:
	wrmsr
	mov eax, cr0
	and eax, ~((1 << 2) | (1 << 3)) ; EM, TS: SSE must not trap
	or eax, (1 << 31) | (1 << 16) | (1 << 5) | (1 << 1) | 1 ; PG, WP, NE, MP, PE
	mov cr0, eax
	jmp dword CODE64_SEL:.long_mode

bits 64
.long_mode:
	mov ax, DATA_SEL
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov esi, esi                    ; upper halves are undefined after the switch
	fninit
	mov rsp, [rsi + HANDOFF_STACK_TOP]
	push 0                          ; a null return address: RSP + 8 is 16-byte aligned
	mov rdi, [rsi + HANDOFF_INFO]
	mov rax, [rsi + HANDOFF_ENTRY]
	xor ebx, ebx
	xor ecx, ecx
	xor edx, edx
	xor esi, esi
	xor ebp, ebp
	xor r8d, r8d
	xor r9d, r9d
	xor r10d, r10d
	xor r11d, r11d
	xor r12d, r12d
	xor r13d, r13d
	xor r14d, r14d
	xor r15d, r15d
	jmp rax

bits 16

; void enter_multiboot(const struct core_handoff *h)  -- does not return
; in: EAX = the hand-off, below 64 KiB: magic (for EAX at entry), info
;     (the information's physical address, EBX) and entry (physical), each
;     below 4 GiB.
; out, at the kernel's entry, as both Multiboot specifications require:
;     32-bit protected mode, paging off, CS = flat 32-bit code (0x18),
;     DS = ES = FS = GS = SS = flat data (0x10), A20 on (main.c did it),
;     interrupts off, EFLAGS.VM and DF clear, EAX = magic, EBX = info;
;     ESP still the loader's stack (below LOW_STACK_TOP); the IDT is null.
global enter_multiboot
enter_multiboot:
	cli
	mov ebx, [eax + HANDOFF_INFO]
	mov esi, [eax + HANDOFF_ENTRY]
	mov edi, [eax + HANDOFF_MAGIC]
	o32 lidt [idt_null]             ; the kernel sets up its own
	mov eax, cr0
	and eax, 0x7fffffff             ; PG off (it already is)
	or al, 1                        ; PE
	mov cr0, eax
	jmp dword CODE32_SEL:.protected

bits 32
.protected:
	mov ax, DATA_SEL
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax
	and esp, 0xffff
	push dword 0x2                  ; EFLAGS: only the always-one bit (IF, DF, VM clear)
	popfd
	mov eax, edi
	xor ecx, ecx
	xor edx, edx
	xor edi, edi
	xor ebp, ebp
	jmp esi

bits 16

; void enter_linux(const struct core_handoff *h)  -- does not return
; in: EAX = the hand-off, below 64 KiB: info (boot_params), entry
;     (physical), page_tables (0: the 32-bit entry) and stack_top, each
;     below 4 GiB.
; out, at the kernel's entry, as Linux's boot.rst requires: CS = flat code
;     at 0x10, DS = ES = FS = GS = SS = flat data at 0x18 (linux_gdt),
;     interrupts off, the IDT null, A20 on (main.c did it).
;     64-bit entry (page_tables set): long mode, CR3 = page_tables (the
;     first 4 GiB identity-mapped), RSP = stack_top, RSI = info.
;     32-bit entry: protected mode, paging off, ESI = info, EBX = EDI =
;     EBP = 0, ESP still the loader's stack (below LOW_STACK_TOP).
global enter_linux
enter_linux:
	cli
	mov esi, eax
	o32 lidt [idt_null]
	mov eax, [esi + HANDOFF_PAGE_TABLES]
	test eax, eax
	jz .entry32
	mov cr3, eax
	mov eax, cr4
	or eax, 1 << 5                  ; PAE
	mov cr4, eax
	mov ecx, 0xc0000080             ; EFER
	rdmsr
	or ax, 1 << 8                   ; LME
	wrmsr
	o32 lgdt [linux_gdt64_descriptor]
	mov eax, cr0
	or eax, (1 << 31) | 1           ; PG, PE: straight to long mode
	mov cr0, eax
	jmp dword LINUX_CODE_SEL:.long_mode

bits 64
.long_mode:
	mov eax, LINUX_DATA_SEL
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov esi, esi                    ; upper halves are undefined after the switch
	mov rsp, [rsi + HANDOFF_STACK_TOP]
	mov rax, [rsi + HANDOFF_ENTRY]
	mov rsi, [rsi + HANDOFF_INFO]
	jmp rax

bits 16
.entry32:
	o32 lgdt [linux_gdt32_descriptor]
	mov edx, [esi + HANDOFF_ENTRY]
	mov esi, [esi + HANDOFF_INFO]
	mov eax, cr0
	or al, 1                        ; PE; PG is off
	mov cr0, eax
	jmp dword LINUX_CODE_SEL:.protected

bits 32
.protected:
	mov ax, LINUX_DATA_SEL
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax
	and esp, 0xffff
	push dword 0x2                  ; EFLAGS: only the always-one bit (IF, DF, VM clear)
	popfd
	xor eax, eax
	xor ebx, ebx
	xor ecx, ecx
	xor edi, edi
	xor ebp, ebp
	jmp edx

bits 16

; void enter_linux16(uint32_t segment)  -- does not return
; in: EAX = X >> 4: the kernel's real-mode part (boot sector and setup code)
;     at X, its header filled (core/linux.c), the command line at X+0xe000.
; out, at the setup code, as Linux's boot.rst says ("Running the kernel"):
;     real mode (the IVT and the BIOS as they are), interrupts off,
;     DS = ES = FS = GS = SS = X >> 4, SP = 0xe000 (LINUX_REAL_STACK),
;     CS:IP = (X >> 4) + 0x20 : 0000, A20 on (main.c did it).
global enter_linux16
enter_linux16:
	cli
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax
	mov esp, LINUX_REAL_STACK
	add ax, 0x20                    ; the setup code: the sector after the boot sector
	push ax
	push word 0
	retf

section .note.GNU-stack noalloc noexec nowrite progbits
section .data
; The APs' start-up code (smp/trampoline.asm, assembled by the build),
; copied by the core to SMP_PAGE when the kernel asks for its APs.
global smp_trampoline, smp_trampoline_end
smp_trampoline:
	incbin SMP_TRAMPOLINE_BIN
smp_trampoline_end:

align 8
gdt:
	dq 0
	dq 0x00af9a000000ffff           ; 0x08: 64-bit code
	dq 0x00cf92000000ffff           ; 0x10: flat 4 GiB data
	dq 0x00cf9a000000ffff           ; 0x18: flat 4 GiB 32-bit code (Multiboot)
gdt_descriptor:
	dw gdt_descriptor - gdt - 1
	dd gdt
; Linux's boot.rst wants code at 0x10 and data at 0x18: two tables in one
; array, the 32-bit one starting 16 bytes in (its first two entries, never
; loaded, are the 64-bit table's last two).
linux_gdt:
	dq 0, 0
	dq 0x00af9a000000ffff           ; 0x10: 64-bit code (the 64-bit entry)
	dq 0x00cf92000000ffff           ; 0x18: flat 4 GiB data
	dq 0x00cf9a000000ffff           ; 0x10 of the 32-bit table: flat 4 GiB 32-bit code
	dq 0x00cf92000000ffff           ; 0x18 of the 32-bit table: flat 4 GiB data
linux_gdt64_descriptor:
	dw 31
	dd linux_gdt
linux_gdt32_descriptor:
	dw 31
	dd linux_gdt + 16
idt_null:
	dw 0
	dd 0

; Written on every BIOS call: kept out of the code's pages (see stage2.ld).
section .bss
regs_ptr:
	resd 1
int_target:
	resw 1
