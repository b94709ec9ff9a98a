import Foundation
import RunEvents
import Synchronization
import Wire

/// Where runs are kept: the local journal (one file per run) and a shared PostgreSQL store implement
/// it alike. Write-ahead records must be durable when `append(_:to:)` returns, since the command they
/// announce is sent right after; events may be buffered and are made durable by `finish`.
/// Every method may be called from many hosts' tasks at once.
public protocol StateStore: Sendable {
    /// Records a new run before anything is sent to a host; refuses an id already used (`.conflict`).
    func create(_ header: RunHeader) async throws(StateStoreError)

    /// Appends write-ahead records and returns once they are durable (a store may share one sync
    /// among concurrent callers: group commit).
    func append(_ records: [WriteAheadRecord], to runID: String) async throws(StateStoreError)

    /// Appends events (what `--format json` prints); durable at the latest when the run finishes.
    func append(events: [RunEvent], to runID: String) async throws(StateStoreError)

    /// Marks the run finished with its exit status and makes everything durable.
    func finish(_ runID: String, exitStatus: Int32, duration: Double) async throws(StateStoreError)

    /// Runs, newest first, at most `query.limit` of them; `query.host` keeps runs that named that host.
    func list(_ query: RunQuery) async throws(StateStoreError) -> [RunListing]

    /// One run with its records and events; `id` may be a unique prefix of a run id.
    func load(_ id: String) async throws(StateStoreError) -> StoredRun

    /// Forgets finished runs beyond the policy (the newest `keep` stay, and any run younger than
    /// `maxAge`); never a run without a result. Returns the ids removed.
    func prune(_ policy: RetentionPolicy) async throws(StateStoreError) -> [String]
}

/// Why a store refused or failed; `description` is the message for people.
public enum StateStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No run has this id or prefix.
    case notFound(String)
    /// The prefix names several runs (their ids).
    case ambiguous(String, [String])
    /// A run with this id exists already.
    case conflict(String)
    /// The store cannot be written (full disk, no folder, lost connection): the run must start no new change.
    case unwritable(String)
    /// The store cannot be read, or holds something this version cannot read (a newer schema).
    case unreadable(String)

    public var description: String {
        switch self {
        case .notFound(let id): "no run \(id) in the journal (`runbook history` lists them)"
        case .ambiguous(let id, let ids): "\(id) names \(ids.count) runs: \(ids.sorted().joined(separator: ", "))"
        case .conflict(let id): "a run \(id) is already recorded"
        case .unwritable(let message), .unreadable(let message): message
        }
    }
}

/// What a run records before it starts: enough to show it, and to undo it from another machine
/// without today's inventory (`hosts` holds each host's resolved values). Never holds a secret.
public struct RunHeader: Codable, Sendable, Equatable {
    public var runID: String
    /// The runbook's name, its file (absolute) and a digest of its bytes.
    public var runbook: String
    public var runbookPath: String
    public var runbookDigest: String
    /// The host pattern as typed.
    public var pattern: String
    /// The inventory sources as given (files, folders, `host,` lists) and a digest of what was read.
    public var inventorySources: [String]
    public var inventoryDigest: String
    public var sshConfig: String?
    /// Per host (in the run's order), the values rollback must find again: see `HostRecord`.
    public var hosts: [HostRecord]
    /// `--set` values and parameters; secrets are `••••` and asked for again.
    public var parameters: [String: String]
    public var release: String
    public var started: Date
    public var controller: String
    public var user: String
    /// The version of the record format; a store refuses to read a newer one.
    public var schemaVersion: Int

    public static let currentSchema = 2

    enum CodingKeys: String, CodingKey {
        case runID = "run_id"
        case runbook
        case runbookPath = "runbook_path"
        case runbookDigest = "runbook_digest"
        case pattern
        case inventorySources = "inventory_sources"
        case inventoryDigest = "inventory_digest"
        case sshConfig = "ssh_config"
        case hosts, parameters, release, started, controller, user
        case schemaVersion = "schema_version"
    }

    public init(
        runID: String, runbook: String, runbookPath: String, runbookDigest: String, pattern: String, inventorySources: [String],
        inventoryDigest: String, sshConfig: String?, hosts: [HostRecord], parameters: [String: String], release: String,
        started: Date = Date(), controller: String, user: String
    ) {
        self.runID = runID
        self.runbook = runbook
        self.runbookPath = runbookPath
        self.runbookDigest = runbookDigest
        self.pattern = pattern
        self.inventorySources = inventorySources
        self.inventoryDigest = inventoryDigest
        self.sshConfig = sshConfig
        self.hosts = hosts
        self.parameters = parameters
        self.release = release
        self.started = started
        self.controller = controller
        self.user = user
        schemaVersion = Self.currentSchema
    }
}

/// One host as the run resolved it: what identifies it (address, port, user, host key) and the
/// variables the runbook reads. No controller-local path, so a rollback from another machine
/// compares like with like; `rollback RUN` refuses a host whose values differ today.
public struct HostRecord: Codable, Sendable, Equatable {
    public var name: String
    public var address: String
    public var port: Int
    public var user: String?
    /// The host key the connection accepted (`ssh-ed25519 AAAA...`), when known.
    public var hostKey: String?
    public var variables: [String: String]

    public init(name: String, address: String, port: Int, user: String?, hostKey: String? = nil, variables: [String: String]) {
        self.name = name
        self.address = address
        self.port = port
        self.user = user
        self.hostKey = hostKey
        self.variables = variables
    }

