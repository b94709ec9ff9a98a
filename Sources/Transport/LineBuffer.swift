/// Splits a byte stream into lines without breaking a UTF-8 character split across reads.
struct LineBuffer: Sendable {
    private var pending: [UInt8] = []
    /// Everything seen, for the final result (capped to keep memory bounded on huge outputs).
    private(set) var collected: [UInt8] = []
    private(set) var truncated = false
    static let collectLimit = 16 * 1024 * 1024
    /// A line longer than this is passed on in pieces: a host that prints without newlines must
    /// not grow the controller's memory without bound.
    static let lineLimit = 64 * 1024

    /// Appends bytes and returns the complete lines they finish.
    mutating func append(_ bytes: UnsafeRawBufferPointer) -> [String] {
        if collected.count < Self.collectLimit {
            collected.append(contentsOf: bytes.prefix(Self.collectLimit - collected.count))
        } else {
            truncated = true
        }
        var lines: [String] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                lines.append(String(decoding: pending, as: UTF8.self))
                pending.removeAll(keepingCapacity: true)
            } else {
                pending.append(byte)
                if pending.count >= Self.lineLimit { lines.append(Self.cut(&pending)) }
            }
        }
        return lines
    }

    /// Takes the longest prefix of `pending` that does not end inside a UTF-8 character.
    static func cut(_ pending: inout [UInt8]) -> String {
        var start = pending.count - 1
        while start > 0, pending.count - start < 4, pending[start] & 0xC0 == 0x80 { start -= 1 }
        let lead = pending[start]
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
        let end = pending.count - start < length && start > 0 ? start : pending.count
        let line = String(decoding: pending[..<end], as: UTF8.self)
        pending.removeFirst(end)
        return line
    }

    /// The last line when the output does not end in a newline.
    mutating func finish() -> String? {
        guard !pending.isEmpty else { return nil }
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    var text: String { String(decoding: collected, as: UTF8.self) }
}
