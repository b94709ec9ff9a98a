import Foundation
import Inventory
import Planning
import Transport
import Wire

#if canImport(Glibc)
    import Glibc
#endif

/// A plan saved by `runbook plan ... -o PLAN` (Terraform-style): `runbook apply PLAN` runs exactly its
/// bytes, with its run id, or refuses (exit 2, nothing sent) when anything it depends on changed.
/// Secrets are recorded by name only; their values come from the environment or `--set` at apply.
struct SavedPlan: Codable {
    static let kind = "runbook-plan"

    /// A file the plan depends on, by path and content digest.
    struct SavedFile: Codable, Equatable {
        var path: String
        var sha256: String
    }

    /// What the plan sends to one host, as digests.
    struct SavedHost: Codable, Equatable {
        var name: String
        /// The resolved connection (address, port, user, keys, proxies, sudo).
        var connectionSha256: String
        /// The keys known_hosts trusts for the host ("none" when it names none).
        var hostKeysSha256: String
        /// Every exchange the host can receive, in order, with secrets masked.
        var exchangesSha256: String
        var exchanges: Int
    }

    var schemaVersion = 1
    var kind = SavedPlan.kind
    var runId: String
    var release: String
    var runbook: SavedFile
    var inventory: [SavedFile]
    /// The plan command's arguments, replayed to plan again at apply (secret values left out).
    var arguments: [String]
    var secrets: [String]
    var hosts: [SavedHost]
    /// The plan as `runbook plan` printed it.
    var text: String

    init(plan: RunPlan, options: RunOptions, arguments: [String]) throws {
        runId = plan.runID
        release = plan.release
        runbook = SavedFile(path: Self.absolute(options.file), sha256: try Self.digest(of: options.file))
        inventory = try Self.inventorySources(options).map { SavedFile(path: $0, sha256: try Self.digest(of: $0)) }
        self.arguments = arguments
        secrets = plan.runbook.params.filter(\.secret).map(\.name)
        hosts = plan.hosts.map(Self.host)
        // As `apply PLAN` (or a worker) will plan it again: with the absolute paths of `arguments`.
        var shown = plan
        shown.runbook.path = runbook.path
        if !options.inventory.isEmpty {
            shown.inventorySource = options.inventory.map { $0.contains(",") ? $0 : Self.absolute($0) }.joined(separator: ", ")
        }
        text = PlanPrinter.text(shown)
    }

    static func host(_ plan: HostPlan) -> SavedHost {
        let connection = plan.connection
        let described = [
            connection.summary, connection.address, String(connection.port), connection.user, connection.identityFiles.joined(separator: ","),
            connection.proxyJump ?? "", connection.proxyCommand ?? "", String(connection.isLocal), String(connection.become),
        ].joined(separator: "\n")
        let keys =
            connection.isLocal
            ? "local"
            : RecordedHostKeys.digest(
                address: connection.address, port: connection.port, alias: connection.hostKeyAlias,
                files: connection.knownHostsFiles + connection.globalKnownHostsFiles)
        let exchanges = plan.exchanges
        var text = ""
        for exchange in exchanges {
            text += "\(exchange.phase.rawValue)\t\(exchange.step ?? "")\t\(exchange.when ?? "")\n"
            if let shown = exchange.command?.shown { text += shown.request + "\n" + shown.stdin + "\n" }
            if let transfer = exchange.transfer { text += transfer + "\n" }
        }
        // An upload sends a local file's content, which the exchanges name only by path.
        for source in uploadSources(plan) { text += "content \(source)\t\((try? digest(of: source)) ?? "unreadable")\n" }
        return SavedHost(
            name: plan.host, connectionSha256: SHA256.hex(described), hostKeysSha256: keys, exchangesSha256: SHA256.hex(text),
            exchanges: exchanges.count)
    }

    /// The local files the host's uploads send, in order, each once.
    static func uploadSources(_ plan: HostPlan) -> [String] {
        let operations =
            plan.steps.flatMap { $0.actions.flatMap { $0.operations + $0.undo } } + plan.rollback.flatMap(\.operations)
        var seen: [String] = []
        for case .upload(let source, _, _) in operations where !seen.contains(source) { seen.append(source) }
        return seen
    }

