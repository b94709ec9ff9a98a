/// Memory sizes as pm2's `max_memory_restart` writes them: "512K", "1024M", "2G" (powers of 1024).
public enum MemorySize {
    /// The number of bytes, or nil when the text is not a size.
    public static func bytes(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: " ")
        guard let last = trimmed.last else { return nil }
        var digits = Substring(trimmed)
        var factor = 1
        switch last {
        case "K", "k": factor = 1 << 10
        case "M", "m": factor = 1 << 20
        case "G", "g": factor = 1 << 30
        case "0"..."9": break
        default: return nil
        }
        if factor > 1 { digits = digits.dropLast() }
        if digits.last == "B" || digits.last == "b" { return nil }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit), let value = Int(digits), value > 0 else { return nil }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: factor)
        return overflow ? nil : bytes
    }

    /// "1.5 GiB", "300.0 MiB", "512 KiB" for messages.
    public static func describe(_ bytes: Int) -> String {
        let units: [(Int, String)] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        for (size, name) in units where bytes >= size {
            let tenths = (bytes * 10 + size / 2) / size
            return "\(tenths / 10).\(tenths % 10) \(name)"
        }
        return "\(bytes) bytes"
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
}

/// A TCP destination written "host:port" or "[v6]:port".
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    /// Parses "db.internal:5432", "10.0.0.5:6379" or "[::1]:5432".
    public init?(parsing text: String) {
        var host: Substring
        var portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }
        }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "/" }), let port = Int(portText), (1...65535).contains(port) else { return nil }
        self.host = String(host)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
