import ArgumentParser
import CRunbookSystem
import Foundation
import Journal

/// The exit statuses of docs/execution.md: 0 passed, 1 rolled back or stopped early, 2 usage or
/// validation, 3 rollback failed, 4 only unreachable hosts failed, 130 interrupted.
enum ExitStatus {
    static let failed = ExitCode(1)
    static let usage = ExitCode(2)
    static let rollbackFailed = ExitCode(3)
    static let unreachable = ExitCode(4)
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
    /// Standard descriptors closed at start were filled with /dev/null before main (csystem's
    /// constructor), so that no file or socket became "standard output"; the writer reports them.
    static func install() {
        signal(SIGPIPE, SIG_IGN)
        // glibc gives each thread that allocates an arena of its own (up to 8 per core); the
        // connections' short-lived threads left 16 arenas of ~300 KB at 50 hosts. Two arenas hold
        // the same data in 1 MB less, with no measurable cost in wall time (docs/performance.md).
        rb_limit_malloc_arenas(2)
        let closed = rb_closed_std_fds()
        closedAtStart = Set([STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO].filter { closed & (1 << $0) != 0 })
    }
}
