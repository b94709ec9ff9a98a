import Foundation

/// What a private key file is, read without decrypting it: for clear messages about RSA and passphrases.
struct KeyFile {
    var path: String
    var keyType: String
    var encrypted: Bool

    init?(path: String) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        self.path = path
        if text.contains("BEGIN OPENSSH PRIVATE KEY") {
            let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
            guard let data = Data(base64Encoded: body) else { return nil }
            let bytes = [UInt8](data)
            var reader = Reader(bytes: bytes, offset: 15)  // "openssh-key-v1\0"
            let cipher = reader.string() ?? "none"
            _ = reader.string()  // kdf name
            _ = reader.string()  // kdf options
            _ = reader.uint32()  // number of keys
            var publicKey = Reader(bytes: reader.block(), offset: 0)
            keyType = publicKey.string() ?? "unknown"
            encrypted = cipher != "none"
        } else {
            keyType =
                text.contains("BEGIN RSA PRIVATE KEY") ? "ssh-rsa" : (text.contains("BEGIN EC PRIVATE KEY") ? "ecdsa" : "unknown")
            encrypted = text.contains("ENCRYPTED")
        }
    }

    var isRSA: Bool { keyType == "ssh-rsa" }

    private struct Reader {
        var bytes: [UInt8]
        var offset: Int

        mutating func uint32() -> Int? {
            guard offset + 4 <= bytes.count else { return nil }
            let value = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            offset += 4
            return value
        }

        mutating func block() -> [UInt8] {
            guard let length = uint32(), offset + length <= bytes.count else { return [] }
            defer { offset += length }
            return Array(bytes[offset..<offset + length])
        }

        mutating func string() -> String? {
            let raw = block()
            return raw.isEmpty ? nil : String(decoding: raw, as: UTF8.self)
        }
    }
}
