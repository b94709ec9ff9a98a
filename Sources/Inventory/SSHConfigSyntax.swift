import Foundation
import RunbookLanguage
import Wire

#if canImport(Glibc)
    import Glibc
#endif

/// One directive of an ssh_config file, split the way readconf.c splits it.
struct SSHConfigLine: Sendable {
    var path: String
    var number: Int
    var text: String
    /// Lower-cased, as OpenSSH matches keywords.
    var keyword: String
    /// What follows the keyword and its separator (ProxyCommand, ProxyJump and Match read it raw).
    var rest: [UInt8]
    /// argv_split of `rest`: quotes removed, a `#` starting a word ends the line.
    var arguments: [String]
    /// For `Include`: the files its patterns matched, each parsed.
    var included: [SSHConfigFile] = []
}

/// A parsed ssh_config file.
struct SSHConfigFile: Sendable {
    var path: String
    var lines: [SSHConfigLine]
}

/// The lexical rules of readconf.c and misc.c (strdelim, argv_split), byte for byte.
enum SSHConfigSyntax {
    static let whitespace: Set<UInt8> = [32, 9, 13, 10]
    static let quote = UInt8(ascii: "\"")
    static let equals = UInt8(ascii: "=")

    /// strdelim: the next word, splitting on white space, a quote or one `=`; nil at the end or on
    /// an unmatched quote.
    static func strdelim(_ cursor: inout [UInt8]?) -> [UInt8]? {
        guard var text = cursor else { return nil }
        guard let found = text.firstIndex(where: { whitespace.contains($0) || $0 == quote || $0 == equals }) else {
            cursor = nil
            return text
        }
        if text[found] == quote {
            text.remove(at: found)
            guard let closing = text[found...].firstIndex(of: quote) else {
                cursor = nil
                return nil
            }
            let word = Array(text[..<closing])
            cursor = Array(skipWhitespace(text, from: closing + 1))
            return word
        }
        let wasEquals = text[found] == equals
        let word = Array(text[..<found])
        var next = skipWhitespace(text, from: found + 1).startIndex
        if next < text.count, text[next] == equals, !wasEquals { next = skipWhitespace(text, from: next + 1).startIndex }
        cursor = Array(text[next...])
        return word
    }

    private static func skipWhitespace(_ text: [UInt8], from start: Int) -> ArraySlice<UInt8> {
        var index = min(start, text.count)
        while index < text.count, whitespace.contains(text[index]) { index += 1 }
        return text[index...]
    }

    /// argv_split with terminate_on_comment: nil when a quote is left open.
    static func argvSplit(_ text: [UInt8]) -> [String]? {
        var result: [String] = []
        var index = 0
        let space = UInt8(ascii: " ")
        let tab = UInt8(ascii: "\t")
        let backslash = UInt8(ascii: "\\")
        let single = UInt8(ascii: "'")
        while index < text.count {
            if text[index] == space || text[index] == tab {
                index += 1
                continue
            }
            if text[index] == UInt8(ascii: "#") { break }
            var quoteCharacter: UInt8 = 0
            var word: [UInt8] = []
            while index < text.count {
                let byte = text[index]
                if byte == backslash {
                    let next = index + 1 < text.count ? text[index + 1] : 0
                    if next == single || next == quote || next == backslash || (quoteCharacter == 0 && next == space) {
                        index += 1
                        word.append(next)
                    } else {
                        word.append(byte)
                    }
                } else if quoteCharacter == 0 && (byte == space || byte == tab) {
                    break
                } else if quoteCharacter == 0 && (byte == quote || byte == single) {
                    quoteCharacter = byte
                } else if quoteCharacter != 0 && byte == quoteCharacter {
                    quoteCharacter = 0
                } else {
                    word.append(byte)
                }
                index += 1
            }
            if index >= text.count, quoteCharacter != 0 { return nil }
            result.append(String(decoding: word, as: UTF8.self))
        }
        return result
    }

