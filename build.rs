//! Rebuilds the binary when a report or a migration changes: `queries/` and `migrations/` are
//! embedded at compile time (include_dir, refinery), and without this cargo would not notice
//! a new `.sql` file there.

fn main() {
    println!("cargo:rerun-if-changed=queries");
    println!("cargo:rerun-if-changed=migrations");
}
