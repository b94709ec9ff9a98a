import Foundation
import RunEvents
import StateStore

#if canImport(Glibc)
    import Glibc
#endif

extension LocalJournal {
    /// Reads `runs.index` from its end, a growing window at a time, until `query.limit` runs are found:
    /// the cost follows the runs listed, not the runs kept. Runs whose files were pruned are skipped.
    public func listNow(_ query: RunQuery) -> [RunListing] {
        let indexPath = "\(folder)/runs.index"
        let fd = open(indexPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { closeDescriptor(fd) }
        var stats = stat()
        guard fstat(fd, &stats) == 0 else { return [] }
        let size = Int(stats.st_size)
        let decoder = Journal.decoder()
        var window = 64 * 1024
        while true {
            let start = max(0, size - window)
            var bytes = [UInt8](repeating: 0, count: size - start)
            let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, size - start, off_t(start)) }
            guard count == size - start else { return [] }
            var (lines, torn) = Journal.lines(bytes)
            if torn { lines.removeLast() }
            // The window's first line may be cut: it is read again with the next, larger window.
            if start > 0 { lines.removeFirst() }
            // End lines are decoded only for the runs listed: a filter that matches little stays fast.
            var ends: [String: ArraySlice<UInt8>] = [:]
            var found: [RunListing] = []
            let needle = query.host.map { Array("\"\($0)\"".utf8) }
            for line in lines.reversed() {
                if line.starts(with: Self.endPrefix) {
                    if let id = Self.runID(in: line) { ends[id] = line }
                    continue
                }
                if let needle, !contains(line, needle) { continue }
                guard var run = try? decoder.decode(IndexLine.self, from: Data(line)).run else { continue }
                if let host = query.host, !run.hosts.contains(host) { continue }
                guard access("\(folder)/\(run.runID).jsonl", F_OK) == 0 else { continue }
                if let raw = ends[run.runID], let end = try? decoder.decode(IndexLine.self, from: Data(raw)).end {
                    run.exitStatus = end.exitStatus
                    run.duration = end.duration
                }
                found.append(run)
                if found.count >= query.limit { return found }
            }
            if start == 0 { return found }
            window *= 4
        }
    }

    static let endPrefix = Array("{\"end\"".utf8)

    /// The value of `"run_id"` in a raw index line, without decoding it.
    static func runID(in line: ArraySlice<UInt8>) -> String? {
        let key = Array("\"run_id\":".utf8)
        guard let at = find(key, in: line) else { return nil }
        var start = at + key.count
        while start < line.endIndex && (line[start] == UInt8(ascii: " ") || line[start] == UInt8(ascii: "\"")) { start += 1 }
        var end = start
        while end < line.endIndex && line[end] != UInt8(ascii: "\"") { end += 1 }
        return String(decoding: line[start..<end], as: UTF8.self)
    }

    /// Where `needle` starts in `line` (memchr and memcmp: fast even in an unoptimized build).
    static func find(_ needle: [UInt8], in line: ArraySlice<UInt8>) -> Int? {
        guard let first = needle.first else { return nil }
        return line.withUnsafeBytes { haystack -> Int? in
            needle.withUnsafeBytes { pattern -> Int? in
                guard let base = haystack.baseAddress, let key = pattern.baseAddress else { return nil }
                var offset = 0
                while offset + pattern.count <= haystack.count {
                    guard let hit = memchr(base + offset, Int32(first), haystack.count - offset - pattern.count + 1) else { return nil }
                    let at = UnsafeRawPointer(hit) - base
                    if memcmp(base + at, key, pattern.count) == 0 { return line.startIndex + at }
                    offset = at + 1
                }
                return nil
            }
        }
    }

    private func contains(_ line: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool { Self.find(needle, in: line) != nil }

    /// The run whose id is `id`, or the one run whose id starts with it.
    func resolve(_ id: String) throws(StateStoreError) -> String {
        if access("\(folder)/\(id).jsonl", F_OK) == 0 { return id }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".jsonl") && $0.hasPrefix(id) }
        guard names.count == 1, let name = names.first else {
            if names.isEmpty { throw .notFound(id) }
            throw .ambiguous(id, names.map { String($0.dropLast(6)) })
        }
        return String(name.dropLast(6))
    }

    func loadNow(_ id: String) throws(StateStoreError) -> StoredRun {
        let runID = try resolve(id)
        let eventsPath = "\(folder)/\(runID).jsonl"
        guard let bytes = Journal.read(eventsPath) else { throw .unreadable("cannot read \(eventsPath)") }
        let decoder = Journal.decoder()
        let (lines, torn) = Journal.lines(bytes)
        guard let first = lines.first, let header = try? decoder.decode(HeaderLine.self, from: Data(first)).run else {
            throw .unreadable("\(eventsPath) is not a journal this runbook can read (written by another version?)")
        }
        guard header.schemaVersion <= RunHeader.currentSchema else {
            throw .unreadable("\(eventsPath) was written by a newer runbook (schema \(header.schemaVersion))")
        }
        var problems: [String] = []
        var events: [RunEvent] = []
        for (offset, line) in lines.enumerated().dropFirst() {
            do {
                events.append(try decoder.decode(RunEvent.self, from: Data(line)))
            } catch {
                problems.append(Self.problem(file: "\(runID).jsonl", line: offset + 1, last: offset == lines.count - 1 && torn, error: error))
            }
        }
        var records: [WriteAheadRecord] = []
        if let wal = Journal.read("\(folder)/\(runID).wal") {
            let (lines, torn) = Journal.lines(wal)
            for (offset, line) in lines.enumerated() {
                do {
                    records.append(try decoder.decode(RecordLine.self, from: Data(line)).wal)
                } catch {
                    problems.append(Self.problem(file: "\(runID).wal", line: offset + 1, last: offset == lines.count - 1 && torn, error: error))
                }
            }
        } else {
            problems.append("\(runID).wal is missing: what the run did on its hosts is unknown")
        }
        var exitStatus: Int32?
        for event in events.reversed() {
            if case .runFinished(let status, _, _, _) = event.kind {
                exitStatus = status
                break
            }
        }
        return StoredRun(header: header, records: records, events: events, exitStatus: exitStatus, problems: problems)
    }

    static func problem(file: String, line: Int, last: Bool, error: any Error) -> String {
        last
            ? "\(file) line \(line) is torn (the controller stopped, or its disk filled, while writing it): what came after it is unknown"
            : "\(file) line \(line) cannot be read: \(error)"
    }

    /// Removes the files of finished runs beyond the policy; the index keeps their lines, and
    /// listing skips runs whose files are gone.
    func pruneNow(_ policy: RetentionPolicy) -> [String] {
        let runs = listNow(RunQuery(limit: Int.max))
        let now = Date()
        var removed: [String] = []
        for run in runs.dropFirst(max(0, policy.keep)) where run.exitStatus != nil {
            if let age = policy.maxAge, now.timeIntervalSince(run.started) < age { continue }
            unlink("\(folder)/\(run.runID).jsonl")
            unlink("\(folder)/\(run.runID).wal")
            removed.append(run.runID)
        }
        return removed
    }
}
