//! A test kernel: `cargo test` builds it (harness = false in Cargo.toml) and
//! hands it to `mkbootimg run`, which runs it as a test because cargo puts
//! it in a deps/ folder. The kernel passes by writing 0x10 to port 0xf4 and
//! fails by writing 0x11 there, which its panic handler does.

#![no_std]
#![no_main]

use core::arch::asm;
use core::panic::PanicInfo;

/// The first fields of struct mkbootimg_info.
#[repr(C)]
pub struct BootInfo {
    magic: u64,
    version: u32,
    size: u32,
}

#[unsafe(no_mangle)]
pub extern "C" fn _start(info: &'static BootInfo) -> ! {
    assert!(info.magic == 0x4f46_4e49_424b_4d21, "not started by mkbootimg");
    assert!(info.version >= 2);
    exit_qemu(0x10)
}

fn exit_qemu(verdict: u8) -> ! {
    unsafe { asm!("out dx, al", in("dx") 0xf4u16, in("al") verdict, options(nomem, nostack)) };
    loop {
        unsafe { asm!("cli", "hlt") };
    }
}

#[panic_handler]
fn panic(_info: &PanicInfo) -> ! {
    exit_qemu(0x11)
}

#[unsafe(no_mangle)]
pub extern "C" fn rust_eh_personality() {}
