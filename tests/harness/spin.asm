; A boot sector that only spins, with the BIOS's text left on the screen:
; multiboot.py boots it to show that its grub-invaders oracle answers "not
; the game" for a screen that is not the game's (SeaBIOS's banner alone
; fills more than 50 cells of it).
;
;   nasm -f bin -o spin.img spin.asm

bits 16
org 0x7c00

	sti
spin:
	hlt
	jmp spin

	times 510 - ($ - $$) db 0
	dw 0xaa55
