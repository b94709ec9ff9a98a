import Inventory
import RunbookLanguage

/// libFuzzer entry: the ssh_config parser on arbitrary text. Only parsing: resolving a host would run
/// `Match exec` commands, and `Include` is pointed at a folder that does not exist.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do throws(Diagnostic) {
        _ = try SSHConfig.parse(text, path: "fuzz_config", home: "/nonexistent/runbook-fuzz", localUser: "fuzz")
    } catch {
        // Every refusal names its place.
        precondition(error.location.line >= 1 && error.location.column >= 1, "unlocated: \(error)")
    }
    return 0
}
