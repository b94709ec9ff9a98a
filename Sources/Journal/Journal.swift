import Foundation
import RunEvents
import StateStore

#if canImport(Glibc)
    import Glibc
#endif

/// Where the local journal lives and who runs runbook.
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

    /// FNV-1a over bytes: enough to notice that a runbook or an inventory changed since a run.
    public static func digest(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static func line(_ value: some Encodable) -> [UInt8]? {
        guard let data = try? encoder.encode(value) else { return nil }
        return Array(data) + [UInt8(ascii: "\n")]
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// Splits a file's bytes into lines; `torn` is true when the last one has no newline (the writer
    /// stopped, or the disk filled, in the middle of it).
    static func lines(_ bytes: [UInt8]) -> (lines: [ArraySlice<UInt8>], torn: Bool) {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        return (lines, !bytes.isEmpty && bytes.last != UInt8(ascii: "\n"))
    }

    static func read(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }
}

/// The first line of a run's event file.
struct HeaderLine: Codable {
    var run: RunHeader
}

/// A write-ahead file's line.
struct RecordLine: Codable {
    var wal: WriteAheadRecord
}

/// A line of the run index: a run's listing when it starts, its result when it ends.
struct IndexLine: Codable {
    var run: RunListing?
    var end: End?

    struct End: Codable {
        var runID: String
        var exitStatus: Int32
        var duration: Double

        enum CodingKeys: String, CodingKey {
            case runID = "run_id"
            case exitStatus = "exit_status"
            case duration
        }
    }
}
