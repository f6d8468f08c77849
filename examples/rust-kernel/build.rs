// Link every kernel of this package (src/main.rs and the tests) with
// kernel.ld, and link again when the script changes: cargo watches only the
// Rust sources by itself.
fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    println!("cargo:rustc-link-arg=-T{dir}/kernel.ld");
    println!("cargo:rerun-if-changed=kernel.ld");
}
