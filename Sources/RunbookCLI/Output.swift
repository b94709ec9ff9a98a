import ArgumentParser
import Foundation
import Journal

/// The exit statuses of the spec: 0 passed, 1 rolled back or stopped early, 2 usage or validation, 3 rollback failed, 130 interrupted.
enum ExitStatus {
    static let failed = ExitCode(1)
    static let usage = ExitCode(2)
    static let rollbackFailed = ExitCode(3)
    static let interrupted = ExitCode(130)
}

/// Writes to standard output and standard error at once, with write(2): a closed pipe or a full disk
/// is ignored here (commands that are not runs have nothing to carry on with). Runs write through an
/// `OutputWriter` instead, which never blocks them.
enum Output {
    static func print(_ text: String) {
        Descriptor.put(STDOUT_FILENO, text + "\n")
    }

    /// Writes text that already ends as it should (no newline added).
    static func print(_ text: String, terminator: String) {
        Descriptor.put(STDOUT_FILENO, text + terminator)
    }

    static func error(_ text: String) {
        Descriptor.put(STDERR_FILENO, text + "\n")
    }

    static var isTerminal: Bool { isatty(STDOUT_FILENO) != 0 }
}

/// What the process sets up before any command runs.
enum ProcessSetup {
    /// Standard descriptors (0, 1, 2) that were closed at start (`>&-`); they now hold /dev/null.
    nonisolated(unsafe) private(set) static var closedAtStart: Set<Int32> = []

    /// A closed pipe must be an error from write(2) (EPIPE), not SIGPIPE killing the run half way.
    /// A standard descriptor closed at start is filled with /dev/null, so that the next file or socket
    /// opened does not become "standard output"; the writer reports the closed channel.
    static func install() {
        signal(SIGPIPE, SIG_IGN)
        for fd: Int32 in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] where !Descriptor.isOpen(fd) {
            let null = open("/dev/null", O_RDWR)
            if null >= 0, null != fd {
                dup2(null, fd)
                close(null)
            }
            closedAtStart.insert(fd)
        }
    }
}
