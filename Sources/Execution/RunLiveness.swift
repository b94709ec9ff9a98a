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
        let uid = getuid()
        let home = getpwuid(uid).flatMap { $0.pointee.pw_dir.map { String(cString: $0) } } ?? NSHomeDirectory()
        return folder(base: "/tmp", uid: uid, home: home) + "/" + String(runID.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }) + ".alive"
    }

    /// `/tmp/runbook-runs-UID` when it is this user's own private folder. Another local user can make
    /// that name first (a folder they own, or a symlink): they could then delete the files to make a
    /// live run look dead (so `unlock` and `rollback RUN` take its locks), or point them anywhere this
    /// user can write. Then the folder under the user's home (from the password database) is used.
    static func folder(base: String, uid: uid_t, home: String) -> String {
        let shared = "\(base)/runbook-runs-\(uid)"
        mkdir(shared, 0o700)
        if isPrivate(shared, uid: uid) { return shared }
        let own = home + "/.local/state/runbook/alive"
        try? FileManager.default.createDirectory(atPath: own, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return own
    }

    static func isPrivate(_ path: String, uid: uid_t) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR && info.st_uid == uid && info.st_mode & 0o077 == 0
    }

    /// Marks the run alive for as long as this process lives.
    public static func hold(_ runID: String) {
        let descriptor = open(file(runID), O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { return }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            close(descriptor)
            return
        }
        held.withLock { $0[runID] = descriptor }
    }

    /// Stops marking the run alive (a worker that served its part of a rollout and goes on serving
    /// others): a `rollback RUN` on this machine may then take the run's locks.
    public static func release(_ runID: String) {
        guard let descriptor = held.withLock({ $0.removeValue(forKey: runID) }) else { return }
        close(descriptor)
    }

    /// True when a live controller on this machine holds the run; false when none does.
    public static func isAlive(_ runID: String) -> Bool {
        if held.withLock({ $0[runID] != nil }) { return true }
        let path = file(runID)
        let descriptor = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
            flock(descriptor, LOCK_UN)
            return false
        }
        return true
    }
}
