import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Tells whether a run's controller is still alive on this machine: a running controller holds an
/// `flock` on a file named after its run id, which the kernel drops when the process ends, however
/// it ends (SIGKILL included), and which a reused pid can never fake.
public enum RunLiveness {
    private static let held = Mutex<[String: Int32]>([:])

    static func file(_ runID: String) -> String {
        let folder = "/tmp/runbook-runs-\(getuid())"
        mkdir(folder, 0o700)
        return folder + "/" + String(runID.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }) + ".alive"
    }

    /// Marks the run alive for as long as this process lives.
    public static func hold(_ runID: String) {
        let descriptor = open(file(runID), O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            close(descriptor)
            return
        }
        held.withLock { $0[runID] = descriptor }
    }

    /// True when a live controller on this machine holds the run; false when none does.
    public static func isAlive(_ runID: String) -> Bool {
        if held.withLock({ $0[runID] != nil }) { return true }
        let path = file(runID)
        let descriptor = open(path, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
            flock(descriptor, LOCK_UN)
            return false
        }
        return true
    }
}
