import Foundation
import Planning
import Transport
import Wire

/// Clears host locks left behind by runs that died (`runbook unlock`).
public enum LockAdmin {
    /// One lock found on a host.
    public struct Found: Sendable {
        public var name: String
        public var holder: String
        public var removed: Bool
        public var reason: String
    }

    /// Removes the locks on a host whose run is known dead (a run of this controller that no live
    /// process holds), or every lock with `force`; `name` limits it to one lock. Names come back from
    /// the host, so only checked names are ever put into a command.
    public static func unlock(
        on transport: any Transport, folder: String? = nil, name: String?, force: Bool, controller: String = ProcessInfo.processInfo.hostName
    ) async throws(TransportError) -> [Found] {
        let folder = folder ?? LockPlan.defaultFolder
        let listing = try await transport.run(HostCommand(LockPlan.list(folder: folder), limit: 30), secrets: [:])
        var found: [Found] = []
        for line in listing.stdout.split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            guard let file = parts.first, file.hasSuffix(".lock") else { continue }
            let lockName = String(file.dropLast(5))
            if let name, name != lockName { continue }
            let owner = (parts.count > 1 ? parts[1] : "").split(separator: " ").joined(separator: "\n")
            let fields = Dictionary(
                owner.split(separator: "\n").compactMap { entry -> (String, String)? in
                    guard let equals = entry.firstIndex(of: "=") else { return nil }
                    return (String(entry[..<equals]), String(entry[entry.index(after: equals)...]))
                }, uniquingKeysWith: { first, _ in first })
            let holder = HostLock.describeHolder(owner)
            guard let remove = LockPlan.remove(folder: folder, name: lockName) else {
                found.append(Found(name: lockName, holder: holder, removed: false, reason: "its name is not a lock name runbook makes"))
                continue
            }
            let runID = fields["run_id"] ?? "?"
            let ours = fields["controller"] == controller && fields["planted"] == nil && fields["mine"] == "yes"
            let dead = ours && runID != "?" && !RunLiveness.isAlive(runID)
            if force || dead {
                let result = try await transport.run(HostCommand(remove, limit: 30), secrets: [:])
                let removed = result.exitStatus == 0
                found.append(
                    Found(
                        name: lockName, holder: holder, removed: removed,
                        reason: removed ? (force ? "--force" : "its run is gone") : result.reason))
            } else {
                let why =
                    fields["planted"] != nil
                    ? "its folder and owner file belong to different users; remove it with --force once you have looked at it"
                    : ours
                        ? "its run is still alive on this machine"
                        : fields["mine"] != "yes"
                            ? "it belongs to another user on the host (\(fields["user"] ?? "?")); use --force once that run is gone"
                            : "it was taken by \(fields["user"] ?? "?") from \(fields["controller"] ?? "?"); use --force once that run is gone"
                found.append(Found(name: lockName, holder: holder, removed: false, reason: why))
            }
        }
        return found
    }
}
