; The tiny kernel as a Multiboot 2 kernel, for GRUB: exits QEMU with 0x10
; (status 33) at its first instruction, like tests/kernels/tiny.S.
bits 32
section .multiboot2 align=8
header:
	dd 0xe85250d6                   ; magic
	dd 0                            ; architecture: i386
	dd header_end - header
	dd -(0xe85250d6 + 0 + (header_end - header))
	dw 0, 0                         ; end tag
	dd 8
header_end:

section .text
global _start
_start:
	mov eax, 0x10
	out 0xf4, eax
.halt:
	cli
	hlt
	jmp .halt
