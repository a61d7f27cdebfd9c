//! The lines of a followed source, read on a thread of their own: a growing file from a
//! stored byte offset, or standard input. Only complete lines go out; a half-written last
//! line waits for its newline.

use std::io::BufRead;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// What the reading thread sends.
#[derive(Debug)]
pub enum Message {
    /// The source's first line, its header, newline included, and the file's inode (0 for a
    /// pipe).
    Header { line: Vec<u8>, inode: u64 },
    /// Complete lines: their bytes, how many, and the source's byte offset after them.
    Lines {
        bytes: Vec<u8>,
        lines: u64,
        end_offset: u64,
        /// The file's size when they were read (None for a pipe): the lag behind its end.
        size: Option<u64>,
    },
    /// The file was truncated or replaced: it is read again from its start, and a `Header`
    /// follows.
    Restarted { reason: String, inode: u64 },
    /// Standard input ended.
    End,
    /// Reading failed; nothing more comes.
    Failed(String),
}

/// Where a follow of a file stopped before (`market.follow_offsets`).
#[derive(Debug, Clone, Copy)]
pub struct Resume {
    pub inode: u64,
    pub offset: u64,
    pub line: u64,
}

/// Bytes read at once; lines longer than this are read in several reads.
const READ: usize = 1 << 20;
/// How long the thread sleeps at the end of the file before looking again.
const POLL: Duration = Duration::from_millis(20);

/// Reads `path` from `resume` (else from its first line after the header) until `stop`,
/// sending whole lines; a file found truncated or replaced is read again from its start.
pub fn tail_file(
    path: PathBuf,
    resume: Option<Resume>,
    tx: mpsc::Sender<Message>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        if let Err(e) = tail(&path, resume, &tx, &stop) {
            let _ = tx.blocking_send(Message::Failed(format!("{}: {e}", path.display())));
        }
    })
}

fn tail(
    path: &Path,
    mut resume: Option<Resume>,
    tx: &mpsc::Sender<Message>,
    stop: &AtomicBool,
) -> std::io::Result<()> {
    let send = |m: Message| tx.blocking_send(m).is_ok();
    loop {
        let Some(file) = open_when_there(path, stop)? else {
            return Ok(());
        };
        let inode = file.metadata()?.ino();
        let Some(header) = first_line(&file, stop)? else {
            return Ok(());
        };
        let size = file.metadata()?.len();
        let header_len = header.len() as u64;
        let mut offset = header_len;
        match resume.take() {
            Some(r) if r.inode == inode && r.offset >= header_len && r.offset <= size => {
                offset = r.offset;
            }
            Some(r) => {
                let reason = if r.inode != inode {
                    format!("replaced (inode {} is now {inode})", r.inode)
                } else {
                    format!("truncated to {size} bytes below the {} committed", r.offset)
                };
                if !send(Message::Restarted { reason, inode }) {
                    return Ok(());
                }
            }
            None => {}
        }
        if !send(Message::Header {
            line: header,
            inode,
        }) {
            return Ok(());
        }
        let mut partial: Vec<u8> = Vec::new();
        let mut buf = vec![0u8; READ];
        loop {
            if stop.load(Ordering::SeqCst) {
                return Ok(());
            }
            let at = offset + partial.len() as u64;
            let n = file.read_at(&mut buf, at)?;
            if n > 0 {
                partial.extend_from_slice(&buf[..n]);
                if let Some((bytes, lines)) = complete_lines(&mut partial) {
                    offset += bytes.len() as u64;
                    let size = file.metadata()?.len();
                    let message = Message::Lines {
                        bytes,
                        lines,
                        end_offset: offset,
                        size: Some(size),
                    };
                    if !send(message) {
                        return Ok(());
                    }
                }
                continue;
            }
            // At the end: has the file been truncated, or replaced by another at its path?
            let now = std::fs::metadata(path).ok();
            let replaced = now.as_ref().is_some_and(|m| m.ino() != inode);
            let truncated = file.metadata()?.len() < at;
            if replaced || truncated {
                let reason = if replaced {
                    "replaced (a new file at its path)".to_string()
                } else {
                    format!("truncated below the {offset} bytes read")
                };
                if !send(Message::Restarted { reason, inode: 0 }) {
                    return Ok(());
                }
                break;
            }
            std::thread::sleep(POLL);
        }
    }
}

