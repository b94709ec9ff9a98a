import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The terminal's settings while echo is off, so a signal handler can put them back.
nonisolated(unsafe) private var savedTerminal: (fd: Int32, attributes: termios)?

/// Reads a line from the controlling terminal without echoing it (as `ssh` and `sudo` ask for secrets).
public enum TerminalPrompt {
    /// The line typed after `prompt` (without its newline), or nil without a terminal or at end of input.
    public static func readHidden(_ prompt: String, maximum: Int = 1 << 20) -> String? {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var attributes = termios()
        guard tcgetattr(fd, &attributes) == 0 else { return nil }
        var quiet = attributes
        quiet.c_lflag &= ~tcflag_t(ECHO)
        quiet.c_lflag |= tcflag_t(ECHONL)
        savedTerminal = (fd, attributes)
        // Ctrl-C at the prompt must not leave the terminal without echo.
        let previous = signal(SIGINT) { number in
            if var saved = savedTerminal { tcsetattr(saved.fd, TCSAFLUSH, &saved.attributes) }
            signal(number, SIG_DFL)
            raise(number)
        }
        defer {
            tcsetattr(fd, TCSAFLUSH, &attributes)
            savedTerminal = nil
            signal(SIGINT, previous)
        }
        guard tcsetattr(fd, TCSAFLUSH, &quiet) == 0 else { return nil }
        let bytes = Array(prompt.utf8)
        _ = bytes.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count) }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while line.count <= maximum {
            let count = read(fd, &byte, 1)
            if count < 0, errno == EINTR { continue }
            guard count == 1 else { return line.isEmpty ? nil : String(decoding: line, as: UTF8.self) }
            if byte == UInt8(ascii: "\n") { break }
            line.append(byte)
        }
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        return String(decoding: line, as: UTF8.self)
    }
}
