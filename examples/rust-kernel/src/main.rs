//! A minimal #![no_std] kernel for mkbootimg, in the manner of the "Writing
//! an OS in Rust" blog: prints to the VGA text screen and COM1, then halts.
//! With "exit" on its command line it ends QEMU through isa-debug-exit
//! instead, which `mkbootimg run --test` counts as a pass.

#![no_std]
#![no_main]

use core::arch::asm;
use core::panic::PanicInfo;

/// The first fields of struct mkbootimg_info (include/mkbootimg/protocol.h).
#[repr(C)]
pub struct BootInfo {
    magic: u64,
    version: u32,
    size: u32,
    direct_map_offset: u64,
    memory_map: u64,
    memory_map_count: u32,
    boot_drive: u32,
    cmdline: u64,
    cmdline_length: u64,
    loader_name: u64,
}

const MKBOOTIMG_INFO_MAGIC: u64 = 0x4f46_4e49_424b_4d21; // "!MKBINFO"

unsafe fn outb(port: u16, value: u8) {
    asm!("out dx, al", in("dx") port, in("al") value, options(nomem, nostack));
}

unsafe fn inb(port: u16) -> u8 {
    let value: u8;
    asm!("in al, dx", out("al") value, in("dx") port, options(nomem, nostack));
    value
}

struct Screen {
    row: usize,
}

impl Screen {
    fn print(&mut self, bytes: &[u8]) {
        let vga = 0xb8000 as *mut u16; // identity-mapped
        for (i, &b) in bytes.iter().enumerate() {
            unsafe {
                if i < 80 {
                    vga.add(self.row * 80 + i).write_volatile(0x0f00 | b as u16);
                }
                while inb(0x3f8 + 5) & 0x20 == 0 {} // COM1 ready for a byte
                outb(0x3f8, b);
            }
        }
        unsafe { outb(0x3f8, b'\n') };
        self.row += 1;
    }
}

/// A NUL-terminated string the loader handed over, as bytes.
unsafe fn c_str<'a>(address: u64) -> &'a [u8] {
    let p = address as *const u8;
    let mut n = 0;
    // Volatile reads: otherwise LLVM makes this loop a call to strlen, which
    // a kernel does not have.
    while p.add(n).read_volatile() != 0 {
        n += 1;
    }
    core::slice::from_raw_parts(p, n)
}

#[no_mangle]
pub extern "C" fn kmain(info: &BootInfo) -> ! {
    let mut screen = Screen { row: 0 };
    for i in 0..80 * 25 {
        unsafe { (0xb8000 as *mut u16).add(i).write_volatile(0x0f20) };
    }
    if info.magic != MKBOOTIMG_INFO_MAGIC {
        screen.print(b"not started by mkbootimg");
    } else {
        let cmdline = unsafe { c_str(info.cmdline) };
        screen.print(b"Hello from a Rust kernel!");
        screen.print(b"Booted by:");
        screen.print(unsafe { c_str(info.loader_name) });
        screen.print(b"Command line:");
        screen.print(cmdline);
        if cmdline.windows(4).any(|w| w == b"exit") {
            unsafe { outb(0xf4, 0x10) }; // isa-debug-exit: QEMU exits with 33, a pass
        }
    }
    halt()
}

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
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}
