import Planning
import Testing

/// /proc/net/tcp and tcp6 as the kernel writes them: each 32-bit word little-endian, the port big-endian.
@Suite struct SocketTableTests {
    @Test(arguments: [
        ("0100007F:AA4D", false, "127.0.0.1", 43597),
        ("00000000:0BBA", false, "0.0.0.0", 3002),
        ("00000000000000000000000000000000:0BBA", true, "::", 3002),
        ("00000000000000000000000001000000:0BBA", true, "::1", 3002),
        ("0000000000000000FFFF00000100007F:1F90", true, "::ffff:127.0.0.1", 8080),
        ("000080FE00000000FF005450B6AD1DFE:0016", true, "fe80::5054:ff:fe1d:adb6", 22),
        ("B80D0120000000000000000001000000:01BB", true, "2001:db8::1", 443),
    ])
    func decodesKernelAddresses(field: String, ipv6: Bool, address: String, port: Int) throws {
        let decoded = try #require(SocketTable.decode(field, ipv6: ipv6))
        #expect(decoded.0 == address)
        #expect(decoded.1 == port)
    }

    @Test func rejectsMalformedFields() {
        #expect(SocketTable.decode("0100007F", ipv6: false) == nil)
        #expect(SocketTable.decode("0100007G:0BBA", ipv6: false) == nil)
        #expect(SocketTable.decode("00000000:0BBA", ipv6: true) == nil)
    }

    @Test func readsTheProbeOutputWithOwners() {
        let output = """
            L tcp 00000000:0BBA 4711
            L tcp6 00000000000000000000000000000000:0BBA 4712
            O 4712 4121 node
            O 4712 4122 next-server (v1
            """
        let listeners = SocketTable.parse(output)
        #expect(listeners.map(\.description) == ["0.0.0.0:3002", "[::]:3002 owned by node pid 4121, next-server (v1 pid 4122"])
    }

    @Test func normalisesAddressesAsRunbooksWriteThem() {
        #expect(SocketTable.normalize("[::]") == "::")
        #expect(SocketTable.normalize("0:0:0:0:0:0:0:1") == "::1")
        #expect(SocketTable.normalize("0.0.0.0") == "0.0.0.0")
    }
}