    /// Splits one line into keyword and rest; nil for blank and comment lines.
    static func split(_ line: Substring) -> (keyword: String, rest: [UInt8])? {
        var bytes = Array(line.utf8)
        while let last = bytes.last, whitespace.contains(last) || last == 12 { bytes.removeLast() }
        var cursor: [UInt8]? = bytes
        guard var keyword = strdelim(&cursor) else { return nil }
        if keyword.isEmpty { keyword = strdelim(&cursor) ?? [] }
        if keyword.isEmpty || keyword.first == UInt8(ascii: "#") || keyword.first == 10 { return nil }
        var rest = cursor ?? []
        while let first = rest.first, whitespace.contains(first) { rest.removeFirst() }
        return (SSHPattern.asciiLowercased(String(decoding: keyword, as: UTF8.self)), rest)
    }

    /// Every keyword OpenSSH 9.2 (with Debian's additions) knows; any other is an error, as in ssh.
    static let keywords: Set<String> = [
        "protocol", "cipher", "fallbacktorsh", "globalknownhostsfile2", "rhostsauthentication", "userknownhostsfile2", "useroaming",
        "usersh", "useprivilegedport", "afstokenpassing", "kerberosauthentication", "kerberostgtpassing", "rsaauthentication",
        "rhostsrsaauthentication", "compressionlevel", "gssapiauthentication", "gssapidelegatecredentials", "gssapikeyexchange",
        "gssapiclientidentity", "gssapiserveridentity", "gssapirenewalforcesrekey", "gssapitrustdns", "gssapikexalgorithms",
        "pkcs11provider", "smartcarddevice", "forwardagent", "forwardx11", "forwardx11trusted", "forwardx11timeout",
        "exitonforwardfailure", "xauthlocation", "gatewayports", "passwordauthentication", "kbdinteractiveauthentication",
        "kbdinteractivedevices", "challengeresponseauthentication", "skeyauthentication", "tisauthentication", "pubkeyauthentication",
        "dsaauthentication", "hostbasedauthentication", "identityfile", "identityfile2", "identitiesonly", "certificatefile",
        "addkeystoagent", "identityagent", "hostname", "hostkeyalias", "proxycommand", "port", "ciphers", "macs", "remoteforward",
        "localforward", "permitremoteopen", "user", "host", "match", "escapechar", "globalknownhostsfile", "userknownhostsfile",
        "connectionattempts", "batchmode", "checkhostip", "stricthostkeychecking", "compression", "tcpkeepalive", "keepalive",
        "numberofpasswordprompts", "syslogfacility", "loglevel", "logverbose", "dynamicforward", "preferredauthentications",
        "hostkeyalgorithms", "casignaturealgorithms", "bindaddress", "bindinterface", "clearallforwardings", "enablesshkeysign",
        "verifyhostkeydns", "nohostauthenticationforlocalhost", "rekeylimit", "connecttimeout", "addressfamily", "serveraliveinterval",
        "serveralivecountmax", "sendenv", "setenv", "controlpath", "controlmaster", "controlpersist", "hashknownhosts", "include",
        "tunnel", "tunneldevice", "localcommand", "permitlocalcommand", "remotecommand", "visualhostkey", "kexalgorithms", "ipqos",
        "requesttty", "sessiontype", "stdinnull", "forkafterauthentication", "proxyusefdpass", "canonicaldomains",
        "canonicalizefallbacklocal", "canonicalizehostname", "canonicalizemaxdots", "canonicalizepermittedcnames",
        "streamlocalbindmask", "streamlocalbindunlink", "revokedhostkeys", "fingerprinthash", "updatehostkeys",
        "hostbasedacceptedalgorithms", "hostbasedkeytypes", "pubkeyacceptedalgorithms", "pubkeyacceptedkeytypes", "ignoreunknown",
        "proxyjump", "securitykeyprovider", "knownhostscommand", "requiredrsasize", "enableescapecommandline", "protocolkeepalives",
        "setuptimeout",
    ]

    /// Debian's aliases (keepalive patch): same option, other name.
    static let aliases: [String: String] = [
        "protocolkeepalives": "serveraliveinterval", "setuptimeout": "serveraliveinterval", "identityfile2": "identityfile",
        "keepalive": "tcpkeepalive",
    ]
}
