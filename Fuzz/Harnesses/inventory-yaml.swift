import Inventory

/// libFuzzer entry: `YAMLInventoryReader.read` on arbitrary text; a crash, a hang or unbounded memory is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? YAMLInventoryReader.read(text, path: "fuzz.yml")
    return 0
}
