/// Splits a byte stream into lines without breaking a UTF-8 character split across reads.
struct LineBuffer: Sendable {
    private var pending: [UInt8] = []
    /// Everything seen, for the final result (capped to keep memory bounded on huge outputs).
    private(set) var collected: [UInt8] = []
    private(set) var truncated = false
    static let collectLimit = 16 * 1024 * 1024

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
            }
        }
        return lines
    }

    /// The last line when the output does not end in a newline.
    mutating func finish() -> String? {
        guard !pending.isEmpty else { return nil }
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    var text: String { String(decoding: collected, as: UTF8.self) }
}