/// Takes the complete lines off the front of `partial` (up to its last newline), with their
/// count; the half line after them stays.
fn complete_lines(partial: &mut Vec<u8>) -> Option<(Vec<u8>, u64)> {
    let end = partial.iter().rposition(|&b| b == b'\n')?;
    let rest = partial.split_off(end + 1);
    let bytes = std::mem::replace(partial, rest);
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    Some((bytes, lines))
}

/// Opens the file, waiting while it is missing (being replaced); None once `stop` is set.
fn open_when_there(path: &Path, stop: &AtomicBool) -> std::io::Result<Option<std::fs::File>> {
    let mut waited = Duration::ZERO;
    loop {
        match std::fs::File::open(path) {
            Ok(f) => return Ok(Some(f)),
            Err(e)
                if e.kind() == std::io::ErrorKind::NotFound && waited < Duration::from_secs(60) =>
            {
                if stop.load(Ordering::SeqCst) {
                    return Ok(None);
                }
                std::thread::sleep(POLL);
                waited += POLL;
            }
            Err(e) => return Err(e),
        }
    }
}

/// The file's first line once it is complete; None once `stop` is set.
fn first_line(file: &std::fs::File, stop: &AtomicBool) -> std::io::Result<Option<Vec<u8>>> {
    let mut head = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read_at(&mut buf, head.len() as u64)?;
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = head.iter().position(|&b| b == b'\n') {
            head.truncate(end + 1);
            return Ok(Some(head));
        }
        if n == 0 {
            if stop.load(Ordering::SeqCst) {
                return Ok(None);
            }
            std::thread::sleep(POLL);
        }
    }
}

/// Reads standard input until it ends or `stop` is set, sending whole lines; the first line
/// is the header unless `header` gives one. A last line without a newline is complete when
/// the input ends.
pub fn read_stdin(
    header: Option<Vec<u8>>,
    tx: mpsc::Sender<Message>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let result = (|| -> std::io::Result<()> {
            let stdin = std::io::stdin();
            let mut input = stdin.lock();
            let send = |m: Message| tx.blocking_send(m).is_ok();
            let header = match header {
                Some(h) => h,
                None => {
                    let mut h = Vec::new();
                    if input.read_until(b'\n', &mut h)? == 0 {
                        send(Message::End);
                        return Ok(());
                    }
                    h
                }
            };
            if !send(Message::Header {
                line: header,
                inode: 0,
            }) {
                return Ok(());
            }
            let (mut partial, mut offset) = (Vec::new(), 0u64);
            loop {
                if stop.load(Ordering::SeqCst) {
                    return Ok(());
                }
                let buffered = input.fill_buf()?;
                if buffered.is_empty() {
                    if !partial.is_empty() {
                        partial.push(b'\n');
                        offset += partial.len() as u64;
                        let bytes = std::mem::take(&mut partial);
                        send(Message::Lines {
                            bytes,
                            lines: 1,
                            end_offset: offset,
                            size: None,
                        });
                    }
                    send(Message::End);
                    return Ok(());
                }
                let n = buffered.len();
                partial.extend_from_slice(buffered);
                input.consume(n);
                if let Some((bytes, lines)) = complete_lines(&mut partial) {
                    offset += bytes.len() as u64;
                    let message = Message::Lines {
                        bytes,
                        lines,
                        end_offset: offset,
                        size: None,
                    };
                    if !send(message) {
                        return Ok(());
                    }
                }
            }
        })();
        if let Err(e) = result {
            let _ = tx.blocking_send(Message::Failed(format!("standard input: {e}")));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::complete_lines;

    #[test]
    fn a_half_written_line_waits_for_its_newline() {
        let mut partial = b"a,1\nb,2\nc,".to_vec();
        assert_eq!(
            complete_lines(&mut partial),
            Some((b"a,1\nb,2\n".to_vec(), 2))
        );
        assert_eq!(partial, b"c,");
        assert_eq!(complete_lines(&mut partial), None);
    }
}
