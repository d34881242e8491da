//! Thin binary: hand the arguments to the library and exit with its code.

fn main() -> std::process::ExitCode {
    entraform::cli::main(std::env::args_os())
}
