; The floor for "load N MiB": a boot sector that only reads the same number of
; sectors through int 13h extended reads, 127 sectors at a time into one
; buffer, then exits QEMU through isa-debug-exit (0x10 -> exit status 33).
; SECTORS is passed by the build. What a loader adds on top is its overhead.
%ifndef SECTORS
%error "SECTORS must be defined"
%endif
; Under QEMU's TCG every write to a page holding translated code takes a
; slow path, so the stack and the disk address packet live below this
; sector's page (as the mkbootimg loader keeps its own writes apart).
DAP equ 0x6000

bits 16
org 0x7c00
	xor ax, ax
	mov ds, ax
	mov ss, ax
	mov sp, 0x6000                  ; not in this sector's page: see below
	xor ax, ax
	mov es, ax
	cld
	mov si, dap_template              ; the packet, copied out of the code page
	mov di, DAP
	mov cx, 16
	rep movsb
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
	movzx eax, word [DAP + 2]
	add [DAP + 8], eax
	sub ebp, eax
	jnz .next
	mov eax, 0x10
	jmp .exit
.fail:
	mov eax, 0x11
.exit:
	out 0xf4, eax
	cli
	hlt

align 4
dap_template:
	db 16, 0
	dw 0                            ; sectors, set per read
	dw 0, 0x1000                    ; 1000:0000, 64 KiB-aligned
	dq 1                            ; LBA

	times 510 - ($ - $$) db 0
	dw 0xaa55
