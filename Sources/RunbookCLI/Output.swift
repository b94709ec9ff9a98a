import ArgumentParser
import Foundation

/// The exit statuses of the spec: 0 passed, 1 rolled back, 2 usage or validation, 3 rollback failed, 130 interrupted.
enum ExitStatus {
    static let failed = ExitCode(1)
    static let usage = ExitCode(2)
    static let rollbackFailed = ExitCode(3)
    static let interrupted = ExitCode(130)
}

/// Writes to standard output and standard error without buffering surprises.
enum Output {
    static func print(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static var isTerminal: Bool { isatty(STDOUT_FILENO) != 0 }
}
