//! TCP_NODELAY on the process's TCP sockets, which sqlx 0.9.0 no longer sets (issue 27).
//!
//! With Nagle's algorithm on, a small write that follows one the server has not yet
//! acknowledged (a COPY's last chunk, then CopyDone, then the next statement) waits for the
//! server's delayed ACK, about 40 ms on Linux. Every file makes several such exchanges, so a
//! load over TCP ran up to 1.9x slower than over the unix socket. Upstream: sqlx #4335 (the
//! regression, from #4022) and #4336 (the fix, merged but not released on crates.io as of
//! sqlx 0.9.0). sqlx gives no access to its socket, so after each connect we set the option
//! on every TCP socket the process holds: setting it twice, or on a socket that is not ours,
//! is harmless (libpq and every PostgreSQL driver set it on all of theirs).
//!
//! Remove this module once a released sqlx sets TCP_NODELAY itself.

/// Sets TCP_NODELAY on every open TCP socket of this process; returns how many it set.
pub fn set_on_tcp_sockets() -> usize {
    #[cfg(unix)]
    {
        open_fds().into_iter().filter(|&fd| set_if_tcp(fd)).count()
    }
    #[cfg(not(unix))]
    {
        0
    }
}

/// The process's open file descriptors: /proc/self/fd on Linux, else a bounded scan.
#[cfg(unix)]
fn open_fds() -> Vec<libc::c_int> {
    if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
        return dir
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
            .collect();
    }
    (0..1024).collect()
}

/// Sets TCP_NODELAY on `fd` when it is a TCP stream socket (IPv4 or IPv6).
#[cfg(unix)]
fn set_if_tcp(fd: libc::c_int) -> bool {
    use std::mem::{size_of, zeroed};
    // SAFETY: getsockopt/getsockname/setsockopt only read or write the buffers passed with
    // their sizes; on an fd that is closed or not a socket they fail with EBADF/ENOTSOCK.
    unsafe {
        let mut kind: libc::c_int = 0;
        let mut len = size_of::<libc::c_int>() as libc::socklen_t;
        let got = libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_TYPE,
            (&mut kind as *mut libc::c_int).cast(),
            &mut len,
        );
        if got != 0 || kind != libc::SOCK_STREAM {
            return false;
        }
        let mut addr: libc::sockaddr_storage = zeroed();
        let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        if libc::getsockname(
            fd,
            (&mut addr as *mut libc::sockaddr_storage).cast(),
            &mut len,
        ) != 0
        {
            return false;
        }
        let family = libc::c_int::from(addr.ss_family);
        if family != libc::AF_INET && family != libc::AF_INET6 {
            return false;
        }
        let on: libc::c_int = 1;
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            (&on as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        ) == 0
    }
}

/// Whether TCP_NODELAY is set on `fd` (tests and diagnostics).
#[cfg(unix)]
pub fn is_set(fd: libc::c_int) -> bool {
    let mut on: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: reads one int into a buffer of that size.
    let got = unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            (&mut on as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    got == 0 && on != 0
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    #[test]
    fn sets_tcp_sockets_and_leaves_unix_sockets_and_files_alone() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        assert!(!is_set(client.as_raw_fd()), "Linux starts with Nagle on");
        let (unix_a, _unix_b) = UnixStream::pair().unwrap();
        let file = tempfile::tempfile().unwrap();

        assert!(set_on_tcp_sockets() >= 2);

        assert!(is_set(client.as_raw_fd()));
        assert!(is_set(server.as_raw_fd()));
        assert!(!set_if_tcp(unix_a.as_raw_fd()));
        assert!(!set_if_tcp(file.as_raw_fd()));
    }
}
