import Foundation
import RunbookModel
import Transport

/// Clears host locks left behind by runs that died (`runbook unlock`).
public enum LockAdmin {
    /// One lock found on a host.
    public struct Found: Sendable {
        public var name: String
        public var holder: String
        public var removed: Bool
        public var reason: String
    }

    /// Removes the locks on a host whose holder is known dead (a run of this controller whose pid is
    /// gone), or every lock with `force`; `name` limits it to one lock.
    public static func unlock(
        on transport: any Transport, folder: String? = nil, name: String?, force: Bool, controller: String = ProcessInfo.processInfo.hostName
    ) async throws(TransportError) -> [Found] {
        let folder = folder ?? HostLock.defaultFolder
        let listing = try await transport.exec(HostLock.listScript(folder: folder), timeout: 30, output: nil)
        var found: [Found] = []
        for line in listing.stdout.split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            guard let file = parts.first, file.hasSuffix(".lock") else { continue }
            let lockName = String(file.dropLast(5))
            if let name, ShellWord.safe(name) != lockName { continue }
            let owner = (parts.count > 1 ? parts[1] : "").split(separator: " ").joined(separator: "\n")
            let fields = Dictionary(
                owner.split(separator: "\n").compactMap { entry -> (String, String)? in
                    guard let equals = entry.firstIndex(of: "=") else { return nil }
                    return (String(entry[..<equals]), String(entry[entry.index(after: equals)...]))
                }, uniquingKeysWith: { first, _ in first })
            let holder = HostLock.describeHolder(owner)
            let pid = fields["pid"].flatMap { Int32($0) }
            let dead = fields["controller"] == controller && pid.map { kill($0, 0) != 0 && errno == ESRCH } == true
            if force || dead {
                _ = try await transport.exec("rm -rf \(ShellQuote.quote(folder))/\(lockName).lock", timeout: 30, output: nil)
                found.append(Found(name: lockName, holder: holder, removed: true, reason: force ? "--force" : "its run is gone"))
            } else {
                let why =
                    fields["controller"] == controller
                    ? "its run is still alive (pid \(pid.map(String.init) ?? "?"))" : "it was taken from another controller; use --force once that run is gone"
                found.append(Found(name: lockName, holder: holder, removed: false, reason: why))
            }
        }
        return found
    }
}
