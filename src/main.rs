//! The `stockdb` binary: parse arguments, run the command, map the outcome to an exit code.

use clap::Parser;

fn main() {
    let cli = match stockdb::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // clap's own exit() panics when stdout is a closed pipe (`stockdb --help | head -1`).
        Err(e) => {
            let _ = e.print();
            std::process::exit(e.exit_code());
        }
    };
    let code = match stockdb::run(cli) {
        Ok(()) => 0,
        Err(err) if stockdb::is_broken_pipe(&err) => 0,
        Err(err) => {
            stockdb::output::error(format_args!("{err:#}"));
            stockdb::exit_code(&err)
        }
    };
    std::process::exit(code);
}
