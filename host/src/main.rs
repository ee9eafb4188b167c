//! The `synchost` command line: runs the server.
fn main() {
    println!("synchost");
}
