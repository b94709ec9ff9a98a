import Inventory
import RunbookLanguage

/// libFuzzer entry: `YAMLInventoryReader.read` on arbitrary text; a crash, a hang or unbounded memory is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do throws(Diagnostic) {
        _ = try YAMLInventoryReader.read(text, path: "fuzz.yml")
    } catch {
        // Every refusal names its place.
        precondition(error.location.line >= 1 && error.location.column >= 1, "unlocated: \(error)")
    }
    return 0
}