    /// Writes the plan with mode 0600 (it names hosts, paths and commands) as a new file of this
    /// user, renamed over PATH: writing into a file that was there would keep its owner and, for
    /// another user's file, its mode, so they could read the plan or edit it before `apply`.
    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data = try encoder.encode(self) + Data("\n".utf8)
        let temporary = path + ".runbook-tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw SavedPlanError("cannot write \(path): \(String(cString: strerror(errno)))") }
        var failure: String?
        fchmod(descriptor, 0o600)
        var offset = 0
        let bytes = [UInt8](data)
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress.map { $0 + offset }, bytes.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                failure = String(cString: strerror(errno))
                break
            }
            offset += written
        }
        if failure == nil, fsync(descriptor) != 0 { failure = String(cString: strerror(errno)) }
        close(descriptor)
        if failure == nil, rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary)
            throw SavedPlanError("cannot write \(path): \(failure)")
        }
    }

    /// The saved plan in a file, or nil when the file is not one (a runbook).
    static func load(_ path: String) throws -> SavedPlan? {
        guard let data = FileManager.default.contents(atPath: path), data.first == UInt8(ascii: "{") else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], object["schema_version"] != nil else { return nil }
        guard object["kind"] as? String == kind else { throw SavedPlanError("\(path) is a JSON document but not a runbook plan") }
        guard object["schema_version"] as? Int == 1 else {
            throw SavedPlanError("\(path) is a plan of schema version \(object["schema_version"] ?? "?"); this runbook reads version 1")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(SavedPlan.self, from: data)
        } catch {
            throw SavedPlanError("\(path) is not a readable plan: \(error)")
        }
    }

    /// What changed since the plan was made, one line each (empty: nothing did).
    func changes(comparedWith plan: RunPlan, options: RunOptions) -> [String] {
        var found: [String] = []
        if (try? Self.digest(of: runbook.path)) != runbook.sha256 { found.append("the runbook \(runbook.path) changed") }
        let sources = (try? Self.inventorySources(options)) ?? []
        if sources != inventory.map(\.path) {
            found.append("the inventory found is not the one planned with (\(inventory.map(\.path).joined(separator: ", ")))")
        }
        for file in inventory where (try? Self.digest(of: file.path)) != file.sha256 { found.append("the inventory \(file.path) changed") }
        let now = Dictionary(plan.hosts.map { ($0.host, Self.host($0)) }, uniquingKeysWith: { first, _ in first })
        if Set(now.keys) != Set(hosts.map(\.name)) { found.append("the hosts selected are not the planned ones") }
        // `show PLAN` prints the saved text: a file edited by hand must not show one plan and run another.
        if PlanPrinter.text(plan) != text { found.append("the plan's text is not the plan it would run (was the file edited?)") }
        for host in hosts {
            guard let current = now[host.name] else { continue }
            if current.connectionSha256 != host.connectionSha256 { found.append("\(host.name): its connection settings changed") }
            if current.hostKeysSha256 != host.hostKeysSha256 { found.append("\(host.name): the host keys known_hosts trusts for it changed") }
            if current.exchangesSha256 != host.exchangesSha256 { found.append("\(host.name): the commands it would receive changed") }
        }
        return found
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// The inventory files and folders the options find, as absolute paths.
    static func inventorySources(_ options: RunOptions) throws -> [String] {
        InventoryFiles.locate(options.inventory, runbookPath: options.file).paths.map(absolute)
    }

    /// A file's digest, or for a folder (an inventory with group_vars/) the digest of every file in it.
    static func digest(of path: String) throws -> String {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return "missing" }
        if !isFolder.boolValue {
            guard let data = FileManager.default.contents(atPath: path) else { throw SavedPlanError("cannot read \(path)") }
            return SHA256.hex([UInt8](data))
        }
        let files = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).sorted()
        var hasher = SHA256()
        for file in files {
            let full = path + "/" + file
            var isSub: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isSub), !isSub.boolValue else { continue }
            hasher.update(Array((file + "\n").utf8))
            hasher.update(Array(((try? digest(of: full)) ?? "?").utf8))
        }
        return hasher.finalize()
    }
}

/// A saved plan that cannot be read, written or applied.
struct SavedPlanError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
