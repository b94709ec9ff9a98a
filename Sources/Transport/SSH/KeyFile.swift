import Foundation

/// What a private key file is, read without decrypting it: for clear messages about RSA and passphrases.
struct KeyFile {
    var path: String
    var keyType: String
    var encrypted: Bool
    /// The public key blob (from `path.pub`, or the OpenSSH file's clear header): to match agent keys.
    var publicBlob: [UInt8]?

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
            let blob = reader.block()
            var publicKey = Reader(bytes: blob, offset: 0)
            keyType = publicKey.string() ?? "unknown"
            publicBlob = blob.isEmpty ? nil : blob
            encrypted = cipher != "none"
        } else {
            keyType =
                text.contains("BEGIN RSA PRIVATE KEY") ? "ssh-rsa" : (text.contains("BEGIN EC PRIVATE KEY") ? "ecdsa" : "unknown")
            encrypted = text.contains("ENCRYPTED")
        }
        if let pub = try? String(contentsOfFile: path + ".pub", encoding: .utf8) {
            let fields = pub.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
            if fields.count >= 2, let data = Data(base64Encoded: String(fields[1])) { publicBlob = [UInt8](data) }
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
