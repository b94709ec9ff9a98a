import Foundation
import RunEvents
import StateStore

#if canImport(Glibc)
    import Glibc
#endif

/// The embedded store: a folder with, per run, `RUNID.jsonl` (its header, then every event as
/// `--format json` prints it) and `RUNID.wal` (write-ahead records, each durable before its command
/// is sent), and `runs.index`, one line when a run starts and one when it ends, which `history`
/// reads backwards so listing the newest runs costs the same with 10 or 10,000 runs in the folder.
/// Every write goes through one writer thread (`GroupCommit`), which shares one fdatasync among the
/// records of all hosts waiting at that moment.
public final class LocalJournal: StateStore, @unchecked Sendable {
    public let folder: String
    private let lock = NSLock()
    private var events: [String: Int32] = [:]
    private var records: [String: Int32] = [:]
    private var index: Int32 = -1
    private let latch: FailureLatch

    /// `failed` is told once, when a write first fails (a full disk): the run starts no new change.
    public init(folder: String, failed: @escaping @Sendable (String) -> Void = { _ in }) {
        self.folder = folder
        latch = FailureLatch(failed: failed)
    }

    /// Why the journal stopped being written, if it did.
    public var failure: String? { latch.failure }

    private func fail(_ message: String) -> StateStoreError { latch.fail(message) }

    private func path(_ runID: String, _ suffix: String) -> String { "\(folder)/\(runID).\(suffix)" }

    private func durable(_ fd: Int32, _ bytes: [UInt8]) async -> Int32? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int32?, Never>) in
            GroupCommit.shared.submit(fd, bytes) { continuation.resume(returning: $0) }
        }
    }

    public func create(_ header: RunHeader) async throws(StateStoreError) {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw fail("cannot create the journal folder \(folder): \(error.localizedDescription)")
        }
        guard let headerLine = Journal.line(HeaderLine(run: header)) else { throw fail("cannot encode the journal header") }
        let eventsPath = path(header.runID, "jsonl")
        let eventsFD = open(eventsPath, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o600)
        guard eventsFD >= 0 else {
            if errno == EEXIST { throw .conflict(header.runID) }
            throw fail("cannot write the journal \(eventsPath): \(Descriptor.describe(errno))")
        }
        let walPath = path(header.runID, "wal")
        let walFD = open(walPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        let indexFD = lock.withLock { () -> Int32 in
            if index < 0 { index = open("\(folder)/runs.index", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600) }
            return index
        }
        let listing = RunListing(
            runID: header.runID, runbook: header.runbook, pattern: header.pattern, hosts: header.hosts.map(\.name), started: header.started,
            controller: header.controller, user: header.user, exitStatus: nil, duration: nil)
        var error: Int32? = walFD < 0 || indexFD < 0 ? errno : nil
        if error == nil { error = await durable(eventsFD, headerLine) }
        if error == nil { error = await durable(walFD, []) }
        if error == nil, let line = Journal.line(IndexLine(run: listing)) { error = await durable(indexFD, line) }
        if let error {
            closeDescriptor(eventsFD)
            if walFD >= 0 { closeDescriptor(walFD) }
            unlink(eventsPath)
            unlink(walPath)
            throw fail("cannot write the journal \(eventsPath): \(Descriptor.describe(error))")
        }
        lock.withLock {
            events[header.runID] = eventsFD
            records[header.runID] = walFD
        }
    }

    /// Opens a recorded run to append to it (`runbook rollback RUN` records its undos in the run's files).
    public func reopen(_ runID: String) throws(StateStoreError) {
        let eventsFD = open(path(runID, "jsonl"), O_WRONLY | O_APPEND | O_CLOEXEC)
        guard eventsFD >= 0 else { throw fail("cannot append to the journal \(path(runID, "jsonl")): \(Descriptor.describe(errno))") }
        let walFD = open(path(runID, "wal"), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard walFD >= 0 else {
            closeDescriptor(eventsFD)
            throw fail("cannot append to the journal \(path(runID, "wal")): \(Descriptor.describe(errno))")
        }
        lock.withLock {
            events[runID] = eventsFD
            records[runID] = walFD
        }
    }

    public func append(_ new: [WriteAheadRecord], to runID: String) async throws(StateStoreError) {
        if let problem = failure { throw .unwritable(problem) }
        guard let fd = lock.withLock({ records[runID] }) else { throw fail("run \(runID) is not open in the journal") }
        var bytes: [UInt8] = []
        for record in new {
            guard let line = Journal.line(RecordLine(wal: record)) else { throw fail("cannot encode a journal record") }
            bytes += line
        }
        if let error = await durable(fd, bytes) {
            throw fail("cannot write the journal \(path(runID, "wal")): \(Descriptor.describe(error))")
        }
    }

    public func append(events new: [RunEvent], to runID: String) async throws(StateStoreError) {
        for event in new { record(event, to: runID) }
        if let problem = failure { throw .unwritable(problem) }
    }

    /// Queues one event without waiting (the event bus calls this under its lock).
    public func record(_ event: RunEvent, to runID: String) {
        guard failure == nil, let fd = lock.withLock({ events[runID] }) else { return }
        // Not synced one by one, but a failed write (a full disk) stops new changes like a failed record.
        let path = self.path(runID, "jsonl")
        GroupCommit.shared.submit(fd, Array((event.jsonLine + "\n").utf8), sync: false) { [self] error in
            if let error { _ = fail("cannot write the journal \(path): \(Descriptor.describe(error))") }
        }
    }

    /// Makes every queued line of the run durable; returns the problem, if any (no async: the second
    /// Ctrl-C calls it from the main thread just before `_exit`).
    @discardableResult
    public func flush(_ runID: String) -> String? {
        let fds = lock.withLock { [events[runID], records[runID]].compactMap { $0 } }
        for fd in fds {
            if let error = GroupCommit.shared.submitAndWait(fd, []) {
                return "cannot write the journal \(folder): \(Descriptor.describe(error))"
            }
        }
        return failure
    }

    public func finish(_ runID: String, exitStatus: Int32, duration: Double) async throws(StateStoreError) {
        let fds = lock.withLock { [events[runID], records[runID]].compactMap { $0 } }
        var error: Int32?
        for fd in fds where error == nil { error = await durable(fd, []) }
        let indexFD = lock.withLock { index }
        if error == nil, indexFD >= 0, let line = Journal.line(IndexLine(end: .init(runID: runID, exitStatus: exitStatus, duration: duration))) {
            error = await durable(indexFD, line)
        }
        close(runID)
        if let error { throw fail("cannot write the journal \(folder): \(Descriptor.describe(error))") }
    }

    /// Closes the run's files (after making them durable).
    public func close(_ runID: String) {
        _ = flush(runID)
        let fds = lock.withLock { () -> [Int32] in
            let fds = [events.removeValue(forKey: runID), records.removeValue(forKey: runID)].compactMap { $0 }
            return fds
        }
        for fd in fds {
            GroupCommit.shared.forget(fd)
            closeDescriptor(fd)
        }
    }

    public func list(_ query: RunQuery) async throws(StateStoreError) -> [RunListing] { listNow(query) }

    public func load(_ id: String) async throws(StateStoreError) -> StoredRun { try loadNow(id) }

    public func prune(_ policy: RetentionPolicy) async throws(StateStoreError) -> [String] { pruneNow(policy) }
}

/// close(2), out of reach of `LocalJournal.close(_:)`'s name.
func closeDescriptor(_ fd: Int32) { _ = close(fd) }
