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

; Variables live below the MBR, in memory the stack does not reach yet.
drive           equ 0x0600
spt             equ 0x0602
heads           equ 0x0604
lba             equ 0x0606

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

	mov di, 3                       ; tries
.lba_retry:
	mov si, dap
	mov ah, 0x42
	mov dl, [drive]
	int 0x13
	jnc loaded
	call reset_disk
	dec di
	jnz .lba_retry
	jmp disk_error

; No extensions: read sector by sector with CHS addressing.
chs_read:
	mov ah, 0x08                    ; get drive geometry
	mov dl, [drive]
	xor di, di                      ; ES:DI = 0:0 guards against BIOS bugs
	int 0x13
	jc disk_error
	push 0
	pop es                          ; AH=08h may change ES
	and cx, 0x3f                    ; sectors per track
	jz disk_error
	mov [spt], cx
	movzx dx, dh
	inc dx                          ; heads
	mov [heads], dx

	mov bx, STAGE2_ADDR
	mov word [lba], STAGE2_LBA
.next:
	mov ax, [lba]
	xor dx, dx
	div word [spt]                  ; ax = track, dx = sector - 1
	mov cl, dl
	inc cl
	xor dx, dx
	div word [heads]                ; ax = cylinder, dx = head
	mov ch, al
	shl ah, 6
	or cl, ah                       ; cylinder bits 8-9 in CL bits 6-7
	mov dh, dl
	mov di, 3
.chs_retry:
	mov ax, 0x0201
	mov dl, [drive]
	int 0x13
	jnc .chs_ok
	call reset_disk
	dec di
	jnz .chs_retry
	jmp disk_error
.chs_ok:
	add bx, 512
	inc word [lba]
	cmp word [lba], STAGE2_LBA + STAGE2_SECTORS
	jb .next

loaded:
	cmp dword [STAGE2_ADDR], STAGE2_MAGIC
	jne no_stage2
	mov dl, [drive]
	jmp 0:STAGE2_ENTRY

; in: DL ignored; out: nothing; clobbers: AX, DL
reset_disk:
	xor ax, ax
	mov dl, [drive]
	int 0x13
	ret

disk_error:
	mov si, msg_disk
	jmp fail
no_stage2:
	mov si, msg_stage2

; Print the NUL-terminated string at DS:SI on screen and COM1, then halt.
fail:
	mov dx, 0                       ; COM1
	mov ax, 0x00e3                  ; init: 9600 baud, 8N1
	int 0x14
.char:
	lodsb
	test al, al
	jz .halt
	mov ah, 0x0e                    ; teletype output
	xor bx, bx
	int 0x10
	mov ah, 0x01                    ; send AL to COM1
	mov dx, 0
	int 0x14
	jmp .char
.halt:
	cli
	hlt
	jmp .halt

msg_disk:   db "mkbootimg: cannot read the boot disk.", 13, 10, 0
msg_stage2: db "mkbootimg: no loader: rewrite the image.", 13, 10, 0

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