    enum CodingKeys: String, CodingKey {
        case name, address, port, user
        case hostKey = "host_key"
        case variables
    }
}

/// Which action (or undo) a record is about. Records are matched by these ids, never by text.
public struct ActionID: Codable, Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var step: String
    /// The action's place in its step (0-based); the rollback block's actions use the step `rollback`.
    public var index: Int
    /// The step's attempt (1 unless retried); an undo carries the attempt of the action it undoes.
    public var attempt: Int

    public init(host: String, step: String, index: Int, attempt: Int) {
        self.host = host
        self.step = step
        self.index = index
        self.attempt = attempt
    }

    public var description: String { "\(host)/\(step)#\(index)@\(attempt)" }
}

/// A write-ahead record: an intent, durable before the work's first command is sent, then its
/// completion. An intent without a completion means the work may have been done, in part or fully.
public struct WriteAheadRecord: Codable, Sendable, Equatable {
    /// Before or after.
    public enum Phase: String, Codable, Sendable { case intent, completion }
    /// What the work is: the action itself, or the undo of the action with the same id.
    public enum Work: String, Codable, Sendable { case action, undo }

    public var id: ActionID
    public var phase: Phase
    public var work: Work
    /// The action as people read it (`upload app.conf -> /etc/app.conf`); for display only.
    public var summary: String
    /// On an action's intent: every command its undo will send, exactly as planned (secrets by
    /// reference only). `rollback RUN` refuses when today's plan would send other bytes.
    public var undo: [HostCommand]
    /// On a completion: whether the work succeeded, and why not.
    public var ok: Bool?
    public var message: String?
    public var time: Date
    /// On an action's intent: the paths it changes, so a rollback of an older run can tell that this
    /// run changed them since (absent in records written before it existed).
    public var paths: [String]?

    public init(
        id: ActionID, phase: Phase, work: Work, summary: String, undo: [HostCommand] = [], ok: Bool? = nil, message: String? = nil,
        time: Date = Date(), paths: [String]? = nil
    ) {
        self.id = id
        self.phase = phase
        self.work = work
        self.summary = summary
        self.undo = undo
        self.ok = ok
        self.message = message
        self.time = time
        self.paths = paths.flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// Which runs `list` returns.
public struct RunQuery: Sendable, Equatable {
    public var limit: Int
    /// Only runs that named this host.
    public var host: String?

    public init(limit: Int = 20, host: String? = nil) {
        self.limit = limit
        self.host = host
    }
}

/// A run as `runbook history` lists it, without its records and events.
public struct RunListing: Codable, Sendable, Equatable {
    public var runID: String
    public var runbook: String
    public var pattern: String
    public var hosts: [String]
    public var started: Date
    public var controller: String
    public var user: String
    /// Absent for a run that never finished (stopped at once, or its controller died).
    public var exitStatus: Int32?
    public var duration: Double?

    public init(
        runID: String, runbook: String, pattern: String, hosts: [String], started: Date, controller: String, user: String, exitStatus: Int32?,
        duration: Double?
    ) {
        self.runID = runID
        self.runbook = runbook
        self.pattern = pattern
        self.hosts = hosts
        self.started = started
        self.controller = controller
        self.user = user
        self.exitStatus = exitStatus
        self.duration = duration
    }

    enum CodingKeys: String, CodingKey {
        case runID = "run_id"
        case runbook, pattern, hosts, started, controller, user
        case exitStatus = "exit_status"
        case duration
    }
}

/// A run read back whole.
public struct StoredRun: Sendable {
    public var header: RunHeader
    public var records: [WriteAheadRecord]
    public var events: [RunEvent]
    public var exitStatus: Int32?
    /// What could not be read (a torn last line), said, never dropped silently.
    public var problems: [String]

    public init(header: RunHeader, records: [WriteAheadRecord], events: [RunEvent], exitStatus: Int32?, problems: [String]) {
        self.header = header
        self.records = records
        self.events = events
        self.exitStatus = exitStatus
        self.problems = problems
    }

    /// Per host, the actions that may be done and are not undone, in order of intent (see `WriteAhead.outstanding`).
    public var outstanding: [String: [Outstanding]] { WriteAhead.outstanding(records) }
}

/// How long a store keeps finished runs.
public struct RetentionPolicy: Sendable, Equatable {
    /// The newest `keep` runs stay whatever their age.
    public var keep: Int
    /// Older runs beyond `keep` go once they are older than this (seconds); nil: count alone decides.
    public var maxAge: Double?

    public init(keep: Int, maxAge: Double? = nil) {
        self.keep = keep
        self.maxAge = maxAge
    }
}

/// The first write failure of a store: kept, told once to `failed`, and what every later write reports.
public final class FailureLatch: Sendable {
    private let problem = Mutex<String?>(nil)
    private let failed: @Sendable (String) -> Void

    public init(failed: @escaping @Sendable (String) -> Void) { self.failed = failed }

    /// Why the store stopped being written, if it did.
    public var failure: String? { problem.withLock { $0 } }

    /// Records the failure (the first one is told to `failed`) and returns the error to throw.
    public func fail(_ message: String) -> StateStoreError {
        let first = problem.withLock { problem -> Bool in
            guard problem == nil else { return false }
            problem = message
            return true
        }
        if first { failed(message) }
        return .unwritable(message)
    }
}
