; The floor for "load N MiB": a boot sector that only reads the same number of
; sectors through int 13h extended reads, 127 sectors at a time into one
; buffer, then exits QEMU through isa-debug-exit (0x10 -> exit status 33).
; SECTORS is passed by the build. What a loader adds on top is its overhead.
%ifndef SECTORS
%error "SECTORS must be defined"
%endif
bits 16
org 0x7c00
	xor ax, ax
	mov ds, ax
	mov ss, ax
	mov sp, 0x7c00
	mov ebp, SECTORS
.next:
	mov eax, ebp
	cmp eax, 127
	jbe .last
	mov eax, 127
.last:
	mov [dap.count], ax
	mov si, dap
	mov ah, 0x42
	int 0x13
	jc .fail
	movzx eax, word [dap.count]
	add [dap.lba], eax
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
dap:
	db 16, 0
.count:	dw 0
	dw 0, 0x1000                    ; 1000:0000, 64 KiB-aligned
.lba:	dq 1

	times 510 - ($ - $$) db 0
	dw 0xaa55
