; The floor for "boot to kernel entry": a boot sector that exits QEMU through
; isa-debug-exit (port 0xf4, value 0x10 -> exit status 33) at its first
; instruction. Whatever mkbootimg adds on top of this is loader overhead.
bits 16
org 0x7c00
	mov dx, 0xf4
	mov eax, 0x10
	out dx, eax
	cli
	hlt
	times 510 - ($ - $$) db 0
	dw 0xaa55
