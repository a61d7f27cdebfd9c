//! The error kinds a caller acts on, and how each maps to the process exit code (DESIGN.md §2).

/// Failures that end a command with a specific exit code.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Some files were refused or failed; the others were loaded.
    #[error(
        "{failed} of {total} files were not loaded (see the errors above); nothing of those files was written"
    )]
    FilesNotLoaded { failed: usize, total: usize },
    /// At least one file's sanity check failed and its transaction was rolled back.
    #[error("sanity check failed for {failed} of {total} files; those files were rolled back")]
    SanityCheck { failed: usize, total: usize },
    /// Interrupted by the user (Ctrl-C).
    #[error("interrupted: the files in flight were rolled back; files reported loaded stay loaded")]
    Interrupted,
}

/// Exit code for an error: 3 sanity check, 130 interrupted, 1 anything else (2 is clap's usage error).
pub fn exit_code(err: &anyhow::Error) -> i32 {
    match err.downcast_ref::<Failure>() {
        Some(Failure::SanityCheck { .. }) => 3,
        Some(Failure::Interrupted) => 130,
        _ => 1,
    }
}

/// True when the error is only a closed stdout (`stockdb status | head`), which is not a failure.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    err.chain().any(|cause| {
        // The CSV and JSON writers wrap the io error in their own types.
        let csv_io = cause
            .downcast_ref::<csv::Error>()
            .is_some_and(|e| matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == BrokenPipe));
        let json_io = cause
            .downcast_ref::<serde_json::Error>()
            .is_some_and(|e| e.io_error_kind() == Some(BrokenPipe));
        let io = cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == BrokenPipe);
        io || csv_io || json_io
    })
}
