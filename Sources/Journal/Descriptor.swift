import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes to file descriptors with write(2), never trapping: Foundation's `FileHandle.write` traps on
/// EPIPE, ENOSPC and EBADF, and runbook must outlive a closed pipe or a full disk.
public enum Descriptor {
    /// Writes every byte, retrying after EINTR and waiting for POLLOUT after EAGAIN (a descriptor
    /// another process made non-blocking); returns the errno of the first real failure, nil when
    /// everything was written.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return write(fd, base + offset, bytes.count - offset)
            }
            if count > 0 {
                offset += count
                continue
            }
            let error = count < 0 ? errno : EIO
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK {
                var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&entry, 1, 1000)
                continue
            }
            return error
        }
        return nil
    }

    /// Writes text; see `writeAll(_:_:)`.
    @discardableResult
    public static func put(_ fd: Int32, _ text: String) -> Int32? { writeAll(fd, Array(text.utf8)) }

    /// The C library's message for an errno value ("No space left on device").
    public static func describe(_ error: Int32) -> String { String(cString: strerror(error)) }

    /// True when `fd` is an open descriptor.
    public static func isOpen(_ fd: Int32) -> Bool { fcntl(fd, F_GETFD) != -1 }
}
