import Execution
import Foundation

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

    /// Appends a later run's events (`runbook rollback RUN`) to an existing journal, so it knows what was undone.
    public static func append(to runID: String, in folder: String, bus: EventBus) -> String? {
        let path = "\(folder)/\(runID).jsonl"
        guard let handle = FileHandle(forWritingAtPath: path) else { return "cannot append to the journal \(path)" }
        handle.seekToEndOfFile()
        bus.subscribe { event in
            // The rollback's own run and host results stay out: the journal keeps the original run's.
            switch event.kind {
            case .undo, .actionSkipped, .note: handle.write(Data((event.jsonLine + "\n").utf8))
            default: break
            }
        }
        return nil
    }

    /// Starts a run's journal and subscribes it to the run's events; nil (with the reason) when the
    /// folder cannot be written, which does not stop the run.
    public static func record(_ header: JournalHeader, in folder: String, bus: EventBus) -> String? {
        let path = "\(folder)/\(header.runID).jsonl"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var line = try encoder.encode(Wrapped(journal: header))
            line.append(UInt8(ascii: "\n"))
            guard FileManager.default.createFile(atPath: path, contents: line), let handle = FileHandle(forWritingAtPath: path) else {
                return "cannot write the journal \(path)"
            }
            handle.seekToEndOfFile()
            bus.subscribe { event in handle.write(Data((event.jsonLine + "\n").utf8)) }
            return nil
        } catch {
            return "cannot write the journal in \(folder): \(error.localizedDescription)"
        }
    }

    private struct Wrapped: Codable {
        var journal: JournalHeader
    }

    /// A run read back from its journal.
    public struct Run: Sendable {
        public var header: JournalHeader
        public var events: [[String: JSONValue]]

        /// The `run_finished` event, absent when the run was stopped at once or died.
        public var finished: [String: JSONValue]? { events.last { $0["event"]?.string == "run_finished" } }

        public func events(of host: String) -> [[String: JSONValue]] { events.filter { $0["host"]?.string == host } }

        /// Hosts in the order the run named them.
        public var hosts: [String] {
            events.first { $0["event"]?.string == "run_started" }.flatMap { started -> [String]? in
                guard case .array(let names)? = started["hosts"] else { return nil }
                return names.compactMap(\.string)
            } ?? []
        }

        /// Per host, the actions that completed and were not undone, in order of completion.
        public var leftDone: [String: [(step: String, index: Int)]] {
            var result: [String: [(step: String, index: Int, action: String)]] = [:]
            for event in events {
                guard let host = event["host"]?.string else { continue }
                switch event["event"]?.string {
                case "action_completed":
                    if let step = event["step"]?.string, let index = event["index"]?.int, let action = event["action"]?.string {
                        result[host, default: []].append((step, index, action))
                    }
                case "undo":
                    guard event["ok"]?.bool == true, let step = event["step"]?.string, let action = event["action"]?.string else { continue }
                    if let position = result[host]?.lastIndex(where: { $0.step == step && $0.action == action }) {
                        result[host]?.remove(at: position)
                    }
                default: continue
                }
            }
            return result.mapValues { $0.map { ($0.step, $0.index) } }
        }
    }

    public struct ReadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads one run; `id` may be a unique prefix of a run id.
    public static func read(_ id: String, in folder: String) throws(ReadError) -> Run {
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

    static func parse(path: String) throws(ReadError) -> Run {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ReadError(description: "cannot read \(path)") }
        let decoder = JSONDecoder()
        var lines = text.split(separator: "\n")
        guard let first = lines.first, let header = try? decoder.decode(Wrapped.self, from: Data(first.utf8)).journal else {
            throw ReadError(description: "\(path) is not a runbook journal")
        }
        lines.removeFirst()
        let events = lines.compactMap { try? decoder.decode([String: JSONValue].self, from: Data($0.utf8)) }
        return Run(header: header, events: events)
    }

    /// The runs in the journal, newest first.
    public static func runs(in folder: String, limit: Int) -> [Run] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".jsonl") }.sorted(by: >)
        return names.prefix(limit).compactMap { try? parse(path: "\(folder)/\($0)") }
    }
}
