; mkbootimg stage 1: the MBR. Loads stage 2 from LBA 34 to 0000:8000 and
; jumps to it (0000:8020) with DL = boot drive.
;
; Layout constraints (see include/mkbootimg/image.h):
;   0x000-0x002  a short jump over the BPB area
;   0x003-0x059  zero: BIOSes that boot a USB stick as a floppy write a BPB here
;   0x1b8-0x1fd  disk signature and partition table, written by the tool
;   0x1fe        0x55 0xAA
;
; STAGE2_SECTORS is passed by the build (stage 2's size); it must stay <= 64 so
; that one read into 0000:8000 never crosses a 64 KiB boundary.

%ifndef STAGE2_SECTORS
%error "STAGE2_SECTORS must be defined"
%endif
%if STAGE2_SECTORS > 64
%error "stage 2 is larger than 32 KiB"
%endif

; STAGE2_LBA, STAGE2_BASE, STAGE2_HEADER_SIZE, STAGE2_MAGIC: generated from
; include/mkbootimg/image.h and bios.h (layout.c).
%include "layout.inc"

STAGE2_ADDR     equ STAGE2_BASE
STAGE2_ENTRY    equ STAGE2_ADDR + STAGE2_HEADER_SIZE ; after struct mkb_stage2_header

; A variable below the MBR, in memory the stack does not reach yet.
drive           equ 0x0600

bits 16
org 0x7c00

	jmp short main
	nop
	times 0x5a - ($ - $$) db 0

main:
	; Some BIOSes enter at 07C0:0000, others at 0000:7C00: make it the latter.
	jmp 0:.cs_normalised
.cs_normalised:
	cli
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, 0x7c00
	sti
	cld

	; A drive number without bit 7 is not a hard disk; BIOSes booting USB
	; sticks sometimes pass garbage. 0x80 is the first hard disk.
	test dl, 0x80
	jnz .drive_ok
	mov dl, 0x80
.drive_ok:
	mov [drive], dl

	; int 13h extensions present?
	mov ah, 0x41
	mov bx, 0x55aa
	int 0x13
	jc chs_read
	cmp bx, 0xaa55
	jne chs_read
	test cl, 1                      ; bit 0: extended disk access (AH=42h)
	jz chs_read

	mov si, dap
	mov ax, 0x4200
	call read
	jmp loaded

; No extensions: read sector by sector with CHS addressing. int 13h keeps
; every register but the ones a function returns: the geometry is on the
; stack at BP, SI holds the next LBA, ES:BX where it goes.
chs_read:
	mov ah, 0x08                    ; get drive geometry
	mov dl, [drive]
	xor di, di                      ; ES:DI = 0:0 guards against BIOS bugs
	int 0x13
	jc disk_error
	push ds
	pop es                          ; AH=08h may change ES
	and cx, 0x3f                    ; sectors per track
	jz disk_error
	movzx dx, dh
	inc dx                          ; heads
	push dx
	push cx
	mov bp, sp                      ; [bp]: sectors per track, [bp + 2]: heads

	mov bx, STAGE2_ADDR
	mov si, STAGE2_LBA
.next:
	mov ax, si
	xor dx, dx
	div word [bp]                   ; ax = track, dx = sector - 1
	mov cl, dl
	inc cl
	xor dx, dx
	div word [bp + 2]               ; ax = cylinder, dx = head
	mov ch, al
	shl ah, 6
	or cl, ah                       ; cylinder bits 8-9 in CL bits 6-7
	mov dh, dl
	mov ax, 0x0201
	call read
	add bh, 2                       ; 512 bytes on
	inc si
	cmp si, STAGE2_LBA + STAGE2_SECTORS
	jb .next

loaded:
	cmp dword [STAGE2_ADDR], STAGE2_MAGIC
	jne no_stage2
	mov dl, [drive]
	jmp 0:STAGE2_ENTRY

; int 13h function AX on the boot drive, tried 3 times with a disk reset
; after each failure; returns when one worked, else fails.
; in: AX, and the function's registers but DL; clobbers: DL, DI
read:
	mov di, 3
.try:
	push ax
	mov dl, [drive]
	int 0x13
	jnc read_done
	xor ax, ax                      ; reset the disk (DL: still the drive)
	int 0x13
	pop ax
	dec di
	jnz .try
disk_error:
	mov si, msg_disk
	jmp fail
read_done:
	pop ax
	ret

no_stage2:
	mov si, msg_stage2

; Print the NUL-terminated string at DS:SI on screen and COM1, then halt.
fail:
	mov ax, 0x00e3                  ; init: 9600 baud, 8N1
	cwd                             ; DX = 0 (AX < 0x8000): COM1
	int 0x14
.char:
	lodsb
	test al, al
	jz .halt
	mov ah, 0x0e                    ; teletype output
	xor bx, bx
	int 0x10
	mov ah, 0x01                    ; send AL to COM1
	cwd                             ; DX = 0: COM1
	int 0x14
	jmp .char
.halt:
	cli
	hlt
	jmp .halt

msg_disk:   db "mkbootimg: cannot read the boot disk.", 13, 10, 0
; No stage 2 at LBA 34: an image for UEFI only (--firmware uefi: its
; manifest is there), or one written incompletely or damaged.
msg_stage2: db "mkbootimg: no BIOS loader: boot with UEFI, or rebuild with --firmware hybrid.", 13, 10, 0

dap:
	db 16, 0
	dw STAGE2_SECTORS
	dw STAGE2_ADDR, 0
	dq STAGE2_LBA


%if ($ - $$) > 0x1b8
%error "stage 1 code overlaps the disk signature"
%endif
	times 0x1fe - ($ - $$) db 0
	dw 0xaa55
