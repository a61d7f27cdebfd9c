//! The `stockdb` binary: parse arguments, run the command, map the outcome to an exit code.

use clap::Parser;

fn main() {
    let cli = stockdb::cli::Cli::parse();
    let code = match stockdb::run(cli) {
        Ok(()) => 0,
        Err(err) if stockdb::is_broken_pipe(&err) => 0,
        Err(err) => {
            eprintln!("error: {err:#}");
            stockdb::exit_code(&err)
        }
    };
    std::process::exit(code);
}
