//! A first #![no_std] kernel for mkbootimg, in the manner of the "Writing an
//! OS in Rust" blog. It clears the screen (VGA text mode, 80x25 characters at
//! 0xb8000), prints a line there and on the serial port COM1, and halts.

#![no_std]
#![no_main]

use core::arch::asm;
use core::panic::PanicInfo;

/// The first fields of struct mkbootimg_info (include/mkbootimg/protocol.h);
/// mirror more of them to read the memory map, the command line, ...
#[repr(C)]
pub struct BootInfo {
    magic: u64,
    version: u32,
    size: u32,
}

const MKBOOTIMG_INFO_MAGIC: u64 = 0x4f46_4e49_424b_4d21; // "!MKBINFO"

const VGA_TEXT: *mut u16 = 0xb8000 as *mut u16; // identity-mapped at entry
const COLUMNS: usize = 80;
const ROWS: usize = 25;
const WHITE_ON_BLACK: u16 = 0x0f00; // attribute byte, then the character
const COM1: u16 = 0x3f8;

/// The entry point, named by ENTRY(_start) in kernel.ld. mkbootimg calls it
/// like a C function, with the boot information as its first argument.
#[unsafe(no_mangle)]
pub extern "C" fn _start(info: &'static BootInfo) -> ! {
    clear_screen();
    if info.magic == MKBOOTIMG_INFO_MAGIC {
        print(0, b"Hello from a Rust kernel!");
    } else {
        print(0, b"not started by mkbootimg");
    }
    halt()
}

fn clear_screen() {
    for i in 0..COLUMNS * ROWS {
        // What the BIOS printed goes.
        unsafe { VGA_TEXT.add(i).write_volatile(WHITE_ON_BLACK | b' ' as u16) };
    }
}

/// One line, on the screen at `row` and on COM1.
fn print(row: usize, line: &[u8]) {
    for (i, &byte) in line.iter().enumerate() {
        if i < COLUMNS {
            let cell = unsafe { VGA_TEXT.add(row * COLUMNS + i) };
            unsafe { cell.write_volatile(WHITE_ON_BLACK | byte as u16) };
        }
        serial_write(byte);
    }
    serial_write(b'\n');
}

fn serial_write(byte: u8) {
    unsafe {
        while inb(COM1 + 5) & 0x20 == 0 {} // wait until COM1 can take a byte
        outb(COM1, byte);
    }
}

unsafe fn outb(port: u16, value: u8) {
    unsafe { asm!("out dx, al", in("dx") port, in("al") value, options(nomem, nostack)) };
}

unsafe fn inb(port: u16) -> u8 {
    let value: u8;
    unsafe { asm!("in al, dx", out("al") value, in("dx") port, options(nomem, nostack)) };
    value
}

/// Interrupts off, then halt: `mkbootimg run` sees that the kernel is done.
fn halt() -> ! {
    loop {
        unsafe { asm!("cli", "hlt") };
    }
}

#[panic_handler]
fn panic(_info: &PanicInfo) -> ! {
    halt()
}

/// The host target's prebuilt `core` refers to this symbol even with
/// panic = "abort"; nothing ever unwinds, so it is never called. (Not needed
/// with the x86_64-unknown-none target.)
#[unsafe(no_mangle)]
pub extern "C" fn rust_eh_personality() {}
