; The floors for "load N MiB": a boot sector that only reads N MiB from LBA 1
; on through int 13h extended reads, 127 sectors at a time into one buffer,
; then exits QEMU through isa-debug-exit (0x10 -> exit status 33).
; With COPY, each read is also copied to where a kernel would live (from
; 1 MiB up) with rep movsd in unreal mode: what is left between that and
; mkbootimg is the loader's own work (checksum, page tables, mode switch)
; and the kernel's. SECTORS is passed by the build; QEMU's BIOS leaves A20 on.
%ifndef SECTORS
%error "SECTORS must be defined"
%endif
; Under QEMU's TCG every write to a page holding translated code takes a
; slow path, so the stack and the disk address packet live below this
; sector's page (as the mkbootimg loader keeps its own writes apart).
DAP equ 0x6000

bits 16
org 0x7c00
	cli
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, 0x6000
%ifdef COPY
	; Unreal mode: DS and ES keep a 4 GiB limit back in real mode.
	o32 lgdt [gdt_descriptor]
	mov eax, cr0
	or al, 1
	mov cr0, eax
	mov bx, 0x08
	mov ds, bx
	mov es, bx
	and al, 0xfe
	mov cr0, eax
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov edi, 0x100000
%endif
	sti
	cld
	mov si, dap_template            ; the packet, copied out of the code page
	push di
	mov di, DAP
	mov cx, 16
	rep movsb
	pop di
	mov ebp, SECTORS
.next:
	mov eax, ebp
	cmp eax, 127
	jbe .last
	mov eax, 127
.last:
	mov [DAP + 2], ax
	mov si, DAP
	mov ah, 0x42
	int 0x13
	jc .fail
	movzx ecx, word [DAP + 2]
	add [DAP + 8], ecx
	sub ebp, ecx
%ifdef COPY
	shl ecx, 7                      ; sectors -> dwords
	mov esi, 0x10000
	a32 rep movsd
	test ebp, ebp
%endif
	jnz .next
	mov eax, 0x10
	jmp .exit
.fail:
	mov eax, 0x11
.exit:
	out 0xf4, eax
	cli
	hlt

%ifdef COPY
align 8
gdt:
	dq 0
	dq 0x00cf92000000ffff           ; flat 4 GiB data
gdt_descriptor:
	dw gdt_descriptor - gdt - 1
	dd gdt
%endif

align 4
dap_template:
	db 16, 0
	dw 0                            ; sectors, set per read
	dw 0, 0x1000                    ; 1000:0000, 64 KiB-aligned
	dq 1                            ; LBA

	times 510 - ($ - $$) db 0
	dw 0xaa55
