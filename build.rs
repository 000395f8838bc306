//! Rebuilds the crate when a migration changes: the migrations are embedded in the binary
//! (`db::migrations`), and cargo does not track the directory a macro reads.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
