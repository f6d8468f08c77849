//! rust-check: a #![no_std] Rust kernel that checks a few mkbootimg boot
//! protocol promises from inside, the way entry-check.c does for C: one line
//! per check on COM1, then isa-debug-exit (port 0xf4) 0x10 = pass, 0x11 = fail.
//!
//! Built by rustc for the host's x86_64-unknown-linux-gnu target (no other
//! target, no Cargo, nothing downloaded) as a static library, then linked by
//! ld with tests/kernels/higher-half.ld; see tests/tests.mk. EXPECTED_CMDLINE
//! comes from the environment at build time, the same string the image gets
//! with mkbootimg --cmdline.

#![no_std]

use core::arch::{asm, global_asm};
use core::panic::PanicInfo;

/// struct mkbootimg_info from include/mkbootimg/protocol.h (the fields used here).
#[repr(C)]
struct Info {
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
    stack_top: u64,
    stack_size: u64,
}

#[repr(C)]
struct Region {
    base: u64,
    length: u64,
    kind: u32,
    reserved: u32,
}

const INFO_MAGIC: u64 = 0x4f46_4e49_424b_4d21; // "!MKBINFO"
const EXPECTED_CMDLINE: &str = env!("EXPECTED_CMDLINE");

// The entry point records RSP and RBP before anything changes them, aligns
// the stack and calls rust_main(info), keeping RDI.
global_asm!(
    ".section .text.entry, \"ax\"",
    ".globl _start",
    "_start:",
    "    mov [rip + {rsp}], rsp",
    "    mov [rip + {rbp}], rbp",
    "    and rsp, -16",
    "    xor ebp, ebp",
    "    call {main}",
    "2:  cli",
    "    hlt",
    "    jmp 2b",
    rsp = sym ENTRY_RSP,
    rbp = sym ENTRY_RBP,
    main = sym rust_main,
);

#[no_mangle]
static mut ENTRY_RSP: u64 = 0;
#[no_mangle]
static mut ENTRY_RBP: u64 = 0;

unsafe fn outb(port: u16, value: u8) {
    asm!("out dx, al", in("dx") port, in("al") value, options(nomem, nostack));
}

unsafe fn inb(port: u16) -> u8 {
    let value: u8;
    asm!("in al, dx", out("al") value, in("dx") port, options(nomem, nostack));
    value
}

const COM1: u16 = 0x3f8;

fn serial_init() {
    for (offset, value) in [(1, 0x00), (3, 0x80), (0, 0x01), (1, 0x00), (3, 0x03), (2, 0xc7), (4, 0x03)] {
        unsafe { outb(COM1 + offset, value) };
    }
}

fn write(s: &str) {
    for b in s.bytes() {
        unsafe {
            while inb(COM1 + 5) & 0x20 == 0 {}
            outb(COM1, b);
        }
    }
}

fn write_hex(mut n: u64) {
    let mut digits = [b'0'; 16];
    for d in digits.iter_mut().rev() {
        *d = b"0123456789abcdef"[(n & 15) as usize];
        n >>= 4;
    }
    write("0x");
    write(core::str::from_utf8(&digits).unwrap_or("?"));
}

fn exit(passed: bool) -> ! {
    unsafe {
        asm!("out dx, eax", in("dx") 0xf4u16, in("eax") if passed { 0x10u32 } else { 0x11u32 });
        loop {
            asm!("cli; hlt");
        }
    }
}

// The x86_64-unknown-linux-gnu core expects libc's strlen, memcmp and bcmp,
// which a kernel does not have. LLVM turns a string-length loop into strlen
// and slice comparisons into bcmp, so the two helpers below read bytes with
// read_volatile, which it leaves alone.

/// Reads a NUL-terminated string the loader placed in identity-mapped memory.
unsafe fn c_str<'a>(addr: u64) -> &'a [u8] {
    let p = addr as *const u8;
    let mut n = 0;
    while p.add(n).read_volatile() != 0 {
        n += 1;
    }
    core::slice::from_raw_parts(p, n)
}

/// Does `s` start with `prefix`?
fn starts_with(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len()
        && (0..prefix.len()).all(|i| unsafe { (&s[i] as *const u8).read_volatile() } == prefix[i])
}

struct Checks {
    failed: u32,
}

impl Checks {
    fn check(&mut self, passed: bool, name: &str, why: &str) {
        if passed {
            write("ok ");
            write(name);
        } else {
            self.failed += 1;
            write("FAIL ");
            write(name);
            write(": ");
            write(why);
        }
        write("\n");
    }
}

#[no_mangle]
extern "C" fn rust_main(info_addr: u64) -> ! {
    serial_init();
    write("rust-check: started, RDI ");
    write_hex(info_addr);
    write("\n");
    let mut c = Checks { failed: 0 };

    let (rsp, rbp) = unsafe { (ENTRY_RSP, ENTRY_RBP) };
    c.check(rsp % 16 == 8, "stack alignment", "RSP % 16 at entry is not 8");
    c.check(rbp == 0, "rbp zero", "RBP at entry is not 0");

    let info = unsafe { &*(info_addr as *const Info) };
    c.check(info.magic == INFO_MAGIC, "boot info magic", "wrong magic at RDI");
    if info.magic != INFO_MAGIC {
        exit(false);
    }
    // Later versions only append fields: this kernel reads version 1's, so a
    // newer loader must pass too.
    c.check(info.version >= 1 && info.size >= 80, "boot info version and size", "want version >= 1, size >= 80");

    let cmdline = unsafe { c_str(info.cmdline) };
    c.check(
        cmdline.len() == EXPECTED_CMDLINE.len()
            && starts_with(cmdline, EXPECTED_CMDLINE.as_bytes())
            && info.cmdline_length == cmdline.len() as u64,
        "command line",
        core::str::from_utf8(cmdline).unwrap_or("(not UTF-8)"),
    );
    let loader = unsafe { c_str(info.loader_name) };
    c.check(starts_with(loader, b"mkbootimg"), "loader name", "does not start with \"mkbootimg\"");

    let map = unsafe {
        core::slice::from_raw_parts(info.memory_map as *const Region, info.memory_map_count as usize)
    };
    let sorted = map.windows(2).all(|w| w[0].base + w[0].length <= w[1].base);
    let aligned = map.iter().filter(|r| r.kind == 1).all(|r| (r.base | r.length) & 0xfff == 0);
    let clean = map.iter().all(|r| r.length > 0 && r.reserved == 0);
    c.check(!map.is_empty() && sorted && aligned && clean, "memory map", "not sorted, overlapping or unaligned");
    c.check(
        info.stack_size >= 0x10000 && info.stack_top > rsp && info.stack_top - rsp <= 4096,
        "stack",
        "stack_size < 64 KiB, or RSP not at stack_top",
    );
    // Floating point uses SSE on x86-64: this runs only with SSE enabled.
    let x = core::hint::black_box(1.5f64);
    c.check(x * 2.0 + 0.25 == 3.25, "sse arithmetic", "1.5 * 2 + 0.25 != 3.25");

    write("rust-check: done, ");
    write(if c.failed == 0 { "all passed\n" } else { "some failed\n" });
    exit(c.failed == 0)
}

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    write("FAIL rust-check: panic\n");
    exit(false)
}
