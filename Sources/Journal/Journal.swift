import Foundation
import RunEvents

#if canImport(Glibc)
    import Glibc
#endif

/// What a journal records about a run before its events: enough to show it and to undo it later.
public struct JournalHeader: Codable, Sendable {
    public var runID: String
    public var runbook: String
    /// The runbook file (absolute) and a digest of its bytes: `rollback RUN` refuses a changed file.
    public var runbookPath: String
    public var runbookDigest: String
    public var hosts: String
    public var inventory: String?
    public var sshConfig: String?
    /// `--set` values; secret parameters are recorded as `••••` and must be given again.
    public var set: [String: String]
    public var release: String
    public var started: String
    public var controller: String
    public var user: String
    /// The version of the journal's format (the events carry their own, see docs/events.md).
    public var schemaVersion: Int

    enum CodingKeys: String, CodingKey {
        case runID = "run_id"
        case runbook
        case runbookPath = "runbook_path"
        case runbookDigest = "runbook_digest"
        case hosts, inventory
        case sshConfig = "ssh_config"
        case set, release, started, controller, user
        case schemaVersion = "schema_version"
    }

    public init(
        runID: String, runbook: String, runbookPath: String, runbookDigest: String, hosts: String, inventory: String?, sshConfig: String?,
        set: [String: String], release: String, started: Date = Date(), controller: String = ProcessInfo.processInfo.hostName,
        user: String = Journal.userName
    ) {
        self.runID = runID
        self.runbook = runbook
        self.runbookPath = runbookPath
        self.runbookDigest = runbookDigest
        self.hosts = hosts
        self.inventory = inventory
        self.sshConfig = sshConfig
        self.set = set
        self.release = release
        self.started = Date.ISO8601FormatStyle().format(started)
        self.controller = controller
        self.user = user
        schemaVersion = RunEvent.schemaVersion
    }

    /// FNV-1a over the file's bytes: enough to notice that a runbook changed since its run.
    public static func digest(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}

/// The run journal: one file of JSON lines per run (`RUNID.jsonl`), the header first, then every event
/// as `--format json` prints it (secrets already masked).
public enum Journal {
    /// `--journal PATH`, else `$XDG_STATE_HOME/runbook/journal`, else `~/.local/state/runbook/journal`.
    public static func folder(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit { return explicit }
        if let state = environment["XDG_STATE_HOME"], !state.isEmpty { return state + "/runbook/journal" }
        return NSHomeDirectory() + "/.local/state/runbook/journal"
    }

    /// The name of the user running runbook.
    public static var userName: String {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return ProcessInfo.processInfo.environment["USER"] ?? "?" }
        return String(cString: name)
    }

