import Foundation

/// The main thread takes SIGINT: it blocks it before any other thread exists (threads inherit the
/// mask), runs the command on a task, and waits in sigwait. Ctrl-C is then handled on the main thread,
/// never on a GCD thread, and the second one ends the process with `_exit` while SSH threads run.
/// Children get an empty mask and default handlers from ChildProcess.spawn.
/// The main queue is therefore never drained: no code may use `@MainActor` or `DispatchQueue.main`.
enum MainThread {
    /// SIGINT (Ctrl-C), and SIGUSR1, which wakes the main thread when the command is done.
    private static var signals: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGUSR1)
        return set
    }

    nonisolated(unsafe) private static var mainThread = pthread_self()
    private static let lock = NSLock()
    nonisolated(unsafe) private static var handler: (@Sendable () -> Void)?

    static func takeSignals() {
        var set = signals
        pthread_sigmask(SIG_BLOCK, &set, nil)
        mainThread = pthread_self()
    }

    /// Who handles Ctrl-C (a run); without one, Ctrl-C ends the process at once with status 130.
    static func onInterrupt(_ body: (@Sendable () -> Void)?) {
        lock.withLock { handler = body }
    }

    /// The command's exit status, handed from its task to the main thread.
    final class Completion: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Int32?

        func finish(_ status: Int32) {
            lock.withLock { value = status }
            pthread_kill(MainThread.mainThread, SIGUSR1)
        }

        var status: Int32? { lock.withLock { value } }
    }

    /// Waits for signals until the command is done, then exits with its status.
    static func serve(until done: Completion) -> Never {
        var set = signals
        while true {
            if let status = done.status { exit(status) }
            var number: Int32 = 0
            guard sigwait(&set, &number) == 0 else { continue }
            guard number == SIGINT else { continue }
            if let handler = lock.withLock({ handler }) {
                handler()
            } else {
                _exit(130)
            }
        }
    }
}
