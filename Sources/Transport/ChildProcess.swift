import CRunbookSystem
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Starts processes with posix_spawn in a session of their own, so a timeout can stop the whole
/// process group (a shell and everything it started), never anything else.
public enum ChildProcess {
    /// Runs blocking work on a thread of its own, never on Swift's cooperative pool.
    public static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: body()) }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Spawns `argv` with the given descriptors as its stdin, stdout and stderr; returns the pid.
    public static func spawn(_ argv: [String], stdin: Int32, stdout: Int32, stderr: Int32, environment: [String: String]? = nil) -> pid_t? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        // Other threads open pipes and sockets all the time (one session per host); a child that
        // inherited them would hold another command's pipe open and its reader would never see EOF.
        rb_spawn_closefrom(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A new session: the child leads its own process group, which a timeout kills as a whole.
        // Threads of the Swift runtime block signals, and the runtime ignores SIGPIPE; a child inherits
        // both, so a server would never see SIGCHLD and `yes | head` would never end. Reset both.
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, rb_spawn_setsid_flag() | Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let status = withCStrings(argv) { args in
            withCStrings(env) { envp in posix_spawn(&pid, argv[0], &actions, &attributes, args, envp) }
        }
        return status == 0 ? pid : nil
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        var pointers = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for pointer in pointers { free(pointer) } }
        return body(pointers)
    }

    /// Waits for a pid and decodes how it ended: (exit status, signal name).
    public static func wait(_ pid: pid_t) -> (Int32, String?) {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            if errno != EINTR { return (-1, nil) }
        }
        let low = status & 0x7f
        if low == 0 { return ((status >> 8) & 0xff, nil) }
        return (128 + low, signalName(low))
    }

    /// The short name of a signal, as OpenSSH reports it ("KILL", "TERM").
    public static func signalName(_ number: Int32) -> String {
        switch number {
        case SIGKILL: "KILL"
        case SIGTERM: "TERM"
        case SIGINT: "INT"
        case SIGHUP: "HUP"
        case SIGQUIT: "QUIT"
        case SIGSEGV: "SEGV"
        case SIGABRT: "ABRT"
        case SIGPIPE: "PIPE"
        default: "SIG\(number)"
        }
    }
}
