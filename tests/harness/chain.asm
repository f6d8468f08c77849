; A boot sector that plays a hostile BIOS, then chain-loads our MBR.
;
; Booted from a floppy (-M pc -boot a), it reads sector 0 of the first hard
; disk (drive 0x80, which holds the mkbootimg image) to 0000:7C00 and jumps to
; it, after doing what the build asks:
;   FILL        fill conventional memory and RAM above 1 MiB with a non-zero
;               pattern, so nothing may rely on memory being zero
;   NO_E820     hook int 15h so that E820 fails (CF set, AH = 0x86): the loader
;               must fall back to E801 or 88h
;   E820_TABLE  hook int 15h E820 to return a crafted map instead: 40 entries,
;               unsorted and overlapping, an unknown type, an empty entry and a
;               reserved range whose ACPI 3.0 "enabled" attribute is clear (to be
;               ignored); made for -M pc -m 256M (SeaBIOS's map, rearranged)
;   JUMP_07C0   enter the MBR at 07C0:0000 instead of 0000:7C00
;   PASS_DL=n   the drive number handed over in DL (default 0x80); 0x00 is
;               what a floppy boot gives, which is not a hard disk
; Prints "harness: <what went wrong>" on the screen and COM1 and halts when
; something fails before the jump.

%ifndef PASS_DL
%define PASS_DL 0x80
%endif

PATTERN     equ 0xA55AC33C
RELOC       equ 0x0600          ; where the harness runs once it moved away from 0x7C00

bits 16
org RELOC

start:
	cli
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, 0x7c00
	cld
	mov si, 0x7c00          ; move out of the way of the MBR we will load
	mov di, RELOC
	mov cx, 256
	rep movsw
	jmp 0:moved
moved:
	sti
	mov [boot_drive], dl
	; The sectors after this one (the int 15h hook and its table) go right
	; after it, at 0000:0800, where the labels expect them.
	mov bp, 3
.extra:
	mov ax, 0x0200 + EXTRA_SECTORS
	mov cx, 0x0002
	xor dh, dh
	mov dl, [boot_drive]
	mov bx, 0x0800
	int 0x13
	jnc .extra_ok
	xor ah, ah
	int 0x13
	dec bp
	jnz .extra
	mov si, msg_extra
	jmp die
.extra_ok:

%ifdef E820_TABLE
%define NO_E820
%endif
%ifdef NO_E820
	; Take 2 KiB off the top of conventional memory for the hook, as boot
	; sector viruses did, so nothing the loader uses can overwrite it.
	mov ax, [0x413]
	sub ax, 2
	mov [0x413], ax
	shl ax, 6               ; KiB -> paragraphs
	mov es, ax
	xor di, di
	mov si, hook
	mov cx, hook_end - hook
	rep movsb
	mov eax, [0x15 * 4]     ; the old vector, kept beside the hook
	mov [es:hook_old - hook], eax
	cli
	mov word [0x15 * 4], 0
	mov [0x15 * 4 + 2], es
	sti
	xor ax, ax
	mov es, ax
%endif

%ifdef FILL
	call fill
%endif

	; Read the MBR of drive 0x80 (CHS 0/0/1) to 0000:7C00.
	mov bp, 3
.read:
	mov ax, 0x0201
	mov cx, 0x0001
	xor dh, dh
	mov dl, 0x80
	mov bx, 0x7c00
	int 0x13
	jnc .read_ok
	xor ah, ah
	int 0x13
	dec bp
	jnz .read
	mov si, msg_read
	jmp die
.read_ok:
	cmp word [0x7dfe], 0xaa55
	je .sig_ok
	mov si, msg_sig
	jmp die
.sig_ok:
	mov dl, PASS_DL
	xor ax, ax
	xor bx, bx
	xor si, si
	xor di, di
%ifdef JUMP_07C0
	jmp 0x07c0:0x0000
%else
	jmp 0x0000:0x7c00
%endif



; Print "harness: " and the message at SI on the screen and COM1, then halt.
die:
	push si
	mov si, msg_prefix
	call print
	pop si
	call print
.halt:
	cli
	hlt
	jmp .halt
print:
	lodsb
	test al, al
	jz .ret
	mov ah, 0x0e
	mov bx, 7
	int 0x10
	mov dx, 0x3f8
	out dx, al
	jmp print
.ret:
	ret

boot_drive: db 0
msg_prefix: db "harness: ", 0
msg_read:   db "cannot read the MBR of drive 0x80", 13, 10, 0
msg_extra:  db "cannot read its own sectors from the boot floppy", 13, 10, 0
msg_sig:    db "drive 0x80 has no boot signature", 13, 10, 0

	times 510 - ($ - $$) db 0
	dw 0xaa55

; ---- Sector 2 on: loaded by the code above ----
sector2:
%ifdef FILL
; Fill 0x2000-0x6FFF (below it: the harness and its extra sectors), 0x7C00
; up to the end of conventional memory (int 12h)
; and 1 MiB up to 1 MiB below the end of RAM (int 15h E801) with PATTERN.
fill:
	; Fast A20 on, remembering how it was.
	in al, 0x92
	mov [a20_was], al
	or al, 2
	and al, 0xfe
	out 0x92, al
	int 0x12                ; KiB of conventional memory
	movzx ecx, ax
	shl ecx, 10
	mov [conv_end], ecx
	call unreal
	mov eax, PATTERN
	mov edi, 0x2000
	mov ecx, (0x7000 - 0x2000) / 4
	a32 rep stosd
	mov ecx, [conv_end]
	sub ecx, 0x7c00
	shr ecx, 2
	mov edi, 0x7c00
	a32 rep stosd

	mov ax, 0xe801
	int 0x15
	jc .done
	test ax, ax             ; some BIOSes answer in CX/DX only
	jnz .have
	mov ax, cx
	mov bx, dx
.have:
	movzx ecx, bx
	shl ecx, 16             ; 64 KiB blocks above 16 MiB
	jnz .above16
	movzx ecx, ax           ; KiB between 1 and 16 MiB
	shl ecx, 10
	add ecx, 0x100000
	jmp .top
.above16:
	add ecx, 0x1000000
.top:
	sub ecx, 0x200000       ; stay clear of the BIOS's tables at the top, and skip 1 MiB
	jbe .done
	shr ecx, 2
	call unreal             ; a BIOS call may have reset the limits
	mov edi, 0x100000
	mov eax, PATTERN
	a32 rep stosd
.done:
	mov al, [a20_was]
	and al, 0xfe
	out 0x92, al
	ret

; ES with a 4 GiB limit (unreal mode), for a32 rep stosd; ES stays 0.
unreal:
	push eax
	cli
	lgdt [gdtr]
	mov eax, cr0
	or al, 1
	mov cr0, eax
	jmp $+2
	mov ax, 8
	mov es, ax
	mov eax, cr0
	and al, 0xfe
	mov cr0, eax
	jmp $+2
	xor ax, ax
	mov es, ax
	sti
	pop eax
	ret

a20_was: db 0
align 4
conv_end: dd 0
align 8
gdt:    dq 0
	dq 0x00cf92000000ffff   ; flat 4 GiB data
gdtr:   dw gdtr - gdt - 1
	dd gdt
%endif
%ifdef NO_E820
; The int 15h hook, copied to the top of conventional memory (offset 0).
hook:
	cmp eax, 0xe820
	je .e820
	jmp far [cs:hook_old - hook]
.e820:
%ifdef E820_TABLE
	cmp ebx, E820_COUNT
	jae .fail
	push si
	push cx
	imul si, bx, 24
	add si, table - hook
	cmp ecx, 24             ; a caller that asks for 20 bytes gets 20
	jb .short
	mov ecx, 24
	jmp .copy
.short:
	mov ecx, 20
.copy:
	push ecx
	push di
.byte:
	mov al, [cs:si]
	mov [es:di], al
	inc si
	inc di
	loop .byte
	pop di
	pop ecx
	add sp, 2               ; the saved CX: ECX is the answer now
	pop si
	inc ebx
	cmp ebx, E820_COUNT
	jb .more
	xor ebx, ebx            ; the last entry
.more:
	mov eax, 0x534d4150     ; "SMAP"
	push bp                 ; clear CF in the caller's FLAGS
	mov bp, sp
	and word [bp + 6], 0xfffe
	pop bp
	iret
%endif
.fail:
	push bp                 ; set CF in the caller's FLAGS
	mov bp, sp
	or word [bp + 6], 1
	pop bp
	mov ah, 0x86
	iret
hook_old: dd 0
%ifdef E820_TABLE
; base, length, type, ACPI 3.0 attributes (bit 0: enabled)
%macro E820 4
	dq %1, %2
	dd %3, %4
%endmacro
table:
	E820 0x100000, 0xf00000, 1, 1             ; 1-16 MiB, before the low entries
	E820 0xfffc0000, 0x40000, 2, 1
	E820 0, 0x9fc00, 1, 1
	E820 0x2000000, 0x1000000, 2, 0           ; disabled: must be ignored
%assign i 0
%rep 32
	E820 0x1000000 + i * 0x700000, 0x800000, 1, 3 ; overlapping usable chunks, 16-240 MiB
%assign i i + 1
%endrep
	E820 0xf000000, 0xfe0000, 1, 1            ; 240 MiB up to the ACPI tables
	E820 0x9fc00, 0x400, 2, 1
	E820 0xe000000, 0x1000, 0x1234, 1         ; an unknown type: reserved
	E820 0xf0000, 0x10000, 2, 1
	E820 0x500000, 0, 2, 1                    ; empty
	E820 0xffe0000, 0x20000, 2, 1
E820_COUNT equ ($ - table) / 24
%endif
hook_end:
%endif
extra_end:
EXTRA_SECTORS equ (extra_end - sector2 + 511) / 512 + 1
%if EXTRA_SECTORS > 12
%error "the extra sectors would reach 0x2000"
%endif ; at least one: a read of 0 sectors may fail

	times 1474560 - ($ - $$) db 0   ; a 1.44 MB floppy
