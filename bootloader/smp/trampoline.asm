; The APs' start-up code, shared by both front-ends: assembled to a flat
; blob that each embeds (bios/entry.asm, uefi/entry.S) and core/smp.c copies
; to a page P below 1 MiB. Every AP starts here at P>>4:0000 in real mode
; (SIPI vector P>>12), goes to 32-bit protected mode and then to long mode on
; the kernel's page tables (their first 4 GiB are identity-mapped: P too),
; finds its struct mkbootimg_cpu by its APIC ID, takes its stack, says it is
; parked (MKBOOTIMG_CPU_STARTED) and polls goto_address.
;
; Runs on several APs at once: nothing is written but the three linear
; addresses below (the same value from every AP) and each AP's own flags.

bits 16
org 0

start:
	cli
	jmp short real16

	align 8
data:					; struct smp_ap_data (core/smp.h), SMP_AP_DATA = 8
.cr3:	dd 0				; the kernel's page tables
.nx:	dd 0				; 1: set EFER.NXE
.cpus:	dq 0				; struct mkbootimg_cpu[count], then count stack tops
.count:	dd 0
	dd 0
gdt_desc:
	dw gdt_end - gdt - 1
	dd 0				; P + gdt
	dw 0
far32:	dd 0				; P + prot32
	dw 0x08
	dw 0
far64:	dd 0				; P + long64
	dw 0x18
	dw 0

	align 8
gdt:	dq 0
	dq 0x00cf9a000000ffff		; 0x08: 32-bit code, flat
	dq 0x00cf92000000ffff		; 0x10: data, flat
	dq 0x00af9a000000ffff		; 0x18: 64-bit code
gdt_end:

CPU_SIZE equ 32				; struct mkbootimg_cpu
CPU_LAPIC_ID equ 4
CPU_FLAGS equ 8
CPU_GOTO equ 16
CPU_STARTED equ 2			; MKBOOTIMG_CPU_STARTED

; in: CS = P >> 4; ESI = P from here on
real16:
	cld
	mov ax, cs
	mov ds, ax
	xor esi, esi
	mov si, ax
	shl esi, 4
	lea eax, [esi + gdt]
	mov [gdt_desc + 2], eax
	lea eax, [esi + prot32]
	mov [far32], eax
	lea eax, [esi + long64]
	mov [far64], eax
	o32 lgdt [gdt_desc]
	mov eax, cr0
	or al, 1			; PE
	mov cr0, eax
	jmp dword far [far32]

bits 32
prot32:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, (1 << 5) | (1 << 9) | (1 << 10) ; PAE, OSFXSR, OSXMMEXCPT: SSE as on the BSP
	mov cr4, eax
	mov eax, [esi + data.cr3]
	mov cr3, eax
	mov ecx, 0xc0000080		; EFER
	rdmsr
	or eax, 1 << 8			; LME
	test byte [esi + data.nx], 1
	jz .no_nx
	or eax, 1 << 11			; NXE: the kernel's tables have NX bits
.no_nx:
	wrmsr
	; An explicit CR0, as the BSP's: after INIT it is 0x60000010, CD and NW
	; set (caches off). PG, WP, NE, ET, MP, PE; CD, NW, TS, EM clear.
	mov eax, (1 << 31) | (1 << 16) | (1 << 5) | (1 << 4) | (1 << 1) | 1
	mov cr0, eax
	jmp far [esi + far64]

bits 64
long64:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax
	mov esi, esi			; P, zero-extended
	; This CPU's APIC ID: CPUID 0Bh's x2APIC ID when the leaf is there
	; (EBX non-zero), else CPUID 1's initial APIC ID (EBX 31:24).
	cpuid				; EAX 0: the highest leaf
	cmp eax, 0xb
	jb .leaf1
	mov eax, 0xb
	xor ecx, ecx
	cpuid
	mov r8d, edx
	test ebx, ebx
	jnz .find
.leaf1:
	mov eax, 1
	cpuid
	shr ebx, 24
	mov r8d, ebx
.find:
	mov rdi, [rsi + data.cpus]
	mov ecx, [rsi + data.count]
	mov r9d, ecx
	shl r9, 5
	add r9, rdi			; the stack tops
.next:
	test ecx, ecx
	jz .lost
	cmp [rdi + CPU_LAPIC_ID], r8d
	je .found
	add rdi, CPU_SIZE
	add r9, 8
	dec ecx
	jmp .next
.found:
	mov rsp, [r9]
	test rsp, rsp			; no stack: not one the loader meant to start
	jz .lost
	lock or dword [rdi + CPU_FLAGS], CPU_STARTED
.park:
	pause
	mov rax, [rdi + CPU_GOTO]
	test rax, rax
	jz .park
	push 0				; RSP as after a call
	xor ebp, ebp
	jmp rax				; RDI = its struct mkbootimg_cpu
.lost:
	cli
	hlt
	jmp .lost
