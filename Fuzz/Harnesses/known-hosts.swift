import Foundation

@testable import Transport

/// libFuzzer entry: the known_hosts line parser and host matching on arbitrary bytes (built only
/// once Sources/Transport/SSH/KnownHosts.swift exists).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    for (index, raw) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
        if case .entry(let entry) = KnownHosts.parse(raw, file: "fuzz_known_hosts", line: index + 1) {
            _ = KnownHosts.matches(entry, name: "[host.example]:2222")
        }
    }
    return 0
}