    /// A journal that cannot be opened or written.
    public struct WriteError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Appends a later run's events (`runbook rollback RUN`) to an existing journal, so it knows what
    /// was undone. `failed` is told once when a write fails; later events are then not written.
    public static func append(
        to runID: String, in folder: String, bus: EventBus, failed: @escaping @Sendable (String) -> Void
    ) throws(WriteError) -> JournalWriter {
        let path = "\(folder)/\(runID).jsonl"
        let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw WriteError(description: "cannot append to the journal \(path): \(Descriptor.describe(errno))") }
        let writer = JournalWriter(path: path, fd: fd, failed: failed)
        bus.subscribe { event in
            // The rollback's own run and host results stay out: the journal keeps the original run's.
            switch event.kind {
            case .undo, .actionSkipped, .note: writer.append(event.jsonLine)
            default: break
            }
        }
        return writer
    }

    /// Starts a run's journal (its header written and on disk) and subscribes it to the run's events.
    /// `failed` is told once when a later write fails (a full disk); later events are then not written.
    public static func record(
        _ header: JournalHeader, in folder: String, bus: EventBus, failed: @escaping @Sendable (String) -> Void
    ) throws(WriteError) -> JournalWriter {
        let path = "\(folder)/\(header.runID).jsonl"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw WriteError(description: "cannot create the journal folder \(folder): \(error.localizedDescription)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(Wrapped(journal: header)) else { throw WriteError(description: "cannot encode the journal header") }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw WriteError(description: "cannot write the journal \(path): \(Descriptor.describe(errno))") }
        if let error = Descriptor.writeAll(fd, Array(data) + [UInt8(ascii: "\n")]) ?? (fdatasync(fd) == 0 ? nil : errno) {
            close(fd)
            unlink(path)
            throw WriteError(description: "cannot write the journal \(path): \(Descriptor.describe(error))")
        }
        let writer = JournalWriter(path: path, fd: fd, failed: failed)
        bus.subscribe { event in
            writer.append(event.jsonLine)
            if case .runFinished = event.kind { writer.sync() }
        }
        return writer
    }

    struct Wrapped: Codable {
        var journal: JournalHeader
    }

    /// A journal that cannot be read.
    public struct ReadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads one run; `id` may be a unique prefix of a run id.
    public static func read(_ id: String, in folder: String) throws(ReadError) -> JournalRun {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".jsonl") }
        let matches = names.filter { $0 == "\(id).jsonl" || $0.hasPrefix(id) }
        guard matches.count == 1, let name = matches.first else {
            throw ReadError(
                description: matches.isEmpty
                    ? "no run \(id) in the journal \(folder) (`runbook history` lists them)"
                    : "\(id) names \(matches.count) runs: \(matches.map { String($0.dropLast(6)) }.sorted().joined(separator: ", "))")
        }
        return try parse(path: "\(folder)/\(name)")
    }

    static func parse(path: String) throws(ReadError) -> JournalRun {
        guard let data = FileManager.default.contents(atPath: path) else { throw ReadError(description: "cannot read \(path)") }
        let bytes = [UInt8](data)
        let complete = bytes.last == UInt8(ascii: "\n")
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        let decoder = JSONDecoder()
        guard let first = lines.first, let header = try? decoder.decode(Wrapped.self, from: Data(first)).journal else {
            throw ReadError(description: "\(path) is not a runbook journal")
        }
        var events: [RunEvent] = []
        var problems: [String] = []
        for (offset, line) in lines.enumerated().dropFirst() {
            do {
                events.append(try decoder.decode(RunEvent.self, from: Data(line)))
            } catch {
                let torn = offset == lines.count - 1 && !complete
                problems.append(
                    torn
                        ? "line \(offset + 1) is torn (the run stopped, or its disk filled, while writing it): the events after it are unknown"
                        : "line \(offset + 1) cannot be read: \(error)")
            }
        }
        return JournalRun(header: header, events: events, problems: problems)
    }

    /// The runs in the journal, newest first.
    public static func runs(in folder: String, limit: Int) -> [JournalRun] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".jsonl") }.sorted(by: >)
        return names.prefix(limit).compactMap { try? parse(path: "\(folder)/\($0)") }
    }
}

/// Writes a journal's lines with write(2) as the run goes; after the first failure (a full disk) it
/// writes nothing more and has told its owner, who stops the run from starting new changes.
public final class JournalWriter: @unchecked Sendable {
    public let path: String
    private let lock = NSLock()
    private var fd: Int32
    private var problem: String?
    private let failed: @Sendable (String) -> Void

    init(path: String, fd: Int32, failed: @escaping @Sendable (String) -> Void) {
        self.path = path
        self.fd = fd
        self.failed = failed
    }

    /// Why the journal stopped being written, if it did.
    public var failure: String? { lock.withLock { problem } }

    /// Appends one line (a newline is added).
    public func append(_ line: String) {
        let failure = lock.withLock { () -> String? in
            guard problem == nil, fd >= 0 else { return nil }
            guard let error = Descriptor.writeAll(fd, Array((line + "\n").utf8)) else { return nil }
            problem = "cannot write the journal \(path): \(Descriptor.describe(error))"
            return problem
        }
        if let failure { failed(failure) }
    }

    /// Makes what was written durable (fdatasync); false when the disk refused.
    @discardableResult
    public func sync() -> Bool {
        lock.withLock { fd < 0 || fdatasync(fd) == 0 }
    }

    public func close() {
        lock.withLock {
            if fd >= 0 {
                fdatasync(fd)
                closeDescriptor(fd)
            }
            fd = -1
        }
    }
}

/// close(2), out of reach of `JournalWriter.close()`'s name.
private func closeDescriptor(_ fd: Int32) { _ = close(fd) }
